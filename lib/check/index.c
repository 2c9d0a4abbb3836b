/*
 * index.c - which open response obligations a record can close, found
 * without testing them all.  A `then` expression S that never names
 * $trigger holds for every obligation or for none, so it is tested once.
 * One with a conjunct `X == $trigger.Y` (X and Y field paths) can hold
 * only when X of the record equals Y of the trigger, so obligations are
 * filed under a hash of Y's value and a record looks up the hash of X's.
 * The candidates are still tested with the whole of S: the index only
 * passes over obligations that S cannot close.
 *
 * Values that are equal in the expression language have equal keys: no
 * two types are ever equal, a missing field is null, numbers compare as
 * doubles, strings by their decoded bytes.  Objects and arrays get no
 * key; their obligations are kept apart and tested by every record.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"
#include "expr/expr_int.h"

static bool
is_field_path(const agr_expr *e, int node, bool trigger)
{
	const agrp_enode *n = &e->n[node];

	return n->op == AGRP_OP_PATH && n->trigger == trigger && n->nseg > 0;
}

/* The first conjunct X == $trigger.Y of the expression, or false.  A
 * stack of its own, not recursion: a chain of && may be long. */
static bool
find_equality(const agr_expr *e, int *rec_path, int *trig_path)
{
	int *stack = NULL;
	size_t n = 0, cap = 0;
	bool found = false;

	agrp_grow(&stack, &cap, 1, sizeof *stack);
	stack[n++] = e->root;
	while (n > 0 && !found) {
		const agrp_enode *x = &e->n[stack[--n]];

		if (x->op == AGRP_OP_AND) {
			agrp_grow(&stack, &cap, n + 2, sizeof *stack);
			stack[n++] = x->b;
			stack[n++] = x->a;
		} else if (x->op == AGRP_OP_EQ) {
			if (is_field_path(e, x->a, false) && is_field_path(e, x->b, true)) {
				*rec_path = x->a;
				*trig_path = x->b;
				found = true;
			} else if (is_field_path(e, x->a, true) && is_field_path(e, x->b, false)) {
				*rec_path = x->b;
				*trig_path = x->a;
				found = true;
			}
		}
	}
	free(stack);
	return found;
}

void
agrp_response_plan(agrp_contract *c)
{
	const agr_expr *e = c->s;
	bool trigger = false;

	for (size_t i = 0; i < e->nn && !trigger; i++)
		trigger = e->n[i].op == AGRP_OP_PATH && e->n[i].trigger;
	if (!trigger)
		c->plan = AGRP_PLAN_ONCE;
	else if (find_equality(e, &c->rec_path, &c->trig_path))
		c->plan = AGRP_PLAN_INDEX;
	else
		c->plan = AGRP_PLAN_SCAN;
}

static uint64_t
typed(char type, const void *p, size_t n)
{
	return agrp_hash_done(agrp_hash_bytes(agrp_hash_bytes(AGRP_HASH_SEED, &type, 1), p, n));
}

static uint64_t
number_key(double d)
{
	if (d == 0)
		d = 0; /* -0 == 0 */
	return typed('n', &d, sizeof d);
}

static bool
json_key(const json_t *j, uint64_t *key)
{
	switch (j ? json_typeof(j) : JSON_NULL) {
	case JSON_STRING:
		*key = typed('s', json_string_value(j), json_string_length(j));
		return true;
	case JSON_INTEGER:
	case JSON_REAL:
		*key = number_key(json_number_value(j));
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
		*key = typed(json_is_true(j) ? 't' : 'f', "", 0);
		return true;
	case JSON_NULL:
		*key = typed('0', "", 0);
		return true;
	default:
		return false;
	}
}

static bool
span_key(const agrp_span *sp, uint64_t *key)
{
	switch (sp->type) {
	case 's':
		if (!sp->esc) {
			*key = typed('s', sp->p + 1, sp->n - 2);
		} else {
			char *buf = agrp_xmalloc(sp->n + 4);
			size_t len = agrp_span_decode(sp, buf, sp->n + 4);

			*key = typed('s', buf, len);
			free(buf);
		}
		return true;
	case 'n':
		*key = number_key(strtod(sp->p, NULL));
		return true;
	case 't':
	case 'f':
		*key = typed(sp->type, "", 0);
		return true;
	case '0':
		*key = typed('0', "", 0);
		return true;
	default:
		return false;
	}
}

/* The value of the path's fields in rec, the way the evaluator finds it. */
static bool
walk_raw(const agr_expr *e, const agrp_enode *n, const agr_record *rec, agrp_span *out)
{
	const agrp_seg *s = &e->segs[n->seg];
	const agrp_field *f;
	size_t nf;
	bool found = false;
	agrp_span cur = { 0 }, k, v;

	if (s->key == NULL)
		return false;
	f = agrp_record_fields(rec, &nf);
	for (size_t i = 0; i < nf && !found; i++)
		if (agrp_span_key_is(&f[i].key, s->key, strlen(s->key))) {
			cur = f[i].val;
			found = true;
		}
	for (int i = 1; i < n->nseg && found; i++) {
		s = &e->segs[n->seg + i];
		if (s->key != NULL) {
			found = agrp_span_get(&cur, s->key, &cur);
			continue;
		}
		if (cur.type != 'a')
			return false;
		long idx = s->index, count = 0, at = 0;
		size_t cursor = 0;

		if (idx < 0) {
			while (agrp_span_next(&cur, &cursor, &k, &v))
				count++;
			idx += count;
			cursor = 0;
		}
		found = false;
		while (idx >= 0 && agrp_span_next(&cur, &cursor, &k, &v))
			if (at++ == idx) {
				cur = v;
				found = true;
				break;
			}
	}
	*out = cur;
	return found;
}

static const json_t *
walk_json(const agr_expr *e, const agrp_enode *n, const json_t *j)
{
	for (int i = 0; i < n->nseg && j != NULL; i++) {
		const agrp_seg *s = &e->segs[n->seg + i];

		if (s->key != NULL) {
			j = json_object_get(j, s->key);
		} else {
			long idx = s->index;

			if (!json_is_array(j))
				return NULL;
			if (idx < 0)
				idx += (long)json_array_size(j);
			j = idx < 0 ? NULL : json_array_get(j, (size_t)idx);
		}
	}
	return j;
}

bool
agrp_path_key(const agr_expr *e, int node, const agr_record *rec, uint64_t *key)
{
	const agrp_enode *n = &e->n[node];
	agrp_span sp;

	if (agrp_reference())
		return json_key(walk_json(e, n, agr_record_json(rec)), key);
	if (!walk_raw(e, n, rec, &sp)) {
		*key = typed('0', "", 0); /* missing: null */
		return true;
	}
	return span_key(&sp, key);
}
