/*
 * contract.c - contract sets: the built-ins by name, and user contracts
 * loaded from the YAML of agraph-contract(5), each with one pattern
 * (always, never, eventually, precedence, response, bounded) and a scope,
 * their expressions compiled once here.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"
#include "expr/expr_yaml.h"

static const char *const builtin_names[] = { "well-formed", "terminates", "answered", "observable",
	                                     "no-repeat" };
static const agrp_ctype builtin_types[] = { AGRP_BI_WELL_FORMED, AGRP_BI_TERMINATES,
	                                    AGRP_BI_ANSWERED, AGRP_BI_OBSERVABLE,
	                                    AGRP_BI_NO_REPEAT };
#define NBUILTIN (sizeof builtin_names / sizeof builtin_names[0])

agr_contracts *
agr_contracts_new(void)
{
	return agrp_xcalloc(1, sizeof(agr_contracts));
}

static void
contract_free(agrp_contract *c)
{
	free(c->name);
	free(c->p_text);
	free(c->s_text);
	agr_expr_free(c->p);
	agr_expr_free(c->s);
	agr_expr_free(c->q);
	agr_expr_free(c->r);
}

void
agr_contracts_free(agr_contracts *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		contract_free(&cs->c[i]);
	free(cs->c);
	agrp_map_free(&cs->names);
	free(cs);
}

size_t
agr_contracts_count(const agr_contracts *cs)
{
	return cs->n;
}

const char *
agr_contracts_name(const agr_contracts *cs, size_t i)
{
	return cs->c[i].name;
}

/* A contract by name: looked up, not searched for (40,000 contracts). */
static const agrp_contract *
find_contract(const agr_contracts *cs, const char *name)
{
	uintptr_t i = (uintptr_t)agrp_map_get(&cs->names, name);

	return i != 0 ? &cs->c[i - 1] : NULL;
}

static void
add(agr_contracts *cs, const agrp_contract *c)
{
	agrp_grow(&cs->c, &cs->cap, cs->n + 1, sizeof *cs->c);
	cs->c[cs->n++] = *c;
	agrp_map_put(&cs->names, c->name, (void *)(uintptr_t)cs->n);
}

bool
agr_contracts_builtin(agr_contracts *cs, const char *names, agr_error *err)
{
	char *copy = agrp_xstrdup(names), *save = NULL, *name;
	bool ok = true;

	for (name = strtok_r(copy, ",", &save); name && ok; name = strtok_r(NULL, ",", &save)) {
		bool all = strcmp(name, "all") == 0, known = all;

		for (size_t i = 0; i < NBUILTIN; i++) {
			agrp_contract c = { 0 };

			if (!all && strcmp(name, builtin_names[i]) != 0)
				continue;
			known = true;
			if (find_contract(cs, builtin_names[i]) != NULL)
				continue;
			c.name = agrp_xstrdup(builtin_names[i]);
			c.type = builtin_types[i];
			add(cs, &c);
		}
		if (!known) {
			agrp_error_set(
			    err, "", 0, 0,
			    "unknown built-in contract '%s' (known: well-formed, terminates, "
			    "answered, observable, no-repeat, all)",
			    name);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* ---- loading ------------------------------------------------------- */

enum {
	K_NAME,
	K_DESCRIPTION,
	K_SCOPE,
	K_ALWAYS,
	K_NEVER,
	K_EVENTUALLY,
	K_PRECEDENCE,
	K_RESPONSE,
	K_BOUNDED,
	K_N
};
static const char *const contract_keys[K_N] = { "name",       "description", "scope",
	                                        "always",     "never",       "eventually",
	                                        "precedence", "response",    "bounded" };

static bool
load_expr(agrp_yaml *L, yaml_node_t *n, const char *name, const char *key, agr_expr **e,
          char **text)
{
	char what[300];

	snprintf(what, sizeof what, "contract '%s', %s", name, key);
	if ((*e = agrp_yaml_expr(L, n, what)) == NULL)
		return false;
	if (text != NULL)
		*text = agrp_xstrdup(agrp_yaml_scalar(n));
	return true;
}

/* A mapping of expressions (and numbers) such as {if: P, then: S, within: 3}. */
static bool
load_parts(agrp_yaml *L, yaml_node_t *n, const char *name, const char *pattern,
           const char *const *keys, size_t nkeys, yaml_node_t **slot, size_t required)
{
	char what[300];

	snprintf(what, sizeof what, "%s of contract '%s'", pattern, name);
	if (!agrp_yaml_fields(L, n, what, keys, nkeys, slot))
		return false;
	for (size_t i = 0; i < required; i++)
		if (slot[i] == NULL)
			return agrp_yaml_fail(L, n, "%s has no '%s'", what, keys[i]);
	return true;
}

static bool
load_scope(agrp_yaml *L, yaml_node_t *n, agrp_contract *c)
{
	static const char *const keys[] = { "before", "after", "between", "and", "until" };
	yaml_node_t *f[5];
	char what[300];

	if (n->type == YAML_SCALAR_NODE && strcmp(agrp_yaml_scalar(n), "global") == 0) {
		c->scope = AGRP_SC_GLOBAL;
		return true;
	}
	snprintf(what, sizeof what, "the scope of contract '%s'", c->name);
	if (n->type == YAML_SCALAR_NODE)
		return agrp_yaml_fail(L, n, "%s must be global or a mapping", what);
	if (!agrp_yaml_fields(L, n, what, keys, 5, f))
		return false;
	if (f[0] && !f[1] && !f[2] && !f[3] && !f[4]) {
		c->scope = AGRP_SC_BEFORE;
		return load_expr(L, f[0], c->name, "before", &c->r, NULL);
	}
	if (f[1] && !f[0] && !f[2] && !f[3] && !f[4]) {
		c->scope = AGRP_SC_AFTER;
		return load_expr(L, f[1], c->name, "after", &c->q, NULL);
	}
	if (f[2] && f[3] && !f[0] && !f[1] && !f[4]) {
		c->scope = AGRP_SC_BETWEEN;
		return load_expr(L, f[2], c->name, "between", &c->q, NULL) &&
		       load_expr(L, f[3], c->name, "and", &c->r, NULL);
	}
	if (f[1] && f[4] && !f[0] && !f[2] && !f[3]) {
		c->scope = AGRP_SC_UNTIL;
		return load_expr(L, f[1], c->name, "after", &c->q, NULL) &&
		       load_expr(L, f[4], c->name, "until", &c->r, NULL);
	}
	return agrp_yaml_fail(L, n,
	                      "%s must be one of {before: R}, {after: Q}, {between: Q, and: R}, "
	                      "{after: Q, until: R}",
	                      what);
}

static bool
load_pattern(agrp_yaml *L, yaml_node_t **f, agrp_contract *c)
{
	yaml_node_t *pat = NULL, *part[3];
	int which = -1;

	for (int k = K_ALWAYS; k <= K_BOUNDED; k++) {
		if (f[k] == NULL)
			continue;
		if (pat != NULL)
			return agrp_yaml_fail(L, f[k], "contract '%s' has two patterns, %s and %s",
			                      c->name, contract_keys[which], contract_keys[k]);
		pat = f[k];
		which = k;
	}
	if (pat == NULL)
		return agrp_yaml_fail(L, f[K_NAME],
		                      "contract '%s' has no pattern (always, never, eventually, "
		                      "precedence, response or bounded)",
		                      c->name);
	switch (which) {
	case K_ALWAYS:
	case K_NEVER:
	case K_EVENTUALLY:
		c->type = which == K_ALWAYS  ? AGRP_PAT_ALWAYS
		          : which == K_NEVER ? AGRP_PAT_NEVER
		                             : AGRP_PAT_EVENTUALLY;
		return load_expr(L, pat, c->name, contract_keys[which], &c->p, &c->p_text);
	case K_PRECEDENCE: {
		static const char *const keys[] = { "first", "before" };

		c->type = AGRP_PAT_PRECEDENCE;
		return load_parts(L, pat, c->name, "precedence", keys, 2, part, 2) &&
		       load_expr(L, part[0], c->name, "first", &c->s, &c->s_text) &&
		       load_expr(L, part[1], c->name, "before", &c->p, &c->p_text);
	}
	case K_RESPONSE: {
		static const char *const keys[] = { "if", "then", "within" };

		c->type = AGRP_PAT_RESPONSE;
		c->within = -1;
		if (!load_parts(L, pat, c->name, "response", keys, 3, part, 2) ||
		    !load_expr(L, part[0], c->name, "if", &c->p, &c->p_text) ||
		    !load_expr(L, part[1], c->name, "then", &c->s, &c->s_text))
			return false;
		agrp_response_plan(c);
		return part[2] == NULL ||
		       agrp_yaml_int(L, part[2], "within", 0, 1L << 40, &c->within);
	}
	default: {
		static const char *const keys[] = { "what", "max" };

		c->type = AGRP_PAT_BOUNDED;
		return load_parts(L, pat, c->name, "bounded", keys, 2, part, 2) &&
		       load_expr(L, part[0], c->name, "what", &c->p, &c->p_text) &&
		       agrp_yaml_int(L, part[1], "max", 0, 1L << 40, &c->max);
	}
	}
}

static bool
load_contract(agrp_yaml *L, agr_contracts *cs, yaml_node_t *n)
{
	yaml_node_t *f[K_N];
	agrp_contract c = { 0 };
	const char *name;

	if (!agrp_yaml_fields(L, n, "a contract", contract_keys, K_N, f))
		return false;
	if (f[K_NAME] == NULL)
		return agrp_yaml_fail(L, n, "contract has no 'name'");
	if (!agrp_yaml_name(L, f[K_NAME], "name", &name))
		return false;
	if (find_contract(cs, name) != NULL) {
		char *shown = agrp_text(name, false); /* a name may hold a line end */
		bool ok =
		    agrp_yaml_fail(L, f[K_NAME], "a contract named '%s' is already loaded", shown);

		free(shown);
		return ok;
	}
	if (f[K_DESCRIPTION] != NULL &&
	    !agrp_yaml_expect(L, f[K_DESCRIPTION], YAML_SCALAR_NODE, "description"))
		return false;
	c.name = agrp_xstrdup(name);
	if (!load_pattern(L, f, &c) || (f[K_SCOPE] != NULL && !load_scope(L, f[K_SCOPE], &c))) {
		contract_free(&c);
		return false;
	}
	agrp_contract_keeps(&c);
	add(cs, &c);
	return true;
}

static bool
contract_item(agrp_yaml *L, yaml_node_t *n, void *ctx)
{
	return load_contract(L, ctx, n);
}

bool
agr_contracts_load_file(agr_contracts *cs, const char *path, agr_error *err)
{
	return agrp_yaml_list_file(path, "contract file", "contracts", contract_item, cs, err);
}

bool
agr_contracts_load_string(agr_contracts *cs, const char *text, size_t len, const char *source,
                          agr_error *err)
{
	return agrp_yaml_list_string(text, len, source, "contract file", "contracts", contract_item,
	                             cs, err);
}
