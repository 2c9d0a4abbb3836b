/*
 * write.c - records written as jansson writes them: through jansson, or
 * straight into bytes with the same result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"

bool
agr_write_json(FILE *out, const json_t *obj)
{
	if (json_dumpf(obj, out, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0)
		return false;
	return putc('\n', out) != EOF;
}

void
agrp_write_record(agr_write_fn out, void *ctx, const json_t *rec)
{
	char *s = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));

	out(ctx, s, strlen(s));
	free(s);
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

/* One string of a validated value, from its opening quote; returns the
 * byte after its closing one.  Most escapes are jansson's own and stay;
 * \/ and \u are written as it writes what they decode to. */
static const char *
span_string(agrp_buf *b, const char *p)
{
	const char *run = p++;

	for (;;) {
		unsigned cp;
		char u[8];
		size_t n;

		p += strcspn(p, "\"\\"); /* no NUL before the closing quote */
		if (*p == '"')
			break;
		switch (p[1]) {
		case '/':
			agrp_buf_add(b, run, (size_t)(p - run));
			agrp_buf_add(b, "/", 1);
			run = p += 2;
			continue;
		case 'u':
			break;
		default: /* \" \\ \b \f \n \r \t: as jansson writes them */
			p += 2;
			continue;
		}
		agrp_buf_add(b, run, (size_t)(p - run));
		cp = (unsigned)agrp_hex4(p + 2);
		p += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			cp =
			    0x10000 + ((cp - 0xd800) << 10) + ((unsigned)agrp_hex4(p + 2) - 0xdc00);
			p += 6;
		}
		n = 0;
		switch (cp) {
		case '"':
			u[n++] = '\\', u[n++] = '"';
			break;
		case '\\':
			u[n++] = '\\', u[n++] = '\\';
			break;
		case '\b':
			u[n++] = '\\', u[n++] = 'b';
			break;
		case '\f':
			u[n++] = '\\', u[n++] = 'f';
			break;
		case '\n':
			u[n++] = '\\', u[n++] = 'n';
			break;
		case '\r':
			u[n++] = '\\', u[n++] = 'r';
			break;
		case '\t':
			u[n++] = '\\', u[n++] = 't';
			break;
		default:
			if (cp < 0x20) {
				snprintf(u, sizeof u, "\\u%04X", cp);
				n = 6;
			} else if (cp < 0x80) {
				u[n++] = (char)cp;
			} else if (cp < 0x800) {
				u[n++] = (char)(0xc0 | (cp >> 6));
				u[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				u[n++] = (char)(0xe0 | (cp >> 12));
				u[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				u[n++] = (char)(0xf0 | (cp >> 18));
				u[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[n++] = (char)(0x80 | (cp & 0x3f));
			}
		}
		agrp_buf_add(b, u, n);
		run = p;
	}
	p++;
	agrp_buf_add(b, run, (size_t)(p - run));
	return p;
}

/* A real, read as jansson reads it (strtod) and written as it writes it. */
static void
span_real(agrp_buf *b, const char *p, size_t n)
{
	char small[64], *s = n < sizeof small ? small : agrp_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	agrp_buf_json_real(b, strtod(s, NULL));
	if (s != small)
		free(s);
}

void
agrp_buf_json_span(agrp_buf *b, const char *p, size_t n)
{
	const char *end = p + n, *run = p;

	/* One pass: runs that are as jansson writes them are copied whole. */
	while (p < end) {
		char c = *p;

		if (c == '"') {
			agrp_buf_add(b, run, (size_t)(p - run));
			run = p = span_string(b, p);
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			agrp_buf_add(b, run, (size_t)(p - run));
			while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
				p++;
			run = p;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			const char *q = p;
			bool real = false;

			while (q < end && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '+' ||
			                   *q == '.' || *q == 'e' || *q == 'E')) {
				real |= *q == '.' || *q == 'e' || *q == 'E';
				q++;
			}
			/* an integer is written as it is read, but for -0 */
			if (real || (q - p == 2 && p[0] == '-' && p[1] == '0')) {
				agrp_buf_add(b, run, (size_t)(p - run));
				if (real)
					span_real(b, p, (size_t)(q - p));
				else
					agrp_buf_add(b, "0", 1);
				run = q;
			}
			p = q;
		} else {
			p++;
		}
	}
	agrp_buf_add(b, run, (size_t)(p - run));
}
