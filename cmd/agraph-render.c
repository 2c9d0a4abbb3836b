/*
 * agraph-render - the tool graph and a run over it, or a trace's cause
 * graph, drawn by graphviz for review.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-render [-T format] [-o file] [--layout engine] [-t file]\n"
    "                     [--trace id] graph\n"
    "       agraph-render --lineage [-T format] [-o file] [--layout engine]\n"
    "                     [--trace id] [file]\n";

enum { OPT_LAYOUT = 256, OPT_TRACE, OPT_LINEAGE };

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'T' },
	{ "output", required_argument, NULL, 'o' },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "run", required_argument, NULL, 't' },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "lineage", no_argument, NULL, OPT_LINEAGE },
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct args {
	agr_render_opts ro;
	const char *output, *run, *trace, *graph;
	bool lineage;
} args;

static void
parse_args(int argc, char **argv, args *a)
{
	int c;

	agr_fe_init(argv, usage);
	while ((c = agr_fe_getopt(argc, argv, "T:o:t:h", longopts, NULL, NULL)) != -1) {
		switch (c) {
		case 'T':
			a->ro.format = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_LAYOUT:
			a->ro.layout = optarg;
			break;
		case 't':
			a->run = optarg;
			break;
		case OPT_TRACE:
			a->trace = optarg;
			break;
		case OPT_LINEAGE:
			a->lineage = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	argc -= optind;
	argv += optind;
	if (a->lineage) {
		if (a->run != NULL)
			errx(2, "--lineage reads its trace as the file operand, not -t");
		if (argc > 1)
			agr_fe_usage("--lineage draws one file of traces");
		a->run = argc == 1 ? argv[0] : "-";
	} else {
		if (argc != 1)
			agr_fe_usage(argc == 0 ? "no GRAPH file given" : "one GRAPH file, not %d",
			             argc);
		a->graph = argv[0];
	}
}

/* A run over another graph draws nothing of its own: say so. */
static void
warn_strangers(const agr_graph *g, const agr_recording *rc, const char *graph_path)
{
	for (size_t i = 0; i < agr_recording_size(rc); i++) {
		const json_t *rec = agr_record_json(agr_recording_record(rc, i));
		const char *tool = agr_json_str(rec, "tool");

		if (tool != NULL && agr_graph_find(g, tool) < 0) {
			warnx("%s:%ld: tool '%s' is not a node of %s",
			      agr_record_source(agr_recording_record(rc, i)),
			      agr_record_line(agr_recording_record(rc, i)), tool, graph_path);
			return;
		}
	}
}

static int
write_out(const args *a, const char *data, size_t len)
{
	FILE *f = stdout;

	/* -o - is standard output, as with dot -o and curl -o */
	if (a->output != NULL && strcmp(a->output, "-") != 0 &&
	    (f = fopen(a->output, "wb")) == NULL) {
		warn("%s", a->output);
		return 2;
	}
	if (fwrite(data, 1, len, f) != len || (f != stdout && fclose(f) != 0)) {
		if (f == stdout)
			return 0; /* agr_fe_exit() reports it */
		warn("%s", a->output);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	args a = { .ro = { NULL, NULL } };
	agr_graph *g = NULL;
	agr_recording *rc = NULL;
	agr_error e;
	char *data = NULL;
	size_t len = 0;
	bool ok;
	int status;

	parse_args(argc, argv, &a);
	if (!a.lineage && (g = agr_graph_load_file(a.graph, &e)) == NULL) {
		agr_fe_error(&e);
		return 2;
	}
	if (a.run != NULL)
		rc = agr_fe_read_trace(a.run, NULL, a.trace);
	if (g != NULL && rc != NULL)
		warn_strangers(g, rc, a.graph);
	ok = a.lineage ? agr_render_lineage(rc, &a.ro, &data, &len, &e)
	               : agr_render_graph(g, rc, &a.ro, &data, &len, &e);
	status = ok ? write_out(&a, data, len) : 2;
	if (!ok) {
		/* graphviz failed on what the files said: name the one that chose */
		snprintf(e.source, sizeof e.source, "%s", a.lineage ? a.run : a.graph);
		agr_fe_error(&e);
	}
	free(data);
	agr_recording_free(rc);
	agr_graph_free(g);
	return agr_fe_exit(status);
}
