/*
 * stats.c - reliability metrics over runs, with a mergeable partial form.
 *
 * Everything counted per run is independent of every other run, so the
 * totals of a corpus split by trace id are the sums of the parts' totals:
 * a partial holds the counters, never a rate.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"

typedef struct run {
	char *id;
	long records, calls, failures, faults, reroutes, escalations, demotes, model_calls;
	char final[16]; /* the first final's status; "" when none */
	bool terminates, observable;
	long pass, verdicts;
	json_t *fault_types;      /* the kinds of fault injected into the run: name -> true */
	bool own_done, user_done; /* the checkers gave all their verdicts */
	struct run *next_over;    /* in the list of runs that are over */
	agrp_map open_calls;      /* id -> scall, the newest on top */
	struct scall *answered;   /* the call the record in hand answered */
	/* Governance: the govern records, the calls one names as its cause,
	 * the step of the last call (-1: none, or judged already), and the
	 * decisions (decision -> count) and rules (rule -> {decision -> count})
	 * of the run, for its row. */
	long governs, judged, last_call;
	json_t *decisions, *rules;
} run;

/* An open call: the tool a result that names none is counted for. */
typedef struct scall {
	char *tool; /* NULL when the call names none */
	struct scall *below;
} scall;

static void
calls_free(run *r)
{
	for (size_t i = 0; i < r->open_calls.cap; i++)
		for (scall *c = r->open_calls.slots[i].key ? r->open_calls.slots[i].val : NULL,
		           *below;
		     c; c = below) {
			below = c->below;
			free(c->tool);
			free(c);
		}
	agrp_map_free(&r->open_calls);
	if (r->answered != NULL) {
		free(r->answered->tool);
		free(r->answered);
		r->answered = NULL;
	}
}

/* A result the policy gave in place of a call (agraph-govern): error
 * class blocked or escalated. */
static bool
refused(const agr_record *rec)
{
	agrp_span err, cls;
	char buf[16]; /* longer classes are cut at 12 bytes: neither of these */
	size_t n;

	if (!agrp_record_field(rec, "error", &err) || err.type != 'o' ||
	    !agrp_span_get(&err, "class", &cls) || cls.type != 's')
		return false;
	n = agrp_span_decode(&cls, buf, sizeof buf);
	return (n == 7 && memcmp(buf, "blocked", 7) == 0) ||
	       (n == 9 && memcmp(buf, "escalated", 9) == 0);
}

/* A call opens; a result closes the nearest open call with its id and
 * has its tool when it names none, as observable finds it. */
static const char *
follow_call(run *r, const char *kind, const char *id, const char *call, const char *tool)
{
	scall *c;

	if (r->answered != NULL) {
		free(r->answered->tool);
		free(r->answered);
		r->answered = NULL;
	}
	if (strcmp(kind, "call") == 0 && id != NULL) {
		c = agrp_xcalloc(1, sizeof *c);
		c->tool = tool ? agrp_xstrdup(tool) : NULL;
		c->below = agrp_map_get(&r->open_calls, id);
		agrp_map_put(&r->open_calls, id, c);
		return tool;
	}
	if (strcmp(kind, "result") != 0 || call == NULL ||
	    (c = agrp_map_get(&r->open_calls, call)) == NULL)
		return tool;
	if (c->below)
		agrp_map_put(&r->open_calls, call, c->below);
	else
		agrp_map_del(&r->open_calls, call);
	r->answered = c; /* its tool is used until the next record */
	return tool ? tool : c->tool;
}

/* Counters, summed across runs and across partials. */
enum {
	C_RUNS,
	C_RECORDS,
	C_SUCCESS,
	C_DEMOTED,
	C_ESCALATED,
	C_FAILURE,
	C_UNFINISHED,
	C_TERMINATED,
	C_AFFECTED,
	C_CONTAINED,
	C_REROUTES,
	C_ESCALATIONS,
	C_PASS,
	C_VERDICTS,
	C_MODEL_CALLS,
	C_N
};
static const char *const counter_names[C_N] = { "runs",       "records",    "success",
	                                        "demoted",    "escalated",  "failure",
	                                        "unfinished", "terminated", "affected",
	                                        "contained",  "reroutes",   "escalations",
	                                        "pass",       "verdicts",   "model_calls" };

struct agr_stats {
	agr_contracts *own;        /* terminates and observable, for every run */
	const agr_contracts *user; /* -c and --builtin: compliance */
	agr_checker *own_check, *user_check;
	agrp_map runs;
	long c[C_N];
	json_t *tools;     /* name -> {calls, results, errors} */
	json_t *govern;    /* "decisions": decision -> count */
	json_t *rules;     /* rule -> {decision -> count} */
	json_t *contracts; /* name -> {pass, total} */
	json_t *faults;    /* fault -> {runs, success, contained} */
	/* Runs whose verdicts are all in, to be closed after the record in hand. */
	run *over, **over_tail;
	agr_stats_run_fn fn;
	void *ctx;
};

static void own_verdict(void *ctx, const agr_verdict *v);

/* An empty object stands for an absent one; it is freed with what holds it. */
static json_t *
or_empty(json_t *o)
{
	static json_t *empty;

	if (empty == NULL)
		empty = json_object();
	return o != NULL ? o : empty;
}
static void user_verdict(void *ctx, const agr_verdict *v);

agr_stats *
agr_stats_new(const agr_contracts *user, size_t max_open, agr_stats_run_fn fn, void *ctx)
{
	agr_stats *st = agrp_xcalloc(1, sizeof *st);

	st->own = agr_contracts_new();
	agr_contracts_builtin(st->own, "terminates,observable", NULL);
	st->own_check = agr_checker_new(st->own, max_open, own_verdict, st);
	st->user = user;
	if (user != NULL && agr_contracts_count(user) > 0)
		st->user_check = agr_checker_new(user, max_open, user_verdict, st);
	st->tools = json_object();
	st->govern = json_object();
	st->rules = json_object();
	st->contracts = json_object();
	st->faults = json_object();
	st->over_tail = &st->over;
	st->fn = fn;
	st->ctx = ctx;
	return st;
}

void
agr_stats_free(agr_stats *st)
{
	if (st == NULL)
		return;
	agr_checker_free(st->own_check);
	agr_checker_free(st->user_check);
	agr_contracts_free(st->own);
	for (size_t i = 0; i < st->runs.cap; i++)
		if (st->runs.slots[i].key != NULL) {
			run *r = st->runs.slots[i].val;

			json_decref(r->fault_types);
			json_decref(r->decisions);
			json_decref(r->rules);
			calls_free(r);
			free(r->id);
			free(r);
		}
	agrp_map_free(&st->runs);
	json_decref(st->tools);
	json_decref(st->govern);
	json_decref(st->rules);
	json_decref(st->contracts);
	json_decref(st->faults);
	free(st);
}

static run *
get_run(agr_stats *st, const char *id)
{
	run *r = agrp_map_get(&st->runs, id);

	if (r == NULL) {
		r = agrp_xcalloc(1, sizeof *r);
		r->id = agrp_xstrdup(id);
		r->last_call = -1;
		agrp_map_put(&st->runs, id, r);
	}
	return r;
}

/* The checkers hold a trace after its final, for what may follow: a run
 * is over when both have given their verdicts on it. */
static void
verdicts_in(agr_stats *st, run *r)
{
	if (!r->own_done || (st->user_check != NULL && !r->user_done))
		return;
	*st->over_tail = r;
	st->over_tail = &r->next_over;
}

static void
own_verdict(void *ctx, const agr_verdict *v)
{
	agr_stats *st = ctx;
	run *r = get_run(st, v->trace);

	if (strcmp(v->contract, "terminates") == 0) {
		r->terminates = v->pass;
	} else {
		r->observable = v->pass; /* the last of the two */
		r->own_done = true;
		verdicts_in(st, r);
	}
}

/* Adds by to the count of key in obj, a flat object of counts. */
static void
add(json_t *obj, const char *key, long by)
{
	json_t *n = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer((n ? json_integer_value(n) : 0) + by));
}

/* The same for field in the object under key, made when absent. */
static void
bump(json_t *obj, const char *key, const char *field, long by)
{
	json_t *o = json_object_get(obj, key);

	if (o == NULL) {
		o = json_object();
		json_object_set_new(obj, key, o);
	}
	add(o, field, by);
}

static void
user_verdict(void *ctx, const agr_verdict *v)
{
	agr_stats *st = ctx;
	run *r = get_run(st, v->trace);

	r->verdicts++;
	r->pass += v->pass;
	bump(st->contracts, v->contract, "total", 1);
	bump(st->contracts, v->contract, "pass", v->pass);
	if ((size_t)r->verdicts == agr_contracts_count(st->user)) {
		r->user_done = true;
		verdicts_in(st, r);
	}
}

static bool
is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* A governed run's decisions, for its row: allow, rewrite, block and
 * escalate always, then any other decision its govern records name. */
static json_t *
run_decisions(const run *r, long allowed)
{
	static const char *const kinds[] = { "allow", "rewrite", "block", "escalate" };
	json_t *o = json_object(), *v;
	const char *key;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		json_t *n = json_object_get(r->decisions, kinds[i]);

		json_object_set_new(
		    o, kinds[i],
		    json_integer((n ? json_integer_value(n) : 0) + (i == 0 ? allowed : 0)));
	}
	json_object_foreach(r->decisions, key, v)
	{
		if (json_object_get(o, key) == NULL)
			json_object_set(o, key, v);
	}
	return o;
}

/* The run is over: into the totals, out to the caller, forgotten. */
static void
close_run(agr_stats *st, run *r)
{
	bool affected = r->failures > 0 || r->faults > 0;

	st->c[C_RUNS]++;
	st->c[C_RECORDS] += r->records;
	st->c[is(r->final, "success")                              ? C_SUCCESS
	      : is(r->final, "demoted")                            ? C_DEMOTED
	      : is(r->final, "escalated")                          ? C_ESCALATED
	      : is(r->final, "failure") || is(r->final, "crashed") ? C_FAILURE
	                                                           : C_UNFINISHED]++;
	bool contained =
	    affected && r->observable &&
	    (is(r->final, "success") || is(r->final, "demoted") || is(r->final, "escalated"));
	/* Calls no govern record judged went out as they were: allowed, in
	 * a run that was governed (one without a govern record counts none). */
	long allowed = r->governs > 0 ? r->calls - r->judged : 0;
	const char *key;
	json_t *v;

	if (allowed > 0)
		bump(st->govern, "decisions", "allow", allowed);
	st->c[C_TERMINATED] += r->terminates;
	st->c[C_AFFECTED] += affected;
	st->c[C_CONTAINED] += contained;
	/* MAS-FIRE's figures: per kind of fault, the runs it hit and how they ended. */
	json_object_foreach(r->fault_types, key, v)
	{
		bump(st->faults, key, "runs", 1);
		bump(st->faults, key, "success", is(r->final, "success"));
		bump(st->faults, key, "contained", contained);
	}
	st->c[C_REROUTES] += r->reroutes;
	st->c[C_ESCALATIONS] += r->escalations;
	st->c[C_MODEL_CALLS] += r->model_calls;
	st->c[C_PASS] += r->pass;
	st->c[C_VERDICTS] += r->verdicts;
	if (st->fn != NULL) {
		json_t *o = json_object();

		json_object_set_new(o, "trace", json_string(r->id));
		json_object_set_new(o, "records", json_integer(r->records));
		json_object_set_new(o, "calls", json_integer(r->calls));
		json_object_set_new(o, "failures", json_integer(r->failures));
		json_object_set_new(o, "faults", json_integer(r->faults));
		json_object_set_new(o, "reroutes", json_integer(r->reroutes));
		json_object_set_new(o, "escalations", json_integer(r->escalations));
		json_object_set_new(o, "model_calls", json_integer(r->model_calls));
		json_object_set_new(o, "final", r->final[0] ? json_string(r->final) : json_null());
		json_object_set_new(o, "terminates", json_boolean(r->terminates));
		json_object_set_new(o, "observable", json_boolean(r->observable));
		if (st->user_check != NULL) {
			json_object_set_new(o, "pass", json_integer(r->pass));
			json_object_set_new(o, "verdicts", json_integer(r->verdicts));
		}
		if (r->governs > 0) {
			json_object_set_new(o, "govern", run_decisions(r, allowed));
			json_object_set(o, "rules", or_empty(r->rules));
		}
		st->fn(st->ctx, o);
		json_decref(o);
	}
	agrp_map_del(&st->runs, r->id);
	json_decref(r->fault_types);
	json_decref(r->decisions);
	json_decref(r->rules);
	calls_free(r);
	free(r->id);
	free(r);
}

/* The runs that are over, closed in the order the checkers gave them up;
 * at the end, those without a final stay for the order of their ids. */
static void
close_over(agr_stats *st, bool only_final)
{
	run **kept = &st->over;

	while (*kept != NULL) {
		run *r = *kept;

		if (only_final && r->final[0] == '\0') {
			kept = &r->next_over;
			continue;
		}
		*kept = r->next_over;
		close_run(st, r);
	}
	st->over_tail = kept;
}

/* The record names step among its causes. */
static bool
names_cause(const agr_record *rec, long step)
{
	agrp_span cause, k, v;
	size_t cursor = 0;
	long n;

	if (!agrp_record_field(rec, "cause", &cause))
		return false;
	if (cause.type != 'a')
		return agrp_span_int(&cause, &n) && n == step;
	while (agrp_span_next(&cause, &cursor, &k, &v))
		if (agrp_span_int(&v, &n) && n == step)
			return true;
	return false;
}

/* A govern record: its decision counted, in total and for the run, and
 * by its rule; the call it names as its cause, when that is the run's
 * last call (the govern record comes right after the call it judges),
 * is judged and not allowed. */
static void
count_govern(agr_stats *st, run *r, const agr_record *rec)
{
	char b[2][256];
	const char *d = agrp_record_str(rec, "decision", b[0], sizeof b[0]);
	const char *rule = agrp_record_str(rec, "rule", b[1], sizeof b[1]);

	if (d == NULL)
		d = agrp_record_str(rec, "action", b[0], sizeof b[0]);
	if (d == NULL)
		d = "unknown";
	bump(st->govern, "decisions", d, 1);
	r->governs++;
	if (r->decisions == NULL)
		r->decisions = json_object();
	add(r->decisions, d, 1);
	if (rule != NULL) {
		bump(st->rules, rule, d, 1);
		if (r->rules == NULL)
			r->rules = json_object();
		bump(r->rules, rule, d, 1);
	}
	if (r->last_call >= 0 && names_cause(rec, r->last_call)) {
		r->judged++;
		r->last_call = -1;
	}
}

bool
agr_stats_feed(agr_stats *st, const agr_record *rec, agr_error *err)
{
	agrp_common c;
	const char *id, *kind, *tool, *status;
	char b[1][256];
	run *r;

	agrp_record_common(rec, &c);
	id = c.trace;
	kind = c.kind;
	tool = c.tool;
	status = c.status;

	r = get_run(st, id);
	r->records++;
	if (kind != NULL)
		tool = follow_call(r, kind, c.id, c.call, tool);
	if (is(kind, "call")) {
		r->calls++;
		r->last_call = c.step;
		if (tool != NULL)
			bump(st->tools, tool, "calls", 1);
	} else if (is(kind, "result")) {
		bool failed = is(status, "error") || is(status, "timeout");

		r->failures += failed;
		/* a refusal of the policy is the run's failure, not the tool's: it never ran */
		if (tool != NULL && !(failed && refused(rec))) {
			bump(st->tools, tool, "results", 1);
			bump(st->tools, tool, "errors", failed);
		}
	} else if (is(kind, "fault")) {
		const char *f = agrp_record_str(rec, "fault", b[0], sizeof b[0]);

		r->faults++;
		if (r->fault_types == NULL)
			r->fault_types = json_object();
		json_object_set_new(r->fault_types, f ? f : "unknown", json_true());
	} else if (is(kind, "reroute")) {
		r->reroutes++;
	} else if (is(kind, "escalate")) {
		r->escalations++;
	} else if (is(kind, "model")) {
		r->model_calls++;
	} else if (is(kind, "govern")) {
		count_govern(st, r, rec);
	} else if (is(kind, "final") && r->final[0] == '\0') {
		snprintf(r->final, sizeof r->final, "%s", status ? status : "unknown");
	}
	if (!agr_checker_feed(st->own_check, rec, err) ||
	    (st->user_check != NULL && !agr_checker_feed(st->user_check, rec, err)))
		return false;
	close_over(st, false);
	return true;
}

static int
run_by_id(const void *a, const void *b)
{
	return strcmp((*(run *const *)a)->id, (*(run *const *)b)->id);
}

void
agr_stats_finish(agr_stats *st)
{
	agr_checker_finish(st->own_check);
	if (st->user_check != NULL)
		agr_checker_finish(st->user_check);
	close_over(st, true);
	/* Runs without a final, in a fixed order: by id, sorted once. */
	{
		run **left = agrp_xcalloc(st->runs.n ? st->runs.n : 1, sizeof *left);
		size_t n = 0;

		for (size_t i = 0; i < st->runs.cap; i++)
			if (st->runs.slots[i].key != NULL)
				left[n++] = st->runs.slots[i].val;
		qsort(left, n, sizeof *left, run_by_id);
		for (size_t i = 0; i < n; i++)
			close_run(st, left[i]);
		free(left);
	}
	st->over = NULL;
	st->over_tail = &st->over;
}

size_t
agr_stats_forgotten(const agr_stats *st)
{
	return agr_checker_forgotten(st->own_check);
}

/* The decisions under "govern", and when there are some (a governed
 * run, or a partial of one) their rules under "rules": without govern
 * records the stats are those of before governance was measured. */
static void
set_govern(json_t *o, const agr_stats *st)
{
	json_t *decisions = or_empty(json_object_get(st->govern, "decisions"));

	json_object_set(o, "govern", decisions);
	if (json_object_size(decisions) > 0)
		json_object_set(o, "rules", st->rules);
}

json_t *
agr_stats_partial(const agr_stats *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "agraph", json_string("stats-partial"));
	for (int i = 0; i < C_N; i++)
		json_object_set_new(o, counter_names[i], json_integer(st->c[i]));
	json_object_set(o, "tools", st->tools);
	set_govern(o, st);
	json_object_set(o, "contracts", st->contracts);
	json_object_set(o, "faults", st->faults);
	return o;
}

/* A count of a partial: a whole number from 0 that a sum can take. */
static bool
count_ok(const json_t *n, long have, long *sum)
{
	long v;

	if (!json_is_integer(n) || json_integer_value(n) < 0 ||
	    json_integer_value(n) > (json_int_t)LONG_MAX)
		return false;
	v = (long)json_integer_value(n);
	if (have > LONG_MAX - v)
		return false;
	*sum = have + v;
	return true;
}

/* Adds the counts of b into a (NULL: none yet), recursively, for objects
 * of counters, or with apply false only sees that it can; the key of the
 * first that is not a count or takes its sum past LONG_MAX in *bad. */
static bool
add_counts(json_t *a, const json_t *b, bool apply, const char **bad)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)b, key, v)
	{
		json_t *mine = a ? json_object_get(a, key) : NULL;
		long sum;

		*bad = key;
		if (json_is_object(v)) {
			if (mine != NULL && !json_is_object(mine))
				return false;
			if (mine == NULL && apply) {
				mine = json_object();
				json_object_set_new(a, key, mine);
			}
			if (!add_counts(mine, v, apply, bad))
				return false;
		} else if ((mine != NULL && !json_is_integer(mine)) ||
		           !count_ok(v, mine ? (long)json_integer_value(mine) : 0, &sum)) {
			return false;
		} else if (apply) {
			json_object_set_new(a, key, json_integer(sum));
		}
	}
	return true;
}

bool
agr_stats_merge(agr_stats *st, const json_t *partial, agr_error *err)
{
	static const char *const parts[] = { "tools", "govern", "rules", "contracts", "faults" };
	json_t *govern;
	long sum[C_N];

	if (!is(agr_json_str(partial, "agraph"), "stats-partial")) {
		agrp_error_set(err, NULL, 0, 0, "not a stats partial (written by stats --partial)");
		return false;
	}
	/* Every count is seen first, so that a bad partial adds nothing. */
	for (int i = 0; i < C_N; i++) {
		const json_t *n = json_object_get(partial, counter_names[i]);

		/* Partials written before model calls were counted have none: 0. */
		if (n == NULL && i == C_MODEL_CALLS) {
			sum[i] = st->c[i];
			continue;
		}
		if (!json_is_integer(n)) {
			agrp_error_set(err, NULL, 0, 0, "stats partial without a count of \"%s\"",
			               counter_names[i]);
			return false;
		}
		if (!count_ok(n, st->c[i], &sum[i])) {
			agrp_error_set(err, NULL, 0, 0,
			               "stats partial whose count of \"%s\" is below 0 or takes "
			               "the sum past %ld",
			               counter_names[i], LONG_MAX);
			return false;
		}
	}
	govern = json_object_get(st->govern, "decisions");
	if (govern == NULL) {
		govern = json_object();
		json_object_set_new(st->govern, "decisions", govern);
	}
	json_t *into[] = { st->tools, govern, st->rules, st->contracts, st->faults };

	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *bad = "";

		if (!add_counts(into[i], or_empty(json_object_get(partial, parts[i])), false,
		                &bad)) {
			char *shown = agrp_text_clip(bad, false); /* a key of the input */

			agrp_error_set(err, NULL, 0, 0,
			               "stats partial whose \"%s\" count \"%s\" is not a whole "
			               "number from 0, or takes the sum past %ld",
			               parts[i], shown, LONG_MAX);
			free(shown);
			return false;
		}
	}
	memcpy(st->c, sum, sizeof sum);
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *bad;

		add_counts(into[i], or_empty(json_object_get(partial, parts[i])), true, &bad);
	}
	return true;
}

static json_t *
rate(long n, long of)
{
	return of > 0 ? json_real((double)n / (double)of) : json_null();
}

json_t *
agr_stats_total(const agr_stats *st)
{
	json_t *o = json_object(), *tools = json_object(), *contracts = json_object();
	json_t *faults = json_object();
	const long *c = st->c;
	const char *key;
	json_t *v;

	json_object_set_new(o, "runs", json_integer(c[C_RUNS]));
	json_object_set_new(o, "records", json_integer(c[C_RECORDS]));
	json_object_set_new(o, "success", json_integer(c[C_SUCCESS]));
	json_object_set_new(o, "demoted", json_integer(c[C_DEMOTED]));
	json_object_set_new(o, "escalated", json_integer(c[C_ESCALATED]));
	json_object_set_new(o, "failure", json_integer(c[C_FAILURE]));
	json_object_set_new(o, "unfinished", json_integer(c[C_UNFINISHED]));
	json_object_set_new(o, "task_success_rate", rate(c[C_SUCCESS], c[C_RUNS]));
	json_object_set_new(o, "terminated", json_integer(c[C_TERMINATED]));
	json_object_set_new(o, "termination_reliability", rate(c[C_TERMINATED], c[C_RUNS]));
	json_object_set_new(o, "affected", json_integer(c[C_AFFECTED]));
	json_object_set_new(o, "contained", json_integer(c[C_CONTAINED]));
	json_object_set_new(o, "containment_rate", rate(c[C_CONTAINED], c[C_AFFECTED]));
	json_object_set_new(o, "reroutes_per_run", rate(c[C_REROUTES], c[C_RUNS]));
	json_object_set_new(o, "escalations_per_run", rate(c[C_ESCALATIONS], c[C_RUNS]));
	json_object_set_new(o, "model_calls", json_integer(c[C_MODEL_CALLS]));
	json_object_set_new(o, "compliance_rate", rate(c[C_PASS], c[C_VERDICTS]));
	json_object_foreach(st->contracts, key, v)
	{
		long pass = (long)json_integer_value(json_object_get(v, "pass"));
		long total = (long)json_integer_value(json_object_get(v, "total"));
		json_t *e = json_object();

		json_object_set_new(e, "pass", json_integer(pass));
		json_object_set_new(e, "total", json_integer(total));
		json_object_set_new(e, "rate", rate(pass, total));
		json_object_set_new(contracts, key, e);
	}
	json_object_set_new(o, "contracts", contracts);
	set_govern(o, st);
	json_object_foreach(st->tools, key, v)
	{
		long results = (long)json_integer_value(json_object_get(v, "results"));
		long errors = (long)json_integer_value(json_object_get(v, "errors"));
		json_t *e = json_object();

		json_object_set_new(e, "calls",
		                    json_integer(json_integer_value(json_object_get(v, "calls"))));
		json_object_set_new(e, "results", json_integer(results));
		json_object_set_new(e, "errors", json_integer(errors));
		json_object_set_new(e, "error_rate", rate(errors, results));
		json_object_set_new(tools, key, e);
	}
	json_object_set_new(o, "tools", tools);
	json_object_foreach(st->faults, key, v)
	{
		long runs = (long)json_integer_value(json_object_get(v, "runs"));
		long success = (long)json_integer_value(json_object_get(v, "success"));
		long contained = (long)json_integer_value(json_object_get(v, "contained"));
		json_t *e = json_object();

		json_object_set_new(e, "runs", json_integer(runs));
		json_object_set_new(e, "success", json_integer(success));
		json_object_set_new(e, "contained", json_integer(contained));
		json_object_set_new(e, "robustness", rate(success, runs));
		json_object_set_new(e, "containment_rate", rate(contained, runs));
		json_object_set_new(faults, key, e);
	}
	json_object_set_new(o, "faults", faults);
	return o;
}

void
agr_stats_print_row(FILE *out, const json_t *row)
{
	const json_t *f, *govern;
	char *id, *fin;
	const char *key;
	json_t *v;

	if (row == NULL) {
		fprintf(out, "%-24s %7s %5s %8s %6s %8s %11s %11s  %s\n", "trace", "records",
		        "calls", "failures", "faults", "reroutes", "escalations", "model_calls",
		        "final");
		return;
	}
	f = json_object_get(row, "final");
	id = agrp_text(json_string_value(json_object_get(row, "trace")), true);
	fin = agrp_text(json_is_string(f) ? json_string_value(f) : "(none)", false);
	fprintf(out, "%-24s %7lld %5lld %8lld %6lld %8lld %11lld %11lld  %s", id,
	        (long long)json_integer_value(json_object_get(row, "records")),
	        (long long)json_integer_value(json_object_get(row, "calls")),
	        (long long)json_integer_value(json_object_get(row, "failures")),
	        (long long)json_integer_value(json_object_get(row, "faults")),
	        (long long)json_integer_value(json_object_get(row, "reroutes")),
	        (long long)json_integer_value(json_object_get(row, "escalations")),
	        (long long)json_integer_value(json_object_get(row, "model_calls")), fin);
	/* A governed run's decisions after its final, the last column. */
	govern = json_object_get(row, "govern");
	if (json_object_size(govern) > 0) {
		const char *sep = "  govern: ";

		json_object_foreach((json_t *)govern, key, v)
		{
			char *shown = agrp_text(key, false);

			fprintf(out, "%s%s %lld", sep, shown, (long long)json_integer_value(v));
			free(shown);
			sep = ", ";
		}
	}
	putc('\n', out);
	free(id);
	free(fin);
}

static void
print_rate(FILE *out, const char *what, long n, long of)
{
	if (of > 0)
		fprintf(out, "%-26s %ld of %ld (%.1f%%)\n", what, n, of,
		        100.0 * (double)n / (double)of);
	else
		fprintf(out, "%-26s none\n", what);
}

static long
num(const json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

/* "prefix NAME suffix", the name shown for people. */
static void
label(char *what, size_t n, const char *prefix, const char *name, const char *suffix)
{
	char *shown = agrp_text(name, false);

	snprintf(what, n, "%s%s%s", prefix, shown, suffix);
	free(shown);
}

/* The totals, for people. */
static void
print_total(FILE *out, const json_t *t)
{
	const char *key;
	json_t *v;
	char what[300];

	fprintf(out, "\n%-26s %ld\n", "runs", num(t, "runs"));
	print_rate(out, "task success", num(t, "success"), num(t, "runs"));
	fprintf(out, "%-26s %ld\n%-26s %ld\n%-26s %ld\n%-26s %ld\n", "demoted", num(t, "demoted"),
	        "escalated", num(t, "escalated"), "failure", num(t, "failure"), "unfinished",
	        num(t, "unfinished"));
	print_rate(out, "termination reliability", num(t, "terminated"), num(t, "runs"));
	print_rate(out, "containment", num(t, "contained"), num(t, "affected"));
	fprintf(out, "%-26s %.2f\n%-26s %.2f\n", "reroutes per run",
	        json_real_value(json_object_get(t, "reroutes_per_run")), "escalations per run",
	        json_real_value(json_object_get(t, "escalations_per_run")));
	fprintf(out, "%-26s %ld\n", "model calls", num(t, "model_calls"));
	json_object_foreach((json_t *)json_object_get(t, "contracts"), key, v)
	{
		label(what, sizeof what, "contract ", key, "");
		print_rate(out, what, num(v, "pass"), num(v, "total"));
	}
	json_object_foreach((json_t *)json_object_get(t, "tools"), key, v)
	{
		label(what, sizeof what, "tool ", key, " errors");
		print_rate(out, what, num(v, "errors"), num(v, "results"));
	}
	json_object_foreach((json_t *)json_object_get(t, "govern"), key, v)
	{
		label(what, sizeof what, "govern ", key, "");
		fprintf(out, "%-26s %lld\n", what, (long long)json_integer_value(v));
	}
	json_object_foreach((json_t *)json_object_get(t, "rules"), key, v)
	{
		const char *decision;
		json_t *n;

		json_object_foreach(v, decision, n)
		{
			char *shown = agrp_text(decision, false);

			label(what, sizeof what, "govern rule ", key, ": ");
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s", shown);
			fprintf(out, "%-26s %lld\n", what, (long long)json_integer_value(n));
			free(shown);
		}
	}
	json_object_foreach((json_t *)json_object_get(t, "faults"), key, v)
	{
		label(what, sizeof what, "fault ", key, ": runs");
		fprintf(out, "%-26s %ld\n", what, num(v, "runs"));
		label(what, sizeof what, "fault ", key, ": success");
		print_rate(out, what, num(v, "success"), num(v, "runs"));
		label(what, sizeof what, "fault ", key, ": contained");
		print_rate(out, what, num(v, "contained"), num(v, "runs"));
	}
}

/* Per kind of injected fault: runs hit, still successful, contained. */
static void
print_faults(FILE *out, const json_t *t)
{
	const char *key;
	json_t *v;

	fprintf(out, "%-12s %6s %8s %10s %11s %12s\n", "fault", "runs", "success", "contained",
	        "robustness", "containment");
	json_object_foreach((json_t *)json_object_get(t, "faults"), key, v)
	{
		long runs = num(v, "runs");

		char *name = agrp_text(key, false);

		fprintf(out, "%-12s %6ld %8ld %10ld %10.1f%% %11.1f%%\n", name, runs,
		        num(v, "success"), num(v, "contained"),
		        100.0 * (double)num(v, "success") / (double)runs,
		        100.0 * (double)num(v, "contained") / (double)runs);
		free(name);
	}
}

bool
agr_stats_write(const agr_stats *st, FILE *out, agr_stats_view view)
{
	json_t *t = view == AGR_STATS_PARTIAL ? agr_stats_partial(st) : agr_stats_total(st);
	bool ok = true;

	switch (view) {
	case AGR_STATS_PARTIAL:
		ok = agr_write_json(out, t);
		break;
	case AGR_STATS_JSON: {
		json_t *wrapped = json_pack("{s:O}", "total", t);

		ok = agr_write_json(out, wrapped);
		json_decref(wrapped);
		break;
	}
	case AGR_STATS_BY_FAULT:
		print_faults(out, t);
		break;
	case AGR_STATS_TEXT:
		print_total(out, t);
		break;
	}
	json_decref(t);
	return ok;
}
