/*
 * test_progress.c - the progress report: when there is one, its lines
 * and totals, how often it writes, a terminal's redrawn line, and a
 * stream that cannot be written, which must not end the program.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agraph.h"
#include "tap.h"

static char *text;
static size_t len;

/* A report to a memory stream, which is no terminal. */
static agr_progress *
to_memory(FILE **f, agr_progress_mode mode)
{
	free(text);
	text = NULL;
	*f = open_memstream(&text, &len);
	return agr_progress_new(*f, "prog", mode);
}

/* What it wrote, once its stream is closed. */
static const char *
written(FILE *f)
{
	fclose(f);
	return text;
}

/* Whether the stream got want, once closed; what it got, shown. */
/* s on one line, for a TAP line: \n and \r shown as such. */
static const char *
shown(const char *s)
{
	static char buf[1024];
	size_t n = 0;

	for (; *s && n < sizeof buf - 3; s++) {
		if (*s == '\n' || *s == '\r') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : 'r';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

static int
is(FILE *f, const char *want, const char *what)
{
	const char *got = written(f);

	return ok(strcmp(got, want) == 0, "%s (%s)", what, shown(got));
}

static int
count(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void
nap(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&t, NULL);
}

static const char *
put(const char *name, size_t size)
{
	static char paths[4][64];
	static int next;
	char *p = paths[next++ % 4];
	FILE *f;

	snprintf(p, sizeof paths[0], "/tmp/agraph-progress-%ld-%s", (long)getpid(), name);
	f = fopen(p, "w");
	for (size_t i = 0; i < size; i++)
		fputc('x', f);
	fclose(f);
	return p;
}

int
main(void)
{
	FILE *f;
	agr_progress *p;
	int fds[2];

	signal(SIGPIPE, SIG_DFL); /* as a program starts, whatever ran the test */
	ok(agr_progress_new(stdout, "prog", AGR_PROGRESS_OFF) == NULL, "off: no report");
	ok(to_memory(&f, AGR_PROGRESS_AUTO) == NULL, "auto, not a terminal: no report");
	written(f);
	agr_progress_add(NULL, 5);
	agr_progress_finish(NULL);
	agr_progress_free(NULL);
	ok(1, "NULL is taken and does nothing");

	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_set_total(p, 900);
	agr_progress_add(p, 437);
	agr_progress_finish(p);
	agr_progress_finish(p);
	agr_progress_add(p, 1);
	agr_progress_free(p);
	is(f, "prog: 437 B of 900 B (48%)\n", "asked: a last line, once, bytes of the total");

	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_unit(p, "sets");
	agr_progress_set_total(p, 5000);
	agr_progress_set(p, 1200);
	agr_progress_finish(p);
	agr_progress_free(p);
	is(f, "prog: 1200 of 5000 sets (24%)\n", "sets of the budget");

	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_add(p, 12345678);
	agr_progress_finish(p);
	agr_progress_free(p);
	is(f, "prog: 12.3 MB\n", "no total: the count alone");

	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_set_total(p, 1000);
	agr_progress_add(p, 999);
	agr_progress_finish(p);
	agr_progress_free(p);
	is(f, "prog: 999 B of 1.0 kB (99%)\n", "100% only when all is done");

	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_set_total(p, 10);
	agr_progress_add(p, 11);
	agr_progress_finish(p);
	agr_progress_free(p);
	is(f, "prog: 11 B\n", "past the total (a file that grew): the count");

	{
		const char *paths[] = { put("a", 10), put("b", 20) };
		const char *odd[] = { paths[0], "/dev/null" };
		const char *gone[] = { paths[0], "/nonexistent/file" };

		p = to_memory(&f, AGR_PROGRESS_ON);
		agr_progress_total_files(p, paths, 2);
		agr_progress_add(p, 30);
		agr_progress_finish(p);
		agr_progress_free(p);
		is(f, "prog: 30 B of 30 B (100%)\n", "the total of regular files");
		p = to_memory(&f, AGR_PROGRESS_ON);
		agr_progress_total_files(p, odd, 2);
		agr_progress_add(p, 10);
		agr_progress_finish(p);
		agr_progress_free(p);
		is(f, "prog: 10 B\n", "one that is not regular: no total");
		p = to_memory(&f, AGR_PROGRESS_ON);
		agr_progress_total_files(p, gone, 2);
		agr_progress_add(p, 10);
		agr_progress_finish(p);
		agr_progress_free(p);
		is(f, "prog: 10 B of 10 B (100%)\n", "one that is not there adds nothing");
		unlink(paths[0]);
		unlink(paths[1]);
	}

	/* A million counts in well under a second: the last line only. */
	p = to_memory(&f, AGR_PROGRESS_ON);
	for (int i = 0; i < 1000000; i++)
		agr_progress_add(p, 1);
	agr_progress_finish(p);
	agr_progress_free(p);
	is(f, "prog: 1.0 MB\n", "a line a second at most");

	/* Counts over 2.2 s: a line each second and the last, with the rate,
	 * and the time left but in the last; a few more lines if the machine
	 * is slow, never one a count. */
	p = to_memory(&f, AGR_PROGRESS_ON);
	agr_progress_set_total(p, 20000);
	for (int i = 0; i < 11; i++) {
		agr_progress_add(p, 1000);
		nap(0.2);
	}
	agr_progress_finish(p);
	agr_progress_free(p);
	written(f);
	ok(count(text, '\n') >= 2 && count(text, '\n') <= 5 &&
	       strstr(text, "\nprog: 11.0 kB of 20.0 kB (55%), ") != NULL &&
	       strstr(text, " kB/s, 0:0") != NULL && strstr(text, " left\n") != NULL &&
	       strcmp(text + strlen(text) - 5, "kB/s\n") == 0,
	   "a line a second, then the last, with the rate and, but in the last, the time left "
	   "(%s)",
	   shown(text));

	/* A terminal: one line, redrawn, blanked to its end, ended. */
	{
		int m = posix_openpt(O_RDWR | O_NOCTTY), s;
		struct termios t;
		char buf[4096];
		ssize_t n;

		grantpt(m);
		unlockpt(m);
		s = open(ptsname(m), O_RDWR | O_NOCTTY);
		tcgetattr(s, &t);
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
		f = fdopen(s, "w");
		p = agr_progress_new(f, "prog", AGR_PROGRESS_AUTO);
		ok(p != NULL, "auto on a terminal: a report");
		agr_progress_add(p, 5);
		agr_progress_finish(p);
		agr_progress_free(p);
		p = agr_progress_new(f, "prog", AGR_PROGRESS_ON);
		agr_progress_add(p, 123456);
		nap(0.15);
		agr_progress_add(p, 1000);
		agr_progress_clear(p);
		agr_progress_set(p, 5);
		agr_progress_finish(p);
		agr_progress_free(p);
		fclose(f);
		n = read(m, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(m);
		ok(strcmp(buf, "\rprog: 124.5 kB\r               \r\rprog: 5 B\n") == 0,
		   "auto: nothing for work shorter than a second; asked: the line redrawn, taken "
		   "off, drawn again and ended (%s)",
		   shown(buf));
	}

	/* A count that slows down after a fast start: its looks at the clock
	 * are far apart, but for agr_progress_wait(). */
	for (int waits = 0; waits < 2; waits++) {
		p = to_memory(&f, AGR_PROGRESS_ON);
		for (int i = 0; i < 64; i++)
			agr_progress_add(p, 1000);
		nap(1.1);
		if (waits)
			agr_progress_wait(p);
		agr_progress_add(p, 1);
		fflush(f);
		ok(count(text ? text : "", '\n') == (waits ? 1 : 0), "after a fast start, %s (%s)",
		   waits ? "a wait has the next count look: a line" : "no look soon: no line",
		   shown(text ? text : ""));
		agr_progress_free(p);
		fclose(f);
	}

	/* A pipe nobody reads: no SIGPIPE, no error left on the stream. */
	if (pipe(fds) == 0) {
		close(fds[0]);
		f = fdopen(fds[1], "w");
		p = agr_progress_new(f, "prog", AGR_PROGRESS_ON);
		agr_progress_add(p, 1);
		agr_progress_finish(p);
		agr_progress_free(p);
		ok(!ferror(f), "a closed pipe ends the report, not the program");
		fclose(f);
	}
	free(text);
	return done_testing();
}
