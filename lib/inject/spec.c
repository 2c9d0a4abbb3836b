/*
 * spec.c - fault specs, parsed: FAULT:key=value,... from the command line
 * and the mappings of a spec file (agraph-inject(5)).  Every key is
 * checked against the parameters of every fault (selectors, rates,
 * templates=) and the fault's own (faults.c): an unknown key, a key given
 * twice, an empty value or one of the wrong type or range is an error, so
 * that a typo never widens or silences a fault.  Selectors and rates are
 * kept in the spec, templates= is read, the fault's own parameters are
 * kept as the strings given for the fault to read.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_yaml.h"
#include "inject/inject_int.h"

/* The parameters every fault takes. */
static const agrp_param common[] = {
	{ "kind", AGRP_TEXT, 0, 0, false, NULL },
	{ "tool", AGRP_TEXT, 0, 0, false, NULL },
	{ "agent", AGRP_TEXT, 0, 0, false, NULL },
	{ "trace", AGRP_TEXT, 0, 0, false, NULL },
	{ "step", AGRP_WHOLE, 0, AGRP_WHOLE_MAX, false, NULL },
	{ "where", AGRP_EXPR, 0, 0, false, NULL },
	{ "p", AGRP_REAL, 0, 1, false, NULL },
	{ "n", AGRP_WHOLE, 0, AGRP_WHOLE_MAX, false, NULL },
	{ "nth", AGRP_WHOLE, 1, AGRP_WHOLE_MAX, false, NULL },
	{ "first", AGRP_WHOLE, 1, AGRP_WHOLE_MAX, false, NULL },
	{ "templates", AGRP_FILE, 0, 0, false, NULL },
	{ NULL, AGRP_TEXT, 0, 0, false, NULL },
};

/* The parameter key names for fault def, or NULL. */
static const agrp_param *
find_param(const agrp_fault_def *def, const char *key)
{
	for (const agrp_param *p = common; p->name; p++)
		if (strcmp(p->name, key) == 0)
			return p;
	for (const agrp_param *p = def->params; p->name; p++)
		if (strcmp(p->name, key) == 0)
			return p;
	return NULL;
}

/* Edits (insert, delete, change, swap of two neighbours) from a to b,
 * stopping early past 3: only near misses matter. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[32][32];

	if (la >= 32 || lb >= 32)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The known parameter key most likely stands for, or NULL: at most two
 * edits away, and fewer than either name is long (so that 'x' is not 'n'). */
static const char *
near_miss(const agrp_fault_def *def, const char *key)
{
	/* its own first: on a tie, the fault's own parameter is the likelier */
	const agrp_param *lists[] = { def->params, common };
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t l = 0; l < 2; l++)
		for (const agrp_param *p = lists[l]; p->name; p++) {
			size_t d = distance(key, p->name);

			if (strcmp(p->name, "templates") == 0 && def->words == NULL)
				continue;
			if (d < best_d && d < strlen(key) && d < strlen(p->name)) {
				best = p->name;
				best_d = d;
			}
		}
	return best;
}

static bool
unknown_param(const agrp_fault_def *def, const char *key, agr_error *err)
{
	const char *near = near_miss(def, key);
	char own[256] = "";

	if (near != NULL) {
		agrp_error_set(err, NULL, 0, 0, "unknown parameter '%s' for %s (did you mean %s?)",
		               key, def->name, near);
		return false;
	}
	for (const agrp_param *p = def->params; p->name; p++)
		snprintf(own + strlen(own), sizeof own - strlen(own), "%s%s=", own[0] ? ", " : "",
		         p->name);
	if (def->words != NULL)
		snprintf(own + strlen(own), sizeof own - strlen(own), ", templates=");
	if (own[0] != '\0')
		agrp_error_set(err, NULL, 0, 0,
		               "unknown parameter '%s' for %s (it takes %s, the selectors and "
		               "the rates)",
		               key, def->name, own);
	else
		agrp_error_set(err, NULL, 0, 0,
		               "unknown parameter '%s' for %s (it takes only the selectors and "
		               "the rates)",
		               key, def->name);
	return false;
}

/* What a parameter takes, for its error: "a number from 0 to 1". */
static void
describe(const agrp_param *p, char *out, size_t cap)
{
	switch (p->type) {
	case AGRP_REAL:
		if (p->lo_open)
			snprintf(out, cap, "a number above %g and at most %.0f", p->lo, p->hi);
		else
			snprintf(out, cap, "a number from %g to %.15g", p->lo, p->hi);
		break;
	case AGRP_WHOLE:
		snprintf(out, cap, "a whole number from %.0f to %.0f", p->lo, p->hi);
		break;
	case AGRP_BOOL:
		snprintf(out, cap, "true or false");
		break;
	case AGRP_WORD: {
		const char *w = p->words, *bar;
		size_t n = 0;

		out[0] = '\0';
		while ((bar = strchr(w, '|')) != NULL) {
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%.*s",
			                      n ? ", " : "", (int)(bar - w), w);
			w = bar + 1;
		}
		snprintf(out + n, n < cap ? cap - n : 0, " or %s", w);
		break;
	}
	default:
		snprintf(out, cap, "text");
	}
}

/* A decimal number as JSON writes it: -?digits(.digits)?(e[+-]?digits)?;
 * no hex, no inf or nan, no spaces, nothing after it. */
static bool
is_decimal(const char *s)
{
	size_t d;

	s += *s == '-';
	if ((d = strspn(s, "0123456789")) == 0)
		return false;
	s += d;
	if (*s == '.') {
		if ((d = strspn(++s, "0123456789")) == 0)
			return false;
		s += d;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		s += *s == '+' || *s == '-';
		if ((d = strspn(s, "0123456789")) == 0)
			return false;
		s += d;
	}
	return *s == '\0';
}

static bool
is_word(const char *words, const char *v)
{
	size_t n = strlen(v);

	for (const char *w = words; *w;) {
		size_t len = strcspn(w, "|");

		if (len == n && strncmp(w, v, n) == 0)
			return true;
		w += len + (w[len] == '|');
	}
	return false;
}

/* Checks one value, of len bytes, against what p takes. */
static bool
check_value(const agrp_param *p, const char *v, size_t len, agr_error *err)
{
	char what[128];
	bool ok = true;

	if (len == 0) {
		agrp_error_set(err, NULL, 0, 0, "%s= has no value", p->name);
		return false;
	}
	if (strlen(v) != len) {
		agrp_error_set(err, NULL, 0, 0, "%s= holds a NUL byte", p->name);
		return false;
	}
	if (agrp_utf8_bad(v, len) != len) {
		agrp_error_set(err, NULL, 0, 0, "%s= is not valid UTF-8", p->name);
		return false;
	}
	switch (p->type) {
	case AGRP_REAL: {
		double d;

		errno = 0;
		d = is_decimal(v) ? strtod(v, NULL) : NAN;
		ok = errno == 0 && isfinite(d) && d <= p->hi &&
		     (p->lo_open ? d > p->lo : d >= p->lo);
		break;
	}
	case AGRP_WHOLE: {
		/* digits only, no leading zero (which some read as octal); more
		 * than 16 of them are past any bound */
		size_t digits = strspn(v, "0123456789");
		unsigned long long w = digits == len && digits <= 16 ? strtoull(v, NULL, 10) : 0;

		ok = digits == len && digits <= 16 && !(len > 1 && v[0] == '0') &&
		     w >= (unsigned long long)p->lo && w <= (unsigned long long)p->hi;
		break;
	}
	case AGRP_BOOL:
		ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
		break;
	case AGRP_WORD:
		ok = is_word(p->words, v);
		break;
	case AGRP_FIELD:
		if (strcmp(v, "trace") == 0 || strcmp(v, "step") == 0 || strcmp(v, "cause") == 0) {
			agrp_error_set(err, NULL, 0, 0,
			               "%s= cannot be %s: agraph-inject itself keeps trace, step "
			               "and cause",
			               p->name, v);
			return false;
		}
		break;
	default:
		break;
	}
	if (!ok) {
		describe(p, what, sizeof what);
		agrp_error_set(err, NULL, 0, 0, "%s= takes %s, not '%s'", p->name, what, v);
	}
	return ok;
}

static bool
line_error(agr_error *err, const char *path, size_t line, size_t col, const char *what)
{
	agrp_error_set(err, NULL, 0, 0, "templates=%s: %s:%zu:%zu: %s", path, path, line, col,
	               what);
	return false;
}

/* templates=FILE: the texts a fault draws from, one a line (a CR before
 * the newline is not part of it).  An empty line, a NUL byte or bytes that
 * are not UTF-8 are errors: each line is a text that a fault plants. */
static bool
load_templates(agrp_fspec *f, const char *path, agr_error *err)
{
	size_t len, line = 0;
	char *text = agrp_read_file(path, &len, err);
	bool ok = true;

	if (text == NULL) {
		char why[sizeof err->text];

		snprintf(why, sizeof why, "%s", err->text);
		agrp_error_set(err, NULL, 0, 0, "templates=%s: %s", path, why);
		return false;
	}
	for (size_t at = 0; ok && at < len;) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at, bad;
		const char *nul;

		at += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0)
			ok = line_error(err, path, line, 1,
			                "an empty line: a template is one text a line");
		else if ((nul = memchr(s, '\0', n)) != NULL)
			ok = line_error(err, path, line, (size_t)(nul - s) + 1, "a NUL byte");
		else if ((bad = agrp_utf8_bad(s, n)) != n)
			ok = line_error(err, path, line, bad + 1, "not valid UTF-8");
		if (!ok)
			break;
		f->templates =
		    agrp_xrealloc(f->templates, (f->ntemplates + 1) * sizeof *f->templates);
		f->templates[f->ntemplates] = agrp_xmalloc(n + 1);
		memcpy(f->templates[f->ntemplates], s, n);
		f->templates[f->ntemplates++][n] = '\0';
	}
	free(text);
	if (ok && f->ntemplates == 0) {
		char *shown = agrp_text(path, true);

		agrp_error_set(err, NULL, 0, 0, "templates=%s has no lines", shown);
		free(shown);
		ok = false;
	}
	if (ok)
		json_object_set_new(f->params, "templates", json_string(path));
	return ok;
}

/* The message faults that change only a text: on a tool's answer, which
 * an MCP client hands its model as it would a message, they can hit a
 * real call (agr_injector_live_answers()). */
static bool
answer_fault(const agrp_fault_def *def)
{
	return strcmp(def->name, "CLV") == 0 || strcmp(def->name, "H") == 0 ||
	       strcmp(def->name, "CIL") == 0;
}

/* Why a fault cannot hit a real call. */
static const char *
not_live(const agr_injector *in, const agrp_fault_def *def)
{
	if (in->answers) /* agraph-mcp's */
		return strcmp(def->target, "call") == 0
		           ? "it changes the call, which the client makes"
		       : strcmp(def->target, "message") == 0
		           ? "it changes a message between agents, and an MCP session has none"
		           : "it changes the stream of records, which agraph-mcp writes itself";
	if (strcmp(def->target, "call") == 0)
		return "it changes the call, which agraph-route makes itself";
	if (strcmp(def->target, "message") == 0)
		return "it changes a message between agents, and agraph-route sends none";
	return "it changes the stream of records, which agraph-route writes itself";
}

/* Fields a live fault may not change: the router writes them, or reads
 * them to decide (status, error). */
static bool
router_field(const char *v)
{
	static const char *const own[] = { "kind",   "tool",  "call",   "id",
		                           "status", "error", "attempt" };

	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (strcmp(v, own[i]) == 0)
			return true;
	return false;
}

static bool
is_common(const agrp_param *p)
{
	for (const agrp_param *q = common; q->name; q++)
		if (q == p)
			return true;
	return false;
}

static long
whole(const char *v)
{
	return (long)strtoull(v, NULL, 10);
}

/* One checked key=value of a spec: a selector, a rate, or the fault's own. */
static bool
spec_key(agrp_fspec *f, const agrp_param *p, const char *v, agr_error *err)
{
	const char *key = p->name;

	if (p->type == AGRP_EXPR) {
		agr_expr_free(f->where);
		if ((f->where = agr_expr_compile(v, err)) == NULL) {
			char text[sizeof err->text + 64];

			snprintf(text, sizeof text, "where=: column %ld: %s", err->column,
			         err->text);
			agrp_error_set(err, NULL, 0, 0, "%s", text);
			return false;
		}
	} else if (p->type == AGRP_FILE) {
		if (f->def->words == NULL) {
			agrp_error_set(err, NULL, 0, 0,
			               "templates= is for the faults that need words (H, RA, BT, "
			               "ILC, IA, CIL, PFE, poison), not %s",
			               f->def->name);
			return false;
		}
		return load_templates(f, v, err);
	} else if (f->live && strcmp(key, "kind") == 0 && strcmp(v, "result") != 0) {
		agrp_error_set(err, NULL, 0, 0,
		               "kind=%s: a real call's faults hit its result only; agraph-inject "
		               "applies the others to the trace the run recorded",
		               v);
		return false;
	} else if (f->live && p->type == AGRP_FIELD && router_field(v)) {
		agrp_error_set(err, NULL, 0, 0,
		               "%s=%s: on a real call, the router writes %s and decides by it; "
		               "agraph-inject changes it in the trace the run recorded",
		               key, v, v);
		return false;
	} else if (is_common(p)) {
		if (strcmp(key, "kind") == 0) {
			free(f->kind);
			f->kind = agrp_xstrdup(v);
		} else if (strcmp(key, "tool") == 0)
			f->tool = agrp_xstrdup(v);
		else if (strcmp(key, "agent") == 0)
			f->agent = agrp_xstrdup(v);
		else if (strcmp(key, "trace") == 0)
			f->trace = agrp_xstrdup(v);
		else if (strcmp(key, "step") == 0)
			f->step = whole(v);
		else if (strcmp(key, "p") == 0)
			f->p = strtod(v, NULL);
		else if (strcmp(key, "n") == 0)
			f->n = whole(v);
		else if (strcmp(key, "nth") == 0)
			f->nth = whole(v);
		else
			f->first = whole(v);
	} else {
		json_object_set_new(f->params, key, json_string(v));
	}
	return true;
}

/* What holds once every key is in: the words come from one place. */
static bool
spec_done(const agrp_fspec *f, agr_error *err)
{
	if (f->ntemplates > 0 && json_object_get(f->params, f->def->words) != NULL) {
		agrp_error_set(err, NULL, 0, 0,
		               "%s= and templates= do not go together: the words come from one "
		               "of them",
		               f->def->words);
		return false;
	}
	return true;
}

static agrp_fspec *
spec_new(agr_injector *in, const char *name, agr_error *err)
{
	const agrp_fault_def *def = agrp_fault_find(name);
	agrp_fspec *f;

	if (def == NULL) {
		agrp_error_set(err, NULL, 0, 0,
		               "unknown fault '%s' (agraph-inject --list shows them)", name);
		return NULL;
	}
	if (in->live && def->live == AGRP_LIVE_NO && !(in->answers && answer_fault(def))) {
		agrp_error_set(err, NULL, 0, 0,
		               "%s cannot hit a real call: %s; agraph-inject "
		               "applies it to the trace the run recorded",
		               name, not_live(in, def));
		return NULL;
	}
	agrp_grow(&in->f, &in->cap, in->n + 1, sizeof *in->f);
	f = &in->f[in->n++];
	memset(f, 0, sizeof *f);
	f->def = def;
	f->step = -1;
	f->p = 1;
	f->n = -1;
	f->params = json_object();
	f->live = in->live;
	f->live_as = def->live;
	if (in->live && def->live == AGRP_LIVE_NO) {
		/* an answer fault: it hits the result, as a response fault */
		f->live_as = AGRP_LIVE_RESPONSE;
		f->kind = agrp_xstrdup("result");
	}
	f->tools = def->tools ? agr_expr_compile(def->tools, NULL) : NULL;
	in->track = in->track || def->track;
	return f;
}

/* Splits the items of a -f spec at commas outside quotes and brackets,
 * checking each key=value; seen holds the keys already given. */
static bool
spec_items(agrp_fspec *f, char *p, agr_error *err)
{
	json_t *seen = json_object();
	bool ok = true;

	while (ok) {
		char *item = p, *eq, quote = 0;
		const agrp_param *par;
		int depth = 0;

		for (; *p && (quote || depth || *p != ','); p++) {
			if (quote) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == quote)
					quote = 0;
			} else if (*p == '"' || *p == '\'') {
				quote = *p;
			} else if (*p == '[' || *p == '(') {
				depth++;
			} else if ((*p == ']' || *p == ')') && depth > 0) {
				depth--;
			}
		}
		if (*p == ',')
			*p++ = '\0';
		else
			p = NULL;
		if (*item == '\0') {
			agrp_error_set(err, NULL, 0, 0, "an empty item: expected key=value");
			ok = false;
			break;
		}
		if ((eq = strchr(item, '=')) == NULL || eq == item) {
			agrp_error_set(err, NULL, 0, 0, "expected key=value, not '%s'", item);
			ok = false;
			break;
		}
		*eq = '\0';
		if ((par = find_param(f->def, item)) == NULL)
			ok = unknown_param(f->def, item, err);
		else if (json_object_get(seen, item) != NULL)
			agrp_error_set(err, NULL, 0, 0, "%s= is given twice", item), ok = false;
		else
			ok = check_value(par, eq + 1, strlen(eq + 1), err) &&
			     spec_key(f, par, eq + 1, err);
		json_object_set_new(seen, item, json_true());
		if (p == NULL)
			break;
	}
	json_decref(seen);
	return ok && spec_done(f, err);
}

bool
agr_injector_add(agr_injector *in, const char *spec, agr_error *err)
{
	char *copy = agrp_xstrdup(spec), *colon = strchr(copy, ':');
	agrp_fspec *f;
	bool ok;

	if (colon != NULL)
		*colon = '\0';
	if ((f = spec_new(in, copy, err)) == NULL) {
		free(copy);
		return false;
	}
	/* "fault:" with nothing after the colon is an empty item, as ",," is */
	ok = colon == NULL || spec_items(f, colon + 1, err);
	free(copy);
	if (!ok) /* a spec refused is none: the injector goes on without it */
		agrp_fspec_free(&in->f[--in->n]);
	return ok;
}

/* A number or a truth value tagged as something else (`p: !!str 0.5`) is
 * that something else, as in graphs: refused. */
static bool
tag_fits(agrp_yaml *L, const agrp_param *p, const char *key, const yaml_node_t *v)
{
	static const char core[] = "tag:yaml.org,2002:";
	const char *tag;
	bool fits;
	char what[128];

	if (p->type != AGRP_REAL && p->type != AGRP_WHOLE && p->type != AGRP_BOOL)
		return true;
	if ((tag = agrp_yaml_tag(L, v)) == NULL)
		return true;
	fits = p->type == AGRP_BOOL
	           ? strcmp(tag, YAML_BOOL_TAG) == 0
	           : strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0;
	if (fits)
		return true;
	describe(p, what, sizeof what);
	return agrp_yaml_fail(
	    L, v, "%s= takes %s, not '%s' tagged %s%s", key, what, agrp_yaml_scalar(v),
	    strncmp(tag, core, sizeof core - 1) == 0 ? "!!" : "",
	    strncmp(tag, core, sizeof core - 1) == 0 ? tag + sizeof core - 1 : tag);
}

static bool
spec_entry(agrp_yaml *L, const char *key, yaml_node_t *k, yaml_node_t *v, void *ctx)
{
	agrp_fspec *f = ctx;
	const agrp_param *p;
	agr_error e;

	if (strcmp(key, "fault") == 0)
		return true;
	if ((p = find_param(f->def, key)) == NULL) {
		unknown_param(f->def, key, &e);
		return agrp_yaml_fail(L, k, "%s", e.text);
	}
	if (!agrp_yaml_expect(L, v, YAML_SCALAR_NODE, key) || !tag_fits(L, p, key, v))
		return false;
	if (!check_value(p, agrp_yaml_scalar(v), v->data.scalar.length, &e))
		return agrp_yaml_fail(L, v, "%s", e.text);
	if ((p->type == AGRP_REAL || p->type == AGRP_WHOLE || p->type == AGRP_BOOL) &&
	    !agrp_yaml_plain(v)) {
		/* as in graphs: a quoted number is a string, not a number */
		char what[128];

		describe(p, what, sizeof what);
		return agrp_yaml_fail(L, v, "%s= takes %s, not a quoted string", key, what);
	}
	if (p->type == AGRP_EXPR) { /* compiled here, so errors point into the file */
		agr_expr_free(f->where);
		return (f->where = agrp_yaml_expr(L, v, "where")) != NULL;
	}
	if (!spec_key(f, p, agrp_yaml_scalar(v), &e))
		return agrp_yaml_fail(L, k, "%s", e.text);
	return true;
}

/* One mapping of a spec file: its fault name, then its keys. */
static bool
fault_item(agrp_yaml *L, yaml_node_t *n, void *ctx)
{
	agr_injector *in = ctx;
	yaml_node_t *name = NULL;
	const char *fname;
	agrp_fspec *f;
	agr_error e;

	if (!agrp_yaml_expect(L, n, YAML_MAPPING_NODE, "a fault"))
		return false;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = agrp_yaml_node(L, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(agrp_yaml_scalar(k), "fault") == 0)
			name = agrp_yaml_node(L, pr->value);
	}
	if (name == NULL)
		return agrp_yaml_fail(L, n, "a fault has no 'fault' name");
	if (!agrp_yaml_name(L, name, "fault", &fname))
		return false;
	if ((f = spec_new(in, fname, &e)) == NULL)
		return agrp_yaml_fail(L, name, "%s", e.text);
	if (!agrp_yaml_each_pair(L, n, "a fault", spec_entry, f))
		return false;
	if (!spec_done(f, &e))
		return agrp_yaml_fail(L, n, "%s", e.text);
	return true;
}

bool
agr_injector_load(agr_injector *in, const char *path, agr_error *err)
{
	return agrp_yaml_list_file(path, "fault spec", "faults", fault_item, in, err);
}

void
agrp_fspec_free(agrp_fspec *f)
{
	free(f->kind);
	free(f->tool);
	free(f->agent);
	free(f->trace);
	agr_expr_free(f->where);
	agr_expr_free(f->tools);
	agrp_free_strings(f->templates, f->ntemplates);
	json_decref(f->params);
}
