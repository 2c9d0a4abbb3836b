/* diff.c - agraph-replay --diff: the traces of two files, paired by id. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "agraph_fe.h"

typedef struct traces {
	agr_recording **v;
	size_t n, cap;
} traces;

static bool
keep_recording(void *ctx, agr_recording *rc)
{
	traces *t = ctx;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		if ((t->v = realloc(t->v, t->cap * sizeof *t->v)) == NULL)
			err(2, "out of memory");
	}
	t->v[t->n++] = rc;
	return true;
}

/* Every trace of a file; false when anything in it could not be read. */
static bool
read_traces(const char *path, traces *t)
{
	char *files[] = { (char *)path };

	return agr_fe_each_recording(files, 1, NULL, false, keep_recording, t) == 0;
}

static agr_recording *
find_trace(const traces *t, const char *id, bool *used)
{
	for (size_t i = 0; i < t->n; i++)
		if (!used[i] && strcmp(agr_recording_trace(t->v[i]), id) == 0) {
			used[i] = true;
			return t->v[i];
		}
	return NULL;
}

int
diff_files(const char *path_a, const char *path_b, bool ndjson)
{
	traces a = { 0 }, b = { 0 };
	bool ok_a = read_traces(path_a, &a), ok_b = read_traces(path_b, &b); /* both, always */
	bool ok = ok_a && ok_b, differ = false;
	bool *used = calloc(b.n + 1, 1);

	if (used == NULL)
		err(2, "out of memory");
	/* One trace on each side: the same run, whatever its ids say. */
	if (a.n == 1 && b.n == 1) {
		differ = agr_diff_traces(a.v[0], b.v[0], ndjson, stdout);
		used[0] = true;
	} else {
		for (size_t i = 0; i < a.n; i++)
			differ |= agr_diff_traces(a.v[i],
			                          find_trace(&b, agr_recording_trace(a.v[i]), used),
			                          ndjson, stdout);
	}
	for (size_t i = 0; i < b.n; i++)
		if (!used[i])
			differ |= agr_diff_traces(NULL, b.v[i], ndjson, stdout);
	for (size_t i = 0; i < a.n; i++)
		agr_recording_free(a.v[i]);
	for (size_t i = 0; i < b.n; i++)
		agr_recording_free(b.v[i]);
	free(a.v);
	free(b.v);
	free(used);
	return !ok ? 2 : differ ? 1 : 0;
}
