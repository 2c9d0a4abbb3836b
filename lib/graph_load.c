/*
 * graph_load.c - agraph-graph(5) from YAML (JSON is YAML too), via libyaml.
 *
 * libyaml's document API keeps an alias as a second reference to one node,
 * so an alias bomb costs nothing here: every walk below is bounded by the
 * shape of the format, never by what aliases expand to.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "agraph_int.h"

#define MAX_RETRIES 100

typedef struct loader {
	yaml_document_t doc;
	const char *source;
	agr_error *err;
	agr_graph *g;
	long *edge_line; /* where each edge was written, for duplicate errors */
	size_t edge_line_cap;
} loader;

static bool fail(loader *L, const yaml_node_t *n, const char *fmt, ...) AGRP_PRINTF(3, 4);

static bool
fail(loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	char text[sizeof L->err->text];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	agrp_error_set(L->err, L->source, n ? (long)n->start_mark.line + 1 : 0,
	               n ? (long)n->start_mark.column + 1 : 0, "%s", text);
	return false;
}

static const char *
type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *
node_at(loader *L, int i)
{
	return yaml_document_get_node(&L->doc, i);
}

static bool
expect(loader *L, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	const char *want = type == YAML_SCALAR_NODE     ? "a scalar"
	                   : type == YAML_SEQUENCE_NODE ? "a list"
	                                                : "a mapping";

	if (n->type == type)
		return true;
	return fail(L, n, "%s must be %s, not %s", what, want, type_name(n));
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool
is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A name: a non-empty scalar. */
static bool
get_name(loader *L, const yaml_node_t *n, const char *what, const char **out)
{
	if (!expect(L, n, YAML_SCALAR_NODE, what))
		return false;
	if (n->data.scalar.length == 0)
		return fail(L, n, "%s must not be empty", what);
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(L, n, "%s must not contain a NUL byte", what);
	*out = scalar(n);
	return true;
}

/* A number written as a plain scalar: no quotes, no inf/nan/hex. */
static bool
get_number(loader *L, const yaml_node_t *n, const char *what, double *out)
{
	const char *s;
	char *end;

	if (!expect(L, n, YAML_SCALAR_NODE, what))
		return false;
	s = scalar(n);
	if (!is_plain(n) || s[0] == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return fail(L, n, "%s must be a number, not '%s'", what, s);
	errno = 0;
	*out = strtod(s, &end);
	if (*end != '\0')
		return fail(L, n, "%s must be a number, not '%s'", what, s);
	if (errno == ERANGE || !isfinite(*out))
		return fail(L, n, "%s is out of range: %s", what, s);
	return true;
}

static bool
get_int(loader *L, const yaml_node_t *n, const char *what, long lo, long hi, long *out)
{
	double d;

	if (!get_number(L, n, what, &d))
		return false;
	if (d != floor(d) || d < (double)lo || d > (double)hi)
		return fail(L, n, "%s must be a whole number from %ld to %ld, not %s", what, lo, hi,
		            scalar(n));
	*out = (long)d;
	return true;
}

static bool
get_cost(loader *L, const yaml_node_t *n, agr_cost *out)
{
	double d;

	if (!get_number(L, n, "cost", &d))
		return false;
	if (!agr_cost_from_double(d, out))
		return fail(L, n, "cost must be from 0 to %lld, not %s",
		            (long long)(AGR_COST_MAX / AGR_COST_SCALE), scalar(n));
	return true;
}

/* Calls fn for every key: value of a mapping, refusing duplicate keys. */
typedef bool (*pair_fn)(loader *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx);

static bool
each_pair(loader *L, yaml_node_t *map, const char *what, pair_fn fn, void *ctx)
{
	yaml_node_pair_t *p, *q;

	if (!expect(L, map, YAML_MAPPING_NODE, what))
		return false;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(L, p->key), *v = node_at(L, p->value);

		if (k->type != YAML_SCALAR_NODE)
			return fail(L, k, "a key in %s must be a scalar", what);
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = node_at(L, q->key);

			if (k2->type == YAML_SCALAR_NODE && strcmp(scalar(k2), scalar(k)) == 0)
				return fail(L, k, "duplicate key '%s' in %s (first at line %lu)",
				            scalar(k), what,
				            (unsigned long)k2->start_mark.line + 1);
		}
		if (!fn(L, scalar(k), k, v, ctx))
			return false;
	}
	return true;
}

/* The keys a mapping may have, and where each one's value goes. */
typedef struct fields {
	const char *what; /* "edge", "monitor", "graph" */
	const char *const *names;
	size_t n;
	yaml_node_t **slot; /* slot[i] gets the value of names[i], or stays NULL */
} fields;

static bool
field(loader *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	const fields *f = ctx;
	char known[256] = "";

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(key, f->names[i]) == 0) {
			f->slot[i] = v;
			return true;
		}
	for (size_t i = 0; i < f->n; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
		         f->names[i]);
	return fail(L, k, "unknown key '%s' in %s (known: %s)", key, f->what, known);
}

/* Fills slot[] from the mapping map, refusing unknown and duplicate keys. */
static bool
get_fields(loader *L, yaml_node_t *map, const char *what, const char *const *names, size_t n,
           yaml_node_t **slot)
{
	fields f = { what, names, n, slot };

	memset(slot, 0, n * sizeof *slot);
	return each_pair(L, map, what, field, &f);
}

/* A list of strings, or one string standing for a list of one. */
static bool
get_strings(loader *L, yaml_node_t *n, const char *what, char ***out, size_t *count)
{
	char item[64];
	size_t len;

	if (n->type == YAML_SCALAR_NODE) {
		const char *s;

		if (!get_name(L, n, what, &s))
			return false;
		*out = agrp_xmalloc(sizeof **out);
		(*out)[0] = agrp_xstrdup(s);
		*count = 1;
		return true;
	}
	if (!expect(L, n, YAML_SEQUENCE_NODE, what))
		return false;
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = agrp_xcalloc(len, sizeof **out);
	*count = 0;
	snprintf(item, sizeof item, "an item of %s", what);
	for (size_t i = 0; i < len; i++) {
		const char *s;

		if (!get_name(L, node_at(L, n->data.sequence.items.start[i]), item, &s))
			return false;
		(*out)[(*count)++] = agrp_xstrdup(s);
	}
	return true;
}

static void
free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
node_attr(loader *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	agrp_node *node = &L->g->nodes[*(int *)ctx];
	long x;

	if (strcmp(key, "retries") == 0) {
		if (!get_int(L, v, "retries", 0, MAX_RETRIES, &x))
			return false;
		node->retries = (int)x;
	} else if (strcmp(key, "timeout_ms") == 0) {
		if (!get_int(L, v, "timeout_ms", 0, 86400000L, &x))
			return false;
		node->timeout_ms = x;
	} else if (strcmp(key, "tags") == 0) {
		free_strings(node->tags, node->ntags);
		node->tags = NULL;
		node->ntags = 0;
		return get_strings(L, v, "tags", &node->tags, &node->ntags);
	} else if (strcmp(key, "run") == 0) {
		free_strings(node->run, node->nrun);
		node->run = NULL;
		node->nrun = 0;
		return get_strings(L, v, "run", &node->run, &node->nrun);
	} else {
		return fail(L, k,
		            "unknown key '%s' in a node (known: retries, timeout_ms, tags, run)",
		            key);
	}
	return true;
}

static bool
nodes_entry(loader *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	int i;
	char what[300];

	(void)ctx;
	if (key[0] == '\0')
		return fail(L, k, "a node name must not be empty");
	i = agr_graph_intern(L->g, key);
	snprintf(what, sizeof what, "node '%s'", key);
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0 && is_plain(v))
		return true; /* "Name:" with nothing after it */
	return each_pair(L, v, what, node_attr, &i);
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
			return fail(L, e, "an edge list must be [from, to, cost], not %ld items",
			            len);
		f[E_FROM] = node_at(L, e->data.sequence.items.start[0]);
		f[E_TO] = node_at(L, e->data.sequence.items.start[1]);
		f[E_COST] = len == 3 ? node_at(L, e->data.sequence.items.start[2]) : NULL;
	} else if (e->type == YAML_MAPPING_NODE) {
		if (!get_fields(L, e, "an edge", edge_keys, E_N, f))
			return false;
		if (f[E_FROM] == NULL)
			return fail(L, e, "edge has no 'from'");
		if (f[E_TO] == NULL)
			return fail(L, e, "edge has no 'to'");
	} else {
		return fail(L, e, "an edge must be [from, to, cost] or {from, to, cost}, not %s",
		            type_name(e));
	}
	if (!get_name(L, f[E_FROM], "edge 'from'", &from) ||
	    !get_name(L, f[E_TO], "edge 'to'", &to))
		return false;
	if (f[E_COST] != NULL && !get_cost(L, f[E_COST], &cost))
		return false;
	if (strcmp(from, to) == 0)
		return fail(L, e, "edge from '%s' to itself", from);
	a = agr_graph_intern(L->g, from);
	b = agr_graph_intern(L->g, to);
	dup = agrp_graph_edge_index(L->g, a, b);
	if (dup >= 0)
		return fail(L, e, "duplicate edge %s -> %s (first at line %ld)", from, to,
		            L->edge_line[dup]);
	agr_graph_add_edge(L->g, a, b, cost);
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
	agr_error eerr;

	if (!get_fields(L, n, "a monitor", monitor_keys, M_N, f))
		return false;
	if (f[M_NAME] == NULL)
		return fail(L, n, "monitor has no 'name'");
	if (f[M_WHEN] == NULL)
		return fail(L, n, "monitor has no 'when'");
	if (f[M_THEN] == NULL)
		return fail(L, n, "monitor has no 'then'");
	if (!get_name(L, f[M_NAME], "monitor name", &name))
		return false;
	for (size_t i = 0; i < L->g->nmonitors; i++)
		if (strcmp(L->g->monitors[i].name, name) == 0)
			return fail(L, f[M_NAME], "duplicate monitor '%s'", name);
	m.priority = 0;
	if (f[M_PRIORITY] != NULL && !get_number(L, f[M_PRIORITY], "priority", &m.priority))
		return false;
	if (!get_name(L, f[M_THEN], "then", &then))
		return false;
	if (!parse_action(then, &m.action))
		return fail(L, f[M_THEN],
		            "unknown action '%s' (known: disable, penalty, demote, escalate)",
		            then);
	if (m.action == AGRP_ACT_PENALTY) {
		if (f[M_PENALTY] == NULL)
			return fail(L, n, "monitor '%s' has then: penalty but no 'penalty' amount",
			            name);
		if (!get_cost(L, f[M_PENALTY], &m.penalty))
			return false;
	} else if (f[M_PENALTY] != NULL) {
		return fail(L, f[M_PENALTY], "'penalty' goes with then: penalty");
	}
	if (!expect(L, f[M_WHEN], YAML_SCALAR_NODE, "when"))
		return false;
	m.when = agr_expr_compile(scalar(f[M_WHEN]), &eerr);
	if (m.when == NULL) {
		/* Point into the file: the expression starts after an opening quote. */
		long quote = is_plain(f[M_WHEN]) ? 0 : 1;

		agrp_error_set(L->err, L->source, (long)f[M_WHEN]->start_mark.line + 1,
		               (long)f[M_WHEN]->start_mark.column + quote + eerr.column,
		               "in monitor '%s': %s", name, eerr.text);
		return false;
	}
	m.name = agrp_xstrdup(name);
	L->g->monitors = agrp_xrealloc(L->g->monitors, (L->g->nmonitors + 1) * sizeof m);
	L->g->monitors[L->g->nmonitors++] = m;
	return true;
}

enum { T_GRAPH, T_START, T_GOAL, T_FALLBACK, T_NODES, T_EDGES, T_MONITORS, T_N };
static const char *const top_keys[T_N] = { "graph", "start", "goal",    "fallback",
	                                   "nodes", "edges", "monitors" };

static bool
known_node(loader *L, yaml_node_t *n, const char *what, int *out)
{
	const char *name;

	if (!get_name(L, n, what, &name))
		return false;
	*out = agr_graph_find(L->g, name);
	if (*out < 0)
		return fail(L, n, "%s '%s' is not a node of the graph", what, name);
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

static bool
load_root(loader *L, yaml_node_t *root)
{
	yaml_node_t *f[T_N];
	yaml_node_item_t *it;
	const char *name = "";

	if (!get_fields(L, root, "a graph file", top_keys, T_N, f))
		return false;
	if (f[T_GRAPH] != NULL && !get_name(L, f[T_GRAPH], "graph", &name))
		return false;
	free(L->g->name);
	L->g->name = agrp_xstrdup(name);
	if (f[T_START] == NULL)
		return fail(L, root, "the graph has no 'start'");
	if (f[T_GOAL] == NULL)
		return fail(L, root, "the graph has no 'goal'");
	if (f[T_EDGES] == NULL)
		return fail(L, root, "the graph has no 'edges'");
	if (f[T_NODES] != NULL && !each_pair(L, f[T_NODES], "nodes", nodes_entry, NULL))
		return false;
	if (!expect(L, f[T_EDGES], YAML_SEQUENCE_NODE, "edges"))
		return false;
	for (it = f[T_EDGES]->data.sequence.items.start; it < f[T_EDGES]->data.sequence.items.top;
	     it++)
		if (!load_edge(L, node_at(L, *it)))
			return false;
	if (!known_node(L, f[T_START], "start", &L->g->start) ||
	    !known_node(L, f[T_GOAL], "goal", &L->g->goal))
		return false;
	if (L->g->start == L->g->goal)
		return fail(L, f[T_GOAL], "goal must differ from start");
	if (f[T_FALLBACK] != NULL) {
		yaml_node_item_t one, *first, *last;

		if (f[T_FALLBACK]->type == YAML_SCALAR_NODE) {
			one = (yaml_node_item_t)(f[T_FALLBACK] - L->doc.nodes.start + 1);
			first = &one;
			last = first + 1;
		} else if (expect(L, f[T_FALLBACK], YAML_SEQUENCE_NODE, "fallback")) {
			first = f[T_FALLBACK]->data.sequence.items.start;
			last = f[T_FALLBACK]->data.sequence.items.top;
		} else {
			return false;
		}
		L->g->fallback = agrp_xcalloc((size_t)(last - first), sizeof(int));
		for (it = first; it < last; it++) {
			yaml_node_t *n = node_at(L, *it);
			int node;

			if (!known_node(L, n, "fallback", &node))
				return false;
			if (node == L->g->start || node == L->g->goal)
				return fail(L, n, "fallback '%s' is the start or the goal",
				            scalar(n));
			for (size_t i = 0; i < L->g->nfallback; i++)
				if (L->g->fallback[i] == node)
					return fail(L, n, "fallback '%s' is listed twice",
					            scalar(n));
			L->g->fallback[L->g->nfallback++] = node;
		}
	}
	if (f[T_MONITORS] != NULL) {
		if (!expect(L, f[T_MONITORS], YAML_SEQUENCE_NODE, "monitors"))
			return false;
		for (it = f[T_MONITORS]->data.sequence.items.start;
		     it < f[T_MONITORS]->data.sequence.items.top; it++)
			if (!load_monitor(L, node_at(L, *it)))
				return false;
		qsort(L->g->monitors, L->g->nmonitors, sizeof *L->g->monitors, monitor_order);
	}
	return true;
}

agr_graph *
agr_graph_load_string(const char *text, size_t len, const char *source, agr_error *err)
{
	yaml_parser_t parser;
	loader L = { .source = source, .err = err };
	yaml_node_t *root;
	bool ok;

	if (!yaml_parser_initialize(&parser)) {
		agrp_error_set(err, source, 0, 0, "cannot start the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &L.doc)) {
		const char *problem = parser.problem ? parser.problem : "invalid YAML";

		if (parser.context != NULL)
			agrp_error_set(err, source, (long)parser.problem_mark.line + 1,
			               (long)parser.problem_mark.column + 1, "%s %s", problem,
			               parser.context);
		else
			agrp_error_set(err, source, (long)parser.problem_mark.line + 1,
			               (long)parser.problem_mark.column + 1, "%s", problem);
		yaml_parser_delete(&parser);
		return NULL;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&L.doc);
	L.g = agr_graph_new(NULL);
	if (root == NULL)
		ok = fail(&L, NULL, "the graph file is empty");
	else
		ok = load_root(&L, root);
	yaml_document_delete(&L.doc);
	free(L.edge_line);
	if (!ok) {
		agr_graph_free(L.g);
		return NULL;
	}
	return L.g;
}

agr_graph *
agr_graph_load_file(const char *path, agr_error *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	agr_graph *g;

	if (f == NULL) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	do {
		agrp_grow(&buf, &cap, len + 65536, 1);
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		agrp_error_set(err, path, 0, 0, "%s", strerror(errno));
		if (f != stdin)
			fclose(f);
		free(buf);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	g = agr_graph_load_string(buf, len, path, err);
	free(buf);
	return g;
}
