/*
 * test_stats.c - the stats of a corpus as values: the totals are what
 * --json writes, and partials of a corpus split by trace id merge, in
 * process, into the totals of the whole.
 */
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

static const char *const corpus[] = {
	"{\"trace\":\"r1\",\"step\":1,\"kind\":\"call\",\"tool\":\"pay\",\"id\":\"c1\"}",
	"{\"trace\":\"r2\",\"step\":1,\"kind\":\"call\",\"tool\":\"pay\",\"id\":\"c1\"}",
	"{\"trace\":\"r1\",\"step\":2,\"kind\":\"result\",\"tool\":\"pay\",\"call\":\"c1\","
	"\"status\":\"ok\"}",
	"{\"trace\":\"r2\",\"step\":2,\"kind\":\"result\",\"tool\":\"pay\",\"call\":\"c1\","
	"\"status\":\"error\"}",
	"{\"trace\":\"r3\",\"step\":1,\"kind\":\"fault\",\"fault\":\"error\",\"tool\":\"pay\"}",
	"{\"trace\":\"r2\",\"step\":3,\"kind\":\"escalate\",\"reason\":\"no path\"}",
	"{\"trace\":\"r1\",\"step\":3,\"kind\":\"final\",\"status\":\"success\"}",
	"{\"trace\":\"r2\",\"step\":4,\"kind\":\"final\",\"status\":\"escalated\"}",
	"{\"trace\":\"r3\",\"step\":2,\"kind\":\"govern\",\"decision\":\"deny\"}",
	/* r4, governed: a call rewritten, one blocked (absent), one allowed. */
	"{\"trace\":\"r4\",\"step\":1,\"kind\":\"call\",\"tool\":\"pay\",\"id\":\"g1\"}",
	"{\"trace\":\"r4\",\"step\":2,\"kind\":\"govern\",\"decision\":\"rewrite\","
	"\"rule\":\"mask\",\"call\":\"g1\",\"cause\":1}",
	"{\"trace\":\"r4\",\"step\":4,\"kind\":\"govern\",\"decision\":\"block\","
	"\"rule\":\"cap\",\"call\":\"g2\",\"cause\":3}",
	"{\"trace\":\"r4\",\"step\":5,\"kind\":\"result\",\"tool\":\"pay\",\"call\":\"g2\","
	"\"status\":\"error\",\"error\":{\"class\":\"blocked\"},\"cause\":4}",
	"{\"trace\":\"r4\",\"step\":6,\"kind\":\"call\",\"tool\":\"pay\",\"id\":\"g3\"}",
};
#define NREC (sizeof corpus / sizeof corpus[0])

/* The govern object of r4's row, the last one seen, and whether the row
 * of a run without govern records (r1, r2) had one: kept by keep_row. */
static json_t *r4_govern;
static bool ungoverned_has_govern;

static void
keep_row(void *ctx, const json_t *row)
{
	const char *id = json_string_value(json_object_get(row, "trace"));
	const json_t *govern = json_object_get(row, "govern");

	(void)ctx;
	if (strcmp(id, "r4") == 0) {
		json_decref(r4_govern);
		r4_govern = json_deep_copy(govern);
	} else if (strcmp(id, "r3") != 0 && govern != NULL) {
		ungoverned_has_govern = true;
	}
}

/* Stats over the records of the corpus whose trace is in traces ("": all). */
static agr_stats *
stats_of(const char *traces, const agr_contracts *cs)
{
	agr_stats *st = agr_stats_new(cs, 0, keep_row, NULL);
	agr_record *rec = agr_record_new();
	agr_error e;

	for (size_t i = 0; i < NREC; i++) {
		json_t *j;

		if (!agr_record_set(rec, corpus[i], strlen(corpus[i]), "corpus", (long)i + 1, &e))
			abort();
		j = agr_record_json(rec);
		if (traces[0] != '\0' && strstr(traces, agr_json_str(j, "trace")) == NULL)
			continue;
		if (!agr_stats_feed(st, rec, &e))
			abort();
	}
	agr_stats_finish(st);
	agr_record_free(rec);
	return st;
}

static long
count(const json_t *total, const char *key)
{
	return (long)json_integer_value(json_object_get(total, key));
}

int
main(void)
{
	agr_contracts *cs = agr_contracts_new();
	agr_stats *old, *all, *a, *b, *merged;
	json_t *old_total, *total, *written, *pa, *pb, *mtotal;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f;
	agr_error e;

	agr_contracts_builtin(cs, "answered", NULL);
	/* The runs before governance was measured: r1 to r3. */
	old = stats_of("r1 r2 r3", cs);
	old_total = agr_stats_total(old);
	ok(count(old_total, "runs") == 3 && count(old_total, "success") == 1 &&
	       count(old_total, "escalated") == 1 && count(old_total, "unfinished") == 1,
	   "the totals count the runs by how they ended");
	ok(count(old_total, "affected") == 2 && count(old_total, "contained") == 1,
	   "a failed result and a fault make two runs affected; the escalated one is contained");
	ok(count(json_object_get(json_object_get(old_total, "tools"), "pay"), "errors") == 1,
	   "the tools' errors");
	ok(count(json_object_get(old_total, "govern"), "deny") == 1 &&
	       json_object_size(json_object_get(old_total, "govern")) == 1,
	   "the governance decisions: r3 is governed, but has no calls to allow");
	ok(count(json_object_get(json_object_get(old_total, "contracts"), "answered"), "pass") == 3,
	   "the compliance with the contracts given");

	/* All, with r4, governed. */
	all = stats_of("", cs);
	total = agr_stats_total(all);
	ok(count(json_object_get(total, "govern"), "rewrite") == 1 &&
	       count(json_object_get(total, "govern"), "block") == 1 &&
	       count(json_object_get(total, "govern"), "allow") == 1,
	   "a governed run's calls: one rewritten, one blocked, one allowed");
	ok(count(json_object_get(json_object_get(total, "rules"), "mask"), "rewrite") == 1 &&
	       count(json_object_get(json_object_get(total, "rules"), "cap"), "block") == 1 &&
	       json_object_size(json_object_get(total, "rules")) == 2,
	   "the decisions by rule");
	{
		json_t *want = json_pack("{s:i,s:i,s:i,s:i}", "allow", 1, "rewrite", 1, "block", 1,
		                         "escalate", 0);

		ok(json_equal(r4_govern, want), "the governed run's row has its decisions");
		json_decref(want);
	}

	f = open_memstream(&buf, &len);
	agr_stats_write(all, f, AGR_STATS_JSON);
	fclose(f);
	written = json_pack("{s:O}", "total", total);
	f = open_memstream(&buf2, &len2);
	agr_write_json(f, written);
	fclose(f);
	ok(len > 0 && len == len2 && memcmp(buf, buf2, len) == 0,
	   "agr_stats_total is what the JSON view writes under \"total\", byte for byte");

	a = stats_of("r1 r3", cs);
	b = stats_of("r2 r4", cs);
	pa = agr_stats_partial(a);
	pb = agr_stats_partial(b);
	merged = agr_stats_new(NULL, 0, NULL, NULL);
	ok(agr_stats_merge(merged, pa, &e) && agr_stats_merge(merged, pb, &e),
	   "partials merge in process");
	mtotal = agr_stats_total(merged);
	if (!ok(json_equal(mtotal, total),
	        "the merged partials of the parts are the totals of the whole")) {
		char *m = json_dumps(mtotal, JSON_SORT_KEYS),
		     *t = json_dumps(total, JSON_SORT_KEYS);

		diag("merged %s", m);
		diag("whole  %s", t);
		free(m);
		free(t);
	}
	ok(!agr_stats_merge(merged, total, &e) && strstr(e.text, "not a stats partial") != NULL,
	   "totals are not partials: %s", e.text);
	{
		agr_stats *plain = stats_of("r1 r2", cs);
		json_t *pt = agr_stats_total(plain), *pp = agr_stats_partial(plain);

		ok(json_object_get(pt, "rules") == NULL && json_object_get(pp, "rules") == NULL &&
		       json_object_size(json_object_get(pt, "govern")) == 0 &&
		       !ungoverned_has_govern,
		   "without govern records, no decisions and no rules, as before");
		json_decref(pt);
		json_decref(pp);
		agr_stats_free(plain);
	}

	json_decref(mtotal);
	json_decref(pa);
	json_decref(pb);
	json_decref(written);
	json_decref(total);
	json_decref(old_total);
	agr_stats_free(old);
	free(buf);
	free(buf2);
	agr_stats_free(merged);
	agr_stats_free(a);
	agr_stats_free(b);
	agr_stats_free(all);
	agr_contracts_free(cs);
	json_decref(r4_govern);
	return done_testing();
}
