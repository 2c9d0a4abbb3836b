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

#include "check/check_int.h"
#include "route/route_int.h"

/* As the checker's: agraph-replay(1) and agraph-trace(1) name both. */
#define AGRP_HELD 4096
#define AGRP_GONE 262144

typedef struct answer {
	int tool;      /* in the graph, or -1 */
	agrp_answer a; /* its strings live in rec, or in text */
	json_t *rec;   /* the result's tree, or NULL for a plain one */
	char *text;    /* a plain error's class and message, one after the other; or, */
	size_t len;    /* replayed as read, the bytes of a result not plain (a tree is
	                  ten times their size), read again when it is given */
	json_t *fault; /* fields of the fault records that caused it, in order, or NULL */
	long next;     /* the same tool's next answer, or -1 */
} answer;

static void
drop_answer(answer *an)
{
	json_decref(an->rec);
	json_decref(an->a.extra);
	json_decref(an->fault);
	free(an->text);
}

typedef struct health {
	long pos; /* 2 * results before it, + 1 when a call was out */
	int tool;
	agr_health_status status;
	json_t *extra, *fault;
} health;

typedef struct pending_fault {
	long step;
	long cause;     /* the fault before it, of the same record, or -1 */
	json_t *fields; /* NULL once a record has named it as its cause */
	size_t log;     /* its place in the log */
	long next;      /* the next pending fault of the same step, or -1 */
	long tail;      /* at the first of a step: the last of that step */
} pending_fault;

/* What a kept record is to the comparison of a replay with it. */
enum {
	NOT_ROUTING,   /* the router does not write it */
	ROUTING,       /* it does */
	FAULT_UNTAKEN, /* a fault record: the router writes it when a later record names it as
	                  its cause, so it waits for the trace to end */
};

typedef struct as_read as_read;
static bool live_over(const as_read *L);
static bool live_whole(const as_read *L);
static void live_on(agr_recording *rc);
static void live_free(as_read *L);

struct agr_recording {
	const agr_graph *g;
	char *trace;
	agr_record **log;       /* every record of the trace, in order; or, replayed as read, */
	unsigned char *routing; /* those not yet compared; what each is (NOT_ROUTING ...) */
	size_t nlog, caplog, caprouting;
	size_t log_base;   /* the place in the trace's log of log[0] */
	bool answers_only; /* keep no records: a replay that compares nothing */
	answer *ans;
	size_t nans, capans;
	long free_ans; /* replayed as read: an answer slot given and free, chained by next; or -1 */
	long *first, *last; /* per node: its first and last answer, or -1 */
	health *hl;
	size_t nhl, caphl;
	agrp_map calls; /* call id -> tool + 1, for results that name none */
	long ncalls, nresults;
	pending_fault *faults; /* every fault record, taken or not */
	size_t nfaults, capfaults;
	agrp_u64map fault_steps; /* step_key(step) -> its first pending fault + 1 */
	bool ended;
	long final_step; /* of its first final */
	size_t nseen;    /* records added */
	json_t *input;   /* the run's input, when its first record gave it */
	as_read *live;   /* its replay as it is read, or NULL */
	bool complete;   /* no record will be added: what has not come never will */
};

agr_recording *
agr_recording_new(const agr_graph *g, const char *trace)
{
	agr_recording *rc = agrp_xcalloc(1, sizeof *rc);
	size_t n = g ? agr_graph_node_count(g) : 0;

	rc->g = g;
	rc->trace = agrp_xstrdup(trace);
	rc->first = agrp_xmalloc((n ? n : 1) * sizeof *rc->first);
	rc->last = agrp_xmalloc((n ? n : 1) * sizeof *rc->last);
	for (size_t i = 0; i < n; i++)
		rc->first[i] = rc->last[i] = -1;
	rc->free_ans = -1;
	return rc;
}

void
agr_recording_free(agr_recording *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < rc->nlog; i++)
		agr_record_free(rc->log[i]);
	live_free(rc->live);
	for (size_t i = 0; i < rc->nans; i++)
		drop_answer(&rc->ans[i]);
	for (size_t i = 0; i < rc->nhl; i++) {
		json_decref(rc->hl[i].extra);
		json_decref(rc->hl[i].fault);
	}
	for (size_t i = 0; i < rc->nfaults; i++)
		json_decref(rc->faults[i].fields);
	agrp_map_free(&rc->calls);
	agrp_u64map_free(&rc->fault_steps);
	free(rc->log);
	free(rc->routing);
	free(rc->ans);
	free(rc->first);
	free(rc->last);
	free(rc->hl);
	free(rc->faults);
	free(rc->trace);
	json_decref(rc->input);
	free(rc);
}

const char *
agr_recording_trace(const agr_recording *rc)
{
	return rc->trace;
}

bool
agr_recording_ended(const agr_recording *rc)
{
	return rc->ended;
}

size_t
agr_recording_size(const agr_recording *rc)
{
	return rc->nlog;
}

const agr_record *
agr_recording_record(const agr_recording *rc, size_t i)
{
	return rc->log[i];
}

static bool
is_routing_kind(const char *kind)
{
	/* the kinds of the router's events, fault records aside (they count only
	 * when a record names one as its cause) */
	for (int k = AGR_EV_ROUTE; k <= AGR_EV_FINAL; k++)
		if (strcmp(kind, agr_kind_name((agr_kind)k)) == 0)
			return true;
	return strcmp(kind, agr_kind_name(AGR_EV_MODEL)) == 0 ||
	       strcmp(kind, agr_kind_name(AGR_EV_GOVERN)) == 0;
}

/* A step as a key of fault_steps: the map wants its keys well mixed (it
 * probes from their low bits), and the mix is one to one, so that no two
 * steps share a key; never 0, as step >= 0. */
static uint64_t
step_key(long step)
{
	return agrp_hash_done((uint64_t)step + 1);
}

/* The fault record at step, taken off the list: the first pending one of
 * that step, found through the index of steps, so that a record costs the
 * same however many faults wait.  NULL when there is none; *before is the
 * step of the fault it names as its cause, or -1. */
static json_t *
take_one_fault(agr_recording *rc, long step, long *before)
{
	uintptr_t first;
	pending_fault *f;
	json_t *fields;

	*before = -1;
	if (step < 0)
		return NULL; /* no fault has a negative step (add_fault) */
	first = (uintptr_t)agrp_u64map_get(&rc->fault_steps, step_key(step));
	if (first == 0)
		return NULL;
	f = &rc->faults[first - 1];
	fields = f->fields;
	f->fields = NULL;
	*before = f->cause;
	if (!rc->answers_only && f->log >= rc->log_base && f->log - rc->log_base < rc->nlog)
		rc->routing[f->log - rc->log_base] = ROUTING;
	if (f->next < 0) {
		agrp_u64map_del(&rc->fault_steps, step_key(step));
		if (rc->fault_steps.n == 0)
			rc->nfaults = 0; /* every one is taken: their room serves again */
	} else {
		rc->faults[f->next].tail = f->tail;
		agrp_u64map_put(&rc->fault_steps, step_key(step), (void *)(uintptr_t)(f->next + 1));
	}
	return fields;
}

/* The fault records that rec names as its cause, in the order they came:
 * the one its cause names, and those before it that each names in turn
 * (the faults of one record, as agr_router_fault() chains them).  An
 * array, or NULL when it names none. */
static json_t *
take_fault(agr_recording *rc, const json_t *rec)
{
	const json_t *cause = json_object_get(rec, "cause");
	json_t *all = NULL, *fields;
	long step = json_is_integer(cause) ? (long)json_integer_value(cause) : -1;

	while ((fields = take_one_fault(rc, step, &step)) != NULL) {
		if (all == NULL)
			all = json_array();
		json_array_insert_new(all, 0, fields);
	}
	return all;
}

/*
 * A result read without a tree: only the fields the router writes, and
 * ok, or an error object of exactly class, message (may be absent) and
 * retryable, in that order, which the router writes back the same from
 * its parts.  False when the record needs its tree.
 */
static bool
plain_answer(const agr_record *rec, const agrp_common *c, answer *an)
{
	static const char *const own[] = { "trace", "step",   "kind", "tool",
		                           "call",  "status", "error" };
	static const char *const parts[] = { "class", "message", "retryable" };
	const agrp_field *f;
	agrp_span err, key, val, str[2] = { { 0 } };
	size_t n, cursor = 0, part = 0;
	bool has_error = false, retryable = false;

	if (c->status == NULL)
		return false;
	f = agrp_record_fields(rec, &n);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < sizeof own / sizeof own[0] &&
		       !agrp_span_key_is(&f[i].key, own[k], strlen(own[k])))
			k++;
		if (k == sizeof own / sizeof own[0])
			return false;
		has_error |= k == 6;
	}
	if (strcmp(c->status, "ok") == 0 && !has_error) {
		an->a.status = AGR_RESULT_OK;
		return true;
	}
	if (!has_error || !agrp_record_field(rec, "error", &err) || err.type != 'o')
		return false;
	if (!agrp_result_status_from_name(c->status, &an->a.status) ||
	    an->a.status == AGR_RESULT_OK)
		return false;
	while (agrp_span_next(&err, &cursor, &key, &val)) {
		while (part < 3 && !agrp_span_key_is(&key, parts[part], strlen(parts[part])))
			part++;
		if (part == 3 || (part == 1 && val.type != 's') || (part == 0 && val.type != 's'))
			return false;
		if (part == 2 && val.type != 't' && val.type != 'f')
			return false;
		if (part < 2)
			str[part] = val;
		else
			retryable = val.type == 't';
		part++;
	}
	if (str[0].p == NULL || part != 3)
		return false;
	/* class and message, decoded, one after the other */
	an->text = agrp_xmalloc(str[0].n + str[1].n + 8);
	n = agrp_span_decode(&str[0], an->text, str[0].n + 4);
	an->text[n] = '\0';
	if (memchr(an->text, '\0', n) != NULL ||
	    (str[1].p != NULL && str[1].esc && memmem(str[1].p, str[1].n, "u0000", 5))) {
		/* a \u0000 (maybe): the tree's reading says what is wrong */
		free(an->text);
		an->text = NULL;
		return false;
	}
	an->a.error_class = an->text;
	if (str[1].p != NULL) {
		char *m = an->text + n + 1;

		m[agrp_span_decode(&str[1], m, str[1].n + 4)] = '\0';
		an->a.message = m;
	}
	an->a.retryable = retryable;
	return true;
}

/* Whether the answers are wanted: not once a replay as read is over. */
static bool
wants_answers(const agr_recording *rc)
{
	return rc->live == NULL || !live_over(rc->live);
}

static bool
add_result(agr_recording *rc, const agr_record *rec, const agrp_common *c, agr_error *err)
{
	answer got = { .tool = -1, .next = -1 };
	int tool = -1;
	long i;

	if (c->tool != NULL) {
		tool = agr_graph_find(rc->g, c->tool);
	} else if (c->call != NULL) {
		intptr_t t = (intptr_t)agrp_map_get(&rc->calls, c->call);

		tool = (int)t - 1;
	} else {
		agrp_error_set(err, NULL, 0, 0, "result names neither a tool nor a call");
		return false;
	}
	got.tool = tool;
	if (!plain_answer(rec, c, &got)) {
		got.rec = json_incref(agr_record_json(rec));
		if (!agrp_read_answer(got.rec, &got.a, err)) {
			json_decref(got.rec);
			return false;
		}
		if (wants_answers(rc))
			got.fault = take_fault(rc, got.rec);
		if (rc->live != NULL && !live_whole(rc->live)) {
			const char *bytes = agr_record_bytes(rec, &got.len);

			json_decref(got.rec);
			json_decref(got.a.extra);
			got.rec = got.a.extra = NULL;
			got.text = memcpy(agrp_xmalloc(got.len + 1), bytes, got.len);
			got.text[got.len] = '\0';
		}
	}
	rc->nresults++;
	if (!wants_answers(rc) || (rc->live != NULL && !live_whole(rc->live) && tool < 0)) {
		drop_answer(&got); /* read, for its mistakes, and let go */
		return true;
	}
	if (rc->free_ans >= 0) {
		i = rc->free_ans;
		rc->free_ans = rc->ans[i].next;
	} else {
		if (rc->capans == 0) { /* most traces wait for one answer at a time */
			rc->ans = agrp_xmalloc(sizeof *rc->ans);
			rc->capans = 1;
		}
		agrp_grow(&rc->ans, &rc->capans, rc->nans + 1, sizeof *rc->ans);
		i = (long)rc->nans++;
	}
	rc->ans[i] = got;
	if (tool >= 0) {
		if (rc->last[tool] >= 0)
			rc->ans[rc->last[tool]].next = i;
		else
			rc->first[tool] = i;
		rc->last[tool] = i;
	}
	return true;
}

static bool
add_health(agr_recording *rc, const agr_record *rec, agr_error *err)
{
	const json_t *j = agr_record_json(rec);
	health *h;

	if (json_object_get(j, "monitor") != NULL)
		return true; /* the router's own: it decides it again */
	agrp_grow(&rc->hl, &rc->caphl, rc->nhl + 1, sizeof *rc->hl);
	h = &rc->hl[rc->nhl];
	memset(h, 0, sizeof *h);
	if (!agrp_read_health(rc->g, j, &h->tool, &h->status, err))
		return false;
	if (!wants_answers(rc))
		return true; /* read, for its mistakes */
	h->pos = 2 * rc->nresults + (rc->ncalls > rc->nresults);
	h->extra = agrp_outside_fields(j);
	h->fault = take_fault(rc, j);
	rc->nhl++;
	return true;
}

static void
add_fault(agr_recording *rc, const agr_record *rec, const agrp_common *c)
{
	static const char *const own[] = {
		"trace", "step", "kind", "tool", "target", "renumbered"
	};
	const json_t *cause = json_object_get(agr_record_json(rec), "cause");
	pending_fault *f;
	uintptr_t first;
	long i;

	if (c->step < 0 || !wants_answers(rc))
		return;
	agrp_grow(&rc->faults, &rc->capfaults, rc->nfaults + 1, sizeof *rc->faults);
	i = (long)rc->nfaults++;
	f = &rc->faults[i];
	f->step = c->step;
	f->cause = json_is_integer(cause) && json_integer_value(cause) < c->step
	               ? (long)json_integer_value(cause)
	               : -1;
	f->fields = agrp_json_without(agr_record_json(rec), own, sizeof own / sizeof own[0]);
	if (f->fields == NULL) /* a fault with nothing more to say is still one */
		f->fields = json_object();
	if (!rc->answers_only) { /* kept last: it waits to be named */
		f->log = rc->log_base + rc->nlog - 1;
		rc->routing[rc->nlog - 1] = FAULT_UNTAKEN;
	}
	f->next = -1;
	f->tail = i;
	/* last on its step's list: faults of one step are taken in order */
	first = (uintptr_t)agrp_u64map_get(&rc->fault_steps, step_key(c->step));
	if (first == 0) {
		agrp_u64map_put(&rc->fault_steps, step_key(c->step), (void *)(uintptr_t)(i + 1));
	} else {
		pending_fault *head = &rc->faults[first - 1];

		rc->faults[head->tail].next = i;
		head->tail = i;
	}
}

/* The input a run's first record gave it, as agraph-route --input writes
 * it (a message from "user"), or NULL: another message is another's. */
static json_t *
run_input(const agr_record *rec)
{
	const json_t *j = agr_record_json(rec), *content = json_object_get(j, "content");
	const char *from = agr_json_str(j, "from");

	if (from == NULL || strcmp(from, "user") != 0 || content == NULL)
		return NULL;
	return json_deep_copy(content);
}

bool
agr_recording_add(agr_recording *rc, const agr_record *rec, agr_error *err)
{
	agrp_common c;
	const char *kind;
	bool ok = true, routing, kept;

	agrp_record_common(rec, &c);
	if (rc->nseen++ == 0 && c.kind != NULL && strcmp(c.kind, "message") == 0)
		rc->input = run_input(rec);
	routing = c.kind != NULL && (is_routing_kind(c.kind) || (rc->nseen == 1 && rc->input));
	/* Replayed as read, what nothing compares is not kept: a fault record
	 * may be, once something names it. */
	kept = !rc->answers_only && (rc->live == NULL || live_whole(rc->live) || routing ||
	                             (c.kind != NULL && strcmp(c.kind, "fault") == 0));
	if (kept) {
		agrp_grow(&rc->log, &rc->caplog, rc->nlog + 1, sizeof *rc->log);
		agrp_grow(&rc->routing, &rc->caprouting, rc->nlog + 1, 1);
		rc->log[rc->nlog] = agr_record_keep(rec);
		rc->routing[rc->nlog] = routing ? ROUTING : NOT_ROUTING;
		rc->nlog++;
	}
	if (c.kind != NULL && strcmp(c.kind, "final") == 0 && !rc->ended) {
		rc->ended = true;
		rc->final_step = c.step;
	}
	kind = rc->g != NULL ? c.kind : NULL; /* without a graph, only the records */
	if (kind == NULL) {
		/* nothing the world answered */
	} else if (strcmp(kind, "call") == 0) {
		int tool = c.tool ? agr_graph_find(rc->g, c.tool) : -1;

		rc->ncalls++;
		if (c.id != NULL && wants_answers(rc))
			agrp_map_put(&rc->calls, c.id, (void *)(intptr_t)(tool + 1));
	} else if (strcmp(kind, "result") == 0) {
		ok = add_result(rc, rec, &c, err);
	} else if (strcmp(kind, "health") == 0) {
		ok = add_health(rc, rec, err);
	} else if (strcmp(kind, "fault") == 0) {
		add_fault(rc, rec, &c);
	}
	if (!ok) {
		/* Left out of what the world answered, and of what is compared. */
		if (kept)
			rc->routing[rc->nlog - 1] = NOT_ROUTING;
		agr_error_at_record(err, rec);
	}
	if (rc->live != NULL)
		live_on(rc);
	return ok;
}

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
	drop_answer(an);
	memset(an, 0, sizeof *an);
	an->next = rc->free_ans;
	rc->free_ans = an - rc->ans;
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
		for (size_t t = 0; t < n; t++)
			if (agr_world_is_down(o->world, (int)t))
				agr_router_health(x->r, (int)t, AGR_HEALTH_DOWN, NULL);
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
struct as_read {
	const agr_replay_opts *o;
	bool check;
	bool whole; /* AGRAPH_REFERENCE: kept whole, replayed once complete, for tests to compare */
	run *x;     /* from the first record on, until it is over */
	bool over;
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

static bool
live_over(const as_read *L)
{
	return L->over;
}

static bool
live_whole(const as_read *L)
{
	return L->whole;
}

/* Lets go of the world's answers: the replay has ended. */
static void
forget_world(agr_recording *rc)
{
	size_t n = agr_graph_node_count(rc->g);

	for (size_t i = 0; i < rc->nans; i++)
		drop_answer(&rc->ans[i]);
	free(rc->ans);
	rc->ans = NULL;
	rc->nans = rc->capans = 0;
	rc->free_ans = -1;
	for (size_t i = 0; i < n; i++)
		rc->first[i] = rc->last[i] = -1;
	for (size_t i = 0; i < rc->nhl; i++) {
		json_decref(rc->hl[i].extra);
		json_decref(rc->hl[i].fault);
	}
	free(rc->hl);
	rc->hl = NULL;
	rc->nhl = rc->caphl = 0;
	for (size_t i = 0; i < rc->nfaults; i++)
		json_decref(rc->faults[i].fields);
	free(rc->faults);
	rc->faults = NULL;
	rc->nfaults = rc->capfaults = 0;
	agrp_u64map_free(&rc->fault_steps);
	agrp_map_free(&rc->calls);
	rc->fault_steps = (agrp_u64map){ 0 };
	rc->calls = (agrp_map){ 0 };
}

/* Lets go of the first upto records kept: they are compared. */
static void
forget_log(agr_recording *rc, size_t upto)
{
	if (rc->nlog == 0)
		return; /* nothing kept, maybe not even a log */
	for (size_t i = 0; i < upto; i++)
		agr_record_free(rc->log[i]);
	memmove(rc->log, rc->log + upto, (rc->nlog - upto) * sizeof *rc->log);
	memmove(rc->routing, rc->routing + upto, rc->nlog - upto);
	rc->nlog -= upto;
	rc->log_base += upto;
}

void
agr_recording_replay_as_read(agr_recording *rc, const agr_replay_opts *o, bool check)
{
	as_read *L = agrp_xcalloc(1, sizeof *L);

	L->o = o;
	L->check = check;
	L->whole = agrp_reference();
	L->c.rc = rc;
	L->c.d = &L->d;
	rc->live = L;
	rc->answers_only = !check;
}

/* Replays what has come; lets go of what is used. */
static void
live_on(agr_recording *rc)
{
	as_read *L = rc->live;

	if (L->over || L->whole)
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
			forget_log(rc, rc->nlog);
			rc->answers_only = true;
			free(L->c.ahead.p);
			L->c.ahead = (agrp_buf){ 0 };
		} else if (L->c.at > 0 && (L->c.at >= 64 || L->c.at == rc->nlog)) {
			forget_log(rc, L->c.at);
			L->c.at = 0;
		}
	}
	if (L->x->ph == PH_DONE && (!L->check || L->c.differ || rc->complete)) {
		L->over = true;
		run_free(L->x);
		L->x = NULL;
		forget_world(rc);
		forget_log(rc, rc->nlog);
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
	if (!L->whole)
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

/* ---- many traces in one stream --------------------------------------- */

/*
 * One trace id is one trace, as for the checker: a trace that has ended is
 * held, for the records that may follow its final, until the input ends
 * or AGRP_HELD traces have ended after it; then it is handed over, and
 * only a fingerprint of its id is kept (the last AGRP_GONE of them), so
 * that a record of it that comes later still is an error, not a new trace.
 */
typedef struct open_rec {
	agr_recording *rc;
	struct open_rec *prev, *next;
	bool ended; /* on the list of the ended */
} open_rec;

struct agr_recorder {
	const agr_graph *g;
	agr_recording_fn fn;
	void *ctx;
	agrp_map open;            /* trace id -> open_rec */
	open_rec *first, *last;   /* open, in the order they began */
	open_rec *efirst, *elast; /* ended and held, in the order they ended */
	size_t nended;
	agrp_gone *gone; /* handed over: a ring of fingerprints */
	size_t gone_cap, gone_next;
	agrp_u64map gone_index;        /* fingerprint -> slot + 1 */
	const agr_replay_opts *replay; /* each replayed as read, or NULL */
	bool check;
};

agr_recorder *
agr_recorder_new(const agr_graph *g, agr_recording_fn fn, void *ctx)
{
	agr_recorder *rd = agrp_xcalloc(1, sizeof *rd);

	rd->g = g;
	rd->fn = fn;
	rd->ctx = ctx;
	return rd;
}

static void
unlink_open(agr_recorder *rd, open_rec *o)
{
	open_rec **first = o->ended ? &rd->efirst : &rd->first;
	open_rec **last = o->ended ? &rd->elast : &rd->last;

	if (o->prev)
		o->prev->next = o->next;
	else
		*first = o->next;
	if (o->next)
		o->next->prev = o->prev;
	else
		*last = o->prev;
	o->prev = o->next = NULL;
}

static void
append_open(open_rec **first, open_rec **last, open_rec *o)
{
	o->prev = *last;
	if (*last)
		(*last)->next = o;
	else
		*first = o;
	*last = o;
}

static uint64_t
fingerprint(const char *id)
{
	return agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, id, strlen(id)));
}

/* A trace handed over for room: known from now on by its fingerprint. */
static void
remember_gone(agr_recorder *rd, const agr_recording *rc)
{
	size_t slot = rd->gone_next++ % AGRP_GONE;
	uint64_t fp = fingerprint(rc->trace);

	if (slot >= rd->gone_cap) {
		size_t cap = rd->gone_cap ? 2 * rd->gone_cap : 64;

		cap = cap < AGRP_GONE ? cap : AGRP_GONE;
		rd->gone = agrp_xrealloc(rd->gone, cap * sizeof *rd->gone);
		rd->gone_cap = cap;
	} else if (rd->gone_next > AGRP_GONE) {
		agrp_gone *old = &rd->gone[slot];

		if ((uintptr_t)agrp_u64map_get(&rd->gone_index, old->fp) == slot + 1)
			agrp_u64map_del(&rd->gone_index, old->fp);
	}
	rd->gone[slot].fp = fp;
	rd->gone[slot].final_step = rc->final_step;
	agrp_u64map_put(&rd->gone_index, fp, (void *)(uintptr_t)(slot + 1));
}

static void
close_open(agr_recorder *rd, open_rec *o, bool for_room)
{
	agrp_map_del(&rd->open, o->rc->trace);
	unlink_open(rd, o);
	if (o->ended)
		rd->nended--;
	if (for_room)
		remember_gone(rd, o->rc);
	rd->fn(rd->ctx, o->rc);
	free(o);
}

bool
agr_recorder_add(agr_recorder *rd, const agr_record *rec, agr_error *err)
{
	char buf[256];
	const char *id = agrp_record_str(rec, "trace", buf, sizeof buf);
	open_rec *o;
	bool ok;

	if (id == NULL)
		id = "";
	if ((o = agrp_map_get(&rd->open, id)) == NULL) {
		uintptr_t gone = (uintptr_t)agrp_u64map_get(&rd->gone_index, fingerprint(id));

		if (gone != 0) {
			agrp_error_set(
			    err, NULL, 0, 0,
			    "a record of trace '%s' comes after its final record (step "
			    "%ld), but the trace is handed over: %d traces have ended since",
			    id, rd->gone[gone - 1].final_step, AGRP_HELD);
			agr_error_at_record(err, rec);
			return false;
		}
		o = agrp_xcalloc(1, sizeof *o);
		o->rc = agr_recording_new(rd->g, id);
		if (rd->replay != NULL)
			agr_recording_replay_as_read(o->rc, rd->replay, rd->check);
		append_open(&rd->first, &rd->last, o);
		agrp_map_put(&rd->open, id, o);
	}
	ok = agr_recording_add(o->rc, rec, err);
	if (o->rc->ended && !o->ended) {
		unlink_open(rd, o);
		o->ended = true;
		append_open(&rd->efirst, &rd->elast, o);
		if (++rd->nended > AGRP_HELD)
			close_open(rd, rd->efirst, true);
	}
	return ok;
}

void
agr_recorder_replay(agr_recorder *rd, const agr_replay_opts *o, bool check)
{
	rd->replay = o;
	rd->check = check;
}

void
agr_recorder_finish(agr_recorder *rd)
{
	/* The ended in the order they ended, then the rest as they began. */
	while (rd->efirst != NULL)
		close_open(rd, rd->efirst, false);
	while (rd->first != NULL)
		close_open(rd, rd->first, false);
}

void
agr_recorder_finish_ended(agr_recorder *rd)
{
	while (rd->efirst != NULL)
		close_open(rd, rd->efirst, false);
}

static void
free_list(open_rec *o)
{
	while (o != NULL) {
		open_rec *next = o->next;

		agr_recording_free(o->rc);
		free(o);
		o = next;
	}
}

void
agr_recorder_free(agr_recorder *rd)
{
	if (rd == NULL)
		return;
	free_list(rd->efirst);
	free_list(rd->first);
	agrp_map_free(&rd->open);
	agrp_u64map_free(&rd->gone_index);
	free(rd->gone);
	free(rd);
}
