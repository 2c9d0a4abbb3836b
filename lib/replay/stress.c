/*
 * stress.c - a budgeted search for fault sets that break a contract.
 *
 * A fault set puts at most one fault on each tool.  A fault on a tool the
 * run never calls (or, for down, never plans through) changes nothing, so
 * the search only grows a set by faults on tools that the run under the
 * smaller set touches: every set whose faults all matter is reached that
 * way, smallest first (add its faults in the order the run meets them),
 * and nothing else is replayed.  Every counterexample is then shrunk to
 * a smallest subset that still breaks the contract.
 */
#include <stdlib.h>
#include <string.h>

#include "graph/graph_int.h"

typedef struct fset {
	agr_replay_fault f[AGR_STRESS_MAX_FAULTS];
	size_t n;
} fset;

typedef struct verdict {
	bool fail;
	long step;
	char *reason;
} verdict;

/* A set met by the search, with the faults that could grow it. */
typedef struct node {
	fset s;
	agr_replay_fault *cand;
	size_t ncand;
} node;

typedef struct found {
	fset s;
	size_t contract;
} found;

typedef struct stress {
	const agr_recording *rc;
	const agr_graph *g;
	const agr_contracts *cs;
	const agr_stress_opts *o;
	size_t ncontracts, nnodes;
	agr_checker *k;
	agr_record *scratch;
	/* the run just made */
	agrp_buf trace;
	verdict *v;
	unsigned char *called, *planned;
	long line;
	bool keep_trace; /* the run's records into trace, to be reported */
	/* what was met */
	uint64_t *seen;
	size_t seencap, nseen;
	found *found;
	size_t nfound, capfound;
	agr_stress_report *rep;
	agr_counterexample_fn fn;
	void *ctx;
	bool stop;
	agrp_buf id; /* a counterexample's trace id: the run's, then its set */
} stress;

/* ---- fault sets ------------------------------------------------------ */

static bool
set_has_tool(const fset *s, int tool)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].tool == tool)
			return true;
	return false;
}

/* s with f added, kept sorted by tool. */
static fset
set_plus(const fset *s, agr_replay_fault f)
{
	fset r = *s;
	size_t i = r.n++;

	while (i > 0 && r.f[i - 1].tool > f.tool) {
		r.f[i] = r.f[i - 1];
		i--;
	}
	r.f[i] = f;
	return r;
}

static bool
subset(const fset *a, const fset *b)
{
	for (size_t i = 0; i < a->n; i++) {
		bool in = false;

		for (size_t j = 0; j < b->n && !in; j++)
			in = a->f[i].tool == b->f[j].tool && a->f[i].kind == b->f[j].kind;
		if (!in)
			return false;
	}
	return true;
}

static uint64_t
set_hash(const fset *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < s->n; i++) {
		h ^= (uint64_t)s->f[i].tool * 4 + (uint64_t)s->f[i].kind;
		h *= 1099511628211ULL;
		h ^= h >> 29;
	}
	return h | 1; /* 0 marks an empty slot */
}

/* Marks s as met; false when it was already. */
static bool
first_meeting(stress *st, const fset *s)
{
	uint64_t h = set_hash(s);
	size_t i;

	if (2 * (st->nseen + 1) > st->seencap) {
		uint64_t *old = st->seen;
		size_t oldcap = st->seencap;

		st->seencap = st->seencap ? 2 * st->seencap : 1024;
		st->seen = agrp_xcalloc(st->seencap, sizeof *st->seen);
		st->nseen = 0;
		for (size_t j = 0; j < oldcap; j++)
			if (old[j] != 0) {
				for (i = old[j] & (st->seencap - 1); st->seen[i] != 0;
				     i = (i + 1) & (st->seencap - 1))
					;
				st->seen[i] = old[j];
				st->nseen++;
			}
		free(old);
	}
	for (i = h & (st->seencap - 1); st->seen[i] != 0; i = (i + 1) & (st->seencap - 1))
		if (st->seen[i] == h)
			return false;
	st->seen[i] = h;
	st->nseen++;
	return true;
}

/* The set as text, {tool:kind,...}, into out (emptied first): whole, however
 * long the names. */
static void
set_text(const stress *st, const fset *s, agrp_buf *out)
{
	out->n = 0;
	agrp_buf_str(out, "{");
	for (size_t i = 0; i < s->n; i++) {
		agrp_buf_str(out, i ? "," : "");
		agrp_buf_str(out, agr_graph_node_name(st->g, s->f[i].tool));
		agrp_buf_str(out, ":");
		agrp_buf_str(out, agr_fault_kind_name(s->f[i].kind));
	}
	agrp_buf_str(out, "}");
}

/* ---- one run --------------------------------------------------------- */

static void
on_verdict(void *ctx, const agr_verdict *v)
{
	stress *st = ctx;

	for (size_t i = 0; i < st->ncontracts; i++)
		if (strcmp(agr_contracts_name(st->cs, i), v->contract) == 0) {
			st->v[i].fail = !v->pass;
			st->v[i].step = v->step;
			free(st->v[i].reason);
			st->v[i].reason = v->reason ? agrp_xstrdup(v->reason) : NULL;
			return;
		}
}

/* What the run touches: the tools it calls and plans through. */
static void
on_event(void *ctx, const agr_event *ev)
{
	stress *st = ctx;

	if (ev->kind == AGR_EV_CALL)
		st->called[ev->tool] = 1;
	else if (ev->kind == AGR_EV_ROUTE || ev->kind == AGR_EV_REROUTE ||
	         ev->kind == AGR_EV_DEMOTE)
		for (size_t i = 0; i < ev->path_len; i++)
			st->planned[ev->path[i]] = 1;
}

static void
on_record(void *ctx, const char *bytes, size_t len)
{
	stress *st = ctx;
	agr_error e;

	if (st->keep_trace) {
		agrp_buf_add(&st->trace, bytes, len);
		agrp_buf_add(&st->trace, "\n", 1);
	}
	if (agr_record_set(st->scratch, bytes, len, "(stress)", ++st->line, &e))
		agr_checker_feed(st->k, st->scratch, &e);
}

static void
run(stress *st, const fset *s, const char *trace_id)
{
	agr_replay_opts ro = { .router = st->o->router,
		               .missing = st->o->fresh ? AGR_MISSING_SUCCEED : AGR_MISSING_OK,
		               .faults = s->f,
		               .nfaults = s->n,
		               .fault_origin = "agraph-stress",
		               .on_event = on_event,
		               .event_ctx = st };

	ro.router.trace = trace_id;
	st->trace.n = 0;
	st->line = 0;
	for (size_t i = 0; i < st->ncontracts; i++)
		st->v[i].fail = false;
	memset(st->called, 0, st->nnodes);
	memset(st->planned, 0, st->nnodes);
	agr_replay_run(st->rc, &ro, on_record, st, NULL);
	agr_checker_finish(st->k);
	st->rep->replays++;
}

/* The faults that could grow s after its run. */
static void
candidates(stress *st, const fset *s, node *nd)
{
	int start = agr_graph_start(st->g);

	nd->s = *s;
	nd->ncand = 0;
	nd->cand = agrp_xmalloc((st->nnodes * st->o->nkinds + 1) * sizeof *nd->cand);
	for (size_t t = 0; t < st->nnodes; t++) {
		if ((int)t == start || set_has_tool(s, (int)t))
			continue;
		for (size_t k = 0; k < st->o->nkinds; k++) {
			agr_fault_kind kind = st->o->kinds[k];
			bool touched = st->called[t] || (kind == AGR_FAULT_DOWN && st->planned[t]);

			if (touched)
				nd->cand[nd->ncand++] = (agr_replay_fault){ (int)t, kind };
		}
	}
	/* A level holds many sets: each keeps room for its own candidates
	 * only, not for every tool and kind. */
	nd->cand = agrp_xrealloc(nd->cand, (nd->ncand + 1) * sizeof *nd->cand);
}

/* ---- counterexamples --------------------------------------------------- */

static bool
known(const stress *st, const fset *s, size_t contract)
{
	for (size_t i = 0; i < st->nfound; i++)
		if (st->found[i].contract == contract && subset(&st->found[i].s, s))
			return true;
	return false;
}

/* Whether some contract could still fail first on a superset of s. */
static bool
worth_growing(const stress *st, const fset *s)
{
	for (size_t c = 0; c < st->ncontracts; c++)
		if (!known(st, s, c))
			return true;
	return false;
}

/* The smallest subset of s whose run breaks the contract: subsets are
 * tried by size, so the first that breaks it has no smaller one that
 * does. */
static fset
shrink(stress *st, const fset *s, size_t contract)
{
	size_t n = s->n;

	for (size_t size = 0; size < n; size++) {
		/* subsets of this size, as bit masks in increasing order */
		for (unsigned mask = 0; mask < (1u << n); mask++) {
			fset sub = { .n = 0 };

			if ((size_t)__builtin_popcount(mask) != size)
				continue;
			for (size_t i = 0; i < n; i++)
				if (mask & (1u << i))
					sub.f[sub.n++] = s->f[i];
			run(st, &sub, agr_recording_trace(st->rc));
			if (st->v[contract].fail)
				return sub;
		}
	}
	return *s;
}

static void
report(stress *st, const fset *s, const fset *met, size_t contract, bool new_set)
{
	agr_counterexample ce;
	agrp_buf text = { 0 }, met_text = { 0 };

	set_text(st, s, &text);
	set_text(st, met, &met_text);
	ce.found_as = met->n != s->n ? met_text.p : NULL;
	st->id.n = 0;
	agrp_buf_str(&st->id, agr_recording_trace(st->rc));
	agrp_buf_str(&st->id, text.p);
	st->keep_trace = true;
	run(st, s, st->id.p);
	st->keep_trace = false;
	ce.faults = s->f;
	ce.nfaults = s->n;
	ce.set = text.p;
	ce.contract = agr_contracts_name(st->cs, contract);
	ce.step = st->v[contract].step;
	ce.reason = st->v[contract].reason ? st->v[contract].reason : "";
	ce.trace = st->id.p;
	ce.records = st->trace.p;
	ce.len = st->trace.n;
	ce.new_set = new_set;
	st->rep->counterexamples++;
	if (!st->fn(st->ctx, &ce) || st->o->first)
		st->stop = true;
	free(text.p);
	free(met_text.p);
}

/* Looks at the run of s just made: every contract it breaks that no
 * smaller counterexample explains is shrunk and reported. */
static void
judge(stress *st, const fset *s)
{
	bool *broken = agrp_xcalloc(st->ncontracts + 1, sizeof *broken);

	for (size_t c = 0; c < st->ncontracts; c++)
		broken[c] = st->v[c].fail && !known(st, s, c);
	for (size_t c = 0; c < st->ncontracts && !st->stop; c++) {
		fset m;
		bool new_set = true;

		if (!broken[c] || known(st, s, c))
			continue;
		m = shrink(st, s, c);
		for (size_t i = 0; i < st->nfound; i++)
			if (st->found[i].s.n == m.n && subset(&st->found[i].s, &m))
				new_set = false;
		agrp_grow(&st->found, &st->capfound, st->nfound + 1, sizeof *st->found);
		st->found[st->nfound++] = (found){ m, c };
		report(st, &m, s, c, new_set);
	}
	free(broken);
}

/* ---- the two searches ---------------------------------------------------- */

/* One more set tried, counted for the progress report too. */
static void
tried(stress *st)
{
	agr_progress_set(st->o->progress, ++st->rep->sets);
}

static void
free_nodes(node *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].cand);
	free(v);
}

/* Every set that changes the run, level by level. */
static void
enumerate(stress *st)
{
	node *level = agrp_xcalloc(1, sizeof *level), *next = NULL;
	size_t nlevel = 1, nnext = 0, capnext = 0;
	fset none = { .n = 0 };

	first_meeting(st, &none);
	run(st, &none, agr_recording_trace(st->rc));
	tried(st);
	candidates(st, &none, &level[0]);
	judge(st, &none);
	for (size_t k = 0; k < st->o->max_faults && !st->stop && nlevel > 0; k++) {
		for (size_t i = 0; i < nlevel && !st->stop; i++) {
			if (!worth_growing(st, &level[i].s))
				continue;
			for (size_t j = 0; j < level[i].ncand && !st->stop; j++) {
				fset s = set_plus(&level[i].s, level[i].cand[j]);

				if (!first_meeting(st, &s))
					continue;
				run(st, &s, agr_recording_trace(st->rc));
				tried(st);
				agrp_grow(&next, &capnext, nnext + 1, sizeof *next);
				candidates(st, &s, &next[nnext++]);
				judge(st, &s);
			}
		}
		free_nodes(level, nlevel);
		level = next;
		nlevel = nnext;
		next = NULL;
		nnext = capnext = 0;
	}
	free_nodes(level, nlevel);
}

/* Random walks: each adds faults one by one on tools the run touches. */
static void
sample(stress *st)
{
	agr_prng prng;
	fset none = { .n = 0 };
	node base;

	agr_prng_seed(&prng, st->o->seed);
	run(st, &none, agr_recording_trace(st->rc));
	tried(st);
	st->rep->distinct++;
	candidates(st, &none, &base);
	judge(st, &none);
	first_meeting(st, &none);
	while (st->rep->sets < st->o->budget && !st->stop && base.ncand > 0) {
		size_t size = 1 + (size_t)agr_prng_below(&prng, st->o->max_faults);
		fset s = none;
		node nd = base;
		bool own = false;

		for (size_t j = 0; j < size && nd.ncand > 0 && !st->stop; j++) {
			agr_replay_fault f = nd.cand[agr_prng_below(&prng, nd.ncand)];

			s = set_plus(&s, f);
			run(st, &s, agr_recording_trace(st->rc));
			tried(st);
			if (first_meeting(st, &s))
				st->rep->distinct++;
			if (own)
				free(nd.cand);
			candidates(st, &s, &nd);
			own = true;
			judge(st, &s);
			if (st->rep->sets >= st->o->budget)
				break;
		}
		if (own)
			free(nd.cand);
	}
	free(base.cand);
}

/* How many sets of up to K faults there are over the tools that can be
 * called: sum over i of C(tools, i) * kinds^i. */
static double
space_size(size_t tools, size_t kinds, size_t k)
{
	double total = 0, choose = 1;

	for (size_t i = 0; i <= k && i <= tools; i++) {
		double ways = choose;

		for (size_t j = 0; j < i; j++)
			ways *= (double)kinds;
		total += ways;
		choose = choose * (double)(tools - i) / (double)(i + 1);
	}
	return total;
}

void
agr_stress_run(const agr_recording *rc, const agr_graph *g, const agr_contracts *cs,
               const agr_stress_opts *o, agr_counterexample_fn fn, void *ctx,
               agr_stress_report *rep)
{
	stress st = { .rc = rc, .g = g, .cs = cs, .o = o, .rep = rep, .fn = fn, .ctx = ctx };

	memset(rep, 0, sizeof *rep);
	st.ncontracts = agr_contracts_count(cs);
	st.nnodes = agr_graph_node_count(g);
	st.k = agr_checker_new(cs, 0, on_verdict, &st);
	agr_checker_runs_apart(st.k);
	st.scratch = agr_record_new();
	st.v = agrp_xcalloc(st.ncontracts + 1, sizeof *st.v);
	st.called = agrp_xcalloc(st.nnodes + 1, 1);
	st.planned = agrp_xcalloc(st.nnodes + 1, 1);
	rep->space = space_size(st.nnodes - 1, o->nkinds, o->max_faults);
	rep->sampled = rep->space > (double)o->budget;
	if (rep->sampled) {
		agr_progress_set_total(o->progress, o->budget);
		sample(&st);
	} else {
		enumerate(&st);
		rep->distinct = rep->sets;
	}
	rep->complete = !rep->sampled && !st.stop;
	for (size_t i = 0; i < st.ncontracts; i++)
		free(st.v[i].reason);
	free(st.v);
	free(st.called);
	free(st.planned);
	free(st.seen);
	free(st.found);
	free(st.trace.p);
	free(st.id.p);
	agr_record_free(st.scratch);
	agr_checker_free(st.k);
}
