/*
 * relay.c - agraph-mcp's processes and bytes: the server started in a
 * process group of its own, the lines of both sides taken as they come
 * and written as each side can take them, the server ended as MCP's
 * stdio transport ends it (its input closed, then SIGTERM, then
 * SIGKILL).  What the lines mean is mcp.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "live/mcp_int.h"

extern char **environ;

#define CHUNK 65536
/* Bytes queued for one side past which the other side is not read: a
 * side that does not read holds up the other, and memory stays bounded. */
#define HIGH_WATER ((size_t)1 << 20)
#define DEFAULT_GRACE_MS 2000L
/* Without a pidfd, how often to look whether the server ended. */
#define LOOK_MS 20

static size_t
queued(const agrp_mcp_out *q)
{
	return q->b.n - q->off;
}

static void
close_out(agrp_mcp_out *q, bool ours)
{
	if (ours && q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->open = false;
	free(q->b.p);
	q->b = (agrp_buf){ 0 };
	q->off = 0;
}

/* Writes what q holds as far as its side takes it now.  False when the
 * side is gone. */
static bool
flush_some(agrp_mcp_out *q)
{
	while (q->open && queued(q) > 0) {
		ssize_t w = write(q->fd, q->b.p + q->off, queued(q));

		if (w > 0) {
			q->off += (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			return false;
		}
	}
	if (q->off == q->b.n)
		q->b.n = q->off = 0;
	else if (q->off > CHUNK && q->off > q->b.n / 2) { /* keep it small: move the rest down */
		memmove(q->b.p, q->b.p + q->off, q->b.n - q->off);
		q->b.n -= q->off;
		q->off = 0;
	}
	return true;
}

/* ---- the server's process ------------------------------------------ */

static bool
spawn_server(agrp_mcp *s, agr_error *err)
{
	const agr_mcp_opts *o = s->o;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;
	char *path = NULL, **argv;

	if ((rc = agrp_exec_resolve(o->argv[0], NULL, &path)) != 0) {
		char *shown = agrp_text(o->argv[0], true);

		agrp_error_set(err, NULL, 0, 0, "%s: %s", shown,
		               rc == ENOENT ? "not found" : strerror(rc));
		free(shown);
		return false;
	}
	if (!agrp_exec_pipe(in, 1) || !agrp_exec_pipe(out, 0)) {
		agrp_error_set(err, NULL, 0, 0, "pipe: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (in[i] >= 0)
				close(in[i]);
			if (out[i] >= 0)
				close(out[i]);
		}
		free(path);
		return false;
	}
	argv = agrp_xmalloc((o->argc + 1) * sizeof *argv);
	argv[0] = path;
	for (size_t i = 1; i < o->argc; i++)
		argv[i] = (char *)o->argv[i];
	argv[o->argc] = NULL;
	/* A group of its own, that a signal at the end reaches whatever it
	 * started (npx starts node); its standard error ours. */
	rc = agrp_exec_spawn(&s->pid, path, argv, environ, in[0], out[1], -1);
	close(in[0]);
	close(out[1]);
	free(argv);
	if (rc != 0) {
		char *shown = agrp_text(o->argv[0], true);

		agrp_error_set(err, NULL, 0, 0, "%s: %s", shown, strerror(rc));
		free(shown);
		free(path);
		close(in[1]);
		close(out[0]);
		return false;
	}
	free(path);
	s->to_server = (agrp_mcp_out){ .fd = in[1], .open = true };
	s->from_server = (agrp_mcp_in){ .fd = out[0], .open = true };
	s->pidfd = -1;
#ifdef SYS_pidfd_open
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd >= 0)
		fcntl(s->pidfd, F_SETFD, FD_CLOEXEC);
#endif
	return true;
}

static void
signal_server(agrp_mcp *s, int sig)
{
	if (!s->reaped)
		kill(-s->pid, sig);
}

/* Looks whether the server has ended; if it ended by itself, the
 * session ends for it. */
static void
look(agrp_mcp *s)
{
	int status, rc;
	char why[128], name[AGRP_SIGNAME_SIZE];

	if (s->reaped)
		return;
	while ((rc = waitpid(s->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (rc == 0)
		return;
	s->reaped = true;
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	/* Asked to end by a signal, it ends as it may; asked by its input
	 * closed, it ends well with status 0. */
	if (rc < 0 ||
	    (s->ending && (s->phase > 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))))
		return;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof why, "the server was killed by %s",
		         agrp_signal_name(WTERMSIG(status), name, sizeof name));
	else
		snprintf(why, sizeof why, "the server exited with status %d", WEXITSTATUS(status));
	agrp_mcp_died(s, why);
}

static void begin_end(agrp_mcp *s, bool terminate);

/* The server closed its output or its input: it is ending, or broken.
 * Its exit, when it comes at once, says which; else it is ended. */
static void
server_closed(agrp_mcp *s)
{
	for (int i = 0; i < 50 && !s->reaped; i++) {
		look(s);
		if (!s->reaped)
			nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	}
	if (!s->reaped && !s->ending)
		agrp_mcp_died(s, "the server closed its standard input or output");
	if (!s->reaped)
		begin_end(s, true);
}

/* The session is to end: the client is gone (terminate: or a signal
 * asked us to end, or the server is past talking to). */
static void
begin_end(agrp_mcp *s, bool terminate)
{
	if (!s->ending) {
		s->ending = true;
		s->phase = 0;
		s->deadline = agrp_now_ns() + (long long)s->o->grace_ms * 1000000;
	}
	if (terminate && s->phase == 0) {
		signal_server(s, SIGTERM);
		s->phase = 1;
		s->deadline = agrp_now_ns() + (long long)s->o->grace_ms * 1000000;
	}
}

/* Past the deadline: the next step of the end. */
static void
press_end(agrp_mcp *s, long long now)
{
	if (!s->ending || s->reaped || now < s->deadline)
		return;
	if (s->phase == 0) {
		close_out(&s->to_server, true);
		signal_server(s, SIGTERM);
	} else if (s->phase == 1) {
		signal_server(s, SIGKILL);
	}
	s->phase++;
	s->deadline = now + (long long)s->o->grace_ms * 1000000;
}

/* ---- lines ---------------------------------------------------------- */

/* Takes the whole lines in->b holds; a line longer than s->max is
 * passed over (from its start, when it is seen to be so long). */
static void
take_lines(agrp_mcp *s, agrp_mcp_in *in, bool from_client)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(in->b.p + in->scan, '\n', in->b.n - in->scan)) != NULL) {
		size_t end = (size_t)(nl - in->b.p);

		in->line++;
		if (in->skipping) {
			in->skipping = false;
		} else if (end - start > s->max) {
			agrp_mcp_too_long(s, from_client, in->line);
		} else if (from_client) {
			agrp_mcp_from_client(s, in->b.p + start, end - start);
		} else {
			agrp_mcp_from_server(s, in->b.p + start, end - start);
		}
		start = in->scan = end + 1;
		if (!from_client && s->died != NULL)
			break; /* what comes after a message too long is not read */
	}
	memmove(in->b.p, in->b.p + start, in->b.n - start);
	in->b.n -= start;
	in->scan = in->b.n;
	if (!in->skipping && in->b.n > s->max) {
		agrp_mcp_too_long(s, from_client, in->line + 1);
		in->skipping = true;
	}
	if (in->skipping)
		in->b.n = in->scan = 0;
}

/* Reads what a side has written; false at its end. */
static bool
read_some(agrp_mcp *s, agrp_mcp_in *in, bool from_client)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n;

		if (in->b.cap < in->b.n + CHUNK + 1)
			agrp_grow(&in->b.p, &in->b.cap, in->b.n + CHUNK + 1, 1);
		n = read(in->fd, in->b.p + in->b.n, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		in->b.n += (size_t)n;
		take_lines(s, in, from_client);
		if ((size_t)n < CHUNK)
			return true;
	}
	return true;
}

/* A last line without its end is taken as a line. */
static void
take_rest(agrp_mcp *s, agrp_mcp_in *in, bool from_client)
{
	if (!in->skipping && in->b.n > 0) {
		agrp_buf_add(&in->b, "\n", 1);
		take_lines(s, in, from_client);
	}
	in->open = false;
}

/* ---- the loop ------------------------------------------------------- */

static int
ms_until(long long then, long long now)
{
	long long ms = (then - now) / 1000000 + 1;

	return then <= now ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

static void
deliver_due(agrp_mcp *s, long long now, long long *next)
{
	if (s->nheld == 0)
		return;
	for (size_t i = 0; i < s->requests.cap; i++) {
		agrp_mcp_req *r = s->requests.slots[i].val;

		if (s->requests.slots[i].key == NULL || r->due_ns == 0)
			continue;
		if (r->due_ns <= now) {
			agrp_mcp_deliver(s, r);
			i = (size_t)-1; /* the map changed: from the start */
			if (s->nheld == 0)
				return;
		} else if (*next == 0 || r->due_ns < *next) {
			*next = r->due_ns;
		}
	}
}

static int
set_nonblock(int fd, int *was)
{
	*was = fcntl(fd, F_GETFL);
	/* a terminal is shared with others: left as it is */
	if (*was < 0 || isatty(fd))
		return 0;
	return fcntl(fd, F_SETFL, *was | O_NONBLOCK);
}

/* What is left for the client, written within the grace it is given. */
static void
flush_client(agrp_mcp *s)
{
	long long until = agrp_now_ns() + (long long)s->o->grace_ms * 1000000;

	while (s->to_client.open && queued(&s->to_client) > 0) {
		struct pollfd p = { s->to_client.fd, POLLOUT, 0 };
		long long now = agrp_now_ns();

		if (now >= until || !flush_some(&s->to_client))
			break;
		if (queued(&s->to_client) > 0)
			poll(&p, 1, ms_until(until, now));
	}
}

static void
run_loop(agrp_mcp *s, const sigset_t *waitmask)
{
	const volatile sig_atomic_t *stop = s->o->stop;

	for (;;) {
		struct pollfd fds[5];
		int nfds = 0, ci = -1, si = -1, co = -1, so = -1, pi = -1, wait = -1;
		long long now = agrp_now_ns(), next = 0;
		struct timespec ts;

		if ((stop != NULL && *stop != 0) || s->end_now)
			begin_end(s, true);
		deliver_due(s, now, &next);
		if (!flush_some(&s->to_client)) {
			close_out(&s->to_client, false);
			begin_end(s, false); /* the client is gone */
		}
		if (s->to_server.open && !flush_some(&s->to_server)) {
			close_out(&s->to_server, true);
			server_closed(s);
		}
		if (s->ending && s->phase == 0 && s->to_server.open && queued(&s->to_server) == 0)
			close_out(&s->to_server, true); /* MCP's end: the server's input closed */
		press_end(s, now);
		look(s);
		if (s->reaped) {
			/* what it wrote before it ended, then no more */
			while (s->from_server.open && read_some(s, &s->from_server, false) &&
			       s->died == NULL)
				if (s->from_server.b.n == 0)
					break;
			take_rest(s, &s->from_server, false);
			break;
		}
		if (s->from_client.open && !s->ending && queued(&s->to_server) < HIGH_WATER) {
			ci = nfds;
			fds[nfds++] = (struct pollfd){ s->from_client.fd, POLLIN, 0 };
		}
		if (s->from_server.open && queued(&s->to_client) < HIGH_WATER) {
			si = nfds;
			fds[nfds++] = (struct pollfd){ s->from_server.fd, POLLIN, 0 };
		}
		if (s->to_client.open && queued(&s->to_client) > 0) {
			co = nfds;
			fds[nfds++] = (struct pollfd){ s->to_client.fd, POLLOUT, 0 };
		}
		if (s->to_server.open && queued(&s->to_server) > 0) {
			so = nfds;
			fds[nfds++] = (struct pollfd){ s->to_server.fd, POLLOUT, 0 };
		}
		if (s->pidfd >= 0) {
			pi = nfds;
			fds[nfds++] = (struct pollfd){ s->pidfd, POLLIN, 0 };
		}
		if (next != 0)
			wait = ms_until(next, now);
		if (s->ending && (wait < 0 || ms_until(s->deadline, now) < wait))
			wait = ms_until(s->deadline, now);
		if (s->pidfd < 0 && (wait < 0 || wait > LOOK_MS))
			wait = LOOK_MS;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		if (ppoll(fds, (nfds_t)nfds, wait < 0 ? NULL : &ts, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			agrp_mcp_died(s, "agraph-mcp cannot wait for its peers");
			continue;
		}
		if (co >= 0 && fds[co].revents != 0 && !flush_some(&s->to_client)) {
			close_out(&s->to_client, false);
			begin_end(s, false);
		}
		if (so >= 0 && fds[so].revents != 0 && !flush_some(&s->to_server)) {
			close_out(&s->to_server, true);
			server_closed(s);
		}
		if (si >= 0 && fds[si].revents != 0 && !read_some(s, &s->from_server, false)) {
			take_rest(s, &s->from_server, false);
			server_closed(s);
		}
		if (ci >= 0 && fds[ci].revents != 0 && !read_some(s, &s->from_client, true)) {
			take_rest(s, &s->from_client, true);
			begin_end(s, false); /* the client is done */
		}
		(void)pi; /* the pidfd: look() sees it */
	}
}

int
agr_mcp_run(const agr_mcp_opts *o, agr_error *err)
{
	agrp_mcp s = { 0 };
	agr_mcp_opts opts = *o;

	*err = (agr_error){ 0 };
	struct sigaction ign = { 0 }, old_pipe;
	sigset_t all, old;
	int in_flags, out_flags, status;

	if (opts.grace_ms <= 0)
		opts.grace_ms = DEFAULT_GRACE_MS;
	if (opts.argc == 0 || opts.argv == NULL || opts.argv[0] == NULL) {
		agrp_error_set(err, NULL, 0, 0, "no server to run");
		return 2;
	}
	s.o = &opts;
	s.trace = opts.trace ? opts.trace : "mcp";
	s.max = opts.max_message > 0 ? opts.max_message : AGR_DEFAULT_MAX_LINE;
	/* A peer gone is an EPIPE to see, not a signal that ends us. */
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!spawn_server(&s, err)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
		return 2;
	}
	s.from_client = (agrp_mcp_in){ .fd = opts.client_in, .open = true };
	s.to_client = (agrp_mcp_out){ .fd = opts.client_out, .open = true };
	set_nonblock(opts.client_in, &in_flags);
	set_nonblock(opts.client_out, &out_flags);
	run_loop(&s, &old);
	status = agrp_mcp_finish(&s);
	flush_client(&s);
	if (in_flags >= 0)
		fcntl(opts.client_in, F_SETFL, in_flags);
	if (out_flags >= 0 && s.to_client.fd >= 0)
		fcntl(opts.client_out, F_SETFL, out_flags);
	if (!s.reaped) { /* it outlived SIGKILL's grace: no more waiting */
		signal_server(&s, SIGKILL);
		if (s.pidfd >= 0)
			close(s.pidfd);
	}
	close_out(&s.to_server, true);
	close_out(&s.to_client, false);
	if (s.from_server.fd >= 0)
		close(s.from_server.fd);
	free(s.from_server.b.p);
	free(s.from_client.b.p);
	for (size_t i = 0; i < s.requests.cap; i++)
		if (s.requests.slots[i].key != NULL)
			agrp_mcp_req_free(s.requests.slots[i].val);
	agrp_map_free(&s.requests);
	agrp_map_free(&s.failed);
	free(s.agent);
	free(s.died);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (s.record_failed) {
		*err = s.record_error;
		return 2;
	}
	return status;
}
