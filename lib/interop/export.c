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
 *
 * The ids come from the trace's records, byte for byte: two runs of one
 * graph (one trace id, other records) get other ids, so that a backend
 * and the import keep them apart, and exporting one run twice gives the
 * same ids.
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
	unsigned long long start; /* where a trace without any ts begins */
};

#define FNV_PRIME 1099511628211ULL

static uint64_t
fnv_start(uint64_t seed)
{
	return 1469598103934665603ULL ^ seed;
}

static uint64_t
fnv_add(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* splitmix64's finish: every bit of the text reaches every bit */
static uint64_t
mix_finish(uint64_t h)
{
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
		         (unsigned long long)mix_finish(
		             fnv_add(fnv_start((uint64_t)i + 1), text, strlen(text))));
}

/* The trace's 128-bit id, in hex: a hash of its records' bytes, a line
 * end after each, as they were read. */
static void
content_id(char *out, const agr_recording *rc)
{
	for (int w = 0; w < 2; w++) {
		uint64_t h = fnv_start((uint64_t)w + 1);

		for (size_t i = 0; i < agr_recording_size(rc); i++) {
			size_t len;
			const char *bytes = agr_record_bytes(agr_recording_record(rc, i), &len);

			h = fnv_add(fnv_add(h, bytes, len), "\n", 1);
		}
		snprintf(out + 16 * w, 17, "%016llx", (unsigned long long)mix_finish(h));
	}
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

/* Each record's time.  One without ts takes the time of the nearest
 * record before it that has one (none before: after it), so that spans
 * keep their order; a trace with no ts at all begins at the exporter's
 * start, a millisecond a step. */
static void
record_times(texport *e, unsigned long long start)
{
	bool *timed = agrp_xcalloc(e->n + 1, sizeof *timed);
	size_t first = e->n;

	for (size_t i = 0; i < e->n; i++) {
		timed[i] = record_time(agr_record_json(agr_recording_record(e->rc, i)), &e->t[i]);
		if (timed[i] && first == e->n)
			first = i;
	}
	for (size_t i = 0; i < e->n; i++) {
		const json_t *step =
		    json_object_get(agr_record_json(agr_recording_record(e->rc, i)), "step");

		if (first == e->n)
			e->t[i] = start + (unsigned long long)(json_is_integer(step) &&
			                                               json_integer_value(step) > 0
			                                           ? json_integer_value(step)
			                                           : (json_int_t)i) *
			                      1000000ULL;
		else if (!timed[i])
			e->t[i] = i < first ? e->t[first] : e->t[i - 1];
		e->lo = i == 0 || e->t[i] < e->lo ? e->t[i] : e->lo;
		e->hi = e->t[i] > e->hi ? e->t[i] : e->hi;
	}
	free(timed);
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

/* The one agent the trace's records name; NULL when they name none or
 * several (then the run is a workflow). */
static const char *
only_agent(const texport *e)
{
	const char *one = NULL;

	for (size_t i = 0; i < e->n; i++) {
		const char *a =
		    agr_json_str(agr_record_json(agr_recording_record(e->rc, i)), "agent");

		if (a == NULL)
			continue;
		if (one != NULL && strcmp(one, a) != 0)
			return NULL;
		one = a;
	}
	return one;
}

/* The model provider, where a record says: its own provider, or the
 * gen_ai.provider.name an OTel import kept under src.attributes. */
static const char *
provider(const texport *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const json_t *rec = agr_record_json(agr_recording_record(e->rc, i));
		const char *p = agr_json_str(rec, "provider");

		if (p == NULL)
			p = agr_json_str(json_object_get(json_object_get(rec, "src"), "attributes"),
			                 "gen_ai.provider.name");
		if (p != NULL)
			return p;
	}
	return NULL;
}

/* The status of the trace's last final; NULL without one. */
static const char *
final_status(const texport *e)
{
	for (size_t i = e->n; i-- > 0;) {
		const json_t *rec = agr_record_json(agr_recording_record(e->rc, i));
		const char *kind = agr_json_str(rec, "kind");

		if (kind != NULL && strcmp(kind, "final") == 0)
			return agr_json_str(rec, "status");
	}
	return NULL;
}

/* The root span, over all the others, as the GenAI conventions name the
 * run: invoke_agent {gen_ai.agent.name} when one agent made the trace,
 * else invoke_workflow {gen_ai.workflow.name}, the trace id naming the
 * workflow (agraph-route's is its graph's name).  An escalated, failed
 * or crashed run is an error, its final status the error.type. */
static json_t *
root_span(const texport *e)
{
	const char *agent = only_agent(e), *status = final_status(e);
	const char *op = agent != NULL ? "invoke_agent" : "invoke_workflow";
	const char *what = agent != NULL ? agent : e->trace;
	bool failed =
	    status != NULL && (strcmp(status, "escalated") == 0 || strcmp(status, "failure") == 0 ||
	                       strcmp(status, "crashed") == 0);
	char name[700];
	json_t *root, *attrs = json_array();

	snprintf(name, sizeof name, "%s%s%s", op, what[0] ? " " : "", what);
	root = new_span(e->trace_hex, NULL, "", name, e->lo, e->hi);
	json_object_set_new(root, "spanId", json_string(e->root_id));
	attr_str(attrs, "gen_ai.operation.name", op);
	if (agent != NULL)
		attr_str(attrs, "gen_ai.agent.name", agent);
	else if (e->trace[0] != '\0')
		attr_str(attrs, "gen_ai.workflow.name", e->trace);
	attr_str(attrs, "gen_ai.provider.name", provider(e));
	if (failed)
		attr_str(attrs, "error.type", status);
	attr_str(attrs, "agraph.trace", e->trace);
	set_status(root, failed, failed ? status : NULL);
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
	content_id(e.trace_hex, rc);
	snprintf(seed, sizeof seed, "%s\x1froot", e.trace_hex);
	hex_id(e.root_id, seed, 1);
	record_times(&e, x->start);
	for (size_t i = 0; i < e.n; i++) {
		const char *kind =
		    agr_json_str(agr_record_json(agr_recording_record(rc, i)), "kind");

		if (e.used[i])
			continue;
		snprintf(seed, sizeof seed, "%s\x1f%zu", e.trace_hex, i);
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

/* Now, for traces that carry no time: an OTel backend shows a run where
 * its spans are, and one at 1970-01-01 is out of every view. */
static unsigned long long
wall_clock(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return 0;
	return (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
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
	x->start = wall_clock();
	return x;
}

bool
agr_exporter_start_at(agr_exporter *x, const char *when, agr_error *err)
{
	json_t *rec = json_object();
	char *end;
	double secs = strtod(when, &end);
	bool ok;

	/* the same readings as a record's ts: seconds, or RFC 3339 */
	if (end != when && *end == '\0' && isfinite(secs))
		json_object_set_new(rec, "ts", json_real(secs));
	else
		json_object_set_new(rec, "ts", json_string(when));
	ok = record_time(rec, &x->start);
	json_decref(rec);
	if (!ok)
		agrp_error_set(
		    err, "", 0, 0,
		    "--start takes seconds since the epoch or an RFC 3339 time, not '%s'", when);
	return ok;
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
