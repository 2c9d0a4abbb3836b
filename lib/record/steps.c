/*
 * steps.c - renumbering: the steps of a trace where records were put in,
 * for the filters that add records to a trace (agraph-inject's fault
 * records, agraph-govern's decisions).  Each inserted record moves the
 * later steps up by one, and the causes that point at them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"

static size_t
ins_total(const ins_tree *t, size_t i)
{
	return i ? t->nodes[i].total : 0;
}

/* Lifts child d of node i over it; returns the new top. */
static size_t
ins_rotate(ins_tree *t, size_t i, int d)
{
	ins_node *x = &t->nodes[i];
	size_t c = x->kid[d];
	ins_node *y = &t->nodes[c];

	x->kid[d] = y->kid[!d];
	y->kid[!d] = i;
	x->total = x->count + ins_total(t, x->kid[0]) + ins_total(t, x->kid[1]);
	y->total = y->count + ins_total(t, y->kid[0]) + ins_total(t, y->kid[1]);
	return c;
}

/* Adds one insert before step under node i; returns the subtree's new top.
 * The depth is O(log n) with high probability, so the recursion is shallow. */
static size_t
ins_add(ins_tree *t, size_t i, long step)
{
	ins_node *x;
	int d;

	if (i == 0) {
		i = t->n++;
		t->rng ^= t->rng << 13, t->rng ^= t->rng >> 17, t->rng ^= t->rng << 5;
		t->nodes[i] = (ins_node){ step, 1, 1, t->rng, { 0, 0 } };
		return i;
	}
	x = &t->nodes[i];
	x->total++;
	if (step == x->step) {
		x->count++;
		return i;
	}
	d = step > x->step;
	x->kid[d] = ins_add(t, x->kid[d], step);
	x = &t->nodes[i];
	if (t->nodes[x->kid[d]].prio > x->prio)
		return ins_rotate(t, i, d);
	return i;
}

void
agrp_steps_insert(agrp_steps *t, long step)
{
	ins_tree *tr = &t->tree;

	if (tr->n == 0) {
		/* most traces have few faults: room for one to begin with */
		tr->nodes = agrp_xmalloc(2 * sizeof *tr->nodes);
		tr->cap = 2;
		tr->n = 1; /* nodes[0] stands for none */
		tr->rng = 0x9e3779b9u;
	}
	agrp_grow(&tr->nodes, &tr->cap, tr->n + 1, sizeof *tr->nodes);
	tr->root = ins_add(tr, tr->root, step);
	t->count++;
}

/* Where an original step is now: moved up once per record inserted at or
 * before it.  Steps and causes are at most AGRP_STEP_MAX (checked as records
 * come in), so the sum stays far below LONG_MAX. */
long
agrp_steps_moved(const agrp_steps *t, long step)
{
	const ins_tree *tr = &t->tree;
	size_t below = 0;

	for (size_t i = tr->root; i != 0;) {
		const ins_node *x = &tr->nodes[i];

		if (step < x->step) {
			i = x->kid[0];
		} else {
			below += ins_total(tr, x->kid[0]) + x->count;
			if (step == x->step)
				break;
			i = x->kid[1];
		}
	}
	return step + (long)below;
}

void
agrp_steps_free(agrp_steps *t)
{
	free(t->tree.nodes);
	*t = (agrp_steps){ 0 };
}

/* A cause (a step, or an array of them) where its steps are now: a new
 * value; other values (and arrays within the array) as they were. */
json_t *
agrp_steps_cause(const agrp_steps *t, const json_t *cause)
{
	json_t *c, *moved_c;
	size_t i;

	if (json_is_integer(cause))
		return json_integer(agrp_steps_moved(t, (long)json_integer_value(cause)));
	if (!json_is_array(cause))
		return json_deep_copy(cause);
	moved_c = json_array();
	json_array_foreach(cause, i, c) json_array_append_new(
	    moved_c, json_is_integer(c)
	                 ? json_integer(agrp_steps_moved(t, (long)json_integer_value(c)))
	                 : json_deep_copy(c));
	return moved_c;
}

/* Is v a step that can be renumbered?  Past AGRP_STEP_MAX no JSON
 * reader holds it exactly, and one more would overflow at 2^63-1. */
static bool
step_fits(const agrp_span *v, const char *what, const char *who, agr_error *err)
{
	long n;

	if (!agrp_span_int(v, &n) || n <= AGRP_STEP_MAX)
		return true;
	agrp_error_set(err, NULL, 0, 0,
	               "%s %.*s is past 2^53 (9007199254740992), the largest step %s renumbers",
	               what, (int)v->n, v->p, who);
	return false;
}

bool
agrp_steps_fit(const agr_record *rec, const char *who, agr_error *err)
{
	agrp_span step, cause, k, v;
	size_t cursor = 0;

	if (agrp_record_field(rec, "step", &step) && !step_fits(&step, "step", who, err))
		return false;
	if (!agrp_record_field(rec, "cause", &cause))
		return true;
	if (cause.type != 'a')
		return step_fits(&cause, "cause", who, err);
	while (agrp_span_next(&cause, &cursor, &k, &v))
		if (!step_fits(&v, "cause", who, err))
			return false;
	return true;
}

/* A cause where its steps are now, written into o: a whole number moved,
 * an array's whole numbers moved, anything else as its bytes were. */
static void
put_cause(agrp_buf *o, const agrp_steps *s, const agrp_span *cause)
{
	agrp_span k, v;
	size_t cursor = 0;
	long c;
	bool first = true;

	if (agrp_span_int(cause, &c)) {
		agrp_buf_json_int(o, agrp_steps_moved(s, c));
		return;
	}
	if (cause->type != 'a') {
		agrp_buf_add(o, cause->p, cause->n);
		return;
	}
	agrp_buf_add(o, "[", 1);
	while (agrp_span_next(cause, &cursor, &k, &v)) {
		if (!first)
			agrp_buf_add(o, ",", 1);
		first = false;
		if (agrp_span_int(&v, &c))
			agrp_buf_json_int(o, agrp_steps_moved(s, c));
		else
			agrp_buf_add(o, v.p, v.n);
	}
	agrp_buf_add(o, "]", 1);
}

void
agrp_steps_write(const agrp_steps *s, const agr_record *rec, long step, agr_write_fn out, void *ctx)
{
	agrp_span at[2]; /* the step's and the cause's values, in the order they come */
	bool is_cause[2];
	size_t n = 0, len, from = 0;
	const char *b = agr_record_bytes(rec, &len);
	agrp_span span;
	agrp_buf o = { 0 };

	if (s->count > 0 && step >= 0 && agrp_record_field(rec, "step", &span))
		at[n] = span, is_cause[n++] = false;
	if (s->count > 0 && agrp_record_field(rec, "cause", &span))
		at[n] = span, is_cause[n++] = true;
	if (n == 0) {
		out(ctx, b, len);
		return;
	}
	if (n == 2 && at[1].p < at[0].p) {
		agrp_span t = at[0];
		bool c = is_cause[0];

		at[0] = at[1], is_cause[0] = is_cause[1];
		at[1] = t, is_cause[1] = c;
	}
	/* Only the two values change: every other byte is the record's own. */
	for (size_t i = 0; i < n; i++) {
		agrp_buf_add(&o, b + from, (size_t)(at[i].p - b) - from);
		if (is_cause[i])
			put_cause(&o, s, &at[i]);
		else
			agrp_buf_json_int(&o, agrp_steps_moved(s, step));
		from = (size_t)(at[i].p - b) + at[i].n;
	}
	agrp_buf_add(&o, b + from, len - from);
	out(ctx, o.p, o.n);
	free(o.p);
}
