/*
 * agraph_fe.h - the small front end every agraph program shares:
 * usage and the options programs share, reading traces, writing records
 * safely, reporting errors.
 * Like libarchive_fe: a library of its own (libagraph_fe.a), linked into
 * the programs and never installed.
 */
#ifndef AGRAPH_FE_H
#define AGRAPH_FE_H

#include <getopt.h>

#include "agraph.h"

/* Writes rec as one line to stdout and flushes when flush is set.  A
 * closed pipe ends the program quietly; another write error ends it
 * with a message and exit status 2.  Once a signal has asked the program
 * to stop (see agr_fe_each_record()) and no record is in hand, the line
 * written is the last: the program exits 128 + the signal's number. */
void agr_fe_put(const json_t *rec, bool flush);

/* Writes raw bytes and a newline, under the same rules. */
void agr_fe_put_bytes(const char *bytes, size_t len, bool flush);

/* Writes s to out as agr_text() gives it: a name in text for people. */
void agr_fe_put_text(FILE *out, const char *s, bool as_id);

/*
 * What every program's main() starts and ends with.  agr_fe_init() makes
 * getopt's messages name the program however it was run, and keeps usage:
 * the program's synopsis, "usage: " and then its man page's SYNOPSIS word
 * for word (tests/man.bats holds them to it).
 */
void agr_fe_init(char **argv, const char *usage);

/* -h, --help and --version, in every program's getopt_long() table. */
#define AGR_FE_COMMON_LONGOPTS                                                                     \
	{ "help", no_argument, NULL, 'h' },                                                        \
	{                                                                                          \
		"version", no_argument, NULL, AGR_FE_OPT_VERSION                                   \
	}

/* Every option the program does not take itself: -h and --help print the
 * usage on stdout, --version the version, and exit 0 (2 when stdout could
 * not be written); anything else (getopt's '?') is a usage error. */
_Noreturn void agr_fe_other_option(int c);

/* A usage error: the message (a printf format; NULL: none), then the
 * usage, on stderr; exits 2. */
_Noreturn void agr_fe_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The exit status to return from main(): status, unless stdout could not
 * be flushed and written whole (2, said why; a closed pipe ends quietly)
 * or a signal asked the program to stop (128 + its number). */
int agr_fe_exit(int status);

/* Prints err as "prog: source:line:col: text". */
void agr_fe_error(const agr_error *err);
/* Prints err, a mistake found in record rec after it was read, at the
 * record as a whole (its source and line). */
void agr_fe_record_error(agr_error *err, const agr_record *rec);

/* For --format text|ndjson: true for ndjson; exits 2 on anything else. */
bool agr_fe_ndjson(const char *opt, const char *arg);

/* Parses a whole non-negative number for option opt; exits 2 if it is not one. */
uint64_t agr_fe_number(const char *opt, const char *arg);

/* A JSON value given to option opt (any value, as jq's --argjson takes),
 * or with "@FILE" the file's ("@-": standard input), as curl's -d takes
 * it; the caller owns it.  Exits 2 with "prog: source:line:col: message"
 * (source the option, or the file) when it is not one JSON value. */
json_t *agr_fe_json_arg(const char *opt, const char *arg);

/*
 * Reads every record of the files (none: stdin) and calls fn on each.  A
 * file that cannot be read or a line that is not a record is reported,
 * remembered and passed over.  Returns 0, or 2 when anything was.
 * fn returns false to stop early (its own error already reported): 2.
 *
 * From then on SIGINT, SIGTERM and SIGHUP (unless ignored from the start)
 * ask the program to stop: the record in hand is finished (fn returns),
 * stdout is flushed and the program exits 128 + the signal's number, also
 * when the signal comes while it waits for input.  Once the records are
 * read, the output helpers stop it after the next whole line, and
 * agr_fe_exit() says 128 + n.  A second signal ends it at once.
 */
typedef bool (*agr_fe_record_fn)(void *ctx, const agr_record *rec);
int agr_fe_each_record(char **files, int nfiles, agr_fe_record_fn fn, void *ctx);

/* A line or file that agr_fe_each_record() cannot read is also handed to
 * fn(ctx, err), after it is reported, for a program whose output must say
 * so too (agraph-trace check --format junit); NULL: reported only. */
void agr_fe_on_error(agr_error_fn fn, void *ctx);

/* For a program that reads its input itself (agraph-trace import,
 * agraph-route --coproc): installs the handling of the stop signals that
 * agr_fe_each_record() installs, and returns the flag that they set, for
 * agr_reader_stop_on(), agr_peer_stop_on() or agr_import_opts.stop.
 * Between agr_fe_busy(true) and agr_fe_busy(false) the work in hand is
 * not cut short: the output helpers do not stop the program. */
const volatile sig_atomic_t *agr_fe_catch_stop(void);
void agr_fe_busy(bool on);

/* Work that a stop completes: fn(ctx) runs once, as if a record were in
 * hand, when a signal stops the program, before it exits (agraph-trace
 * export writes the traces that ended and are held). */
void agr_fe_on_stop(void (*fn)(void *ctx), void *ctx);

/*
 * Reads the traces of the files (none: stdin) into recordings over g
 * (NULL: the records alone), each replayed as it is read when replay is
 * not NULL (agr_recorder_replay(), with check), and gives each to fn,
 * which owns it, when its trace ends.  fn returns false to read no further.
 * Bad lines and records are reported and passed over.  Returns 0, or 2
 * when anything was reported.  Signals as agr_fe_each_record(): the
 * recording in hand is the record in hand; when a signal comes, the
 * traces that have ended are handed over, those still open are not.
 */
typedef bool (*agr_fe_recording_fn)(void *ctx, agr_recording *rc);
int agr_fe_each_recording(char **files, int nfiles, const agr_graph *g,
                          const agr_replay_opts *replay, bool check, agr_fe_recording_fn fn,
                          void *ctx);

/* The trace called id (NULL: the trace of the first record) of path ("-":
 * stdin), read up to its end into a recording over g.  Exits 2 when it is
 * not there or anything read could not be.  A signal while it reads
 * stops the program as agr_fe_each_record() says; after it, signals end
 * the program at once again, as the work on the trace is no stream. */
agr_recording *agr_fe_read_trace(const char *path, const agr_graph *g, const char *id);

/* An agr_write_fn that writes to stdout, flushing when ctx points to true. */
void agr_fe_write(void *ctx, const char *bytes, size_t len);

/* -c FILE and --builtin NAMES (option AGR_FE_OPT_BUILTIN), for the
 * programs that check contracts: true when c was one of them; exits 2
 * on a contract that cannot be loaded. */
bool agr_fe_contracts_option(agr_contracts *cs, int c, const char *arg);

/*
 * The options that agraph-route, agraph-replay and agraph-stress share:
 * --fail, --down, --goal, --seed, --policy and --monitors.  Put
 * AGR_FE_ROUTER_LONGOPTS in the getopt_long() table and hand every
 * option to agr_fe_router_option(), which takes the ones it knows.
 * Options of the front end are numbered from 1000, the programs' own
 * from 256.
 */
enum {
	AGR_FE_OPT_VERSION = 1000,
	AGR_FE_OPT_FAIL,
	AGR_FE_OPT_DOWN,
	AGR_FE_OPT_GOAL,
	AGR_FE_OPT_SEED,
	AGR_FE_OPT_POLICY,
	AGR_FE_OPT_MONITORS,
	AGR_FE_OPT_BUILTIN,
	AGR_FE_OPT_SPEC,
	AGR_FE_OPT_GOVERN,
	AGR_FE_OPT_PROGRESS,
	AGR_FE_OPT_NO_PROGRESS,
};

/*
 * --progress and --no-progress, for the programs whose work can be long:
 * put AGR_FE_PROGRESS_LONGOPTS in the table and hand each option to
 * agr_fe_progress_option(), which sets *mode for one of them (true).
 * agr_fe_progress_start() begins a report on stderr in mode (NULL when
 * there is none, as agr_progress_new() says), which agr_fe_each_record()
 * counts the bytes it reads into (the total: the files' size) and
 * finishes when its reading ends; agr_fe_error() takes its line off a
 * terminal first, and so do agr_fe_put() and agr_fe_put_bytes() when
 * stdout is that terminal; agr_fe_before_output() does it for other
 * writes to stdout.  The front end owns it: agr_fe_progress_end()
 * finishes and frees it.
 */
#define AGR_FE_PROGRESS_LONGOPTS                                                                   \
	{ "progress", no_argument, NULL, AGR_FE_OPT_PROGRESS },                                    \
	{                                                                                          \
		"no-progress", no_argument, NULL, AGR_FE_OPT_NO_PROGRESS                           \
	}

bool agr_fe_progress_option(int c, agr_progress_mode *mode);
agr_progress *agr_fe_progress_start(agr_progress_mode mode);
void agr_fe_progress_end(void);
void agr_fe_before_output(void);

/*
 * -f SPEC (any number up to 256) and --spec FILE, as agraph-inject and
 * agraph-route take them: put AGR_FE_FAULT_LONGOPTS in the table and "f:"
 * in the short options, hand each option to agr_fe_faults_option(), which
 * returns true for one of these, then agr_fe_faults_add() them to an
 * injector: the file's first, then each -f in order; a bad one ends the
 * program, exit 2, with where it went wrong.
 */
#define AGR_FE_FAULT_LONGOPTS                                                                      \
	{ "fault", required_argument, NULL, 'f' },                                                 \
	{                                                                                          \
		"spec", required_argument, NULL, AGR_FE_OPT_SPEC                                   \
	}

typedef struct agr_fe_faults {
	const char *specs[256];
	int nspecs;
	const char *spec_file;
} agr_fe_faults;

bool agr_fe_faults_option(agr_fe_faults *f, int c, const char *arg);
/* Whether any fault was given. */
bool agr_fe_faults_given(const agr_fe_faults *f);
void agr_fe_faults_add(const agr_fe_faults *f, agr_injector *in);

#define AGR_FE_ROUTER_LONGOPTS                                                                     \
	{ "fail", required_argument, NULL, AGR_FE_OPT_FAIL },                                      \
	    { "down", required_argument, NULL, AGR_FE_OPT_DOWN },                                  \
	    { "goal", required_argument, NULL, AGR_FE_OPT_GOAL },                                  \
	    { "seed", required_argument, NULL, AGR_FE_OPT_SEED },                                  \
	    { "policy", required_argument, NULL, AGR_FE_OPT_POLICY },                              \
	    { "govern", required_argument, NULL, AGR_FE_OPT_GOVERN },                              \
	{                                                                                          \
		"monitors", no_argument, NULL, AGR_FE_OPT_MONITORS                                 \
	}

typedef struct agr_fe_router {
	const char *fail[64], *down[64];
	int nfail, ndown;
	const char *goal;
	uint64_t seed;
	agr_policy policy;
	bool monitors;
	agr_governor *governor; /* --govern: loaded at once; the program frees it */
} agr_fe_router;

/* Takes option c with its argument when it is one of the shared ones
 * (true); exits 2 on a bad value. */
bool agr_fe_router_option(agr_fe_router *o, int c, const char *arg);

/* Fills ro from the options (the goal checked against g, loaded from
 * graph_path) and returns the world of --fail and --down, or NULL when
 * neither was given; exits 2 on a mistake. */
agr_world *agr_fe_router_setup(const agr_fe_router *o, const agr_graph *g, const char *graph_path,
                               agr_router_opts *ro);

/*
 * getopt_long() with the options that programs share taken on the way:
 * the router's into ro and -c and --builtin into cs (each when not NULL),
 * -h, --help, --version and mistakes by agr_fe_other_option().  Returns
 * the next option the program takes itself, or -1 at the operands.
 */
int agr_fe_getopt(int argc, char **argv, const char *optstring, const struct option *longopts,
                  agr_fe_router *ro, agr_contracts *cs);

#endif
