/*
 * import.c - traces that agent systems already write, as agraph records:
 * OpenAI chat-completions transcripts, multi-agent chat logs, and
 * OpenTelemetry spans (OTLP/JSON) with the GenAI conventions.
 *
 * Nothing is dropped: what has no field of its own in a record is kept
 * under the record's "src", and run-level fields go under "run" on the
 * trace's first record.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/record_int.h"

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
} importer;

static void
report(importer *im, long line, long col, const char *fmt, const char *arg)
{
	agr_error e;

	memset(&e, 0, sizeof e);
	agrp_error_set(&e, im->source, line, col, fmt, arg);
	im->errors++;
	im->on_error(im->ectx, &e);
}

/* Writes rec (stolen) as the run's next record. */
static void
put(importer *im, json_t *rec)
{
	json_t *o = json_object();
	const char *key;
	json_t *v;

	/* trace, step and kind first, as every agraph program writes them */
	json_object_set_new(
	    o, "trace", im->trace_j ? json_incref((json_t *)im->trace_j) : json_string(im->trace));
	json_object_set_new(o, "step", json_integer(im->step++));
	json_object_set(o, "kind", json_object_get(rec, "kind"));
	json_object_foreach(rec, key, v) if (strcmp(key, "kind") != 0) json_object_set(o, key, v);
	if (im->run_fields != NULL) {
		json_object_set(o, "run", im->run_fields);
		json_decref(im->run_fields);
		im->run_fields = NULL;
	}
	im->buf.n = 0;
	agrp_buf_json(&im->buf, o);
	im->out(im->ctx, im->buf.p, im->buf.n);
	json_decref(o);
	json_decref(rec);
}

/* Starts a run: its trace id, and its fields but the named ones, for its
 * first record. */
static void
begin_run(importer *im, const json_t *run, const char *const *taken, size_t ntaken,
          const char *const *id_keys, size_t nid, char *idbuf, size_t idcap)
{
	im->runs++;
	im->step = 1;
	im->trace = NULL;
	im->trace_j = NULL;
	for (size_t i = 0; i < nid && im->trace == NULL; i++) {
		const json_t *id = json_object_get(run, id_keys[i]);

		if (json_is_string(id)) {
			im->trace = json_string_value(id);
			im->trace_j = id;
		} else if (json_is_integer(id)) {
			snprintf(idbuf, idcap, "%lld", (long long)json_integer_value(id));
			im->trace = idbuf;
		}
	}
	if (im->trace == NULL) {
		/* where it was read: its line, or its place in a document */
		const char *src = strcmp(im->source, "-") ? im->source : "stdin";

		if (im->line > 0)
			snprintf(idbuf, idcap, "%s:%ld", src, im->line);
		else if (im->doc_runs > 1)
			snprintf(idbuf, idcap, "%s#%ld", src, im->runs);
		else
			snprintf(idbuf, idcap, "%s", src);
		im->trace = idbuf;
	}
	json_decref(im->run_fields);
	im->run_fields = agrp_json_without(run, taken, ntaken);
}

static void
set_src(json_t *rec, json_t *src)
{
	if (src != NULL)
		json_object_set_new(rec, "src", src);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Strings are taken whole: a \u0000 in one is valid JSON, and a name cut
 * at it would be another name.  whole() is the string at key of o (a new
 * reference), or NULL; same() compares two strings, lengths and all.
 */
static json_t *
whole(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_incref(v) : NULL;
}

static void
set_whole(json_t *rec, const char *key, const json_t *from, const char *from_key)
{
	json_t *v = whole(from, from_key);

	if (v != NULL)
		json_object_set_new(rec, key, v);
}

static int
str_cmp(const json_t *a, const json_t *b)
{
	size_t na = json_string_length(a), nb = json_string_length(b);
	int c =
	    na && nb ? memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb) : 0;

	return c != 0 ? c : na < nb ? -1 : na > nb;
}

/* A JSON value in a string (arguments), parsed from all of its bytes. */
static json_t *
parse_string(const json_t *s, json_error_t *e)
{
	return json_loadb(json_string_value(s), json_string_length(s),
	                  JSON_DECODE_ANY | JSON_ALLOW_NUL, e);
}

/* ---- OpenAI chat completions ---------------------------------------- */

typedef struct open_call {
	json_t *id, *tool; /* strings, or NULL */
} open_call;

/* A run's outcome, if it says one: reward, or a status word, or a flag. */
static const char *
outcome(const json_t *run)
{
	static const char *const words[] = { "outcome", "status", "result" };
	static const char *const flags[] = { "success", "resolved", "solved", "correct" };
	const json_t *reward = json_object_get(run, "reward");

	if (json_is_number(reward))
		return json_number_value(reward) > 0 ? "success" : "failure";
	for (size_t i = 0; i < N(words); i++) {
		const char *w = agr_json_str(run, words[i]);

		if (w == NULL)
			continue;
		if (strcasecmp(w, "success") == 0 || strcasecmp(w, "succeeded") == 0 ||
		    strcasecmp(w, "resolved") == 0 || strcasecmp(w, "solved") == 0 ||
		    strcasecmp(w, "pass") == 0 || strcasecmp(w, "passed") == 0)
			return "success";
		if (strcasecmp(w, "failure") == 0 || strcasecmp(w, "failed") == 0 ||
		    strcasecmp(w, "fail") == 0 || strcasecmp(w, "error") == 0 ||
		    strcasecmp(w, "unresolved") == 0)
			return "failure";
	}
	for (size_t i = 0; i < N(flags); i++)
		if (json_is_boolean(json_object_get(run, flags[i])))
			return json_is_true(json_object_get(run, flags[i])) ? "success" : "failure";
	return NULL;
}

static void
openai_call(importer *im, const json_t *tc, const json_t *role, json_t *msg_src, open_call **open,
            size_t *nopen, size_t *cap)
{
	static const char *const tc_taken[] = { "id", "function" };
	static const char *const fn_taken[] = { "name", "arguments" };
	const json_t *fn = json_object_get(tc, "function");
	const json_t *args = json_object_get(fn, "arguments");
	json_t *tool = whole(fn, "name"), *id = whole(tc, "id");
	json_t *rec = json_object(), *src = agrp_json_without(tc, tc_taken, N(tc_taken));
	json_t *fsrc = json_is_object(fn) ? agrp_json_without(fn, fn_taken, N(fn_taken)) : NULL;

	json_object_set_new(rec, "kind", json_string("call"));
	json_object_set_new(rec, "agent",
	                    role != NULL ? json_incref((json_t *)role) : json_string("assistant"));
	if (tool != NULL)
		json_object_set(rec, "tool", tool);
	if (id != NULL)
		json_object_set(rec, "id", id);
	if (json_is_string(args)) {
		/* Arguments arrive as a JSON string: parsed, or kept and flagged. */
		json_error_t e;
		json_t *parsed = parse_string(args, &e);

		if (parsed != NULL) {
			json_object_set_new(rec, "args", parsed);
		} else {
			json_object_set(rec, "args", (json_t *)args);
			json_object_set_new(rec, "args_error", json_string(e.text));
		}
	} else if (args != NULL) {
		json_object_set(rec, "args", (json_t *)args);
	}
	if (fsrc != NULL) {
		if (src == NULL)
			src = json_object();
		json_object_set_new(src, "function", fsrc);
	}
	if (msg_src != NULL) { /* the message written as calls alone */
		if (src == NULL)
			src = json_object();
		json_object_set_new(src, "message", msg_src);
	}
	set_src(rec, src);
	put(im, rec);
	if (*nopen == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*open = agrp_xrealloc(*open, *cap * sizeof **open);
	}
	(*open)[*nopen].id = id;
	(*open)[(*nopen)++].tool = tool;
}

static void
openai_result(importer *im, const json_t *msg, open_call *open, size_t *nopen)
{
	static const char *const taken[] = { "role", "content", "tool_call_id" };
	const json_t *id = json_object_get(msg, "tool_call_id");
	json_t *rec = json_object();
	size_t i = *nopen;

	if (!json_is_string(id))
		id = NULL;

	json_object_set_new(rec, "kind", json_string("result"));
	/* Ids are often reused: the nearest open call of that id. */
	while (id != NULL && i-- > 0)
		if (open[i].id != NULL && str_cmp(open[i].id, id) == 0)
			break;
	if (id != NULL && i < *nopen) {
		if (open[i].tool != NULL)
			json_object_set(rec, "tool", open[i].tool);
		json_decref(open[i].id);
		json_decref(open[i].tool);
		memmove(&open[i], &open[i + 1], (*nopen - i - 1) * sizeof *open);
		(*nopen)--;
	} else {
		json_object_set_new(rec, "unpaired", json_true());
		set_whole(rec, "tool", msg, "name");
	}
	if (id != NULL)
		json_object_set(rec, "call", (json_t *)id);
	json_object_set_new(rec, "status", json_string("ok"));
	if (json_object_get(msg, "content") != NULL)
		json_object_set(rec, "output", json_object_get(msg, "content"));
	set_src(rec, agrp_json_without(msg, taken, N(taken)));
	put(im, rec);
}

/*
 * A message's tool calls as a list (a new reference, or NULL for none): a
 * single call object stands for a list of one.  Any other shape is NULL
 * with *why saying what it is, so that it is reported and kept, not lost.
 */
static json_t *
tool_calls(const json_t *m, const char **why)
{
	json_t *calls = json_object_get(m, "tool_calls"), *tc;
	size_t i;

	*why = NULL;
	if (calls == NULL || json_is_null(calls))
		return NULL;
	if (json_is_object(calls)) {
		json_t *one;

		if (!json_is_object(json_object_get(calls, "function"))) {
			*why = "an object without a \"function\"";
			return NULL;
		}
		one = json_array();
		json_array_append(one, calls);
		return one;
	}
	if (!json_is_array(calls)) {
		*why = json_is_string(calls)   ? "a string"
		       : json_is_number(calls) ? "a number"
		                               : "a boolean";
		return NULL;
	}
	json_array_foreach(calls, i, tc) if (!json_is_object(tc))
	{
		*why = "a list with an item that is not an object";
		return NULL;
	}
	return json_incref(calls);
}

static void
openai_run(importer *im, const json_t *run)
{
	static const char *const run_taken[] = { "messages", "traj", "id", "trace_id",
		                                 "instance_id" };
	static const char *const ids[] = { "id", "trace_id", "instance_id" };
	/* tool_calls last: a shape not converted is kept (see tool_calls()) */
	static const char *const msg_taken[] = { "role", "content", "name", "tool_calls" };
	const json_t *msgs = json_is_array(run) ? run : json_object_get(run, "messages");
	open_call *open = NULL;
	size_t nopen = 0, cap = 0, i;
	char idbuf[600];
	const char *end;
	json_t *m;

	if (msgs == NULL)
		msgs = json_object_get(run, "traj");
	if (!json_is_array(msgs)) {
		report(im, im->line, 1, "%s",
		       "expected a list of messages, or an object with one "
		       "under \"messages\" or \"traj\"");
		return;
	}
	begin_run(im, json_is_object(run) ? run : NULL, run_taken, N(run_taken), ids, N(ids), idbuf,
	          sizeof idbuf);
	json_array_foreach(msgs, i, m)
	{
		const char *role = agr_json_str(m, "role");
		const json_t *content = json_object_get(m, "content");
		const char *why;
		json_t *calls, *tc;
		size_t k;

		if (!json_is_object(m)) {
			json_t *rec = json_object();

			json_object_set_new(rec, "kind", json_string("message"));
			json_object_set(rec, "src", m);
			put(im, rec);
			continue;
		}
		if (role != NULL && (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0)) {
			openai_result(im, m, open, &nopen);
			continue;
		}
		json_t *msg_src = NULL;

		if ((calls = tool_calls(m, &why)) == NULL && why != NULL) {
			char text[200];

			/* not converted: the message keeps them under src */
			if (im->line == 0 && im->doc_runs > 1)
				snprintf(text, sizeof text, "run %ld, message %zu: ", im->runs,
				         i + 1);
			else
				snprintf(text, sizeof text, "message %zu: ", i + 1);
			snprintf(text + strlen(text), sizeof text - strlen(text),
			         "tool_calls must be a list of calls or one call, not %s", why);
			report(im, im->line, 1, "%s", text);
		}
		if (!(json_is_null(content) || content == NULL ||
		      (json_is_string(content) && json_string_length(content) == 0)) ||
		    json_array_size(calls) == 0) {
			json_t *rec = json_object();

			json_object_set_new(rec, "kind", json_string("message"));
			set_whole(rec, "from", m, "role");
			set_whole(rec, "agent", m, "name");
			if (content != NULL)
				json_object_set(rec, "content", (json_t *)content);
			set_src(rec, agrp_json_without(m, msg_taken, N(msg_taken) - (why ? 1 : 0)));
			put(im, rec);
		} else {
			/* no message of its own: its other fields go with its first call */
			msg_src = agrp_json_without(m, msg_taken, N(msg_taken));
			if (agr_json_str(m, "name") != NULL) {
				if (msg_src == NULL)
					msg_src = json_object();
				json_object_set(msg_src, "name", json_object_get(m, "name"));
			}
		}
		json_array_foreach(calls, k, tc)
		{
			openai_call(im, tc, role ? json_object_get(m, "role") : NULL, msg_src,
			            &open, &nopen, &cap);
			msg_src = NULL;
		}
		json_decref(msg_src);
		json_decref(calls);
	}
	for (i = 0; i < nopen; i++) {
		json_decref(open[i].id);
		json_decref(open[i].tool);
	}
	free(open);
	if (json_is_object(run) && (end = outcome(run)) != NULL) {
		json_t *rec = json_object();

		json_object_set_new(rec, "kind", json_string("final"));
		json_object_set_new(rec, "status", json_string(end));
		put(im, rec);
	}
}

/* ---- chat logs of multi-agent conversations ---------------------------- */

static bool
word_char(unsigned char c)
{
	return isalnum(c) || c == '_';
}

static bool
quote_char(const char *p)
{
	return *p == '"' || *p == '\'' || *p == '`' ||
	       /* “ ” ‘ ’ */
	       (strncmp(p, "\xe2\x80", 2) == 0 && (unsigned char)p[2] >= 0x98 &&
	        (unsigned char)p[2] <= 0x9d);
}

/* The word, whole, not quoted as in 'reply "TERMINATE" when done'. */
static bool
says_word(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);
	const char *end = text + len;

	/* memmem, not strstr: the text may hold a NUL (\u0000); the text
	 * ends in one, so that after may be looked at */
	for (const char *p = memmem(text, len, word, n); p != NULL;
	     p = memmem(p + 1, (size_t)(end - p - 1), word, n)) {
		const char *after = p + n;
		bool before_quote = false, after_quote = quote_char(after);

		if ((p > text && word_char((unsigned char)p[-1])) ||
		    word_char((unsigned char)*after))
			continue;
		if (p > text)
			before_quote =
			    quote_char(p - 1) ||
			    (p - text >= 3 && (unsigned char)p[-3] == 0xe2 &&
			     (unsigned char)p[-2] == 0x80 && (unsigned char)p[-1] >= 0x98 &&
			     (unsigned char)p[-1] <= 0x9d);
		if (before_quote && after_quote)
			continue;
		return true;
	}
	return false;
}

static void
chatlog_run(importer *im, const json_t *run)
{
	static const char *const run_taken[] = { "history", "id", "trace_id", "question_ID" };
	static const char *const ids[] = { "id", "trace_id", "question_ID" };
	static const char *const entry_taken[] = { "name", "content" };
	const char *word = im->o && im->o->terminate_word ? im->o->terminate_word : "TERMINATE";
	const json_t *history = json_object_get(run, "history");
	bool ended = false;
	char idbuf[600];
	size_t i;
	json_t *h;

	if (!json_is_array(history)) {
		report(im, im->line, 1, "%s", "expected an object with a \"history\" list");
		return;
	}
	begin_run(im, run, run_taken, N(run_taken), ids, N(ids), idbuf, sizeof idbuf);
	json_array_foreach(history, i, h)
	{
		json_t *rec = json_object();
		const char *name = agr_json_str(h, "name"), *role = agr_json_str(h, "role");
		const char *who = name ? name : role;
		const json_t *content = json_object_get(h, "content");

		/* step is the entry's index: annotations (mistake_step) count so */
		im->step = (long)i + (ended ? 1 : 0);
		json_object_set_new(rec, "kind", json_string("message"));
		if (who != NULL) {
			set_whole(rec, "agent", h, name ? "name" : "role");
			set_whole(rec, "from", h, name ? "name" : "role");
		}
		if (content != NULL)
			json_object_set(rec, "content", (json_t *)content);
		if (ended)
			json_object_set_new(rec, "renumbered", json_true());
		if (json_is_object(h))
			set_src(rec, agrp_json_without(h, name ? entry_taken : entry_taken + 1,
			                               name ? N(entry_taken) : 1));
		else
			json_object_set(rec, "src", h);
		if (json_is_object(h) && name == NULL && role != NULL) {
			/* role stood for the agent: it is not lost, it is "agent" */
			json_t *src = json_object_get(rec, "src");

			json_object_del(src, "role");
			if (json_object_size(src) == 0)
				json_object_del(rec, "src");
		}
		put(im, rec);
		if (!ended && json_is_string(content) &&
		    says_word(json_string_value(content), json_string_length(content), word)) {
			json_t *fin = json_object();
			const json_t *who_j = json_object_get(h, name ? "name" : "role");
			agrp_buf reason = { 0 };

			/* who, whole: a name may hold a \u0000 */
			if (who != NULL)
				agrp_buf_add(&reason, json_string_value(who_j),
				             json_string_length(who_j));
			else
				agrp_buf_add(&reason, "a message", 9);
			agrp_buf_add(&reason, " said ", 6);
			agrp_buf_add(&reason, word, strlen(word));
			json_object_set_new(fin, "kind", json_string("final"));
			json_object_set_new(fin, "status", json_string("success"));
			json_object_set_new(fin, "reason", json_stringn(reason.p, reason.n));
			free(reason.p);
			json_object_set_new(fin, "cause", json_integer((json_int_t)i));
			put(im, fin);
			ended = true;
		}
	}
}

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

static void
otel_collect(importer *im, const json_t *doc)
{
	const json_t *rss = json_object_get(doc, "resourceSpans");
	size_t i, j, k;
	json_t *rs, *ss, *span;

	if (!json_is_array(rss)) {
		report(im, im->line, 1, "%s", "expected an object with a \"resourceSpans\" list");
		return;
	}
	json_array_foreach(rss, i, rs)
	{
		if (!json_is_array(json_object_get(rs, "scopeSpans"))) {
			report(im, im->line, 1, "%s",
			       "a resourceSpans entry without a \"scopeSpans\" list");
			return;
		}
		json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
		{
			if (!json_is_array(json_object_get(ss, "spans"))) {
				report(im, im->line, 1, "%s",
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
	int c = str_cmp(x->trace, y->trace);

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
			report(im, json_is_integer(line) ? (long)json_integer_value(line) : 0, 1,
			       "%s", what);
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
		               .trace = json_is_string(json_object_get(rec, "trace"))
		                            ? json_object_get(rec, "trace")
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
		json_t *tool = whole(attrs, "gen_ai.tool.name");
		json_t *id = whole(attrs, "gen_ai.tool.call.id");
		const json_t *args = json_object_get(attrs, "gen_ai.tool.call.arguments");
		const json_t *output = json_object_get(attrs, "gen_ai.tool.call.result");
		json_t *call = json_object(), *res = json_object();

		if (id == NULL)
			id = whole(span, "spanId");
		if (tool == NULL)
			tool = whole(span, "name");
		json_object_set_new(call, "kind", json_string("call"));
		set_whole(call, "agent", attrs, "gen_ai.agent.name");
		json_object_set_new(call, "tool", tool ? tool : json_string("?"));
		if (id)
			json_object_set(call, "id", id);
		if (json_is_string(args)) {
			json_t *parsed = parse_string(args, NULL);

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
			json_t *cls = whole(attrs, "error.type");

			json_object_set_new(e, "class", cls ? cls : json_string("error"));
			set_whole(e, "message", json_object_get(span, "status"), "message");
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
			set_whole(msg, "agent", attrs, "gen_ai.agent.name");
			set_whole(msg, "from", attrs, "gen_ai.agent.name");
		}
		set_whole(msg, "operation", attrs, "gen_ai.operation.name");
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
static void
otel_flush(importer *im)
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
			if (!started || str_cmp(current, p[i].trace) != 0) {
				started = true;
				current = p[i].trace;
				im->trace = "";
				im->trace_j = current;
				im->step = 1;
			}
			put(im, json_incref(p[i].rec));
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

/* ---- reading the input ------------------------------------------------- */

/* A run (or OTLP request) found in the input. */
static void
convert(importer *im, const char *format, const json_t *doc, bool whole)
{
	size_t i;
	json_t *x;

	im->doc_runs = whole && json_is_array(doc) ? (long)json_array_size(doc) : 1;
	if (strcmp(format, "openai") == 0 && json_is_array(doc) &&
	    json_object_get(json_array_get(doc, 0), "role") != NULL)
		im->doc_runs = 1; /* a list of messages: one run */
	if (strcmp(format, "otel") == 0) {
		if (json_is_array(doc) && whole)
			json_array_foreach(doc, i, x) otel_collect(im, x);
		else
			otel_collect(im, doc);
	} else if (strcmp(format, "openai") == 0) {
		/* an array of runs, or of messages (one run) */
		if (whole && json_is_array(doc) && json_array_size(doc) > 0 &&
		    json_object_get(json_array_get(doc, 0), "role") == NULL)
			json_array_foreach(doc, i, x) openai_run(im, x);
		else
			openai_run(im, doc);
	} else {
		if (whole && json_is_array(doc))
			json_array_foreach(doc, i, x) chatlog_run(im, x);
		else if (json_is_object(doc))
			chatlog_run(im, doc);
		else
			report(im, im->line, 1, "%s", "expected an object with a \"history\" list");
	}
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* The lines of one input, NUL bytes and all, none longer than AGR_MAX_FILE:
 * getline(3) would grow without end on an input without newlines. */
typedef struct lines {
	int fd;
	char *buf;
	size_t cap, start, end;
	bool eof;
	int error;                         /* errno of a failed read, or 0 */
	bool skipping;                     /* passing over the rest of a line too long */
	const volatile sig_atomic_t *stop; /* agr_import_opts.stop */
	bool stopped;                      /* asked to stop: the input ends here */
} lines;

/* Waits until the input can be read; false when asked to stop first.  As
 * agr_reader does: every signal blocked from the look at the flag to the
 * ppoll(2), which lets them in, so that none is missed, and a handler
 * installed with SA_RESTART still ends the wait. */
static bool
wait_input(lines *in)
{
	struct pollfd p = { in->fd, POLLIN, 0 };
	sigset_t all, old;

	if (in->stop == NULL)
		return true;
	if (*in->stop != 0)
		return false;
	if (poll(&p, 1, 0) != 0)
		return true;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	while (*in->stop == 0 && ppoll(&p, 1, NULL, &old) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return *in->stop == 0;
}

/* The next line, its newline kept: 1, or 0 at the end, or -1 as soon as a
 * line is longer than AGR_MAX_FILE; the next call passes over its rest. */
static int
next_line(lines *in, const char **s, size_t *n)
{
	if (in->stop != NULL && *in->stop != 0) /* before each line, as agr_reader */
		in->stopped = true;
	for (;;) {
		char *p = in->buf + in->start;
		char *nl = memchr(p, '\n', in->end - in->start);
		ssize_t got;

		if (in->stopped)
			return 0;
		if (in->skipping) {
			in->start = nl != NULL ? (size_t)(nl + 1 - in->buf) : in->end;
			in->skipping = nl == NULL;
			if (nl != NULL)
				continue;
		} else if (nl != NULL || (in->eof && in->start < in->end)) {
			*n = nl != NULL ? (size_t)(nl + 1 - p) : in->end - in->start;
			*s = p;
			in->start += *n;
			return *n > AGR_MAX_FILE ? -1 : 1;
		} else if (in->end - in->start > AGR_MAX_FILE) {
			in->skipping = true;
			in->start = in->end;
			return -1;
		}
		if (in->eof || in->stopped)
			return 0;
		if (!wait_input(in)) {
			/* what is in hand is not a whole line: left, as the rest */
			in->stopped = true;
			return 0;
		}
		if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, in->end - in->start);
			in->end -= in->start;
			in->start = 0;
		}
		agrp_grow(&in->buf, &in->cap, in->end + 65536 + 1, 1);
		/* read(2), not fread(3), which waits for a full buffer: a line is
		 * converted as soon as it arrives */
		do
			got = read(in->fd, in->buf + in->end, in->cap - in->end - 1);
		while (got < 0 && errno == EINTR);
		if (got > 0) {
			in->end += (size_t)got;
		} else {
			in->eof = true;
			in->error = got < 0 ? errno : 0;
		}
	}
}

static void
import_stream(importer *im, const char *format, FILE *f)
{
	lines in = { .fd = fileno(f), .stop = im->o ? im->o->stop : NULL };
	const char *line;
	size_t len;
	long lineno = 0, first = 0;
	agrp_buf doc = { 0 };
	bool ndjson = false, decided = false, whole = true;
	int got;

	agrp_grow(&in.buf, &in.cap, 65536, 1);
	while ((got = next_line(&in, &line, &len)) != 0) {
		json_error_t e;
		json_t *j;

		lineno++;
		if (!decided) {
			if (got > 0 && blank(line, len))
				continue;
			first = lineno;
			decided = true;
			/* A first line that is a whole value: one run a line. */
			j = got > 0
			        ? json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e)
			        : NULL;
			ndjson = j != NULL;
			json_decref(j);
		}
		if (!ndjson) {
			if (got < 0 || doc.n + len > AGR_MAX_FILE) {
				report(
				    im, 0, 0, "%s",
				    "larger than 64 MiB, the most a document read whole may hold");
				whole = false;
				break;
			}
			agrp_buf_add(&doc, line, len);
			continue;
		}
		if (got < 0) {
			report(im, lineno, 1, "%s", "line longer than 64 MiB");
			continue;
		}
		if (blank(line, len))
			continue;
		im->line = lineno;
		j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
		if (j == NULL) {
			report(im, lineno, e.column > 0 ? e.column : 1, "%s", e.text);
			continue;
		}
		convert(im, format, j, false);
		json_decref(j);
	}
	if (in.error != 0)
		report(im, 0, 0, "%s", strerror(in.error));
	if (decided && !ndjson && whole && !in.stopped) {
		json_error_t e;
		json_t *j = json_loadb(doc.p, doc.n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);

		im->line = 0;
		if (j == NULL)
			report(im, first - 1 + (e.line > 0 ? e.line : 1),
			       e.column > 0 ? e.column : 1, "%s", e.text);
		else
			convert(im, format, j, true);
		json_decref(j);
	}
	free(doc.p);
	free(in.buf);
}

static bool
known_format(const char *format)
{
	return strcmp(format, "openai") == 0 || strcmp(format, "chatlog") == 0 ||
	       strcmp(format, "otel") == 0;
}

long
agr_import(const char *format, const char *const *paths, int npaths, const agr_import_opts *o,
           agr_write_fn out, void *ctx, agr_error_fn on_error, void *ectx)
{
	static const char *const stdin_only[] = { "-" };
	importer im = { .o = o, .out = out, .ctx = ctx, .on_error = on_error, .ectx = ectx };

	if (!known_format(format)) {
		im.source = "";
		report(&im, 0, 0, "unknown format '%s' (known: openai, chatlog, otel)", format);
		return im.errors;
	}
	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	im.otel = json_array();
	for (int i = 0; i < npaths && !(o && o->stop && *o->stop); i++) {
		FILE *f = strcmp(paths[i], "-") == 0 ? stdin : fopen(paths[i], "r");

		im.source = paths[i];
		im.runs = 0;
		if (f == NULL) {
			report(&im, 0, 0, "%s", strerror(errno));
			continue;
		}
		import_stream(&im, format, f);
		if (f != stdin)
			fclose(f);
	}
	if (strcmp(format, "otel") == 0)
		otel_flush(&im);
	json_decref(im.otel);
	json_decref(im.run_fields);
	free(im.buf.p);
	return im.errors;
}
