/*
 * builtins.c - the built-in contracts checked: well-formed (each record's
 * fields and steps), terminates (a final record, nothing after it),
 * answered (every call has its result), observable (a failure is retried,
 * rerouted or escalated before a run says success), no-repeat (no call
 * repeated with the same arguments without a failure between).
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

static agrp_entry *
push_entry(agr_checker *k, agrp_entry **e, size_t *n, size_t *cap, const char *key,
           const char *text, const agrp_rinfo *ri)
{
	agrp_entry *x;

	agrp_grow(e, cap, *n + 1, sizeof **e);
	x = &(*e)[(*n)++];
	x->key = key ? agrp_xstrdup(key) : NULL;
	x->text = text ? agrp_xstrdup(text) : NULL;
	x->step = ri->step;
	x->flag = false;
	x->source = ri->source;
	x->line = ri->line;
	k->open++;
	return x;
}

static void
drop_entry(agr_checker *k, agrp_entry *e, size_t *n, size_t i)
{
	free(e[i].key);
	free(e[i].text);
	memmove(&e[i], &e[i + 1], (*n - i - 1) * sizeof *e);
	(*n)--;
	k->open--;
}

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

	if (t->reopened_after >= 0) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(k, s, agrp_check_at(ri),
		                "%s comes after the final record (step %ld)", d, t->reopened_after);
	}
}

/* answered: a call opens an entry by its id; its result closes it. */
static void
answered(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];

	if (agrp_check_kind_is(ri, "call")) {
		if (ri->id == NULL) {
			agrp_check_describe(d, sizeof d, ri);
			agrp_check_fail(k, s, agrp_check_at(ri),
			                "%s has no \"id\" to be answered by", d);
		} else {
			push_entry(k, &s->e, &s->ne, &s->cape, ri->id, ri->tool, ri);
		}
	} else if (agrp_check_kind_is(ri, "result") && ri->call != NULL) {
		/* The nearest open call with that id. */
		for (size_t i = s->ne; i-- > 0;)
			if (strcmp(s->e[i].key, ri->call) == 0) {
				drop_entry(k, s->e, &s->ne, i);
				break;
			}
	}
}

/* observable: a failed result stays pending until a call of its tool
 * retries it or the run reroutes, demotes, escalates or does not say
 * success. */
static void
observable(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];

	if (agrp_check_kind_is(ri, "result") && is_failure(ri->status)) {
		push_entry(k, &s->e, &s->ne, &s->cape, ri->tool ? ri->tool : "", ri->status, ri);
	} else if (agrp_check_kind_is(ri, "call") && ri->tool != NULL) {
		for (size_t i = s->ne; i-- > 0;)
			if (strcmp(s->e[i].key, ri->tool) == 0)
				drop_entry(k, s->e, &s->ne, i);
	} else if (agrp_check_kind_is(ri, "reroute") || agrp_check_kind_is(ri, "demote") ||
	           agrp_check_kind_is(ri, "escalate") ||
	           (agrp_check_kind_is(ri, "final") &&
	            (ri->status == NULL || strcmp(ri->status, "success") != 0))) {
		agrp_check_entries_clear(k, s->e, &s->ne);
	} else if (agrp_check_kind_is(ri, "final") && s->ne > 0) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(
		    k, s, agrp_check_at(ri),
		    "step %ld (%s %s) was not retried, rerouted or escalated, yet %s says "
		    "success",
		    s->e[0].step, s->e[0].key, s->e[0].text, d);
	}
}

/* no-repeat, a call: the same arguments as the tool's last call, with no
 * failed result between, break it; else they become the last.  s->e holds
 * each tool's last arguments, s->e2 the open calls' tools by id. */
static void
no_repeat_call(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];
	agrp_span span;
	const json_t *args = agrp_reference() || agrp_record_field(ri->rec, "args", &span)
	                         ? json_object_get(agr_record_json(ri->rec), "args")
	                         : NULL;
	char *canon = args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
	                   : agrp_xstrdup("null");
	agrp_entry *x = NULL;

	for (size_t i = 0; i < s->ne; i++)
		if (strcmp(s->e[i].key, ri->tool) == 0)
			x = &s->e[i];
	if (x != NULL && !x->flag && strcmp(x->text, canon) == 0) {
		agrp_check_describe(d, sizeof d, ri);
		agrp_check_fail(k, s, agrp_check_at(ri),
		                "%s calls %s again with the arguments of step %ld, with no "
		                "failed "
		                "result between",
		                d, ri->tool, x->step);
	} else if (x != NULL) {
		free(x->text);
		x->text = agrp_xstrdup(canon);
		x->step = ri->step;
		x->flag = false;
	} else {
		push_entry(k, &s->e, &s->ne, &s->cape, ri->tool, canon, ri);
	}
	free(canon);
	if (!s->decided && ri->id != NULL)
		push_entry(k, &s->e2, &s->ne2, &s->cape2, ri->id, ri->tool, ri);
}

/* no-repeat, a result: a failure lets its tool repeat its last call. */
static void
no_repeat_result(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	/* The call it answers names the tool when the result does not. */
	size_t i = s->ne2;
	const char *tool;

	while (ri->call != NULL && i-- > 0 && strcmp(s->e2[i].key, ri->call) != 0)
		;
	tool = ri->tool ? ri->tool : i < s->ne2 ? s->e2[i].text : NULL;
	for (size_t j = 0; tool != NULL && is_failure(ri->status) && j < s->ne; j++)
		if (strcmp(s->e[j].key, tool) == 0)
			s->e[j].flag = true;
	if (i < s->ne2)
		drop_entry(k, s->e2, &s->ne2, i);
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
		if (s->ne > 0) {
			agrp_where w = { s->e[0].step, s->e[0].source, s->e[0].line };

			agrp_check_fail(k, s, w, "call %s%s%s at step %ld has no result",
			                s->e[0].key, s->e[0].text ? " to " : "",
			                s->e[0].text ? s->e[0].text : "", s->e[0].step);
		}
		break;
	case AGRP_BI_OBSERVABLE:
		if (s->ne > 0) {
			agrp_where w = { s->e[0].step, s->e[0].source, s->e[0].line };

			agrp_check_fail(k, s, w,
			                "step %ld (%s %s) is never retried, rerouted or escalated",
			                s->e[0].step, s->e[0].key, s->e[0].text);
		}
		break;
	default:
		break;
	}
}
