/*
 * quick.c - the fast path of agr_expr_test_record(): the shapes most
 * contracts are made of, answered from a record's bytes; the rest goes to
 * the evaluator of eval.c.
 */
#include <string.h>

#include "expr/expr_int.h"

/* A path of one name, found among the record's top-level fields. */
static bool
quick_field(const agrp_ectx *c, const agrp_enode *n, agrp_span *out)
{
	const agrp_seg *s = &c->e->segs[n->seg];
	const agr_record *rec = n->trigger ? c->rtrig : c->rrec;
	const agrp_field *f;
	size_t nf;

	if (rec == NULL)
		return false;
	f = agrp_record_fields(rec, &nf);
	for (size_t i = 0; i < nf; i++)
		if (agrp_span_key_is(&f[i].key, s->key, s->klen)) {
			*out = f[i].val;
			return true;
		}
	return false;
}

static bool
is_name(const agrp_enode *n)
{
	return n->op == AGRP_OP_PATH && n->nseg == 1;
}

static bool
is_plain_string(const agrp_enode *n)
{
	return n->op == AGRP_OP_LIT && n->lit.t == AGRP_V_STR && !n->lit.folded;
}

static bool test_node(const agrp_ectx *c, int node, int depth);

/*
 * The shapes most contracts are made of - a field compared with a string
 * or with another field, under && || ! - answered from the record's bytes
 * without building values.  -1 when the node is not such, or a string in
 * it needs decoding, or a field is missing from both sides: then agrp_ev()
 * says, as it would have.
 */
static int
quick(const agrp_ectx *c, int node, int depth)
{
	const agrp_enode *nodes = c->e->n, *n = &nodes[node], *a, *b;
	agrp_span x, y;
	bool same;

	switch (n->op) {
	case AGRP_OP_AND:
		return test_node(c, n->a, depth) && test_node(c, n->b, depth);
	case AGRP_OP_OR:
		return test_node(c, n->a, depth) || test_node(c, n->b, depth);
	case AGRP_OP_NOT:
		return !test_node(c, n->a, depth);
	case AGRP_OP_EQ:
	case AGRP_OP_NE:
		break;
	default:
		return -1;
	}
	a = &nodes[n->a];
	b = &nodes[n->b];
	if (is_plain_string(a) && is_name(b)) {
		const agrp_enode *t = a;

		a = b;
		b = t;
	}
	if (!is_name(a) || c->e->segs[a->seg].key == NULL)
		return -1;
	if (is_plain_string(b)) {
		if (!quick_field(c, a, &x))
			same = false; /* missing: null, never a string */
		else if (x.type != 's')
			same = false;
		else if (x.esc)
			return -1;
		else
			same = x.n - 2 == b->lit.slen && memcmp(x.p + 1, b->lit.s, x.n - 2) == 0;
	} else if (is_name(b) && c->e->segs[b->seg].key != NULL) {
		if (!quick_field(c, a, &x) || !quick_field(c, b, &y) || x.type != 's' ||
		    y.type != 's' || x.esc || y.esc)
			return -1;
		same = x.n == y.n && memcmp(x.p, y.p, x.n) == 0;
	} else {
		return -1;
	}
	return n->op == AGRP_OP_EQ ? same : !same;
}

/* Whether the node holds: quickly when it can, by agrp_ev() when not.  Depth
 * bounds the recursion of quick(), which agrp_ev() has no need of. */
static bool
test_node(const agrp_ectx *c, int node, int depth)
{
	int r = depth < 32 ? quick(c, node, depth + 1) : -1;

	return r >= 0 ? r != 0 : agrp_truthy(agrp_ev(c, node));
}

bool
agr_expr_test_record(const agr_expr *e, const agr_record *record, const agr_record *trigger)
{
	agrp_ectx c = { e, NULL, NULL, record, trigger };

	agrp_scratch_reset();
	return test_node(&c, e->root, 0);
}
