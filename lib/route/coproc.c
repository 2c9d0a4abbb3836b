/*
 * coproc.c - the router as a coprocess: records read from the program
 * that executes the tools, each call waited for until its tool's
 * timeout_ms.
 *
 * The peer's records are read with read(2) and split here rather than by
 * agr_reader, whose buffer poll(2) cannot see: a line already read must
 * be taken before waiting for more.  Whatever the peer sends while a
 * call is out is fed to the router and its records handed on at once, so
 * that memory stays bounded however many health records arrive.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "route/route_int.h"

#define CHUNK 65536

struct agr_peer {
	int fd;
	const char *name;
	size_t max_line;
	char *buf;
	size_t cap, start, end;
	bool eof;
	long line;
	agr_record *rec;
	const volatile sig_atomic_t *stop; /* agr_peer_stop_on() */
};

void
agr_peer_stop_on(agr_peer *p, const volatile sig_atomic_t *stop)
{
	p->stop = stop;
}

static bool
stopped(const agr_peer *p)
{
	return p->stop != NULL && *p->stop != 0;
}

agr_peer *
agr_peer_new(int fd, const char *name, size_t max_line)
{
	agr_peer *p = agrp_xcalloc(1, sizeof *p);

	p->fd = fd;
	p->name = name;
	p->max_line = max_line ? max_line : AGR_DEFAULT_MAX_LINE;
	agrp_grow(&p->buf, &p->cap, CHUNK, 1);
	p->rec = agr_record_new();
	return p;
}

void
agr_peer_free(agr_peer *p)
{
	if (p == NULL)
		return;
	agr_record_free(p->rec);
	free(p->buf);
	free(p);
}

/* Milliseconds of the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { PEER_ERROR = -1, PEER_END = 0, PEER_RECORD = 1, PEER_LATE = 2, PEER_STOP = 3 };

/* Reads more bytes, waiting until deadline (ms of now_ms(), or -1: for
 * ever).  PEER_RECORD when it read some or the end, PEER_LATE when the
 * deadline passed first, PEER_STOP when asked to stop first, PEER_ERROR
 * with err.  The wait is a ppoll(2) with every signal blocked but while
 * it waits, as agr_reader's, so that a signal that sets the stop flag
 * is never missed. */
static int
fill(agr_peer *p, long long deadline, agr_error *err)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t n;

	if (p->start > 0) {
		memmove(p->buf, p->buf + p->start, p->end - p->start);
		p->end -= p->start;
		p->start = 0;
	}
	if (p->cap - p->end < CHUNK)
		agrp_grow(&p->buf, &p->cap, p->end + CHUNK, 1);
	for (;;) {
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		struct timespec ts;
		sigset_t all, old;
		int rc, e;

		if (deadline >= 0 && left <= 0)
			return PEER_LATE;
		if (left > 86400000)
			left = 86400000;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		rc = stopped(p) ? -2 : ppoll(&pfd, 1, left < 0 ? NULL : &ts, &old);
		e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (rc == -2 || stopped(p))
			return PEER_STOP;
		if (rc > 0)
			break;
		if (rc < 0 && e != EINTR) {
			agrp_error_set(err, p->name, 0, 0, "%s", strerror(e));
			return PEER_ERROR;
		}
	}
	do
		n = read(p->fd, p->buf + p->end, p->cap - p->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		agrp_error_set(err, p->name, 0, 0, "%s", strerror(errno));
		return PEER_ERROR;
	}
	if (n == 0)
		p->eof = true;
	p->end += (size_t)n;
	return PEER_RECORD;
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* The next record, as agr_reader reads one (blank lines passed over, CRLF
 * and a last line without a newline taken), by the deadline. */
static int
next_record(agr_peer *p, long long deadline, agr_error *err)
{
	for (;;) {
		char *s = p->buf + p->start;
		char *nl = memchr(s, '\n', p->end - p->start);
		size_t n;
		int rc;

		if (nl == NULL && p->end - p->start > p->max_line) {
			agrp_error_set(err, p->name, p->line + 1, 0, "line longer than %zu bytes",
			               p->max_line);
			return PEER_ERROR;
		}
		if (nl == NULL && !p->eof) {
			if ((rc = fill(p, deadline, err)) != PEER_RECORD)
				return rc;
			continue;
		}
		if (nl == NULL && p->start == p->end)
			return PEER_END;
		n = nl != NULL ? (size_t)(nl - s) : p->end - p->start;
		p->start += n + (nl != NULL);
		p->line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > p->max_line) {
			agrp_error_set(err, p->name, p->line, 0, "line longer than %zu bytes",
			               p->max_line);
			return PEER_ERROR;
		}
		if (blank(s, n))
			continue;
		return agr_record_set(p->rec, s, n, p->name, p->line, err) ? PEER_RECORD
		                                                           : PEER_ERROR;
	}
}

int
agr_router_await(agr_router *r, agr_peer *p, agr_event_fn fn, void *ctx, agr_error *err)
{
	long call = agr_router_waiting(r);
	long ms = agrp_router_timeout_ms(r);
	long long deadline = ms > 0 ? now_ms() + ms : -1;
	agr_event ev;

	while (call != 0 && agr_router_waiting(r) == call) {
		int rc = stopped(p) ? PEER_STOP : next_record(p, deadline, err);

		if (rc == PEER_STOP)
			return 2;
		if (rc == PEER_LATE) {
			agrp_router_time_out(r);
			return 1;
		}
		if (rc != PEER_RECORD)
			return rc;
		if (agr_router_feed(r, agr_record_json(p->rec), err) < 0) {
			agr_error_at_record(err, p->rec);
			return -1;
		}
		/* health and what it made, now: they must not pile up */
		while (agr_router_waiting(r) == call && agr_router_next(r, &ev))
			fn(ctx, r, &ev);
	}
	return 1;
}

int
agr_router_await_or_end(agr_router *r, agr_peer *p, agr_event_fn fn, void *ctx, agr_error *err)
{
	long call = agr_router_waiting(r);
	char reason[700];
	int rc = agr_router_await(r, p, fn, ctx, err);

	if (rc == 1 || rc == 2)
		return rc;
	if (rc == 0) {
		snprintf(reason, sizeof reason, "input ended while call c%ld was out", call);
		agrp_error_set(err, "", 0, 0, "%s", reason);
	} else {
		snprintf(reason, sizeof reason, "bad input: %s", err->text);
	}
	agr_router_abort(r, AGR_FINAL_FAILURE, reason);
	return rc;
}
