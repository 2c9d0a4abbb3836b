/*
 * checker.c - contracts checked as the records stream by: each record is
 * read once (its common fields) and handed to every contract of its trace,
 * the user contracts' scopes and patterns here, the built-ins to
 * builtins.c; a trace's verdicts are given when it is over.
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
 * trace is checked as it streams.  One trace id is one trace: records
 * after its final belong to it.  So a trace that has ended is held, its
 * verdicts not yet given, until the input ends or AGRP_HELD traces have
 * ended after it; then its verdicts are given, and only a
 * fingerprint of its id is kept (the last AGRP_GONE of them), so that a
 * record of it that comes later still is an error, not a new trace.
 * The patterns live in this file, not apart, so that the loop over a
 * record's contracts calls them without a call between files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

agr_checker *
agr_checker_new(const agr_contracts *cs, size_t max_open, agr_verdict_fn fn, void *ctx)
{
	agr_checker *k = agrp_xcalloc(1, sizeof *k);

	k->cs = cs;
	k->max_open = max_open ? max_open : AGR_DEFAULT_MAX_OPEN;
	k->fn = fn;
	k->ctx = ctx;
	for (size_t i = 0; i < cs->n; i++) {
		k->calls |= cs->c[i].type == AGRP_BI_ANSWERED ||
		            cs->c[i].type == AGRP_BI_OBSERVABLE ||
		            cs->c[i].type == AGRP_BI_NO_REPEAT;
		k->whole |= cs->c[i].type >= AGRP_BI_WELL_FORMED;
	}
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

size_t
agr_checker_forgotten(const agr_checker *k)
{
	return k->gone.forgotten;
}

static void
cstate_free(agr_checker *k, agrp_cstate *s)
{
	if (s->note != NULL) {
		free(s->note->reason);
		free(s->note->pend_reason);
		free(s->note);
	}
	if (s->type >= AGRP_BI_WELL_FORMED) {
		agrp_check_tools_clear(k, s);
		return;
	}
	agrp_check_obligations_clear(k, s);
	agr_record_free(s->opener);
}

static void
calls_free(agr_checker *k, agrp_trace *t)
{
	if (t->calls == NULL)
		return;
	for (size_t i = 0; i < t->calls->cap; i++)
		for (agrp_call *c = t->calls->slots[i].val, *below; t->calls->slots[i].key && c;
		     c = below) {
			below = c->below;
			free(c->tool);
			free(c);
		}
	agrp_map_free(t->calls);
	free(t->calls);
	t->calls = NULL;
	k->open -= t->ncalls;
	t->ncalls = 0;
}

static void
trace_free(agr_checker *k, agrp_trace *t)
{
	for (size_t i = 0; i < k->cs->n; i++)
		cstate_free(k, &t->cs[i]);
	calls_free(k, t);
	free(t);
}

void
agr_checker_free(agr_checker *k)
{
	if (k == NULL)
		return;
	while (k->efirst != NULL) {
		agrp_trace *t = k->efirst;

		k->efirst = t->next;
		trace_free(k, t);
	}
	while (k->first != NULL) {
		agrp_trace *t = k->first;

		k->first = t->next;
		trace_free(k, t);
	}
	agrp_u64map_free(&k->traces);
	agrp_gone_free(&k->gone);
	agr_record_free(k->trigger);
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
		agrp_check_note(s)->pend = agrp_check_at(ri);
		s->note->pend_reason = reason;
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
open_interval(const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	s->active = true;
	if (c->type == AGRP_PAT_EVENTUALLY)
		s->start = agrp_check_at(ri);
	agr_record_free(s->opener);
	s->opener = agrp_keep_record(&c->opener, ri->rec);
}

static void
reset_interval(agr_checker *k, agrp_cstate *s)
{
	s->active = false;
	s->found = s->seen_first = false;
	if (s->type == AGRP_PAT_BOUNDED)
		s->count = 0;
	s->pending = false;
	if (s->note != NULL) {
		free(s->note->pend_reason);
		s->note->pend_reason = NULL;
	}
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
		agrp_where w = s->note->pend;

		w.step = closer->step;
		agrp_check_fail(k, s, w, "%s%s", s->note->pend_reason, how);
	} else if (c->type == AGRP_PAT_EVENTUALLY && !s->found) {
		if (closer != NULL)
			agrp_check_fail(k, s, agrp_check_at(closer),
			                "no record from step %ld satisfies '%s'%s", s->start.step,
			                c->p_text, how);
		else
			agrp_check_fail(k, s, s->start, "no record from step %ld on satisfies '%s'",
			                s->start.step, c->p_text);
	} else if (c->type == AGRP_PAT_RESPONSE && s->obs != NULL && s->obs->n > 0) {
		const agrp_ob *o = s->obs->first;
		/* Certain when R closes the scope; left open at the end: the trigger. */
		agrp_where w = { closer ? closer->step : o->step, o->source, o->line };

		agrp_check_fail(k, s, w,
		                "step %ld satisfies '%s' but no later record satisfies '%s'%s",
		                o->step, c->p_text, c->s_text, how);
	}
	reset_interval(k, s);
}

/* ---- response: obligations, in the order they came and by key ------- */

/* The few keyed obligations into buckets, for good. */
static void
index_few(agrp_obs *o)
{
	agrp_ob *ob = o->few;

	o->buckets = agrp_xcalloc(1, sizeof *o->buckets);
	o->few = NULL;
	o->nfew = 0;
	for (agrp_ob *next; ob != NULL; ob = next) {
		next = ob->bnext;
		ob->bprev = NULL;
		ob->bnext = agrp_u64map_get(o->buckets, ob->key);
		if (ob->bnext)
			ob->bnext->bprev = ob;
		agrp_u64map_put(o->buckets, ob->key, ob);
	}
}

static void
add_obligation(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	agrp_obs *o = s->obs;
	size_t len = agrp_keep_bytes(&c->trigger, ri->rec, NULL);
	agrp_ob *ob = agrp_xcalloc(1, sizeof *ob + len + 1);

	if (o == NULL)
		o = s->obs = agrp_xcalloc(1, sizeof *o);
	ob->tlen = agrp_keep_bytes(&c->trigger, ri->rec, ob->trigger);
	ob->step = ri->step;
	ob->source = ri->source;
	ob->line = ri->line;
	ob->prev = o->last;
	if (o->last)
		o->last->next = ob;
	else
		o->first = ob;
	o->last = ob;
	/* Filed under the value $trigger.Y will have, or apart. */
	if (c->plan == AGRP_PLAN_INDEX && agrp_index_key(c, ri->rec, true, &ob->key)) {
		if (o->buckets == NULL && o->nfew == AGRP_FEW_KEYED)
			index_few(o);
		if (o->buckets != NULL) {
			ob->bnext = agrp_u64map_get(o->buckets, ob->key);
			agrp_u64map_put(o->buckets, ob->key, ob);
		} else {
			ob->bnext = o->few;
			o->few = ob;
			o->nfew++;
		}
	} else {
		ob->bnext = o->apart;
		o->apart = ob;
	}
	if (ob->bnext)
		ob->bnext->bprev = ob;
	o->n++;
	k->open++;
}

static void
drop_obligation(agr_checker *k, agrp_obs *o, agrp_ob *ob)
{
	if (ob->prev)
		ob->prev->next = ob->next;
	else
		o->first = ob->next;
	if (ob->next)
		ob->next->prev = ob->prev;
	else
		o->last = ob->prev;
	if (ob->bnext)
		ob->bnext->bprev = ob->bprev;
	if (ob->bprev)
		ob->bprev->bnext = ob->bnext;
	else if (ob->key == 0)
		o->apart = ob->bnext;
	else if (o->buckets == NULL)
		o->few = ob->bnext;
	else if (ob->bnext)
		agrp_u64map_put(o->buckets, ob->key, ob->bnext);
	else
		agrp_u64map_del(o->buckets, ob->key);
	if (ob->key != 0 && o->buckets == NULL)
		o->nfew--;
	free(ob);
	o->n--;
	k->open--;
}

/* Whether the record meets S of the obligation: its trigger is read
 * again from the bytes it keeps (an object of the fields S reads). */
static bool
test_obligation(agr_checker *k, const agrp_contract *c, const agrp_rinfo *ri, const agrp_ob *ob)
{
	if (ob->tlen == 0)
		return test(c->s, ri, NULL);
	if (k->trigger == NULL)
		k->trigger = agr_record_new();
	/* bytes of a record the reader passed: no need to scan them again */
	agrp_record_set_valid(k->trigger, ob->trigger, ob->tlen, ob->source, ob->line);
	return test(c->s, ri, k->trigger);
}

/* Tests the obligations of a list (a bucket, the few, or those apart)
 * against S: those of the key only, unless it is 0. */
static void
close_listed(agr_checker *k, const agrp_contract *c, agrp_obs *o, agrp_ob *ob, uint64_t key,
             const agrp_rinfo *ri)
{
	for (agrp_ob *next; ob != NULL; ob = next) {
		next = ob->bnext;
		if ((key == 0 || ob->key == key) && test_obligation(k, c, ri, ob))
			drop_obligation(k, o, ob);
	}
}

/* The obligations the record satisfies are met. */
static void
close_obligations(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	agrp_obs *o = s->obs;
	uint64_t key;

	switch (c->plan) {
	case AGRP_PLAN_ONCE:
		if (test(c->s, ri, NULL))
			agrp_check_obligations_clear(k, s);
		break;
	case AGRP_PLAN_INDEX:
		/* X of an object or array equals no value with a key */
		if (agrp_index_key(c, ri->rec, false, &key))
			close_listed(k, c, o,
			             o->buckets != NULL ? agrp_u64map_get(o->buckets, key) : o->few,
			             key, ri);
		close_listed(k, c, o, o->apart, 0, ri);
		break;
	case AGRP_PLAN_SCAN:
		close_listed(k, c, o, o->apart, 0, ri);
		break;
	}
}

/* Steps apart by more than n, without overflow for any two steps. */
static bool
past(long step, long since, long n)
{
	return step > since && (unsigned long)step - (unsigned long)since > (unsigned long)n;
}

static void
response(agr_checker *k, const agrp_contract *c, agrp_cstate *s, const agrp_rinfo *ri)
{
	char d[200];

	/* The oldest open obligation has the first deadline. */
	if (c->within >= 0 && s->obs != NULL && s->obs->n > 0 &&
	    past(ri->step, s->obs->first->step, c->within)) {
		agrp_check_describe(d, sizeof d, ri);
		violate(k, c, s, ri,
		        "step %ld satisfies '%s' but no record within %ld steps "
		        "satisfies '%s' (%s is past it)",
		        s->obs->first->step, c->p_text, c->within, c->s_text, d);
		if (s->decided || s->pending)
			return;
	}
	if (s->obs != NULL && s->obs->n > 0)
		close_obligations(k, c, s, ri);
	if (test(c->p, ri, s->opener))
		add_obligation(k, c, s, ri);
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
	case AGRP_PAT_RESPONSE:
		response(k, c, s, ri);
		break;
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
			open_interval(c, s, ri);
		break;
	case AGRP_SC_AFTER:
		if (!s->active && test(c->q, ri, NULL))
			open_interval(c, s, ri);
		break;
	case AGRP_SC_BEFORE:
		if (s->done)
			return;
		if (test(c->r, ri, NULL)) {
			if (!s->active)
				open_interval(c, s, ri);
			close_interval(k, c, s, ri);
			s->done = true;
			return;
		}
		if (!s->active)
			open_interval(c, s, ri);
		break;
	case AGRP_SC_BETWEEN:
	case AGRP_SC_UNTIL:
		if (s->active && test(c->r, ri, NULL)) {
			close_interval(k, c, s, ri);
			return;
		}
		if (!s->active && test(c->q, ri, NULL) && !test(c->r, ri, NULL))
			open_interval(c, s, ri);
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

/* ---- open calls, for the built-ins that follow calls ---------------- */

/* A result: the tool of the call it answers, the nearest open with its id. */
static const char *
call_tool(const agrp_trace *t, const agrp_rinfo *ri)
{
	const agrp_call *c;

	if (ri->call == NULL || !agrp_check_kind_is(ri, "result") || t->calls == NULL ||
	    (c = agrp_map_get(t->calls, ri->call)) == NULL)
		return NULL;
	return c->tool;
}

/* After the contracts: a call opens, a result closes the call it answers. */
static void
follow_calls(agr_checker *k, agrp_trace *t, const agrp_rinfo *ri)
{
	agrp_call *c;

	if (agrp_check_kind_is(ri, "call") && ri->id != NULL) {
		c = agrp_xcalloc(1, sizeof *c);
		c->tool = ri->tool ? agrp_xstrdup(ri->tool) : NULL;
		c->step = ri->step;
		c->source = ri->source;
		c->line = ri->line;
		c->seq = t->seq++;
		if (t->calls == NULL)
			t->calls = agrp_xcalloc(1, sizeof *t->calls);
		c->below = agrp_map_get(t->calls, ri->id);
		agrp_map_put(t->calls, ri->id, c);
		t->ncalls++;
		k->open++;
	} else if (agrp_check_kind_is(ri, "result") && ri->call != NULL && t->calls != NULL &&
	           (c = agrp_map_get(t->calls, ri->call)) != NULL) {
		if (c->below)
			agrp_map_put(t->calls, ri->call, c->below);
		else
			agrp_map_del(t->calls, ri->call);
		free(c->tool);
		free(c);
		t->ncalls--;
		k->open--;
	}
}

/* ---- traces -------------------------------------------------------- */

static void
unlink_trace(agr_checker *k, agrp_trace *t)
{
	agrp_trace **first = t->ended ? &k->efirst : &k->first;
	agrp_trace **last = t->ended ? &k->elast : &k->last;

	if (t->prev)
		t->prev->next = t->next;
	else
		*first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		*last = t->prev;
	t->prev = t->next = NULL;
}

static void
append_trace(agrp_trace **first, agrp_trace **last, agrp_trace *t)
{
	t->prev = *last;
	if (*last)
		(*last)->next = t;
	else
		*first = t;
	*last = t;
}

/* The traces by a hash of their ids, each keeping its id once: a map
 * of strings would keep a second copy of every id. */
static uint64_t
trace_hash(const char *id)
{
	return agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, id, strlen(id)));
}

static agrp_trace *
find_trace(const agr_checker *k, const char *id)
{
	agrp_trace *t = agrp_u64map_get(&k->traces, trace_hash(id));

	while (t != NULL && strcmp(t->id, id) != 0)
		t = t->hnext;
	return t;
}

static void
forget_trace(agr_checker *k, agrp_trace *t)
{
	agrp_trace *head = agrp_u64map_get(&k->traces, t->hash);

	if (head == t) {
		if (t->hnext != NULL)
			agrp_u64map_put(&k->traces, t->hash, t->hnext);
		else
			agrp_u64map_del(&k->traces, t->hash);
		return;
	}
	while (head->hnext != t)
		head = head->hnext;
	head->hnext = t->hnext;
}

/* The trace is over: its verdicts, in the order of the contracts. */
static void
close_trace(agr_checker *k, agrp_trace *t, bool for_room)
{
	for (size_t i = 0; i < k->cs->n; i++) {
		const agrp_contract *c = &k->cs->c[i];
		agrp_cstate *s = &t->cs[i];

		if (c->type >= AGRP_BI_WELL_FORMED)
			agrp_builtin_end(k, c, s, t, t->ended);
		else
			user_end(k, c, s);
		if (c->type == AGRP_BI_WELL_FORMED && k->every_problem)
			continue;
		if (s->decided)
			agrp_check_emit(k, t, c, false, s->note->fail, s->note->reason);
		else
			agrp_check_emit(k, t, c, true, (agrp_where){ 0 }, NULL);
	}
	forget_trace(k, t);
	unlink_trace(k, t);
	if (t->ended && !k->runs_apart)
		k->nended--;
	if (for_room)
		agrp_gone_remember(&k->gone, t->id, t->final_step);
	trace_free(k, t);
}

static agrp_trace *
open_trace(agr_checker *k, const char *id)
{
	size_t len = strlen(id) + 1;
	/* the trace, its contracts' states and its id in one block */
	agrp_trace *t = agrp_xcalloc(1, sizeof *t + k->cs->n * sizeof *t->cs + len);

	t->id = memcpy((char *)(t->cs + k->cs->n), id, len);
	for (size_t i = 0; i < k->cs->n; i++)
		if ((t->cs[i].type = (unsigned char)k->cs->c[i].type) == AGRP_BI_WELL_FORMED)
			t->cs[i].last_step = -1;
	append_trace(&k->first, &k->last, t);
	t->hash = trace_hash(id);
	t->hnext = agrp_u64map_get(&k->traces, t->hash);
	agrp_u64map_put(&k->traces, t->hash, t);
	return t;
}

/* Its first final: the trace has ended, and is held for what may follow. */
static void
end_trace(agr_checker *k, agrp_trace *t)
{
	unlink_trace(k, t);
	t->ended = true;
	t->final_step = t->last.step;
	append_trace(&k->efirst, &k->elast, t);
	if (k->runs_apart)
		close_trace(k, t, false);
	else if (++k->nended > AGRP_HELD)
		close_trace(k, k->efirst, true);
}

static void
read_record(const agr_checker *k, const agr_record *rec, agrp_rinfo *ri, const char **id,
            agrp_common *common)
{
	ri->rec = rec;
	ri->source = agr_record_source(rec);
	ri->line = agr_record_line(rec);
	if (agrp_reference()) {
		const json_t *j = agr_record_json(rec), *step = json_object_get(j, "step");

		ri->j = j;
		*id = agr_json_str(j, "trace");
		ri->kind = agr_json_str(j, "kind");
		ri->tool = agr_json_str(j, "tool");
		ri->status = agr_json_str(j, "status");
		ri->id = agr_json_str(j, "id");
		ri->call = agr_json_str(j, "call");
		ri->step = json_is_integer(step) ? (long)json_integer_value(step) : -1;
	} else {
		/* the built-ins and the calls followed read all; patterns only
		 * these, and what describes a record reads the others */
		ri->partial = !k->whole;
		agrp_record_common_some(rec, common,
		                        k->whole ? AGRP_COMMON_ALL
		                                 : AGRP_COMMON_TRACE | AGRP_COMMON_KIND |
		                                       AGRP_COMMON_STEP);
		*id = common->trace;
		ri->kind = common->kind;
		ri->tool = common->tool;
		ri->status = common->status;
		ri->id = common->id;
		ri->call = common->call;
		ri->step = common->step;
	}
	if (*id == NULL)
		*id = "";
}

bool
agr_checker_feed(agr_checker *k, const agr_record *rec, agr_error *err)
{
	agrp_common common;
	const char *id;
	agrp_rinfo ri = { 0 };
	agrp_trace *t;

	read_record(k, rec, &ri, &id, &common);
	if ((t = find_trace(k, id)) == NULL) {
		const agrp_gone *gone = agrp_gone_find(&k->gone, id);

		if (gone != NULL && !k->runs_apart) {
			char *what = agrp_check_describe_text(&ri), *tid = agrp_text_clip(id, true);

			agrp_error_set(err, ri.source, ri.line, 0,
			               "%s of trace %s comes after its final record (step %ld), "
			               "but its verdicts are given: %d traces have ended since",
			               what, tid, gone->final_step, AGRP_HELD);
			free(what);
			free(tid);
			return false;
		}
		t = open_trace(k, id);
	}
	t->last = agrp_check_at(&ri);
	if (k->calls)
		ri.call_tool = call_tool(t, &ri);
	for (size_t i = 0; i < k->cs->n; i++) {
		const agrp_contract *c = &k->cs->c[i];

		if (t->cs[i].decided)
			continue;
		if (c->type >= AGRP_BI_WELL_FORMED)
			agrp_builtin_record(k, c, &t->cs[i], t, &ri);
		else
			user_record(k, c, &t->cs[i], &ri);
	}
	if (k->calls)
		follow_calls(k, t, &ri);
	if (k->open > k->max_open) {
		char *what = agrp_check_describe_text(&ri), *tid = agrp_text_clip(id, true);

		agrp_error_set(
		    err, ri.source, ri.line, 0,
		    "more than %zu open obligations at %s of trace %s (raise --max-open)",
		    k->max_open, what, tid);
		free(what);
		free(tid);
		return false;
	}
	if (agrp_check_kind_is(&ri, "final") && !t->ended)
		end_trace(k, t);
	return true;
}

void
agr_checker_finish(agr_checker *k)
{
	/* The ended in the order they ended, then the rest as they began. */
	while (k->efirst != NULL)
		close_trace(k, k->efirst, false);
	while (k->first != NULL)
		close_trace(k, k->first, false);
}
