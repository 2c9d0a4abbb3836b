/*
 * world.c - a simulated outside world for agraph-route: which tools fail
 * when called (--fail) and which are down (--down).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base_int.h"

typedef struct rule {
	bool fails;
	long first; /* only the first N calls fail; -1: every call */
	double p;   /* each matching call fails with probability p */
	agr_result_status status;
	long calls; /* calls made so far */
} rule;

struct agr_world {
	const agr_graph *g;
	rule *rules;
	unsigned char *down;
	agr_prng prng;
	char message[600];
};

agr_world *
agr_world_new(const agr_graph *g, uint64_t seed)
{
	agr_world *w = agrp_xcalloc(1, sizeof *w);
	size_t n = agr_graph_node_count(g);

	w->g = g;
	w->rules = agrp_xcalloc(n, sizeof *w->rules);
	w->down = agrp_xcalloc(n, 1);
	agr_prng_seed(&w->prng, seed);
	return w;
}

void
agr_world_free(agr_world *w)
{
	if (w == NULL)
		return;
	free(w->rules);
	free(w->down);
	free(w);
}

/* Splits list at commas, calling fn on each non-empty item. */
static bool
each_item(agr_world *w, const char *list, const char *opt, agr_error *err,
          bool (*fn)(agr_world *, char *, const char *, agr_error *))
{
	char *copy = agrp_xstrdup(list), *save = NULL, *item;
	bool ok = true;

	for (item = strtok_r(copy, ",", &save); item && ok; item = strtok_r(NULL, ",", &save))
		ok = fn(w, item, opt, err);
	free(copy);
	return ok;
}

static int
find_tool(agr_world *w, const char *name, const char *opt, agr_error *err)
{
	int t = agr_graph_find(w->g, name);

	if (t < 0)
		agrp_error_set(err, "", 0, 0, "%s: '%s' is not a node of the graph", opt, name);
	else if (t == agr_graph_start(w->g))
		agrp_error_set(err, "", 0, 0, "%s: '%s' is the start node, which is never called",
		               opt, name);
	return t == agr_graph_start(w->g) ? -1 : t;
}

static bool
add_fail(agr_world *w, char *item, const char *opt, agr_error *err)
{
	char *save = NULL, *name = strtok_r(item, ":", &save), *kv;
	rule r = { .fails = true, .first = -1, .p = 1.0, .status = AGR_RESULT_ERROR };
	int t;

	if ((t = find_tool(w, name, opt, err)) < 0)
		return false;
	while ((kv = strtok_r(NULL, ":", &save)) != NULL) {
		char *eq = strchr(kv, '='), *end;

		if (eq == NULL) {
			agrp_error_set(err, "", 0, 0,
			               "%s: expected key=value after '%s:', got '%s'", opt, name,
			               kv);
			return false;
		}
		*eq++ = '\0';
		errno = 0;
		if (strcmp(kv, "first") == 0) {
			r.first = strtol(eq, &end, 10);
			if (*eq == '\0' || *end != '\0' || r.first < 0 || errno != 0) {
				agrp_error_set(err, "", 0, 0,
				               "%s: first= takes a whole number, not '%s'", opt,
				               eq);
				return false;
			}
		} else if (strcmp(kv, "p") == 0) {
			r.p = strtod(eq, &end);
			if (*eq == '\0' || *end != '\0' || !(r.p >= 0 && r.p <= 1)) {
				agrp_error_set(err, "", 0, 0,
				               "%s: p= takes a number from 0 to 1, not '%s'", opt,
				               eq);
				return false;
			}
		} else if (strcmp(kv, "status") == 0) {
			if (strcmp(eq, "error") == 0) {
				r.status = AGR_RESULT_ERROR;
			} else if (strcmp(eq, "timeout") == 0) {
				r.status = AGR_RESULT_TIMEOUT;
			} else {
				agrp_error_set(err, "", 0, 0,
				               "%s: status= takes error or timeout, not '%s'", opt,
				               eq);
				return false;
			}
		} else {
			agrp_error_set(err, "", 0, 0,
			               "%s: unknown key '%s' (known: first, p, status)", opt, kv);
			return false;
		}
	}
	w->rules[t] = r;
	return true;
}

static bool
add_down(agr_world *w, char *item, const char *opt, agr_error *err)
{
	int t = find_tool(w, item, opt, err);

	if (t < 0)
		return false;
	w->down[t] = 1;
	return true;
}

bool
agr_world_fail(agr_world *w, const char *spec, agr_error *err)
{
	return each_item(w, spec, "--fail", err, add_fail);
}

bool
agr_world_down(agr_world *w, const char *list, agr_error *err)
{
	return each_item(w, list, "--down", err, add_down);
}

bool
agr_world_is_down(const agr_world *w, int tool)
{
	return w->down[tool] != 0;
}

agr_result_status
agr_world_call(agr_world *w, int tool, const char **error_class, const char **message)
{
	rule *r = &w->rules[tool];
	const char *name = agr_graph_node_name(w->g, tool);
	long n = ++r->calls;

	*error_class = *message = NULL;
	if (w->down[tool]) {
		snprintf(w->message, sizeof w->message, "%s is down", name);
		*error_class = "unavailable";
		*message = w->message;
		return AGR_RESULT_ERROR;
	}
	if (!r->fails || (r->first >= 0 && n > r->first))
		return AGR_RESULT_OK;
	/* Draw only for p < 1, so adding a certain failure moves no other draw. */
	if (r->p < 1.0 && agr_prng_double(&w->prng) >= r->p)
		return AGR_RESULT_OK;
	snprintf(w->message, sizeof w->message, "%s failed (injected by --fail)", name);
	*error_class = r->status == AGR_RESULT_TIMEOUT ? "timeout" : "unavailable";
	*message = w->message;
	return r->status;
}
