/*
 * gen_trace - a large, deterministic corpus of agent runs for benchmarks.
 *
 *   gen_trace MEGABYTES SEED
 *
 * Writes runs of a support workflow (auth, lookup, refund or charge,
 * notify), eight interleaved at a time, with failures, retries, reroutes
 * and escalations, until about MEGABYTES of NDJSON are out.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agraph.h"

typedef struct run {
	long id, step, call;
	int phase;
} run;

static const char *const tools[] = { "auth", "lookup", "refund", "notify" };

int
main(int argc, char **argv)
{
	long long budget, written = 0;
	agr_prng p;
	run live[8];
	long next_id = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_trace MEGABYTES SEED\n");
		return 2;
	}
	budget = atoll(argv[1]) * 1000000LL;
	agr_prng_seed(&p, strtoull(argv[2], NULL, 10));
	for (int i = 0; i < 8; i++)
		live[i] = (run){ next_id++, 0, 0, 0 };
	while (written < budget) {
		run *r = &live[agr_prng_below(&p, 8)];
		char t[32];
		int n;

		snprintf(t, sizeof t, "run-%06ld", r->id);
		if (r->phase == 4) {
			const char *status = agr_prng_below(&p, 10) == 0 ? "escalated" : "success";

			if (status[0] == 'e')
				written +=
				    printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"escalate\","
				           "\"reason\":\"no path\"}\n",
				           t, ++r->step);
			written += printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"final\","
			                  "\"status\":\"%s\"}\n",
			                  t, ++r->step, status);
			*r = (run){ next_id++, 0, 0, 0 };
			continue;
		}
		n = (int)agr_prng_below(&p, 1000);
		written +=
		    printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"call\",\"tool\":\"%s\","
		           "\"id\":\"c%ld\",\"agent\":\"support-bot\",\"args\":{\"amount\":%d,"
		           "\"currency\":\"EUR\",\"customer\":\"cust-%05d\"}}\n",
		           t, ++r->step, tools[r->phase], ++r->call, n, n * 7 % 10000);
		if (agr_prng_below(&p, 20) == 0) {
			written += printf(
			    "{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"result\",\"tool\":\"%s\","
			    "\"call\":\"c%ld\",\"status\":\"error\",\"error\":{\"class\":"
			    "\"http\",\"message\":\"503 Service Unavailable\","
			    "\"retryable\":true}}\n",
			    t, ++r->step, tools[r->phase], r->call);
			written += printf(
			    "{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"reroute\",\"tool\":\"%s\","
			    "\"path\":[\"%s\",\"%s\"],\"cost\":0.9,\"cause\":%ld}\n",
			    t, r->step + 1, tools[r->phase], tools[r->phase], "notify", r->step);
			r->step++;
		} else {
			written += printf(
			    "{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"result\",\"tool\":\"%s\","
			    "\"call\":\"c%ld\",\"status\":\"ok\",\"output\":{\"text\":\"done "
			    "for customer %d\",\"tokens\":%d}}\n",
			    t, ++r->step, tools[r->phase], r->call, n, n / 3);
		}
		r->phase++;
	}
	return 0;
}
