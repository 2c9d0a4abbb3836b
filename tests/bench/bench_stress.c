/*
 * bench_stress - counterfactual replays per second of agr_stress_run.
 *
 *   bench_stress CONTRACTS GRAPH...   for each graph, searches every set
 *                                     of up to 3 error, timeout and down
 *                                     faults, 100 times over, and prints
 *                                     the replays made, the seconds and
 *                                     the replays per second
 */
#include <stdlib.h>
#include <time.h>

#include "agraph.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool
count(void *ctx, const agr_counterexample *ce)
{
	(void)ce;
	(*(long *)ctx)++;
	return true;
}

int
main(int argc, char **argv)
{
	agr_contracts *cs = agr_contracts_new();
	agr_error e;
	uint64_t total = 0;
	double spent = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_stress CONTRACTS GRAPH...\n");
		return 2;
	}
	if (!agr_contracts_load_file(cs, argv[1], &e)) {
		agr_error_print(&e, "bench_stress");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		agr_graph *g = agr_graph_load_file(argv[i], &e);
		agr_stress_opts o = { .kinds = { AGR_FAULT_ERROR, AGR_FAULT_TIMEOUT,
			                         AGR_FAULT_DOWN },
			              .nkinds = 3,
			              .max_faults = 3,
			              .budget = 1000000,
			              .fresh = true };
		agr_stress_report rep;
		agr_recording *rc;
		long found = 0;
		double t0;

		if (g == NULL) {
			agr_error_print(&e, "bench_stress");
			return 2;
		}
		o.router.goal = -1;
		rc = agr_recording_new(g, agr_graph_name(g));
		uint64_t replays = 0;

		t0 = now();
		for (int round = 0; round < 100; round++) {
			found = 0;
			agr_stress_run(rc, g, cs, &o, count, &found, &rep);
			replays += rep.replays;
		}
		t0 = now() - t0;
		rep.replays = replays;
		printf("%-24s %8llu replays %7.3f s %10.0f replays/s %4ld counterexamples\n",
		       argv[i], (unsigned long long)rep.replays, t0, (double)rep.replays / t0,
		       found);
		total += rep.replays;
		spent += t0;
		agr_recording_free(rc);
		agr_graph_free(g);
	}
	printf("%-24s %8llu replays %7.3f s %10.0f replays/s\n", "all", (unsigned long long)total,
	       spent, (double)total / spent);
	agr_contracts_free(cs);
	return 0;
}
