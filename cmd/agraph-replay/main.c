/*
 * agraph-replay - drive the router again on recorded traces: the same
 * run, a counterfactual one, or the difference between two runs.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-replay [-u] [--check] [--missing stop | ok | error]\n"
    "                     [--policy heal | static | react | fixed] [--monitors] [--goal node]\n"
    "                     [--fail list] [--down list] [--seed n] [--govern policy]\n"
    "                     graph [file ...]\n"
    "       agraph-replay --diff [--format text | ndjson] a b\n";

enum { OPT_CHECK = 256, OPT_MISSING, OPT_DIFF, OPT_FORMAT };

static const struct option longopts[] = {
	AGR_FE_ROUTER_LONGOPTS,
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "missing", required_argument, NULL, OPT_MISSING },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "unbuffered", no_argument, NULL, 'u' },
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	agr_fe_router ro;
	agr_missing missing;
	bool check, diff, unbuffered, ndjson;
	char **files;
	int nfiles;
	const char *graph;
} args;

static void
parse_args(int argc, char **argv, args *a)
{
	int c;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "hu", longopts, &a->ro, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK:
			a->check = true;
			break;
		case OPT_MISSING:
			if (strcmp(optarg, "stop") == 0)
				a->missing = AGR_MISSING_STOP;
			else if (strcmp(optarg, "ok") == 0)
				a->missing = AGR_MISSING_OK;
			else if (strcmp(optarg, "error") == 0)
				a->missing = AGR_MISSING_ERROR;
			else
				errx(2, "--missing takes stop, ok or error, not '%s'", optarg);
			break;
		case OPT_DIFF:
			a->diff = true;
			break;
		case OPT_FORMAT:
			a->ndjson = agr_fe_ndjson("--format", optarg);
			break;
		case 'u':
			a->unbuffered = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	argc -= optind;
	argv += optind;
	if (a->diff) {
		if (argc != 2)
			agr_fe_usage("--diff compares two files, A and B");
		if (a->check)
			errx(2, "--diff and --check do not go together");
	} else if (argc == 0) {
		agr_fe_usage("no GRAPH file given");
	} else {
		a->graph = *argv++;
		argc--;
	}
	a->files = argv;
	a->nfiles = argc;
}

typedef struct ctx {
	const args *a;
	agr_replay_opts opts;
	long traces, diverged, unrecorded;
	int status;
} ctx;

static long
step_of(const char *bytes, size_t len)
{
	json_t *j = json_loadb(bytes, len, JSON_ALLOW_NUL, NULL);
	long step = (long)json_integer_value(json_object_get(j, "step"));

	json_decref(j);
	return step;
}

/* --check: the first step of the trace where the replay differs. */
static void
check_one(ctx *x, agr_recording *rc)
{
	agr_divergence d;
	const char *rb;
	size_t rlen;

	if (agr_recording_checked(rc, &d, NULL))
		return;
	x->diverged++;
	agr_fe_put_text(stdout, agr_recording_trace(rc), true);
	if (d.recorded != NULL) {
		rb = agr_record_bytes(d.recorded, &rlen);
		printf(": step %ld differs (", step_of(rb, rlen));
		agr_fe_put_text(stdout, agr_record_source(d.recorded), false);
		printf(":%ld)\n", agr_record_line(d.recorded));
		printf("  recorded: %.*s\n", (int)rlen, rb);
	} else {
		printf(": step %ld differs (the recording ends before it)\n",
		       step_of(d.replayed, d.replayed_len));
		printf("  recorded: (nothing)\n");
	}
	if (d.replayed != NULL)
		printf("  replayed: %.*s\n", (int)d.replayed_len, d.replayed);
	else
		printf("  replayed: (nothing: the run ended)\n");
	free(d.replayed);
}

static bool
each_recording(void *vx, agr_recording *rc)
{
	ctx *x = vx;
	agr_replay_info info;

	x->traces++;
	if (x->a->check) {
		check_one(x, rc);
	} else {
		bool flush = x->a->unbuffered;

		agr_recording_replayed(rc, agr_fe_write, &flush, &info);
		x->unrecorded += info.unrecorded;
		if ((info.final == AGR_FINAL_ESCALATED || info.final == AGR_FINAL_CRASHED ||
		     info.final == AGR_FINAL_UNKNOWN) &&
		    x->status == 0)
			x->status = 1;
		if (info.unrecorded > 0 && x->opts.missing != AGR_MISSING_STOP) {
			char *id = agr_text(agr_recording_trace(rc), true);

			warnx("%s: %ld call%s had no recorded result, answered %s (--missing)", id,
			      info.unrecorded, info.unrecorded == 1 ? "" : "s",
			      x->opts.missing == AGR_MISSING_OK ? "ok" : "error");
			free(id);
		}
	}
	agr_recording_free(rc);
	return true;
}

static int
replay(const args *a)
{
	ctx x = { .a = a };
	agr_graph *g;
	agr_error e;

	if ((g = agr_graph_load_file(a->graph, &e)) == NULL) {
		agr_fe_error(&e);
		return 2;
	}
	x.opts.world = agr_fe_router_setup(&a->ro, g, a->graph, &x.opts.router);
	x.opts.missing = a->missing;
	if (agr_fe_each_recording(a->files, a->nfiles, g, &x.opts, a->check, each_recording, &x) !=
	    0)
		x.status = 2;
	agr_world_free(x.opts.world);
	agr_graph_free(g);
	agr_governor_free(a->ro.governor);
	if (a->check) {
		printf("%ld trace%s replayed, %ld diverged\n", x.traces, x.traces == 1 ? "" : "s",
		       x.diverged);
		if (x.diverged > 0 && x.status == 0)
			x.status = 1;
	}
	return x.status;
}

int
main(int argc, char **argv)
{
	args a = { .ro.policy = AGR_POLICY_HEAL };

	parse_args(argc, argv, &a);
	return agr_fe_exit(a.diff ? diff_files(a.files[0], a.files[1], a.ndjson) : replay(&a));
}
