/*
 * spec.c - fault specs, parsed: FAULT:key=value,... from the command line
 * and the mappings of a spec file (agraph-inject(5)).  Selectors (kind=,
 * tool=, agent=, trace=, step=, where=) and rates (p=, n=, nth=, first=)
 * are checked and kept in the spec; templates= is read; every other key is
 * the fault's own parameter, kept as a string for the fault to read.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "inject/inject_int.h"

static bool
set_number(const char *key, const char *v, double lo, double hi, bool whole, double *out,
           agr_error *err)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !(*out >= lo && *out <= hi) ||
	    (whole && *out != floor(*out))) {
		if (hi < 1e15)
			agrp_error_set(err, NULL, 0, 0, "%s= takes %s from %g to %g, not '%s'", key,
			               whole ? "a whole number" : "a number", lo, hi, v);
		else
			agrp_error_set(err, NULL, 0, 0, "%s= takes %s from %g, not '%s'", key,
			               whole ? "a whole number" : "a number", lo, v);
		return false;
	}
	return true;
}

/* templates=FILE: the texts a fault draws from, one a line. */
static bool
load_templates(agrp_fspec *f, const char *path, agr_error *err)
{
	size_t len;
	char *text = agrp_read_file(path, &len, err), *line, *save = NULL;

	if (text == NULL) {
		char why[sizeof err->text];

		snprintf(why, sizeof why, "%s", err->text);
		agrp_error_set(err, NULL, 0, 0, "templates=%s: %s", path, why);
		return false;
	}
	text = agrp_xrealloc(text, len + 1);
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		f->templates =
		    agrp_xrealloc(f->templates, (f->ntemplates + 1) * sizeof *f->templates);
		f->templates[f->ntemplates++] = agrp_xstrdup(line);
	}
	free(text);
	if (f->ntemplates == 0) {
		agrp_error_set(err, NULL, 0, 0, "templates=%s has no lines", path);
		return false;
	}
	json_object_set_new(f->params, "templates", json_string(path));
	return true;
}

/* One key=value of a spec: a selector, a rate, or the fault's own. */
static bool
spec_key(agrp_fspec *f, const char *key, const char *v, agr_error *err)
{
	double d;

	if (strcmp(key, "kind") == 0 || strcmp(key, "tool") == 0 || strcmp(key, "agent") == 0 ||
	    strcmp(key, "trace") == 0) {
		char **slot = key[0] == 'k'                    ? &f->kind
		              : key[0] == 't' && key[1] == 'o' ? &f->tool
		              : key[0] == 'a'                  ? &f->agent
		                                               : &f->trace;

		free(*slot);
		*slot = agrp_xstrdup(v);
	} else if (strcmp(key, "step") == 0) {
		if (!set_number(key, v, 0, 9e15, true, &d, err))
			return false;
		f->step = (long)d;
	} else if (strcmp(key, "where") == 0) {
		agr_expr_free(f->where);
		if ((f->where = agr_expr_compile(v, err)) == NULL) {
			char text[sizeof err->text + 64];

			snprintf(text, sizeof text, "where=: column %ld: %s", err->column,
			         err->text);
			agrp_error_set(err, NULL, 0, 0, "%s", text);
			return false;
		}
	} else if (strcmp(key, "p") == 0) {
		if (!set_number(key, v, 0, 1, false, &f->p, err))
			return false;
	} else if (strcmp(key, "n") == 0 || strcmp(key, "nth") == 0 || strcmp(key, "first") == 0) {
		if (!set_number(key, v, key[0] == 'n' && key[1] == 't' ? 1 : 0, 9e15, true, &d,
		                err))
			return false;
		*(key[1] == '\0' ? &f->n : key[0] == 'n' ? &f->nth : &f->first) = (long)d;
	} else if (strcmp(key, "templates") == 0) {
		return load_templates(f, v, err);
	} else {
		json_object_set_new(f->params, key, json_string(v));
	}
	return true;
}

static agrp_fspec *
spec_new(agr_injector *in, const char *name, agr_error *err)
{
	const agrp_fault_def *def = agrp_fault_find(name);
	agrp_fspec *f;

	if (def == NULL) {
		agrp_error_set(err, NULL, 0, 0,
		               "unknown fault '%s' (agraph-inject --list shows them)", name);
		return NULL;
	}
	agrp_grow(&in->f, &in->cap, in->n + 1, sizeof *in->f);
	f = &in->f[in->n++];
	memset(f, 0, sizeof *f);
	f->def = def;
	f->step = -1;
	f->p = 1;
	f->n = -1;
	f->params = json_object();
	f->tools = def->tools ? agr_expr_compile(def->tools, NULL) : NULL;
	in->track = in->track || def->track;
	return f;
}

bool
agr_injector_add(agr_injector *in, const char *spec, agr_error *err)
{
	char *copy = agrp_xstrdup(spec), *p, *colon = strchr(copy, ':');
	agrp_fspec *f;
	bool ok = true;

	if (colon != NULL)
		*colon = '\0';
	if ((f = spec_new(in, copy, err)) == NULL) {
		free(copy);
		return false;
	}
	/* key=value items split at commas outside quotes and brackets. */
	for (p = colon ? colon + 1 : NULL; ok && p != NULL && *p != '\0';) {
		char *item = p, *eq, quote = 0;
		int depth = 0;

		for (; *p && (quote || depth || *p != ','); p++) {
			if (quote) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == quote)
					quote = 0;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == '[' || *p == '(') {
				depth++;
			} else if ((*p == ']' || *p == ')') && depth > 0) {
				depth--;
			}
		}
		if (*p == ',')
			*p++ = '\0';
		if ((eq = strchr(item, '=')) == NULL) {
			agrp_error_set(err, NULL, 0, 0, "expected key=value, not '%s'", item);
			ok = false;
			break;
		}
		*eq = '\0';
		ok = spec_key(f, item, eq + 1, err);
	}
	free(copy);
	return ok;
}

static bool
spec_entry(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	agrp_fspec *f = ctx;
	agr_error e;

	if (strcmp(key, "fault") == 0)
		return true;
	if (!agrp_yaml_expect(L, v, YAML_SCALAR_NODE, key))
		return false;
	if (strcmp(key, "where") == 0) { /* compiled here, so errors point into the file */
		agr_expr_free(f->where);
		return (f->where = agrp_yaml_expr(L, v, "where")) != NULL;
	}
	if (!spec_key(f, key, agrp_yaml_scalar(v), &e))
		return agrp_yaml_fail(L, strcmp(key, "where") == 0 ? v : k, "%s", e.text);
	return true;
}

/* One mapping of a spec file: its fault name, then its keys. */
static bool
fault_item(agrp_yaml *L, yaml_node_t *n, void *ctx)
{
	agr_injector *in = ctx;
	yaml_node_t *name = NULL;
	const char *fname;
	agrp_fspec *f;
	agr_error e;

	if (!agrp_yaml_expect(L, n, YAML_MAPPING_NODE, "a fault"))
		return false;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = agrp_yaml_node(L, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(agrp_yaml_scalar(k), "fault") == 0)
			name = agrp_yaml_node(L, pr->value);
	}
	if (name == NULL)
		return agrp_yaml_fail(L, n, "a fault has no 'fault' name");
	if (!agrp_yaml_name(L, name, "fault", &fname))
		return false;
	if ((f = spec_new(in, fname, &e)) == NULL)
		return agrp_yaml_fail(L, name, "%s", e.text);
	return agrp_yaml_each_pair(L, n, "a fault", spec_entry, f);
}

bool
agr_injector_load(agr_injector *in, const char *path, agr_error *err)
{
	return agrp_yaml_list_file(path, "fault spec", "faults", fault_item, in, err);
}

void
agrp_fspec_free(agrp_fspec *f)
{
	free(f->kind);
	free(f->tool);
	free(f->agent);
	free(f->trace);
	agr_expr_free(f->where);
	agr_expr_free(f->tools);
	agrp_free_strings(f->templates, f->ntemplates);
	json_decref(f->params);
}
