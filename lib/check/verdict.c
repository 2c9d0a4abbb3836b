/*
 * verdict.c - what the checker and the built-ins report through: a
 * contract failed for a trace (where, why, and its open state let go), a
 * verdict given, a record described in a reason.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check/check_int.h"

void
agrp_check_entries_clear(agr_checker *k, agrp_entry *e, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(e[i].key);
		free(e[i].text);
	}
	k->open -= *n;
	*n = 0;
}

void
agrp_check_obligations_clear(agr_checker *k, agrp_cstate *s)
{
	for (size_t i = 0; i < s->nob; i++)
		agr_record_free(s->ob[i].trigger);
	k->open -= s->nob;
	s->nob = 0;
}

char *
agrp_check_vformat(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	return agrp_xstrdup(buf);
}

/* The contract is broken for this trace: decided, and its state let go. */
void
agrp_check_fail(agr_checker *k, agrp_cstate *s, agrp_where w, const char *fmt, ...)
{
	va_list ap;

	if (s->decided)
		return;
	s->decided = true;
	s->fail = w;
	va_start(ap, fmt);
	s->reason = agrp_check_vformat(fmt, ap);
	va_end(ap);
	agrp_check_obligations_clear(k, s);
	agrp_check_entries_clear(k, s->e, &s->ne);
	agrp_check_entries_clear(k, s->e2, &s->ne2);
}

void
agrp_check_emit(agr_checker *k, const agrp_trace *t, const agrp_contract *c, bool pass,
                agrp_where w, const char *reason)
{
	agr_verdict v = { t->id, c->name, pass, pass ? -1 : w.step, reason, w.source, w.line };

	k->fn(k->ctx, &v);
}

/* "step 12 (call Stripe c3)": what a reason says of a record. */
void
agrp_check_describe(char *buf, size_t n, const agrp_rinfo *ri)
{
	const char *id = ri->id ? ri->id : ri->call;

	snprintf(buf, n, "step %ld (%s%s%s%s%s)", ri->step, ri->kind ? ri->kind : "?",
	         ri->tool ? " " : "", ri->tool ? ri->tool : "", id ? " " : "", id ? id : "");
}
