/*
 * contract.c - contracts over traces, checked as the records stream by.
 *
 * Patterns and scopes follow Dwyer, Avrunin and Corbett, "Patterns in
 * property specifications for finite-state verification" (1999), on
 * finite traces.  A scope is a set of intervals: global is the whole
 * trace; "before R" runs from the start to the first R; "after Q" from
 * the first Q to the end; "between Q and R" from each Q to the next R and
 * counts only when that R comes; "after Q until R" is the same but an
 * interval that R never closes runs to the end.  An interval opens on a
 * record where Q holds and R does not, includes that record, and excludes
 * the R that closes it.
 *
 * State is per open trace and per open obligation, never per record: a
 * trace is checked as it streams, and forgotten at its final record.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "record/record_int.h"

typedef enum ctype {
	PAT_ALWAYS,
	PAT_NEVER,
	PAT_EVENTUALLY,
	PAT_PRECEDENCE,
	PAT_RESPONSE,
	PAT_BOUNDED,
	BI_WELL_FORMED,
	BI_TERMINATES,
	BI_ANSWERED,
	BI_OBSERVABLE,
	BI_NO_REPEAT,
} ctype;

typedef enum scope_kind { SC_GLOBAL, SC_BEFORE, SC_AFTER, SC_BETWEEN, SC_UNTIL } scope_kind;

typedef struct contract {
	char *name;
	ctype type;
	agr_expr *p, *s; /* precedence: s first, p before; response: p if, s then */
	char *p_text, *s_text;
	long within; /* response: -1 for "by the end" */
	long max;    /* bounded */
	scope_kind scope;
	agr_expr *q, *r;
} contract;

struct agr_contracts {
	contract *c;
	size_t n, cap;
};

static const char *const builtin_names[] = { "well-formed", "terminates", "answered", "observable",
	                                     "no-repeat" };
static const ctype builtin_types[] = { BI_WELL_FORMED, BI_TERMINATES, BI_ANSWERED, BI_OBSERVABLE,
	                               BI_NO_REPEAT };
#define NBUILTIN (sizeof builtin_names / sizeof builtin_names[0])

agr_contracts *
agr_contracts_new(void)
{
	return agrp_xcalloc(1, sizeof(agr_contracts));
}

static void
contract_free(contract *c)
{
	free(c->name);
	free(c->p_text);
	free(c->s_text);
	agr_expr_free(c->p);
	agr_expr_free(c->s);
	agr_expr_free(c->q);
	agr_expr_free(c->r);
}

void
agr_contracts_free(agr_contracts *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		contract_free(&cs->c[i]);
	free(cs->c);
	free(cs);
}

size_t
agr_contracts_count(const agr_contracts *cs)
{
	return cs->n;
}

const char *
agr_contracts_name(const agr_contracts *cs, size_t i)
{
	return cs->c[i].name;
}

static const contract *
find_contract(const agr_contracts *cs, const char *name)
{
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].name, name) == 0)
			return &cs->c[i];
	return NULL;
}

static void
add(agr_contracts *cs, const contract *c)
{
	agrp_grow(&cs->c, &cs->cap, cs->n + 1, sizeof *cs->c);
	cs->c[cs->n++] = *c;
}

bool
agr_contracts_builtin(agr_contracts *cs, const char *names, agr_error *err)
{
	char *copy = agrp_xstrdup(names), *save = NULL, *name;
	bool ok = true;

	for (name = strtok_r(copy, ",", &save); name && ok; name = strtok_r(NULL, ",", &save)) {
		bool all = strcmp(name, "all") == 0, known = all;

		for (size_t i = 0; i < NBUILTIN; i++) {
			contract c = { 0 };

			if (!all && strcmp(name, builtin_names[i]) != 0)
				continue;
			known = true;
			if (find_contract(cs, builtin_names[i]) != NULL)
				continue;
			c.name = agrp_xstrdup(builtin_names[i]);
			c.type = builtin_types[i];
			add(cs, &c);
		}
		if (!known) {
			agrp_error_set(
			    err, "", 0, 0,
			    "unknown built-in contract '%s' (known: well-formed, terminates, "
			    "answered, observable, no-repeat, all)",
			    name);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* ---- loading ------------------------------------------------------- */

enum {
	K_NAME,
	K_DESCRIPTION,
	K_SCOPE,
	K_ALWAYS,
	K_NEVER,
	K_EVENTUALLY,
	K_PRECEDENCE,
	K_RESPONSE,
	K_BOUNDED,
	K_N
};
static const char *const contract_keys[K_N] = { "name",       "description", "scope",
	                                        "always",     "never",       "eventually",
	                                        "precedence", "response",    "bounded" };

static bool
load_expr(agrp_yaml *L, yaml_node_t *n, const char *name, const char *key, agr_expr **e,
          char **text)
{
	char what[300];

	snprintf(what, sizeof what, "contract '%s', %s", name, key);
	if ((*e = agrp_yaml_expr(L, n, what)) == NULL)
		return false;
	if (text != NULL)
		*text = agrp_xstrdup(agrp_yaml_scalar(n));
	return true;
}

/* A mapping of expressions (and numbers) such as {if: P, then: S, within: 3}. */
static bool
load_parts(agrp_yaml *L, yaml_node_t *n, const char *name, const char *pattern,
           const char *const *keys, size_t nkeys, yaml_node_t **slot, size_t required)
{
	char what[300];

	snprintf(what, sizeof what, "%s of contract '%s'", pattern, name);
	if (!agrp_yaml_fields(L, n, what, keys, nkeys, slot))
		return false;
	for (size_t i = 0; i < required; i++)
		if (slot[i] == NULL)
			return agrp_yaml_fail(L, n, "%s has no '%s'", what, keys[i]);
	return true;
}

static bool
load_scope(agrp_yaml *L, yaml_node_t *n, contract *c)
{
	static const char *const keys[] = { "before", "after", "between", "and", "until" };
	yaml_node_t *f[5];
	char what[300];

	if (n->type == YAML_SCALAR_NODE && strcmp(agrp_yaml_scalar(n), "global") == 0) {
		c->scope = SC_GLOBAL;
		return true;
	}
	snprintf(what, sizeof what, "the scope of contract '%s'", c->name);
	if (n->type == YAML_SCALAR_NODE)
		return agrp_yaml_fail(L, n, "%s must be global or a mapping", what);
	if (!agrp_yaml_fields(L, n, what, keys, 5, f))
		return false;
	if (f[0] && !f[1] && !f[2] && !f[3] && !f[4]) {
		c->scope = SC_BEFORE;
		return load_expr(L, f[0], c->name, "before", &c->r, NULL);
	}
	if (f[1] && !f[0] && !f[2] && !f[3] && !f[4]) {
		c->scope = SC_AFTER;
		return load_expr(L, f[1], c->name, "after", &c->q, NULL);
	}
	if (f[2] && f[3] && !f[0] && !f[1] && !f[4]) {
		c->scope = SC_BETWEEN;
		return load_expr(L, f[2], c->name, "between", &c->q, NULL) &&
		       load_expr(L, f[3], c->name, "and", &c->r, NULL);
	}
	if (f[1] && f[4] && !f[0] && !f[2] && !f[3]) {
		c->scope = SC_UNTIL;
		return load_expr(L, f[1], c->name, "after", &c->q, NULL) &&
		       load_expr(L, f[4], c->name, "until", &c->r, NULL);
	}
	return agrp_yaml_fail(L, n,
	                      "%s must be one of {before: R}, {after: Q}, {between: Q, and: R}, "
	                      "{after: Q, until: R}",
	                      what);
}

static bool
load_pattern(agrp_yaml *L, yaml_node_t **f, contract *c)
{
	yaml_node_t *pat = NULL, *part[3];
	int which = -1;

	for (int k = K_ALWAYS; k <= K_BOUNDED; k++) {
		if (f[k] == NULL)
			continue;
		if (pat != NULL)
			return agrp_yaml_fail(L, f[k], "contract '%s' has two patterns, %s and %s",
			                      c->name, contract_keys[which], contract_keys[k]);
		pat = f[k];
		which = k;
	}
	if (pat == NULL)
		return agrp_yaml_fail(L, f[K_NAME],
		                      "contract '%s' has no pattern (always, never, eventually, "
		                      "precedence, response or bounded)",
		                      c->name);
	switch (which) {
	case K_ALWAYS:
	case K_NEVER:
	case K_EVENTUALLY:
		c->type = which == K_ALWAYS  ? PAT_ALWAYS
		          : which == K_NEVER ? PAT_NEVER
		                             : PAT_EVENTUALLY;
		return load_expr(L, pat, c->name, contract_keys[which], &c->p, &c->p_text);
	case K_PRECEDENCE: {
		static const char *const keys[] = { "first", "before" };

		c->type = PAT_PRECEDENCE;
		return load_parts(L, pat, c->name, "precedence", keys, 2, part, 2) &&
		       load_expr(L, part[0], c->name, "first", &c->s, &c->s_text) &&
		       load_expr(L, part[1], c->name, "before", &c->p, &c->p_text);
	}
	case K_RESPONSE: {
		static const char *const keys[] = { "if", "then", "within" };

		c->type = PAT_RESPONSE;
		c->within = -1;
		if (!load_parts(L, pat, c->name, "response", keys, 3, part, 2) ||
		    !load_expr(L, part[0], c->name, "if", &c->p, &c->p_text) ||
		    !load_expr(L, part[1], c->name, "then", &c->s, &c->s_text))
			return false;
		return part[2] == NULL ||
		       agrp_yaml_int(L, part[2], "within", 0, 1L << 40, &c->within);
	}
	default: {
		static const char *const keys[] = { "what", "max" };

		c->type = PAT_BOUNDED;
		return load_parts(L, pat, c->name, "bounded", keys, 2, part, 2) &&
		       load_expr(L, part[0], c->name, "what", &c->p, &c->p_text) &&
		       agrp_yaml_int(L, part[1], "max", 0, 1L << 40, &c->max);
	}
	}
}

static bool
load_contract(agrp_yaml *L, agr_contracts *cs, yaml_node_t *n)
{
	yaml_node_t *f[K_N];
	contract c = { 0 };
	const char *name;

	if (!agrp_yaml_fields(L, n, "a contract", contract_keys, K_N, f))
		return false;
	if (f[K_NAME] == NULL)
		return agrp_yaml_fail(L, n, "contract has no 'name'");
	if (!agrp_yaml_name(L, f[K_NAME], "name", &name))
		return false;
	if (find_contract(cs, name) != NULL)
		return agrp_yaml_fail(L, f[K_NAME], "a contract named '%s' is already loaded",
		                      name);
	if (f[K_DESCRIPTION] != NULL &&
	    !agrp_yaml_expect(L, f[K_DESCRIPTION], YAML_SCALAR_NODE, "description"))
		return false;
	c.name = agrp_xstrdup(name);
	if (!load_pattern(L, f, &c) || (f[K_SCOPE] != NULL && !load_scope(L, f[K_SCOPE], &c))) {
		contract_free(&c);
		return false;
	}
	add(cs, &c);
	return true;
}

static bool
contract_item(agrp_yaml *L, yaml_node_t *n, void *ctx)
{
	return load_contract(L, ctx, n);
}

bool
agr_contracts_load_file(agr_contracts *cs, const char *path, agr_error *err)
{
	return agrp_yaml_list_file(path, "contract file", "contracts", contract_item, cs, err);
}

bool
agr_contracts_load_string(agr_contracts *cs, const char *text, size_t len, const char *source,
                          agr_error *err)
{
	return agrp_yaml_list_string(text, len, source, "contract file", "contracts", contract_item,
	                             cs, err);
}

/* ---- checking ------------------------------------------------------ */

typedef struct obligation {
	agr_record *trigger;
	long step;
	const char *source;
	long line;
} obligation;

/* An open call (answered), a pending failure (observable), a call id's
 * tool or a tool's last arguments (no-repeat). */
typedef struct entry {
	char *key;  /* call id or tool */
	char *text; /* tool, or canonical arguments */
	long step;
	bool flag; /* no-repeat: a failed result since */
	const char *source;
	long line;
} entry;

typedef struct where {
	long step;
	const char *source;
	long line;
} where;

typedef struct cstate {
	bool decided;
	where fail;
	char *reason;
	/* scope */
	bool active, done;
	where start;
	agr_record *opener; /* $trigger outside response: the record that opened the interval */
	bool pending;
	where pend;
	char *pend_reason;
	/* patterns */
	bool found, seen_first;
	long count;
	obligation *ob;
	size_t nob, capob;
	/* built-ins */
	long last_step;
	entry *e;
	size_t ne, cape;
	entry *e2;
	size_t ne2, cape2;
} cstate;

typedef struct trace {
	char *id;
	struct trace *prev, *next;
	where last;
	long reopened_after; /* the final step of an earlier instance, or -1 */
	cstate *cs;
} trace;

#define CLOSED_KEPT 65536

struct agr_checker {
	const agr_contracts *cs;
	size_t max_open, open;
	agr_verdict_fn fn;
	void *ctx;
	bool every_problem;
	bool runs_apart;
	agrp_map traces;
	trace *first, *last;
	/* Recently closed traces, to see records after a final. */
	agrp_map closed;
	char **closed_ring; /* grows to CLOSED_KEPT, then wraps */
	long *closed_step;
	size_t closed_next, closed_cap;
	bool over; /* max_open exceeded */
	agr_error *err;
};

/* What a record says, read once. */
typedef struct rinfo {
	const agr_record *rec;
	const json_t *j; /* the tree: only in the reference mode */
	const char *kind, *tool, *status, *id, *call;
	long step;
	const char *source;
	long line;
} rinfo;

agr_checker *
agr_checker_new(const agr_contracts *cs, size_t max_open, agr_verdict_fn fn, void *ctx)
{
	agr_checker *k = agrp_xcalloc(1, sizeof *k);

	k->cs = cs;
	k->max_open = max_open ? max_open : AGR_DEFAULT_MAX_OPEN;
	k->fn = fn;
	k->ctx = ctx;
	return k;
}

void
agr_checker_runs_apart(agr_checker *k)
{
	k->runs_apart = true;
}

void
agr_checker_every_problem(agr_checker *k)
{
	k->every_problem = true;
}

static void
entries_clear(agr_checker *k, entry *e, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(e[i].key);
		free(e[i].text);
	}
	k->open -= *n;
	*n = 0;
}

static void
obligations_clear(agr_checker *k, cstate *s)
{
	for (size_t i = 0; i < s->nob; i++)
		agr_record_free(s->ob[i].trigger);
	k->open -= s->nob;
	s->nob = 0;
}

static void
cstate_free(agr_checker *k, cstate *s)
{
	obligations_clear(k, s);
	free(s->ob);
	entries_clear(k, s->e, &s->ne);
	entries_clear(k, s->e2, &s->ne2);
	free(s->e);
	free(s->e2);
	free(s->reason);
	free(s->pend_reason);
	agr_record_free(s->opener);
}

static void
trace_free(agr_checker *k, trace *t)
{
	for (size_t i = 0; i < k->cs->n; i++)
		cstate_free(k, &t->cs[i]);
	free(t->cs);
	free(t->id);
	free(t);
}

void
agr_checker_free(agr_checker *k)
{
	if (k == NULL)
		return;
	while (k->first != NULL) {
		trace *t = k->first;

		k->first = t->next;
		trace_free(k, t);
	}
	agrp_map_free(&k->traces);
	agrp_map_free(&k->closed);
	for (size_t i = 0; i < k->closed_cap; i++)
		free(k->closed_ring[i]);
	free(k->closed_ring);
	free(k->closed_step);
	free(k);
}

static char *
vformat(const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	return agrp_xstrdup(buf);
}

static void fail(agr_checker *k, cstate *s, where w, const char *fmt, ...) AGRP_PRINTF(4, 5);

/* The contract is broken for this trace: decided, and its state let go. */
static void
fail(agr_checker *k, cstate *s, where w, const char *fmt, ...)
{
	va_list ap;

	if (s->decided)
		return;
	s->decided = true;
	s->fail = w;
	va_start(ap, fmt);
	s->reason = vformat(fmt, ap);
	va_end(ap);
	obligations_clear(k, s);
	entries_clear(k, s->e, &s->ne);
	entries_clear(k, s->e2, &s->ne2);
}

static void
emit(agr_checker *k, const trace *t, const contract *c, bool pass, where w, const char *reason)
{
	agr_verdict v = { t->id, c->name, pass, pass ? -1 : w.step, reason, w.source, w.line };

	k->fn(k->ctx, &v);
}

static where
at(const rinfo *ri)
{
	where w = { ri->step, ri->source, ri->line };

	return w;
}

/* "step 12 (call Stripe c3)": what a reason says of a record. */
static void
describe(char *buf, size_t n, const rinfo *ri)
{
	const char *id = ri->id ? ri->id : ri->call;

	snprintf(buf, n, "step %ld (%s%s%s%s%s)", ri->step, ri->kind ? ri->kind : "?",
	         ri->tool ? " " : "", ri->tool ? ri->tool : "", id ? " " : "", id ? id : "");
}

static bool
needs_closing(const contract *c)
{
	return c->scope == SC_BEFORE || c->scope == SC_BETWEEN;
}

/* A violation inside an interval: certain now, or when R closes it. */
static void violate(agr_checker *k, const contract *c, cstate *s, const rinfo *ri, const char *fmt,
                    ...) AGRP_PRINTF(5, 6);

static void
violate(agr_checker *k, const contract *c, cstate *s, const rinfo *ri, const char *fmt, ...)
{
	va_list ap;
	char *reason;

	va_start(ap, fmt);
	reason = vformat(fmt, ap);
	va_end(ap);
	if (!needs_closing(c)) {
		fail(k, s, at(ri), "%s", reason);
	} else if (!s->pending) {
		s->pending = true;
		s->pend = at(ri);
		s->pend_reason = reason;
		return;
	}
	free(reason);
}

static bool
test(const agr_expr *e, const rinfo *ri, const agr_record *trigger)
{
	if (agrp_reference())
		return agr_expr_test(e, ri->j, trigger ? agr_record_json(trigger) : NULL);
	return agr_expr_test_record(e, ri->rec, trigger);
}

static void
open_interval(cstate *s, const rinfo *ri)
{
	s->active = true;
	s->start = at(ri);
	agr_record_free(s->opener);
	s->opener = agr_record_keep(ri->rec);
}

static void
reset_interval(agr_checker *k, cstate *s)
{
	s->active = false;
	s->found = s->seen_first = false;
	s->count = 0;
	s->pending = false;
	free(s->pend_reason);
	s->pend_reason = NULL;
	obligations_clear(k, s);
	agr_record_free(s->opener);
	s->opener = NULL;
}

/* The end of an interval that counts: R closed it, or the trace ended. */
static void
close_interval(agr_checker *k, const contract *c, cstate *s, const rinfo *closer)
{
	char how[160];

	if (closer != NULL)
		snprintf(how, sizeof how, " (scope closed at step %ld)", closer->step);
	else
		how[0] = '\0';
	if (s->pending) {
		where w = s->pend;

		w.step = closer->step;
		fail(k, s, w, "%s%s", s->pend_reason, how);
	} else if (c->type == PAT_EVENTUALLY && !s->found) {
		if (closer != NULL)
			fail(k, s, at(closer), "no record from step %ld satisfies '%s'%s",
			     s->start.step, c->p_text, how);
		else
			fail(k, s, s->start, "no record from step %ld on satisfies '%s'",
			     s->start.step, c->p_text);
	} else if (c->type == PAT_RESPONSE && s->nob > 0) {
		obligation *o = &s->ob[0];
		/* Certain when R closes the scope; left open at the end: the trigger. */
		where w = { closer ? closer->step : o->step, o->source, o->line };

		fail(k, s, w, "step %ld satisfies '%s' but no later record satisfies '%s'%s",
		     o->step, c->p_text, c->s_text, how);
	}
	reset_interval(k, s);
}

static void
add_obligation(agr_checker *k, cstate *s, const rinfo *ri)
{
	agrp_grow(&s->ob, &s->capob, s->nob + 1, sizeof *s->ob);
	s->ob[s->nob].trigger = agr_record_keep(ri->rec);
	s->ob[s->nob].step = ri->step;
	s->ob[s->nob].source = ri->source;
	s->ob[s->nob].line = ri->line;
	s->nob++;
	k->open++;
}

static void
pattern(agr_checker *k, const contract *c, cstate *s, const rinfo *ri)
{
	char d[200];

	switch (c->type) {
	case PAT_ALWAYS:
		if (!test(c->p, ri, s->opener)) {
			describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s breaks always '%s'", d, c->p_text);
		}
		break;
	case PAT_NEVER:
		if (test(c->p, ri, s->opener)) {
			describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s breaks never '%s'", d, c->p_text);
		}
		break;
	case PAT_EVENTUALLY:
		s->found = s->found || test(c->p, ri, s->opener);
		break;
	case PAT_PRECEDENCE:
		if (test(c->s, ri, s->opener)) {
			s->seen_first = true;
		} else if (!s->seen_first && test(c->p, ri, s->opener)) {
			describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s satisfies '%s' before any record satisfies '%s'",
			        d, c->p_text, c->s_text);
		}
		break;
	case PAT_BOUNDED:
		if (test(c->p, ri, s->opener) && ++s->count > c->max) {
			describe(d, sizeof d, ri);
			violate(k, c, s, ri, "%s is the %ld%s record to satisfy '%s' (at most %ld)",
			        d, s->count,
			        s->count % 10 == 1 && s->count % 100 != 11   ? "st"
			        : s->count % 10 == 2 && s->count % 100 != 12 ? "nd"
			        : s->count % 10 == 3 && s->count % 100 != 13 ? "rd"
			                                                     : "th",
			        c->p_text, c->max);
		}
		break;
	case PAT_RESPONSE: {
		size_t kept = 0;

		/* Obligations are in step order: the oldest has the first deadline. */
		if (c->within >= 0 && s->nob > 0 && ri->step > s->ob[0].step + c->within) {
			describe(d, sizeof d, ri);
			violate(k, c, s, ri,
			        "step %ld satisfies '%s' but no record within %ld steps "
			        "satisfies '%s' (%s is past it)",
			        s->ob[0].step, c->p_text, c->within, c->s_text, d);
			if (s->decided || s->pending)
				break;
		}
		for (size_t i = 0; i < s->nob; i++) {
			if (test(c->s, ri, s->ob[i].trigger)) {
				agr_record_free(s->ob[i].trigger);
				k->open--;
			} else {
				s->ob[kept++] = s->ob[i];
			}
		}
		s->nob = kept;
		if (test(c->p, ri, s->opener))
			add_obligation(k, s, ri);
		break;
	}
	default:
		break;
	}
}

/* Feeds one record to one user contract: scope first, then the pattern. */
static void
user_record(agr_checker *k, const contract *c, cstate *s, const rinfo *ri)
{
	switch (c->scope) {
	case SC_GLOBAL:
		if (!s->active)
			open_interval(s, ri);
		break;
	case SC_AFTER:
		if (!s->active && test(c->q, ri, NULL))
			open_interval(s, ri);
		break;
	case SC_BEFORE:
		if (s->done)
			return;
		if (test(c->r, ri, NULL)) {
			if (!s->active)
				open_interval(s, ri);
			close_interval(k, c, s, ri);
			s->done = true;
			return;
		}
		if (!s->active)
			open_interval(s, ri);
		break;
	case SC_BETWEEN:
	case SC_UNTIL:
		if (s->active && test(c->r, ri, NULL)) {
			close_interval(k, c, s, ri);
			return;
		}
		if (!s->active && test(c->q, ri, NULL) && !test(c->r, ri, NULL))
			open_interval(s, ri);
		break;
	}
	if (s->active && !s->decided)
		pattern(k, c, s, ri);
}

static void
user_end(agr_checker *k, const contract *c, cstate *s)
{
	/* An interval that needs its R and never got it does not count. */
	if (s->active && !needs_closing(c))
		close_interval(k, c, s, NULL);
	reset_interval(k, s);
}

/* ---- built-ins ----------------------------------------------------- */

static entry *
push_entry(agr_checker *k, entry **e, size_t *n, size_t *cap, const char *key, const char *text,
           const rinfo *ri)
{
	entry *x;

	agrp_grow(e, cap, *n + 1, sizeof **e);
	x = &(*e)[(*n)++];
	x->key = key ? agrp_xstrdup(key) : NULL;
	x->text = text ? agrp_xstrdup(text) : NULL;
	x->step = ri->step;
	x->flag = false;
	x->source = ri->source;
	x->line = ri->line;
	k->open++;
	return x;
}

static void
drop_entry(agr_checker *k, entry *e, size_t *n, size_t i)
{
	free(e[i].key);
	free(e[i].text);
	memmove(&e[i], &e[i + 1], (*n - i - 1) * sizeof *e);
	(*n)--;
	k->open--;
}

static bool
is_failure(const char *status)
{
	return status != NULL && (strcmp(status, "error") == 0 || strcmp(status, "timeout") == 0);
}

static bool
kind_is(const rinfo *ri, const char *kind)
{
	return ri->kind != NULL && strcmp(ri->kind, kind) == 0;
}

/* The first well-formedness problem of a record, or NULL. */
static const char *
malformed(const rinfo *ri, long last_step, char *buf, size_t n)
{
	const json_t *j = ri->j, *v = json_object_get(j, "kind");
	const json_t *step = json_object_get(j, "step"), *cause = json_object_get(j, "cause");

	if (v == NULL)
		return "the record has no \"kind\"";
	if (!json_is_string(v))
		return "\"kind\" must be a string";
	if ((v = json_object_get(j, "trace")) != NULL && !json_is_string(v))
		return "\"trace\" must be a string";
	if (step == NULL)
		return "the record has no \"step\"";
	if (!json_is_integer(step) || json_integer_value(step) < 0)
		return "\"step\" must be a whole number from 0";
	if (last_step >= 0 && json_integer_value(step) <= last_step) {
		snprintf(buf, n, "step %lld does not come after step %ld",
		         (long long)json_integer_value(step), last_step);
		return buf;
	}
	if ((v = json_object_get(j, "ts")) != NULL && !json_is_number(v) && !json_is_string(v))
		return "\"ts\" must be a number or a string";
	if (cause != NULL) {
		size_t i, len = json_is_array(cause) ? json_array_size(cause) : 1;

		for (i = 0; i < len; i++) {
			const json_t *c = json_is_array(cause) ? json_array_get(cause, i) : cause;

			if (!json_is_integer(c) || json_integer_value(c) < 0 ||
			    json_integer_value(c) >= json_integer_value(step))
				return "\"cause\" must be earlier steps of the trace";
		}
	}
	return NULL;
}

/* The same, by the record's bytes. */
static const char *
malformed_fast(const rinfo *ri, long last_step, char *buf, size_t n)
{
	agrp_span v, step, cause;
	long st, c;

	if (!agrp_record_field(ri->rec, "kind", &v))
		return "the record has no \"kind\"";
	if (v.type != 's')
		return "\"kind\" must be a string";
	if (agrp_record_field(ri->rec, "trace", &v) && v.type != 's')
		return "\"trace\" must be a string";
	if (!agrp_record_field(ri->rec, "step", &step))
		return "the record has no \"step\"";
	if (!agrp_span_int(&step, &st) || st < 0)
		return "\"step\" must be a whole number from 0";
	if (last_step >= 0 && st <= last_step) {
		snprintf(buf, n, "step %ld does not come after step %ld", st, last_step);
		return buf;
	}
	if (agrp_record_field(ri->rec, "ts", &v) && v.type != 'n' && v.type != 's')
		return "\"ts\" must be a number or a string";
	if (agrp_record_field(ri->rec, "cause", &cause)) {
		size_t cursor = 0;
		agrp_span k;

		if (cause.type != 'a')
			return agrp_span_int(&cause, &c) && c >= 0 && c < st
			           ? NULL
			           : "\"cause\" must be earlier steps of the trace";
		while (agrp_span_next(&cause, &cursor, &k, &v))
			if (!agrp_span_int(&v, &c) || c < 0 || c >= st)
				return "\"cause\" must be earlier steps of the trace";
	}
	return NULL;
}

static void
builtin_record(agr_checker *k, const contract *c, cstate *s, trace *t, const rinfo *ri)
{
	char d[200], buf[200];
	const char *why;

	/* d, the record described, is only made when a reason needs it. */
	switch (c->type) {
	case BI_WELL_FORMED:
		why = agrp_reference() ? malformed(ri, s->last_step, buf, sizeof buf)
		                       : malformed_fast(ri, s->last_step, buf, sizeof buf);
		if (why != NULL) {
			describe(d, sizeof d, ri);
			if (k->every_problem) {
				char reason[512];

				snprintf(reason, sizeof reason, "%s: %s", d, why);
				emit(k, t, c, false, at(ri), reason);
			} else {
				fail(k, s, at(ri), "%s: %s", d, why);
			}
		}
		if (ri->step > s->last_step)
			s->last_step = ri->step;
		break;
	case BI_TERMINATES:
		if (t->reopened_after >= 0) {
			describe(d, sizeof d, ri);
			fail(k, s, at(ri), "%s comes after the final record (step %ld)", d,
			     t->reopened_after);
		}
		break;
	case BI_ANSWERED:
		if (kind_is(ri, "call")) {
			if (ri->id == NULL) {
				describe(d, sizeof d, ri);
				fail(k, s, at(ri), "%s has no \"id\" to be answered by", d);
			} else {
				push_entry(k, &s->e, &s->ne, &s->cape, ri->id, ri->tool, ri);
			}
		} else if (kind_is(ri, "result") && ri->call != NULL) {
			/* The nearest open call with that id. */
			for (size_t i = s->ne; i-- > 0;)
				if (strcmp(s->e[i].key, ri->call) == 0) {
					drop_entry(k, s->e, &s->ne, i);
					break;
				}
		}
		break;
	case BI_OBSERVABLE:
		if (kind_is(ri, "result") && is_failure(ri->status)) {
			push_entry(k, &s->e, &s->ne, &s->cape, ri->tool ? ri->tool : "", ri->status,
			           ri);
		} else if (kind_is(ri, "call") && ri->tool != NULL) {
			for (size_t i = s->ne; i-- > 0;)
				if (strcmp(s->e[i].key, ri->tool) == 0)
					drop_entry(k, s->e, &s->ne, i);
		} else if (kind_is(ri, "reroute") || kind_is(ri, "demote") ||
		           kind_is(ri, "escalate") ||
		           (kind_is(ri, "final") &&
		            (ri->status == NULL || strcmp(ri->status, "success") != 0))) {
			entries_clear(k, s->e, &s->ne);
		} else if (kind_is(ri, "final") && s->ne > 0) {
			describe(d, sizeof d, ri);
			fail(k, s, at(ri),
			     "step %ld (%s %s) was not retried, rerouted or escalated, yet %s says "
			     "success",
			     s->e[0].step, s->e[0].key, s->e[0].text, d);
		}
		break;
	case BI_NO_REPEAT:
		if (kind_is(ri, "call") && ri->tool != NULL) {
			agrp_span span;
			const json_t *args =
			    agrp_reference() || agrp_record_field(ri->rec, "args", &span)
			        ? json_object_get(agr_record_json(ri->rec), "args")
			        : NULL;
			char *canon =
			    args ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
			         : agrp_xstrdup("null");
			entry *x = NULL;

			for (size_t i = 0; i < s->ne; i++)
				if (strcmp(s->e[i].key, ri->tool) == 0)
					x = &s->e[i];
			if (x != NULL && !x->flag && strcmp(x->text, canon) == 0) {
				describe(d, sizeof d, ri);
				fail(k, s, at(ri),
				     "%s calls %s again with the arguments of step %ld, with no "
				     "failed "
				     "result between",
				     d, ri->tool, x->step);
			} else if (x != NULL) {
				free(x->text);
				x->text = agrp_xstrdup(canon);
				x->step = ri->step;
				x->flag = false;
			} else {
				push_entry(k, &s->e, &s->ne, &s->cape, ri->tool, canon, ri);
			}
			free(canon);
			if (!s->decided && ri->id != NULL)
				push_entry(k, &s->e2, &s->ne2, &s->cape2, ri->id, ri->tool, ri);
		} else if (kind_is(ri, "result")) {
			/* The call it answers names the tool when the result does not. */
			size_t i = s->ne2;
			const char *tool;

			while (ri->call != NULL && i-- > 0 && strcmp(s->e2[i].key, ri->call) != 0)
				;
			tool = ri->tool ? ri->tool : i < s->ne2 ? s->e2[i].text : NULL;
			for (size_t j = 0; tool != NULL && is_failure(ri->status) && j < s->ne; j++)
				if (strcmp(s->e[j].key, tool) == 0)
					s->e[j].flag = true;
			if (i < s->ne2)
				drop_entry(k, s->e2, &s->ne2, i);
		}
		break;
	default:
		break;
	}
}

static void
builtin_end(agr_checker *k, const contract *c, cstate *s, trace *t, bool has_final)
{
	switch (c->type) {
	case BI_TERMINATES:
		if (!has_final)
			fail(k, s, t->last, "the trace ends at step %ld without a final record",
			     t->last.step);
		break;
	case BI_ANSWERED:
		if (s->ne > 0) {
			where w = { s->e[0].step, s->e[0].source, s->e[0].line };

			fail(k, s, w, "call %s%s%s at step %ld has no result", s->e[0].key,
			     s->e[0].text ? " to " : "", s->e[0].text ? s->e[0].text : "",
			     s->e[0].step);
		}
		break;
	case BI_OBSERVABLE:
		if (s->ne > 0) {
			where w = { s->e[0].step, s->e[0].source, s->e[0].line };

			fail(k, s, w, "step %ld (%s %s) is never retried, rerouted or escalated",
			     s->e[0].step, s->e[0].key, s->e[0].text);
		}
		break;
	default:
		break;
	}
}

/* ---- traces -------------------------------------------------------- */

static void
remember_closed(agr_checker *k, const char *id, long final_step)
{
	size_t slot = k->closed_next++ % CLOSED_KEPT;

	if (slot >= k->closed_cap) { /* grown as traces end: most checkers see few */
		size_t cap = k->closed_cap ? 2 * k->closed_cap : 64;

		cap = cap < CLOSED_KEPT ? cap : CLOSED_KEPT;
		k->closed_ring = agrp_xrealloc(k->closed_ring, cap * sizeof *k->closed_ring);
		k->closed_step = agrp_xrealloc(k->closed_step, cap * sizeof *k->closed_step);
		memset(k->closed_ring + k->closed_cap, 0,
		       (cap - k->closed_cap) * sizeof *k->closed_ring);
		k->closed_cap = cap;
	}
	if (k->closed_ring[slot] != NULL) {
		agrp_map_del(&k->closed, k->closed_ring[slot]);
		free(k->closed_ring[slot]);
	}
	k->closed_ring[slot] = agrp_xstrdup(id);
	k->closed_step[slot] = final_step;
	/* the slot, not a pointer into an array that may move */
	agrp_map_put(&k->closed, id, (void *)(intptr_t)(slot + 1));
}

static void
close_trace(agr_checker *k, trace *t, bool has_final)
{
	for (size_t i = 0; i < k->cs->n; i++) {
		const contract *c = &k->cs->c[i];
		cstate *s = &t->cs[i];

		if (c->type >= BI_WELL_FORMED)
			builtin_end(k, c, s, t, has_final);
		else
			user_end(k, c, s);
		if (c->type == BI_WELL_FORMED && k->every_problem)
			continue;
		emit(k, t, c, !s->decided, s->fail, s->reason);
	}
	agrp_map_del(&k->traces, t->id);
	if (t->prev)
		t->prev->next = t->next;
	else
		k->first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		k->last = t->prev;
	if (has_final && !k->runs_apart)
		remember_closed(k, t->id, t->last.step);
	trace_free(k, t);
}

static trace *
open_trace(agr_checker *k, const char *id)
{
	trace *t = agrp_xcalloc(1, sizeof *t);
	intptr_t closed = (intptr_t)agrp_map_get(&k->closed, id);

	t->id = agrp_xstrdup(id);
	t->reopened_after = closed ? k->closed_step[closed - 1] : -1;
	t->cs = agrp_xcalloc(k->cs->n, sizeof *t->cs);
	for (size_t i = 0; i < k->cs->n; i++)
		t->cs[i].last_step = -1;
	t->prev = k->last;
	if (k->last)
		k->last->next = t;
	else
		k->first = t;
	k->last = t;
	agrp_map_put(&k->traces, id, t);
	return t;
}

bool
agr_checker_feed(agr_checker *k, const agr_record *rec, agr_error *err)
{
	agrp_common common;
	const char *id;
	rinfo ri = { rec,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     NULL,
		     -1,
		     agr_record_source(rec),
		     agr_record_line(rec) };

	if (agrp_reference()) {
		const json_t *j = agr_record_json(rec), *step = json_object_get(j, "step");

		ri.j = j;
		id = agr_json_str(j, "trace");
		ri.kind = agr_json_str(j, "kind");
		ri.tool = agr_json_str(j, "tool");
		ri.status = agr_json_str(j, "status");
		ri.id = agr_json_str(j, "id");
		ri.call = agr_json_str(j, "call");
		ri.step = json_is_integer(step) ? (long)json_integer_value(step) : -1;
	} else {
		agrp_record_common(rec, &common);
		id = common.trace;
		ri.kind = common.kind;
		ri.tool = common.tool;
		ri.status = common.status;
		ri.id = common.id;
		ri.call = common.call;
		ri.step = common.step;
	}
	trace *t;

	if (id == NULL)
		id = "";
	if ((t = agrp_map_get(&k->traces, id)) == NULL)
		t = open_trace(k, id);
	t->last = at(&ri);
	for (size_t i = 0; i < k->cs->n; i++) {
		const contract *c = &k->cs->c[i];

		if (t->cs[i].decided)
			continue;
		if (c->type >= BI_WELL_FORMED)
			builtin_record(k, c, &t->cs[i], t, &ri);
		else
			user_record(k, c, &t->cs[i], &ri);
	}
	if (k->open > k->max_open) {
		char d[200];

		describe(d, sizeof d, &ri);
		agrp_error_set(
		    err, ri.source, ri.line, 0,
		    "more than %zu open obligations at %s of trace '%s' (raise --max-open)",
		    k->max_open, d, id);
		return false;
	}
	if (kind_is(&ri, "final"))
		close_trace(k, t, true);
	return true;
}

void
agr_checker_finish(agr_checker *k)
{
	while (k->first != NULL)
		close_trace(k, k->first, false);
}
