/*
 * otel_chat.c - the writing of a trace's records, which every kind of span
 * shares, and a chat span's messages as records: the input new to the
 * trace at the span's start, the output at its end, each tool call a call
 * (or, when a tool span runs it, that span's call: one call, not two) and
 * each tool response a result (or nothing, when a tool span gave it).
 */
#include <stdlib.h>
#include <string.h>

#include "interop/otel_int.h"

/* ---- what the records of every kind of span share ------------------------ */

void
agrp_otel_add_pending(agrp_otel_pending **p, size_t *n, size_t *cap, agrp_otel_pending x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*p = agrp_xrealloc(*p, *cap * sizeof **p);
	}
	x.order = *n;
	(*p)[(*n)++] = x;
}

bool
agrp_otel_is_root(const json_t *span)
{
	const json_t *parent = json_object_get(span, "parentSpanId");

	return parent == NULL || json_is_null(parent) ||
	       (json_is_string(parent) && json_string_length(parent) == 0);
}

json_t *
agrp_otel_put(agrp_otel_trace *c, const agrp_otel_span *s, unsigned long long t, int rank,
              json_t *rec)
{
	json_t *src = json_incref(json_object_get(rec, "src"));

	/* ts before src, which is the longest: as the records were before */
	json_object_set_new(rec, "ts", json_real((double)t / 1e9));
	if (src != NULL) {
		json_object_del(rec, "src");
		json_object_set_new(rec, "src", src);
	}
	agrp_otel_add_pending(
	    c->p, c->np, c->cap,
	    (agrp_otel_pending){ .t = t, .rank = rank, .step = -1, .trace = s->trace, .rec = rec });
	return rec;
}

/* The span but its attributes, and the attributes not in used. */
json_t *
agrp_otel_span_src(const json_t *span, const json_t *attrs, const json_t *used)
{
	static const char *const taken[] = { "attributes", "$line" };
	json_t *src = agrp_json_without(span, taken, N(taken)), *left = json_deep_copy(attrs);
	const char *key;
	json_t *v;

	if (src == NULL)
		src = json_object();
	json_object_foreach((json_t *)used, key, v) json_object_del(left, key);
	if (json_object_size(left) > 0)
		json_object_set_new(src, "attributes", left);
	else
		json_decref(left);
	return src;
}

/* The span s names as its parent, or NULL. */
static agrp_otel_span *
parent_of(const agrp_otel_trace *c, const agrp_otel_span *s)
{
	const json_t *parent = json_object_get(s->span, "parentSpanId");
	const json_t *i;

	if (agrp_otel_is_root(s->span) || !json_is_string(parent))
		return NULL;
	i = json_object_getn(c->by_id, json_string_value(parent), json_string_length(parent));
	return i ? &c->s[json_integer_value(i)] : NULL;
}

/* The agent of the nearest span above s that names one.  What each span
 * gives its children is kept, so that a chain of spans is walked once, not
 * once for each of its spans; a cycle of parents names none. */
static const json_t *
inherited_agent(const agrp_otel_trace *c, const agrp_otel_span *s)
{
	const json_t *agent = NULL;
	const agrp_otel_span *x;
	agrp_otel_span *p;

	for (x = s; (p = parent_of(c, x)) != NULL; x = p) {
		if (p->agent_state == 2)
			agent = p->agent;
		else if (p->agent_state == 0 &&
		         (agent = agrp_otel_agent_name(p->attrs, NULL)) != NULL)
			p->agent_state = 2, p->agent = agent;
		if (p->agent_state != 0)
			break; /* known, or a cycle back to a span being looked for */
		p->agent_state = 1;
	}
	for (x = s; (p = parent_of(c, x)) != NULL && p->agent_state == 1; x = p)
		p->agent_state = 2, p->agent = agent;
	return agent;
}

const json_t *
agrp_otel_agent_of(const agrp_otel_trace *c, const agrp_otel_span *s, json_t *used)
{
	const json_t *agent = agrp_otel_agent_name(s->attrs, used);

	return agent != NULL ? agent : inherited_agent(c, s);
}

bool
agrp_otel_same(const json_t *a, const json_t *b)
{
	return json_is_string(a) && json_is_string(b) && agrp_import_str_cmp(a, b) == 0;
}

/* Arguments as a call holds them: a JSON string parsed, anything else
 * (a string that is not JSON too) as it is. */
void
agrp_otel_set_args(json_t *call, const json_t *args)
{
	json_t *parsed = json_is_string(args) ? agrp_import_parse_string(args, NULL) : NULL;

	if (args != NULL)
		json_object_set_new(call, "args", parsed ? parsed : json_incref((json_t *)args));
}

/* ---- chat spans ------------------------------------------------------------ */

/* Adds span i to the list of key in index (key: its place in c->tools). */
static void
add_tool(agrp_otel_trace *c, json_t *index, const json_t *key, size_t i)
{
	const json_t *at = json_object_getn(index, json_string_value(key), json_string_length(key));
	agrp_otel_tools *l;

	if (at == NULL) {
		c->tools = agrp_xrealloc(c->tools, (c->ntools + 1) * sizeof *c->tools);
		c->tools[c->ntools] = (agrp_otel_tools){ 0 };
		json_object_setn_new(index, json_string_value(key), json_string_length(key),
		                     json_integer((json_int_t)c->ntools));
		l = &c->tools[c->ntools++];
	} else {
		l = &c->tools[json_integer_value(at)];
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->at = agrp_xrealloc(l->at, l->cap * sizeof *l->at);
		l->skip = agrp_xrealloc(l->skip, l->cap * sizeof *l->skip);
	}
	l->skip[l->n] = l->n + 1;
	l->at[l->n++] = i;
}

/* Looked up by id or name, not by a walk over every span for each call:
 * a long run's thousands of calls would take time quadratic in them. */
void
agrp_otel_index_tools(agrp_otel_trace *c)
{
	c->by_call_id = json_object();
	c->by_tool_name = json_object();
	c->ran = json_object();
	for (size_t i = 0; i < c->n; i++) {
		const json_t *id = agrp_otel_tool_id(c->s[i].attrs, NULL);
		const json_t *name = agrp_otel_tool_name(c->s[i].attrs, NULL);

		if (c->s[i].kind != AGRP_OTEL_TOOL || c->s[i].again)
			continue;
		if (id != NULL) {
			add_tool(c, c->by_call_id, id, i);
			json_object_setn(c->ran, json_string_value(id), json_string_length(id),
			                 json_true());
		} else if (name != NULL) {
			add_tool(c, c->by_tool_name, name, i);
		}
	}
}

void
agrp_otel_free_tools(agrp_otel_trace *c)
{
	for (size_t i = 0; i < c->ntools; i++) {
		free(c->tools[i].at);
		free(c->tools[i].skip);
	}
	free(c->tools);
	json_decref(c->by_call_id);
	json_decref(c->by_tool_name);
	json_decref(c->ran);
}

static agrp_otel_tools *
tools_of(const agrp_otel_trace *c, const json_t *index, const json_t *key)
{
	const json_t *at =
	    key ? json_object_getn(index, json_string_value(key), json_string_length(key)) : NULL;

	return at ? &c->tools[json_integer_value(at)] : NULL;
}

/* The first position of l, from k, whose span no call claimed; or l->n. */
static size_t
unclaimed(const agrp_otel_trace *c, agrp_otel_tools *l, size_t k)
{
	size_t r = k, next;

	while (r < l->n && c->s[l->at[r]].claimed)
		r = l->skip[r];
	for (; k < r; k = next) { /* the claimed passed over once */
		next = l->skip[k];
		l->skip[k] = r;
	}
	return r;
}

/* The first position of l whose span starts at t or after. */
static size_t
starting_from(const agrp_otel_trace *c, const agrp_otel_tools *l, unsigned long long t)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->s[l->at[mid]].t0 < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The tool span that runs a chat's tool call at time t: one of its id,
 * else one that names no id, of its name, the first unclaimed to start
 * from t.  Ids recur (some models count from call_0 each turn): a call
 * of the output takes the first span of its id no call claimed, from t
 * if there is one; a call of the input (the history, made before) the
 * last to start before t, else the first. */
static agrp_otel_span *
tool_span_for(agrp_otel_trace *c, const json_t *id, const json_t *name, unsigned long long t,
              bool output)
{
	agrp_otel_tools *l = tools_of(c, c->by_call_id, id);
	size_t k;

	if (l != NULL && output) {
		if ((k = unclaimed(c, l, starting_from(c, l, t))) < l->n ||
		    (k = unclaimed(c, l, 0)) < l->n)
			return &c->s[l->at[k]];
	} else if (l != NULL) {
		k = starting_from(c, l, t);
		return &c->s[l->at[k > 0 ? k - 1 : 0]];
	}
	if ((l = tools_of(c, c->by_tool_name, name)) != NULL &&
	    (k = unclaimed(c, l, starting_from(c, l, t))) < l->n)
		return &c->s[l->at[k]];
	return NULL;
}

/* Whether a tool span of the trace gives the result of call id. */
static bool
run_by_span(const agrp_otel_trace *c, const json_t *id)
{
	return json_object_getn(c->ran, json_string_value(id), json_string_length(id)) != NULL;
}

/* A tool call of a chat's message: a call, unless a tool span runs it. */
static json_t *
chat_call(agrp_otel_trace *c, agrp_otel_span *s, const json_t *agent, const json_t *part,
          unsigned long long t, bool output)
{
	const json_t *id = agr_json_str(part, "id") ? json_object_get(part, "id") : NULL;
	const json_t *name = agr_json_str(part, "name") ? json_object_get(part, "name") : NULL;
	agrp_otel_span *run = tool_span_for(c, id, name, t, output);
	json_t *call;

	/* a call of the history given to the model is one already made: ids
	 * recur in new output (some models count from call_0 each turn) */
	if (!output && id != NULL &&
	    json_object_getn(c->calls, json_string_value(id), json_string_length(id)) != NULL)
		return NULL;
	if (!output && run == NULL && id != NULL && run_by_span(c, id))
		return NULL;
	if (run != NULL) {
		if (!run->claimed) {
			run->claimed = true;
			run->claim_id = id ? json_incref((json_t *)id) : NULL;
			run->claim_args = json_incref(json_object_get(part, "arguments"));
			if (id != NULL)
				json_object_setn(c->ran, json_string_value(id),
				                 json_string_length(id), json_true());
		}
		return NULL;
	}
	call = json_object();
	json_object_set_new(call, "kind", json_string("call"));
	if (agent != NULL)
		json_object_set(call, "agent", (json_t *)agent);
	json_object_set_new(call, "tool", name ? json_incref((json_t *)name) : json_string("?"));
	if (id != NULL) {
		json_object_set(call, "id", (json_t *)id);
		json_object_setn(c->calls, json_string_value(id), json_string_length(id),
		                 json_object_get(call, "tool"));
	}
	agrp_otel_set_args(call, json_object_get(part, "arguments"));
	if ((id == NULL && json_object_get(part, "id") != NULL) ||
	    (name == NULL && json_object_get(part, "name") != NULL)) /* not strings: kept */
		json_object_set_new(call, "src", json_pack("{s:O}", "tool_call", part));
	return agrp_otel_put(c, s, t, 0, call);
}

/* A tool call's response in a chat's message: a result, unless a tool
 * span gives it; unpaired when no call of its id came before. */
static json_t *
chat_result(agrp_otel_trace *c, agrp_otel_span *s, const json_t *part, unsigned long long t)
{
	const json_t *id = agr_json_str(part, "id") ? json_object_get(part, "id") : NULL;
	const json_t *tool =
	    id ? json_object_getn(c->calls, json_string_value(id), json_string_length(id)) : NULL;
	json_t *res;

	if (id != NULL && run_by_span(c, id))
		return NULL;
	res = json_object();
	json_object_set_new(res, "kind", json_string("result"));
	if (tool != NULL)
		json_object_set(res, "tool", (json_t *)tool);
	if (id != NULL)
		json_object_set(res, "call", (json_t *)id);
	json_object_set_new(res, "status", json_string("ok"));
	if (json_object_get(part, "response") != NULL)
		json_object_set(res, "output", json_object_get(part, "response"));
	if (tool == NULL)
		json_object_set_new(res, "unpaired", json_true());
	if (id == NULL && json_object_get(part, "id") != NULL) /* not a string: kept */
		json_object_set_new(res, "src", json_pack("{s:O}", "tool_call_response", part));
	return agrp_otel_put(c, s, t, 0, res);
}

static bool
part_is(const json_t *part, const char *type)
{
	return strcmp(agr_json_str(part, "type") ? agr_json_str(part, "type") : "", type) == 0;
}

/* The text of a message's text parts (a new reference), the parts joined
 * by newlines; NULL when it has none. */
static json_t *
message_text(const json_t *parts)
{
	agrp_buf b = { 0 };
	size_t i, texts = 0;
	json_t *part, *one = NULL, *text;

	json_array_foreach(parts, i, part)
	{
		if (!part_is(part, "text") || !json_is_string(json_object_get(part, "content")))
			continue;
		if (texts++ > 0)
			agrp_buf_add(&b, "\n", 1);
		one = json_object_get(part, "content");
		agrp_buf_add(&b, json_string_value(one), json_string_length(one));
	}
	if (texts <= 1) {
		free(b.p);
		return one ? json_incref(one) : NULL;
	}
	text = json_stringn_nocheck(b.p, b.n);
	free(b.p);
	return text;
}

/* One message of a chat, at time t: a message record (an output message
 * always; an input one unless it holds only tool calls and responses),
 * then its tool calls and responses.  The first record made, or NULL. */
static json_t *
chat_message(agrp_otel_trace *c, agrp_otel_span *s, const json_t *agent, const json_t *m,
             unsigned long long t, bool output)
{
	const json_t *parts = json_object_get(m, "parts");
	json_t *text = message_text(parts), *others = json_array(), *first = NULL, *part;
	static const char *const mapped[] = { "role", "parts", "content_error" };
	json_t *fields = agrp_json_without(m, mapped, N(mapped));
	size_t i, tools = 0;

	/* a role that is no string, and parts that are no list, are not
	 * mapped: kept as they are */
	if (json_object_get(m, "role") != NULL && !json_is_string(json_object_get(m, "role"))) {
		if (fields == NULL)
			fields = json_object();
		json_object_set(fields, "role", json_object_get(m, "role"));
	}
	if (parts != NULL && !json_is_array(parts)) {
		if (fields == NULL)
			fields = json_object();
		json_object_set(fields, "parts", (json_t *)parts);
	}

	json_array_foreach(parts, i, part)
	{
		if (part_is(part, "tool_call") || part_is(part, "tool_call_response"))
			tools++;
		else if (!(part_is(part, "text") &&
		           json_is_string(json_object_get(part, "content"))))
			json_array_append(others, part);
	}
	if (json_array_size(others) > 0) {
		if (fields == NULL)
			fields = json_object();
		json_object_set(fields, "parts", others);
	}
	if (output || text != NULL || fields != NULL || tools == 0) {
		json_t *msg = json_object();

		json_object_set_new(msg, "kind", json_string("message"));
		agrp_import_set_whole(msg, "from", m, "role");
		if (agent != NULL)
			json_object_set(msg, "agent", (json_t *)agent);
		if (text != NULL)
			json_object_set(msg, "content", text);
		if (json_object_get(m, "content_error") != NULL)
			json_object_set(msg, "content_error", json_object_get(m, "content_error"));
		if (fields != NULL)
			json_object_set_new(msg, "src", json_pack("{s:O}", "message", fields));
		first = agrp_otel_put(c, s, t, 0, msg);
	}
	json_array_foreach(parts, i, part)
	{
		json_t *r = part_is(part, "tool_call") ? chat_call(c, s, agent, part, t, output)
		            : part_is(part, "tool_call_response") ? chat_result(c, s, part, t)
		                                                  : NULL;

		if (first == NULL)
			first = r;
	}
	json_decref(text);
	json_decref(others);
	json_decref(fields);
	return first;
}

/*
 * The history that each request repeats, written once: every chat's
 * messages, input then output, go into a tree of prefixes (edges "node:message"
 * to the next node, in one flat object, so that no depth of it recurses), and
 * a chat's input is new from where its path leaves the tree.  A message is
 * its role and parts: what only an output says (its finish_reason) differs.
 */
static void
message_key(agrp_buf *b, json_int_t node, const json_t *m)
{
	json_t *x = json_pack("{s:O*, s:O*}", "role", json_object_get(m, "role"), "parts",
	                      json_object_get(m, "parts"));
	char n[32];

	snprintf(n, sizeof n, "%lld:", (long long)node);
	b->n = 0;
	agrp_buf_add(b, n, strlen(n));
	agrp_buf_json(b, x);
	json_decref(x);
}

/* How many of the messages, from the first, an earlier chat had. */
static size_t
seen_before(agrp_otel_trace *c, const json_t *msgs, agrp_buf *b)
{
	json_int_t node = 0;
	size_t k;

	for (k = 0; k < json_array_size(msgs); k++) {
		const json_t *next;

		message_key(b, node, json_array_get(msgs, k));
		if ((next = json_object_getn(c->seen, b->p, b->n)) == NULL)
			break;
		node = json_integer_value(next);
	}
	return k;
}

static void
remember(agrp_otel_trace *c, const json_t *inputs, const json_t *outputs, agrp_buf *b)
{
	json_int_t node = 0;

	for (size_t k = 0; k < json_array_size(inputs) + json_array_size(outputs); k++) {
		const json_t *m = k < json_array_size(inputs)
		                      ? json_array_get(inputs, k)
		                      : json_array_get(outputs, k - json_array_size(inputs));
		const json_t *next;

		message_key(b, node, m);
		if ((next = json_object_getn(c->seen, b->p, b->n)) == NULL) {
			next = json_integer((json_int_t)++c->nodes);
			json_object_setn_new(c->seen, b->p, b->n, (json_t *)next);
		}
		node = json_integer_value(next);
	}
}

/* A chat span's messages: the new input at its start, the output at its
 * end; its own fields and attributes go under the src of the first
 * record of its output (or else of its input).  False when it has none. */
bool
agrp_otel_chat_span(agrp_otel_trace *c, agrp_otel_span *s, json_t *used)
{
	json_t *inputs = agrp_otel_messages(s->span, s->attrs, false, used);
	json_t *outputs = agrp_otel_messages(s->span, s->attrs, true, used);
	const json_t *agent = agrp_otel_agent_of(c, s, used);
	json_t *first_in = NULL, *first_out = NULL, *m, *target, *src;
	agrp_buf b = { 0 };
	size_t i;

	if (inputs == NULL && outputs == NULL)
		return false;
	for (i = seen_before(c, inputs, &b); i < json_array_size(inputs); i++) {
		json_t *r = chat_message(c, s, agent, json_array_get(inputs, i), s->t0, false);

		if (first_in == NULL)
			first_in = r;
	}
	json_array_foreach(outputs, i, m)
	{
		json_t *r = chat_message(c, s, agent, m, s->t1, true);

		if (first_out == NULL)
			first_out = r;
	}
	remember(c, inputs, outputs, &b);
	free(b.p);
	json_decref(inputs);
	json_decref(outputs);
	target = first_out ? first_out : first_in;
	if (target == NULL)
		return false;
	agrp_otel_kind_used(used);
	src = agrp_otel_span_src(s->span, s->attrs, used);
	if (json_object_get(target, "src") != NULL)
		json_object_update(src, json_object_get(target, "src"));
	json_object_set_new(target, "src", src);
	return true;
}
