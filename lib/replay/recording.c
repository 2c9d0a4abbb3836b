/*
 * recording.c - one recorded trace, as replay needs it: what the world
 * answered (results, health records, the fault records they name), in
 * the order a replay asks for it, and the records a check compares.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_int.h"

void
agrp_drop_answer(answer *an)
{
	json_decref(an->rec);
	json_decref(an->a.extra);
	json_decref(an->fault);
	free(an->text);
}

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
	if (rc->live != NULL)
		rc->live_free(rc->live);
	for (size_t i = 0; i < rc->nans; i++)
		agrp_drop_answer(&rc->ans[i]);
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
	return rc->live == NULL || !rc->live_over;
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
		/* Replayed as read, the first few that wait keep their tree, as
		 * most are given at once; more are kept as their bytes. */
		if (rc->live != NULL && !rc->live_whole && rc->waiting >= 4) {
			const char *bytes = agr_record_bytes(rec, &got.len);

			json_decref(got.rec);
			json_decref(got.a.extra);
			got.rec = got.a.extra = NULL;
			got.text = memcpy(agrp_xmalloc(got.len + 1), bytes, got.len);
			got.text[got.len] = '\0';
		}
	}
	rc->nresults++;
	if (!wants_answers(rc) || (rc->live != NULL && !rc->live_whole && tool < 0)) {
		agrp_drop_answer(&got); /* read, for its mistakes, and let go */
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
	rc->waiting++;
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
	kept = !rc->answers_only && (rc->live == NULL || rc->live_whole || routing ||
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
		rc->live_on(rc);
	return ok;
}

/* Lets go of the world's answers: the replay has ended. */
void
agrp_recording_forget_world(agr_recording *rc)
{
	size_t n = agr_graph_node_count(rc->g);

	for (size_t i = 0; i < rc->nans; i++)
		agrp_drop_answer(&rc->ans[i]);
	free(rc->ans);
	rc->ans = NULL;
	rc->nans = rc->capans = rc->waiting = 0;
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
void
agrp_recording_forget_log(agr_recording *rc, size_t upto)
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
