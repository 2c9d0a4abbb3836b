/* fuzz_import_chatlog.c - the chatlog importer on one input file. */
#define FORMAT "chatlog"
#include "fuzz_import.h"
