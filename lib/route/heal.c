/*
 * heal.c - what one event of the router sets off, in the order it must
 * happen: the queue its events go out by, the plans (the first route, a
 * reroute, a demotion, an escalation and the final) and the monitors
 * that each event is shown to, whose actions plan again.  These call one
 * another, so they are one file; router.c drives them from outside
 * (calls and their answers, health, governance, the baselines' records)
 * and nothing here calls back into it.
 */
#include <stdlib.h>
#include <string.h>

#include "route/router_int.h"

/* The baselines do not heed health: they learn of a failure by calling. */
static bool
rigid(const agr_router *r)
{
	return r->o.policy != AGR_POLICY_HEAL;
}

/* ---- the event queue ---------------------------------------------- */

static void evaluate_monitors(agr_router *r, slot *s);

slot *
agrp_router_push(agr_router *r, agr_kind kind, bool by_monitor)
{
	slot *s;

	if (r->qhead == r->qtail)
		r->qhead = r->qtail = 0;
	if (r->qtail == r->qcap) {
		size_t old = r->qcap;

		agrp_grow(&r->q, &r->qcap, r->qtail + 1, sizeof *r->q);
		memset(r->q + old, 0, (r->qcap - old) * sizeof *r->q);
	}
	/* The slot the caller still reads from must not be reused. */
	s = &r->q[r->qtail++];
	json_decref(s->extra);
	s->extra = NULL;
	memset(&s->ev, 0, sizeof s->ev);
	s->ev.kind = kind;
	s->ev.step = ++r->step;
	s->ev.tool = -1;
	s->by_monitor = by_monitor;
	if (s->error_class != NULL)
		s->error_class[0] = '\0';
	if (s->message != NULL)
		s->message[0] = '\0';
	return s;
}

void
agrp_router_set_path(slot *s, const int *path, size_t len, agr_cost cost)
{
	agrp_grow(&s->path, &s->pathcap, len + 1, sizeof *s->path);
	memcpy(s->path, path, len * sizeof *path);
	s->ev.path = s->path;
	s->ev.path_len = len;
	s->ev.cost = cost;
}

/*
 * A text for a record, whole: never cut short, and UTF-8, so that its
 * record is JSON.  A byte that is not UTF-8 (an error message cut inside
 * a character before it came here) becomes U+FFFD.
 */
void
agrp_router_set_text(char **dst, size_t *cap, const char *src)
{
	const unsigned char *p = (const unsigned char *)(src ? src : "");
	size_t n = strlen((const char *)p), out = 0;

	agrp_grow(dst, cap, 3 * n + 1, 1);
	for (const unsigned char *end = p + n; p < end;) {
		size_t k = agrp_utf8_len(p, end, NULL);

		if (k == 0) {
			memcpy(*dst + out, "\xef\xbf\xbd", 3);
			out += 3;
			p++;
		} else {
			memcpy(*dst + out, p, k);
			out += k;
			p += k;
		}
	}
	(*dst)[out] = '\0';
}

/* Queues the event in s for the outside (and the monitors). */
void
agrp_router_emit(agr_router *r, slot *s)
{
	s->ev.error_class = s->error_class && s->error_class[0] ? s->error_class : NULL;
	s->ev.message = s->message && s->message[0] ? s->message : NULL;
	s->ev.extra = s->extra;
	if (r->o.monitors && !s->by_monitor && s->ev.kind != AGR_EV_FINAL)
		evaluate_monitors(r, s);
}

/* ---- planning ------------------------------------------------------ */

/* The nodes a search from cur passes over: those down or done. */
static void
set_blocked(agr_router *r, bool heal)
{
	for (size_t i = 0; i < r->n; i++)
		r->blocked[i] = heal ? (r->down[i] | r->completed[i]) : 0;
}

/* Searches from cur to goal over nodes that are neither down nor done. */
static agr_cost
search_from_cur(agr_router *r, int goal, bool heal)
{
	set_blocked(r, heal);
	return agr_search_run(r->search, r->cur, goal, r->blocked, r->penalty);
}

static void
adopt_plan(agr_router *r)
{
	const int *p = agr_search_path(r->search, &r->plan_len);

	memcpy(r->plan, p, r->plan_len * sizeof *p);
	r->plan_pos = 1;  /* plan[0] is where we stand */
	r->retry = false; /* a new plan begins with a first call */
}

void
agrp_router_finish(agr_router *r, agr_final_status status, const char *reason, long cause,
                   bool by_monitor)
{
	slot *s = agrp_router_push(r, AGR_EV_FINAL, by_monitor);

	s->ev.final_status = status;
	s->ev.cause = cause;
	agrp_router_set_path(s, r->walked, r->nwalked, 0);
	agrp_router_set_text(&s->message, &s->capmessage, reason);
	r->finished = true;
	r->pending_call = 0;
	agrp_router_emit(r, s);
}

long
agrp_router_model_call(agr_router *r, const char *purpose, long cause, bool by_monitor)
{
	slot *s = agrp_router_push(r, AGR_EV_MODEL, by_monitor);
	long step = s->ev.step;

	s->ev.purpose = purpose;
	s->ev.cause = cause;
	agrp_router_emit(r, s);
	return step;
}

void
agrp_router_escalate(agr_router *r, long cause, const char *reason, bool by_monitor)
{
	slot *s = agrp_router_push(r, AGR_EV_ESCALATE, by_monitor);
	long step = s->ev.step;

	s->ev.cause = cause;
	s->ev.goal = r->goals[r->goal_idx];
	agrp_router_set_text(&s->message, &s->capmessage, reason);
	agrp_router_emit(r, s); /* may grow the queue: s is not used after this */
	/* A monitor that fired on the escalate (or the model record) may have
	 * ended the run already: one final, nothing after it. */
	if (r->finished)
		return;
	/* The Self-Healing Router consults the model when it escalates, and
	 * only then (its pre-flight aside): one model record, after the
	 * escalate that is its cause, before the final. */
	if (r->o.policy == AGR_POLICY_HEAL) {
		agrp_router_model_call(r, "escalation", step, by_monitor);
		if (r->finished)
			return;
	}
	agrp_router_finish(r, AGR_FINAL_ESCALATED, reason, step, by_monitor);
}

/*
 * The plan is gone: find the cheapest path from where we stand to the
 * current goal (a reroute), else to the next fallback (a demotion), else
 * escalate.  first_goal > goal_idx skips goals (a monitor's demote).
 */
void
agrp_router_replan(agr_router *r, long cause, int tool, size_t first_goal, bool by_monitor)
{
	char reason[512];
	bool many = r->ngoals - first_goal > 1;

	/* Each goal searched costs a pass over the graph: with many fallbacks,
	 * one pass says which are out of reach, and they are not searched. */
	if (many) {
		if (r->reach == NULL)
			r->reach = agrp_xmalloc(r->n);
		set_blocked(r, true);
		agrp_search_reach(r->search, r->cur, r->blocked, r->reach);
	}
	for (size_t gi = first_goal; gi < r->ngoals; gi++) {
		agr_cost cost;
		slot *s;

		if (many && !r->reach[r->goals[gi]])
			continue;
		if ((cost = search_from_cur(r, r->goals[gi], true)) == AGR_COST_INF)
			continue;
		adopt_plan(r);
		if (gi == r->goal_idx && r->started) {
			s = agrp_router_push(r, AGR_EV_REROUTE, by_monitor);
			s->ev.tool = tool;
		} else if (gi == r->goal_idx) {
			s = agrp_router_push(r, AGR_EV_ROUTE, by_monitor);
		} else {
			s = agrp_router_push(r, AGR_EV_DEMOTE, by_monitor);
			s->ev.goal = r->goals[gi];
			s->ev.tool = tool;
		}
		r->goal_idx = gi;
		r->started = true;
		s->ev.cause = cause;
		agrp_router_set_path(s, r->plan, r->plan_len, cost);
		agrp_router_emit(r, s);
		return;
	}
	r->started = true;
	snprintf(reason, sizeof reason, "no path from %s to %s%s",
	         agr_graph_node_name(r->g, r->cur),
	         agr_graph_node_name(r->g, r->goals[r->goal_idx]),
	         r->goal_idx + 1 < r->ngoals ? " or its fallbacks" : "");
	agrp_router_escalate(r, cause, reason, by_monitor);
}

static bool
plan_has_down(const agr_router *r)
{
	for (size_t i = r->plan_pos; i < r->plan_len; i++)
		if (r->down[r->plan[i]])
			return true;
	return false;
}

/* After health changed: reroute when the cheapest path is not the plan.
 * Returns true when it wrote a record (a reroute, demotion or escalation). */
bool
agrp_router_reconsider(agr_router *r)
{
	agr_cost cost;
	size_t len;
	const int *p;
	slot *s;

	r->health_dirty = false;
	if (rigid(r))
		return false;
	cost = search_from_cur(r, r->goals[r->goal_idx], true);
	if (cost == AGR_COST_INF) {
		agrp_router_replan(r, r->health_cause, r->health_tool, r->goal_idx + 1, false);
		return true;
	}
	p = agr_search_path(r->search, &len);
	if (len == r->plan_len - r->plan_pos + 1 && !plan_has_down(r) &&
	    memcmp(p + 1, r->plan + r->plan_pos, (len - 1) * sizeof *p) == 0)
		return false;
	adopt_plan(r);
	s = agrp_router_push(r, AGR_EV_REROUTE, false);
	s->ev.tool = r->health_tool;
	s->ev.cause = r->health_cause;
	agrp_router_set_path(s, r->plan, r->plan_len, cost);
	agrp_router_emit(r, s);
	return true;
}

void
agrp_router_begin(agr_router *r)
{
	/* Tools reported down before the walk are why a first plan may fail. */
	long cause = r->health_dirty ? r->health_cause : 0;
	agr_cost cost;
	slot *s;

	r->health_dirty = false;
	if (r->o.policy == AGR_POLICY_REACT) {
		/* The agent's first model call reads the task; it plans no path. */
		r->started = true;
		r->react_cause = agrp_router_model_call(r, "plan", cause, false);
		return;
	}
	if (rigid(r)) {
		/* A rigid workflow plans once on the whole graph and never looks back. */
		r->started = true;
		cost = search_from_cur(r, r->goals[0], false);
		if (cost == AGR_COST_INF) {
			agrp_router_escalate(r, 0, "no path", false);
			return;
		}
		adopt_plan(r);
		s = agrp_router_push(r, AGR_EV_ROUTE, false);
		agrp_router_set_path(s, r->plan, r->plan_len, cost);
		agrp_router_emit(r, s);
		return;
	}
	/* Pre-flight: with the graph's threshold of tools known down before
	 * the walk, the model is consulted once before the first plan. */
	if (agr_graph_preflight(r->g) > 0) {
		size_t ndown = 0;

		for (size_t i = 0; i < r->n; i++)
			ndown += r->down[i] != 0;
		/* What a monitor does on the pre-flight record waits for the
		 * first plan: it acts on the walk, which has not begun. */
		if (ndown >= (size_t)agr_graph_preflight(r->g)) {
			r->hold_actions = true;
			agrp_router_model_call(r, "preflight", cause, false);
			r->hold_actions = false;
		}
	}
	agrp_router_replan(r, cause, -1, 0, false);
}

/* ---- monitors ------------------------------------------------------ */

static void
apply_action(agr_router *r, const deferred *d)
{
	switch (d->action) {
	case AGRP_ACT_DISABLE:
	case AGRP_ACT_PENALTY:
		if (d->tool < 0)
			return;
		if (d->action == AGRP_ACT_DISABLE) {
			r->down[d->tool] = 1;
		} else {
			agr_cost room = AGR_PATH_COST_MAX - r->penalty_total;
			agr_cost add = d->amount < room ? d->amount : room;

			/* All penalties together stop at AGR_PATH_COST_MAX, so that
			 * path costs stay exact (see agr_graph_add_edge). */
			if (r->penalty == NULL)
				r->penalty = agrp_xcalloc(r->n, sizeof *r->penalty);
			r->penalty[d->tool] += add;
			r->penalty_total += add;
		}
		r->health_dirty = true;
		r->health_cause = d->cause;
		r->health_tool = d->tool;
		break;
	case AGRP_ACT_DEMOTE:
		/* A ReAct agent pursues the one goal it was given. */
		if (r->o.policy == AGR_POLICY_REACT)
			break;
		if (!r->started)
			agrp_router_begin(r);
		/* A goal reached stays reached, and a goal left already (the record
		 * that fired it failed the goal) is not left twice. */
		if (!r->finished && r->plan_pos < r->plan_len && r->goal_idx < d->goal)
			agrp_router_replan(r, d->cause, -1, d->goal, true);
		break;
	case AGRP_ACT_ESCALATE: {
		char reason[300];

		snprintf(reason, sizeof reason, "monitor '%s' escalated", d->monitor);
		agrp_router_escalate(r, d->cause, reason, true);
		break;
	}
	}
}

/*
 * Keeps d for later, as little as it takes to do the same later: actions
 * fired while a call is out wait for its result, and a peer may send any
 * number of records meanwhile, so the list must not grow with them.
 * Between two demotions, disables and penalties only set state, whose
 * end is the same whatever their order but the last, which says the
 * cause: one entry per tool and action, the latest moved last (only when
 * all penalties reach their bound can the order say which tool gets the
 * last of it).  A demote to a goal already demoted past, and anything
 * after an escalate, would do nothing.  So the list never outgrows the
 * graph.
 */
static void
defer(agr_router *r, const deferred *d)
{
	size_t *idx, j;

	if (r->def_escalates ||
	    (d->tool < 0 && (d->action == AGRP_ACT_DISABLE || d->action == AGRP_ACT_PENALTY)))
		return;
	if (r->ndef == 0) {
		r->def_segment = 0;
		memset(r->def_demoted, 0, (r->ngoals + 1) * sizeof *r->def_demoted);
	}
	if (d->action == AGRP_ACT_DEMOTE || d->action == AGRP_ACT_ESCALATE) {
		if (d->action == AGRP_ACT_DEMOTE && r->def_demoted[d->goal])
			return;
		if (d->action == AGRP_ACT_DEMOTE)
			r->def_demoted[d->goal] = 1;
		r->def_escalates = d->action == AGRP_ACT_ESCALATE;
		agrp_grow(&r->def, &r->capdef, r->ndef + 1, sizeof *r->def);
		r->def[r->ndef++] = *d;
		r->def_segment = r->ndef;
		return;
	}
	if (r->def_index == NULL)
		r->def_index = agrp_xcalloc(2 * r->n, sizeof *r->def_index);
	idx = &r->def_index[2 * (size_t)d->tool + (d->action == AGRP_ACT_PENALTY)];
	j = *idx;
	if (j > r->def_segment && j <= r->ndef && r->def[j - 1].tool == d->tool &&
	    r->def[j - 1].action == d->action) {
		/* merged into its entry, which changes places with the last */
		deferred merged = r->def[j - 1], *last = &r->def[r->ndef - 1];

		merged.amount = agrp_cost_add(merged.amount, d->amount);
		merged.cause = d->cause;
		merged.monitor = d->monitor;
		r->def[j - 1] = *last;
		r->def_index[2 * (size_t)last->tool + (last->action == AGRP_ACT_PENALTY)] = j;
		*last = merged;
		*idx = r->ndef;
		return;
	}
	agrp_grow(&r->def, &r->capdef, r->ndef + 1, sizeof *r->def);
	r->def[r->ndef++] = *d;
	*idx = r->ndef;
}

void
agrp_router_apply_deferred(agr_router *r)
{
	size_t n = r->ndef;

	r->ndef = 0;
	r->def_escalates = false;
	for (size_t i = 0; i < n && !r->finished; i++)
		apply_action(r, &r->def[i]);
}

static void
evaluate_monitors(agr_router *r, slot *s)
{
	size_t nm;
	const agrp_monitor *m = agrp_graph_monitors(r->g, &nm);
	int tool = s->ev.tool;
	long step = s->ev.step;
	/* A call is still out, a result not yet taken in: acting now would cut
	 * into them, so the action waits until the router has acted. */
	bool later = s->ev.kind == AGR_EV_CALL || s->ev.kind == AGR_EV_RESULT || r->hold_actions;
	agr_error err;
	slot *h;
	deferred d;

	if (nm == 0 || r->in_monitor)
		return;
	/* The record as it will be written, read in place as any reader would. */
	r->monitor_bytes.n = 0;
	agrp_event_bytes(r->g, r->trace, &s->ev, &r->monitor_bytes);
	if (r->monitor_rec == NULL)
		r->monitor_rec = agr_record_new();
	if (!agr_record_set(r->monitor_rec, r->monitor_bytes.p, r->monitor_bytes.n, r->trace, 0,
	                    &err))
		abort(); /* the router's own bytes are always one JSON object */
	/* agrp_router_push() below may move the queue: s is not used after this. */
	/* Sorted by priority, then name: the first that fires wins. */
	for (size_t i = 0; i < nm; i++) {
		if (!agr_expr_test_record(m[i].when, r->monitor_rec, NULL))
			continue;
		r->in_monitor = true;
		h = agrp_router_push(r, AGR_EV_HEALTH, true);
		h->ev.tool = tool;
		h->ev.cause = step;
		h->ev.monitor = m[i].name;
		h->ev.priority = m[i].priority;
		h->ev.action = agrp_action_name(m[i].action);
		if (m[i].action == AGRP_ACT_PENALTY)
			h->ev.cost = m[i].penalty;
		agrp_router_emit(r, h);
		d.monitor = m[i].name;
		d.action = m[i].action;
		d.tool = tool;
		d.amount = m[i].penalty;
		d.cause = h->ev.step;
		d.goal = r->goal_idx + 1;
		if (r->pending_call != 0 || later) {
			defer(r, &d);
		} else {
			apply_action(r, &d);
		}
		r->in_monitor = false;
		break;
	}
}
