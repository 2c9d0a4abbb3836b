/*
 * test_write.c - records written into bytes by hand (agrp_buf_json_*),
 * against jansson's writer on random strings, reals and integers: replay
 * compares such bytes with recorded ones, so they must be the same.
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

int
main(void)
{
	agr_prng p;
	agrp_buf b = { 0 };
	long bad_str = 0, bad_real = 0, bad_int = 0, runs = 200000;
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
	return done_testing();
}
