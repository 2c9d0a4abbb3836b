/*
 * yaml_util.c - what the YAML loaders (graphs, contracts) share: libyaml's
 * document API, values checked with file:line:col on every mistake.
 *
 * libyaml's document API keeps an alias as a second reference to one node,
 * so an alias bomb costs nothing here: the loaders' walks are bounded by
 * the shape of their formats, never by what aliases expand to.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml_int.h"

bool agrp_yaml_fail(agrp_yaml *L, const yaml_node_t *n, const char *fmt, ...) AGRP_PRINTF(3, 4);

bool
agrp_yaml_fail(agrp_yaml *L, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	agrp_error_vset(L->err, L->source, n ? (long)n->start_mark.line + 1 : 0,
	                n ? (long)n->start_mark.column + 1 : 0, fmt, ap);
	va_end(ap);
	return false;
}

const char *
agrp_yaml_type_name(const yaml_node_t *n)
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

yaml_node_t *
agrp_yaml_node(agrp_yaml *L, int i)
{
	return yaml_document_get_node(&L->doc, i);
}

bool
agrp_yaml_expect(agrp_yaml *L, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	const char *want = type == YAML_SCALAR_NODE     ? "a scalar"
	                   : type == YAML_SEQUENCE_NODE ? "a list"
	                                                : "a mapping";

	if (n->type == type)
		return true;
	return agrp_yaml_fail(L, n, "%s must be %s, not %s", what, want, agrp_yaml_type_name(n));
}

const char *
agrp_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool
agrp_yaml_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A name: a non-empty scalar. */
bool
agrp_yaml_name(agrp_yaml *L, const yaml_node_t *n, const char *what, const char **out)
{
	if (!agrp_yaml_expect(L, n, YAML_SCALAR_NODE, what))
		return false;
	if (n->data.scalar.length == 0)
		return agrp_yaml_fail(L, n, "%s must not be empty", what);
	if (strlen(agrp_yaml_scalar(n)) != n->data.scalar.length)
		return agrp_yaml_fail(L, n, "%s must not contain a NUL byte", what);
	*out = agrp_yaml_scalar(n);
	return true;
}

const char *
agrp_yaml_tag(const agrp_yaml *L, const yaml_node_t *n)
{
	const char *tag = (const char *)n->tag;
	size_t lo = 0, hi = L->nstr_tagged;

	if (tag != NULL && strcmp(tag, YAML_STR_TAG) != 0)
		return tag;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (L->str_tagged[mid] < n->start_mark.index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < L->nstr_tagged && L->str_tagged[lo] == n->start_mark.index ? YAML_STR_TAG
	                                                                       : NULL;
}

/* A number written as a plain scalar: no quotes, no inf/nan/hex, no
 * leading zero (octal in YAML 1.1), no tag but !!int or !!float. */
bool
agrp_yaml_number(agrp_yaml *L, const yaml_node_t *n, const char *what, double *out)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *s, *tag, *digits;
	char *end;

	if (!agrp_yaml_expect(L, n, YAML_SCALAR_NODE, what))
		return false;
	s = agrp_yaml_scalar(n);
	tag = agrp_yaml_tag(L, n);
	if (tag != NULL && strcmp(tag, YAML_INT_TAG) != 0 && strcmp(tag, YAML_FLOAT_TAG) != 0) {
		bool short_form = strncmp(tag, core, sizeof core - 1) == 0;

		return agrp_yaml_fail(L, n, "%s must be a number, not '%s' tagged %s%s", what, s,
		                      short_form ? "!!" : "",
		                      short_form ? tag + sizeof core - 1 : tag);
	}
	if (!agrp_yaml_plain(n) || s[0] == '\0' || strspn(s, "0123456789+-.eE") != strlen(s))
		return agrp_yaml_fail(L, n, "%s must be a number, not '%s'", what, s);
	/* YAML 1.1 reads 010 as eight: a reader that does and one that does
	 * not must not see two numbers in one file. */
	digits = s + (s[0] == '+' || s[0] == '-');
	if (digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9')
		return agrp_yaml_fail(L, n, "%s must be a number without a leading zero, not '%s'",
		                      what, s);
	errno = 0;
	*out = strtod(s, &end);
	if (*end != '\0')
		return agrp_yaml_fail(L, n, "%s must be a number, not '%s'", what, s);
	if (errno == ERANGE || !isfinite(*out))
		return agrp_yaml_fail(L, n, "%s is out of range: %s", what, s);
	return true;
}

bool
agrp_yaml_bool(agrp_yaml *L, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s, *tag;

	if (!agrp_yaml_expect(L, n, YAML_SCALAR_NODE, what))
		return false;
	s = agrp_yaml_scalar(n);
	tag = agrp_yaml_tag(L, n);
	/* YAML 1.2's core schema: true or false, plain; YAML 1.1's yes and on
	 * would be read as strings by some readers and as booleans by others. */
	if ((tag == NULL || strcmp(tag, YAML_BOOL_TAG) == 0) && agrp_yaml_plain(n) &&
	    (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*out = s[0] == 't';
		return true;
	}
	return agrp_yaml_fail(L, n, "%s must be true or false, not '%s'", what, s);
}

bool
agrp_yaml_int(agrp_yaml *L, const yaml_node_t *n, const char *what, long lo, long hi, long *out)
{
	double d;

	if (!agrp_yaml_number(L, n, what, &d))
		return false;
	if (d != floor(d) || d < (double)lo || d > (double)hi)
		return agrp_yaml_fail(L, n, "%s must be a whole number from %ld to %ld, not %s",
		                      what, lo, hi, agrp_yaml_scalar(n));
	*out = (long)d;
	return true;
}

/* Calls fn for every key: value of a mapping, refusing duplicate keys:
 * by a scan for a few keys, by a map for more, so that a mapping of a
 * million nodes is not a trillion comparisons. */
bool
agrp_yaml_each_pair(agrp_yaml *L, yaml_node_t *map, const char *what, agrp_pair_fn fn, void *ctx)
{
	yaml_node_pair_t *p, *q;
	agrp_map seen = { 0 };
	bool many, ok = true;

	if (!agrp_yaml_expect(L, map, YAML_MAPPING_NODE, what))
		return false;
	many = map->data.mapping.pairs.top - map->data.mapping.pairs.start > 16;
	for (p = map->data.mapping.pairs.start; ok && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = agrp_yaml_node(L, p->key), *v = agrp_yaml_node(L, p->value);
		yaml_node_t *first = NULL;

		if (k->type != YAML_SCALAR_NODE) {
			ok = agrp_yaml_fail(L, k, "a key in %s must be a scalar", what);
			break;
		}
		if (many) {
			first = agrp_map_get(&seen, agrp_yaml_scalar(k));
			if (first == NULL)
				agrp_map_put(&seen, agrp_yaml_scalar(k), k);
		}
		for (q = map->data.mapping.pairs.start; !many && q < p && first == NULL; q++) {
			yaml_node_t *k2 = agrp_yaml_node(L, q->key);

			if (k2->type == YAML_SCALAR_NODE &&
			    strcmp(agrp_yaml_scalar(k2), agrp_yaml_scalar(k)) == 0)
				first = k2;
		}
		if (first != NULL)
			ok = agrp_yaml_fail(L, k, "duplicate key '%s' in %s (first at line %lu)",
			                    agrp_yaml_scalar(k), what,
			                    (unsigned long)first->start_mark.line + 1);
		else
			ok = fn(L, agrp_yaml_scalar(k), k, v, ctx);
	}
	agrp_map_free(&seen);
	return ok;
}

/* The keys a mapping may have, and where each one's value goes. */
typedef struct fields {
	const char *what; /* "edge", "monitor", "graph" */
	const char *const *names;
	size_t n;
	yaml_node_t **slot; /* slot[i] gets the value of names[i], or stays NULL */
} fields;

static bool
field(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
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
	return agrp_yaml_fail(L, k, "unknown key '%s' in %s (known: %s)", key, f->what, known);
}

/* Fills slot[] from the mapping map, refusing unknown and duplicate keys. */
bool
agrp_yaml_fields(agrp_yaml *L, yaml_node_t *map, const char *what, const char *const *names,
                 size_t n, yaml_node_t **slot)
{
	fields f = { what, names, n, slot };

	memset(slot, 0, n * sizeof *slot);
	return agrp_yaml_each_pair(L, map, what, field, &f);
}

/* A list of strings, or one string standing for a list of one. */
bool
agrp_yaml_strings(agrp_yaml *L, yaml_node_t *n, const char *what, char ***out, size_t *count)
{
	char item[64];
	size_t len;

	if (n->type == YAML_SCALAR_NODE) {
		const char *s;

		if (!agrp_yaml_name(L, n, what, &s))
			return false;
		*out = agrp_xmalloc(sizeof **out);
		(*out)[0] = agrp_xstrdup(s);
		*count = 1;
		return true;
	}
	if (!agrp_yaml_expect(L, n, YAML_SEQUENCE_NODE, what))
		return false;
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = agrp_xcalloc(len, sizeof **out);
	*count = 0;
	snprintf(item, sizeof item, "an item of %s", what);
	for (size_t i = 0; i < len; i++) {
		const char *s;

		if (!agrp_yaml_name(L, agrp_yaml_node(L, n->data.sequence.items.start[i]), item,
		                    &s))
			return false;
		(*out)[(*count)++] = agrp_xstrdup(s);
	}
	return true;
}

void
agrp_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
parser_error(yaml_parser_t *parser, const char *source, agr_error *err)
{
	const char *problem = parser->problem ? parser->problem : "invalid YAML";

	agrp_error_set(err, source, (long)parser->problem_mark.line + 1,
	               (long)parser->problem_mark.column + 1, "%s%s%s", problem,
	               parser->context ? " " : "", parser->context ? parser->context : "");
}

/*
 * One walk of the events before the document is loaded, for two things
 * the document API cannot do.
 *
 * Depth: libyaml's scanner looks at every open flow collection for each
 * token it reads, so that a text of 200,000 '[' costs minutes; lists and
 * mappings within one another deeper than AGRP_YAML_MAX_DEPTH are refused
 * where the first one too deep starts, before the scanner has gone much
 * further (at most 1024 characters ahead, its limit for a simple key).
 * Block collections are held to the same bound: no format is that deep.
 *
 * Tags: the document API gives every untagged scalar the tag !!str, so
 * that a number written `!!str 1` looks like `1`.  The events tell them
 * apart: where a scalar carries an explicit !!str (or the non-specific
 * `!`), its start is listed, in document order.
 *
 * A syntax error stops the walk: the document's load reports it.
 */
static bool
walk_events(agrp_yaml *L, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t cap = 0, depth = 0;
	bool done = false, ok = true, tags = memchr(text, '!', len) != NULL;

	if (!yaml_parser_initialize(&parser))
		return true; /* the load says it cannot start */
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (ok && !done && yaml_parser_parse(&parser, &ev)) {
		const char *tag = (const char *)ev.data.scalar.tag;

		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > AGRP_YAML_MAX_DEPTH) {
				agrp_error_set(L->err, L->source, (long)ev.start_mark.line + 1,
				               (long)ev.start_mark.column + 1,
				               "more than %d lists and mappings within one another",
				               AGRP_YAML_MAX_DEPTH);
				ok = false;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		           ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (tags && ev.type == YAML_SCALAR_EVENT && tag != NULL &&
		           (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0)) {
			agrp_grow(&L->str_tagged, &cap, L->nstr_tagged + 1, sizeof *L->str_tagged);
			L->str_tagged[L->nstr_tagged++] = ev.start_mark.index;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ok;
}

bool
agrp_yaml_load(agrp_yaml *L, const char *text, size_t len, const char *source, agr_error *err)
{
	yaml_parser_t parser;
	yaml_document_t next;
	yaml_node_t *root;
	bool ok = true;

	memset(L, 0, sizeof *L);
	L->source = source;
	L->err = err;
	if (!walk_events(L, text, len)) {
		agrp_yaml_free(L);
		return false;
	}
	if (!yaml_parser_initialize(&parser)) {
		agrp_yaml_free(L);
		agrp_error_set(err, source, 0, 0, "cannot start the YAML parser");
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &L->doc)) {
		parser_error(&parser, source, err);
		yaml_parser_delete(&parser);
		agrp_yaml_free(L);
		return false;
	}
	L->loaded = true;
	/* One document a file: what follows it would be ignored, unseen. */
	if (yaml_document_get_root_node(&L->doc) != NULL) {
		if (!yaml_parser_load(&parser, &next)) {
			parser_error(&parser, source, err);
			ok = false;
		} else {
			if ((root = yaml_document_get_root_node(&next)) != NULL) {
				agrp_error_set(err, source, (long)next.start_mark.line + 1,
				               (long)next.start_mark.column + 1,
				               "a second YAML document: a file holds one");
				ok = false;
			}
			yaml_document_delete(&next);
		}
	}
	yaml_parser_delete(&parser);
	if (!ok) {
		agrp_yaml_free(L);
		return false;
	}
	return true;
}

void
agrp_yaml_free(agrp_yaml *L)
{
	if (L->loaded)
		yaml_document_delete(&L->doc);
	L->loaded = false;
	free(L->str_tagged);
	L->str_tagged = NULL;
	L->nstr_tagged = 0;
}

yaml_node_t *
agrp_yaml_root(agrp_yaml *L)
{
	return yaml_document_get_root_node(&L->doc);
}

bool
agrp_yaml_list_string(const char *text, size_t len, const char *source, const char *what,
                      const char *key, agrp_item_fn fn, void *ctx, agr_error *err)
{
	const char *const keys[] = { key };
	char where[64];
	agrp_yaml L;
	yaml_node_t *root, *list;
	bool ok = true;

	if (!agrp_yaml_load(&L, text, len, source, err))
		return false;
	snprintf(where, sizeof where, "a %s", what);
	root = agrp_yaml_root(&L);
	if (root == NULL)
		ok = agrp_yaml_fail(&L, NULL, "the %s is empty", what);
	else if (!agrp_yaml_fields(&L, root, where, keys, 1, &list))
		ok = false;
	else if (list == NULL)
		ok = agrp_yaml_fail(&L, root, "the %s has no '%s'", what, key);
	else if (!agrp_yaml_expect(&L, list, YAML_SEQUENCE_NODE, key))
		ok = false;
	for (yaml_node_item_t *it = ok ? list->data.sequence.items.start : NULL;
	     ok && it < list->data.sequence.items.top; it++)
		ok = fn(&L, agrp_yaml_node(&L, *it), ctx);
	agrp_yaml_free(&L);
	return ok;
}

bool
agrp_yaml_list_file(const char *path, const char *what, const char *key, agrp_item_fn fn, void *ctx,
                    agr_error *err)
{
	size_t len;
	char *text = agrp_read_file(path, &len, err);
	bool ok;

	if (text == NULL)
		return false;
	ok = agrp_yaml_list_string(text, len, path, what, key, fn, ctx, err);
	free(text);
	return ok;
}
