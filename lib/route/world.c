/*
 * world.c - a simulated outside world for agraph-route: which tools fail
 * when called (--fail) and which are down (--down), told to a router.
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

/*
 * Splits list at commas, calling fn on each item.  An empty list is no
 * item (scripts pass one that may be empty); an empty item in a list is a
 * mistake, as ",,," says nothing and "A,,B" was meant to say something.
 */
static bool
each_item(agr_world *w, const char *list, const char *opt, agr_error *err,
          bool (*fn)(agr_world *, char *, const char *, agr_error *))
{
	char *copy = agrp_xstrdup(list), *item = copy, *comma;
	bool ok = true;

	while (ok && *list != '\0') {
		if ((comma = strchr(item, ',')) != NULL)
			*comma = '\0';
		if (*item == '\0') {
			agrp_error_set(err, "", 0, 0, "%s: an empty item in '%s'", opt, list);
			ok = false;
		} else {
			ok = fn(w, item, opt, err);
		}
		if (comma == NULL)
			break;
		item = comma + 1;
	}
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

/* A value written in decimal digits (with a point and an exponent for a
 * number): strtod and strtol would also take spaces, hex, inf and nan. */
static bool
decimal(const char *s, bool whole)
{
	return s[0] != '\0' && strspn(s, whole ? "0123456789" : "0123456789.eE+-") == strlen(s);
}

static bool
add_fail(agr_world *w, char *item, const char *opt, agr_error *err)
{
	char *name = item, *kv, *rest;
	rule r = { .fails = true, .first = -1, .p = 1.0, .status = AGR_RESULT_ERROR };
	bool seen[3] = { false, false, false }; /* first, p, status */
	int t;

	/* not strtok_r, which would pass over the empty parts of "A::p=1" */
	if ((rest = strchr(item, ':')) != NULL)
		*rest++ = '\0';
	if ((t = find_tool(w, name, opt, err)) < 0)
		return false;
	if (w->rules[t].fails) {
		agrp_error_set(err, "", 0, 0, "%s: '%s' is given twice", opt, name);
		return false;
	}
	while (rest != NULL) {
		char *eq, *end;
		int k;

		kv = rest;
		if ((rest = strchr(kv, ':')) != NULL)
			*rest++ = '\0';
		if ((eq = strchr(kv, '=')) == NULL) {
			agrp_error_set(err, "", 0, 0,
			               "%s: expected key=value after '%s:', got '%s'", opt, name,
			               kv);
			return false;
		}
		*eq++ = '\0';
		k = strcmp(kv, "first") == 0    ? 0
		    : strcmp(kv, "p") == 0      ? 1
		    : strcmp(kv, "status") == 0 ? 2
		                                : -1;
		if (k < 0) {
			agrp_error_set(err, "", 0, 0,
			               "%s: unknown key '%s' (known: first, p, status)", opt, kv);
			return false;
		}
		if (seen[k]) {
			agrp_error_set(err, "", 0, 0, "%s: %s= is given twice for '%s'", opt, kv,
			               name);
			return false;
		}
		seen[k] = true;
		errno = 0;
		if (k == 0) {
			r.first = decimal(eq, true) ? strtol(eq, &end, 10) : -1;
			if (r.first < 0 || errno != 0) {
				agrp_error_set(err, "", 0, 0,
				               "%s: first= takes a whole number, not '%s'", opt,
				               eq);
				return false;
			}
		} else if (k == 1) {
			r.p = decimal(eq, false) ? strtod(eq, &end) : -1;
			if (!(r.p >= 0 && r.p <= 1) || (decimal(eq, false) && *end != '\0')) {
				agrp_error_set(err, "", 0, 0,
				               "%s: p= takes a number from 0 to 1, not '%s'", opt,
				               eq);
				return false;
			}
		} else if (strcmp(eq, "error") == 0) {
			r.status = AGR_RESULT_ERROR;
		} else if (strcmp(eq, "timeout") == 0) {
			r.status = AGR_RESULT_TIMEOUT;
		} else {
			agrp_error_set(err, "", 0, 0,
			               "%s: status= takes error or timeout, not '%s'", opt, eq);
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

void
agr_world_report_down(const agr_world *w, agr_router *r)
{
	for (size_t t = 0; t < agr_graph_node_count(w->g); t++)
		if (w->down[t])
			agr_router_health(r, (int)t, AGR_HEALTH_DOWN, NULL);
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

bool
agr_world_answer(agr_world *w, agr_router *r, const agr_event *call)
{
	const char *cls, *msg;
	agr_result_status st = agr_world_call(w, call->tool, &cls, &msg);

	return agr_router_result(r, call->call, st, cls, msg, false, NULL);
}
