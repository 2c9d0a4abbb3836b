/*
 * queue.c - the router's events on their way out: the queue, and the
 * records every policy writes alike (the final, a model call, an
 * escalation).  The router (router.c) and the baselines (baseline.c)
 * both write through it; it calls neither.
 */
#include <stdlib.h>
#include <string.h>

#include "route/router_int.h"

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
	if (r->watch != NULL && !s->by_monitor && s->ev.kind != AGR_EV_FINAL)
		r->watch(r, s);
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
	/* The Self-Healing Router consults the model when it escalates, and
	 * only then (its pre-flight aside): one model record, after the
	 * escalate that is its cause, before the final. */
	if (r->o.policy == AGR_POLICY_HEAL)
		agrp_router_model_call(r, "escalation", step, by_monitor);
	agrp_router_finish(r, AGR_FINAL_ESCALATED, reason, step, by_monitor);
}
