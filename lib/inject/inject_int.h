/*
 * inject_int.h - what the fault table (faults.c), the spec parser
 * (spec.c) and the injector (inject.c) share: a fault's definition and
 * the context it is applied in, a parsed fault spec, the injector.
 * Internal names start with agrp_.
 */
#ifndef AGRP_INJECT_INT_H
#define AGRP_INJECT_INT_H

#include "record/record_int.h"

/* What a fault does to the record it hits: changes it (KEEP), removes it,
 * adds copies after it, holds it back some records, or finds nothing to do
 * (SKIP, and then it must not have touched the record). */
typedef enum agrp_outcome { AGRP_KEEP, AGRP_DROP, AGRP_COPY, AGRP_DELAY, AGRP_SKIP } agrp_outcome;

typedef struct agrp_fctx {
	const json_t *params;
	agr_prng *prng;
	long copies;           /* COPY: how many */
	long delay;            /* DELAY: behind how many records of its trace */
	const json_t *outputs; /* the trace's last output of each tool so far */
	const json_t *tools;   /* every tool seen in the input so far */
	json_t *extra;         /* a record to write after it, owned */
	json_t *drawn;         /* choices the fault drew, for its fault record, owned */
	double late_ms;        /* how much later the record comes: a real call waits it */
} agrp_fctx;

/* What a parameter takes.  Values are kept as the strings given, checked
 * once here, so that a fault reads only values it can use. */
typedef enum agrp_ptype {
	AGRP_TEXT,  /* any text but the empty one */
	AGRP_FIELD, /* a field's name, not one the injector renumbers (trace, step, cause) */
	AGRP_BOOL,  /* true or false */
	AGRP_REAL,  /* a decimal number from lo to hi; above lo when lo_open */
	AGRP_WHOLE, /* a whole number from lo to hi, in digits */
	AGRP_WORD,  /* one of words, separated by '|' */
	AGRP_EXPR,  /* an expression (where=) */
	AGRP_FILE,  /* a file's name (templates=) */
} agrp_ptype;

typedef struct agrp_param {
	const char *name;
	agrp_ptype type;
	double lo, hi;
	bool lo_open;
	const char *words;
} agrp_param;

/* The largest whole number a parameter takes: 2^53, the last integer
 * every JSON reader holds exactly. */
#define AGRP_WHOLE_MAX 9007199254740992.0

/* Whether a fault can hit a real call as it is made (agraph-route --exec
 * -f): a service fault stands in for the tool, a response fault changes
 * its result; the others change records or a stream that only a recorded
 * trace has. */
typedef enum agrp_live { AGRP_LIVE_NO, AGRP_LIVE_SERVICE, AGRP_LIVE_RESPONSE } agrp_live;

typedef struct agrp_fault_def {
	const char *name;
	const char *target; /* the kind of record it hits unless kind= says */
	const char *meaning;
	const agrp_param *params; /* its own, ended by a NULL name */
	agrp_outcome (*apply)(json_t *rec, agrp_fctx *c);
	const char *tools; /* which records it hits unless tool= or where= says, or NULL */
	bool track;        /* needs the tools and outputs seen so far */
	const char *words; /* the parameter that needs real language, or NULL */
	agrp_live live;
} agrp_fault_def;

/* The fault of that name in the table, or NULL. */
const agrp_fault_def *agrp_fault_find(const char *name);

/* A fault spec as parsed: the fault, the records it may hit, how often. */
typedef struct agrp_fspec {
	const agrp_fault_def *def;
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
	bool live;         /* for real calls: kind= must be result */
	agrp_live live_as; /* for real calls: when it applies (an answer fault: a response one) */
} agrp_fspec;

/* Frees what a spec owns, not the spec itself. */
void agrp_fspec_free(agrp_fspec *f);

struct agr_injector {
	agrp_fspec *f;
	size_t n, cap;
	agr_prng prng;
	bool quiet;
	bool track; /* some fault needs the tools and outputs seen so far */
	agr_write_fn out, manifest;
	void *out_ctx, *manifest_ctx;
	agrp_map traces;             /* trace id -> its state, while the trace is open */
	struct tstate *first, *last; /* the open traces in the order they began, for the end */
	json_t *tools;               /* every tool seen: name -> true */
	char **rewrite;              /* --rewrite-cmd, split at spaces; NULL-ended */
	bool live;                   /* for real calls (agr_injector_live()): live faults only */
	bool answers;                /* agr_injector_live_answers(): CLV, H, CIL on results too */
};

#endif
