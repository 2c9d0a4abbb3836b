/*
 * replay.c - the router driven by a recording instead of the world.
 *
 * A recording keeps what a trace said the world answered: the n-th call
 * of tool X gets the n-th recorded result of X, health records come
 * back after as many results as they did, and a fault record that
 * caused a result is written again before it.  Everything else is the
 * router's own decision, made again by the same state machine that
 * agraph-route runs: there is no second copy of its logic here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_int.h"

/* ---- replaying ------------------------------------------------------ */

/* Where a replay stands: what it needs of the recording to go on. */
typedef enum phase {
	PH_START,  /* the health records before anything */
	PH_NEXT,   /* nothing: the router's next event */
	PH_CALL,   /* a call is out: the health records before its answer */
	PH_ANSWER, /* the answer */
	PH_AFTER,  /* the health records after it */
	PH_DONE,   /* the final record is out */
} phase;

typedef struct run {
	const agr_recording *rc;
	agr_recording *live; /* rc, when it is replayed as it is read (it is added to): else NULL */
	const agr_replay_opts *o;
	agr_router *r;
	long *cursor;                     /* per node: its next answer, or -1 */
	const agr_replay_fault **planned; /* per node: its planned fault, or NULL */
	size_t hi;                        /* the next health record to give */
	long given;                       /* results given */
	phase ph;
	int tool; /* the call out */
	long call;
	agr_write_fn out;
	void *ctx;
	agrp_buf buf;
	agr_replay_info *info;
	json_t *unrecorded;
} run;

/* Whether all that will be known of the recording is: the records that
 * have not come never will. */
static bool
all_known(const run *x)
{
	return x->live == NULL || x->live->complete;
}

/* Whether every health record up to pos (as health.pos counts) is known:
 * a record added from now on comes later in the run. */
static bool
health_known(const run *x, long pos)
{
	const agr_recording *rc = x->rc;

	return all_known(x) || 2 * rc->nresults + (rc->ncalls > rc->nresults) > pos;
}

/* The recorded faults of the record that comes next (take_fault()). */
static void
give_faults(run *x, int tool, const json_t *faults)
{
	for (size_t i = 0; i < json_array_size(faults); i++)
		agr_router_fault(x->r, tool, json_array_get(faults, i));
}

static void
give_health(run *x, long pos)
{
	const agr_recording *rc = x->rc;

	for (; x->hi < rc->nhl && rc->hl[x->hi].pos <= pos; x->hi++) {
		const health *h = &rc->hl[x->hi];

		give_faults(x, h->tool, h->fault);
		agr_router_health(x->r, h->tool, h->status, h->extra);
		if (x->live != NULL) { /* the router holds what it keeps */
			health *given = &x->live->hl[x->hi];

			json_decref(given->extra);
			json_decref(given->fault);
			given->extra = given->fault = NULL;
		}
	}
	if (x->live != NULL && x->hi == rc->nhl)
		x->hi = x->live->nhl = 0;
}

static json_t *
fault_fields(agr_fault_kind kind)
{
	json_t *f = json_object();

	/* a planted fault is named as the status it gives: error, timeout, down */
	json_object_set_new(f, "fault", json_string(agr_fault_kind_name(kind)));
	return f;
}

/* The recording's next answer for tool, taken, or NULL; replayed as read,
 * the caller gives it back (give_back()) when the router has it. */
static answer *
next_answer(run *x, int tool)
{
	answer *an;

	if (x->cursor[tool] < 0)
		return NULL;
	an = &x->rc->ans[x->cursor[tool]];
	x->cursor[tool] = an->next;
	return an;
}

static void
give_back(run *x, int tool, answer *an)
{
	agr_recording *rc = x->live;

	if (rc == NULL || an == NULL)
		return;
	/* cursor is rc->first: the answers not given yet */
	if (rc->first[tool] < 0)
		rc->last[tool] = -1;
	agrp_drop_answer(an);
	memset(an, 0, sizeof *an);
	an->next = rc->free_ans;
	rc->free_ans = an - rc->ans;
	rc->waiting--;
}

/* The answer to the call that is out. */
static void
answer_call(run *x)
{
	const agr_replay_opts *o = x->o;
	const agr_graph *g = x->rc->g;
	const char *name = agr_graph_node_name(g, x->tool);
	const agr_replay_fault *pf = x->planned[x->tool];
	answer *an = next_answer(x, x->tool);
	const char *cls = NULL, *msg = NULL;
	agr_result_status st = AGR_RESULT_OK;
	char text[600]; /* the router copies it */

	if (o->world != NULL)
		st = agr_world_call(o->world, x->tool, &cls, &msg);
	x->given++;
	if (pf != NULL && pf->kind != AGR_FAULT_DOWN) {
		json_t *f = fault_fields(pf->kind);

		agr_router_fault(x->r, x->tool, f);
		json_decref(f);
		snprintf(text, sizeof text, "%s failed (injected by %s)", name,
		         o->fault_origin ? o->fault_origin : "a planned fault");
		bool timeout = pf->kind == AGR_FAULT_TIMEOUT;

		agr_router_result(x->r, x->call, timeout ? AGR_RESULT_TIMEOUT : AGR_RESULT_ERROR,
		                  timeout ? "timeout" : "injected", text, false, NULL);
	} else if (pf != NULL) {
		/* A policy that does not heed health calls a down tool anyway. */
		snprintf(text, sizeof text, "%s is down (injected by %s)", name,
		         o->fault_origin ? o->fault_origin : "a planned fault");
		agr_router_result(x->r, x->call, AGR_RESULT_ERROR, "unavailable", text, false,
		                  NULL);
	} else if (st != AGR_RESULT_OK) {
		agr_router_result(x->r, x->call, st, cls, msg, false, NULL);
	} else if (an != NULL) {
		if (an->len > 0) { /* read again, as it was when it came */
			agr_error e;

			an->rec = json_loadb(an->text, an->len, JSON_ALLOW_NUL, NULL);
			if (an->rec == NULL || !agrp_read_answer(an->rec, &an->a, &e))
				abort(); /* it was read so once */
		}
		give_faults(x, x->tool, an->fault);
		agr_router_result(x->r, x->call, an->a.status, an->a.error_class, an->a.message,
		                  an->a.retryable, an->a.extra);
	} else {
		x->info->unrecorded += o->missing != AGR_MISSING_SUCCEED;
		if (x->unrecorded == NULL) {
			x->unrecorded = json_object();
			json_object_set_new(x->unrecorded, "unrecorded", json_true());
		}
		switch (o->missing) {
		case AGR_MISSING_SUCCEED:
			agr_router_result(x->r, x->call, AGR_RESULT_OK, NULL, NULL, false, NULL);
			break;
		case AGR_MISSING_OK:
			agr_router_result(x->r, x->call, AGR_RESULT_OK, NULL, NULL, false,
			                  x->unrecorded);
			break;
		case AGR_MISSING_ERROR:
			agr_router_result(x->r, x->call, AGR_RESULT_ERROR, "unrecorded",
			                  "no recorded result for this call", false, x->unrecorded);
			break;
		case AGR_MISSING_STOP:
			snprintf(text, sizeof text,
			         "the recording has no result for call c%ld of %s", x->call, name);
			agr_router_abort(x->r, AGR_FINAL_UNKNOWN, text);
			break;
		}
	}
	give_back(x, x->tool, an);
}

static run *
run_new(const agr_recording *rc, agr_recording *live, const agr_replay_opts *o, agr_write_fn out,
        void *ctx, agr_replay_info *info)
{
	agr_router_opts ro = o->router;
	size_t n = agr_graph_node_count(rc->g);
	run *x = agrp_xcalloc(1, sizeof *x);

	x->rc = rc;
	x->live = live;
	x->o = o;
	x->out = out;
	x->ctx = ctx;
	x->info = info;
	memset(info, 0, sizeof *info);
	if (ro.trace == NULL)
		ro.trace = rc->trace;
	if (ro.input == NULL)
		ro.input = rc->input;
	x->r = agr_router_new(rc->g, &ro);
	if (live != NULL) {
		x->cursor = live->first; /* taken as they come, each once */
	} else {
		x->cursor = agrp_xmalloc((n ? n : 1) * sizeof *x->cursor);
		memcpy(x->cursor, rc->first, n * sizeof *x->cursor);
	}
	/* A tool's planned fault looked up once, not in the list for every call:
	 * the first one that names it, as before. */
	x->planned = agrp_xcalloc(n ? n : 1, sizeof *x->planned);
	for (size_t i = o->nfaults; i-- > 0;)
		if (o->faults[i].tool >= 0 && (size_t)o->faults[i].tool < n)
			x->planned[o->faults[i].tool] = &o->faults[i];
	for (size_t i = 0; i < o->nfaults; i++)
		if (o->faults[i].kind == AGR_FAULT_DOWN) {
			json_t *f = fault_fields(AGR_FAULT_DOWN);

			agr_router_fault(x->r, o->faults[i].tool, f);
			agr_router_health(x->r, o->faults[i].tool, AGR_HEALTH_DOWN, NULL);
			json_decref(f);
		}
	if (o->world != NULL)
		agr_world_report_down(o->world, x->r);
	return x;
}

static void
run_free(run *x)
{
	if (x == NULL)
		return;
	json_decref(x->unrecorded);
	free(x->buf.p);
	if (x->live == NULL)
		free(x->cursor);
	free(x->planned);
	agr_router_free(x->r);
	free(x);
}

/* Drives the router as far as what the recording knows lets it: to the
 * final record, when all is known. */
static void
run_on(run *x)
{
	agr_event ev;

	for (;;) {
		switch (x->ph) {
		case PH_START:
			if (!health_known(x, 0))
				return;
			give_health(x, 0);
			x->ph = PH_NEXT;
			break;
		case PH_NEXT:
			if (!agr_router_next(x->r, &ev)) {
				x->ph = PH_DONE;
				break;
			}
			if (x->o->on_event != NULL)
				x->o->on_event(x->o->event_ctx, &ev);
			x->buf.n = 0;
			agrp_event_bytes(agr_router_graph(x->r), agrp_router_trace(x->r), &ev,
			                 &x->buf);
			x->out(x->ctx, x->buf.p, x->buf.n);
			x->info->records++;
			if (ev.kind == AGR_EV_FINAL) {
				x->info->final = ev.final_status;
			} else if (ev.kind == AGR_EV_CALL) {
				x->tool = ev.tool;
				x->call = ev.call;
				x->ph = PH_CALL;
			}
			break;
		case PH_CALL:
			if (!health_known(x, 2 * x->given + 1))
				return;
			give_health(x, 2 * x->given + 1);
			/* a health change may have ended the run */
			x->ph = agr_router_waiting(x->r) == 0 ? PH_NEXT : PH_ANSWER;
			break;
		case PH_ANSWER:
			if (!all_known(x) && x->cursor[x->tool] < 0)
				return;
			answer_call(x);
			x->ph = PH_AFTER;
			break;
		case PH_AFTER:
			if (!health_known(x, 2 * x->given))
				return;
			give_health(x, 2 * x->given);
			x->ph = PH_NEXT;
			break;
		case PH_DONE:
			return;
		}
	}
}

void
agr_replay_run(const agr_recording *rc, const agr_replay_opts *o, agr_write_fn out, void *ctx,
               agr_replay_info *info)
{
	agr_replay_info scratch;
	run *x = run_new(rc, NULL, o, out, ctx, info ? info : &scratch);

	run_on(x);
	run_free(x);
}

/* ---- checking a replay against its recording ------------------------ */

/* Records as bytes, one after another, each after its length. */
static void
queue_add(agrp_buf *q, const char *bytes, size_t len)
{
	agrp_buf_add(q, &len, sizeof len);
	agrp_buf_add(q, bytes, len);
}

static bool
queue_next(const agrp_buf *q, size_t *at, const char **bytes, size_t *len)
{
	if (*at >= q->n)
		return false;
	memcpy(len, q->p + *at, sizeof *len);
	*bytes = q->p + *at + sizeof *len;
	*at += sizeof *len + *len;
	return true;
}

typedef struct cmp {
	const agr_recording *rc;
	size_t at;       /* the next log entry to compare */
	agrp_buf ahead;  /* the replayed records not yet compared */
	size_t ahead_at; /* where in it the first of them is */
	bool differ;
	agr_divergence *d;
} cmp;

/* The next recorded record that the router writes, or NULL: *wait when one
 * may still come, or a fault record before it may still be named. */
static const agr_record *
recorded_next(cmp *c, bool all_known, bool *wait)
{
	const agr_recording *rc = c->rc;

	*wait = false;
	for (; c->at < rc->nlog; c->at++) {
		if (rc->routing[c->at] == ROUTING)
			return rc->log[c->at];
		if (rc->routing[c->at] == FAULT_UNTAKEN && !all_known) {
			*wait = true;
			return NULL;
		}
	}
	*wait = !all_known;
	return NULL;
}

static void
differ_at(cmp *c, const agr_record *recorded, const char *bytes, size_t len)
{
	c->differ = true;
	c->d->recorded = recorded;
	if (bytes != NULL) {
		c->d->replayed = memcpy(agrp_xmalloc(len + 1), bytes, len);
		c->d->replayed[len] = '\0';
		c->d->replayed_len = len;
	}
}

/* Compares what both sides have; ran_out once the replay has ended. */
static void
compare_on(cmp *c, bool all_known, bool ran_out)
{
	while (!c->differ) {
		bool wait;
		const agr_record *rec = recorded_next(c, all_known, &wait);
		const char *bytes, *rb;
		size_t len, rlen, next = c->ahead_at;

		if (!queue_next(&c->ahead, &next, &bytes, &len)) {
			c->ahead.n = c->ahead_at = 0;
			if (ran_out && rec != NULL)
				differ_at(c, rec, NULL, 0); /* the recording goes on */
			return;
		}
		if (wait)
			return;
		if (rec == NULL) { /* the recording ends before the replay */
			differ_at(c, NULL, bytes, len);
			return;
		}
		rb = agr_record_bytes(rec, &rlen);
		if (rlen != len || memcmp(rb, bytes, len) != 0) {
			differ_at(c, rec, bytes, len);
			return;
		}
		c->at++;
		c->ahead_at = next;
	}
}

static void
compare_one(void *ctx, const char *bytes, size_t len)
{
	cmp *c = ctx;

	if (!c->differ)
		queue_add(&c->ahead, bytes, len);
}

bool
agr_replay_check(const agr_recording *rc, const agr_replay_opts *o, agr_divergence *d,
                 agr_replay_info *info)
{
	cmp c = { .rc = rc, .d = d };
	agr_replay_info scratch;
	run *x;

	memset(d, 0, sizeof *d);
	x = run_new(rc, NULL, o, compare_one, &c, info ? info : &scratch);
	run_on(x);
	compare_on(&c, true, true);
	run_free(x);
	free(c.ahead.p);
	return !c.differ;
}

/* ---- replaying as the records come ------------------------------------ */

/*
 * A recording replayed as it is read keeps only what its replay has not
 * used: the answers not given yet, and for a check the records not yet
 * compared; once the replay has ended (or differs), nothing.  What the
 * replay writes waits in out for the trace to be handed over, so that
 * traces come out whole and in the order a recorder hands them over.
 */
typedef struct agrp_as_read as_read;

struct agrp_as_read {
	const agr_replay_opts *o;
	bool check;
	run *x;       /* from the first record on, until it is over */
	agrp_buf out; /* the replay's records, not a check's */
	cmp c;
	agr_divergence d;
	agr_record *differs; /* d.recorded, kept when the log is let go */
	agr_replay_info info;
};

static void
keep_replayed(void *ctx, const char *bytes, size_t len)
{
	queue_add(&((as_read *)ctx)->out, bytes, len);
}

static void
compare_live(void *ctx, const char *bytes, size_t len)
{
	compare_one(&((as_read *)ctx)->c, bytes, len);
}

static void live_on(agr_recording *rc);
static void live_free(as_read *L);

void
agr_recording_replay_as_read(agr_recording *rc, const agr_replay_opts *o, bool check)
{
	as_read *L = agrp_xcalloc(1, sizeof *L);

	L->o = o;
	L->check = check;
	rc->live_whole = agrp_reference();
	L->c.rc = rc;
	L->c.d = &L->d;
	rc->live = L;
	rc->live_on = live_on;
	rc->live_free = live_free;
	rc->answers_only = !check;
}

/* Replays what has come; lets go of what is used. */
static void
live_on(agr_recording *rc)
{
	as_read *L = rc->live;

	if (rc->live_over || rc->live_whole)
		return;
	/* Before the first result a replay can go no further than its first
	 * call: a router is made when there is more to do, not for each trace
	 * that is open. */
	if (L->x == NULL && rc->nresults == 0 && !rc->complete)
		return;
	if (L->x == NULL)
		L->x = run_new(rc, rc, L->o, L->check ? compare_live : keep_replayed, L, &L->info);
	run_on(L->x);
	if (L->check && !L->c.differ) {
		compare_on(&L->c, rc->complete, L->x->ph == PH_DONE);
		if (L->c.differ) {
			/* Nothing more is compared: the records go, but the one that
			 * differs; the replay runs on, for the world's sake. */
			if (L->d.recorded != NULL) {
				L->differs = rc->log[L->c.at];
				rc->log[L->c.at] = NULL;
			}
			agrp_recording_forget_log(rc, rc->nlog);
			rc->answers_only = true;
			free(L->c.ahead.p);
			L->c.ahead = (agrp_buf){ 0 };
		} else if (L->c.at > 0 && (L->c.at >= 64 || L->c.at == rc->nlog)) {
			agrp_recording_forget_log(rc, L->c.at);
			L->c.at = 0;
		}
	}
	if (L->x->ph == PH_DONE && (!L->check || L->c.differ || rc->complete)) {
		rc->live_over = true;
		run_free(L->x);
		L->x = NULL;
		agrp_recording_forget_world(rc);
		agrp_recording_forget_log(rc, rc->nlog);
	}
}

static void
live_free(as_read *L)
{
	if (L == NULL)
		return;
	run_free(L->x);
	free(L->out.p);
	free(L->c.ahead.p);
	free(L->d.replayed);
	agr_record_free(L->differs);
	free(L);
}

static void
live_complete(agr_recording *rc)
{
	as_read *L = rc->live;

	if (rc->complete)
		return;
	rc->complete = true;
	if (!rc->live_whole)
		live_on(rc);
	else if (L->check)
		L->c.differ = !agr_replay_check(rc, L->o, &L->d, &L->info);
	else
		agr_replay_run(rc, L->o, keep_replayed, L, &L->info);
}

void
agr_recording_replayed(agr_recording *rc, agr_write_fn out, void *ctx, agr_replay_info *info)
{
	const char *bytes;
	size_t len, at = 0;

	live_complete(rc);
	while (queue_next(&rc->live->out, &at, &bytes, &len))
		out(ctx, bytes, len);
	if (info != NULL)
		*info = rc->live->info;
}

bool
agr_recording_checked(agr_recording *rc, agr_divergence *d, agr_replay_info *info)
{
	as_read *L;

	live_complete(rc);
	L = rc->live;
	*d = L->d;
	L->d.replayed = NULL; /* the caller's now */
	if (info != NULL)
		*info = L->info;
	return !L->c.differ;
}
