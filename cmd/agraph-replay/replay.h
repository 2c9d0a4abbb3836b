/* replay.h - what agraph-replay's files share. */
#ifndef AGRAPH_REPLAY_H
#define AGRAPH_REPLAY_H

#include <stdbool.h>

/* --diff: compares the traces of two files, paired by trace id (or the
 * one trace of each).  Returns 0 when they agree, 1 when any differ, 2
 * when a file could not be read whole. */
int diff_files(const char *path_a, const char *path_b, bool ndjson);

#endif
