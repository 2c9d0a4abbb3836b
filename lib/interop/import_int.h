/*
 * import_int.h - what the importers of lib/interop share: the importer's
 * state, the writing of records and errors (importer.c), and each
 * format's converter (openai.c, sweagent.c, chatlog.c, and otel.c with
 * otel_chat.c and otel_genai.c, see otel_int.h), to which import.c, the
 * reading of the input, hands what it reads.  Files call downwards
 * only: import.c calls the formats, and they call importer.c.
 * Internal names start with agrp_.
 */
#ifndef AGRP_IMPORT_INT_H
#define AGRP_IMPORT_INT_H

#include "record/record_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct importer {
	const agr_import_opts *o;
	agr_write_fn out;
	void *ctx;
	agr_error_fn on_error;
	void *ectx;
	const char *source;
	long line;     /* of the run being converted, for errors; 0 in a document */
	long runs;     /* runs of this source so far, for default trace ids */
	long doc_runs; /* runs in the document being read, or 0 */
	long errors;
	agrp_buf buf;
	/* the run being written */
	const char *trace;
	const json_t *trace_j; /* the trace id as read, \u0000 and all, or NULL */
	long step;
	json_t *run_fields; /* for the first record, or NULL (none, or written) */
	json_t *otel;       /* otel: every span, until the end of the input */
	/* openai read in place (fast_*): the run's trace id and fields as
	 * written (none: has_trace false, run_json empty), and scratch */
	bool has_trace;
	agrp_buf trace_json, run_json, msg_src, ids, tmp;
	struct fast_obj *lists; /* FAST_LEVELS of them */
} importer;

/* importer.c: an error of the input, said through on_error; a record of
 * the run being written (taken); a run's beginning; and the helpers of
 * the converters on trees. */
void agrp_import_report(importer *im, long line, long col, const char *fmt, const char *arg);
void agrp_import_put(importer *im, json_t *rec);
void agrp_import_begin_run(importer *im, const json_t *run, const char *const *taken, size_t ntaken,
                           const char *const *id_keys, size_t nid, char *idbuf, size_t idcap);
void agrp_import_set_src(json_t *rec, json_t *src);
json_t *agrp_import_whole(const json_t *o, const char *key);
void agrp_import_set_whole(json_t *rec, const char *key, const json_t *from, const char *from_key);
int agrp_import_str_cmp(const json_t *a, const json_t *b);
json_t *agrp_import_parse_string(const json_t *s, json_error_t *e);

/* The shape of a transcript of chat messages: OpenAI's (openai.c), or
 * SWE-agent's (sweagent.c), which agrp_chat_run() converts. */
typedef struct agrp_chat_form {
	bool bare_list;             /* a list of messages is a run too */
	const char *lists[2];       /* where a run's messages are, in order; NULL-ended */
	const char *run_taken[6];   /* the run's fields not kept under "run"; NULL-ended */
	const char *id_keys[4];     /* the run's fields that name its trace; NULL-ended */
	const char *agent_key;      /* a message's field that names its agent */
	const char *call_agent_key; /* a call's agent, before the message's role; or NULL */
	const char *ids_key;        /* a reply's list of the calls it answers; or NULL */
	const char *no_list;        /* the error of a run without its messages */
	/* the run's final status, and its reason (borrowed, or NULL); or NULL */
	const char *(*outcome)(const json_t *run, const json_t **reason);
} agrp_chat_form;

void agrp_chat_run(importer *im, const json_t *run, const agrp_chat_form *form);

/* sweagent.c */
void agrp_sweagent_run(importer *im, const json_t *run);

/* openai.c: a run as a tree; a document or run read in place, when
 * agrp_openai_scan passes its bytes; what the reading in place holds. */
void agrp_openai_run(importer *im, const json_t *run);
bool agrp_openai_scan(importer *im, const char *format, const char *s, size_t n, agrp_span *out);
void agrp_openai_convert(importer *im, const agrp_span *doc, bool whole);
void agrp_openai_free(importer *im);

/* chatlog.c */
void agrp_chatlog_run(importer *im, const json_t *run);

/* otel.c: the spans of a request, collected; at the end of the input,
 * written trace by trace. */
void agrp_otel_collect(importer *im, const json_t *doc);
void agrp_otel_flush(importer *im);

/* otel_genai.c: a span's attributes read in the GenAI conventions, or
 * OpenInference's or OpenLLMetry's names for the same; the keys read are
 * marked in used (an object), when not NULL.  The kind of span; the
 * value of the first of keys it has (borrowed); the agent it names
 * (borrowed, a string, or NULL); a tool span's name and call id (strings)
 * and arguments and result (borrowed, or NULL); the keys that say a
 * span's kind, marked used; a chat's input or output messages, a new
 * list in the GenAI conventions' shape, from its attributes or else its
 * span events, or NULL when it says none. */
typedef enum agrp_otel_kind {
	AGRP_OTEL_OTHER,
	AGRP_OTEL_TOOL,
	AGRP_OTEL_CHAT,
	AGRP_OTEL_AGENT
} agrp_otel_kind;

agrp_otel_kind agrp_otel_span_kind(const json_t *attrs);
const json_t *agrp_otel_attr(const json_t *attrs, const char *const *keys, size_t n, json_t *used);
const json_t *agrp_otel_agent_name(const json_t *attrs, json_t *used);
const json_t *agrp_otel_tool_name(const json_t *attrs, json_t *used);
const json_t *agrp_otel_tool_id(const json_t *attrs, json_t *used);
const json_t *agrp_otel_tool_args(const json_t *attrs, json_t *used);
const json_t *agrp_otel_tool_result(const json_t *attrs, json_t *used);
void agrp_otel_kind_used(json_t *used);
/* Notes key as read into used (NULL: none kept), so that src leaves it out. */
void agrp_otel_mark(json_t *used, const char *key);
json_t *agrp_otel_messages(const json_t *span, const json_t *attrs, bool output, json_t *used);
/* An OTLP AnyValue as plain JSON, and a span's attributes as one object
 * (new references). */
json_t *agrp_otel_any_value(const json_t *v);
json_t *agrp_otel_attributes(const json_t *span);

#endif
