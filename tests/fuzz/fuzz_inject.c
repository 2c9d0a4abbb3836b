/* fuzz_inject.c - a fault spec (the first line), then the records (the
 * rest) through the injector. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *nl = strchr(text, '\n');
	agr_injector *in = agr_injector_new(1, fuzz_discard, NULL);
	agr_record *rec = agr_record_new();
	agr_error e;

	if (nl != NULL)
		*nl = '\0';
	if (agr_injector_add(in, text, &e) && nl != NULL) {
		const char *p = nl + 1;

		for (const char *end; *p != '\0'; p = *end ? end + 1 : end) {
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
			if (agr_record_set(rec, p, (size_t)(end - p), "fuzz", 1, &e))
				agr_injector_feed(in, rec, &e);
		}
	}
	agr_injector_finish(in);
	agr_injector_free(in);
	agr_record_free(rec);
	free(text);
	return 0;
}
