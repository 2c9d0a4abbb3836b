/*
 * agraph-route - walk the cheapest path through a tool graph, reroute
 * around failures, demote or escalate when no path is left.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-route [-u] [--policy heal | static | react | fixed]\n"
    "                    [--fail list] [--down list] [--goal node] [--seed n]\n"
    "                    [--id id] [--monitors] [--input json | @file] [--govern policy]\n"
    "                    [--plan | --coproc | --exec [--ts] [--probe]\n"
    "                     [-f fault[:key=value,...]] [--spec file]] graph\n";

enum { OPT_ID = 256, OPT_PLAN, OPT_COPROC, OPT_EXEC, OPT_TS, OPT_PROBE, OPT_INPUT };

static const struct option longopts[] = {
	AGR_FE_ROUTER_LONGOPTS,
	{ "id", required_argument, NULL, OPT_ID },
	{ "plan", no_argument, NULL, OPT_PLAN },
	{ "coproc", no_argument, NULL, OPT_COPROC },
	{ "exec", no_argument, NULL, OPT_EXEC },
	{ "ts", no_argument, NULL, OPT_TS },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "input", required_argument, NULL, OPT_INPUT },
	AGR_FE_FAULT_LONGOPTS,
	{ "unbuffered", no_argument, NULL, 'u' },
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	agr_fe_router ro;
	const char *id, *graph, *input;
	bool plan, coproc, exec, ts, probe, unbuffered;
	agr_fe_faults given; /* -f, --spec */
	agr_injector *faults;
} args;

/* -f and --spec, once --seed is known: live faults, each checked as it
 * is added (agr_injector_live()), before anything runs. */
static void
live_faults(args *a)
{
	if (!agr_fe_faults_given(&a->given))
		return;
	if (!a->exec)
		errx(2, "-f and --spec inject faults into real calls, with --exec; agraph-inject "
		        "injects them into the trace of any run");
	a->faults = agr_injector_new(a->ro.seed, NULL, NULL);
	agr_injector_live(a->faults);
	agr_fe_faults_add(&a->given, a->faults);
}

static void
parse_args(int argc, char **argv, args *a)
{
	int c;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "f:hu", longopts, &a->ro, NULL)) != -1) {
		if (agr_fe_faults_option(&a->given, c, optarg))
			continue;
		switch (c) {
		case OPT_ID: {
			json_t *valid = json_string(optarg); /* NULL: not UTF-8 */

			if (valid == NULL)
				errx(2, "--id: '%s' is not valid UTF-8", optarg);
			json_decref(valid);
			a->id = optarg;
			break;
		}
		case OPT_PLAN:
			a->plan = true;
			break;
		case OPT_COPROC:
			a->coproc = true;
			break;
		case OPT_EXEC:
			a->exec = true;
			break;
		case OPT_TS:
			a->ts = true;
			break;
		case OPT_PROBE:
			a->probe = true;
			break;
		case OPT_INPUT:
			a->input = optarg;
			break;
		case 'u':
			a->unbuffered = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	if (argc - optind != 1)
		agr_fe_usage(argc - optind == 0 ? "no GRAPH file given" : "one GRAPH file, not %d",
		             argc - optind);
	if (a->plan + a->coproc + a->exec > 1)
		errx(2, "--plan, --coproc and --exec do not go together");
	if (a->ts && !a->exec)
		errx(2, "--ts goes with --exec: only real calls take time");
	if (a->probe && !a->exec)
		errx(2, "--probe goes with --exec: probes are real programs");
	if (a->exec && a->ro.nfail > 0)
		errx(2, "--fail simulates a tool, --exec runs it: they do not go together");
	if (a->coproc && a->input != NULL && strcmp(a->input, "@-") == 0)
		errx(2, "--input @-: with --coproc standard input is the coprocess's");
	if (a->plan && a->ro.policy == AGR_POLICY_REACT)
		errx(2, "--plan: a ReAct agent plans no path (--policy react)");
	live_faults(a);
	a->graph = argv[optind];
}

/* --input: the run's input, which its first record carries whole. */
static json_t *
input_arg(const char *arg)
{
	json_t *input = agr_fe_json_arg("--input", arg);
	size_t n = json_dumpb(input, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);

	/* the record's other fields get 1 MiB of a trace line */
	if (n > AGR_DEFAULT_MAX_LINE - ((size_t)1 << 20))
		errx(2, "--input: %zu bytes of JSON, more than a trace line holds (%zu MiB)", n,
		     (size_t)(AGR_DEFAULT_MAX_LINE >> 20));
	return input;
}

/* The event's record.  One that is not JSON would be a bug: never
 * written as another record (an empty one, say), but an end, exit 2. */
static json_t *
event_json(const agr_router *r, const agr_event *ev)
{
	json_t *rec = agr_event_json(r, ev);

	if (rec == NULL)
		errx(2, "step %ld: the %s record is not valid JSON (a bug): stopped", ev->step,
		     agr_kind_name(ev->kind));
	return rec;
}

/* Writes the event's record, flushed when flush is set. */
static void
put_record(const agr_router *r, const agr_event *ev, bool flush)
{
	json_t *rec = event_json(r, ev);

	agr_fe_put(rec, flush);
	json_decref(rec);
}

/* --plan: the route record alone; exit 1 when there is no path. */
static int
plan_only(agr_router *r, const args *a)
{
	agr_event ev;
	agr_error e;

	if (!agr_router_first_plan(r, &ev, &e)) {
		agr_fe_error(&e);
		return 1;
	}
	put_record(r, &ev, a->unbuffered);
	return 0;
}

/* What the records read while a call is out make: written as they come. */
static void
put_event(void *ctx, const agr_router *r, const agr_event *ev)
{
	put_record(r, ev, *(const bool *)ctx);
}

/*
 * --coproc and a signal (SIGINT, SIGTERM, SIGHUP): the record in hand is
 * finished, the run ends with a final record of status unknown that says
 * so, and agraph-route exits 128 + the signal's number.
 */
typedef struct stopping {
	agr_router *r;
	const volatile sig_atomic_t *flag;
	bool unbuffered;
} stopping;

/* The stop, after a whole line: the rest of the run's records, its final
 * last (agr_fe_on_stop()). */
static void
stop_run(void *ctx)
{
	stopping *st = ctx;
	agr_event ev;

	agr_router_stop(st->r, *st->flag);
	while (agr_router_next(st->r, &ev))
		put_record(st->r, &ev, st->unbuffered);
}

/* --exec: after the probes or a call.  What the tools left is ended (all
 * children of this process are theirs); the runner could not run (ok
 * false): the run fails, exit 2; a stop signal cancelled the tools: the
 * run ends with their call out.  Returns the exit status. */
static int
exec_ended(agr_router *r, bool ok, const agr_error *e, const stopping *st, int status)
{
	agr_exec_end_orphans();
	if (!ok) {
		agr_fe_error(e);
		agr_router_abort(r, AGR_FINAL_FAILURE, e->text);
		return 2;
	}
	if (*st->flag != 0)
		agr_router_stop(r, *st->flag);
	return status;
}

/* --coproc: read records from stdin until the result of the call that is
 * out, or its tool's timeout_ms. */
static int
await_result(agr_router *r, agr_peer *in, const stopping *st)
{
	agr_error e;
	int rc;
	bool unbuffered = st->unbuffered;

	if ((rc = agr_router_await_or_end(r, in, put_event, &unbuffered, &e)) == 1)
		return 0;
	if (rc == 2) { /* asked to stop while it waited: the final comes next */
		agr_router_stop(r, *st->flag);
		return 0;
	}
	agr_fe_error(&e); /* the run has ended, saying why */
	return 2;
}

int
main(int argc, char **argv)
{
	args a = { .ro.policy = AGR_POLICY_HEAL };
	agr_router_opts opts;
	agr_graph *g;
	agr_world *world;
	agr_router *r;
	agr_peer *in = NULL;
	agr_error e;
	agr_event ev;
	int status = 0, rc;
	stopping stop = { 0 };
	char *dir = NULL;
	agr_router_exec_opts xo;
	json_t *input = NULL;

	parse_args(argc, argv, &a);
	if (a.input != NULL)
		input = input_arg(a.input);
	if ((g = agr_graph_load_file(a.graph, &e)) == NULL ||
	    (a.exec && !agr_graph_check_exec(g, a.graph, &e))) {
		agr_fe_error(&e);
		agr_graph_free(g);
		return 2;
	}
	world = agr_fe_router_setup(&a.ro, g, a.graph, &opts);
	if (world == NULL)
		world = agr_world_new(g, a.ro.seed);
	opts.trace = a.id;
	opts.input = input;
	r = agr_router_new(g, &opts);
	agr_world_report_down(world, r);
	if (a.plan) {
		status = plan_only(r, &a);
		goto out;
	}
	if (a.coproc || a.exec) {
		stop = (stopping){ r, agr_fe_catch_stop(), a.unbuffered };
		agr_fe_on_stop(stop_run, &stop);
	}
	if (a.coproc) {
		in = agr_peer_new(0, "-", 0);
		agr_peer_stop_on(in, stop.flag);
	}
	if (a.exec) {
		dir = agr_router_exec_dir(a.graph);
		/* what a tool leaves outside its group comes back here, to end */
		agr_exec_adopt_orphans();
	}
	xo = (agr_router_exec_opts){ dir, 2, stop.flag, a.ts, a.faults, a.ro.seed };
	if (a.probe)
		status = exec_ended(r, agr_router_probe(r, &xo, &e), &e, &stop, status);
	while (agr_router_next(r, &ev)) {
		put_record(r, &ev, a.unbuffered || (a.coproc && ev.kind == AGR_EV_CALL));
		if (ev.kind == AGR_EV_FINAL &&
		    (ev.final_status == AGR_FINAL_ESCALATED ||
		     ev.final_status == AGR_FINAL_CRASHED) &&
		    status == 0)
			status = 1;
		if (ev.kind != AGR_EV_CALL)
			continue;
		if (a.coproc) {
			if ((rc = await_result(r, in, &stop)) != 0)
				status = rc;
		} else if (a.exec) {
			status = exec_ended(r, agr_router_exec(r, &ev, &xo, &e), &e, &stop, status);
		} else {
			agr_world_answer(world, r, &ev);
		}
	}
out:
	agr_injector_free(a.faults);
	free(dir);
	agr_peer_free(in);
	agr_router_free(r);
	agr_world_free(world);
	agr_graph_free(g);
	agr_governor_free(a.ro.governor);
	json_decref(input);
	return agr_fe_exit(status);
}
