/* error.c - errors with their place, and whole files read for loaders. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base_int.h"

void
agrp_error_set(agr_error *err, const char *source, long line, long column, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	if (source != NULL)
		snprintf(err->source, sizeof err->source, "%s", source);
	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
}

void
agr_error_print(const agr_error *err, const char *prog)
{
	fprintf(stderr, "%s: ", prog);
	if (err->source[0] != '\0') {
		fputs(err->source, stderr);
		if (err->line > 0)
			fprintf(stderr, ":%ld", err->line);
		if (err->line > 0 && err->column > 0)
			fprintf(stderr, ":%ld", err->column);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s\n", err->text);
}

char *
agrp_read_file(const char *path, size_t *len, agr_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;
	struct stat st;
	bool large;

	*len = 0;
	if (f == NULL) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	/* A regular file says its size; a pipe or a device is read to one
	 * byte past the limit, never further (/dev/zero has no end). */
	large = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	        (uintmax_t)st.st_size > AGR_MAX_FILE;
	while (!large) {
		size_t room;

		agrp_grow(&buf, &cap,
		          *len + 65536 < AGR_MAX_FILE + 1 ? *len + 65536 : AGR_MAX_FILE + 1, 1);
		room = (cap < AGR_MAX_FILE + 1 ? cap : AGR_MAX_FILE + 1) - *len;
		n = fread(buf + *len, 1, room, f);
		*len += n;
		large = *len > AGR_MAX_FILE;
		if (n == 0)
			break;
	}
	if (large) {
		agrp_error_set(err, path, 0, 0,
		               "larger than %zu MiB, the most a file read whole may hold",
		               AGR_MAX_FILE >> 20);
		free(buf);
		buf = NULL;
		*len = 0;
	} else if (ferror(f)) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}
