/* load.c - agraph-graph(5) from YAML (JSON is YAML too): what the file
 * means, read from it as compose.c composes it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "graph/compose_int.h"
#include "graph/graph_int.h"

#define MAX_RETRIES 100

typedef struct loader {
	agrp_yaml y; /* first, so that a callback's agrp_yaml * is the loader */
	agr_graph *g;
	long *edge_line; /* where each edge was written, for duplicate errors */
	size_t edge_line_cap;
	agrp_map monitor_names; /* so that a long list is not checked in n^2 */
	size_t monitor_cap;
	unsigned char *listed; /* [node]: in the fallback list */
	struct {
		int node;
		yaml_node_t name; /* a copy: the entry it was in is gone */
	} * alt;                  /* alternative: names, checked once every node is known */
	size_t nalt, capalt;

	/* The file is read as a stream of events (see load_stream). */
	agrp_composed read;
	int pending;       /* rank of the mistake in err, R_NONE: none yet */
	long root_line[8]; /* line of each top-level key seen, 0: none */
	long *key_line;    /* [node]: line of its key in nodes:, 0: none */
	size_t key_line_cap;
	bool edges_first; /* an edge came before an entry of nodes: */
	bool nodes_begun;
	int *order; /* nodes in the order entries of nodes: name them */
	size_t norder, caporder;
} loader;

/* Mistakes found while the file is read, by which one the whole-document
 * reading reported first: the top level's keys, then nodes:, then edges:. */
enum { R_NONE, R_EDGE, R_NODE, R_ROOT };

static bool
get_cost(loader *L, const yaml_node_t *n, const char *what, agr_cost *out)
{
	double d;

	if (!agrp_yaml_number(&L->y, n, what, &d))
		return false;
	if (!agr_cost_from_double(d, out))
		return agrp_yaml_fail(&L->y, n, "%s must be from 0 to %lld, not %s", what,
		                      (long long)(AGR_COST_MAX / AGR_COST_SCALE),
		                      agrp_yaml_scalar(n));
	return true;
}

/* Keeps the earliest place in the file that names the node. */
static void
mentioned_at(agrp_node *node, const yaml_node_t *at)
{
	long line = (long)at->start_mark.line + 1, col = (long)at->start_mark.column + 1;

	if (node->line == 0 || line < node->line || (line == node->line && col < node->col)) {
		node->line = line;
		node->col = col;
	}
}

/* The node of that name, made if new, with where the file first names it. */
static int
intern_at(loader *L, const char *name, const yaml_node_t *at)
{
	int i = agr_graph_intern(L->g, name);
	agrp_node *node = &L->g->nodes[i];

	mentioned_at(node, at);
	return i;
}

/* run: and probe: an argv, a list of strings (a scalar would leave open
 * where it splits); an argument may be empty, the program may not. */
static bool
load_argv(loader *L, yaml_node_t *v, const char *what, char ***out, size_t *count)
{
	size_t len = v->type == YAML_SEQUENCE_NODE
	                 ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start)
	                 : 0;
	char **argv;

	if (len == 0)
		return agrp_yaml_fail(&L->y, v,
		                      "%s must be a list of strings, the program first, such as "
		                      "[./tool, --flag]",
		                      what);
	argv = agrp_xcalloc(len, sizeof *argv);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *item = agrp_yaml_node(&L->y, v->data.sequence.items.start[i]);
		const char *text;

		if (item->type != YAML_SCALAR_NODE ||
		    (text = agrp_yaml_scalar(item), strlen(text) != item->data.scalar.length)) {
			agrp_yaml_fail(&L->y, item,
			               item->type != YAML_SCALAR_NODE
			                   ? "an item of %s must be a string"
			                   : "an item of %s must not contain a NUL byte",
			               what);
			agrp_free_strings(argv, i);
			return false;
		}
		if (i == 0 && text[0] == '\0') {
			agrp_free_strings(argv, i);
			return agrp_yaml_fail(&L->y, item, "%s's program must not be empty", what);
		}
		argv[i] = agrp_xstrdup(text);
	}
	agrp_free_strings(*out, *count);
	*out = argv;
	*count = len;
	return true;
}

/* One name: expression of args:, compiled where it stands. */
static bool
node_arg(agrp_yaml *Y, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	loader *L = (loader *)Y;
	agrp_node *node = ctx;
	agr_expr *e;

	/* a name is a JSON key of the call record's args */
	if (strlen(key) != k->data.scalar.length)
		return agrp_yaml_fail(&L->y, k, "an argument's name must not contain a NUL byte");
	if ((e = agrp_yaml_expr(&L->y, v, "an argument's expression")) == NULL)
		return false;
	node->arg_names =
	    agrp_xrealloc(node->arg_names, (node->nargs + 1) * sizeof *node->arg_names);
	node->args = agrp_xrealloc(node->args, (node->nargs + 1) * sizeof *node->args);
	node->arg_names[node->nargs] = agrp_xstrdup(key);
	node->args[node->nargs++] = e;
	L->g->any_args = true;
	return true;
}

static bool
node_attr(agrp_yaml *Y, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	loader *L = (loader *)Y;
	agrp_node *node = &L->g->nodes[*(int *)ctx];
	long x;

	if (strcmp(key, "retries") == 0) {
		if (!agrp_yaml_int(&L->y, v, "retries", 0, MAX_RETRIES, &x))
			return false;
		node->retries = (int)x;
	} else if (strcmp(key, "timeout_ms") == 0) {
		if (!agrp_yaml_int(&L->y, v, "timeout_ms", 1, 86400000L, &x))
			return false;
		node->timeout_ms = x;
	} else if (strcmp(key, "alternative") == 0) {
		const char *name;

		if (!agrp_yaml_name(&L->y, v, "alternative", &name))
			return false;
		agrp_grow(&L->alt, &L->capalt, L->nalt + 1, sizeof *L->alt);
		L->alt[L->nalt].node = *(int *)ctx;
		L->alt[L->nalt].name = *v;
		L->alt[L->nalt].name.tag = NULL;
		L->alt[L->nalt++].name.data.scalar.value = (yaml_char_t *)agrp_xstrdup(name);
	} else if (strcmp(key, "tags") == 0) {
		agrp_free_strings(node->tags, node->ntags);
		node->tags = NULL;
		node->ntags = 0;
		return agrp_yaml_strings(&L->y, v, "tags", &node->tags, &node->ntags);
	} else if (strcmp(key, "run") == 0) {
		if (node->waypoint)
			return agrp_yaml_fail(&L->y, k,
			                      "a waypoint runs nothing: run: and waypoint: true "
			                      "do not go together");
		return load_argv(L, v, "run", &node->run, &node->nrun);
	} else if (strcmp(key, "probe") == 0) {
		return load_argv(L, v, "probe", &node->probe, &node->nprobe);
	} else if (strcmp(key, "max_output") == 0) {
		if (!agrp_yaml_int(&L->y, v, "max_output", 1, 1L << 30, &x))
			return false;
		node->max_output = (size_t)x;
	} else if (strcmp(key, "args") == 0) {
		/* a node named twice in nodes: gets the args of the last */
		for (size_t i = 0; i < node->nargs; i++) {
			free(node->arg_names[i]);
			agr_expr_free(node->args[i]);
		}
		node->nargs = 0;
		return agrp_yaml_each_pair(&L->y, v, "args", node_arg, node);
	} else if (strcmp(key, "backoff_ms") == 0) {
		if (!agrp_yaml_int(&L->y, v, "backoff_ms", 0, 86400000L, &x))
			return false;
		node->backoff_ms = x;
	} else if (strcmp(key, "waypoint") == 0) {
		if (!agrp_yaml_bool(&L->y, v, "waypoint", &node->waypoint))
			return false;
		if (node->waypoint && node->nrun > 0)
			return agrp_yaml_fail(&L->y, k,
			                      "a waypoint runs nothing: run: and waypoint: true "
			                      "do not go together");
	} else {
		return agrp_yaml_fail(&L->y, k,
		                      "unknown key '%s' in a node (known: retries, timeout_ms, "
		                      "alternative, tags, run, max_output, waypoint, probe, args, "
		                      "backoff_ms)",
		                      key);
	}
	return true;
}

static bool
nodes_entry(agrp_yaml *Y, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	loader *L = (loader *)Y;
	int i;
	char what[300];

	if (key[0] == '\0')
		return agrp_yaml_fail(&L->y, k, "a node name must not be empty");
	i = intern_at(L, key, k);
	if (ctx != NULL && L->edges_first) {
		agrp_grow(&L->order, &L->caporder, L->norder + 1, sizeof *L->order);
		L->order[L->norder++] = i;
	}
	snprintf(what, sizeof what, "node '%s'", key);
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0 && agrp_yaml_plain(v))
		return true; /* "Name:" with nothing after it */
	return agrp_yaml_each_pair(&L->y, v, what, node_attr, &i);
}

enum { E_FROM, E_TO, E_COST, E_N };
static const char *const edge_keys[E_N] = { "from", "to", "cost" };

static bool
load_edge(loader *L, yaml_node_t *e)
{
	yaml_node_t *f[E_N] = { 0 };
	const char *from, *to;
	agr_cost cost = AGR_COST_SCALE; /* an edge without a cost costs 1 */
	int a, b;
	long dup;

	if (e->type == YAML_SEQUENCE_NODE) {
		long len = e->data.sequence.items.top - e->data.sequence.items.start;

		if (len != 2 && len != 3)
			return agrp_yaml_fail(
			    &L->y, e, "an edge list must be [from, to, cost], not %ld items", len);
		f[E_FROM] = agrp_yaml_node(&L->y, e->data.sequence.items.start[0]);
		f[E_TO] = agrp_yaml_node(&L->y, e->data.sequence.items.start[1]);
		f[E_COST] =
		    len == 3 ? agrp_yaml_node(&L->y, e->data.sequence.items.start[2]) : NULL;
	} else if (e->type == YAML_MAPPING_NODE) {
		if (!agrp_yaml_fields(&L->y, e, "an edge", edge_keys, E_N, f))
			return false;
		if (f[E_FROM] == NULL)
			return agrp_yaml_fail(&L->y, e, "edge has no 'from'");
		if (f[E_TO] == NULL)
			return agrp_yaml_fail(&L->y, e, "edge has no 'to'");
	} else {
		return agrp_yaml_fail(
		    &L->y, e, "an edge must be [from, to, cost] or {from, to, cost}, not %s",
		    agrp_yaml_type_name(e));
	}
	if (!agrp_yaml_name(&L->y, f[E_FROM], "edge 'from'", &from) ||
	    !agrp_yaml_name(&L->y, f[E_TO], "edge 'to'", &to))
		return false;
	if (f[E_COST] != NULL && !get_cost(L, f[E_COST], "cost", &cost))
		return false;
	if (strcmp(from, to) == 0)
		return agrp_yaml_fail(&L->y, e, "edge from '%s' to itself", from);
	a = intern_at(L, from, f[E_FROM]);
	b = intern_at(L, to, f[E_TO]);
	dup = agrp_graph_edge_index(L->g, a, b);
	if (dup >= 0)
		return agrp_yaml_fail(&L->y, e, "duplicate edge %s -> %s (first at line %ld)", from,
		                      to, L->edge_line[dup]);
	if (!agr_graph_add_edge(L->g, a, b, cost))
		return agrp_yaml_fail(
		    &L->y, e,
		    "edge %s -> %s: paths of this graph could cost more than %lld, "
		    "the most a path may cost (the dearest edge into each node, "
		    "summed)",
		    from, to, (long long)(AGR_PATH_COST_MAX / AGR_COST_SCALE));
	agrp_grow(&L->edge_line, &L->edge_line_cap, L->g->nedges, sizeof *L->edge_line);
	L->edge_line[L->g->nedges - 1] = (long)e->start_mark.line + 1;
	return true;
}

static bool
parse_action(const char *s, agrp_action *out)
{
	static const struct {
		const char *name;
		agrp_action action;
	} actions[] = {
		{ "disable", AGRP_ACT_DISABLE },
		{ "penalty", AGRP_ACT_PENALTY },
		{ "demote", AGRP_ACT_DEMOTE },
		{ "escalate", AGRP_ACT_ESCALATE },
	};

	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		if (strcmp(s, actions[i].name) == 0) {
			*out = actions[i].action;
			return true;
		}
	return false;
}

enum { M_NAME, M_PRIORITY, M_WHEN, M_THEN, M_PENALTY, M_N };
static const char *const monitor_keys[M_N] = { "name", "priority", "when", "then", "penalty" };

static bool
load_monitor(loader *L, yaml_node_t *n)
{
	yaml_node_t *f[M_N];
	agrp_monitor m = { 0 };
	const char *name, *then;
	char what[300];

	if (!agrp_yaml_fields(&L->y, n, "a monitor", monitor_keys, M_N, f))
		return false;
	if (f[M_NAME] == NULL)
		return agrp_yaml_fail(&L->y, n, "monitor has no 'name'");
	if (f[M_WHEN] == NULL)
		return agrp_yaml_fail(&L->y, n, "monitor has no 'when'");
	if (f[M_THEN] == NULL)
		return agrp_yaml_fail(&L->y, n, "monitor has no 'then'");
	if (!agrp_yaml_name(&L->y, f[M_NAME], "monitor name", &name))
		return false;
	if (agrp_map_get(&L->monitor_names, name) != NULL)
		return agrp_yaml_fail(&L->y, f[M_NAME], "duplicate monitor '%s'", name);
	m.priority = 0;
	if (f[M_PRIORITY] != NULL &&
	    !agrp_yaml_number(&L->y, f[M_PRIORITY], "priority", &m.priority))
		return false;
	if (!agrp_yaml_name(&L->y, f[M_THEN], "then", &then))
		return false;
	if (!parse_action(then, &m.action))
		return agrp_yaml_fail(
		    &L->y, f[M_THEN],
		    "unknown action '%s' (known: disable, penalty, demote, escalate)", then);
	if (m.action == AGRP_ACT_PENALTY) {
		if (f[M_PENALTY] == NULL)
			return agrp_yaml_fail(
			    &L->y, n, "monitor '%s' has then: penalty but no 'penalty' amount",
			    name);
		if (!get_cost(L, f[M_PENALTY], "penalty", &m.penalty))
			return false;
	} else if (f[M_PENALTY] != NULL) {
		return agrp_yaml_fail(&L->y, f[M_PENALTY], "'penalty' goes with then: penalty");
	}
	snprintf(what, sizeof what, "monitor '%s'", name);
	if ((m.when = agrp_yaml_expr(&L->y, f[M_WHEN], what)) == NULL)
		return false;
	m.name = agrp_xstrdup(name);
	agrp_map_put(&L->monitor_names, name, L);
	agrp_grow(&L->g->monitors, &L->monitor_cap, L->g->nmonitors + 1, sizeof m);
	L->g->monitors[L->g->nmonitors++] = m;
	return true;
}

enum { T_GRAPH, T_START, T_GOAL, T_FALLBACK, T_NODES, T_EDGES, T_MONITORS, T_PREFLIGHT, T_N };
static const char *const top_keys[T_N] = { "graph", "start", "goal",     "fallback",
	                                   "nodes", "edges", "monitors", "preflight" };

static bool
known_node(loader *L, yaml_node_t *n, const char *what, int *out)
{
	const char *name;

	if (!agrp_yaml_name(&L->y, n, what, &name))
		return false;
	*out = agr_graph_find(L->g, name);
	if (*out < 0)
		return agrp_yaml_fail(&L->y, n, "%s '%s' is not a node of the graph", what, name);
	return true;
}

static int
monitor_order(const void *a, const void *b)
{
	const agrp_monitor *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The nodes in the order a whole document gives them: those of nodes:
 * first, in its order, then the others as the edges met them; for a file
 * whose edges came first. */
static void
put_in_order(loader *L)
{
	size_t n = L->g->nnodes, k = 0;
	unsigned char *placed = agrp_xcalloc(n ? n : 1, 1);
	int *order = agrp_xmalloc((n ? n : 1) * sizeof *order), *now;

	for (size_t i = 0; i < L->norder; i++)
		if (!placed[L->order[i]]) {
			placed[L->order[i]] = 1;
			order[k++] = L->order[i];
		}
	for (size_t i = 0; i < n; i++)
		if (!placed[i])
			order[k++] = (int)i;
	now = agrp_xmalloc((n ? n : 1) * sizeof *now);
	for (size_t i = 0; i < n; i++)
		now[order[i]] = (int)i;
	for (size_t i = 0; i < L->nalt; i++)
		L->alt[i].node = now[L->alt[i].node];
	agrp_graph_renumber(L->g, order);
	free(now);
	free(order);
	free(placed);
}

static bool
load_root(loader *L, yaml_node_t *root)
{
	yaml_node_t *f[T_N];
	yaml_node_item_t *it;
	const char *name = "";

	if (!agrp_yaml_fields(&L->y, root, "a graph file", top_keys, T_N, f))
		return false;
	if (f[T_GRAPH] != NULL && !agrp_yaml_name(&L->y, f[T_GRAPH], "graph", &name))
		return false;
	free(L->g->name);
	L->g->name = agrp_xstrdup(name);
	if (f[T_START] == NULL)
		return agrp_yaml_fail(&L->y, root, "the graph has no 'start'");
	if (f[T_GOAL] == NULL)
		return agrp_yaml_fail(&L->y, root, "the graph has no 'goal'");
	if (f[T_EDGES] == NULL)
		return agrp_yaml_fail(&L->y, root, "the graph has no 'edges'");
	/* what was read item by item has been checked: its mistake is in
	 * err, reported here, in the order a whole document is checked */
	if (L->read.streamed[AGRP_STREAM_NODES] && L->pending == R_NODE)
		return false;
	if (f[T_NODES] != NULL && !L->read.streamed[AGRP_STREAM_NODES]) {
		L->edges_first = L->g->nnodes > 0;
		if (!agrp_yaml_each_pair(&L->y, f[T_NODES], "nodes", nodes_entry, L))
			return false;
	}
	if (!agrp_yaml_expect(&L->y, f[T_EDGES], YAML_SEQUENCE_NODE, "edges"))
		return false;
	if (L->read.streamed[AGRP_STREAM_EDGES] && L->pending == R_EDGE)
		return false;
	for (it = f[T_EDGES]->data.sequence.items.start; it < f[T_EDGES]->data.sequence.items.top;
	     it++)
		if (!load_edge(L, agrp_yaml_node(&L->y, *it)))
			return false;
	if (L->edges_first && L->norder > 0)
		put_in_order(L);
	if (!known_node(L, f[T_START], "start", &L->g->start) ||
	    !known_node(L, f[T_GOAL], "goal", &L->g->goal))
		return false;
	mentioned_at(&L->g->nodes[L->g->start], f[T_START]);
	mentioned_at(&L->g->nodes[L->g->goal], f[T_GOAL]);
	if (L->g->start == L->g->goal)
		return agrp_yaml_fail(&L->y, f[T_GOAL], "goal must differ from start");
	for (size_t i = 0; i < L->nalt; i++) {
		int node = L->alt[i].node, alt;
		const char *of = L->g->nodes[node].name;

		if (!known_node(L, &L->alt[i].name, "alternative", &alt))
			return false;
		if (alt == node)
			return agrp_yaml_fail(&L->y, &L->alt[i].name,
			                      "node '%s' is its own alternative", of);
		if (alt == L->g->start || alt == L->g->goal)
			return agrp_yaml_fail(
			    &L->y, &L->alt[i].name,
			    "alternative '%s' of node '%s' is the start or the goal",
			    agrp_yaml_scalar(&L->alt[i].name), of);
		if (node == L->g->start || node == L->g->goal)
			return agrp_yaml_fail(
			    &L->y, &L->alt[i].name,
			    "node '%s' is the start or the goal: it has no alternative", of);
		L->g->nodes[node].alternative = alt + 1;
		mentioned_at(&L->g->nodes[alt], &L->alt[i].name);
	}
	if (f[T_PREFLIGHT] != NULL) {
		long x;

		if (!agrp_yaml_int(&L->y, f[T_PREFLIGHT], "preflight", 1, INT_MAX, &x))
			return false;
		L->g->preflight = (int)x;
	}
	if (f[T_FALLBACK] != NULL) {
		yaml_node_item_t one, *first, *last;

		if (f[T_FALLBACK]->type == YAML_SCALAR_NODE) {
			one = (yaml_node_item_t)(f[T_FALLBACK] - L->y.doc.nodes.start + 1);
			first = &one;
			last = first + 1;
		} else if (agrp_yaml_expect(&L->y, f[T_FALLBACK], YAML_SEQUENCE_NODE, "fallback")) {
			first = f[T_FALLBACK]->data.sequence.items.start;
			last = f[T_FALLBACK]->data.sequence.items.top;
		} else {
			return false;
		}
		L->g->fallback = agrp_xcalloc((size_t)(last - first), sizeof(int));
		L->listed = agrp_xcalloc(L->g->nnodes, 1);
		for (it = first; it < last; it++) {
			yaml_node_t *n = agrp_yaml_node(&L->y, *it);
			int node;

			if (!known_node(L, n, "fallback", &node))
				return false;
			if (node == L->g->start || node == L->g->goal)
				return agrp_yaml_fail(&L->y, n,
				                      "fallback '%s' is the start or the goal",
				                      agrp_yaml_scalar(n));
			if (L->listed[node])
				return agrp_yaml_fail(&L->y, n, "fallback '%s' is listed twice",
				                      agrp_yaml_scalar(n));
			L->listed[node] = 1;
			L->g->fallback[L->g->nfallback++] = node;
		}
	}
	if (f[T_MONITORS] != NULL) {
		if (!agrp_yaml_expect(&L->y, f[T_MONITORS], YAML_SEQUENCE_NODE, "monitors"))
			return false;
		for (it = f[T_MONITORS]->data.sequence.items.start;
		     it < f[T_MONITORS]->data.sequence.items.top; it++)
			if (!load_monitor(L, agrp_yaml_node(&L->y, *it)))
				return false;
		qsort(L->g->monitors, L->g->nmonitors, sizeof *L->g->monitors, monitor_order);
	}
	return true;
}

/* A key of the top level, checked when it is read as agrp_yaml_fields
 * checks it, so that nothing after it needs keeping if it is wrong. */
static bool
root_key(loader *L, yaml_node_t *k)
{
	const char *key;
	char known[256] = "";

	if (k->type != YAML_SCALAR_NODE)
		return agrp_yaml_fail(&L->y, k, "a key in %s must be a scalar", "a graph file");
	key = agrp_yaml_scalar(k);
	for (size_t i = 0; i < T_N; i++)
		if (strcmp(key, top_keys[i]) == 0) {
			if (L->root_line[i] != 0)
				return agrp_yaml_fail(
				    &L->y, k, "duplicate key '%s' in %s (first at line %lu)", key,
				    "a graph file", (unsigned long)L->root_line[i]);
			L->root_line[i] = (long)k->start_mark.line + 1;
			return true;
		}
	for (size_t i = 0; i < T_N; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
		         top_keys[i]);
	return agrp_yaml_fail(&L->y, k, "unknown key '%s' in %s (known: %s)", key, "a graph file",
	                      known);
}

/* An entry of nodes:, as agrp_yaml_each_pair would hand it over. */
static bool
node_pair(loader *L, yaml_node_t *k, yaml_node_t *v)
{
	const char *key;
	int i;

	if (k->type != YAML_SCALAR_NODE)
		return agrp_yaml_fail(&L->y, k, "a key in %s must be a scalar", "nodes");
	key = agrp_yaml_scalar(k);
	i = agr_graph_find(L->g, key);
	if (i >= 0 && (size_t)i < L->key_line_cap && L->key_line[i] != 0)
		return agrp_yaml_fail(&L->y, k, "duplicate key '%s' in %s (first at line %lu)", key,
		                      "nodes", (unsigned long)L->key_line[i]);
	if (!L->nodes_begun) {
		L->nodes_begun = true;
		L->edges_first = L->g->nnodes > 0;
	}
	if (!nodes_entry(&L->y, key, k, v, L))
		return false;
	i = agr_graph_find(L->g, key);
	if ((size_t)i >= L->key_line_cap) {
		size_t old = L->key_line_cap;

		agrp_grow(&L->key_line, &L->key_line_cap, (size_t)i + 1, sizeof *L->key_line);
		memset(L->key_line + old, 0, (L->key_line_cap - old) * sizeof *L->key_line);
	}
	if (L->key_line[i] == 0)
		L->key_line[i] = (long)k->start_mark.line + 1;
	return true;
}

/* The hooks of agrp_compose: what is read item by item is checked as it
 * comes, its mistake kept in err only if it is the one the whole-document
 * reading would report first. */
static bool
on_root_key(void *ctx, yaml_node_t *k)
{
	loader *L = ctx;

	if (root_key(L, k))
		return true;
	L->pending = R_ROOT;
	return false;
}

static bool
on_item(void *ctx, agrp_stream stream, yaml_node_t *k, yaml_node_t *v)
{
	loader *L = ctx;

	if (stream == AGRP_STREAM_NODES) {
		if (L->pending < R_NODE && !node_pair(L, k, v))
			L->pending = R_NODE;
	} else if (L->pending == R_NONE && !load_edge(L, v)) {
		L->pending = R_EDGE;
	}
	return L->pending == R_NONE;
}

/* The file, read by agrp_compose; then the rest of it, kept as a
 * document, checked and loaded. */
static agr_graph *
load_stream(FILE *f, const char *text, size_t len, const char *source, agr_error *err)
{
	loader L = { 0 };
	const agrp_compose_hooks hooks = { on_root_key, on_item, &L };
	yaml_node_t *root;
	bool ok;

	L.y.source = source;
	L.y.err = err;
	L.g = agr_graph_new(NULL);
	ok = agrp_compose(&L.y, f, text, len, &hooks, &L.read);
	if (ok) {
		root = L.read.begun ? agrp_yaml_root(&L.y) : NULL;
		if (root == NULL)
			ok = agrp_yaml_fail(&L.y, NULL, "the graph file is empty");
		else if (L.pending == R_ROOT)
			ok = false;
		else
			ok = load_root(&L, root);
	}
	agrp_yaml_free(&L.y);
	free(L.key_line);
	free(L.order);
	free(L.edge_line);
	free(L.listed);
	for (size_t i = 0; i < L.nalt; i++)
		free(L.alt[i].name.data.scalar.value);
	free(L.alt);
	agrp_map_free(&L.monitor_names);
	if (!ok) {
		agr_graph_free(L.g);
		return NULL;
	}
	return L.g;
}

agr_graph *
agr_graph_load_string(const char *text, size_t len, const char *source, agr_error *err)
{
	return load_stream(NULL, text, len, source, err);
}

agr_graph *
agr_graph_load_file(const char *path, agr_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	agr_graph *g;

	if (f == NULL) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	g = load_stream(f, NULL, 0, path, err);
	if (f != stdin)
		fclose(f);
	return g;
}
