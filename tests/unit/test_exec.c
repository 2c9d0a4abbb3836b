/*
 * test_exec.c - the process runner with real child processes, the tool
 * programs of tests/tools/: output as JSON or text, exits, signals,
 * programs that cannot run, arguments and environment as given, tools
 * that do not read their input, print without end or in pieces, ignore
 * SIGTERM past a timeout, leave children behind; a cancel; and after
 * every run no zombie, the signal mask as it was, no SIGPIPE pending.
 * Runs from the top of the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
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

#include "agraph.h"
#include "tap.h"

#define TOOLS "tests/tools"

static sigset_t mask0;

/* Runs argv (NULL-terminated) in tests/tools with the rest of spec as
 * given (argv, argc and dir set here), then checks what every run must
 * leave: no child, the mask as it was, no SIGPIPE pending. */
static bool
run(agr_exec_spec *spec, const char *const *argv, agr_exec_result *res, const char *what)
{
	agr_error err;
	sigset_t now, pending;
	pid_t w;
	bool ran, same_mask = true;

	spec->argv = argv;
	for (spec->argc = 0; argv[spec->argc] != NULL; spec->argc++)
		;
	if (spec->dir == NULL)
		spec->dir = TOOLS;
	ran = agr_exec_run(spec, res, &err);
	if (!ran)
		diag("%s: %s", what, err.text);
	w = waitpid(-1, NULL, WNOHANG);
	ok(w == 0 || (w < 0 && errno == ECHILD), "%s: no zombie (waitpid %d)", what, (int)w);
	sigprocmask(SIG_BLOCK, NULL, &now);
	sigpending(&pending);
	for (int sig = 1; sig < NSIG; sig++)
		same_mask = same_mask && sigismember(&now, sig) == sigismember(&mask0, sig);
	ok(same_mask && !sigismember(&pending, SIGPIPE),
	   "%s: signal mask restored, no SIGPIPE pending", what);
	return ran;
}

static bool
is_class(const agr_exec_result *res, const char *cls)
{
	return cls == NULL ? res->error_class == NULL
	                   : res->error_class != NULL && strcmp(res->error_class, cls) == 0;
}

static bool
is_text(const json_t *j, const char *s, size_t n)
{
	return json_is_string(j) && json_string_length(j) == n &&
	       memcmp(json_string_value(j), s, n) == 0;
}

static bool
msg_is(const agr_exec_result *res, const char *s)
{
	return res->message != NULL && strcmp(res->message, s) == 0;
}

/* Whether pid is gone (or a zombie waiting for init): not running. */
static bool
gone(pid_t pid)
{
	char path[64], buf[512];
	int fd;
	ssize_t n;
	const char *rp;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return true;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && (rp[2] == 'Z' || rp[2] == 'X');
}

static bool
gone_soon(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		if (gone(pid))
			return true;
		usleep(10000);
	}
	return false;
}

static pid_t
read_pid(const char *file)
{
	FILE *f = fopen(file, "r");
	int pid = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
main(void)
{
	agr_exec_spec sp;
	agr_exec_result res;
	char *big, pidfile[] = "/tmp/agraph-exec-XXXXXX";
	int fd;
	pid_t pid;
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	sigprocmask(SIG_BLOCK, NULL, &mask0);
	fd = mkstemp(pidfile);
	close(fd);

	/* JSON output, with the input delivered on stdin. */
	{
		static const char *const argv[] = { "./json.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "json");
		ok(res.status == AGR_RESULT_OK && is_class(&res, NULL) && res.message == NULL &&
		       res.exit_code == 0 && res.signal == 0,
		   "json: status ok, exit 0");
		ok(json_is_object(res.output) && json_is_true(json_object_get(res.output, "ok")) &&
		       json_integer_value(json_object_get(res.output, "n")) == 2,
		   "json: output is the JSON value");
		ok(res.duration_ms > 0 && res.duration_ms < 5000, "json: duration %.3f ms",
		   res.duration_ms);
		agr_exec_result_free(&res);
	}
	{
		static const char *const argv[] = { "./echo.sh", NULL };
		static const char rec[] = "{\"kind\": \"call\", \"tool\": \"CRM\"}\n";

		sp = (agr_exec_spec){ .stderr_fd = -1, .input = rec, .input_len = sizeof rec - 1 };
		run(&sp, argv, &res, "stdin");
		ok(res.status == AGR_RESULT_OK &&
		       json_is_string(json_object_get(res.output, "tool")) &&
		       strcmp(json_string_value(json_object_get(res.output, "tool")), "CRM") == 0,
		   "stdin: the call record arrives, then EOF");
		agr_exec_result_free(&res);
	}
	/* Full duplex: 512 KiB in and out again, neither side blocks. */
	{
		static const char *const argv[] = { "./echo.sh", NULL };
		size_t n = 512 * 1024;

		big = malloc(n);
		memset(big, 'x', n);
		sp = (agr_exec_spec){ .stderr_fd = -1, .input = big, .input_len = n };
		run(&sp, argv, &res, "echo 512 KiB");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, big, n),
		   "echo 512 KiB: all of it back as text");
		agr_exec_result_free(&res);
		free(big);
	}
	/* Text, one trailing newline removed; bad UTF-8 and NUL replaced. */
	{
		static const char *const argv[] = { "./text.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "text");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, "hello world", 11),
		   "text: a string without its trailing newline");
		agr_exec_result_free(&res);
	}
	{
		static const char *const argv[] = { "./badutf8.sh", NULL };
		static const char want[] = "a\xef\xbf\xbd"
		                           "b\xef\xbf\xbd\xef\xbf\xbd"
		                           "c";

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "bad utf-8");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, want, sizeof want - 1),
		   "bad utf-8: each bad byte and the NUL a U+FFFD (%s)",
		   json_is_string(res.output) ? json_string_value(res.output) : "?");
		agr_exec_result_free(&res);
	}
	/* Exit 3: the last line of stderr that is not blank. */
	{
		static const char *const argv[] = { "./fail.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "exit 3");
		ok(res.status == AGR_RESULT_ERROR && is_class(&res, "exit") && res.exit_code == 3 &&
		       msg_is(&res, "card declined"),
		   "exit 3: class exit, code 3, message '%s'", res.message ? res.message : "");
		ok(is_text(res.output, "", 0), "exit 3: empty stdout is \"\"");
		agr_exec_result_free(&res);
	}
	/* stderr passed through to the fd given. */
	{
		static const char *const argv[] = { "./fail.sh", NULL };
		FILE *tmp = tmpfile();
		char got[256] = "";
		size_t n;

		sp = (agr_exec_spec){ .stderr_fd = fileno(tmp) };
		run(&sp, argv, &res, "stderr passed on");
		rewind(tmp);
		n = fread(got, 1, sizeof got - 1, tmp);
		got[n] = '\0';
		ok(strcmp(got, "first try\ncard declined\n  \n") == 0, "stderr passed on whole");
		fclose(tmp);
		agr_exec_result_free(&res);
	}
	/* Killed by a signal. */
	{
		static const char *const argv[] = { "./die.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "signal");
		ok(res.status == AGR_RESULT_ERROR && is_class(&res, "signal") &&
		       res.signal == SIGUSR1 && res.exit_code == -1 &&
		       msg_is(&res, "killed by SIGUSR1: about to die") && res.output == NULL,
		   "signal: class signal, named: '%s'", res.message ? res.message : "");
		agr_exec_result_free(&res);
	}
	/* Programs that cannot run. */
	{
		static const char *const missing[] = { "./no-such-tool.sh", NULL };
		static const char *const bare[] = { "agraph-no-such-tool-anywhere", NULL };
		static const char *const noexec[] = { "./noexec.sh", NULL };
		static const char *const dir[] = { "./", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, missing, &res, "missing");
		ok(res.status == AGR_RESULT_ERROR && is_class(&res, "spawn") &&
		       res.message != NULL && strstr(res.message, "No such file") != NULL,
		   "missing program: class spawn: '%s'", res.message ? res.message : "");
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, bare, &res, "missing in PATH");
		ok(is_class(&res, "spawn"), "missing in PATH: class spawn");
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, noexec, &res, "not executable");
		ok(is_class(&res, "spawn") && strstr(res.message, "Permission denied") != NULL,
		   "not executable: class spawn: '%s'", res.message ? res.message : "");
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, dir, &res, "a directory");
		ok(is_class(&res, "spawn"), "a directory: class spawn: '%s'",
		   res.message ? res.message : "");
		agr_exec_result_free(&res);
	}
	/* A file without a #! line is no shell script: it cannot run. */
	{
		char script[] = "/tmp/agraph-exec-noshebang-XXXXXX";
		const char *const argv[] = { script, NULL };

		fd = mkstemp(script);
		ok(fd >= 0 && write(fd, "touch PWNED\n", 12) == 12 && fchmod(fd, 0755) == 0,
		   "no #!: a script made");
		close(fd);
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "no #!");
		ok((is_class(&res, "spawn") ||
		    (RUNNING_ON_VALGRIND && is_class(&res, "exit") && res.exit_code == 127)) &&
		       access("PWNED", F_OK) != 0,
		   "no #!: class spawn, no shell ran it: '%s'", res.message ? res.message : "");
		agr_exec_result_free(&res);
		unlink(script);
	}
	/* A bare name found in PATH; a path relative to the folder given. */
	{
		static const char *const argv[] = { "printf", "%s", "from PATH", NULL };
		static const char *const rel[] = { "tools/json.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "PATH");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, "from PATH", 9),
		   "PATH: a bare name is looked up");
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){ .stderr_fd = -1, .dir = "tests/" };
		run(&sp, rel, &res, "relative");
		ok(res.status == AGR_RESULT_OK && json_is_object(res.output),
		   "relative: to the folder given");
		agr_exec_result_free(&res);
	}
	/* Arguments arrive literally: no shell. */
	{
		static const char *const argv[] = { "./args.sh", "$(touch PWNED)",
			                            "a b",       "`touch PWNED`",
			                            "*",         NULL };
		static const char want[] = "$(touch PWNED)\na b\n`touch PWNED`\n*";

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "args");
		ok(is_text(res.output, want, sizeof want - 1), "args: arrive literally");
		ok(access("PWNED", F_OK) != 0 && access(TOOLS "/PWNED", F_OK) != 0,
		   "args: no file PWNED");
		agr_exec_result_free(&res);
	}
	/* No file descriptor of the caller's reaches the tool but 0, 1, 2. */
	{
		/* ls's own: 0 1 2 and the folder it reads, 3, the lowest free
		 * (a pipe between two processes of the shell would race) */
		static const char *const argv[] = { "sh", "-c", "exec ls /proc/self/fd", NULL };
		int leak[2];

		ok(pipe(leak) == 0, "fds: a pipe without close-on-exec");
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "fds");
		ok(is_text(res.output, "0\n1\n2\n3", 7), "fds: only 0 1 2 (%s)",
		   json_is_string(res.output) ? json_string_value(res.output) : "?");
		agr_exec_result_free(&res);
		close(leak[0]);
		close(leak[1]);
	}
	/* The environment: added and replaced. */
	{
		static const char *const argv[] = { "./env.sh", NULL };
		static const char *const env[] = { "AGRAPH_TRACE=t-1", "AGRAPH_TOOL=CRM",
			                           "AGRAPH_CALL=c3",   "AGRAPH_ATTEMPT=1",
			                           "HOME=/nowhere",    "AGRAPH_ATTEMPT=2" };
		static const char want[] = "t-1|CRM|c3|2|/nowhere";

		sp = (agr_exec_spec){ .stderr_fd = -1, .env = env, .nenv = 6 };
		run(&sp, argv, &res, "env");
		ok(is_text(res.output, want, sizeof want - 1), "env: the variables arrive (%s)",
		   json_is_string(res.output) ? json_string_value(res.output) : "?");
		agr_exec_result_free(&res);
	}
	/* 1 MiB of input to tools that never read it or close stdin at once. */
	{
		static const char *const noread[] = { "./noread.sh", NULL };
		static const char *const closein[] = { "./closein.sh", NULL };
		size_t n = (size_t)1 << 20;

		big = malloc(n);
		memset(big, '{', n);
		sp = (agr_exec_spec){
			.stderr_fd = -1, .input = big, .input_len = n, .timeout_ms = 5000
		};
		run(&sp, noread, &res, "never reads");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, "done", 4),
		   "never reads 1 MiB: ok, no SIGPIPE");
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){
			.stderr_fd = -1, .input = big, .input_len = n, .timeout_ms = 5000
		};
		run(&sp, closein, &res, "closes stdin");
		ok(res.status == AGR_RESULT_OK && is_text(res.output, "closed", 6),
		   "closes stdin at once: ok");
		agr_exec_result_free(&res);
		free(big);
	}
	/* Endless output: bounded, quick, flat memory. */
	{
		static const char *const argv[] = { "./flood.sh", NULL };
		long before = maxrss_kb();

		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "flood");
		ok(res.status == AGR_RESULT_ERROR && is_class(&res, "output") &&
		       msg_is(&res, "output over 1048576 bytes") && res.output == NULL,
		   "flood: class output: '%s'", res.message ? res.message : "");
		ok(res.duration_ms < 3000, "flood: ends quickly (%.0f ms)", res.duration_ms);
		agr_exec_result_free(&res);
		sp = (agr_exec_spec){ .stderr_fd = -1, .max_output = 10 };
		run(&sp, argv, &res, "flood 10");
		ok(is_class(&res, "output") && msg_is(&res, "output over 10 bytes"),
		   "flood: the bound given");
		agr_exec_result_free(&res);
		ok(maxrss_kb() - before < 16 * 1024, "flood: memory flat (%ld KiB more)",
		   maxrss_kb() - before);
	}
	/* Output in pieces over time. */
	{
		static const char *const argv[] = { "./pieces.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1, .timeout_ms = 5000 };
		run(&sp, argv, &res, "pieces");
		ok(res.status == AGR_RESULT_OK &&
		       json_array_size(json_object_get(res.output, "a")) == 2,
		   "pieces: one JSON value");
		ok(res.duration_ms >= 350, "pieces: waited for all (%.0f ms)", res.duration_ms);
		agr_exec_result_free(&res);
	}
	/* Timeout: SIGTERM ignored, SIGKILL after the grace. */
	{
		static const char *const argv[] = { "./stubborn.sh", NULL };

		size_t n = (size_t)1 << 20;

		/* and 1 MiB of input it never reads: the write must not block */
		big = calloc(1, n);
		sp = (agr_exec_spec){ .stderr_fd = -1,
			              .timeout_ms = 300,
			              .grace_ms = 200,
			              .input = big,
			              .input_len = n };
		run(&sp, argv, &res, "stubborn");
		free(big);
		ok(res.status == AGR_RESULT_TIMEOUT && is_class(&res, "timeout") &&
		       res.signal == SIGKILL && msg_is(&res, "no answer in 300 ms"),
		   "stubborn: timeout, killed by SIGKILL (signal %d, '%s')", res.signal,
		   res.message ? res.message : "");
		ok(res.duration_ms >= 490 && res.duration_ms < 3000,
		   "stubborn: after timeout and grace (%.0f ms)", res.duration_ms);
		agr_exec_result_free(&res);
	}
	/* Timeout leaving a grandchild that ignores SIGTERM in the group. */
	{
		const char *const argv[] = { "./grandchild.sh", pidfile, NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1, .timeout_ms = 300 };
		run(&sp, argv, &res, "grandchild");
		pid = read_pid(pidfile);
		ok(res.status == AGR_RESULT_TIMEOUT, "grandchild: timeout");
		ok(pid > 0 && gone_soon(pid), "grandchild: gone afterwards (pid %d)", (int)pid);
		ok(res.duration_ms < 1500, "grandchild: no wait for its grace (%.0f ms)",
		   res.duration_ms);
		agr_exec_result_free(&res);
	}
	/* Exit 0 leaving a child in the group holding stdout. */
	{
		const char *const argv[] = { "./bgchild.sh", pidfile, NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1, .timeout_ms = 10000 };
		run(&sp, argv, &res, "bgchild");
		pid = read_pid(pidfile);
		ok(res.status == AGR_RESULT_OK && json_is_object(res.output),
		   "bgchild: ok with its output");
		ok(res.duration_ms < 1000, "bgchild: ends at once (%.0f ms)", res.duration_ms);
		ok(pid > 0 && gone_soon(pid), "bgchild: its child is gone (pid %d)", (int)pid);
		agr_exec_result_free(&res);
	}
	/* ... and a child outside the group: the wait for EOF is bounded. */
	if (access("/usr/bin/setsid", X_OK) == 0) {
		const char *const argv[] = { "./escape.sh", pidfile, NULL };
		long long t0;
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		sp = (agr_exec_spec){ .stderr_fd = -1, .timeout_ms = 10000, .grace_ms = 100 };
		run(&sp, argv, &res, "escape");
		clock_gettime(CLOCK_MONOTONIC, &ts);
		pid = read_pid(pidfile);
		ok(res.status == AGR_RESULT_OK && json_is_object(res.output),
		   "escape: ok with its output");
		ok((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - t0 < 1000,
		   "escape: the run ends within the grace");
		if (pid > 0)
			kill(pid, SIGKILL);
		agr_exec_result_free(&res);
	}
	/* Cancel: a signal handler sets the flag. */
	{
		static const char *const argv[] = { "./stubborn.sh", NULL };
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = { .it_value = { 0, 200000 } };

		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		sp = (agr_exec_spec){ .stderr_fd = -1, .stop = &stop_flag, .grace_ms = 100 };
		run(&sp, argv, &res, "cancel");
		ok(res.status == AGR_RESULT_ERROR && is_class(&res, "cancel") &&
		       res.signal == SIGKILL,
		   "cancel: class cancel, the group killed");
		ok(res.duration_ms >= 250 && res.duration_ms < 2000, "cancel: soon (%.0f ms)",
		   res.duration_ms);
		agr_exec_result_free(&res);
	}
	/* Asked to stop before it starts: nothing runs. */
	{
		static const char *const argv[] = { "./stubborn.sh", NULL };

		sp = (agr_exec_spec){ .stderr_fd = -1, .stop = &stop_flag };
		run(&sp, argv, &res, "stopped before");
		ok(is_class(&res, "cancel") && res.duration_ms == 0 && res.exit_code == -1,
		   "stopped before: class cancel, nothing run");
		agr_exec_result_free(&res);
	}
	/* SIGCHLD ignored (as a parent may leave it, across exec): the tool
	 * would be reaped before its status is read; the runner puts it back. */
	{
		static const char *const argv[] = { "./fail.sh", NULL };
		struct sigaction ign = { .sa_handler = SIG_IGN }, now;

		sigaction(SIGCHLD, &ign, NULL);
		sp = (agr_exec_spec){ .stderr_fd = -1 };
		run(&sp, argv, &res, "SIGCHLD ignored");
		ok(is_class(&res, "exit") && res.exit_code != -1,
		   "SIGCHLD ignored: the exit status is had (exit %d, '%s')", res.exit_code,
		   res.message ? res.message : "");
		sigaction(SIGCHLD, NULL, &now);
		ok(now.sa_handler == SIG_DFL, "SIGCHLD ignored: now at its default");
		agr_exec_result_free(&res);
	}
	/* Caller's mistakes. */
	{
		static const char *const empty[] = { "", NULL };
		static const char *const argv[] = { "./json.sh", NULL };
		static const char *const env[] = { "NOEQUALS" };
		agr_error err;

		sp = (agr_exec_spec){ .argv = empty, .argc = 1, .stderr_fd = -1 };
		ok(!agr_exec_run(&sp, &res, &err), "an empty program name is a mistake");
		sp = (agr_exec_spec){
			.argv = argv, .argc = 1, .env = env, .nenv = 1, .stderr_fd = -1
		};
		ok(!agr_exec_run(&sp, &res, &err) && strstr(err.text, "NAME=VALUE") != NULL,
		   "an env string without = is a mistake");
	}
	/* Where a graph's relative programs are. */
	{
		static const char *const dirs[][2] = {
			{ "examples/shop.yaml", "examples" },
			{ "shop.yaml", "." },
			{ "/shop.yaml", "/" },
			{ "/a/b/g.yaml", "/a/b" },
		};
		int bad = 0;

		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
			char *d = agr_router_exec_dir(dirs[i][0]);

			bad += d == NULL || strcmp(d, dirs[i][1]) != 0;
			free(d);
		}
		ok(bad == 0, "agr_router_exec_dir: the graph file's folder, '.' or '/'");
	}
	unlink(pidfile);
	return done_testing();
}
