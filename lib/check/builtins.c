/*
 * builtins.c - the built-in contracts checked: well-formed (each record's
 * fields and steps), terminates (a final record, nothing after it),
 * answered (every call has its result), observable (a failure is retried,
 * rerouted or escalated before a run says success), no-repeat (no call
 * repeated with the same arguments without a failure between).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

static bool
is_failure(const char *status)
{
	return status != NULL && (strcmp(status, "error") == 0 || strcmp(status, "timeout") == 0);
}

/* The first well-formedness problem of a record, or NULL. */
static const char *
malformed(const agrp_rinfo *ri, long last_step, char *buf, size_t n)
{
	const json_t *j = ri->j, *v = json_object_get(j, "kind");
	const json_t *step = json_object_get(j, "step"), *cause = json_object_get(j, "cause");

	if (v == NULL)
		return "the record has no \"kind\"";
	if (!json_is_string(v))
		return "\"kind\" must be a string";
	if ((v = json_object_get(j, "trace")) != NULL && !json_is_string(v))
		return "\"trace\" must be a string";
	if (step == NULL)
		return "the record has no \"step\"";
	if (!json_is_integer(step) || json_integer_value(step) < 0)
		return "\"step\" must be a whole number from 0";
	if (last_step >= 0 && json_integer_value(step) <= last_step) {
		snprintf(buf, n, "step %lld does not come after step %ld",
		         (long long)json_integer_value(step), last_step);
		return buf;
	}
	if ((v = json_object_get(j, "ts")) != NULL && !json_is_number(v) && !json_is_string(v))
		return "\"ts\" must be a number or a string";
	if (cause != NULL) {
		size_t i, len = json_is_array(cause) ? json_array_size(cause) : 1;

		for (i = 0; i < len; i++) {
			const json_t *c = json_is_array(cause) ? json_array_get(cause, i) : cause;

			if (!json_is_integer(c) || json_integer_value(c) < 0 ||
			    json_integer_value(c) >= json_integer_value(step))
				return "\"cause\" must be earlier steps of the trace";
		}
	}
	return NULL;
}

/* The same, by the record's bytes. */
static const char *
malformed_fast(const agrp_rinfo *ri, long last_step, char *buf, size_t n)
{
	agrp_span v, step, cause;
	long st, c;

	if (!agrp_record_field(ri->rec, "kind", &v))
		return "the record has no \"kind\"";
	if (v.type != 's')
		return "\"kind\" must be a string";
	if (agrp_record_field(ri->rec, "trace", &v) && v.type != 's')
		return "\"trace\" must be a string";
	if (!agrp_record_field(ri->rec, "step", &step))
		return "the record has no \"step\"";
	if (!agrp_span_int(&step, &st) || st < 0)
		return "\"step\" must be a whole number from 0";
	if (last_step >= 0 && st <= last_step) {
		snprintf(buf, n, "step %ld does not come after step %ld", st, last_step);
		return buf;
	}
	if (agrp_record_field(ri->rec, "ts", &v) && v.type != 'n' && v.type != 's')
		return "\"ts\" must be a number or a string";
	if (agrp_record_field(ri->rec, "cause", &cause)) {
		size_t cursor = 0;
		agrp_span k;

		if (cause.type != 'a')
			return agrp_span_int(&cause, &c) && c >= 0 && c < st
			           ? NULL
			           : "\"cause\" must be earlier steps of the trace";
		while (agrp_span_next(&cause, &cursor, &k, &v))
			if (!agrp_span_int(&v, &c) || c < 0 || c >= st)
				return "\"cause\" must be earlier steps of the trace";
	}
	return NULL;
}

/* well-formed: every problem of the record, or its first one, and the
 * step it must come after from now on. */
static void
well_formed(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
            const agrp_rinfo *ri)
{
	char d[200], buf[200];
	const char *why = agrp_reference() ? malformed(ri, s->last_step, buf, sizeof buf)
	                                   : malformed_fast(ri, s->last_step, buf, sizeof buf);

	if (why != NULL) {
		agrp_check_describe(d, sizeof d, ri);
		if (k->every_problem) {
			char reason[512];

			snprintf(reason, sizeof reason, "%s: %s", d, why);
			agrp_check_emit(k, t, c, false, agrp_check_at(ri), reason);
		} else {
			agrp_check_fail(k, s, agrp_check_at(ri), "%s: %s", d, why);
		}
	}
	if (ri->step > s->last_step)
		s->last_step = ri->step;
}

/* terminates: nothing after the final record. */
static void
terminates(agr_checker *k, agrp_cstate *s, const agrp_trace *t, const agrp_rinfo *ri)
{
	char d[200];

	if (t->ended) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(k, s, agrp_check_at(ri),
		                "%s comes after the final record (step %ld)", d, t->final_step);
	}
}

/* answered: the checker keeps the open calls (agrp_trace.calls) by id;
 * a call without one can never be answered. */
static void
answered(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];

	if (agrp_check_kind_is(ri, "call") && ri->id == NULL) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(k, s, agrp_check_at(ri), "%s has no \"id\" to be answered by", d);
	}
}

/* The tool a result is of: its own, or that of the call it answers. */
static const char *
result_tool(const agrp_rinfo *ri)
{
	return ri->tool ? ri->tool : ri->call_tool;
}

/* The pending failure that came first, of all tools. */
static const agrp_pending *
first_pending(const agrp_cstate *s)
{
	const agrp_pending *first = NULL;

	for (size_t i = 0; i < s->tools.cap; i++) {
		const agrp_pending *p = s->tools.slots[i].val;

		if (s->tools.slots[i].key != NULL && (first == NULL || p->seq < first->seq))
			first = p;
	}
	return first;
}

/* observable: a failed result stays pending until a call of its tool
 * (none: "", which no call has) retries it or the run reroutes, demotes, escalates or does not say
 * success.  Failures are kept by tool, as a call retries all of its own. */
static void
observable(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];
	agrp_pending *p;

	s->holds = 'p';
	if (agrp_check_kind_is(ri, "result") && is_failure(ri->status)) {
		const char *tool = result_tool(ri) ? result_tool(ri) : "";

		if ((p = agrp_map_get(&s->tools, tool)) == NULL) {
			p = agrp_xcalloc(1, sizeof *p);
			p->tool = agrp_xstrdup(tool);
			p->status = agrp_xstrdup(ri->status);
			p->step = ri->step;
			p->source = ri->source;
			p->line = ri->line;
			p->seq = s->seq++;
			agrp_map_put(&s->tools, tool, p);
		}
		p->count++;
		s->held++;
		k->open++;
	} else if (agrp_check_kind_is(ri, "call") && ri->tool != NULL) {
		if ((p = agrp_map_del(&s->tools, ri->tool)) != NULL) {
			s->held -= (size_t)p->count;
			k->open -= (size_t)p->count;
			free(p->tool);
			free(p->status);
			free(p);
		}
	} else if (agrp_check_kind_is(ri, "reroute") || agrp_check_kind_is(ri, "demote") ||
	           agrp_check_kind_is(ri, "escalate") ||
	           (agrp_check_kind_is(ri, "final") &&
	            (ri->status == NULL || strcmp(ri->status, "success") != 0))) {
		agrp_check_tools_clear(k, s);
	} else if (agrp_check_kind_is(ri, "final") && s->held > 0) {
		p = (agrp_pending *)first_pending(s);
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(
		    k, s, agrp_check_at(ri),
		    "step %ld (%s%s%s) was not retried, rerouted or escalated, yet %s says "
		    "success",
		    p->step, p->tool, *p->tool ? " " : "", p->status, d);
	}
}

/* The arguments as a value, for their canonical form: every number a
 * real (-0 as 0), so that equal values, as == has them (1 equals 1.0 and
 * 1e0, as in jq), print alike. */
static json_t *
by_value(const json_t *v)
{
	json_t *out, *x;
	const char *key;
	size_t i, len;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL: {
		double n = json_number_value(v);

		return json_real(n == 0 ? 0.0 : n);
	}
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, x)
		{
			json_array_append_new(out, by_value(x));
		}
		return out;
	case JSON_OBJECT:
		out = json_object();
		json_object_keylen_foreach((json_t *)v, key, len, x)
		{
			json_object_setn_new_nocheck(out, key, len, by_value(x));
		}
		return out;
	default:
		return json_incref((json_t *)v);
	}
}

/* no-repeat, a call: arguments that the tool was called with before,
 * with no failed result of it since, break it.  They are remembered by a
 * hash of their canonical form (keys sorted, numbers by value: by_value),
 * per tool, until the tool fails.  A call without args has the arguments
 * null, as args reads in an expression: it repeats one without args or
 * with args null, not one with args {}. */
static void
no_repeat_call(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];
	agrp_span span;
	const json_t *args = agrp_reference() || agrp_record_field(ri->rec, "args", &span)
	                         ? json_object_get(agr_record_json(ri->rec), "args")
	                         : NULL;
	json_t *value = args ? by_value(args) : json_null();
	char *canon = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
	                                    JSON_REAL_PRECISION(17));
	uint64_t h;
	agrp_called *called;
	struct agrp_u64slot *before;

	if (canon == NULL) { /* jansson ran out of memory: as agrp_xmalloc does */
		fputs("agraph: out of memory\n", stderr);
		exit(2);
	}
	h = agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, canon, strlen(canon)));
	free(canon);
	json_decref(value);
	s->holds = 'c';
	if ((called = agrp_map_get(&s->tools, ri->tool)) == NULL) {
		called = agrp_xcalloc(1, sizeof *called);
		agrp_map_put(&s->tools, ri->tool, called);
	}
	if ((before = agrp_u64map_slot(&called->args, h)) != NULL) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(k, s, agrp_check_at(ri),
		                "%s calls %s again with the arguments of step %ld, with no "
		                "failed result between",
		                d, ri->tool, (long)(intptr_t)before->val);
		return;
	}
	agrp_u64map_put(&called->args, h, (void *)(intptr_t)ri->step);
	s->held++;
	k->open++;
}

/* no-repeat, a result: a failure lets its tool repeat any call. */
static void
no_repeat_result(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	const char *tool = result_tool(ri);
	agrp_called *called;

	if (tool == NULL || !is_failure(ri->status) ||
	    (called = agrp_map_del(&s->tools, tool)) == NULL)
		return;
	s->held -= called->args.n;
	k->open -= called->args.n;
	agrp_u64map_free(&called->args);
	free(called);
}

/* One record for a built-in contract; a reason describes the record only
 * when there is one to give. */
void
agrp_builtin_record(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                    const agrp_rinfo *ri)
{
	switch (c->type) {
	case AGRP_BI_WELL_FORMED:
		well_formed(k, c, s, t, ri);
		break;
	case AGRP_BI_TERMINATES:
		terminates(k, s, t, ri);
		break;
	case AGRP_BI_ANSWERED:
		answered(k, s, ri);
		break;
	case AGRP_BI_OBSERVABLE:
		observable(k, s, ri);
		break;
	case AGRP_BI_NO_REPEAT:
		if (agrp_check_kind_is(ri, "call") && ri->tool != NULL)
			no_repeat_call(k, s, ri);
		else if (agrp_check_kind_is(ri, "result"))
			no_repeat_result(k, s, ri);
		break;
	default:
		break;
	}
}

/* The open call that came first, and its id. */
static const agrp_call *
first_call(const agrp_trace *t, const char **id)
{
	const agrp_call *first = NULL;

	for (size_t i = 0; i < t->calls->cap; i++)
		for (const agrp_call *c = t->calls->slots[i].val;
		     t->calls->slots[i].key != NULL && c; c = c->below)
			if (first == NULL || c->seq < first->seq) {
				first = c;
				*id = t->calls->slots[i].key;
			}
	return first;
}

void
agrp_builtin_end(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                 bool has_final)
{
	switch (c->type) {
	case AGRP_BI_TERMINATES:
		if (!has_final)
			agrp_check_fail(k, s, t->last,
			                "the trace ends at step %ld without a final record",
			                t->last.step);
		break;
	case AGRP_BI_ANSWERED:
		if (t->ncalls > 0) {
			const char *id = NULL;
			const agrp_call *call = first_call(t, &id);
			agrp_where w = { call->step, call->source, call->line };

			agrp_check_fail(k, s, w, "call %s%s%s at step %ld has no result", id,
			                call->tool ? " to " : "", call->tool ? call->tool : "",
			                call->step);
		}
		break;
	case AGRP_BI_OBSERVABLE:
		if (s->held > 0) {
			const agrp_pending *p = first_pending(s);
			agrp_where w = { p->step, p->source, p->line };

			agrp_check_fail(k, s, w,
			                "step %ld (%s%s%s) is never retried, rerouted or escalated",
			                p->step, p->tool, *p->tool ? " " : "", p->status);
		}
		break;
	default:
		break;
	}
}
