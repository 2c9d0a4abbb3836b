/*
 * live_int.h - what the files of lib/live/ share.
 */
#ifndef AGRAPH_LIVE_INT_H
#define AGRAPH_LIVE_INT_H

#include <stddef.h>

/* Room for any name agrp_signal_name() gives, with its NUL. */
#define AGRP_SIGNAME_SIZE 32

/* The name of signal sig in buf (size bytes), returned: "SIGSEGV", as
 * sigabbrev_np(3) knows it; a real-time signal as "SIGRTMIN+3"; any
 * other number as "SIG99". */
const char *agrp_signal_name(int sig, char *buf, size_t size);

#endif
