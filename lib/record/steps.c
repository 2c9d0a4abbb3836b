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
step_fits(const json_t *v, const char *what, const char *who, agr_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) <= AGRP_STEP_MAX)
		return true;
	agrp_error_set(err, NULL, 0, 0,
	               "%s %" JSON_INTEGER_FORMAT
	               " is past 2^53 (9007199254740992), the largest step %s renumbers",
	               what, json_integer_value(v), who);
	return false;
}

bool
agrp_steps_fit(const agr_record *rec, const char *who, agr_error *err)
{
	const json_t *j = agr_record_json(rec), *cause = json_object_get(j, "cause"), *c;
	size_t i;

	if (!step_fits(json_object_get(j, "step"), "step", who, err) ||
	    !step_fits(cause, "cause", who, err))
		return false;
	json_array_foreach(cause, i, c) if (!step_fits(c, "cause", who, err)) return false;
	return true;
}

void
agrp_steps_write(const agrp_steps *s, const agr_record *rec, long step, agr_write_fn out, void *ctx)
{
	json_t *j;
	const json_t *cause;
	agrp_span span;
	size_t len;
	const char *b = agr_record_bytes(rec, &len);

	if (s->count == 0 || (step < 0 && !agrp_record_field(rec, "cause", &span))) {
		out(ctx, b, len);
		return;
	}
	cause = json_object_get(agr_record_json(rec), "cause");
	j = json_deep_copy(agr_record_json(rec));
	if (step >= 0)
		json_object_set_new(j, "step", json_integer(agrp_steps_moved(s, step)));
	if (cause != NULL)
		json_object_set_new(j, "cause", agrp_steps_cause(s, cause));
	agrp_write_record(out, ctx, j);
	json_decref(j);
}
