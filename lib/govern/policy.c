/*
 * policy.c - policies (agraph-policy(5)) loaded: capability limits per
 * agent, and rules whose expressions are compiled once here.  Every
 * mistake is refused with its file, line and column, so that a typo never
 * widens or silences a rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "govern/govern_int.h"

/* The fields a rewrite must not touch: what makes the record the one it
 * is, and what the router writes itself. */
static const char *const fixed_fields[] = { "trace", "step", "kind",  "id",     "call",
	                                    "cause", "tool", "agent", "status", "attempt" };

static const char *const decision_names[] = { "allow", "rewrite", "block", "escalate" };

const char *
agr_decision_name(agr_decision d)
{
	return (unsigned)d < 4 ? decision_names[d] : NULL;
}

static void
fpath_free(agrp_fpath *p)
{
	agrp_free_strings(p->part, p->n);
	free(p->text);
}

static void
rule_free(agrp_rule *r)
{
	free(r->name);
	free(r->reason);
	agr_expr_free(r->when);
	agr_expr_free(r->sum);
	for (size_t i = 0; i < r->nset; i++) {
		fpath_free(&r->set[i]);
		agr_expr_free(r->set_value[i]);
	}
	free(r->set);
	free(r->set_value);
	for (size_t i = 0; i < r->nremove; i++)
		fpath_free(&r->remove[i]);
	free(r->remove);
}

static void
free_tools(agrp_map *agents)
{
	for (size_t i = 0; i < agents->cap; i++)
		if (agents->slots[i].key != NULL) {
			agrp_map_free(agents->slots[i].val);
			free(agents->slots[i].val);
		}
	agrp_map_free(agents);
}

void
agrp_gtrace_free(agr_governor *gv, agrp_gtrace *t)
{
	agrp_map_del(&gv->traces, t->id);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		gv->all = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	free(t->id);
	free(t->used);
	agrp_steps_free(&t->steps);
	agrp_map_free(&t->blocked);
	free(t);
}

void
agr_governor_free(agr_governor *gv)
{
	if (gv == NULL)
		return;
	free(gv->name);
	free_tools(&gv->agents);
	for (size_t i = 0; i < gv->nrules; i++)
		rule_free(&gv->rules[i]);
	free(gv->rules);
	while (gv->all != NULL)
		agrp_gtrace_free(gv, gv->all);
	agrp_map_free(&gv->traces);
	free(gv->passed);
	free(gv->passed_amount);
	free(gv->out.p);
	agr_record_free(gv->scratch);
	free(gv);
}

const char *
agr_governor_name(const agr_governor *gv)
{
	return gv->name ? gv->name : "";
}

void
agr_governor_audit(agr_governor *gv)
{
	gv->audit = true;
}

/* ---- loading ------------------------------------------------------- */

static bool
decision(agrp_yaml *L, yaml_node_t *n, const char *what, bool only_allow_block, agr_decision *out)
{
	const char *s;

	if (!agrp_yaml_name(L, n, what, &s))
		return false;
	for (int d = 0; d < 4; d++)
		if (strcmp(s, decision_names[d]) == 0 &&
		    (!only_allow_block || d == AGR_DECISION_ALLOW || d == AGR_DECISION_BLOCK)) {
			*out = (agr_decision)d;
			return true;
		}
	if (only_allow_block)
		return agrp_yaml_fail(L, n, "%s must be allow or block, not '%s'", what, s);
	return agrp_yaml_fail(L, n, "%s must be allow, rewrite, block or escalate, not '%s'", what,
	                      s);
}

/* A field path: names joined by dots, none empty, none a field that
 * makes the record what it is. */
static bool
field_path(agrp_yaml *L, yaml_node_t *n, const char *what, agrp_fpath *p)
{
	const char *s, *dot;

	*p = (agrp_fpath){ 0 };
	if (!agrp_yaml_name(L, n, what, &s))
		return false;
	p->text = agrp_xstrdup(s);
	for (const char *at = s;; at = dot + 1) {
		size_t len;

		dot = strchr(at, '.');
		len = dot ? (size_t)(dot - at) : strlen(at);
		if (len == 0)
			return agrp_yaml_fail(
			    L, n, "%s: '%s' is not a field path (names joined by dots)", what, s);
		p->part = agrp_xrealloc(p->part, (p->n + 1) * sizeof *p->part);
		p->part[p->n] = agrp_xmalloc(len + 1);
		memcpy(p->part[p->n], at, len);
		p->part[p->n++][len] = '\0';
		if (dot == NULL)
			break;
	}
	for (size_t i = 0; i < sizeof fixed_fields / sizeof *fixed_fields; i++)
		if (strcmp(p->part[0], fixed_fields[i]) == 0)
			return agrp_yaml_fail(L, n, "%s: a rewrite may not change '%s'", what,
			                      fixed_fields[i]);
	return true;
}

/* Whether path a is b or lies inside it (b names an object on a's way). */
static bool
within(const agrp_fpath *a, const agrp_fpath *b)
{
	if (b->n > a->n)
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(a->part[i], b->part[i]) != 0)
			return false;
	return true;
}

/* A path of set: or remove: that overlaps one the rule sets (one inside
 * the other): the rewrite would undo part of itself, and changed: would
 * name a field it did not leave set. */
static bool
overlaps(agrp_yaml *L, yaml_node_t *n, const char *what, const agrp_rule *r, size_t nset,
         const agrp_fpath *p)
{
	for (size_t i = 0; i < nset; i++) {
		const agrp_fpath *q = &r->set[i];

		if (within(p, q) || within(q, p))
			return agrp_yaml_fail(L, n, "%s: %s and %s, which this rule sets, overlap",
			                      what, p->text, q->text);
	}
	return true;
}

typedef struct setting {
	agrp_rule *r;
	const char *what;
} setting;

static bool
set_pair(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	setting *st = ctx;
	agrp_rule *r = st->r;
	char what[400];

	(void)key;
	r->set = agrp_xrealloc(r->set, (r->nset + 1) * sizeof *r->set);
	r->set_value = agrp_xrealloc(r->set_value, (r->nset + 1) * sizeof *r->set_value);
	r->set_value[r->nset] = NULL;
	if (!field_path(L, k, st->what, &r->set[r->nset])) {
		r->nset++;
		return false;
	}
	if (!overlaps(L, k, st->what, r, r->nset, &r->set[r->nset])) {
		r->nset++;
		return false;
	}
	snprintf(what, sizeof what, "%s, %s", st->what, r->set[r->nset].text);
	r->set_value[r->nset] = agrp_yaml_expr(L, v, what);
	r->nset++;
	return r->set_value[r->nset - 1] != NULL;
}

enum {
	R_NAME,
	R_ON,
	R_WHEN,
	R_THEN,
	R_REASON,
	R_SET,
	R_REMOVE,
	R_LIMIT,
	R_SUM,
	R_DESCRIPTION,
	R_N
};
static const char *const rule_keys[R_N] = { "name", "on",     "when",  "then", "reason",
	                                    "set",  "remove", "limit", "sum",  "description" };

static bool
find_rule(const agr_governor *gv, const char *name)
{
	for (size_t i = 0; i < gv->nrules; i++)
		if (strcmp(gv->rules[i].name, name) == 0)
			return true;
	return false;
}

static bool
load_rule_parts(agrp_yaml *L, agr_governor *gv, yaml_node_t *n, yaml_node_t **f, agrp_rule *r)
{
	char what[400];
	const char *s;
	char *shown = agrp_text(r->name, false);

	snprintf(what, sizeof what, "rule '%s'", shown);
	free(shown);
	if (f[R_ON] != NULL) {
		if (!agrp_yaml_name(L, f[R_ON], "on", &s))
			return false;
		if (strcmp(s, "message") == 0)
			r->on_message = true;
		else if (strcmp(s, "call") != 0)
			return agrp_yaml_fail(L, f[R_ON],
			                      "%s: on must be call or message, not '%s'", what, s);
	}
	if (f[R_WHEN] != NULL) {
		char w[450];

		snprintf(w, sizeof w, "%s, when", what);
		if ((r->when = agrp_yaml_expr(L, f[R_WHEN], w)) == NULL)
			return false;
	}
	if (f[R_THEN] == NULL)
		return agrp_yaml_fail(L, n, "%s has no 'then' (allow, rewrite, block or escalate)",
		                      what);
	if (!decision(L, f[R_THEN], "then", false, &r->then))
		return false;
	if (f[R_REASON] != NULL) {
		if (r->then != AGR_DECISION_BLOCK && r->then != AGR_DECISION_ESCALATE)
			return agrp_yaml_fail(L, f[R_REASON],
			                      "%s: a reason goes with block or escalate", what);
		if (!agrp_yaml_name(L, f[R_REASON], "reason", &s))
			return false;
		r->reason = agrp_xstrdup(s);
	}
	if (r->then == AGR_DECISION_REWRITE && f[R_SET] == NULL && f[R_REMOVE] == NULL)
		return agrp_yaml_fail(L, f[R_THEN], "%s: a rewrite needs set or remove", what);
	for (int k = R_SET; k <= R_REMOVE; k++)
		if (f[k] != NULL && r->then != AGR_DECISION_REWRITE)
			return agrp_yaml_fail(L, f[k], "%s: %s goes with then: rewrite", what,
			                      rule_keys[k]);
	if (f[R_SET] != NULL) {
		char w[450];
		setting st = { r, w };

		snprintf(w, sizeof w, "%s, set", what);
		if (!agrp_yaml_expect(L, f[R_SET], YAML_MAPPING_NODE, "set") ||
		    !agrp_yaml_each_pair(L, f[R_SET], w, set_pair, &st))
			return false;
		if (r->nset == 0)
			return agrp_yaml_fail(L, f[R_SET], "%s: set is empty", what);
	}
	if (f[R_REMOVE] != NULL) {
		yaml_node_t *list = f[R_REMOVE];
		char w[450];

		snprintf(w, sizeof w, "%s, remove", what);
		if (list->type == YAML_SCALAR_NODE) {
			r->remove = agrp_xcalloc(1, sizeof *r->remove);
			r->nremove = 1;
			if (!field_path(L, list, w, &r->remove[0]) ||
			    !overlaps(L, list, w, r, r->nset, &r->remove[0]))
				return false;
		} else {
			if (!agrp_yaml_expect(L, list, YAML_SEQUENCE_NODE, "remove"))
				return false;
			for (yaml_node_item_t *it = list->data.sequence.items.start;
			     it < list->data.sequence.items.top; it++) {
				yaml_node_t *item = agrp_yaml_node(L, *it);

				r->remove =
				    agrp_xrealloc(r->remove, (r->nremove + 1) * sizeof *r->remove);
				if (!field_path(L, item, w, &r->remove[r->nremove++]) ||
				    !overlaps(L, item, w, r, r->nset, &r->remove[r->nremove - 1]))
					return false;
			}
			if (r->nremove == 0)
				return agrp_yaml_fail(L, list, "%s: remove is empty", what);
		}
	}
	if (f[R_SUM] != NULL && f[R_LIMIT] == NULL)
		return agrp_yaml_fail(L, f[R_SUM], "%s: sum needs a limit", what);
	if (f[R_LIMIT] != NULL) {
		if (!agrp_yaml_number(L, f[R_LIMIT], "limit", &r->limit))
			return false;
		if (!(r->limit >= 0) || !isfinite(r->limit) ||
		    (f[R_SUM] == NULL && r->limit != floor(r->limit)))
			return agrp_yaml_fail(L, f[R_LIMIT], "%s: limit must be %s", what,
			                      f[R_SUM] ? "a number from 0"
			                               : "a whole number of records from 0");
		r->limited = true;
		r->counter = gv->ncounters++;
	}
	if (f[R_SUM] != NULL) {
		char w[450];

		snprintf(w, sizeof w, "%s, sum", what);
		if ((r->sum = agrp_yaml_expr(L, f[R_SUM], w)) == NULL)
			return false;
	}
	return true;
}

static bool
load_rule(agrp_yaml *L, agr_governor *gv, yaml_node_t *n)
{
	yaml_node_t *f[R_N];
	agrp_rule r = { 0 };
	const char *name;

	if (!agrp_yaml_expect(L, n, YAML_MAPPING_NODE, "a rule") ||
	    !agrp_yaml_fields(L, n, "a rule", rule_keys, R_N, f))
		return false;
	if (f[R_NAME] == NULL)
		return agrp_yaml_fail(L, n, "rule has no 'name'");
	if (!agrp_yaml_name(L, f[R_NAME], "name", &name))
		return false;
	if (find_rule(gv, name) || strcmp(name, "agents") == 0 || strcmp(name, "default") == 0) {
		char *shown = agrp_text(name, false);
		bool ok = agrp_yaml_fail(L, f[R_NAME],
		                         find_rule(gv, name)
		                             ? "a rule named '%s' comes before"
		                             : "'%s' names the capability limits or the default: "
		                               "a rule needs another name",
		                         shown);

		free(shown);
		return ok;
	}
	if (f[R_DESCRIPTION] != NULL &&
	    !agrp_yaml_expect(L, f[R_DESCRIPTION], YAML_SCALAR_NODE, "description"))
		return false;
	r.name = agrp_xstrdup(name);
	if (!load_rule_parts(L, gv, n, f, &r)) {
		rule_free(&r);
		return false;
	}
	agrp_grow(&gv->rules, &gv->caprules, gv->nrules + 1, sizeof *gv->rules);
	gv->on_messages |= r.on_message;
	gv->rules[gv->nrules++] = r;
	return true;
}

static bool
agent_pair(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	agr_governor *gv = ctx;
	agrp_map *tools;
	char **names = NULL, what[300];
	size_t n = 0;
	const char *agent;
	bool ok;

	if (!agrp_yaml_name(L, k, "an agent's name", &agent))
		return false;
	(void)key;
	snprintf(what, sizeof what, "the tools of agent '%.200s'", agent);
	if (v->type == YAML_SEQUENCE_NODE &&
	    v->data.sequence.items.top == v->data.sequence.items.start)
		ok = true; /* [] : it may call nothing */
	else
		ok = agrp_yaml_strings(L, v, what, &names, &n);
	tools = agrp_xcalloc(1, sizeof *tools);
	for (size_t i = 0; ok && i < n; i++)
		agrp_map_put(tools, names[i], (void *)1);
	agrp_free_strings(names, n);
	agrp_map_put(&gv->agents, agent, tools);
	return ok;
}

enum { P_POLICY, P_DEFAULT, P_AGENTS, P_RULES, P_DESCRIPTION, P_N };
static const char *const policy_keys[P_N] = { "policy", "default", "agents", "rules",
	                                      "description" };

static bool
load_policy(agrp_yaml *L, agr_governor *gv)
{
	yaml_node_t *root = agrp_yaml_root(L), *f[P_N];
	const char *s;

	if (root == NULL)
		return agrp_yaml_fail(L, NULL, "the policy file is empty");
	if (!agrp_yaml_expect(L, root, YAML_MAPPING_NODE, "a policy file") ||
	    !agrp_yaml_fields(L, root, "a policy file", policy_keys, P_N, f))
		return false;
	if (f[P_POLICY] != NULL) {
		if (!agrp_yaml_name(L, f[P_POLICY], "policy", &s))
			return false;
		gv->name = agrp_xstrdup(s);
	}
	if (f[P_DESCRIPTION] != NULL &&
	    !agrp_yaml_expect(L, f[P_DESCRIPTION], YAML_SCALAR_NODE, "description"))
		return false;
	if (f[P_DEFAULT] != NULL && !decision(L, f[P_DEFAULT], "default", true, &gv->fallback))
		return false;
	if (f[P_AGENTS] != NULL &&
	    (!agrp_yaml_expect(L, f[P_AGENTS], YAML_MAPPING_NODE, "agents") ||
	     !agrp_yaml_each_pair(L, f[P_AGENTS], "agents", agent_pair, gv)))
		return false;
	if (f[P_RULES] != NULL) {
		yaml_node_t *list = f[P_RULES];

		if (!agrp_yaml_expect(L, list, YAML_SEQUENCE_NODE, "rules"))
			return false;
		for (yaml_node_item_t *it = list->data.sequence.items.start;
		     it < list->data.sequence.items.top; it++)
			if (!load_rule(L, gv, agrp_yaml_node(L, *it)))
				return false;
	}
	return true;
}

agr_governor *
agr_governor_load_string(const char *text, size_t len, const char *source, agr_error *err)
{
	agrp_yaml L;
	agr_governor *gv;
	bool ok;

	if (!agrp_yaml_load(&L, text, len, source, err))
		return NULL;
	gv = agrp_xcalloc(1, sizeof *gv);
	ok = load_policy(&L, gv);
	agrp_yaml_free(&L);
	if (!ok) {
		agr_governor_free(gv);
		return NULL;
	}
	gv->passed = agrp_xcalloc(gv->nrules + 1, sizeof *gv->passed);
	gv->passed_amount = agrp_xcalloc(gv->nrules + 1, sizeof *gv->passed_amount);
	return gv;
}

agr_governor *
agr_governor_load_file(const char *path, agr_error *err)
{
	size_t len;
	char *text = agrp_read_file(path, &len, err);
	agr_governor *gv;

	if (text == NULL)
		return NULL;
	gv = agr_governor_load_string(text, len, path, err);
	free(text);
	return gv;
}
