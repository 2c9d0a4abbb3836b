/* fuzz_import_openai.c - the openai importer on one input file. */
#define FORMAT "openai"
#include "fuzz_import.h"
