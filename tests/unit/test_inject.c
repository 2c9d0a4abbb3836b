/*
 * test_inject.c - agr_injector_count() through the public API: it is how
 * a program that embeds the injector learns whether its specs hit
 * anything, also when fault records are left out of the stream.  It
 * counts faults applied, not specs that matched: a fault that finds
 * nothing to do (stale with no earlier output) counts nothing.
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
	return done_testing();
}
