/*
 * scan.c - JSON read in place: a validating scan of a record's bytes that
 * indexes its top-level fields (span.c reads the values it passed).
 *
 * Building a jansson tree for every record is most of the cost of reading
 * a trace, and most records are asked for three or four fields.  The scan
 * accepts exactly what the jansson reader does (UTF-8, no NUL byte, no
 * duplicate keys, integers that fit 64 bits, finite reals; \u0000 in a
 * string, as JSON_ALLOW_NUL, but not in a key), so a record it passes
 * can always be parsed into a tree when one is wanted.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "record/record_int.h"

#define MAX_DEPTH 1000

typedef struct scanner {
	const char *s, *end, *p;
	const char *err_at;
	const char *msg;
	agrp_field *fields; /* the top level's, or NULL below it */
	size_t nfields, cap;
	bool nul;     /* the last string held \u0000 */
	bool real;    /* the last number was a real */
	bool notable; /* a top-level value is a real or holds \u0000 */
	bool utf8;    /* the whole line is UTF-8: strings need not read it again */
	int isa;      /* how bulk.c reads it */
} scanner;

static bool
bad(scanner *S, const char *at, const char *msg)
{
	S->err_at = at;
	S->msg = msg;
	return false;
}

static void skip_ws_slow(scanner *S);

/* Most records have no space at all: one compare tells, inline. */
static inline void
skip_ws(scanner *S)
{
	if (S->p < S->end && (unsigned char)*S->p <= ' ')
		skip_ws_slow(S);
}

static void
skip_ws_slow(scanner *S)
{
	while (S->p < S->end && (*S->p == ' ' || *S->p == '\t' || *S->p == '\n' || *S->p == '\r'))
		S->p++;
}

/* How many bytes from p on a string may hold as they are: not a quote, a
 * backslash, a control character or a byte of a multibyte character. */
static size_t
plain_run(const char *p, const char *end)
{
	const char *q = p;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
	              space = _mm_set1_epi8(0x20);

	/* Sixteen at a time: below 0x20 as signed bytes is a control
	 * character or a byte from 0x80 up. */
	while (end - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		int look = _mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
		    _mm_cmplt_epi8(v, space)));

		if (look != 0)
			return (size_t)(q - p) + (size_t)__builtin_ctz((unsigned)look);
		q += 16;
	}
#endif
	while (q < end && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80 && *q != '"' &&
	       *q != '\\')
		q++;
	return (size_t)(q - p);
}

/* The two- and three-byte characters that most text past ASCII is, taken
 * without the general reading of agrp_utf8_len: false for any other. */
static inline bool
utf8_common(scanner *S)
{
	const unsigned char *u = (const unsigned char *)S->p;
	unsigned c;

	if (u[0] >= 0xc2 && u[0] < 0xe0 && S->end - S->p >= 2 && (u[1] & 0xc0) == 0x80) {
		S->p += 2;
		return true;
	}
	if (u[0] < 0xe0 || u[0] >= 0xf0 || S->end - S->p < 3 || (u[1] & 0xc0) != 0x80 ||
	    (u[2] & 0xc0) != 0x80)
		return false;
	c = (u[0] & 0x0fu) << 12 | (u[1] & 0x3fu) << 6 | (u[2] & 0x3fu);
	if (c < 0x800 || (c >= 0xd800 && c < 0xe000)) /* overlong, or a surrogate */
		return false;
	S->p += 3;
	return true;
}

/* A string past its first sixteen bytes, or holding what is not plain. */
static bool
scan_string_rest(scanner *S, agrp_span *out)
{
	const char *start = S->p++;
	bool esc = false;

	while (S->p < S->end && *S->p != '"') {
		unsigned char c = (unsigned char)*S->p;

		if (c >= 0x20 && c != '\\' && (c < 0x80 || S->utf8)) {
			S->p +=
			    S->utf8 ? agrp_bulk_run(S->p, S->end, S->isa) : plain_run(S->p, S->end);
			continue;
		}

		if (c < 0x20)
			return bad(S, S->p,
			           c == 0 ? "NUL byte in a string"
			                  : "control character in a string");
		if (c == '\\') {
			esc = true;
			if (S->end - S->p < 2)
				return bad(S, S->p, "unterminated string");
			switch (S->p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				S->p += 2;
				break;
			case 'u': {
				int v = S->end - S->p >= 6 ? agrp_hex4(S->p + 2) : -1;

				if (v < 0)
					return bad(S, S->p, "invalid \\u escape");
				S->nul |= v == 0; /* a string may hold it; a key may not */
				if (v >= 0xdc00 && v <= 0xdfff)
					return bad(S, S->p, "invalid Unicode surrogate");
				if (v >= 0xd800 && v <= 0xdbff) {
					int lo =
					    S->end - S->p >= 12 && S->p[6] == '\\' && S->p[7] == 'u'
					        ? agrp_hex4(S->p + 8)
					        : -1;

					if (lo < 0xdc00 || lo > 0xdfff)
						return bad(S, S->p, "invalid Unicode surrogate");
					S->p += 6;
				}
				S->p += 6;
				break;
			}
			default:
				return bad(S, S->p, "invalid escape in a string");
			}
			continue;
		}
		if (c < 0x80) {
			S->p++;
		} else if (utf8_common(S)) {
			continue;
		} else {
			int n = agrp_utf8_len((const unsigned char *)S->p,
			                      (const unsigned char *)S->end, NULL);

			if (n == 0)
				return bad(S, S->p, "invalid UTF-8 in a string");
			S->p += n;
		}
	}
	if (S->p >= S->end)
		return bad(S, start, "unterminated string");
	S->p++;
	out->p = start;
	out->n = (size_t)(S->p - start);
	out->type = 's';
	out->esc = esc;
	return true;
}

/* Most strings are keys and short values: one whose closing quote is the
 * first of its next sixteen bytes to stop at ends here, inline. */
static inline bool
scan_string(scanner *S, agrp_span *out)
{
	S->nul = false;
#ifdef __SSE2__
	if (S->utf8 && S->end - S->p >= 17) {
		int stops = agrp_stops16(S->p + 1);

		if (stops != 0 && S->p[1 + __builtin_ctz((unsigned)stops)] == '"') {
			out->p = S->p;
			out->n = (size_t)__builtin_ctz((unsigned)stops) + 2;
			out->type = 's';
			out->esc = false;
			S->p += out->n;
			return true;
		}
	}
#endif
	return scan_string_rest(S, out);
}

static bool
digits(scanner *S)
{
	const char *d = S->p;

	while (S->p < S->end && *S->p >= '0' && *S->p <= '9')
		S->p++;
	return S->p > d;
}

/*
 * As jansson: an integer must fit 64 bits, a real must be finite.  The
 * whole number is read, however long: a real of a thousand digits is
 * still one double, and jansson refuses it when that is infinite.
 */
/* A number that cannot leave the range, told from its digits alone:
 * at most 18 of an integer; a real below 10^307 by its count of whole
 * digits and its exponent (a short one).  Most numbers are such, and
 * spare strtoll and strtod; the others are read to be sure. */
static bool
surely_in_range(const char *p, size_t n, bool real)
{
	size_t i = p[0] == '-', whole = 0;
	long exp = 0;
	bool negative = false;

	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		whole++;
	if (!real)
		return whole <= 18;
	for (i += i < n && p[i] == '.'; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		;
	if (i < n) { /* the exponent */
		i++;
		if (p[i] == '+' || p[i] == '-')
			negative = p[i++] == '-';
		if (n - i > 4)
			return false;
		for (; i < n; i++)
			exp = exp * 10 + (p[i] - '0');
	}
	return (long)whole + (negative ? -exp : exp) < 307;
}

static bool
in_range(scanner *S, const char *start, size_t n, bool real)
{
	char small[64], *buf = small, *endp;
	bool ok;

	if (surely_in_range(start, n, real))
		return true;

	if (!real && n >= sizeof small) /* 64 digits and more never fit */
		return bad(S, start, "integer out of range");
	if (n >= sizeof small)
		buf = agrp_xmalloc(n + 1);
	memcpy(buf, start, n);
	buf[n] = '\0';
	errno = 0;
	if (!real) {
		(void)strtoll(buf, &endp, 10);
		ok = errno != ERANGE;
	} else {
		ok = !isinf(strtod(buf, &endp));
	}
	if (buf != small)
		free(buf);
	return ok ? true
	          : bad(S, start, real ? "real number out of range" : "integer out of range");
}

static bool
scan_number(scanner *S, agrp_span *out)
{
	const char *start = S->p;
	bool real = false;

	if (*S->p == '-')
		S->p++;
	if (S->p < S->end && *S->p == '0')
		S->p++;
	else if (!digits(S))
		return bad(S, start, "invalid number");
	if (S->p < S->end && *S->p == '.') {
		S->p++;
		real = true;
		if (!digits(S))
			return bad(S, start, "invalid number");
	}
	if (S->p < S->end && (*S->p == 'e' || *S->p == 'E')) {
		S->p++;
		real = true;
		if (S->p < S->end && (*S->p == '+' || *S->p == '-'))
			S->p++;
		if (!digits(S))
			return bad(S, start, "invalid number");
	}
	out->p = start;
	out->n = (size_t)(S->p - start);
	out->type = 'n';
	out->esc = false;
	S->real = real;
	return in_range(S, start, out->n, real);
}

static bool scan_value(scanner *S, agrp_span *out, int depth);

/* A value inside an object or an array: the strings and numbers most
 * are taken straight, without scan_value's frame. */
static inline bool
scan_member(scanner *S, agrp_span *out, int depth)
{
	if (S->p < S->end && depth <= MAX_DEPTH) {
		if (*S->p == '"')
			return scan_string(S, out);
		if ((*S->p >= '0' && *S->p <= '9') || *S->p == '-')
			return scan_number(S, out);
	}
	return scan_value(S, out, depth);
}

/*
 * The keys of one object, decoded, for the duplicate check: compared one
 * by one while they are few, looked up in a hash table past that, so
 * that an object of n keys costs n lookups, not n * n / 2 comparisons.
 */
#define FEW_KEYS 16

typedef struct skey {
	const char *p; /* the key's bytes: in the record, or decoded (owned) */
	size_t n;
	uint64_t h;
	bool owned;
} skey;

typedef struct keyset {
	skey few[FEW_KEYS], *keys;
	size_t n, cap;
	uint32_t *slots; /* 1 + an index into keys; 0: empty */
	size_t nslots;
	uint64_t seen; /* a bit for each few key's sign (key_sign): most new
	                * keys have a sign not seen yet, and need no compare */
	bool owns;     /* some key is owned: most objects have none to free */
} keyset;

static uint64_t
key_hash(const char *p, size_t n)
{
	static uint64_t basis;
	uint64_t h;

	/* FNV-1a from a basis of this process (its address, which ASLR
	 * moves), so that keys that collide cannot be prepared ahead. */
	if (basis == 0)
		basis = 0xcbf29ce484222325u ^ ((uint64_t)(uintptr_t)&basis * 0x9e3779b97f4a7c15u);
	h = basis;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h ^ (h >> 29);
}

static void
keyset_index(keyset *ks)
{
	size_t mask;

	free(ks->slots);
	ks->nslots = 64;
	while (ks->nslots < 4 * ks->n)
		ks->nslots *= 2;
	mask = ks->nslots - 1;
	ks->slots = agrp_xcalloc(ks->nslots, sizeof *ks->slots);
	for (size_t k = 0; k < ks->n; k++) {
		size_t i = ks->keys[k].h & mask;

		while (ks->slots[i] != 0)
			i = (i + 1) & mask;
		ks->slots[i] = (uint32_t)(k + 1);
	}
}

/* Past the few keys: looked up by hash.  False when the object has the
 * key already. */
static bool
keyset_add_many(keyset *ks, const char *p, size_t n, bool owned)
{
	uint64_t h = key_hash(p, n);
	skey *k;

	if (ks->slots == NULL) { /* the first past the few */
		for (size_t i = 0; i < ks->n; i++) {
			if (ks->keys[i].n == n && (n == 0 || (ks->keys[i].p[0] == p[0] &&
			                                      memcmp(ks->keys[i].p, p, n) == 0)))
				return false;
			ks->keys[i].h = key_hash(ks->keys[i].p, ks->keys[i].n);
		}
	} else {
		size_t mask = ks->nslots - 1;

		for (size_t i = h & mask; ks->slots[i] != 0; i = (i + 1) & mask) {
			k = &ks->keys[ks->slots[i] - 1];
			if (k->h == h && k->n == n && memcmp(k->p, p, n) == 0)
				return false;
		}
	}
	if (ks->n == ks->cap) {
		skey *more = agrp_xmalloc(2 * ks->cap * sizeof *more);

		memcpy(more, ks->keys, ks->n * sizeof *more);
		if (ks->keys != ks->few)
			free(ks->keys);
		ks->keys = more;
		ks->cap *= 2;
	}
	k = &ks->keys[ks->n++];
	k->p = p;
	k->n = n;
	k->h = h;
	k->owned = owned;
	ks->owns |= owned;
	if (ks->slots == NULL || 2 * ks->n > ks->nslots) {
		keyset_index(ks);
	} else {
		size_t mask = ks->nslots - 1, i = h & mask;

		while (ks->slots[i] != 0)
			i = (i + 1) & mask;
		ks->slots[i] = (uint32_t)ks->n;
	}
	return true;
}

/* One of 64 bits for a key, from its length and its two ends: equal keys
 * have equal signs. */
static inline uint64_t
key_sign(const char *p, size_t n)
{
	return 1ull << ((n * 7 +
	                 (n == 0 ? 0 : (unsigned char)p[0] * 3u + (unsigned char)p[n - 1])) &
	                63);
}

/* Adds a key; false when the object has it already. */
static inline bool
keyset_add(keyset *ks, const char *p, size_t n, bool owned)
{
	skey *k;
	uint64_t sign;

	if (ks->n >= FEW_KEYS)
		return keyset_add_many(ks, p, n, owned);
	sign = key_sign(p, n);
	if ((ks->seen & sign) != 0)
		for (size_t i = 0; i < ks->n; i++)
			if (ks->keys[i].n == n && (n == 0 || (ks->keys[i].p[0] == p[0] &&
			                                      memcmp(ks->keys[i].p, p, n) == 0)))
				return false;
	ks->seen |= sign;
	k = &ks->keys[ks->n++];
	k->p = p;
	k->n = n;
	k->owned = owned;
	ks->owns |= owned;
	return true;
}

static void
keyset_free(keyset *ks)
{
	for (size_t i = 0; ks->owns && i < ks->n; i++)
		if (ks->keys[i].owned)
			free((char *)ks->keys[i].p);
	if (ks->keys != ks->few)
		free(ks->keys);
	free(ks->slots);
}

/* A key into the object's set: by its bytes, or decoded when it has
 * escapes, so that "a" and "\u0061" are one key, however long. */
static bool
add_key(scanner *S, keyset *ks, const agrp_span *key)
{
	char *d;
	size_t n;

	if (!key->esc)
		return keyset_add(ks, key->p + 1, key->n - 2, false)
		           ? true
		           : bad(S, key->p, "duplicate key");
	if (S->nul) /* as jansson: its keys are C strings */
		return bad(S, key->p, "a key may not hold \\u0000 (NUL)");
	d = agrp_xmalloc(key->n + 4);
	n = agrp_span_decode(key, d, key->n + 4);
	if (keyset_add(ks, d, n, true))
		return true;
	free(d);
	return bad(S, key->p, "duplicate key");
}

static bool
scan_object(scanner *S, agrp_span *out, int depth)
{
	const char *start = S->p++;
	keyset ks;
	bool ok = false, top = depth == 0;

	ks.keys = ks.few;
	ks.n = 0;
	ks.cap = FEW_KEYS;
	ks.slots = NULL;
	ks.nslots = 0;
	ks.seen = 0;
	ks.owns = false;
	skip_ws(S);
	if (S->p < S->end && *S->p == '}') {
		S->p++;
		ok = true;
		goto done;
	}
	for (;;) {
		agrp_span key, val;

		/* compact records have no spaces: the expected byte is looked
		 * for first, spaces only when it is not there */
		if (S->p >= S->end || *S->p != '"') {
			skip_ws(S);
			if (S->p >= S->end || *S->p != '"') {
				bad(S, S->p, "expected a string key");
				goto done;
			}
		}
		if (!scan_string(S, &key) || !add_key(S, &ks, &key))
			goto done;
		if (S->p >= S->end || *S->p != ':') {
			skip_ws(S);
			if (S->p >= S->end || *S->p != ':') {
				bad(S, S->p, "expected ':'");
				goto done;
			}
		}
		S->p++;
		skip_ws(S);
		if (!scan_member(S, &val, depth + 1))
			goto done;
		if (top) {
			S->notable |= (val.type == 'n' && S->real) || (val.type == 's' && S->nul);
			if (S->nfields == S->cap)
				agrp_grow(&S->fields, &S->cap, S->nfields + 1, sizeof *S->fields);
			S->fields[S->nfields].key = key;
			S->fields[S->nfields].val = val;
			S->nfields++;
		}
		if (S->p < S->end && *S->p == ',') {
			S->p++;
			continue;
		}
		skip_ws(S);
		if (S->p < S->end && *S->p == ',') {
			S->p++;
			continue;
		}
		if (S->p < S->end && *S->p == '}') {
			S->p++;
			ok = true;
			goto done;
		}
		bad(S, S->p, "expected ',' or '}'");
		goto done;
	}
done:
	keyset_free(&ks);
	out->p = start;
	out->n = (size_t)(S->p - start);
	out->type = 'o';
	out->esc = false;
	return ok;
}

static bool
scan_array(scanner *S, agrp_span *out, int depth)
{
	const char *start = S->p++;

	skip_ws(S);
	if (S->p < S->end && *S->p == ']') {
		S->p++;
	} else {
		for (;;) {
			agrp_span v;

			skip_ws(S);
			if (!scan_member(S, &v, depth + 1))
				return false;
			skip_ws(S);
			if (S->p < S->end && *S->p == ',') {
				S->p++;
				continue;
			}
			if (S->p < S->end && *S->p == ']') {
				S->p++;
				break;
			}
			return bad(S, S->p, "expected ',' or ']'");
		}
	}
	out->p = start;
	out->n = (size_t)(S->p - start);
	out->type = 'a';
	out->esc = false;
	return true;
}

static bool
literal(scanner *S, const char *word, char type, agrp_span *out)
{
	size_t n = strlen(word);

	if ((size_t)(S->end - S->p) < n || memcmp(S->p, word, n) != 0)
		return bad(S, S->p, "invalid literal");
	out->p = S->p;
	out->n = n;
	out->type = type;
	out->esc = false;
	S->p += n;
	return true;
}

static bool
scan_value(scanner *S, agrp_span *out, int depth)
{
	if (depth > MAX_DEPTH)
		return bad(S, S->p, "nested too deeply");
	if (S->p >= S->end)
		return bad(S, S->p, "unexpected end of the record");
	switch (*S->p) {
	case '{':
		return scan_object(S, out, depth);
	case '[':
		return scan_array(S, out, depth);
	case '"':
		return scan_string(S, out);
	case 't':
		return literal(S, "true", 't', out);
	case 'f':
		return literal(S, "false", 'f', out);
	case 'n':
		return literal(S, "null", '0', out);
	default:
		if (*S->p == '-' || (*S->p >= '0' && *S->p <= '9'))
			return scan_number(S, out);
		return bad(S, S->p, *S->p == '\0' ? "NUL byte" : "unexpected character");
	}
}

/* Characters, not bytes, before p: the column people count. */
long
agrp_column_of(const char *s, const char *p)
{
	long col = 1;

	for (; s < p; s++)
		col += ((unsigned char)*s & 0xc0) != 0x80;
	return col;
}

bool
agrp_scan_record(const char *s, size_t n, agrp_field **fields, size_t *nfields, size_t *cap,
                 bool *notable, long *col, const char **msg)
{
	int isa = agrp_bulk_isa();
	scanner S = { s,     s + n,   s,     NULL,
		      NULL,  *fields, 0,     *cap,
		      false, false,   false, isa != AGRP_ISA_CAREFUL && agrp_bulk_utf8(s, n, isa),
		      isa };
	agrp_span v;
	bool ok;

	skip_ws(&S);
	if (S.p < S.end && *S.p != '{') {
		/* Any value parses, so that a non-object is named as such. */
		S.fields = NULL;
		ok = scan_value(&S, &v, 1);
		if (ok) {
			skip_ws(&S);
			ok = S.p == S.end ? bad(&S, s, "a record must be a JSON object")
			                  : bad(&S, S.p, "characters after the record");
		}
	} else {
		ok = scan_value(&S, &v, 0);
		if (ok) {
			skip_ws(&S);
			if (S.p != S.end)
				ok = bad(&S, S.p, "characters after the record");
		}
	}
	if (S.fields != NULL) {
		*fields = S.fields;
		*cap = S.cap;
	}
	*nfields = S.nfields;
	*notable = S.notable;
	if (!ok) {
		*col = agrp_column_of(s, S.err_at ? S.err_at : S.p);
		*msg = S.msg;
	}
	return ok;
}

bool
agrp_scan_value(const char *s, size_t n, agrp_span *out)
{
	int isa = agrp_bulk_isa();
	scanner S = { s,     s + n, s,     NULL,
		      NULL,  NULL,  0,     0,
		      false, false, false, isa != AGRP_ISA_CAREFUL && agrp_bulk_utf8(s, n, isa),
		      isa };

	skip_ws(&S);
	if (!scan_value(&S, out, 1)) /* 1: below the top, no fields listed */
		return false;
	skip_ws(&S);
	return S.p == S.end;
}
