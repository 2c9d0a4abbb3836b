/*
 * search.c - Dijkstra with a binary heap and a total, machine-independent
 * order on paths: cost, then hops, then the byte-wise node-name sequence.
 *
 * The heap orders by (cost, hops) only.  Every path that could tie with a
 * node's label on both enters from a node with a strictly smaller
 * (cost, hops), which is settled first, so the name tie-break can be
 * decided at relaxation time by comparing the two settled predecessor
 * chains.  Generation stamps spare clearing the arrays between runs, so a
 * reroute costs what it touches, not the size of the graph.
 */
#include <string.h>

#include "agraph_int.h"

struct agr_search {
	agr_graph *g;
	size_t n;
	agr_cost *dist;
	int *hops;
	int *pred;
	unsigned *seen; /* == gen: dist/hops/pred valid this run */
	unsigned *done; /* == gen: settled this run */
	unsigned gen;
	int *heap;
	int *pos;
	size_t hn;
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
	s->hops = agrp_xmalloc(n * sizeof *s->hops);
	s->pred = agrp_xmalloc(n * sizeof *s->pred);
	s->seen = agrp_xcalloc(n, sizeof *s->seen);
	s->done = agrp_xcalloc(n, sizeof *s->done);
	s->heap = agrp_xmalloc(n * sizeof *s->heap);
	s->pos = agrp_xmalloc(n * sizeof *s->pos);
	s->path = agrp_xmalloc((n + 1) * sizeof *s->path);
	return s;
}

void
agr_search_free(agr_search *s)
{
	if (s == NULL)
		return;
	free(s->dist);
	free(s->hops);
	free(s->pred);
	free(s->seen);
	free(s->done);
	free(s->heap);
	free(s->pos);
	free(s->path);
	free(s);
}

static bool
key_less(const agr_search *s, int a, int b)
{
	if (s->dist[a] != s->dist[b])
		return s->dist[a] < s->dist[b];
	if (s->hops[a] != s->hops[b])
		return s->hops[a] < s->hops[b];
	return a < b;
}

static void
heap_set(agr_search *s, size_t i, int v)
{
	s->heap[i] = v;
	s->pos[v] = (int)i;
}

static void
sift_up(agr_search *s, size_t i)
{
	int v = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!key_less(s, v, s->heap[parent]))
			break;
		heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	heap_set(s, i, v);
}

static void
sift_down(agr_search *s, size_t i)
{
	int v = s->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->hn)
			break;
		if (c + 1 < s->hn && key_less(s, s->heap[c + 1], s->heap[c]))
			c++;
		if (!key_less(s, s->heap[c], v))
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, v);
}

static int
heap_pop(agr_search *s)
{
	int top = s->heap[0];

	s->hn--;
	if (s->hn > 0) {
		heap_set(s, 0, s->heap[s->hn]);
		sift_down(s, 0);
	}
	return top;
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

static agr_cost
add_cost(agr_cost a, agr_cost b)
{
	return b >= AGR_COST_INF - 1 - a ? AGR_COST_INF - 1 : a + b;
}

agr_cost
agr_search_run(agr_search *s, int source, int target, const unsigned char *blocked,
               const agr_cost *penalty)
{
	const agr_graph *g = s->g;
	unsigned gen = ++s->gen;

	if (gen == 0) { /* the stamps wrapped: start them again */
		memset(s->seen, 0, s->n * sizeof *s->seen);
		memset(s->done, 0, s->n * sizeof *s->done);
		gen = s->gen = 1;
	}
	s->path_len = 0;
	s->hn = 0;
	s->seen[source] = gen;
	s->dist[source] = 0;
	s->hops[source] = 0;
	s->pred[source] = -1;
	heap_set(s, s->hn++, source);
	while (s->hn > 0) {
		int u = heap_pop(s);

		s->done[u] = gen;
		if (u == target)
			break;
		for (size_t e = g->out_start[u]; e < g->out_start[u + 1]; e++) {
			int v = g->out[e].to;
			agr_cost nd;
			int nh;

			if (s->done[v] == gen || v == source || (blocked != NULL && blocked[v]))
				continue;
			nd = add_cost(s->dist[u], g->out[e].cost);
			if (penalty != NULL)
				nd = add_cost(nd, penalty[v]);
			nh = s->hops[u] + 1;
			if (s->seen[v] != gen) {
				s->seen[v] = gen;
				s->dist[v] = nd;
				s->hops[v] = nh;
				s->pred[v] = u;
				heap_set(s, s->hn++, v);
				sift_up(s, s->hn - 1);
			} else if (nd < s->dist[v] || (nd == s->dist[v] && nh < s->hops[v])) {
				s->dist[v] = nd;
				s->hops[v] = nh;
				s->pred[v] = u;
				sift_up(s, (size_t)s->pos[v]);
			} else if (nd == s->dist[v] && nh == s->hops[v] &&
			           chain_less(s, u, s->pred[v])) {
				s->pred[v] = u;
			}
		}
	}
	if (s->done[target] != gen)
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
