/*
 * export.c - agraph traces as OpenTelemetry spans (OTLP/JSON, one request
 * per line, as the collector's file exporter writes them), with the GenAI
 * conventions, so that a run opens in any OTel backend.
 *
 * A call and the result that answers it make one execute_tool span; every
 * other record is a span of its own; a root span holds them all.  Each
 * span keeps the records it stands for, whole, in agraph.record (and
 * agraph.result): importing the export gives back every record, byte for
 * byte.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record_int.h"

struct agr_exporter {
	agr_write_fn out;
	void *ctx;
	agr_recorder *rd;
	agrp_buf buf;
};

static uint64_t
hash64(const char *s, uint64_t seed)
{
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	/* splitmix64's finish: every bit of the text reaches every bit */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static void
hex_id(char *out, const char *text, int words)
{
	for (int i = 0; i < words; i++)
		snprintf(out + 16 * i, 17, "%016llx",
		         (unsigned long long)hash64(text, (uint64_t)i + 1));
}

/* Seconds since the epoch, from a number or an RFC 3339 string; false when
 * the record has no time that can be read. */
static bool
record_time(const json_t *rec, unsigned long long *ns)
{
	const json_t *ts = json_object_get(rec, "ts");

	if (json_is_number(ts) && json_number_value(ts) >= 0) {
		/* whole seconds apart from the fraction: a double has no room for both */
		double v = json_number_value(ts), sec = floor(v);

		*ns = (unsigned long long)sec * 1000000000ULL +
		      (unsigned long long)llround((v - sec) * 1e9);
		return true;
	}
	if (json_is_string(ts)) {
		struct tm tm;
		const char *s = json_string_value(ts), *p;
		double frac = 0;
		long offset = 0;

		memset(&tm, 0, sizeof tm);
		if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL &&
		    (p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL)
			return false;
		if (*p == '.') {
			char *end;

			frac = strtod(p, &end);
			p = end;
		}
		if (*p == '+' || *p == '-') {
			int hh = 0, mm = 0;

			if (sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1)
				return false;
			offset = (*p == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
		} else if (*p != 'Z' && *p != 'z' && *p != '\0') {
			return false;
		}
		*ns = (unsigned long long)(timegm(&tm) - offset) * 1000000000ULL +
		      (unsigned long long)llround(frac * 1e9);
		return true;
	}
	return false;
}

static json_t *
json_text(const json_t *v)
{
	char *s;
	json_t *r;

	if (json_is_string(v))
		return json_incref((json_t *)v);
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	r = json_string(s ? s : "null");
	free(s);
	return r;
}

static void
attr(json_t *attrs, const char *key, json_t *value)
{
	json_t *v = json_object();

	if (json_is_string(value))
		json_object_set_new(v, "stringValue", value);
	else if (json_is_integer(value)) {
		char n[32];

		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(value));
		json_object_set_new(v, "intValue", json_string(n));
		json_decref(value);
	} else if (json_is_real(value))
		json_object_set_new(v, "doubleValue", value);
	else if (json_is_boolean(value))
		json_object_set_new(v, "boolValue", value);
	else {
		/* anything else travels as its JSON text */
		json_object_set_new(v, "stringValue", json_text(value));
		json_decref(value);
	}
	json_array_append_new(attrs, json_pack("{s:s, s:o}", "key", key, "value", v));
}

static void
attr_str(json_t *attrs, const char *key, const char *value)
{
	if (value != NULL)
		attr(attrs, key, json_string(value));
}

static void
attr_bytes(json_t *attrs, const char *key, const agr_record *rec)
{
	size_t len;
	const char *bytes = agr_record_bytes(rec, &len);

	attr(attrs, key, json_stringn(bytes, len));
}

static void
set_time(json_t *span, const char *key, unsigned long long ns)
{
	char n[32];

	snprintf(n, sizeof n, "%llu", ns);
	json_object_set_new(span, key, json_string(n));
}

static json_t *
new_span(const char *trace_hex, const char *parent, const char *seed, const char *name,
         unsigned long long t0, unsigned long long t1)
{
	json_t *s = json_object();
	char id[40];

	hex_id(id, seed, 1);
	json_object_set_new(s, "traceId", json_string(trace_hex));
	json_object_set_new(s, "spanId", json_string(id));
	if (parent != NULL)
		json_object_set_new(s, "parentSpanId", json_string(parent));
	json_object_set_new(s, "name", json_string(name));
	json_object_set_new(s, "kind", json_integer(1)); /* SPAN_KIND_INTERNAL */
	set_time(s, "startTimeUnixNano", t0);
	set_time(s, "endTimeUnixNano", t1);
	return s;
}

static void
set_status(json_t *span, bool error, const char *message)
{
	json_t *st = json_object();

	if (error) {
		json_object_set_new(st, "code", json_integer(2)); /* STATUS_CODE_ERROR */
		if (message != NULL)
			json_object_set_new(st, "message", json_string(message));
	}
	json_object_set_new(span, "status", st);
}

/* One trace as it is exported: its records, their times, its ids. */
typedef struct texport {
	const agr_recording *rc;
	size_t n;
	const char *trace;
	unsigned long long *t, lo, hi; /* each record's time; the first and the last */
	bool *used;                    /* results already in their call's span */
	char trace_hex[40], root_id[40];
} texport;

/* Each record's time; with none, a millisecond a step from the epoch. */
static void
record_times(texport *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(e->rc, i));
		const json_t *step = json_object_get(rec, "step");

		if (!record_time(rec, &e->t[i]))
			e->t[i] = (unsigned long long)(json_is_integer(step) &&
			                                       json_integer_value(step) > 0
			                                   ? json_integer_value(step)
			                                   : (json_int_t)i) *
			          1000000ULL;
		e->lo = i == 0 || e->t[i] < e->lo ? e->t[i] : e->lo;
		e->hi = e->t[i] > e->hi ? e->t[i] : e->hi;
	}
}

/* The first later result, not yet used, that answers the call at i; n
 * when none does. */
static size_t
find_answer(const texport *e, size_t i, const json_t *call)
{
	const char *id = agr_json_str(call, "id");

	if (id == NULL)
		return e->n;
	for (size_t j = i + 1; j < e->n; j++) {
		const json_t *res = agr_record_json(agr_recording_record(e->rc, j));

		if (!e->used[j] && agr_json_str(res, "kind") &&
		    strcmp(agr_json_str(res, "kind"), "result") == 0 && agr_json_str(res, "call") &&
		    strcmp(agr_json_str(res, "call"), id) == 0)
			return j;
	}
	return e->n;
}

/* A call and the result that answers it (if any): one execute_tool span. */
static json_t *
call_span(texport *e, size_t i, const char *seed)
{
	const agr_record *r = agr_recording_record(e->rc, i);
	const json_t *rec = agr_record_json(r);
	size_t answer = find_answer(e, i, rec);
	const json_t *res =
	    answer < e->n ? agr_record_json(agr_recording_record(e->rc, answer)) : NULL;
	const char *tool = agr_json_str(rec, "tool"), *status = agr_json_str(res, "status");
	const char *error_class = agr_json_str(json_object_get(res, "error"), "class");
	const char *error_message = agr_json_str(json_object_get(res, "error"), "message");
	char name[300];
	json_t *span, *attrs = json_array();

	snprintf(name, sizeof name, "execute_tool %s", tool ? tool : "");
	span = new_span(e->trace_hex, e->root_id, seed, name, e->t[i],
	                answer < e->n ? e->t[answer] : e->t[i]);
	attr_str(attrs, "gen_ai.operation.name", "execute_tool");
	attr_str(attrs, "gen_ai.tool.name", tool);
	attr_str(attrs, "gen_ai.tool.call.id", agr_json_str(rec, "id"));
	attr_str(attrs, "gen_ai.agent.name", agr_json_str(rec, "agent"));
	if (json_object_get(rec, "args") != NULL)
		attr(attrs, "gen_ai.tool.call.arguments", json_text(json_object_get(rec, "args")));
	if (res != NULL && json_object_get(res, "output") != NULL)
		attr(attrs, "gen_ai.tool.call.result", json_text(json_object_get(res, "output")));
	if (status != NULL && strcmp(status, "ok") != 0)
		attr_str(attrs, "error.type", error_class ? error_class : status);
	attr_bytes(attrs, "agraph.record", r);
	if (answer < e->n) {
		attr_bytes(attrs, "agraph.result", agr_recording_record(e->rc, answer));
		e->used[answer] = true;
	}
	set_status(span, status != NULL && strcmp(status, "ok") != 0,
	           error_message ? error_message : status);
	json_object_set_new(span, "attributes", attrs);
	return span;
}

/* Any other record: a span of its own, failed when its status says so. */
static json_t *
record_span(const texport *e, size_t i, const char *seed)
{
	const agr_record *r = agr_recording_record(e->rc, i);
	const json_t *rec = agr_record_json(r);
	const char *kind = agr_json_str(rec, "kind"), *tool = agr_json_str(rec, "tool");
	const char *status = agr_json_str(rec, "status");
	bool failed =
	    status != NULL && (strcmp(status, "error") == 0 || strcmp(status, "timeout") == 0 ||
	                       strcmp(status, "escalated") == 0 || strcmp(status, "failure") == 0 ||
	                       strcmp(status, "crashed") == 0);
	char name[300];
	json_t *span, *attrs = json_array();

	snprintf(name, sizeof name, "%s%s%s", kind ? kind : "record", tool ? " " : "",
	         tool ? tool : "");
	span = new_span(e->trace_hex, e->root_id, seed, name, e->t[i], e->t[i]);
	attr_str(attrs, "gen_ai.agent.name", agr_json_str(rec, "agent"));
	attr_bytes(attrs, "agraph.record", r);
	set_status(span, failed, failed ? status : NULL);
	json_object_set_new(span, "attributes", attrs);
	return span;
}

/* The root span, over all the others: the agent's run. */
static json_t *
root_span(const texport *e)
{
	char name[700];
	json_t *root, *attrs = json_array();

	snprintf(name, sizeof name, "agraph %s", e->trace);
	root = new_span(e->trace_hex, NULL, "", name, e->lo, e->hi);
	json_object_set_new(root, "spanId", json_string(e->root_id));
	attr_str(attrs, "gen_ai.operation.name", "invoke_agent");
	attr_str(attrs, "agraph.trace", e->trace);
	json_object_set_new(root, "attributes", attrs);
	return root;
}

/* The spans of one trace, as one OTLP request. */
static void
export_trace(void *vx, agr_recording *rc)
{
	agr_exporter *x = vx;
	texport e = {
		rc, agr_recording_size(rc), agr_recording_trace(rc), NULL, 0, 0, NULL, "", ""
	};
	char seed[700];
	json_t *spans = json_array(), *doc;

	e.t = agrp_xcalloc(e.n + 1, sizeof *e.t);
	e.used = agrp_xcalloc(e.n + 1, sizeof *e.used);
	hex_id(e.trace_hex, e.trace, 2);
	snprintf(seed, sizeof seed, "%s\x1froot", e.trace);
	hex_id(e.root_id, seed, 1);
	record_times(&e);
	for (size_t i = 0; i < e.n; i++) {
		const char *kind =
		    agr_json_str(agr_record_json(agr_recording_record(rc, i)), "kind");

		if (e.used[i])
			continue;
		snprintf(seed, sizeof seed, "%s\x1f%zu", e.trace, i);
		json_array_append_new(spans, kind != NULL && strcmp(kind, "call") == 0
		                                 ? call_span(&e, i, seed)
		                                 : record_span(&e, i, seed));
	}
	json_array_insert_new(spans, 0, root_span(&e));
	doc = json_pack("{s:[{s:{s:[{s:s, s:{s:s}}]}, s:[{s:{s:s, s:s}, s:o}]}]}", "resourceSpans",
	                "resource", "attributes", "key", "service.name", "value", "stringValue",
	                "agraph", "scopeSpans", "scope", "name", "agraph", "version", AGR_VERSION,
	                "spans", spans);
	x->buf.n = 0;
	agrp_buf_json(&x->buf, doc);
	x->out(x->ctx, x->buf.p, x->buf.n);
	json_decref(doc);
	free(e.t);
	free(e.used);
	agr_recording_free(rc);
}

agr_exporter *
agr_exporter_new(const char *format, agr_write_fn out, void *ctx, agr_error *err)
{
	agr_exporter *x;

	if (strcmp(format, "otel") != 0) {
		agrp_error_set(err, "", 0, 0, "unknown export format '%s' (known: otel)", format);
		return NULL;
	}
	x = agrp_xcalloc(1, sizeof *x);
	x->out = out;
	x->ctx = ctx;
	x->rd = agr_recorder_new(NULL, export_trace, x);
	return x;
}

bool
agr_exporter_add(agr_exporter *x, const agr_record *rec, agr_error *err)
{
	return agr_recorder_add(x->rd, rec, err);
}

void
agr_exporter_finish(agr_exporter *x)
{
	agr_recorder_finish(x->rd);
}

void
agr_exporter_finish_ended(agr_exporter *x)
{
	agr_recorder_finish_ended(x->rd);
}

void
agr_exporter_free(agr_exporter *x)
{
	if (x == NULL)
		return;
	agr_recorder_free(x->rd);
	free(x->buf.p);
	free(x);
}
