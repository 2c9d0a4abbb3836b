/*
 * agraph-route - walk the cheapest path through a tool graph, reroute
 * around failures, demote or escalate when no path is left.
 */
#include <err.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static void
usage(FILE *out, int status)
{
	fputs("usage: agraph-route [-u] [--policy heal|static] [--fail TOOL[:KEY=VALUE]...,...]\n"
	      "                    [--down TOOL,...] [--goal NODE] [--seed N] [--trace ID]\n"
	      "                    [--monitors] [--plan | --coproc] GRAPH\n",
	      out);
	exit(status);
}

enum {
	OPT_FAIL = 256,
	OPT_DOWN,
	OPT_GOAL,
	OPT_SEED,
	OPT_TRACE,
	OPT_POLICY,
	OPT_PLAN,
	OPT_COPROC,
	OPT_MONITORS,
	OPT_VERSION
};

static const struct option longopts[] = {
	{ "fail", required_argument, NULL, OPT_FAIL },
	{ "down", required_argument, NULL, OPT_DOWN },
	{ "goal", required_argument, NULL, OPT_GOAL },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "plan", no_argument, NULL, OPT_PLAN },
	{ "coproc", no_argument, NULL, OPT_COPROC },
	{ "monitors", no_argument, NULL, OPT_MONITORS },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	const char *fail[64], *down[64];
	int nfail, ndown;
	const char *goal, *trace, *graph;
	uint64_t seed;
	agr_policy policy;
	bool plan, coproc, monitors, unbuffered;
} args;

static void
add_list(const char **v, int *n, const char *arg)
{
	if (*n == 64)
		errx(2, "too many --fail or --down options (64 at most; use commas)");
	v[(*n)++] = arg;
}

static void
parse_args(int argc, char **argv, args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "hu", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FAIL:
			add_list(a->fail, &a->nfail, optarg);
			break;
		case OPT_DOWN:
			add_list(a->down, &a->ndown, optarg);
			break;
		case OPT_GOAL:
			a->goal = optarg;
			break;
		case OPT_SEED:
			a->seed = agr_fe_number("--seed", optarg);
			break;
		case OPT_TRACE:
			a->trace = optarg;
			break;
		case OPT_POLICY:
			if (strcmp(optarg, "heal") == 0)
				a->policy = AGR_POLICY_HEAL;
			else if (strcmp(optarg, "static") == 0)
				a->policy = AGR_POLICY_STATIC;
			else
				errx(2, "--policy takes heal or static, not '%s'", optarg);
			break;
		case OPT_PLAN:
			a->plan = true;
			break;
		case OPT_COPROC:
			a->coproc = true;
			break;
		case OPT_MONITORS:
			a->monitors = true;
			break;
		case 'u':
			a->unbuffered = true;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case OPT_VERSION:
			printf("agraph-route %s\n", AGR_VERSION);
			exit(0);
		default:
			usage(stderr, 2);
		}
	}
	if (argc - optind != 1) {
		warnx(argc - optind == 0 ? "no GRAPH file given" : "one GRAPH file, not %d",
		      argc - optind);
		usage(stderr, 2);
	}
	if (a->plan && a->coproc)
		errx(2, "--plan and --coproc do not go together");
	a->graph = argv[optind];
}

/* --plan: the route record alone; exit 1 when there is no path. */
static int
plan_only(agr_router *r, const args *a)
{
	agr_event ev;

	while (agr_router_next(r, &ev)) {
		json_t *rec;

		if (ev.kind == AGR_EV_HEALTH)
			continue;
		if (ev.kind != AGR_EV_ROUTE) {
			const agr_graph *g = agr_router_graph(r);

			warnx("no path from %s to %s", agr_graph_node_name(g, agr_graph_start(g)),
			      a->goal ? a->goal : agr_graph_node_name(g, agr_graph_goal(g)));
			return 1;
		}
		rec = agr_event_json(r, &ev);
		agr_fe_put(rec, a->unbuffered);
		json_decref(rec);
		break;
	}
	return 0;
}

/* --coproc: read records from stdin until the result of the call that is out. */
static int
await_result(agr_router *r, agr_reader *in)
{
	const agr_record *rec;
	agr_error e;
	int rc;
	char reason[700];

	while ((rc = agr_reader_next(in, &rec, &e)) > 0) {
		if (agr_router_feed(r, agr_record_json(rec), &e) >= 0) {
			if (agr_router_waiting(r) == 0)
				return 0;
			continue;
		}
		agr_error_at_record(&e, rec);
		break;
	}
	if (rc == 0) {
		snprintf(reason, sizeof reason, "input ended while call c%ld was out",
		         agr_router_waiting(r));
		warnx("%s", reason);
	} else {
		agr_fe_error(&e);
		snprintf(reason, sizeof reason, "bad input: %s", e.text);
	}
	agr_router_abort(r, reason);
	return 2;
}

int
main(int argc, char **argv)
{
	args a = { .policy = AGR_POLICY_HEAL };
	agr_router_opts opts = { .goal = -1 };
	agr_graph *g;
	agr_world *world;
	agr_router *r;
	agr_reader *in = NULL;
	agr_error e;
	agr_event ev;
	int status = 0, rc;

	parse_args(argc, argv, &a);
	if ((g = agr_graph_load_file(a.graph, &e)) == NULL) {
		agr_fe_error(&e);
		return 2;
	}
	if (a.goal != NULL &&
	    ((opts.goal = agr_graph_find(g, a.goal)) < 0 || opts.goal == agr_graph_start(g)))
		errx(2, "--goal: '%s' is not a node of %s other than the start", a.goal, a.graph);
	world = agr_world_new(g, a.seed);
	for (int i = 0; i < a.nfail; i++)
		if (!agr_world_fail(world, a.fail[i], &e))
			errx(2, "%s", e.text);
	for (int i = 0; i < a.ndown; i++)
		if (!agr_world_down(world, a.down[i], &e))
			errx(2, "%s", e.text);
	opts.policy = a.policy;
	opts.monitors = a.monitors;
	opts.trace = a.trace;
	r = agr_router_new(g, &opts);
	for (size_t t = 0; t < agr_graph_node_count(g); t++)
		if (agr_world_is_down(world, (int)t))
			agr_router_health(r, (int)t, AGR_ST_DOWN, NULL);
	if (a.plan) {
		status = plan_only(r, &a);
		goto out;
	}
	if (a.coproc)
		in = agr_reader_new(NULL, 0, 0);
	while (agr_router_next(r, &ev)) {
		json_t *rec = agr_event_json(r, &ev);

		agr_fe_put(rec, a.unbuffered || (a.coproc && ev.kind == AGR_EV_CALL));
		json_decref(rec);
		if (ev.kind == AGR_EV_FINAL && ev.status == AGR_ST_ESCALATED && status == 0)
			status = 1;
		if (ev.kind != AGR_EV_CALL)
			continue;
		if (a.coproc) {
			if ((rc = await_result(r, in)) != 0)
				status = rc;
		} else {
			const char *cls, *msg;
			agr_status st = agr_world_call(world, ev.tool, &cls, &msg);

			agr_router_result(r, ev.call, st, cls, msg, false, NULL);
		}
	}
out:
	agr_reader_free(in);
	agr_router_free(r);
	agr_world_free(world);
	agr_graph_free(g);
	rc = agr_fe_close_stdout();
	return rc != 0 ? rc : status;
}
