/*
 * router.c - the Self-Healing Router as a state machine.
 *
 * The router decides; it never performs a call.  Whoever drives it (live
 * simulation, a coprocess, a recorded trace) answers each call through
 * agr_router_result() and reports health through agr_router_health().
 * Decisions go out as events through a small queue, so that one outside
 * fact (a failed result) can produce several records in order (result,
 * reroute or demote, or escalate and final).
 */
#include <stdlib.h>
#include <string.h>

#include "route/router_int.h"

static void replan(agr_router *r, long cause, int tool, size_t first_goal, bool by_monitor);

/* The baselines do not heed health: they learn of a failure by calling. */
static bool
rigid(const agr_router *r)
{
	return r->o.policy != AGR_POLICY_HEAL;
}
static bool late(const agr_router *r, const char *id);

/* Call number call is answered by the router itself (timed out, or
 * refused by the policy): a result for it that comes later is passed
 * over (late()). */
static void
pass_over(agr_router *r, long call)
{
	if ((size_t)call / 8 >= r->timed_out_cap) {
		size_t old = r->timed_out_cap;

		agrp_grow(&r->timed_out, &r->timed_out_cap, (size_t)call / 8 + 1, 1);
		memset(r->timed_out + old, 0, r->timed_out_cap - old);
	}
	r->timed_out[call / 8] |= (unsigned char)(1u << (call % 8));
}

/* The run's input as its first record: where it came in, and what. */
static void
put_input(agr_router *r)
{
	slot *s = agrp_router_push(r, AGR_EV_INPUT, false);

	s->extra = json_object();
	json_object_set_new(s->extra, "from", json_string("user"));
	json_object_set_new(s->extra, "to",
	                    json_string(agr_graph_node_name(r->g, agr_graph_start(r->g))));
	json_object_set(s->extra, "content", (json_t *)r->o.input);
	agrp_router_emit(r, s);
}

/* The call's args: each of its node's expressions on what the run has
 * so far (its input, the outputs of the nodes completed), in the order
 * the graph names them; NULL for a node with none. */
static json_t *
call_args(const agr_router *r, int tool)
{
	const agrp_node *node = &r->g->nodes[tool];
	json_t *args, *extra;

	if (node->nargs == 0)
		return NULL;
	args = json_object();
	for (size_t i = 0; i < node->nargs; i++) {
		json_t *v = agr_expr_value(node->args[i], r->scope, NULL);

		json_object_set_new_nocheck(args, node->arg_names[i], v ? v : json_null());
	}
	extra = json_object();
	json_object_set_new(extra, "args", args);
	return extra;
}

agr_router *
agr_router_new(const agr_graph *g, const agr_router_opts *opts)
{
	agr_router *r = agrp_xcalloc(1, sizeof *r);
	size_t n = agr_graph_node_count(g);

	r->g = g;
	r->o = *opts;
	r->trace = agrp_xstrdup(opts->trace ? opts->trace : agr_graph_name(g));
	if (r->o.govern != NULL)
		agr_governor_forget(r->o.govern, r->trace);
	r->o.trace = r->trace;
	r->n = n;
	/* A few events wait at a time; a replay holds a router for each trace
	 * that is open. */
	r->qcap = 2;
	r->q = agrp_xcalloc(r->qcap, sizeof *r->q);
	r->search = agr_search_new(g);
	r->down = agrp_xcalloc(n, 1);
	r->completed = agrp_xcalloc(n, 1);
	r->blocked = agrp_xcalloc(n, 1);
	r->goals = agrp_xmalloc((agr_graph_fallback_count(g) + 1) * sizeof *r->goals);
	r->def_demoted = agrp_xcalloc(agr_graph_fallback_count(g) + 2, 1);
	r->goals[r->ngoals++] = opts->goal >= 0 ? opts->goal : agr_graph_goal(g);
	for (size_t i = 0; i < agr_graph_fallback_count(g); i++)
		if (agr_graph_fallback(g, i) != r->goals[0])
			r->goals[r->ngoals++] = agr_graph_fallback(g, i);
	r->plan = agrp_xmalloc((n + 1) * sizeof *r->plan);
	r->walked = agrp_xmalloc((n + 1) * sizeof *r->walked);
	r->cur = agr_graph_start(g);
	r->walked[r->nwalked++] = r->cur;
	r->completed[r->cur] = 1;
	if (g->any_args) { /* else no output is read: none is kept */
		r->scope = json_object();
		r->outputs = json_object();
		json_object_set_new(r->scope, "input",
		                    opts->input ? json_incref((json_t *)opts->input) : json_null());
		json_object_set(r->scope, "outputs", r->outputs);
	}
	if (opts->input != NULL)
		put_input(r);
	return r;
}

void
agr_router_free(agr_router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->qcap; i++) {
		free(r->q[i].path);
		free(r->q[i].error_class);
		free(r->q[i].message);
		json_decref(r->q[i].extra);
	}
	free(r->q);
	free(r->def);
	free(r->def_index);
	free(r->def_demoted);
	free(r->timed_out);
	free(r->monitor_bytes.p);
	agr_record_free(r->monitor_rec);
	agr_search_free(r->search);
	free(r->down);
	free(r->completed);
	free(r->blocked);
	free(r->tried);
	free(r->tried_list);
	free(r->leads_to_goal);
	free(r->options);
	free(r->reach);
	free(r->penalty);
	free(r->goals);
	free(r->plan);
	free(r->walked);
	free(r->trace);
	json_decref(r->outputs);
	json_decref(r->scope);
	free(r);
}

const agr_graph *
agr_router_graph(const agr_router *r)
{
	return r->g;
}

long
agr_router_waiting(const agr_router *r)
{
	return r->pending_call;
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
static void
set_text(char **dst, size_t *cap, const char *src)
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
	set_text(&s->message, &s->capmessage, reason);
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
	set_text(&s->message, &s->capmessage, reason);
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
static void
replan(agr_router *r, long cause, int tool, size_t first_goal, bool by_monitor)
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
static bool
reconsider(agr_router *r)
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
		replan(r, r->health_cause, r->health_tool, r->goal_idx + 1, false);
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

/* ---- the baselines' records (their decisions: baseline.c) ----------- */

static void
baseline_reroute(agr_router *r, long cause, int failed, agr_cost cost)
{
	slot *s = agrp_router_push(r, AGR_EV_REROUTE, false);

	s->ev.tool = failed;
	s->ev.cause = cause;
	agrp_router_set_path(s, r->plan, r->plan_len, cost);
	agrp_router_emit(r, s);
}

static void
static_failed(agr_router *r, long cause, int tool)
{
	char reason[600];
	agr_cost cost;

	switch (agrp_static_failed(r, tool, &cost, reason, sizeof reason)) {
	case AGRP_STATIC_REROUTE: /* the failure handled */
		baseline_reroute(r, cause, tool, cost);
		break;
	case AGRP_STATIC_CRASH:
		agrp_router_finish(r, AGR_FINAL_CRASHED, reason, cause, false);
		break;
	case AGRP_STATIC_SKIP: /* the silent failure */
		break;
	}
}

/*
 * The ReAct agent's model calls: a decision at each node short of the
 * goal, an observation after each tool that failed for good, whose next
 * option is rerouted to (the failure handled); with none left, a
 * backtrack and a give-up, and the run escalates.  After each model
 * record a monitor may have ended the run.
 */
static void
react_on(agr_router *r, long decided, long cause, int failed)
{
	char reason[600];
	long step;

	if (agrp_react_next(r, failed) < 0) {
		step = agrp_router_model_call(r, "backtrack", decided, false);
		if (r->finished)
			return;
		step = agrp_router_model_call(r, "give-up", step, false);
		if (r->finished)
			return;
		snprintf(reason, sizeof reason, "no way on from %s",
		         agr_graph_node_name(r->g, r->cur));
		agrp_router_escalate(r, step, reason, false);
		return;
	}
	if (failed >= 0)
		baseline_reroute(r, cause, failed, agr_graph_edge_cost(r->g, r->cur, r->plan[1]));
}

static void
react_decide(agr_router *r)
{
	long step = agrp_router_model_call(r, "decision", r->react_cause, false);

	if (!r->finished)
		react_on(r, step, step, -1);
}

static void
react_failed(agr_router *r, long cause, int tool)
{
	long step = agrp_router_model_call(r, "observation", cause, false);

	if (!r->finished)
		react_on(r, step, cause, tool);
}

static void
begin(agr_router *r)
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
	replan(r, cause, -1, 0, false);
}

/*
 * The policy on the call in s, the queue's last slot, before it goes out.
 * Allowed, it goes as it is; rewritten, it goes with the rewrite's fields
 * and its govern record follows it.  Refused (blocked, escalated), it
 * never goes: its step stays unused, and its govern record and a failed
 * result answer it at once, which the run takes as any failure of the
 * tool (agr_router_result()).
 */
static void
govern_call(agr_router *r, slot *s)
{
	long step = s->ev.step, call = s->ev.call;
	int tool = s->ev.tool;
	json_t *rec, *fields;
	agr_decision d;
	slot *g;
	const char *reason;

	s->ev.extra = s->extra;
	if ((rec = agr_event_json(r, &s->ev)) == NULL)
		abort(); /* the router's own bytes are JSON */
	d = agr_governor_decide(r->o.govern, rec, &fields);
	if (d == AGR_DECISION_ALLOW) {
		json_decref(rec);
		agrp_router_emit(r, s);
		return;
	}
	if (d == AGR_DECISION_REWRITE) {
		json_decref(s->extra);
		s->extra = agrp_outside_fields(rec);
		agrp_router_emit(r, s);
	} else {
		r->qtail--; /* s is the last slot: the call is not given out */
	}
	json_decref(rec);
	g = agrp_router_push(r, AGR_EV_GOVERN, false);
	g->ev.tool = tool;
	g->ev.cause = step;
	json_object_del(fields, "tool"); /* the record's own, as for every event */
	g->extra = json_incref(fields);  /* held here too: the reason is read from it below */
	reason = agr_json_str(fields, "reason");
	step = g->ev.step;
	agrp_router_emit(r, g);
	if (d == AGR_DECISION_REWRITE || r->finished) {
		json_decref(fields);
		return;
	}
	r->refused = d;
	pass_over(r, call);    /* an executor's answer to it, should one come, is no answer */
	r->fault_cause = step; /* the result's cause: the decision */
	agr_router_result(r, call, AGR_RESULT_ERROR,
	                  d == AGR_DECISION_ESCALATE ? "escalated" : "blocked", reason, false,
	                  NULL);
	json_decref(fields);
}

/* Queue empty, nothing pending: decide what happens next. */
static void
advance(agr_router *r)
{
	slot *s;

	if (!r->started) {
		begin(r);
		return;
	}
	/* A changed world may make a retry pointless: a new plan replaces it. */
	if (r->health_dirty && reconsider(r)) {
		r->retry = false;
		return;
	}
	if (r->o.policy == AGR_POLICY_REACT && r->plan_pos >= r->plan_len &&
	    r->cur != r->goals[0]) {
		react_decide(r);
		return;
	}
	if (r->plan_pos >= r->plan_len) {
		bool demoted = r->goal_idx > 0;

		agrp_router_finish(r, demoted ? AGR_FINAL_DEMOTED : AGR_FINAL_SUCCESS, NULL, 0,
		                   false);
		return;
	}
	if (r->retry) {
		r->retry = false;
		r->attempt++;
	} else {
		r->attempt = 1;
	}
	s = agrp_router_push(r, AGR_EV_CALL, false);
	s->ev.tool = r->pending_tool = r->plan[r->plan_pos];
	s->ev.call = r->pending_call = ++r->ncalls;
	s->ev.attempt = r->attempt;
	s->extra = call_args(r, s->ev.tool);
	if (r->o.govern != NULL)
		govern_call(r, s);
	else
		agrp_router_emit(r, s);
}

static void apply_deferred(agr_router *r);

bool
agr_router_next(agr_router *r, agr_event *ev)
{
	while (r->qhead == r->qtail) {
		if (r->final_given || r->pending_call != 0)
			return false;
		if (r->finished)
			return false;
		apply_deferred(r);
		if (r->qhead != r->qtail)
			break;
		advance(r);
	}
	*ev = r->q[r->qhead++].ev;
	if (ev->kind == AGR_EV_FINAL)
		r->final_given = true;
	return true;
}

/* The faults given just now (agr_router_fault()) change the record that
 * comes next: each targets its step, however many of them came. */
static void
aim_faults(agr_router *r)
{
	if (r->fault_cause == 0)
		return;
	for (size_t i = r->qtail; i-- > r->qhead && r->q[i].ev.kind == AGR_EV_FAULT;)
		r->q[i].ev.target = r->step + 1;
}

bool
agr_router_result(agr_router *r, long call, agr_result_status status, const char *error_class,
                  const char *message, bool retryable, const json_t *extra)
{
	int tool = r->pending_tool;
	long step;
	slot *s;
	agr_decision refused;

	if (call == 0 || call != r->pending_call)
		return false;
	r->pending_call = 0;
	aim_faults(r);
	s = agrp_router_push(r, AGR_EV_RESULT, false);
	s->ev.tool = tool;
	s->ev.call = call;
	s->ev.result_status = status;
	s->ev.attempt = r->attempt;
	s->ev.cause = r->fault_cause;
	r->fault_cause = 0;
	if (status != AGR_RESULT_OK) {
		set_text(&s->error_class, &s->capclass,
		         error_class ? error_class
		                     : (status == AGR_RESULT_TIMEOUT ? "timeout" : "error"));
		set_text(&s->message, &s->capmessage, message);
		s->ev.retryable = retryable;
	}
	if (extra != NULL)
		s->extra = json_incref((json_t *)extra);
	step = s->ev.step;
	agrp_router_emit(r, s); /* may grow the queue: s is not used after this */
	refused = r->refused;
	r->refused = AGR_DECISION_ALLOW;
	if (r->finished)
		return true;
	if (refused == AGR_DECISION_ESCALATE) { /* a person decides: nothing heals around it */
		agrp_router_escalate(r, step, message, false);
		return true;
	}
	if (status == AGR_RESULT_OK) {
		const json_t *output = json_object_get(extra, "output");

		if (output != NULL && r->outputs != NULL)
			json_object_set_nocheck(r->outputs, agr_graph_node_name(r->g, tool),
			                        (json_t *)output);
		r->completed[tool] = 1;
		r->cur = tool;
		r->walked[r->nwalked++] = tool;
		r->plan_pos++;
		r->stand_in = 0;
		r->react_cause = step;
		return true;
	}
	if (r->attempt <= agr_graph_retries(r->g, tool) && refused == AGR_DECISION_ALLOW) {
		r->retry =
		    true; /* a refusal is no passing failure: the same call would be refused */
		return true;
	}
	if (r->o.policy == AGR_POLICY_FIXED) {
		r->plan_pos++; /* skipped, as a rigid workflow does: the silent failure */
		return true;
	}
	if (r->o.policy == AGR_POLICY_STATIC) {
		static_failed(r, step, tool);
		return true;
	}
	if (r->o.policy == AGR_POLICY_REACT) {
		react_failed(r, step, tool);
		return true;
	}
	r->down[tool] = 1;
	replan(r, step, tool, r->goal_idx, false);
	return true;
}

void
agr_router_health(agr_router *r, int tool, agr_health_status status, const json_t *extra)
{
	slot *s;

	if (r->finished)
		return;
	aim_faults(r);
	s = agrp_router_push(r, AGR_EV_HEALTH, false);
	s->ev.tool = tool;
	s->ev.health_status = status;
	s->ev.cause = r->fault_cause;
	r->fault_cause = 0;
	if (extra != NULL)
		s->extra = json_incref((json_t *)extra);
	r->down[tool] = status == AGR_HEALTH_DOWN;
	r->health_dirty = true;
	r->health_cause = s->ev.step;
	r->health_tool = tool;
	agrp_router_emit(r, s);
}

void
agr_router_fault(agr_router *r, int tool, const json_t *extra)
{
	slot *s;

	if (r->finished)
		return;
	/* Not shown to the monitors: they see the record the fault changes. */
	s = agrp_router_push(r, AGR_EV_FAULT, true);
	s->ev.tool = tool;
	s->ev.target = s->ev.step + 1;
	/* Faults of one result come one after the other, each naming the one
	 * before as its cause: the result names the last, and so all of them. */
	s->ev.cause = r->fault_cause;
	if (extra != NULL)
		s->extra = json_incref((json_t *)extra);
	r->fault_cause = s->ev.step;
	agrp_router_emit(r, s);
}

void
agr_router_abort(agr_router *r, agr_final_status status, const char *reason)
{
	if (r->finished)
		return;
	agrp_router_finish(r, status, reason, 0, false);
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
			begin(r);
		/* A goal reached stays reached, and a goal left already (the record
		 * that fired it failed the goal) is not left twice. */
		if (!r->finished && r->plan_pos < r->plan_len && r->goal_idx < d->goal)
			replan(r, d->cause, -1, d->goal, true);
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

static void
apply_deferred(agr_router *r)
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

json_t *
agr_event_json(const agr_router *r, const agr_event *ev)
{
	agrp_buf b = { 0 };
	json_t *o;

	agrp_event_bytes(r->g, r->trace, ev, &b);
	o = json_loadb(b.p, b.n, JSON_ALLOW_NUL, NULL);
	free(b.p);
	return o; /* NULL: not JSON, which the router never writes */
}

const char *
agrp_router_trace(const agr_router *r)
{
	return r->trace;
}

/* ---- records from outside ------------------------------------------ */

json_t *
agrp_outside_fields(const json_t *rec)
{
	/* the fields the router writes itself; an outside record's others are kept */
	static const char *const own[] = { "trace", "step",   "kind",  "tool",   "id",
		                           "call",  "status", "cause", "attempt" };

	return agrp_json_without(rec, own, sizeof own / sizeof own[0]);
}

bool
agrp_read_health(const agr_graph *g, const json_t *rec, int *tool, agr_health_status *st,
                 agr_error *err)
{
	const char *tool_name = agr_json_str(rec, "tool");
	const char *status = agr_json_str(rec, "status");

	if (tool_name == NULL) {
		agrp_error_set(err, NULL, 0, 0, "health record has no \"tool\"");
		return false;
	}
	if ((*tool = agr_graph_find(g, tool_name)) < 0) {
		agrp_error_set(err, NULL, 0, 0, "health record names '%s', not a node of the graph",
		               tool_name);
		return false;
	}
	if (status != NULL && strcmp(status, "up") == 0) {
		*st = AGR_HEALTH_UP;
	} else if (status != NULL && strcmp(status, "down") == 0) {
		*st = AGR_HEALTH_DOWN;
	} else {
		agrp_error_set(err, NULL, 0, 0, "health status must be \"up\" or \"down\"");
		return false;
	}
	return true;
}

bool
agrp_read_answer(const json_t *rec, agrp_answer *a, agr_error *err)
{
	const json_t *e = json_object_get(rec, "error");

	if (!agrp_result_status_from_name(agr_json_str(rec, "status"), &a->status)) {
		agrp_error_set(err, NULL, 0, 0,
		               "result status must be \"ok\", \"error\" or \"timeout\"");
		return false;
	}
	if (e != NULL && !json_is_object(e)) {
		agrp_error_set(err, NULL, 0, 0, "result \"error\" must be an object");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		const json_t *t = json_object_get(e, i == 0 ? "class" : "message");

		/* the router keeps them as C strings: cut at a NUL, they would
		 * be written back as other text */
		if (json_is_string(t) && strlen(json_string_value(t)) != json_string_length(t)) {
			agrp_error_set(err, NULL, 0, 0,
			               "result error %s may not hold \\u0000 (NUL)",
			               i == 0 ? "class" : "message");
			return false;
		}
	}
	a->error_class = agr_json_str(e, "class");
	a->message = agr_json_str(e, "message");
	a->retryable = json_is_true(json_object_get(e, "retryable"));
	a->extra = agrp_outside_fields(rec);
	return true;
}

int
agr_router_feed(agr_router *r, const json_t *rec, agr_error *err)
{
	const char *kind = agr_json_str(rec, "kind");
	const char *tool_name = agr_json_str(rec, "tool");

	if (kind == NULL) {
		agrp_error_set(err, NULL, 0, 0, "record has no \"kind\"");
		return -1;
	}
	if (strcmp(kind, "health") == 0) {
		json_t *extra;
		agr_health_status st;
		int tool;

		if (!agrp_read_health(r->g, rec, &tool, &st, err))
			return -1;
		extra = agrp_outside_fields(rec);
		agr_router_health(r, tool, st, extra);
		json_decref(extra);
		return 0;
	}
	if (strcmp(kind, "result") == 0) {
		const char *call = agr_json_str(rec, "call");
		char want[32];
		agrp_answer a;

		snprintf(want, sizeof want, "c%ld", r->pending_call);
		if (call == NULL) {
			agrp_error_set(err, NULL, 0, 0, "result has no \"call\" id");
			return -1;
		}
		if (late(r, call))
			return 0; /* answered by its timeout already */
		if (r->pending_call == 0 || strcmp(call, want) != 0) {
			agrp_error_set(err, NULL, 0, 0,
			               "result for call '%s', but the call out is '%s'", call,
			               r->pending_call ? want : "none");
			return -1;
		}
		if (tool_name != NULL &&
		    strcmp(tool_name, agr_graph_node_name(r->g, r->pending_tool)) != 0) {
			agrp_error_set(err, NULL, 0, 0,
			               "result of call '%s' names tool '%s', not '%s'", call,
			               tool_name, agr_graph_node_name(r->g, r->pending_tool));
			return -1;
		}
		if (!agrp_read_answer(rec, &a, err))
			return -1;
		agr_router_result(r, r->pending_call, a.status, a.error_class, a.message,
		                  a.retryable, a.extra);
		json_decref(a.extra);
		return 1;
	}
	agrp_error_set(err, NULL, 0, 0, "expected a result or a health record, not kind '%s'",
	               kind);
	return -1;
}

long
agrp_router_timeout_ms(const agr_router *r)
{
	return r->pending_call != 0 ? r->g->nodes[r->pending_tool].timeout_ms : 0;
}

void
agrp_router_time_out(agr_router *r)
{
	long call = r->pending_call;
	char msg[80];

	if (call == 0)
		return;
	pass_over(r, call);
	snprintf(msg, sizeof msg, "no result within %ld ms", agrp_router_timeout_ms(r));
	agr_router_result(r, call, AGR_RESULT_TIMEOUT, "timeout", msg, false, NULL);
}

/* A result for call id (as "c12") that timed out before it came. */
static bool
late(const agr_router *r, const char *id)
{
	char *end;
	long call;

	if (id[0] != 'c' || id[1] < '1' || id[1] > '9')
		return false;
	call = strtol(id + 1, &end, 10);
	return *end == '\0' && call > 0 && call <= r->ncalls &&
	       (size_t)call / 8 < r->timed_out_cap &&
	       (r->timed_out[call / 8] & (1u << (call % 8))) != 0;
}
