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

/* Records put in are written straight into bytes, as agr_write_json()
 * would write them: a blocked call costs no tree. */
static void
key(agrp_buf *b, const char *k)
{
	if (b->n > 1)
		agrp_buf_add(b, ",", 1);
	agrp_buf_json_string(b, k);
	agrp_buf_add(b, ":", 1);
}

static void
put_str(agrp_buf *b, const char *k, const char *v)
{
	if (v == NULL)
		return;
	key(b, k);
	agrp_buf_json_string(b, v);
}

/* A new record of the trace rec belongs to, at step (none when < 0): its
 * trace, step, kind and time first, as records are written. */
static void
put_in(agrp_buf *b, const agr_record *rec, const agrp_common *com, long step, const char *kind)
{
	agrp_span span;

	b->n = 0;
	agrp_buf_add(b, "{", 1);
	if (agrp_record_field(rec, "trace", &span))
		put_str(b, "trace", com->trace);
	if (step >= 0) {
		key(b, "step");
		agrp_buf_json_int(b, step);
	}
	put_str(b, "kind", kind);
	if (agrp_record_field(rec, "ts", &span)) {
		key(b, "ts");
		agrp_buf_add(b, span.p, span.n); /* the time of what it answers, as it was */
	}
}

static void
put_end(agrp_buf *b, long cause, agr_write_fn out, void *ctx)
{
	if (cause >= 0) {
		key(b, "cause");
		agrp_buf_json_int(b, cause);
	}
	agrp_buf_add(b, "}", 1);
	out(ctx, b->p, b->n);
}

static void
put_govern(agrp_buf *b, const agr_record *rec, const agrp_common *com, const agrp_ruling *r,
           long at, bool audit, agr_write_fn out, void *ctx)
{
	put_in(b, rec, com, at >= 0 ? at + 1 : -1, "govern");
	put_str(b, "decision", agr_decision_name(r->decision));
	put_str(b, "rule", r->rule);
	put_str(b, "reason", r->reason);
	if (r->changed != NULL) {
		key(b, "changed");
		agrp_buf_json(b, r->changed);
	}
	if (is(com->kind, "message")) { /* which message: who to whom */
		static const char *const ends[] = { "from", "to" };
		agrp_span span;

		for (int i = 0; i < 2; i++)
			if (agrp_record_field(rec, ends[i], &span) && span.type == 's') {
				key(b, ends[i]);
				agrp_buf_add(b, span.p, span.n);
			}
	} else {
		put_str(b, "call", com->id);
	}
	put_str(b, "tool", com->tool);
	put_str(b, "agent", com->agent);
	if (audit) {
		key(b, "audit");
		agrp_buf_add(b, "true", 4);
	}
	put_end(b, at, out, ctx);
}

/* What the caller of a blocked call gets back: a failure it can heal
 * around, or wait on a person for (escalate). */
static void
put_refusal(agrp_buf *b, const agr_record *rec, const agrp_common *com, const agrp_ruling *r,
            long at, agr_write_fn out, void *ctx)
{
	put_in(b, rec, com, at >= 0 ? at + 2 : -1, "result");
	put_str(b, "call", com->id);
	put_str(b, "tool", com->tool);
	put_str(b, "agent", com->agent);
	put_str(b, "status", "error");
	key(b, "error");
	agrp_buf_add(b, "{", 1);
	agrp_buf_json_string(b, "class");
	agrp_buf_add(b, ":", 1);
	agrp_buf_json_string(b, r->decision == AGR_DECISION_ESCALATE ? "escalated" : "blocked");
	agrp_buf_add(b, ",", 1);
	agrp_buf_json_string(b, "message");
	agrp_buf_add(b, ":", 1);
	agrp_buf_json_string(b, r->reason);
	agrp_buf_str(b, ",\"retryable\":false}");
	put_end(b, at >= 0 ? at + 1 : -1, out, ctx);
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
	if (!is(com.kind, "call") && !(is(com.kind, "message") && gv->on_messages)) {
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
	put_govern(&gv->out, rec, &com, &r, at, gv->audit, out, ctx);
	if (!gv->audit && inserts == 2) {
		put_refusal(&gv->out, rec, &com, &r, at, out, ctx);
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
		agrp_ruling no = { AGR_DECISION_BLOCK, "default", NULL, NULL, NULL, false };

		com = (agrp_common){ .id = agr_json_str(rec, "id"),
			             .tool = agr_json_str(rec, "tool"),
			             .agent = agr_json_str(rec, "agent") };
		no.reason =
		    agrp_xstrdup(bytes == NULL ? "the call cannot be judged: it cannot be written"
		                               : "the call cannot be judged: it cannot be read");
		*govern = agrp_govern_fields(&no, &com);
		agrp_ruling_free(&no);
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

void
agr_governor_forget(agr_governor *gv, const char *trace)
{
	agrp_gtrace *t = agrp_map_get(&gv->traces, trace ? trace : "");

	if (t == NULL)
		return;
	memset(t->used, 0, (gv->ncounters + 1) * sizeof *t->used);
	agrp_steps_free(&t->steps);
	agrp_map_free(&t->blocked);
}
