/* frontend.c - what every agraph program does the same way. */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agraph_fe.h"

extern char *program_invocation_short_name;

static void
write_failed(void)
{
	if (errno == EPIPE) /* the reader went away: nothing to say */
		_exit(128 + SIGPIPE);
	err(2, "stdout");
}

void
agr_fe_put(const json_t *rec, bool flush)
{
	if (!agr_write_json(stdout, rec) || (flush && fflush(stdout) != 0))
		write_failed();
}

void
agr_fe_put_bytes(const char *bytes, size_t len, bool flush)
{
	if (fwrite(bytes, 1, len, stdout) != len || putchar('\n') == EOF ||
	    (flush && fflush(stdout) != 0))
		write_failed();
}

int
agr_fe_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return 128 + SIGPIPE;
		warn("stdout");
		return 2;
	}
	return 0;
}

void
agr_fe_error(const agr_error *e)
{
	agr_error_print(e, program_invocation_short_name);
}

uint64_t
agr_fe_number(const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] == '\0' || arg[0] == '-' || *end != '\0' || errno != 0)
		errx(2, "%s takes a whole number, not '%s'", opt, arg);
	return v;
}

int
agr_fe_each_record(char **files, int nfiles, agr_fe_record_fn fn, void *ctx)
{
	agr_reader *r = agr_reader_new((const char *const *)files, nfiles, 0);
	const agr_record *rec;
	agr_error e;
	int rc, status = 0;

	while ((rc = agr_reader_next(r, &rec, &e)) != 0) {
		if (rc < 0) {
			agr_fe_error(&e);
			status = 2;
		} else if (!fn(ctx, rec)) {
			status = 2;
			break;
		}
	}
	agr_reader_free(r);
	return status;
}

void
agr_fe_write(void *ctx, const char *bytes, size_t len)
{
	agr_fe_put_bytes(bytes, len, ctx != NULL && *(bool *)ctx);
}
