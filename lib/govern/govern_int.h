/*
 * govern_int.h - the governor's policy (policy.c), its decisions
 * (decide.c) and the filter over traces (filter.c).
 * Internal names start with agrp_.
 */
#ifndef AGRP_GOVERN_INT_H
#define AGRP_GOVERN_INT_H

#include "record/record_int.h"

/* A field path of set: and remove:, names joined by dots. */
typedef struct agrp_fpath {
	char *text;
	char **part;
	size_t n;
} agrp_fpath;

typedef struct agrp_rule {
	char *name;
	bool on_message; /* on: message; else calls */
	agr_expr *when;  /* NULL: every record it is on */
	agr_decision then;
	char *reason; /* NULL: one is made up */
	agrp_fpath *set;
	agr_expr **set_value;
	size_t nset;
	agrp_fpath *remove;
	size_t nremove;
	bool limited; /* limit: given */
	double limit;
	agr_expr *sum;  /* NULL: limit counts records */
	size_t counter; /* limited: its slot in a trace's counters */
} agrp_rule;

/* Per trace: what the limits used, the steps put in, the blocked calls. */
typedef struct agrp_gtrace {
	char *id;
	struct agrp_gtrace *prev, *next; /* all of them, to free */
	struct agrp_gtrace *later;       /* ended: the next to have ended */
	bool ended;                      /* its first final has come */
	double *used;                    /* [counter]: records counted, or the sum */
	agrp_steps steps;
	agrp_map blocked; /* call id -> (void *)1: its late result is dropped */
} agrp_gtrace;

struct agr_governor {
	char *name;
	agr_decision fallback; /* default: allow or block */
	agrp_map agents;       /* agent -> agrp_map of the tools it may call */
	agrp_rule *rules;
	size_t nrules, caprules, ncounters;
	bool audit;
	bool on_messages; /* a rule is on: message */
	agrp_map traces;  /* id -> agrp_gtrace */
	agrp_gtrace *all;
	agrp_gtrace *efirst, *elast; /* the ended, held, the oldest first */
	size_t nended;
	size_t *passed;        /* scratch: the limited rules a record passed, */
	double *passed_amount; /* and what each of them counted */
	agrp_buf out;          /* scratch: a record being written */
	agr_record *scratch;
};

/* The outcome of one record. */
typedef struct agrp_ruling {
	agr_decision decision;
	const char *rule;  /* its name, "agents", "default"; NULL: no rule decided */
	char *reason;      /* block, escalate: owned */
	json_t *changed;   /* rewrite: the paths, in order */
	json_t *rewritten; /* rewrite: the new record */
	bool own_rewritten;
} agrp_ruling;

/* A trace whose final has come is held, for the records that may still
 * come after it, until AGRP_GOVERN_HELD traces have ended after it; then
 * its state is let go, so that memory is per open trace.  A record of it
 * that comes later still begins its state anew. */
#define AGRP_GOVERN_HELD 4096

agrp_gtrace *agrp_gtrace_of(agr_governor *gv, const char *id);
/* Its final has come: held, and the oldest held let go past the count. */
void agrp_gtrace_end(agr_governor *gv, agrp_gtrace *t);
void agrp_gtrace_free(agr_governor *gv, agrp_gtrace *t);
/* Decides rec (com: its common fields) for trace t.  A rewrite changes
 * in_place, the record's own tree, or else a copy of it: out->rewritten
 * (owned by out only when it is a copy).  Commits the limits' counts
 * when the record goes out. */
void agrp_decide(agr_governor *gv, agrp_gtrace *t, const agr_record *rec, const agrp_common *com,
                 json_t *in_place, agrp_ruling *out);
void agrp_ruling_free(agrp_ruling *r);
/* The govern record's fields for a ruling on the record with these
 * common fields (no trace, step, cause). */
json_t *agrp_govern_fields(const agrp_ruling *r, const agrp_common *com);

#endif
