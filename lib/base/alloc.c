/* alloc.c - allocation that never returns NULL, and growing buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"

static void
out_of_memory(size_t n)
{
	fprintf(stderr, "agraph: out of memory (%zu bytes)\n", n);
	exit(2);
}

void *
agrp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
agrp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
agrp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *
agrp_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(agrp_xmalloc(n), s, n);
}

void
agrp_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	size_t n = *cap ? *cap : 8;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = agrp_xrealloc(*p, n * elem);
	*cap = n;
}

void
agrp_buf_str(agrp_buf *b, const char *s)
{
	agrp_buf_add(b, s, strlen(s));
}
