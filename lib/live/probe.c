/*
 * probe.c - agraph-route --exec --probe: the health monitors of the
 * Self-Healing Router made real.  Every node's probe runs before the
 * walk, several at once, and a tool whose probe fails is reported down,
 * so that the first plan avoids it without calling it.
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/route_int.h"

typedef struct prober {
	const agr_graph *g;
	const agr_router_exec_opts *o;
	const char *trace;
	int *nodes; /* those with a probe, in the graph's order */
	size_t n;
	atomic_size_t next; /* the next of nodes to take */
	agr_exec_result *res;
	bool *ran;
	agr_error *errs;
	bool *failed_run; /* agr_exec_run() itself failed (resources) */
} prober;

static void
probe_one(prober *p, size_t i)
{
	const agrp_node *node = &p->g->nodes[p->nodes[i]];
	char tool[64 + 1024], trace[64 + 1024];
	const char *env[3] = { tool, trace, "AGRAPH_PROBE=1" };

	/* names are cut to fit: the variables are for the tool's own use */
	snprintf(tool, sizeof tool, "AGRAPH_TOOL=%s", node->name);
	snprintf(trace, sizeof trace, "AGRAPH_TRACE=%s", p->trace);
	p->failed_run[i] = !agr_exec_run(&(agr_exec_spec){ .argv = (const char *const *)node->probe,
	                                                   .argc = node->nprobe,
	                                                   .dir = p->o->dir,
	                                                   .env = env,
	                                                   .nenv = 3,
	                                                   .timeout_ms = node->timeout_ms > 0
	                                                                     ? node->timeout_ms
	                                                                     : AGR_PROBE_TIMEOUT_MS,
	                                                   .max_output = node->max_output,
	                                                   .stderr_fd = p->o->stderr_fd,
	                                                   .stop = p->o->stop },
	                                 &p->res[i], &p->errs[i]);
	p->ran[i] = true;
}

static void *
worker(void *arg)
{
	prober *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		probe_one(p, i);
	return NULL;
}

/* The health record's account of a failed probe. */
static json_t *
probe_fields(const agr_exec_result *res)
{
	json_t *probe = json_object(), *extra = json_object();

	json_object_set_new(probe, "class", json_string(res->error_class));
	if (res->message != NULL)
		json_object_set_new(probe, "message", json_string(res->message));
	if (strcmp(res->error_class, "exit") == 0)
		json_object_set_new(probe, "exit_code", json_integer(res->exit_code));
	json_object_set_new(probe, "duration_ms", json_real(round(res->duration_ms * 1e3) / 1e3));
	json_object_set_new(extra, "probe", probe);
	return extra;
}

bool
agr_router_probe(agr_router *r, const agr_router_exec_opts *o, agr_error *err)
{
	prober p = { .g = agr_router_graph(r), .o = o, .trace = agrp_router_trace(r) };
	size_t nnodes = agr_graph_node_count(p.g), jobs;
	pthread_t threads[AGR_PROBE_JOBS];
	size_t started = 0;
	bool ok = true;

	p.nodes = agrp_xmalloc((nnodes + 1) * sizeof *p.nodes);
	for (size_t i = 0; i < nnodes; i++)
		if (p.g->nodes[i].nprobe > 0)
			p.nodes[p.n++] = (int)i;
	p.res = agrp_xcalloc(p.n + 1, sizeof *p.res);
	p.ran = agrp_xcalloc(p.n + 1, sizeof *p.ran);
	p.errs = agrp_xcalloc(p.n + 1, sizeof *p.errs);
	p.failed_run = agrp_xcalloc(p.n + 1, sizeof *p.failed_run);
	atomic_init(&p.next, 0);
	jobs = p.n < AGR_PROBE_JOBS ? p.n : AGR_PROBE_JOBS;
	/* jobs - 1 threads, and this one */
	for (; started + 1 < jobs; started++)
		if (pthread_create(&threads[started], NULL, worker, &p) != 0)
			break;
	worker(&p); /* this thread probes too: none started is no error */
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	/* Reported in the graph's order, whatever order they ended in. */
	for (size_t i = 0; i < p.n; i++) {
		const agr_exec_result *res = &p.res[i];

		if (p.failed_run[i]) {
			if (ok)
				*err = p.errs[i];
			ok = false;
			continue;
		}
		if (!p.ran[i] || res->status == AGR_RESULT_OK)
			continue;
		/* stopped: the caller ends the run; the tool did not fail */
		if (res->error_class != NULL && strcmp(res->error_class, "cancel") == 0)
			continue;
		json_t *extra = probe_fields(res);

		agr_router_health(r, p.nodes[i], AGR_HEALTH_DOWN, extra);
		json_decref(extra);
	}
	for (size_t i = 0; i < p.n; i++)
		if (p.ran[i] && !p.failed_run[i])
			agr_exec_result_free(&p.res[i]);
	free(p.nodes);
	free(p.res);
	free(p.ran);
	free(p.errs);
	free(p.failed_run);
	return ok;
}
