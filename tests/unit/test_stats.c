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
};
#define NREC (sizeof corpus / sizeof corpus[0])

/* Stats over the records of the corpus whose trace is in traces ("": all). */
static agr_stats *
stats_of(const char *traces, const agr_contracts *cs)
{
	agr_stats *st = agr_stats_new(cs, 0, NULL, NULL);
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
	agr_stats *all, *a, *b, *merged;
	json_t *total, *written, *pa, *pb, *mtotal;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f;
	agr_error e;

	agr_contracts_builtin(cs, "answered", NULL);
	all = stats_of("", cs);
	total = agr_stats_total(all);
	ok(count(total, "runs") == 3 && count(total, "success") == 1 &&
	       count(total, "escalated") == 1 && count(total, "unfinished") == 1,
	   "the totals count the runs by how they ended");
	ok(count(total, "affected") == 2 && count(total, "contained") == 1,
	   "a failed result and a fault make two runs affected; the escalated one is contained");
	ok(count(json_object_get(json_object_get(total, "tools"), "pay"), "errors") == 1,
	   "the tools' errors");
	ok(count(json_object_get(total, "govern"), "deny") == 1, "the governance decisions");
	ok(count(json_object_get(json_object_get(total, "contracts"), "answered"), "pass") == 3,
	   "the compliance with the contracts given");

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
	b = stats_of("r2", cs);
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

	json_decref(mtotal);
	json_decref(pa);
	json_decref(pb);
	json_decref(written);
	json_decref(total);
	free(buf);
	free(buf2);
	agr_stats_free(merged);
	agr_stats_free(a);
	agr_stats_free(b);
	agr_stats_free(all);
	agr_contracts_free(cs);
	return done_testing();
}
