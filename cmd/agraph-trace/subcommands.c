/*
 * subcommands.c - agraph-trace's subcommands, on the options main.c
 * parsed: which library parts they drive, what they print, how they exit.
 */
#include <err.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "agraph_fe.h"

/* ---- check, lint ---------------------------------------------------- */

/* Traces let go so long ago that a record of theirs would have begun a
 * new trace: said, as no verdict can say it (agraph-trace(1), CAVEATS). */
static void
note_forgotten(size_t n)
{
	if (n > 0)
		warnx("%zu ended trace%s forgotten: a record after %s final would have begun "
		      "a new trace (agraph-trace(1), CAVEATS)",
		      n, n == 1 ? " was" : "s were", n == 1 ? "its" : "their");
}

typedef struct run_ctx {
	trace_opts *o;
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

	agr_fe_before_output();
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
	agr_report_error(r->report, &e);
	return false;
}

/* A line that could not be read: in the report too. */
static void
on_read_error(void *ctx, const agr_error *e)
{
	agr_fe_before_output();
	agr_report_error(((run_ctx *)ctx)->report, e);
}

int
trace_check(trace_opts *o, bool lint)
{
	run_ctx r = { .o = o };
	int status;

	if (lint && agr_contracts_count(o->contracts) > 0)
		errx(2, "lint checks well-formedness only; use check for contracts");
	if (lint || agr_contracts_count(o->contracts) == 0)
		agr_contracts_builtin(o->contracts, lint ? "well-formed" : "all", NULL);
	r.report = agr_report_new(lint ? AGR_FMT_LINT : o->format, stdout, o->verbose);
	r.checker = agr_checker_new(o->contracts, o->max_open, on_verdict, &r);
	if (lint)
		agr_checker_every_problem(r.checker);
	agr_fe_on_error(on_read_error, &r);
	agr_fe_progress_start(o->progress);
	status = agr_fe_each_record(o->files, o->nfiles, feed_checker, &r);
	agr_fe_progress_end();
	agr_fe_on_error(NULL, NULL);
	agr_checker_finish(r.checker);
	agr_report_finish(r.report);
	note_forgotten(agr_checker_forgotten(r.checker));
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
	if (r->o->json) {
		agr_fe_put(row, r->o->unbuffered);
	} else {
		agr_fe_before_output();
		agr_stats_print_row(stdout, row);
	}
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

int
trace_stats(trace_opts *o)
{
	run_ctx r = { .o = o };
	int status;

	if (o->merge && (o->partial || agr_contracts_count(o->contracts) > 0))
		errx(2, "--merge takes partials only: no --partial, -c or --builtin");
	r.stats = agr_stats_new(o->contracts, o->max_open, on_run, &r);
	if (!o->json && !o->partial && !o->merge && !o->by_fault)
		agr_stats_print_row(stdout, NULL);
	agr_fe_progress_start(o->progress);
	status = agr_fe_each_record(o->files, o->nfiles, feed_stats, &r);
	agr_fe_progress_end();
	if (!o->merge) {
		agr_stats_finish(r.stats);
		note_forgotten(agr_stats_forgotten(r.stats));
	}
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

int
trace_grep(trace_opts *o, const char *text)
{
	run_ctx r = { .o = o };
	agr_expr *e;
	agr_error err;
	int status;

	if ((e = agr_expr_compile(text, &err)) == NULL) {
		snprintf(err.source, sizeof err.source, "expression");
		err.line = 1;
		agr_fe_error(&err);
		return 2;
	}
	r.grep = agr_grep_new(e, o->invert, o->whole_trace, agr_fe_write, &o->unbuffered);
	status = agr_fe_each_record(o->files, o->nfiles, feed_grep, &r);
	agr_grep_finish(r.grep);
	if (status == 0 && agr_grep_matches(r.grep) == 0)
		status = 1;
	agr_grep_free(r.grep);
	agr_expr_free(e);
	return status;
}

int
trace_lineage(trace_opts *o, const char *step)
{
	run_ctx r = { .o = o };
	agr_error err;
	int status;

	uint64_t at = agr_fe_number("step", step);

	if (at > INT64_MAX) /* no record's step is past it */
		errx(2, "step: %s is past the largest step, %" PRId64, step, INT64_MAX);
	r.lineage = agr_lineage_new(o->trace, (long)at);
	status = agr_fe_each_record(o->files, o->nfiles, feed_lineage, &r);
	if (!agr_lineage_write(r.lineage, agr_fe_write, &o->unbuffered, &err)) {
		warnx("%s", err.text);
		status = status ? status : 1;
	}
	agr_lineage_free(r.lineage);
	return status;
}

/* ---- split ---------------------------------------------------------- */

static void
report_error(void *ctx, const agr_error *e)
{
	(void)ctx;
	agr_fe_error(e);
}

static bool
feed_split(void *ctx, const agr_record *rec)
{
	agr_error e;

	if (agr_splitter_feed(ctx, rec, &e))
		return true;
	agr_fe_error(&e);
	return false;
}

/* -n n or -n k/n, as split(1) -n l/k/n takes k from 1. */
static void
parse_shards(const char *arg, uint64_t *k, uint64_t *n)
{
	const char *slash = strchr(arg, '/');

	*k = 0;
	if (slash == NULL) {
		*n = agr_fe_number("-n", arg);
	} else {
		char *first = strndup(arg, (size_t)(slash - arg));

		if (first == NULL)
			err(2, "out of memory");
		*k = agr_fe_number("-n", first);
		*n = agr_fe_number("-n", slash + 1);
		free(first);
	}
	if (*n == 0 || (slash != NULL && (*k == 0 || *k > *n)))
		errx(2, "-n takes n or k/n, with 1 <= k <= n, not '%s'", arg);
}

int
trace_split(trace_opts *o)
{
	agr_splitter *s;
	agr_error e;
	uint64_t k, n;
	int status;

	if (o->shards == NULL)
		agr_fe_usage("split: no -n given");
	parse_shards(o->shards, &k, &n);
	if (k > 0) { /* one shard, to stdout */
		if (o->digits)
			agr_fe_usage(
			    "split: -d names shard files; -n k/n writes to standard output");
		s = agr_splitter_new_one(n, k - 1, agr_fe_write, &o->unbuffered);
		status = agr_fe_each_record(o->files, o->nfiles, feed_split, s);
	} else {
		if (o->nfiles > 2)
			agr_fe_usage("split: -n n reads one file and takes a prefix");
		s = agr_splitter_new_files(n, o->nfiles > 1 ? o->files[1] : "x", o->digits,
		                           o->nfiles > 0 ? o->files[0] : "-", o->unbuffered, &e);
		if (s == NULL) {
			agr_fe_error(&e);
			return 2;
		}
		status = agr_fe_each_record(o->files, o->nfiles > 0 ? 1 : 0, feed_split, s);
	}
	if (!agr_splitter_finish(s, report_error, NULL))
		status = 2;
	agr_splitter_free(s);
	return status;
}

/* ---- import, export ------------------------------------------------ */

int
trace_import(trace_opts *o, const char *format)
{
	agr_import_opts io = { o->terminate_word, agr_fe_catch_stop(),
		               agr_fe_progress_start(o->progress) };
	long errors;

	/* A signal ends the input after the line in hand, whose records are
	 * all written: agr_fe_busy(false) then stops the program, 128 + n. */
	agr_fe_busy(true);
	errors = agr_import(format, (const char *const *)o->files, o->nfiles, &io, agr_fe_write,
	                    &o->unbuffered, report_error, NULL);
	agr_fe_progress_end();
	agr_fe_busy(false);
	return errors > 0 ? 2 : 0;
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

/* A signal stops the export: the traces that ended are whole, as far as
 * the input went, and are written; those still open are not. */
static void
export_ended(void *ctx)
{
	agr_exporter_finish_ended(ctx);
}

int
trace_export(trace_opts *o, const char *format)
{
	agr_exporter *x;
	agr_error e;
	int status;

	if ((x = agr_exporter_new(format, agr_fe_write, &o->unbuffered, &e)) == NULL)
		errx(2, "%s", e.text);
	if (o->start != NULL && !agr_exporter_start_at(x, o->start, &e)) {
		agr_exporter_free(x);
		errx(2, "%s", e.text);
	}
	/* As reproducible builds date what they make: the same bytes each time. */
	const char *epoch = getenv("SOURCE_DATE_EPOCH");

	if (o->start == NULL && epoch != NULL && *epoch != '\0' &&
	    (strspn(epoch, "0123456789") != strlen(epoch) ||
	     !agr_exporter_start_at(x, epoch, &e))) {
		char *shown = agr_text(epoch, false);

		agr_exporter_free(x);
		errx(2, "SOURCE_DATE_EPOCH must be seconds since the epoch, not '%s'", shown);
	}
	agr_fe_on_stop(export_ended, x);
	status = agr_fe_each_record(o->files, o->nfiles, feed_export, x);
	agr_fe_on_stop(NULL, NULL);
	agr_exporter_finish(x);
	agr_exporter_free(x);
	return status;
}
