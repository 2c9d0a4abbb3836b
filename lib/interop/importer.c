/*
 * importer.c - what every importer writes through: the records of the run
 * being converted, each numbered and with its trace, the run's fields on
 * its first, and the errors of the input, each with its place.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/import_int.h"

void
agrp_import_report(importer *im, long line, long col, const char *fmt, const char *arg)
{
	agr_error e;

	memset(&e, 0, sizeof e);
	agrp_error_set(&e, im->source, line, col, fmt, arg);
	im->errors++;
	im->on_error(im->ectx, &e);
}

/* Writes rec (stolen) as the run's next record. */
void
agrp_import_put(importer *im, json_t *rec)
{
	json_t *o = json_object();
	const char *key;
	json_t *v;

	/* trace, step and kind first, as every agraph program writes them */
	json_object_set_new(
	    o, "trace", im->trace_j ? json_incref((json_t *)im->trace_j) : json_string(im->trace));
	json_object_set_new(o, "step", json_integer(im->step++));
	json_object_set(o, "kind", json_object_get(rec, "kind"));
	json_object_foreach(rec, key, v) if (strcmp(key, "kind") != 0) json_object_set(o, key, v);
	if (im->run_fields != NULL) {
		json_object_set(o, "run", im->run_fields);
		json_decref(im->run_fields);
		im->run_fields = NULL;
	}
	im->buf.n = 0;
	agrp_buf_json(&im->buf, o);
	im->out(im->ctx, im->buf.p, im->buf.n);
	json_decref(o);
	json_decref(rec);
}

/* Starts a run: its trace id, and its fields but the named ones, for its
 * first record. */
void
agrp_import_begin_run(importer *im, const json_t *run, const char *const *taken, size_t ntaken,
                      const char *const *id_keys, size_t nid, char *idbuf, size_t idcap)
{
	im->runs++;
	im->step = 1;
	im->trace = NULL;
	im->trace_j = NULL;
	for (size_t i = 0; i < nid && im->trace == NULL; i++) {
		const json_t *id = json_object_get(run, id_keys[i]);

		if (json_is_string(id)) {
			im->trace = json_string_value(id);
			im->trace_j = id;
		} else if (json_is_integer(id)) {
			snprintf(idbuf, idcap, "%lld", (long long)json_integer_value(id));
			im->trace = idbuf;
		}
	}
	if (im->trace == NULL) {
		/* where it was read: its line, or its place in a document */
		const char *src = strcmp(im->source, "-") ? im->source : "stdin";

		if (im->line > 0)
			snprintf(idbuf, idcap, "%s:%ld", src, im->line);
		else if (im->doc_runs > 1)
			snprintf(idbuf, idcap, "%s#%ld", src, im->runs);
		else
			snprintf(idbuf, idcap, "%s", src);
		im->trace = idbuf;
	}
	json_decref(im->run_fields);
	im->run_fields = agrp_json_without(run, taken, ntaken);
}

void
agrp_import_set_src(json_t *rec, json_t *src)
{
	if (src != NULL)
		json_object_set_new(rec, "src", src);
}

/*
 * Strings are taken whole: a \u0000 in one is valid JSON, and a name cut
 * at it would be another name.  agrp_import_whole() is the string at key of o (a new
 * reference), or NULL; same() compares two strings, lengths and all.
 */
json_t *
agrp_import_whole(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_incref(v) : NULL;
}

void
agrp_import_set_whole(json_t *rec, const char *key, const json_t *from, const char *from_key)
{
	json_t *v = agrp_import_whole(from, from_key);

	if (v != NULL)
		json_object_set_new(rec, key, v);
}

int
agrp_import_str_cmp(const json_t *a, const json_t *b)
{
	size_t na = json_string_length(a), nb = json_string_length(b);
	int c =
	    na && nb ? memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb) : 0;

	return c != 0 ? c : na < nb ? -1 : na > nb;
}

/* A JSON value in a string (arguments), parsed from all of its bytes. */
json_t *
agrp_import_parse_string(const json_t *s, json_error_t *e)
{
	return json_loadb(json_string_value(s), json_string_length(s),
	                  JSON_DECODE_ANY | JSON_ALLOW_NUL, e);
}
