/*
 * graph_int.h - the tool graph's insides, for the loader, the search and
 * the router.
 * Internal names start with agrp_.
 */
#ifndef AGRP_GRAPH_INT_H
#define AGRP_GRAPH_INT_H

#include "base/base_int.h"

typedef enum agrp_action {
	AGRP_ACT_DISABLE,
	AGRP_ACT_PENALTY,
	AGRP_ACT_DEMOTE,
	AGRP_ACT_ESCALATE,
} agrp_action;

typedef struct agrp_monitor {
	char *name;
	double priority;
	agr_expr *when;
	agrp_action action;
	agr_cost penalty; /* AGRP_ACT_PENALTY */
} agrp_monitor;

typedef struct agrp_edge {
	int to;
	agr_cost cost;
} agrp_edge;

typedef struct agrp_node {
	char *name;
	agr_cost max_in; /* the dearest edge into it */
	int retries;
	int alternative; /* its hand-coded alternative + 1; 0: none */
	long timeout_ms;
	char **tags; /* ntags strings */
	size_t ntags;
	char **run; /* nrun strings: the argv of the tool */
	size_t nrun;
	char **probe; /* nprobe strings: the argv of its health probe */
	size_t nprobe;
	size_t max_output; /* --exec: bytes of stdout kept, 0: the runner's bound */
	bool waypoint;     /* --exec: reached without running anything */
	char **arg_names;  /* args: nargs names, in the order written, */
	agr_expr **args;   /* each one's expression over {input, outputs} */
	size_t nargs;
	long backoff_ms; /* before the first retry, doubling: 0 none */
	long line, col;  /* where the graph file first names it, or 0 */
} agrp_node;

struct agr_graph {
	char *name;
	agrp_node *nodes;
	size_t nnodes, capnodes;
	/* Name -> index: open addressing, size a power of two. */
	int *hash;
	size_t hashcap;
	/* Edges as added, then a CSR index built on first use. */
	struct {
		int from, to;
		agr_cost cost;
	} * edges;
	size_t nedges, capedges;
	agr_cost cost_bound; /* sum of max_in: no path costs more */
	size_t *ehash;       /* (from, to) -> edge index + 1 */
	size_t ehashcap;
	size_t *out_start; /* nnodes + 1 entries, NULL until built */
	agrp_edge *out;
	size_t *in_start; /* the same for edges into each node */
	agrp_edge *in;    /* .to is the edge's source here */
	int start, goal;
	int *fallback;
	size_t nfallback;
	int preflight; /* tools known down before the walk for a pre-flight, 0: never */
	bool any_args; /* a node has args: (routers keep the outputs for them) */
	agrp_monitor *monitors;
	size_t nmonitors;
};

/* a + b for costs from 0 up, stopping at AGR_COST_INF - 1 */
static inline agr_cost
agrp_cost_add(agr_cost a, agr_cost b)
{
	return b >= AGR_COST_INF - 1 - a ? AGR_COST_INF - 1 : a + b;
}

/* The index of edge from -> to in g->edges, or -1. */
long agrp_graph_edge_index(const agr_graph *g, int from, int to);

/* Puts node order[i] (an old index) at index i, for every node. */
void agrp_graph_renumber(agr_graph *g, const int *order);

/* Builds the CSR adjacency if edges were added since the last build. */
void agrp_graph_index(agr_graph *g);

/* Marks in reach[] (a byte a node) the nodes that a path from source
 * avoiding blocked ones reaches: one pass, where a search a target
 * would cost as much for each. */
void agrp_search_reach(agr_search *s, int source, const unsigned char *blocked,
                       unsigned char *reach);

/* The monitors of the graph, sorted by priority (highest first), then name. */
const agrp_monitor *agrp_graph_monitors(const agr_graph *g, size_t *n);

const char *agrp_action_name(agrp_action a);

#endif
