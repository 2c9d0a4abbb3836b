/*
 * outside.c - records from outside read for the router: a result, as an
 * executor, a coprocess or a recording answers a call; a health record;
 * the fields of theirs that the router keeps.
 */
#include <string.h>

#include "route/route_int.h"

json_t *
agrp_outside_fields(const json_t *rec)
{
	/* the fields the router writes itself; an outside record's others are kept */
	static const char *const own[] = { "trace", "step",   "kind",  "tool",   "id",
		                           "call",  "status", "cause", "attempt" };

	return agrp_json_without(rec, own, sizeof own / sizeof own[0]);
}

bool
agrp_read_health(const agr_graph *g, const json_t *rec, int *tool, agr_health_status *st,
                 agr_error *err)
{
	const char *tool_name = agr_json_str(rec, "tool");
	const char *status = agr_json_str(rec, "status");

	if (tool_name == NULL) {
		agrp_error_set(err, NULL, 0, 0, "health record has no \"tool\"");
		return false;
	}
	if ((*tool = agr_graph_find(g, tool_name)) < 0) {
		agrp_error_set(err, NULL, 0, 0, "health record names '%s', not a node of the graph",
		               tool_name);
		return false;
	}
	if (status != NULL && strcmp(status, "up") == 0) {
		*st = AGR_HEALTH_UP;
	} else if (status != NULL && strcmp(status, "down") == 0) {
		*st = AGR_HEALTH_DOWN;
	} else {
		agrp_error_set(err, NULL, 0, 0, "health status must be \"up\" or \"down\"");
		return false;
	}
	return true;
}

bool
agrp_read_answer(const json_t *rec, agrp_answer *a, agr_error *err)
{
	const json_t *e = json_object_get(rec, "error");

	if (!agrp_result_status_from_name(agr_json_str(rec, "status"), &a->status)) {
		agrp_error_set(err, NULL, 0, 0,
		               "result status must be \"ok\", \"error\" or \"timeout\"");
		return false;
	}
	if (e != NULL && !json_is_object(e)) {
		agrp_error_set(err, NULL, 0, 0, "result \"error\" must be an object");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		const json_t *t = json_object_get(e, i == 0 ? "class" : "message");

		/* the router keeps them as C strings: cut at a NUL, they would
		 * be written back as other text */
		if (json_is_string(t) && strlen(json_string_value(t)) != json_string_length(t)) {
			agrp_error_set(err, NULL, 0, 0,
			               "result error %s may not hold \\u0000 (NUL)",
			               i == 0 ? "class" : "message");
			return false;
		}
	}
	a->error_class = agr_json_str(e, "class");
	a->message = agr_json_str(e, "message");
	a->retryable = json_is_true(json_object_get(e, "retryable"));
	a->extra = agrp_outside_fields(rec);
	return true;
}
