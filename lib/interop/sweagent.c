/*
 * sweagent.c - SWE-agent trajectories (.traj) as agraph records: the
 * messages of its "history", in OpenAI's form but for a reply's calls,
 * listed under "tool_call_ids", and the outcome, in info.exit_status,
 * which SWE-agent's agent loop (sweagent/agent/agents.py) sets.
 */
#include <string.h>

#include "interop/import_int.h"

/*
 * The final status of an exit status: "submitted" is a patch the agent
 * chose to submit; "submitted (exit_cost)" and the like one submitted for
 * it when a limit or an error stopped it, a lesser goal (demoted); the
 * agent's own "exit" or forfeit hands the problem back (escalated); any
 * other (exit_cost, exit_context, exit_format, exit_error, exit_api...)
 * is a failure.  No exit status (null: the run was saved before its end)
 * is no final.
 */
static const char *
exit_outcome(const json_t *run, const json_t **reason)
{
	const json_t *status = json_object_get(json_object_get(run, "info"), "exit_status");
	const char *s = json_string_value(status);

	*reason = json_is_string(status) ? status : NULL;
	if (status == NULL || json_is_null(status))
		return NULL;
	if (s == NULL)
		return "failure";
	if (strcmp(s, "submitted") == 0)
		return "success";
	if (strncmp(s, "submitted (", 11) == 0)
		return "demoted";
	if (strcmp(s, "exit_command") == 0 || strcmp(s, "exit_forfeit") == 0)
		return "escalated";
	return "failure";
}

static const agrp_chat_form sweagent_form = {
	.lists = { "history" },
	.run_taken = { "history", "id", "trace_id", "instance_id" },
	.id_keys = { "id", "trace_id", "instance_id" },
	.agent_key = "agent",
	.call_agent_key = "agent",
	.ids_key = "tool_call_ids",
	.no_list = "expected a trajectory: an object with a \"history\" list of messages",
	.outcome = exit_outcome,
};

void
agrp_sweagent_run(importer *im, const json_t *run)
{
	agrp_chat_run(im, run, &sweagent_form);
}
