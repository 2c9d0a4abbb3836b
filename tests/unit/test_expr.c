/* test_expr.c - the expression language: the cases of tests/expr.test (or
 * of the file named by the first argument), then the ones a table cannot
 * hold.  The file's format is described at its top. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

/* A record of the file: named by a definition, or written in a case. */
struct rec {
	char *name; /* NULL when written in place */
	char *text; /* the bytes agr_record_set borrows */
	json_t *json;
	agr_record *rec;
};

struct tcase {
	long line;
	char *expr;
	const struct rec *rec, *trigger;
	int want; /* 1 true, 0 false, -1 must not compile */
	long column;
	char *message;
};

struct data {
	struct rec **recs;
	size_t nrecs;
	struct tcase *cases;
	size_t ncases;
	char why[512]; /* "FILE:LINE: what is wrong" when malformed */
};

static void
data_free(struct data *d)
{
	for (size_t i = 0; i < d->nrecs; i++) {
		free(d->recs[i]->name);
		free(d->recs[i]->text);
		json_decref(d->recs[i]->json);
		agr_record_free(d->recs[i]->rec);
		free(d->recs[i]);
	}
	for (size_t i = 0; i < d->ncases; i++) {
		free(d->cases[i].expr);
		free(d->cases[i].message);
	}
	free(d->recs);
	free(d->cases);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		abort();
	return p;
}

static char *
xstrdup(const char *s)
{
	char *c = strdup(s);

	if (c == NULL)
		abort();
	return c;
}

static const struct rec *
find(const struct data *d, const char *name)
{
	for (size_t i = 0; i < d->nrecs; i++)
		if (d->recs[i]->name != NULL && strcmp(d->recs[i]->name, name) == 0)
			return d->recs[i];
	return NULL;
}

/* Adds the record written as text; false with d->why set when it is not one
 * JSON object on its own, as jansson and as the scanner see it. */
static const struct rec *
add_rec(struct data *d, const char *file, long line, const char *name, const char *text)
{
	struct rec *r = xrealloc(NULL, sizeof *r);
	json_error_t jerr;
	agr_error e;

	r->name = name ? xstrdup(name) : NULL;
	r->text = xstrdup(text);
	r->json = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	r->rec = agr_record_new();
	d->recs = xrealloc(d->recs, (d->nrecs + 1) * sizeof *d->recs);
	d->recs[d->nrecs++] = r;
	if (r->json == NULL) {
		snprintf(d->why, sizeof d->why, "%s:%ld: the record is not JSON: %s", file, line,
		         jerr.text);
		return NULL;
	}
	if (!json_is_object(r->json) ||
	    !agr_record_set(r->rec, r->text, strlen(r->text), file, line, &e)) {
		snprintf(d->why, sizeof d->why, "%s:%ld: the record must be one JSON object", file,
		         line);
		return NULL;
	}
	return r;
}

/* One block of lines between blank lines: a definition or a case. */
static bool
block(struct data *d, const char *file, char **text, const long *lines, size_t n)
{
	struct tcase c = { .line = lines[0] };
	char *end;

	if (n == 1 && text[0][0] == '@') {
		char *name = text[0] + 1, *eq = strstr(name, " = ");

		if (eq == NULL || eq == name) {
			snprintf(d->why, sizeof d->why, "%s:%ld: a definition is @NAME = {...}",
			         file, lines[0]);
			return false;
		}
		*eq = '\0';
		if (find(d, name) != NULL) {
			snprintf(d->why, sizeof d->why, "%s:%ld: @%s is already defined", file,
			         lines[0], name);
			return false;
		}
		return add_rec(d, file, lines[0], name, eq + 3) != NULL;
	}
	if (n == 2 && strncmp(text[1], "error ", 6) == 0) {
		errno = 0;
		c.want = -1;
		c.column = strtol(text[1] + 6, &end, 10);
		if (errno != 0 || c.column < 1 || end == text[1] + 6 ||
		    strncmp(end, ": ", 2) != 0 || end[2] == '\0') {
			snprintf(d->why, sizeof d->why, "%s:%ld: expected error COLUMN: MESSAGE",
			         file, lines[1]);
			return false;
		}
		c.message = xstrdup(end + 2);
	} else if (n == 3 && strncmp(text[1], "error ", 6) != 0) {
		if (text[1][0] == '@')
			c.rec = find(d, text[1] + 1);
		else
			c.rec = add_rec(d, file, lines[1], NULL, text[1]);
		if (c.rec == NULL) {
			if (text[1][0] == '@')
				snprintf(d->why, sizeof d->why,
				         "%s:%ld: no record %s defined before", file, lines[1],
				         text[1]);
			return false;
		}
		if (strcmp(text[2], "true") != 0 && strcmp(text[2], "false") != 0) {
			snprintf(d->why, sizeof d->why, "%s:%ld: expected true or false, not '%s'",
			         file, lines[2], text[2]);
			return false;
		}
		c.want = strcmp(text[2], "true") == 0;
		c.trigger = find(d, "trigger");
	} else {
		snprintf(d->why, sizeof d->why,
		         "%s:%ld: a case is an expression, a record and true or false, or an "
		         "expression and error COLUMN: MESSAGE",
		         file, lines[0]);
		return false;
	}
	c.expr = xstrdup(text[0]);
	d->cases = xrealloc(d->cases, (d->ncases + 1) * sizeof *d->cases);
	d->cases[d->ncases++] = c;
	return true;
}

/* Reads the cases of f; false with d->why set at the first thing wrong, so
 * that a mistake in the file fails the run instead of dropping cases. */
static bool
parse(FILE *f, const char *file, struct data *d)
{
	char *text[3] = { NULL }, *buf = NULL;
	long lines[3], line = 0;
	size_t n = 0, cap = 0;
	ssize_t len;
	bool good = true;

	memset(d, 0, sizeof *d);
	while (good) {
		len = getline(&buf, &cap, f);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len >= 0)
			line++;
		if (len >= 0 && buf[0] == '#')
			continue;
		if (len >= 0 && buf[strspn(buf, " \t")] != '\0') {
			if (n == 3) {
				snprintf(d->why, sizeof d->why,
				         "%s:%ld: a case has at most three lines (a blank line "
				         "ends it)",
				         file, line);
				good = false;
				break;
			}
			text[n] = xstrdup(buf);
			lines[n++] = line;
			continue;
		}
		if (n > 0)
			good = block(d, file, text, lines, n);
		while (n > 0)
			free(text[--n]);
		if (len < 0)
			break;
	}
	while (n > 0)
		free(text[--n]);
	free(buf);
	if (good && ferror(f)) {
		snprintf(d->why, sizeof d->why, "%s: %s", file, strerror(errno));
		good = false;
	}
	if (good && d->ncases == 0) {
		snprintf(d->why, sizeof d->why, "%s: no cases", file);
		good = false;
	}
	return good;
}

static void
run_case(const char *file, const struct tcase *c)
{
	agr_error e;
	agr_expr *x = agr_expr_compile(c->expr, &e);

	if (c->want < 0) {
		if (!ok(x == NULL && e.column == c->column && strstr(e.text, c->message),
		        "%s:%ld: %s: error at column %ld", file, c->line, c->expr, c->column))
			diag("got %s%ld: %s", x ? "no error " : "column ", x ? 0 : e.column,
			     x ? "(compiled)" : e.text);
	} else if (x == NULL) {
		ok(0, "%s:%ld: %s", file, c->line, c->expr);
		diag("compile error at column %ld: %s", e.column, e.text);
	} else {
		const struct rec *t = c->trigger;
		bool tree = agr_expr_test(x, c->rec->json, t ? t->json : NULL);
		bool bytes = agr_expr_test_record(x, c->rec->rec, t ? t->rec : NULL);

		if (!ok(tree == c->want && bytes == c->want, "%s:%ld: %s is %s", file, c->line,
		        c->expr, c->want ? "true" : "false"))
			diag("on the tree %s, on the bytes %s", tree ? "true" : "false",
			     bytes ? "true" : "false");
	}
	agr_expr_free(x);
}

/* TEXT then REPEAT n times then TAIL, in a buffer the caller frees. */
static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
	char *s = malloc(h + u * n + t + 1), *p = s;

	memcpy(p, head, h);
	p += h;
	for (size_t i = 0; i < n; i++, p += u)
		memcpy(p, unit, u);
	memcpy(p, tail, t + 1);
	return s;
}

/* What EXPR gives on TEXT, on the tree and on the bytes (-1: it does not
 * compile, -2: the two disagree). */
static int
value_on(const char *expr, const char *text)
{
	agr_error e;
	agr_expr *x = agr_expr_compile(expr, &e);
	agr_record *rec = agr_record_new();
	json_t *tree = json_loads(text, 0, NULL);
	int v = -1;

	if (x != NULL && tree != NULL && agr_record_set(rec, text, strlen(text), "t", 1, &e)) {
		bool a = agr_expr_test(x, tree, tree), b = agr_expr_test_record(x, rec, rec);

		v = a != b ? -2 : a;
	}
	json_decref(tree);
	agr_record_free(rec);
	agr_expr_free(x);
	return v;
}

/* Chains of any length are evaluated in a loop, the same as their
 * parentheses written out; nesting is bounded with an error. */
static void
test_chains(void)
{
	static const char rec[] = "{\"kind\":\"call\",\"step\":3,\"s\":\"x\\u0041y\"}";
	static const struct {
		const char *head, *unit, *tail;
		size_t n;
		int want;
	} chains[] = {
		{ "", "1+", "1 == 100001", 100000, 1 },
		{ "1000000", "-1", " == 900000", 100000, 1 },
		{ "step", "*1", " == 3", 100000, 1 },
		{ "step", "/1", " == 3", 100000, 1 },
		{ "", "step != 1 && ", "true", 100000, 1 },
		{ "", "step != 1 && ", "false", 100000, 0 },
		{ "", "step == 1 || ", "s == \"xAy\"", 100000, 1 },
		{ "", "kind == \"x\" || ", "false", 100000, 0 },
		{ "", "lower(s) == \"xay\" && s =~ \"A\" && ", "true", 20000, 1 },
		{ "false && (", "1 + ", "1 == 2)", 100000, 0 },
		{ "!(", "step + ", "0 > 0) || true", 100000, 1 },
	};
	char *nested, *chain;
	agr_error e;

	for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++) {
		chain = repeat(chains[i].head, chains[i].unit, chains[i].n, chains[i].tail);
		ok(value_on(chain, rec) == chains[i].want, "a chain of %zu '%s' is %s", chains[i].n,
		   chains[i].unit, chains[i].want ? "true" : "false");
		free(chain);
	}
	/* 150 levels of parentheses, (((step - 1) - 1) - 1)..., and its chain */
	nested = repeat("", "(", 150, "step");
	chain = repeat(nested, " - 1)", 150, " == -147");
	ok(value_on(chain, rec) == 1, "150 parentheses around a chain of - give what it gives");
	free(chain);
	free(nested);
	/* The evaluation's depth: five levels for each parenthesis here. */
	for (int k = 95; k <= 105; k += 5) {
		nested = repeat("", "step || step && step == step + step * (", (size_t)k, "step");
		chain = repeat(nested, ")", (size_t)k, "");
		if (k < 100)
			ok(value_on(chain, rec) == 1, "%d levels of five operators evaluate", k);
		else
			ok(agr_expr_compile(chain, &e) == NULL &&
			       strstr(e.text, "nested too deeply") != NULL && e.column > 1,
			   "%d levels of five operators are refused with a column", k);
		free(chain);
		free(nested);
	}
}

/* contains() and in, byte for byte and ignoring case, against the plain
 * search they replace: every haystack of up to 7 letters of "aAb" and
 * every needle of up to 4. */
static bool
naive_contains(const char *h, const char *n, bool fold)
{
	size_t lh = strlen(h), ln = strlen(n);

	for (size_t i = 0; i + ln <= lh; i++) {
		size_t k = 0;

		while (k < ln &&
		       (fold ? tolower((unsigned char)h[i + k]) == tolower((unsigned char)n[k])
		             : h[i + k] == n[k]))
			k++;
		if (k == ln)
			return true;
	}
	return false;
}

static long
pow3(int n)
{
	long p = 1;

	while (n-- > 0)
		p *= 3;
	return p;
}

static void
spell(char *out, long code, int len)
{
	for (int i = 0; i < len; i++, code /= 3)
		out[i] = "aAb"[code % 3];
	out[len] = '\0';
}

static void
test_substrings(void)
{
	static const char *const exprs[] = { "contains(h, n)", "contains(lower(h), n)", "n in h",
		                             "lower(n) in h" };
	agr_expr *x[4];
	agr_error e;
	long wrong = 0, tried = 0;
	char h[8], n[5], text[64];

	for (int i = 0; i < 4; i++)
		x[i] = agr_expr_compile(exprs[i], &e);
	for (int lh = 0; lh <= 7; lh++)
		for (long ch = 0, maxh = pow3(lh); ch < maxh; ch++)
			for (int ln = 0; ln <= 4; ln++)
				for (long cn = 0, maxn = pow3(ln); cn < maxn; cn++) {
					agr_record *rec = agr_record_new();

					spell(h, ch, lh);
					spell(n, cn, ln);
					snprintf(text, sizeof text,
					         "{\"kind\":\"x\",\"h\":\"%s\",\"n\":\"%s\"}", h,
					         n);
					if (!agr_record_set(rec, text, strlen(text), "t", 1, &e)) {
						wrong++;
						agr_record_free(rec);
						continue;
					}
					for (int i = 0; i < 4; i++) {
						bool want = naive_contains(h, n, i % 2 == 1);

						tried++;
						if (agr_expr_test_record(x[i], rec, NULL) != want)
							wrong++;
					}
					agr_record_free(rec);
				}
	ok(wrong == 0, "%ld substring searches agree with the plain search (%ld differ)", tried,
	   wrong);
	for (int i = 0; i < 4; i++)
		agr_expr_free(x[i]);
}

/* The parser itself: every kind of mistake is refused at its line. */
static void
test_malformed(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "t: no cases" },
		{ "# only a comment\n\n", "t: no cases" },
		{ "kind\n", "t:1: a case is" },
		{ "kind\n@record\n", "t:1: a case is" },
		{ "kind\n@record\ntrue\n", "t:2: no record @record" },
		{ "kind\n{\"a\":\ntrue\n", "t:2: the record is not JSON" },
		{ "kind\n{\"a\":1} x\ntrue\n", "t:2: the record is not JSON" },
		{ "kind\n[1]\ntrue\n", "t:2: the record must be one JSON object" },
		{ "kind\n{}\nyes\n", "t:3: expected true or false, not 'yes'" },
		{ "kind\n{}\ntrue\nfalse\n", "t:4: a case has at most three lines" },
		{ "kind\nerror x: y\n", "t:2: expected error COLUMN: MESSAGE" },
		{ "kind\nerror 3:\n", "t:2: expected error COLUMN: MESSAGE" },
		{ "kind\nerror 0: y\n", "t:2: expected error COLUMN: MESSAGE" },
		{ "kind\nerror 1: y\nfalse\n", "t:1: a case is" },
		{ "@r = {}\n\n@r = {}\n", "t:3: @r is already defined" },
		{ "@r {}\n", "t:1: a definition is" },
		{ "@r = 1\n", "t:1: the record must be one JSON object" },
		{ "k\n{}\ntrue\n\nk\n{}\nmaybe\n", "t:7: expected true or false" },
	};
	struct data d;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fmemopen((void *)bad[i].text, strlen(bad[i].text), "r");
		bool parsed;

		/* fmemopen of 0 bytes fails on some libcs: an empty file instead. */
		if (f == NULL)
			f = tmpfile();
		parsed = parse(f, "t", &d);
		if (!ok(!parsed && strncmp(d.why, bad[i].why, strlen(bad[i].why)) == 0,
		        "a malformed file is refused: %s", bad[i].why))
			diag("got %s", parsed ? "(parsed)" : d.why);
		data_free(&d);
		fclose(f);
	}
	{
		static const char good[] = "# c\n@r = {\"k\":1}\n\n  \nk == 1\n@r\ntrue\n"
		                           "# c\n\n\nk\n{\"k\":0}\nfalse\n\nk ==\nerror 5: x";
		FILE *f = fmemopen((void *)good, strlen(good), "r");
		bool parsed = parse(f, "t", &d);

		ok(parsed && d.ncases == 3 && d.cases[0].line == 5 && d.cases[1].line == 11 &&
		       d.cases[2].want == -1 && d.cases[2].column == 5 && d.cases[0].want == 1 &&
		       d.cases[1].want == 0,
		   "a well-formed file gives its cases and their lines");
		if (!parsed)
			diag("%s", d.why);
		data_free(&d);
		fclose(f);
	}
}

/* agr_expr_value(): what an expression gives, as JSON (a call's args). */
static void
test_values(void)
{
	static const struct {
		const char *expr, *want;
	} cases[] = {
		{ "input.amount", "25" },
		{ "input.amount * 2", "50" },
		{ "input.amount / 2", "12.5" },
		{ "input.amount / 0", "null" },
		{ "input.nothing", "null" },
		{ "input.nothing.deeper[3]", "null" },
		{ "input.name", "\"Ad\\u0000a \\u00e9\"" },
		{ "lower(input.code)", "\"ab-7\"" },
		{ "input.code", "\"AB-7\"" },
		{ "input.big", "9007199254740993" },
		{ "input.big + 0", "9007199254740992" },
		{ "input.huge", "1e+300" },
		{ "input.items", "[1, {\"a\": [true]}]" },
		{ "input.items[1]", "{\"a\": [true]}" },
		{ "input.items[1].a[0]", "true" },
		{ "[1, \"x\", input.amount, [false]]", "[1, \"x\", 25, [false]]" },
		{ "input.amount > 10 && input.code == \"AB-7\"", "true" },
		{ "len(input.items)", "2" },
		{ "outputs.CRM.id", "\"c-42\"" },
		{ "-0", "0" },
		{ "\"text\"", "\"text\"" },
	};
	const char *scope =
	    "{\"input\": {\"amount\": 25, \"name\": \"Ad\\u0000a \\u00e9\", "
	    "\"code\": \"AB-7\", \"big\": 9007199254740993, \"huge\": 1e300, "
	    "\"items\": [1, {\"a\": [true]}]}, \"outputs\": {\"CRM\": {\"id\": \"c-42\"}}}";
	json_t *tree = json_loads(scope, JSON_ALLOW_NUL, NULL);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		agr_error e;
		agr_expr *x = agr_expr_compile(cases[i].expr, &e);
		json_t *want = json_loads(cases[i].want, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		json_t *got = x ? agr_expr_value(x, tree, NULL) : NULL;
		char *shown = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

		/* json_equal() holds 25 and 25.0 apart: the type is checked too */
		ok(got != NULL && want != NULL && json_equal(got, want) &&
		       json_typeof(got) == json_typeof(want),
		   "%s gives %s (%s)", cases[i].expr, cases[i].want, shown ? shown : "nothing");
		free(shown);
		json_decref(got);
		json_decref(want);
		agr_expr_free(x);
	}
	json_decref(tree);
}

/* Fields compared with strings and with each other, under && || !, which
 * the bytes answer without building values: the same as the tree, for a
 * field of every kind, absent, escaped or not. */
static void
test_field_compares(void)
{
	static const char *const values[] = { NULL,         "\"call\"", "\"ca\\u006cl\"",
		                              "\"cal\"",    "\"\"",     "1",
		                              "null",       "true",     "{\"k\":1}",
		                              "[\"call\"]", "\"call \"" };
	static const char *const exprs[] = { "a == \"call\"",
		                             "\"call\" == a",
		                             "a != \"call\"",
		                             "a == \"\"",
		                             "a == b",
		                             "a != b",
		                             "!(a == \"call\")",
		                             "a == \"call\" && b != \"x\"",
		                             "a == \"call\" || b == \"call\"",
		                             "$trigger.a == b",
		                             "a == $trigger.b && !(b != \"call\")" };
	const size_t nv = sizeof values / sizeof values[0];
	long tried = 0, differ = 0;
	char text[256];

	for (size_t i = 0; i < nv; i++)
		for (size_t j = 0; j < nv; j++) {
			size_t n = (size_t)snprintf(text, sizeof text, "{\"x\":0");

			if (values[i] != NULL)
				n += (size_t)snprintf(text + n, sizeof text - n, ",\"a\":%s",
				                      values[i]);
			if (values[j] != NULL)
				n += (size_t)snprintf(text + n, sizeof text - n, ",\"b\":%s",
				                      values[j]);
			snprintf(text + n, sizeof text - n, "}");
			for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
				int v = value_on(exprs[k], text);

				tried++;
				if (v < 0 && differ++ < 5)
					diag("%s on %s: %s", exprs[k], text,
					     v == -1 ? "no value"
					             : "the tree and the bytes differ");
			}
		}
	ok(differ == 0, "%ld comparisons of fields: the bytes are the tree (%ld differ)", tried,
	   differ);
}

int
main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "tests/expr.test";
	FILE *f = fopen(file, "r");
	struct data d = { 0 };
	agr_error e;

	if (f == NULL) {
		ok(0, "%s: %s (run from the top of the tree, or give the file)", file,
		   strerror(errno));
	} else if (!parse(f, file, &d)) {
		ok(0, "%s", d.why);
	} else {
		for (size_t i = 0; i < d.ncases; i++)
			run_case(file, &d.cases[i]);
	}
	if (f != NULL)
		fclose(f);
	data_free(&d);
	test_malformed();
	test_values();
	test_field_compares();
	{
		/* Deep nesting is refused, not a stack overflow. */
		char deep[2100];

		memset(deep, '(', 1000);
		strcpy(deep + 1000, "1");
		memset(deep + 1001, ')', 1000);
		deep[2001] = '\0';
		ok(agr_expr_compile(deep, &e) == NULL && strstr(e.text, "nested too deeply"),
		   "1000 parentheses are refused");
		memset(deep, '!', 2000);
		strcpy(deep + 2000, "x");
		ok(agr_expr_compile(deep, &e) == NULL, "2000 negations are refused");
	}
	test_chains();
	test_substrings();
	return done_testing();
}
