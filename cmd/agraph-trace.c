/*
 * agraph-trace - check traces against contracts, measure reliability,
 * lint, grep, follow lineage, and import and export other formats.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "agraph_fe.h"

static const char synopsis[] =
    "usage: agraph-trace check [-uv] [-c contracts] [--builtin names] [--format fmt]\n"
    "                          [--max-open n] [file ...]\n"
    "       agraph-trace stats [-u] [-c contracts] [--builtin names] [--json | --by-fault]\n"
    "                          [--partial] [file ...]\n"
    "       agraph-trace stats --merge [--json] [file ...]\n"
    "       agraph-trace lint [file ...]\n"
    "       agraph-trace grep [-uv] [--trace] expr [file ...]\n"
    "       agraph-trace lineage [--trace=id] step [file ...]\n"
    "       agraph-trace import [-u] [--terminate-word word] openai|chatlog|otel [file ...]\n"
    "       agraph-trace export [-u] otel [file ...]\n";

static void
usage(FILE *out, int status)
{
	fputs(synopsis, out);
	exit(status);
}

enum {
	OPT_FORMAT = 256,
	OPT_MAX_OPEN,
	OPT_JSON,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_BY_FAULT,
	OPT_TRACE,
	OPT_TERMINATE_WORD,
	OPT_VERSION
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
	{ "trace", optional_argument, NULL, OPT_TRACE },
	{ "terminate-word", required_argument, NULL, OPT_TERMINATE_WORD },
	{ "verbose", no_argument, NULL, 'v' },
	{ "invert-match", no_argument, NULL, 'v' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

typedef struct opts {
	const char *cmd;
	agr_contracts *contracts;
	agr_format format;
	size_t max_open;
	bool json, partial, merge, by_fault, v, unbuffered, trace_flag;
	const char *trace, *terminate_word;
	char **files;
	int nfiles;
} opts;

/* Which command takes which option. */
static bool
takes(const char *cmd, int c)
{
	static const struct {
		const char *cmd;
		int opts[8];
	} table[] = {
		{ "check", { 'c', AGR_FE_OPT_BUILTIN, OPT_FORMAT, OPT_MAX_OPEN, 'v', 'u' } },
		{ "stats",
		  { 'c', AGR_FE_OPT_BUILTIN, OPT_JSON, OPT_PARTIAL, OPT_MERGE, OPT_BY_FAULT,
		    OPT_MAX_OPEN, 'u' } },
		{ "lint", { 'u' } },
		{ "grep", { 'v', OPT_TRACE, 'u' } },
		{ "lineage", { OPT_TRACE, 'u' } },
		{ "import", { OPT_TERMINATE_WORD, 'u' } },
		{ "export", { 'u' } },
	};

	if (c == 'h' || c == OPT_VERSION || c == '?')
		return true;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].cmd, cmd) == 0)
			for (size_t k = 0; k < 8 && table[i].opts[k]; k++)
				if (table[i].opts[k] == c)
					return true;
	return false;
}

static void
parse(int argc, char **argv, opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:uvh", longopts, NULL)) != -1) {
		if (!takes(o->cmd, c)) {
			warnx("%s does not take that option", o->cmd);
			usage(stderr, 2);
		}
		if (agr_fe_contracts_option(o->contracts, c, optarg))
			continue;
		switch (c) {
		case OPT_FORMAT:
			if (!agr_format_from_name(optarg, &o->format) || o->format == AGR_FMT_LINT)
				errx(2, "--format takes text, ndjson, junit or github, not '%s'",
				     optarg);
			break;
		case OPT_MAX_OPEN:
			o->max_open = agr_fe_number("--max-open", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PARTIAL:
			o->partial = true;
			break;
		case OPT_MERGE:
			o->merge = true;
			break;
		case OPT_BY_FAULT:
			o->by_fault = true;
			break;
		case OPT_TRACE:
			o->trace_flag = true;
			o->trace = optarg;
			break;
		case OPT_TERMINATE_WORD:
			if (optarg[0] == '\0')
				errx(2, "--terminate-word takes a word");
			o->terminate_word = optarg;
			break;
		case 'v':
			o->v = true;
			break;
		case 'u':
			o->unbuffered = true;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case OPT_VERSION:
			printf("agraph-trace %s\n", AGR_VERSION);
			exit(0);
		default:
			usage(stderr, 2);
		}
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
}

/* ---- check, lint ---------------------------------------------------- */

typedef struct run_ctx {
	opts *o;
	agr_checker *checker;
	agr_report *report;
	agr_stats *stats;
	agr_grep *grep;
	agr_lineage *lineage;
} run_ctx;

static void
on_verdict(void *ctx, const agr_verdict *v)
{
	run_ctx *r = ctx;

	agr_report_verdict(r->report, v);
	if (r->o->unbuffered)
		fflush(stdout);
}

static bool
feed_checker(void *ctx, const agr_record *rec)
{
	run_ctx *r = ctx;
	agr_error e;

	if (agr_checker_feed(r->checker, rec, &e))
		return true;
	agr_fe_error(&e);
	return false;
}

static int
cmd_check(opts *o, bool lint)
{
	run_ctx r = { .o = o };
	int status;

	if (lint && agr_contracts_count(o->contracts) > 0)
		errx(2, "lint checks well-formedness only; use check for contracts");
	if (lint || agr_contracts_count(o->contracts) == 0)
		agr_contracts_builtin(o->contracts, lint ? "well-formed" : "all", NULL);
	r.report = agr_report_new(lint ? AGR_FMT_LINT : o->format, stdout, o->v);
	r.checker = agr_checker_new(o->contracts, o->max_open, on_verdict, &r);
	if (lint)
		agr_checker_every_problem(r.checker);
	status = agr_fe_each_record(o->files, o->nfiles, feed_checker, &r);
	agr_checker_finish(r.checker);
	agr_report_finish(r.report);
	if (status == 0 && agr_report_failures(r.report) > 0)
		status = 1;
	agr_checker_free(r.checker);
	agr_report_free(r.report);
	return status;
}

/* ---- stats ---------------------------------------------------------- */

static void
on_run(void *ctx, const json_t *row)
{
	run_ctx *r = ctx;

	if (r->o->partial || r->o->by_fault)
		return;
	if (r->o->json)
		agr_fe_put(row, r->o->unbuffered);
	else
		agr_stats_print_row(stdout, row);
}

static bool
feed_stats(void *ctx, const agr_record *rec)
{
	run_ctx *r = ctx;
	agr_error e;

	if (r->o->merge) {
		if (agr_stats_merge(r->stats, agr_record_json(rec), &e))
			return true;
		agr_error_at_record(&e, rec);
	} else if (agr_stats_feed(r->stats, rec, &e)) {
		return true;
	}
	agr_fe_error(&e);
	return false;
}

static int
cmd_stats(opts *o)
{
	run_ctx r = { .o = o };
	int status;

	if (o->merge && (o->partial || agr_contracts_count(o->contracts) > 0))
		errx(2, "--merge takes partials only: no --partial, -c or --builtin");
	r.stats = agr_stats_new(o->contracts, on_run, &r);
	if (!o->json && !o->partial && !o->merge && !o->by_fault)
		agr_stats_print_row(stdout, NULL);
	status = agr_fe_each_record(o->files, o->nfiles, feed_stats, &r);
	if (!o->merge)
		agr_stats_finish(r.stats);
	agr_stats_write(r.stats, stdout,
	                o->partial    ? AGR_STATS_PARTIAL
	                : o->json     ? AGR_STATS_JSON
	                : o->by_fault ? AGR_STATS_BY_FAULT
	                              : AGR_STATS_TEXT);
	agr_stats_free(r.stats);
	return status;
}

/* ---- grep, lineage -------------------------------------------------- */

static bool
feed_grep(void *ctx, const agr_record *rec)
{
	agr_grep_feed(((run_ctx *)ctx)->grep, rec);
	return true;
}

static bool
feed_lineage(void *ctx, const agr_record *rec)
{
	agr_lineage_feed(((run_ctx *)ctx)->lineage, rec);
	return true;
}

static const char *
take_operand(opts *o, const char *what)
{
	if (o->nfiles < 1) {
		warnx("%s: no %s given", o->cmd, what);
		usage(stderr, 2);
	}
	o->nfiles--;
	return *o->files++;
}

static int
cmd_grep(opts *o)
{
	run_ctx r = { .o = o };
	const char *text = take_operand(o, "expression");
	agr_expr *e;
	agr_error err;
	int status;

	if ((e = agr_expr_compile(text, &err)) == NULL) {
		snprintf(err.source, sizeof err.source, "expression");
		err.line = 1;
		agr_fe_error(&err);
		return 2;
	}
	r.grep = agr_grep_new(e, o->v, o->trace_flag, agr_fe_write, &o->unbuffered);
	status = agr_fe_each_record(o->files, o->nfiles, feed_grep, &r);
	agr_grep_finish(r.grep);
	if (status == 0 && agr_grep_matches(r.grep) == 0)
		status = 1;
	agr_grep_free(r.grep);
	agr_expr_free(e);
	return status;
}

static int
cmd_lineage(opts *o)
{
	run_ctx r = { .o = o };
	const char *step = take_operand(o, "step");
	agr_error err;
	int status;

	if (o->trace_flag && o->trace == NULL)
		errx(2, "lineage: --trace takes an id: --trace=ID");
	r.lineage = agr_lineage_new(o->trace, (long)agr_fe_number("step", step));
	status = agr_fe_each_record(o->files, o->nfiles, feed_lineage, &r);
	if (!agr_lineage_write(r.lineage, agr_fe_write, &o->unbuffered, &err)) {
		warnx("%s", err.text);
		status = status ? status : 1;
	}
	agr_lineage_free(r.lineage);
	return status;
}

/* ---- import, export ------------------------------------------------ */

static void
report_error(void *ctx, const agr_error *e)
{
	(void)ctx;
	agr_fe_error(e);
}

static int
cmd_import(opts *o)
{
	const char *format = take_operand(o, "format");
	agr_import_opts io = { o->terminate_word };

	return agr_import(format, (const char *const *)o->files, o->nfiles, &io, agr_fe_write,
	                  &o->unbuffered, report_error, NULL) > 0
	           ? 2
	           : 0;
}

static bool
feed_export(void *ctx, const agr_record *rec)
{
	agr_error e;

	if (agr_exporter_add(ctx, rec, &e))
		return true;
	agr_fe_error(&e);
	return false;
}

static int
cmd_export(opts *o)
{
	const char *format = take_operand(o, "format");
	agr_exporter *x;
	agr_error e;
	int status;

	if ((x = agr_exporter_new(format, agr_fe_write, &o->unbuffered, &e)) == NULL)
		errx(2, "%s", e.text);
	status = agr_fe_each_record(o->files, o->nfiles, feed_export, x);
	agr_exporter_finish(x);
	agr_exporter_free(x);
	return status;
}

int
main(int argc, char **argv)
{
	opts o = { .format = AGR_FMT_TEXT };
	int status;

	if (argc < 2)
		usage(stderr, 2);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(stdout, 0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("agraph-trace %s\n", AGR_VERSION);
		return 0;
	}
	o.cmd = argv[1];
	o.contracts = agr_contracts_new();
	argv[1] = program_invocation_short_name; /* getopt names the program so */
	parse(argc - 1, argv + 1, &o);
	if (strcmp(o.cmd, "check") == 0)
		status = cmd_check(&o, false);
	else if (strcmp(o.cmd, "lint") == 0)
		status = cmd_check(&o, true);
	else if (strcmp(o.cmd, "stats") == 0)
		status = cmd_stats(&o);
	else if (strcmp(o.cmd, "grep") == 0)
		status = cmd_grep(&o);
	else if (strcmp(o.cmd, "lineage") == 0)
		status = cmd_lineage(&o);
	else if (strcmp(o.cmd, "import") == 0)
		status = cmd_import(&o);
	else if (strcmp(o.cmd, "export") == 0)
		status = cmd_export(&o);
	else {
		warnx("unknown command '%s'", o.cmd);
		usage(stderr, 2);
	}
	agr_contracts_free(o.contracts);
	{
		int rc = agr_fe_close_stdout();

		return rc != 0 ? rc : status;
	}
}
