/*
 * mcp.c - agraph-mcp: what the messages of an MCP session mean.  Each
 * message of the client's is looked at as it passes: a tools/call meets
 * the policy and the faults and is recorded as a call, its answer as a
 * result; the rest passes as it came.  The processes and the bytes are
 * relay.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/mcp_int.h"

/* JSON-RPC's codes, and MCP's for a connection that is gone. */
#define PARSE_ERROR (-32700)
#define INVALID_REQUEST (-32600)
#define INVALID_PARAMS (-32602)
#define CONNECTION_CLOSED (-32000)

/* What a stood-in timeout keeps its answer back without ms=: the MCP
 * TypeScript SDK's own request timeout, so that a client that keeps its
 * default gives up about when it would on a tool that never answers. */
#define TIMEOUT_MS 60000.0

/* The longest output a result record holds: a trace line less 1 MiB for
 * the rest of it. */
#define MAX_OUTPUT_JSON (AGR_DEFAULT_MAX_LINE - ((size_t)1 << 20))

void
agrp_mcp_warn(agrp_mcp *s, const char *from, long line, long col, const char *fmt, ...)
{
	agr_error e;
	va_list ap;

	if (s->o->on_error == NULL)
		return;
	va_start(ap, fmt);
	agrp_error_vset(&e, from, line, col, fmt, ap);
	va_end(ap);
	s->o->on_error(s->o->ectx, &e);
}

void
agrp_mcp_send(agrp_mcp_out *q, const char *p, size_t n)
{
	if (!q->open)
		return;
	agrp_buf_add(&q->b, p, n);
	agrp_buf_add(&q->b, "\n", 1);
}

void
agrp_mcp_died(agrp_mcp *s, const char *why)
{
	if (s->died == NULL)
		s->died = agrp_xstrdup(why);
	s->end_now = true;
}

/* ---- the record ----------------------------------------------------- */

static json_t *
record(agrp_mcp *s, const char *kind)
{
	json_t *r = json_object();

	json_object_set_new(r, "trace", json_string(s->trace));
	json_object_set_new(r, "step", json_integer(++s->step));
	json_object_set_new(r, "kind", json_string(kind));
	return r;
}

/* Writes rec (taken) to the record, whole and at once: a session that
 * ends in any way leaves what it did behind. */
static void
put(agrp_mcp *s, json_t *rec)
{
	FILE *f = s->o->record;

	if (f != NULL && !s->record_failed &&
	    (!agr_write_json(f, rec) || fflush(f) != 0 || ferror(f))) {
		s->record_failed = true;
		agrp_error_set(&s->record_error, s->o->record_name ? s->o->record_name : "record",
		               0, 0, "cannot be written: %s", strerror(errno));
		if (s->o->on_error != NULL)
			s->o->on_error(s->o->ectx, &s->record_error);
	}
	json_decref(rec);
}

/* ---- requests in flight -------------------------------------------- */

static char *
id_key(const json_t *id)
{
	return json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* The id as the record has it: a string's text, a number's digits. */
static char *
id_text(const json_t *id)
{
	char num[32];

	if (json_is_string(id))
		return agrp_xstrdup(json_string_value(id));
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(id));
	return agrp_xstrdup(num);
}

static agrp_mcp_req *
track(agrp_mcp *s, agrp_mcp_kind kind, const char *key, const json_t *id)
{
	agrp_mcp_req *r = agrp_xcalloc(1, sizeof *r);

	r->kind = kind;
	r->key = agrp_xstrdup(key);
	r->id = id_text(id);
	r->seq = ++s->seq;
	r->start_ns = agrp_now_ns();
	agrp_map_put(&s->requests, key, r);
	return r;
}

void
agrp_mcp_req_free(agrp_mcp_req *r)
{
	if (r == NULL)
		return;
	free(r->key);
	free(r->id);
	free(r->tool);
	free(r->answer.p);
	json_decref(r->result);
	json_decref(r->faults);
	free(r);
}

static void
untrack(agrp_mcp *s, agrp_mcp_req *r)
{
	agrp_map_del(&s->requests, r->key);
	if (r->due_ns != 0)
		s->nheld--;
	agrp_mcp_req_free(r);
}

/* ---- answers of our own --------------------------------------------- */

static void
answer_error(agrp_mcp *s, const char *key, int code, const char *text)
{
	agrp_buf b = { 0 };
	char num[16];

	agrp_buf_str(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
	agrp_buf_str(&b, key);
	agrp_buf_str(&b, ",\"error\":{\"code\":");
	snprintf(num, sizeof num, "%d", code);
	agrp_buf_str(&b, num);
	agrp_buf_str(&b, ",\"message\":");
	agrp_buf_json_string(&b, text);
	agrp_buf_str(&b, "}}");
	agrp_mcp_send(&s->to_client, b.p, b.n);
	free(b.p);
}

/* A tool's failure as MCP says it: a result with isError, the text for
 * the model to read. */
static void
tool_error(agrp_buf *b, const char *key, const char *text)
{
	b->n = 0;
	agrp_buf_str(b, "{\"jsonrpc\":\"2.0\",\"id\":");
	agrp_buf_str(b, key);
	agrp_buf_str(b, ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":");
	agrp_buf_json_string(b, text);
	agrp_buf_str(b, "}],\"isError\":true}}");
}

static int
dump_cb(const char *p, size_t n, void *ctx)
{
	agrp_buf_add(ctx, p, n);
	return 0;
}

/* A message as it goes out once changed: every number as it was read
 * (17 digits give back the double). */
static void
message_bytes(agrp_buf *b, const json_t *m)
{
	b->n = 0;
	json_dump_callback(m, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void
send_json(agrp_mcp_out *q, const json_t *m)
{
	agrp_buf b = { 0 };

	message_bytes(&b, m);
	agrp_mcp_send(q, b.p, b.n);
	free(b.p);
}

/* ---- results -------------------------------------------------------- */

/* The text of the first text item of content, or NULL. */
static const char *
first_text(const json_t *content)
{
	size_t i;
	json_t *item;

	json_array_foreach(content, i, item)
	{
		const char *type = agr_json_str(item, "type");

		if (type != NULL && strcmp(type, "text") == 0 && agr_json_str(item, "text") != NULL)
			return agr_json_str(item, "text");
	}
	return NULL;
}

static json_t *
error_object(const char *cls, const char *message)
{
	json_t *e = json_object();

	json_object_set_new(e, "class", json_string(cls));
	json_object_set_new(e, "message", json_string(message));
	json_object_set_new(e, "retryable", json_false());
	return e;
}

/* The fields of the result of call r that are not the trace's. */
static json_t *
result_fields(const agrp_mcp_req *r, const char *status)
{
	json_t *f = json_object();

	json_object_set_new(f, "call", json_string(r->id));
	json_object_set_new(f, "tool", json_string(r->tool));
	json_object_set_new(f, "status", json_string(status));
	return f;
}

static void
set_duration(json_t *f, const agrp_mcp_req *r)
{
	double ms = (double)(agrp_now_ns() - r->start_ns) / 1e6;

	/* to the microsecond, as agraph-route --exec has it */
	json_object_set_new(f, "duration_ms", json_real((double)(long long)(ms * 1e3 + 0.5) / 1e3));
}

/* Writes the fault records (faults: their fields; may be NULL) and then
 * the result (fields, taken) of call r, each fault naming the one before
 * as its cause and the result the last; a failure stays standing until
 * its tool is called again. */
static void
put_result(agrp_mcp *s, const agrp_mcp_req *r, json_t *faults, json_t *fields)
{
	size_t nf = faults ? json_array_size(faults) : 0;
	long cause = 0;
	const char *status = agr_json_str(fields, "status");
	json_t *rec;

	for (size_t i = 0; i < nf; i++) {
		json_t *fr = record(s, "fault");

		json_object_set_new(fr, "tool", json_string(r->tool));
		json_object_set_new(fr, "target", json_integer(s->step + (long)(nf - i)));
		json_object_update(fr, json_array_get(faults, i));
		if (cause > 0)
			json_object_set_new(fr, "cause", json_integer(cause));
		cause = s->step;
		put(s, fr);
	}
	rec = record(s, "result");
	json_object_update(rec, fields);
	if (cause > 0)
		json_object_set_new(rec, "cause", json_integer(cause));
	if (status != NULL && strcmp(status, "ok") != 0 &&
	    agrp_map_get(&s->failed, r->tool) == NULL)
		agrp_map_put(&s->failed, r->tool, (void *)(intptr_t)s->step);
	put(s, rec);
	json_decref(fields);
}

/* A held answer goes out now: its records, then its bytes. */
void
agrp_mcp_deliver(agrp_mcp *s, agrp_mcp_req *r)
{
	put_result(s, r, r->faults, json_incref(r->result));
	agrp_mcp_send(&s->to_client, r->answer.p, r->answer.n);
	untrack(s, r);
}

static void
hold(agrp_mcp *s, agrp_mcp_req *r, double ms, json_t *fields, json_t *faults)
{
	r->due_ns = agrp_now_ns() + (long long)(ms * 1e6);
	r->result = fields;
	r->faults = faults;
	s->nheld++;
}

/* The faults' view of an answer's content: a single text item as its
 * text, which the faults of words (H, CIL, CLV, truncate) change as
 * they would a message; else the content as it is. */
static json_t *
content_view(const json_t *content)
{
	const json_t *item = json_array_get(content, 0);
	const char *type = agr_json_str(item, "type");

	if (json_array_size(content) == 1 && type != NULL && strcmp(type, "text") == 0 &&
	    json_is_string(json_object_get(item, "text")))
		return json_incref(json_object_get(item, "text"));
	return content ? json_incref((json_t *)content) : json_array();
}

/* The content the client gets for what the faults left of the view:
 * a text as one text item (the one it was, its other fields kept). */
static json_t *
content_of(const json_t *was, const json_t *view)
{
	json_t *item, *c;

	if (json_is_array(view))
		return json_incref((json_t *)view);
	if (view == NULL || json_is_null(view))
		return json_array();
	c = json_array();
	item = json_array_size(was) == 1 && json_is_object(json_array_get(was, 0))
	           ? json_deep_copy(json_array_get(was, 0))
	           : json_object();
	json_object_set_new(item, "type", json_string("text"));
	if (json_is_string(view)) {
		json_object_set(item, "text", (json_t *)view);
	} else {
		char *text = json_dumps(view, JSON_ENCODE_ANY | JSON_COMPACT);

		json_object_set_new(item, "text", json_string(text));
		free(text);
	}
	json_array_append_new(c, item);
	return c;
}

/* Sets the output of fields: content, unless its JSON is more than a
 * trace line holds. */
static void
set_output(json_t *fields, json_t *content, size_t bound)
{
	if (content == NULL)
		return;
	if (bound > MAX_OUTPUT_JSON &&
	    json_dumpb(content, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) > MAX_OUTPUT_JSON) {
		json_object_set_new(fields, "output_omitted",
		                    json_string("the content is more than a trace line holds"));
		return;
	}
	json_object_set(fields, "output", content);
}

/* The server's answer m (line: its bytes) to call r. */
static void
answer(agrp_mcp *s, agrp_mcp_req *r, json_t *m, const char *line, size_t n)
{
	json_t *res = json_object_get(m, "result"), *err = json_object_get(m, "error");
	json_t *content = json_object_get(res, "content"), *fields, *faults = NULL;
	bool is_error = json_is_true(json_object_get(res, "isError"));
	double wait = 0;
	agrp_buf out = { 0 };

	if (json_is_object(res)) {
		fields = result_fields(r, is_error ? "error" : "ok");
		set_output(fields, content, n);
		if (json_object_get(res, "structuredContent") != NULL)
			json_object_set(fields, "structured",
			                json_object_get(res, "structuredContent"));
		if (is_error) {
			const char *text = first_text(content);

			json_object_set_new(fields, "error",
			                    error_object("tool", text ? text : "the tool failed"));
		}
	} else {
		const char *msg = agr_json_str(err, "message");
		json_t *e = error_object("jsonrpc", msg ? msg : "the answer has no result");

		fields = result_fields(r, "error");
		if (json_is_integer(json_object_get(err, "code")))
			json_object_set(e, "code", json_object_get(err, "code"));
		json_object_set_new(fields, "error", e);
	}
	set_duration(fields, r);
	if (s->o->faults != NULL) {
		json_t *view = json_object();
		agr_error e;

		json_object_set_new(view, "trace", json_string(s->trace));
		json_object_set_new(view, "step", json_integer(s->step + 1));
		json_object_set_new(view, "kind", json_string("result"));
		if (s->agent != NULL)
			json_object_set_new(view, "agent", json_string(s->agent));
		json_object_update(view, fields);
		if (json_is_object(res) && content != NULL)
			json_object_set_new(view, "output", content_view(content));
		faults = agr_injector_apply(s->o->faults, view, AGR_LIVE_RESPONSE, &wait, &e);
		if (faults == NULL) {
			agrp_mcp_warn(s, "-f", 0, 0, "%s", e.text);
		} else if (json_array_size(faults) > 0) {
			json_object_set(fields, "duration_ms",
			                json_object_get(view, "duration_ms"));
			if (json_is_object(res)) {
				json_t *now = content_of(content, json_object_get(view, "output"));

				json_object_set(res, "content", now);
				json_object_del(fields, "output");
				json_object_del(fields, "output_omitted");
				set_output(fields, now, n);
				json_decref(now);
				message_bytes(&out, m);
			}
		}
		json_decref(view);
	}
	if (out.p == NULL)
		agrp_buf_add(&out, line, n);
	if (wait > 0) {
		r->answer = out;
		hold(s, r, wait, fields, faults);
		return;
	}
	put_result(s, r, faults, fields);
	json_decref(faults);
	agrp_mcp_send(&s->to_client, out.p, out.n);
	free(out.p);
	untrack(s, r);
}

/* ---- calls ---------------------------------------------------------- */

/* A call the policy blocked or escalated (govern: the govern record's
 * fields, taken): the step of the call stays unused, as agraph-govern
 * leaves it; the client gets a tool error that says why. */
static void
refuse(agrp_mcp *s, const char *key, const json_t *id, const char *tool, agr_decision d,
       json_t *govern)
{
	bool escalated = d == AGR_DECISION_ESCALATE;
	const char *rule = agr_json_str(govern, "rule"), *reason = agr_json_str(govern, "reason");
	long call_step = ++s->step;
	json_t *g = record(s, "govern"), *res;
	agrp_buf text = { 0 }, b = { 0 };
	agrp_mcp_req r = { .tool = (char *)tool, .id = id_text(id) };

	json_object_update(g, govern);
	json_object_set_new(g, "cause", json_integer(call_step));
	put(s, g);
	res = result_fields(&r, "error");
	if (s->agent != NULL)
		json_object_set_new(res, "agent", json_string(s->agent));
	json_object_set_new(
	    res, "error", error_object(escalated ? "escalated" : "blocked", reason ? reason : ""));
	json_object_set_new(res, "cause", json_integer(s->step));
	put_result(s, &r, NULL, res);
	agrp_buf_str(&text, escalated ? "escalated by policy rule " : "blocked by policy rule ");
	agrp_buf_str(&text, rule ? rule : "");
	agrp_buf_str(&text, ": ");
	agrp_buf_str(&text, reason ? reason : "");
	if (escalated)
		agrp_buf_str(&text, " (a person decides; the tool was not called)");
	tool_error(&b, key, text.p);
	agrp_mcp_send(&s->to_client, b.p, b.n);
	free(text.p);
	free(b.p);
	free(r.id);
	json_decref(govern);
}

/* The service faults (error, timeout) on call r as it begins: true when
 * one stood in for the server, which then never sees the call. */
static bool
stand_in(agrp_mcp *s, agrp_mcp_req *r)
{
	json_t *rec = json_object(), *faults;
	double wait = 0;
	agr_error e;
	const char *status, *message;
	agrp_buf b = { 0 };

	json_object_set_new(rec, "trace", json_string(s->trace));
	json_object_set_new(rec, "step", json_integer(s->step + 1));
	json_object_set_new(rec, "kind", json_string("result"));
	json_object_set_new(rec, "call", json_string(r->id));
	json_object_set_new(rec, "tool", json_string(r->tool));
	if (s->agent != NULL)
		json_object_set_new(rec, "agent", json_string(s->agent));
	faults = agr_injector_apply(s->o->faults, rec, AGR_LIVE_SERVICE, &wait, &e);
	if (faults == NULL)
		agrp_mcp_warn(s, "-f", 0, 0, "%s", e.text);
	if (faults == NULL || json_array_size(faults) == 0) {
		json_decref(faults);
		json_decref(rec);
		return false;
	}
	status = agr_json_str(rec, "status");
	message = agr_json_str(json_object_get(rec, "error"), "message");
	tool_error(&b, r->key, message ? message : "injected fault");
	/* the result as the record has it: none of the selectors' fields */
	json_object_del(rec, "trace");
	json_object_del(rec, "step");
	json_object_del(rec, "kind");
	json_object_del(rec, "agent");
	if (status != NULL && strcmp(status, "timeout") == 0) {
		if (wait <= 0)
			wait = TIMEOUT_MS;
		json_object_set_new(rec, "duration_ms", json_real(wait));
		r->answer = b;
		r->stood_in = true;
		hold(s, r, wait, rec, faults);
		return true;
	}
	json_object_set_new(rec, "duration_ms", json_real(0));
	put_result(s, r, faults, rec);
	json_decref(faults);
	agrp_mcp_send(&s->to_client, b.p, b.n);
	free(b.p);
	untrack(s, r);
	return true;
}

/* A tools/call request m (line: its bytes; key: its id's JSON). */
static void
call(agrp_mcp *s, json_t *m, const char *key, const json_t *id, const char *line, size_t n)
{
	json_t *params = json_object_get(m, "params");
	const char *tool = agr_json_str(params, "name");
	json_t *rec, *govern = NULL;
	agr_decision d = AGR_DECISION_ALLOW;
	agrp_mcp_req *r;
	char *text;
	long at;

	if (tool == NULL) { /* not a call of a tool: the server says what is wrong */
		track(s, AGRP_MCP_OTHER, key, id);
		agrp_mcp_send(&s->to_server, line, n);
		return;
	}
	if (strlen(tool) != json_string_length(json_object_get(params, "name"))) {
		/* judged by its name up to the NUL, it could run as another */
		answer_error(s, key, INVALID_PARAMS,
		             "agraph-mcp: a tool's name may not hold \\u0000");
		return;
	}
	if (agrp_map_get(&s->requests, key) != NULL) {
		answer_error(s, key, INVALID_REQUEST,
		             "agraph-mcp: a request with this id is in flight already");
		return;
	}
	text = id_text(id);
	rec = json_object();
	json_object_set_new(rec, "trace", json_string(s->trace));
	json_object_set_new(rec, "step", json_integer(s->step + 1));
	json_object_set_new(rec, "kind", json_string("call"));
	json_object_set_new(rec, "id", json_string(text));
	free(text);
	json_object_set_new(rec, "tool", json_string(tool));
	if (s->agent != NULL)
		json_object_set_new(rec, "agent", json_string(s->agent));
	if (json_object_get(params, "arguments") != NULL)
		json_object_set(rec, "args", json_object_get(params, "arguments"));
	if (s->o->governor != NULL)
		d = agr_governor_decide(s->o->governor, rec, &govern);
	if (d == AGR_DECISION_BLOCK || d == AGR_DECISION_ESCALATE) {
		refuse(s, key, id, tool, d, govern);
		json_decref(rec);
		return;
	}
	r = track(s, AGRP_MCP_CALL, key, id);
	r->tool = agrp_xstrdup(tool);
	r->step = at = ++s->step;
	if (d == AGR_DECISION_REWRITE) {
		/* what reaches the server is the record's args */
		if (json_object_get(rec, "args") != NULL)
			json_object_set(params, "arguments", json_object_get(rec, "args"));
		else
			json_object_del(params, "arguments");
	}
	put(s, rec);
	if (govern != NULL) {
		json_t *g = record(s, "govern");

		json_object_update(g, govern);
		json_object_set_new(g, "cause", json_integer(at));
		put(s, g);
		json_decref(govern);
	}
	/* a failure of the tool is retried now */
	agrp_map_del(&s->failed, r->tool);
	if (s->o->faults != NULL && stand_in(s, r))
		return;
	if (d == AGR_DECISION_REWRITE)
		send_json(&s->to_server, m);
	else
		agrp_mcp_send(&s->to_server, line, n);
}

/* notifications/cancelled: the request it names is over. */
static bool
cancelled(agrp_mcp *s, const json_t *params)
{
	const json_t *id = json_object_get(params, "requestId");
	char *key = id ? id_key(id) : NULL;
	agrp_mcp_req *r = key ? agrp_map_get(&s->requests, key) : NULL;
	const char *reason = agr_json_str(params, "reason");
	bool forwarded = true;

	free(key);
	if (r == NULL)
		return true;
	if (r->kind == AGRP_MCP_CALL) {
		json_t *f = result_fields(r, "error");

		json_object_set_new(
		    f, "error",
		    error_object("cancelled", reason ? reason : "cancelled by the client"));
		set_duration(f, r);
		/* a stood-in call never reached the server: nothing to tell it */
		forwarded = !r->stood_in;
		put_result(s, r, r->faults, f);
	}
	untrack(s, r);
	return forwarded;
}

/* A JSON-RPC batch: one with a tools/call in it is not relayed, for its
 * call could pass the policy unseen; each of its requests is answered
 * with an error.  Any other goes on as it came. */
static void
batch(agrp_mcp *s, const json_t *m, const char *line, size_t n)
{
	size_t i;
	json_t *item;
	bool calls = false;
	agrp_buf b = { 0 };

	json_array_foreach(m, i, item)
	{
		const char *method = agr_json_str(item, "method");

		calls = calls || (method != NULL && strcmp(method, "tools/call") == 0);
	}
	if (!calls) {
		agrp_mcp_send(&s->to_server, line, n);
		return;
	}
	agrp_buf_str(&b, "[");
	json_array_foreach(m, i, item)
	{
		const json_t *id = json_object_get(item, "id");
		char *key;

		if (id == NULL || json_object_get(item, "method") == NULL)
			continue;
		key = id_key(id);
		if (b.n > 1)
			agrp_buf_str(&b, ",");
		agrp_buf_str(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
		agrp_buf_str(&b, key);
		agrp_buf_str(&b,
		             ",\"error\":{\"code\":-32600,\"message\":\"agraph-mcp: a tools/call "
		             "in a batch is not relayed; send it alone\"}}");
		free(key);
	}
	agrp_buf_str(&b, "]");
	agrp_mcp_warn(s, "client", s->from_client.line, 0,
	              "a batch with a tools/call in it was answered with errors, not relayed");
	if (b.n > 2)
		agrp_mcp_send(&s->to_client, b.p, b.n);
	free(b.p);
}

/* ---- the two directions --------------------------------------------- */

static bool
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* One message as jansson reads it; a number too big for an integer is
 * read as a real, as JavaScript reads it. */
static json_t *
parse(const char *p, size_t n, size_t flags, json_error_t *je)
{
	json_t *m = json_loadb(p, n, flags | JSON_ALLOW_NUL, je);

	if (m == NULL && json_error_code(je) == json_error_numeric_overflow)
		m = json_loadb(p, n, flags | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, je);
	return m;
}

void
agrp_mcp_from_client(agrp_mcp *s, const char *line, size_t n)
{
	json_error_t je;
	json_t *m, *id;
	const char *method;
	char *key;

	if (blank(line, n)) {
		agrp_mcp_send(&s->to_server, line, n);
		return;
	}
	/* Duplicate keys are refused: the server might read the other one. */
	if ((m = parse(line, n, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		char text[sizeof je.text + 64];

		snprintf(text, sizeof text, "agraph-mcp: parse error: %s", je.text);
		agrp_mcp_warn(s, "client", s->from_client.line, je.column,
		              "not a JSON-RPC message: %s; answered with a parse error", je.text);
		answer_error(s, "null", PARSE_ERROR, text);
		return;
	}
	if (json_is_array(m)) {
		batch(s, m, line, n);
		json_decref(m);
		return;
	}
	method = agr_json_str(m, "method");
	id = json_object_get(m, "id");
	if (method == NULL) { /* an answer to the server's request */
		agrp_mcp_send(&s->to_server, line, n);
	} else if (strcmp(method, "tools/call") == 0 && !json_is_string(id) &&
	           !json_is_integer(id)) {
		/* A call MCP does not allow could be run unseen by a server that
		 * takes it: it does not go on. */
		agrp_mcp_warn(s, "client", s->from_client.line, 0, "a tools/call %s: not passed on",
		              id ? "whose id is no string or integer" : "without an id");
		if (id != NULL) {
			key = id_key(id);
			answer_error(
			    s, key, INVALID_REQUEST,
			    "agraph-mcp: a tools/call's id must be a string or an integer");
			free(key);
		}
	} else if (id == NULL) {
		if (strcmp(method, "notifications/cancelled") != 0 ||
		    cancelled(s, json_object_get(m, "params")))
			agrp_mcp_send(&s->to_server, line, n);
	} else if (!json_is_string(id) && !json_is_integer(id)) {
		agrp_mcp_send(&s->to_server, line, n); /* not MCP's: the server answers it */
	} else {
		key = id_key(id);
		if (strcmp(method, "tools/call") == 0) {
			call(s, m, key, id, line, n);
		} else {
			if (strcmp(method, "initialize") == 0) {
				const char *name = agr_json_str(
				    json_object_get(json_object_get(m, "params"), "clientInfo"),
				    "name");

				free(s->agent);
				s->agent = name ? agrp_xstrdup(name) : NULL;
			}
			if (agrp_map_get(&s->requests, key) == NULL)
				track(s,
				      strcmp(method, "tools/list") == 0 ? AGRP_MCP_LIST
				                                        : AGRP_MCP_OTHER,
				      key, id);
			agrp_mcp_send(&s->to_server, line, n);
		}
		free(key);
	}
	json_decref(m);
}

/* tools/list's answer for an agent the policy limits: only its tools. */
static void
listed(agrp_mcp *s, json_t *m, const char *line, size_t n)
{
	json_t *tools = json_object_get(json_object_get(m, "result"), "tools");
	bool cut = false;

	for (size_t i = 0; s->o->governor != NULL && i < json_array_size(tools);) {
		if (agr_governor_may_call(s->o->governor, s->agent,
		                          agr_json_str(json_array_get(tools, i), "name"))) {
			i++;
		} else {
			json_array_remove(tools, i);
			cut = true;
		}
	}
	if (cut)
		send_json(&s->to_client, m);
	else
		agrp_mcp_send(&s->to_client, line, n);
}

void
agrp_mcp_from_server(agrp_mcp *s, const char *line, size_t n)
{
	json_error_t je;
	json_t *m, *id;
	agrp_mcp_req *r = NULL;
	char *key;

	if (blank(line, n) || (m = parse(line, n, 0, &je)) == NULL) {
		if (!blank(line, n))
			agrp_mcp_warn(s, "server", s->from_server.line, je.column,
			              "not a JSON-RPC message: %s; passed on as it is", je.text);
		agrp_mcp_send(&s->to_client, line, n);
		return;
	}
	if (json_is_object(m) && json_object_get(m, "method") == NULL &&
	    (id = json_object_get(m, "id")) != NULL) {
		key = id_key(id);
		r = agrp_map_get(&s->requests, key);
		free(key);
	}
	if (r != NULL && r->due_ns != 0)
		r = NULL; /* answered already (a stood-in call is not the server's) */
	if (r == NULL) {
		agrp_mcp_send(&s->to_client, line, n);
	} else if (r->kind == AGRP_MCP_CALL) {
		answer(s, r, m, line, n);
	} else {
		if (r->kind == AGRP_MCP_LIST)
			listed(s, m, line, n);
		else
			agrp_mcp_send(&s->to_client, line, n);
		untrack(s, r);
	}
	json_decref(m);
}

void
agrp_mcp_too_long(agrp_mcp *s, bool from_client, long line)
{
	char text[160];

	snprintf(text, sizeof text, "a message of more than %zu bytes", s->max);
	if (from_client) {
		agrp_mcp_warn(s, "client", line, 0, "%s: not passed on", text);
		answer_error(s, "null", INVALID_REQUEST,
		             "agraph-mcp: message too long: not passed on");
	} else {
		agrp_mcp_warn(s, "server", line, 0, "%s: the session ends", text);
		agrp_mcp_died(s, "the server wrote a message longer than agraph-mcp takes");
	}
}

/* ---- the end -------------------------------------------------------- */

static int
by_seq(const void *a, const void *b)
{
	const agrp_mcp_req *x = *(agrp_mcp_req *const *)a, *y = *(agrp_mcp_req *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The failure left standing that came first, or NULL. */
static const char *
first_failed(const agrp_mcp *s, long *step)
{
	const char *tool = NULL;

	for (size_t i = 0; i < s->failed.cap; i++) {
		long at = (long)(intptr_t)s->failed.slots[i].val;

		if (s->failed.slots[i].key != NULL && (tool == NULL || at < *step)) {
			tool = s->failed.slots[i].key;
			*step = at;
		}
	}
	return tool;
}

int
agrp_mcp_finish(agrp_mcp *s)
{
	agrp_mcp_req **all = agrp_xmalloc((s->requests.n + 1) * sizeof *all);
	size_t n = 0, cut = 0;
	long at = 0;
	const char *tool;
	json_t *fin;
	char why[512];

	for (size_t i = 0; i < s->requests.cap; i++)
		if (s->requests.slots[i].key != NULL)
			all[n++] = s->requests.slots[i].val;
	qsort(all, n, sizeof *all, by_seq);
	for (size_t i = 0; i < n; i++) {
		agrp_mcp_req *r = all[i];

		if (r->due_ns != 0) { /* decided: it goes out as it would have */
			agrp_mcp_deliver(s, r);
			continue;
		}
		if (r->kind == AGRP_MCP_CALL) {
			json_t *f = result_fields(r, "error");

			json_object_set_new(
			    f, "error",
			    error_object(s->died ? "server-exit" : "session-end",
			                 s->died ? s->died
			                         : "the session ended before the answer came"));
			set_duration(f, r);
			put_result(s, r, NULL, f);
			cut++;
		}
		snprintf(why, sizeof why, "agraph-mcp: %s; the request was not answered",
		         s->died ? s->died : "the session ended");
		answer_error(s, r->key, CONNECTION_CLOSED, why);
		untrack(s, r);
	}
	free(all);
	fin = record(s, "final");
	tool = first_failed(s, &at);
	if (s->died)
		snprintf(why, sizeof why, "%s", s->died);
	else if (cut > 0)
		snprintf(why, sizeof why, "%zu call%s had no answer when the session ended", cut,
		         cut == 1 ? "" : "s");
	else if (tool != NULL)
		snprintf(why, sizeof why, "%.400s failed at step %ld and was not called again",
		         tool, at);
	json_object_set_new(fin, "status",
	                    json_string(s->died || cut || tool ? "failure" : "success"));
	if (s->died || cut || tool)
		json_object_set_new(fin, "reason", json_string(why));
	put(s, fin);
	return s->died || cut || tool ? 1 : 0;
}
