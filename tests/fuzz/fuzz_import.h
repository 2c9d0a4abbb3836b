/* fuzz_import.h - an importer on one input file; FORMAT names it. */
#include "fuzz.h"

static void
on_error(void *ctx, const agr_error *e)
{
	(void)ctx;
	(void)e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(data, size);

	agr_import(FORMAT, &path, 1, NULL, fuzz_discard, NULL, on_error, NULL);
	return 0;
}
