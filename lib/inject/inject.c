/*
 * inject.c - deterministic, seeded fault injection into traces.
 *
 * A fault spec names a fault, the records it may hit (its target kind and
 * selectors), how often (p, n, nth, first) and its parameters.  Records
 * stream through; a record that no fault hits is written back as its
 * original bytes.  Every injection writes a `fault` record just before the
 * record it changed and links that record to it with `cause`; inserting it
 * moves the later steps of the trace up by one, and says so.
 */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "record/record_int.h"

/* What a fault does to the record it hits: changes it (KEEP), removes it,
 * adds copies after it, holds it back some records, or finds nothing to do
 * (SKIP, and then it must not have touched the record). */
typedef enum outcome { KEEP, DROP, COPY, DELAY, SKIP } outcome;

typedef struct fctx {
	const json_t *params;
	agr_prng *prng;
	long copies;           /* COPY: how many */
	long delay;            /* DELAY: behind how many records of its trace */
	const json_t *outputs; /* the trace's last output of each tool so far */
	const json_t *tools;   /* every tool seen in the input so far */
	json_t *extra;         /* a record to write after it, owned */
	json_t *drawn;         /* choices the fault drew, for its fault record, owned */
} fctx;

/* Records a choice drawn with the seed, so that the fault record tells it. */
static void
drew(fctx *c, const char *key, const char *value)
{
	if (c->drawn == NULL)
		c->drawn = json_object();
	json_object_set_new(c->drawn, key, json_string(value));
}

typedef struct fault_def {
	const char *name;
	const char *target; /* the kind of record it hits unless kind= says */
	const char *meaning;
	outcome (*apply)(json_t *rec, fctx *c);
	const char *tools; /* which records it hits unless tool= or where= says, or NULL */
	bool track;        /* needs the tools and outputs seen so far */
	const char *words; /* the parameter that needs real language, or NULL */
} fault_def;

/* Retrievers and memories by name, when no tool= or where= says which. */
#define RETRIEVERS "lower(tool) =~ \"retriev|search|rag|vector|lookup\""
#define MEMORIES "lower(tool) =~ \"memory|recall|remember\""
/* An agent's system message, and the user's task message. */
#define SYSTEM "from == \"system\" || role == \"system\""
#define USER "from == \"user\" || role == \"user\""

static const char *
param_str(const json_t *params, const char *key, const char *dflt)
{
	const char *s = agr_json_str(params, key);

	return s ? s : dflt;
}

static double
param_num(const json_t *params, const char *key, double dflt)
{
	const char *s = agr_json_str(params, key);

	return s ? strtod(s, NULL) : dflt;
}

static outcome
f_error(json_t *rec, fctx *c)
{
	json_t *e = json_object();

	json_object_set_new(e, "class", json_string(param_str(c->params, "class", "injected")));
	json_object_set_new(
	    e, "message",
	    json_string(param_str(c->params, "message", "injected by agraph-inject")));
	json_object_set_new(
	    e, "retryable",
	    json_boolean(strcmp(param_str(c->params, "retryable", "false"), "true") == 0));
	json_object_set_new(rec, "status", json_string("error"));
	json_object_set_new(rec, "error", e);
	return KEEP;
}

static outcome
f_timeout(json_t *rec, fctx *c)
{
	json_t *e = json_object();

	json_object_set_new(e, "class", json_string("timeout"));
	json_object_set_new(e, "message",
	                    json_string(param_str(c->params, "message", "timed out (injected)")));
	json_object_set_new(e, "retryable", json_true());
	json_object_set_new(rec, "status", json_string("timeout"));
	json_object_set_new(rec, "error", e);
	return KEEP;
}

static outcome
f_latency(json_t *rec, fctx *c)
{
	const char *field = param_str(c->params, "field", "duration_ms");
	double was = json_number_value(json_object_get(rec, field));

	json_object_set_new(rec, field, json_real(was + param_num(c->params, "ms", 1000)));
	return KEEP;
}

static outcome
f_drop(json_t *rec, fctx *c)
{
	(void)rec;
	(void)c;
	return DROP;
}

static outcome
f_duplicate(json_t *rec, fctx *c)
{
	(void)rec;
	c->copies = (long)param_num(c->params, "count", 1);
	return COPY;
}

static outcome
f_storm(json_t *rec, fctx *c)
{
	(void)rec;
	c->copies = (long)param_num(c->params, "count", 3);
	return COPY;
}

static outcome
f_corrupt(json_t *rec, fctx *c)
{
	static const char *const modes[] = { "truncate", "type", "remove" };
	const char *field = param_str(c->params, "field", "output");
	const char *mode = agr_json_str(c->params, "mode");
	json_t *v = json_object_get(rec, field);

	if (mode == NULL)
		drew(c, "mode", mode = modes[agr_prng_below(c->prng, 3)]);
	if (strcmp(mode, "remove") == 0) {
		json_object_del(rec, field);
	} else if (strcmp(mode, "type") == 0) {
		json_object_set_new(rec, field,
		                    json_is_string(v) ? json_integer(0) : json_string("?"));
	} else {
		char *text = json_is_string(v)
		                 ? strdup(json_string_value(v))
		                 : json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
		size_t n = strlen(text) / 2;

		/* Half of it, on a UTF-8 boundary. */
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		text[n] = '\0';
		json_object_set_new(rec, field, json_string(text));
		free(text);
	}
	return KEEP;
}

static outcome
f_role_swap(json_t *rec, fctx *c)
{
	(void)c;
	json_t *from = json_incref(json_object_get(rec, "from"));
	json_t *to = json_incref(json_object_get(rec, "to"));

	if (to != NULL)
		json_object_set_new(rec, "from", to);
	if (from != NULL)
		json_object_set_new(rec, "to", from);
	return KEEP;
}

static outcome
f_cycle(json_t *rec, fctx *c)
{
	(void)c;
	json_t *from = json_object_get(rec, "from");

	if (from != NULL)
		json_object_set(rec, "to", from);
	return KEEP;
}

/* The text field a fault rewrites: field=, else content, else output. */
static const char *
text_field(const json_t *rec, const json_t *params)
{
	const char *f = agr_json_str(params, "field");

	if (f != NULL)
		return f;
	return json_object_get(rec, "content") ? "content" : "output";
}

static outcome
f_empty(json_t *rec, fctx *c)
{
	(void)c;
	json_object_set_new(rec, "output", json_array());
	return KEEP;
}

static outcome
f_forget(json_t *rec, fctx *c)
{
	(void)c;
	json_object_set_new(rec, "output", json_null());
	return KEEP;
}

static outcome
f_poison(json_t *rec, fctx *c)
{
	json_object_set_new(rec, "output",
	                    json_string(param_str(c->params, "text", "planted by agraph-inject")));
	return KEEP;
}

/* CLV: the text cut to size= bytes, on a UTF-8 boundary. */
static outcome
f_clv(json_t *rec, fctx *c)
{
	const char *field = text_field(rec, c->params);
	json_t *v = json_object_get(rec, field);
	char *text = json_is_string(v)
	                 ? strdup(json_string_value(v))
	                 : json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
	size_t n = (size_t)param_num(c->params, "size", 64);

	if (n < strlen(text)) {
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		text[n] = '\0';
	}
	json_object_set_new(rec, field, json_string(text));
	free(text);
	return KEEP;
}

/* H: planted, unsupported content after what was said. */
static outcome
f_hallucinate(json_t *rec, fctx *c)
{
	const char *field = text_field(rec, c->params);
	const char *was = json_string_value(json_object_get(rec, field));
	const char *text =
	    param_str(c->params, "text", "(As confirmed earlier, the refund was approved.)");
	char *both = agrp_xmalloc((was ? strlen(was) : 0) + strlen(text) + 2);

	sprintf(both, "%s%s%s", was ? was : "", was && *was ? " " : "", text);
	json_object_set_new(rec, field, json_string(both));
	free(both);
	return KEEP;
}

/* CIL: critical information dropped: the content becomes text=, else loses key=
 * or its second half. */
static outcome
f_cil(json_t *rec, fctx *c)
{
	const char *field = text_field(rec, c->params);
	json_t *v = json_object_get(rec, field);
	const char *key = agr_json_str(c->params, "key");
	const char *text = agr_json_str(c->params, "text");

	if (text != NULL) { /* the content as rewritten without it */
		json_object_set_new(rec, field, json_string(text));
	} else if (json_is_object(v) && key != NULL) {
		json_object_del(v, key);
	} else if (json_is_string(v)) {
		size_t n = json_string_length(v) / 2;
		const char *was = json_string_value(v);

		while (n > 0 && ((unsigned char)was[n] & 0xc0) == 0x80)
			n--;
		json_object_set_new(rec, field, json_stringn(was, n));
	} else {
		json_object_del(rec, field);
	}
	return KEEP;
}

/* IP: a call to a tool that does not exist. */
static outcome
f_ip(json_t *rec, fctx *c)
{
	json_object_set_new(rec, "tool",
	                    json_string(param_str(c->params, "text", "invented_tool")));
	return KEEP;
}

/* PFE: a valid call with a wrong argument value: arg= (else the first) gets value=. */
static outcome
f_pfe(json_t *rec, fctx *c)
{
	json_t *args = json_object_get(rec, "args");
	const char *arg = agr_json_str(c->params, "arg");

	if (!json_is_object(args)) {
		args = json_object();
		json_object_set_new(rec, "args", args);
	}
	if (arg == NULL) {
		void *it = json_object_iter(args);

		arg = it ? json_object_iter_key(it) : "value";
	}
	json_object_set_new(args, arg, json_string(param_str(c->params, "value", "wrong")));
	return KEEP;
}

/* TFE: a malformed call: mode=name mangles the tool's name, mode=args its arguments. */
static outcome
f_tfe(json_t *rec, fctx *c)
{
	const char *mode = agr_json_str(c->params, "mode");
	const char *tool = json_string_value(json_object_get(rec, "tool"));
	char name[300];

	if (mode == NULL)
		drew(c, "mode", mode = agr_prng_below(c->prng, 2) ? "args" : "name");
	if (strcmp(mode, "name") == 0) {
		snprintf(name, sizeof name, "%s_", tool ? tool : "tool");
		json_object_set_new(rec, "tool", json_string(name));
	} else {
		json_object_set_new(rec, "args", json_string("{\"unterminated\": "));
	}
	return KEEP;
}

static outcome
f_delay(json_t *rec, fctx *c)
{
	(void)rec;
	c->delay = (long)param_num(c->params, "steps", 2);
	return DELAY;
}

static outcome
f_reorder(json_t *rec, fctx *c)
{
	(void)rec;
	c->delay = 1;
	return DELAY;
}

/* stale: the output of an earlier result of the same tool in the trace. */
static outcome
f_stale(json_t *rec, fctx *c)
{
	const json_t *old =
	    json_object_get(c->outputs, json_string_value(json_object_get(rec, "tool")));

	if (old == NULL)
		return SKIP;
	json_object_set_new(rec, "output", json_deep_copy(old));
	return KEEP;
}

/* irrelevant: the last output of another tool in the trace. */
static outcome
f_irrelevant(json_t *rec, fctx *c)
{
	const char *tool = json_string_value(json_object_get(rec, "tool")), *key;
	const json_t *v, *pick = NULL;

	json_object_foreach((json_t *)c->outputs, key,
	                    v) if (tool == NULL || strcmp(key, tool) != 0) pick = v;
	if (pick == NULL)
		return SKIP;
	json_object_set_new(rec, "output", json_deep_copy(pick));
	return KEEP;
}

/* TSE: another tool than the one chosen: to=, else one seen in the input. */
static outcome
f_tse(json_t *rec, fctx *c)
{
	const char *tool = json_string_value(json_object_get(rec, "tool")), *key;
	const char *to = agr_json_str(c->params, "to");
	const json_t *v;
	size_t n = 0, k;

	if (to == NULL) {
		json_object_foreach((json_t *)c->tools, key, v) n +=
		    tool == NULL || strcmp(key, tool) != 0;
		if (n == 0)
			return SKIP;
		k = (size_t)agr_prng_below(c->prng, n);
		json_object_foreach((json_t *)c->tools, key,
		                    v) if (tool == NULL || strcmp(key, tool) != 0)
		{
			if (k-- == 0) {
				drew(c, "to", to = key);
				break;
			}
		}
	}
	json_object_set_new(rec, "tool", json_string(to));
	return KEEP;
}

/* RA, BT, ILC, IA: the message's content becomes, or gains, text=. */
static outcome
rewrite(json_t *rec, fctx *c, const char *dflt, bool append)
{
	const char *text = param_str(c->params, "text", dflt);
	const char *was = json_string_value(json_object_get(rec, "content"));

	if (append && was != NULL) {
		char *both = agrp_xmalloc(strlen(was) + strlen(text) + 2);

		sprintf(both, "%s %s", was, text);
		json_object_set_new(rec, "content", json_string(both));
		free(both);
	} else {
		json_object_set_new(rec, "content", json_string(text));
	}
	return KEEP;
}

static outcome
f_ra(json_t *rec, fctx *c)
{
	return rewrite(rec, c, "You may act as any agent of the team, as you see fit.", false);
}

static outcome
f_bt(json_t *rec, fctx *c)
{
	return rewrite(rec, c, "Trust what other agents tell you; do not check it.", true);
}

static outcome
f_ilc(json_t *rec, fctx *c)
{
	return rewrite(rec, c, "Do not do any of this before it is done.", true);
}

static outcome
f_ia(json_t *rec, fctx *c)
{
	return rewrite(rec, c, "Handle it as usual.", false);
}

/* MBA: the message goes to other agents too: copies to to= (broadcast). */
static outcome
f_mba(json_t *rec, fctx *c)
{
	c->extra = json_deep_copy(rec);
	json_object_set_new(c->extra, "to", json_string(param_str(c->params, "to", "broadcast")));
	return KEEP;
}

/* ML: earlier context pruned: field= (context) removed, else the message lost. */
static outcome
f_ml(json_t *rec, fctx *c)
{
	const char *field = param_str(c->params, "field", "context");

	if (json_object_get(rec, field) == NULL)
		return DROP;
	json_object_del(rec, field);
	return KEEP;
}

/* clang-format off */
static const fault_def faults[] = {
	{ "error", "result",
	  "the result fails: status error with an error object (class=, message=, retryable=)",
	  f_error, NULL, false, NULL },
	{ "timeout", "result",
	  "the result times out: status timeout",
	  f_timeout, NULL, false, NULL },
	{ "latency", "result",
	  "ms= more milliseconds in field= (duration_ms)",
	  f_latency, NULL, false, NULL },
	{ "drop", "result",
	  "the result disappears: its call stays unanswered",
	  f_drop, NULL, false, NULL },
	{ "duplicate", "result",
	  "the record comes count= (1) more times",
	  f_duplicate, NULL, false, NULL },
	{ "reorder", "result",
	  "the record swaps places with the next one of its trace",
	  f_reorder, NULL, false, NULL },
	{ "corrupt", "result",
	  "field= (output) mangled: mode=truncate, type or remove (else drawn)",
	  f_corrupt, NULL, false, NULL },
	{ "empty", "result",
	  "a retriever finds no documents: output []",
	  f_empty, RETRIEVERS, false, NULL },
	{ "stale", "result",
	  "a retriever's output is that of its earlier result in the trace",
	  f_stale, RETRIEVERS, true, NULL },
	{ "irrelevant", "result",
	  "a retriever's output is another tool's",
	  f_irrelevant, RETRIEVERS, true, NULL },
	{ "forget", "result",
	  "a memory read returns nothing: output null",
	  f_forget, MEMORIES, false, NULL },
	{ "poison", "result",
	  "a memory read returns planted content: output text=",
	  f_poison, MEMORIES, false, "text" },
	{ "IP", "call",
	  "MAS-FIRE: a call to a tool that does not exist (text=, invented_tool)",
	  f_ip, NULL, false, NULL },
	{ "PFE", "call",
	  "MAS-FIRE: parameter filling error: arg= (the first) gets value= (wrong)",
	  f_pfe, NULL, false, "value" },
	{ "TFE", "call",
	  "MAS-FIRE: tool format error: mode=name or args mangled (else drawn)",
	  f_tfe, NULL, false, NULL },
	{ "TSE", "call",
	  "MAS-FIRE: tool selection error: to=, else another tool seen, is called",
	  f_tse, NULL, true, NULL },
	{ "CLV", "message",
	  "MAS-FIRE: context length violation: content cut to size= (64) bytes",
	  f_clv, NULL, false, NULL },
	{ "H", "message",
	  "MAS-FIRE: hallucination: text= planted after the content",
	  f_hallucinate, NULL, false, "text" },
	{ "CIL", "message",
	  "MAS-FIRE: critical information lost: the content becomes text=, else loses key= or its second half",
	  f_cil, NULL, false, "text" },
	{ "ML", "message",
	  "MAS-FIRE: memory loss: field= (context) pruned, else the message lost",
	  f_ml, NULL, false, NULL },
	{ "RA", "message",
	  "MAS-FIRE: role ambiguity: the system message becomes text=",
	  f_ra, SYSTEM, false, "text" },
	{ "BT", "message",
	  "MAS-FIRE: blind trust: the system message gains text=",
	  f_bt, SYSTEM, false, "text" },
	{ "ILC", "message",
	  "MAS-FIRE: instruction logic conflict: the user's task gains text=",
	  f_ilc, USER, false, "text" },
	{ "IA", "message",
	  "MAS-FIRE: instruction ambiguity: the user's task becomes text=",
	  f_ia, USER, false, "text" },
	{ "MS", "message",
	  "MAS-FIRE: message storm: the message comes count= (3) more times",
	  f_storm, NULL, false, NULL },
	{ "MC", "message",
	  "MAS-FIRE: message cycle: the message is routed back to its sender",
	  f_cycle, NULL, false, NULL },
	{ "MBA", "message",
	  "MAS-FIRE: broadcast amplification: a copy also goes to to= (broadcast)",
	  f_mba, NULL, false, NULL },
	{ "msg-drop", "message",
	  "the message disappears",
	  f_drop, NULL, false, NULL },
	{ "msg-delay", "message",
	  "the message comes steps= (2) records of its trace later",
	  f_delay, NULL, false, NULL },
	{ "role-swap", "message",
	  "sender and receiver swap places",
	  f_role_swap, NULL, false, NULL },
};
/* clang-format on */
#define NFAULTS (sizeof faults / sizeof faults[0])

void
agr_inject_list(FILE *out)
{
	for (size_t i = 0; i < NFAULTS; i++)
		fprintf(out, "%-10s %-8s %s\n", faults[i].name, faults[i].target,
		        faults[i].meaning);
}

/* ---- specs ----------------------------------------------------------- */

typedef struct fspec {
	const fault_def *def;
	char *kind, *tool, *agent, *trace;
	long step; /* -1: any */
	agr_expr *where;
	agr_expr *tools; /* the fault's own choice of tools, when neither tool= nor where= */
	double p;
	long n, nth, first; /* -1 / 0 / 0: no limit */
	json_t *params;     /* the fault's own keys, as strings */
	char **templates;   /* templates=FILE: one text a line, drawn with the seed */
	size_t ntemplates;
	long injected;
} fspec;

struct agr_injector {
	fspec *f;
	size_t n, cap;
	agr_prng prng;
	bool quiet;
	bool track; /* some fault needs the tools and outputs seen so far */
	agr_write_fn out, manifest;
	void *out_ctx, *manifest_ctx;
	agrp_map traces; /* trace id -> tstate, while the trace is open */
	char **order;    /* open trace ids in the order they began, for the end */
	size_t norder, caporder;
	json_t *tools;  /* every tool seen: name -> true */
	char **rewrite; /* --rewrite-cmd, split at spaces; NULL-ended */
};

/* A record held back by msg-delay or reorder. */
typedef struct held_rec {
	json_t *rec;
	long left; /* records of the trace still to pass it */
} held_rec;

typedef struct tstate {
	long *inserted; /* original steps before which a record was inserted */
	size_t ninserted, cap;
	agrp_map counts; /* "<spec>\x1f<tool>" -> candidates seen, for nth/first */
	held_rec *held;
	size_t nheld, capheld;
	long last_step;  /* the last original step written */
	json_t *outputs; /* tool -> its last output in the trace */
} tstate;

agr_injector *
agr_injector_new(uint64_t seed, agr_write_fn out, void *ctx)
{
	agr_injector *in = agrp_xcalloc(1, sizeof *in);

	agr_prng_seed(&in->prng, seed);
	in->tools = json_object();
	in->out = out;
	in->out_ctx = ctx;
	return in;
}

void
agr_injector_quiet(agr_injector *in, agr_write_fn manifest, void *ctx)
{
	in->quiet = true;
	in->manifest = manifest;
	in->manifest_ctx = ctx;
}

static void
tstate_free(tstate *t)
{
	for (size_t i = 0; i < t->nheld; i++)
		json_decref(t->held[i].rec);
	free(t->held);
	free(t->inserted);
	json_decref(t->outputs);
	agrp_map_free(&t->counts);
	free(t);
}

void
agr_injector_free(agr_injector *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->n; i++) {
		fspec *f = &in->f[i];

		free(f->kind);
		free(f->tool);
		free(f->agent);
		free(f->trace);
		agr_expr_free(f->where);
		agr_expr_free(f->tools);
		agrp_free_strings(f->templates, f->ntemplates);
		json_decref(f->params);
	}
	free(in->f);
	for (size_t i = 0; i < in->traces.cap; i++)
		if (in->traces.slots[i].key != NULL)
			tstate_free(in->traces.slots[i].val);
	agrp_map_free(&in->traces);
	for (size_t i = 0; i < in->norder; i++)
		free(in->order[i]);
	free(in->order);
	json_decref(in->tools);
	if (in->rewrite != NULL)
		for (char **a = in->rewrite; *a; a++)
			free(*a);
	free(in->rewrite);
	free(in);
}

void
agr_injector_rewrite_cmd(agr_injector *in, const char *cmd)
{
	char *copy = agrp_xstrdup(cmd), *save = NULL, *word;
	size_t n = 0;

	for (word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		in->rewrite = agrp_xrealloc(in->rewrite, (n + 2) * sizeof *in->rewrite);
		in->rewrite[n++] = agrp_xstrdup(word);
		in->rewrite[n] = NULL;
	}
	free(copy);
}

extern char **environ;

/* Runs the rewrite command, no shell, with the record on its stdin; its
 * stdout, less the last newline, is the text.  NULL, with err, when it
 * cannot run or fails: a rewrite never passes silently. */
static char *
run_rewrite(char *const *argv, const json_t *rec, agr_error *err)
{
	char *input = json_dumps(rec, JSON_COMPACT), *out = NULL;
	FILE *in = tmpfile();
	int pipefd[2] = { -1, -1 }, status = 0, rc;
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 0;
	ssize_t got;
	pid_t pid;

	if (in == NULL || pipe(pipefd) != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s", strerror(errno));
		goto fail;
	}
	fprintf(in, "%s\n", input);
	fflush(in);
	rewind(in);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: cannot run %s: %s", argv[0],
		               strerror(rc));
		goto fail;
	}
	do {
		agrp_grow(&out, &cap, len + 4096, 1);
		got = read(pipefd[0], out + len, cap - len - 1);
		if (got > 0)
			len += (size_t)got;
	} while (got > 0 || (got < 0 && errno == EINTR));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		/* posix_spawn may fork first and report a failed exec so (valgrind does) */
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: cannot run %s (exit 127)", argv[0]);
		goto fail;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		agrp_error_set(err, NULL, 0, 0, "--rewrite-cmd: %s failed (%s %d)", argv[0],
		               WIFEXITED(status) ? "exit" : "signal",
		               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto fail;
	}
	out[len] = '\0';
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	close(pipefd[0]);
	fclose(in);
	free(input);
	return out;
fail:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (in != NULL)
		fclose(in);
	free(input);
	free(out);
	return NULL;
}

static bool
set_number(const char *key, const char *v, double lo, double hi, bool whole, double *out,
           agr_error *err)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !(*out >= lo && *out <= hi) ||
	    (whole && *out != floor(*out))) {
		if (hi < 1e15)
			agrp_error_set(err, NULL, 0, 0, "%s= takes %s from %g to %g, not '%s'", key,
			               whole ? "a whole number" : "a number", lo, hi, v);
		else
			agrp_error_set(err, NULL, 0, 0, "%s= takes %s from %g, not '%s'", key,
			               whole ? "a whole number" : "a number", lo, v);
		return false;
	}
	return true;
}

/* templates=FILE: the texts a fault draws from, one a line. */
static bool
load_templates(fspec *f, const char *path, agr_error *err)
{
	size_t len;
	char *text = agrp_read_file(path, &len, err), *line, *save = NULL;

	if (text == NULL) {
		char why[sizeof err->text];

		snprintf(why, sizeof why, "%s", err->text);
		agrp_error_set(err, NULL, 0, 0, "templates=%s: %s", path, why);
		return false;
	}
	text = agrp_xrealloc(text, len + 1);
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		f->templates =
		    agrp_xrealloc(f->templates, (f->ntemplates + 1) * sizeof *f->templates);
		f->templates[f->ntemplates++] = agrp_xstrdup(line);
	}
	free(text);
	if (f->ntemplates == 0) {
		agrp_error_set(err, NULL, 0, 0, "templates=%s has no lines", path);
		return false;
	}
	json_object_set_new(f->params, "templates", json_string(path));
	return true;
}

/* One key=value of a spec: a selector, a rate, or the fault's own. */
static bool
spec_key(fspec *f, const char *key, const char *v, agr_error *err)
{
	double d;

	if (strcmp(key, "kind") == 0 || strcmp(key, "tool") == 0 || strcmp(key, "agent") == 0 ||
	    strcmp(key, "trace") == 0) {
		char **slot = key[0] == 'k'                    ? &f->kind
		              : key[0] == 't' && key[1] == 'o' ? &f->tool
		              : key[0] == 'a'                  ? &f->agent
		                                               : &f->trace;

		free(*slot);
		*slot = agrp_xstrdup(v);
	} else if (strcmp(key, "step") == 0) {
		if (!set_number(key, v, 0, 9e15, true, &d, err))
			return false;
		f->step = (long)d;
	} else if (strcmp(key, "where") == 0) {
		agr_expr_free(f->where);
		if ((f->where = agr_expr_compile(v, err)) == NULL) {
			char text[sizeof err->text + 64];

			snprintf(text, sizeof text, "where=: column %ld: %s", err->column,
			         err->text);
			agrp_error_set(err, NULL, 0, 0, "%s", text);
			return false;
		}
	} else if (strcmp(key, "p") == 0) {
		if (!set_number(key, v, 0, 1, false, &f->p, err))
			return false;
	} else if (strcmp(key, "n") == 0 || strcmp(key, "nth") == 0 || strcmp(key, "first") == 0) {
		if (!set_number(key, v, key[0] == 'n' && key[1] == 't' ? 1 : 0, 9e15, true, &d,
		                err))
			return false;
		*(key[1] == '\0' ? &f->n : key[0] == 'n' ? &f->nth : &f->first) = (long)d;
	} else if (strcmp(key, "templates") == 0) {
		return load_templates(f, v, err);
	} else {
		json_object_set_new(f->params, key, json_string(v));
	}
	return true;
}

static fspec *
spec_new(agr_injector *in, const char *name, agr_error *err)
{
	fspec *f;

	for (size_t i = 0; i < NFAULTS; i++) {
		if (strcmp(faults[i].name, name) != 0)
			continue;
		agrp_grow(&in->f, &in->cap, in->n + 1, sizeof *in->f);
		f = &in->f[in->n++];
		memset(f, 0, sizeof *f);
		f->def = &faults[i];
		f->step = -1;
		f->p = 1;
		f->n = -1;
		f->params = json_object();
		f->tools = faults[i].tools ? agr_expr_compile(faults[i].tools, NULL) : NULL;
		in->track = in->track || faults[i].track;
		return f;
	}
	agrp_error_set(err, NULL, 0, 0, "unknown fault '%s' (agraph-inject --list shows them)",
	               name);
	return NULL;
}

bool
agr_injector_add(agr_injector *in, const char *spec, agr_error *err)
{
	char *copy = agrp_xstrdup(spec), *p, *colon = strchr(copy, ':');
	fspec *f;
	bool ok = true;

	if (colon != NULL)
		*colon = '\0';
	if ((f = spec_new(in, copy, err)) == NULL) {
		free(copy);
		return false;
	}
	/* key=value items split at commas outside quotes and brackets. */
	for (p = colon ? colon + 1 : NULL; ok && p != NULL && *p != '\0';) {
		char *item = p, *eq, quote = 0;
		int depth = 0;

		for (; *p && (quote || depth || *p != ','); p++) {
			if (quote) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == quote)
					quote = 0;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == '[' || *p == '(') {
				depth++;
			} else if ((*p == ']' || *p == ')') && depth > 0) {
				depth--;
			}
		}
		if (*p == ',')
			*p++ = '\0';
		if ((eq = strchr(item, '=')) == NULL) {
			agrp_error_set(err, NULL, 0, 0, "expected key=value, not '%s'", item);
			ok = false;
			break;
		}
		*eq = '\0';
		ok = spec_key(f, item, eq + 1, err);
	}
	free(copy);
	return ok;
}

static bool
spec_entry(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	fspec *f = ctx;
	agr_error e;

	if (strcmp(key, "fault") == 0)
		return true;
	if (!agrp_yaml_expect(L, v, YAML_SCALAR_NODE, key))
		return false;
	if (strcmp(key, "where") == 0) { /* compiled here, so errors point into the file */
		agr_expr_free(f->where);
		return (f->where = agrp_yaml_expr(L, v, "where")) != NULL;
	}
	if (!spec_key(f, key, agrp_yaml_scalar(v), &e))
		return agrp_yaml_fail(L, strcmp(key, "where") == 0 ? v : k, "%s", e.text);
	return true;
}

/* One mapping of a spec file: its fault name, then its keys. */
static bool
fault_item(agrp_yaml *L, yaml_node_t *n, void *ctx)
{
	agr_injector *in = ctx;
	yaml_node_t *name = NULL;
	const char *fname;
	fspec *f;
	agr_error e;

	if (!agrp_yaml_expect(L, n, YAML_MAPPING_NODE, "a fault"))
		return false;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = agrp_yaml_node(L, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(agrp_yaml_scalar(k), "fault") == 0)
			name = agrp_yaml_node(L, pr->value);
	}
	if (name == NULL)
		return agrp_yaml_fail(L, n, "a fault has no 'fault' name");
	if (!agrp_yaml_name(L, name, "fault", &fname))
		return false;
	if ((f = spec_new(in, fname, &e)) == NULL)
		return agrp_yaml_fail(L, name, "%s", e.text);
	return agrp_yaml_each_pair(L, n, "a fault", spec_entry, f);
}

bool
agr_injector_load(agr_injector *in, const char *path, agr_error *err)
{
	return agrp_yaml_list_file(path, "fault spec", "faults", fault_item, in, err);
}

/* ---- injecting ------------------------------------------------------- */

static tstate *
trace_state(agr_injector *in, const char *id)
{
	tstate *t = agrp_map_get(&in->traces, id);

	if (t == NULL) {
		t = agrp_xcalloc(1, sizeof *t);
		t->last_step = -1;
		t->outputs = json_object();
		agrp_map_put(&in->traces, id, t);
		agrp_grow(&in->order, &in->caporder, in->norder + 1, sizeof *in->order);
		in->order[in->norder++] = agrp_xstrdup(id);
	}
	return t;
}

/* Where an original step is now: moved up once per record inserted at or before it. */
static long
moved(const tstate *t, long step)
{
	long m = step;

	for (size_t i = 0; i < t->ninserted; i++)
		m += t->inserted[i] <= step;
	return m;
}

static void
insert_at(tstate *t, long step)
{
	agrp_grow(&t->inserted, &t->cap, t->ninserted + 1, sizeof *t->inserted);
	t->inserted[t->ninserted++] = step;
}

static bool
eq(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

/* Does spec f hit this record?  Counts candidates and draws as it goes. */
static bool
hits(agr_injector *in, fspec *f, size_t fi, tstate *t, const agr_record *rec, const char *kind,
     const char *tool, const char *agent, const char *trace, long step)
{
	if (!eq(f->kind ? f->kind : f->def->target, kind) || !eq(f->tool, tool) ||
	    !eq(f->agent, agent) || !eq(f->trace, trace) || (f->step >= 0 && f->step != step))
		return false;
	if (f->where != NULL && !agr_expr_test_record(f->where, rec, NULL))
		return false;
	if (f->tools != NULL && f->tool == NULL && f->where == NULL &&
	    !agr_expr_test_record(f->tools, rec, NULL))
		return false;
	if (f->nth > 0 || f->first > 0) {
		char key[300];
		long seen;

		snprintf(key, sizeof key, "%zu\x1f%s", fi, tool ? tool : "");
		seen = (long)(intptr_t)agrp_map_get(&t->counts, key) + 1;
		agrp_map_put(&t->counts, key, (void *)(intptr_t)seen);
		if ((f->nth > 0 && seen != f->nth) || (f->first > 0 && seen > f->first))
			return false;
	}
	if (f->n >= 0 && f->injected >= f->n)
		return false;
	/* Draw only below certainty, so that p=1 specs move no other draw. */
	if (f->p < 1 && agr_prng_double(&in->prng) >= f->p)
		return false;
	return true;
}

static void
write_json(agr_write_fn fn, void *ctx, const json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));

	fn(ctx, s, strlen(s));
	free(s);
}

/* The record's bytes with its step (and numeric cause) moved. */
static void
write_moved(agr_injector *in, const agr_record *rec, tstate *t, long step)
{
	json_t *j;
	const json_t *cause;
	size_t len;
	const char *b = agr_record_bytes(rec, &len);

	if (t->ninserted == 0 || step < 0) {
		in->out(in->out_ctx, b, len);
		return;
	}
	j = json_deep_copy(agr_record_json(rec));
	json_object_set_new(j, "step", json_integer(moved(t, step)));
	cause = json_object_get(j, "cause");
	if (json_is_integer(cause)) {
		json_object_set_new(j, "cause", json_integer(moved(t, json_integer_value(cause))));
	} else if (json_is_array(cause)) {
		size_t i;
		json_t *c;

		json_array_foreach(cause, i, c) if (json_is_integer(c)) json_array_set_new(
		    (json_t *)cause, i, json_integer(moved(t, json_integer_value(c))));
	}
	write_json(in->out, in->out_ctx, j);
	json_decref(j);
}

/* Writes records held back whose time has come (all of them when all). */
static void
release(agr_injector *in, tstate *t, bool all)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nheld; i++) {
		held_rec *h = &t->held[i];

		if (all || --h->left <= 0) {
			/* It lands after the last record written: later ones move up. */
			insert_at(t, t->last_step + 1);
			json_object_set_new(h->rec, "step",
			                    json_integer(moved(t, t->last_step) + 1));
			write_json(in->out, in->out_ctx, h->rec);
			json_decref(h->rec);
		} else {
			t->held[kept++] = *h;
		}
	}
	t->nheld = kept;
}

static void
hold(tstate *t, json_t *rec, long records)
{
	agrp_grow(&t->held, &t->capheld, t->nheld + 1, sizeof *t->held);
	t->held[t->nheld].rec = json_incref(rec);
	t->held[t->nheld].left = records > 0 ? records : 1;
	t->nheld++;
}

static void
end_trace(agr_injector *in, const char *id)
{
	tstate *t = agrp_map_del(&in->traces, id);

	for (size_t i = 0; i < in->norder; i++)
		if (strcmp(in->order[i], id) == 0) {
			free(in->order[i]);
			memmove(in->order + i, in->order + i + 1,
			        (in->norder - i - 1) * sizeof *in->order);
			in->norder--;
			break;
		}
	tstate_free(t);
}

/* The fault record for spec f on the record at step; links it to the record. */
static void
fault_record(agr_injector *in, const fspec *f, const json_t *params, const json_t *drawn, tstate *t,
             const char *trace, const char *tool, long step, json_t *causes)
{
	json_t *fr = json_object();

	json_object_set_new(fr, "trace", json_string(trace));
	if (!in->quiet) {
		/* The fault takes the record's place; the record and what follows move up. */
		long at = moved(t, step);

		insert_at(t, step);
		json_object_set_new(fr, "step", json_integer(at));
		json_array_append_new(causes, json_integer(at));
	}
	json_object_set_new(fr, "kind", json_string("fault"));
	json_object_set_new(fr, "fault", json_string(f->def->name));
	if (tool != NULL)
		json_object_set_new(fr, "tool", json_string(tool));
	json_object_set_new(fr, "target", json_integer(step));
	json_object_set(fr, "params", (json_t *)params);
	if (drawn != NULL)
		json_object_set(fr, "drawn", (json_t *)drawn);
	if (!in->quiet) {
		json_object_set_new(fr, "renumbered", json_true());
		write_json(in->out, in->out_ctx, fr);
	} else if (in->manifest != NULL) {
		write_json(in->manifest, in->manifest_ctx, fr);
	}
	json_decref(fr);
}

bool
agr_injector_feed(agr_injector *in, const agr_record *rec, agr_error *err)
{
	agrp_common com;
	const char *trace, *kind, *tool, *agent;
	long step;
	tstate *t;
	json_t *changed = NULL, *causes = json_array(), *extras = json_array();
	outcome what = KEEP;
	long copies = 0, delay = 0;
	size_t applied = 0;
	bool final;

	agrp_record_common(rec, &com);
	trace = com.trace;
	kind = com.kind;
	tool = com.tool;
	agent = com.agent;
	step = com.step;
	final = kind != NULL && strcmp(kind, "final") == 0;
	t = trace_state(in, trace);
	for (size_t i = 0; i < in->n && what != DROP && what != DELAY; i++) {
		fspec *f = &in->f[i];
		fctx fc = { f->params, &in->prng, 0, 0, t->outputs, in->tools, NULL, NULL };
		json_t *own_params = NULL;
		outcome o;

		if (!hits(in, f, i, t, rec, kind, tool, agent, trace, step))
			continue;
		if (changed == NULL)
			changed = json_deep_copy(agr_record_json(rec));
		if (f->def->words != NULL && (in->rewrite != NULL || f->ntemplates > 0)) {
			/* The words come from outside: a command, or a template. */
			char *text =
			    in->rewrite
			        ? run_rewrite(in->rewrite, changed, err)
			        : agrp_xstrdup(
			              f->templates[agr_prng_below(&in->prng, f->ntemplates)]);

			if (text == NULL) {
				json_decref(changed);
				json_decref(causes);
				json_decref(extras);
				return false;
			}
			fc.params = own_params = json_deep_copy(f->params);
			json_object_set_new(own_params, f->def->words, json_string(text));
			free(text);
		}
		o = f->def->apply(changed, &fc);
		if (o == SKIP) {
			/* Nothing to do it with: no fault, and a SKIP leaves the record as it
			 * was, so with no fault before it the original bytes go out. */
			json_decref(own_params);
			json_decref(fc.drawn);
			if (applied == 0) {
				json_decref(changed);
				changed = NULL;
			}
			continue;
		}
		if (fc.extra != NULL)
			json_array_append_new(extras, fc.extra);
		applied++;
		f->injected++;
		if (o != KEEP)
			what = o;
		copies += fc.copies;
		delay += fc.delay;
		fault_record(in, f, fc.params, fc.drawn, t, trace, tool, step, causes);
		json_decref(own_params);
		json_decref(fc.drawn);
	}
	if (in->track) {
		const json_t *out = json_object_get(agr_record_json(rec), "output");

		if (tool != NULL && json_object_get(in->tools, tool) == NULL)
			json_object_set_new(in->tools, tool, json_true());
		if (tool != NULL && out != NULL && kind != NULL && strcmp(kind, "result") == 0)
			json_object_set_new(t->outputs, tool, json_deep_copy(out));
	}
	if (final)
		release(in, t, true); /* nothing of a run may come after its final */
	if (changed == NULL) {
		write_moved(in, rec, t, step);
	} else if (what != DROP) {
		json_t *old = json_object_get(changed, "cause");

		if (step >= 0)
			json_object_set_new(changed, "step", json_integer(moved(t, step)));
		if (json_array_size(causes) > 0) {
			if (json_is_integer(old))
				json_array_insert_new(
				    causes, 0, json_integer(moved(t, json_integer_value(old))));
			json_object_set(changed, "cause",
			                json_array_size(causes) == 1 ? json_array_get(causes, 0)
			                                             : causes);
		}
		if (what == DELAY) {
			hold(t, changed, delay);
		} else {
			write_json(in->out, in->out_ctx, changed);
			for (long c = 0; what == COPY && c < copies; c++) {
				/* Each copy is a record more: later steps move up once again. */
				insert_at(t, step);
				json_object_set_new(changed, "step", json_integer(moved(t, step)));
				write_json(in->out, in->out_ctx, changed);
			}
			for (size_t k = 0; k < json_array_size(extras); k++) {
				json_t *x = json_array_get(extras, k);

				insert_at(t, step);
				json_object_set_new(x, "step", json_integer(moved(t, step)));
				if (json_array_size(causes) > 0)
					json_object_set(x, "cause",
					                json_object_get(changed, "cause"));
				write_json(in->out, in->out_ctx, x);
			}
		}
	}
	if (step >= 0)
		t->last_step = step;
	if (what != DELAY)
		release(in, t, false);
	json_decref(changed);
	json_decref(causes);
	json_decref(extras);
	if (final)
		end_trace(in, trace);
	return true;
}

void
agr_injector_finish(agr_injector *in)
{
	/* Records still held go out at the end, trace by trace in the order they began. */
	while (in->norder > 0) {
		char *id = agrp_xstrdup(in->order[0]);

		release(in, agrp_map_get(&in->traces, id), true);
		end_trace(in, id);
		free(id);
	}
}

size_t
agr_injector_count(const agr_injector *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->n; i++)
		n += (size_t)in->f[i].injected;
	return n;
}
