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
    "                     [--policy heal | static] [--monitors] [--goal node]\n"
    "                     [--fail list] [--down list] [--seed n] graph [file ...]\n"
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

/* Text for people, as agraph-trace check writes it: a character no one can
 * see (C0, DEL, C1, U+2028, U+2029) as the JSON escape that says it, a
 * byte that is not UTF-8 as \ufffd, so that a name cannot start a line of
 * its own; a trace id that holds a space or such a character, or starts
 * with ", as a JSON string. */
static void
text_put(FILE *out, const char *s, bool as_id)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	bool quoted = as_id && (*s == '\0' || *s == '"');

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && quoted)
			putc('"', out);
		for (p = (const unsigned char *)s; p < end;) {
			unsigned long c = p[0];
			size_t n = c < 0x80                ? 1
			           : c >= 0xc2 && c < 0xe0 ? 2
			           : c >= 0xe0 && c < 0xf0 ? 3
			           : c >= 0xf0 && c < 0xf5 ? 4
			                                   : 0;
			bool seen;

			if (n > 1 && (size_t)(end - p) >= n) {
				c &= 0x7fu >> n;
				for (size_t i = 1; i < n && n > 0; i++)
					if ((p[i] & 0xc0) != 0x80)
						n = 0;
					else
						c = c << 6 | (p[i] & 0x3f);
				if ((n == 3 && c < 0x800) ||
				    (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
				    (c >= 0xd800 && c < 0xe000))
					n = 0;
			} else if (n > 1) {
				n = 0;
			}
			seen = n > 0 &&
			       !(c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029);
			if (pass == 0) {
				quoted |= as_id && (!seen || c == ' ');
			} else if (n == 0) {
				fputs("\\ufffd", out);
			} else if (!seen) {
				if (c == '\n' || c == '\r' || c == '\t')
					fprintf(out, "\\%c",
					        c == '\n'   ? 'n'
					        : c == '\r' ? 'r'
					                    : 't');
				else
					fprintf(out, "\\u%04lx", c);
			} else if (quoted && (c == '"' || c == '\\')) {
				fprintf(out, "\\%c", (int)c);
			} else {
				fwrite(p, 1, n, out);
			}
			p += n ? n : 1;
		}
	}
	if (quoted)
		putc('"', out);
}

/* text_put's text, as a string to free. */
static char *
text_of(const char *s, bool as_id)
{
	char *t = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&t, &n);

	if (f == NULL)
		err(2, "out of memory");
	text_put(f, s, as_id);
	if (fclose(f) != 0)
		err(2, "out of memory");
	return t;
}

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

	if (agr_replay_check(rc, &x->opts, &d, NULL))
		return;
	x->diverged++;
	text_put(stdout, agr_recording_trace(rc), true);
	if (d.recorded != NULL) {
		rb = agr_record_bytes(d.recorded, &rlen);
		printf(": step %ld differs (", step_of(rb, rlen));
		text_put(stdout, agr_record_source(d.recorded), false);
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

		agr_replay_run(rc, &x->opts, agr_fe_write, &flush, &info);
		x->unrecorded += info.unrecorded;
		if ((info.final == AGR_FINAL_ESCALATED || info.final == AGR_FINAL_UNKNOWN) &&
		    x->status == 0)
			x->status = 1;
		if (info.unrecorded > 0 && x->opts.missing != AGR_MISSING_STOP) {
			char *id = text_of(agr_recording_trace(rc), true);

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
	if (agr_fe_each_recording(a->files, a->nfiles, g, !a->check, each_recording, &x) != 0)
		x.status = 2;
	agr_world_free(x.opts.world);
	agr_graph_free(g);
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
