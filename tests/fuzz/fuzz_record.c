/* fuzz_record.c - the record reader (lines, scan, fields, tree) and every
 * built-in contract on what it reads; the scan must accept exactly what
 * jansson accepts. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(data, size);
	agr_reader *r = agr_reader_new(&path, 1, 4096);
	agr_contracts *cs = agr_contracts_new();
	agr_checker *k;
	const agr_record *rec;
	agr_error e;
	int rc;

	agr_contracts_builtin(cs, "all", NULL);
	k = agr_checker_new(cs, 1000, fuzz_ignore_verdict, NULL);
	while ((rc = agr_reader_next(r, &rec, &e)) != 0) {
		agrp_common c;
		size_t len;
		const char *bytes;
		json_t *j;

		if (rc < 0)
			continue;
		agrp_record_common(rec, &c);
		bytes = agr_record_bytes(rec, &len);
		j = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
		if (j == NULL) /* the scan let through what jansson refuses */
			abort();
		json_decref(j);
		agr_record_json(rec);
		if (!agr_checker_feed(k, rec, &e))
			break;
	}
	agr_checker_finish(k);
	agr_checker_free(k);
	agr_contracts_free(cs);
	agr_reader_free(r);
	return 0;
}
