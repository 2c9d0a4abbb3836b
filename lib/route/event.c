/*
 * event.c - the router's events as trace records.  Records are written
 * straight into bytes, exactly as agr_write_json() would write the
 * jansson object: replay compares them with recorded bytes and stress
 * writes millions, so no tree is made on the way.
 */
#include <stdlib.h>
#include <string.h>

#include "route/route_int.h"

/* names[v], or NULL when v is out of the table (an enum holds any int). */
#define NAME_OF(names, v)                                                                          \
	((unsigned)(v) < sizeof(names) / sizeof(names)[0] ? (names)[(unsigned)(v)] : NULL)

static const char *const kind_names[] = {
	[AGR_EV_ROUTE] = "route",       [AGR_EV_CALL] = "call",       [AGR_EV_RESULT] = "result",
	[AGR_EV_HEALTH] = "health",     [AGR_EV_REROUTE] = "reroute", [AGR_EV_DEMOTE] = "demote",
	[AGR_EV_ESCALATE] = "escalate", [AGR_EV_FINAL] = "final",     [AGR_EV_FAULT] = "fault",
	[AGR_EV_MODEL] = "model",       [AGR_EV_INPUT] = "message",   [AGR_EV_GOVERN] = "govern",
};
static const char *const result_names[] = {
	[AGR_RESULT_OK] = "ok", [AGR_RESULT_ERROR] = "error", [AGR_RESULT_TIMEOUT] = "timeout"
};
static const char *const health_names[] = { [AGR_HEALTH_UP] = "up", [AGR_HEALTH_DOWN] = "down" };
static const char *const final_names[] = {
	[AGR_FINAL_SUCCESS] = "success",     [AGR_FINAL_DEMOTED] = "demoted",
	[AGR_FINAL_ESCALATED] = "escalated", [AGR_FINAL_FAILURE] = "failure",
	[AGR_FINAL_UNKNOWN] = "unknown",     [AGR_FINAL_CRASHED] = "crashed",
};
static const char *const fault_names[] = {
	[AGR_FAULT_ERROR] = "error", [AGR_FAULT_TIMEOUT] = "timeout", [AGR_FAULT_DOWN] = "down"
};

const char *
agr_kind_name(agr_kind kind)
{
	return NAME_OF(kind_names, kind);
}

const char *
agr_result_status_name(agr_result_status status)
{
	return NAME_OF(result_names, status);
}

const char *
agr_health_status_name(agr_health_status status)
{
	return NAME_OF(health_names, status);
}

const char *
agr_final_status_name(agr_final_status status)
{
	return NAME_OF(final_names, status);
}

const char *
agr_fault_kind_name(agr_fault_kind kind)
{
	return NAME_OF(fault_names, kind);
}

/* The index of name in names[0..n-1], or -1. */
static int
index_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

bool
agr_fault_kind_from_name(const char *name, agr_fault_kind *kind)
{
	int i = index_of(fault_names, sizeof fault_names / sizeof *fault_names, name);

	if (i >= 0)
		*kind = (agr_fault_kind)i;
	return i >= 0;
}

bool
agrp_result_status_from_name(const char *name, agr_result_status *status)
{
	int i = index_of(result_names, sizeof result_names / sizeof *result_names, name);

	if (i >= 0)
		*status = (agr_result_status)i;
	return i >= 0;
}

/* A record under construction: its keys, so that an outside record's own
 * fields are added only where the router wrote none. */
typedef struct rec {
	agrp_buf *b;
	const char *keys[16];
	int nkeys;
} rec;

static void
key(rec *r, const char *k)
{
	agrp_buf_add(r->b, r->nkeys ? ",\"" : "{\"", 2);
	agrp_buf_str(r->b, k);
	agrp_buf_add(r->b, "\":", 2);
	r->keys[r->nkeys++] = k;
}

static void
put_str(rec *r, const char *k, const char *v)
{
	key(r, k);
	agrp_buf_json_string(r->b, v);
}

static void
put_int(rec *r, const char *k, long long v)
{
	key(r, k);
	agrp_buf_json_int(r->b, v);
}

static void
put_real(rec *r, const char *k, double v)
{
	key(r, k);
	agrp_buf_json_real(r->b, v);
}

static void
put_call_id(rec *r, const char *k, long call)
{
	key(r, k);
	agrp_buf_add(r->b, "\"c", 2);
	agrp_buf_json_int(r->b, call);
	agrp_buf_add(r->b, "\"", 1);
}

static void
put_path(rec *r, const agr_graph *g, const int *path, size_t len)
{
	key(r, "path");
	agrp_buf_add(r->b, "[", 1);
	for (size_t i = 0; i < len; i++) {
		if (i > 0)
			agrp_buf_add(r->b, ",", 1);
		agrp_buf_json_string(r->b, agr_graph_node_name(g, path[i]));
	}
	agrp_buf_add(r->b, "]", 1);
}

static bool
has_key(const rec *r, const char *k)
{
	for (int i = 0; i < r->nkeys; i++)
		if (strcmp(r->keys[i], k) == 0)
			return true;
	return false;
}

static void
put_error(rec *r, const agr_event *ev)
{
	const json_t *outside = ev->extra ? json_object_get(ev->extra, "error") : NULL;

	key(r, "error");
	if (json_is_object(outside)) {
		/* The outside world's own account of the error, whole. */
		agrp_buf_json(r->b, outside);
		return;
	}
	agrp_buf_add(r->b, "{\"class\":", 9);
	agrp_buf_json_string(r->b, ev->error_class ? ev->error_class : "error");
	if (ev->message != NULL) {
		agrp_buf_add(r->b, ",\"message\":", 11);
		agrp_buf_json_string(r->b, ev->message);
	}
	agrp_buf_str(r->b, ev->retryable ? ",\"retryable\":true}" : ",\"retryable\":false}");
}

void
agrp_event_bytes(const agr_graph *g, const char *trace, const agr_event *ev, agrp_buf *b)
{
	rec r = { .b = b };

	put_str(&r, "trace", trace);
	put_int(&r, "step", ev->step);
	put_str(&r, "kind", agr_kind_name(ev->kind));
	if (ev->tool >= 0)
		put_str(&r, "tool", agr_graph_node_name(g, ev->tool));
	switch (ev->kind) {
	case AGR_EV_CALL:
		put_call_id(&r, "id", ev->call);
		if (ev->attempt > 1)
			put_int(&r, "attempt", ev->attempt);
		break;
	case AGR_EV_RESULT:
		put_call_id(&r, "call", ev->call);
		put_str(&r, "status", agr_result_status_name(ev->result_status));
		if (ev->result_status != AGR_RESULT_OK)
			put_error(&r, ev);
		break;
	case AGR_EV_HEALTH:
		if (ev->monitor != NULL) {
			put_str(&r, "monitor", ev->monitor);
			put_real(&r, "priority", ev->priority);
			put_str(&r, "action", ev->action);
			if (ev->cost > 0)
				put_real(&r, "penalty", agr_cost_to_double(ev->cost));
		} else {
			put_str(&r, "status", agr_health_status_name(ev->health_status));
		}
		break;
	case AGR_EV_DEMOTE:
		put_str(&r, "goal", agr_graph_node_name(g, ev->goal));
		/* fall through */
	case AGR_EV_ROUTE:
	case AGR_EV_REROUTE:
		put_path(&r, g, ev->path, ev->path_len);
		put_real(&r, "cost", agr_cost_to_double(ev->cost));
		break;
	case AGR_EV_ESCALATE:
		put_str(&r, "goal", agr_graph_node_name(g, ev->goal));
		put_str(&r, "reason", ev->message ? ev->message : "");
		break;
	case AGR_EV_FAULT:
		put_int(&r, "target", ev->target);
		break;
	case AGR_EV_MODEL:
		put_str(&r, "purpose", ev->purpose ? ev->purpose : "");
		break;
	case AGR_EV_INPUT:  /* from, to and content are its extra */
	case AGR_EV_GOVERN: /* the decision's fields are its extra */
		break;
	case AGR_EV_FINAL:
		put_str(&r, "status", agr_final_status_name(ev->final_status));
		put_path(&r, g, ev->path, ev->path_len);
		if (ev->message != NULL)
			put_str(&r, "reason", ev->message);
		break;
	}
	if (ev->cause > 0)
		put_int(&r, "cause", ev->cause);
	if (ev->extra != NULL) {
		const char *k;
		json_t *v;

		/* The outside record's own fields, where the router wrote none. */
		json_object_foreach((json_t *)ev->extra, k, v)
		{
			if (has_key(&r, k))
				continue;
			agrp_buf_add(b, ",", 1);
			agrp_buf_json_string(b, k);
			agrp_buf_add(b, ":", 1);
			agrp_buf_json(b, v);
		}
	}
	agrp_buf_add(b, "}", 1);
}
