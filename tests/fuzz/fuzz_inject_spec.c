/*
 * fuzz_inject_spec.c - the fault spec loader (agraph-inject(5), YAML read
 * from a file), then the loaded faults on a short run.  Inputs run to
 * megabytes: the loader must be linear and refuse what it cannot take.
 */
#include "fuzz.h"

static const char run[] =
    "{\"trace\":\"t\",\"step\":1,\"kind\":\"route\",\"path\":[\"a\",\"b\"],\"cost\":1}\n"
    "{\"trace\":\"t\",\"step\":2,\"kind\":\"call\",\"tool\":\"b\",\"id\":\"c1\",\"args\":{\"n\":5}}"
    "\n"
    "{\"trace\":\"t\",\"step\":3,\"kind\":\"result\",\"tool\":\"b\",\"call\":\"c1\",\"status\":"
    "\"ok\",\"output\":\"fine\"}\n"
    "{\"trace\":\"t\",\"step\":4,\"kind\":\"final\",\"status\":\"success\"}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agr_injector *in = agr_injector_new(1, fuzz_discard, NULL);
	agr_error e;

	if (agr_injector_load(in, fuzz_path(data, size), &e)) {
		agr_record *rec = agr_record_new();
		const char *p = run;

		for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			if (agr_record_set(rec, p, (size_t)(nl - p), "run", 1, &e))
				agr_injector_feed(in, rec, &e);
		agr_record_free(rec);
		agr_injector_finish(in);
	}
	agr_injector_free(in);
	return 0;
}
