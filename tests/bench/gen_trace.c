/*
 * gen_trace - large, deterministic corpora of agent runs for benchmarks.
 *
 *   gen_trace MEGABYTES SEED            the small corpus of the tests
 *   gen_trace -r MEGABYTES SEED         the realistic corpus
 *   gen_trace -s SHAPE RECORDS          one shape of work (below)
 *   gen_trace -o MEGABYTES SEED         OpenAI chat-completions logs
 *
 * The small corpus: runs of a support workflow (auth, lookup, refund or
 * charge, notify), eight interleaved at a time, with failures, retries,
 * reroutes and escalations, until about MEGABYTES of NDJSON are out.
 *
 * The realistic corpus: the same workflow, 1,000 runs interleaved, each
 * record carrying what real agents write: messages between agents, nested
 * arguments, and a few hundred bytes of content with escapes (quotes,
 * newlines, tabs) and UTF-8 of one to four bytes.
 *
 * The OpenAI logs: what `agraph-trace import openai` reads, a run a line
 * (NDJSON): system and user messages, rounds of assistant tool calls
 * (one to three, arguments a JSON text in a string, one in a hundred cut
 * short), their tool results (ids reused across rounds, now and then one
 * that answers no call), a final answer, and the run's outcome as a
 * reward or a status; content as for the realistic corpus.
 *
 * The shapes, each about RECORDS records of calls, results and finals:
 *   easy          three-record traces, one after another
 *   interleaved   three-record traces, 1,000 open at any time
 *   open          RECORDS/3 traces, all open at once: every call, then
 *                 every result, then every final
 *   obligations   one trace: RECORDS/2 calls, then their results in the
 *                 reverse order (every call an open obligation)
 *   long          one trace: calls and results in turn, then a final
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agraph.h"

typedef struct run {
	long id, step, call;
	int phase;
} run;

static const char *const tools[] = { "auth", "lookup", "refund", "notify" };

static int
small(long long budget, uint64_t seed)
{
	long long written = 0;
	agr_prng p;
	run live[8];
	long next_id = 0;

	agr_prng_seed(&p, seed);
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

/* Pieces of content as a JSON string's body: escapes and UTF-8 of every
 * length, as models and tools write them. */
static const char *const prose[] = {
	"I checked the order history and found two charges for the same booking.",
	"\\\"Please refund the duplicate,\\\" the customer wrote,\\nthen added:\\t\\\"ASAP\\\".",
	"Kund*in aus Zürich, Rückerstattung über 42,50 € gewünscht; Bestätigung folgt.",
	"注文番号を確認しました。返金は三営業日以内に処理されます。",
	"Status: ✅ verified \\u2014 risk score 0.12 🙂 (threshold 0.8)",
	"Steps taken:\\n1. looked up the account\\n2. matched the card\\n3. queued the refund",
	"Ответ клиенту отправлен; ожидаем подтверждения от платёжного шлюза.",
	"{\\\"note\\\": \\\"the API returned a nested JSON blob as text\\\", \\\"ok\\\": true}",
};
#define NPROSE (sizeof prose / sizeof prose[0])

static int
content(agr_prng *p, int pieces)
{
	int n = 0;

	for (int i = 0; i < pieces; i++)
		n += printf("%s%s", i ? " " : "", prose[agr_prng_below(p, NPROSE)]);
	return n;
}

/* s (a JSON string's body) as the body of a JSON string that holds it:
 * a JSON text inside a string, as "arguments" are. */
static int
escaped(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			n += printf("\\");
		putchar(*s);
		n++;
	}
	return n;
}

static int
openai(long long budget, uint64_t seed)
{
	static const char *const openai_tools[] = { "lookup_order", "refund", "notify_customer",
		                                    "search_kb" };
	static const char *const statuses[] = { "resolved", "failed", "success", "error" };
	long long written = 0;
	agr_prng p;
	long id = 0;

	agr_prng_seed(&p, seed);
	while (written < budget) {
		int rounds = 1 + (int)agr_prng_below(&p, 3), n = (int)agr_prng_below(&p, 1000);
		long call = 0;

		id++;
		written += printf("{\"id\":\"run-%08ld\",\"model\":\"gpt-4o-2024-08-06\","
		                  "\"created\":%d,\"messages\":[",
		                  id, 1764000000 + n);
		written += printf("{\"role\":\"system\",\"content\":\"You are a support agent. "
		                  "Use the tools; never invent an order.\"},");
		written +=
		    printf("{\"role\":\"user\",\"name\":\"cust-%05d\",\"content\":\"", n * 7);
		written += content(&p, 3);
		written += printf("\"}");
		for (int r = 0; r < rounds; r++) {
			int calls = 1 + (int)agr_prng_below(&p, 3);
			long first = call + 1;

			/* now and then some words before the calls */
			if (agr_prng_below(&p, 4) == 0) {
				written += printf(",{\"role\":\"assistant\",\"content\":\"");
				written += content(&p, 1);
				written += printf("\",\"tool_calls\":[");
			} else {
				written += printf(",{\"role\":\"assistant\",\"content\":null,"
				                  "\"refusal\":null,\"tool_calls\":[");
			}
			for (int c = 0; c < calls; c++) {
				const char *tool = openai_tools[agr_prng_below(&p, 4)];
				char args[1024];
				int a = (int)agr_prng_below(&p, 100000);

				snprintf(
				    args, sizeof args,
				    "{\"order\":\"ord-%06d\",\"amount\":%d.%02d,\"currency\":"
				    "\"EUR\",\"customer\":{\"id\":\"cust-%05d\",\"city\":\"%s\"},"
				    "\"items\":[%d,%d],\"note\":\"%s\"}",
				    a, a % 900, a % 100, n * 7, a % 2 ? "Zürich" : "東京", a % 7,
				    a % 13, prose[agr_prng_below(&p, NPROSE)]);
				if (agr_prng_below(&p, 100) == 0) { /* cut short: not JSON */
					size_t k = strlen(args) / 2;

					while (((unsigned char)args[k] & 0xc0) == 0x80)
						k--; /* at a character's first byte */
					args[k] = '\0';
				}
				/* call ids restart each round now and then, as some
				 * servers number them */
				written += printf("%s{\"id\":\"call_%ld\",\"type\":\"function\","
				                  "\"function\":{\"name\":\"%s\",\"arguments\":\"",
				                  c ? "," : "", ++call, tool);
				written += escaped(args);
				written += printf("\"}}");
			}
			written += printf("]}");
			for (long c = first; c <= call; c++) {
				written +=
				    printf(",{\"role\":\"tool\",\"tool_call_id\":\"call_%ld\","
				           "\"content\":\"",
				           agr_prng_below(&p, 50) == 0 ? 9999 : c);
				written += content(&p, 2);
				written += printf("\"}");
			}
			if (agr_prng_below(&p, 3) == 0)
				call = 0;
		}
		written += printf(",{\"role\":\"assistant\",\"content\":\"");
		written += content(&p, 2);
		written += printf("\",\"refusal\":null}]");
		if (agr_prng_below(&p, 2) == 0)
			written += printf(",\"reward\":%s", n % 3 ? "1" : "0.0");
		else
			written += printf(",\"status\":\"%s\"", statuses[n % 4]);
		written += printf(",\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d}}\n",
		                  n * 9, n / 2);
	}
	return 0;
}

static int
realistic(long long budget, uint64_t seed)
{
	enum { LIVE = 1000 };
	static const char *const tiers[] = { "free", "plus", "gold" };
	static const char *const cities[] = { "Zürich", "São Paulo", "東京", "Kraków" };
	long long written = 0;
	agr_prng p;
	run *live = calloc(LIVE, sizeof *live);
	long next_id = 0;

	if (live == NULL)
		return 2;
	agr_prng_seed(&p, seed);
	for (int i = 0; i < LIVE; i++)
		live[i] = (run){ next_id++, 0, 0, 0 };
	while (written < budget) {
		run *r = &live[agr_prng_below(&p, LIVE)];
		char t[48];
		int n = (int)agr_prng_below(&p, 1000);

		snprintf(t, sizeof t, "session-%08ld", r->id);
		if (r->phase == 0) {
			written += printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"message\","
			                  "\"ts\":\"2026-11-30T10:%02d:%02dZ\",\"from\":\"user\","
			                  "\"to\":\"support-bot\",\"content\":\"",
			                  t, ++r->step, n % 60, n * 7 % 60);
			written += content(&p, 3);
			written += printf("\"}\n");
		} else if (r->phase == 5) {
			const char *status = agr_prng_below(&p, 10) == 0 ? "escalated" : "success";

			if (status[0] == 'e')
				written +=
				    printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"escalate\","
				           "\"reason\":\"no path to the goal\"}\n",
				           t, ++r->step);
			written += printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"final\","
			                  "\"status\":\"%s\",\"output\":\"",
			                  t, ++r->step, status);
			written += content(&p, 1);
			written += printf("\"}\n");
			*r = (run){ next_id++, 0, 0, 0 };
			continue;
		} else {
			const char *tool = tools[r->phase - 1];

			written += printf(
			    "{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"call\",\"ts\":"
			    "\"2026-11-30T10:%02d:%02dZ\",\"tool\":\"%s\",\"id\":\"call_%ld_%ld\","
			    "\"agent\":\"support-bot\",\"args\":{\"amount\":%d.%02d,\"currency\":"
			    "\"EUR\",\"customer\":{\"id\":\"cust-%05d\",\"tier\":\"%s\","
			    "\"address\":"
			    "{\"city\":\"%s\",\"lines\":[\"Hauptstraße %d\",\"4. OG\"]}},"
			    "\"flags\":[true,false,null],\"reason\":\"",
			    t, ++r->step, n % 60, n * 3 % 60, tool, r->id, ++r->call, n, n % 100,
			    n * 7 % 10000, tiers[n % 3], cities[n % 4], n % 200);
			written += content(&p, 2);
			written += printf("\"}}\n");
			if (agr_prng_below(&p, 20) == 0) {
				written += printf(
				    "{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"result\",\"tool\":"
				    "\"%s\","
				    "\"call\":\"call_%ld_%ld\",\"status\":\"error\",\"duration_"
				    "ms\":%d,"
				    "\"error\":{\"class\":\"http\",\"message\":\"503 Service "
				    "Unavailable: upstream \\\"payments\\\" timed "
				    "out\",\"retryable\":true}}\n",
				    t, ++r->step, tool, r->id, r->call, n * 3);
				written +=
				    printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":\"reroute\","
				           "\"tool\":\"%s\",\"path\":[\"%s\",\"notify\"],"
				           "\"cost\":0.9,\"cause\":%ld}\n",
				           t, r->step + 1, tool, tool, r->step);
				r->step++;
			} else {
				written += printf("{\"trace\":\"%s\",\"step\":%ld,\"kind\":"
				                  "\"result\",\"tool\":\"%s\","
				                  "\"call\":\"call_%ld_%ld\",\"status\":\"ok\","
				                  "\"duration_ms\":%d,"
				                  "\"output\":{\"text\":\"",
				                  t, ++r->step, tool, r->id, r->call, n);
				written += content(&p, 3);
				written += printf("\",\"tokens\":{\"in\":%d,\"out\":%d}}}\n", n * 4,
				                  n / 3);
			}
		}
		r->phase++;
	}
	free(live);
	return 0;
}

static void
call(long trace, long step, long id)
{
	printf("{\"trace\":\"t%ld\",\"step\":%ld,\"kind\":\"call\",\"tool\":\"lookup\","
	       "\"id\":\"c%ld\",\"args\":{\"q\":\"order %ld\"}}\n",
	       trace, step, id, id);
}

static void
result(long trace, long step, long id)
{
	printf("{\"trace\":\"t%ld\",\"step\":%ld,\"kind\":\"result\",\"tool\":\"lookup\","
	       "\"call\":\"c%ld\",\"status\":\"ok\",\"output\":\"found %ld\"}\n",
	       trace, step, id, id);
}

static void
final(long trace, long step)
{
	printf("{\"trace\":\"t%ld\",\"step\":%ld,\"kind\":\"final\",\"status\":\"success\"}\n",
	       trace, step);
}

static int
shape(const char *name, long records)
{
	long traces = records / 3;

	if (strcmp(name, "easy") == 0) {
		for (long t = 0; t < traces; t++)
			call(t, 1, 1), result(t, 2, 1), final(t, 3);
	} else if (strcmp(name, "interleaved") == 0) {
		/* Trace t's call at slot t, result at t + W, final at t + 2W. */
		const long w = traces < 1000 ? traces : 1000;

		for (long slot = 0; slot < traces + 2 * w; slot++) {
			if (slot < traces)
				call(slot, 1, 1);
			if (slot >= w && slot - w < traces)
				result(slot - w, 2, 1);
			if (slot >= 2 * w && slot - 2 * w < traces)
				final(slot - 2 * w, 3);
		}
	} else if (strcmp(name, "open") == 0) {
		for (long t = 0; t < traces; t++)
			call(t, 1, 1);
		for (long t = 0; t < traces; t++)
			result(t, 2, 1);
		for (long t = 0; t < traces; t++)
			final(t, 3);
	} else if (strcmp(name, "obligations") == 0) {
		long calls = (records - 1) / 2;

		for (long i = 1; i <= calls; i++)
			call(0, i, i);
		for (long i = calls; i >= 1; i--)
			result(0, 2 * calls - i + 1, i);
		final(0, 2 * calls + 1);
	} else if (strcmp(name, "long") == 0) {
		long calls = (records - 1) / 2;

		for (long i = 1; i <= calls; i++)
			call(0, 2 * i - 1, i), result(0, 2 * i, i);
		final(0, 2 * calls + 1);
	} else {
		fprintf(stderr, "gen_trace: no shape %s\n", name);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 16];

	setvbuf(stdout, buf, _IOFBF, sizeof buf);
	if (argc == 3)
		return small(atoll(argv[1]) * 1000000LL, strtoull(argv[2], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "-r") == 0)
		return realistic(atoll(argv[2]) * 1000000LL, strtoull(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "-o") == 0)
		return openai(atoll(argv[2]) * 1000000LL, strtoull(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "-s") == 0)
		return shape(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: gen_trace [-r | -o] MEGABYTES SEED | -s SHAPE RECORDS\n");
	return 2;
}
