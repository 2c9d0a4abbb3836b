/*
 * test_govern.c - agr_governor_decide(), the governor of a driver that
 * makes the calls itself (agraph-route --govern): an allow gives no
 * govern record, a rewrite changes the call in place, a block names its
 * rule and reason, limits count the calls that go out, and a call it
 * cannot read is blocked, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "agraph.h"
#include "tap.h"

static const char policy[] =
    "agents: {support: [crm]}\n"
    "rules:\n"
    "  - {name: cap, when: 'args.amount > 500', then: block, reason: big}\n"
    "  - {name: mask, when: 'exists(args.card)', then: rewrite,\n"
    "     set: {args.card: '\"****\"'}, remove: [args.cvv]}\n"
    "  - {name: two, when: 'tool == \"search\"', limit: 2, then: escalate}\n";

static json_t *
call(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);

	if (j == NULL)
		diag("%s: %s", text, je.text);
	return j;
}

static char *
dump(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT) : strdup("null");
}

/* Decides text; ok when the decision, the call after it and the govern
 * fields are as wanted (want_govern NULL: none). */
static void
decides(agr_governor *gv, const char *text, agr_decision want, const char *want_call,
        const char *want_govern)
{
	json_t *rec = call(text), *g = NULL;
	agr_decision d = agr_governor_decide(gv, rec, &g);
	char *c = dump(rec), *gs = g ? dump(g) : NULL;

	if (!ok(d == want && strcmp(c, want_call) == 0 &&
	            (want_govern == NULL ? gs == NULL : gs != NULL && strcmp(gs, want_govern) == 0),
	        "%s: %s", text, agr_decision_name(want)))
		diag("decision %s, call %s, govern %s", agr_decision_name(d), c, gs ? gs : "none");
	free(c);
	free(gs);
	json_decref(g);
	json_decref(rec);
}

int
main(void)
{
	agr_error e;
	agr_governor *gv = agr_governor_load_string(policy, strlen(policy), "p.yaml", &e);
	json_t *deep, *at;
	char *deep_text;

	if (!ok(gv != NULL, "the policy loads")) {
		diag("%s:%ld:%ld: %s", e.source, e.line, e.column, e.text);
		return done_testing();
	}
	decides(gv, "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c1\",\"tool\":\"crm\"}",
	        AGR_DECISION_ALLOW,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c1\",\"tool\":\"crm\"}", NULL);
	decides(gv,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c2\",\"tool\":\"pay\","
	        "\"args\":{\"card\":\"4111\",\"cvv\":1}}",
	        AGR_DECISION_REWRITE,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c2\",\"tool\":\"pay\","
	        "\"args\":{\"card\":\"****\"}}",
	        "{\"kind\":\"govern\",\"decision\":\"rewrite\",\"rule\":\"mask\","
	        "\"changed\":[\"args.card\",\"args.cvv\"],\"call\":\"c2\",\"tool\":\"pay\"}");
	decides(gv,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c3\",\"tool\":\"pay\","
	        "\"args\":{\"amount\":900}}",
	        AGR_DECISION_BLOCK,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c3\",\"tool\":\"pay\","
	        "\"args\":{\"amount\":900}}",
	        "{\"kind\":\"govern\",\"decision\":\"block\",\"rule\":\"cap\",\"reason\":\"big\","
	        "\"call\":\"c3\",\"tool\":\"pay\"}");
	decides(gv,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c4\",\"tool\":\"pay\",\"agent\":"
	        "\"support\"}",
	        AGR_DECISION_BLOCK,
	        "{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"c4\",\"tool\":\"pay\",\"agent\":"
	        "\"support\"}",
	        "{\"kind\":\"govern\",\"decision\":\"block\",\"rule\":\"agents\","
	        "\"reason\":\"agent support may not call pay\",\"call\":\"c4\",\"tool\":\"pay\","
	        "\"agent\":\"support\"}");
	for (int i = 0; i < 2; i++)
		decides(gv, "{\"trace\":\"t\",\"kind\":\"call\",\"tool\":\"search\"}",
		        AGR_DECISION_ALLOW,
		        "{\"trace\":\"t\",\"kind\":\"call\",\"tool\":\"search\"}", NULL);
	decides(gv, "{\"trace\":\"t\",\"kind\":\"call\",\"tool\":\"search\"}",
	        AGR_DECISION_ESCALATE, "{\"trace\":\"t\",\"kind\":\"call\",\"tool\":\"search\"}",
	        "{\"kind\":\"govern\",\"decision\":\"escalate\",\"rule\":\"two\","
	        "\"reason\":\"escalated by rule two\",\"tool\":\"search\"}");
	/* another trace has its own limits */
	decides(gv, "{\"trace\":\"u\",\"kind\":\"call\",\"tool\":\"search\"}", AGR_DECISION_ALLOW,
	        "{\"trace\":\"u\",\"kind\":\"call\",\"tool\":\"search\"}", NULL);

	/* A call deeper than a record may be: not readable as one, so blocked,
	 * unchanged, with a reason; not a crash. */
	deep =
	    call("{\"trace\":\"t\",\"kind\":\"call\",\"id\":\"d\",\"tool\":\"crm\",\"args\":{}}");
	at = json_object_get(deep, "args");
	for (int i = 0; i < 3000; i++) {
		json_t *in = json_array();

		json_object_set_new(at, "x", in);
		at = json_object();
		json_array_append_new(in, at);
	}
	deep_text = dump(deep);
	{
		json_t *g = NULL;
		agr_decision d = agr_governor_decide(gv, deep, &g);
		char *after = dump(deep);

		ok(d == AGR_DECISION_BLOCK && g != NULL &&
		       strcmp(json_string_value(json_object_get(g, "rule")), "default") == 0 &&
		       strstr(json_string_value(json_object_get(g, "reason")),
		              "cannot be judged") &&
		       strcmp(after, deep_text) == 0,
		   "a call too deep to read is blocked, unchanged");
		if (g != NULL && d != AGR_DECISION_BLOCK) {
			char *gs = dump(g);

			diag("govern %.300s", gs);
			free(gs);
		}
		free(after);
		json_decref(g);
	}
	free(deep_text);
	json_decref(deep);
	agr_governor_free(gv);
	return done_testing();
}
