/*
 * expr.c - the expression language of agraph-contract(5).
 *
 * Compiled once into a flat array of nodes; evaluated by a recursive walk
 * over values that borrow from the record, so evaluation never
 * allocates.  lower() does not build a string: it marks the value as
 * case-folded, and comparisons, contains() and =~ fold as they go.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "record/record_int.h"

/* V_JSON is an array or object of a jansson tree, V_RAW one in a record's
 * bytes, V_LIST a list written in the expression. */
typedef enum vtype { V_NULL, V_BOOL, V_NUM, V_STR, V_JSON, V_RAW, V_LIST } vtype;

typedef struct val {
	vtype t;
	bool b;
	bool folded;  /* V_STR seen through lower() */
	bool missing; /* V_NULL because the path was absent */
	bool unended; /* V_STR not followed by a NUL: it lies in a record's bytes */
	double n;
	const char *s;
	size_t slen;
	const json_t *j; /* V_JSON */
	agrp_span raw;   /* V_RAW */
	int list;        /* V_LIST: first element node */
} val;

enum op {
	OP_LIT,
	OP_LIST,
	OP_PATH,
	OP_NOT,
	OP_NEG,
	OP_OR,
	OP_AND,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_MATCH,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_EXISTS,
	OP_LEN,
	OP_LOWER,
	OP_CONTAINS,
	OP_STARTSWITH,
	OP_ENDSWITH,
};

typedef struct enode {
	enum op op;
	int a, b; /* children, or -1 */
	int next; /* next element of a list, or -1 */
	val lit;  /* OP_LIT */
	int seg, nseg;
	bool trigger;
	int re; /* OP_MATCH: index of the compiled pattern */
} enode;

typedef struct seg {
	const char *key; /* NULL: an index */
	long index;
} seg;

struct agr_expr {
	enode *n;
	size_t nn, capn;
	seg *segs;
	size_t nsegs, capsegs;
	char **strs;
	size_t nstrs, capstrs;
	regex_t **re; /* pairs: [2k] as written, [2k+1] ignoring case */
	size_t nre, capre;
	int root;
};

/* ---- compiling ----------------------------------------------------- */

typedef struct parser {
	agr_expr *e;
	const char *text;
	const char *p;
	agr_error *err;
	bool failed;
	int depth;
} parser;

#define MAX_DEPTH 200

static bool perr(parser *P, const char *at, const char *fmt, ...) AGRP_PRINTF(3, 4);

static bool
perr(parser *P, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (P->failed)
		return false;
	P->failed = true;
	if (P->err != NULL) {
		P->err->source[0] = '\0';
		P->err->line = 0;
		P->err->column = (long)(at - P->text) + 1;
		va_start(ap, fmt);
		vsnprintf(P->err->text, sizeof P->err->text, fmt, ap);
		va_end(ap);
	}
	return false;
}

static int
new_node(parser *P, enum op op)
{
	agr_expr *e = P->e;

	agrp_grow(&e->n, &e->capn, e->nn + 1, sizeof *e->n);
	memset(&e->n[e->nn], 0, sizeof *e->n);
	e->n[e->nn].op = op;
	e->n[e->nn].a = e->n[e->nn].b = e->n[e->nn].next = -1;
	return (int)e->nn++;
}

static char *
keep_string(agr_expr *e, char *s)
{
	agrp_grow(&e->strs, &e->capstrs, e->nstrs + 1, sizeof *e->strs);
	e->strs[e->nstrs++] = s;
	return s;
}

static void
skip_space(parser *P)
{
	while (isspace((unsigned char)*P->p))
		P->p++;
}

static bool
accept(parser *P, const char *tok)
{
	size_t n = strlen(tok);

	skip_space(P);
	if (strncmp(P->p, tok, n) != 0)
		return false;
	/* A word operator must not run into a name: "in" is not "index". */
	if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)P->p[n]) || P->p[n] == '_'))
		return false;
	P->p += n;
	return true;
}

static bool
expect_tok(parser *P, const char *tok)
{
	if (accept(P, tok))
		return true;
	if (*P->p == '\0')
		return perr(P, P->p, "expected '%s' at the end", tok);
	return perr(P, P->p, "expected '%s'", tok);
}

/* A quoted string at P->p; returns an owned, NUL-terminated copy. */
static char *
parse_string(parser *P, size_t *len)
{
	char q = *P->p;
	const char *start = P->p++;
	char *out = agrp_xmalloc(strlen(P->p) + 1);
	size_t n = 0;

	while (*P->p != q) {
		char c = *P->p++;

		if (c == '\0') {
			free(out);
			perr(P, start, "unterminated string");
			return NULL;
		}
		if (c == '\\') {
			c = *P->p++;
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
			case '"':
			case '\'':
			case '/':
				break;
			default:
				free(out);
				perr(P, P->p - 2, "unknown escape '\\%c'", c ? c : '0');
				return NULL;
			}
		}
		out[n++] = c;
	}
	P->p++;
	out[n] = '\0';
	*len = n;
	return keep_string(P->e, out);
}

static int parse_or(parser *P);

static bool
is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool
is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static void
add_seg(parser *P, const char *key, long index)
{
	agr_expr *e = P->e;

	agrp_grow(&e->segs, &e->capsegs, e->nsegs + 1, sizeof *e->segs);
	e->segs[e->nsegs].key = key;
	e->segs[e->nsegs].index = index;
	e->nsegs++;
}

static char *
take_ident(parser *P)
{
	const char *s = P->p;
	size_t n;
	char *id;

	while (is_ident(*P->p))
		P->p++;
	n = (size_t)(P->p - s);
	id = agrp_xmalloc(n + 1);
	memcpy(id, s, n);
	id[n] = '\0';
	return keep_string(P->e, id);
}

/* The segments after a path's first name: .name ."odd" [3] ["odd"] */
static bool
parse_segments(parser *P, int node)
{
	for (;;) {
		if (*P->p == '.' && is_ident_start(P->p[1])) {
			P->p++;
			add_seg(P, take_ident(P), 0);
		} else if (*P->p == '.' && (P->p[1] == '"' || P->p[1] == '\'')) {
			size_t len;
			char *s;

			P->p++;
			if ((s = parse_string(P, &len)) == NULL)
				return false;
			add_seg(P, s, 0);
		} else if (*P->p == '[') {
			const char *at = P->p++;

			skip_space(P);
			if (*P->p == '"' || *P->p == '\'') {
				size_t len;
				char *s = parse_string(P, &len);

				if (s == NULL)
					return false;
				add_seg(P, s, 0);
			} else {
				char *end;
				long i = strtol(P->p, &end, 10);

				if (end == P->p)
					return perr(P, at, "expected a number or a string in [ ]");
				P->p = end;
				add_seg(P, NULL, i);
			}
			if (!expect_tok(P, "]"))
				return false;
		} else {
			break;
		}
		P->e->n[node].nseg++;
	}
	return true;
}

static const struct {
	const char *name;
	enum op op;
	int nargs;
} funcs[] = {
	{ "exists", OP_EXISTS, 1 },         { "len", OP_LEN, 1 },
	{ "lower", OP_LOWER, 1 },           { "contains", OP_CONTAINS, 2 },
	{ "startswith", OP_STARTSWITH, 2 }, { "endswith", OP_ENDSWITH, 2 },
};

static int
parse_primary(parser *P)
{
	const char *at;
	int node;

	skip_space(P);
	at = P->p;
	if (*P->p == '(') {
		P->p++;
		node = parse_or(P);
		if (node < 0 || !expect_tok(P, ")"))
			return -1;
		return node;
	}
	if (*P->p == '[') {
		int prev = -1;

		P->p++;
		node = new_node(P, OP_LIST);
		if (accept(P, "]"))
			return node;
		do {
			int item = parse_or(P);

			if (item < 0)
				return -1;
			if (prev < 0)
				P->e->n[node].a = item;
			else
				P->e->n[prev].next = item;
			prev = item;
		} while (accept(P, ","));
		return expect_tok(P, "]") ? node : -1;
	}
	if (*P->p == '"' || *P->p == '\'') {
		size_t len;
		char *s = parse_string(P, &len);

		if (s == NULL)
			return -1;
		node = new_node(P, OP_LIT);
		P->e->n[node].lit.t = V_STR;
		P->e->n[node].lit.s = s;
		P->e->n[node].lit.slen = len;
		return node;
	}
	if (isdigit((unsigned char)*P->p) || (*P->p == '.' && isdigit((unsigned char)P->p[1]))) {
		char *end;
		double d;

		errno = 0;
		d = strtod(P->p, &end);
		if (errno == ERANGE)
			return perr(P, at, "number out of range"), -1;
		P->p = end;
		node = new_node(P, OP_LIT);
		P->e->n[node].lit.t = V_NUM;
		P->e->n[node].lit.n = d;
		return node;
	}
	if (*P->p == '$') {
		P->p++;
		if (strncmp(P->p, "trigger", 7) != 0 || is_ident(P->p[7]))
			return perr(P, at, "unknown variable (the one variable is $trigger)"), -1;
		P->p += 7;
		node = new_node(P, OP_PATH);
		P->e->n[node].trigger = true;
		P->e->n[node].seg = (int)P->e->nsegs;
		return parse_segments(P, node) ? node : -1;
	}
	if (*P->p == '.' && (P->p[1] == '"' || P->p[1] == '\'' || P->p[1] == '[')) {
		/* A path that starts with an odd name: ."gen_ai.system" */
		node = new_node(P, OP_PATH);
		P->e->n[node].seg = (int)P->e->nsegs;
		if (P->p[1] == '[')
			P->p++;
		return parse_segments(P, node) ? node : -1;
	}
	if (is_ident_start(*P->p)) {
		char *id = take_ident(P);

		if (strcmp(id, "true") == 0 || strcmp(id, "false") == 0) {
			node = new_node(P, OP_LIT);
			P->e->n[node].lit.t = V_BOOL;
			P->e->n[node].lit.b = id[0] == 't';
			return node;
		}
		if (strcmp(id, "null") == 0)
			return new_node(P, OP_LIT);
		skip_space(P);
		if (*P->p == '(') {
			for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
				int args[2] = { -1, -1 };

				if (strcmp(funcs[i].name, id) != 0)
					continue;
				P->p++;
				for (int k = 0; k < funcs[i].nargs; k++) {
					if (k > 0 && !expect_tok(P, ","))
						return -1;
					if ((args[k] = parse_or(P)) < 0)
						return -1;
				}
				if (!accept(P, ")"))
					return perr(P, P->p, "%s() takes %d argument%s", id,
					            funcs[i].nargs, funcs[i].nargs > 1 ? "s" : ""),
					       -1;
				node = new_node(P, funcs[i].op);
				P->e->n[node].a = args[0];
				P->e->n[node].b = args[1];
				if (funcs[i].op == OP_EXISTS && P->e->n[args[0]].op != OP_PATH)
					return perr(P, at, "exists() takes a field path"), -1;
				return node;
			}
			return perr(P, at, "unknown function '%s'", id), -1;
		}
		node = new_node(P, OP_PATH);
		P->e->n[node].seg = (int)P->e->nsegs;
		add_seg(P, id, 0);
		P->e->n[node].nseg = 1;
		return parse_segments(P, node) ? node : -1;
	}
	if (*P->p == '\0')
		return perr(P, at, "unexpected end of expression"), -1;
	return perr(P, at, "unexpected '%c'", *P->p), -1;
}

static int
parse_unary(parser *P)
{
	enum op op;
	int node, a;

	skip_space(P);
	if (P->p[0] == '!' && P->p[1] != '=')
		op = OP_NOT;
	else if (P->p[0] == '-')
		op = OP_NEG;
	else
		return parse_primary(P);
	P->p++;
	if (++P->depth > MAX_DEPTH)
		return perr(P, P->p, "expression nested too deeply"), -1;
	a = parse_unary(P);
	P->depth--;
	if (a < 0)
		return -1;
	node = new_node(P, op);
	P->e->n[node].a = a;
	return node;
}

static int
binary(parser *P, enum op op, int a, int b)
{
	int node;

	if (a < 0 || b < 0)
		return -1;
	node = new_node(P, op);
	P->e->n[node].a = a;
	P->e->n[node].b = b;
	return node;
}

static int
parse_mul(parser *P)
{
	int a = parse_unary(P);

	while (a >= 0) {
		if (accept(P, "*"))
			a = binary(P, OP_MUL, a, parse_unary(P));
		else if (accept(P, "/"))
			a = binary(P, OP_DIV, a, parse_unary(P));
		else
			break;
	}
	return a;
}

static int
parse_add(parser *P)
{
	int a = parse_mul(P);

	while (a >= 0) {
		if (accept(P, "+"))
			a = binary(P, OP_ADD, a, parse_mul(P));
		else if (accept(P, "-"))
			a = binary(P, OP_SUB, a, parse_mul(P));
		else
			break;
	}
	return a;
}

/*
 * Patterns that regcomp() would turn into huge automata: a repetition of a
 * repetition ("a++", undefined in POSIX EREs anyway), or bounded
 * repetitions whose counts multiply past 1000.  Contracts run on untrusted
 * traces but are written by people; this only stops the pathological.
 */
static const char *
costly_pattern(const char *p)
{
	double product = 1;
	bool after_repeat = false;

	if (strlen(p) > 4096)
		return "longer than 4096 bytes";
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			after_repeat = false;
			continue;
		}
		if (*p == '[') { /* a bracket expression: no repetition inside */
			const char *q = p + 1;

			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q != '\0' && *q != ']')
				q++;
			p = *q ? q : q - 1;
			after_repeat = false;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (after_repeat)
				return "a repetition of a repetition";
			after_repeat = true;
			if (*p == '{') {
				const char *close = strchr(p, '}');
				long hi = 0;

				if (close == NULL)
					break; /* regcomp says what is wrong */
				for (const char *q = p + 1; q < close; q++)
					if (*q >= '0' && *q <= '9')
						hi = hi * 10 + (*q - '0') > 100000
						         ? 100000
						         : hi * 10 + (*q - '0');
					else if (*q == ',')
						hi = 0; /* the upper bound counts */
				product *= hi > 1 ? (double)hi : 1;
				if (product > 1000)
					return "bounded repetitions multiply past 1000";
				p = close;
			}
			continue;
		}
		after_repeat = false;
	}
	return NULL;
}

static int
compile_regex(parser *P, int pattern, const char *at)
{
	agr_expr *e = P->e;
	const enode *n = &e->n[pattern];
	const char *why;
	char msg[256];
	int rc;

	if (n->op != OP_LIT || n->lit.t != V_STR)
		return perr(P, at, "=~ takes a string literal pattern"), -1;
	if ((why = costly_pattern(n->lit.s)) != NULL)
		return perr(P, at, "regular expression refused: %s", why), -1;
	agrp_grow(&e->re, &e->capre, e->nre + 2, sizeof *e->re);
	for (int k = 0; k < 2; k++) {
		regex_t *re = agrp_xmalloc(sizeof *re);

		rc = regcomp(re, n->lit.s, REG_EXTENDED | REG_NOSUB | (k ? REG_ICASE : 0));
		if (rc != 0) {
			regerror(rc, re, msg, sizeof msg);
			free(re);
			return perr(P, at, "bad regular expression: %s", msg), -1;
		}
		e->re[e->nre++] = re;
	}
	return (int)(e->nre / 2 - 1);
}

static int
parse_cmp(parser *P)
{
	static const struct {
		const char *tok;
		enum op op;
	} ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "=~", OP_MATCH }, { "<=", OP_LE },
		{ ">=", OP_GE }, { "<", OP_LT },  { ">", OP_GT },     { "in", OP_IN },
	};
	int a = parse_add(P);

	if (a < 0)
		return -1;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		const char *at;
		int node;

		skip_space(P);
		at = P->p;
		if (!accept(P, ops[i].tok))
			continue;
		node = binary(P, ops[i].op, a, parse_add(P));
		if (node >= 0 && ops[i].op == OP_MATCH) {
			int re = compile_regex(P, P->e->n[node].b, at);

			if (re < 0)
				return -1;
			P->e->n[node].re = re;
		}
		return node;
	}
	return a;
}

static int
parse_and(parser *P)
{
	int a = parse_cmp(P);

	while (a >= 0 && accept(P, "&&"))
		a = binary(P, OP_AND, a, parse_cmp(P));
	return a;
}

static int
parse_or(parser *P)
{
	int a;

	if (++P->depth > MAX_DEPTH)
		return perr(P, P->p, "expression nested too deeply"), -1;
	a = parse_and(P);
	while (a >= 0 && accept(P, "||"))
		a = binary(P, OP_OR, a, parse_and(P));
	P->depth--;
	return a;
}

agr_expr *
agr_expr_compile(const char *text, agr_error *err)
{
	agr_expr *e = agrp_xcalloc(1, sizeof *e);
	parser P = { .e = e, .text = text, .p = text, .err = err };

	e->root = parse_or(&P);
	if (e->root >= 0) {
		skip_space(&P);
		if (*P.p != '\0')
			perr(&P, P.p, "unexpected '%c' after the expression", *P.p);
	}
	if (P.failed || e->root < 0) {
		agr_expr_free(e);
		return NULL;
	}
	return e;
}

void
agr_expr_free(agr_expr *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nstrs; i++)
		free(e->strs[i]);
	for (size_t i = 0; i < e->nre; i++) {
		regfree(e->re[i]);
		free(e->re[i]);
	}
	free(e->re);
	free(e->strs);
	free(e->segs);
	free(e->n);
	free(e);
}

/* ---- evaluating ---------------------------------------------------- */

/* What an evaluation looks at: jansson trees, or records as read. */
typedef struct ectx {
	const agr_expr *e;
	const json_t *rec, *trig;
	const agr_record *rrec, *rtrig;
} ectx;

/*
 * Scratch for strings that must be decoded or NUL-terminated.  Blocks are
 * kept across evaluations and never moved during one, so after the first
 * records nothing is allocated.
 */
static struct scratch {
	char *block[32];
	size_t cap[32];
	size_t nblocks, cur, used;
} scratch;

static void
scratch_reset(void)
{
	scratch.cur = scratch.used = 0;
}

static char *
scratch_get(size_t n)
{
	while (scratch.cur < scratch.nblocks && scratch.cap[scratch.cur] - scratch.used < n) {
		scratch.cur++;
		scratch.used = 0;
	}
	if (scratch.cur == scratch.nblocks) {
		size_t cap = n > 65536 ? n : 65536;

		if (scratch.nblocks == 32) /* pathological: drop the smallest use */
			return NULL;
		scratch.block[scratch.nblocks] = agrp_xmalloc(cap);
		scratch.cap[scratch.nblocks++] = cap;
		scratch.used = 0;
	}
	scratch.used += n;
	return scratch.block[scratch.cur] + scratch.used - n;
}

static val
from_json(const json_t *j)
{
	val v = { 0 };

	if (j == NULL) {
		v.missing = true;
		return v;
	}
	switch (json_typeof(j)) {
	case JSON_STRING:
		v.t = V_STR;
		v.s = json_string_value(j);
		v.slen = json_string_length(j);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		v.t = V_NUM;
		v.n = json_number_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v.t = V_BOOL;
		v.b = json_is_true(j);
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		v.t = V_JSON;
		v.j = j;
		break;
	case JSON_NULL:
		break;
	}
	return v;
}

static val
from_span(const agrp_span *sp)
{
	val v = { 0 };

	switch (sp->type) {
	case 's':
		v.t = V_STR;
		if (!sp->esc) {
			v.s = sp->p + 1;
			v.slen = sp->n - 2;
			v.unended = true;
		} else {
			char *buf = scratch_get(sp->n + 4);

			if (buf == NULL)
				return v;
			v.slen = agrp_span_decode(sp, buf, sp->n + 4);
			buf[v.slen] = '\0';
			v.s = buf;
		}
		break;
	case 'n':
		v.t = V_NUM;
		v.n = strtod(sp->p, NULL); /* a delimiter follows every number */
		break;
	case 't':
	case 'f':
		v.t = V_BOOL;
		v.b = sp->type == 't';
		break;
	case 'o':
	case 'a':
		v.t = V_RAW;
		v.raw = *sp;
		break;
	default:
		break;
	}
	return v;
}

/* The string with a NUL after it, for the C functions that want one. */
static const char *
cstr(val v)
{
	char *buf;

	if (!v.unended)
		return v.s;
	if ((buf = scratch_get(v.slen + 1)) == NULL)
		return "";
	memcpy(buf, v.s, v.slen);
	buf[v.slen] = '\0';
	return buf;
}

static const json_t *
walk_json(const agr_expr *e, const enode *n, const json_t *j)
{
	for (int i = 0; i < n->nseg && j != NULL; i++) {
		const seg *s = &e->segs[n->seg + i];

		if (s->key != NULL) {
			j = json_object_get(j, s->key);
		} else {
			long idx = s->index;

			if (!json_is_array(j))
				return NULL;
			if (idx < 0)
				idx += (long)json_array_size(j);
			j = idx < 0 ? NULL : json_array_get(j, (size_t)idx);
		}
	}
	return j;
}

static size_t
raw_count(const agrp_span *c)
{
	size_t cursor = 0, n = 0;
	agrp_span k, v;

	while (agrp_span_next(c, &cursor, &k, &v))
		n++;
	return n;
}

/* A path in a record's bytes: the first name from the scan's index. */
static bool
walk_raw(const agr_expr *e, const enode *n, const agr_record *rec, agrp_span *out)
{
	const agrp_field *f;
	size_t nf, cursor;
	const seg *s;
	agrp_span cur, k, v;
	bool found = false;

	if (rec == NULL)
		return false;
	if (n->nseg == 0) { /* $trigger alone: the whole record, as the tree reads it */
		size_t len;
		const char *b = agr_record_bytes(rec, &len);

		/* the object from its '{' to its '}', without the space around it */
		while (len > 0 && *b != '{')
			b++, len--;
		while (len > 0 && b[len - 1] != '}')
			len--;
		out->p = b;
		out->n = len;
		out->type = 'o';
		out->esc = false;
		return true;
	}
	s = &e->segs[n->seg];
	if (s->key == NULL)
		return false;
	f = agrp_record_fields(rec, &nf);
	for (size_t i = 0; i < nf && !found; i++)
		if (agrp_span_key_is(&f[i].key, s->key, strlen(s->key))) {
			cur = f[i].val;
			found = true;
		}
	for (int i = 1; i < n->nseg && found; i++) {
		s = &e->segs[n->seg + i];
		if (s->key != NULL) {
			found = agrp_span_get(&cur, s->key, &cur);
			continue;
		}
		if (cur.type != 'a')
			return false;
		{
			long idx = s->index < 0 ? (long)raw_count(&cur) + s->index : s->index;

			found = false;
			cursor = 0;
			for (long at = 0; idx >= 0 && agrp_span_next(&cur, &cursor, &k, &v); at++)
				if (at == idx) {
					cur = v;
					found = true;
					break;
				}
		}
	}
	if (found)
		*out = cur;
	return found;
}

static val
path_value(const ectx *c, const enode *n)
{
	agrp_span sp;
	val v = { 0 };

	if (c->rrec != NULL || c->rtrig != NULL) {
		if (walk_raw(c->e, n, n->trigger ? c->rtrig : c->rrec, &sp))
			return from_span(&sp);
		v.missing = true;
		return v;
	}
	return from_json(walk_json(c->e, n, n->trigger ? c->trig : c->rec));
}

static bool
path_exists(const ectx *c, const enode *n)
{
	agrp_span sp;

	if (c->rrec != NULL || c->rtrig != NULL)
		return walk_raw(c->e, n, n->trigger ? c->rtrig : c->rrec, &sp);
	return walk_json(c->e, n, n->trigger ? c->trig : c->rec) != NULL;
}

static val ev(const ectx *c, int node);

static bool
truthy(val v)
{
	return !(v.t == V_NULL || (v.t == V_BOOL && !v.b));
}

static val
boolean(bool b)
{
	val v = { .t = V_BOOL, .b = b };

	return v;
}

static val
number(double d)
{
	val v = { .t = V_NUM, .n = d };

	return v;
}

static int
str_cmp(val a, val b)
{
	bool fold = a.folded || b.folded;
	size_t n = a.slen < b.slen ? a.slen : b.slen;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a.s[i], y = (unsigned char)b.s[i];

		if (fold) {
			x = (unsigned char)tolower(x);
			y = (unsigned char)tolower(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a.slen < b.slen ? -1 : a.slen > b.slen;
}

/* Walking the elements of any array: a literal list, a tree's, a record's. */
typedef struct iter {
	val list;
	int node;      /* V_LIST */
	size_t cursor; /* V_JSON: index; V_RAW: byte offset */
} iter;

static iter
iter_start(val list)
{
	iter it = { list, list.t == V_LIST ? list.list : -1, 0 };

	return it;
}

static bool
iter_next(const ectx *c, iter *it, val *out)
{
	agrp_span k, v;

	switch (it->list.t) {
	case V_LIST:
		if (it->node < 0)
			return false;
		*out = ev(c, it->node);
		it->node = c->e->n[it->node].next;
		return true;
	case V_JSON:
		if (it->cursor >= json_array_size(it->list.j))
			return false;
		*out = from_json(json_array_get(it->list.j, it->cursor++));
		return true;
	case V_RAW:
		if (!agrp_span_next(&it->list.raw, &it->cursor, &k, &v))
			return false;
		*out = from_span(&v);
		return true;
	default:
		return false;
	}
}

static bool
is_array(val v)
{
	return v.t == V_LIST || (v.t == V_JSON && json_is_array(v.j)) ||
	       (v.t == V_RAW && v.raw.type == 'a');
}

static bool equal(const ectx *c, val a, val b);

/* Objects in a record's bytes: the same keys with equal values. */
static bool
raw_objects_equal(const ectx *c, const agrp_span *a, const agrp_span *b)
{
	size_t cursor = 0;
	agrp_span k, v, w;

	if (raw_count(a) != raw_count(b))
		return false;
	while (agrp_span_next(a, &cursor, &k, &v)) {
		val key = from_span(&k);
		val x, y;

		if (!agrp_span_get(b, cstr(key), &w))
			return false;
		x = from_span(&v);
		y = from_span(&w);
		if (!equal(c, x, y))
			return false;
	}
	return true;
}

static bool
equal(const ectx *c, val a, val b)
{
	if (is_array(a) && is_array(b)) {
		iter ia = iter_start(a), ib = iter_start(b);
		val x, y;

		for (;;) {
			bool more_a = iter_next(c, &ia, &x);
			bool more_b = iter_next(c, &ib, &y);

			if (more_a != more_b)
				return false;
			if (!more_a)
				return true;
			if (!equal(c, x, y))
				return false;
		}
	}
	if (a.t != b.t)
		return false;
	switch (a.t) {
	case V_NULL:
		return true;
	case V_BOOL:
		return a.b == b.b;
	case V_NUM:
		return a.n == b.n;
	case V_STR:
		return str_cmp(a, b) == 0;
	case V_JSON:
		return json_equal((json_t *)a.j, (json_t *)b.j);
	case V_RAW:
		return a.raw.type == 'o' && b.raw.type == 'o' &&
		       raw_objects_equal(c, &a.raw, &b.raw);
	case V_LIST:
		break;
	}
	return false;
}

static bool
has_substring(val hay, val needle)
{
	bool fold = hay.folded || needle.folded;

	if (needle.slen > hay.slen)
		return false;
	for (size_t i = 0; i + needle.slen <= hay.slen; i++) {
		size_t k = 0;

		for (; k < needle.slen; k++) {
			unsigned char x = (unsigned char)hay.s[i + k],
			              y = (unsigned char)needle.s[k];

			if (fold ? tolower(x) != tolower(y) : x != y)
				break;
		}
		if (k == needle.slen)
			return true;
	}
	return false;
}

static bool
member(const ectx *c, val x, val coll)
{
	if (is_array(coll)) {
		iter it = iter_start(coll);
		val y;

		while (iter_next(c, &it, &y))
			if (equal(c, x, y))
				return true;
		return false;
	}
	if (coll.t == V_JSON && x.t == V_STR) /* a key of an object */
		return json_object_get(coll.j, cstr(x)) != NULL;
	if (coll.t == V_RAW && x.t == V_STR) {
		agrp_span v;

		return agrp_span_get(&coll.raw, cstr(x), &v);
	}
	if (coll.t == V_STR && x.t == V_STR)
		return has_substring(coll, x);
	return false;
}

static val
compare(enum op op, val a, val b)
{
	int cmp;

	if (a.t == V_NUM && b.t == V_NUM)
		cmp = a.n < b.n ? -1 : a.n > b.n;
	else if (a.t == V_STR && b.t == V_STR)
		cmp = str_cmp(a, b);
	else
		return boolean(false); /* null and mixed types are not ordered */
	switch (op) {
	case OP_LT:
		return boolean(cmp < 0);
	case OP_LE:
		return boolean(cmp <= 0);
	case OP_GT:
		return boolean(cmp > 0);
	default:
		return boolean(cmp >= 0);
	}
}

static val
ev(const ectx *c, int node)
{
	const agr_expr *e = c->e;
	const enode *n = &e->n[node];
	val a, b, v = { 0 };

	switch (n->op) {
	case OP_LIT:
		return n->lit;
	case OP_LIST:
		v.t = V_LIST;
		v.list = n->a;
		return v;
	case OP_PATH:
		return path_value(c, n);
	case OP_NOT:
		return boolean(!truthy(ev(c, n->a)));
	case OP_NEG:
		a = ev(c, n->a);
		return a.t == V_NUM ? number(-a.n) : v;
	case OP_OR:
		return boolean(truthy(ev(c, n->a)) || truthy(ev(c, n->b)));
	case OP_AND:
		return boolean(truthy(ev(c, n->a)) && truthy(ev(c, n->b)));
	case OP_EXISTS:
		return boolean(path_exists(c, &e->n[n->a]));
	case OP_LOWER:
		a = ev(c, n->a);
		if (a.t == V_STR)
			a.folded = true;
		return a.t == V_STR ? a : v;
	case OP_LEN:
		a = ev(c, n->a);
		if (a.t == V_STR)
			return number((double)a.slen);
		if (a.t == V_JSON)
			return number((double)(json_is_array(a.j) ? json_array_size(a.j)
			                                          : json_object_size(a.j)));
		if (a.t == V_RAW)
			return number((double)raw_count(&a.raw));
		if (a.t == V_LIST) {
			size_t k = 0;

			for (int i = a.list; i >= 0; i = e->n[i].next)
				k++;
			return number((double)k);
		}
		return v;
	default:
		break;
	}
	a = ev(c, n->a);
	b = ev(c, n->b);
	switch (n->op) {
	case OP_EQ:
		return boolean(equal(c, a, b));
	case OP_NE:
		return boolean(!equal(c, a, b));
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		return compare(n->op, a, b);
	case OP_IN:
		return boolean(member(c, a, b));
	case OP_CONTAINS:
		return boolean(member(c, b, a));
	case OP_STARTSWITH:
	case OP_ENDSWITH:
		if (a.t != V_STR || b.t != V_STR || b.slen > a.slen)
			return boolean(false);
		if (n->op == OP_ENDSWITH)
			a.s += a.slen - b.slen;
		a.slen = b.slen;
		return boolean(str_cmp(a, b) == 0);
	case OP_MATCH:
		if (a.t != V_STR)
			return boolean(false);
		return boolean(
		    regexec(e->re[2 * n->re + (a.folded ? 1 : 0)], cstr(a), 0, NULL, 0) == 0);
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
		if (a.t != V_NUM || b.t != V_NUM)
			return v;
		if (n->op == OP_ADD)
			return number(a.n + b.n);
		if (n->op == OP_SUB)
			return number(a.n - b.n);
		if (n->op == OP_MUL)
			return number(a.n * b.n);
		return b.n == 0 ? v : number(a.n / b.n);
	default:
		return v;
	}
}

bool
agr_expr_test(const agr_expr *e, const json_t *record, const json_t *trigger)
{
	ectx c = { e, record, trigger, NULL, NULL };

	scratch_reset();
	return truthy(ev(&c, e->root));
}

bool
agr_expr_test_record(const agr_expr *e, const agr_record *record, const agr_record *trigger)
{
	ectx c = { e, NULL, NULL, record, trigger };

	scratch_reset();
	return truthy(ev(&c, e->root));
}
