/*
 * otel.c - OpenTelemetry spans (OTLP/JSON), with the GenAI conventions, as
 * agraph records.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/import_int.h"

/* ---- OpenTelemetry spans (OTLP/JSON) ----------------------------------- */

static json_t *key_values(const json_t *list);

/* An OTLP AnyValue as plain JSON. */
static json_t *
any_value(const json_t *v)
{
	const json_t *x;

	if ((x = json_object_get(v, "stringValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "boolValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "intValue")) != NULL) {
		/* int64 comes as a string in OTLP/JSON */
		if (json_is_string(x))
			return json_integer((json_int_t)strtoll(json_string_value(x), NULL, 10));
		return json_incref((json_t *)x);
	}
	if ((x = json_object_get(v, "doubleValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "arrayValue")) != NULL) {
		json_t *a = json_array();
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(x, "values"), i, e)
		    json_array_append_new(a, any_value(e));
		return a;
	}
	if ((x = json_object_get(v, "kvlistValue")) != NULL)
		return key_values(json_object_get(x, "values"));
	return json_null();
}

/* A list of OTLP {key, value} pairs as one object. */
static json_t *
key_values(const json_t *list)
{
	json_t *o = json_object();
	size_t i;
	json_t *a;

	json_array_foreach(list, i, a)
	{
		const char *k = agr_json_str(a, "key");

		if (k != NULL)
			json_object_set_new(o, k, any_value(json_object_get(a, "value")));
	}
	return o;
}

/* A span's attributes as one object. */
static json_t *
attributes(const json_t *span)
{
	return key_values(json_object_get(span, "attributes"));
}

void
agrp_otel_collect(importer *im, const json_t *doc)
{
	const json_t *rss = json_object_get(doc, "resourceSpans");
	size_t i, j, k;
	json_t *rs, *ss, *span;

	if (!json_is_array(rss)) {
		agrp_import_report(im, im->line, 1, "%s",
		                   "expected an object with a \"resourceSpans\" list");
		return;
	}
	json_array_foreach(rss, i, rs)
	{
		if (!json_is_array(json_object_get(rs, "scopeSpans"))) {
			agrp_import_report(im, im->line, 1, "%s",
			                   "a resourceSpans entry without a \"scopeSpans\" list");
			return;
		}
		json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
		{
			if (!json_is_array(json_object_get(ss, "spans"))) {
				agrp_import_report(im, im->line, 1, "%s",
				                   "a scopeSpans entry without a \"spans\" list");
				return;
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

static unsigned long long
nanos(const json_t *v)
{
	if (json_is_string(v))
		return strtoull(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return (unsigned long long)json_integer_value(v);
	return 0;
}

/* One record to be written, when its time comes. */
typedef struct pending {
	unsigned long long t;
	size_t order;        /* input order, for equal times */
	long step;           /* an agraph record restored: its own step */
	const json_t *trace; /* a string (borrowed), or NULL for "" */
	json_t *rec;         /* without trace and step */
	char *bytes;         /* an agraph record restored whole */
} pending;

static int
by_trace_then_time(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	int c = agrp_import_str_cmp(x->trace, y->trace);

	if (c != 0)
		return c;
	if (x->step >= 0 && y->step >= 0 && x->step != y->step)
		return x->step < y->step ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool
is_error_status(const json_t *span)
{
	const json_t *code = json_object_get(json_object_get(span, "status"), "code");

	return (json_is_integer(code) && json_integer_value(code) == 2) ||
	       (json_is_string(code) && strcmp(json_string_value(code), "STATUS_CODE_ERROR") == 0);
}

static json_t *
span_src(const json_t *span, json_t *attrs, const char *const *used, size_t nused)
{
	static const char *const taken[] = { "attributes", "$line" };
	json_t *src = agrp_json_without(span, taken, N(taken)),
	       *left = agrp_json_without(attrs, used, nused);

	if (src == NULL)
		src = json_object();
	if (left != NULL)
		json_object_set_new(src, "attributes", left);
	return src;
}

static void
add_pending(pending **p, size_t *n, size_t *cap, pending x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*p = agrp_xrealloc(*p, *cap * sizeof **p);
	}
	x.order = *n;
	(*p)[(*n)++] = x;
}

/* Restores the agraph records an exported span carries; false if none.
 * One that is not a record is reported, never passed over in silence. */
static bool
restore(importer *im, const json_t *span, json_t *attrs, pending **p, size_t *n, size_t *cap)
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
		add_pending(
		    p, n, cap,
		    (pending){ .t = nanos(json_object_get(span, "startTimeUnixNano")),
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

static void
otel_span(importer *im, const json_t *span, pending **p, size_t *n, size_t *cap)
{
	static const char *const tool_used[] = { "gen_ai.operation.name",
		                                 "gen_ai.tool.name",
		                                 "gen_ai.tool.call.id",
		                                 "gen_ai.tool.call.arguments",
		                                 "gen_ai.tool.call.result",
		                                 "gen_ai.agent.name",
		                                 "error.type" };
	static const char *const msg_used[] = { "gen_ai.operation.name", "gen_ai.agent.name" };
	json_t *attrs = attributes(span);
	const char *op = agr_json_str(attrs, "gen_ai.operation.name");
	const json_t *trace = json_is_string(json_object_get(span, "traceId"))
	                          ? json_object_get(span, "traceId")
	                          : NULL;
	const char *agent = agr_json_str(attrs, "gen_ai.agent.name");
	unsigned long long t0 = nanos(json_object_get(span, "startTimeUnixNano"));
	unsigned long long t1 = nanos(json_object_get(span, "endTimeUnixNano"));

	/* agraph's own export: its records whole; its root span holds nothing */
	if (restore(im, span, attrs, p, n, cap) || json_object_get(attrs, "agraph.trace") != NULL) {
		json_decref(attrs);
		return;
	}
	if (op != NULL && strcmp(op, "execute_tool") == 0) {
		json_t *tool = agrp_import_whole(attrs, "gen_ai.tool.name");
		json_t *id = agrp_import_whole(attrs, "gen_ai.tool.call.id");
		const json_t *args = json_object_get(attrs, "gen_ai.tool.call.arguments");
		const json_t *output = json_object_get(attrs, "gen_ai.tool.call.result");
		json_t *call = json_object(), *res = json_object();

		if (id == NULL)
			id = agrp_import_whole(span, "spanId");
		if (tool == NULL)
			tool = agrp_import_whole(span, "name");
		json_object_set_new(call, "kind", json_string("call"));
		agrp_import_set_whole(call, "agent", attrs, "gen_ai.agent.name");
		json_object_set_new(call, "tool", tool ? tool : json_string("?"));
		if (id)
			json_object_set(call, "id", id);
		if (json_is_string(args)) {
			json_t *parsed = agrp_import_parse_string(args, NULL);

			json_object_set_new(call, "args",
			                    parsed ? parsed : json_incref((json_t *)args));
		} else if (args != NULL) {
			json_object_set(call, "args", (json_t *)args);
		}
		json_object_set_new(call, "ts", json_real((double)t0 / 1e9));
		json_object_set_new(call, "src", span_src(span, attrs, tool_used, N(tool_used)));
		json_object_set_new(res, "kind", json_string("result"));
		json_object_set(res, "tool", json_object_get(call, "tool"));
		if (id)
			json_object_set_new(res, "call", id);
		json_object_set_new(res, "status",
		                    json_string(is_error_status(span) ? "error" : "ok"));
		if (is_error_status(span)) {
			json_t *e = json_object();
			json_t *cls = agrp_import_whole(attrs, "error.type");

			json_object_set_new(e, "class", cls ? cls : json_string("error"));
			agrp_import_set_whole(e, "message", json_object_get(span, "status"),
			                      "message");
			json_object_set_new(e, "retryable", json_false());
			json_object_set_new(res, "error", e);
		}
		if (output != NULL)
			json_object_set(res, "output", (json_t *)output);
		json_object_set_new(res, "ts", json_real((double)t1 / 1e9));
		add_pending(p, n, cap,
		            (pending){ .t = t0, .step = -1, .trace = trace, .rec = call });
		add_pending(p, n, cap,
		            (pending){ .t = t1, .step = -1, .trace = trace, .rec = res });
	} else {
		json_t *msg = json_object();

		json_object_set_new(msg, "kind", json_string("message"));
		if (agent) {
			agrp_import_set_whole(msg, "agent", attrs, "gen_ai.agent.name");
			agrp_import_set_whole(msg, "from", attrs, "gen_ai.agent.name");
		}
		agrp_import_set_whole(msg, "operation", attrs, "gen_ai.operation.name");
		if (is_error_status(span))
			json_object_set_new(msg, "status", json_string("error"));
		json_object_set_new(msg, "ts", json_real((double)t0 / 1e9));
		json_object_set_new(msg, "src", span_src(span, attrs, msg_used, N(msg_used)));
		add_pending(p, n, cap,
		            (pending){ .t = t0, .step = -1, .trace = trace, .rec = msg });
	}
	json_decref(attrs);
}

/* Every span read: one trace per traceId, records in time order. */
void
agrp_otel_flush(importer *im)
{
	pending *p = NULL;
	size_t n = 0, cap = 0, i;
	json_t *span;
	const json_t *current = NULL;
	bool started = false;

	json_array_foreach(im->otel, i, span) otel_span(im, span, &p, &n, &cap);
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
