/*
 * test_scan.c - the in-place scan against jansson, on records mutated at
 * random and on the inputs where the two once parted: the scan must
 * accept exactly what jansson accepts (a JSON object, no duplicate keys,
 * \u0000 in strings as JSON_ALLOW_NUL has it), and its index must give
 * the same fields.
 */
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"
#include "tap.h"

static const char *const seeds[] = {
	"{\"trace\":\"t\",\"step\":1,\"kind\":\"call\",\"tool\":\"pay\",\"id\":\"c1\",\"args\":{"
	"\"amount\":5,\"to\":[\"a\",{\"b\":null}]}}",
	"{\"a\":\"caf\\u00e9 \\\"q\\\" "
	"\\ud83d\\ude00\",\"b\":-0.5e+3,\"c\":true,\"d\":false,\"e\":null,\"f\":[]}",
	"{ \"x\" : { \"y\" : [ 1 , 2.25 , \"z\" ] } , \"w\" : 123456789012345678 }",
	"{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"n\":0,\"m\":{}}",
	/* numbers near the edges: 64-digit mantissas, long exponents */
	"{\"r\":9999999999999999999999999999999999999999999999999999999999999999.5,\"i\":"
	"-9223372036854775808,\"e\":1.5e+"
	"0000000000000000000000000000000000000000000000000000000000000308}",
	"{\"u\":\"\\u0000x\\u0000\",\"v\":1e-"
	"99999999999999999999999999999999999999999999999999999999999999,"
	"\"w\":0.00000000000000000000000000000000000000000000000000000000000000001e308}",
	/* long keys, one of them escaped */
	"{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	"kkkkkk"
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	"kkkkk"
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":1,"
	"\"kkkkkkkkkkkkkkkkk"
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	"kkkk"
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	"kkkkk"
	"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\\u006b\":2}",
};

static const char alphabet[] = "{}[]\",:\\u0123456789.eE+-tfnrlsak \t\x01\x80\xc3\xa9\xff";

static bool
jansson_accepts(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	bool ok = j != NULL && json_is_object(j);

	json_decref(j);
	return ok;
}

/* The scan's fields equal jansson's top-level keys and values. */
static bool
same_fields(const char *s, size_t n, const agrp_field *f, size_t nf)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	bool same = json_object_size(j) == nf;

	for (size_t i = 0; same && i < nf; i++) {
		char *key = malloc(f[i].key.n + 4);
		size_t kn = agrp_span_decode(&f[i].key, key, f[i].key.n + 4);
		json_t *v, *w;

		v = json_object_getn(j, key, kn);
		w = json_loadb(f[i].val.p, f[i].val.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		same = v != NULL && w != NULL && json_equal(v, w);
		json_decref(w);
		free(key);
	}
	json_decref(j);
	return same;
}

static agrp_field *fields;
static size_t nfields, cap;
static long disagree, fields_bad, errors_bad;
static int isa_now; /* the bulk reading under test */

/* One input, both ways; true when both accept it. */
static bool
compare(const char *buf, size_t n)
{
	long col, careful_col = 0;
	const char *msg = NULL, *careful_msg = NULL;
	bool notable, careful, mine, theirs = jansson_accepts(buf, n);

	/* a bad record: the same error, whether its UTF-8 was checked first
	 * in bulk or string by string */
	agrp_bulk_force(AGRP_ISA_CAREFUL);
	careful =
	    agrp_scan_record(buf, n, &fields, &nfields, &cap, &notable, &careful_col, &careful_msg);
	agrp_bulk_force(isa_now);
	mine = agrp_scan_record(buf, n, &fields, &nfields, &cap, &notable, &col, &msg);
	if ((mine != careful || (!mine && (col != careful_col || strcmp(msg, careful_msg) != 0))) &&
	    errors_bad++ < 5)
		diag("%ld: %s, not %ld: %s: %.*s", mine ? 0 : col, mine ? "accepted" : msg,
		     careful ? 0 : careful_col, careful ? "accepted" : careful_msg,
		     n > 300 ? 300 : (int)n, buf);

	if (mine != theirs && disagree++ < 5)
		diag("scan %s, jansson %s: %.*s%s", mine ? "accepts" : "refuses",
		     theirs ? "accepts" : "refuses", n > 300 ? 300 : (int)n, buf,
		     n > 300 ? "..." : "");
	if (mine && theirs && !same_fields(buf, n, fields, nfields) && fields_bad++ < 5)
		diag("fields differ: %.*s", n > 300 ? 300 : (int)n, buf);
	return mine && theirs;
}

/* A growing string, for the long inputs. */
typedef struct str {
	char *p;
	size_t n, cap;
} str;

static void
add(str *s, const char *p, size_t n)
{
	agrp_grow(&s->p, &s->cap, s->n + n + 1, 1);
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = '\0';
}

static void
adds(str *s, const char *p)
{
	add(s, p, strlen(p));
}

static void
addrep(str *s, const char *p, size_t times)
{
	for (size_t i = 0; i < times; i++)
		adds(s, p);
}

/* {"r":<sign><lead><digits × n><tail>}: the long numbers. */
static void
numbers(long *cases)
{
	static const char *const leads[] = { "", "1", "0.", "9", "1." };
	static const char *const tails[] = { "", ".0", ".5", "e0", "e+1", "e-1", "e308", "e-400" };
	static const size_t lens[] = { 0,  1,  15,  17,  18,  19,  20,  62,  63,
		                       64, 65, 100, 307, 308, 309, 310, 400, 4000 };
	static const char *const fill = "09";

	for (int neg = 0; neg < 2; neg++)
		for (size_t l = 0; l < sizeof leads / sizeof *leads; l++)
			for (size_t t = 0; t < sizeof tails / sizeof *tails; t++)
				for (size_t k = 0; k < sizeof lens / sizeof *lens; k++)
					for (int f = 0; f < 2; f++) {
						str s = { 0 };

						adds(&s, neg ? "{\"r\":-" : "{\"r\":");
						adds(&s, leads[l]);
						for (size_t i = 0; i < lens[k]; i++)
							add(&s, fill + f, 1);
						adds(&s, tails[t]);
						adds(&s, "}");
						compare(s.p, s.n);
						free(s.p);
						(*cases)++;
					}
	/* exponents with many digits, and the edges of the doubles */
	static const char *const edges[] = {
		"1e0000000000000000000000000000000000000000000000000000000000000000000001",
		"1e+99999999999999999999999999999999999999999999999999999999999999999999",
		"1e-99999999999999999999999999999999999999999999999999999999999999999999",
		"0e99999999999999999999999999999999999999999999999999999999999999999999",
		"0.0000000000000000000000000000000000000000000000000000000000000000001e400",
		"1.7976931348623157e308",
		"1.7976931348623158e308",
		"1.7976931348623159e308",
		"1.797693134862315808e308",
		"1797693134862315708145274237317043567980705675258449965989174768031572607800285387"
		"6"
		"0589558632766878171540458953514382464234321326889464182768467546703537516986049910"
		"5765512820762454900903893289440758685084551339423045832369032229481658085593321233"
		"4827479782620414472316873817718091929988125040402618412485836.0",
		"2e308",
		"4.9e-324",
		"2e-324",
		"-0.0e-0",
		"9223372036854775807",
		"9223372036854775808",
		"-9223372036854775808",
		"-9223372036854775809",
		"0000",
		"-",
		"1.",
		"1e",
		".5",
		"1e+",
	};

	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
		str s = { 0 };

		adds(&s, "{\"r\":[");
		adds(&s, edges[i]);
		adds(&s, "]}");
		compare(s.p, s.n);
		free(s.p);
		(*cases)++;
	}
}

/* Two keys that are the same or differ by one character, of many lengths,
 * spelled with and without escapes. */
static void
keys(long *cases)
{
	static const size_t lens[] = { 0,   1,   2,   15,  16,  17,  250, 251,  252,
		                       253, 254, 255, 256, 257, 258, 300, 1000, 70000 };
	/* spellings of "k", and of characters that are not "k" */
	static const char *const same[] = { "k", "\\u006b", "\\u006B" };
	static const char *const other[] = { "j", "\\u006a",        "\\u0000", "\\/",
		                             "/", "\\ud83d\\ude00", "\xc3\xa9" };

	for (size_t k = 0; k < sizeof lens / sizeof *lens; k++)
		for (size_t a = 0; a < 3; a++)
			for (size_t b = 0; b < 3 + sizeof other / sizeof *other; b++)
				for (int where = 0; where < 3; where++) {
					const char *tb = b < 3 ? same[b] : other[b - 3];
					str s = { 0 };
					size_t at = where == 0   ? 0
					            : where == 1 ? lens[k] / 2
					                         : lens[k];

					/* {"k…k<a>k…k":1, "o":{}, "k…k<b>k…k":2}, the odd one at
					 * `at` */
					adds(&s, "{\"");
					addrep(&s, "k", at);
					adds(&s, same[a]);
					addrep(&s, "k", lens[k] - at);
					adds(&s, "\":1,\"o\":{\"");
					addrep(&s, "k", lens[k]);
					adds(&s, "\":0},\"");
					addrep(&s, "k", at);
					adds(&s, tb);
					addrep(&s, "k", lens[k] - at);
					adds(&s, "\":2}");
					compare(s.p, s.n);
					/* and nested */
					s.n = 0;
					adds(&s, "{\"o\":{\"");
					addrep(&s, "k", at);
					adds(&s, tb);
					addrep(&s, "k", lens[k] - at);
					adds(&s, "\":[],\"");
					addrep(&s, "k", at);
					adds(&s, same[a]);
					addrep(&s, "k", lens[k] - at);
					adds(&s, "\":null}}");
					compare(s.p, s.n);
					free(s.p);
					*cases += 2;
				}
}

/* Objects of many keys, with a duplicate (or none) at the end, plain or
 * escaped: past the few keys compared one by one. */
static void
many_keys(long *cases)
{
	static const size_t counts[] = { 15, 16, 17, 33, 1000, 20000 };

	for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
		for (int dup = 0; dup < 4; dup++) {
			str s = { 0 };
			char k[64];

			adds(&s, "{");
			for (size_t i = 0; i < counts[c]; i++) {
				snprintf(k, sizeof k, "%s\"key%zu\":%zu", i ? "," : "", i, i);
				adds(&s, k);
			}
			/* 0: none; 1: a plain duplicate; 2: escaped; 3: escaped, not one */
			if (dup == 1)
				snprintf(k, sizeof k, ",\"key%zu\":0", counts[c] / 3);
			else if (dup == 2)
				snprintf(k, sizeof k, ",\"\\u006bey%zu\":0", counts[c] / 3);
			else if (dup == 3)
				snprintf(k, sizeof k, ",\"\\u006bey%zu\":0", counts[c] + 1);
			else
				k[0] = '\0';
			adds(&s, k);
			adds(&s, "}");
			compare(s.p, s.n);
			free(s.p);
			(*cases)++;
		}
}

/* Numbers at the edges of the range, and of the digit counts and
 * exponents below which the scan does not read them to know. */
static void
number_edges(long *cases)
{
	static const char *const nums[] = {
		"999999999999999999",
		"-999999999999999999",
		"1000000000000000000",
		"9223372036854775807",
		"-9223372036854775808",
		"9223372036854775808",
		"-9223372036854775809",
		"99999999999999999999",
		"1e306",
		"1e307",
		"1e308",
		"1e309",
		"1.7976931348623157e308",
		"1.7976931348623159e308",
		"9.9e307",
		"-1e308",
		"-1e309",
		"1E+308",
		"1e+0309",
		"1e-400",
		"1e-99999",
		"0.5e308",
		"0.0000000001e317",
		"10e307",
		"100e306",
		"1.5e0",
		"0e99999",
		"-0.0",
		"123456789012345678.5",
		"1e00308",
		"1e0307",
	};
	char buf[128];

	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		int n = snprintf(buf, sizeof buf, "{\"n\":%s}", nums[i]);

		compare(buf, (size_t)n);
		(*cases)++;
	}
	/* reals of 300 to 320 whole digits, with and without exponents */
	for (int whole = 300; whole <= 320; whole++)
		for (int exp = -3; exp <= 3; exp++) {
			str t = { 0 };
			char e[16];

			adds(&t, "{\"n\":");
			addrep(&t, "9", (size_t)whole);
			adds(&t, ".5");
			snprintf(e, sizeof e, "e%d", exp);
			if (exp != 0)
				adds(&t, e);
			adds(&t, "}");
			compare(t.p, t.n);
			free(t.p);
			(*cases)++;
		}
}

/* {"s":"<plain × run><odd><plain × tail>"}: every byte the string scan
 * must stop at, at every place in and around its sixteen- and
 * thirty-two-byte strides and the UTF-8 check's blocks of the line,
 * and strings that end where the record does. */
static void
strings(long *cases)
{
	static const char *const odd[] = { "\"", "\\n", "\\u00e9", "\\x", "\x01", "\x1f", "\x7f",
		                           "\x80", "\xc3\xa9", "\xe2\x82\xac", "\xff", "\xc3", "",
		                           "\t", "\\",
		                           /* surrogate, overlong, edges, cut, bad continuation */
		                           "\xed\xa0\x80", "\xe0\x80\x80", "\xe0\xa0\x80",
		                           "\xc1\xbf", "\xc2\x80", "\xef\xbf\xbf", "\xe2\x82",
		                           "\xe2\x28\xa1", "\xf0\x9f\x98\x80", "\xee\x80\x80",
		                           "\xdf\xbf" };
	char buf[256];

	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		for (int run = 0; run < 72; run++)
			for (int tail = 0; tail < 20; tail += 3) {
				size_t n = 0, len = strlen(odd[i]);

				n += (size_t)snprintf(buf, sizeof buf, "{\"s\":\"");
				memset(buf + n, 'a', (size_t)run);
				n += (size_t)run;
				memcpy(buf + n, odd[i], len);
				n += len;
				memset(buf + n, 'b', (size_t)tail);
				n += (size_t)tail;
				memcpy(buf + n, "\"}", 2);
				compare(buf, n + 2);
				compare(buf, n + 1); /* cut before its '}' */
				compare(buf, n);     /* cut before its closing quote */
				*cases += 3;
			}
}

/* A random string of bytes that UTF-8 is made of: ASCII, leads,
 * continuations, and the bytes never in UTF-8. */
static size_t
utf8ish(agr_prng *p, char *out, size_t max)
{
	static const unsigned char bytes[] = {
		'a',  ' ',  '"',  '\\', 0x01, 0x1f, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
		0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff
	};
	static const char *const chars[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
		"\xe0\xa0\x80", "\xf0\x90\x80\x80",
		/* one step past the edges: surrogates, overlong, past U+10FFFF */
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xc1\xbf"
	};
	size_t n = 0, want = agr_prng_below(p, (uint32_t)max);

	while (n < want) {
		if (agr_prng_below(p, 3) == 0) {
			out[n++] = (char)bytes[agr_prng_below(p, sizeof bytes)];
		} else if (agr_prng_below(p, 2) == 0) {
			out[n++] = 'a';
		} else {
			const char *c = chars[agr_prng_below(p, sizeof chars / sizeof chars[0])];
			size_t k = strlen(c);

			if (n + k > max)
				break;
			memcpy(out + n, c, k);
			n += k;
		}
	}
	return n;
}

/* The bulk readers against the byte-by-byte ones, on random strings of
 * every length around their strides (16 and 32 bytes), at every
 * alignment. */
static void
bulk(int isa, long *cases, long *bad)
{
	agr_prng p;
	char buf[200];

	agr_prng_seed(&p, 7);
	for (long r = 0; r < 200000; r++) {
		size_t n = utf8ish(&p, buf, sizeof buf), want_run = 0;
		bool want = agrp_utf8_bad(buf, n) == n;

		while (want_run < n && (unsigned char)buf[want_run] >= 0x20 &&
		       buf[want_run] != '"' && buf[want_run] != '\\')
			want_run++;
		if (agrp_bulk_utf8(buf, n, isa) != want && (*bad)++ < 5)
			diag("utf8 %s: %.*s", want ? "refused" : "accepted", (int)n, buf);
		if (agrp_bulk_run(buf, buf + n, isa) != want_run && (*bad)++ < 5)
			diag("run %zu, not %zu: %.*s", agrp_bulk_run(buf, buf + n, isa), want_run,
			     (int)n, buf);
		*cases += 2;
	}
}

static const char *const isa_names[] = { "careful", "scalar", "SSE2", "AVX2" };

/* Everything, with the bulk reading of one kind of machine. */
static void
scan_all(int isa)
{
	const char *name = isa_names[isa];
	agr_prng p;
	long accepted = 0, runs = 500000, cases = 0, d0, f0, bulk_bad = 0;
	char buf[4096];

	disagree = fields_bad = errors_bad = 0;
	isa_now = isa;
	bulk(isa, &cases, &bulk_bad);
	ok(bulk_bad == 0,
	   "%s: the bulk UTF-8 check and plain runs are the bytewise ones (%ld of %ld differ)",
	   name, bulk_bad, cases);
	cases = 0;
	agr_prng_seed(&p, 42);
	for (long r = 0; r < runs; r++) {
		const char *seed = seeds[agr_prng_below(&p, sizeof seeds / sizeof seeds[0])];
		size_t n = strlen(seed);
		int edits = 1 + (int)agr_prng_below(&p, 3);

		memcpy(buf, seed, n);
		for (int k = 0; k < edits && n > 0; k++) {
			size_t at = agr_prng_below(&p, n);
			char c = alphabet[agr_prng_below(&p, sizeof alphabet - 1)];

			switch (agr_prng_below(&p, 3)) {
			case 0: /* replace */
				buf[at] = c;
				break;
			case 1: /* insert */
				if (n + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default: /* delete */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
		accepted += compare(buf, n);
	}
	ok(accepted > runs / 50, "%s: %ld of %ld mutated records are still valid", name, accepted,
	   runs);
	ok(disagree == 0, "%s: the scan accepts exactly what jansson accepts (%ld differ)", name,
	   disagree);
	ok(fields_bad == 0, "%s: the scan's fields are jansson's (%ld differ)", name, fields_bad);

	d0 = disagree, f0 = fields_bad;
	numbers(&cases);
	ok(disagree == d0 && fields_bad == f0,
	   "%s: long numbers and huge exponents: the scan is jansson (%ld of %ld differ)", name,
	   disagree - d0 + fields_bad - f0, cases);
	d0 = disagree, f0 = fields_bad, cases = 0;
	keys(&cases);
	ok(disagree == d0 && fields_bad == f0,
	   "%s: long and escaped keys: the scan is jansson (%ld of %ld differ)", name,
	   disagree - d0 + fields_bad - f0, cases);
	d0 = disagree, f0 = fields_bad, cases = 0;
	many_keys(&cases);
	ok(disagree == d0 && fields_bad == f0,
	   "%s: objects of many keys: the scan is jansson (%ld of %ld differ)", name,
	   disagree - d0 + fields_bad - f0, cases);
	d0 = disagree, f0 = fields_bad, cases = 0;
	number_edges(&cases);
	ok(disagree == d0 && fields_bad == f0,
	   "%s: numbers at the edges of the range: the scan is jansson (%ld of %ld differ)", name,
	   disagree - d0 + fields_bad - f0, cases);
	d0 = disagree, f0 = fields_bad, cases = 0;
	strings(&cases);
	ok(disagree == d0 && fields_bad == f0,
	   "%s: strings with every kind of byte at every place: the scan is jansson (%ld of %ld "
	   "differ)",
	   name, disagree - d0 + fields_bad - f0, cases);
	ok(errors_bad == 0,
	   "%s: a bad record gets the error it gets with its UTF-8 read string by string (%ld "
	   "differ)",
	   name, errors_bad);
}

int
main(void)
{
	for (int isa = AGRP_ISA_SCALAR; isa <= AGRP_ISA_AVX2; isa++)
		if (agrp_bulk_force(isa))
			scan_all(isa);
		else
			ok(1, "# SKIP %s: not on this machine", isa_names[isa]);
	agrp_bulk_force(-1);
	free(fields);
	return done_testing();
}
