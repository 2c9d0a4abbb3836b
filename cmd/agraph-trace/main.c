/*
 * agraph-trace - check traces against contracts, measure reliability,
 * lint, grep, follow lineage, split by trace id, and import and export
 * other formats.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "agraph_fe.h"

static const char usage[] =
    "usage: agraph-trace check [-u] [--verbose] [--progress | --no-progress]\n"
    "                          [-c contracts] [--builtin names] [--format fmt]\n"
    "                          [--max-open n] [file ...]\n"
    "       agraph-trace stats [-u] [--progress | --no-progress] [-c contracts]\n"
    "                          [--builtin names] [--json | --by-fault] [--partial]\n"
    "                          [--max-open n] [file ...]\n"
    "       agraph-trace stats --merge [--json] [--progress | --no-progress]\n"
    "                          [file ...]\n"
    "       agraph-trace lint [--progress | --no-progress] [file ...]\n"
    "       agraph-trace grep [-uv] [--whole-trace] expr [file ...]\n"
    "       agraph-trace lineage [--trace id] step [file ...]\n"
    "       agraph-trace split [-du] -n n [file [prefix]]\n"
    "       agraph-trace split [-u] -n k/n [file ...]\n"
    "       agraph-trace import [-u] [--progress | --no-progress]\n"
    "                          [--terminate-word word]\n"
    "                          openai | swe-agent | chatlog | otel [file ...]\n"
    "       agraph-trace export [-u] [--start time] otel [file ...]\n";

enum {
	OPT_FORMAT = 256,
	OPT_MAX_OPEN,
	OPT_JSON,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_BY_FAULT,
	OPT_TRACE,
	OPT_WHOLE_TRACE,
	OPT_TERMINATE_WORD,
	OPT_VERBOSE,
	OPT_START,
	PROGRESS, /* in takes(): --progress and --no-progress */
};

static const struct option longopts[] = {
	{ "contracts", required_argument, NULL, 'c' },
	{ "builtin", required_argument, NULL, AGR_FE_OPT_BUILTIN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "max-open", required_argument, NULL, OPT_MAX_OPEN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "partial", no_argument, NULL, OPT_PARTIAL },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "by-fault", no_argument, NULL, OPT_BY_FAULT },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "whole-trace", no_argument, NULL, OPT_WHOLE_TRACE },
	{ "terminate-word", required_argument, NULL, OPT_TERMINATE_WORD },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "start", required_argument, NULL, OPT_START },
	{ "invert-match", no_argument, NULL, 'v' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "number", required_argument, NULL, 'n' },
	{ "numeric-suffixes", no_argument, NULL, 'd' },
	AGR_FE_PROGRESS_LONGOPTS,
	AGR_FE_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

typedef struct opts {
	const char *cmd;
	trace_opts t;
} opts;

/* Which command takes which option. */
static bool
takes(const char *cmd, int c)
{
	static const struct {
		const char *cmd;
		int opts[10];
	} table[] = {
		{ "check",
		  { 'c', AGR_FE_OPT_BUILTIN, OPT_FORMAT, OPT_MAX_OPEN, OPT_VERBOSE, 'u',
		    PROGRESS } },
		{ "stats",
		  { 'c', AGR_FE_OPT_BUILTIN, OPT_JSON, OPT_PARTIAL, OPT_MERGE, OPT_BY_FAULT,
		    OPT_MAX_OPEN, 'u', PROGRESS } },
		{ "lint", { 'u', PROGRESS } },
		{ "grep", { 'v', OPT_WHOLE_TRACE, 'u' } },
		{ "lineage", { OPT_TRACE, 'u' } },
		{ "split", { 'n', 'd', 'u' } },
		{ "import", { OPT_TERMINATE_WORD, 'u', PROGRESS } },
		{ "export", { OPT_START, 'u' } },
	};

	if (c == 'h' || c == AGR_FE_OPT_VERSION || c == '?')
		return true;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].cmd, cmd) == 0)
			for (size_t k = 0; k < 10 && table[i].opts[k]; k++)
				if (table[i].opts[k] == c ||
				    (table[i].opts[k] == PROGRESS &&
				     (c == AGR_FE_OPT_PROGRESS || c == AGR_FE_OPT_NO_PROGRESS)))
					return true;
	return false;
}

static void
parse(int argc, char **argv, opts *o)
{
	int c, i = -1;

	while ((c = getopt_long(argc, argv, "c:n:duvh", longopts, &i)) != -1) {
		if (!takes(o->cmd, c) && i >= 0)
			agr_fe_usage("%s does not take --%s", o->cmd, longopts[i].name);
		if (!takes(o->cmd, c))
			agr_fe_usage("%s does not take -%c", o->cmd, c);
		i = -1;
		if (agr_fe_contracts_option(o->t.contracts, c, optarg) ||
		    agr_fe_progress_option(c, &o->t.progress))
			continue;
		switch (c) {
		case OPT_FORMAT:
			if (!agr_format_from_name(optarg, &o->t.format) ||
			    o->t.format == AGR_FMT_LINT)
				errx(2, "--format takes text, ndjson, junit or github, not '%s'",
				     optarg);
			break;
		case OPT_MAX_OPEN:
			o->t.max_open = agr_fe_number("--max-open", optarg);
			break;
		case OPT_JSON:
			o->t.json = true;
			break;
		case OPT_PARTIAL:
			o->t.partial = true;
			break;
		case OPT_MERGE:
			o->t.merge = true;
			break;
		case OPT_BY_FAULT:
			o->t.by_fault = true;
			break;
		case OPT_TRACE:
			o->t.trace = optarg;
			break;
		case OPT_WHOLE_TRACE:
			o->t.whole_trace = true;
			break;
		case OPT_TERMINATE_WORD:
			if (optarg[0] == '\0')
				errx(2, "--terminate-word takes a word");
			o->t.terminate_word = optarg;
			break;
		case OPT_VERBOSE:
			o->t.verbose = true;
			break;
		case OPT_START:
			o->t.start = optarg;
			break;
		case 'v':
			o->t.invert = true;
			break;
		case 'n':
			o->t.shards = optarg;
			break;
		case 'd':
			o->t.digits = true;
			break;
		case 'u':
			o->t.unbuffered = true;
			break;
		default:
			agr_fe_other_option(c);
		}
	}
	o->t.files = argv + optind;
	o->t.nfiles = argc - optind;
}

static const char *
take_operand(opts *o, const char *what)
{
	if (o->t.nfiles < 1)
		agr_fe_usage("%s: no %s given", o->cmd, what);
	o->t.nfiles--;
	return *o->t.files++;
}

int
main(int argc, char **argv)
{
	opts o = { .t.format = AGR_FMT_TEXT };
	int status;

	agr_fe_init(argv, usage);
	if (argc < 2)
		agr_fe_usage(NULL);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		agr_fe_other_option('h');
	if (strcmp(argv[1], "--version") == 0)
		agr_fe_other_option(AGR_FE_OPT_VERSION);
	o.cmd = argv[1];
	o.t.contracts = agr_contracts_new();
	argv[1] = program_invocation_short_name; /* getopt names the program so */
	parse(argc - 1, argv + 1, &o);
	if (strcmp(o.cmd, "check") == 0)
		status = trace_check(&o.t, false);
	else if (strcmp(o.cmd, "lint") == 0)
		status = trace_check(&o.t, true);
	else if (strcmp(o.cmd, "stats") == 0)
		status = trace_stats(&o.t);
	else if (strcmp(o.cmd, "grep") == 0)
		status = trace_grep(&o.t, take_operand(&o, "expression"));
	else if (strcmp(o.cmd, "lineage") == 0)
		status = trace_lineage(&o.t, take_operand(&o, "step"));
	else if (strcmp(o.cmd, "split") == 0)
		status = trace_split(&o.t);
	else if (strcmp(o.cmd, "import") == 0)
		status = trace_import(&o.t, take_operand(&o, "format"));
	else if (strcmp(o.cmd, "export") == 0)
		status = trace_export(&o.t, take_operand(&o, "format"));
	else
		agr_fe_usage("unknown command '%s'", o.cmd);
	agr_contracts_free(o.t.contracts);
	return agr_fe_exit(status);
}
