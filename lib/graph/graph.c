/* graph.c - the tool graph: interned node names, edges, a CSR index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_int.h"

static uint64_t
hash_bytes(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h;
}

static uint64_t
hash_pair(int from, int to)
{
	uint64_t x = ((uint64_t)(uint32_t)from << 32) | (uint32_t)to;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdu;
	x ^= x >> 33;
	return x;
}

agr_graph *
agr_graph_new(const char *name)
{
	agr_graph *g = agrp_xcalloc(1, sizeof *g);

	g->name = agrp_xstrdup(name ? name : "");
	g->start = g->goal = -1;
	return g;
}

void
agr_graph_free(agr_graph *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->nnodes; i++) {
		agrp_node *n = &g->nodes[i];

		free(n->name);
		for (size_t k = 0; k < n->ntags; k++)
			free(n->tags[k]);
		free(n->tags);
		for (size_t k = 0; k < n->nrun; k++)
			free(n->run[k]);
		free(n->run);
		for (size_t k = 0; k < n->nprobe; k++)
			free(n->probe[k]);
		free(n->probe);
		for (size_t k = 0; k < n->nargs; k++) {
			free(n->arg_names[k]);
			agr_expr_free(n->args[k]);
		}
		free(n->arg_names);
		free(n->args);
	}
	for (size_t i = 0; i < g->nmonitors; i++) {
		free(g->monitors[i].name);
		agr_expr_free(g->monitors[i].when);
	}
	free(g->monitors);
	free(g->nodes);
	free(g->hash);
	free(g->edges);
	free(g->ehash);
	free(g->out_start);
	free(g->out);
	free(g->in_start);
	free(g->in);
	free(g->fallback);
	free(g->name);
	free(g);
}

/* Open addressing; a slot holds index + 1, 0 is empty. */
static void
rehash_nodes(agr_graph *g)
{
	size_t cap = g->hashcap ? g->hashcap * 2 : 64;

	free(g->hash);
	g->hash = agrp_xcalloc(cap, sizeof *g->hash);
	g->hashcap = cap;
	for (size_t i = 0; i < g->nnodes; i++) {
		size_t slot = hash_bytes(g->nodes[i].name) & (cap - 1);

		while (g->hash[slot] != 0)
			slot = (slot + 1) & (cap - 1);
		g->hash[slot] = (int)i + 1;
	}
}

int
agr_graph_find(const agr_graph *g, const char *name)
{
	size_t slot;

	if (g->hashcap == 0)
		return -1;
	slot = hash_bytes(name) & (g->hashcap - 1);
	for (; g->hash[slot] != 0; slot = (slot + 1) & (g->hashcap - 1)) {
		int i = g->hash[slot] - 1;

		if (strcmp(g->nodes[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
agr_graph_intern(agr_graph *g, const char *name)
{
	int i = agr_graph_find(g, name);
	size_t slot;

	if (i >= 0)
		return i;
	agrp_grow(&g->nodes, &g->capnodes, g->nnodes + 1, sizeof *g->nodes);
	memset(&g->nodes[g->nnodes], 0, sizeof *g->nodes);
	g->nodes[g->nnodes].name = agrp_xstrdup(name);
	i = (int)g->nnodes++;
	if (g->nnodes * 2 > g->hashcap) {
		rehash_nodes(g);
	} else {
		slot = hash_bytes(name) & (g->hashcap - 1);
		while (g->hash[slot] != 0)
			slot = (slot + 1) & (g->hashcap - 1);
		g->hash[slot] = i + 1;
	}
	return i;
}

static long
find_edge(const agr_graph *g, int from, int to)
{
	size_t slot;

	if (g->ehashcap == 0)
		return -1;
	slot = hash_pair(from, to) & (g->ehashcap - 1);
	for (; g->ehash[slot] != 0; slot = (slot + 1) & (g->ehashcap - 1)) {
		long e = (long)g->ehash[slot] - 1;

		if (g->edges[e].from == from && g->edges[e].to == to)
			return e;
	}
	return -1;
}

static void
insert_edge_hash(agr_graph *g, size_t e)
{
	size_t slot = hash_pair(g->edges[e].from, g->edges[e].to) & (g->ehashcap - 1);

	while (g->ehash[slot] != 0)
		slot = (slot + 1) & (g->ehashcap - 1);
	g->ehash[slot] = e + 1;
}

bool
agr_graph_add_edge(agr_graph *g, int from, int to, agr_cost cost)
{
	agr_cost *max_in = &g->nodes[to].max_in;

	if (from == to || find_edge(g, from, to) >= 0 || cost < 0 || cost > AGR_COST_MAX)
		return false;
	/* A path enters each node once at most: the sum of the dearest edges
	 * in bounds every path, and must leave room for exact sums. */
	if (cost > *max_in) {
		if (g->cost_bound - *max_in > AGR_PATH_COST_MAX - cost)
			return false;
		g->cost_bound += cost - *max_in;
		*max_in = cost;
	}
	agrp_grow(&g->edges, &g->capedges, g->nedges + 1, sizeof *g->edges);
	g->edges[g->nedges].from = from;
	g->edges[g->nedges].to = to;
	g->edges[g->nedges].cost = cost;
	g->nedges++;
	if (g->nedges * 2 > g->ehashcap) {
		g->ehashcap = g->ehashcap ? g->ehashcap * 2 : 64;
		free(g->ehash);
		g->ehash = agrp_xcalloc(g->ehashcap, sizeof *g->ehash);
		for (size_t e = 0; e < g->nedges; e++)
			insert_edge_hash(g, e);
	} else {
		insert_edge_hash(g, g->nedges - 1);
	}
	free(g->out_start);
	g->out_start = NULL;
	return true;
}

/* Gives the nodes the order order[] (old indices, each once), edges and
 * hashes following; for a loader that met some nodes out of the order the
 * file defines.  Before start, goal and fallback are set. */
void
agrp_graph_renumber(agr_graph *g, const int *order)
{
	agrp_node *nodes = agrp_xmalloc((g->nnodes ? g->nnodes : 1) * sizeof *nodes);
	int *now = agrp_xmalloc((g->nnodes ? g->nnodes : 1) * sizeof *now);

	for (size_t i = 0; i < g->nnodes; i++) {
		nodes[i] = g->nodes[order[i]];
		now[order[i]] = (int)i;
	}
	free(g->nodes);
	g->nodes = nodes;
	g->capnodes = g->nnodes;
	for (size_t e = 0; e < g->nedges; e++) {
		g->edges[e].from = now[g->edges[e].from];
		g->edges[e].to = now[g->edges[e].to];
	}
	free(now);
	g->hashcap /= 2; /* rehash_nodes doubles it */
	rehash_nodes(g);
	if (g->ehashcap > 0) {
		memset(g->ehash, 0, g->ehashcap * sizeof *g->ehash);
		for (size_t e = 0; e < g->nedges; e++)
			insert_edge_hash(g, e);
	}
	free(g->out_start);
	g->out_start = NULL;
}

long
agrp_graph_edge_index(const agr_graph *g, int from, int to)
{
	return find_edge(g, from, to);
}

/* One direction of the CSR index: edges grouped by `from` (out) or `to` (in). */
static void
build_csr(const agr_graph *g, bool reverse, size_t **start, agrp_edge **edges)
{
	size_t n = g->nnodes, *fill;

	free(*start);
	free(*edges);
	*start = agrp_xcalloc(n + 1, sizeof **start);
	*edges = agrp_xmalloc(g->nedges * sizeof **edges);
	for (size_t e = 0; e < g->nedges; e++)
		(*start)[(reverse ? g->edges[e].to : g->edges[e].from) + 1]++;
	for (size_t i = 0; i < n; i++)
		(*start)[i + 1] += (*start)[i];
	fill = agrp_xmalloc((n + 1) * sizeof *fill);
	memcpy(fill, *start, (n + 1) * sizeof *fill);
	for (size_t e = 0; e < g->nedges; e++) {
		int key = reverse ? g->edges[e].to : g->edges[e].from;
		agrp_edge *o = &(*edges)[fill[key]++];

		o->to = reverse ? g->edges[e].from : g->edges[e].to;
		o->cost = g->edges[e].cost;
	}
	free(fill);
}

void
agrp_graph_index(agr_graph *g)
{
	if (g->out_start != NULL)
		return;
	build_csr(g, false, &g->out_start, &g->out);
	build_csr(g, true, &g->in_start, &g->in);
}

void
agr_graph_set_start(agr_graph *g, int node)
{
	g->start = node;
}

void
agr_graph_set_goal(agr_graph *g, int node)
{
	g->goal = node;
}

const char *
agr_graph_name(const agr_graph *g)
{
	return g->name;
}

size_t
agr_graph_node_count(const agr_graph *g)
{
	return g->nnodes;
}

size_t
agr_graph_edge_count(const agr_graph *g)
{
	return g->nedges;
}

const char *
agr_graph_node_name(const agr_graph *g, int node)
{
	return g->nodes[node].name;
}

int
agr_graph_start(const agr_graph *g)
{
	return g->start;
}

int
agr_graph_goal(const agr_graph *g)
{
	return g->goal;
}

size_t
agr_graph_fallback_count(const agr_graph *g)
{
	return g->nfallback;
}

int
agr_graph_preflight(const agr_graph *g)
{
	return g->preflight;
}

int
agr_graph_fallback(const agr_graph *g, size_t i)
{
	return g->fallback[i];
}

int
agr_graph_retries(const agr_graph *g, int node)
{
	return g->nodes[node].retries;
}

int
agr_graph_alternative(const agr_graph *g, int node)
{
	return g->nodes[node].alternative - 1;
}

bool
agr_graph_check_exec(const agr_graph *g, const char *source, agr_error *err)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		const agrp_node *n = &g->nodes[i];

		if ((int)i == g->start || n->nrun > 0 || n->waypoint)
			continue;
		agrp_error_set(err, source, n->line, n->col,
		               "node '%s' has no run: (--exec runs every node but the start; "
		               "waypoint: true passes one)",
		               n->name);
		return false;
	}
	return true;
}

agr_cost
agr_graph_edge_cost(const agr_graph *g, int from, int to)
{
	long e = find_edge(g, from, to);

	return e < 0 ? AGR_COST_INF : g->edges[e].cost;
}

const agrp_monitor *
agrp_graph_monitors(const agr_graph *g, size_t *n)
{
	*n = g->nmonitors;
	return g->monitors;
}

const char *
agrp_action_name(agrp_action a)
{
	switch (a) {
	case AGRP_ACT_DISABLE:
		return "disable";
	case AGRP_ACT_PENALTY:
		return "penalty";
	case AGRP_ACT_DEMOTE:
		return "demote";
	case AGRP_ACT_ESCALATE:
		return "escalate";
	}
	return "?";
}
bool
agr_cost_from_double(double value, agr_cost *out)
{
	if (!isfinite(value) || value < 0 || value > (double)AGR_COST_MAX / AGR_COST_SCALE)
		return false;
	*out = (agr_cost)llround(value * AGR_COST_SCALE);
	return true;
}

double
agr_cost_to_double(agr_cost cost)
{
	return (double)cost / AGR_COST_SCALE;
}
