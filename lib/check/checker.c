/*
 * checker.c - contracts checked as the records stream by: each record is
 * read once (its common fields) and handed to every contract of its trace,
 * the user contracts' scopes and patterns here, the built-ins to
 * builtins.c; a trace's verdicts are given at its final record or at the
 * end of the input.
 *
 * Patterns and scopes follow Dwyer, Avrunin and Corbett, "Patterns in
 * property specifications for finite-state verification" (1999), on
 * finite traces.  A scope is a set of intervals: global is the whole
 * trace; "before R" runs from the start to the first R; "after Q" from
 * the first Q to the end; "between Q and R" from each Q to the next R and
 * counts only when that R comes; "after Q until R" is the same but an
 * interval that R never closes runs to the end.  An interval opens on a
 * record where Q holds and R does not, includes that record, and excludes
 * the R that closes it.
 *
 * State is per open trace and per open obligation, never per record: a
 * trace is checked as it streams, and forgotten at its final record.
 * Recently closed traces are remembered, to see records after a final.
 * The patterns live in this file, not apart, so that the loop over a
 * record's contracts calls them without a call between files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

#define CLOSED_KEPT 65536

agr_checker *
agr_checker_new(const agr_contracts *cs, size_t max_open, agr_verdict_fn fn, void *ctx)
{
	agr_checker *k = agrp_xcalloc(1, sizeof *k);

	k->cs = cs;
	k->max_open = max_open ? max_open : AGR_DEFAULT_MAX_OPEN;
	k->fn = fn;
	k->ctx = ctx;
	return k;
}

void
agr_checker_runs_apart(agr_checker *k)
{
	k->runs_apart = true;
}

void
agr_checker_every_problem(agr_checker *k)
{
	k->every_problem = true;
}

static void
cstate_free(agr_checker *k, agrp_cstate *s)
{
	agrp_check_obligations_clear(k, s);
	free(s->ob);
	agrp_check_entries_clear(k, s->e, &s->ne);
	agrp_check_entries_clear(k, s->e2, &s->ne2);
	free(s->e);
	free(s->e2);
	free(s->reason);
	free(s->pend_reason);
	agr_record_free(s->opener);
}

static void
trace_free(agr_checker *k, agrp_trace *t)
{
	for (size_t i = 0; i < k->cs->n; i++)
		cstate_free(k, &t->cs[i]);
	free(t->cs);
	free(t->id);
	free(t);
}

void
agr_checker_free(agr_checker *k)
{
	if (k == NULL)
		return;
	while (k->first != NULL) {
		agrp_trace *t = k->first;

		k->first = t->next;
		trace_free(k, t);
	}
	agrp_map_free(&k->traces);
	agrp_map_free(&k->closed);
	for (size_t i = 0; i < k->closed_cap; i++)
		free(k->closed_ring[i]);
	free(k->closed_ring);
	free(k->closed_step);
	free(k);
}

/* ---- user contracts: scopes and patterns --------------------------- */

static bool
needs_closing(const agrp_contract *c)
{
	return c->scope == AGRP_SC_BEFORE || c->scope == AGRP_SC_BETWEEN;
}

/* A violation inside an interval: certain now, or when R closes it. */
static void violate(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri,
                    const char *fmt, ...) AGRP_PRINTF(5, 6);

static void
violate(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri,
        const char *fmt, ...)
{
	va_list ap;
	char *reason;

	va_start(ap, fmt);
	reason = agrp_check_vformat(fmt, ap);
	va_end(ap);
	if (!needs_closing(c)) {
		agrp_check_fail(k, s, agrp_check_at(ri), "%s", reason);
	} else if (!s->pending) {
		s->pending = true;
		s->pend = agrp_check_at(ri);
		s->pend_reason = reason;
		return;
	}
	free(reason);
}

static bool
test(const agr_expr *e, const agrp_rinfo *ri, const agr_record *trigger)
{
	if (agrp_reference())
		return agr_expr_test(e, ri->j, trigger ? agr_record_json(trigger) : NULL);
	return agr_expr_test_record(e, ri->rec, trigger);
}

static void
open_interval(agrp_cstate *s, const agrp_rinfo *ri)
{
	s->active = true;
	s->start = agrp_check_at(ri);
	agr_record_free(s->opener);
	s->opener = agr_record_keep(ri->rec);
}

static void
reset_interval(agr_checker *k, agrp_cstate *s)
{
	s->active = false;
	s->found = s->seen_first = false;
	s->count = 0;
	s->pending = false;
	free(s->pend_reason);
	s->pend_reason = NULL;
	agrp_check_obligations_clear(k, s);
	agr_record_free(s->opener);
	s->opener = NULL;
}

/* The end of an interval that counts: R closed it, or the trace ended. */
static void
close_interval(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *closer)
{
	char how[160];

	if (closer != NULL)
		snprintf(how, sizeof how, " (scope closed at step %ld)", closer->step);
	else
		how[0] = '\0';
	if (s->pending) {
		agrp_where w = s->pend;

		w.step = closer->step;
		agrp_check_fail(k, s, w, "%s%s", s->pend_reason, how);
	} else if (c->type == AGRP_PAT_EVENTUALLY && !s->found) {
		if (closer != NULL)
			agrp_check_fail(k, s, agrp_check_at(closer),
			                "no record from step %ld satisfies '%s'%s", s->start.step,
			                c->p_text, how);
		else
			agrp_check_fail(k, s, s->start, "no record from step %ld on satisfies '%s'",
			                s->start.step, c->p_text);
	} else if (c->type == AGRP_PAT_RESPONSE && s->nob > 0) {
		agrp_obligation *o = &s->ob[0];
		/* Certain when R closes the scope; left open at the end: the trigger. */
		agrp_where w = { closer ? closer->step : o->step, o->source, o->line };

		agrp_check_fail(k, s, w,
		                "step %ld satisfies '%s' but no later record satisfies '%s'%s",
		                o->step, c->p_text, c->s_text, how);
	}
	reset_interval(k, s);
}

static void
add_obligation(agr_checker *k, agrp_cstate *s, const agrp_rinfo *ri)
{
	agrp_grow(&s->ob, &s->capob, s->nob + 1, sizeof *s->ob);
	s->ob[s->nob].trigger = agr_record_keep(ri->rec);
	s->ob[s->nob].step = ri->step;
	s->ob[s->nob].source = ri->source;
	s->ob[s->nob].line = ri->line;
	s->nob++;
	k->open++;
}

static void
pattern(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];

	switch (c->type) {
	case AGRP_PAT_ALWAYS:
		if (!test(c->p, ri, s->opener)) {
			agrp_check_describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s breaks always '%s'", d, c->p_text);
		}
		break;
	case AGRP_PAT_NEVER:
		if (test(c->p, ri, s->opener)) {
			agrp_check_describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s breaks never '%s'", d, c->p_text);
		}
		break;
	case AGRP_PAT_EVENTUALLY:
		s->found = s->found || test(c->p, ri, s->opener);
		break;
	case AGRP_PAT_PRECEDENCE:
		if (test(c->s, ri, s->opener)) {
			s->seen_first = true;
		} else if (!s->seen_first && test(c->p, ri, s->opener)) {
			agrp_check_describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s satisfies '%s' before any record satisfies '%s'",
			        d, c->p_text, c->s_text);
		}
		break;
	case AGRP_PAT_BOUNDED:
		if (test(c->p, ri, s->opener) && ++s->count > c->max) {
			agrp_check_describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s is the %ld%s record to satisfy '%s' (at most %ld)",
			        d, s->count,
			        s->count % 10 == 1 && s->count % 100 != 11   ? "st"
			        : s->count % 10 == 2 && s->count % 100 != 12 ? "nd"
			        : s->count % 10 == 3 && s->count % 100 != 13 ? "rd"
			                                                     : "th",
			        c->p_text, c->max);
		}
		break;
	case AGRP_PAT_RESPONSE: {
		size_t kept = 0;

		/* Obligations are in step order: the oldest has the first deadline. */
		if (c->within >= 0 && s->nob > 0 && ri->step > s->ob[0].step + c->within) {
			agrp_check_describe(d, sizeof d, ri);
			violate(k, c, s, ri,
			        "step %ld satisfies '%s' but no record within %ld steps "
			        "satisfies '%s' (%s is past it)",
			        s->ob[0].step, c->p_text, c->within, c->s_text, d);
			if (s->decided || s->pending)
				break;
		}
		for (size_t i = 0; i < s->nob; i++) {
			if (test(c->s, ri, s->ob[i].trigger)) {
				agr_record_free(s->ob[i].trigger);
				k->open--;
			} else {
				s->ob[kept++] = s->ob[i];
			}
		}
		s->nob = kept;
		if (test(c->p, ri, s->opener))
			add_obligation(k, s, ri);
		break;
	}
	default:
		break;
	}
}

/* Feeds one record to one user contract: scope first, then the pattern. */
static void
user_record(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	switch (c->scope) {
	case AGRP_SC_GLOBAL:
		if (!s->active)
			open_interval(s, ri);
		break;
	case AGRP_SC_AFTER:
		if (!s->active && test(c->q, ri, NULL))
			open_interval(s, ri);
		break;
	case AGRP_SC_BEFORE:
		if (s->done)
			return;
		if (test(c->r, ri, NULL)) {
			if (!s->active)
				open_interval(s, ri);
			close_interval(k, c, s, ri);
			s->done = true;
			return;
		}
		if (!s->active)
			open_interval(s, ri);
		break;
	case AGRP_SC_BETWEEN:
	case AGRP_SC_UNTIL:
		if (s->active && test(c->r, ri, NULL)) {
			close_interval(k, c, s, ri);
			return;
		}
		if (!s->active && test(c->q, ri, NULL) && !test(c->r, ri, NULL))
			open_interval(s, ri);
		break;
	}
	if (s->active && !s->decided)
		pattern(k, c, s, ri);
}

static void
user_end(agr_checker *k, const agrp_contract *c, agrp_cstate *s)
{
	/* An interval that needs its R and never got it does not count. */
	if (s->active && !needs_closing(c))
		close_interval(k, c, s, NULL);
	reset_interval(k, s);
}

/* ---- traces -------------------------------------------------------- */

static void
remember_closed(agr_checker *k, const char *id, long final_step)
{
	size_t slot = k->closed_next++ % CLOSED_KEPT;

	if (slot >= k->closed_cap) { /* grown as traces end: most checkers see few */
		size_t cap = k->closed_cap ? 2 * k->closed_cap : 64;

		cap = cap < CLOSED_KEPT ? cap : CLOSED_KEPT;
		k->closed_ring = agrp_xrealloc(k->closed_ring, cap * sizeof *k->closed_ring);
		k->closed_step = agrp_xrealloc(k->closed_step, cap * sizeof *k->closed_step);
		memset(k->closed_ring + k->closed_cap, 0,
		       (cap - k->closed_cap) * sizeof *k->closed_ring);
		k->closed_cap = cap;
	}
	if (k->closed_ring[slot] != NULL) {
		agrp_map_del(&k->closed, k->closed_ring[slot]);
		free(k->closed_ring[slot]);
	}
	k->closed_ring[slot] = agrp_xstrdup(id);
	k->closed_step[slot] = final_step;
	/* the slot, not a pointer into an array that may move */
	agrp_map_put(&k->closed, id, (void *)(intptr_t)(slot + 1));
}

static void
close_trace(agr_checker *k, agrp_trace *t, bool has_final)
{
	for (size_t i = 0; i < k->cs->n; i++) {
		const agrp_contract *c = &k->cs->c[i];
		agrp_cstate *s = &t->cs[i];

		if (c->type >= AGRP_BI_WELL_FORMED)
			agrp_builtin_end(k, c, s, t, has_final);
		else
			user_end(k, c, s);
		if (c->type == AGRP_BI_WELL_FORMED && k->every_problem)
			continue;
		agrp_check_emit(k, t, c, !s->decided, s->fail, s->reason);
	}
	agrp_map_del(&k->traces, t->id);
	if (t->prev)
		t->prev->next = t->next;
	else
		k->first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		k->last = t->prev;
	if (has_final && !k->runs_apart)
		remember_closed(k, t->id, t->last.step);
	trace_free(k, t);
}

static agrp_trace *
open_trace(agr_checker *k, const char *id)
{
	agrp_trace *t = agrp_xcalloc(1, sizeof *t);
	intptr_t closed = (intptr_t)agrp_map_get(&k->closed, id);

	t->id = agrp_xstrdup(id);
	t->reopened_after = closed ? k->closed_step[closed - 1] : -1;
	t->cs = agrp_xcalloc(k->cs->n, sizeof *t->cs);
	for (size_t i = 0; i < k->cs->n; i++)
		t->cs[i].last_step = -1;
	t->prev = k->last;
	if (k->last)
		k->last->next = t;
	else
		k->first = t;
	k->last = t;
	agrp_map_put(&k->traces, id, t);
	return t;
}

bool
agr_checker_feed(agr_checker *k, const agr_record *rec, agr_error *err)
{
	agrp_common common;
	const char *id;
	agrp_rinfo ri = { rec,
		          NULL,
		          NULL,
		          NULL,
		          NULL,
		          NULL,
		          NULL,
		          -1,
		          agr_record_source(rec),
		          agr_record_line(rec) };

	if (agrp_reference()) {
		const json_t *j = agr_record_json(rec), *step = json_object_get(j, "step");

		ri.j = j;
		id = agr_json_str(j, "trace");
		ri.kind = agr_json_str(j, "kind");
		ri.tool = agr_json_str(j, "tool");
		ri.status = agr_json_str(j, "status");
		ri.id = agr_json_str(j, "id");
		ri.call = agr_json_str(j, "call");
		ri.step = json_is_integer(step) ? (long)json_integer_value(step) : -1;
	} else {
		agrp_record_common(rec, &common);
		id = common.trace;
		ri.kind = common.kind;
		ri.tool = common.tool;
		ri.status = common.status;
		ri.id = common.id;
		ri.call = common.call;
		ri.step = common.step;
	}
	agrp_trace *t;

	if (id == NULL)
		id = "";
	if ((t = agrp_map_get(&k->traces, id)) == NULL)
		t = open_trace(k, id);
	t->last = agrp_check_at(&ri);
	for (size_t i = 0; i < k->cs->n; i++) {
		const agrp_contract *c = &k->cs->c[i];

		if (t->cs[i].decided)
			continue;
		if (c->type >= AGRP_BI_WELL_FORMED)
			agrp_builtin_record(k, c, &t->cs[i], t, &ri);
		else
			user_record(k, c, &t->cs[i], &ri);
	}
	if (k->open > k->max_open) {
		char d[200];

		agrp_check_describe(d, sizeof d, &ri);
		agrp_error_set(
		    err, ri.source, ri.line, 0,
		    "more than %zu open obligations at %s of trace '%s' (raise --max-open)",
		    k->max_open, d, id);
		return false;
	}
	if (agrp_check_kind_is(&ri, "final"))
		close_trace(k, t, true);
	return true;
}

void
agr_checker_finish(agr_checker *k)
{
	while (k->first != NULL)
		close_trace(k, k->first, false);
}
