/*
 * otel.c - OpenTelemetry spans (OTLP/JSON) as agraph records.  The spans
 * are read to the end of the input, then written a trace at a time, each
 * span in order of its start: a tool span is a call and its result, a
 * trace's root agent span its final, a chat span its messages
 * (otel_chat.c), any other a message.  otel_genai.c reads the attributes
 * in whichever conventions wrote them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/otel_int.h"

/* ---- OpenTelemetry spans (OTLP/JSON) ----------------------------------- */

void
agrp_otel_collect(importer *im, const json_t *doc)
{
	const json_t *rss = json_object_get(doc, "resourceSpans");
	size_t i, j, k;
	json_t *rs, *ss, *span;

	/* protobuf's JSON mapping leaves an empty list out: a request with
	 * nothing to send is {}, a resource or a scope without spans may have
	 * no list at all.  A list of another type is a mistake, and so is an
	 * object of other keys (some other format). */
	if (rss == NULL && json_object_size(doc) == 0)
		return;
	if (!json_is_array(rss)) {
		agrp_import_report(im, im->line, 1, "%s",
		                   "expected an object with a \"resourceSpans\" list");
		return;
	}
	json_array_foreach(rss, i, rs)
	{
		const json_t *sss = json_object_get(rs, "scopeSpans");

		if (!json_is_object(rs)) {
			agrp_import_report(im, im->line, 1, "%s",
			                   "a resourceSpans entry that is not an object");
			return;
		}
		if (sss != NULL && !json_is_array(sss)) {
			agrp_import_report(
			    im, im->line, 1, "%s",
			    "a resourceSpans entry whose \"scopeSpans\" is not a list");
			return;
		}
		json_array_foreach(sss, j, ss)
		{
			const json_t *spans = json_object_get(ss, "spans");

			if (!json_is_object(ss)) {
				agrp_import_report(im, im->line, 1, "%s",
				                   "a scopeSpans entry that is not an object");
				return;
			}
			if (spans != NULL && !json_is_array(spans)) {
				agrp_import_report(
				    im, im->line, 1, "%s",
				    "a scopeSpans entry whose \"spans\" is not a list");
				return;
			}
			json_array_foreach(spans, k, span)
			{
				if (!json_is_object(span)) {
					agrp_import_report(im, im->line, 1, "%s",
					                   "a span that is not an object");
					return;
				}
			}
		}
	}
	json_array_foreach(rss, i, rs) json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
	    json_array_foreach(json_object_get(ss, "spans"), k, span)
	{
		json_t *s = json_deep_copy(span);

		/* where it came from, for errors and for src */
		json_object_set(s, "resource", json_object_get(rs, "resource"));
		json_object_set(s, "scope", json_object_get(ss, "scope"));
		json_object_set_new(s, "$line", json_integer(im->line));
		json_array_append_new(im->otel, s);
	}
}

/* A time in nanoseconds since the epoch: a string of digits (fixed64, as
 * OTLP/JSON writes it) or a number, neither negative nor past 2^64; false
 * for anything else, and *t 0.  Absent or null is 0. */
static bool
read_nanos(const json_t *v, unsigned long long *t)
{
	const char *text = json_string_value(v);
	char *end;

	*t = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*t = (unsigned long long)json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 18446744073709551616.0) {
		*t = (unsigned long long)json_real_value(v);
		return true;
	}
	if (text == NULL || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	*t = strtoull(text, &end, 10);
	if (errno == 0 && *end == '\0' && (size_t)(end - text) == json_string_length(v))
		return true;
	*t = 0;
	return false;
}

static unsigned long long
nanos(const json_t *v)
{
	unsigned long long t;

	read_nanos(v, &t);
	return t;
}

/* A span's time, reported when it is no time: it is then taken as 0. */
static unsigned long long
span_nanos(importer *im, const json_t *span, const char *key)
{
	const json_t *v = json_object_get(span, key);
	const json_t *line = json_object_get(span, "$line");
	unsigned long long t;
	char what[300];
	char *text;

	if (read_nanos(v, &t))
		return t;
	text = json_dumps(v, JSON_ENCODE_ANY);
	snprintf(what, sizeof what, "span %.40s: %s is not a time in nanoseconds: %.60s",
	         agr_json_str(span, "spanId") ? agr_json_str(span, "spanId") : "?", key,
	         text ? text : "?");
	free(text);
	agrp_import_report(im, json_is_integer(line) ? (long)json_integer_value(line) : 0, 1, "%s",
	                   what);
	return 0;
}

static int
by_trace_then_time(const void *a, const void *b)
{
	const agrp_otel_pending *x = a, *y = b;
	int c = agrp_import_str_cmp(x->trace, y->trace);

	if (c != 0)
		return c;
	if (x->step >= 0 && y->step >= 0 && x->step != y->step)
		return x->step < y->step ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool
is_error_status(const json_t *span)
{
	const json_t *code = json_object_get(json_object_get(span, "status"), "code");

	return (json_is_integer(code) && json_integer_value(code) == 2) ||
	       (json_is_string(code) && strcmp(json_string_value(code), "STATUS_CODE_ERROR") == 0);
}

/* Restores the agraph records an exported span carries; false if none.
 * One that is not a record is reported, never passed over in silence. */
static bool
restore(importer *im, const json_t *span, json_t *attrs, agrp_otel_pending **p, size_t *n,
        size_t *cap)
{
	static const char *const keys[] = { "agraph.record", "agraph.result" };
	bool any = false;

	for (size_t i = 0; i < N(keys); i++) {
		const json_t *attr = json_object_get(attrs, keys[i]);
		const char *text = json_string_value(attr);
		json_error_t e;
		json_t *rec = text ? json_loadb(text, json_string_length(attr),
		                                JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e)
		                   : NULL;
		const json_t *step = json_object_get(rec, "step");
		const json_t *line = json_object_get(span, "$line");

		if (attr != NULL && !json_is_object(rec)) {
			char what[300];

			snprintf(what, sizeof what, "span %.40s: %s is not an agraph record: %s",
			         agr_json_str(span, "spanId") ? agr_json_str(span, "spanId") : "?",
			         keys[i],
			         rec == NULL && text != NULL ? e.text : "not a JSON object");
			agrp_import_report(
			    im, json_is_integer(line) ? (long)json_integer_value(line) : 0, 1, "%s",
			    what);
			any = true; /* its span says it is agraph's own: not converted */
		}
		if (!json_is_object(rec)) {
			json_decref(rec);
			continue;
		}
		agrp_otel_add_pending(
		    p, n, cap,
		    (agrp_otel_pending){
		        .t = nanos(json_object_get(span, "startTimeUnixNano")),
		        .step = json_is_integer(step) ? (long)json_integer_value(step) : -1,
		        /* by the span's trace: two runs under one trace id
		         * (other traceIds) are not merged */
		        .trace = json_is_string(json_object_get(span, "traceId"))
		                     ? json_object_get(span, "traceId")
		                     : NULL,
		        .rec = rec,
		        .bytes = agrp_xstrdup(text) });
		any = true;
	}
	return any;
}

/* ---- spans as records ----------------------------------------------------- */

static int
span_by_trace_then_start(const void *a, const void *b)
{
	const agrp_otel_span *x = a, *y = b;
	int c = agrp_import_str_cmp(x->trace, y->trace);

	if (c != 0)
		return c;
	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const json_t *
whole_attr(const json_t *attrs, const char *const *keys, size_t n, json_t *used)
{
	const json_t *v = agrp_otel_attr(attrs, keys, n, used);

	return json_is_string(v) ? v : NULL;
}

/* A tool span: a call at its start and a result at its end. */
static void
tool_span(agrp_otel_trace *c, agrp_otel_span *s, json_t *used)
{
	const json_t *attrs = s->attrs;
	const json_t *tool = agrp_otel_tool_name(attrs, used);
	const json_t *id = agrp_otel_tool_id(attrs, used);
	const json_t *args = agrp_otel_tool_args(attrs, used);
	const json_t *output = agrp_otel_tool_result(attrs, used);
	const json_t *agent = agrp_otel_agent_of(c, s, used);
	json_t *call = json_object(), *res = json_object();

	if (id == NULL)
		id = s->claim_id;
	if (id == NULL)
		id = whole_attr(s->span, (const char *const[]){ "spanId" }, 1, NULL);
	if (tool == NULL)
		tool = whole_attr(s->span, (const char *const[]){ "name" }, 1, NULL);
	if (args == NULL)
		args = s->claim_args;
	json_object_set_new(call, "kind", json_string("call"));
	if (agent != NULL)
		json_object_set(call, "agent", (json_t *)agent);
	json_object_set_new(call, "tool", tool ? json_incref((json_t *)tool) : json_string("?"));
	if (id != NULL)
		json_object_set(call, "id", (json_t *)id);
	agrp_otel_set_args(call, args);
	agrp_otel_mark(used, "error.type");
	agrp_otel_kind_used(used);
	json_object_set_new(call, "src", agrp_otel_span_src(s->span, attrs, used));
	json_object_set_new(res, "kind", json_string("result"));
	json_object_set(res, "tool", json_object_get(call, "tool"));
	if (id != NULL)
		json_object_set(res, "call", (json_t *)id);
	json_object_set_new(res, "status", json_string(is_error_status(s->span) ? "error" : "ok"));
	if (is_error_status(s->span)) {
		json_t *e = json_object();
		json_t *cls = agrp_import_whole(attrs, "error.type");

		json_object_set_new(e, "class", cls ? cls : json_string("error"));
		agrp_import_set_whole(e, "message", json_object_get(s->span, "status"), "message");
		json_object_set_new(e, "retryable", json_false());
		json_object_set_new(res, "error", e);
	}
	if (output != NULL && output == json_object_get(attrs, "traceloop.entity.output") &&
	    json_is_string(output)) {
		/* OpenLLMetry writes the value as JSON */
		json_t *parsed = agrp_import_parse_string(output, NULL);

		json_object_set_new(res, "output", parsed ? parsed : json_incref((json_t *)output));
	} else if (output != NULL) {
		json_object_set(res, "output", (json_t *)output);
	}
	agrp_otel_put(c, s, s->t0, 0, call);
	agrp_otel_put(c, s, s->t1, 0, res);
}

/* The run's root span ends it: a final, failed when its status is an
 * error, the status message (or error.type) its reason. */
static void
final_span(agrp_otel_trace *c, agrp_otel_span *s, json_t *used)
{
	const json_t *agent = agrp_otel_agent_of(c, s, used);
	const json_t *status = json_object_get(s->span, "status");
	json_t *fin = json_object();

	json_object_set_new(fin, "kind", json_string("final"));
	if (agent != NULL)
		json_object_set(fin, "agent", (json_t *)agent);
	json_object_set_new(fin, "status",
	                    json_string(is_error_status(s->span) ? "failure" : "success"));
	if (is_error_status(s->span) && agr_json_str(status, "message") != NULL &&
	    json_string_length(json_object_get(status, "message")) > 0)
		json_object_set(fin, "reason", json_object_get(status, "message"));
	else if (is_error_status(s->span) && agr_json_str(s->attrs, "error.type") != NULL)
		json_object_set(fin, "reason", json_object_get(s->attrs, "error.type"));
	agrp_otel_kind_used(used);
	json_object_set_new(fin, "src", agrp_otel_span_src(s->span, s->attrs, used));
	agrp_otel_put(c, s, s->t1, 1, fin);
}

/* Any other span: a message at its start. */
static void
other_span(agrp_otel_trace *c, agrp_otel_span *s, json_t *used)
{
	const json_t *agent = agrp_otel_agent_of(c, s, used);
	json_t *msg = json_object();

	json_object_set_new(msg, "kind", json_string("message"));
	if (agent != NULL) {
		json_object_set(msg, "agent", (json_t *)agent);
		json_object_set(msg, "from", (json_t *)agent);
	}
	agrp_import_set_whole(msg, "operation", s->attrs, "gen_ai.operation.name");
	agrp_otel_mark(used, "gen_ai.operation.name");
	if (is_error_status(s->span))
		json_object_set_new(msg, "status", json_string("error"));
	json_object_set_new(msg, "src", agrp_otel_span_src(s->span, s->attrs, used));
	agrp_otel_put(c, s, s->t0, 0, msg);
}

static void
otel_span(agrp_otel_trace *c, agrp_otel_span *s)
{
	json_t *used;

	if (s->again)
		return;
	used = json_object();
	/* agraph's own export: its records whole; its root span holds nothing */
	if (restore(c->im, s->span, s->attrs, c->p, c->np, c->cap) ||
	    json_object_get(s->attrs, "agraph.trace") != NULL) {
		json_decref(used);
		return;
	}
	if (s->kind == AGRP_OTEL_TOOL)
		tool_span(c, s, used);
	else if (s->kind == AGRP_OTEL_AGENT && agrp_otel_is_root(s->span))
		final_span(c, s, used);
	else if (s->kind != AGRP_OTEL_CHAT || !agrp_otel_chat_span(c, s, used))
		other_span(c, s, used);
	json_decref(used);
}

/* Whether two spans are one, but for where they were read: an exporter
 * that sends again what it is not sure was received (OTLP's retries)
 * writes a span twice. */
static bool
same_span(const json_t *a, const json_t *b)
{
	static const char *const place[] = { "$line" };
	json_t *x = agrp_json_without(a, place, N(place)),
	       *y = agrp_json_without(b, place, N(place));
	bool same = json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/* The records of every span read, in p. */
static void
otel_spans(importer *im, agrp_otel_pending **p, size_t *n, size_t *cap)
{
	size_t ns = json_array_size(im->otel), i, a;
	agrp_otel_span *s = agrp_xcalloc(ns + 1, sizeof *s);

	for (i = 0; i < ns; i++) {
		const json_t *span = json_array_get(im->otel, i);
		const json_t *trace = json_object_get(span, "traceId");

		s[i] = (agrp_otel_span){ .span = span,
			                 .attrs = agrp_otel_attributes(span),
			                 .trace = json_is_string(trace) ? trace : NULL,
			                 .t0 = span_nanos(im, span, "startTimeUnixNano"),
			                 .t1 = span_nanos(im, span, "endTimeUnixNano"),
			                 .order = i };
		s[i].kind = agrp_otel_span_kind(s[i].attrs);
	}
	if (ns > 1)
		qsort(s, ns, sizeof *s, span_by_trace_then_start);
	for (a = 0; a < ns;) {
		size_t b = a + 1;
		agrp_otel_trace c = { .im = im, .s = s + a, .p = p, .np = n, .cap = cap };

		while (b < ns && agrp_import_str_cmp(s[a].trace, s[b].trace) == 0)
			b++;
		c.n = b - a;
		c.calls = json_object();
		c.by_id = json_object();
		c.seen = json_object();
		for (i = a; i < b; i++) {
			const json_t *id = json_object_get(s[i].span, "spanId");
			const json_t *first = json_is_string(id)
			                          ? json_object_getn(c.by_id, json_string_value(id),
			                                             json_string_length(id))
			                          : NULL;

			/* the first of an id is the one its children name */
			if (json_is_string(id) && first == NULL)
				json_object_setn_new(c.by_id, json_string_value(id),
				                     json_string_length(id),
				                     json_integer((json_int_t)(i - a)));
			else if (first != NULL)
				s[i].again =
				    same_span(s[i].span, s[a + json_integer_value(first)].span);
		}
		agrp_otel_index_tools(&c);
		for (i = a; i < b; i++)
			otel_span(&c, &s[i]);
		agrp_otel_free_tools(&c);
		json_decref(c.calls);
		json_decref(c.by_id);
		json_decref(c.seen);
		a = b;
	}
	for (i = 0; i < ns; i++) {
		json_decref(s[i].attrs);
		json_decref(s[i].claim_id);
		json_decref(s[i].claim_args);
	}
	free(s);
}

/* Every span read: one trace per traceId, records in time order. */
void
agrp_otel_flush(importer *im)
{
	agrp_otel_pending *p = NULL;
	size_t n = 0, cap = 0, i;
	const json_t *current = NULL;
	bool started = false;

	otel_spans(im, &p, &n, &cap);
	if (n > 1)
		qsort(p, n, sizeof *p, by_trace_then_time);
	for (i = 0; i < n; i++) {
		if (p[i].bytes != NULL) { /* an agraph record, exported whole */
			im->out(im->ctx, p[i].bytes, strlen(p[i].bytes));
		} else {
			if (!started || agrp_import_str_cmp(current, p[i].trace) != 0) {
				started = true;
				current = p[i].trace;
				im->trace = "";
				im->trace_j = current;
				im->step = 1;
			}
			agrp_import_put(im, json_incref(p[i].rec));
		}
	}
	for (i = 0; i < n; i++) {
		json_decref(p[i].rec);
		free(p[i].bytes);
	}
	free(p);
	im->trace_j = NULL;
	json_array_clear(im->otel);
}
