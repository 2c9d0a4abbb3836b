/*
 * call.c - agraph-route --exec: a call of the router run as the node's
 * real tool (exec.c), its outcome given back to the router as a result.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/live_int.h"
#include "route/route_int.h"

/* The fields of a result beyond the router's, "ts" first when asked for. */
static json_t *
new_fields(bool timestamps)
{
	json_t *extra = json_object();

	if (timestamps) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		json_object_set_new(
		    extra, "ts",
		    json_real((double)now.tv_sec + (double)(now.tv_nsec / 1000) / 1e6));
	}
	return extra;
}

/* The longest wait before a retry, as curl's --retry waits at most. */
#define MAX_BACKOFF_MS 600000L

/*
 * How long a retry of a node with backoff_ms waits before its tool runs:
 * backoff_ms before the first retry, twice that before the next and so on,
 * up to MAX_BACKOFF_MS, of which a half and a random part of the other
 * half ("equal jitter": retries of many runs spread out, and none comes
 * at once).  The draw is the seed's and the call's, so the same seed gives
 * the same waits.
 */
static long
backoff(const agrp_node *node, const agr_event *ev, uint64_t seed)
{
	long d = node->backoff_ms;
	agr_prng p;

	if (d == 0 || ev->attempt < 2)
		return 0;
	for (int i = 2; i < ev->attempt && d < MAX_BACKOFF_MS; i++)
		d *= 2;
	if (d > MAX_BACKOFF_MS)
		d = MAX_BACKOFF_MS;
	agr_prng_seed(&p, seed ^ ((uint64_t)ev->call * 0x9e3779b97f4a7c15u));
	return d / 2 + (long)agr_prng_below(&p, (uint64_t)(d - d / 2) + 1);
}

/* The fields the result record carries beyond those the router writes. */
static json_t *
result_fields(const agr_exec_result *res, bool timestamps, long waited)
{
	json_t *extra = new_fields(timestamps), *error;

	/* An empty stdout says nothing about a failure. */
	if (res->output != NULL && !(res->status != AGR_RESULT_OK && json_is_string(res->output) &&
	                             json_string_length(res->output) == 0))
		json_object_set(extra, "output", res->output);
	/* to the microsecond: more digits would be noise */
	json_object_set_new(extra, "duration_ms", json_real(round(res->duration_ms * 1e3) / 1e3));
	if (waited > 0)
		json_object_set_new(extra, "backoff_ms", json_integer(waited));
	if (res->status == AGR_RESULT_OK)
		return extra;
	error = json_object();
	json_object_set_new(error, "class", json_string(res->error_class));
	if (res->message != NULL)
		json_object_set_new(error, "message", json_string(res->message));
	/* how it ended, when it ended by itself: a timeout's or a cancel's
	 * signal is ours */
	if (strcmp(res->error_class, "exit") == 0)
		json_object_set_new(error, "exit_code", json_integer(res->exit_code));
	if (strcmp(res->error_class, "signal") == 0 && res->signal > 0) {
		char name[AGRP_SIGNAME_SIZE];

		json_object_set_new(error, "signal",
		                    json_string(agrp_signal_name(res->signal, name, sizeof name)));
	}
	json_object_set_new(error, "retryable", json_false());
	json_object_set_new(extra, "error", error);
	return extra;
}

/* The most bytes the JSON of an output may take: a trace line holds
 * AGR_DEFAULT_MAX_LINE, and the rest of the record (or of a health record
 * that quotes it as its cause) gets 1 MiB. */
#define MAX_OUTPUT_JSON (AGR_DEFAULT_MAX_LINE - ((size_t)1 << 20))

/* An output whose JSON would make the result record longer than a trace
 * line holds fails the call, class "output", as one over max_output does:
 * the record written must be one its readers read.  Only an output of
 * more than a sixth of the bound can be so long (a control character is
 * six bytes in JSON); the smaller, the default, are not measured. */
static void
fit_record(agr_exec_result *res, size_t max_output)
{
	char msg[128];
	size_t n;

	if (res->output == NULL || max_output <= MAX_OUTPUT_JSON / 6)
		return;
	n = json_dumpb(res->output, NULL, 0,
	               JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);
	if (n <= MAX_OUTPUT_JSON)
		return;
	json_decref(res->output);
	res->output = NULL;
	free(res->message);
	snprintf(msg, sizeof msg,
	         "output of %zu bytes as JSON: more than a trace line holds (%zu MiB)", n,
	         (size_t)(AGR_DEFAULT_MAX_LINE >> 20));
	res->message = agrp_xstrdup(msg);
	res->status = AGR_RESULT_ERROR;
	res->error_class = "output";
}

/* -f: the result of call ev as it begins, before its tool runs: what a
 * service fault's selectors and where= see.  step is the one the result
 * takes when no fault comes before it; attempt, which the result record
 * does not carry, tells a retry. */
static json_t *
result_begun(agr_router *r, const agr_event *ev)
{
	json_t *rec = json_object();
	char id[32];

	snprintf(id, sizeof id, "c%ld", ev->call);
	json_object_set_new(rec, "trace", json_string(agrp_router_trace(r)));
	json_object_set_new(rec, "step", json_integer(ev->step + 1));
	json_object_set_new(rec, "kind", json_string("result"));
	json_object_set_new(rec, "tool",
	                    json_string(agr_graph_node_name(agr_router_graph(r), ev->tool)));
	json_object_set_new(rec, "call", json_string(id));
	json_object_set_new(rec, "attempt", json_integer(ev->attempt > 0 ? ev->attempt : 1));
	return rec;
}

/* -f: the service faults (error, timeout) on the result of call ev as it
 * begins.  Returns the fields of their fault records; *stand_in is the
 * result they made, when one hit (the tool is then not run), else NULL.
 * NULL, with err, as agr_injector_apply(). */
static json_t *
service_faults(agr_router *r, const agr_event *ev, const agr_router_exec_opts *o, json_t **stand_in,
               agr_error *err)
{
	json_t *rec = result_begun(r, ev), *faults;
	double no_wait;

	*stand_in = NULL;
	/* a timeout's ms= is in the stand-in's duration_ms */
	faults = agr_injector_apply(o->faults, rec, AGR_LIVE_SERVICE, &no_wait, err);
	if (faults != NULL && json_array_size(faults) > 0)
		*stand_in = json_incref(rec);
	json_decref(rec);
	return faults;
}

/* -f: gives r rec, the result of call ev (owned), after the response
 * faults: waits what they take (latency) and what a stand-in's timeout
 * takes, then writes the fault records (faults, owned: the service ones
 * come first) and the result.  Stopped while it waits: no result, as for
 * a cancelled call (true).  False, with err, when a fault's rewrite
 * command fails or the result cannot be given. */
static bool
live_result(agr_router *r, const agr_event *ev, const agr_router_exec_opts *o, json_t *rec,
            bool stand_in, json_t *faults, agr_error *err)
{
	const agrp_node *node = &agr_router_graph(r)->nodes[ev->tool];
	double wait = 0, late;
	json_t *more;
	bool ok = true;

	if (stand_in) {
		/* a timeout takes as long as a real one would; an error, nothing */
		const char *st = agr_json_str(rec, "status");

		if (st != NULL && strcmp(st, "timeout") == 0)
			wait = json_is_number(json_object_get(rec, "duration_ms"))
			           ? json_number_value(json_object_get(rec, "duration_ms"))
			           : (double)node->timeout_ms;
		if (o->timestamps)
			json_object_set_new(rec, "ts", json_null()); /* when it came: below */
		json_object_set_new(rec, "duration_ms", json_real(wait));
	}
	if ((more = agr_injector_apply(o->faults, rec, AGR_LIVE_RESPONSE, &late, err)) == NULL) {
		ok = false;
		goto out;
	}
	json_array_extend(faults, more);
	json_decref(more);
	wait += late;
	if (wait > 0 && !agrp_wait_ms(wait, o->stop))
		goto out; /* stopped: the caller ends the run with the call out */
	if (o->timestamps && (stand_in || wait > 0)) {
		json_t *now = new_fields(true);

		json_object_set(rec, "ts", json_object_get(now, "ts"));
		json_decref(now);
	}
	for (size_t i = 0; i < json_array_size(faults); i++)
		agr_router_fault(r, ev->tool, json_array_get(faults, i));
	ok = agr_router_feed(r, rec, err) == 1;
out:
	json_decref(faults);
	json_decref(rec);
	return ok;
}

/* Gives r the result of call ev: at once, or with -f (faults, owned, the
 * service faults' fields; NULL: no -f) as the response faults leave it. */
static bool
give_result(agr_router *r, const agr_event *ev, const agr_router_exec_opts *o, json_t *faults,
            agr_result_status st, const char *cls, const char *msg, const json_t *extra,
            agr_error *err)
{
	json_t *rec;

	if (faults == NULL) {
		agr_router_result(r, ev->call, st, cls, msg, false, extra);
		return true;
	}
	/* the record as the router writes it, for the faults to see */
	rec = result_begun(r, ev);
	json_object_set_new(rec, "status", json_string(agr_result_status_name(st)));
	if (extra != NULL)
		json_object_update(rec, (json_t *)extra);
	return live_result(r, ev, o, rec, false, faults, err);
}

char *
agr_router_exec_dir(const char *graph_path)
{
	const char *slash = strrchr(graph_path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == graph_path)
		return strdup("/");
	return strndup(graph_path, (size_t)(slash - graph_path));
}

bool
agr_router_exec(agr_router *r, const agr_event *ev, const agr_router_exec_opts *o, agr_error *err)
{
	const agr_graph *g = agr_router_graph(r);
	const agrp_node *node = &g->nodes[ev->tool];
	agrp_buf line = { 0 }, vars = { 0 };
	const char *env[4];
	size_t at[4];
	char num[48];
	agr_exec_result res;
	json_t *extra, *faults = NULL, *stand_in;
	long waited = 0;
	bool ok;

	if (!node->waypoint) {
		if (o->stop != NULL && *o->stop != 0)
			return true; /* stopped already: the caller ends the run */
		/* a retry waits first, whatever answers it; a stop while it waits
		 * ends the run with the call out, as in a tool */
		if ((waited = backoff(node, ev, o->seed)) > 0 &&
		    !agrp_wait_ms((double)waited, o->stop))
			return true;
	}
	if (o->faults != NULL) {
		if (o->stop != NULL && *o->stop != 0)
			return true; /* stopped already: no fault is drawn for a call not made */
		if ((faults = service_faults(r, ev, o, &stand_in, err)) == NULL)
			return false;
		if (stand_in != NULL) {
			if (waited > 0)
				json_object_set_new(stand_in, "backoff_ms", json_integer(waited));
			return live_result(r, ev, o, stand_in, true, faults, err);
		}
	}
	if (node->waypoint) {
		extra = o->timestamps ? new_fields(true) : NULL;
		ok = give_result(r, ev, o, faults, AGR_RESULT_OK, NULL, NULL, extra, err);
		json_decref(extra);
		return ok;
	}
	agrp_event_bytes(g, agrp_router_trace(r), ev, &line);
	agrp_buf_add(&line, "\n", 1);
	/* NAME=VALUE strings, each with its NUL, in one buffer */
	at[0] = vars.n;
	agrp_buf_str(&vars, "AGRAPH_TRACE=");
	agrp_buf_add(&vars, agrp_router_trace(r), strlen(agrp_router_trace(r)) + 1);
	at[1] = vars.n;
	agrp_buf_str(&vars, "AGRAPH_TOOL=");
	agrp_buf_add(&vars, node->name, strlen(node->name) + 1);
	at[2] = vars.n;
	snprintf(num, sizeof num, "AGRAPH_CALL=c%ld", ev->call);
	agrp_buf_add(&vars, num, strlen(num) + 1);
	at[3] = vars.n;
	snprintf(num, sizeof num, "AGRAPH_ATTEMPT=%d", ev->attempt > 0 ? ev->attempt : 1);
	agrp_buf_add(&vars, num, strlen(num) + 1);
	for (int i = 0; i < 4; i++)
		env[i] = vars.p + at[i];
	ok = agr_exec_run(&(agr_exec_spec){ .argv = (const char *const *)node->run,
	                                    .argc = node->nrun,
	                                    .dir = o->dir,
	                                    .env = env,
	                                    .nenv = 4,
	                                    .input = line.p,
	                                    .input_len = line.n,
	                                    .timeout_ms = node->timeout_ms,
	                                    .max_output = node->max_output,
	                                    .stderr_fd = o->stderr_fd,
	                                    .stop = o->stop },
	                  &res, err);
	free(line.p);
	free(vars.p);
	if (!ok) {
		json_decref(faults);
		return false;
	}
	fit_record(&res, node->max_output > 0 ? node->max_output : AGR_EXEC_MAX_OUTPUT);
	/* Stopped, the run ends with the call out: its tool did not fail. */
	if (res.error_class != NULL && strcmp(res.error_class, "cancel") == 0) {
		json_decref(faults);
		agr_exec_result_free(&res);
		return true;
	}
	extra = result_fields(&res, o->timestamps, waited);
	ok = give_result(r, ev, o, faults, res.status, res.error_class, res.message, extra, err);
	json_decref(extra);
	agr_exec_result_free(&res);
	return ok;
}
