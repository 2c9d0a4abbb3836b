/*
 * agraph_int.h - what the library's files share and users do not see.
 * Internal names start with agrp_.
 */
#ifndef AGRAPH_INT_H
#define AGRAPH_INT_H

#include <stdarg.h>
#include <string.h>

#include <yaml.h>

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

/* A growing byte buffer, always NUL-terminated once written to. */
typedef struct agrp_buf {
	char *p;
	size_t n, cap;
} agrp_buf;

void agrp_grow(void *pp, size_t *cap, size_t need, size_t elem);

static inline void
agrp_buf_add(agrp_buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap)
		agrp_grow(&b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void agrp_buf_str(agrp_buf *b, const char *s);
/* JSON values written byte for byte as agr_write_json() writes them. */
void agrp_buf_json_string(agrp_buf *b, const char *s);
void agrp_buf_json_real(agrp_buf *b, double v);
void agrp_buf_json_int(agrp_buf *b, long long v);
void agrp_buf_json(agrp_buf *b, const json_t *v);

/* A new object with the fields of obj but the named ones (values shared,
 * not copied), or NULL when none are left or obj is not an object. */
json_t *agrp_json_without(const json_t *obj, const char *const *keys, size_t n);

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

/* ---- the router's records (event.c) ----------------------------- */

/* The trace id the router writes. */
const char *agrp_router_trace(const agr_router *r);
/* Appends the event as a record (no line end) to b: the same bytes as
 * agr_write_json(agr_event_json(r, ev)) without its newline. */
void agrp_event_bytes(const agr_router *r, const agr_event *ev, agrp_buf *b);

/* An outside result record's answer; error_class and message are
 * borrowed from the record, extra (the fields to keep, or NULL) is a new
 * reference.  False with err->text when the record cannot be one. */
typedef struct agrp_answer {
	agr_status status;
	const char *error_class, *message;
	bool retryable;
	json_t *extra;
} agrp_answer;

bool agrp_read_answer(const json_t *rec, agrp_answer *a, agr_error *err);
/* An outside record's fields but those the router writes itself, or NULL. */
json_t *agrp_outside_fields(const json_t *rec);
/* An outside health record's tool and status (up or down). */
bool agrp_read_health(const agr_graph *g, const json_t *rec, int *tool, agr_status *st,
                      agr_error *err);

/* ---- a string-keyed hash map (map.c) ------------------------------ */

typedef struct agrp_map {
	struct agrp_map_slot {
		char *key; /* owned; NULL: empty */
		uint64_t hash;
		void *val;
	} * slots;
	size_t cap, n;
} agrp_map;

void *agrp_map_get(const agrp_map *m, const char *key);
/* Inserts or replaces; the map keeps its own copy of key. */
void agrp_map_put(agrp_map *m, const char *key, void *val);
/* Removes key; returns its value, or NULL. */
void *agrp_map_del(agrp_map *m, const char *key);
/* Frees the map's keys and slots, not the values. */
void agrp_map_free(agrp_map *m);

/* ---- JSON read in place (scan.c) ---------------------------------- */

/* A JSON value inside a record's bytes. */
typedef struct agrp_span {
	const char *p; /* its first byte: '"' for a string */
	size_t n;
	char type; /* 's' string, 'n' number, 't' true, 'f' false, '0' null, 'o', 'a' */
	bool esc;  /* a string with escapes, to be decoded */
} agrp_span;

typedef struct agrp_field {
	agrp_span key, val;
} agrp_field;

/*
 * Validates a record (a JSON object, as strict as jansson's reader) and
 * lists its top-level fields into *fields (grown as needed).  On a
 * mistake returns false with the 1-based column and a message.
 */
bool agrp_scan_record(const char *s, size_t n, agrp_field **fields, size_t *nfields, size_t *cap,
                      long *col, const char **msg);
/* AGRAPH_REFERENCE=1: read and evaluate through jansson trees, the
 * obvious way that tests compare the fast one with. */
bool agrp_reference(void);
/* A top-level field of a record, by its bytes. */
bool agrp_record_field(const agr_record *rec, const char *key, agrp_span *out);
/* A top-level string field, NUL-terminated in buf (or in the record's tree
 * when it does not fit); NULL when absent or not a string. */
const char *agrp_record_str(const agr_record *rec, const char *key, char *buf, size_t cap);
/* The fields every reader of traces looks at, read in place once. */
typedef struct agrp_common {
	const char *trace;                                    /* "" when absent */
	const char *kind, *tool, *status, *id, *call, *agent; /* NULL when absent */
	long step;                                            /* -1 when absent or not whole */
	char buf[7][256];
} agrp_common;

void agrp_record_common(const agr_record *rec, agrp_common *c);
/* A number span that is an integer, as jansson would read it. */
bool agrp_span_int(const agrp_span *v, long *out);
/* A record's top-level fields, as the scan found them. */
const agrp_field *agrp_record_fields(const agr_record *rec, size_t *n);
/* Walks a validated object or array: *cursor starts at 0. */
bool agrp_span_next(const agrp_span *c, size_t *cursor, agrp_span *key, agrp_span *val);
/* The value of key in a validated object. */
bool agrp_span_get(const agrp_span *obj, const char *key, agrp_span *out);
bool agrp_span_key_is(const agrp_span *k, const char *key, size_t n);
/* A string's decoded bytes into out (at most cap - 4); returns the length. */
size_t agrp_span_decode(const agrp_span *s, char *out, size_t cap);

/* ---- YAML loading (yaml_util.c) ---------------------------------- */

/* A loaded YAML document and where errors about it go.  Loaders that need
 * more state embed it as their first member. */
typedef struct agrp_yaml {
	yaml_document_t doc;
	const char *source;
	agr_error *err;
	bool loaded;
} agrp_yaml;

/* Reads a whole file ("-": stdin); NULL with err filled on failure. */
char *agrp_read_file(const char *path, size_t *len, agr_error *err);
bool agrp_yaml_load(agrp_yaml *L, const char *text, size_t len, const char *source, agr_error *err);
void agrp_yaml_free(agrp_yaml *L);
yaml_node_t *agrp_yaml_root(agrp_yaml *L);
yaml_node_t *agrp_yaml_node(agrp_yaml *L, int i);
const char *agrp_yaml_scalar(const yaml_node_t *n);
bool agrp_yaml_plain(const yaml_node_t *n);
/* "a scalar", "a list", "a mapping" */
const char *agrp_yaml_type_name(const yaml_node_t *n);

/* Each of these checks one value; on a mistake it fills L->err with the
 * node's line and column and returns false. */
bool agrp_yaml_fail(agrp_yaml *L, const yaml_node_t *n, const char *fmt, ...) AGRP_PRINTF(3, 4);
bool agrp_yaml_expect(agrp_yaml *L, const yaml_node_t *n, yaml_node_type_t type, const char *what);
bool agrp_yaml_name(agrp_yaml *L, const yaml_node_t *n, const char *what, const char **out);
bool agrp_yaml_number(agrp_yaml *L, const yaml_node_t *n, const char *what, double *out);
bool agrp_yaml_int(agrp_yaml *L, const yaml_node_t *n, const char *what, long lo, long hi,
                   long *out);
/* A list of strings, or one string standing for a list of one. */
bool agrp_yaml_strings(agrp_yaml *L, yaml_node_t *n, const char *what, char ***out, size_t *count);
void agrp_free_strings(char **v, size_t n);
/* An expression, compiled; errors point at its column in the file. */
agr_expr *agrp_yaml_expr(agrp_yaml *L, yaml_node_t *n, const char *what);

typedef bool (*agrp_pair_fn)(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v,
                             void *ctx);
/* Calls fn for every key: value of a mapping, refusing duplicate keys. */
bool agrp_yaml_each_pair(agrp_yaml *L, yaml_node_t *map, const char *what, agrp_pair_fn fn,
                         void *ctx);
/* A file whose top level is {key: [item, ...]}: fn on each item. */
typedef bool (*agrp_item_fn)(agrp_yaml *L, yaml_node_t *item, void *ctx);
bool agrp_yaml_list_string(const char *text, size_t len, const char *source, const char *what,
                           const char *key, agrp_item_fn fn, void *ctx, agr_error *err);
bool agrp_yaml_list_file(const char *path, const char *what, const char *key, agrp_item_fn fn,
                         void *ctx, agr_error *err);
/* Fills slot[i] with the value of key names[i] (NULL when absent),
 * refusing unknown and duplicate keys. */
bool agrp_yaml_fields(agrp_yaml *L, yaml_node_t *map, const char *what, const char *const *names,
                      size_t n, yaml_node_t **slot);

#endif
