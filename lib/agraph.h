/*
 * agraph.h - the public interface of libagraph.
 *
 * Every public name starts with agr_ (graphviz owns ag*).  Structs are
 * opaque except agr_error, which the caller owns and the library fills.
 *
 * Ownership: a function named *_new or *_load returns an object the caller
 * owns and frees with the matching *_free.  Pointers returned by accessors
 * are borrowed: they stay valid until the object they came from is freed
 * or, for a reader, until its next call to agr_reader_next().
 */
#ifndef AGRAPH_H
#define AGRAPH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define AGR_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/*
 * Where and what went wrong.  line and column are 1-based; 0 means the
 * error has no position (a file that cannot be opened, say).
 *
 *     agr_error err;
 *     if (!agr_graph_load_file("g.yaml", &err)) agr_error_print(&err, "agraph-route");
 */
typedef struct agr_error {
	char source[256];
	long line;
	long column;
	char text[512];
} agr_error;

/*
 * Files read whole (contracts, fault specs, templates) hold at most
 * AGR_MAX_FILE bytes; a larger one is an error, refused before more than
 * that is read.  A graph is read as a stream: only what it keeps as YAML
 * (all but the entries of nodes: and the items of edges:) is held to it.
 */
#define AGR_MAX_FILE ((size_t)64 << 20)

/* Prints "prog: source:line:col: text" (parts that are unknown left out)
 * and a newline to stderr; a source that is no plain file name (a space,
 * a line end, an escape, bytes that are not UTF-8) as a JSON string, as
 * agr_text() gives it.  A text or source too long for its array was cut
 * where a character begins, and ends in "...". */
void agr_error_print(const agr_error *err, const char *prog);
/* Told of a mistake that is passed over, for the program to report. */
typedef void (*agr_error_fn)(void *ctx, const agr_error *err);

/* s as a message shows it, on one line whatever it holds, in a new
 * string the caller frees: what cannot be seen as JSON escapes (\n,
 * \u001b), bytes that are not UTF-8 as \ufffd; a file name or trace id
 * (as_id) as a JSON string unless it is plain (no space, nothing unseen,
 * not empty, no leading "). */
char *agr_text(const char *s, bool as_id);

/* ------------------------------------------------------------------ */
/* Costs                                                               */

/*
 * Costs are fixed-point: an agr_cost counts millionths, so that sums are
 * exact and equal-cost ties are really equal on every machine.
 * AGR_COST_INF stands for "no path".
 */
typedef int64_t agr_cost;
#define AGR_COST_SCALE 1000000
#define AGR_COST_MAX ((agr_cost)1000000000 * AGR_COST_SCALE)
#define AGR_COST_INF INT64_MAX

/*
 * The most a path may cost: a graph is refused (agr_graph_add_edge) when
 * the dearest edge into each node, summed over the nodes, would pass it,
 * so that no path cost, penalties added (which stop at as much again),
 * can overflow and every sum and comparison of the search is exact.
 */
#define AGR_PATH_COST_MAX ((agr_cost)2000000000000 * AGR_COST_SCALE)

/* Converts a double to a cost, rounding to the nearest millionth.
 * Returns false (and leaves *out alone) for NaN, infinity, a negative
 * value or one above AGR_COST_MAX. */
bool agr_cost_from_double(double value, agr_cost *out);

/* The cost as a double, for printing. */
double agr_cost_to_double(agr_cost cost);

/* ------------------------------------------------------------------ */
/* Progress                                                            */

/*
 * A progress report on a stream (stderr) for long work, as pv, curl and
 * dd status=progress give one: "prog: 12.3 MB of 200.0 MB (6%)", or
 * "prog: 1200 of 5000 sets (24%)"; only the count when the total is not
 * known; once the work has lasted a second, the rate and, with a total,
 * the time left at that rate ("45.1 MB/s, 0:04 left").  On a terminal it
 * is one line, redrawn with \r at most 10 times a second; elsewhere a
 * line a second.  agr_progress_finish() writes the last line (and, on a
 * terminal, the newline that ends it).  The clock is read only every so
 * many units, as few as keep the report on time, so that counting costs
 * a comparison.  A stream that cannot be written to turns the report off
 * quietly: no signal, no error left on it.
 */
typedef enum agr_progress_mode {
	AGR_PROGRESS_AUTO, /* on a terminal only, and once the work has lasted a second */
	AGR_PROGRESS_ON,   /* always, from the start, and always a last line (--progress) */
	AGR_PROGRESS_OFF,  /* never (--no-progress) */
} agr_progress_mode;

typedef struct agr_progress agr_progress;

#define AGR_PROGRESS_UNKNOWN UINT64_MAX

/* A report to err, each line begun "prog: ", on bytes until
 * agr_progress_unit() says otherwise.  NULL when there is none to make
 * (off; auto and err no terminal; err closed): every function below
 * takes NULL and does nothing.  err and prog are borrowed and must
 * outlive it; the caller frees it with agr_progress_free(). */
agr_progress *agr_progress_new(FILE *err, const char *prog, agr_progress_mode mode);
void agr_progress_free(agr_progress *p);

/* What is counted: a plural noun ("sets"), borrowed; NULL: bytes, shown
 * as B, kB, MB, GB (powers of 1000). */
void agr_progress_unit(agr_progress *p, const char *unit);

/* The count to reach; AGR_PROGRESS_UNKNOWN (the start) for none.  A count
 * past it (a file that grew) is shown alone. */
void agr_progress_set_total(agr_progress *p, uint64_t total);

/* The total of the sizes of paths[0..npaths-1] (none, or "-": stdin,
 * from where it stands), when each is a regular file, else unknown.  A
 * file that cannot be looked at adds nothing: its reading says why. */
void agr_progress_total_files(agr_progress *p, const char *const *paths, int npaths);

/* Counts n more, or sets the count. */
void agr_progress_add(agr_progress *p, uint64_t n);
void agr_progress_set(agr_progress *p, uint64_t done);

/* The work is about to wait (for input): the count that follows looks at
 * the clock, so that a slow input after a fast one moves the report. */
void agr_progress_wait(agr_progress *p);

/* Takes the line off a terminal, for other text to go to err; the next
 * update draws it again.  Elsewhere nothing is to be done. */
void agr_progress_clear(agr_progress *p);

/* The same for a signal handler of a program about to end: write(2)
 * alone, async-signal-safe; the stream's buffer is left alone. */
void agr_progress_clear_now(const agr_progress *p);

/* The last line, unless auto never showed one.  Once: later calls and
 * counts do nothing. */
void agr_progress_finish(agr_progress *p);

/* ------------------------------------------------------------------ */
/* Reading NDJSON records                                              */

typedef struct agr_reader agr_reader;
typedef struct agr_record agr_record;

#define AGR_DEFAULT_MAX_LINE ((size_t)64 << 20)

/*
 * A reader goes through the files in paths[0..npaths-1] in order, like
 * cat; "-" (or npaths == 0) is standard input.  Lines longer than
 * max_line bytes (0: AGR_DEFAULT_MAX_LINE) are an error.  The reader
 * copies nothing from paths but keeps the pointers: they must outlive it.
 *
 *     agr_reader *r = agr_reader_new(argv + 1, argc - 1, 0);
 *     const agr_record *rec;
 *     agr_error err;
 *     int rc;
 *     while ((rc = agr_reader_next(r, &rec, &err)) != 0)
 *             if (rc < 0) agr_error_print(&err, "prog"); else use(rec);
 *     agr_reader_free(r);
 */
agr_reader *agr_reader_new(const char *const *paths, int npaths, size_t max_line);
void agr_reader_free(agr_reader *r);

/*
 * Reads the next record.  Returns 1 and sets *rec (valid until the next
 * call) when there is one, 0 at the end of the last file, and -1 with
 * *err filled when a file cannot be read or a line is not a JSON object.
 * After -1 the caller may go on: the reader resumes at the next line, or
 * at the next file when a file could not be opened or read.
 * Empty lines are skipped; CRLF line ends and a missing final newline are
 * accepted.
 */
int agr_reader_next(agr_reader *r, const agr_record **rec, agr_error *err);

/*
 * Makes agr_reader_next() return 0, as at the end, once *stop is not 0:
 * a flag that a signal handler sets, so that a program can stop between
 * records.  The reader looks at it before each record and while it
 * waits for input, which a signal then ends even when its handler was
 * installed with SA_RESTART.
 */
void agr_reader_stop_on(agr_reader *r, const volatile sig_atomic_t *stop);

/* Counts the bytes read into p (borrowed: it must outlive r; NULL: none)
 * and sets its total to the size of the files, as
 * agr_progress_total_files() does. */
void agr_reader_progress(agr_reader *r, agr_progress *p);

/* The record as a JSON object, borrowed.  It is made from the bytes the
 * first time it is asked for: readers that only look at a few fields do
 * not pay for a tree. */
json_t *agr_record_json(const agr_record *rec);
/* A copy of the record that outlives the reader's next call; the caller
 * frees it with agr_record_free().  Only kept copies may be freed. */
agr_record *agr_record_keep(const agr_record *rec);
void agr_record_free(agr_record *rec);
/* A record made from bytes rather than read: agr_record_set() scans
 * bytes[0..len-1] (borrowed: they must outlive the record's use) and
 * may be called again to reuse it.  False with err filled when they are
 * not one JSON object.  Free it with agr_record_free(). */
agr_record *agr_record_new(void);
bool agr_record_set(agr_record *rec, const char *bytes, size_t len, const char *source, long line,
                    agr_error *err);
/* The record's original bytes, without the line end. */
const char *agr_record_bytes(const agr_record *rec, size_t *len);
/* Where the record came from. */
const char *agr_record_source(const agr_record *rec);
long agr_record_line(const agr_record *rec);

/* Points err at the record (its source, line, column 1) and keeps its text:
 * for mistakes found in a record after it was read. */
void agr_error_at_record(agr_error *err, const agr_record *rec);

/* Field helper: the string value of key, or NULL when absent or not a
 * string.  A record's kind is agr_json_str(agr_record_json(rec), "kind"). */
const char *agr_json_str(const json_t *obj, const char *key);

/* ------------------------------------------------------------------ */
/* Graphs                                                              */

typedef struct agr_graph agr_graph;

/*
 * Loads a graph from a YAML (or JSON) file in the format of
 * agraph-graph(5); "-" is standard input.  Returns NULL and fills *err,
 * with the file, line and column, on any mistake.
 */
agr_graph *agr_graph_load_file(const char *path, agr_error *err);
/* The same from memory; source names it in errors. */
agr_graph *agr_graph_load_string(const char *text, size_t len, const char *source, agr_error *err);

/* An empty graph, to build by hand (tests, benchmarks). */
agr_graph *agr_graph_new(const char *name);
void agr_graph_free(agr_graph *g);

/* The node called name, created if it is new.  Returns its index. */
int agr_graph_intern(agr_graph *g, const char *name);
/* Adds the edge from -> to.  Returns false for a duplicate edge, a
 * self-loop, a cost outside 0..AGR_COST_MAX, or one that would let a
 * path cost more than AGR_PATH_COST_MAX. */
bool agr_graph_add_edge(agr_graph *g, int from, int to, agr_cost cost);
/* The start and the goal, nodes of agr_graph_intern(): a graph built by
 * hand has neither (-1) until they are set, and is not routed before. */
void agr_graph_set_start(agr_graph *g, int node);
void agr_graph_set_goal(agr_graph *g, int node);

const char *agr_graph_name(const agr_graph *g); /* "" when unnamed */
size_t agr_graph_node_count(const agr_graph *g);
size_t agr_graph_edge_count(const agr_graph *g);
const char *agr_graph_node_name(const agr_graph *g, int node);
/* The index of the node called name, or -1. */
int agr_graph_find(const agr_graph *g, const char *name);
int agr_graph_start(const agr_graph *g);
int agr_graph_goal(const agr_graph *g);
size_t agr_graph_fallback_count(const agr_graph *g);
int agr_graph_fallback(const agr_graph *g, size_t i);
/* How many tools known down before the walk make the router consult the
 * model once before it (graph key preflight:), or 0 when the graph says none. */
int agr_graph_preflight(const agr_graph *g);
/* How many times a failed call of node is retried (nodes: retries). */
int agr_graph_retries(const agr_graph *g, int node);
/* The node a static workflow calls when node fails (nodes: alternative),
 * or -1 when it has none. */
int agr_graph_alternative(const agr_graph *g, int node);
/* The cost of the edge from -> to, or AGR_COST_INF when there is none. */
agr_cost agr_graph_edge_cost(const agr_graph *g, int from, int to);
/* For agraph-route --exec, which runs every node but the start: false,
 * with err->text at the node in source (the graph's file), when one has
 * neither run: nor waypoint: true. */
bool agr_graph_check_exec(const agr_graph *g, const char *source, agr_error *err);

/* ------------------------------------------------------------------ */
/* Cheapest paths                                                      */

typedef struct agr_search agr_search;

/*
 * Reusable Dijkstra state for one graph: create it once and run many
 * searches without allocating.  The graph must not gain nodes or edges
 * while a search object for it exists.
 */
agr_search *agr_search_new(const agr_graph *g);
void agr_search_free(agr_search *s);

/*
 * Finds the cheapest path from source to target that avoids every node
 * whose entry in blocked[] is nonzero (blocked may be NULL; the source is
 * never blocked).  penalty[] (may be NULL) adds to the cost of entering a
 * node.  Ties break by fewer hops, then by the byte-wise smallest
 * sequence of node names.  Returns the path's cost and writes its nodes,
 * source first, to the search's path buffer (see agr_search_path), or
 * returns AGR_COST_INF when no path exists.
 */
agr_cost agr_search_run(agr_search *s, int source, int target, const unsigned char *blocked,
                        const agr_cost *penalty);

/* The path found by the last successful agr_search_run, borrowed. */
const int *agr_search_path(const agr_search *s, size_t *len);

/* ------------------------------------------------------------------ */
/* Pseudo-random numbers                                               */

/*
 * The one generator behind every --seed: splitmix64 seeding
 * xoshiro256**.  The same seed gives the same numbers on every machine.
 */
typedef struct agr_prng {
	uint64_t s[4];
} agr_prng;

void agr_prng_seed(agr_prng *p, uint64_t seed);
uint64_t agr_prng_next(agr_prng *p);
/* A double uniformly in [0, 1). */
double agr_prng_double(agr_prng *p);
/* An integer uniformly in [0, bound), bound > 0, without modulo bias. */
uint64_t agr_prng_below(agr_prng *p, uint64_t bound);

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

typedef struct agr_expr agr_expr;

/*
 * Compiles an expression of agraph-contract(5)'s language.  Returns NULL
 * and fills *err (column = 1-based column in text; line 0) on a syntax
 * error.  Evaluation never allocates.
 *
 *     agr_expr *e = agr_expr_compile("kind == \"result\" && status != \"ok\"", &err);
 *     if (agr_expr_test(e, record, NULL)) ...
 */
agr_expr *agr_expr_compile(const char *text, agr_error *err);
void agr_expr_free(agr_expr *e);
/* True when the expression is truthy on record; trigger is the record
 * that $trigger refers to (may be NULL: $trigger paths are null). */
bool agr_expr_test(const agr_expr *e, const json_t *record, const json_t *trigger);
/* The same on records as read, looking at their bytes: no tree is made. */
bool agr_expr_test_record(const agr_expr *e, const agr_record *record, const agr_record *trigger);
/* The expression's value on record, as a new JSON value the caller owns:
 * what a path finds, as it is (null where it leads nowhere), a literal, a list as an
 * array, a number (whole ones as integers; one with no JSON, as 1/0 is,
 * null), a string, a boolean. */
json_t *agr_expr_value(const agr_expr *e, const json_t *record, const json_t *trigger);

/* ------------------------------------------------------------------ */
/* Contracts                                                           */

typedef struct agr_contracts agr_contracts;

/* An empty set of contracts. */
agr_contracts *agr_contracts_new(void);
void agr_contracts_free(agr_contracts *cs);

/*
 * Adds the contracts of a file in the format of agraph-contract(5).
 * Returns false and fills *err, with file, line and column, on any
 * mistake; a name already in the set is one.
 */
bool agr_contracts_load_file(agr_contracts *cs, const char *path, agr_error *err);
bool agr_contracts_load_string(agr_contracts *cs, const char *text, size_t len, const char *source,
                               agr_error *err);

/*
 * Adds built-in contracts by name, comma-separated: well-formed,
 * terminates, answered, observable, no-repeat, or all.  One already in
 * the set is not added twice.
 *
 *     agr_contracts_builtin(cs, "answered,observable", &err);
 */
bool agr_contracts_builtin(agr_contracts *cs, const char *names, agr_error *err);

size_t agr_contracts_count(const agr_contracts *cs);
const char *agr_contracts_name(const agr_contracts *cs, size_t i);

/* The verdict on one trace and one contract.  Everything is borrowed for
 * the time of the callback. */
typedef struct agr_verdict {
	const char *trace;
	const char *contract;
	bool pass;
	long step;          /* the first violating step; -1 when pass */
	const char *reason; /* NULL when pass */
	const char *source; /* where the record of `step` was read, or NULL */
	long line;
} agr_verdict;

typedef void (*agr_verdict_fn)(void *ctx, const agr_verdict *v);

typedef struct agr_checker agr_checker;

#define AGR_DEFAULT_MAX_OPEN ((size_t)1000000)

/*
 * Checks a stream of records, of interleaved traces, against cs (which
 * must outlive it).  fn gets one verdict per trace and contract, in the
 * order of the contracts, when the trace is over.  One trace id is one
 * trace: records after its final belong to it, so a trace that has ended
 * is held until agr_checker_finish() or until enough later traces have
 * ended (agraph-trace(1) says how many); finish gives the verdicts of the
 * ended traces in the order they ended, then of the others in the order
 * they began.  At most max_open obligations (0: AGR_DEFAULT_MAX_OPEN) may
 * be open at once.
 */
agr_checker *agr_checker_new(const agr_contracts *cs, size_t max_open, agr_verdict_fn fn,
                             void *ctx);
void agr_checker_free(agr_checker *k);

/* Makes well-formed report every problem (a failing verdict each) rather
 * than the first; for agraph-trace lint. */
void agr_checker_every_problem(agr_checker *k);

/* Gives a trace's verdicts at its final record and forgets it, so that
 * records under its id afterwards begin an unrelated trace rather than
 * break `terminates`: for programs that check many runs of one trace in
 * turn. */
void agr_checker_runs_apart(agr_checker *k);

/* Feeds one record.  Returns false, with *err, when max_open is exceeded
 * or the record comes after the final of a trace whose verdicts are
 * given (agraph-trace(1) says when). */
bool agr_checker_feed(agr_checker *k, const agr_record *rec, agr_error *err);

/* How many ended traces the checker no longer knows: a record of one of
 * them, after its final, would begin a new trace under its id. */
size_t agr_checker_forgotten(const agr_checker *k);

/* The end of the input: every open trace ends. */
void agr_checker_finish(agr_checker *k);

/* ------------------------------------------------------------------ */
/* Reporting verdicts                                                  */

typedef enum agr_format {
	AGR_FMT_TEXT,   /* trace T: C: FAIL at step N: reason, and a count */
	AGR_FMT_NDJSON, /* one verdict record a line */
	AGR_FMT_JUNIT,  /* JUnit XML: a testcase per trace and contract */
	AGR_FMT_GITHUB, /* ::error workflow annotations */
	AGR_FMT_LINT,   /* file:line: trace T: problem, for failures only */
} agr_format;

/* The format called name ("text", "ndjson", "junit", "github", "lint"). */
bool agr_format_from_name(const char *name, agr_format *out);

typedef struct agr_report agr_report;

/* Writes verdicts to out in fmt; verbose adds passes to text. */
agr_report *agr_report_new(agr_format fmt, FILE *out, bool verbose);
void agr_report_free(agr_report *r);
/* One verdict (fits agr_verdict_fn with the report as ctx). */
void agr_report_verdict(agr_report *r, const agr_verdict *v);
/* Input that could not be read (err as the reader filled it): in junit,
 * an error test case, counted in errors=, so that a CI system shows a
 * broken trace file as broken; the other formats leave it to the
 * program's own message. */
void agr_report_error(agr_report *r, const agr_error *err);
/* Writes what comes last: the count, or the JUnit document. */
void agr_report_finish(agr_report *r);
size_t agr_report_failures(const agr_report *r);

/* ------------------------------------------------------------------ */
/* Reliability metrics                                                 */

typedef struct agr_stats agr_stats;

/* Called with each run's row (the caller does not own it) when it ends. */
typedef void (*agr_stats_run_fn)(void *ctx, const json_t *row);

/*
 * Counts runs: task success, termination, containment, reroutes,
 * escalations, governance decisions (by kind and by rule: the calls of a
 * run with govern records that none judged count as allowed), tool error
 * rates, and compliance with `user` (may be NULL; it must outlive the
 * stats).  max_open bounds the open obligations of each contract
 * checked, as for agr_checker_new().
 */
agr_stats *agr_stats_new(const agr_contracts *user, size_t max_open, agr_stats_run_fn fn,
                         void *ctx);
void agr_stats_free(agr_stats *st);
/* Feeds one record; false, with *err, when more than max_open are open. */
bool agr_stats_feed(agr_stats *st, const agr_record *rec, agr_error *err);
/* The end of the input: runs without a final end too, by id. */
void agr_stats_finish(agr_stats *st);
/* As agr_checker_forgotten(), for the runs. */
size_t agr_stats_forgotten(const agr_stats *st);
/* The counters alone, which agr_stats_merge adds up: the stats of a corpus
 * split by trace id merge into those of the whole.  The caller owns it. */
json_t *agr_stats_partial(const agr_stats *st);
bool agr_stats_merge(agr_stats *st, const json_t *partial, agr_error *err);
/* The totals and rates that AGR_STATS_JSON writes under "total" (null
 * where there is nothing to divide), as a value; the caller owns it. */
json_t *agr_stats_total(const agr_stats *st);
/* For people: a run's row (NULL: the header); a governed run's row ends
 * with its decisions. */
void agr_stats_print_row(FILE *out, const json_t *row);

typedef enum agr_stats_view {
	AGR_STATS_TEXT,     /* the totals, for people */
	AGR_STATS_JSON,     /* {"total": {...}} */
	AGR_STATS_PARTIAL,  /* the counters, for agr_stats_merge */
	AGR_STATS_BY_FAULT, /* per kind of injected fault: runs hit, successful, contained */
} agr_stats_view;

/* Writes what the stats come to, as view says.  False on a write error. */
bool agr_stats_write(const agr_stats *st, FILE *out, agr_stats_view view);

/* ------------------------------------------------------------------ */
/* Sharding by trace id                                                */

/*
 * The shard, 0 to n-1, of the trace whose id is the len bytes at id (its
 * UTF-8 once JSON escapes are decoded): the 64-bit FNV-1a hash of those
 * bytes (offset basis 14695981039346656037, prime 1099511628211, each
 * byte XORed in before the multiplication, modulo 2^64) modulo n.  It
 * depends on the bytes alone, so that shards cut on any machine, by any
 * build, agree.  n 0 is taken as 1.
 *
 *     agr_shard("r2", 2, 4) == 1
 */
uint64_t agr_shard(const char *id, size_t len, uint64_t n);

/* The shard of rec's trace, keyed as the checker keys it: its "trace"
 * string, or "" when it has none or it is not a string. */
uint64_t agr_record_shard(const agr_record *rec, uint64_t n);

/* The file name of shard (0 to n-1) as split(1) -n names its pieces:
 * prefix, then a suffix of letters (aa, ab, ..., zz; with n past 676,
 * three: aaa, ...), or of digits (00, 01, ...), as long as the last
 * shard's needs and at least two.  A new string the caller frees.
 *
 *     agr_shard_name("x", 27, 100, false) is "xbb"
 */
char *agr_shard_name(const char *prefix, uint64_t shard, uint64_t n, bool digits);

/* Receives a record's original bytes (no newline). */
typedef void (*agr_write_fn)(void *ctx, const char *bytes, size_t len);

/*
 * A splitter writes each record it is fed to the shard of its trace
 * (agr_record_shard()), its bytes as they were read.  The caller owns it:
 * agr_splitter_finish() when the input ends, then agr_splitter_free().
 *
 *     agr_splitter *s = agr_splitter_new_files(4, "x", false, "-", false, &err);
 *     while (...) if (!agr_splitter_feed(s, rec, &err)) break;
 *     ok = agr_splitter_finish(s, report, NULL);
 *     agr_splitter_free(s);
 */
typedef struct agr_splitter agr_splitter;

/* Shard only (0 to n-1) of n alone: each of its records is handed to
 * out(ctx, ...), the others are passed over (agraph-trace split -n k/n).
 * n 0 is taken as 1. */
agr_splitter *agr_splitter_new_one(uint64_t n, uint64_t only, agr_write_fn out, void *ctx);

/*
 * Every shard of n to a file of its own, named agr_shard_name(prefix, k,
 * n, digits), each record written with a newline (and flushed, with
 * flush).  The n files are made, or emptied as split(1) overwrites, now,
 * before a record is read, so that they are there whatever comes, and are
 * open together.  NULL, with *err and no file made, when n files may not
 * be open at once, or when one of them is input (a file name, "-" for
 * standard input; NULL: none), which it would truncate; NULL with *err
 * when one cannot be made (those made before it stay).
 */
agr_splitter *agr_splitter_new_files(uint64_t n, const char *prefix, bool digits, const char *input,
                                     bool flush, agr_error *err);

/* Writes rec to its shard.  False, with *err, when its file could not be
 * written: the caller stops there, and frees s (finish says no more). */
bool agr_splitter_feed(agr_splitter *s, const agr_record *rec, agr_error *err);

/* Closes the files, each that could not be written whole told to
 * fn(ctx, err) (fn may be NULL); false when one could not or a feed
 * failed (told then; after that finish tells nothing more). */
bool agr_splitter_finish(agr_splitter *s, agr_error_fn fn, void *ctx);
/* Frees s; a file still open is closed, whatever that gives unsaid. */
void agr_splitter_free(agr_splitter *s);

/* ------------------------------------------------------------------ */
/* Selecting records                                                   */

typedef struct agr_grep agr_grep;

/*
 * Selects the records for which e holds (invert: does not hold), or with
 * whole_trace every record of each trace that has (invert: has no) such
 * a record, written when the trace ends.  e must outlive the grep.
 */
agr_grep *agr_grep_new(const agr_expr *e, bool invert, bool whole_trace, agr_write_fn out,
                       void *ctx);
void agr_grep_free(agr_grep *g);
void agr_grep_feed(agr_grep *g, const agr_record *rec);
/* The end of the input: traces still open are settled, by id. */
void agr_grep_finish(agr_grep *g);
/* Records (or traces) selected so far. */
size_t agr_grep_matches(const agr_grep *g);

typedef struct agr_lineage agr_lineage;

/* The lineage of the record at step of trace (NULL: the first trace of
 * the input): it and every record its `cause` links lead back to. */
agr_lineage *agr_lineage_new(const char *trace, long step);
void agr_lineage_free(agr_lineage *l);
void agr_lineage_feed(agr_lineage *l, const agr_record *rec);
/* Writes the lineage in step order; false, with err->text, when the
 * trace has no record at that step. */
bool agr_lineage_write(agr_lineage *l, agr_write_fn out, void *ctx, agr_error *err);

/* ------------------------------------------------------------------ */
/* Fault injection                                                     */

typedef struct agr_injector agr_injector;

/* An injector that writes records through out; seed drives every draw. */
agr_injector *agr_injector_new(uint64_t seed, agr_write_fn out, void *ctx);
void agr_injector_free(agr_injector *in);

/*
 * Adds a fault spec: FAULT[:key=value,...].  Selectors: kind=, tool=,
 * agent=, trace=, step=, where=EXPR; rates: p=, n=, nth=, first=; other
 * keys are the fault's own parameters.  False, with err->text, on a
 * mistake, and the spec is not added.
 *
 *     agr_injector_add(in, "error:tool=Stripe,nth=1", &err);
 */
bool agr_injector_add(agr_injector *in, const char *spec, agr_error *err);
/* Adds the specs of a file in the format of agraph-inject(5). */
bool agr_injector_load(agr_injector *in, const char *path, agr_error *err);
/* Leaves the fault records out of the stream: to manifest when not NULL. */
void agr_injector_quiet(agr_injector *in, agr_write_fn manifest, void *ctx);
/* Feeds one record; false, with err->text, when a rewrite command fails. */
bool agr_injector_feed(agr_injector *in, const agr_record *rec, agr_error *err);
/* Faults that need words (H, RA, BT, ILC, IA, CIL, PFE, poison) take them
 * from cmd, run without a shell (split at spaces) with the record on its
 * standard input, instead of text=. */
void agr_injector_rewrite_cmd(agr_injector *in, const char *cmd);
/* The end of the input: records still held back are written. */
void agr_injector_finish(agr_injector *in);
/* How many faults were injected so far (a fault that found nothing to do
 * is not one), fault records left out by agr_injector_quiet() included:
 * how a program learns whether its specs hit anything. */
size_t agr_injector_count(const agr_injector *in);
/* Every fault, a line each: name, the kind of record it hits, meaning. */
void agr_inject_list(FILE *out);

/*
 * Live faults (agraph-route --exec -f): the same specs, applied to real
 * calls as they are made rather than to a recorded stream.  Call
 * agr_injector_live() before adding specs: then agr_injector_add() and
 * agr_injector_load() refuse, saying why, every fault that cannot hit a
 * real call (drop, duplicate, reorder, the call faults, the message
 * faults), kind= other than result, and field= naming a field the router
 * reads itself (status, error, and the fields it writes).
 */
void agr_injector_live(agr_injector *in);
/* agr_injector_live() for agraph-mcp, where a tool's answer goes to the
 * client's model as a message would: the message faults that change a
 * text (CLV, H, CIL) are response faults on results too. */
void agr_injector_live_answers(agr_injector *in);

typedef enum agr_live_faults {
	AGR_LIVE_SERVICE,  /* error, timeout: stand in for the tool, decided before it runs */
	AGR_LIVE_RESPONSE, /* latency, corrupt, empty, stale, irrelevant, forget, poison */
} agr_live_faults;

/*
 * Applies to rec, a result record (a JSON object), in place, the specs
 * of the faults which names that hit it, selected, counted (nth=,
 * first=, n=) and drawn (p=, and a fault's own draws) as
 * agr_injector_feed() does for the records of a trace, with the same
 * state; but it writes nothing, and renumbers nothing.  Returns the
 * fields of each fault record, in order, in an array the caller owns
 * (empty: none hit): "fault", "params" and, when the fault drew any,
 * "drawn", which a router writes with agr_router_fault(); *wait_ms is how
 * much later the result comes (latency's ms=), for a real call to wait.
 * NULL, with err->text, when a rewrite command fails.
 */
json_t *agr_injector_apply(agr_injector *in, json_t *rec, agr_live_faults which, double *wait_ms,
                           agr_error *err);

/* ------------------------------------------------------------------ */
/* Governance (agraph-policy(5), agraph-govern(1))                     */

/*
 * A governor holds a policy (capability limits per agent, ordered rules
 * that allow, rewrite, block or escalate) and, per trace, what its limits
 * have counted so far.  It decides each call (and each message a rule is
 * on) before it reaches the world.
 */
typedef struct agr_governor agr_governor;

/* Loads a policy file; NULL with err (file:line:col) on any mistake. */
agr_governor *agr_governor_load_file(const char *path, agr_error *err);
agr_governor *agr_governor_load_string(const char *text, size_t len, const char *source,
                                       agr_error *err);
void agr_governor_free(agr_governor *gv);
/* The policy's name ("" when it has none). */
const char *agr_governor_name(const agr_governor *gv);

typedef enum agr_decision {
	AGR_DECISION_ALLOW,
	AGR_DECISION_REWRITE,
	AGR_DECISION_BLOCK,
	AGR_DECISION_ESCALATE, /* not made: a person decides */
} agr_decision;

/* "allow", "rewrite", "block", "escalate". */
const char *agr_decision_name(agr_decision d);

/* Audit: agr_governor_feed() passes every record as it was, and its
 * govern records say what the policy would have done. */
void agr_governor_audit(agr_governor *gv);

/*
 * The filter (agraph-govern): feeds one record of a stream of traces and
 * writes, through out, what comes of it: an allowed call and any record
 * not judged as its original bytes (steps moved when records were put in
 * before them); a rewritten call then its govern record; for a blocked
 * call its govern record and a result of status error, class blocked;
 * nothing for a later result of a blocked call.  False, with err, when
 * the record cannot be renumbered (a step past 2^53); nothing of it is
 * written.
 */
bool agr_governor_feed(agr_governor *gv, const agr_record *rec, agr_write_fn out, void *ctx,
                       agr_error *err);

/*
 * For a driver that makes the calls itself (the router): decides the
 * call record rec (kind call; its trace's limits count it when it goes
 * out) and, for a rewrite, changes rec in place.  *govern is set to the
 * fields of the govern record to write (decision, rule, reason or
 * changed, call, tool, agent), which the caller owns, or NULL for an
 * allow.  The caller gives step and cause.
 */
agr_decision agr_governor_decide(agr_governor *gv, json_t *rec, json_t **govern);
/* Forgets what the limits counted in trace: a new run of it begins. */
void agr_governor_forget(agr_governor *gv, const char *trace);
/* Whether the capability limits let agent (NULL: none) call tool: true
 * for an agent the policy does not name. */
bool agr_governor_may_call(const agr_governor *gv, const char *agent, const char *tool);

/* ------------------------------------------------------------------ */
/* The router                                                          */

typedef struct agr_router agr_router;

typedef enum agr_policy {
	AGR_POLICY_HEAL,   /* reroute, demote, escalate (Self-Healing Router) */
	AGR_POLICY_STATIC, /* the first plan, hand-coded alternatives, skip-edges, crashes */
	AGR_POLICY_FIXED,  /* follow the first plan, skip failed steps */
	AGR_POLICY_REACT,  /* a ReAct agent: its model decides each step (the cost baseline) */
} agr_policy;

typedef enum agr_kind {
	AGR_EV_ROUTE,
	AGR_EV_CALL,
	AGR_EV_RESULT,
	AGR_EV_HEALTH,
	AGR_EV_REROUTE,
	AGR_EV_DEMOTE,
	AGR_EV_ESCALATE,
	AGR_EV_FINAL,
	AGR_EV_FAULT,
	AGR_EV_MODEL,  /* a consultation of the model: escalation or pre-flight */
	AGR_EV_INPUT,  /* the run's input: a message from "user" (agr_router_opts.input) */
	AGR_EV_GOVERN, /* the policy's decision on a call (agr_router_opts.govern) */
} agr_kind;

/* The status of a result record. */
typedef enum agr_result_status {
	AGR_RESULT_OK,
	AGR_RESULT_ERROR,
	AGR_RESULT_TIMEOUT,
} agr_result_status;

/* The status of a health record. */
typedef enum agr_health_status {
	AGR_HEALTH_UP,
	AGR_HEALTH_DOWN,
} agr_health_status;

/* The status of a final record. */
typedef enum agr_final_status {
	AGR_FINAL_SUCCESS,
	AGR_FINAL_DEMOTED,
	AGR_FINAL_ESCALATED,
	AGR_FINAL_FAILURE,
	AGR_FINAL_UNKNOWN, /* the world's answer was not known (replay) */
	AGR_FINAL_CRASHED, /* a static workflow stopped on a failure it has no answer to */
} agr_final_status;

/* A fault planted on a tool by replay and stress: every call fails, or
 * times out, or the tool is down from the start. */
typedef enum agr_fault_kind {
	AGR_FAULT_ERROR,
	AGR_FAULT_TIMEOUT,
	AGR_FAULT_DOWN,
} agr_fault_kind;

/*
 * One record of the run, as the router decides it.  Everything it points
 * to is borrowed from the router and valid until the next call on it.
 */
typedef struct agr_event {
	agr_kind kind;
	long step;
	int tool;                        /* node, or -1 */
	long call;                       /* call number (id "c<call>"), or 0 */
	int attempt;                     /* call: 1 for the first try of a node */
	agr_result_status result_status; /* result */
	agr_health_status health_status; /* health not written by a monitor */
	agr_final_status final_status;   /* final */
	const int *path;                 /* route, reroute, demote, final */
	size_t path_len;
	agr_cost cost;           /* route, reroute, demote: the path's cost */
	long cause;              /* step that led here, or 0 */
	int goal;                /* demote: the new goal */
	const char *error_class; /* result with an error */
	const char *message;     /* result error message, escalate/final reason */
	bool retryable;
	const char *monitor; /* health record written by a monitor */
	double priority;
	const char *action;
	const json_t *extra; /* fields to keep from an outside record, or NULL */
	long target;         /* fault: the step of the record it changes */
	const char *purpose; /* model: "escalation", "preflight", or a ReAct step's */
} agr_event;

typedef struct agr_router_opts {
	agr_policy policy;
	int goal;          /* -1: the graph's goal */
	bool monitors;     /* evaluate the graph's monitors: */
	const char *trace; /* trace id for records (agr_event_json) */
	/* The run's input, or NULL (borrowed; it must outlive the router): the
	 * first record, a message from "user" to the start node whose content
	 * it is, and what the nodes' args: read as `input`. */
	const json_t *input;
	/* A policy that decides each call before it goes out, or NULL
	 * (borrowed; what its limits count for this run's trace starts anew
	 * with the router).  A call it blocks is never given out: its govern
	 * record and a result of class blocked take its place, and the run
	 * heals around that failure without retrying; a rewritten call is
	 * given out rewritten, its govern record after it; escalate ends the
	 * run escalated. */
	agr_governor *govern;
} agr_router_opts;

/*
 * The router is a state machine that does not know where outcomes come
 * from.  The driver loops:
 *
 *     agr_event ev;
 *     while (agr_router_next(r, &ev)) {
 *             write(ev);
 *             if (ev.kind == AGR_EV_CALL)
 *                     agr_router_result(r, ev.call, AGR_RESULT_OK, NULL, NULL, false, NULL);
 *     }
 *
 * agr_router_next() returns false once the final record has been given.
 * After a call event, the next agr_router_next() fails (returns false
 * with agr_router_waiting() true) until its result is given.
 */
agr_router *agr_router_new(const agr_graph *g, const agr_router_opts *opts);
void agr_router_free(agr_router *r);

bool agr_router_next(agr_router *r, agr_event *ev);

/* The call number the router waits for, or 0. */
long agr_router_waiting(const agr_router *r);

/*
 * Gives the outcome of call number `call`; error_class and message (may be NULL)
 * describe a failure; extra holds fields of an outside result record to
 * carry into the trace (borrowed until the result event has been read).
 * Returns false when the router is not waiting for that call.
 */
bool agr_router_result(agr_router *r, long call, agr_result_status status, const char *error_class,
                       const char *message, bool retryable, const json_t *extra);

/*
 * Reports tool up or down.  The router writes a
 * health record for it and, when the change moves the cheapest path,
 * reroutes.  Allowed before the first agr_router_next() and between
 * events.  extra as for agr_router_result.
 */
void agr_router_health(agr_router *r, int tool, agr_health_status status, const json_t *extra);

/*
 * Gives the router an outside record, as a coprocess or a recording
 * sends it: a `result` answering the call the router waits for, or a
 * `health` record (`tool`, `status` up or down).  Returns 1 when it was
 * the awaited result, 0 for a health record or a result passed over (its
 * call timed out before: agr_router_await), and -1 with err->text set
 * when the record is neither or does not fit (the caller adds where it
 * came from).  Other fields of the record are kept in the trace.
 */
int agr_router_feed(agr_router *r, const json_t *rec, agr_error *err);

/*
 * Writes a fault record (kind fault, the tool, its target step, and the
 * fields of extra) just before the result or health record that the
 * caller gives next, which then names the fault as its cause: for
 * drivers that change the world's answer on purpose (agraph-stress,
 * agraph-route --exec -f) or replay a recording that says so.  Several
 * faults before one record all target it, and each names the one before
 * it as its cause: the record's lineage holds them all.  Give the record
 * right after them (no agr_router_next() between), as their target is
 * set when it comes.
 */
void agr_router_fault(agr_router *r, int tool, const json_t *extra);

/* Ends the run now with a final record of the given status (failure:
 * the outside world can no longer answer; unknown: its answer is not
 * known) and reason. */
void agr_router_abort(agr_router *r, agr_final_status status, const char *reason);
/* Ends the run now, stopped by signal sig: a final record of status
 * unknown whose reason names the signal and the call out, if one is
 * ("stopped by signal 15 (Terminated) while call c2 was out"). */
void agr_router_stop(agr_router *r, int sig);

/* The run's first plan, as agraph-route --plan gives it: true with *ev
 * its route record, or its demote record when no path reaches the goal
 * but one reaches a fallback goal (the records before it, the input and
 * a pre-flight, passed over); false with err->text saying why there is
 * none (the escalation's reason, else "no path from START to GOAL"). */
bool agr_router_first_plan(agr_router *r, agr_event *ev, agr_error *err);

/*
 * The router as a coprocess (agraph-route --coproc): records come from
 * the program that executes the tools, through the file descriptor fd
 * (named name in errors), lines of at most max_line bytes (0:
 * AGR_DEFAULT_MAX_LINE), read as agr_reader reads them.
 */
typedef struct agr_peer agr_peer;
agr_peer *agr_peer_new(int fd, const char *name, size_t max_line);
void agr_peer_free(agr_peer *p);
/* As agr_reader_stop_on(): agr_router_await() returns 2 once *stop is not
 * 0, after the record in hand, also while it waits for input. */
void agr_peer_stop_on(agr_peer *p, const volatile sig_atomic_t *stop);

typedef void (*agr_event_fn)(void *ctx, const agr_router *r, const agr_event *ev);

/*
 * Waits for the result of the call that is out, feeding the router every
 * record the peer sends meanwhile and handing the events they make to fn
 * at once, so that any number of health records costs no memory.  A call
 * whose tool has a timeout_ms and whose result has not been read that
 * long after it began gets a timeout result; its result, if it comes
 * later, is passed over.  The result's own events are left for
 * agr_router_next().  Returns 1 when the call is answered, 0 when the
 * input ended first, 2 when asked to stop first (agr_peer_stop_on()), -1
 * with err (at the record) on a bad record or a read error.
 */
int agr_router_await(agr_router *r, agr_peer *p, agr_event_fn fn, void *ctx, agr_error *err);

/* As agr_router_await(), and when no answer can come the run ends there:
 * when the input ended (0) or a record was bad (-1), a final record of
 * status failure says why ("input ended while call c3 was out", "bad
 * input: " and the reader's message), and so does *err, for the program
 * to print (a bad record at its place).  1 and 2 as agr_router_await(). */
int agr_router_await_or_end(agr_router *r, agr_peer *p, agr_event_fn fn, void *ctx, agr_error *err);

/* The event as a trace record (agraph-trace(5)); the caller owns it.
 * NULL if its bytes were not JSON: a bug, never to be written as another
 * record (agraph-route stops with exit status 2). */
json_t *agr_event_json(const agr_router *r, const agr_event *ev);

/* The graph the router walks. */
const agr_graph *agr_router_graph(const agr_router *r);

/* Names of kinds, statuses and fault kinds as they appear in records
 * ("result", "timeout", "down", "escalated", ...); NULL for a value that
 * is not one of the enum's. */
const char *agr_kind_name(agr_kind kind);
const char *agr_result_status_name(agr_result_status status);
const char *agr_health_status_name(agr_health_status status);
const char *agr_final_status_name(agr_final_status status);
const char *agr_fault_kind_name(agr_fault_kind kind);
/* The fault kind of that name ("error", "timeout", "down"): false when
 * there is none. */
bool agr_fault_kind_from_name(const char *name, agr_fault_kind *kind);

/* ------------------------------------------------------------------ */
/* The process runner                                                  */

/*
 * One tool call as a real process (agraph-route --exec), run and waited
 * for whole: agr_exec_run() returns once nothing of it is left.
 *
 * - argv is run as given, never through a shell.  A program name with a
 *   slash that is not absolute is relative to dir (NULL: the current
 *   directory); a bare name is looked up in PATH (unset: /bin:/usr/bin).
 *   The child gets that path as argv[0] and keeps the caller's current
 *   directory.  A program that cannot be run (missing, not executable, a
 *   directory, no #! line) is an error result of class "spawn" (under
 *   valgrind, whose spawn forks before the exec, one the kernel refuses
 *   to run is an exit 127).
 * - The child is the leader of a process group of its own; its signal
 *   mask is empty and every signal has its default action (but for
 *   glibc's own 32 and 33, which its posix_spawn leaves ignored).  It inherits
 *   no file descriptor of the caller's but 0, 1 and 2, which are pipes
 *   (glibc 2.34 and later; before, those not close-on-exec too).
 * - stdin: the input bytes, then end of file.  A tool that never reads
 *   them, or closes stdin early, is no error: the bytes left are dropped,
 *   and the caller never sees SIGPIPE (its disposition, mask and pending
 *   signals are as they were).
 * - The environment: the caller's environ, with the NAME=VALUE strings of
 *   env (AGRAPH_TRACE, AGRAPH_TOOL, AGRAPH_CALL, AGRAPH_ATTEMPT) added or
 *   replacing a variable of the same name.
 * - stdout is the output, at most max_output bytes (0:
 *   AGR_EXEC_MAX_OUTPUT): a byte more is an error result of class
 *   "output", and the group is killed (SIGKILL) at once, so that memory
 *   stays flat whatever the tool prints.  When the whole of it is one JSON
 *   value (whitespace around allowed, no NUL), output is that value;
 *   otherwise a JSON string of it, one trailing newline removed, NUL and
 *   bytes that are not UTF-8 each replaced by U+FFFD (empty stdout: "").
 *   output is also set for an exit other than 0, NULL when the tool did
 *   not end by itself (timeout, signal, cancel, output, spawn).
 * - stderr is passed through as it comes to stderr_fd (-1: dropped;
 *   write errors ignored, a stderr_fd that blocks stalls the run), and
 *   its last line that is not blank (at most AGR_EXEC_MAX_LINE bytes,
 *   cleaned as output is) becomes the message of a failure.
 * - Exit 0: status ok, error_class and message NULL.  Another exit:
 *   status error, class "exit", exit_code, message the last stderr line
 *   or "exit N".  Death by a signal: class "signal", signal, message
 *   "killed by SIGSEGV" (and ": " and the last stderr line, if any).
 * - timeout_ms (0: none): once past, SIGTERM to the whole group, SIGKILL
 *   grace_ms (0: AGR_EXEC_GRACE_MS) later if it still runs; status
 *   timeout, class "timeout", message "no answer in N ms".
 * - Once the child ends, for whatever reason, what is left of its group
 *   gets SIGKILL (before the child is reaped, so that the group id cannot
 *   have been reused), and stdout and stderr are read until end of file
 *   but at most grace_ms longer: a process that left the group and holds
 *   them open does not hold up the run (it is not waited for).  The child
 *   is reaped; the others, orphans, are init's.  An ignored SIGCHLD
 *   (SIG_IGN or SA_NOCLDWAIT, which would have the kernel reap the child
 *   before its status is read) is set back to its default for the whole
 *   process, a handler kept; the caller must not reap children it did not
 *   start.
 * - stop (NULL: none): when *stop is not 0, say set by a SIGINT handler,
 *   the group gets SIGTERM, then SIGKILL after grace_ms; status error,
 *   class "cancel", message "cancelled" (nothing is run when *stop is
 *   set already).  Every signal is blocked during
 *   the run but while it waits in ppoll(2), so a handler that sets *stop
 *   is seen at once, never missed.
 * - duration_ms: from before the spawn to the reap, CLOCK_MONOTONIC.
 *
 * Several threads may run calls at once (no global state, every file
 * descriptor close-on-exec).
 */
#define AGR_EXEC_MAX_OUTPUT ((size_t)1 << 20)
#define AGR_EXEC_GRACE_MS 200L
#define AGR_EXEC_MAX_LINE 1000

typedef struct agr_exec_spec {
	const char *const *argv; /* argv[0..argc-1]; argc >= 1, argv[0] not empty */
	size_t argc;
	const char *dir;        /* relative program paths start here; NULL: "." */
	const char *const *env; /* env[0..nenv-1]: NAME=VALUE added to environ */
	size_t nenv;
	const char *input; /* stdin: input[0..input_len-1], then EOF */
	size_t input_len;
	long timeout_ms;                   /* 0: none */
	long grace_ms;                     /* 0: AGR_EXEC_GRACE_MS */
	size_t max_output;                 /* 0: AGR_EXEC_MAX_OUTPUT */
	int stderr_fd;                     /* where the tool's stderr goes, -1: nowhere */
	const volatile sig_atomic_t *stop; /* cancel when *stop != 0; NULL: never */
} agr_exec_spec;

typedef struct agr_exec_result {
	agr_result_status status;
	const char *error_class; /* "exit", "signal", "timeout", "output", "spawn",
	                          * "cancel"; NULL when ok.  A static string. */
	char *message;           /* owned; NULL when ok */
	int exit_code;           /* the exit status, or -1 when it did not exit */
	int signal;              /* the signal it died of, or 0 */
	json_t *output;          /* owned (a reference); NULL: see above */
	double duration_ms;
} agr_exec_result;

/*
 * Runs one call and fills *res, which the caller then frees with
 * agr_exec_result_free().  A tool's failure is a result (true).  Returns
 * false, with err->text and *res empty, only on a caller's mistake (no
 * argv, an env string without NAME=, a negative time) or when the
 * process runs out of resources (pipes, memory).
 */
bool agr_exec_run(const agr_exec_spec *spec, agr_exec_result *res, agr_error *err);
/* Frees what res owns and empties it; res itself is the caller's. */
void agr_exec_result_free(agr_exec_result *res);

/*
 * agraph-route --exec: runs the tool of the call ev that r has just given
 * (agr_router_next()) with agr_exec_run(): the node's run: argv, relative
 * programs in dir (the graph file's folder), the call record and a
 * newline on its stdin, AGRAPH_TRACE, AGRAPH_TOOL, AGRAPH_CALL (the
 * call's id) and AGRAPH_ATTEMPT in its environment, the node's
 * timeout_ms; stderr_fd and stop as in agr_exec_spec.  Then gives r the
 * result, with the output as "output", the measured "duration_ms", and,
 * on a failure, an "error" of the runner's class and message, with the
 * exit_code or the signal's name, and with o->timestamps "ts", the
 * wall-clock time the result came, in seconds since the epoch.  A
 * waypoint is reached at once.  A retry (attempt 2 on) of a node with
 * backoff_ms waits first (agraph-graph(5)), its jitter drawn from o->seed
 * and the call, and its result says how long, "backoff_ms".  A call
 * cancelled by *stop, in its tool or its wait, gets no result: the
 * caller ends the run (agr_router_abort()) with the call out, for the
 * tool did not fail.  False, with err->text, only where
 * agr_exec_run() is.
 *
 * With o->faults (agraph-route --exec -f, an injector made live with
 * agr_injector_live()), the call first meets the service faults
 * (agr_injector_apply()) on its result as it begins: trace, step (the
 * one the result takes when no fault comes before it), kind, tool, call
 * and attempt.  One that hits stands in for the tool, which is not run:
 * a timeout waits the node's timeout_ms first (none: no wait), and
 * duration_ms is the time waited.  Then the response faults meet the
 * result (the tool's, or the stand-in), and latency waits its ms= before
 * the result is given (a "ts" then says when).  Each fault that hit is a
 * fault record before the result (agr_router_fault()), which the result
 * names as its cause.  A waypoint's result meets them too.  A stop while
 * a fault waits gives no result, as for a cancelled call.  False, with
 * err->text, also when a fault's rewrite command fails.
 */
typedef struct agr_router_exec_opts {
	const char *dir; /* the graph file's folder; NULL: "." */
	int stderr_fd;   /* the tools' stderr, -1: dropped */
	const volatile sig_atomic_t *stop;
	bool timestamps;      /* a "ts" on each result */
	agr_injector *faults; /* live faults, or NULL */
	uint64_t seed;        /* the backoff's jitter */
} agr_router_exec_opts;

bool agr_router_exec(agr_router *r, const agr_event *ev, const agr_router_exec_opts *o,
                     agr_error *err);
/* The folder of the graph file at graph_path, where the programs its
 * run: lists by a relative path are, for agr_router_exec_opts.dir: a new
 * string the caller frees (NULL when memory ran out: "." then).
 *
 *     agr_router_exec_dir("examples/shop.yaml") is "examples"
 */
char *agr_router_exec_dir(const char *graph_path);

/*
 * agraph-route --exec --probe, before the walk: runs the probe: argv of
 * every node that has one, AGR_PROBE_JOBS at once, each as agr_exec_run()
 * runs a tool (o as for agr_router_exec(); no input; AGRAPH_TOOL,
 * AGRAPH_TRACE and AGRAPH_PROBE=1 in its environment; the node's
 * timeout_ms, else AGR_PROBE_TIMEOUT_MS), and reports each tool whose
 * probe failed to r as down (agr_router_health()), in the graph's node
 * order, with a "probe" object (class, message, exit_code, duration_ms)
 * in the health record.  A probe that passes writes nothing.  False,
 * with err->text, only where agr_exec_run() is.
 */
/*
 * What a tool leaves behind outside its process group (a daemon it
 * started with setsid(2)): agr_exec_adopt_orphans() makes this process
 * their parent once the tool is gone (Linux's PR_SET_CHILD_SUBREAPER;
 * false where there is none), and agr_exec_end_orphans() kills (SIGKILL)
 * and reaps every child of this process.  Call the second only when no
 * tool runs: between calls, after the probes.  It is the program's to
 * call, as it knows which children are its tools'.
 */
bool agr_exec_adopt_orphans(void);
void agr_exec_end_orphans(void);

#define AGR_PROBE_JOBS 8
#define AGR_PROBE_TIMEOUT_MS 5000L
bool agr_router_probe(agr_router *r, const agr_router_exec_opts *o, agr_error *err);

/* ------------------------------------------------------------------ */
/* An MCP session (agraph-mcp(1))                                      */

typedef struct agr_mcp_opts {
	/* The server: argv[0] found as execvp(3) finds it, run without a
	 * shell in a process group of its own, its standard error ours. */
	const char *const *argv;
	size_t argc;
	int client_in, client_out;         /* the client's ends of the stdio transport: 0, 1 */
	FILE *record;                      /* NULL, or where the session is written as a trace, */
	const char *record_name;           /* named so in messages */
	const char *trace;                 /* its trace id (NULL: "mcp") */
	agr_injector *faults;              /* NULL, or live (agr_injector_live_answers()) */
	agr_governor *governor;            /* NULL, or the policy every tools/call meets */
	size_t max_message;                /* the longest line either side may send (0: 64 MiB) */
	long grace_ms;                     /* how long the server has to end, twice (0: 2000) */
	const volatile sig_atomic_t *stop; /* NULL, or a flag that ends the session */
	agr_error_fn on_error;             /* told of what goes wrong and is passed over */
	void *ectx;
} agr_mcp_opts;

/*
 * Relays one MCP session over stdio between the client (o->client_in,
 * o->client_out) and the server it starts, a JSON-RPC message a line,
 * byte for byte but where a fault or the policy acts; records it, gives
 * each tools/call to the policy and the faults.  Returns when the session
 * is over: 0 when the final record says success, 1 when it says failure
 * (the server died, a call was cut short or a failure was left standing),
 * 2 with err when the session could not begin or the record could not be
 * written.
 */
int agr_mcp_run(const agr_mcp_opts *o, agr_error *err);

/* ------------------------------------------------------------------ */
/* A simulated world                                                   */

typedef struct agr_world agr_world;

/*
 * The outside world of a simulated run: tools that fail when called and
 * tools that are down.  seed drives the draws of p= failures.
 */
agr_world *agr_world_new(const agr_graph *g, uint64_t seed);
void agr_world_free(agr_world *w);

/*
 * Adds failing tools from a --fail list: TOOL[:first=N][:p=P][:status=S]
 * items separated by commas.  TOOL fails on every call; first=N only on
 * its first N calls; p=P on each call with probability P; status= is
 * error (the default) or timeout.  Returns false and fills err->text on
 * a mistake (an unknown tool, a bad key).
 *
 *     agr_world_fail(w, "Stripe,Email:first=1", &err);
 */
bool agr_world_fail(agr_world *w, const char *spec, agr_error *err);

/* Marks the tools of a comma-separated list down: every call fails. */
bool agr_world_down(agr_world *w, const char *list, agr_error *err);
bool agr_world_is_down(const agr_world *w, int tool);
/* Tells r of each tool down in w (agr_router_health()), in the graph's
 * node order: before the run, as its first plan is made. */
void agr_world_report_down(const agr_world *w, agr_router *r);

/* The outcome of the next call of tool; *error_class and *message are
 * set (borrowed until the next call) for a failure, else NULL. */
agr_result_status agr_world_call(agr_world *w, int tool, const char **error_class,
                                 const char **message);
/* Answers the call event call of r with w's outcome for its tool, as
 * agr_router_result() takes it (false: call is not the call out). */
bool agr_world_answer(agr_world *w, agr_router *r, const agr_event *call);

/* ------------------------------------------------------------------ */
/* Replay                                                              */

typedef struct agr_recording agr_recording;

/*
 * One recorded trace, as replay needs it: the world's answers (result
 * records; health records that no monitor wrote; fault records that a
 * result or health record names as its cause) and every record, kept.
 * g is the graph the replay walks; it must outlive the recording.  With
 * g NULL the recording only keeps the records (for agr_diff_traces()).
 */
agr_recording *agr_recording_new(const agr_graph *g, const char *trace);
void agr_recording_free(agr_recording *rc);

/* Adds the trace's next record.  False, with err pointing at the record,
 * when a result or health record cannot be read; the record is kept but
 * gives no answer. */
bool agr_recording_add(agr_recording *rc, const agr_record *rec, agr_error *err);
const char *agr_recording_trace(const agr_recording *rc);
/* True once a final record was added. */
bool agr_recording_ended(const agr_recording *rc);
/* The records added, in order; borrowed from the recording. */
size_t agr_recording_size(const agr_recording *rc);
const agr_record *agr_recording_record(const agr_recording *rc, size_t i);

/*
 * Splits a stream of interleaved traces into recordings, one per trace
 * id: records after a trace's final belong to it.  fn gets each
 * recording, and owns it, when its trace is over: once 4096 traces have
 * ended (reached their first final) after it, or at agr_recorder_finish(),
 * the ended in the order they ended, then those still open in the order
 * they began.  A record of a trace handed over for room (the last 262144
 * of them are known) is an error: agr_recorder_add() returns false and
 * leaves it out.
 */
typedef struct agr_recorder agr_recorder;
typedef struct agr_replay_opts agr_replay_opts; /* below */
typedef void (*agr_recording_fn)(void *ctx, agr_recording *rc);
agr_recorder *agr_recorder_new(const agr_graph *g, agr_recording_fn fn, void *ctx);
void agr_recorder_free(agr_recorder *rd);
/* Its recordings are replayed as they are read (agr_recording_replay_as_read()). */
void agr_recorder_replay(agr_recorder *rd, const agr_replay_opts *o, bool check);
/* As agr_recording_add(), for the record's trace. */
bool agr_recorder_add(agr_recorder *rd, const agr_record *rec, agr_error *err);
void agr_recorder_finish(agr_recorder *rd);
/* Only the traces that have ended, in the order they ended: for a reading
 * that stops early (a signal), when what is still open is left. */
void agr_recorder_finish_ended(agr_recorder *rd);

/* What replay does when the router calls a tool more often than the
 * recording answered it. */
typedef enum agr_missing {
	AGR_MISSING_STOP,    /* end the run: final status unknown */
	AGR_MISSING_OK,      /* answer ok, marked "unrecorded": true */
	AGR_MISSING_ERROR,   /* answer error, class unrecorded */
	AGR_MISSING_SUCCEED, /* answer ok, unmarked: a fresh run where all goes well */
} agr_missing;

/* A fault that replay plants on purpose, with a fault record. */
typedef struct agr_replay_fault {
	int tool;
	agr_fault_kind kind;
} agr_replay_fault;

typedef struct agr_replay_opts {
	agr_router_opts router; /* .trace NULL: the recording's trace id */
	agr_missing missing;
	agr_world *world; /* calls it fails fail, whatever was recorded; or NULL */
	const agr_replay_fault *faults;
	size_t nfaults;
	const char *fault_origin; /* named in the planted faults' messages */
	/* Called with each event before its record is written, or NULL. */
	void (*on_event)(void *ctx, const agr_event *ev);
	void *event_ctx;
} agr_replay_opts;

typedef struct agr_replay_info {
	agr_final_status final; /* the final record's status */
	long records;           /* records written */
	long unrecorded;        /* calls the recording had no answer for */
} agr_replay_info;

/* Re-drives the router on the recording; out gets each record's bytes
 * (without a line end).  info (may be NULL) tells how it went. */
void agr_replay_run(const agr_recording *rc, const agr_replay_opts *o, agr_write_fn out, void *ctx,
                    agr_replay_info *info);

/* Where a replay first differs from its recording.  recorded is NULL
 * when the replay wrote more records; replayed is NULL when it wrote
 * fewer, else a copy the caller frees. */
typedef struct agr_divergence {
	const agr_record *recorded; /* borrowed from the recording */
	char *replayed;
	size_t replayed_len;
} agr_divergence;

/* Replays and compares the records the router writes (route, call,
 * result, health, reroute, demote, escalate, final, and the fault
 * records the recording replays) with the recorded ones, byte for byte.
 * True when equal; else d tells the first difference. */
bool agr_replay_check(const agr_recording *rc, const agr_replay_opts *o, agr_divergence *d,
                      agr_replay_info *info);

/*
 * Replays rc while its records are added, as agr_replay_run() (check
 * false) or agr_replay_check() (check true) would once it is whole, and
 * keeps of it only what the replay has not used yet: the answers not
 * given, the records not compared; nothing once the replay has ended.
 * For a long trace the memory stays flat.  Call it before the first
 * agr_recording_add(); o is borrowed and must outlive rc.  A call whose
 * answer has not come waits for it, until the recording is complete
 * (the first of agr_recording_replayed() or agr_recording_checked());
 * the world (o->world) is called in the order the calls are replayed,
 * which across recordings is the order their records come.  Such a
 * recording is for these two functions only: agr_recording_size() and
 * agr_recording_record() see what it has not let go.
 */
void agr_recording_replay_as_read(agr_recording *rc, const agr_replay_opts *o, bool check);
/* No more records come: out gets the replay's records, as agr_replay_run() gives them. */
void agr_recording_replayed(agr_recording *rc, agr_write_fn out, void *ctx, agr_replay_info *info);
/* No more records come: as agr_replay_check(); d->recorded is borrowed from rc.  info counts
 * the whole replay. */
bool agr_recording_checked(agr_recording *rc, agr_divergence *d, agr_replay_info *info);

/*
 * Compares two traces of the same run, record by record, fault records
 * aside and fields compared but for step, cause and renumbered (which
 * move when a fault record is put in).  Returns false and writes nothing
 * when they agree; else writes to out, as text or one NDJSON object, the
 * first record that differs on each side and what differs from there on
 * (tools called, reroutes, final status), and the faults of each, and
 * returns true.  a or b may be NULL: the trace is only in the other.
 */
bool agr_diff_traces(const agr_recording *a, const agr_recording *b, bool ndjson, FILE *out);

/* ------------------------------------------------------------------ */
/* Stress: searching for fault sets that break contracts               */

#define AGR_STRESS_MAX_FAULTS 8

typedef struct agr_stress_opts {
	agr_router_opts router;  /* .trace is ignored */
	agr_fault_kind kinds[3]; /* the kinds of fault to plant */
	size_t nkinds;
	size_t max_faults; /* at most AGR_STRESS_MAX_FAULTS */
	uint64_t budget;   /* fault sets to try */
	uint64_t seed;     /* for sampling */
	bool first;        /* stop at the first counterexample */
	bool fresh;        /* no recording: every call the faults spare succeeds */
	/* NULL, or where the sets tried are counted: of the budget when the
	 * search samples, alone when it goes through every set, as it cannot
	 * tell how many change the run; borrowed, never finished. */
	agr_progress *progress;
} agr_stress_opts;

/* A smallest fault set that breaks a contract, and its run.  Everything
 * is borrowed for the time of the callback. */
typedef struct agr_counterexample {
	const agr_replay_fault *faults;
	size_t nfaults;
	const char *set;      /* the set as text: {Stripe:error,Razorpay:error} */
	const char *found_as; /* the larger set it was shrunk from, or NULL */
	const char *contract; /* the contract it breaks */
	long step;            /* the first violating step of the run */
	const char *reason;
	const char *trace;   /* the run's trace id: the recording's and the set */
	const char *records; /* the run, as NDJSON lines */
	size_t len;
	bool new_set; /* false when an earlier counterexample had this set */
} agr_counterexample;

/* Returns false to stop the search. */
typedef bool (*agr_counterexample_fn)(void *ctx, const agr_counterexample *ce);

typedef struct agr_stress_report {
	bool sampled;  /* the space did not fit the budget */
	bool complete; /* every set that changes the run was tried */
	double space;  /* sets of up to max_faults faults over the callable tools */
	uint64_t sets; /* fault sets tried, the empty one included */
	uint64_t distinct;
	uint64_t replays; /* runs made, shrinking included */
	uint64_t counterexamples;
} agr_stress_report;

/*
 * Searches fault sets of up to o->max_faults faults, at most one per
 * tool, replaying rc (built on g; calls it never answered answer ok,
 * marked "unrecorded" unless o->fresh)
 * with each and checking cs on the run.  When the space fits the budget,
 * every set in which each fault meets the run is tried, smallest first,
 * in a fixed order; else o->budget sets are drawn with o->seed by
 * random walks that add faults on tools the run touches.  Each
 * counterexample is shrunk to a subset with no smaller subset that breaks
 * the same contract, and given to fn.
 */
void agr_stress_run(const agr_recording *rc, const agr_graph *g, const agr_contracts *cs,
                    const agr_stress_opts *o, agr_counterexample_fn fn, void *ctx,
                    agr_stress_report *rep);

/* ------------------------------------------------------------------ */
/* Import and export                                                   */

typedef struct agr_import_opts {
	const char *terminate_word; /* chatlog: the word that ends a conversation;
	                               NULL: TERMINATE */
	/* NULL, or a flag (as for agr_reader_stop_on()) that, once not 0, ends
	 * the input after the line in hand: what was read is converted, but a
	 * document read whole that is not all read is not. */
	const volatile sig_atomic_t *stop;
	/* NULL, or where the bytes read are counted, its total set to the
	 * size of the files (agr_progress_total_files()); borrowed. */
	agr_progress *progress;
} agr_import_opts;

/*
 * Converts the runs that the files (none: standard input) hold in format
 * (openai, swe-agent, chatlog or otel; agraph-trace(5) says how) into records, given
 * to out.  Input of one JSON value a line is read a line at a time; any
 * other is read whole, once.  Each mistake goes to on_error with its file,
 * line and column, and the rest is still converted.  Returns how many
 * mistakes there were.
 */
long agr_import(const char *format, const char *const *paths, int npaths, const agr_import_opts *o,
                agr_write_fn out, void *ctx, agr_error_fn on_error, void *ectx);

/* Writes traces in another format, a trace at a time as each is over,
 * one trace id one trace, as agr_recorder_new() hands them over: for
 * otel, one OTLP/JSON request a line, its ids a hash of the trace's
 * records.  agr_exporter_finish_ended() writes only the traces that have
 * ended (for a stop on a signal). */
typedef struct agr_exporter agr_exporter;
agr_exporter *agr_exporter_new(const char *format, agr_write_fn out, void *ctx, agr_error *err);
/* Where a trace whose records carry no ts begins: when, as seconds since
 * the epoch or an RFC 3339 time, instead of the time of agr_exporter_new()
 * (for output that is the same every time).  False, with *err, when when
 * is neither.
 *
 *     if (!agr_exporter_start_at(x, "2026-01-01T00:00:00Z", &err)) ...
 */
bool agr_exporter_start_at(agr_exporter *x, const char *when, agr_error *err);
bool agr_exporter_add(agr_exporter *x, const agr_record *rec, agr_error *err);
void agr_exporter_finish(agr_exporter *x);
void agr_exporter_finish_ended(agr_exporter *x);
void agr_exporter_free(agr_exporter *x);

/* ------------------------------------------------------------------ */
/* Drawing, through graphviz (libgvc)                                  */

typedef struct agr_render_opts {
	const char *format; /* a graphviz output format: svg (NULL), png, pdf, dot, json */
	const char *layout; /* a graphviz layout engine: dot (NULL), neato, fdp, ... */
} agr_render_opts;

/*
 * Draws the tool graph g: costs on edges, start, goal and fallback goals
 * marked.  With rc (a recording of a run over g, or NULL) the run goes
 * on top: the path walked, tools completed and failed (with the error
 * class), reroute points and new plans, demotion and escalation, down
 * tools, monitors that fired and planted faults.  Nodes have the id
 * node_NAME and edges edge_FROM_TO (other characters than letters,
 * digits and _ become _), and classes that say the same as the colours.
 * On success *out holds the drawing (the caller frees it) and *len its
 * size; on failure err says why.
 */
bool agr_render_graph(const agr_graph *g, const agr_recording *rc, const agr_render_opts *o,
                      char **out, size_t *len, agr_error *err);

/* Draws the cause graph of rc: a node per record (id step_N), an edge
 * per cause link (id cause_FROM_TO), failures red, faults as diamonds,
 * each agent's records in a cluster. */
bool agr_render_lineage(const agr_recording *rc, const agr_render_opts *o, char **out, size_t *len,
                        agr_error *err);

/* ------------------------------------------------------------------ */
/* Writing records                                                     */

/*
 * Writes obj as one compact line to out (costs and other reals with 15
 * significant digits).  Returns false on a write error, with errno set.
 */
bool agr_write_json(FILE *out, const json_t *obj);

#endif
