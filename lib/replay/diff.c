/*
 * diff.c - where two traces of one run part ways: a faulty run against
 * its clean twin, a replay against its recording.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check_int.h"
#include "record/record_int.h"

static const char *
str_or(const json_t *v, const char *dflt)
{
	return json_string_value(v) ? json_string_value(v) : dflt;
}

/* Text for people, as agraph-trace check and agraph-replay --check write
 * it (agrp_text): no name, id or status from a trace can start a line of
 * its own or hold an escape; as_id quotes one that holds a space too, as
 * the lists below are split by spaces. */
static void
put_text(FILE *out, const char *s, bool as_id)
{
	char *t = agrp_text(s, as_id);

	fputs(t, out);
	free(t);
}

/* One side: its records without the fault records, and the faults. */
typedef struct side {
	const agr_recording *rc;
	const char *name; /* "A" or "B" */
	size_t *recs, nrecs;
	size_t *faults, nfaults;
} side;

static void
side_init(side *s, const agr_recording *rc, const char *name)
{
	size_t n = rc ? agr_recording_size(rc) : 0;

	memset(s, 0, sizeof *s);
	s->rc = rc;
	s->name = name;
	s->recs = agrp_xmalloc((n ? n : 1) * sizeof *s->recs);
	s->faults = agrp_xmalloc((n ? n : 1) * sizeof *s->faults);
	for (size_t i = 0; i < n; i++) {
		const char *kind =
		    agr_json_str(agr_record_json(agr_recording_record(rc, i)), "kind");

		if (kind != NULL && strcmp(kind, "fault") == 0)
			s->faults[s->nfaults++] = i;
		else
			s->recs[s->nrecs++] = i;
	}
}

static json_t *
tree(const side *s, size_t i)
{
	return agr_record_json(agr_recording_record(s->rc, s->recs[i]));
}

/* Equal but for the fields that a fault record put in before moves. */
static bool
same_record(const json_t *a, const json_t *b)
{
	static const char *const moved[] = { "step", "cause", "renumbered" };
	json_t *x = agrp_json_without(a, moved, sizeof moved / sizeof moved[0]);
	json_t *y = agrp_json_without(b, moved, sizeof moved / sizeof moved[0]);
	bool same = x == NULL || y == NULL ? x == y : json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return same;
}

/* What a side did from record `from` on. */
typedef struct after {
	json_t *calls;
	long reroutes, demotes, escalations;
	const char *final;
} after;

static void
summarize(const side *s, size_t from, after *a)
{
	memset(a, 0, sizeof *a);
	a->calls = json_array();
	a->final = "none";
	for (size_t i = from; i < s->nrecs; i++) {
		const json_t *j = tree(s, i);
		const char *kind = agr_json_str(j, "kind");

		if (kind == NULL)
			continue;
		if (strcmp(kind, "call") == 0)
			json_array_append_new(a->calls,
			                      json_string(str_or(json_object_get(j, "tool"), "?")));
		a->reroutes += strcmp(kind, "reroute") == 0;
		a->demotes += strcmp(kind, "demote") == 0;
		a->escalations += strcmp(kind, "escalate") == 0;
		if (strcmp(kind, "final") == 0 && agr_json_str(j, "status") != NULL)
			a->final = agr_json_str(j, "status");
	}
	/* A final before the difference still says how the run ended. */
	for (size_t i = 0; i < from && i < s->nrecs; i++) {
		const json_t *j = tree(s, i);

		if (agr_json_str(j, "kind") && strcmp(agr_json_str(j, "kind"), "final") == 0 &&
		    agr_json_str(j, "status"))
			a->final = agr_json_str(j, "status");
	}
}

static json_t *
faults_json(const side *s)
{
	json_t *list = json_array();

	for (size_t i = 0; i < s->nfaults; i++) {
		const json_t *j = agr_record_json(agr_recording_record(s->rc, s->faults[i]));
		json_t *f = json_object();

		json_object_set(f, "fault", json_object_get(j, "fault"));
		json_object_set(f, "tool", json_object_get(j, "tool"));
		json_object_set(f, "step", json_object_get(j, "step"));
		json_array_append_new(list, f);
	}
	return list;
}

static json_t *
where_json(const side *s, size_t i)
{
	json_t *o = json_object();

	if (i >= s->nrecs)
		return json_null();
	const agr_record *rec = agr_recording_record(s->rc, s->recs[i]);

	json_object_set(o, "step", json_object_get(agr_record_json(rec), "step"));
	json_object_set_new(o, "source", json_string(agr_record_source(rec)));
	json_object_set_new(o, "line", json_integer(agr_record_line(rec)));
	json_object_set(o, "record", agr_record_json(rec));
	return o;
}

static json_t *
pair(json_t *a, json_t *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "a", a);
	json_object_set_new(o, "b", b);
	return o;
}

static void
text_list(FILE *out, const json_t *list, bool faults)
{
	size_t i;
	json_t *v;

	if (json_array_size(list) == 0)
		fputs("none", out);
	json_array_foreach(list, i, v)
	{
		if (i > 0)
			fputs(faults ? ", " : " ", out);
		if (faults) {
			put_text(out, str_or(json_object_get(v, "fault"), "?"), true);
			fputs(" on ", out);
			put_text(out, str_or(json_object_get(v, "tool"), "?"), true);
			fprintf(out, " at step %lld",
			        (long long)json_integer_value(json_object_get(v, "step")));
		} else {
			put_text(out, json_string_value(v), true);
		}
	}
}

static void
text_where(FILE *out, const side *s, size_t i)
{
	const agr_record *rec;
	const char *bytes;
	char *line;
	size_t len;

	if (i >= s->nrecs) {
		fprintf(out, "  %s: (nothing: the trace ends)\n", s->name);
		return;
	}
	rec = agr_recording_record(s->rc, s->recs[i]);
	bytes = agr_record_bytes(rec, &len);
	/* a JSON line, but one that may hold U+2028 or a C1 control as it is */
	line = agrp_xmalloc(len + 1);
	memcpy(line, bytes, len);
	line[len] = '\0';
	fprintf(out, "  %s: ", s->name);
	put_text(out, line, false);
	fputc('\n', out);
	free(line);
}

static long
step_at(const side *s, size_t i)
{
	return i < s->nrecs ? (long)json_integer_value(json_object_get(tree(s, i), "step")) : -1;
}

static void
text_report(FILE *out, const side *a, const side *b, size_t k, const json_t *o)
{
	const char *trace = agr_recording_trace(a->rc);
	const json_t *calls = json_object_get(o, "calls"), *faults = json_object_get(o, "faults");
	const json_t *rr = json_object_get(o, "reroutes"), *fin = json_object_get(o, "final");

	put_text(out, trace, true);
	fputs(": differs at", out);
	for (int i = 0; i < 2; i++) {
		const side *s = i ? b : a;

		if (k < s->nrecs) {
			const agr_record *rec = agr_recording_record(s->rc, s->recs[k]);

			fprintf(out, "%s step %ld of %s (", i ? "," : "", step_at(s, k), s->name);
			put_text(out, agr_record_source(rec), false);
			fprintf(out, ":%ld)", agr_record_line(rec));
		} else
			fprintf(out, "%s the end of %s", i ? "," : "", s->name);
	}
	fputc('\n', out);
	text_where(out, a, k);
	text_where(out, b, k);
	fputs("  from there on:\n    calls     A: ", out);
	text_list(out, json_object_get(calls, "a"), false);
	fputs("\n              B: ", out);
	text_list(out, json_object_get(calls, "b"), false);
	fprintf(out, "\n    reroutes  A: %lld, B: %lld\n",
	        (long long)json_integer_value(json_object_get(rr, "a")),
	        (long long)json_integer_value(json_object_get(rr, "b")));
	fputs("    final     A: ", out);
	put_text(out, json_string_value(json_object_get(fin, "a")), true);
	fputs(", B: ", out);
	put_text(out, json_string_value(json_object_get(fin, "b")), true);
	fputc('\n', out);
	fputs("  faults      A: ", out);
	text_list(out, json_object_get(faults, "a"), true);
	fputs("\n              B: ", out);
	text_list(out, json_object_get(faults, "b"), true);
	fputc('\n', out);
}

bool
agr_diff_traces(const agr_recording *ra, const agr_recording *rb, bool ndjson, FILE *out)
{
	side a, b;
	size_t k = 0;
	after aa, ab;
	json_t *o;

	if (ra == NULL || rb == NULL) {
		const char *trace = agr_recording_trace(ra ? ra : rb);

		if (ndjson) {
			o = json_pack("{s:s, s:s}", "trace", trace, "only", ra ? "a" : "b");
			agr_write_json(out, o);
			json_decref(o);
		} else {
			put_text(out, trace, true);
			fprintf(out, ": only in %s\n", ra ? "A" : "B");
		}
		return true;
	}
	side_init(&a, ra, "A");
	side_init(&b, rb, "B");
	while (k < a.nrecs && k < b.nrecs && same_record(tree(&a, k), tree(&b, k)))
		k++;
	if (k == a.nrecs && k == b.nrecs) {
		free(a.recs), free(a.faults), free(b.recs), free(b.faults);
		return false;
	}
	summarize(&a, k, &aa);
	summarize(&b, k, &ab);
	o = json_object();
	json_object_set_new(o, "trace", json_string(agr_recording_trace(ra)));
	json_object_set_new(o, "differs", pair(where_json(&a, k), where_json(&b, k)));
	json_object_set_new(o, "calls", pair(aa.calls, ab.calls));
	json_object_set_new(o, "reroutes",
	                    pair(json_integer(aa.reroutes), json_integer(ab.reroutes)));
	json_object_set_new(o, "demotes", pair(json_integer(aa.demotes), json_integer(ab.demotes)));
	json_object_set_new(o, "escalations",
	                    pair(json_integer(aa.escalations), json_integer(ab.escalations)));
	json_object_set_new(o, "final", pair(json_string(aa.final), json_string(ab.final)));
	json_object_set_new(o, "faults", pair(faults_json(&a), faults_json(&b)));
	if (ndjson)
		agr_write_json(out, o);
	else
		text_report(out, &a, &b, k, o);
	json_decref(o);
	free(a.recs), free(a.faults), free(b.recs), free(b.faults);
	return true;
}
