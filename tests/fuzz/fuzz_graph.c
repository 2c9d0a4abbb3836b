/*
 * fuzz_graph.c - the graph loader, from memory and through a file (the
 * size limit of files read whole), then a routed run over what it
 * loaded.  Inputs run to megabytes: the run's length is bounded by the
 * graph's size, so that a slow input is the library's, not the run's.
 */
#include "fuzz.h"
#include "graph/graph_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agr_error e;
	agr_graph *g = agr_graph_load_string((const char *)data, size, "fuzz", &e);
	agr_graph *again = agr_graph_load_file(fuzz_path(data, size), &e);
	agr_router_opts o = { .goal = -1, .monitors = true };
	agr_router *r;
	agr_event ev;
	long guard;

	/* The file holds the same bytes: the same graph, or the same refusal. */
	if ((g == NULL) != (again == NULL))
		abort();
	agr_graph_free(again);
	if (g == NULL)
		return 0;
	/* Each event may search the graph and test every monitor. */
	guard = 20000000 / (long)(1 + g->nnodes + g->nedges + 50 * g->nmonitors);
	guard = guard < 10 ? 10 : guard > 10000 ? 10000 : guard;
	r = agr_router_new(g, &o);
	while (agr_router_next(r, &ev) && guard-- > 0) {
		json_decref(agr_event_json(r, &ev));
		if (ev.kind == AGR_EV_CALL) /* every other call fails */
			agr_router_result(r, ev.call,
			                  ev.call % 2 ? AGR_RESULT_ERROR : AGR_RESULT_OK, NULL,
			                  NULL, false, NULL);
	}
	agr_router_free(r);
	agr_graph_free(g);
	return 0;
}
