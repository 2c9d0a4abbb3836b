/*
 * test_eval_alloc.c - an expression is compiled once and evaluated without
 * allocating: after the first evaluation (which may set up the scratch
 * for decoded strings), evaluating it again on records read in place or on
 * trees calls no allocator.  malloc, calloc and realloc are counted here by
 * standing in for glibc's.  =~ is left out: glibc's regexec allocates its
 * own matching state on every call.
 */
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

#ifndef SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static long allocs;

void *
malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	allocs++;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

/* Escaped strings, so that values are decoded into the scratch. */
static const char record[] =
    "{\"trace\":\"t\",\"step\":3,\"kind\":\"call\",\"tool\":\"Re\\u0066und\",\"id\":\"c1\","
    "\"args\":{\"amount\":700,\"to\":[\"a\",\"b\"],\"note\":\"d\\u00e9j\\u00e0 vu\"},"
    "\"output\":{\"text\":\"ok\",\"n\":[1,2,3]}}";

static const char *const exprs[] = {
	"kind == \"call\" && args.amount > 500",
	"lower(tool) == \"refund\" || tool == \"x\"",
	"contains(lower(args.note), \"J\xc3\xa0\") && contains(args.note, \"vu\")",
	"args.to[1] == \"b\" && args.to[-1] == \"b\" && len(args) == 3",
	"$trigger.step == 3 && $trigger.args == args && $trigger == $trigger",
	"tool in [\"Refund\", \"x\"] && \"amount\" in args && \"vu\" in args.note",
	"startswith(args.note, \"d\") && endswith(lower(tool), \"UND\")",
	"output.n == [1, 2, 3] && len(output.n) == 3 && !exists(output.missing)",
	"-args.amount * 2 / 4 + 1 - 1 < 0 && .\"kind\" == .[\"kind\"]",
};
#define NEXPRS (sizeof exprs / sizeof exprs[0])

int
main(void)
{
	agr_record *rec = agr_record_new();
	agr_error e;
	json_t *tree;

	if (!agr_record_set(rec, record, strlen(record), "test", 1, &e)) {
		ok(0, "the record reads: %s", e.text);
		return done_testing();
	}
	tree = json_loads(record, 0, NULL);
	for (size_t i = 0; i < NEXPRS; i++) {
		agr_expr *x = agr_expr_compile(exprs[i], &e);
		long before;
		bool in_place, as_tree;

		if (!ok(x != NULL, "compiles: %s", exprs[i])) {
			diag("%s", e.text);
			continue;
		}
		in_place = agr_expr_test_record(x, rec, rec);
		as_tree = agr_expr_test(x, tree, tree);
		before = allocs;
		for (int k = 0; k < 1000; k++) {
			agr_expr_test_record(x, rec, rec);
			agr_expr_test(x, tree, tree);
		}
		ok(in_place && as_tree, "holds on the record: %s", exprs[i]);
		ok(allocs == before, "1000 evaluations, %ld allocations: %s", allocs - before,
		   exprs[i]);
		agr_expr_free(x);
	}
	json_decref(tree);
	agr_record_free(rec);
	return done_testing();
}
#else
int
main(void)
{
	diag("allocations are not counted under the sanitizer, which has its own allocator");
	ok(1, "# skip the sanitizer's allocator");
	return done_testing();
}
#endif
