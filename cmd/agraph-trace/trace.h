/* trace.h - what agraph-trace's files share. */
#ifndef AGRAPH_TRACE_H
#define AGRAPH_TRACE_H

#include "agraph.h"

/*
 * agraph-trace's subcommands (subcommands.c), on the options it parsed.
 * Each reads files[0..nfiles-1] (none: stdin), reports what it finds and
 * returns the exit status.
 */
typedef struct trace_opts {
	agr_contracts *contracts; /* -c, --builtin */
	agr_format format;        /* check --format */
	size_t max_open;
	bool json, partial, merge, by_fault, unbuffered;
	bool verbose, invert, whole_trace; /* check --verbose; grep -v, --whole-trace */
	bool digits;                       /* split -d */
	const char *trace, *terminate_word;
	const char *shards;         /* split -n: "n" or "k/n" */
	const char *start;          /* export --start */
	agr_progress_mode progress; /* check, lint, stats, import */
	char **files;
	int nfiles;
} trace_opts;

int trace_check(trace_opts *o, bool lint);
int trace_stats(trace_opts *o);
int trace_grep(trace_opts *o, const char *expr);
int trace_lineage(trace_opts *o, const char *step);
int trace_split(trace_opts *o);
int trace_import(trace_opts *o, const char *format);
int trace_export(trace_opts *o, const char *format);

#endif
