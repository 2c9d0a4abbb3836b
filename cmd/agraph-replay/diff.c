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

	return agr_fe_each_recording(files, 1, NULL, NULL, false, keep_recording, t) == 0;
}

/* B's traces by id, so that pairing is O(log n) a trace, not a scan of B
 * for each trace of A: the entries sorted by id, then by place in B; taken
 * counts, at the first entry of each id, how many of them are paired. */
typedef struct by_id {
	struct entry {
		const char *id;
		size_t i;
	} * e;
	size_t *taken;
	size_t n;
} by_id;

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c = strcmp(a->id, b->id);

	return c != 0 ? c : a->i < b->i ? -1 : a->i > b->i;
}

static void
index_traces(const traces *t, by_id *x)
{
	x->n = t->n;
	x->e = calloc(t->n + 1, sizeof *x->e);
	x->taken = calloc(t->n + 1, sizeof *x->taken);
	if (x->e == NULL || x->taken == NULL)
		err(2, "out of memory");
	for (size_t i = 0; i < t->n; i++)
		x->e[i] = (struct entry){ agr_recording_trace(t->v[i]), i };
	qsort(x->e, x->n, sizeof *x->e, entry_cmp);
}

/* The first trace of B with this id not yet paired, in B's order. */
static agr_recording *
find_trace(const traces *t, by_id *x, const char *id, bool *used)
{
	size_t lo = 0, hi = x->n, k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(x->e[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->n || strcmp(x->e[lo].id, id) != 0)
		return NULL;
	k = lo + x->taken[lo];
	if (k == x->n || strcmp(x->e[k].id, id) != 0)
		return NULL;
	x->taken[lo]++;
	used[x->e[k].i] = true;
	return t->v[x->e[k].i];
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
		by_id x;

		index_traces(&b, &x);
		for (size_t i = 0; i < a.n; i++)
			differ |= agr_diff_traces(
			    a.v[i], find_trace(&b, &x, agr_recording_trace(a.v[i]), used), ndjson,
			    stdout);
		free(x.e);
		free(x.taken);
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
