/* test_graph.c - a graph built by hand, without a file, is routed. */
#include <string.h>

#include "agraph.h"
#include "tap.h"

/* Routes g with every call succeeding; the final path as names, "A B C". */
static const char *
route(const agr_graph *g, char *out, size_t len)
{
	agr_router_opts o = { .policy = AGR_POLICY_HEAL, .goal = -1 };
	agr_router *r = agr_router_new(g, &o);
	agr_event ev;

	out[0] = '\0';
	while (agr_router_next(r, &ev)) {
		if (ev.kind == AGR_EV_CALL)
			agr_router_result(r, ev.call, AGR_RESULT_OK, NULL, NULL, false, NULL);
		if (ev.kind != AGR_EV_FINAL)
			continue;
		for (size_t i = 0; i < ev.path_len; i++)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "",
			         agr_graph_node_name(g, ev.path[i]));
		snprintf(out + strlen(out), len - strlen(out), ": %s",
		         ev.final_status == AGR_FINAL_SUCCESS ? "success" : "not success");
	}
	agr_router_free(r);
	return out;
}

int
main(void)
{
	agr_graph *g = agr_graph_new("by-hand");
	int a = agr_graph_intern(g, "A"), b = agr_graph_intern(g, "B");
	int c = agr_graph_intern(g, "C"), d = agr_graph_intern(g, "D");
	char path[256];

	diag("A -1-> B -1-> D, A -1-> C -2-> D");
	agr_graph_add_edge(g, a, b, 1 * AGR_COST_SCALE);
	agr_graph_add_edge(g, b, d, 1 * AGR_COST_SCALE);
	agr_graph_add_edge(g, a, c, 1 * AGR_COST_SCALE);
	agr_graph_add_edge(g, c, d, 2 * AGR_COST_SCALE);
	ok(agr_graph_start(g) == -1 && agr_graph_goal(g) == -1, "a new graph has no start or goal");
	agr_graph_set_start(g, a);
	agr_graph_set_goal(g, d);
	ok(agr_graph_start(g) == a && agr_graph_goal(g) == d, "set_start and set_goal set them");
	ok(strcmp(route(g, path, sizeof path), "A B D: success") == 0,
	   "routed from the start to the goal set: %s", path);
	agr_graph_set_goal(g, c);
	ok(strcmp(route(g, path, sizeof path), "A C: success") == 0, "another goal: %s", path);
	agr_graph_set_start(g, b);
	agr_graph_set_goal(g, d);
	ok(strcmp(route(g, path, sizeof path), "B D: success") == 0, "another start: %s", path);
	agr_graph_free(g);

	diag("costs: each from 0 to AGR_COST_MAX, and no path past AGR_PATH_COST_MAX");
	g = agr_graph_new("costly");
	a = agr_graph_intern(g, "A");
	b = agr_graph_intern(g, "B");
	ok(!agr_graph_add_edge(g, a, b, -1), "a negative cost is refused");
	ok(!agr_graph_add_edge(g, a, b, AGR_COST_MAX + 1), "a cost above AGR_COST_MAX is refused");
	ok(agr_graph_add_edge(g, a, b, AGR_COST_MAX), "AGR_COST_MAX is a cost");
	{
		long n = AGR_PATH_COST_MAX / AGR_COST_MAX, added = 1;
		char name[32];
		int prev = b, next;

		/* a chain: the dearest edges into its nodes sum to the bound exactly */
		for (long i = 1; i < n; i++, prev = next) {
			snprintf(name, sizeof name, "N%ld", i);
			next = agr_graph_intern(g, name);
			added += agr_graph_add_edge(g, prev, next, AGR_COST_MAX);
		}
		ok(added == n, "%ld edges of AGR_COST_MAX reach AGR_PATH_COST_MAX (%ld added)", n,
		   added);
		next = agr_graph_intern(g, "Z");
		ok(!agr_graph_add_edge(g, prev, next, 1), "one millionth more is refused");
		ok(agr_graph_add_edge(g, prev, next, 0), "a free edge is not");
		ok(agr_graph_add_edge(g, a, next, 0), "nor is a cheaper edge into a node");
		agr_graph_set_start(g, a);
		agr_graph_set_goal(g, next);
		{
			agr_search *s = agr_search_new(g);

			ok(agr_search_run(s, a, next, NULL, NULL) == 0,
			   "the free edge is the path");
			agr_search_free(s);
		}
	}
	agr_graph_free(g);
	return done_testing();
}
