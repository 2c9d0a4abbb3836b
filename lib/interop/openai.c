/*
 * openai.c - OpenAI chat-completions transcripts as agraph records: read
 * as trees, or in place when the scanner passes them, to the same bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/import_int.h"

/* A message's tool_calls that are not converted (the message keeps them
 * under src), said once for the tree's reading and the fast one. */
static void
bad_tool_calls(importer *im, size_t i, const char *why)
{
	char text[200];

	if (im->line == 0 && im->doc_runs > 1)
		snprintf(text, sizeof text, "run %ld, message %zu: ", im->runs, i + 1);
	else
		snprintf(text, sizeof text, "message %zu: ", i + 1);
	snprintf(text + strlen(text), sizeof text - strlen(text),
	         "tool_calls must be a list of calls or one call, not %s", why);
	agrp_import_report(im, im->line, 1, "%s", text);
}
/* ---- OpenAI chat completions ---------------------------------------- */

typedef struct open_call {
	json_t *id, *tool; /* strings, or NULL */
	bool legacy;       /* a function_call: answered by its name */
} open_call;

typedef struct open_calls {
	open_call *c;
	size_t n, cap;
} open_calls;

/* What a run's outcome word says: "success", "failure", or NULL for a
 * word that says neither. */
static const char *
outcome_word(const char *w)
{
	if (strcasecmp(w, "success") == 0 || strcasecmp(w, "succeeded") == 0 ||
	    strcasecmp(w, "resolved") == 0 || strcasecmp(w, "solved") == 0 ||
	    strcasecmp(w, "pass") == 0 || strcasecmp(w, "passed") == 0)
		return "success";
	if (strcasecmp(w, "failure") == 0 || strcasecmp(w, "failed") == 0 ||
	    strcasecmp(w, "fail") == 0 || strcasecmp(w, "error") == 0 ||
	    strcasecmp(w, "unresolved") == 0)
		return "failure";
	return NULL;
}

/* A run's outcome, if it says one: reward, or a status word, or a flag. */
static const char *
outcome(const json_t *run, const json_t **reason)
{
	static const char *const words[] = { "outcome", "status", "result" };
	static const char *const flags[] = { "success", "resolved", "solved", "correct" };
	const json_t *reward = json_object_get(run, "reward");

	*reason = NULL;
	if (json_is_number(reward))
		return json_number_value(reward) > 0 ? "success" : "failure";
	for (size_t i = 0; i < N(words); i++) {
		const char *w = agr_json_str(run, words[i]);

		if (w == NULL)
			continue;
		if (outcome_word(w) != NULL)
			return outcome_word(w);
	}
	for (size_t i = 0; i < N(flags); i++)
		if (json_is_boolean(json_object_get(run, flags[i])))
			return json_is_true(json_object_get(run, flags[i])) ? "success" : "failure";
	return NULL;
}

static const agrp_chat_form openai_form = {
	.bare_list = true,
	.lists = { "messages", "traj" },
	.run_taken = { "messages", "traj", "id", "trace_id", "instance_id" },
	.id_keys = { "id", "trace_id", "instance_id" },
	.agent_key = "name",
	.no_list = "expected a list of messages, or an object with one under \"messages\" or "
	           "\"traj\"",
	.outcome = outcome,
};

/* How many of the n keys there are before the first NULL. */
static size_t
keys_n(const char *const *keys, size_t n)
{
	size_t i = 0;

	while (i < n && keys[i] != NULL)
		i++;
	return i;
}

/* The id given to a legacy function_call, which has none, at its step:
 * its reply names it by this id. */
static json_t *
legacy_id(long step)
{
	char buf[48];

	snprintf(buf, sizeof buf, "function_call:%ld", step);
	return json_string(buf);
}

/* A call: tc an entry of tool_calls, or, legacy, a function_call object
 * (then tc is the function, and the call's id is made from its step). */
static void
openai_call(importer *im, const json_t *tc, bool legacy, const json_t *agent, json_t *msg_src,
            open_calls *open)
{
	static const char *const tc_taken[] = { "id", "function" };
	static const char *const fn_taken[] = { "name", "arguments" };
	const json_t *fn = legacy ? tc : json_object_get(tc, "function");
	const json_t *args = json_object_get(fn, "arguments");
	json_t *tool = agrp_import_whole(fn, "name");
	json_t *id = legacy ? legacy_id(im->step) : agrp_import_whole(tc, "id");
	json_t *rec = json_object();
	json_t *src = legacy ? NULL : agrp_json_without(tc, tc_taken, N(tc_taken));
	json_t *fsrc = json_is_object(fn) ? agrp_json_without(fn, fn_taken, N(fn_taken)) : NULL;

	json_object_set_new(rec, "kind", json_string("call"));
	json_object_set_new(
	    rec, "agent", agent != NULL ? json_incref((json_t *)agent) : json_string("assistant"));
	if (tool != NULL)
		json_object_set(rec, "tool", tool);
	if (id != NULL)
		json_object_set(rec, "id", id);
	if (json_is_string(args)) {
		/* Arguments arrive as a JSON string: parsed, or kept and flagged. */
		json_error_t e;
		json_t *parsed = agrp_import_parse_string(args, &e);

		if (parsed != NULL) {
			json_object_set_new(rec, "args", parsed);
		} else {
			json_object_set(rec, "args", (json_t *)args);
			json_object_set_new(rec, "args_error", json_string(e.text));
		}
	} else if (args != NULL) {
		json_object_set(rec, "args", (json_t *)args);
	}
	if (legacy) {
		src = fsrc; /* the function is the call: its other fields are the call's */
	} else if (fsrc != NULL) {
		if (src == NULL)
			src = json_object();
		json_object_set_new(src, "function", fsrc);
	}
	if (msg_src != NULL) { /* the message written as calls alone */
		if (src == NULL)
			src = json_object();
		json_object_set_new(src, "message", msg_src);
	}
	agrp_import_set_src(rec, src);
	agrp_import_put(im, rec);
	if (open->n == open->cap) {
		open->cap = open->cap ? 2 * open->cap : 8;
		open->c = agrp_xrealloc(open->c, open->cap * sizeof *open->c);
	}
	open->c[open->n++] = (open_call){ id, tool, legacy };
}

/* The open call that a reply answers: the nearest of its id (ids are
 * often reused); without an id, a legacy function reply answers the
 * latest open function_call of its name, or of any name when it has
 * none, as the legacy API paired them.  open->n when there is none. */
static size_t
answered_call(const open_calls *open, const json_t *id, bool legacy, const json_t *name)
{
	size_t i = open->n;

	while (id != NULL && i-- > 0)
		if (open->c[i].id != NULL && agrp_import_str_cmp(open->c[i].id, id) == 0)
			return i;
	while (id == NULL && legacy && i-- > 0)
		if (open->c[i].legacy &&
		    (name == NULL ||
		     (open->c[i].tool != NULL && agrp_import_str_cmp(open->c[i].tool, name) == 0)))
			return i;
	return open->n;
}

/* A result of the reply msg for the call id (a string, or NULL). */
static void
openai_result(importer *im, const json_t *msg, const json_t *id, bool legacy,
              const char *const *taken, size_t ntaken, open_calls *open)
{
	const json_t *name =
	    json_is_string(json_object_get(msg, "name")) ? json_object_get(msg, "name") : NULL;
	json_t *rec = json_object();
	size_t i = answered_call(open, id, legacy, name);

	json_object_set_new(rec, "kind", json_string("result"));
	if (i < open->n) {
		if (open->c[i].tool != NULL)
			json_object_set(rec, "tool", open->c[i].tool);
		if (id == NULL)
			json_object_set(rec, "call", open->c[i].id);
		json_decref(open->c[i].id);
		json_decref(open->c[i].tool);
		memmove(&open->c[i], &open->c[i + 1], (open->n - i - 1) * sizeof *open->c);
		open->n--;
	} else {
		json_object_set_new(rec, "unpaired", json_true());
		agrp_import_set_whole(rec, "tool", msg, "name");
	}
	if (id != NULL)
		json_object_set(rec, "call", (json_t *)id);
	json_object_set_new(rec, "status", json_string("ok"));
	if (json_object_get(msg, "content") != NULL)
		json_object_set(rec, "output", json_object_get(msg, "content"));
	agrp_import_set_src(rec, agrp_json_without(msg, taken, ntaken));
	agrp_import_put(im, rec);
}

/* A tool or function message: a result for each call it names. */
static void
openai_reply(importer *im, const agrp_chat_form *form, const json_t *msg, bool legacy,
             open_calls *open)
{
	static const char *const taken[] = { "role", "content", "tool_call_id" };
	const char *const list_taken[] = { "role", "content", form->ids_key };
	const json_t *ids = form->ids_key ? json_object_get(msg, form->ids_key) : NULL;
	const json_t *id = json_object_get(msg, "tool_call_id"), *x;
	size_t i;

	if (json_is_array(ids) && json_array_size(ids) > 0) {
		json_array_foreach(ids, i, x) openai_result(im, msg, json_is_string(x) ? x : NULL,
		                                            false, list_taken, N(list_taken), open);
		return;
	}
	openai_result(im, msg, json_is_string(id) ? id : NULL, legacy, taken, N(taken), open);
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

void
agrp_chat_run(importer *im, const json_t *run, const agrp_chat_form *form)
{
	const json_t *msgs = form->bare_list && json_is_array(run) ? run : NULL, *reason;
	open_calls open = { 0 };
	char idbuf[600];
	const char *end;
	size_t i;
	json_t *m;

	for (i = 0; msgs == NULL && i < N(form->lists) && form->lists[i] != NULL; i++)
		msgs = json_object_get(run, form->lists[i]);
	if (!json_is_array(msgs)) {
		agrp_import_report(im, im->line, 1, "%s", form->no_list);
		return;
	}
	agrp_import_begin_run(im, json_is_object(run) ? run : NULL, form->run_taken,
	                      keys_n(form->run_taken, N(form->run_taken)), form->id_keys,
	                      keys_n(form->id_keys, N(form->id_keys)), idbuf, sizeof idbuf);
	json_array_foreach(msgs, i, m)
	{
		const char *role = agr_json_str(m, "role");
		const json_t *content = json_object_get(m, "content");
		const json_t *fc = json_object_get(m, "function_call");
		const json_t *call_agent = NULL;
		const char *msg_taken[5] = { "role", "content", form->agent_key };
		size_t ntaken = 3, ncalls;
		const char *why;
		json_t *calls, *tc, *msg_src = NULL;
		size_t k;

		if (!json_is_object(m)) {
			json_t *rec = json_object();

			json_object_set_new(rec, "kind", json_string("message"));
			json_object_set(rec, "src", m);
			agrp_import_put(im, rec);
			continue;
		}
		if (role != NULL && (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0)) {
			openai_reply(im, form, m, strcmp(role, "function") == 0, &open);
			continue;
		}
		if ((calls = tool_calls(m, &why)) == NULL && why != NULL)
			bad_tool_calls(im, i, why);
		if (why == NULL)
			msg_taken[ntaken++] = "tool_calls";
		if (!json_is_object(fc))
			fc = NULL; /* not a call: kept under src */
		else
			msg_taken[ntaken++] = "function_call";
		ncalls = json_array_size(calls) + (fc != NULL);
		if (!(json_is_null(content) || content == NULL ||
		      (json_is_string(content) && json_string_length(content) == 0)) ||
		    ncalls == 0) {
			json_t *rec = json_object();

			json_object_set_new(rec, "kind", json_string("message"));
			agrp_import_set_whole(rec, "from", m, "role");
			agrp_import_set_whole(rec, "agent", m, form->agent_key);
			if (content != NULL)
				json_object_set(rec, "content", (json_t *)content);
			agrp_import_set_src(rec, agrp_json_without(m, msg_taken, ntaken));
			agrp_import_put(im, rec);
		} else {
			/* no message of its own: its other fields go with its first call */
			msg_src = agrp_json_without(m, msg_taken, ntaken);
			if (agr_json_str(m, form->agent_key) != NULL) {
				if (msg_src == NULL)
					msg_src = json_object();
				json_object_set(msg_src, form->agent_key,
				                json_object_get(m, form->agent_key));
			}
		}
		if (form->call_agent_key != NULL && agr_json_str(m, form->call_agent_key) != NULL)
			call_agent = json_object_get(m, form->call_agent_key);
		else if (role != NULL)
			call_agent = json_object_get(m, "role");
		json_array_foreach(calls, k, tc)
		{
			openai_call(im, tc, false, call_agent, msg_src, &open);
			msg_src = NULL;
		}
		if (fc != NULL)
			openai_call(im, fc, true, call_agent, msg_src, &open);
		else
			json_decref(msg_src);
		json_decref(calls);
	}
	for (i = 0; i < open.n; i++) {
		json_decref(open.c[i].id);
		json_decref(open.c[i].tool);
	}
	free(open.c);
	if (json_is_object(run) && (end = form->outcome(run, &reason)) != NULL) {
		json_t *rec = json_object();

		json_object_set_new(rec, "kind", json_string("final"));
		json_object_set_new(rec, "status", json_string(end));
		if (reason != NULL)
			json_object_set(rec, "reason", (json_t *)reason);
		agrp_import_put(im, rec);
	}
}

void
agrp_openai_run(importer *im, const json_t *run)
{
	agrp_chat_run(im, run, &openai_form);
}

/* ---- OpenAI chat completions, read in place ---------------------------
 *
 * The same records as agrp_openai_run() above, byte for byte, made from the
 * input's bytes: a run that the scanner passes is converted here, with no
 * tree built, and its records written as jansson would write the trees
 * above.  Anything the scanner refuses (an error, or past its depth) goes
 * the jansson way, which says what is wrong as it always did.
 */

#define FAST_ABSENT '\0' /* a span's type when the field is not there */

/* An object's fields, listed once: each lookup into a list costs a
 * compare a key, where one into the bytes passes over every value before
 * (a run's messages, a message's content).  One list a level: the run, a
 * message, a call, its function. */
enum { FAST_RUN, FAST_MSG, FAST_CALL, FAST_FN, FAST_LEVELS };

typedef struct fast_obj {
	const char *p; /* the object listed, or NULL */
	agrp_field *f;
	size_t n, cap;
} fast_obj;

static const fast_obj *
fast_list(importer *im, int level, const agrp_span *obj)
{
	fast_obj *o = &im->lists[level];
	size_t cursor = 0;
	agrp_span k, v;

	if (o->p == obj->p && obj->type == 'o')
		return o;
	o->p = NULL;
	o->n = 0;
	if (obj->type != 'o')
		return o;
	while (agrp_span_next(obj, &cursor, &k, &v)) {
		agrp_grow(&o->f, &o->cap, o->n + 1, sizeof *o->f);
		o->f[o->n].key = k;
		o->f[o->n++].val = v;
	}
	o->p = obj->p;
	return o;
}

/* The fields of obj named by keys (there are no duplicates: the scan
 * refused them). */
static void
fast_fields(importer *im, int level, const agrp_span *obj, const char *const *keys, size_t n,
            agrp_span *out)
{
	const fast_obj *o = fast_list(im, level, obj);

	for (size_t i = 0; i < n; i++)
		out[i].type = FAST_ABSENT;
	for (size_t j = 0; j < o->n; j++)
		for (size_t i = 0; i < n; i++)
			if (out[i].type == FAST_ABSENT &&
			    agrp_span_key_is(&o->f[j].key, keys[i], strlen(keys[i]))) {
				out[i] = o->f[j].val;
				break;
			}
}

static agrp_span
fast_get(importer *im, int level, const agrp_span *obj, const char *key)
{
	agrp_span v;

	fast_fields(im, level, obj, &key, 1, &v);
	return v;
}

/* The next item of an array, as agrp_span_next(); an object is listed
 * at level on the way, so that its values are passed over once. */
static bool
fast_item(importer *im, int level, const agrp_span *arr, size_t *cursor, agrp_span *out)
{
	const char *p = arr->p + (*cursor ? *cursor : 1);
	fast_obj *o = &im->lists[level];
	agrp_span obj, k, v;
	size_t c = 0;

#define WS(p)                                                                                      \
	while (*(p) == ' ' || *(p) == '\t' || *(p) == '\n' || *(p) == '\r')                        \
	(p)++
	WS(p);
	if (*p == ',') {
		p++;
		WS(p);
	}
	if (*p != '{')
		return agrp_span_next(arr, cursor, &k, out);
	obj = (agrp_span){ p, 0, 'o', false }; /* agrp_span_next needs no length */
	o->n = 0;
	while (agrp_span_next(&obj, &c, &k, &v)) {
		agrp_grow(&o->f, &o->cap, o->n + 1, sizeof *o->f);
		o->f[o->n].key = k;
		o->f[o->n++].val = v;
	}
	p += c ? c : 1;
	WS(p);
#undef WS
	obj.n = (size_t)(p + 1 - obj.p); /* past its '}' */
	o->p = obj.p;
	*out = obj;
	*cursor = (size_t)(p + 1 - arr->p);
	return true;
}

/* A string as json_string_value() gives it: up to its first NUL, enough
 * of it for the words it is compared with; NULL for a non-string. */
static const char *
fast_cstr(const agrp_span *s, char *buf, size_t cap)
{
	size_t n;

	if (s->type != 's')
		return NULL;
	n = agrp_span_decode(s, buf, cap);
	buf[n] = '\0';
	return buf;
}

static bool
fast_is_int(const agrp_span *v)
{
	return v->type == 'n' && memchr(v->p, '.', v->n) == NULL &&
	       memchr(v->p, 'e', v->n) == NULL && memchr(v->p, 'E', v->n) == NULL;
}

/* ,"key": and the value as jansson writes it */
static void
fast_put(agrp_buf *b, const char *key, const agrp_span *v)
{
	agrp_buf_str(b, key);
	agrp_buf_json_span(b, v->p, v->n);
}

/* The fields of obj but the named ones, each with a comma before it but
 * the first when first; how many. */
static size_t
fast_without(importer *im, int level, agrp_buf *b, const agrp_span *obj, const char *const *keys,
             size_t n, bool first)
{
	const fast_obj *o = fast_list(im, level, obj);
	size_t written = 0;

	for (size_t j = 0; j < o->n; j++) {
		const agrp_span *k = &o->f[j].key, *v = &o->f[j].val;
		size_t i = 0;

		while (i < n && !agrp_span_key_is(k, keys[i], strlen(keys[i])))
			i++;
		if (i < n)
			continue;
		if (!first || written > 0)
			agrp_buf_add(b, ",", 1);
		agrp_buf_json_span(b, k->p, k->n);
		agrp_buf_add(b, ":", 1);
		agrp_buf_json_span(b, v->p, v->n);
		written++;
	}
	return written;
}

/* ,"src":{...} of obj but the named ones, when any is left */
static void
fast_src(importer *im, int level, agrp_buf *b, const agrp_span *obj, const char *const *keys,
         size_t n)
{
	size_t mark = b->n;

	agrp_buf_str(b, ",\"src\":{");
	if (fast_without(im, level, b, obj, keys, n, true) > 0) {
		agrp_buf_add(b, "}", 1);
	} else {
		b->n = mark;
		b->p[mark] = '\0';
	}
}

/* A record's start, as agrp_import_put() writes one: trace, step and kind first. */
static agrp_buf *
fast_begin(importer *im, const char *kind)
{
	agrp_buf *b = &im->buf;

	b->n = 0;
	if (im->has_trace) {
		agrp_buf_str(b, "{\"trace\":");
		agrp_buf_add(b, im->trace_json.p, im->trace_json.n);
		agrp_buf_str(b, ",\"step\":");
	} else {
		agrp_buf_str(b, "{\"step\":");
	}
	agrp_buf_json_int(b, im->step++);
	agrp_buf_str(b, ",\"kind\":\"");
	agrp_buf_str(b, kind);
	agrp_buf_add(b, "\"", 1);
	return b;
}

/* ...and its end: the run's fields on its first record. */
static void
fast_end(importer *im)
{
	agrp_buf *b = &im->buf;

	if (im->run_json.n > 0) {
		agrp_buf_str(b, ",\"run\":{");
		agrp_buf_add(b, im->run_json.p, im->run_json.n);
		agrp_buf_add(b, "}", 1);
		im->run_json.n = 0;
	}
	agrp_buf_add(b, "}", 1);
	im->out(im->ctx, b->p, b->n);
}

/* agrp_import_begin_run(), on bytes */
static void
fast_begin_run(importer *im, const agrp_span *run, const char *const *taken, size_t ntaken,
               const char *const *id_keys, size_t nid)
{
	agrp_span ids[N(openai_form.id_keys)];
	char idbuf[600];
	bool found = false;

	if (nid > N(ids))
		nid = N(ids);

	im->runs++;
	im->step = 1;
	im->trace_json.n = 0;
	im->has_trace = true;
	fast_fields(im, FAST_RUN, run, id_keys, nid, ids);
	for (size_t i = 0; i < nid && !found; i++) {
		if (ids[i].type == 's') {
			agrp_buf_json_span(&im->trace_json, ids[i].p, ids[i].n);
			found = true;
		} else if (fast_is_int(&ids[i])) {
			char num[32];
			size_t n = ids[i].n < sizeof num ? ids[i].n : sizeof num - 1;

			memcpy(num, ids[i].p, n);
			num[n] = '\0';
			snprintf(idbuf, sizeof idbuf, "%lld", strtoll(num, NULL, 10));
			agrp_buf_json_string(&im->trace_json, idbuf);
			found = true;
		}
	}
	if (!found) {
		const char *src = strcmp(im->source, "-") ? im->source : "stdin";
		json_t *j;

		if (im->line > 0)
			snprintf(idbuf, sizeof idbuf, "%s:%ld", src, im->line);
		else if (im->doc_runs > 1)
			snprintf(idbuf, sizeof idbuf, "%s#%ld", src, im->runs);
		else
			snprintf(idbuf, sizeof idbuf, "%s", src);
		/* json_string() refuses what is not UTF-8 (a file's name may
		 * be anything): then agrp_import_put() writes no trace */
		j = json_string(idbuf);
		im->has_trace = j != NULL;
		if (j != NULL)
			agrp_buf_json(&im->trace_json, j);
		json_decref(j);
	}
	im->run_json.n = 0;
	if (run->type == 'o')
		fast_without(im, FAST_RUN, &im->run_json, run, taken, ntaken, true);
}

/* outcome(), on bytes */
static const char *
fast_outcome(importer *im, const agrp_span *run)
{
	static const char *const keys[] = { "reward",  "outcome",  "status", "result",
		                            "success", "resolved", "solved", "correct" };
	agrp_span v[N(keys)];
	char w[64];

	fast_fields(im, FAST_RUN, run, keys, N(keys), v);
	if (v[0].type == 'n') {
		char num[64];
		size_t n = v[0].n < sizeof num ? v[0].n : 0;
		double x;

		if (n == 0) { /* a number of 64 digits and more */
			char *big = agrp_xmalloc(v[0].n + 1);

			memcpy(big, v[0].p, v[0].n);
			big[v[0].n] = '\0';
			x = strtod(big, NULL);
			free(big);
		} else {
			memcpy(num, v[0].p, n);
			num[n] = '\0';
			x = fast_is_int(&v[0]) ? (double)strtoll(num, NULL, 10) : strtod(num, NULL);
		}
		return x > 0 ? "success" : "failure";
	}
	for (size_t i = 1; i <= 3; i++) {
		const char *s = fast_cstr(&v[i], w, sizeof w);

		if (s == NULL)
			continue;
		if (outcome_word(s) != NULL)
			return outcome_word(s);
	}
	for (size_t i = 4; i < N(keys); i++)
		if (v[i].type == 't' || v[i].type == 'f')
			return v[i].type == 't' ? "success" : "failure";
	return NULL;
}

typedef struct fast_call {
	size_t id, id_len;     /* its decoded id in importer.ids; id_len SIZE_MAX: none */
	agrp_span tool;        /* FAST_ABSENT: none */
	bool legacy;           /* a function_call: answered by its name */
	size_t name, name_len; /* legacy: its decoded name in importer.ids */
} fast_call;

/* Appends the decoded string s to importer.ids: where it is, and its length. */
static size_t
fast_keep(importer *im, const agrp_span *s, size_t *len)
{
	size_t at = im->ids.n;

	agrp_grow(&im->ids.p, &im->ids.cap, im->ids.n + s->n + 4, 1);
	*len = agrp_span_decode(s, im->ids.p + im->ids.n, s->n + 4);
	im->ids.n += *len;
	return at;
}

/* arguments, a JSON text in a string: parsed, or kept and flagged */
static void
fast_args(importer *im, agrp_buf *b, const agrp_span *args)
{
	agrp_span v;
	size_t n;

	agrp_grow(&im->tmp.p, &im->tmp.cap, args->n + 4, 1);
	n = agrp_span_decode(args, im->tmp.p, args->n + 4);
	if (agrp_scan_value(im->tmp.p, n, &v)) {
		agrp_buf_str(b, ",\"args\":");
		agrp_buf_json_span(b, v.p, v.n);
		return;
	}
	/* Refused (a mistake, or duplicate keys, which jansson takes here
	 * as the last one's value in the first one's place): jansson's way. */
	json_error_t e;
	json_t *parsed = json_loadb(im->tmp.p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	agrp_buf_str(b, ",\"args\":");
	if (parsed != NULL) {
		agrp_buf_json(b, parsed);
	} else {
		json_t *text = json_string(e.text);

		agrp_buf_json_span(b, args->p, args->n);
		if (text != NULL) {
			agrp_buf_str(b, ",\"args_error\":");
			agrp_buf_json(b, text);
		}
		json_decref(text);
	}
	json_decref(parsed);
}

/* openai_call(), on bytes; msg_src is the message's other fields, or NULL */
static void
fast_call_rec(importer *im, const agrp_span *tc, bool legacy, const agrp_span *role,
              const agrp_buf *msg_src, fast_call **open, size_t *nopen, size_t *cap)
{
	static const char *const tc_keys[] = { "id", "function" };
	static const char *const fn_keys[] = { "name", "arguments" };
	const char *const *own = legacy ? fn_keys : tc_keys; /* the call's fields not in src */
	agrp_span t[2], f[2] = { { .type = FAST_ABSENT }, { .type = FAST_ABSENT } };
	long step = im->step;
	agrp_buf *b = fast_begin(im, "call");
	fast_call c = { 0, SIZE_MAX, { .type = FAST_ABSENT }, legacy, 0, 0 };
	size_t mark, written = 0;
	bool message_put = false;
	const fast_obj *tcl;

	if (legacy) {
		/* the function is the call, and its id is made from its step */
		t[0].type = t[1].type = FAST_ABSENT;
		fast_fields(im, FAST_CALL, tc, fn_keys, 2, f);
	} else {
		fast_fields(im, FAST_CALL, tc, tc_keys, 2, t);
	}
	tcl = fast_list(im, FAST_CALL, tc);
	if (t[1].type == 'o')
		fast_fields(im, FAST_FN, &t[1], fn_keys, 2, f);
	if (role->type == 's')
		fast_put(b, ",\"agent\":", role);
	else
		agrp_buf_str(b, ",\"agent\":\"assistant\"");
	if (f[0].type == 's') {
		fast_put(b, ",\"tool\":", &f[0]);
		c.tool = f[0];
	}
	if (t[0].type == 's') {
		fast_put(b, ",\"id\":", &t[0]);
		c.id = fast_keep(im, &t[0], &c.id_len);
	} else if (legacy) {
		char made[48];
		int n = snprintf(made, sizeof made, "function_call:%ld", step);

		agrp_buf_str(b, ",\"id\":\"");
		agrp_buf_add(b, made, (size_t)n);
		agrp_buf_add(b, "\"", 1);
		c.id = im->ids.n;
		c.id_len = (size_t)n;
		agrp_buf_add(&im->ids, made, (size_t)n);
		if (f[0].type == 's')
			c.name = fast_keep(im, &f[0], &c.name_len);
	}
	if (f[1].type == 's')
		fast_args(im, b, &f[1]);
	else if (f[1].type != FAST_ABSENT)
		fast_put(b, ",\"args\":", &f[1]);
	/* src: the call's other fields; its function's other fields appended;
	 * the message's fields under "message", in the place of a "message"
	 * of the call's own (json_object_set keeps a key where it is) */
	mark = b->n;
	agrp_buf_str(b, ",\"src\":{");
	for (size_t j = 0; j < tcl->n; j++) {
		const agrp_span *k = &tcl->f[j].key, *v = &tcl->f[j].val;

		if (agrp_span_key_is(k, own[0], strlen(own[0])) ||
		    agrp_span_key_is(k, own[1], strlen(own[1])))
			continue;
		if (written++ > 0)
			agrp_buf_add(b, ",", 1);
		agrp_buf_json_span(b, k->p, k->n);
		agrp_buf_add(b, ":", 1);
		if (msg_src != NULL && agrp_span_key_is(k, "message", 7)) {
			agrp_buf_add(b, msg_src->p, msg_src->n);
			message_put = true;
		} else {
			agrp_buf_json_span(b, v->p, v->n);
		}
	}
	if (t[1].type == 'o') {
		size_t fmark = b->n;

		agrp_buf_str(b, written > 0 ? ",\"function\":{" : "\"function\":{");
		if (fast_without(im, FAST_FN, b, &t[1], fn_keys, 2, true) > 0) {
			agrp_buf_add(b, "}", 1);
			written++;
		} else {
			b->n = fmark;
		}
	}
	if (msg_src != NULL && !message_put) {
		agrp_buf_str(b, written > 0 ? ",\"message\":" : "\"message\":");
		agrp_buf_add(b, msg_src->p, msg_src->n);
		written++;
	}
	if (written > 0)
		agrp_buf_add(b, "}", 1);
	else
		b->n = mark;
	b->p[b->n] = '\0';
	fast_end(im);
	if (*nopen == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*open = agrp_xrealloc(*open, *cap * sizeof **open);
	}
	(*open)[(*nopen)++] = c;
}

/* openai_result(), on bytes; legacy for a function reply */
static void
fast_result(importer *im, const agrp_span *msg, bool legacy, fast_call *open, size_t *nopen)
{
	static const char *const keys[] = { "tool_call_id", "content", "name" };
	static const char *const taken[] = { "role", "content", "tool_call_id" };
	agrp_span f[3];
	agrp_buf *b;
	size_t i = *nopen, n = 0;
	char small[256], *id = small;

	fast_fields(im, FAST_MSG, msg, keys, 3, f);
	if (f[0].type == 's') {
		if (f[0].n + 4 > sizeof small)
			id = agrp_xmalloc(f[0].n + 4);
		n = agrp_span_decode(&f[0], id, f[0].n + 4);
	}
	b = fast_begin(im, "result");
	/* answered_call(): the nearest open call of that id; without one, a
	 * function reply answers the latest function_call of its name */
	if (f[0].type != 's' && legacy && f[2].type == 's') {
		if (f[2].n + 4 > sizeof small)
			id = agrp_xmalloc(f[2].n + 4);
		n = agrp_span_decode(&f[2], id, f[2].n + 4);
	}
	while (f[0].type == 's' && i-- > 0)
		if (open[i].id_len == n && memcmp(im->ids.p + open[i].id, id, n) == 0)
			break;
	while (f[0].type != 's' && legacy && i-- > 0)
		if (open[i].legacy &&
		    (f[2].type != 's' || (open[i].tool.type == 's' && open[i].name_len == n &&
		                          memcmp(im->ids.p + open[i].name, id, n) == 0)))
			break;
	if ((f[0].type == 's' || legacy) && i < *nopen) {
		if (open[i].tool.type != FAST_ABSENT)
			fast_put(b, ",\"tool\":", &open[i].tool);
		if (f[0].type != 's') {
			agrp_buf_str(b, ",\"call\":\"");
			agrp_buf_add(b, im->ids.p + open[i].id, open[i].id_len);
			agrp_buf_add(b, "\"", 1);
		}
		memmove(&open[i], &open[i + 1], (*nopen - i - 1) * sizeof *open);
		(*nopen)--;
	} else {
		agrp_buf_str(b, ",\"unpaired\":true");
		if (f[2].type == 's')
			fast_put(b, ",\"tool\":", &f[2]);
	}
	if (f[0].type == 's')
		fast_put(b, ",\"call\":", &f[0]);
	agrp_buf_str(b, ",\"status\":\"ok\"");
	if (f[1].type != FAST_ABSENT)
		fast_put(b, ",\"output\":", &f[1]);
	fast_src(im, FAST_MSG, b, msg, taken, N(taken));
	fast_end(im);
	if (id != small)
		free(id);
}

/* agrp_openai_run(), on bytes */
static void
fast_run(importer *im, const agrp_span *run)
{
	const agrp_chat_form *form = &openai_form;
	static const char *const msg_keys[] = { "role", "content", "name", "tool_calls",
		                                "function_call" };
	agrp_span msgs = *run, m;
	fast_call *open = NULL;
	size_t nopen = 0, cap = 0, cursor = 0, i = 0;
	const char *end;

	if (run->type != 'a') {
		msgs = fast_get(im, FAST_RUN, run, form->lists[0]);
		if (msgs.type == FAST_ABSENT)
			msgs = fast_get(im, FAST_RUN, run, form->lists[1]);
	}
	if (msgs.type != 'a') {
		agrp_import_report(im, im->line, 1, "%s", form->no_list);
		return;
	}
	fast_begin_run(im, run, form->run_taken, keys_n(form->run_taken, N(form->run_taken)),
	               form->id_keys, keys_n(form->id_keys, N(form->id_keys)));
	im->ids.n = 0;
	for (; fast_item(im, FAST_MSG, &msgs, &cursor, &m); i++) {
		agrp_span f[5], *calls = &f[3], *fc = &f[4], one = { .type = FAST_ABSENT };
		const char *role, *why = NULL;
		const char *taken[5] = { "role", "content", "name" };
		char rbuf[16];
		size_t ncalls = 0, cc = 0, ntaken = 3;
		agrp_buf *b;

		if (m.type != 'o') {
			b = fast_begin(im, "message");
			fast_put(b, ",\"src\":", &m);
			fast_end(im);
			continue;
		}
		fast_fields(im, FAST_MSG, &m, msg_keys, N(msg_keys), f);
		role = fast_cstr(&f[0], rbuf, sizeof rbuf);
		if (role != NULL && (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0)) {
			fast_result(im, &m, strcmp(role, "function") == 0, open, &nopen);
			continue;
		}
		/* tool_calls(): a list of objects, or one call object */
		if (calls->type == 'o') {
			if (fast_get(im, FAST_CALL, calls, "function").type == 'o') {
				one = *calls;
				ncalls = 1;
			} else {
				why = "an object without a \"function\"";
			}
		} else if (calls->type == 'a') {
			agrp_span tc, kk;

			while (agrp_span_next(calls, &cc, &kk, &tc)) {
				ncalls++;
				if (tc.type != 'o')
					why = "a list with an item that is not an object";
			}
			if (why != NULL)
				ncalls = 0;
		} else if (calls->type == 's') {
			why = "a string";
		} else if (calls->type == 'n') {
			why = "a number";
		} else if (calls->type == 't' || calls->type == 'f') {
			why = "a boolean";
		}
		if (why != NULL)
			bad_tool_calls(im, i, why);
		else
			taken[ntaken++] = "tool_calls";
		if (fc->type == 'o') /* else not a call: kept under src */
			taken[ntaken++] = "function_call";
		bool quiet = f[1].type == FAST_ABSENT || f[1].type == '0' ||
		             (f[1].type == 's' && f[1].n == 2);
		const agrp_buf *msg_src = NULL;

		if (!quiet || ncalls + (fc->type == 'o') == 0) {
			b = fast_begin(im, "message");
			if (f[0].type == 's')
				fast_put(b, ",\"from\":", &f[0]);
			if (f[2].type == 's')
				fast_put(b, ",\"agent\":", &f[2]);
			if (f[1].type != FAST_ABSENT)
				fast_put(b, ",\"content\":", &f[1]);
			fast_src(im, FAST_MSG, b, &m, taken, ntaken);
			fast_end(im);
		} else {
			/* no message of its own: its other fields go with its first call */
			agrp_buf *s = &im->msg_src;

			s->n = 0;
			agrp_buf_add(s, "{", 1);
			size_t w = fast_without(im, FAST_MSG, s, &m, taken, ntaken, true);

			if (f[2].type == 's') {
				agrp_buf_str(s, w > 0 ? ",\"name\":" : "\"name\":");
				agrp_buf_json_span(s, f[2].p, f[2].n);
				w++;
			}
			agrp_buf_add(s, "}", 1);
			msg_src = w > 0 ? s : NULL;
		}
		if (ncalls > 0) {
			agrp_span tc, kk;

			if (one.type == 'o') {
				fast_call_rec(im, &one, false, &f[0], msg_src, &open, &nopen, &cap);
				msg_src = NULL;
			} else {
				for (cc = 0; agrp_span_next(calls, &cc, &kk, &tc);) {
					fast_call_rec(im, &tc, false, &f[0], msg_src, &open, &nopen,
					              &cap);
					msg_src = NULL;
				}
			}
		}
		if (fc->type == 'o')
			fast_call_rec(im, fc, true, &f[0], msg_src, &open, &nopen, &cap);
	}
	free(open);
	if (run->type == 'o' && (end = fast_outcome(im, run)) != NULL) {
		agrp_buf *b = fast_begin(im, "final");

		agrp_buf_str(b, ",\"status\":\"");
		agrp_buf_str(b, end);
		agrp_buf_add(b, "\"", 1);
		fast_end(im);
	}
}

/* convert() for openai, on the bytes of a value the scanner passed */
void
agrp_openai_convert(importer *im, const agrp_span *doc, bool whole)
{
	size_t cursor = 0, n = 0;
	agrp_span k, x, first = { .type = FAST_ABSENT };
	bool by_role;

	/* the first item, and how many when they are runs */
	if (doc->type == 'a')
		while ((n == 0 || whole) && agrp_span_next(doc, &cursor, &k, &x))
			if (n++ == 0)
				first = x;
	/* json_object_get(json_array_get(doc, 0), "role") != NULL */
	by_role = first.type == 'o' && fast_get(im, FAST_MSG, &first, "role").type != FAST_ABSENT;
	im->doc_runs = whole && doc->type == 'a' ? (long)n : 1;
	if (doc->type == 'a' && by_role)
		im->doc_runs = 1; /* a list of messages: one run */
	if (whole && doc->type == 'a' && n > 0 && !by_role) {
		for (cursor = 0; agrp_span_next(doc, &cursor, &k, &x);)
			fast_run(im, &x);
	} else {
		fast_run(im, doc);
	}
}

/* The value in s when it is a JSON object or array the scanner passes,
 * to be converted in place.  An object's scan lists its fields on the
 * way: the run's list, made without another pass. */
bool
agrp_openai_scan(importer *im, const char *format, const char *s, size_t n, agrp_span *out)
{
	const char *p = s, *end = s + n;
	fast_obj *run;

	if (strcmp(format, "openai") != 0 || agrp_reference())
		return false;
	if (im->lists == NULL)
		im->lists = agrp_xcalloc(FAST_LEVELS, sizeof *im->lists);
	/* the lists are of the last input read, perhaps where this one is */
	for (int i = 0; i < FAST_LEVELS; i++)
		im->lists[i].p = NULL;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p < end && *p == '{') {
		bool notable;
		long col;
		const char *msg;

		run = &im->lists[FAST_RUN];
		if (!agrp_scan_record(s, n, &run->f, &run->n, &run->cap, &notable, &col, &msg))
			return false;
		while (end > p &&
		       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
			end--;
		*out = (agrp_span){ p, (size_t)(end - p), 'o', false };
		run->p = p;
		return true;
	}
	return agrp_scan_value(s, n, out) && out->type == 'a';
}

void
agrp_openai_free(importer *im)
{
	free(im->trace_json.p);
	free(im->run_json.p);
	free(im->msg_src.p);
	free(im->ids.p);
	free(im->tmp.p);
	for (int i = 0; im->lists != NULL && i < FAST_LEVELS; i++)
		free(im->lists[i].f);
	free(im->lists);
}
