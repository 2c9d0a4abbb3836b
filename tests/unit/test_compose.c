/*
 * test_compose.c - the graph file's composer on its own: what it hands
 * over, in what order, what it keeps of the document, and which mistake
 * wins.
 */
#include <string.h>

#include "graph/compose_int.h"
#include "tap.h"

/* What the hooks saw, as text: "k:graph" for a top-level key, "n:A=..."
 * for an entry of nodes:, "e:[A,B]" for an item of edges:. */
typedef struct seen {
	agrp_yaml *y;
	char log[512];
	const char *refuse_key;  /* root_key says false on it */
	const char *refuse_edge; /* item says false on an edge from it */
	size_t most_nodes;       /* the document's nodes at an item, at most */
} seen;

static void
say(seen *s, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof s->log - n, fmt, a, b);
}

static bool
on_key(void *ctx, yaml_node_t *k)
{
	seen *s = ctx;

	say(s, "k:%s%s ", agrp_yaml_scalar(k), "");
	return s->refuse_key == NULL || strcmp(agrp_yaml_scalar(k), s->refuse_key) != 0;
}

static bool
on_item(void *ctx, agrp_stream stream, yaml_node_t *k, yaml_node_t *v)
{
	seen *s = ctx;
	size_t held = (size_t)(s->y->doc.nodes.top - s->y->doc.nodes.start);
	const char *from;

	if (held > s->most_nodes)
		s->most_nodes = held;
	if (stream == AGRP_STREAM_NODES) {
		say(s, "n:%s=%s ", agrp_yaml_scalar(k), agrp_yaml_type_name(v));
		return true;
	}
	from = agrp_yaml_scalar(agrp_yaml_node(s->y, v->data.sequence.items.start[0]));
	say(s, "e:[%s,%s] ", from,
	    agrp_yaml_scalar(agrp_yaml_node(s->y, v->data.sequence.items.start[1])));
	return s->refuse_edge == NULL || strcmp(from, s->refuse_edge) != 0;
}

/* Composes text with the hooks above; the result, s and err filled. */
static bool
compose(const char *text, seen *s, agrp_yaml *y, agrp_composed *out, agr_error *err)
{
	agrp_compose_hooks hooks = { on_key, on_item, s };

	memset(y, 0, sizeof *y);
	memset(err, 0, sizeof *err);
	y->source = "g.yaml";
	y->err = err;
	s->y = y;
	return agrp_compose(y, NULL, text, strlen(text), &hooks, out);
}

int
main(void)
{
	agrp_yaml y;
	agrp_composed out;
	agr_error err;
	seen s;
	char big[8192] = "start: A\nedges:\n";
	bool composed;

	memset(&s, 0, sizeof s);
	composed =
	    compose("graph: g\nnodes:\n  A: {retries: 1}\n  B:\nedges:\n  - [A, B]\n  - [B, C]\n",
	            &s, &y, &out, &err);
	ok(composed, "a graph file composes");
	ok(strcmp(s.log, "k:graph k:nodes n:A=a mapping n:B=a scalar k:edges e:[A,B] e:[B,C] ") ==
	       0,
	   "keys as they are read, entries and items once complete, in order: %s", s.log);
	ok(out.begun && out.streamed[AGRP_STREAM_NODES] && out.streamed[AGRP_STREAM_EDGES],
	   "nodes: and edges: said to be streamed");
	ok(agrp_yaml_root(&y) != NULL && agrp_yaml_root(&y)->data.mapping.pairs.top -
	                                         agrp_yaml_root(&y)->data.mapping.pairs.start ==
	                                     3,
	   "the document keeps the top level's three keys");
	agrp_yaml_free(&y);

	for (int i = 0; i < 200; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "  - [N%d, N%d]\n", i, i + 1);
	memset(&s, 0, sizeof s);
	ok(compose(big, &s, &y, &out, &err), "200 edges compose");
	ok(s.most_nodes < 10, "an edge's nodes are dropped once handed over (%zu held at most)",
	   s.most_nodes);
	agrp_yaml_free(&y);

	memset(&s, 0, sizeof s);
	ok(compose("edges:\n  - [&a A, B]\n  - [*a, C]\n", &s, &y, &out, &err),
	   "an alias to an anchor in an earlier item");
	ok(strcmp(s.log, "k:edges e:[A,B] e:[A,C] ") == 0, "the anchored item kept for it: %s",
	   s.log);
	agrp_yaml_free(&y);

	memset(&s, 0, sizeof s);
	s.refuse_key = "bad";
	ok(compose("bad: 1\nedges:\n  - [A, B]\n", &s, &y, &out, &err),
	   "a hook's mistake is not the composer's");
	ok(strcmp(s.log, "k:bad ") == 0, "nothing handed over after a refused key: %s", s.log);
	agrp_yaml_free(&y);

	memset(&s, 0, sizeof s);
	s.refuse_edge = "A";
	ok(!compose("edges:\n  - [A, B]\n  - [B, C]\n  - *nowhere\n", &s, &y, &out, &err),
	   "a mistake of the YAML after a hook's");
	ok(strcmp(err.text, "found undefined alias") == 0 && err.line == 4 && err.column == 5,
	   "is the one reported: %ld:%ld: %s", err.line, err.column, err.text);
	ok(strcmp(s.log, "k:edges e:[A,B] e:[B,C] ") == 0,
	   "items still handed over after a hook's mistake: %s", s.log);
	agrp_yaml_free(&y);

	memset(&s, 0, sizeof s);
	ok(compose("# nothing\n", &s, &y, &out, &err) && !out.begun, "an empty file: no document");
	agrp_yaml_free(&y);
	return done_testing();
}
