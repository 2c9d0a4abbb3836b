/*
 * decide.c - one record judged: the capability limits of its agent, then
 * the rules in order (the first that decides wins), then the default.
 * A limited rule lets the first records through, counting only those
 * that go out; a rewrite that cannot be made blocks, as a call must not
 * leave with what the rule meant to hide.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern/govern_int.h"

agrp_gtrace *
agrp_gtrace_of(agr_governor *gv, const char *id)
{
	agrp_gtrace *t = agrp_map_get(&gv->traces, id);

	if (t == NULL) {
		t = agrp_xcalloc(1, sizeof *t);
		t->id = agrp_xstrdup(id);
		t->used = agrp_xcalloc(gv->ncounters + 1, sizeof *t->used);
		t->next = gv->all;
		if (gv->all != NULL)
			gv->all->prev = t;
		gv->all = t;
		agrp_map_put(&gv->traces, id, t);
	}
	return t;
}

void
agrp_gtrace_end(agr_governor *gv, agrp_gtrace *t)
{
	if (t->ended)
		return;
	t->ended = true;
	if (gv->elast != NULL)
		gv->elast->later = t;
	else
		gv->efirst = t;
	gv->elast = t;
	if (++gv->nended > AGRP_GOVERN_HELD) {
		agrp_gtrace *old = gv->efirst;

		gv->efirst = old->later;
		if (gv->efirst == NULL)
			gv->elast = NULL;
		gv->nended--;
		agrp_gtrace_free(gv, old);
	}
}

void
agrp_ruling_free(agrp_ruling *r)
{
	free(r->reason);
	json_decref(r->changed);
	if (r->own_rewritten)
		json_decref(r->rewritten);
	*r = (agrp_ruling){ 0 };
}

static char *
format(const char *fmt, const char *a, const char *b)
{
	char *sa = agrp_text(a, false), *sb = agrp_text(b ? b : "", false), *s;
	int n = snprintf(NULL, 0, fmt, sa, sb);

	s = agrp_xmalloc((size_t)n + 1);
	snprintf(s, (size_t)n + 1, fmt, sa, sb);
	free(sa);
	free(sb);
	return s;
}

/* The value a limited rule adds for this record: 1, or its sum:; false
 * when the sum is not a number from 0. */
static bool
amount(const agrp_rule *r, const agr_record *rec, const json_t *tree, double *v)
{
	json_t *x;

	*v = 1;
	if (r->sum == NULL)
		return true; /* no tree needed: most records are never parsed */
	x = agr_expr_value(r->sum, tree ? tree : agr_record_json(rec), NULL);
	/* below 0 fails closed too: a negative refund would widen the budget */
	if (!json_is_number(x) || !isfinite(json_number_value(x)) || json_number_value(x) < 0) {
		json_decref(x);
		return false;
	}
	*v = json_number_value(x);
	json_decref(x);
	return true;
}

/* The object that holds the last part of path p in rec, made on the way
 * when make; NULL when a value on the way is not an object (or, without
 * make, is not there). */
static json_t *
holder(json_t *rec, const agrp_fpath *p, bool make)
{
	json_t *o = rec;

	for (size_t i = 0; i + 1 < p->n; i++) {
		json_t *next = json_object_get(o, p->part[i]);

		if (next == NULL && make) {
			next = json_object();
			json_object_set_new(o, p->part[i], next);
		}
		if (!json_is_object(next))
			return NULL;
		o = next;
	}
	return o;
}

/* Whether every set: path can be made in rec: what is on the way is an
 * object or nothing.  *bad: the first path that cannot. */
static bool
can_set(const agrp_rule *r, const json_t *rec, const agrp_fpath **bad)
{
	for (size_t i = 0; i < r->nset; i++) {
		const json_t *o = rec;

		for (size_t k = 0; k + 1 < r->set[i].n && o != NULL; k++) {
			o = json_object_get(o, r->set[i].part[k]);
			if (o != NULL && !json_is_object(o)) {
				*bad = &r->set[i];
				return false;
			}
		}
	}
	return true;
}

/* The rewrite of rule r: the values, all taken from the record as it
 * came, then set and removed in target.  False (nothing changed) when a
 * path cannot be set. */
static bool
rewrite(const agrp_rule *r, const json_t *orig, json_t *target, json_t *changed,
        const agrp_fpath **bad)
{
	json_t **values;

	if (!can_set(r, target, bad))
		return false;
	values = agrp_xcalloc(r->nset + 1, sizeof *values);
	for (size_t i = 0; i < r->nset; i++) {
		values[i] = agr_expr_value(r->set_value[i], orig, NULL);
		if (values[i] == NULL)
			values[i] = json_null();
	}
	for (size_t i = 0; i < r->nset; i++) {
		const char *last = r->set[i].part[r->set[i].n - 1];
		json_t *o = holder(target, &r->set[i], true), *was = json_object_get(o, last);

		if (was != NULL && json_equal(was, values[i])) { /* no change: not changed */
			json_decref(values[i]);
			continue;
		}
		json_object_set_new(o, last, values[i]);
		json_array_append_new(changed, json_string(r->set[i].text));
	}
	for (size_t i = 0; i < r->nremove; i++) {
		json_t *o = holder(target, &r->remove[i], false);

		if (o != NULL && json_object_del(o, r->remove[i].part[r->remove[i].n - 1]) == 0)
			json_array_append_new(changed, json_string(r->remove[i].text));
	}
	free(values);
	return true;
}

/* The decision of rule r, which decided. */
static void
rule_decides(const agrp_rule *r, const agr_record *rec, json_t *in_place, agrp_ruling *out)
{
	const agrp_fpath *bad = NULL;
	const json_t *orig;

	out->decision = r->then;
	out->rule = r->name;
	if (r->then == AGR_DECISION_BLOCK || r->then == AGR_DECISION_ESCALATE) {
		out->reason =
		    r->reason
		        ? agrp_xstrdup(r->reason)
		        : format("%s by rule %s",
		                 r->then == AGR_DECISION_BLOCK ? "blocked" : "escalated", r->name);
		return;
	}
	if (r->then != AGR_DECISION_REWRITE)
		return;
	orig = in_place ? in_place : agr_record_json(rec); /* only a rewrite needs the tree */
	out->changed = json_array();
	if (in_place != NULL) {
		out->rewritten = in_place;
	} else {
		out->rewritten = json_deep_copy(orig);
		out->own_rewritten = true;
	}
	if (!rewrite(r, orig, out->rewritten, out->changed, &bad)) {
		out->decision = AGR_DECISION_BLOCK;
		out->reason = format("rule %s cannot set %s: a field on the way is not an object",
		                     r->name, bad->text);
		json_decref(out->changed);
		out->changed = NULL;
		return;
	}
	if (json_array_size(out->changed) == 0) /* nothing to change: it goes as it came */
		out->decision = AGR_DECISION_ALLOW;
}

bool
agr_governor_may_call(const agr_governor *gv, const char *agent, const char *tool)
{
	agrp_map *tools;

	if (agent == NULL || (tools = agrp_map_get(&gv->agents, agent)) == NULL)
		return true;
	return tool != NULL && agrp_map_get(tools, tool) != NULL;
}

void
agrp_decide(agr_governor *gv, agrp_gtrace *t, const agr_record *rec, const agrp_common *com,
            json_t *in_place, agrp_ruling *out)
{
	bool message = com->kind != NULL && strcmp(com->kind, "message") == 0;
	size_t npassed = 0;

	*out = (agrp_ruling){ AGR_DECISION_ALLOW, NULL, NULL, NULL, NULL, false };
	if (!message && !agr_governor_may_call(gv, com->agent, com->tool)) {
		out->decision = AGR_DECISION_BLOCK;
		out->rule = "agents";
		out->reason = com->tool ? format("agent %s may not call %s", com->agent, com->tool)
		                        : format("agent %s may call only the tools named for it",
		                                 com->agent, NULL);
		return;
	}
	for (size_t i = 0; i < gv->nrules; i++) {
		const agrp_rule *r = &gv->rules[i];

		if (r->on_message != message)
			continue;
		if (r->when != NULL && !(in_place ? agr_expr_test(r->when, in_place, NULL)
		                                  : agr_expr_test_record(r->when, rec, NULL)))
			continue;
		if (r->limited) {
			double v;

			if (amount(r, rec, in_place, &v) && t->used[r->counter] + v <= r->limit) {
				gv->passed_amount[npassed] = v;
				gv->passed[npassed++] = i;
				continue;
			}
		}
		rule_decides(r, rec, in_place, out);
		break;
	}
	if (out->rule == NULL && !message && gv->fallback == AGR_DECISION_BLOCK) {
		out->decision = AGR_DECISION_BLOCK;
		out->rule = "default";
		out->reason = agrp_xstrdup("no rule allows it (default: block)");
	}
	if (out->decision != AGR_DECISION_ALLOW && out->decision != AGR_DECISION_REWRITE)
		return;
	/* it goes out: the limits it passed count what they let through, as
	 * they measured it (before any rewrite of a later rule) */
	for (size_t k = 0; k < npassed; k++) {
		const agrp_rule *r = &gv->rules[gv->passed[k]];

		t->used[r->counter] += gv->passed_amount[k];
	}
}

json_t *
agrp_govern_fields(const agrp_ruling *r, const agrp_common *com)
{
	json_t *g = json_object();

	json_object_set_new(g, "kind", json_string("govern"));
	json_object_set_new(g, "decision", json_string(agr_decision_name(r->decision)));
	json_object_set_new(g, "rule", json_string(r->rule));
	if (r->reason != NULL)
		json_object_set_new(g, "reason", json_string(r->reason));
	if (r->changed != NULL)
		json_object_set(g, "changed", r->changed);
	if (com->id != NULL)
		json_object_set_new(g, "call", json_string(com->id));
	if (com->tool != NULL)
		json_object_set_new(g, "tool", json_string(com->tool));
	if (com->agent != NULL)
		json_object_set_new(g, "agent", json_string(com->agent));
	return g;
}
