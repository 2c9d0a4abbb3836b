/* expr_yaml.c - an expression read from a YAML scalar, located in its file. */
#include "expr/expr_yaml.h"

agr_expr *
agrp_yaml_expr(agrp_yaml *L, yaml_node_t *n, const char *what)
{
	agr_error eerr;
	agr_expr *e;

	if (!agrp_yaml_expect(L, n, YAML_SCALAR_NODE, what))
		return NULL;
	e = agr_expr_compile(agrp_yaml_scalar(n), &eerr);
	if (e == NULL) {
		/* Point into the file: a quoted expression starts after its quote. */
		long quote = agrp_yaml_plain(n) ? 0 : 1;

		agrp_error_set(L->err, L->source, (long)n->start_mark.line + 1,
		               (long)n->start_mark.column + quote + eerr.column, "in %s: %s", what,
		               eerr.text);
	}
	return e;
}
