#!/usr/bin/env bats
# agraph-trace import and export: openai, swe-agent, chatlog, otel; round trips; errors.

load helper

setup() {
	IM=$EX
}

@test "openai: messages, calls with parsed arguments, results paired, the reward as final" {
	run agraph-trace import openai "$IM/openai.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = "message message call result message call result message final" ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = oslo ]
	[ "$(jq -c 'select(.kind == "call") | [.step, .tool, .id, .args]' <<<"$output" | head -1)" = '[3,"search_flights","call_1",{"to":"OSL","day":"fri"}]' ]
	# The id call_1 is used twice: each result answers the nearest open call.
	[ "$(jq -c 'select(.kind == "result") | [.tool, .call]' <<<"$output" | paste -sd' ')" = \
		'["search_flights","call_1"] ["book","call_1"]' ]
	[ "$(jq -c 'select(.kind == "final") | .status' <<<"$output")" = '"failure"' ]
	# Nothing lost: the run's own fields on the first record, the rest under src.
	[ "$(head -1 <<<"$output" | jq -c .run)" = '{"model":"gpt-4o","reward":0}' ]
	[ "$(jq -c 'select(.kind == "call") | .src' <<<"$output" | sort -u)" = '{"type":"function"}' ]
}

@test "openai: arguments that are not JSON are kept and flagged, not dropped" {
	run agraph-trace import openai "$IM/openai.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.tool == "book" and .kind == "call") | [.args, .args_error]' <<<"$output")" = \
		"[\"{\\\"flight\\\": \\\"SK4411\\\"\",\"'}' expected near end of file\"]" ]
	agraph-trace lint <<<"$output"
}

@test "openai: NDJSON of runs, traj, a bare list of messages, reused ids, an unpaired result" {
	run agraph-trace import openai "$IM/openai.ndjson"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | uniq | paste -sd' ')" = "a $IM/openai.ndjson:2 $IM/openai.ndjson:3" ]
	[ "$(jq -c 'select(.trace == "a" and .kind == "result") | .output' <<<"$output" | paste -sd' ')" = '"4" "4"' ]
	[ "$(jq -c 'select(.trace == "a" and .kind == "final") | .status' <<<"$output")" = '"success"' ]
	[ "$(jq -c 'select(.unpaired) | [.call, .output]' <<<"$output")" = '["nobody","sunny"]' ]
	[ "$(jq -c 'select(.src.refusal == null and .content == "hello") | .src' <<<"$output")" = '{"refusal":null}' ]
	# A document of several runs: ids by their place.
	jq -s . "$IM/openai.ndjson" >"$BATS_TEST_TMPDIR/runs.json"
	run agraph-trace import openai "$BATS_TEST_TMPDIR/runs.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | uniq | paste -sd' ')" = \
		"a $BATS_TEST_TMPDIR/runs.json#2 $BATS_TEST_TMPDIR/runs.json#3" ]
}

@test "openai: an assistant message of calls alone keeps its other fields on its first call" {
	run agraph-trace import openai <<<'{"messages":[{"role":"assistant","content":null,"refusal":null,"name":"bot","tool_calls":[{"id":"x","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"y","type":"function","function":{"name":"g","arguments":"{}"}}]}]}'
	[ "$status" -eq 0 ]
	[ "$(jq -c .src <<<"$output" | paste -sd' ')" = '{"type":"function","message":{"refusal":null,"name":"bot"}} {"type":"function"}' ]
}

@test "openai: the legacy function_call form, each reply paired with the latest open call of its name" {
	run agraph-trace import openai <<<'{"messages":[{"role":"user","content":"weather and time?"},{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},{"role":"assistant","content":null,"function_call":{"name":"get_time","arguments":"{}"}},{"role":"function","name":"get_time","content":"noon"},{"role":"function","name":"get_weather","content":"sunny"},{"role":"function","name":"nobody","content":"?"},{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"},"refusal":null},{"role":"function","content":"no name"}]}'
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "call") | [.step, .tool, .id, .args]' <<<"$output" | paste -sd' ')" = \
		'[2,"get_weather","function_call:2",{"city":"Oslo"}] [3,"get_time","function_call:3",{}] [7,"f","function_call:7",{}]' ]
	[ "$(jq -c 'select(.kind == "result") | [.tool, .call, .output, .unpaired]' <<<"$output" | paste -sd' ')" = \
		'["get_time","function_call:3","noon",null] ["get_weather","function_call:2","sunny",null] ["nobody",null,"?",true] ["f","function_call:7","no name",null]' ]
	# The message of a call alone goes with it, as for tool_calls.
	[ "$(jq -c 'select(.tool == "f" and .kind == "call") | .src' <<<"$output")" = '{"message":{"refusal":null}}' ]
	run agraph-trace check --builtin answered <<<"$output"
	[ "$status" -eq 0 ]
}

@test "openai: streams NDJSON: records of a run come out before the next line is read" {
	# The input ends after the timeout: what comes out was written before.
	# The status is timeout's: 124 when it stopped agraph-trace waiting for
	# more, 141 when a closed pipe ended it; a crash is neither.
	run bash -c "{ head -1 '$IM/openai.ndjson'; sleep 6; } | timeout 5 agraph-trace import -u openai | head -1; exit \${PIPESTATUS[1]}"
	[ "$status" -eq 124 ] || [ "$status" -eq 141 ]
	[ "$(jq -r .trace <<<"$output")" = a ]
}

@test "swe-agent: a real trajectory, every call paired by tool_call_ids, exit_status as final" {
	local t=$DATA/swe-agent/6e44b9__sweagenttestrepo-1c2844.traj
	run agraph-trace import swe-agent "$t"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = "$t" ]
	[ "$(count_kind call <<<"$output")" -eq 4 ]
	[ "$(jq -c 'select(.kind == "result") | [.tool, .call]' <<<"$output" | head -1)" = '["find_file","call_fJuazlMUN5fQDQ73G6XSpYpx"]' ]
	[ "$(jq -c 'select(.unpaired)' <<<"$output")" = "" ]
	[ "$(jq -c 'select(.kind == "call") | [.agent, .tool, .args]' <<<"$output" | head -1)" = '["main","find_file",{"file_name":"missing_colon.py"}]' ]
	[ "$(tail -1 <<<"$output" | jq -c '[.kind, .status, .reason]')" = '["final","success","submitted"]' ]
	# Nothing lost: the run's fields on the first record, a message's under src.
	[ "$(head -1 <<<"$output" | jq -c '.run | keys')" = '["environment","info","replay_config","trajectory"]' ]
	[ "$(jq -c 'select(.kind == "message" and .from == "assistant") | .src | keys' <<<"$output" | sort -u)" = '["action","message_type","thought"]' ]
	run agraph-trace check --builtin all <<<"$output"
	[ "$status" -eq 0 ]
	# A demonstration: history alone, every call paired, and no final.
	run agraph-trace import swe-agent "$DATA/swe-agent/function_calling_simple.traj"
	[ "$status" -eq 0 ]
	[ "$(count_kind call <<<"$output")" -eq 5 ]
	[ "$(count_kind result <<<"$output")" -eq 5 ]
	[ "$(jq -c 'select(.unpaired)' <<<"$output")" = "" ]
	[ "$(count_kind final <<<"$output")" -eq 0 ]
}

@test "swe-agent: each exit_status as a final status, its reason the exit status" {
	local s
	for s in '"submitted" success' '"submitted (exit_cost)" demoted' '"exit_forfeit" escalated' \
		'"exit_command" escalated' '"exit_cost" failure' '"exit_context" failure' \
		'"exit_format" failure' '"exit_error" failure' '"early_exit" failure' '7 failure'; do
		run agraph-trace import swe-agent <<<"{\"history\":[],\"info\":{\"exit_status\":${s% *}}}"
		[ "$status" -eq 0 ]
		[ "$(jq -r .status <<<"$output")" = "${s##* }" ]
	done
	run agraph-trace import swe-agent <<<'{"history":[],"info":{"exit_status":"exit_cost"}}'
	[ "$(jq -c '[.kind, .reason]' <<<"$output")" = '["final","exit_cost"]' ]
	# Saved before its end: no exit status, no final.
	run agraph-trace import swe-agent <<<'{"history":[{"role":"user","content":"go"}],"info":{"exit_status":null}}'
	[ "$status" -eq 0 ]
	[ "$(count_kind final <<<"$output")" -eq 0 ]
}

@test "swe-agent: a reply naming two calls answers both; content as a list of parts is kept" {
	run agraph-trace import swe-agent <<<'{"history":[{"role":"assistant","content":[{"type":"text","text":"two"}],"agent":"main","tool_calls":[{"id":"a","type":"function","function":{"name":"bash","arguments":"{\"command\":\"ls\"}"}},{"id":"b","type":"function","function":{"name":"open","arguments":"{}"}}]},{"role":"tool","content":[{"type":"text","text":"out"}],"agent":"main","tool_call_ids":["b","a"]},{"role":"tool","content":"late","tool_call_ids":["zz"]}]}'
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "message") | .content' <<<"$output")" = '[{"type":"text","text":"two"}]' ]
	[ "$(jq -c 'select(.kind == "result") | [.tool, .call, .output, .unpaired]' <<<"$output" | paste -sd' ')" = \
		'["open","b",[{"type":"text","text":"out"}],null] ["bash","a",[{"type":"text","text":"out"}],null] [null,"zz","late",true]' ]
	[ "$(jq -c 'select(.kind == "result") | .src' <<<"$output" | head -1)" = '{"agent":"main"}' ]
}

@test "swe-agent: what is not a trajectory is reported at its line, exit 2, the rest converted" {
	printf '%s\n' '{"history":[{"role":"user","content":"a"}]}' '[{"role":"user","content":"x"}]' \
		'{"trajectory":[]}' '{"history":[{"role":"user","content":"b"}]}' >"$BATS_TEST_TMPDIR/bad.ndjson"
	run --separate-stderr agraph-trace import swe-agent "$BATS_TEST_TMPDIR/bad.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: $BATS_TEST_TMPDIR/bad.ndjson:2:1: expected a trajectory: an object with a \"history\" list of messages" ]
	[ "${stderr_lines[1]}" = "agraph-trace: $BATS_TEST_TMPDIR/bad.ndjson:3:1: expected a trajectory: an object with a \"history\" list of messages" ]
	[ "$(jq -r .content <<<"$output" | paste -sd' ')" = "a b" ]
	# A list of trajectories in one document: each its own trace.
	jq -s . "$DATA"/swe-agent/*.traj >"$BATS_TEST_TMPDIR/all.json"
	run agraph-trace import swe-agent "$BATS_TEST_TMPDIR/all.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | uniq | paste -sd' ')" = "$BATS_TEST_TMPDIR/all.json#1 $BATS_TEST_TMPDIR/all.json#2" ]
}

@test "chatlog: a message per entry, step = index, run fields on the first record" {
	run agraph-trace import chatlog "$IM/chatlog.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.step, .kind, .agent]' <<<"$output" | head -4 | paste -sd' ')" = \
		'[0,"message","user"] [1,"message","Planner"] [2,"message","Computer_terminal"] [3,"message","Verifier"]' ]
	[ "$(head -1 <<<"$output" | jq -c '.run | [.mistake_agent, .mistake_step]')" = '["Computer_terminal","3"]' ]
	[ "$(jq -c 'select(.agent == "Planner") | .src' <<<"$output" | sort -u)" = '{"role":"assistant"}' ]
}

@test "chatlog: TERMINATE ends the conversation, not when quoted in an instruction" {
	run agraph-trace import chatlog "$IM/chatlog.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "final") | [.step, .status, .reason, .cause]' <<<"$output")" = \
		'[4,"success","Verifier said TERMINATE",3]' ]
	[ "$(tail -1 <<<"$output" | jq -c '[.step, .agent, .renumbered]')" = '[5,"Planner",true]' ]
	run agraph-trace check --builtin terminates <<<"$output"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == *"terminates: FAIL at step 5: step 5 (message) comes after the final record (step 4)" ]]
	# Another word; and none: no final.
	run agraph-trace import --terminate-word 24 chatlog "$IM/chatlog.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "final") | .cause' <<<"$output")" = 2 ]
	run agraph-trace import --terminate-word NEVER chatlog "$IM/chatlog.json"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[ "$(jq -c 'select(.kind == "final")' <<<"$output")" = "" ]
	# Whole words only.
	echo '{"history":[{"role":"a","content":"TERMINATED early"},{"role":"b","content":"ok, TERMINATE."}]}' >"$BATS_TEST_TMPDIR/w.json"
	run agraph-trace import chatlog "$BATS_TEST_TMPDIR/w.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "final") | .cause' <<<"$output")" = 1 ]
}

@test "otel: spans by start time, one trace per traceId, tools as call and result, the root's end a final" {
	run agraph-trace import otel "$IM/otel.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = "message call result call result final" ]
	# A span without the agent's name is the work of the agent span above it.
	[ "$(jq -r 'select(.kind == "call") | .agent' <<<"$output" | paste -sd' ')" = "planner planner" ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = 5b8efff798038103d269b633813fc60c ]
	[ "$(jq -c 'select(.kind == "call") | [.tool, .id, .agent, .args]' <<<"$output" | head -1)" = '["search_flights","call_1","planner",{"to":"OSL"}]' ]
	[ "$(jq -c 'select(.kind == "result" and .status == "error") | .error' <<<"$output")" = \
		'{"class":"http_503","message":"booking service unavailable","retryable":false}' ]
	# Nothing lost: unmapped attributes and span fields under src.
	[ "$(jq -c 'select(.tool == "book" and .kind == "call") | [.src.attributes.retries, .src.spanId, .src.resource.attributes[0].value.stringValue]' <<<"$output")" = \
		'[2,"eee19b7ec3c1b176","travel-agent"]' ]
	agraph-trace lint <<<"$output"
}

@test "export otel: OTLP/JSON a trace a line, GenAI attributes, and back: every record, byte for byte" {
	# Every program of a pipeline must succeed, not only the last.
	set -o pipefail
	agraph-route --fail Stripe "$EX/customer-support.yaml" >"$BATS_TEST_TMPDIR/run"
	run agraph-trace export otel "$BATS_TEST_TMPDIR/run"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r '.resourceSpans[0].scopeSpans[0].spans[].name' <<<"$output" | paste -sd'|')" = \
		"invoke_workflow customer-support|route|execute_tool CRM|execute_tool Stripe|reroute Stripe|execute_tool Razorpay|execute_tool Email|execute_tool Complete|final" ]
	[ "$(jq -c '.resourceSpans[0].scopeSpans[0].spans[] | select(.name == "execute_tool Stripe") | [.status.code, (.attributes[] | select(.key == "error.type") | .value.stringValue)]' <<<"$output")" = \
		'[2,"unavailable"]' ]
	[ "$(jq -r '[.resourceSpans[0].scopeSpans[0].spans[].traceId] | unique | .[0] | length' <<<"$output")" = 32 ]
	agraph-trace import otel <<<"$output" | cmp - "$BATS_TEST_TMPDIR/run"
	# Interleaved traces of all kinds come back, every record.
	cat "$EX/conversation.ndjson" "$EX/refunds.ndjson" "$EX/agent.ndjson" >"$BATS_TEST_TMPDIR/mix"
	agraph-trace export otel "$BATS_TEST_TMPDIR/mix" | agraph-trace import otel | sort >"$BATS_TEST_TMPDIR/back"
	sort "$BATS_TEST_TMPDIR/mix" | cmp - "$BATS_TEST_TMPDIR/back"
	# And a foreign trace, imported, exported and imported again, is the same.
	agraph-trace import otel "$IM/otel.json" >"$BATS_TEST_TMPDIR/once"
	agraph-trace export otel "$BATS_TEST_TMPDIR/once" | agraph-trace import otel | cmp - "$BATS_TEST_TMPDIR/once"
}

@test "export otel: times from ts, or a millisecond a step from --start; the same bytes each time" {
	printf '%s\n' '{"trace":"t","step":1,"kind":"call","tool":"x","id":"c1","ts":"2026-11-25T10:00:00.5Z"}' \
		'{"trace":"t","step":2,"kind":"result","tool":"x","call":"c1","status":"ok","ts":1795600801.25}' >"$BATS_TEST_TMPDIR/t"
	run agraph-trace export otel "$BATS_TEST_TMPDIR/t"
	[ "$status" -eq 0 ]
	[ "$(jq -c '.resourceSpans[0].scopeSpans[0].spans[1] | [.startTimeUnixNano, .endTimeUnixNano]' <<<"$output")" = \
		'["1795600800500000000","1795600801250000000"]' ]
	# Both runs must succeed with output: two crashes would compare equal.
	agraph-trace export --start 1795600800 otel "$EX/refunds.ndjson" >"$BATS_TEST_TMPDIR/a"
	agraph-trace export --start 2026-11-25T10:00:00Z otel "$EX/refunds.ndjson" >"$BATS_TEST_TMPDIR/b"
	[ -s "$BATS_TEST_TMPDIR/a" ]
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$(jq -r '.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano' "$BATS_TEST_TMPDIR/a" | head -1)" = 1795600800001000000 ]
	SOURCE_DATE_EPOCH=1795600800 agraph-trace export otel "$EX/refunds.ndjson" | cmp - "$BATS_TEST_TMPDIR/a"
	# --start wins over the environment
	SOURCE_DATE_EPOCH=1 agraph-trace export --start 1795600800 otel "$EX/refunds.ndjson" |
		cmp - "$BATS_TEST_TMPDIR/a"
	run agraph-trace export otel "$EX/refunds.ndjson"
	! cmp -s - "$BATS_TEST_TMPDIR/a" <<<"$output"
	SOURCE_DATE_EPOCH=2026-11-25T10:00:00Z run agraph-trace export otel "$EX/refunds.ndjson"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: SOURCE_DATE_EPOCH must be seconds since the epoch, not '2026-11-25T10:00:00Z'" ]
	run agraph-trace export --start yesterday otel "$EX/refunds.ndjson"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: --start takes seconds since the epoch or an RFC 3339 time, not 'yesterday'" ]
}

# Every span's start and end, in seconds, one a line.
span_seconds() {
	jq -r '.resourceSpans[].scopeSpans[].spans[] | .startTimeUnixNano, .endTimeUnixNano' | sed 's/.\{9\}$//'
}

@test "export otel: no span at 1970: a trace without ts begins at the export, a record without ts at its neighbour's time" {
	set -o pipefail
	before=$(date +%s)
	agraph-route --fail Stripe "$EX/customer-support.yaml" | agraph-trace export otel | span_seconds >"$BATS_TEST_TMPDIR/s"
	after=$(date +%s)
	[ "$(wc -l <"$BATS_TEST_TMPDIR/s")" -eq 18 ]
	[ "$(awk -v lo="$before" -v hi="$((after + 1))" '$1 < lo || $1 > hi' "$BATS_TEST_TMPDIR/s" | wc -l)" -eq 0 ]
	# One record without ts among timed ones takes the time before it;
	# before the first timed one, the first time.
	printf '%s\n' '{"trace":"t","step":1,"kind":"message","content":"hi"}' \
		'{"trace":"t","step":2,"kind":"call","tool":"x","id":"c1","ts":1795600800}' \
		'{"trace":"t","step":3,"kind":"result","call":"c1","status":"ok"}' \
		'{"trace":"t","step":4,"kind":"final","status":"success","ts":1795600805}' >"$BATS_TEST_TMPDIR/t"
	run agraph-trace export otel "$BATS_TEST_TMPDIR/t"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.resourceSpans[0].scopeSpans[0].spans[] | [.name, .startTimeUnixNano, .endTimeUnixNano]]' <<<"$output")" = \
		'[["invoke_workflow t","1795600800000000000","1795600805000000000"],["message","1795600800000000000","1795600800000000000"],["execute_tool x","1795600800000000000","1795600800000000000"],["final","1795600805000000000","1795600805000000000"]]' ]
}

@test "export otel: two runs of one graph get other trace and span ids, and the import keeps them apart" {
	set -o pipefail
	agraph-route "$EX/customer-support.yaml" >"$BATS_TEST_TMPDIR/ok"
	agraph-route --fail Stripe "$EX/customer-support.yaml" >"$BATS_TEST_TMPDIR/failed"
	[ "$(jq -r .trace "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/failed" | sort -u)" = customer-support ]
	agraph-trace export --start 1795600800 otel "$BATS_TEST_TMPDIR/ok" >"$BATS_TEST_TMPDIR/ok.otlp"
	agraph-trace export --start 1795600800 otel "$BATS_TEST_TMPDIR/failed" >"$BATS_TEST_TMPDIR/failed.otlp"
	[ "$(cat "$BATS_TEST_TMPDIR/ok.otlp" "$BATS_TEST_TMPDIR/failed.otlp" | jq -r '[.resourceSpans[].scopeSpans[].spans[].traceId] | unique | .[]' | wc -l)" -eq 2 ]
	[ "$(cat "$BATS_TEST_TMPDIR/ok.otlp" "$BATS_TEST_TMPDIR/failed.otlp" | jq -r '.resourceSpans[].scopeSpans[].spans[].spanId' | sort | uniq -d | wc -l)" -eq 0 ]
	# The same run exported again: the same ids (they come from its records).
	agraph-trace export otel "$BATS_TEST_TMPDIR/ok" | jq -r '.resourceSpans[].scopeSpans[].spans[].traceId' | sort -u >"$BATS_TEST_TMPDIR/again"
	jq -r '.resourceSpans[].scopeSpans[].spans[].traceId' "$BATS_TEST_TMPDIR/ok.otlp" | sort -u | cmp - "$BATS_TEST_TMPDIR/again"
	# Both requests in one file, as a collector's file exporter writes
	# them: each run comes back whole and in order, not interleaved.
	cat "$BATS_TEST_TMPDIR/ok.otlp" "$BATS_TEST_TMPDIR/failed.otlp" | agraph-trace import otel >"$BATS_TEST_TMPDIR/back"
	cat "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/failed" >"$BATS_TEST_TMPDIR/ab"
	cat "$BATS_TEST_TMPDIR/failed" "$BATS_TEST_TMPDIR/ok" >"$BATS_TEST_TMPDIR/ba"
	cmp -s "$BATS_TEST_TMPDIR/back" "$BATS_TEST_TMPDIR/ab" || cmp "$BATS_TEST_TMPDIR/back" "$BATS_TEST_TMPDIR/ba"
}

# The root span of the one request in $output: name, operation, agent,
# workflow, provider, error.type and status code.
root_span() {
	jq -c '.resourceSpans[0].scopeSpans[0].spans[0] | (.attributes | map({(.key): .value.stringValue}) | add) as $a
		| [.name, $a["gen_ai.operation.name"], $a["gen_ai.agent.name"], $a["gen_ai.workflow.name"], $a["gen_ai.provider.name"], $a["error.type"], .status.code, .kind, (has("parentSpanId"))]' <<<"$output"
}

@test "export otel: the root span follows the GenAI conventions: invoke_agent or invoke_workflow, provider, error status" {
	# A graph's run, many tools and no agent: a workflow named by its trace.
	run agraph-trace export otel "$EX/recorded.ndjson"
	[ "$status" -eq 0 ]
	[ "$(root_span)" = '["invoke_workflow customer-support","invoke_workflow",null,"customer-support",null,null,null,1,false]' ]
	# Escalated: an error, its status the error.type.
	agraph-route --fail Stripe,Razorpay "$EX/customer-support.yaml" >"$BATS_TEST_TMPDIR/esc" || [ "$?" -eq 1 ]
	[ "$(jq -r 'select(.kind == "final") | .status' "$BATS_TEST_TMPDIR/esc")" = escalated ]
	run agraph-trace export otel "$BATS_TEST_TMPDIR/esc"
	[ "$(root_span)" = '["invoke_workflow customer-support","invoke_workflow",null,"customer-support",null,"escalated",2,1,false]' ]
	[ "$(jq -r '.resourceSpans[0].scopeSpans[0].spans[0].status.message' <<<"$output")" = escalated ]
	# One agent, a provider named: invoke_agent {agent}.
	printf '%s\n' '{"trace":"a1","step":1,"kind":"call","agent":"planner","provider":"openai","tool":"x","id":"c1"}' \
		'{"trace":"a1","step":2,"kind":"result","agent":"planner","call":"c1","status":"ok"}' \
		'{"trace":"a1","step":3,"kind":"final","agent":"planner","status":"failure"}' >"$BATS_TEST_TMPDIR/one"
	run agraph-trace export otel "$BATS_TEST_TMPDIR/one"
	[ "$(root_span)" = '["invoke_agent planner","invoke_agent","planner",null,"openai","failure",2,1,false]' ]
	# A provider an OTel import kept; several agents: a workflow.
	printf '%s\n' '{"trace":"w","step":1,"kind":"message","agent":"a","src":{"attributes":{"gen_ai.provider.name":"anthropic"}}}' \
		'{"trace":"w","step":2,"kind":"message","agent":"b"}' \
		'{"trace":"w","step":3,"kind":"final","status":"success"}' >"$BATS_TEST_TMPDIR/two"
	run agraph-trace export otel "$BATS_TEST_TMPDIR/two"
	[ "$(root_span)" = '["invoke_workflow w","invoke_workflow",null,"w","anthropic",null,null,1,false]' ]
}

@test "bad input: file:line:col, exit 2, and every good run still converted" {
	printf '%s\n' '{"messages":[{"role":"user","content":"a"}]}' '{"messages":[{"role":"user",}]}' \
		'{"nothing":1}' '{"messages":[{"role":"user","content":"b"}]}' >"$BATS_TEST_TMPDIR/bad.ndjson"
	run --separate-stderr agraph-trace import openai "$BATS_TEST_TMPDIR/bad.ndjson"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: $BATS_TEST_TMPDIR/bad.ndjson:2:29: string or '}' expected near '}'" ]
	[ "${stderr_lines[1]}" = "agraph-trace: $BATS_TEST_TMPDIR/bad.ndjson:3:1: expected a list of messages, or an object with one under \"messages\" or \"traj\"" ]
	[ "$(jq -r .content <<<"$output" | paste -sd' ')" = "a b" ]
	printf '{\n  "history": [\n    {"role": "user", "content": "x"},\n    {"role": "user" "content": "y"}\n  ]\n}\n' >"$BATS_TEST_TMPDIR/bad.json"
	run agraph-trace import chatlog "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: $BATS_TEST_TMPDIR/bad.json:4:29: '}' expected near '\"content\"'" ]
	run agraph-trace import otel <<<'{"resourceSpans": 3}'
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: -:1:1: expected an object with a \"resourceSpans\" list" ]
	run agraph-trace import yaml /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: unknown format 'yaml' (known: openai, swe-agent, chatlog, otel)" ]
	run agraph-trace export jaeger /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: unknown export format 'jaeger' (known: otel)" ]
	run agraph-trace import chatlog /nonexistent
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: /nonexistent: No such file or directory" ]
	run agraph-trace import
	[ "$status" -eq 2 ]
	run agraph-trace export --terminate-word x otel /dev/null
	[ "$status" -eq 2 ]
}

@test "export otel: every request reads in protobuf's strict JSON parser, against the OTLP protos" {
	set -o pipefail
	{
		agraph-route --fail Stripe "$EX/customer-support.yaml"
		agraph-route --fail Stripe,Razorpay --id esc "$EX/customer-support.yaml" || [ "$?" -eq 1 ]
		cat "$EX/conversation.ndjson" "$EX/refunds.ndjson" "$EX/agent.ndjson"
	} >"$BATS_TEST_TMPDIR/all"
	run "$BATS_TEST_DIRNAME/otlp-check.py" "$BATS_TEST_DIRNAME/data/otlp" < <(agraph-trace export otel "$BATS_TEST_TMPDIR/all")
	[ "$status" -eq 0 ]
	[ "$output" = "6 requests, 38 spans" ]
	# The checker is strict: a span kind it does not know is refused.
	agraph-trace export otel "$EX/refunds.ndjson" | sed 's/"kind":1/"kind":"SPAN_KIND_NONE"/' >"$BATS_TEST_TMPDIR/bad"
	run "$BATS_TEST_DIRNAME/otlp-check.py" "$BATS_TEST_DIRNAME/data/otlp" <"$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 1 ]
}
