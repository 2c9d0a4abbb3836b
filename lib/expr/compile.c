/*
 * compile.c - the expression language of agraph-contract(5), compiled:
 * a recursive-descent parser that reads the text once and writes the flat
 * array of nodes that eval.c walks, with path segments, decoded string
 * literals and regular expressions (refused when regcomp would blow up)
 * made ready, so that evaluating needs nothing more.  Mistakes say their
 * column.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

typedef struct parser {
	agr_expr *e;
	const char *text;
	const char *p;
	agr_error *err;
	bool failed;
	int depth;
} parser;

/*
 * Two bounds, both reported as "expression nested too deeply" at the
 * column where they are passed.  MAX_DEPTH bounds the parser's own
 * recursion: parentheses, lists, a function's arguments, unary operators.
 * MAX_HEIGHT bounds the evaluator's: eval.c walks down the chain of first
 * operands (a) of a node in a loop and recurses only into second operands
 * (b) and list elements, so a node's height is
 *     leaf (literal, path, exists()): 1
 *     list: 1 + the height of its tallest element
 *     operator: the height of a, or 1 + the height of b if that is more
 * and a left-associative chain (a && b && c, 1 + 2 + 3) of any length is
 * as high as its tallest operand.  Every expression that compiles is
 * evaluated with at most MAX_HEIGHT nested calls.
 */
#define MAX_DEPTH 200
#define MAX_HEIGHT 500

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

/* "unexpected 'c'what": the character at p whole (a UTF-8 sequence, not
 * one byte of it), or its escape when it cannot be seen. */
static bool
perr_unexpected(parser *P, const char *p, const char *what)
{
	size_t n =
	    agrp_utf8_len((const unsigned char *)p, (const unsigned char *)p + strlen(p), NULL);
	char c[5] = { 0 }, *shown;

	memcpy(c, p, n ? n : 1);
	shown = agrp_text(c, false);
	perr(P, p, "unexpected '%s'%s", shown, what);
	free(shown);
	return false;
}

static int
new_node(parser *P, enum agrp_op op)
{
	agr_expr *e = P->e;

	agrp_grow(&e->n, &e->capn, e->nn + 1, sizeof *e->n);
	memset(&e->n[e->nn], 0, sizeof *e->n);
	e->n[e->nn].op = op;
	e->n[e->nn].a = e->n[e->nn].b = e->n[e->nn].next = e->n[e->nn].up = -1;
	e->n[e->nn].height = 1;
	return (int)e->nn++;
}

/* A node whose children are set: its height, and its first child's way up. */
static int
finish(parser *P, int node)
{
	agrp_enode *n = &P->e->n[node];
	int h = 1;

	if (n->op == AGRP_OP_LIST) {
		for (int i = n->a; i >= 0; i = P->e->n[i].next)
			if (1 + P->e->n[i].height > h)
				h = 1 + P->e->n[i].height;
	} else if (n->op != AGRP_OP_EXISTS && n->a >= 0) {
		P->e->n[n->a].up = node;
		h = P->e->n[n->a].height;
		if (n->b >= 0 && 1 + P->e->n[n->b].height > h)
			h = 1 + P->e->n[n->b].height;
	}
	n->height = h;
	if (h > MAX_HEIGHT)
		return perr(P, P->p, "expression nested too deeply"), -1;
	return node;
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
	const char *start = P->p++, *end = P->p;
	char *out;
	size_t n = 0;

	/* As long as the literal, not the rest of the text: one pass to measure. */
	while (*end != '\0' && *end != q)
		end += end[0] == '\\' && end[1] != '\0' ? 2 : 1;
	out = agrp_xmalloc((size_t)(end - P->p) + 1);

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
	e->segs[e->nsegs].klen = key ? strlen(key) : 0;
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
	enum agrp_op op;
	int nargs;
} funcs[] = {
	{ "exists", AGRP_OP_EXISTS, 1 },         { "len", AGRP_OP_LEN, 1 },
	{ "lower", AGRP_OP_LOWER, 1 },           { "contains", AGRP_OP_CONTAINS, 2 },
	{ "startswith", AGRP_OP_STARTSWITH, 2 }, { "endswith", AGRP_OP_ENDSWITH, 2 },
};

/* ( expr ) */
static int
parse_group(parser *P)
{
	int node;

	P->p++;
	node = parse_or(P);
	if (node < 0 || !expect_tok(P, ")"))
		return -1;
	return node;
}

/* [ expr, ... ]: its elements chained through next. */
static int
parse_list(parser *P)
{
	int node, prev = -1;

	P->p++;
	node = new_node(P, AGRP_OP_LIST);
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
	return expect_tok(P, "]") ? finish(P, node) : -1;
}

static int
parse_string_literal(parser *P)
{
	size_t len;
	char *s = parse_string(P, &len);
	int node;

	if (s == NULL)
		return -1;
	node = new_node(P, AGRP_OP_LIT);
	P->e->n[node].lit.t = AGRP_V_STR;
	P->e->n[node].lit.s = s;
	P->e->n[node].lit.slen = len;
	return node;
}

static int
parse_number(parser *P)
{
	const char *at = P->p;
	char *end;
	double d;
	int node;

	/* A JSON number, as records hold them: strtod() alone would also take
	 * hexadecimal (0x10), and leading zeros would read as decimal. */
	const char *q = at;

	if (q[0] == '0' && isdigit((unsigned char)q[1]))
		return perr(P, at, "a number has no leading zero"), -1;
	while (isdigit((unsigned char)*q))
		q++;
	if (*q == '.') {
		if (!isdigit((unsigned char)*++q))
			return perr(P, at, "a number needs digits after its '.'"), -1;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		q += q[1] == '+' || q[1] == '-' ? 2 : 1;
		if (!isdigit((unsigned char)*q))
			return perr(P, at, "a number needs digits in its exponent"), -1;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
		return perr(P, at, "malformed number"), -1;
	errno = 0;
	d = strtod(at, &end);
	if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
		return perr(P, at, "number out of range"), -1;
	P->p = q;
	node = new_node(P, AGRP_OP_LIT);
	P->e->n[node].lit.t = AGRP_V_NUM;
	P->e->n[node].lit.n = d;
	return node;
}

/* $trigger and the segments after it. */
static int
parse_trigger(parser *P)
{
	const char *at = P->p;
	int node;

	P->p++;
	if (strncmp(P->p, "trigger", 7) != 0 || is_ident(P->p[7]))
		return perr(P, at, "unknown variable (the one variable is $trigger)"), -1;
	P->p += 7;
	node = new_node(P, AGRP_OP_PATH);
	P->e->n[node].trigger = true;
	P->e->n[node].seg = (int)P->e->nsegs;
	return parse_segments(P, node) ? node : -1;
}

/* A path that starts with an odd name: ."gen_ai.system" or .["x"] */
static int
parse_quoted_path(parser *P)
{
	int node = new_node(P, AGRP_OP_PATH);

	P->e->n[node].seg = (int)P->e->nsegs;
	if (P->p[1] == '[')
		P->p++;
	return parse_segments(P, node) ? node : -1;
}

/* A call of function id, its '(' next; at is where id starts. */
static int
parse_call(parser *P, const char *id, const char *at)
{
	for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
		int args[2] = { -1, -1 }, node;

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
			return perr(P, P->p, "%s() takes %d argument%s", id, funcs[i].nargs,
			            funcs[i].nargs > 1 ? "s" : ""),
			       -1;
		node = new_node(P, funcs[i].op);
		P->e->n[node].a = args[0];
		P->e->n[node].b = args[1];
		if (funcs[i].op == AGRP_OP_EXISTS && P->e->n[args[0]].op != AGRP_OP_PATH)
			return perr(P, at, "exists() takes a field path"), -1;
		return finish(P, node);
	}
	return perr(P, at, "unknown function '%s'", id), -1;
}

/* A name: true, false, null, a function's call, or a path's first name. */
static int
parse_name(parser *P)
{
	const char *at = P->p;
	char *id = take_ident(P);
	int node;

	if (strcmp(id, "true") == 0 || strcmp(id, "false") == 0) {
		node = new_node(P, AGRP_OP_LIT);
		P->e->n[node].lit.t = AGRP_V_BOOL;
		P->e->n[node].lit.b = id[0] == 't';
		return node;
	}
	if (strcmp(id, "null") == 0)
		return new_node(P, AGRP_OP_LIT);
	skip_space(P);
	if (*P->p == '(')
		return parse_call(P, id, at);
	node = new_node(P, AGRP_OP_PATH);
	P->e->n[node].seg = (int)P->e->nsegs;
	add_seg(P, id, 0);
	P->e->n[node].nseg = 1;
	return parse_segments(P, node) ? node : -1;
}

static int
parse_primary(parser *P)
{
	const char *p;

	skip_space(P);
	p = P->p;
	if (*p == '(')
		return parse_group(P);
	if (*p == '[')
		return parse_list(P);
	if (*p == '"' || *p == '\'')
		return parse_string_literal(P);
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
		return parse_number(P);
	if (*p == '$')
		return parse_trigger(P);
	if (*p == '.' && (p[1] == '"' || p[1] == '\'' || p[1] == '['))
		return parse_quoted_path(P);
	if (is_ident_start(*p))
		return parse_name(P);
	if (*p == '\0')
		return perr(P, p, "unexpected end of expression"), -1;
	return perr_unexpected(P, p, ""), -1;
}

static int
parse_unary(parser *P)
{
	enum agrp_op op;
	int node, a;

	skip_space(P);
	if (P->p[0] == '!' && P->p[1] != '=')
		op = AGRP_OP_NOT;
	else if (P->p[0] == '-')
		op = AGRP_OP_NEG;
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
	return finish(P, node);
}

static int
binary(parser *P, enum agrp_op op, int a, int b)
{
	int node;

	if (a < 0 || b < 0)
		return -1;
	node = new_node(P, op);
	P->e->n[node].a = a;
	P->e->n[node].b = b;
	return finish(P, node);
}

static int
parse_mul(parser *P)
{
	int a = parse_unary(P);

	while (a >= 0) {
		if (accept(P, "*"))
			a = binary(P, AGRP_OP_MUL, a, parse_unary(P));
		else if (accept(P, "/"))
			a = binary(P, AGRP_OP_DIV, a, parse_unary(P));
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
			a = binary(P, AGRP_OP_ADD, a, parse_mul(P));
		else if (accept(P, "-"))
			a = binary(P, AGRP_OP_SUB, a, parse_mul(P));
		else
			break;
	}
	return a;
}

/*
 * Patterns that regcomp() would turn into huge automata: a repetition of a
 * repetition ("a++", undefined in POSIX EREs anyway), or bounded
 * repetitions whose counts multiply past 1000; and patterns that regexec()
 * would match in exponential time: a back-reference (\1 to \9), which glibc
 * matches by backtracking.  Contracts run on untrusted
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
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return "a back-reference";
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
	const agrp_enode *n = &e->n[pattern];
	const char *why;
	char msg[256];
	int rc;

	if (n->op != AGRP_OP_LIT || n->lit.t != AGRP_V_STR)
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
		enum agrp_op op;
	} ops[] = {
		{ "==", AGRP_OP_EQ }, { "!=", AGRP_OP_NE }, { "=~", AGRP_OP_MATCH },
		{ "<=", AGRP_OP_LE }, { ">=", AGRP_OP_GE }, { "<", AGRP_OP_LT },
		{ ">", AGRP_OP_GT },  { "in", AGRP_OP_IN },
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
		if (node >= 0 && ops[i].op == AGRP_OP_MATCH) {
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
		a = binary(P, AGRP_OP_AND, a, parse_cmp(P));
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
		a = binary(P, AGRP_OP_OR, a, parse_and(P));
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
			perr_unexpected(&P, P.p, " after the expression");
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

size_t
agrp_expr_trigger_names(const agr_expr *e, const char **names, size_t n, size_t max, bool *whole)
{
	for (size_t i = 0; i < e->nn; i++) {
		const agrp_enode *x = &e->n[i];
		const char *key;
		bool known = false;

		if (x->op != AGRP_OP_PATH || !x->trigger)
			continue;
		if (x->nseg == 0) {
			*whole = true;
			continue;
		}
		if ((key = e->segs[x->seg].key) == NULL)
			continue; /* $trigger[0]: a record is never an array */
		for (size_t j = 0; j < n && !known; j++)
			known = strcmp(names[j], key) == 0;
		if (known)
			continue;
		if (n == max)
			*whole = true;
		else
			names[n++] = key;
	}
	return n;
}
