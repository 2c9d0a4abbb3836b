/*
 * live_int.h - what the files of lib/live/ share.
 */
#ifndef AGRAPH_LIVE_INT_H
#define AGRAPH_LIVE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for any name agrp_signal_name() gives, with its NUL. */
#define AGRP_SIGNAME_SIZE 32

/* The name of signal sig in buf (size bytes), returned: "SIGSEGV", as
 * sigabbrev_np(3) knows it; a real-time signal as "SIGRTMIN+3"; any
 * other number as "SIG99". */
const char *agrp_signal_name(int sig, char *buf, size_t size);

/* Waits ms milliseconds, or less once *stop (may be NULL) is not 0, as
 * agr_exec_run() notices a stop: false when it was asked to stop.  For the
 * waits the run makes without a tool (a retry's backoff, an injected
 * latency or timeout). */
bool agrp_live_sleep(long ms, const volatile sig_atomic_t *stop);

#endif
