/* util.c - errors, allocation, costs, record writing. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_int.h"

void
agrp_error_set(agr_error *err, const char *source, long line, long column, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	if (source != NULL)
		snprintf(err->source, sizeof err->source, "%s", source);
	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
}

void
agr_error_print(const agr_error *err, const char *prog)
{
	fprintf(stderr, "%s: ", prog);
	if (err->source[0] != '\0') {
		fputs(err->source, stderr);
		if (err->line > 0)
			fprintf(stderr, ":%ld", err->line);
		if (err->line > 0 && err->column > 0)
			fprintf(stderr, ":%ld", err->column);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s\n", err->text);
}

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

bool
agr_cost_from_double(double value, agr_cost *out)
{
	if (!isfinite(value) || value < 0 || value > (double)AGR_COST_MAX / AGR_COST_SCALE)
		return false;
	*out = (agr_cost)llround(value * AGR_COST_SCALE);
	return true;
}

double
agr_cost_to_double(agr_cost cost)
{
	return (double)cost / AGR_COST_SCALE;
}

bool
agr_write_json(FILE *out, const json_t *obj)
{
	if (json_dumpf(obj, out, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0)
		return false;
	return putc('\n', out) != EOF;
}

json_t *
agrp_json_without(const json_t *obj, const char *const *keys, size_t n)
{
	json_t *r, *v;
	const char *key;

	if (!json_is_object(obj))
		return NULL;
	r = json_object();
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i = 0;

		while (i < n && strcmp(key, keys[i]) != 0)
			i++;
		if (i == n)
			json_object_set(r, key, v);
	}
	if (json_object_size(r) == 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

const char *
agr_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- byte buffers that write JSON as jansson does ------------------ */

void
agrp_buf_str(agrp_buf *b, const char *s)
{
	agrp_buf_add(b, s, strlen(s));
}

void
agrp_buf_json_string(agrp_buf *b, const char *s)
{
	const char *run = s;

	agrp_buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		agrp_buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			agrp_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			agrp_buf_add(b, "\\\\", 2);
			break;
		case '\b':
			agrp_buf_add(b, "\\b", 2);
			break;
		case '\f':
			agrp_buf_add(b, "\\f", 2);
			break;
		case '\n':
			agrp_buf_add(b, "\\n", 2);
			break;
		case '\r':
			agrp_buf_add(b, "\\r", 2);
			break;
		case '\t':
			agrp_buf_add(b, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			agrp_buf_add(b, esc, 6);
		}
	}
	agrp_buf_add(b, run, (size_t)(s - run));
	agrp_buf_add(b, "\"", 1);
}

void
agrp_buf_json_real(agrp_buf *b, double v)
{
	char s[40], *e;

	/* jansson's form: %.15g, a ".0" on whole numbers, no '+' or leading
	 * zeros in the exponent. */
	snprintf(s, sizeof s, "%.15g", v);
	if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL)
		strcat(s, ".0");
	if ((e = strchr(s, 'e')) != NULL) {
		char *from = e + 1, *to = e + 1;

		if (*from == '-')
			from++, to++;
		else if (*from == '+')
			from++;
		while (*from == '0' && from[1] != '\0')
			from++;
		memmove(to, from, strlen(from) + 1);
	}
	agrp_buf_str(b, s);
}

void
agrp_buf_json_int(agrp_buf *b, long long v)
{
	char s[24], *p = s + sizeof s;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	/* By hand: records are written by the million, and printf is slow. */
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	agrp_buf_add(b, p, (size_t)(s + sizeof s - p));
}

static int
buf_dump_cb(const char *p, size_t n, void *ctx)
{
	agrp_buf_add(ctx, p, n);
	return 0;
}

void
agrp_buf_json(agrp_buf *b, const json_t *v)
{
	json_dump_callback(v, buf_dump_cb, b,
	                   JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
}
