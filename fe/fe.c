/* fe.c - what every agraph program does the same way. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agraph_fe.h"

extern char *program_invocation_short_name;

/*
 * Signals.  While a program reads records, SIGINT, SIGTERM and SIGHUP ask
 * it to stop: the handler only notes the signal, the record in hand is
 * finished, what was written for it is flushed, and the program exits
 * 128 + the signal's number, so that its output ends on a whole line.
 * The reading loops below look at the note between records (the reader
 * also while it waits for input), and the output helpers after a whole
 * line once the loop is over.  A second signal ends the program at once.
 */
/* The report agr_fe_progress_start() began, or NULL; whether stdout is
 * the terminal that its line is on. */
static agr_progress *progress;
static bool progress_shares_stdout;

static volatile sig_atomic_t caught; /* the signal that asked, or 0 */
static int busy;                     /* in the work of one record */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void
on_stop_signal(int sig)
{
	if (caught != 0) { /* asked twice: as if there were no handler */
		agr_progress_clear_now(progress);
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	caught = sig;
}

/* With SA_RESTART, so that a write is never cut short; a signal ignored
 * from the start (nohup, a background job) stays ignored. */
static void
catch_stop_signals(bool on)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on ? on_stop_signal : SIG_DFL;
	for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
}

static void (*on_stop)(void *ctx); /* agr_fe_on_stop() */
static void *on_stop_ctx;

void
agr_fe_on_stop(void (*fn)(void *ctx), void *ctx)
{
	on_stop = fn;
	on_stop_ctx = ctx;
}

/* Asked to stop: what was written is flushed, and the program ends. */
static void
stop_if_asked(void)
{
	if (caught != 0 && busy == 0) {
		void (*fn)(void *ctx) = on_stop;

		on_stop = NULL;
		if (fn != NULL) {
			busy++;
			fn(on_stop_ctx);
			busy--;
		}
		exit(agr_fe_exit(0));
	}
}

static void
write_failed(void)
{
	/* the program ends here: no line left half drawn on a terminal */
	agr_progress_clear(progress);
	if (errno == EPIPE) /* the reader went away: nothing to say */
		_exit(128 + SIGPIPE);
	err(2, "stdout");
}

void
agr_fe_put(const json_t *rec, bool flush)
{
	agr_fe_before_output();
	if (!agr_write_json(stdout, rec) || (flush && fflush(stdout) != 0))
		write_failed();
	stop_if_asked();
}

void
agr_fe_put_bytes(const char *bytes, size_t len, bool flush)
{
	agr_fe_before_output();
	if (fwrite(bytes, 1, len, stdout) != len || putchar('\n') == EOF ||
	    (flush && fflush(stdout) != 0))
		write_failed();
	stop_if_asked();
}

int
agr_fe_exit(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return 128 + SIGPIPE;
		warn("stdout");
		return 2;
	}
	return caught != 0 ? 128 + caught : status;
}

static const char *usage_text = "";

void
agr_fe_init(char **argv, const char *usage)
{
	argv[0] = program_invocation_short_name;
	usage_text = usage;
}

void
agr_fe_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	fputs(usage_text, stderr);
	exit(2);
}

int
agr_fe_getopt(int argc, char **argv, const char *optstring, const struct option *longopts,
              agr_fe_router *ro, agr_contracts *cs)
{
	int c;

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if ((ro != NULL && agr_fe_router_option(ro, c, optarg)) ||
		    (cs != NULL && agr_fe_contracts_option(cs, c, optarg)))
			continue;
		if (c == 'h' || c == AGR_FE_OPT_VERSION || c == '?' || c == ':')
			agr_fe_other_option(c);
		return c;
	}
	return -1;
}

void
agr_fe_other_option(int c)
{
	if (c == 'h')
		fputs(usage_text, stdout);
	else if (c == AGR_FE_OPT_VERSION)
		printf("%s %s\n", program_invocation_short_name, AGR_VERSION);
	else
		agr_fe_usage(NULL);
	exit(agr_fe_exit(0));
}

static bool
same_terminal(int a, int b)
{
	struct stat sa, sb;

	return isatty(a) && isatty(b) && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_rdev == sb.st_rdev;
}

bool
agr_fe_progress_option(int c, agr_progress_mode *mode)
{
	if (c == AGR_FE_OPT_PROGRESS)
		*mode = AGR_PROGRESS_ON;
	else if (c == AGR_FE_OPT_NO_PROGRESS)
		*mode = AGR_PROGRESS_OFF;
	else
		return false;
	return true;
}

/*
 * A signal that ends the program at once (SIGPIPE of a closed stdout;
 * SIGINT, SIGTERM or SIGHUP where no reading loop stops on them, as in
 * agraph-stress) takes the line off the terminal first, then does what it
 * would have.  Only signals left at their default are taken; the report's
 * own writes hold SIGPIPE off, so that it never comes here for them.
 */
static const int end_signals[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP };
static bool end_signal_taken[sizeof end_signals / sizeof *end_signals];

static void
on_end_signal(int sig)
{
	agr_progress_clear_now(progress);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_end_signals(bool on)
{
	struct sigaction sa, cur;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof end_signals / sizeof *end_signals; i++) {
		if (sigaction(end_signals[i], NULL, &cur) != 0)
			continue;
		if (on && !end_signal_taken[i] && cur.sa_handler == SIG_DFL) {
			sa.sa_handler = on_end_signal;
			end_signal_taken[i] = sigaction(end_signals[i], &sa, NULL) == 0;
		} else if (!on && end_signal_taken[i]) {
			/* unless a reading loop's handler has taken its place */
			if (cur.sa_handler == on_end_signal) {
				sa.sa_handler = SIG_DFL;
				sigaction(end_signals[i], &sa, NULL);
			}
			end_signal_taken[i] = false;
		}
	}
}

agr_progress *
agr_fe_progress_start(agr_progress_mode mode)
{
	catch_end_signals(false);
	agr_progress_free(progress);
	progress = agr_progress_new(stderr, program_invocation_short_name, mode);
	progress_shares_stdout = progress != NULL && same_terminal(STDOUT_FILENO, STDERR_FILENO);
	catch_end_signals(progress != NULL && isatty(STDERR_FILENO));
	return progress;
}

void
agr_fe_before_output(void)
{
	if (progress_shares_stdout)
		agr_progress_clear(progress);
}

void
agr_fe_progress_end(void)
{
	agr_progress_finish(progress);
	catch_end_signals(false);
	agr_progress_free(progress);
	progress = NULL;
}

void
agr_fe_error(const agr_error *e)
{
	agr_progress_clear(progress);
	agr_error_print(e, program_invocation_short_name);
}

void
agr_fe_record_error(agr_error *e, const agr_record *rec)
{
	agr_error_at_record(e, rec);
	e->column = 0; /* the record as a whole */
	agr_fe_error(e);
}

/* Ends the program (2) with "prog: what 'arg'": arg shown on one line. */
static _Noreturn void
refuse_value(const char *what, const char *arg)
{
	char *shown = agr_text(arg, false);

	errx(2, "%s '%s'", what, shown);
}

bool
agr_fe_faults_option(agr_fe_faults *f, int c, const char *arg)
{
	if (c == 'f') {
		if (f->nspecs == (int)(sizeof f->specs / sizeof f->specs[0]))
			errx(2, "too many -f (256 at most; use --spec)");
		f->specs[f->nspecs++] = arg;
		return true;
	}
	if (c == AGR_FE_OPT_SPEC) {
		f->spec_file = arg;
		return true;
	}
	return false;
}

bool
agr_fe_faults_given(const agr_fe_faults *f)
{
	return f->nspecs > 0 || f->spec_file != NULL;
}

void
agr_fe_faults_add(const agr_fe_faults *f, agr_injector *in)
{
	agr_error e;

	if (f->spec_file != NULL && !agr_injector_load(in, f->spec_file, &e)) {
		agr_fe_error(&e);
		exit(2);
	}
	for (int i = 0; i < f->nspecs; i++)
		if (!agr_injector_add(in, f->specs[i], &e))
			errx(2, "-f %s: %s", f->specs[i], e.text);
}

json_t *
agr_fe_json_arg(const char *opt, const char *arg)
{
	json_error_t je;
	json_t *v;
	const char *source = opt;

	if (arg[0] == '@') {
		FILE *f = strcmp(arg, "@-") == 0 ? stdin : fopen(arg + 1, "r");

		source = f == stdin ? "-" : arg + 1;
		if (f == NULL)
			err(2, "%s: %s", opt, arg + 1);
		v = json_loadf(f, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (ferror(f))
			err(2, "%s: %s", opt, source);
		if (f != stdin)
			fclose(f);
	} else {
		v = json_loads(arg, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	}
	if (v == NULL)
		errx(2, "%s:%d:%d: %s", source, je.line, je.column, je.text);
	return v;
}

/* Decimal digits only: strtoull() would also take a space, a sign (" -1"
 * is 2^64-1) and, in other bases, 0x; a leading zero (octal to some
 * readers) is refused too, and so is a number past 2^64-1. */
uint64_t
agr_fe_number(const char *opt, const char *arg)
{
	size_t digits = strspn(arg, "0123456789");
	char what[128];
	unsigned long long v;

	if (arg[0] == '\0' || arg[digits] != '\0') {
		snprintf(what, sizeof what, "%s takes a whole number, not", opt);
		refuse_value(what, arg);
	}
	if (arg[0] == '0' && digits > 1) {
		snprintf(what, sizeof what, "%s takes a whole number without a leading zero, not",
		         opt);
		refuse_value(what, arg);
	}
	errno = 0;
	v = strtoull(arg, NULL, 10);
	if (errno != 0) {
		snprintf(what, sizeof what, "%s takes a whole number up to %ju, not", opt,
		         (uintmax_t)UINT64_MAX);
		refuse_value(what, arg);
	}
	return v;
}

bool
agr_fe_contracts_option(agr_contracts *cs, int c, const char *arg)
{
	agr_error e;

	if (c == 'c' && !agr_contracts_load_file(cs, arg, &e)) {
		agr_fe_error(&e);
		exit(2);
	}
	/* "" or ",," names no contract: a run that checks nothing would pass */
	if (c == AGR_FE_OPT_BUILTIN &&
	    (arg[0] == '\0' || arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")))
		errx(2,
		     "--builtin: an empty name in '%s' (known: well-formed, terminates, "
		     "answered, observable, no-repeat, all)",
		     arg);
	if (c == AGR_FE_OPT_BUILTIN && !agr_contracts_builtin(cs, arg, &e))
		errx(2, "--builtin: %s", e.text);
	return c == 'c' || c == AGR_FE_OPT_BUILTIN;
}

bool
agr_fe_ndjson(const char *opt, const char *arg)
{
	if (strcmp(arg, "ndjson") != 0 && strcmp(arg, "text") != 0) {
		char what[128];

		snprintf(what, sizeof what, "%s takes text or ndjson, not", opt);
		refuse_value(what, arg);
	}
	return strcmp(arg, "ndjson") == 0;
}

const volatile sig_atomic_t *
agr_fe_catch_stop(void)
{
	catch_stop_signals(true);
	return &caught;
}

void
agr_fe_busy(bool on)
{
	busy += on ? 1 : -1;
	if (!on)
		stop_if_asked();
}

/* A reader of the files that stops when a signal asks. */
static agr_reader *
stoppable_reader(char **files, int nfiles)
{
	agr_reader *r = agr_reader_new((const char *const *)files, nfiles, 0);

	catch_stop_signals(true);
	agr_reader_stop_on(r, &caught);
	agr_reader_progress(r, progress);
	return r;
}

static agr_error_fn on_error; /* agr_fe_on_error() */
static void *on_error_ctx;

void
agr_fe_on_error(agr_error_fn fn, void *ctx)
{
	on_error = fn;
	on_error_ctx = ctx;
}

int
agr_fe_each_record(char **files, int nfiles, agr_fe_record_fn fn, void *ctx)
{
	agr_reader *r = stoppable_reader(files, nfiles);
	const agr_record *rec;
	agr_error e;
	int rc, status = 0;
	bool go_on = true;

	while (go_on && (rc = agr_reader_next(r, &rec, &e)) != 0) {
		if (rc < 0) {
			agr_fe_error(&e);
			if (on_error != NULL)
				on_error(on_error_ctx, &e);
			status = 2;
			continue;
		}
		busy++;
		go_on = fn(ctx, rec);
		busy--;
		if (!go_on)
			status = 2;
	}
	agr_reader_free(r);
	/* the last line before a signal ends the program */
	agr_progress_finish(progress);
	stop_if_asked();
	return status;
}

/* A reading of recordings: where they go, and what was read first. */
typedef struct reading {
	agr_fe_recording_fn fn;
	void *ctx;
	bool stop;
	bool ending; /* a signal asked: the traces that ended go out */
	char *first; /* the trace id of the first record */
} reading;

/* A whole recording is the record in hand: a signal stops the reading
 * after it, never in the middle of its work. */
static void
hand_over(void *ctx, agr_recording *rc)
{
	reading *x = ctx;

	if (x->stop || (caught != 0 && !x->ending)) {
		agr_recording_free(rc);
		return;
	}
	busy++;
	x->stop = !x->fn(x->ctx, rc);
	busy--;
}

static int
read_recordings(char **files, int nfiles, const agr_graph *g, const agr_replay_opts *replay,
                bool check, reading *x)
{
	agr_recorder *rd = agr_recorder_new(g, hand_over, x);
	agr_reader *in = stoppable_reader(files, nfiles);
	const agr_record *rec;
	agr_error e;
	int rc, status = 0;

	if (replay != NULL)
		agr_recorder_replay(rd, replay, check);
	while (!x->stop && (rc = agr_reader_next(in, &rec, &e)) != 0) {
		if (rc > 0 && x->first == NULL) {
			const char *id = agr_json_str(agr_record_json(rec), "trace");

			if ((x->first = strdup(id != NULL ? id : "")) == NULL)
				err(2, "out of memory");
		}
		if (rc < 0 || !agr_recorder_add(rd, rec, &e)) {
			agr_fe_error(&e);
			status = 2;
		}
	}
	if (!x->stop && caught == 0) {
		agr_recorder_finish(rd);
	} else if (!x->stop) {
		/* Asked to stop: the traces that reached their final are whole,
		 * as far as the input went; those still open are left. */
		x->ending = true;
		agr_recorder_finish_ended(rd);
	}
	agr_recorder_free(rd);
	agr_reader_free(in);
	stop_if_asked();
	return status;
}

int
agr_fe_each_recording(char **files, int nfiles, const agr_graph *g, const agr_replay_opts *replay,
                      bool check, agr_fe_recording_fn fn, void *ctx)
{
	reading x = { fn, ctx, false, false, NULL };
	int status = read_recordings(files, nfiles, g, replay, check, &x);

	free(x.first);
	return status;
}

typedef struct pick {
	reading *x;
	const char *want;
	agr_recording *got;
} pick;

static bool
keep_wanted(void *ctx, agr_recording *rc)
{
	pick *p = ctx;

	if (strcmp(agr_recording_trace(rc), p->want != NULL ? p->want : p->x->first) == 0) {
		p->got = rc;
		return false;
	}
	agr_recording_free(rc);
	return true;
}

agr_recording *
agr_fe_read_trace(const char *path, const agr_graph *g, const char *id)
{
	reading x = { keep_wanted, NULL, false, false, NULL };
	pick p = { &x, id, NULL };
	char *files[] = { (char *)path };
	int status;

	x.ctx = &p;
	status = read_recordings(files, 1, g, NULL, false, &x);
	/* What follows is work on the whole trace, not records: a signal
	 * ends it at once again. */
	catch_stop_signals(false);
	free(x.first);
	if (status != 0) {
		agr_recording_free(p.got);
		exit(2);
	}
	if (p.got == NULL) {
		char *where = agr_text(path, true), *shown = id ? agr_text(id, true) : NULL;

		/* an id that is not plain is a JSON string already: no quotes */
		if (shown != NULL && shown[0] == '"')
			errx(2, "%s: no trace %s", where, shown);
		if (shown != NULL)
			errx(2, "%s: no trace '%s'", where, shown);
		errx(2, "%s: no records", where);
	}
	return p.got;
}

void
agr_fe_write(void *ctx, const char *bytes, size_t len)
{
	agr_fe_put_bytes(bytes, len, ctx != NULL && *(bool *)ctx);
}

bool
agr_fe_router_option(agr_fe_router *o, int c, const char *arg)
{
	switch (c) {
	case AGR_FE_OPT_FAIL:
	case AGR_FE_OPT_DOWN:
		if ((c == AGR_FE_OPT_FAIL ? o->nfail : o->ndown) == 64)
			errx(2, "too many --fail or --down options (64 at most; use commas)");
		if (c == AGR_FE_OPT_FAIL)
			o->fail[o->nfail++] = arg;
		else
			o->down[o->ndown++] = arg;
		return true;
	case AGR_FE_OPT_GOAL:
		o->goal = arg;
		return true;
	case AGR_FE_OPT_SEED:
		o->seed = agr_fe_number("--seed", arg);
		return true;
	case AGR_FE_OPT_POLICY:
		if (strcmp(arg, "heal") == 0)
			o->policy = AGR_POLICY_HEAL;
		else if (strcmp(arg, "static") == 0)
			o->policy = AGR_POLICY_STATIC;
		else if (strcmp(arg, "fixed") == 0)
			o->policy = AGR_POLICY_FIXED;
		else if (strcmp(arg, "react") == 0)
			o->policy = AGR_POLICY_REACT;
		else
			refuse_value("--policy takes heal, static, react or fixed, not", arg);
		return true;
	case AGR_FE_OPT_MONITORS:
		o->monitors = true;
		return true;
	case AGR_FE_OPT_GOVERN: {
		agr_error e;

		if (o->governor != NULL)
			errx(2, "--govern: one policy, given once");
		if ((o->governor = agr_governor_load_file(arg, &e)) == NULL) {
			agr_fe_error(&e);
			exit(agr_fe_exit(2));
		}
		return true;
	}
	default:
		return false;
	}
}

agr_world *
agr_fe_router_setup(const agr_fe_router *o, const agr_graph *g, const char *graph_path,
                    agr_router_opts *ro)
{
	agr_world *world = NULL;
	agr_error e;

	memset(ro, 0, sizeof *ro);
	ro->goal = -1;
	ro->policy = o->policy;
	ro->monitors = o->monitors;
	ro->govern = o->governor;
	if (o->goal != NULL &&
	    ((ro->goal = agr_graph_find(g, o->goal)) < 0 || ro->goal == agr_graph_start(g)))
		errx(2, "--goal: '%s' is not a node of %s other than the start",
		     agr_text(o->goal, false), agr_text(graph_path, true));
	if (o->nfail + o->ndown == 0)
		return NULL;
	world = agr_world_new(g, o->seed);
	for (int i = 0; i < o->nfail; i++)
		if (!agr_world_fail(world, o->fail[i], &e))
			errx(2, "%s", e.text);
	for (int i = 0; i < o->ndown; i++)
		if (!agr_world_down(world, o->down[i], &e))
			errx(2, "%s", e.text);
	return world;
}

void
agr_fe_put_text(FILE *out, const char *s, bool as_id)
{
	char *t = agr_text(s, as_id);

	fputs(t, out);
	free(t);
}
