/*
 * verdict.c - what the checker and the built-ins report through: a
 * contract failed for a trace (where, why, and its open state let go), a
 * verdict given, a record described in a reason.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check/check_int.h"

void
agrp_check_obligations_clear(agr_checker *k, agrp_cstate *s)
{
	agrp_obs *o;

	if (s->type != AGRP_PAT_RESPONSE || (o = s->obs) == NULL)
		return;
	for (agrp_ob *ob = o->first, *next; ob != NULL; ob = next) {
		next = ob->next;
		free(ob);
	}
	k->open -= o->n;
	if (o->buckets != NULL) {
		agrp_u64map_free(o->buckets);
		free(o->buckets);
	}
	free(o);
	s->obs = NULL;
}

void
agrp_check_tools_clear(agr_checker *k, agrp_cstate *s)
{
	if (s->holds == 0) /* never held any: well-formed and the others among them */
		return;
	for (size_t i = 0; i < s->tools.cap; i++) {
		void *v = s->tools.slots[i].val;

		if (s->tools.slots[i].key == NULL)
			continue;
		if (s->holds == 'p') {
			free(((agrp_pending *)v)->tool);
			free(((agrp_pending *)v)->status);
		} else {
			agrp_u64map_free(&((agrp_called *)v)->args);
		}
		free(v);
	}
	agrp_map_free(&s->tools);
	k->open -= s->held;
	s->held = 0;
}

char *
agrp_check_vformat(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	return agrp_xstrdup(buf);
}

agrp_cnote *
agrp_check_note(agrp_cstate *s)
{
	if (s->note == NULL)
		s->note = agrp_xcalloc(1, sizeof *s->note);
	return s->note;
}

/* The contract is broken for this trace: decided, and its state let go. */
void
agrp_check_fail(agr_checker *k, agrp_cstate *s, agrp_where w, const char *fmt, ...)
{
	va_list ap;

	if (s->decided)
		return;
	s->decided = true;
	agrp_check_note(s)->fail = w;
	va_start(ap, fmt);
	s->note->reason = agrp_check_vformat(fmt, ap);
	va_end(ap);
	if (s->type >= AGRP_BI_WELL_FORMED)
		agrp_check_tools_clear(k, s);
	else
		agrp_check_obligations_clear(k, s);
}

void
agrp_check_emit(agr_checker *k, const agrp_trace *t, const agrp_contract *c, bool pass,
                agrp_where w, const char *reason)
{
	agr_verdict v = { t->id, c->name, pass, pass ? -1 : w.step, reason, w.source, w.line };

	k->fn(k->ctx, &v);
}

/* The record's info with every common field, read now if the checker
 * did not (copy and c are where). */
static const agrp_rinfo *
whole(const agrp_rinfo *ri, agrp_rinfo *copy, agrp_common *c)
{
	if (!ri->partial)
		return ri;
	agrp_record_common(ri->rec, c);
	*copy = *ri;
	copy->kind = c->kind;
	copy->tool = c->tool;
	copy->status = c->status;
	copy->id = c->id;
	copy->call = c->call;
	copy->partial = false;
	return copy;
}

/* "step 12 (call Stripe c3)": what a reason says of a record. */
void
agrp_check_describe(char *buf, size_t n, const agrp_rinfo *record)
{
	agrp_rinfo copy;
	agrp_common c;
	const agrp_rinfo *ri = whole(record, &copy, &c);
	const char *id = ri->id ? ri->id : ri->call;

	snprintf(buf, n, "step %ld (%s%s%s%s%s)", ri->step, ri->kind ? ri->kind : "?",
	         ri->tool ? " " : "", ri->tool ? ri->tool : "", id ? " " : "", id ? id : "");
}

char *
agrp_check_describe_text(const agrp_rinfo *record)
{
	agrp_rinfo copy;
	agrp_common c;
	const agrp_rinfo *ri = whole(record, &copy, &c);
	const char *id = ri->id ? ri->id : ri->call;
	char *kind = agrp_text_clip(ri->kind ? ri->kind : "?", false);
	char *tool = ri->tool ? agrp_text_clip(ri->tool, false) : NULL;
	char *sid = id ? agrp_text_clip(id, false) : NULL;
	agrp_buf b = { 0 };
	char step[32];

	snprintf(step, sizeof step, "step %ld (", ri->step);
	agrp_buf_str(&b, step);
	agrp_buf_str(&b, kind);
	if (tool != NULL) {
		agrp_buf_str(&b, " ");
		agrp_buf_str(&b, tool);
	}
	if (sid != NULL) {
		agrp_buf_str(&b, " ");
		agrp_buf_str(&b, sid);
	}
	agrp_buf_str(&b, ")");
	free(kind);
	free(tool);
	free(sid);
	return b.p;
}
