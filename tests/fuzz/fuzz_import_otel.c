/* fuzz_import_otel.c - the otel importer on one input file. */
#define FORMAT "otel"
#include "fuzz_import.h"
