/*
 * compose_int.h - a graph file's YAML composed from libyaml's events, with
 * the entries of the top-level nodes: mapping and the items of the
 * top-level edges: list handed over one at a time and then dropped, so
 * that a graph of millions of edges never stands whole as a document.
 * Internal names start with agrp_.
 */
#ifndef AGRP_COMPOSE_INT_H
#define AGRP_COMPOSE_INT_H

#include <stdio.h>

#include "base/yaml_int.h"

/* The top-level keys whose value is read item by item. */
typedef enum agrp_stream {
	AGRP_STREAM_NODES, /* a mapping: each entry, key and value */
	AGRP_STREAM_EDGES, /* a list: each item */
	AGRP_STREAM_N,
} agrp_stream;

/* What the composer hands over; ctx is agrp_compose's.  Each returns false
 * when err holds a mistake (a new one or one from before). */
typedef struct agrp_compose_hooks {
	/* A key of the top-level mapping, as soon as it is read: on false,
	 * nothing after it is built or handed over. */
	bool (*root_key)(void *ctx, yaml_node_t *key);
	/* An item of a streamed key is complete: key is the entry's key for
	 * AGRP_STREAM_NODES, NULL for AGRP_STREAM_EDGES.  Both are freed once
	 * it returns, unless an anchor in them may be named further on. */
	bool (*item)(void *ctx, agrp_stream stream, yaml_node_t *key, yaml_node_t *value);
	void *ctx;
} agrp_compose_hooks;

/* What the caller learns of the file beside y->doc. */
typedef struct agrp_composed {
	bool begun;                   /* a document began: false for an empty file */
	bool streamed[AGRP_STREAM_N]; /* read item by item: not in y->doc */
} agrp_composed;

/*
 * Reads f, or text[len] when f is NULL, into y->doc (y->source and y->err
 * set, y itself zeroed otherwise; the caller frees it with agrp_yaml_free
 * whatever this returns), calling the hooks on the way.  False when y->err
 * holds a mistake of the YAML itself (syntax, nesting, anchors and
 * aliases, a second document), a read that failed, or a document holding
 * more than AGR_MAX_FILE bytes besides what is streamed; the hooks'
 * mistakes leave it true.  After a mistake the file is read on to its end,
 * at most to AGR_MAX_FILE bytes, so that a mistake of the YAML further on
 * is the one reported, as the whole-document reading would.
 */
bool agrp_compose(agrp_yaml *y, FILE *f, const char *text, size_t len,
                  const agrp_compose_hooks *hooks, agrp_composed *out);

#endif
