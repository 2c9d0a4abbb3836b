/*
 * baseline.c - the two workflows the Self-Healing Router is measured
 * against, as the router's other policies: the static (LangGraph) state
 * machine with hand-coded alternatives, and the ReAct agent whose model
 * makes every decision.  Both follow the paper's evaluation (arXiv
 * 2603.01548); agraph-route(1) gives their rules.
 *
 * Here the baselines decide, on the router's state; the router (router.c)
 * writes the records their decisions make, so that this file calls
 * nothing of router.c (the library's files call each other in one
 * direction only, see tests/build.bats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/router_int.h"

/* ---- static -------------------------------------------------------- */

/*
 * The static workflow takes stand-in instead of the plan's next node: the
 * plan becomes cur, stand-in, then the cheapest path from stand-in on the
 * whole graph, *cost its cost from cur.  False when stand-in cannot reach
 * the goal.
 */
static bool
stand_in(agr_router *r, int node, int kind, agr_cost *cost)
{
	agr_cost c;
	size_t len;
	const int *p;

	for (size_t i = 0; i < r->n; i++)
		r->blocked[i] = r->completed[i];
	c = agr_search_run(r->search, node, r->goals[r->goal_idx], r->blocked, r->penalty);
	if (c == AGR_COST_INF)
		return false;
	p = agr_search_path(r->search, &len);
	r->plan[0] = r->cur;
	memcpy(r->plan + 1, p, len * sizeof *p);
	r->plan_len = len + 1;
	r->plan_pos = 1;
	r->retry = false;
	r->stand_in = kind;
	*cost = agrp_cost_add(agr_graph_edge_cost(r->g, r->cur, node), c);
	return true;
}

static int
by_cost_then_name(const void *a, const void *b)
{
	const option *x = a, *y = b;

	if (x->cost != y->cost)
		return x->cost < y->cost ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Of the nodes after cur that have neither failed (tried) nor been done,
 * and, when only is not NULL, for which only[node] holds, the first by the
 * edge's cost, then name; -1: none.  *width: how many nodes follow cur (to
 * a static workflow, a layer of three or more is a fan-out).
 *
 * While cur stays, a node passed over stays passed over (tried only
 * grows, completed and only do not change), so cur's edges are sorted
 * once and a position kept: k options tried at one node cost one sort,
 * not k passes over its edges.  cur never comes back (it is completed).
 */
static int
untried_next(agr_router *r, const unsigned char *only, size_t *width)
{
	const agr_graph *g = r->g;
	size_t u = (size_t)r->cur;

	*width = g->out_start[u + 1] - g->out_start[u];
	if (r->options_at != r->cur + 1) {
		agrp_grow(&r->options, &r->capoptions, *width, sizeof *r->options);
		for (size_t e = g->out_start[u], i = 0; e < g->out_start[u + 1]; e++, i++) {
			r->options[i].cost = g->out[e].cost;
			r->options[i].to = g->out[e].to;
			r->options[i].name = agr_graph_node_name(g, g->out[e].to);
		}
		if (*width > 1)
			qsort(r->options, *width, sizeof *r->options, by_cost_then_name);
		r->noptions = *width;
		r->options_pos = 0;
		r->options_at = r->cur + 1;
	}
	for (; r->options_pos < r->noptions; r->options_pos++) {
		int v = r->options[r->options_pos].to;

		if (!(r->tried != NULL && r->tried[v]) && !r->completed[v] &&
		    (only == NULL || only[v]))
			return v;
	}
	return -1;
}

/*
 * The paper's static (LangGraph) baseline after tool failed for good: its
 * hand-coded alternative when it has one not yet failed; when both are
 * down, a fan-out layer (three or more nodes after cur) tries its other
 * branches and crashes visibly when all are down, a narrower one takes
 * its skip-edge past the layer and goes on as if nothing had happened
 * (the silent failure: no record handles the failed result); a tool with
 * no alternative crashes visibly.
 */
agrp_static_step
agrp_static_failed(agr_router *r, int tool, agr_cost *cost, char *reason, size_t size)
{
	int alt = agr_graph_alternative(r->g, tool), other;
	size_t width;

	if (r->tried == NULL)
		r->tried = agrp_xcalloc(r->n, 1);
	r->tried[tool] = 1;
	if (r->stand_in == 0 && alt < 0) {
		snprintf(reason, size, "%s failed and has no alternative",
		         agr_graph_node_name(r->g, tool));
		return AGRP_STATIC_CRASH;
	}
	if (r->stand_in == 0 && !r->tried[alt] && !r->completed[alt] && stand_in(r, alt, 1, cost))
		return AGRP_STATIC_REROUTE;
	other = untried_next(r, NULL, &width);
	if (width >= 3) {
		if (other >= 0 && stand_in(r, other, 2, cost))
			return AGRP_STATIC_REROUTE;
		snprintf(reason, size, "every one of the %zu nodes after %s is down", width,
		         agr_graph_node_name(r->g, r->cur));
		return AGRP_STATIC_CRASH;
	}
	/* The skip-edge: on to the node after the layer, and nothing said. */
	r->plan_pos++;
	r->stand_in = 0;
	return AGRP_STATIC_SKIP;
}

/* ---- ReAct --------------------------------------------------------- */

/*
 * A ReAct agent plans nothing ahead: at each node its model picks the
 * next tool (a "decision" model call), the cheapest edge towards the goal
 * first; a tool
 * that fails costs a call to read the error ("observation") and the
 * next cheapest is tried, a reroute to it recording that the failure was
 * handled; when no option is left, the model asks whether it can
 * backtrack and then gives up (two calls), and the run escalates.
 */
/* The agent knows the task: it takes no edge from which no edge path leads
 * to the goal (a fallback goal, a dead branch).  One pass back from the
 * goal over the edges into each node. */
static const unsigned char *
leads_to_goal(agr_router *r)
{
	const agr_graph *g = r->g;
	int *queue;
	size_t head = 0, tail = 0;

	if (r->leads_to_goal != NULL)
		return r->leads_to_goal;
	r->leads_to_goal = agrp_xcalloc(r->n, 1);
	queue = agrp_xmalloc(r->n * sizeof *queue);
	r->leads_to_goal[r->goals[0]] = 1;
	queue[tail++] = r->goals[0];
	while (head < tail) {
		size_t v = (size_t)queue[head++];

		for (size_t e = g->in_start[v]; e < g->in_start[v + 1]; e++) {
			int u = g->in[e].to; /* the edge's source */

			if (!r->leads_to_goal[u]) {
				r->leads_to_goal[u] = 1;
				queue[tail++] = u;
			}
		}
	}
	free(queue);
	return r->leads_to_goal;
}

int
agrp_react_next(agr_router *r, int failed)
{
	size_t width;
	int next;

	if (failed >= 0) {
		if (r->tried_list == NULL) {
			if (r->tried == NULL)
				r->tried = agrp_xcalloc(r->n, 1);
			r->tried_list = agrp_xmalloc(r->n * sizeof *r->tried_list);
		}
		if (!r->tried[failed]) {
			r->tried[failed] = 1;
			r->tried_list[r->ntried++] = failed;
		}
	} else {
		/* What failed at the last node may be an option again here. */
		while (r->ntried > 0)
			r->tried[r->tried_list[--r->ntried]] = 0;
	}
	next = untried_next(r, leads_to_goal(r), &width);
	if (next < 0)
		return -1;
	r->plan[0] = r->cur;
	r->plan[1] = next;
	r->plan_len = 2;
	r->plan_pos = 1;
	r->retry = false;
	return next;
}
