/*
 * bench_route - reroute latency of agr_search on random graphs.
 *
 *   bench_route gen N SEED   writes a random graph as "from to cost" lines
 *   bench_route run FILE K   loads it, plans node 0 -> N-1, then K times
 *                            disables one interior node of the plan and
 *                            recomputes; prints the mean microseconds per
 *                            reroute and the blocked nodes (for networkx)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agraph.h"

static int
gen(long n, uint64_t seed)
{
	agr_prng p;

	agr_prng_seed(&p, seed);
	for (long u = 0; u < n - 1; u++) {
		/* A costly chain keeps the goal reachable; four random jumps ahead. */
		printf("%ld %ld 5.0\n", u, u + 1);
		for (int k = 0; k < 4; k++) {
			long span = n - 1 - u < 50 ? n - 1 - u : 50;
			long v = u + 1 + (long)agr_prng_below(&p, (uint64_t)span);

			if (v != u + 1)
				printf("%ld %ld %.6f\n", u, v, 0.1 + 0.9 * agr_prng_double(&p));
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
run(const char *file, long iterations)
{
	FILE *f = fopen(file, "r");
	agr_graph *g = agr_graph_new("bench");
	char a[32], b[32];
	double cost;
	agr_search *s;
	unsigned char *blocked;
	int *plan;
	size_t len;
	const int *p;
	double t0, t1;
	long reached = 0;

	if (f == NULL)
		return 2;
	while (fscanf(f, "%31s %31s %lf", a, b, &cost) == 3) {
		agr_cost c;

		agr_cost_from_double(cost, &c);
		agr_graph_add_edge(g, agr_graph_intern(g, a), agr_graph_intern(g, b), c);
	}
	fclose(f);
	s = agr_search_new(g);
	blocked = calloc(agr_graph_node_count(g), 1);
	agr_search_run(s, 0, (int)agr_graph_node_count(g) - 1, NULL, NULL);
	p = agr_search_path(s, &len);
	plan = malloc(len * sizeof *plan);
	memcpy(plan, p, len * sizeof *plan);
	if (len < 3)
		return 2;
	t0 = now();
	for (long i = 0; i < iterations; i++) {
		int v = plan[1 + i % (long)(len - 2)];

		blocked[v] = 1;
		reached += agr_search_run(s, 0, (int)agr_graph_node_count(g) - 1, blocked, NULL) !=
		           AGR_COST_INF;
		blocked[v] = 0;
	}
	t1 = now();
	printf("%zu %zu %.3f %ld", agr_graph_node_count(g), agr_graph_edge_count(g),
	       (t1 - t0) / (double)iterations * 1e6, reached);
	for (size_t i = 1; i + 1 < len; i++)
		printf(" %s", agr_graph_node_name(g, plan[i]));
	putchar('\n');
	free(plan);
	free(blocked);
	agr_search_free(s);
	agr_graph_free(g);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(atol(argv[2]), strtoull(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "run") == 0)
		return run(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: bench_route gen N SEED | run FILE ITERATIONS\n");
	return 2;
}
