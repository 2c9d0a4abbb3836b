/*
 * select.c - picking records out of a stream: grep (records or whole
 * traces that match an expression) and lineage (a record and the records
 * its cause links lead back to).  Both write original bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

typedef struct bytes {
	char *p;
	size_t n;
} bytes;

/* A trace in whole-trace mode: its records until it is decided. */
typedef struct held {
	char *id;
	bool matched;
	bool ended;   /* its first final has come */
	bool written; /* selected and out: what follows is written as it comes */
	bytes *rec;
	size_t n, cap;
	struct held *next; /* among the ended, in the order they ended */
} held;

struct agr_grep {
	const agr_expr *e;
	bool invert, whole;
	agrp_map open;        /* trace id -> held, in whole-trace mode */
	held *efirst, *elast; /* ended traces held, the oldest first */
	size_t nended;
	agrp_gone_ring gone; /* traces let go; final_step 0: written, -1: not */
	size_t matches;
	agr_write_fn out;
	void *ctx;
};

agr_grep *
agr_grep_new(const agr_expr *e, bool invert, bool whole_trace, agr_write_fn out, void *ctx)
{
	agr_grep *g = agrp_xcalloc(1, sizeof *g);

	g->e = e;
	g->invert = invert;
	g->whole = whole_trace;
	g->out = out;
	g->ctx = ctx;
	return g;
}

static void
drop_records(held *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->rec[i].p);
	free(h->rec);
	h->rec = NULL;
	h->n = h->cap = 0;
}

static void
held_free(held *h)
{
	drop_records(h);
	free(h->id);
	free(h);
}

void
agr_grep_free(agr_grep *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->open.cap; i++)
		if (g->open.slots[i].key != NULL)
			held_free(g->open.slots[i].val);
	agrp_map_free(&g->open);
	agrp_gone_free(&g->gone);
	free(g);
}

size_t
agr_grep_matches(const agr_grep *g)
{
	return g->matches;
}

/* The trace is selected: its records out, and what follows as it comes. */
static void
write_held(agr_grep *g, held *h)
{
	g->matches++;
	for (size_t i = 0; i < h->n; i++)
		g->out(g->ctx, h->rec[i].p, h->rec[i].n);
	drop_records(h);
	h->written = true;
}

/* Decided for good (the input ended, or too many traces ended after it):
 * written if selected, then forgotten but for its fingerprint. */
static void
let_go(agr_grep *g, held *h, bool remember)
{
	if (!h->written && h->matched != g->invert)
		write_held(g, h);
	if (remember)
		agrp_gone_remember(&g->gone, h->id, h->written ? 0 : -1);
	agrp_map_del(&g->open, h->id);
	held_free(h);
}

/* A record of a trace let go: its trace was decided without it.  It is
 * written with a trace written, unless it would have turned -v's choice,
 * and alone when it matches a trace that was not (agraph-trace(1),
 * CAVEATS): the records before it are gone. */
static void
after_gone(agr_grep *g, const agrp_gone *gone, bool hit, const char *b, size_t len)
{
	bool written = gone->final_step >= 0;

	if (g->invert ? written && !hit : written || hit) {
		if (!written)
			g->matches++;
		g->out(g->ctx, b, len);
	}
}

void
agr_grep_feed(agr_grep *g, const agr_record *rec)
{
	bool hit = agrp_reference() ? agr_expr_test(g->e, agr_record_json(rec), NULL)
	                            : agr_expr_test_record(g->e, rec, NULL);
	agrp_common c;
	const agrp_gone *gone;
	held *h;
	size_t len;
	const char *b = agr_record_bytes(rec, &len);

	if (!g->whole) {
		if (hit != g->invert) {
			g->matches++;
			g->out(g->ctx, b, len);
		}
		return;
	}
	agrp_record_common(rec, &c);
	if ((h = agrp_map_get(&g->open, c.trace)) == NULL) {
		if ((gone = agrp_gone_find(&g->gone, c.trace)) != NULL) {
			after_gone(g, gone, hit, b, len);
			return;
		}
		h = agrp_xcalloc(1, sizeof *h);
		h->id = agrp_xstrdup(c.trace);
		agrp_map_put(&g->open, c.trace, h);
	}
	h->matched = h->matched || hit;
	if (h->written) {
		/* grep: selected, and stays so; -v: a match now is too late */
		if (!g->invert || !hit)
			g->out(g->ctx, b, len);
	} else if (!(g->invert && h->matched)) {
		agrp_grow(&h->rec, &h->cap, h->n + 1, sizeof *h->rec);
		h->rec[h->n].p = memcpy(agrp_xmalloc(len + 1), b, len);
		h->rec[h->n++].n = len;
	} else {
		drop_records(h); /* -v: never selected now */
	}
	if (c.kind != NULL && strcmp(c.kind, "final") == 0 && !h->ended) {
		h->ended = true;
		if (g->elast)
			g->elast->next = h;
		else
			g->efirst = h;
		g->elast = h;
		if (++g->nended > AGRP_HELD) {
			held *old = g->efirst;

			g->efirst = old->next;
			if (g->efirst == NULL)
				g->elast = NULL;
			g->nended--;
			let_go(g, old, true);
		}
	}
	/* grep: a match is for good, so an ended trace is written at once */
	if (h->ended && !h->written && !g->invert && h->matched)
		write_held(g, h);
}

typedef struct open_trace {
	const char *id;
	held *h;
} open_trace;

static int
by_id(const void *a, const void *b)
{
	return strcmp(((const open_trace *)a)->id, ((const open_trace *)b)->id);
}

void
agr_grep_finish(agr_grep *g)
{
	open_trace *t;
	size_t n = 0;

	/* The ended in the order they ended; then those without a final, in
	 * the order of their ids so that output is fixed: sorted once, not
	 * searched for the least each time. */
	while (g->efirst != NULL) {
		held *h = g->efirst;

		g->efirst = h->next;
		let_go(g, h, false);
	}
	g->elast = NULL;
	g->nended = 0;
	t = agrp_xcalloc(g->open.n ? g->open.n : 1, sizeof *t);
	for (size_t i = 0; i < g->open.cap; i++)
		if (g->open.slots[i].key != NULL) {
			t[n].id = g->open.slots[i].key;
			t[n++].h = g->open.slots[i].val;
		}
	qsort(t, n, sizeof *t, by_id);
	for (size_t i = 0; i < n; i++)
		if (!t[i].h->written && t[i].h->matched != g->invert)
			write_held(g, t[i].h);
	for (size_t i = 0; i < n; i++)
		held_free(t[i].h);
	agrp_map_free(&g->open);
	free(t);
}

/* ---- lineage ------------------------------------------------------- */

typedef struct step_rec {
	long step;
	bytes b;
	long *cause;
	size_t ncause;
	bool wanted;
} step_rec;

struct agr_lineage {
	char *trace; /* NULL until the first record when none was named */
	long target;
	step_rec *r;
	size_t n, cap;
};

agr_lineage *
agr_lineage_new(const char *trace, long step)
{
	agr_lineage *l = agrp_xcalloc(1, sizeof *l);

	l->trace = trace ? agrp_xstrdup(trace) : NULL;
	l->target = step;
	return l;
}

void
agr_lineage_free(agr_lineage *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->r[i].b.p);
		free(l->r[i].cause);
	}
	free(l->r);
	free(l->trace);
	free(l);
}

void
agr_lineage_feed(agr_lineage *l, const agr_record *rec)
{
	const json_t *j = agr_record_json(rec), *step = json_object_get(j, "step");
	const json_t *cause = json_object_get(j, "cause");
	const char *id = agr_json_str(j, "trace");
	step_rec *s;
	size_t len, nc;
	const char *b;

	if (id == NULL)
		id = "";
	if (l->trace == NULL)
		l->trace = agrp_xstrdup(id);
	if (strcmp(id, l->trace) != 0 || !json_is_integer(step))
		return;
	b = agr_record_bytes(rec, &len);
	agrp_grow(&l->r, &l->cap, l->n + 1, sizeof *l->r);
	s = &l->r[l->n++];
	memset(s, 0, sizeof *s);
	s->step = (long)json_integer_value(step);
	s->b.p = memcpy(agrp_xmalloc(len + 1), b, len);
	s->b.n = len;
	nc = json_is_array(cause) ? json_array_size(cause) : json_is_integer(cause) ? 1 : 0;
	s->cause = agrp_xcalloc(nc, sizeof *s->cause);
	for (size_t i = 0; i < nc; i++) {
		const json_t *c = json_is_array(cause) ? json_array_get(cause, i) : cause;

		if (json_is_integer(c))
			s->cause[s->ncause++] = (long)json_integer_value(c);
	}
}

/* The records by step, and in the order they came for one step: so that
 * a step is found by a binary search, not a scan of the trace. */
static int
by_step(const void *a, const void *b)
{
	const step_rec *x = *(step_rec *const *)a, *y = *(step_rec *const *)b;

	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	return x < y ? -1 : x > y;
}

static step_rec *
find_step(step_rec **sorted, size_t n, long step)
{
	/* Steps increase within a well-formed trace: the last match is the one. */
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sorted[mid]->step <= step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && sorted[lo - 1]->step == step ? sorted[lo - 1] : NULL;
}

bool
agr_lineage_write(agr_lineage *l, agr_write_fn out, void *ctx, agr_error *err)
{
	step_rec **sorted = agrp_xcalloc(l->n ? l->n : 1, sizeof *sorted);
	step_rec **todo, *t;
	size_t ntodo = 0;

	for (size_t i = 0; i < l->n; i++)
		sorted[i] = &l->r[i];
	qsort(sorted, l->n, sizeof *sorted, by_step);
	if ((t = find_step(sorted, l->n, l->target)) == NULL) {
		char *id = agrp_text_clip(l->trace ? l->trace : "", true);

		agrp_error_set(err, "", 0, 0, "trace %s has no record at step %ld", id, l->target);
		free(id);
		free(sorted);
		return false;
	}
	/* Causes point back: each ancestor marked once, from a list of those
	 * whose causes are still to follow (the records may come in any order). */
	todo = agrp_xcalloc(l->n, sizeof *todo);
	t->wanted = true;
	todo[ntodo++] = t;
	while (ntodo > 0) {
		step_rec *r = todo[--ntodo];

		for (size_t k = 0; k < r->ncause; k++) {
			step_rec *c = find_step(sorted, l->n, r->cause[k]);

			if (c != NULL && !c->wanted && c->step < r->step) {
				c->wanted = true;
				todo[ntodo++] = c;
			}
		}
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->r[i].wanted)
			out(ctx, l->r[i].b.p, l->r[i].b.n);
	free(todo);
	free(sorted);
	return true;
}
