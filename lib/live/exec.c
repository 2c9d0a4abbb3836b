/*
 * exec.c - the process runner: one tool call as a process group of its
 * own, fed its input, its output kept up to a bound, its stderr passed
 * on, ended by its exit, a timeout or a cancel, and nothing of it left.
 * The protocol is the header comment of "The process runner" in
 * agraph.h.
 *
 * One ppoll(2) loop waits on the three pipes and on a pidfd (a file
 * descriptor that becomes readable when the child ends; without one, the
 * wait is cut to POLL_STEP_MS, 1 ms once stdout and stderr are closed,
 * and the child looked at each time; valgrind, which knows no pidfd and
 * says so on stderr, gets no pidfd_open call).  Every
 * signal is blocked during the run but inside ppoll, which lets the
 * caller's own mask in (SIGPIPE kept out): a handler that sets *stop is
 * never missed, and the SIGPIPE of a write to a tool that stopped reading
 * stays pending until sigtimedwait(2) takes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "base/base_int.h"
#include "live/live_int.h"

extern char **environ;

#define CHUNK 65536
#define POLL_STEP_MS 10

long long
agrp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *fmt(const char *f, ...) AGRP_PRINTF(1, 2);

static char *
fmt(const char *f, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	s = agrp_xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, f, ap);
	va_end(ap);
	return s;
}

/* p[0..n) as UTF-8 text: NUL and every byte that does not start a whole
 * sequence become U+FFFD.  The caller frees it. */
static char *
clean(const char *p, size_t n, size_t *len)
{
	const unsigned char *u = (const unsigned char *)p;
	agrp_buf b = { 0 };
	size_t i = 0, k;

	agrp_buf_add(&b, "", 0);
	while (i < n) {
		k = u[i] == 0 ? 0 : agrp_utf8_len(u + i, u + n, NULL);
		if (k == 0) {
			agrp_buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			agrp_buf_add(&b, p + i, k);
			i += k;
		}
	}
	if (len != NULL)
		*len = b.n;
	return b.p;
}

/* The last line of stderr that is not blank, its first AGR_EXEC_MAX_LINE
 * bytes. */
typedef struct tail {
	char cur[AGR_EXEC_MAX_LINE], last[AGR_EXEC_MAX_LINE];
	size_t ncur, nlast;
} tail;

static void
tail_end(tail *t)
{
	size_t n = t->ncur;

	while (n > 0 && strchr(" \t\r\f\v", t->cur[n - 1]) != NULL)
		n--;
	if (n > 0) {
		memcpy(t->last, t->cur, n);
		t->nlast = n;
	}
	t->ncur = 0;
}

static void
tail_add(tail *t, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n')
			tail_end(t);
		else if (t->ncur < sizeof t->cur)
			t->cur[t->ncur++] = p[i];
}

/* 0 when path is a file this process may run, else why not (an errno). */
static int
runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	return access(path, X_OK) == 0 ? 0 : errno;
}

/* The path to run for name: relative to dir with a slash, else found in
 * PATH as execvp(3) looks (an empty entry is the current directory).
 * Returns 0 and sets *path (the caller frees it), or an errno. */
int
agrp_exec_resolve(const char *name, const char *dir, char **path)
{
	const char *list, *p, *colon;
	int rc, seen = 0;

	if (strchr(name, '/') != NULL) {
		if (name[0] == '/' || dir == NULL || dir[0] == '\0')
			*path = agrp_xstrdup(name);
		else
			*path = fmt("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
		if ((rc = runnable(*path)) != 0) {
			free(*path);
			*path = NULL;
		}
		return rc;
	}
	list = getenv("PATH");
	if (list == NULL)
		list = "/bin:/usr/bin";
	for (p = list;; p = colon + 1) {
		size_t n;

		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		*path = n == 0 ? fmt("./%s", name) : fmt("%.*s/%s", (int)n, p, name);
		rc = runnable(*path);
		if (rc == 0)
			return 0;
		free(*path);
		*path = NULL;
		if (rc == EACCES || rc == EISDIR)
			seen = rc;
		if (colon == NULL)
			break;
	}
	return seen != 0 ? seen : ENOENT;
}

/* The name of NAME=VALUE up to and with its '=' matches that of e. */
static bool
same_name(const char *a, const char *e)
{
	size_t n = (size_t)(strchr(a, '=') - a) + 1;

	return strncmp(a, e, n) == 0;
}

/* environ with spec's strings added, the last of a name winning. */
static char **
make_env(const agr_exec_spec *s)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	env = agrp_xmalloc((n + s->nenv + 1) * sizeof *env);
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;

		for (size_t j = 0; j < s->nenv && !replaced; j++)
			replaced = same_name(s->env[j], environ[i]);
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < s->nenv; j++) {
		bool later = false;

		for (size_t l = j + 1; l < s->nenv && !later; l++)
			later = same_name(s->env[j], s->env[l]);
		if (!later)
			env[k++] = (char *)s->env[j];
	}
	env[k] = NULL;
	return env;
}

const char *
agrp_signal_name(int sig, char *buf, size_t size)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (abbrev != NULL)
		snprintf(buf, size, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, size, "SIG%d", sig);
	return buf;
}

/* Takes the SIGPIPE a write just raised, unless one was pending before
 * the run (then it stays, the caller's). */
static void
eat_sigpipe(bool was_pending)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set;

	if (was_pending)
		return;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
		;
}

/* fd moved to 3 or above, so that dup2 onto 0, 1 or 2 in the child
 * never meets itself. */
static int
high_fd(int fd)
{
	int nfd;

	if (fd >= 3)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

bool
agrp_exec_pipe(int fds[2], int nonblock_end)
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	fds[0] = high_fd(fds[0]);
	fds[1] = high_fd(fds[1]);
	if (fds[0] < 0 || fds[1] < 0)
		return false;
	return fcntl(fds[nonblock_end], F_SETFL, O_NONBLOCK) == 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
result_spawn(agr_exec_result *res, const char *name, int e, long long start)
{
	char *shown = clean(name, strlen(name), NULL);

	res->status = AGR_RESULT_ERROR;
	res->error_class = "spawn";
	res->message = fmt("cannot run %s: %s", shown, strerror(e));
	res->duration_ms = (double)(agrp_now_ns() - start) / 1e6;
	free(shown);
}

/* The output as JSON: the value stdout holds, else the text of it. */
static json_t *
output_json(const char *p, size_t n)
{
	json_t *j = n > 0 ? json_loadb(p, n, JSON_DECODE_ANY, NULL) : NULL;
	char *text;
	size_t len;

	if (j != NULL)
		return j;
	if (n > 0 && p[n - 1] == '\n')
		n--;
	text = clean(p, n, &len);
	j = json_stringn(text, len);
	free(text);
	return j;
}

enum why { WHY_NONE, WHY_TIMEOUT, WHY_CANCEL, WHY_OUTPUT };

/* What one run keeps while it goes. */
typedef struct run {
	const agr_exec_spec *s;
	pid_t pid;
	int in, out, err, pidfd;
	size_t in_off, max;
	agrp_buf output;
	tail tail;
	bool pipe_pending, pass;
	bool ended, lost; /* the child is reaped; its status could not be had */
	int wstatus;
	long long reaped;
	enum why why;
	bool termed, killed;
} run;

/* Signals the whole group, only while the child is not reaped: its pid
 * then still holds the group id. */
static void
group_kill(run *r, int sig)
{
	if (!r->ended)
		kill(-r->pid, sig);
}

/* Looks whether the child ended; if so kills what is left of its group,
 * then reaps it. */
static void
look(run *r)
{
	siginfo_t si;
	int rc;

	if (r->ended)
		return;
	si.si_pid = 0;
	do
		rc = waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	while (rc < 0 && errno == EINTR);
	if (rc == 0 && si.si_pid == 0)
		return;
	if (rc == 0) {
		kill(-r->pid, SIGKILL);
		while ((rc = waitpid(r->pid, &r->wstatus, 0)) < 0 && errno == EINTR)
			;
	}
	r->lost = rc < 0;
	r->ended = true;
	r->reaped = agrp_now_ns();
}

static void
pass_on(run *r, const char *p, size_t n)
{
	while (r->pass && n > 0) {
		ssize_t w = write(r->s->stderr_fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			if (w < 0 && errno == EPIPE)
				eat_sigpipe(r->pipe_pending);
			r->pass = false;
		}
	}
}

static void
feed(run *r)
{
	const agr_exec_spec *s = r->s;
	ssize_t w = write(r->in, s->input + r->in_off, s->input_len - r->in_off);

	if (w > 0)
		r->in_off += (size_t)w;
	else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	else if (w < 0 && errno == EPIPE)
		eat_sigpipe(r->pipe_pending);
	if (w <= 0 || r->in_off == s->input_len)
		close_fd(&r->in);
}

static void
drain(run *r, int *fd, bool is_out)
{
	char buf[CHUNK];
	ssize_t n = read(*fd, buf, sizeof buf);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (!is_out)
			tail_end(&r->tail);
		close_fd(fd);
		return;
	}
	if (!is_out) {
		pass_on(r, buf, (size_t)n);
		tail_add(&r->tail, buf, (size_t)n);
	} else if (r->output.n + (size_t)n > r->max) {
		if (r->why == WHY_NONE)
			r->why = WHY_OUTPUT;
		group_kill(r, SIGKILL);
		r->killed = true;
		close_fd(fd);
	} else {
		agrp_buf_add(&r->output, buf, (size_t)n);
	}
}

static int
wait_ms(long long ns)
{
	return ns <= 0 ? 0 : ns / 1000000 + 1 > 86400000 ? 86400000 : (int)(ns / 1000000 + 1);
}

/* The loop; false (errno set) when ppoll fails for want of resources. */
static bool
go(run *r, long long start, long grace, const sigset_t *waitmask)
{
	const agr_exec_spec *s = r->s;
	long long deadline = s->timeout_ms > 0 ? start + (long long)s->timeout_ms * 1000000 : -1;
	long long kill_at = -1, drain_until = -1, g = (long long)grace * 1000000;

	for (;;) {
		struct pollfd fds[4];
		int nfds = 0, slot_in = -1, slot_out = -1, slot_err = -1, wait = -1, rc;
		long long now;
		struct timespec ts;

		look(r);
		now = agrp_now_ns();
		if (r->ended && drain_until < 0)
			drain_until = now + g;
		if (!r->ended && r->why == WHY_NONE) {
			if (s->stop != NULL && *s->stop != 0)
				r->why = WHY_CANCEL;
			else if (deadline >= 0 && now >= deadline)
				r->why = WHY_TIMEOUT;
		}
		if (!r->ended && (r->why == WHY_CANCEL || r->why == WHY_TIMEOUT) && !r->termed) {
			group_kill(r, SIGTERM);
			r->termed = true;
			kill_at = now + g;
		}
		if (!r->ended && r->termed && !r->killed && now >= kill_at) {
			group_kill(r, SIGKILL);
			r->killed = true;
		}
		if (r->ended && ((r->out < 0 && r->err < 0) || now >= drain_until))
			return true;
		if (r->ended)
			close_fd(&r->in);

		if (r->in >= 0) {
			slot_in = nfds;
			fds[nfds++] = (struct pollfd){ .fd = r->in, .events = POLLOUT };
		}
		if (r->out >= 0) {
			slot_out = nfds;
			fds[nfds++] = (struct pollfd){ .fd = r->out, .events = POLLIN };
		}
		if (r->err >= 0) {
			slot_err = nfds;
			fds[nfds++] = (struct pollfd){ .fd = r->err, .events = POLLIN };
		}
		if (!r->ended && r->pidfd >= 0)
			fds[nfds++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };

#define UPTO(t)                                                                                    \
	do {                                                                                       \
		int w_ = wait_ms((t)-now);                                                         \
		if (wait < 0 || w_ < wait)                                                         \
			wait = w_;                                                                 \
	} while (0)
		if (r->why == WHY_NONE && deadline >= 0)
			UPTO(deadline);
		if (r->termed && !r->killed)
			UPTO(kill_at);
		if (r->ended)
			UPTO(drain_until);
		if (!r->ended && r->pidfd < 0)
			UPTO(now + (r->out < 0 && r->err < 0 ? 1 : POLL_STEP_MS) * 1000000LL);
#undef UPTO
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		rc = ppoll(fds, (nfds_t)nfds, wait < 0 ? NULL : &ts, waitmask);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return false;
		if (rc == 0)
			continue;
		if (slot_in >= 0 && fds[slot_in].revents != 0)
			feed(r);
		if (slot_out >= 0 && fds[slot_out].revents != 0)
			drain(r, &r->out, true);
		if (slot_err >= 0 && fds[slot_err].revents != 0)
			drain(r, &r->err, false);
	}
}

static void
conclude(run *r, agr_exec_result *res, long long start)
{
	const agr_exec_spec *s = r->s;
	int st = r->wstatus;

	res->duration_ms = (double)(r->reaped - start) / 1e6;
	if (!r->lost && WIFEXITED(st))
		res->exit_code = WEXITSTATUS(st);
	if (!r->lost && WIFSIGNALED(st))
		res->signal = WTERMSIG(st);
	res->status = AGR_RESULT_ERROR;
	switch (r->why) {
	case WHY_OUTPUT:
		res->error_class = "output";
		res->message = fmt("output over %zu bytes", r->max);
		return;
	case WHY_TIMEOUT:
		res->status = AGR_RESULT_TIMEOUT;
		res->error_class = "timeout";
		res->message = fmt("no answer in %ld ms", s->timeout_ms);
		return;
	case WHY_CANCEL:
		res->error_class = "cancel";
		res->message = agrp_xstrdup("cancelled");
		return;
	case WHY_NONE:
		break;
	}
	if (r->lost) {
		res->error_class = "exit";
		res->message = agrp_xstrdup("exit status lost (SIGCHLD ignored?)");
		return;
	}
	if (WIFSIGNALED(st)) {
		char name[AGRP_SIGNAME_SIZE], *last = clean(r->tail.last, r->tail.nlast, NULL);

		res->error_class = "signal";
		res->message =
		    fmt("killed by %s%s%s", agrp_signal_name(res->signal, name, sizeof name),
		        last[0] ? ": " : "", last);
		free(last);
		return;
	}
	res->output = output_json(r->output.p != NULL ? r->output.p : "", r->output.n);
	if (res->exit_code == 0) {
		res->status = AGR_RESULT_OK;
		return;
	}
	res->error_class = "exit";
	res->message = r->tail.nlast > 0 ? clean(r->tail.last, r->tail.nlast, NULL)
	                                 : fmt("exit %d", res->exit_code);
}

/* SIGCHLD ignored (SIG_IGN, or SA_NOCLDWAIT, say left so by a parent
 * across exec) would have the kernel reap the child before its status is
 * read: set back to its default, the handler kept. */
static void
own_children(void)
{
	struct sigaction sa;

	if (sigaction(SIGCHLD, NULL, &sa) != 0)
		return;
	if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
		sa.sa_handler = SIG_DFL;
	else if (!(sa.sa_flags & SA_NOCLDWAIT))
		return;
	sa.sa_flags &= ~SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
}

static bool
bad_spec(const agr_exec_spec *s, agr_error *err)
{
	if (s->argv == NULL || s->argc == 0 || s->argv[0] == NULL || s->argv[0][0] == '\0') {
		agrp_error_set(err, NULL, 0, 0, "exec: no program to run");
		return true;
	}
	for (size_t i = 1; i < s->argc; i++)
		if (s->argv[i] == NULL) {
			agrp_error_set(err, NULL, 0, 0, "exec: argument %zu is NULL", i);
			return true;
		}
	for (size_t i = 0; i < s->nenv; i++)
		if (s->env == NULL || s->env[i] == NULL || s->env[i][0] == '=' ||
		    strchr(s->env[i], '=') == NULL) {
			agrp_error_set(err, NULL, 0, 0,
			               "exec: environment string %zu is not NAME=VALUE", i);
			return true;
		}
	if (s->timeout_ms < 0 || s->grace_ms < 0) {
		agrp_error_set(err, NULL, 0, 0, "exec: a negative time");
		return true;
	}
	if (s->input == NULL && s->input_len > 0) {
		agrp_error_set(err, NULL, 0, 0, "exec: input length without input");
		return true;
	}
	return false;
}

int
agrp_exec_spawn(pid_t *pid, const char *path, char *const argv[], char *const env[], int in,
                int out, int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	if (err >= 0)
		posix_spawn_file_actions_adddup2(&fa, err, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	sigfillset(&def);
	sigdelset(&def, SIGKILL);
	sigdelset(&def, SIGSTOP);
	posix_spawnattr_setsigdefault(&attr, &def);
	rc = posix_spawn(pid, path, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

bool
agr_exec_run(const agr_exec_spec *s, agr_exec_result *res, agr_error *err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, rc, e = 0;
	long grace = s->grace_ms > 0 ? s->grace_ms : AGR_EXEC_GRACE_MS;
	sigset_t all, old, waitmask, pending;
	char *path = NULL, **argv = NULL, **env = NULL;
	long long start = agrp_now_ns();
	run r = { .s = s, .in = -1, .out = -1, .err = -1, .pidfd = -1, .pass = s->stderr_fd >= 0 };
	bool ok = true;

	memset(res, 0, sizeof *res);
	res->exit_code = -1;
	if (bad_spec(s, err))
		return false;
	r.max = s->max_output > 0 ? s->max_output : AGR_EXEC_MAX_OUTPUT;
	if (s->stop != NULL && *s->stop != 0) { /* asked to stop already: nothing is run */
		res->error_class = "cancel";
		res->status = AGR_RESULT_ERROR;
		res->message = agrp_xstrdup("cancelled");
		return true;
	}
	own_children();
	if ((rc = agrp_exec_resolve(s->argv[0], s->dir, &path)) != 0) {
		result_spawn(res, s->argv[0], rc, start);
		return true;
	}
	if (!agrp_exec_pipe(pin, 1) || !agrp_exec_pipe(pout, 0) || !agrp_exec_pipe(perr, 0)) {
		agrp_error_set(err, NULL, 0, 0, "exec: pipe: %s", strerror(errno));
		close_fd(&pin[0]), close_fd(&pin[1]), close_fd(&pout[0]);
		close_fd(&pout[1]), close_fd(&perr[0]), close_fd(&perr[1]);
		free(path);
		return false;
	}
	argv = agrp_xmalloc((s->argc + 1) * sizeof *argv);
	argv[0] = path;
	for (size_t i = 1; i < s->argc; i++)
		argv[i] = (char *)s->argv[i];
	argv[s->argc] = NULL;
	env = make_env(s);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sigpending(&pending);
	r.pipe_pending = sigismember(&pending, SIGPIPE) == 1;
	waitmask = old;
	sigaddset(&waitmask, SIGPIPE);

	start = agrp_now_ns();
	rc = agrp_exec_spawn(&r.pid, path, argv, env, pin[0], pout[1], perr[1]);
	close_fd(&pin[0]), close_fd(&pout[1]), close_fd(&perr[1]);
	r.in = pin[1], r.out = pout[0], r.err = perr[0];
	if (rc != 0) {
		result_spawn(res, s->argv[0], rc, start);
		goto out;
	}
#ifdef SYS_pidfd_open
	if (!RUNNING_ON_VALGRIND)
		r.pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0);
	if (r.pidfd >= 0)
		fcntl(r.pidfd, F_SETFD, FD_CLOEXEC);
#endif
	if (s->input_len == 0)
		close_fd(&r.in);
	if (!go(&r, start, grace, &waitmask)) {
		e = errno;
		group_kill(&r, SIGKILL);
		while (!r.ended) {
			look(&r);
			usleep(1000);
		}
		agrp_error_set(err, NULL, 0, 0, "exec: ppoll: %s", strerror(e));
		ok = false;
	} else {
		conclude(&r, res, start);
	}
out:
	close_fd(&r.in), close_fd(&r.out), close_fd(&r.err), close_fd(&r.pidfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(r.output.p);
	free(path);
	free(argv);
	free(env);
	return ok;
}

bool
agrp_wait_ms(double ms, const volatile sig_atomic_t *stop)
{
	/* at most a year: a longer wait is one that never ends, and fits */
	long long until = agrp_now_ns() + (long long)((ms < 3.2e10 ? ms : 3.2e10) * 1e6);
	sigset_t all, old;
	bool stopped;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (!(stopped = stop != NULL && *stop != 0)) {
		long long left = until - agrp_now_ns();
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		ppoll(NULL, 0, &ts, &old);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return !stopped;
}

void
agr_exec_result_free(agr_exec_result *res)
{
	if (res == NULL)
		return;
	free(res->message);
	json_decref(res->output);
	memset(res, 0, sizeof *res);
	res->exit_code = -1;
}

/* ---- what tools leave behind --------------------------------------- */

bool
agr_exec_adopt_orphans(void)
{
#ifdef PR_SET_CHILD_SUBREAPER
	return prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == 0;
#else
	return false;
#endif
}

/* Kills the children /proc lists for one of this process's threads (a
 * file of pids, separated by spaces). */
static void
kill_children(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid;

	if (f == NULL)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

void
agr_exec_end_orphans(void)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	pid_t p;

	/* A kill may hand this process more orphans (the children of the
	 * killed), and the killed take a moment to end: again until no child
	 * is left, for a second at most. */
	for (int round = 0; round < 1000; round++) {
		if ((d = opendir("/proc/self/task")) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "/proc/self/task/%.20s/children",
				         e->d_name);
				kill_children(path);
			}
			closedir(d);
		}
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
			;
		if (p < 0) /* ECHILD: none left */
			return;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
}
