/* test_expr.c - the expression language, case by case. */
#include <string.h>
#include <unistd.h>

#include "agraph.h"
#include "tap.h"

static const char *record =
    "{\"kind\":\"call\",\"tool\":\"refund\",\"step\":7,\"args\":{\"amount\":250,\"to\":\"Ann\"},"
    "\"path\":[\"Start\",\"CRM\",\"Stripe\"],\"cost\":0.8,\"ok\":true,\"none\":null,"
    "\"gen_ai.system\":\"openai\",\"x-y\":{\"z\":1},\"msg\":\"Payment DECLINED by bank\","
    "\"esc\":\"caf\\u00e9 \\\"ok\\\"\",\"o\":{\"a\":[1,{\"b\":null}],\"c\":\"d\"},"
    "\"o2\":{\"c\":\"d\",\"a\":[1,{\"b\":null}]}}";
static const char *trigger = "{\"kind\":\"call\",\"id\":\"c3\",\"tool\":\"refund\"}";

static const struct {
	const char *expr;
	int want;
} cases[] = {
	{ "kind == \"call\"", 1 },
	{ "kind != 'call'", 0 },
	{ "kind == \"call\" && tool == \"refund\" && args.amount <= 500", 1 },
	{ "kind != \"call\" || tool != \"refund\" || args.amount <= 200", 0 },
	{ "args.amount > 249.5 && args.amount < 250.5", 1 },
	{ "args.amount >= 250 && args.amount <= 250", 1 },
	{ "args.amount + 50 == 300", 1 },
	{ "args.amount * 2 - 100 == 400", 1 },
	{ "args.amount / 0 == null", 1 },
	{ "-args.amount < 0", 1 },
	{ "(1 + 2) * 3 == 9", 1 },
	{ "1 + 2 * 3 == 7", 1 },
	{ "path[0] == \"Start\"", 1 },
	{ "path[-1] == \"Stripe\"", 1 },
	{ "path[9] == null", 1 },
	{ "len(path) == 3", 1 },
	{ "len(args) == 2", 1 },
	{ "len(\"abc\") == 3", 1 },
	{ "len([1, 2]) == 2", 1 },
	{ "missing == null", 1 },
	{ "missing.deeper[2] == null", 1 },
	{ "missing < 3", 0 },
	{ "missing > 3", 0 },
	{ "!missing", 1 },
	{ "none == null", 1 },
	{ "exists(none)", 1 },
	{ "exists(missing)", 0 },
	{ "exists(args.amount) && !exists(args.currency)", 1 },
	{ "ok", 1 },
	{ "ok == true && !false", 1 },
	{ "tool in [\"refund\", \"charge\"]", 1 },
	{ "tool in [\"charge\"]", 0 },
	{ "\"CRM\" in path", 1 },
	{ "\"amount\" in args", 1 },
	{ "\"DECLINED\" in msg", 1 },
	{ "contains(path, \"Stripe\")", 1 },
	{ "contains(msg, \"declined\")", 0 },
	{ "contains(lower(msg), \"declined\")", 1 },
	{ "lower(tool) == \"REFUND\"", 1 },
	{ "startswith(msg, \"Pay\") && !startswith(msg, \"pay\")", 1 },
	{ "endswith(msg, \"bank\")", 1 },
	{ "msg =~ \"DECLINED|REFUSED\"", 1 },
	{ "msg =~ \"^declined\"", 0 },
	{ "lower(msg) =~ \"declined\"", 1 },
	{ "missing =~ \"x\"", 0 },
	{ ".\"gen_ai.system\" == \"openai\"", 1 },
	{ ".[\"gen_ai.system\"] == \"openai\"", 1 },
	{ ".\"x-y\".z == 1", 1 },
	{ "args[\"to\"] == \"Ann\"", 1 },
	{ "$trigger.id == \"c3\" && tool == $trigger.tool", 1 },
	{ "$trigger.missing == null", 1 },
	{ "\"a\" < \"b\" && \"B\" < \"a\"", 1 },
	{ "\"x\" < 1", 0 },
	{ "path == [\"Start\", \"CRM\", \"Stripe\"]", 1 },
	{ "args == args", 1 },
	{ "cost == 0.8", 1 },
	{ "'it\\'s' == \"it's\"", 1 },
	{ "index == null", 1 },
	{ "true || 1 / 0", 1 },
};

static const struct {
	const char *expr;
	long column;
	const char *message;
} bad[] = {
	{ "kind ==", 8, "unexpected end of expression" },
	{ "kind == \"call", 9, "unterminated string" },
	{ "(kind == 1", 11, "expected ')' at the end" },
	{ "kind == 1 )", 11, "unexpected ')' after the expression" },
	{ "upper(tool)", 1, "unknown function 'upper'" },
	{ "len(a, b)", 6, "len() takes 1 argument" },
	{ "exists(1)", 1, "exists() takes a field path" },
	{ "tool =~ name", 6, "=~ takes a string literal pattern" },
	{ "tool =~ \"(\"", 6, "bad regular expression" },
	{ "$x.y", 1, "unknown variable" },
	{ "kind # 1", 6, "unexpected '#' after the expression" },
	{ "\"\\q\"", 2, "unknown escape" },
};

int
main(void)
{
	json_t *rec = json_loads(record, 0, NULL), *trig = json_loads(trigger, 0, NULL);
	agr_error e;
	agr_record *rrec, *rtrig;

	/* The same records as read from a file, for evaluation on their bytes. */
	{
		char path[] = "/tmp/agraph-expr-XXXXXX";
		int fd = mkstemp(path);
		const char *paths[] = { path };
		agr_reader *r;
		const agr_record *got;
		FILE *f = fdopen(fd, "w");

		fprintf(f, "%s\n%s\n", record, trigger);
		fclose(f);
		r = agr_reader_new(paths, 1, 0);
		agr_reader_next(r, &got, &e);
		rrec = agr_record_keep(got);
		agr_reader_next(r, &got, &e);
		rtrig = agr_record_keep(got);
		agr_reader_free(r);
		unlink(path);
	}

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		agr_expr *x = agr_expr_compile(cases[i].expr, &e);

		if (x == NULL) {
			ok(0, "%s", cases[i].expr);
			diag("compile error at column %ld: %s", e.column, e.text);
			continue;
		}
		ok(agr_expr_test(x, rec, trig) == cases[i].want, "%s is %s", cases[i].expr,
		   cases[i].want ? "true" : "false");
		ok(agr_expr_test_record(x, rrec, rtrig) == cases[i].want,
		   "%s is %s on the record's bytes", cases[i].expr,
		   cases[i].want ? "true" : "false");
		agr_expr_free(x);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		agr_expr *x = agr_expr_compile(bad[i].expr, &e);

		if (!ok(x == NULL && e.column == bad[i].column && strstr(e.text, bad[i].message),
		        "error in %s at column %ld", bad[i].expr, bad[i].column))
			diag("got column %ld: %s", x ? 0 : e.column, x ? "(compiled)" : e.text);
		agr_expr_free(x);
	}
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
	json_decref(rec);
	json_decref(trig);
	agr_record_free(rrec);
	agr_record_free(rtrig);
	return done_testing();
}
