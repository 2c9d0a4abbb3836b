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

/* How a response finds the obligations a record closes (index.c). */
typedef enum agrp_plan {
	AGRP_PLAN_SCAN,  /* test every open obligation */
	AGRP_PLAN_ONCE,  /* S never names $trigger: one test closes all or none */
	AGRP_PLAN_INDEX, /* S has a conjunct X == $trigger.Y: look up X's value */
} agrp_plan;

/* What of a record the checker holds (as a scope's opener or an
 * obligation's trigger) the expressions that read it as $trigger need:
 * nothing, the whole record, or some of its top-level fields. */
#define AGRP_KEEP_MAX 8
typedef struct agrp_keep {
	bool whole;
	size_t n;
	const char *names[AGRP_KEEP_MAX]; /* borrowed from the expressions */
} agrp_keep;

typedef struct agrp_contract {
	char *name;
	agrp_ctype type;
	agr_expr *p, *s; /* precedence: s first, p before; response: p if, s then */
	char *p_text, *s_text;
	long within; /* response: -1 for "by the end" */
	long max;    /* bounded */
	agrp_scope_kind scope;
	agr_expr *q, *r;
	agrp_plan plan; /* response */
	                /* AGRP_PLAN_INDEX: the nodes of X and $trigger.Y of the first
	                 * AGRP_INDEX_MAX conjuncts X == $trigger.Y, keyed together */
#define AGRP_INDEX_MAX 8
	int rec_path[AGRP_INDEX_MAX], trig_path[AGRP_INDEX_MAX];
	int npath;
	agrp_keep opener;  /* for p, and s of precedence */
	agrp_keep trigger; /* for s of response */
} agrp_contract;

struct agr_contracts {
	agrp_contract *c;
	size_t n, cap;
	agrp_map names; /* name -> its index + 1, as a pointer: one of each name */
};

/* hash.c: a 64-bit hash, and a map from such hashes (never 0) to pointers. */
#define AGRP_HASH_SEED 0xcbf29ce484222325u
uint64_t agrp_hash_bytes(uint64_t h, const void *p, size_t n);
/* The hash made a key: well mixed, and never 0. */
uint64_t agrp_hash_done(uint64_t h);

typedef struct agrp_u64map {
	struct agrp_u64slot {
		uint64_t key; /* 0: empty */
		void *val;
	} * slots;
	size_t cap, n;
} agrp_u64map;

void *agrp_u64map_get(const agrp_u64map *m, uint64_t key);
/* The slot of key, valid until the map changes; NULL when absent. */
struct agrp_u64slot *agrp_u64map_slot(const agrp_u64map *m, uint64_t key);
void agrp_u64map_put(agrp_u64map *m, uint64_t key, void *val);
void *agrp_u64map_del(agrp_u64map *m, uint64_t key);
void agrp_u64map_free(agrp_u64map *m);

/* hash.c: traces let go, known by a fingerprint of their id (the last
 * AGRP_GONE of them, oldest first in a ring), so that a record of one
 * that comes later is told from a new trace.  agraph-trace(1) names both
 * numbers: a trace that has ended is held until AGRP_HELD traces have
 * ended after it. */
#define AGRP_HELD 4096
#define AGRP_GONE 262144

typedef struct agrp_gone {
	uint64_t fp;
	long final_step;
} agrp_gone;

typedef struct agrp_gone_ring {
	agrp_u64map index; /* fingerprint -> slot + 1 */
	agrp_gone *slots;
	size_t next, cap;
	size_t forgotten; /* let go from the ring too */
} agrp_gone_ring;

void agrp_gone_remember(agrp_gone_ring *g, const char *id, long final_step);
/* The trace's entry, or NULL when it was never let go (or is forgotten). */
const agrp_gone *agrp_gone_find(const agrp_gone_ring *g, const char *id);
void agrp_gone_free(agrp_gone_ring *g);

/* index.c */
void agrp_response_plan(agrp_contract *c);
/* What c's expressions read of the records it holds (c->opener, c->trigger). */
void agrp_contract_keeps(agrp_contract *c);
/* The part of rec that k says to hold, or NULL for none. */
agr_record *agrp_keep_record(const agrp_keep *k, const agr_record *rec);
/* The same as bytes into out (room for what a call with out NULL
 * returns, and a NUL): its length, 0 for none. */
size_t agrp_keep_bytes(const agrp_keep *k, const agr_record *rec, char *out);
/* The key of an AGRP_PLAN_INDEX contract's paths in rec: those of the
 * record (X) or, with trigger, of $trigger (Y, read in rec as if they did
 * not name $trigger), all of them in one; false when one of the values is
 * an object or an array. */
bool agrp_index_key(const agrp_contract *c, const agr_record *rec, bool trigger, uint64_t *key);

/* A response obligation: its trigger, where it was, and its places in the
 * order of arrival and in its bucket of the index. */
typedef struct agrp_ob {
	long step;
	const char *source;
	long line;
	uint64_t key; /* 0: kept apart, tested by every record */
	struct agrp_ob *prev, *next;
	struct agrp_ob *bprev, *bnext;
	size_t tlen; /* what of the trigger S reads, as a record's bytes; 0: nothing */
	char trigger[];
} agrp_ob;

typedef struct agrp_obs {
	agrp_ob *first, *last; /* the oldest first: it has the first deadline */
	size_t n;
	agrp_u64map *buckets; /* key -> the first obligation of the bucket; NULL: few */
	agrp_ob *apart;
	/* Until AGRP_FEW_KEYED obligations with a key are open at once, they
	 * are one list, each tested when its key is looked up: most traces
	 * hold one or two, and a map for them would outweigh them.  Past
	 * that, they are in buckets, for good. */
	agrp_ob *few;
	size_t nfew;
} agrp_obs;
#define AGRP_FEW_KEYED 8

/* An open call, in its trace's index by id: the newest on top. */
typedef struct agrp_call {
	char *tool; /* NULL when the call names none */
	long step;
	const char *source;
	long line;
	uint64_t seq; /* the order of arrival */
	struct agrp_call *below;
} agrp_call;

/* observable: the pending failures of one tool; a call of it retries them all. */
typedef struct agrp_pending {
	char *tool, *status;
	long count;
	long step; /* of the first */
	const char *source;
	long line;
	uint64_t seq;
} agrp_pending;

/* no-repeat: the arguments one tool was called with since its last failure. */
typedef struct agrp_called {
	agrp_u64map args; /* hash of the canonical arguments -> the step, as a pointer */
} agrp_called;

typedef struct agrp_where {
	long step;
	const char *source;
	long line;
} agrp_where;

/* A contract's failure, and a violation that waits for R to close its
 * interval: made when the first of them comes, as most contracts hold. */
typedef struct agrp_cnote {
	agrp_where fail; /* decided */
	char *reason;
	agrp_where pend; /* pending */
	char *pend_reason;
} agrp_cnote;

typedef struct agrp_cstate {
	bool decided;
	bool pending;
	unsigned char type; /* the contract's agrp_ctype: which parts below it holds */
	char holds;         /* observable, no-repeat: which tools holds, 'p' or 'c'; 0: none yet */
	agrp_cnote *note;
	/* One of these per contract of every open trace, so each contract has
	 * only the parts its kind uses. */
	union {
		struct { /* a user contract: its scope, then its pattern */
			bool active, done, found, seen_first;
			agr_record *opener; /* $trigger outside response: what of the record that
			                     * opened the interval its expressions read */
			union {
				agrp_where start; /* eventually */
				long count;       /* bounded */
				agrp_obs *obs;    /* response; NULL until there is one */
			};
		};
		long last_step;         /* well-formed */
		struct {                /* observable, no-repeat */
			agrp_map tools; /* observable: tool -> agrp_pending; no-repeat: tool ->
			                   agrp_called */
			size_t held;    /* the pending failures or the calls remembered, counted as
			                   open */
			uint64_t seq;
		};
	};
} agrp_cstate;

typedef struct agrp_trace {
	char *id;                       /* in the block after cs */
	uint64_t hash;                  /* of id: its key among the traces */
	struct agrp_trace *hnext;       /* the next trace of the same hash */
	struct agrp_trace *prev, *next; /* among the open, or the ended */
	agrp_where last;
	bool ended;      /* its first final has come */
	long final_step; /* the step of that final */
	agrp_map *calls; /* open calls: id -> agrp_call, made when a contract asks */
	size_t ncalls;
	uint64_t seq;
	agrp_cstate cs[]; /* one per contract */
} agrp_trace;

struct agr_checker {
	const agr_contracts *cs;
	size_t max_open, open;
	agr_verdict_fn fn;
	void *ctx;
	bool every_problem;
	bool runs_apart;
	bool calls;                 /* a contract asks which call a result answers */
	bool whole;                 /* a built-in reads every common field of a record */
	agrp_u64map traces;         /* hash of the id -> the traces of that hash, by hnext */
	agrp_trace *first, *last;   /* open traces, in the order they began */
	agrp_trace *efirst, *elast; /* ended traces held, in the order they ended */
	size_t nended;
	agrp_gone_ring gone; /* traces let go for room */
	agr_record *trigger; /* an obligation's trigger, read again from its bytes */
};

/* What a record says, read once. */
typedef struct agrp_rinfo {
	const agr_record *rec;
	const json_t *j; /* the tree: only in the reference mode */
	const char *kind, *tool, *status, *id, *call;
	const char *call_tool; /* a result: the tool of the open call it answers, or NULL */
	long step;
	const char *source;
	long line;
	/* tool, status, id and call not read (no contract needs them): what
	 * describes the record reads them itself */
	bool partial;
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

/* agrp_text() and agrp_text_clip(): base_int.h. */

/* verdict.c: what the checker and the built-ins report through. */

/* s's note, made when it has none. */
agrp_cnote *agrp_check_note(agrp_cstate *s);
/* The contract is broken for this trace: decided, and its state let go. */
void agrp_check_fail(agr_checker *k, agrp_cstate *s, agrp_where w, const char *fmt, ...)
    AGRP_PRINTF(4, 5);
/* A verdict, now. */
void agrp_check_emit(agr_checker *k, const agrp_trace *t, const agrp_contract *c, bool pass,
                     agrp_where w, const char *reason);
/* "step 12 (call Stripe c3)": what a reason says of a record. */
void agrp_check_describe(char *buf, size_t n, const agrp_rinfo *ri);
/* The same for a message on stderr, in a new string: each name as
 * agrp_text_clip gives it, so that none holds a line end or an escape. */
char *agrp_check_describe_text(const agrp_rinfo *ri);
/* The text, formatted, in a new string. */
char *agrp_check_vformat(const char *fmt, va_list ap);
/* Frees a contract's open state and takes it off the checker's count. */
void agrp_check_obligations_clear(agr_checker *k, agrp_cstate *s);
void agrp_check_tools_clear(agr_checker *k, agrp_cstate *s);

/* builtins.c: one record, and the end of the trace, for a built-in contract. */
void agrp_builtin_record(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                         const agrp_rinfo *ri);
void agrp_builtin_end(agr_checker *k, const agrp_contract *c, agrp_cstate *s, agrp_trace *t,
                      bool has_final);

#endif
