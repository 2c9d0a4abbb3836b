/*
 * search.c - cheapest paths with a total, machine-independent order:
 * cost, then hops, then the byte-wise node-name sequence.
 *
 * It is Dijkstra's algorithm on reduced costs (A*): the potential of a
 * node is its exact distance to the target in the whole graph, found once
 * per target by a backward search.  Disabling nodes and adding penalties
 * only make paths dearer, so the potential stays consistent, and a reroute
 * explores the corridor of nearly cheapest paths instead of the graph.
 * Reduced costs shift every path to a node by the same amount, so the
 * order on paths, tie-breaks included, is unchanged.
 *
 * Sums are exact: no path of a graph costs more than AGR_PATH_COST_MAX
 * (agr_graph_add_edge sees to it) and the router's penalties stop at as
 * much again, so dist + potential stays below INT64_MAX.  The add stops
 * at AGR_COST_INF - 1 only for penalties that a caller passes by hand.
 *
 * The heap orders by (cost + potential, hops).  Every path that could tie
 * with a node's label enters from a node with a strictly smaller key,
 * settled first, so the name tie-break is decided at relaxation by
 * comparing the two settled predecessor chains.  Generation stamps spare
 * clearing the arrays between runs.
 */
#include <string.h>

#include "graph/graph_int.h"

typedef struct heap_item {
	agr_cost key; /* dist + potential */
	int hops;
	int v;
} heap_item;

struct agr_search {
	agr_graph *g;
	size_t n;
	agr_cost *dist; /* cost from the source */
	agr_cost *key;  /* the backward search's distance to the target */
	int *hops;
	int *pred;
	unsigned *seen; /* == gen: dist/key/hops/pred valid this run */
	unsigned *done; /* == gen: settled this run */
	unsigned gen;
	heap_item *heap;
	int *pos;
	size_t hn;
	agr_cost *potential; /* distance to potential_target, AGR_COST_INF if none */
	int potential_target;
	int *path;
	size_t path_len;
};

agr_search *
agr_search_new(const agr_graph *cg)
{
	/* The CSR index is a cache; building it does not change the graph. */
	agr_graph *g = (agr_graph *)cg;
	agr_search *s = agrp_xcalloc(1, sizeof *s);
	size_t n = g->nnodes;

	agrp_graph_index(g);
	s->g = g;
	s->n = n;
	s->dist = agrp_xmalloc(n * sizeof *s->dist);
	s->key = agrp_xmalloc(n * sizeof *s->key);
	s->hops = agrp_xmalloc(n * sizeof *s->hops);
	s->pred = agrp_xmalloc(n * sizeof *s->pred);
	s->seen = agrp_xcalloc(n, sizeof *s->seen);
	s->done = agrp_xcalloc(n, sizeof *s->done);
	s->heap = agrp_xmalloc(n * sizeof *s->heap);
	s->pos = agrp_xmalloc(n * sizeof *s->pos);
	s->potential = agrp_xmalloc(n * sizeof *s->potential);
	s->potential_target = -1;
	s->path = agrp_xmalloc((n + 1) * sizeof *s->path);
	return s;
}

void
agr_search_free(agr_search *s)
{
	if (s == NULL)
		return;
	free(s->dist);
	free(s->key);
	free(s->hops);
	free(s->pred);
	free(s->seen);
	free(s->done);
	free(s->heap);
	free(s->pos);
	free(s->potential);
	free(s->path);
	free(s);
}

/* The heap's order.  Each entry carries its node's key and hops, so that
 * sifting reads the heap alone, not arrays indexed all over by node. */
static inline bool
item_less(const heap_item *a, const heap_item *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	if (a->hops != b->hops)
		return a->hops < b->hops;
	return a->v < b->v;
}

static void
sift_up(agr_search *s, size_t i, heap_item it)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		heap_item up = s->heap[parent];

		if (!item_less(&it, &up))
			break;
		/* the node from the copy: a load from the entry just stored stalls */
		s->heap[i] = up;
		s->pos[up.v] = (int)i;
		i = parent;
	}
	s->heap[i] = it;
	s->pos[it.v] = (int)i;
}

static void
sift_down(agr_search *s, size_t i, heap_item it)
{
	for (;;) {
		size_t c = 2 * i + 1;
		heap_item child;

		if (c >= s->hn)
			break;
		if (c + 1 < s->hn && item_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		child = s->heap[c];
		if (!item_less(&child, &it))
			break;
		s->heap[i] = child;
		s->pos[child.v] = (int)i;
		i = c;
	}
	s->heap[i] = it;
	s->pos[it.v] = (int)i;
}

static void
heap_push(agr_search *s, int v, agr_cost key, int hops)
{
	heap_item it = { key, hops, v };

	sift_up(s, s->hn++, it);
}

/* v, in the heap, now has a smaller key, or as much with fewer hops. */
static void
heap_decrease(agr_search *s, int v, agr_cost key, int hops)
{
	heap_item it = { key, hops, v };

	sift_up(s, (size_t)s->pos[v], it);
}

static int
heap_pop(agr_search *s)
{
	int top = s->heap[0].v;

	s->hn--;
	if (s->hn > 0)
		sift_down(s, 0, s->heap[s->hn]);
	return top;
}

static unsigned
next_generation(agr_search *s)
{
	if (++s->gen == 0) { /* the stamps wrapped: start them again */
		memset(s->seen, 0, s->n * sizeof *s->seen);
		memset(s->done, 0, s->n * sizeof *s->done);
		s->gen = 1;
	}
	return s->gen;
}

/* The potential: every node's cost to reach target, over the whole graph. */
static void
compute_potential(agr_search *s, int target)
{
	const agr_graph *g = s->g;
	unsigned gen = next_generation(s);

	s->hn = 0;
	s->seen[target] = gen;
	s->key[target] = 0;
	heap_push(s, target, 0, 0);
	while (s->hn > 0) {
		int v = heap_pop(s);

		s->done[v] = gen;
		for (size_t e = g->in_start[v]; e < g->in_start[v + 1]; e++) {
			int u = g->in[e].to;
			agr_cost d = agrp_cost_add(s->key[v], g->in[e].cost);

			if (s->done[u] == gen)
				continue;
			if (s->seen[u] != gen) {
				s->seen[u] = gen;
				s->key[u] = d;
				heap_push(s, u, d, 0);
			} else if (d < s->key[u]) {
				s->key[u] = d;
				heap_decrease(s, u, d, 0);
			}
		}
	}
	for (size_t v = 0; v < s->n; v++)
		s->potential[v] = s->done[v] == gen ? s->key[v] : AGR_COST_INF;
	s->potential_target = target;
}

/*
 * Is the path to a byte-wise smaller than the path to b?  Both are settled
 * and have the same number of hops, so their chains meet after the same
 * number of steps back; the last difference seen walking back is the
 * first one reading forward.
 */
static bool
chain_less(const agr_search *s, int a, int b)
{
	int cmp = 0;

	while (a != b) {
		int c = strcmp(s->g->nodes[a].name, s->g->nodes[b].name);

		if (c != 0)
			cmp = c;
		a = s->pred[a];
		b = s->pred[b];
	}
	return cmp < 0;
}

agr_cost
agr_search_run(agr_search *s, int source, int target, const unsigned char *blocked,
               const agr_cost *penalty)
{
	const agr_graph *g = s->g;
	unsigned gen;

	if (s->potential_target != target)
		compute_potential(s, target);
	s->path_len = 0;
	if (s->potential[source] == AGR_COST_INF)
		return AGR_COST_INF;
	gen = next_generation(s);
	s->hn = 0;
	s->seen[source] = gen;
	s->dist[source] = 0;
	s->hops[source] = 0;
	s->pred[source] = -1;
	heap_push(s, source, s->potential[source], 0);
	while (s->hn > 0) {
		int u = heap_pop(s);

		s->done[u] = gen;
		if (u == target)
			break;
		for (size_t e = g->out_start[u]; e < g->out_start[u + 1]; e++) {
			int v = g->out[e].to;
			agr_cost nd;
			int nh;

			/* A node that cannot reach the target can never be on the path. */
			if (s->done[v] == gen || v == source || s->potential[v] == AGR_COST_INF ||
			    (blocked != NULL && blocked[v]))
				continue;
			nd = agrp_cost_add(s->dist[u], g->out[e].cost);
			if (penalty != NULL)
				nd = agrp_cost_add(nd, penalty[v]);
			nh = s->hops[u] + 1;
			if (s->seen[v] != gen) {
				s->seen[v] = gen;
				s->dist[v] = nd;
				s->hops[v] = nh;
				s->pred[v] = u;
				heap_push(s, v, agrp_cost_add(nd, s->potential[v]), nh);
			} else if (nd < s->dist[v] || (nd == s->dist[v] && nh < s->hops[v])) {
				s->dist[v] = nd;
				s->hops[v] = nh;
				s->pred[v] = u;
				heap_decrease(s, v, agrp_cost_add(nd, s->potential[v]), nh);
			} else if (nd == s->dist[v] && nh == s->hops[v] &&
			           chain_less(s, u, s->pred[v])) {
				s->pred[v] = u;
			}
		}
	}
	if (s->seen[target] != gen || s->done[target] != gen)
		return AGR_COST_INF;
	s->path_len = (size_t)s->hops[target] + 1;
	for (int v = target, i = (int)s->path_len - 1; v >= 0; v = s->pred[v], i--)
		s->path[i] = v;
	return s->dist[target];
}

const int *
agr_search_path(const agr_search *s, size_t *len)
{
	*len = s->path_len;
	return s->path;
}

void
agrp_search_reach(agr_search *s, int source, const unsigned char *blocked, unsigned char *reach)
{
	const agr_graph *g = s->g;
	size_t top = 0;

	/* the room of the heap's positions, as a stack: no search is under way */
	memset(reach, 0, s->n);
	reach[source] = 1;
	s->pos[top++] = source;
	while (top > 0) {
		int u = s->pos[--top];

		for (size_t e = g->out_start[u]; e < g->out_start[u + 1]; e++) {
			int v = g->out[e].to;

			if (!reach[v] && !(blocked != NULL && blocked[v])) {
				reach[v] = 1;
				s->pos[top++] = v;
			}
		}
	}
}
