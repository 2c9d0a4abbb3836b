/*
 * router.c - the Self-Healing Router as a state machine.
 *
 * The router decides; it never performs a call.  Whoever drives it (live
 * simulation, a coprocess, a recorded trace) answers each call through
 * agr_router_result() and reports health through agr_router_health().
 * Decisions go out as events through a small queue, so that one outside
 * fact (a failed result) can produce several records in order (result,
 * reroute or demote, or escalate and final).
 *
 * This file is the router as its driver sees it: the run's state, the
 * next call, the answers, health and faults that come in, governance, and
 * the records of the baselines' decisions.  What an event sets off (the
 * queue, the plans, the monitors) is heal.c; reading the records that
 * come from outside is outside.c.
 */
#include <stdlib.h>
#include <string.h>

#include "route/router_int.h"

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
		agrp_router_begin(r);
		return;
	}
	/* A changed world may make a retry pointless: a new plan replaces it. */
	if (r->health_dirty && agrp_router_reconsider(r)) {
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

bool
agr_router_next(agr_router *r, agr_event *ev)
{
	while (r->qhead == r->qtail) {
		if (r->final_given || r->pending_call != 0)
			return false;
		if (r->finished)
			return false;
		agrp_router_apply_deferred(r);
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
		agrp_router_set_text(&s->error_class, &s->capclass,
		                     error_class
		                         ? error_class
		                         : (status == AGR_RESULT_TIMEOUT ? "timeout" : "error"));
		agrp_router_set_text(&s->message, &s->capmessage, message);
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
	agrp_router_replan(r, step, tool, r->goal_idx, false);
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

void
agr_router_stop(agr_router *r, int sig)
{
	char reason[200];
	long call = r->pending_call;
	int n;

	n = snprintf(reason, sizeof reason, "stopped by signal %d (%s)", sig, strsignal(sig));
	if (call != 0)
		snprintf(reason + n, sizeof reason - (size_t)n, " while call c%ld was out", call);
	agr_router_abort(r, AGR_FINAL_UNKNOWN, reason);
}

bool
agr_router_first_plan(agr_router *r, agr_event *ev, agr_error *err)
{
	while (agr_router_next(r, ev)) {
		if (ev->kind == AGR_EV_HEALTH || ev->kind == AGR_EV_MODEL ||
		    ev->kind == AGR_EV_INPUT)
			continue; /* the input and a pre-flight come before the plan */
		/* The first plan: to the goal, or to a fallback goal when none
		 * reaches the goal (the run would demote). */
		if (ev->kind == AGR_EV_ROUTE || ev->kind == AGR_EV_DEMOTE)
			return true;
		if (ev->kind == AGR_EV_ESCALATE && ev->message != NULL) {
			agrp_error_set(err, "", 0, 0, "%s", ev->message);
			return false;
		}
		break;
	}
	agrp_error_set(err, "", 0, 0, "no path from %s to %s",
	               agr_graph_node_name(r->g, agr_graph_start(r->g)),
	               agr_graph_node_name(r->g, r->goals[0]));
	return false;
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
