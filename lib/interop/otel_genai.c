/*
 * otel_genai.c - what a span's attributes say about an agent's work, in
 * whichever conventions wrote them: OpenTelemetry's GenAI conventions,
 * OpenInference (Arize Phoenix) or OpenLLMetry (Traceloop).  Each is
 * brought to the GenAI conventions' shape, which otel.c and otel_chat.c
 * turn into records: a kind of span, and a chat's messages as a list of
 * {role, parts: [{type: "text", content}, {type: "tool_call", id, name,
 * arguments}, {type: "tool_call_response", id, response}]}.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interop/import_int.h"

/* ---- OTLP values --------------------------------------------------------- */

static json_t *key_values(const json_t *list);

json_t *
agrp_otel_any_value(const json_t *v)
{
	const json_t *x;

	if ((x = json_object_get(v, "stringValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "boolValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "intValue")) != NULL) {
		/* int64 comes as a string in OTLP/JSON; one that is no int64 is
		 * kept as it is, not clamped or cut at its first non-digit */
		if (json_is_string(x)) {
			const char *text = json_string_value(x);
			char *end;
			long long n;

			errno = 0;
			n = strtoll(text, &end, 10);
			if (errno == 0 && end != text && *end == '\0' &&
			    !isspace((unsigned char)*text) &&
			    (size_t)(end - text) == json_string_length(x))
				return json_integer((json_int_t)n);
		}
		return json_incref((json_t *)x);
	}
	if ((x = json_object_get(v, "doubleValue")) != NULL)
		return json_incref((json_t *)x);
	if ((x = json_object_get(v, "arrayValue")) != NULL) {
		json_t *a = json_array();
		size_t i;
		json_t *e;

		json_array_foreach(json_object_get(x, "values"), i, e)
		    json_array_append_new(a, agrp_otel_any_value(e));
		return a;
	}
	if ((x = json_object_get(v, "bytesValue")) != NULL)
		return json_incref((json_t *)x); /* base64, as OTLP/JSON writes it */
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
			json_object_set_new(o, k, agrp_otel_any_value(json_object_get(a, "value")));
	}
	return o;
}

/* A span's attributes as one object. */
json_t *
agrp_otel_attributes(const json_t *span)
{
	return key_values(json_object_get(span, "attributes"));
}

static bool
is(const char *s, const char *word)
{
	return s != NULL && strcmp(s, word) == 0;
}

void
agrp_otel_mark(json_t *used, const char *key)
{
	if (used != NULL)
		json_object_set_new(used, key, json_true());
}

agrp_otel_kind
agrp_otel_span_kind(const json_t *attrs)
{
	const char *op = agr_json_str(attrs, "gen_ai.operation.name");
	const char *oi = agr_json_str(attrs, "openinference.span.kind");
	const char *tl = agr_json_str(attrs, "traceloop.span.kind");
	const char *req = agr_json_str(attrs, "llm.request.type");

	if (is(op, "execute_tool") || is(oi, "TOOL") || is(tl, "tool"))
		return AGRP_OTEL_TOOL;
	if (is(op, "chat") || is(op, "text_completion") || is(op, "generate_content") ||
	    is(oi, "LLM") || is(req, "chat") || is(req, "completion"))
		return AGRP_OTEL_CHAT;
	if (is(op, "invoke_agent") || is(op, "invoke_workflow") || is(oi, "AGENT") ||
	    is(oi, "CHAIN") || is(tl, "agent") || is(tl, "workflow"))
		return AGRP_OTEL_AGENT;
	return AGRP_OTEL_OTHER;
}

const json_t *
agrp_otel_attr(const json_t *attrs, const char *const *keys, size_t n, json_t *used)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(attrs, keys[i]);

		if (v != NULL) {
			agrp_otel_mark(used, keys[i]);
			return v;
		}
	}
	return NULL;
}

const json_t *
agrp_otel_agent_name(const json_t *attrs, json_t *used)
{
	static const char *const keys[] = { "gen_ai.agent.name", "agent.name" };
	const json_t *v = agrp_otel_attr(attrs, keys, N(keys), used);

	if (v == NULL && is(agr_json_str(attrs, "traceloop.span.kind"), "agent")) {
		v = json_object_get(attrs, "traceloop.entity.name");
		if (v != NULL)
			agrp_otel_mark(used, "traceloop.entity.name");
	}
	return json_is_string(v) ? v : NULL;
}

static const char *const tool_name_keys[] = { "gen_ai.tool.name", "tool.name",
	                                      "traceloop.entity.name" };
static const char *const tool_id_keys[] = { "gen_ai.tool.call.id", "tool.id" };
static const char *const tool_args_keys[] = { "gen_ai.tool.call.arguments", "input.value",
	                                      "traceloop.entity.input" };
static const char *const tool_result_keys[] = { "gen_ai.tool.call.result", "output.value",
	                                        "traceloop.entity.output" };
static const char *const kind_keys[] = { "gen_ai.operation.name", "openinference.span.kind",
	                                 "traceloop.span.kind", "llm.request.type" };

/* What says a span's kind, when the records it made say it instead. */
void
agrp_otel_kind_used(json_t *used)
{
	for (size_t i = 0; i < N(kind_keys); i++)
		agrp_otel_mark(used, kind_keys[i]);
}

/* A tool span's name, call id, arguments and result. */
const json_t *
agrp_otel_tool_name(const json_t *attrs, json_t *used)
{
	const json_t *v = agrp_otel_attr(attrs, tool_name_keys, N(tool_name_keys), used);

	return json_is_string(v) ? v : NULL;
}

const json_t *
agrp_otel_tool_id(const json_t *attrs, json_t *used)
{
	const json_t *v = agrp_otel_attr(attrs, tool_id_keys, N(tool_id_keys), used);

	return json_is_string(v) ? v : NULL;
}

const json_t *
agrp_otel_tool_args(const json_t *attrs, json_t *used)
{
	return agrp_otel_attr(attrs, tool_args_keys, N(tool_args_keys), used);
}

const json_t *
agrp_otel_tool_result(const json_t *attrs, json_t *used)
{
	return agrp_otel_attr(attrs, tool_result_keys, N(tool_result_keys), used);
}

/* ---- indexed attributes (OpenInference, OpenLLMetry) --------------------- */

typedef struct indexed {
	unsigned long n;
	json_t *o;
} indexed;

static int
by_index(const void *a, const void *b)
{
	const indexed *x = a, *y = b;

	return x->n < y->n ? -1 : x->n > y->n;
}

/* The keys "prefix.N.rest" of o as a list of {rest: value} objects in
 * the order of N (an index that is not a number leaves its key alone);
 * every key taken marked in used.  NULL when there are none. */
static json_t *
indexed_list(const json_t *o, const char *prefix, json_t *used)
{
	size_t plen = strlen(prefix), n = 0, cap = 0;
	indexed *v = NULL;
	const char *key;
	json_t *val, *list;

	json_object_foreach((json_t *)o, key, val)
	{
		char *end;
		unsigned long i;
		size_t k;

		if (strncmp(key, prefix, plen) != 0 || key[plen] != '.' ||
		    !(key[plen + 1] >= '0' && key[plen + 1] <= '9'))
			continue;
		i = strtoul(key + plen + 1, &end, 10);
		if (*end != '.' || end[1] == '\0')
			continue;
		agrp_otel_mark(used, key);
		/* an index's keys come together, as instrumentations write them */
		k = n > 0 && v[n - 1].n == i ? n - 1 : 0;
		for (; k < n && v[k].n != i; k++)
			;
		if (k == n) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				v = agrp_xrealloc(v, cap * sizeof *v);
			}
			v[n++] = (indexed){ i, json_object() };
		}
		json_object_set(v[k].o, end + 1, val);
	}
	if (n == 0)
		return NULL;
	qsort(v, n, sizeof *v, by_index);
	list = json_array();
	for (size_t k = 0; k < n; k++)
		json_array_append_new(list, v[k].o);
	free(v);
	return list;
}

/* How one convention spells a message's fields, relative to its index. */
typedef struct flat_form {
	const char *input, *output; /* the lists' prefixes */
	const char *role, *content, *reply_to, *calls, *parts;
	const char *call_id, *call_name, *call_args;
	const char *part_type, *part_text;
} flat_form;

static const flat_form openinference = {
	.input = "llm.input_messages",
	.output = "llm.output_messages",
	.role = "message.role",
	.content = "message.content",
	.reply_to = "message.tool_call_id",
	.calls = "message.tool_calls",
	.parts = "message.contents",
	.call_id = "tool_call.id",
	.call_name = "tool_call.function.name",
	.call_args = "tool_call.function.arguments",
	.part_type = "message_content.type",
	.part_text = "message_content.text",
};

static const flat_form openllmetry = {
	.input = "gen_ai.prompt",
	.output = "gen_ai.completion",
	.role = "role",
	.content = "content",
	.reply_to = "tool_call_id",
	.calls = "tool_calls",
	.call_id = "id",
	.call_name = "name",
	.call_args = "arguments",
};

static void
move(json_t *to, const char *to_key, json_t *from, const char *from_key)
{
	json_t *v = from_key ? json_object_get(from, from_key) : NULL;

	if (v != NULL) {
		json_object_set(to, to_key, v);
		json_object_del(from, from_key);
	}
}

/* Deletes the keys "prefix.…" of o. */
static void
drop_prefix(json_t *o, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(o, tmp, key, v)
	{
		if (strncmp(key, prefix, plen) == 0 && key[plen] == '.')
			json_object_del(o, key);
	}
}

static json_t *
text_part(const json_t *content)
{
	return json_pack("{s:s, s:O}", "type", "text", "content", content);
}

/* One flattened message (taken) in the GenAI shape; what has no place in
 * it stays, under its own key. */
static json_t *
flat_message(const flat_form *f, json_t *m)
{
	json_t *msg = json_object(), *parts = json_array(), *list, *x;
	const json_t *content = json_object_get(m, f->content);
	const json_t *reply_to = json_object_get(m, f->reply_to);
	size_t i;

	move(msg, "role", m, f->role);
	if (content != NULL && json_is_string(reply_to)) {
		json_array_append_new(parts,
		                      json_pack("{s:s, s:O, s:O}", "type", "tool_call_response",
		                                "id", reply_to, "response", content));
		json_object_del(m, f->reply_to);
	} else if (content != NULL) {
		json_array_append_new(parts, text_part(content));
	}
	json_object_del(m, f->content);
	if (f->parts != NULL && (list = indexed_list(m, f->parts, NULL)) != NULL) {
		json_array_foreach(list, i, x)
		{
			const char *type = agr_json_str(x, f->part_type);
			json_t *part = json_object();

			json_object_set_new(part, "type", json_string(type ? type : "?"));
			if (type == NULL || strcmp(type, "text") == 0)
				move(part, "content", x, f->part_text);
			json_object_del(x, f->part_type);
			json_object_update(part, x);
			json_array_append_new(parts, part);
		}
		json_decref(list);
		drop_prefix(m, f->parts);
	}
	if ((list = indexed_list(m, f->calls, NULL)) != NULL) {
		json_array_foreach(list, i, x)
		{
			json_t *part = json_pack("{s:s}", "type", "tool_call");

			move(part, "id", x, f->call_id);
			move(part, "name", x, f->call_name);
			move(part, "arguments", x, f->call_args);
			json_object_update(part, x);
			json_array_append_new(parts, part);
		}
		json_decref(list);
		drop_prefix(m, f->calls);
	}
	json_object_set_new(msg, "parts", parts);
	json_object_update_missing(msg, m);
	json_decref(m);
	return msg;
}

static json_t *
flat_messages(const flat_form *f, const json_t *attrs, bool output, json_t *used)
{
	json_t *list = indexed_list(attrs, output ? f->output : f->input, used), *out, *m;
	size_t i;

	if (list == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(list, i, m) json_array_append_new(out, flat_message(f, json_incref(m)));
	json_decref(list);
	return out;
}

/* ---- the GenAI conventions' own: JSON in a string ------------------------ */

/* A list of messages (or, for the system instructions, of parts) as the
 * attribute holds it; what is not one is kept as the text of one message
 * flagged with content_error, never dropped. */
static json_t *
json_messages(const json_t *v, bool parts_only, const char *role)
{
	json_error_t e;
	json_t *list =
	    json_is_string(v) ? agrp_import_parse_string(v, &e) : json_incref((json_t *)v);
	const char *why = list == NULL ? e.text : NULL;
	size_t i;
	json_t *x;

	if (list != NULL && !json_is_array(list))
		why = parts_only ? "not a list of parts" : "not a list of messages";
	json_array_foreach(list, i, x) if (!json_is_object(x) && why == NULL) why =
	    parts_only ? "a part that is not an object" : "a message that is not an object";
	if (why != NULL) {
		json_t *bad = json_object();

		if (role != NULL)
			json_object_set_new(bad, "role", json_string(role));
		json_object_set_new(bad, "parts", json_pack("[o]", text_part(v)));
		json_object_set_new(bad, "content_error", json_string(why));
		json_decref(list);
		return json_pack("[o]", bad);
	}
	if (parts_only) {
		json_t *msg = json_pack("{s:s, s:o}", "role", role, "parts", list);

		return json_pack("[o]", msg);
	}
	return list;
}

/* ---- the older conventions' span events ---------------------------------- */

/* A message in OpenAI's shape ({role, content, tool_calls, id}), as the
 * events' bodies have it, in the GenAI shape. */
static json_t *
event_message(const json_t *body, const char *role)
{
	json_t *msg = json_object(), *parts = json_array(), *tc;
	const json_t *content = json_object_get(body, "content");
	const json_t *id = json_object_get(body, "id");
	static const char *const mapped[] = { "role", "content", "tool_calls", "id" };
	json_t *rest = agrp_json_without(body, mapped, N(mapped));
	size_t i;

	if (agr_json_str(body, "role") != NULL)
		json_object_set(msg, "role", json_object_get(body, "role"));
	else
		json_object_set_new(msg, "role", json_string(role));
	if (content != NULL && !json_is_null(content) && strcmp(role, "tool") == 0)
		json_array_append_new(parts,
		                      json_pack("{s:s, s:O*, s:O}", "type", "tool_call_response",
		                                "id", id, "response", content));
	else if (content != NULL && !json_is_null(content))
		json_array_append_new(parts, text_part(content));
	json_array_foreach(json_object_get(body, "tool_calls"), i, tc)
	{
		const json_t *fn = json_object_get(tc, "function");

		json_array_append_new(
		    parts, json_pack("{s:s, s:O*, s:O*, s:O*}", "type", "tool_call", "id",
		                     json_object_get(tc, "id"), "name", json_object_get(fn, "name"),
		                     "arguments", json_object_get(fn, "arguments")));
	}
	json_object_set_new(msg, "parts", parts);
	if (rest != NULL)
		json_object_update_missing(msg, rest);
	json_decref(rest);
	return msg;
}

/* The messages of the span events gen_ai.{system,user,assistant,tool}.message
 * (input) or gen_ai.choice (output), their body the JSON of the attribute
 * gen_ai.event.content, or the attributes themselves; NULL if none. */
static json_t *
event_messages(const json_t *span, bool output)
{
	static const char *const roles[] = { "system", "user", "assistant", "tool" };
	json_t *list = NULL, *ev, *a;
	size_t i, j;

	json_array_foreach(json_object_get(span, "events"), i, ev)
	{
		const char *name = agr_json_str(ev, "name"), *role = NULL;
		const json_t *text;
		json_t *body = NULL, *attrs;
		char want[40];

		if (name == NULL)
			continue;
		for (size_t k = 0; !output && k < N(roles) && role == NULL; k++) {
			snprintf(want, sizeof want, "gen_ai.%s.message", roles[k]);
			if (strcmp(name, want) == 0)
				role = roles[k];
		}
		if (output && strcmp(name, "gen_ai.choice") == 0)
			role = "assistant";
		if (role == NULL)
			continue;
		attrs = json_object();
		json_array_foreach(json_object_get(ev, "attributes"), j,
		                   a) if (agr_json_str(a, "key") != NULL)
		    json_object_set_new(attrs, agr_json_str(a, "key"),
		                        agrp_otel_any_value(json_object_get(a, "value")));
		if ((text = json_object_get(attrs, "gen_ai.event.content")) != NULL)
			body = json_is_string(text) ? agrp_import_parse_string(text, NULL) : NULL;
		if (!json_is_object(body)) {
			json_decref(body);
			body = json_incref(attrs);
		}
		if (output && json_is_object(json_object_get(body, "message"))) {
			json_t *m = json_deep_copy(json_object_get(body, "message"));

			json_object_update_missing(m, body);
			json_object_del(m, "message");
			json_decref(body);
			body = m;
		}
		if (list == NULL)
			list = json_array();
		json_array_append_new(list, event_message(body, role));
		json_decref(body);
		json_decref(attrs);
	}
	return list;
}

json_t *
agrp_otel_messages(const json_t *span, const json_t *attrs, bool output, json_t *used)
{
	const char *key = output ? "gen_ai.output.messages" : "gen_ai.input.messages";
	const json_t *v = json_object_get(attrs, key);
	const json_t *sys = output ? NULL : json_object_get(attrs, "gen_ai.system_instructions");
	json_t *list;

	if (v != NULL || sys != NULL) {
		list = sys != NULL ? json_messages(sys, true, "system") : json_array();
		if (sys != NULL)
			agrp_otel_mark(used, "gen_ai.system_instructions");
		if (v != NULL) {
			json_t *more = json_messages(v, false, NULL);

			json_array_extend(list, more);
			json_decref(more);
			agrp_otel_mark(used, key);
		}
		return list;
	}
	if ((list = flat_messages(&openinference, attrs, output, used)) != NULL)
		return list;
	if ((list = flat_messages(&openllmetry, attrs, output, used)) != NULL)
		return list;
	return event_messages(span, output);
}
