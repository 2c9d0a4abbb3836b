/*
 * check_int.h - contracts and the checker's state, shared by the loader
 * (contract.c), the checker with the user contracts' patterns and scopes
 * (checker.c), the built-in contracts (builtins.c) and the verdicts they
 * give (verdict.c).  Files call downwards only: checker.c calls
 * builtins.c, and both call verdict.c.
 * Internal names start with agrp_.
 */
#ifndef AGRP_CHECK_INT_H
#define AGRP_CHECK_INT_H

#include <stdarg.h>

#include "record/record_int.h"

/* The kinds of contract: the patterns of user contracts, then the
 * built-ins (every kind from AGRP_BI_WELL_FORMED on is one). */
typedef enum agrp_ctype {
	AGRP_PAT_ALWAYS,
	AGRP_PAT_NEVER,
	AGRP_PAT_EVENTUALLY,
	AGRP_PAT_PRECEDENCE,
	AGRP_PAT_RESPONSE,
	AGRP_PAT_BOUNDED,
	AGRP_BI_WELL_FORMED,
	AGRP_BI_TERMINATES,
	AGRP_BI_ANSWERED,
	AGRP_BI_OBSERVABLE,
	AGRP_BI_NO_REPEAT,
} agrp_ctype;

typedef enum agrp_scope_kind {
	AGRP_SC_GLOBAL,
	AGRP_SC_BEFORE,
	AGRP_SC_AFTER,
	AGRP_SC_BETWEEN,
	AGRP_SC_UNTIL
} agrp_scope_kind;

typedef struct agrp_contract {
	char *name;
	agrp_ctype type;
	agr_expr *p, *s; /* precedence: s first, p before; response: p if, s then */
	char *p_text, *s_text;
	long within; /* response: -1 for "by the end" */
	long max;    /* bounded */
	agrp_scope_kind scope;
	agr_expr *q, *r;
} agrp_contract;

struct agr_contracts {
	agrp_contract *c;
	size_t n, cap;
};

typedef struct agrp_obligation {
	agr_record *trigger;
	long step;
	const char *source;
	long line;
} agrp_obligation;

/* An open call (answered), a pending failure (observable), a call id's
 * tool or a tool's last arguments (no-repeat). */
typedef struct agrp_entry {
	char *key;  /* call id or tool */
	char *text; /* tool, or canonical arguments */
	long step;
	bool flag; /* no-repeat: a failed result since */
	const char *source;
	long line;
} agrp_entry;

typedef struct agrp_where {
	long step;
	const char *source;
	long line;
} agrp_where;

typedef struct agrp_cstate {
	bool decided;
	agrp_where fail;
	char *reason;
	/* scope */
	bool active, done;
	agrp_where start;
	agr_record *opener; /* $trigger outside response: the record that opened the interval */
	bool pending;
	agrp_where pend;
	char *pend_reason;
	/* patterns */
	bool found, seen_first;
	long count;
	agrp_obligation *ob;
	size_t nob, capob;
	/* built-ins */
	long last_step;
	agrp_entry *e;
	size_t ne, cape;
	agrp_entry *e2;
	size_t ne2, cape2;
} agrp_cstate;

typedef struct agrp_trace {
	char *id;
	struct agrp_trace *prev, *next;
	agrp_where last;
	long reopened_after; /* the final step of an earlier instance, or -1 */
	agrp_cstate *cs;
} agrp_trace;

struct agr_checker {
	const agr_contracts *cs;
	size_t max_open, open;
	agr_verdict_fn fn;
	void *ctx;
	bool every_problem;
	bool runs_apart;
	agrp_map traces;
	agrp_trace *first, *last;
	/* Recently closed traces, to see records after a final. */
	agrp_map closed;
	char **closed_ring; /* grows to a bound (checker.c), then wraps */
	long *closed_step;
	size_t closed_next, closed_cap;
	bool over; /* max_open exceeded */
	agr_error *err;
};

/* What a record says, read once. */
typedef struct agrp_rinfo {
	const agr_record *rec;
	const json_t *j; /* the tree: only in the reference mode */
	const char *kind, *tool, *status, *id, *call;
	long step;
	const char *source;
	long line;
} agrp_rinfo;

static inline agrp_where
agrp_check_at(const agrp_rinfo *ri)
{
	agrp_where w = { ri->step, ri->source, ri->line };

	return w;
}

static inline bool
agrp_check_kind_is(const agrp_rinfo *ri, const char *kind)
{
	return ri->kind != NULL && strcmp(ri->kind, kind) == 0;
}

/* verdict.c: what the checker and the built-ins report through. */

/* The contract is broken for this trace: decided, and its state let go. */
void agrp_check_fail(agr_checker *k, agrp_cstate *s, agrp_where w, const char *fmt, ...)
    AGRP_PRINTF(4, 5);
/* A verdict, now. */
void agrp_check_emit(agr_checker *k, const agrp_trace *t, const agrp_contract *c, bool pass,
                     agrp_where w, const char *reason);
/* "step 12 (call Stripe c3)": what a reason says of a record. */
void agrp_check_describe(char *buf, size_t n, const agrp_rinfo *ri);
/* The text, formatted, in a new string. */
char *agrp_check_vformat(const char *fmt, va_list ap);
/* Frees entries or obligations and takes them off the checker's count. */
void agrp_check_entries_clear(agr_checker *k, agrp_entry *e, size_t *n);
void agrp_check_obligations_clear(agr_checker *k, agrp_cstate *s);

/* builtins.c: one record, and the end of the trace, for a built-in contract. */
void agrp_builtin_record(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                         const agrp_rinfo *ri);
void agrp_builtin_end(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                      bool has_final);

#endif
