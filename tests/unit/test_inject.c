/*
 * test_inject.c - agr_injector_count() through the public API: it is how
 * a program that embeds the injector learns whether its specs hit
 * anything, also when fault records are left out of the stream.  It
 * counts faults applied, not specs that matched: a fault that finds
 * nothing to do (stale with no earlier output) counts nothing.  And the
 * live entry point, agr_injector_apply(), which agraph-route --exec -f
 * gives real results: in place, in two turns, nothing written or moved.
 */
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

/* One run: two calls to Stripe answered (their outputs differ, so that
 * stale changes the second), a message, a final. */
static const char *const run[] = {
	"{\"trace\":\"t\",\"step\":1,\"kind\":\"call\",\"tool\":\"Stripe\",\"id\":\"c1\"}",
	"{\"trace\":\"t\",\"step\":2,\"kind\":\"result\",\"tool\":\"Stripe\",\"call\":\"c1\","
	"\"status\":\"ok\",\"output\":\"paid\"}",
	"{\"trace\":\"t\",\"step\":3,\"kind\":\"call\",\"tool\":\"Stripe\",\"id\":\"c2\"}",
	"{\"trace\":\"t\",\"step\":4,\"kind\":\"result\",\"tool\":\"Stripe\",\"call\":\"c2\","
	"\"status\":\"ok\",\"output\":\"paid again\"}",
	"{\"trace\":\"t\",\"step\":5,\"kind\":\"message\",\"from\":\"user\",\"to\":\"agent\","
	"\"content\":\"refund me\"}",
	"{\"trace\":\"t\",\"step\":6,\"kind\":\"final\",\"status\":\"success\"}",
};
#define NRUN (sizeof run / sizeof run[0])

/* Counts the fault records written, to hold the count against. */
static void
count_faults(void *ctx, const char *bytes, size_t len)
{
	static const char tag[] = "\"kind\":\"fault\"";

	if (len >= sizeof tag - 1 && memmem(bytes, len, tag, sizeof tag - 1) != NULL)
		++*(size_t *)ctx;
}

/* Where the fault records go: in the stream, to a manifest, nowhere. */
enum mode { STREAM, MANIFEST, NOWHERE };

/* The injector's count after the run through specs (NULL-ended); *written
 * gets the fault records seen in the stream and the manifest. */
static size_t
injected(const char *const *specs, enum mode mode, size_t *written)
{
	agr_injector *in;
	agr_record *rec = agr_record_new();
	agr_error e;
	size_t n;

	*written = 0;
	in = agr_injector_new(7, count_faults, written);
	for (; *specs != NULL; specs++)
		if (!agr_injector_add(in, *specs, &e))
			diag("%s: %s", *specs, e.text);
	if (mode != STREAM)
		agr_injector_quiet(in, mode == MANIFEST ? count_faults : NULL, written);
	for (size_t i = 0; i < NRUN; i++) {
		if (!agr_record_set(rec, run[i], strlen(run[i]), "run", (long)i + 1, &e) ||
		    !agr_injector_feed(in, rec, &e))
			diag("record %zu: %s", i + 1, e.text);
	}
	agr_injector_finish(in);
	n = agr_injector_count(in);
	agr_injector_free(in);
	agr_record_free(rec);
	return n;
}

static void
expect(const char *what, const char *const *specs, enum mode mode, size_t want)
{
	size_t written, n = injected(specs, mode, &written);

	ok(n == want, "%s: %zu injected (want %zu)", what, n, want);
	if (mode != NOWHERE)
		ok(written == want, "%s: %zu fault records written (want %zu)", what, written,
		   want);
	else
		ok(written == 0, "%s: no fault record written (%zu)", what, written);
}

/* Nothing may be written live: a record out would be a bug. */
static void
no_write(void *ctx, const char *bytes, size_t len)
{
	(void)bytes;
	(void)len;
	++*(size_t *)ctx;
}

static json_t *
result(const char *tool, const char *call, const char *status, json_t *output)
{
	json_t *r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i}", "trace", "t", "step", 4, "kind",
	                      "result", "tool", tool, "call", call, "attempt", 1);

	if (status != NULL)
		json_object_set_new(r, "status", json_string(status));
	if (output != NULL)
		json_object_set_new(r, "output", output);
	return r;
}

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* ok with the JSON of got against want, freed. */
static void
is_json(json_t *got, const char *want, const char *what)
{
	char *s = dump(got);

	ok(s != NULL && strcmp(s, want) == 0, "%s: %s", what, s ? s : "(null)");
	if (s != NULL && strcmp(s, want) != 0)
		diag("want %s", want);
	free(s);
	json_decref(got);
}

static void
live(void)
{
	size_t written = 0;
	agr_injector *in = agr_injector_new(7, no_write, &written);
	agr_error e;
	double wait;
	json_t *rec, *f;

	agr_injector_live(in);
	/* what cannot hit a real call is refused as it is added, saying why */
	ok(!agr_injector_add(in, "drop", &e) && strstr(e.text, "cannot hit a real call") != NULL,
	   "live: drop refused: %s", e.text);
	ok(!agr_injector_add(in, "TSE", &e) && strstr(e.text, "the call") != NULL,
	   "live: TSE refused: %s", e.text);
	ok(!agr_injector_add(in, "H", &e) && strstr(e.text, "message") != NULL,
	   "live: H refused: %s", e.text);
	ok(!agr_injector_add(in, "error:kind=call", &e) && strstr(e.text, "kind=call") != NULL,
	   "live: kind=call refused: %s", e.text);
	ok(!agr_injector_add(in, "corrupt:field=status", &e) &&
	       strstr(e.text, "field=status") != NULL,
	   "live: field=status refused: %s", e.text);
	ok(agr_injector_add(in, "error:tool=A,nth=2", &e), "live: error accepted");
	ok(agr_injector_add(in, "latency:tool=A,ms=25", &e), "live: latency accepted");
	ok(agr_injector_add(in, "corrupt:tool=B,mode=remove", &e), "live: corrupt accepted");

	/* the first call of A: no service fault (nth=2); latency on its result */
	rec = result("A", "c1", NULL, NULL);
	f = agr_injector_apply(in, rec, AGR_LIVE_SERVICE, &wait, &e);
	is_json(f, "[]", "live: A's first call, no service fault");
	is_json(json_incref(rec),
	        "{\"attempt\":1,\"call\":\"c1\",\"kind\":\"result\",\"step\":4,\"tool\":\"A\","
	        "\"trace\":\"t\"}",
	        "live: a record no fault hit is as it was");
	json_object_set_new(rec, "status", json_string("ok"));
	json_object_set_new(rec, "duration_ms", json_real(1.5));
	f = agr_injector_apply(in, rec, AGR_LIVE_RESPONSE, &wait, &e);
	is_json(f, "[{\"fault\":\"latency\",\"params\":{\"ms\":\"25\"}}]",
	        "live: latency's fault record fields: no trace, step, target or renumbered");
	ok(wait == 25, "live: latency waits its ms (%g)", wait);
	ok(json_real_value(json_object_get(rec, "duration_ms")) == 26.5,
	   "live: duration_ms changed in place (%g)",
	   json_real_value(json_object_get(rec, "duration_ms")));
	ok(json_integer_value(json_object_get(rec, "step")) == 4, "live: the step did not move");
	json_decref(rec);

	/* the second call of A: the error stands in for it */
	rec = result("A", "c2", NULL, NULL);
	f = agr_injector_apply(in, rec, AGR_LIVE_SERVICE, &wait, &e);
	is_json(f, "[{\"fault\":\"error\",\"params\":{}}]", "live: A's second call, an error");
	ok(wait == 0, "live: an error waits nothing");
	ok(strcmp(agr_json_str(rec, "status"), "error") == 0 &&
	       json_is_object(json_object_get(rec, "error")),
	   "live: the record failed in place");
	json_decref(rec);

	/* response faults are not service faults, and the other way round */
	rec = result("B", "c3", "ok", json_string("paid"));
	is_json(agr_injector_apply(in, rec, AGR_LIVE_SERVICE, &wait, &e), "[]",
	        "live: corrupt is no service fault");
	is_json(agr_injector_apply(in, rec, AGR_LIVE_RESPONSE, &wait, &e),
	        "[{\"fault\":\"corrupt\",\"params\":{\"mode\":\"remove\"}}]",
	        "live: corrupt on B's result");
	ok(json_object_get(rec, "output") == NULL, "live: B's output removed");
	json_decref(rec);

	ok(agr_injector_count(in) == 3, "live: 3 faults counted (%zu)", agr_injector_count(in));
	ok(written == 0, "live: nothing written (%zu)", written);
	agr_injector_free(in);
}

int
main(void)
{
	agr_injector *in = agr_injector_new(1, count_faults, NULL);

	ok(agr_injector_count(in) == 0, "a new injector has injected nothing");
	agr_injector_free(in);

	expect("no spec", (const char *const[]){ NULL }, STREAM, 0);
	expect("error on every result", (const char *const[]){ "error", NULL }, STREAM, 2);
	expect("error on the first Stripe result",
	       (const char *const[]){ "error:tool=Stripe,nth=1", NULL }, STREAM, 1);
	expect("a spec that hits no record", (const char *const[]){ "error:tool=Email", NULL },
	       false, 0);
	expect("p=0", (const char *const[]){ "error:p=0", NULL }, STREAM, 0);
	expect("n=1", (const char *const[]){ "timeout:n=1", NULL }, STREAM, 1);
	expect("two specs on the same records",
	       (const char *const[]){ "error", "latency:ms=5", NULL }, STREAM, 4);
	expect("a message fault and a result fault",
	       (const char *const[]){ "H", "timeout:nth=2", NULL }, STREAM, 2);
	/* stale needs an earlier output of the tool; its first result has none. */
	expect("stale: the first result has nothing to be",
	       (const char *const[]){ "stale:tool=Stripe", NULL }, STREAM, 1);
	expect("quiet, faults to the manifest", (const char *const[]){ "error", NULL }, MANIFEST,
	       2);
	/* No fault record anywhere: the count is all that tells. */
	expect("quiet, no manifest", (const char *const[]){ "error", NULL }, NOWHERE, 2);
	live();
	return done_testing();
}
