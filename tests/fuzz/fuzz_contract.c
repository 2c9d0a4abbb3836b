/* fuzz_contract.c - the contract loader, then the contracts on a run. */
#include "fuzz.h"

static const char run[] =
    "{\"trace\":\"t\",\"step\":1,\"kind\":\"route\",\"path\":[\"a\",\"b\"],\"cost\":1}\n"
    "{\"trace\":\"t\",\"step\":2,\"kind\":\"call\",\"tool\":\"b\",\"id\":\"c1\",\"args\":{\"n\":5}}"
    "\n"
    "{\"trace\":\"t\",\"step\":3,\"kind\":\"result\",\"tool\":\"b\",\"call\":\"c1\",\"status\":"
    "\"error\",\"error\":{\"class\":\"x\"}}\n"
    "{\"trace\":\"t\",\"step\":4,\"kind\":\"escalate\",\"goal\":\"b\",\"cause\":3}\n"
    "{\"trace\":\"t\",\"step\":5,\"kind\":\"final\",\"status\":\"escalated\",\"cause\":4}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agr_contracts *cs = agr_contracts_new();
	agr_error e;

	if (agr_contracts_load_string(cs, (const char *)data, size, "fuzz", &e)) {
		agr_checker *k = agr_checker_new(cs, 1000, fuzz_ignore_verdict, NULL);
		agr_record *rec = agr_record_new();
		const char *p = run;

		for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
			if (agr_record_set(rec, p, (size_t)(nl - p), "run", 1, &e))
				agr_checker_feed(k, rec, &e);
		agr_checker_finish(k);
		agr_checker_free(k);
		agr_record_free(rec);
	}
	agr_contracts_free(cs);
	return 0;
}
