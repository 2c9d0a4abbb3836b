/*
 * fuzz.h - what the fuzz targets share.  Each target defines
 * LLVMFuzzerTestOneInput(); built with clang -fsanitize=fuzzer it is a
 * libFuzzer program (scripts/fuzz), built with driver.c it replays files
 * (the corpus and the regressions, in make check).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record/record_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file, for the parts that read paths: a memfd, reused. */
static inline const char *
fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}

/* The input as a NUL-terminated string (owned by the caller). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A writer that throws away. */
static inline void
fuzz_discard(void *ctx, const char *bytes, size_t len)
{
	(void)ctx;
	(void)bytes;
	(void)len;
}

/* A verdict callback that keeps nothing. */
static inline void
fuzz_ignore_verdict(void *ctx, const agr_verdict *v)
{
	(void)ctx;
	(void)v;
}

#endif
