/*
 * filter.c - agraph-govern: a stream of traces governed.  Calls (and the
 * messages a rule is on) are decided as they pass; what a decision puts
 * in (its govern record, a blocked call's result) takes the steps right
 * after the record's own, and the later steps of the trace move up, as
 * agraph-inject moves them.  A blocked call's step stays unused.
 */
#include <stdlib.h>
#include <string.h>

#include "govern/govern_int.h"

static bool
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

static bool
rules_on_messages(const agr_governor *gv)
{
	for (size_t i = 0; i < gv->nrules; i++)
		if (gv->rules[i].on_message)
			return true;
	return false;
}

/* A new record of the trace rec belongs to, at step (none when < 0): its
 * trace, step, kind and time first, as records are written. */
static json_t *
put_in(const agr_record *rec, const agrp_common *com, long step, const char *kind)
{
	json_t *o = json_object(), *ts = NULL;
	agrp_span span;

	if (agrp_record_field(rec, "trace", &span))
		json_object_set_new(o, "trace", json_string(com->trace));
	if (step >= 0)
		json_object_set_new(o, "step", json_integer(step));
	json_object_set_new(o, "kind", json_string(kind));
	if (agrp_record_field(rec, "ts", &span))
		ts = json_object_get(agr_record_json(rec), "ts");
	if (ts != NULL)
		json_object_set(o, "ts", ts);
	return o;
}

static void
put_govern(const agr_record *rec, const agrp_common *com, const agrp_ruling *r, long at, bool audit,
           agr_write_fn out, void *ctx)
{
	json_t *g = put_in(rec, com, at >= 0 ? at + 1 : -1, "govern"),
	       *f = agrp_govern_fields(r, com);

	json_object_del(f, "kind");
	json_object_update(g, f);
	json_decref(f);
	if (audit)
		json_object_set_new(g, "audit", json_true());
	if (at >= 0)
		json_object_set_new(g, "cause", json_integer(at));
	agrp_write_record(out, ctx, g);
	json_decref(g);
}

/* What the caller of a blocked call gets back: a failure it can heal
 * around, or wait on a person for (escalate). */
static void
put_refusal(const agr_record *rec, const agrp_common *com, const agrp_ruling *r, long at,
            agr_write_fn out, void *ctx)
{
	json_t *res = put_in(rec, com, at >= 0 ? at + 2 : -1, "result"), *e = json_object();

	if (com->id != NULL)
		json_object_set_new(res, "call", json_string(com->id));
	if (com->tool != NULL)
		json_object_set_new(res, "tool", json_string(com->tool));
	if (com->agent != NULL)
		json_object_set_new(res, "agent", json_string(com->agent));
	json_object_set_new(res, "status", json_string("error"));
	json_object_set_new(
	    e, "class",
	    json_string(r->decision == AGR_DECISION_ESCALATE ? "escalated" : "blocked"));
	json_object_set_new(e, "message", json_string(r->reason));
	json_object_set_new(e, "retryable", json_false());
	json_object_set_new(res, "error", e);
	if (at >= 0)
		json_object_set_new(res, "cause", json_integer(at + 1));
	agrp_write_record(out, ctx, res);
	json_decref(res);
}

/* The rewritten record where its original step and cause are now. */
static void
put_rewritten(const agr_record *rec, const agrp_gtrace *t, const agrp_ruling *r, long at,
              agr_write_fn out, void *ctx)
{
	const json_t *cause = json_object_get(agr_record_json(rec), "cause");

	if (at >= 0)
		json_object_set_new(r->rewritten, "step", json_integer(at));
	if (cause != NULL)
		json_object_set_new(r->rewritten, "cause", agrp_steps_cause(&t->steps, cause));
	agrp_write_record(out, ctx, r->rewritten);
}

bool
agr_governor_feed(agr_governor *gv, const agr_record *rec, agr_write_fn out, void *ctx,
                  agr_error *err)
{
	agrp_common com;
	agrp_gtrace *t;
	agrp_ruling r;
	long at;
	size_t inserts;

	agrp_record_common(rec, &com);
	t = agrp_gtrace_of(gv, com.trace);
	if (is(com.kind, "result") && com.call != NULL && !gv->audit &&
	    agrp_map_del(&t->blocked, com.call) != NULL)
		return true; /* the caller was answered when its call was blocked */
	if (!is(com.kind, "call") && !(is(com.kind, "message") && rules_on_messages(gv))) {
		if (t->steps.count > 0 && !agrp_steps_fit(rec, "agraph-govern", err))
			return false;
		agrp_steps_write(&t->steps, rec, com.step, out, ctx);
		if (is(com.kind, "final"))
			agrp_gtrace_end(gv, t);
		return true;
	}
	agrp_decide(gv, t, rec, &com, NULL, &r);
	if ((r.decision == AGR_DECISION_ALLOW || r.decision == AGR_DECISION_REWRITE) &&
	    is(com.kind, "call") && com.id != NULL && !gv->audit)
		agrp_map_del(&t->blocked, com.id); /* a result of that id answers this one */
	if ((r.decision != AGR_DECISION_ALLOW || t->steps.count > 0) &&
	    !agrp_steps_fit(rec, "agraph-govern", err)) {
		agrp_ruling_free(&r);
		return false;
	}
	if (r.decision == AGR_DECISION_ALLOW) {
		agrp_steps_write(&t->steps, rec, com.step, out, ctx);
		agrp_ruling_free(&r);
		return true;
	}
	at = com.step >= 0 ? agrp_steps_moved(&t->steps, com.step) : -1;
	if (gv->audit) {
		agrp_steps_write(&t->steps, rec, com.step, out, ctx);
		inserts = 1;
	} else if (r.decision == AGR_DECISION_REWRITE) {
		put_rewritten(rec, t, &r, at, out, ctx);
		inserts = 1;
	} else {
		inserts = is(com.kind, "call") ? 2 : 1;
	}
	put_govern(rec, &com, &r, at, gv->audit, out, ctx);
	if (!gv->audit && inserts == 2) {
		put_refusal(rec, &com, &r, at, out, ctx);
		if (com.id != NULL)
			agrp_map_put(&t->blocked, com.id, (void *)1);
	}
	for (size_t i = 0; com.step >= 0 && i < inserts; i++)
		agrp_steps_insert(&t->steps, com.step + 1);
	agrp_ruling_free(&r);
	return true;
}

agr_decision
agr_governor_decide(agr_governor *gv, json_t *rec, json_t **govern)
{
	agrp_common com;
	agrp_ruling r;
	agr_error e;
	agr_decision d;
	char *bytes = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));

	if (gv->scratch == NULL)
		gv->scratch = agr_record_new();
	/* The rules judge the call as a reader of the trace will read it.  One
	 * that cannot be read as a record (too deep) cannot be judged: it does
	 * not go out. */
	if (bytes == NULL || !agr_record_set(gv->scratch, bytes, strlen(bytes), "", 0, &e)) {
		json_t *tool = json_object_get(rec, "tool"), *id = json_object_get(rec, "id"),
		       *agent = json_object_get(rec, "agent");

		*govern = json_object();
		json_object_set_new(*govern, "kind", json_string("govern"));
		json_object_set_new(*govern, "decision", json_string("block"));
		json_object_set_new(*govern, "rule", json_string("default"));
		json_object_set_new(
		    *govern, "reason",
		    json_string(bytes == NULL ? "the call cannot be judged: it cannot be written"
		                              : "the call cannot be judged: it cannot be read"));
		if (json_is_string(id))
			json_object_set(*govern, "call", id);
		if (json_is_string(tool))
			json_object_set(*govern, "tool", tool);
		if (json_is_string(agent))
			json_object_set(*govern, "agent", agent);
		free(bytes);
		return AGR_DECISION_BLOCK;
	}
	agrp_record_common(gv->scratch, &com);
	agrp_decide(gv, agrp_gtrace_of(gv, com.trace), gv->scratch, &com, rec, &r);
	d = r.decision;
	*govern = d == AGR_DECISION_ALLOW ? NULL : agrp_govern_fields(&r, &com);
	agrp_ruling_free(&r);
	free(bytes);
	return d;
}
