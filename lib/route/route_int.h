/*
 * route_int.h - the router's records, and outside records read for it.
 * Internal names start with agrp_.
 */
#ifndef AGRP_ROUTE_INT_H
#define AGRP_ROUTE_INT_H

#include "graph/graph_int.h"
#include "record/record_int.h"

/* The result status of that name ("ok", "error", "timeout"): false when
 * there is none. */
bool agrp_result_status_from_name(const char *name, agr_result_status *status);

/* The timeout_ms of the tool of the call that is out, or 0 (none). */
long agrp_router_timeout_ms(const agr_router *r);
/* Answers the call that is out with a timeout result; its own result, if
 * agr_router_feed() gets it later, is passed over. */
void agrp_router_time_out(agr_router *r);

/* The trace id the router writes. */
const char *agrp_router_trace(const agr_router *r);
/* Appends the event of a run over g under trace id trace as a record (no
 * line end) to b: the same bytes as agr_write_json(agr_event_json(r, ev))
 * without its newline. */
void agrp_event_bytes(const agr_graph *g, const char *trace, const agr_event *ev, agrp_buf *b);

/* An outside result record's answer; error_class and message are
 * borrowed from the record, extra (the fields to keep, or NULL) is a new
 * reference.  False with err->text when the record cannot be one. */
typedef struct agrp_answer {
	agr_result_status status;
	const char *error_class, *message;
	bool retryable;
	json_t *extra;
} agrp_answer;

bool agrp_read_answer(const json_t *rec, agrp_answer *a, agr_error *err);
/* An outside record's fields but those the router writes itself, or NULL. */
json_t *agrp_outside_fields(const json_t *rec);
/* An outside health record's tool and status (up or down). */
bool agrp_read_health(const agr_graph *g, const json_t *rec, int *tool, agr_health_status *st,
                      agr_error *err);

#endif
