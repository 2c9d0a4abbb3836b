/*
 * yaml_int.h - libyaml's document API for the loaders of graphs, contracts
 * and fault specs, with file:line:col on every mistake.
 * Internal names start with agrp_.
 */
#ifndef AGRP_YAML_INT_H
#define AGRP_YAML_INT_H

#include <yaml.h>

#include "base/base_int.h"

/* A loaded YAML document and where errors about it go.  Loaders that need
 * more state embed it as their first member. */
typedef struct agrp_yaml {
	yaml_document_t doc;
	const char *source;
	agr_error *err;
	bool loaded;
	/* where scalars with an explicit !!str tag start (mark index), in
	 * order: the document API cannot tell them from untagged ones */
	size_t *str_tagged, nstr_tagged;
} agrp_yaml;

/* Lists and mappings within one another deeper than this are refused
 * (agraph-graph(5), agraph-contract(5), agraph-inject(5)). */
#define AGRP_YAML_MAX_DEPTH 100

/* Loads the one document of text; false with err filled (file:line:col)
 * on a syntax error, a second document or nesting deeper than
 * AGRP_YAML_MAX_DEPTH. */
bool agrp_yaml_load(agrp_yaml *L, const char *text, size_t len, const char *source, agr_error *err);
void agrp_yaml_free(agrp_yaml *L);
yaml_node_t *agrp_yaml_root(agrp_yaml *L);
yaml_node_t *agrp_yaml_node(agrp_yaml *L, int i);
const char *agrp_yaml_scalar(const yaml_node_t *n);
bool agrp_yaml_plain(const yaml_node_t *n);
/* "a scalar", "a list", "a mapping" */
const char *agrp_yaml_type_name(const yaml_node_t *n);
/* The tag written on scalar n, or NULL when it has none: an explicit !!str
 * (or the non-specific !) included, which the document API cannot tell
 * from no tag. */
const char *agrp_yaml_tag(const agrp_yaml *L, const yaml_node_t *n);

/* Each of these checks one value; on a mistake it fills L->err with the
 * node's line and column and returns false. */
bool agrp_yaml_fail(agrp_yaml *L, const yaml_node_t *n, const char *fmt, ...) AGRP_PRINTF(3, 4);
bool agrp_yaml_expect(agrp_yaml *L, const yaml_node_t *n, yaml_node_type_t type, const char *what);
bool agrp_yaml_name(agrp_yaml *L, const yaml_node_t *n, const char *what, const char **out);
bool agrp_yaml_number(agrp_yaml *L, const yaml_node_t *n, const char *what, double *out);
bool agrp_yaml_bool(agrp_yaml *L, const yaml_node_t *n, const char *what, bool *out);
bool agrp_yaml_int(agrp_yaml *L, const yaml_node_t *n, const char *what, long lo, long hi,
                   long *out);
/* A list of strings, or one string standing for a list of one. */
bool agrp_yaml_strings(agrp_yaml *L, yaml_node_t *n, const char *what, char ***out, size_t *count);
void agrp_free_strings(char **v, size_t n);

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
