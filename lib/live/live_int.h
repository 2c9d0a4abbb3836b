/*
 * live_int.h - what the files of lib/live/ share.
 */
#ifndef AGRAPH_LIVE_INT_H
#define AGRAPH_LIVE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Room for any name agrp_signal_name() gives, with its NUL. */
#define AGRP_SIGNAME_SIZE 32

/* The name of signal sig in buf (size bytes), returned: "SIGSEGV", as
 * sigabbrev_np(3) knows it; a real-time signal as "SIGRTMIN+3"; any
 * other number as "SIG99". */
const char *agrp_signal_name(int sig, char *buf, size_t size);

/* Waits ms milliseconds, or less when *stop (stop not NULL) is or becomes
 * not 0, as agr_exec_run() sees it: every signal blocked but while it
 * waits in ppoll(2), so that a handler that sets *stop is never missed.
 * False when it was stopped. */
/* A pipe, close-on-exec, both ends at 3 or above (so that dup2 onto 0,
 * 1 or 2 in a child never meets them), fds[nonblock_end] non-blocking.
 * False, with errno, when it cannot be made. */
bool agrp_exec_pipe(int fds[2], int nonblock_end);

/* Starts path (argv, env) in a process group of its own, every signal
 * as a new program has it, in, out and err (-1: ours) as its standard
 * input, output and error, nothing else open.  0 or an errno. */
int agrp_exec_spawn(pid_t *pid, const char *path, char *const argv[], char *const env[], int in,
                    int out, int err);

/* CLOCK_MONOTONIC in nanoseconds. */
long long agrp_now_ns(void);

/* The path to run for name: relative to dir (NULL: here) when it has a
 * slash, else found in PATH as execvp(3) looks.  0 and *path (the
 * caller's), or an errno. */
int agrp_exec_resolve(const char *name, const char *dir, char **path);

bool agrp_wait_ms(double ms, const volatile sig_atomic_t *stop);

#endif
