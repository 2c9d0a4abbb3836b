/*
 * test_search.c - Dijkstra against brute force: every simple path of
 * small random graphs, enumerated and ordered by the rule of agraph-route(1)
 * (cost, then hops, then byte-wise name sequence).  Few distinct costs
 * and shuffled names make ties, and so the tie-break, common.
 */
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

#define MAXN 9

typedef struct best {
	agr_cost cost;
	int hops;
	int path[MAXN + 1];
	int len;
} best;

static agr_graph *G;
static int N;
static unsigned char blocked[MAXN];
static agr_cost penalty[MAXN];

/* Is a (len) smaller than b by names?  Same length: both have equal hops. */
static int
names_cmp(const int *a, const int *b, int len)
{
	for (int i = 0; i < len; i++) {
		int c = strcmp(agr_graph_node_name(G, a[i]), agr_graph_node_name(G, b[i]));

		if (c != 0)
			return c;
	}
	return 0;
}

static void
consider(best *b, const int *path, int len, agr_cost cost)
{
	int hops = len - 1;

	if (b->len == 0 || cost < b->cost || (cost == b->cost && hops < b->hops) ||
	    (cost == b->cost && hops == b->hops && names_cmp(path, b->path, len) < 0)) {
		b->cost = cost;
		b->hops = hops;
		b->len = len;
		memcpy(b->path, path, (size_t)len * sizeof *path);
	}
}

static void
enumerate(best *b, int *path, int len, unsigned char *on, agr_cost cost, int target)
{
	int u = path[len - 1];

	if (u == target) {
		consider(b, path, len, cost);
		return;
	}
	for (int v = 0; v < N; v++) {
		agr_cost w = agr_graph_edge_cost(G, u, v);

		if (w == AGR_COST_INF || on[v] || blocked[v])
			continue;
		on[v] = 1;
		path[len] = v;
		enumerate(b, path, len + 1, on, cost + w + penalty[v], target);
		on[v] = 0;
	}
}

int
main(void)
{
	static const char *const pool[] = { "a", "b",  "c",  "d", "e", "f",  "g",  "h",
		                            "i", "aa", "ab", "B", "Z", "z0", "zz", "m" };
	agr_prng rng;
	int graphs = 3000, cost_bad = 0, path_bad = 0, none_bad = 0, with_paths = 0, ties = 0;

	agr_prng_seed(&rng, 20261125);
	for (int gi = 0; gi < graphs; gi++) {
		char used[16] = { 0 };
		agr_search *s;
		int source, target, path[MAXN + 1];
		unsigned char on[MAXN] = { 0 };
		best b = { 0 };
		agr_cost got;
		const int *p;
		size_t plen;
		double density = 0.2 + 0.6 * agr_prng_double(&rng);

		N = 2 + (int)agr_prng_below(&rng, MAXN - 1);
		G = agr_graph_new("random");
		for (int i = 0; i < N; i++) {
			int k;

			do
				k = (int)agr_prng_below(&rng, 16);
			while (used[k]);
			used[k] = 1;
			agr_graph_intern(G, pool[k]);
		}
		for (int u = 0; u < N; u++)
			for (int v = 0; v < N; v++)
				if (u != v && agr_prng_double(&rng) < density)
					agr_graph_add_edge(
					    G, u, v, (agr_cost)agr_prng_below(&rng, 3) * 100000);
		for (int i = 0; i < N; i++) {
			blocked[i] = agr_prng_below(&rng, 6) == 0;
			penalty[i] = gi % 3 == 0 ? (agr_cost)agr_prng_below(&rng, 2) * 100000 : 0;
		}
		source = (int)agr_prng_below(&rng, (uint64_t)N);
		target = (int)agr_prng_below(&rng, (uint64_t)N);
		blocked[source] = 0;
		if (target == source)
			target = (source + 1) % N;
		path[0] = source;
		on[source] = 1;
		enumerate(&b, path, 1, on, 0, target);
		/* Twice: a fresh search's first run, and a run after others that
		 * must leave nothing behind: one to another target, one to this
		 * target without blocks (its potential is then reused). */
		for (int pass = 0; pass < 2; pass++) {
			s = agr_search_new(G);
			if (pass == 1) {
				agr_search_run(s, target, source, NULL, NULL);
				agr_search_run(s, source, target, NULL, NULL);
			}
			got = agr_search_run(s, source, target, blocked,
			                     gi % 3 == 0 ? penalty : NULL);
			p = agr_search_path(s, &plen);
			if (b.len == 0) {
				none_bad += got != AGR_COST_INF;
			} else {
				with_paths += pass;
				if (got != b.cost) {
					cost_bad++;
				} else if ((int)plen != b.len ||
				           memcmp(p, b.path, plen * sizeof *p) != 0) {
					if (path_bad++ < 5)
						diag("graph %d, pass %d: not brute force's path",
						     gi, pass);
				}
			}
			agr_search_free(s);
		}
		agr_graph_free(G);
		ties += b.len > 0;
	}
	ok(with_paths > graphs / 2, "%d of %d random graphs have a path", with_paths, graphs);
	ok(none_bad == 0, "no path found where none exists (%d wrong)", none_bad);
	ok(cost_bad == 0, "cheapest cost equals brute force (%d wrong)", cost_bad);
	ok(path_bad == 0, "path equals brute force, tie-breaks included (%d wrong)", path_bad);
	(void)ties;
	return done_testing();
}
