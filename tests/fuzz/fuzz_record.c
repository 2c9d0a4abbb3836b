/* fuzz_record.c - the record reader (lines, scan, fields, tree) and every
 * built-in contract on what it reads; the scan must accept exactly what
 * jansson accepts, and read the fields every program looks at as the
 * tree has them.  Lines of any length the input holds (the reader's
 * default limit), so that long numbers, keys and objects are reached. */
#include "fuzz.h"

/* The tree's string at key, as agrp_record_common() reads it. */
static bool
same_str(const json_t *j, const char *key, const char *got)
{
	const json_t *v = json_object_get(j, key);

	if (!json_is_string(v))
		return got == NULL || (strcmp(key, "trace") == 0 && *got == '\0');
	return got != NULL && strlen(got) == json_string_length(v) &&
	       strcmp(got, json_string_value(v)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(data, size);
	agr_reader *r = agr_reader_new(&path, 1, 0);
	agr_contracts *cs = agr_contracts_new();
	agr_checker *k;
	const agr_record *rec;
	agr_error e;
	int rc;

	{
		/* The whole input as one record, both ways: the scan must refuse
		 * what jansson refuses and accept what it accepts, but for a raw
		 * NUL byte, which is never JSON and which jansson 2.14 passes over
		 * right after a number ({"a":13<NUL>}). */
		static agrp_field *f;
		static size_t nf, capf;
		json_t *j =
		    json_loadb((const char *)data, size,
		               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		long col;
		const char *msg;
		bool notable;

		if (agrp_scan_record((const char *)data, size, &f, &nf, &capf, &notable, &col,
		                     &msg) !=
		    (j != NULL && json_is_object(j) && memchr(data, '\0', size) == NULL))
			abort();
		json_decref(j);
	}
	agr_contracts_builtin(cs, "all", NULL);
	k = agr_checker_new(cs, 1000, fuzz_ignore_verdict, NULL);
	while ((rc = agr_reader_next(r, &rec, &e)) != 0) {
		agrp_common c;
		size_t len;
		const char *bytes;
		const json_t *step;
		json_t *j;

		if (rc < 0)
			continue;
		agrp_record_common(rec, &c);
		bytes = agr_record_bytes(rec, &len);
		j = json_loadb(bytes, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
		if (j == NULL) /* the scan let through what jansson refuses */
			abort();
		step = json_object_get(j, "step");
		if (c.step != (json_is_integer(step) ? (long)json_integer_value(step) : -1) ||
		    !same_str(j, "trace", c.trace) || !same_str(j, "kind", c.kind) ||
		    !same_str(j, "tool", c.tool) || !same_str(j, "status", c.status) ||
		    !same_str(j, "id", c.id) || !same_str(j, "call", c.call) ||
		    !same_str(j, "agent", c.agent))
			abort(); /* the fields read in place are not the tree's */
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
