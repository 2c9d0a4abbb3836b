/*
 * bench_route - first plan and reroute latency of agr_search on random graphs.
 *
 *   bench_route gen N SEED
 *       writes a random graph as "from to cost" lines: a chain 0 -> 1 ->
 *       ... -> N-1 of cost 5000 a hop and, from each node, 3 jumps ahead of
 *       integer cost 100..1000.  One edge per ordered pair, the same bytes
 *       for the same N and SEED.
 *   bench_route yaml N SEED
 *       the same graph as an agraph-graph(5) file: start: t0, goal:
 *       tN-1, nodes: {} and one "- [tA, tB, COST]" line an edge; for the
 *       load's time and memory (scripts/bench graph).
 *   bench_route run FILE FROM TO K RUNS
 *       loads it, then RUNS times: a fresh search and its first plan FROM
 *       -> TO (agr_search_new + agr_search_run, which builds the potential
 *       table); then RUNS times: K reroutes, each disabling one interior
 *       node of the plan, in turn, and recomputing.  Untimed first plans
 *       come first, for 50 ms at least, as with the peers.  Prints
 *         graph NODES EDGES
 *         agraph FIRST_MIN FIRST_MEDIAN REROUTE_MIN REROUTE_MEDIAN  (µs)
 *         costs agraph COST_OF_PLAN COST_OF_REROUTE_1 ... _K
 *         interior NODE...  (the plan's interior, the peers block these)
 *
 * Costs are integers, so the peers' sums in doubles are exact too and the
 * costs compare equal.  Loading the file and building the adjacency index
 * (the graph's form for searching, as a peer's graph type is) is not timed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agraph.h"

#define JUMPS 3
#define REACH 50
#define WARM_UP 0.05

static void
edge(bool yaml, long u, long v, unsigned long long cost)
{
	if (yaml)
		printf("  - [t%ld, t%ld, %llu]\n", u, v, cost);
	else
		printf("%ld %ld %llu\n", u, v, cost);
}

static int
gen(long n, uint64_t seed, bool yaml)
{
	agr_prng p;

	if (n < 2)
		return 2;
	agr_prng_seed(&p, seed);
	if (yaml)
		printf("start: t0\ngoal: t%ld\nnodes: {}\nedges:\n", n - 1);
	for (long u = 0; u < n - 1; u++) {
		long picked[JUMPS];
		int np = 0;
		/* jumps go to u+2 .. u+REACH: u+1 is the chain's */
		long first = u + 2, last = u + REACH < n - 1 ? u + REACH : n - 1;
		long span = last - first + 1;

		edge(yaml, u, u + 1, 5000);
		while (span > 0 && np < JUMPS && np < span) {
			long v = first + (long)agr_prng_below(&p, (uint64_t)span);
			int dup = 0;

			for (int k = 0; k < np; k++)
				dup |= picked[k] == v;
			if (dup) /* drawn again: draw anew, so no pair repeats */
				continue;
			picked[np++] = v;
			edge(yaml, u, v, 100 + (unsigned long long)agr_prng_below(&p, 901));
		}
	}
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts t[0..n-1]; its minimum and median. */
static void
min_median(double *t, int n, double *min, double *median)
{
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	*min = t[0];
	*median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void
print_cost(agr_cost c)
{
	if (c == AGR_COST_INF)
		printf(" inf");
	else
		printf(" %lld.%06lld", (long long)(c / AGR_COST_SCALE),
		       (long long)(c % AGR_COST_SCALE));
}

static int
run(const char *file, const char *from, const char *to, long k, int runs)
{
	FILE *f = fopen(file, "r");
	agr_graph *g = agr_graph_new("bench");
	char a[32], b[32];
	double cost, *first_us, *reroute_us, fmin, fmed, rmin, rmed;
	agr_search *s;
	unsigned char *blocked;
	int *plan, src, dst;
	agr_cost plan_cost, *costs;
	size_t len, n;
	const int *p;

	if (f == NULL || k < 1 || runs < 1) {
		fprintf(stderr, "bench_route: cannot read %s\n", file);
		return 2;
	}
	while (fscanf(f, "%31s %31s %lf", a, b, &cost) == 3) {
		agr_cost c;

		if (!agr_cost_from_double(cost, &c) ||
		    !agr_graph_add_edge(g, agr_graph_intern(g, a), agr_graph_intern(g, b), c)) {
			fprintf(stderr, "bench_route: %s: edge %s %s refused (a duplicate?)\n",
			        file, a, b);
			return 2;
		}
	}
	fclose(f);
	src = agr_graph_find(g, from);
	dst = agr_graph_find(g, to);
	if (src < 0 || dst < 0) {
		fprintf(stderr, "bench_route: %s: no node %s\n", file, src < 0 ? from : to);
		return 2;
	}
	n = agr_graph_node_count(g);
	/* The first search builds the adjacency index, part of loading. */
	agr_search_free(agr_search_new(g));

	first_us = malloc((size_t)runs * sizeof *first_us);
	reroute_us = malloc((size_t)runs * sizeof *reroute_us);
	costs = malloc((size_t)k * sizeof *costs);
	blocked = calloc(n, 1);
	plan_cost = AGR_COST_INF;
	s = NULL;
	/* Untimed plans first, for WARM_UP seconds at least: the first runs
	 * after loading are slower, whoever's they are (caches, clock speed). */
	for (double t0 = now(); now() - t0 < WARM_UP;) {
		s = agr_search_new(g);
		agr_search_run(s, src, dst, NULL, NULL);
		agr_search_free(s);
	}
	s = NULL;
	for (int r = 0; r < runs; r++) {
		double t0, t1;

		agr_search_free(s);
		t0 = now();
		s = agr_search_new(g);
		plan_cost = agr_search_run(s, src, dst, NULL, NULL);
		t1 = now();
		first_us[r] = (t1 - t0) * 1e6;
	}
	p = agr_search_path(s, &len);
	if (plan_cost == AGR_COST_INF || len < 3) {
		fprintf(stderr, "bench_route: %s: no plan with an interior node\n", file);
		return 2;
	}
	plan = malloc(len * sizeof *plan);
	memcpy(plan, p, len * sizeof *plan);
	for (int r = 0; r < runs; r++) {
		double t0 = now(), t1;

		for (long i = 0; i < k; i++) {
			int v = plan[1 + i % (long)(len - 2)];
			agr_cost c;

			blocked[v] = 1;
			c = agr_search_run(s, src, dst, blocked, NULL);
			blocked[v] = 0;
			if (r == 0)
				costs[i] = c;
			else if (c != costs[i]) {
				fprintf(stderr, "bench_route: a reroute changed its cost\n");
				return 2;
			}
		}
		t1 = now();
		reroute_us[r] = (t1 - t0) / (double)k * 1e6;
	}
	min_median(first_us, runs, &fmin, &fmed);
	min_median(reroute_us, runs, &rmin, &rmed);
	printf("graph %zu %zu\n", n, agr_graph_edge_count(g));
	printf("agraph %.3f %.3f %.3f %.3f\n", fmin, fmed, rmin, rmed);
	printf("costs agraph");
	print_cost(plan_cost);
	for (long i = 0; i < k; i++)
		print_cost(costs[i]);
	printf("\ninterior");
	for (size_t i = 1; i + 1 < len; i++)
		printf(" %s", agr_graph_node_name(g, plan[i]));
	putchar('\n');
	free(plan);
	free(costs);
	free(first_us);
	free(reroute_us);
	free(blocked);
	agr_search_free(s);
	agr_graph_free(g);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(atol(argv[2]), strtoull(argv[3], NULL, 10), false);
	if (argc == 4 && strcmp(argv[1], "yaml") == 0)
		return gen(atol(argv[2]), strtoull(argv[3], NULL, 10), true);
	if (argc == 7 && strcmp(argv[1], "run") == 0)
		return run(argv[2], argv[3], argv[4], atol(argv[5]), atoi(argv[6]));
	fprintf(stderr, "usage: bench_route gen N SEED | yaml N SEED | run FILE FROM TO K RUNS\n");
	return 2;
}
