/*
 * test_write.c - records written into bytes by hand (agrp_buf_json_*),
 * against jansson's writer on random strings, reals and integers: replay
 * compares such bytes with recorded ones, so they must be the same.  And
 * values written from their bytes (agrp_buf_json_span), against jansson's
 * parse and dump of the same text.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"
#include "tap.h"

static char *
dumped(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

	json_decref(v);
	return s;
}

/* A random valid UTF-8 string, heavy on what needs escaping. */
static void
random_string(agr_prng *p, char *out, size_t cap)
{
	static const char *const pieces[] = {
		"a",    "Z",    " ",        "\"",           "\\",           "/",
		"\b",   "\f",   "\n",       "\r",           "\t",           "\x01",
		"\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xf0\x9f\x98\x80"
	};
	size_t n = 0, len = agr_prng_below(p, 12);

	for (size_t i = 0; i < len; i++) {
		const char *s = pieces[agr_prng_below(p, sizeof pieces / sizeof pieces[0])];

		if (n + strlen(s) + 1 >= cap)
			break;
		memcpy(out + n, s, strlen(s));
		n += strlen(s);
	}
	out[n] = '\0';
}

static double
random_real(agr_prng *p)
{
	switch (agr_prng_below(p, 5)) {
	case 0:
		return (double)(int64_t)agr_prng_below(p, 2000000000) / 1e6; /* a cost */
	case 1:
		return (double)agr_prng_below(p, 100);
	case 2:
		return ldexp(agr_prng_double(p), (int)agr_prng_below(p, 200) - 100);
	case 3:
		return -agr_prng_double(p) * 1e-9;
	default:
		return agr_prng_double(p) * 1e25;
	}
}

/* A random JSON text of what a writer from bytes must redo: spaces,
 * escapes jansson writes otherwise (\/, \u of every kind, surrogate
 * pairs), numbers it prints otherwise (-0, 1E2, 1.50). */
static void
random_text(agr_prng *p, agrp_buf *b, int depth)
{
	static const char *const scalars[] = { "0",
		                               "-0",
		                               "17",
		                               "-9223372036854775808",
		                               "9223372036854775807",
		                               "1.50",
		                               "-0.0",
		                               "1E2",
		                               "1e-400",
		                               "2.5e+10",
		                               "0.1",
		                               "123456789012345678901234567890.5",
		                               "true",
		                               "false",
		                               "null",
		                               "\"\"",
		                               "\"a\\/b\"",
		                               "\"\\u00e9\\u00E9\"",
		                               "\"\\u001b\\u001F\\u0000x\"",
		                               "\"\\ud83d\\ude00\"",
		                               "\"\\\"\\\\\\b\\f\\n\\r\\t\"",
		                               "\"\\u0022\\u005c\\u002f\\u0008\\u000a\\u007f\"",
		                               "\"Zürich 東京 🙂\"",
		                               "\"\\u2028\"" };
	static const char *const spaces[] = { "", "", " ", "\n\t ", "\r\n" };
	const char *sp = spaces[agr_prng_below(p, 5)];
	int k = depth < 4 ? (int)agr_prng_below(p, 4) : 3;

	agrp_buf_str(b, sp);
	if (k == 0 || k == 1) {
		int n = (int)agr_prng_below(p, 4);

		agrp_buf_str(b, k == 0 ? "[" : "{");
		for (int i = 0; i < n; i++) {
			char key[32];

			if (i > 0)
				agrp_buf_str(b, ",");
			if (k == 1) {
				/* distinct keys, some escaped */
				snprintf(key, sizeof key,
				         i % 2 ? "%s\"k\\u00e9%d\"%s:" : "%s\"k%d\"%s:", sp, i, sp);
				agrp_buf_str(b, key);
			}
			random_text(p, b, depth + 1);
		}
		agrp_buf_str(b, sp);
		agrp_buf_str(b, k == 0 ? "]" : "}");
	} else {
		agrp_buf_str(b, scalars[agr_prng_below(p, sizeof scalars / sizeof scalars[0])]);
	}
	agrp_buf_str(b, sp);
}

static long
spans_against_jansson(long runs, long *compared)
{
	agr_prng p;
	agrp_buf text = { 0 }, mine = { 0 };
	long bad = 0;

	agr_prng_seed(&p, 11);
	for (long r = 0; r < runs; r++) {
		json_error_t e;
		json_t *j;
		agrp_span v;
		char *want;

		text.n = 0;
		random_text(&p, &text, 0);
		j = json_loadb(text.p, text.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		if (!agrp_scan_value(text.p, text.n, &v) || j == NULL) {
			if (j != NULL && bad++ < 3)
				diag("scan refused what jansson reads: %s", text.p);
			json_decref(j);
			continue;
		}
		(*compared)++;
		mine.n = 0;
		agrp_buf_json_span(&mine, v.p, v.n);
		want = dumped(j);
		if (strcmp(mine.p, want) != 0 && bad++ < 3)
			diag("%s: mine %s, jansson %s", text.p, mine.p, want);
		free(want);
	}
	free(text.p);
	free(mine.p);
	return bad;
}

int
main(void)
{
	agr_prng p;
	agrp_buf b = { 0 };
	long bad_str = 0, bad_real = 0, bad_int = 0, runs = 200000, compared = 0;
	char s[256];

	agr_prng_seed(&p, 7);
	for (long r = 0; r < runs; r++) {
		char *want;
		double d = random_real(&p);
		long long i = (long long)(agr_prng_next(&p) >> (1 + agr_prng_below(&p, 63)));

		random_string(&p, s, sizeof s);
		b.n = 0;
		agrp_buf_json_string(&b, s);
		want = dumped(json_string(s));
		if (strcmp(b.p, want) != 0 && bad_str++ < 3)
			diag("string: mine %s, jansson %s", b.p, want);
		free(want);
		b.n = 0;
		agrp_buf_json_real(&b, d);
		want = dumped(json_real(d));
		if (strcmp(b.p, want) != 0 && bad_real++ < 3)
			diag("real %.17g: mine %s, jansson %s", d, b.p, want);
		free(want);
		b.n = 0;
		agrp_buf_json_int(&b, r % 2 ? i : -i);
		want = dumped(json_integer(r % 2 ? i : -i));
		if (strcmp(b.p, want) != 0 && bad_int++ < 3)
			diag("integer: mine %s, jansson %s", b.p, want);
		free(want);
	}
	ok(bad_str == 0, "%ld random strings written as jansson writes them (%ld differ)", runs,
	   bad_str);
	ok(bad_real == 0, "%ld random reals written as jansson writes them (%ld differ)", runs,
	   bad_real);
	ok(bad_int == 0, "%ld random integers written as jansson writes them (%ld differ)", runs,
	   bad_int);
	free(b.p);
	bad_str = spans_against_jansson(50000, &compared);
	ok(bad_str == 0 && compared > 40000,
	   "%ld random texts written from their bytes as jansson writes them (%ld differ)",
	   compared, bad_str);
	return done_testing();
}
