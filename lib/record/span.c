/*
 * span.c - values read by their bytes, inside records the scan (scan.c)
 * has validated: walking objects and arrays, looking up keys, decoding
 * strings.  Every value here is known to be valid JSON, so these never
 * check what the scan checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"

int
agrp_hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Past one (valid) value at p. */
static const char *
skip_value(const char *p)
{
	int depth = 0;

	do {
		switch (*p) {
		case '"':
			/* strcspn(3) goes by vector: a valid string ends at a
			 * quote, before any NUL byte (none is valid JSON) */
			for (p++; *(p += strcspn(p, "\"\\")) != '"'; p += 2)
				;
			p++;
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			depth--;
			p++;
			break;
		case ',':
		case ':':
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			p++;
			break;
		default:
			while (*p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
			       *p != '\n' && *p != '\r')
				p++;
		}
	} while (depth > 0);
	return p;
}

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static agrp_span
span_at(const char *p)
{
	const char *e = skip_value(p);
	agrp_span s = { p, (size_t)(e - p), 0, false };

	switch (*p) {
	case '"':
		s.type = 's';
		s.esc = memchr(p + 1, '\\', s.n - 2) != NULL;
		break;
	case '{':
		s.type = 'o';
		break;
	case '[':
		s.type = 'a';
		break;
	case 't':
		s.type = 't';
		break;
	case 'f':
		s.type = 'f';
		break;
	case 'n':
		s.type = '0';
		break;
	default:
		s.type = 'n';
	}
	return s;
}

bool
agrp_span_next(const agrp_span *c, size_t *cursor, agrp_span *key, agrp_span *val)
{
	const char *p = c->p + (*cursor ? *cursor : 1);

	p = ws(p);
	if (*p == ',')
		p = ws(p + 1);
	if (*p == '}' || *p == ']')
		return false;
	if (c->type == 'o') {
		*key = span_at(p);
		p = ws(p + key->n);
		p = ws(p + 1); /* the colon */
	}
	*val = span_at(p);
	*cursor = (size_t)(p + val->n - c->p);
	return true;
}

bool
agrp_span_get(const agrp_span *obj, const char *key, agrp_span *out)
{
	size_t cursor = 0, n = strlen(key);
	agrp_span k, v;

	if (obj->type != 'o')
		return false;
	while (agrp_span_next(obj, &cursor, &k, &v))
		if (agrp_span_key_is(&k, key, n)) {
			*out = v;
			return true;
		}
	return false;
}

bool
agrp_span_key_is_escaped(const agrp_span *k, const char *key, size_t n)
{
	char small[256], *buf = small;
	bool same;

	/* Decoded whole, however long: a prefix that matches is not a match. */
	if (k->n - 2 < n)
		return false;
	if (k->n + 4 > sizeof small)
		buf = agrp_xmalloc(k->n + 4);
	same = agrp_span_decode(k, buf, k->n + 4) == n && memcmp(buf, key, n) == 0;
	if (buf != small)
		free(buf);
	return same;
}

size_t
agrp_span_decode(const agrp_span *s, char *out, size_t cap)
{
	const char *p = s->p + 1, *end = s->p + s->n - 1;
	size_t n = 0;

	if (!s->esc) { /* most strings: the bytes as they are */
		n = (size_t)(end - p);
		if (n + 4 > cap)
			n = cap > 4 ? cap - 4 : 0;
		memcpy(out, p, n);
		return n;
	}
	while (p < end && n + 4 < cap) {
		if (*p != '\\') {
			out[n++] = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			unsigned cp = (unsigned)agrp_hex4(p + 2);

			if (cp >= 0xd800 && cp <= 0xdbff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     ((unsigned)agrp_hex4(p + 8) - 0xdc00);
				p += 6;
			}
			if (cp < 0x80) {
				out[n++] = (char)cp;
			} else if (cp < 0x800) {
				out[n++] = (char)(0xc0 | (cp >> 6));
				out[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				out[n++] = (char)(0xe0 | (cp >> 12));
				out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[n++] = (char)(0xf0 | (cp >> 18));
				out[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (cp & 0x3f));
			}
			p += 6;
			continue;
		}
		default:
			out[n++] = p[1];
		}
		p += 2;
	}
	return n;
}
