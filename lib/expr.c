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

#include "agraph_int.h"

typedef enum vtype { V_NULL, V_BOOL, V_NUM, V_STR, V_JSON, V_LIST } vtype;

typedef struct val {
	vtype t;
	bool b;
	bool folded;  /* V_STR seen through lower() */
	bool missing; /* V_NULL because the path was absent */
	double n;
	const char *s;
	size_t slen;
	const json_t *j; /* V_JSON: array or object */
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

static int
compile_regex(parser *P, int pattern, const char *at)
{
	agr_expr *e = P->e;
	const enode *n = &e->n[pattern];
	char msg[256];
	int rc;

	if (n->op != OP_LIT || n->lit.t != V_STR)
		return perr(P, at, "=~ takes a string literal pattern"), -1;
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

static const json_t *
walk_path(const agr_expr *e, const enode *n, const json_t *j)
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

static val ev(const agr_expr *e, int node, const json_t *rec, const json_t *trig);

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

static bool equal(const agr_expr *e, val a, val b, const json_t *rec, const json_t *trig);

/* The i-th element of an array value, JSON or literal; false past the end. */
static bool
element(const agr_expr *e, val list, int *cursor, val *out, const json_t *rec, const json_t *trig)
{
	if (list.t == V_LIST) {
		if (*cursor < 0)
			return false;
		*out = ev(e, *cursor, rec, trig);
		*cursor = e->n[*cursor].next;
		return true;
	}
	if ((size_t)*cursor >= json_array_size(list.j))
		return false;
	*out = from_json(json_array_get(list.j, (size_t)(*cursor)++));
	return true;
}

static int
first_cursor(val list)
{
	return list.t == V_LIST ? list.list : 0;
}

static bool
is_array(val v)
{
	return v.t == V_LIST || (v.t == V_JSON && json_is_array(v.j));
}

static bool
equal(const agr_expr *e, val a, val b, const json_t *rec, const json_t *trig)
{
	if (is_array(a) && is_array(b)) {
		int ca = first_cursor(a), cb = first_cursor(b);
		val x, y;

		for (;;) {
			bool more_a = element(e, a, &ca, &x, rec, trig);
			bool more_b = element(e, b, &cb, &y, rec, trig);

			if (more_a != more_b)
				return false;
			if (!more_a)
				return true;
			if (!equal(e, x, y, rec, trig))
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
member(const agr_expr *e, val x, val coll, const json_t *rec, const json_t *trig)
{
	if (is_array(coll)) {
		int c = first_cursor(coll);
		val y;

		while (element(e, coll, &c, &y, rec, trig))
			if (equal(e, x, y, rec, trig))
				return true;
		return false;
	}
	if (coll.t == V_JSON && x.t == V_STR) /* a key of an object */
		return json_object_get(coll.j, x.s) != NULL;
	if (coll.t == V_STR && x.t == V_STR)
		return has_substring(coll, x);
	return false;
}

static val
compare(enum op op, val a, val b)
{
	int c;

	if (a.t == V_NUM && b.t == V_NUM)
		c = a.n < b.n ? -1 : a.n > b.n;
	else if (a.t == V_STR && b.t == V_STR)
		c = str_cmp(a, b);
	else
		return boolean(false); /* null and mixed types are not ordered */
	switch (op) {
	case OP_LT:
		return boolean(c < 0);
	case OP_LE:
		return boolean(c <= 0);
	case OP_GT:
		return boolean(c > 0);
	default:
		return boolean(c >= 0);
	}
}

static val
ev(const agr_expr *e, int node, const json_t *rec, const json_t *trig)
{
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
		return from_json(walk_path(e, n, n->trigger ? trig : rec));
	case OP_NOT:
		return boolean(!truthy(ev(e, n->a, rec, trig)));
	case OP_NEG:
		a = ev(e, n->a, rec, trig);
		return a.t == V_NUM ? number(-a.n) : v;
	case OP_OR:
		return boolean(truthy(ev(e, n->a, rec, trig)) || truthy(ev(e, n->b, rec, trig)));
	case OP_AND:
		return boolean(truthy(ev(e, n->a, rec, trig)) && truthy(ev(e, n->b, rec, trig)));
	case OP_EXISTS:
		return boolean(walk_path(e, &e->n[n->a], e->n[n->a].trigger ? trig : rec) != NULL);
	case OP_LOWER:
		a = ev(e, n->a, rec, trig);
		if (a.t == V_STR)
			a.folded = true;
		return a.t == V_STR ? a : v;
	case OP_LEN:
		a = ev(e, n->a, rec, trig);
		if (a.t == V_STR)
			return number((double)a.slen);
		if (a.t == V_JSON)
			return number((double)(json_is_array(a.j) ? json_array_size(a.j)
			                                          : json_object_size(a.j)));
		if (a.t == V_LIST) {
			size_t k = 0;

			for (int c = a.list; c >= 0; c = e->n[c].next)
				k++;
			return number((double)k);
		}
		return v;
	default:
		break;
	}
	a = ev(e, n->a, rec, trig);
	b = ev(e, n->b, rec, trig);
	switch (n->op) {
	case OP_EQ:
		return boolean(equal(e, a, b, rec, trig));
	case OP_NE:
		return boolean(!equal(e, a, b, rec, trig));
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		return compare(n->op, a, b);
	case OP_IN:
		return boolean(member(e, a, b, rec, trig));
	case OP_CONTAINS:
		return boolean(member(e, b, a, rec, trig));
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
		return boolean(regexec(e->re[2 * n->re + (a.folded ? 1 : 0)], a.s, 0, NULL, 0) ==
		               0);
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
	return truthy(ev(e, e->root, record, trigger));
}
