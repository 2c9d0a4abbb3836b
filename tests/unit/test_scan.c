/*
 * test_scan.c - the in-place scan against jansson, on records mutated at
 * random: the scan must accept exactly what jansson accepts (a JSON
 * object, no duplicate keys), and its index must give the same fields.
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
};

static const char alphabet[] = "{}[]\",:\\u0123456789.eE+-tfnrlsa \t\x01\x80\xc3\xa9\xff";

static bool
jansson_accepts(const char *s, size_t n)
{
	json_error_t e;
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	bool ok = j != NULL && json_is_object(j);

	json_decref(j);
	return ok;
}

/* The scan's fields equal jansson's top-level keys and values. */
static bool
same_fields(const char *s, size_t n, const agrp_field *f, size_t nf)
{
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	bool same = json_object_size(j) == nf;

	for (size_t i = 0; same && i < nf; i++) {
		char key[512];
		size_t kn = agrp_span_decode(&f[i].key, key, sizeof key);
		json_t *v, *w;

		key[kn] = '\0';
		v = json_object_get(j, key);
		w = json_loadb(f[i].val.p, f[i].val.n, JSON_DECODE_ANY, NULL);
		same = v != NULL && w != NULL && json_equal(v, w);
		json_decref(w);
	}
	json_decref(j);
	return same;
}

int
main(void)
{
	agr_prng p;
	agrp_field *fields = NULL;
	size_t nfields, cap = 0;
	long disagree = 0, accepted = 0, fields_bad = 0, runs = 500000;
	char buf[1024];

	agr_prng_seed(&p, 42);
	for (long r = 0; r < runs; r++) {
		const char *seed = seeds[agr_prng_below(&p, sizeof seeds / sizeof seeds[0])];
		size_t n = strlen(seed);
		int edits = 1 + (int)agr_prng_below(&p, 3);
		long col;
		const char *msg;
		bool mine, theirs;

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
		mine = agrp_scan_record(buf, n, &fields, &nfields, &cap, &col, &msg);
		theirs = jansson_accepts(buf, n);
		if (mine != theirs && disagree++ < 5)
			diag("scan %s, jansson %s: %.*s", mine ? "accepts" : "refuses",
			     theirs ? "accepts" : "refuses", (int)n, buf);
		if (mine && theirs) {
			accepted++;
			if (!same_fields(buf, n, fields, nfields) && fields_bad++ < 5)
				diag("fields differ: %.*s", (int)n, buf);
		}
	}
	free(fields);
	ok(accepted > runs / 50, "%ld of %ld mutated records are still valid", accepted, runs);
	ok(disagree == 0, "the scan accepts exactly what jansson accepts (%ld differ)", disagree);
	ok(fields_bad == 0, "the scan's fields are jansson's (%ld differ)", fields_bad);
	return done_testing();
}
