/*
 * agraph-stress - search the fault sets of a run for counterexamples to
 * contracts, and shrink each to a smallest one.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-stress [-c contracts] [--builtin names] [--max-faults k]\n"
    "                     [--budget n] [--faults error,timeout,down] [--seed n]\n"
    "                     [--first] [--format text | ndjson] [--trace id]\n"
    "                     [--progress | --no-progress]\n"
    "                     [--policy heal | static | react | fixed] [--monitors] [--goal node]\n"
    "                     [--govern policy] graph [file]\n";

enum { OPT_MAX_FAULTS = 256, OPT_BUDGET, OPT_FAULTS, OPT_FIRST, OPT_TRACE, OPT_FORMAT };

static const struct option longopts[] = {
	AGR_FE_ROUTER_LONGOPTS,
	{ "contracts", required_argument, NULL, 'c' },
	{ "builtin", required_argument, NULL, AGR_FE_OPT_BUILTIN },
	{ "max-faults", required_argument, NULL, OPT_MAX_FAULTS },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "faults", required_argument, NULL, OPT_FAULTS },
	{ "first", no_argument, NULL, OPT_FIRST },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	AGR_FE_PROGRESS_LONGOPTS,
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	agr_fe_router ro;
	agr_contracts *cs;
	agr_stress_opts so;
	const char *graph, *file, *trace;
	bool ndjson;
	agr_progress_mode progress;
} args;

static void
parse_faults(agr_stress_opts *so, const char *list)
{
	char *copy = strdup(list), *save = NULL, *item;

	if (copy == NULL)
		err(2, "out of memory");
	/* "" or ",," names no fault, as --builtin refuses them */
	if (list[0] == '\0' || list[0] == ',' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,") != NULL)
		errx(2, "--faults: an empty name in '%s' (known: error, timeout, down)", list);
	so->nkinds = 0;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		agr_fault_kind kind;
		bool dup = false;

		if (!agr_fault_kind_from_name(item, &kind))
			errx(2, "--faults: '%s' is not error, timeout or down", item);
		for (size_t i = 0; i < so->nkinds; i++)
			dup |= so->kinds[i] == kind;
		if (!dup)
			so->kinds[so->nkinds++] = kind;
	}
	free(copy);
	if (so->nkinds == 0)
		errx(2, "--faults: name at least one of error, timeout, down");
}

static void
parse_args(int argc, char **argv, args *a)
{
	int c;
	uint64_t n;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "c:h", longopts, &a->ro, a->cs)) != -1) {
		if (agr_fe_progress_option(c, &a->progress))
			continue;
		switch (c) {
		case OPT_MAX_FAULTS:
			n = agr_fe_number("--max-faults", optarg);
			if (n < 1 || n > AGR_STRESS_MAX_FAULTS)
				errx(2, "--max-faults takes 1 to %d, not %s", AGR_STRESS_MAX_FAULTS,
				     optarg);
			a->so.max_faults = n;
			break;
		case OPT_BUDGET:
			if ((a->so.budget = agr_fe_number("--budget", optarg)) == 0)
				errx(2, "--budget must be at least 1");
			break;
		case OPT_FAULTS:
			parse_faults(&a->so, optarg);
			break;
		case OPT_FIRST:
			a->so.first = true;
			break;
		case OPT_TRACE:
			a->trace = optarg;
			break;
		case OPT_FORMAT:
			a->ndjson = agr_fe_ndjson("--format", optarg);
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	if (a->ro.nfail + a->ro.ndown > 0)
		errx(2, "--fail and --down are not for stress: record a run with them "
		        "(agraph-route --fail ...) and stress that");
	if (argc - optind < 1 || argc - optind > 2)
		agr_fe_usage(argc == optind ? "no GRAPH file given"
		                            : "a GRAPH and at most one FILE");
	a->graph = argv[optind];
	a->file = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (agr_contracts_count(a->cs) == 0)
		agr_contracts_builtin(a->cs, "all", NULL);
}

static bool
on_counterexample(void *ctx, const agr_counterexample *ce)
{
	const args *a = ctx;
	FILE *summary = a->ndjson ? stderr : stdout;

	if (a->ndjson)
		agr_progress_clear(a->so.progress);
	else
		agr_fe_before_output();
	if (a->ndjson && ce->new_set && ce->len > 0) /* lines: the last newline put back */
		agr_fe_put_bytes(ce->records, ce->len - 1, false);
	/* names from the graph and the contracts, and reasons that quote the
	 * run, shown as check shows them: one counterexample, one line */
	fputs(a->ndjson ? "agraph-stress: " : "", summary);
	agr_fe_put_text(summary, ce->set, false);
	fputs(" breaks ", summary);
	agr_fe_put_text(summary, ce->contract, false);
	fprintf(summary, " at step %ld", ce->step);
	if (ce->found_as != NULL) {
		fputs(" (shrunk from ", summary);
		agr_fe_put_text(summary, ce->found_as, false);
		fputs(")", summary);
	}
	fputs(": ", summary);
	agr_fe_put_text(summary, ce->reason, false);
	fputs("\n", summary);
	return true;
}

/* The last line: what was searched and what it found. */
static void
summarize(const args *a, const agr_stress_report *rep)
{
	FILE *out = a->ndjson ? stderr : stdout;
	unsigned long long sets = rep->sets, found = rep->counterexamples;
	size_t k = a->so.max_faults;

	fputs(a->ndjson ? "agraph-stress: " : "", out);
	if (rep->sampled)
		fprintf(out,
		        "sampled %llu fault sets of up to %zu faults with seed %llu "
		        "(%llu distinct, of %.3g)",
		        sets, k, (unsigned long long)a->so.seed, (unsigned long long)rep->distinct,
		        rep->space);
	else if (rep->complete)
		fprintf(out,
		        "searched all %.0f fault sets of up to %zu fault%s: replayed %llu, "
		        "the rest change nothing or hold a counterexample",
		        rep->space, k, k == 1 ? "" : "s", sets);
	else
		fprintf(out, "stopped at the first counterexample after %llu of %.0f fault sets",
		        sets, rep->space);
	fprintf(out, "; %llu counterexample%s\n", found, found == 1 ? "" : "s");
}

int
main(int argc, char **argv)
{
	args a = { .ro.policy = AGR_POLICY_HEAL,
		   .so = { .kinds = { AGR_FAULT_ERROR },
		           .nkinds = 1,
		           .max_faults = 2,
		           .budget = 10000 } };
	agr_graph *g;
	agr_recording *rc;
	agr_stress_report rep;
	agr_error e;

	a.cs = agr_contracts_new();
	parse_args(argc, argv, &a);
	if ((g = agr_graph_load_file(a.graph, &e)) == NULL) {
		agr_fe_error(&e);
		agr_contracts_free(a.cs);
		return 2;
	}
	if (agr_fe_router_setup(&a.ro, g, a.graph, &a.so.router) != NULL)
		abort(); /* refused in parse_args */
	rc = a.file ? agr_fe_read_trace(a.file, g, a.trace)
	            : agr_recording_new(g, agr_graph_name(g));
	a.so.fresh = a.file == NULL;
	a.so.seed = a.ro.seed;
	a.so.progress = agr_fe_progress_start(a.progress);
	agr_progress_unit(a.so.progress, "sets");
	agr_stress_run(rc, g, a.cs, &a.so, on_counterexample, &a, &rep);
	agr_fe_progress_end();
	summarize(&a, &rep);
	agr_recording_free(rc);
	agr_graph_free(g);
	agr_contracts_free(a.cs);
	agr_governor_free(a.ro.governor);
	return agr_fe_exit(rep.counterexamples > 0 ? 1 : 0);
}
