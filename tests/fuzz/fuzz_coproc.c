/*
 * fuzz_coproc.c - the coprocess reader: the input is what an executor
 * sends agraph-route --coproc, read through agr_router_await_or_end as
 * the program reads it, over a graph with retries, a fallback and monitors.
 */
#include <fcntl.h>

#include "fuzz.h"

static const char graph[] =
    "graph: fuzz\n"
    "start: Start\n"
    "goal: Complete\n"
    "fallback: Later\n"
    "nodes:\n"
    "  Stripe: {retries: 1}\n"
    "edges:\n"
    "  - [Start, CRM, 0.1]\n"
    "  - [CRM, Stripe, 0.3]\n"
    "  - [CRM, Razorpay, 0.5]\n"
    "  - [CRM, Later, 0.2]\n"
    "  - [Stripe, Email, 0.3]\n"
    "  - [Razorpay, Email, 0.3]\n"
    "  - [Email, Complete, 0.1]\n"
    "monitors:\n"
    "  - {name: flaky, when: 'kind == \"health\" && status == \"down\"', then: penalty, "
    "penalty: 1000000000}\n"
    "  - {name: slow, when: 'kind == \"result\" && status == \"timeout\"', then: demote}\n"
    "  - {name: stop, when: 'kind == \"result\" && output == \"stop\"', then: escalate}\n"
    "  - {name: off, when: 'kind == \"health\" && tool == \"Email\"', then: disable}\n";

static void
discard_event(void *ctx, const agr_router *r, const agr_event *ev)
{
	(void)ctx;
	json_decref(agr_event_json(r, ev));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static agr_graph *g;
	const char *path = fuzz_path(data, size);
	agr_router_opts o = { .goal = -1, .monitors = true };
	agr_router *r;
	agr_peer *p;
	agr_event ev;
	agr_error e;
	int fd;

	if (g == NULL && (g = agr_graph_load_string(graph, sizeof graph - 1, "fuzz", &e)) == NULL)
		abort();
	if ((fd = open(path, O_RDONLY)) < 0)
		abort();
	r = agr_router_new(g, &o);
	p = agr_peer_new(fd, "fuzz", 0);
	while (agr_router_next(r, &ev)) {
		json_decref(agr_event_json(r, &ev));
		if (ev.kind != AGR_EV_CALL)
			continue;
		agr_router_await_or_end(r, p, discard_event, NULL, &e);
	}
	agr_peer_free(p);
	close(fd);
	agr_router_free(r);
	return 0;
}
