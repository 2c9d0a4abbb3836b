/* fuzz_import_chatlog.c - the chatlog importer on one input file. */
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

	agr_import("chatlog", &path, 1, NULL, fuzz_discard, NULL, on_error, NULL);
	return 0;
}
