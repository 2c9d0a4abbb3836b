/*
 * record_int.h - records read in place and written as bytes.
 * Internal names start with agrp_.
 */
#ifndef AGRP_RECORD_INT_H
#define AGRP_RECORD_INT_H

#include "base/base_int.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* JSON values written byte for byte as agr_write_json() writes them. */
void agrp_buf_json_string(agrp_buf *b, const char *s);
void agrp_buf_json_real(agrp_buf *b, double v);
void agrp_buf_json_int(agrp_buf *b, long long v);
void agrp_buf_json(agrp_buf *b, const json_t *v);
/* A value that agrp_scan_value passed, from its bytes, as jansson writes
 * it once parsed: no spaces, strings escaped its way, numbers as it
 * prints them (-0 as 0, reals through agrp_buf_json_real). */
void agrp_buf_json_span(agrp_buf *b, const char *p, size_t n);

/* A record through out, as agr_write_json() writes it (no line end). */
void agrp_write_record(agr_write_fn out, void *ctx, const json_t *rec);

/* A new object with the fields of obj but the named ones (values shared,
 * not copied), or NULL when none are left or obj is not an object. */
json_t *agrp_json_without(const json_t *obj, const char *const *keys, size_t n);

/* A JSON value inside a record's bytes. */
typedef struct agrp_span {
	const char *p; /* its first byte: '"' for a string */
	size_t n;
	char type; /* 's' string, 'n' number, 't' true, 'f' false, '0' null, 'o', 'a' */
	bool esc;  /* a string with escapes, to be decoded */
} agrp_span;

typedef struct agrp_field {
	agrp_span key, val;
} agrp_field;

/*
 * Validates a record (a JSON object, as strict as jansson's reader with
 * JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL: \u0000 in a string, never in
 * a key) and lists its top-level fields into *fields (grown as needed).
 * *notable says whether a top-level value is a real number or a string
 * holding \u0000, which the reader looks at more closely.  On a mistake
 * returns false with the 1-based column and a message.
 */
bool agrp_scan_record(const char *s, size_t n, agrp_field **fields, size_t *nfields, size_t *cap,
                      bool *notable, long *col, const char **msg);
/* Validates one JSON value of any type, spaces around it allowed (as
 * jansson with JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL
 * reads it, but stricter on depth) and gives its span; false when
 * invalid. */
bool agrp_scan_value(const char *s, size_t n, agrp_span *out);
/* The ways of reading bytes in bulk (bulk.c): the best the machine has,
 * unless a test forces one.  CAREFUL reads no line whole first: each
 * string checks its own UTF-8, as the scan did before there was a bulk
 * check, which the tests compare the errors of the others with. */
enum { AGRP_ISA_CAREFUL, AGRP_ISA_SCALAR, AGRP_ISA_SSE2, AGRP_ISA_AVX2 };
int agrp_bulk_isa(void);
/* For tests: every scan from now on reads the bytes that way (-1: the
 * best again); false when the machine cannot. */
bool agrp_bulk_force(int isa);
/* Whether s[0..n) is all UTF-8, as agrp_utf8_len reads it. */
bool agrp_bulk_utf8(const char *s, size_t n, int isa);
/* How many bytes from p on are neither a quote, a backslash nor below
 * 0x20: what a string of valid UTF-8 holds as it is. */
size_t agrp_bulk_run(const char *p, const char *end, int isa);
#ifdef __SSE2__
/* A bit set for each of the 16 bytes from p that is a quote, a backslash
 * or below 0x20: where a string of valid UTF-8 stops being plain.  SSE2,
 * which every x86-64 has: inline, for the short strings. */
static inline int
agrp_stops16(const char *p)
{
	const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
	              control = _mm_set1_epi8(0x1f);

	return _mm_movemask_epi8(
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
	                 _mm_cmpeq_epi8(_mm_min_epu8(v, control), v)));
}
#endif
/* The value of four hex digits at p, or -1 when one is not. */
int agrp_hex4(const char *p);
/* The 1-based column of p in the line s: characters, not bytes. */
long agrp_column_of(const char *s, const char *p);
/* AGRAPH_REFERENCE=1: read and evaluate through jansson trees, the
 * obvious way that tests compare the fast one with. */
bool agrp_reference(void);
/* A kept copy of rec (as agr_record_keep) that holds only its top-level
 * fields of these names, in their order in rec: what an expression that
 * reads only them needs of a record it holds. */
agr_record *agrp_record_keep_only(const agr_record *rec, const char *const *names, size_t n);
/* The JSON object of those fields alone into out (room for what a call
 * with out NULL returns, and a NUL), returning its length. */
size_t agrp_record_project(const agr_record *rec, const char *const *names, size_t n, char *out);
/* As agr_record_set, for bytes known to be a valid object, NUL after
 * them (a copy of a record the scan passed, or a projection of one):
 * the fields are listed without the scan. */
void agrp_record_set_valid(agr_record *rec, const char *bytes, size_t len, const char *source,
                           long line);
/* A top-level field of a record, by its bytes. */
bool agrp_record_field(const agr_record *rec, const char *key, agrp_span *out);
/* A top-level string field, NUL-terminated in buf (or in the record's tree
 * when it does not fit); NULL when absent or not a string. */
const char *agrp_record_str(const agr_record *rec, const char *key, char *buf, size_t cap);
/* The fields every reader of traces looks at, read in place once. */
typedef struct agrp_common {
	const char *trace;                                    /* "" when absent */
	const char *kind, *tool, *status, *id, *call, *agent; /* NULL when absent */
	long step;                                            /* -1 when absent or not whole */
	char buf[7][256];
} agrp_common;

void agrp_record_common(const agr_record *rec, agrp_common *c);
/* Only the fields of want, a set of AGRP_COMMON_* bits (the others as
 * when absent): a reader that looks at few spares decoding the rest. */
enum {
	AGRP_COMMON_TRACE = 1 << 0,
	AGRP_COMMON_KIND = 1 << 1,
	AGRP_COMMON_TOOL = 1 << 2,
	AGRP_COMMON_STATUS = 1 << 3,
	AGRP_COMMON_ID = 1 << 4,
	AGRP_COMMON_CALL = 1 << 5,
	AGRP_COMMON_AGENT = 1 << 6,
	AGRP_COMMON_STEP = 1 << 7,
	AGRP_COMMON_ALL = 0xff
};
void agrp_record_common_some(const agr_record *rec, agrp_common *c, unsigned want);
/* A number span that is an integer, as jansson would read it. */
bool agrp_span_int(const agrp_span *v, long *out);
/* A record's top-level fields, as the scan found them. */
const agrp_field *agrp_record_fields(const agr_record *rec, size_t *n);
/* Walks a validated object or array: *cursor starts at 0. */
bool agrp_span_next(const agrp_span *c, size_t *cursor, agrp_span *key, agrp_span *val);
/* The value of key in a validated object. */
bool agrp_span_get(const agrp_span *obj, const char *key, agrp_span *out);
/* Whether a key is the n bytes of key: inline, as lookups ask it of
 * every field they pass. */
bool agrp_span_key_is_escaped(const agrp_span *k, const char *key, size_t n);
static inline bool
agrp_span_key_is(const agrp_span *k, const char *key, size_t n)
{
	if (k->esc)
		return agrp_span_key_is_escaped(k, key, n);
	return k->n == n + 2 && (n == 0 || (k->p[1] == key[0] && memcmp(k->p + 1, key, n) == 0));
}
/* A string's decoded bytes into out (at most cap - 4); returns the length. */
size_t agrp_span_decode(const agrp_span *s, char *out, size_t cap);

/* ---- renumbering (steps.c) */

/* The original steps before which records were inserted, as a treap (a
 * search tree kept balanced by random priorities) that counts its nodes:
 * where a step is now takes O(log n), however the steps come. */
typedef struct ins_node {
	long step;
	size_t count;  /* inserts before this step */
	size_t total;  /* inserts in this subtree */
	uint32_t prio; /* a heap on these keeps the tree balanced */
	size_t kid[2]; /* children, 0 for none: nodes[0] is no node */
} ins_node;

typedef struct ins_tree {
	ins_node *nodes;
	size_t n, cap; /* nodes[1..n) in use */
	size_t root;
	uint32_t rng; /* the priorities' own generator: the seed's draws stay as they were */
} ins_tree;

/* The records put into one trace so far, by the original step each went
 * before: zero-initialised is none. */
typedef struct agrp_steps {
	ins_tree tree;
	size_t count; /* records put in */
} agrp_steps;

/* One record put in just before original step `step` (it and every
 * later step move up by one). */
void agrp_steps_insert(agrp_steps *s, long step);
/* Where original step `step` is now. */
long agrp_steps_moved(const agrp_steps *s, long step);
/* A cause (a step, or an array of them) where its steps are now: a new
 * value; other values (and arrays within the array) as they were. */
json_t *agrp_steps_cause(const agrp_steps *s, const json_t *cause);
void agrp_steps_free(agrp_steps *s);

/* The largest step renumbered: 2^53, the last integer every JSON reader
 * holds exactly (and far from overflowing when moved up). */
#define AGRP_STEP_MAX 9007199254740992L

/* False, with err naming who ("agraph-inject"), when the record's step
 * or a cause is past AGRP_STEP_MAX: checked before anything of it is
 * written. */
/* Writes rec through out: its original bytes, but for its step (when it
 * has one: step >= 0) and causes, moved when records were put in before
 * them. */
void agrp_steps_write(const agrp_steps *s, const agr_record *rec, long step, agr_write_fn out,
                      void *ctx);
bool agrp_steps_fit(const agr_record *rec, const char *who, agr_error *err);

#endif
