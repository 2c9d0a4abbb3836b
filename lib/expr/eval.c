/*
 * eval.c - expressions evaluated: a recursive walk over the compiled nodes
 * (compile.c), on jansson trees or on a record's bytes as read in place,
 * over values that borrow from the record, so evaluation never allocates.
 * lower() does not build a string: it marks the value as case-folded, and
 * comparisons, contains() and =~ fold as they go.
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

/*
 * Scratch for strings that must be decoded or NUL-terminated.  Blocks are
 * kept across evaluations and never moved during one, so after the first
 * records nothing is allocated.  Each new block is twice the last, so 32
 * blocks hold more than memory can: running out is out of memory, never a
 * string silently read as "".
 */
static struct scratch {
	char *block[32];
	size_t cap[32];
	size_t nblocks, cur, used;
} scratch;

void
agrp_scratch_reset(void)
{
	scratch.cur = scratch.used = 0;
}

static char *
scratch_get(size_t n)
{
	while (scratch.cur < scratch.nblocks && scratch.cap[scratch.cur] - scratch.used < n) {
		scratch.cur++;
		scratch.used = 0;
	}
	if (scratch.cur == scratch.nblocks) {
		size_t cap = (size_t)65536 << (scratch.nblocks < 24 ? scratch.nblocks : 24);

		if (cap < n)
			cap = n;
		if (scratch.nblocks == 32) /* past 2^40 bytes: as malloc would fail */
			cap = SIZE_MAX;
		scratch.block[scratch.nblocks] = agrp_xmalloc(cap);
		scratch.cap[scratch.nblocks++] = cap;
		scratch.used = 0;
	}
	scratch.used += n;
	return scratch.block[scratch.cur] + scratch.used - n;
}

/* Where the scratch is, to give back what was taken after it. */
typedef struct scratch_mark {
	size_t cur, used;
} scratch_mark;

static scratch_mark
scratch_at(void)
{
	scratch_mark m = { scratch.cur, scratch.used };

	return m;
}

static void
scratch_release(scratch_mark m)
{
	scratch.cur = m.cur;
	scratch.used = m.used;
}

/* Scratch for an array of n elements of size elem, aligned for any type. */
static void *
scratch_array(size_t n, size_t elem)
{
	size_t align = sizeof(max_align_t);
	char *p;

	if (elem != 0 && n > (SIZE_MAX - align) / elem)
		return NULL;
	if ((p = scratch_get(n * elem + align - 1)) == NULL)
		return NULL;
	return p + (align - (uintptr_t)p % align) % align;
}

static agrp_val
from_json(const json_t *j)
{
	agrp_val v = { 0 };

	if (j == NULL) {
		v.missing = true;
		return v;
	}
	switch (json_typeof(j)) {
	case JSON_STRING:
		v.t = AGRP_V_STR;
		v.s = json_string_value(j);
		v.slen = json_string_length(j);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		v.t = AGRP_V_NUM;
		v.n = json_number_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v.t = AGRP_V_BOOL;
		v.b = json_is_true(j);
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		v.t = AGRP_V_JSON;
		v.j = j;
		break;
	case JSON_NULL:
		break;
	}
	return v;
}

static agrp_val
from_span(const agrp_span *sp)
{
	agrp_val v = { 0 };

	switch (sp->type) {
	case 's':
		v.t = AGRP_V_STR;
		if (!sp->esc) {
			v.s = sp->p + 1;
			v.slen = sp->n - 2;
			v.unended = true;
		} else {
			char *buf = scratch_get(sp->n + 4);

			if (buf == NULL)
				return v;
			v.slen = agrp_span_decode(sp, buf, sp->n + 4);
			buf[v.slen] = '\0';
			v.s = buf;
		}
		break;
	case 'n':
		v.t = AGRP_V_NUM;
		v.n = strtod(sp->p, NULL); /* a delimiter follows every number */
		break;
	case 't':
	case 'f':
		v.t = AGRP_V_BOOL;
		v.b = sp->type == 't';
		break;
	case 'o':
	case 'a':
		v.t = AGRP_V_RAW;
		v.raw = *sp;
		break;
	default:
		break;
	}
	return v;
}

/* The string with a NUL after it, for the C functions that want one. */
static const char *
cstr(agrp_val v)
{
	char *buf;

	if (!v.unended)
		return v.s;
	if ((buf = scratch_get(v.slen + 1)) == NULL)
		return "";
	memcpy(buf, v.s, v.slen);
	buf[v.slen] = '\0';
	return buf;
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

static size_t
raw_count(const agrp_span *c)
{
	size_t cursor = 0, n = 0;
	agrp_span k, v;

	while (agrp_span_next(c, &cursor, &k, &v))
		n++;
	return n;
}

/* A path in a record's bytes: the first name from the scan's index. */
static bool
walk_raw(const agr_expr *e, const agrp_enode *n, const agr_record *rec, agrp_span *out)
{
	const agrp_field *f;
	size_t nf, cursor;
	const agrp_seg *s;
	agrp_span cur, k, v;
	bool found = false;

	if (rec == NULL)
		return false;
	if (n->nseg == 0) { /* $trigger alone: the whole record, as the tree reads it */
		size_t len;
		const char *b = agr_record_bytes(rec, &len);

		/* the object from its '{' to its '}', without the space around it */
		while (len > 0 && *b != '{')
			b++, len--;
		while (len > 0 && b[len - 1] != '}')
			len--;
		out->p = b;
		out->n = len;
		out->type = 'o';
		out->esc = false;
		return true;
	}
	s = &e->segs[n->seg];
	if (s->key == NULL)
		return false;
	f = agrp_record_fields(rec, &nf);
	for (size_t i = 0; i < nf && !found; i++)
		if (agrp_span_key_is(&f[i].key, s->key, s->klen)) {
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
		{
			long idx = s->index < 0 ? (long)raw_count(&cur) + s->index : s->index;

			found = false;
			cursor = 0;
			for (long at = 0; idx >= 0 && agrp_span_next(&cur, &cursor, &k, &v); at++)
				if (at == idx) {
					cur = v;
					found = true;
					break;
				}
		}
	}
	if (found)
		*out = cur;
	return found;
}

static agrp_val
path_value(const agrp_ectx *c, const agrp_enode *n)
{
	agrp_span sp;
	agrp_val v = { 0 };

	if (c->rrec != NULL || c->rtrig != NULL) {
		if (walk_raw(c->e, n, n->trigger ? c->rtrig : c->rrec, &sp))
			return from_span(&sp);
		v.missing = true;
		return v;
	}
	return from_json(walk_json(c->e, n, n->trigger ? c->trig : c->rec));
}

static bool
path_exists(const agrp_ectx *c, const agrp_enode *n)
{
	agrp_span sp;

	if (c->rrec != NULL || c->rtrig != NULL)
		return walk_raw(c->e, n, n->trigger ? c->rtrig : c->rrec, &sp);
	return walk_json(c->e, n, n->trigger ? c->trig : c->rec) != NULL;
}

bool
agrp_truthy(agrp_val v)
{
	return !(v.t == AGRP_V_NULL || (v.t == AGRP_V_BOOL && !v.b));
}

static agrp_val
boolean(bool b)
{
	agrp_val v = { .t = AGRP_V_BOOL, .b = b };

	return v;
}

static agrp_val
number(double d)
{
	agrp_val v = { .t = AGRP_V_NUM, .n = d };

	return v;
}

static int
str_cmp(agrp_val a, agrp_val b)
{
	bool fold = a.folded || b.folded;
	size_t n = a.slen < b.slen ? a.slen : b.slen;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a.s[i], y = (unsigned char)b.s[i];

		if (fold) {
			x = (unsigned char)tolower(x);
			y = (unsigned char)tolower(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a.slen < b.slen ? -1 : a.slen > b.slen;
}

/* Walking the elements of any array: a literal list, a tree's, a record's. */
typedef struct iter {
	agrp_val list;
	int node;      /* AGRP_V_LIST */
	size_t cursor; /* AGRP_V_JSON: index; AGRP_V_RAW: byte offset */
} iter;

static iter
iter_start(agrp_val list)
{
	iter it = { list, list.t == AGRP_V_LIST ? list.list : -1, 0 };

	return it;
}

static bool
iter_next(const agrp_ectx *c, iter *it, agrp_val *out)
{
	agrp_span k, v;

	switch (it->list.t) {
	case AGRP_V_LIST:
		if (it->node < 0)
			return false;
		*out = agrp_ev(c, it->node);
		it->node = c->e->n[it->node].next;
		return true;
	case AGRP_V_JSON:
		if (it->cursor >= json_array_size(it->list.j))
			return false;
		*out = from_json(json_array_get(it->list.j, it->cursor++));
		return true;
	case AGRP_V_RAW:
		if (!agrp_span_next(&it->list.raw, &it->cursor, &k, &v))
			return false;
		*out = from_span(&v);
		return true;
	default:
		return false;
	}
}

static bool
is_array(agrp_val v)
{
	return v.t == AGRP_V_LIST || (v.t == AGRP_V_JSON && json_is_array(v.j)) ||
	       (v.t == AGRP_V_RAW && v.raw.type == 'a');
}

static bool equal(const agrp_ectx *c, agrp_val a, agrp_val b);

/* A member of an object in a record's bytes: its decoded key, its value. */
typedef struct member_ref {
	const char *key;
	size_t len;
	agrp_span val;
} member_ref;

static int
member_order(const void *x, const void *y)
{
	const member_ref *a = x, *b = y;
	int cmp = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);

	return cmp != 0 ? cmp : (a->len > b->len) - (a->len < b->len);
}

/* The n members of an object in the scratch (or malloc'd, *owned), sorted
 * by key. */
static member_ref *
sorted_members(const agrp_span *o, size_t n, bool *owned)
{
	member_ref *m = scratch_array(n, sizeof *m);
	size_t cursor = 0, i = 0;
	agrp_span k, v;

	*owned = m == NULL;
	if (m == NULL)
		m = agrp_xmalloc((n ? n : 1) * sizeof *m);
	while (i < n && agrp_span_next(o, &cursor, &k, &v)) {
		agrp_val key = from_span(&k);

		m[i].key = key.s != NULL ? key.s : "";
		m[i].len = key.slen;
		m[i].val = v;
		i++;
	}
	qsort(m, i, sizeof *m, member_order);
	return m;
}

/*
 * Objects in a record's bytes: the same keys with equal values.  Both are
 * sorted by key and walked side by side, O(n log n): looking each key of
 * one up in the other would be O(n^2) on wide objects.  The scan refuses
 * duplicate keys, so a key names one member.
 */
static bool
raw_objects_equal(const agrp_ectx *c, const agrp_span *a, const agrp_span *b)
{
	size_t n = raw_count(a);
	member_ref *x, *y;
	bool own_x, own_y, same = true;

	if (raw_count(b) != n)
		return false;
	x = sorted_members(a, n, &own_x);
	y = sorted_members(b, n, &own_y);
	for (size_t i = 0; i < n && same; i++)
		same = member_order(&x[i], &y[i]) == 0 &&
		       equal(c, from_span(&x[i].val), from_span(&y[i].val));
	if (own_x)
		free(x);
	if (own_y)
		free(y);
	return same;
}

static bool
is_object(agrp_val v)
{
	return (v.t == AGRP_V_JSON && json_is_object(v.j)) ||
	       (v.t == AGRP_V_RAW && v.raw.type == 'o');
}

static size_t
object_size(agrp_val v)
{
	return v.t == AGRP_V_JSON ? json_object_size(v.j) : raw_count(&v.raw);
}

/* The member key of object v, or missing. */
static agrp_val
object_get(agrp_val v, const char *key)
{
	agrp_span w;
	agrp_val none = { 0 };

	none.missing = true;
	if (v.t == AGRP_V_JSON)
		return from_json(json_object_get(v.j, key));
	return agrp_span_get(&v.raw, key, &w) ? from_span(&w) : none;
}

/*
 * Objects, from a tree or a record's bytes alike: the same keys with
 * equal values, numbers by value (1 equals 1.0, as in jq), so that both
 * readings of a record give one answer.  A tree's members are found by
 * hash; two records' objects are sorted and walked side by side.
 */
static bool
objects_equal(const agrp_ectx *c, agrp_val a, agrp_val b)
{
	if (a.t == AGRP_V_RAW && b.t == AGRP_V_RAW)
		return raw_objects_equal(c, &a.raw, &b.raw);
	if (a.t == AGRP_V_JSON && b.t == AGRP_V_RAW) { /* walk the bytes, look up in the tree */
		agrp_val t = a;

		a = b;
		b = t;
	}
	if (object_size(a) != object_size(b))
		return false;
	if (a.t == AGRP_V_JSON) {
		const char *key;
		json_t *x;

		json_object_foreach((json_t *)a.j, key, x)
		{
			agrp_val y = object_get(b, key);

			if (y.missing || !equal(c, from_json(x), y))
				return false;
		}
	} else {
		size_t cursor = 0;
		agrp_span k, v;

		while (agrp_span_next(&a.raw, &cursor, &k, &v)) {
			agrp_val y = object_get(b, cstr(from_span(&k)));

			if (y.missing || !equal(c, from_span(&v), y))
				return false;
		}
	}
	return true;
}

static bool
equal(const agrp_ectx *c, agrp_val a, agrp_val b)
{
	/* most comparisons are of a field with a string: told by length, then bytes */
	if (a.t == AGRP_V_STR && b.t == AGRP_V_STR && !a.folded && !b.folded)
		return a.slen == b.slen && (a.slen == 0 || memcmp(a.s, b.s, a.slen) == 0);
	if (is_array(a) && is_array(b)) {
		iter ia = iter_start(a), ib = iter_start(b);
		agrp_val x, y;

		for (;;) {
			bool more_a = iter_next(c, &ia, &x);
			bool more_b = iter_next(c, &ib, &y);

			if (more_a != more_b)
				return false;
			if (!more_a)
				return true;
			if (!equal(c, x, y))
				return false;
		}
	}
	if (is_object(a) && is_object(b))
		return objects_equal(c, a, b);
	if (a.t != b.t)
		return false;
	switch (a.t) {
	case AGRP_V_NULL:
		return true;
	case AGRP_V_BOOL:
		return a.b == b.b;
	case AGRP_V_NUM:
		return a.n == b.n;
	case AGRP_V_STR:
		return str_cmp(a, b) == 0;
	case AGRP_V_JSON:
	case AGRP_V_RAW:
	case AGRP_V_LIST:
		break;
	}
	return false;
}

/* The pattern on the whole string, a \u0000 in it included: REG_STARTEND
 * gives regexec() the length, not the first NUL, as the end. */
static bool
matches(const regex_t *re, agrp_val a)
{
	regmatch_t m[1];

	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)a.slen;
	return regexec(re, cstr(a), 1, m, REG_STARTEND) == 0; /* ended by a NUL all the same */
}

static unsigned char
fold_at(agrp_val v, size_t i, bool fold)
{
	unsigned char x = (unsigned char)v.s[i];

	return fold ? (unsigned char)tolower(x) : x;
}

/*
 * needle in hay, in O(len(hay) + len(needle)) (Knuth-Morris-Pratt, the
 * table in the scratch), byte for byte or ignoring case: comparing at
 * each position would be O(len(hay) * len(needle)).
 */
static bool
has_substring(agrp_val hay, agrp_val needle)
{
	bool fold = hay.folded || needle.folded, found = false;
	size_t m = needle.slen, *next, k = 0;
	bool owned;

	if (m > hay.slen)
		return false;
	if (m == 0)
		return true;
	if (!fold)
		return memmem(hay.s, hay.slen, needle.s, m) != NULL;
	/* next[i]: the length of the longest proper border of needle[0..i] */
	next = scratch_array(m, sizeof *next);
	if ((owned = next == NULL))
		next = agrp_xmalloc(m * sizeof *next);
	next[0] = 0;
	for (size_t i = 1; i < m; i++) {
		while (k > 0 && fold_at(needle, i, fold) != fold_at(needle, k, fold))
			k = next[k - 1];
		if (fold_at(needle, i, fold) == fold_at(needle, k, fold))
			k++;
		next[i] = k;
	}
	k = 0;
	for (size_t i = 0; i < hay.slen && !found; i++) {
		while (k > 0 && fold_at(hay, i, fold) != fold_at(needle, k, fold))
			k = next[k - 1];
		if (fold_at(hay, i, fold) == fold_at(needle, k, fold))
			k++;
		found = k == m;
	}
	if (owned)
		free(next);
	return found;
}

static bool
member(const agrp_ectx *c, agrp_val x, agrp_val coll)
{
	if (is_array(coll)) {
		iter it = iter_start(coll);
		agrp_val y;

		while (iter_next(c, &it, &y))
			if (equal(c, x, y))
				return true;
		return false;
	}
	if (coll.t == AGRP_V_JSON && x.t == AGRP_V_STR) /* a key of an object */
		return json_object_get(coll.j, cstr(x)) != NULL;
	if (coll.t == AGRP_V_RAW && x.t == AGRP_V_STR) {
		agrp_span v;

		return agrp_span_get(&coll.raw, cstr(x), &v);
	}
	if (coll.t == AGRP_V_STR && x.t == AGRP_V_STR)
		return has_substring(coll, x);
	return false;
}

static agrp_val
compare(enum agrp_op op, agrp_val a, agrp_val b)
{
	int cmp;

	if (a.t == AGRP_V_NUM && b.t == AGRP_V_NUM)
		cmp = a.n < b.n ? -1 : a.n > b.n;
	else if (a.t == AGRP_V_STR && b.t == AGRP_V_STR)
		cmp = str_cmp(a, b);
	else
		return boolean(false); /* null and mixed types are not ordered */
	switch (op) {
	case AGRP_OP_LT:
		return boolean(cmp < 0);
	case AGRP_OP_LE:
		return boolean(cmp <= 0);
	case AGRP_OP_GT:
		return boolean(cmp > 0);
	default:
		return boolean(cmp >= 0);
	}
}

/* A node that takes no operand from below: a literal, a list, a path, exists(). */
static bool
is_leaf(enum agrp_op op)
{
	return op == AGRP_OP_LIT || op == AGRP_OP_LIST || op == AGRP_OP_PATH ||
	       op == AGRP_OP_EXISTS;
}

static agrp_val
leaf(const agrp_ectx *c, const agrp_enode *n)
{
	agrp_val v = { 0 };

	switch (n->op) {
	case AGRP_OP_LIT:
		return n->lit;
	case AGRP_OP_LIST:
		v.t = AGRP_V_LIST;
		v.list = n->a;
		return v;
	case AGRP_OP_PATH:
		return path_value(c, n);
	case AGRP_OP_EXISTS:
		return boolean(path_exists(c, &c->e->n[n->a]));
	default:
		return v;
	}
}

/* Operator n applied, a the value of its first operand; its second is
 * evaluated here, if it is needed. */
static agrp_val
step(const agrp_ectx *c, const agrp_enode *n, agrp_val a)
{
	const agr_expr *e = c->e;
	agrp_val b, v = { 0 };

	switch (n->op) {
	case AGRP_OP_NOT:
		return boolean(!agrp_truthy(a));
	case AGRP_OP_NEG:
		return a.t == AGRP_V_NUM ? number(-a.n) : v;
	case AGRP_OP_OR:
		return boolean(agrp_truthy(a) || agrp_truthy(agrp_ev(c, n->b)));
	case AGRP_OP_AND:
		return boolean(agrp_truthy(a) && agrp_truthy(agrp_ev(c, n->b)));
	case AGRP_OP_LOWER:
		if (a.t == AGRP_V_STR)
			a.folded = true;
		return a.t == AGRP_V_STR ? a : v;
	case AGRP_OP_LEN:
		if (a.t == AGRP_V_STR)
			return number((double)a.slen);
		if (a.t == AGRP_V_JSON)
			return number((double)(json_is_array(a.j) ? json_array_size(a.j)
			                                          : json_object_size(a.j)));
		if (a.t == AGRP_V_RAW)
			return number((double)raw_count(&a.raw));
		if (a.t == AGRP_V_LIST) {
			size_t k = 0;

			for (int i = a.list; i >= 0; i = e->n[i].next)
				k++;
			return number((double)k);
		}
		return v;
	default:
		break;
	}
	b = agrp_ev(c, n->b);
	switch (n->op) {
	case AGRP_OP_EQ:
		return boolean(equal(c, a, b));
	case AGRP_OP_NE:
		return boolean(!equal(c, a, b));
	case AGRP_OP_LT:
	case AGRP_OP_LE:
	case AGRP_OP_GT:
	case AGRP_OP_GE:
		return compare(n->op, a, b);
	case AGRP_OP_IN:
		return boolean(member(c, a, b));
	case AGRP_OP_CONTAINS:
		return boolean(member(c, b, a));
	case AGRP_OP_STARTSWITH:
	case AGRP_OP_ENDSWITH:
		if (a.t != AGRP_V_STR || b.t != AGRP_V_STR || b.slen > a.slen)
			return boolean(false);
		if (n->op == AGRP_OP_ENDSWITH)
			a.s += a.slen - b.slen;
		a.slen = b.slen;
		return boolean(str_cmp(a, b) == 0);
	case AGRP_OP_MATCH:
		if (a.t != AGRP_V_STR)
			return boolean(false);
		return boolean(matches(e->re[2 * n->re + (a.folded ? 1 : 0)], a));
	case AGRP_OP_ADD:
	case AGRP_OP_SUB:
	case AGRP_OP_MUL:
	case AGRP_OP_DIV:
		if (a.t != AGRP_V_NUM || b.t != AGRP_V_NUM)
			return v;
		if (n->op == AGRP_OP_ADD)
			return number(a.n + b.n);
		if (n->op == AGRP_OP_SUB)
			return number(a.n - b.n);
		if (n->op == AGRP_OP_MUL)
			return number(a.n * b.n);
		return b.n == 0 ? v : number(a.n / b.n);
	default:
		return v;
	}
}

/*
 * A node's value.  The chain of first operands below it (a && b && c is
 * (a && b) && c; 1 + 2 + 3 is (1 + 2) + 3) is walked down in a loop to
 * its leaf, and back up through each node's up, so a chain of any length
 * costs one call; only second operands and list elements recurse, and
 * compile.c bounds how deep that goes.  Scratch taken in the subtree is
 * given back whenever the value so far is not a string, which is the only
 * kind that can lie in it.
 */
agrp_val
agrp_ev(const agrp_ectx *c, int node)
{
	const agrp_enode *nodes = c->e->n;
	scratch_mark mark = scratch_at();
	int at = node;
	agrp_val v;

	while (!is_leaf(nodes[at].op))
		at = nodes[at].a;
	v = leaf(c, &nodes[at]);
	while (at != node) {
		at = nodes[at].up;
		v = step(c, &nodes[at], v);
		if (v.t != AGRP_V_STR)
			scratch_release(mark);
	}
	return v;
}

bool
agr_expr_test(const agr_expr *e, const json_t *record, const json_t *trigger)
{
	agrp_ectx c = { e, record, trigger, NULL, NULL };

	agrp_scratch_reset();
	return agrp_truthy(agrp_ev(&c, e->root));
}

/* The value as JSON, made anew: the one place evaluation allocates, for a
 * value that leaves the evaluator (a call's args). */
static json_t *
to_json(const agrp_ectx *c, agrp_val v)
{
	json_t *a;
	iter it;
	agrp_val x;

	switch (v.t) {
	case AGRP_V_BOOL:
		return json_boolean(v.b);
	case AGRP_V_NUM:
		/* No JSON for them: null, as for a path that leads nowhere. */
		if (!isfinite(v.n))
			return json_null();
		/* Whole numbers as integers, as jq prints them; past 2^53 a double
		 * holds no exact integer. */
		if (v.n == floor(v.n) && fabs(v.n) <= 9007199254740992.0)
			return json_integer((json_int_t)v.n);
		return json_real(v.n);
	case AGRP_V_STR:
		if (v.folded) { /* lower() folds as comparisons do, byte by byte */
			char *low = agrp_xmalloc(v.slen + 1);

			for (size_t i = 0; i < v.slen; i++)
				low[i] = (char)tolower((unsigned char)v.s[i]);
			a = json_stringn_nocheck(low, v.slen);
			free(low);
			return a;
		}
		return json_stringn_nocheck(v.s, v.slen);
	case AGRP_V_JSON:
		return json_deep_copy(v.j);
	case AGRP_V_RAW:
		return json_loadb(v.raw.p, v.raw.n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	case AGRP_V_LIST:
		a = json_array();
		it = iter_start(v);
		while (iter_next(c, &it, &x))
			json_array_append_new(a, to_json(c, x));
		return a;
	case AGRP_V_NULL:
		break;
	}
	return json_null();
}

json_t *
agr_expr_value(const agr_expr *e, const json_t *record, const json_t *trigger)
{
	agrp_ectx c = { e, record, trigger, NULL, NULL };
	const agrp_enode *root = &e->n[e->root];

	/* A path gives what it finds as it is: a number past 2^53 whole */
	if (root->op == AGRP_OP_PATH) {
		const json_t *found = walk_json(e, root, root->trigger ? trigger : record);

		return found ? json_deep_copy(found) : json_null();
	}
	agrp_scratch_reset();
	return to_json(&c, agrp_ev(&c, e->root));
}
