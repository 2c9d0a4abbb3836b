/* fuzz_expr.c - an expression (the first line) compiled and tested on a
 * record (the rest): read in place and read as a tree must agree. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *nl = strchr(text, '\n');
	const char *rest = nl ? nl + 1 : "{}";
	agr_error e;
	agr_expr *x;
	agr_record *rec = agr_record_new();

	if (nl != NULL)
		*nl = '\0';
	if ((x = agr_expr_compile(text, &e)) != NULL) {
		if (agr_record_set(rec, rest, strlen(rest), "fuzz", 1, &e)) {
			bool fast = agr_expr_test_record(x, rec, rec);
			bool tree = agr_expr_test(x, agr_record_json(rec), agr_record_json(rec));

			if (fast != tree) /* two readings of one record disagree */
				abort();
		}
		agr_expr_free(x);
	}
	agr_record_free(rec);
	free(text);
	return 0;
}
