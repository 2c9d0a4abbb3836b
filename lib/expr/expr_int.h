/*
 * expr_int.h - an expression's compiled form, which the compiler
 * (compile.c) writes and the evaluator (eval.c) walks: a flat array of
 * nodes, the path segments and strings they point to, and the compiled
 * regular expressions.
 * Internal names start with agrp_.
 */
#ifndef AGRP_EXPR_INT_H
#define AGRP_EXPR_INT_H

#include <regex.h>

#include "record/record_int.h"

/* AGRP_V_JSON is an array or object of a jansson tree, AGRP_V_RAW one in a record's
 * bytes, AGRP_V_LIST a list written in the expression. */
typedef enum agrp_vtype {
	AGRP_V_NULL,
	AGRP_V_BOOL,
	AGRP_V_NUM,
	AGRP_V_STR,
	AGRP_V_JSON,
	AGRP_V_RAW,
	AGRP_V_LIST
} agrp_vtype;

typedef struct agrp_val {
	agrp_vtype t;
	bool b;
	bool folded;  /* AGRP_V_STR seen through lower() */
	bool missing; /* AGRP_V_NULL because the path was absent */
	bool unended; /* AGRP_V_STR not followed by a NUL: it lies in a record's bytes */
	union {       /* by t: values are copied at every step, so they are small */
		double n;
		struct {
			const char *s;
			size_t slen;
		};
		const json_t *j; /* AGRP_V_JSON */
		agrp_span raw;   /* AGRP_V_RAW */
		int list;        /* AGRP_V_LIST: first element node */
	};
} agrp_val;

enum agrp_op {
	AGRP_OP_LIT,
	AGRP_OP_LIST,
	AGRP_OP_PATH,
	AGRP_OP_NOT,
	AGRP_OP_NEG,
	AGRP_OP_OR,
	AGRP_OP_AND,
	AGRP_OP_EQ,
	AGRP_OP_NE,
	AGRP_OP_LT,
	AGRP_OP_LE,
	AGRP_OP_GT,
	AGRP_OP_GE,
	AGRP_OP_IN,
	AGRP_OP_MATCH,
	AGRP_OP_ADD,
	AGRP_OP_SUB,
	AGRP_OP_MUL,
	AGRP_OP_DIV,
	AGRP_OP_EXISTS,
	AGRP_OP_LEN,
	AGRP_OP_LOWER,
	AGRP_OP_CONTAINS,
	AGRP_OP_STARTSWITH,
	AGRP_OP_ENDSWITH,
};

typedef struct agrp_enode {
	enum agrp_op op;
	int a, b;     /* children, or -1 */
	int next;     /* next element of a list, or -1 */
	int up;       /* the node whose a this is, or -1: eval.c climbs back up */
	int height;   /* how deep eval.c recurses into the node (see compile.c) */
	agrp_val lit; /* AGRP_OP_LIT */
	int seg, nseg;
	bool trigger;
	int re; /* AGRP_OP_MATCH: index of the compiled pattern */
} agrp_enode;

typedef struct agrp_seg {
	const char *key; /* NULL: an index */
	size_t klen;
	long index;
} agrp_seg;

struct agr_expr {
	agrp_enode *n;
	size_t nn, capn;
	agrp_seg *segs;
	size_t nsegs, capsegs;
	char **strs;
	size_t nstrs, capstrs;
	regex_t **re; /* pairs: [2k] as written, [2k+1] ignoring case */
	size_t nre, capre;
	int root;
};

/* The top-level names of $trigger that e reads, added to the n names
 * already in names (up to max, borrowed from e), each once; returns how
 * many there are now.  *whole is set when e reads $trigger itself, or
 * more names than max: then the whole record is needed. */
size_t agrp_expr_trigger_names(const agr_expr *e, const char **names, size_t n, size_t max,
                               bool *whole);

/* What an evaluation looks at: jansson trees, or records as read. */
typedef struct agrp_ectx {
	const agr_expr *e;
	const json_t *rec, *trig;
	const agr_record *rrec, *rtrig;
} agrp_ectx;

/* eval.c: a node's value (its strings live in scratch until the next
 * agrp_scratch_reset()), whether a value holds, and the scratch emptied
 * before each evaluation. */
agrp_val agrp_ev(const agrp_ectx *c, int node);
bool agrp_truthy(agrp_val v);
void agrp_scratch_reset(void);

#endif
