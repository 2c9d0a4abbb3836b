/*
 * progress.c - a progress report on stderr for long work: bytes read of
 * the total, or sets tried of the budget.
 *
 * Counting is the hot path (the reader counts every read): it compares
 * the count with the next one at which to look at the clock, and only
 * then does anything.  How far apart the looks are adapts to how fast
 * the count grows, so that the clock is read about a hundred times a
 * second however fast or slow the work.
 */
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base_int.h"

#define TTY_EVERY 0.1   /* seconds between redraws on a terminal */
#define PLAIN_EVERY 1.0 /* between lines elsewhere: a CI log stays short */
#define AUTO_DELAY 1.0  /* unasked, work shorter than this shows nothing */
#define RATE_AFTER 1.0  /* a rate over less time says little */
#define MAX_STRIDE ((uint64_t)1 << 40)

struct agr_progress {
	FILE *err;
	int fd; /* err's, for agr_progress_clear_now() */
	const char *prog, *unit;
	bool tty, asked, shown, finished, dead;
	uint64_t done, total, next_look, stride;
	double start, last_look, last_draw, every, delay;
	size_t width; /* of the line on the terminal, to blank what is left */
};

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

agr_progress *
agr_progress_new(FILE *err, const char *prog, agr_progress_mode mode)
{
	agr_progress *p;
	int fd = err != NULL ? fileno(err) : -1;
	bool tty = fd >= 0 && isatty(fd);

	if (err == NULL || mode == AGR_PROGRESS_OFF || (mode == AGR_PROGRESS_AUTO && !tty))
		return NULL;
	/* a closed stderr: its number may soon be an input file's */
	if (fd >= 0 && fcntl(fd, F_GETFL) < 0)
		return NULL;
	p = agrp_xcalloc(1, sizeof *p);
	p->err = err;
	p->fd = fd;
	p->prog = prog;
	p->tty = tty;
	p->asked = mode == AGR_PROGRESS_ON;
	p->total = AGR_PROGRESS_UNKNOWN;
	p->stride = 1;
	p->every = tty ? TTY_EVERY : PLAIN_EVERY;
	p->delay = p->asked ? p->every : AUTO_DELAY;
	p->start = p->last_look = p->last_draw = now();
	return p;
}

void
agr_progress_free(agr_progress *p)
{
	free(p);
}

void
agr_progress_unit(agr_progress *p, const char *unit)
{
	if (p != NULL)
		p->unit = unit;
}

void
agr_progress_set_total(agr_progress *p, uint64_t total)
{
	if (p != NULL)
		p->total = total;
}

/* The bytes of stdin still to come, or -1 when it is no regular file. */
static off_t
size_of(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		off_t at;

		if (fstat(0, &st) != 0 || !S_ISREG(st.st_mode))
			return -1;
		at = lseek(0, 0, SEEK_CUR);
		return at > 0 && at <= st.st_size ? st.st_size - at : st.st_size;
	}
	if (stat(path, &st) != 0)
		return 0;
	return S_ISREG(st.st_mode) ? st.st_size : -1;
}

static bool
named_before(const char *const *paths, int i, const char *path)
{
	while (i-- > 0)
		if (strcmp(paths[i], path) == 0)
			return true;
	return false;
}

void
agr_progress_total_files(agr_progress *p, const char *const *paths, int npaths)
{
	static const char *const stdin_path[] = { "-" };
	uint64_t total = 0;

	if (p == NULL)
		return;
	if (npaths <= 0) {
		paths = stdin_path;
		npaths = 1;
	}
	for (int i = 0; i < npaths; i++) {
		off_t n;

		/* stdin named again is read again from its end: nothing more */
		if (strcmp(paths[i], "-") == 0 && named_before(paths, i, "-"))
			continue;
		n = size_of(paths[i]);

		if (n < 0) {
			total = AGR_PROGRESS_UNKNOWN;
			break;
		}
		total += (uint64_t)n;
	}
	p->total = total;
}

/* n bytes as people read them: 512 B, 12.3 MB. */
static void
put_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1000) {
		snprintf(buf, size, "%llu B", (unsigned long long)n);
		return;
	}
	for (v /= 1000; v >= 999.95 && u + 1 < sizeof units / sizeof *units; u++)
		v /= 1000;
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

static void
put_count(const agr_progress *p, char *buf, size_t size, uint64_t n)
{
	if (p->unit == NULL)
		put_bytes(buf, size, n);
	else
		snprintf(buf, size, "%llu", (unsigned long long)n);
}

/* The line, without its "prog: " or its end; the time left, unless last. */
static void
line(const agr_progress *p, double t, bool last, char *buf, size_t size)
{
	char done[32], total[32];
	size_t n;
	double elapsed = t - p->start;

	put_count(p, done, sizeof done, p->done);
	if (p->total != AGR_PROGRESS_UNKNOWN && p->done <= p->total) {
		/* floor: 100% only once all is done */
		unsigned pct = p->total == 0 ? 100 : (unsigned)(p->done * 100.0 / (double)p->total);

		put_count(p, total, sizeof total, p->total);
		if (pct > 100 || (pct == 100 && p->done < p->total))
			pct = 99;
		n = (size_t)snprintf(buf, size, "%s of %s%s%s (%u%%)", done, total,
		                     p->unit ? " " : "", p->unit ? p->unit : "", pct);
	} else {
		n = (size_t)snprintf(buf, size, "%s%s%s", done, p->unit ? " " : "",
		                     p->unit ? p->unit : "");
	}
	if (n < size && elapsed >= RATE_AFTER) {
		double rate = (double)p->done / elapsed;

		if (p->unit == NULL) {
			put_bytes(done, sizeof done, (uint64_t)rate);
			n += (size_t)snprintf(buf + n, size - n, ", %s/s", done);
		} else {
			n += (size_t)snprintf(buf + n, size - n, ", %.0f %s/s", rate, p->unit);
		}
		/* as pv: at the rate so far, h:mm:ss or m:ss */
		if (n < size && !last && rate > 0 && p->total != AGR_PROGRESS_UNKNOWN &&
		    p->done < p->total) {
			double left = (double)(p->total - p->done) / rate;
			unsigned long secs = left < 360000 ? (unsigned long)left : 359999;

			if (secs >= 3600)
				snprintf(buf + n, size - n, ", %lu:%02lu:%02lu left", secs / 3600,
				         secs / 60 % 60, secs % 60);
			else
				snprintf(buf + n, size - n, ", %lu:%02lu left", secs / 60,
				         secs % 60);
		}
	}
}

/*
 * Writes s whole or turns the report off.  stderr may be a pipe whose
 * reader went away: SIGPIPE is held off while writing and taken back if
 * the write raised it, so that the report never ends the program, and
 * the stream's error is cleared, as it is no error of the program's.
 */
static void
emit(agr_progress *p, const char *s, size_t len)
{
	sigset_t pipe, old, pending;
	bool was_pending;
	int sig;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	if (fwrite(s, 1, len, p->err) != len || fflush(p->err) != 0 || ferror(p->err)) {
		p->dead = true;
		clearerr(p->err);
	}
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		sigwait(&pipe, &sig);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * How many bytes of a line begun with \r fit on the terminal: one that
 * wraps cannot be redrawn, as \r goes back to the start of its last row
 * only.  The last column stays free, as a terminal may wrap on reaching it.
 */
static size_t
room(const agr_progress *p)
{
	struct winsize ws;

	if (ioctl(fileno(p->err), TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return SIZE_MAX;
	return ws.ws_col > 1 ? ws.ws_col : 2;
}

static void
draw(agr_progress *p, double t, bool last)
{
	char text[256], out[300];
	size_t n, len, max;

	line(p, t, last, text, sizeof text);
	if (!p->tty) {
		n = (size_t)snprintf(out, sizeof out, "%s: %s\n", p->prog, text);
		emit(p, out, n < sizeof out ? n : sizeof out - 1);
	} else {
		/* the last line is never redrawn: it may wrap, whole */
		max = last ? SIZE_MAX : room(p);
		if (max > sizeof out - 2)
			max = sizeof out - 2;
		n = (size_t)snprintf(out, sizeof out, "\r%s: %s", p->prog, text);
		len = n < max ? n : max;
		/* a cut never splits a UTF-8 character (of the program's name) */
		while (len < n && len > 1 && ((unsigned char)out[len] & 0xC0) == 0x80)
			len--;
		n = len;
		/* blanks over what is left of a longer line before */
		while (len < p->width && len < max)
			out[len++] = ' ';
		p->width = last ? 0 : n; /* a line ended is no more to take off */
		if (last)
			out[len++] = '\n';
		emit(p, out, len);
	}
	p->shown = true;
	p->last_draw = t;
}

/* Looks at the clock: draws when it is time, and sets the next look. */
static void
look(agr_progress *p)
{
	double t = now();

	if (t - p->last_look < 0.005 && p->stride < MAX_STRIDE)
		p->stride *= 2;
	else if (t - p->last_look > 0.02 && p->stride > 1)
		p->stride /= 2;
	p->last_look = t;
	p->next_look = p->done + p->stride;
	if (!p->dead && t - p->last_draw >= p->every && t - p->start >= p->delay)
		draw(p, t, false);
}

void
agr_progress_add(agr_progress *p, uint64_t n)
{
	if (p == NULL || p->finished)
		return;
	p->done += n;
	if (p->done >= p->next_look)
		look(p);
}

void
agr_progress_set(agr_progress *p, uint64_t done)
{
	if (p == NULL || p->finished)
		return;
	p->done = done;
	if (p->done >= p->next_look)
		look(p);
}

void
agr_progress_wait(agr_progress *p)
{
	/* the stride was set for a faster count: it could be far off now */
	if (p != NULL)
		p->next_look = p->done;
}

void
agr_progress_clear(agr_progress *p)
{
	char out[300];
	size_t len = 0;

	if (p == NULL || !p->tty || p->dead || p->width == 0)
		return;
	out[len++] = '\r';
	while (len < p->width + 1 && len < room(p) && len < sizeof out - 1)
		out[len++] = ' ';
	out[len++] = '\r';
	p->width = 0;
	emit(p, out, len);
}

void
agr_progress_finish(agr_progress *p)
{
	if (p == NULL || p->finished)
		return;
	p->finished = true;
	if (!p->dead && (p->asked || p->shown))
		draw(p, now(), true);
}

void
agr_progress_clear_now(const agr_progress *p)
{
	static const char blanks[64] =
	    "                                                               ";
	size_t left;

	if (p == NULL || !p->tty || p->dead || p->width == 0)
		return;
	/* as agr_progress_clear() */
	left = p->width < room(p) ? p->width : room(p) - 1;
	if (write(p->fd, "\r", 1) < 0)
		return;
	while (left > 0) {
		ssize_t n =
		    write(p->fd, blanks, left < sizeof blanks - 1 ? left : sizeof blanks - 1);

		if (n <= 0)
			return;
		left -= (size_t)n;
	}
	if (write(p->fd, "\r", 1) < 0)
		return;
}
