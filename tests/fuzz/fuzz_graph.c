/* fuzz_graph.c - the graph loader, then a routed run over what it loaded. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agr_error e;
	agr_graph *g = agr_graph_load_string((const char *)data, size, "fuzz", &e);
	agr_router_opts o = { .goal = -1, .monitors = true };
	agr_router *r;
	agr_event ev;
	int guard = 0;

	if (g == NULL)
		return 0;
	r = agr_router_new(g, &o);
	while (agr_router_next(r, &ev) && guard++ < 10000) {
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
