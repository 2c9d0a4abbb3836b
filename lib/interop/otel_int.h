/*
 * otel_int.h - what the OpenTelemetry importer's files share: otel.c reads
 * the spans and writes the records of tool, agent and other spans;
 * otel_chat.c the writing of records, and those of chat spans;
 * otel_genai.c reads the values and attributes (declared in
 * import_int.h).  Each calls only the ones after it.  Internal names start
 * with agrp_.
 */
#ifndef AGRP_OTEL_INT_H
#define AGRP_OTEL_INT_H

#include "interop/import_int.h"

/* One record to be written, when its time comes. */
typedef struct agrp_otel_pending {
	unsigned long long t;
	int rank;            /* 1 for a run's final: last of its time */
	size_t order;        /* input order, for equal times */
	long step;           /* an agraph record restored: its own step */
	const json_t *trace; /* a string (borrowed), or NULL for "" */
	json_t *rec;         /* without trace and step */
	char *bytes;         /* an agraph record restored whole */
} agrp_otel_pending;

/* A span read, with what its trace's other spans look up in it. */
typedef struct agrp_otel_span {
	const json_t *span;
	json_t *attrs;
	const json_t *trace; /* borrowed, or NULL */
	unsigned long long t0, t1;
	size_t order;
	agrp_otel_kind kind;
	bool again; /* the same span as one before: exported twice */
	/* a tool span: the call id and arguments of the chat's tool call it
	 * runs, when it names none of its own */
	bool claimed;
	json_t *claim_id, *claim_args;
	/* the agent its children take (otel_chat.c): 0 not known yet, 1 being
	 * looked for, 2 known (agent, borrowed, may be NULL) */
	int agent_state;
	const json_t *agent;
} agrp_otel_span;

/* Tool spans of one call id, or of one name and no id, by start time;
 * skip[k] a position at or before the first unclaimed after k. */
typedef struct agrp_otel_tools {
	size_t *at, *skip, n, cap;
} agrp_otel_tools;

/* One trace's spans, by start time, and what its chats said so far. */
typedef struct agrp_otel_trace {
	importer *im;
	agrp_otel_span *s;
	size_t n;
	agrp_otel_pending **p;
	size_t *np, *cap;
	json_t *by_id; /* spanId: its index in s */
	json_t *seen;  /* the messages of its chats so far (otel_chat.c) */
	size_t nodes;
	json_t *calls; /* id: tool, of the calls its messages made */
	/* its tool spans by call id, and of no id by name: key to an index
	 * in tools; and the ids whose results a tool span gives */
	json_t *by_call_id, *by_tool_name, *ran;
	agrp_otel_tools *tools;
	size_t ntools;
} agrp_otel_trace;

/* otel_chat.c: a record to write, added to c's list; whether a span
 * has no parent; rec (taken) written at time t, with its ts, and returned
 * (borrowed); a span's fields and the attributes not in used, as a src; the
 * agent a span names, or the nearest span above it that names one
 * (borrowed); whether a and b are the same string, bytes and all; a call's
 * args from a JSON string, or as they are. */
void agrp_otel_add_pending(agrp_otel_pending **p, size_t *n, size_t *cap, agrp_otel_pending x);
bool agrp_otel_is_root(const json_t *span);
json_t *agrp_otel_put(agrp_otel_trace *c, const agrp_otel_span *s, unsigned long long t, int rank,
                      json_t *rec);
json_t *agrp_otel_span_src(const json_t *span, const json_t *attrs, const json_t *used);
const json_t *agrp_otel_agent_of(const agrp_otel_trace *c, const agrp_otel_span *s, json_t *used);
bool agrp_otel_same(const json_t *a, const json_t *b);
void agrp_otel_set_args(json_t *call, const json_t *args);

/* The trace's tool spans indexed, and the index freed. */
void agrp_otel_index_tools(agrp_otel_trace *c);
void agrp_otel_free_tools(agrp_otel_trace *c);

/* A chat span's messages as records; false when it holds none, and the
 * caller writes it as any other span. */
bool agrp_otel_chat_span(agrp_otel_trace *c, agrp_otel_span *s, json_t *used);

#endif
