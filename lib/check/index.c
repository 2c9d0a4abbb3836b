/*
 * index.c - which open response obligations a record can close, found
 * without testing them all.  A `then` expression S that never names
 * $trigger holds for every obligation or for none, so it is tested once.
 * One with a conjunct `X == $trigger.Y` (X and Y field paths) can hold
 * only when X of the record equals Y of the trigger, so obligations are
 * filed under a hash of Y's value and a record looks up the hash of X's;
 * with several such conjuncts (up to AGRP_INDEX_MAX), under a hash of all
 * their values, so that obligations that share one (a call id used again)
 * are still told apart by the others.
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

/* The conjuncts X == $trigger.Y of the expression, the first
 * AGRP_INDEX_MAX of them; false when there is none.  A stack of its own,
 * not recursion: a chain of && may be long. */
static bool
find_equalities(const agr_expr *e, agrp_contract *c)
{
	int *stack = NULL;
	size_t n = 0, cap = 0;

	c->npath = 0;
	agrp_grow(&stack, &cap, 1, sizeof *stack);
	stack[n++] = e->root;
	while (n > 0 && c->npath < AGRP_INDEX_MAX) {
		const agrp_enode *x = &e->n[stack[--n]];
		int r = -1, t = -1;

		if (x->op == AGRP_OP_AND) {
			agrp_grow(&stack, &cap, n + 2, sizeof *stack);
			stack[n++] = x->b;
			stack[n++] = x->a;
		} else if (x->op == AGRP_OP_EQ) {
			if (is_field_path(e, x->a, false) && is_field_path(e, x->b, true)) {
				r = x->a;
				t = x->b;
			} else if (is_field_path(e, x->a, true) && is_field_path(e, x->b, false)) {
				r = x->b;
				t = x->a;
			}
		}
		if (r >= 0) {
			c->rec_path[c->npath] = r;
			c->trig_path[c->npath++] = t;
		}
	}
	free(stack);
	return c->npath > 0;
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
	else if (find_equalities(e, c))
		c->plan = AGRP_PLAN_INDEX;
	else
		c->plan = AGRP_PLAN_SCAN;
}

static void
keep_names(agrp_keep *k, const agr_expr *e)
{
	if (e != NULL)
		k->n = agrp_expr_trigger_names(e, k->names, k->n, AGRP_KEEP_MAX, &k->whole);
}

void
agrp_contract_keeps(agrp_contract *c)
{
	if (c->type > AGRP_PAT_BOUNDED)
		return;
	keep_names(&c->opener, c->p);
	if (c->type == AGRP_PAT_PRECEDENCE)
		keep_names(&c->opener, c->s);
	if (c->type == AGRP_PAT_RESPONSE)
		keep_names(&c->trigger, c->s);
}

agr_record *
agrp_keep_record(const agrp_keep *k, const agr_record *rec)
{
	if (k->whole)
		return agr_record_keep(rec);
	return k->n == 0 ? NULL : agrp_record_keep_only(rec, k->names, k->n);
}

size_t
agrp_keep_bytes(const agrp_keep *k, const agr_record *rec, char *out)
{
	size_t len;
	const char *b;

	if (k->whole) {
		b = agr_record_bytes(rec, &len);
		if (out != NULL) {
			memcpy(out, b, len);
			out[len] = '\0';
		}
		return len;
	}
	return k->n == 0 ? 0 : agrp_record_project(rec, k->names, k->n, out);
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

static bool
path_key(const agr_expr *e, int node, const agr_record *rec, uint64_t *key)
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

bool
agrp_index_key(const agrp_contract *c, const agr_record *rec, bool trigger, uint64_t *key)
{
	uint64_t keys[AGRP_INDEX_MAX];

	for (int i = 0; i < c->npath; i++)
		if (!path_key(c->s, trigger ? c->trig_path[i] : c->rec_path[i], rec, &keys[i]))
			return false;
	if (c->npath == 1) {
		*key = keys[0];
		return true;
	}
	*key =
	    agrp_hash_done(agrp_hash_bytes(AGRP_HASH_SEED, keys, (size_t)c->npath * sizeof *keys));
	return true;
}
