/*
 * agraph_int.h - what the library's files share and users do not see.
 * Internal names start with agrp_.
 */
#ifndef AGRAPH_INT_H
#define AGRAPH_INT_H

#include <stdarg.h>

#include "agraph.h"

#define AGRP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Fills err; source may be NULL to keep what err already holds. */
void agrp_error_set(agr_error *err, const char *source, long line, long column, const char *fmt,
                    ...) AGRP_PRINTF(5, 6);

/* Allocation that never returns NULL: running out of memory ends the
 * program with a message, as there is nothing sane left to do. */
void *agrp_xmalloc(size_t n);
void *agrp_xcalloc(size_t n, size_t size);
void *agrp_xrealloc(void *p, size_t n);
char *agrp_xstrdup(const char *s);

/* Grows *p (an array of elem-sized items with room for *cap) to hold need. */
void agrp_grow(void *pp, size_t *cap, size_t need, size_t elem);

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
	int retries;
	long timeout_ms;
	char **tags; /* ntags strings */
	size_t ntags;
	char **run; /* nrun strings: the argv of the tool */
	size_t nrun;
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
	size_t *ehash; /* (from, to) -> edge index + 1 */
	size_t ehashcap;
	size_t *out_start; /* nnodes + 1 entries, NULL until built */
	agrp_edge *out;
	size_t *in_start; /* the same for edges into each node */
	agrp_edge *in;    /* .to is the edge's source here */
	int start, goal;
	int *fallback;
	size_t nfallback;
	agrp_monitor *monitors;
	size_t nmonitors;
};

/* The index of edge from -> to in g->edges, or -1. */
long agrp_graph_edge_index(const agr_graph *g, int from, int to);

/* Builds the CSR adjacency if edges were added since the last build. */
void agrp_graph_index(agr_graph *g);

/* The monitors of the graph, sorted by priority (highest first), then name. */
const agrp_monitor *agrp_graph_monitors(const agr_graph *g, size_t *n);

const char *agrp_action_name(agrp_action a);

#endif
