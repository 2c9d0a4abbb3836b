#!/usr/bin/env bats
# agraph-trace import otel on traces as agent frameworks write them: the
# OpenTelemetry JS SDK with the GenAI conventions, OpenInference,
# OpenLLMetry, the older span events, opentelemetry-proto's example, and
# attributes that are not what they should be.

load helper

setup() {
	OT=$DATA/otel
}

# js_trace [--fail]: the OTLP/JSON of the JS SDK's trace, in $BATS_TEST_TMPDIR/js.json.
js_trace() {
	[ -d "$BATS_TEST_DIRNAME/otel/node_modules/@opentelemetry/sdk-trace-base" ] ||
		skip "no OpenTelemetry JS SDK: scripts/install-deps installs it"
	node "$BATS_TEST_DIRNAME/otel/genai-trace.js" "$@" >"$BATS_TEST_TMPDIR/js.json"
}

@test "otel: the JS SDK's trace: messages, one call for a tool call and its span, the root's end a final" {
	js_trace
	run agraph-trace import otel "$BATS_TEST_TMPDIR/js.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = "message message message call result message final" ]
	[ "$(jq -r .trace <<<"$output" | sort -u | wc -l)" -eq 1 ]
	# The system instructions and the first input; the second chat's history is not repeated.
	[ "$(jq -c 'select(.kind == "message") | [.from, .content]' <<<"$output" | paste -sd' ')" = \
		'["system","You answer questions about the weather."] ["user","How warm is it in Oslo?"] ["assistant",null] ["assistant","It is 3 C and cloudy in Oslo."]' ]
	# The model's tool call and the execute_tool span are one call: its
	# arguments from the call, as the span has none, its result the span's.
	[ "$(jq -c 'select(.kind == "call") | [.tool, .id, .args, .agent]' <<<"$output")" = '["get_weather","call_1",{"city":"Oslo"},"weather-bot"]' ]
	[ "$(jq -c 'select(.kind == "result") | [.call, .status, .output]' <<<"$output")" = '["call_1","ok","3 C, cloudy"]' ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .agent]' <<<"$output")" = '["success","weather-bot"]' ]
	# Nothing lost: the chat span under the src of its output message.
	[ "$(jq -c 'select(.content == "It is 3 C and cloudy in Oslo.") | [.src.name, .src.attributes."gen_ai.request.model", .src.message.finish_reason]' <<<"$output")" = \
		'["chat gpt-4o","gpt-4o","stop"]' ]
	# The final ends the run: terminates holds.
	agraph-trace check --builtin terminates,well-formed <<<"$output"
	agraph-trace lint <<<"$output"
	# And the import goes out and back byte for byte.
	set -o pipefail
	agraph-trace export otel <<<"$output" | agraph-trace import otel | cmp - <(printf '%s\n' "$output")
}

@test "otel: a root span whose status is an error is a failed final, its status message the reason" {
	js_trace --fail
	run agraph-trace import otel "$BATS_TEST_TMPDIR/js.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason, .src.attributes."error.type"]' <<<"$output")" = \
		'["failure","answer blocked by the guardrail","guardrail"]' ]
	agraph-trace check --builtin terminates <<<"$output"
	# Without a message, error.type is the reason.
	run agraph-trace import otel "$OT/malformed.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason, .step]' <<<"$output")" = '["failure","timeout",8]' ]
}

@test "otel: OpenInference's names: LLM, TOOL and AGENT spans, indexed messages, tool.id absent" {
	run agraph-trace import otel "$OT/openinference.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = "message message message call result message final" ]
	[ "$(jq -c 'select(.kind == "message") | [.from, .content]' <<<"$output" | paste -sd' ')" = \
		'["system","You answer questions about the weather."] ["user","How warm is it in Oslo?"] ["assistant",null] ["assistant","It is 3 C and cloudy in Oslo."]' ]
	# The TOOL span names no call id: it runs the model's call of its name.
	[ "$(jq -c 'select(.kind == "call") | [.tool, .id, .args, .agent]' <<<"$output")" = '["get_weather","call_1",{"city":"Oslo"},"weather-bot"]' ]
	[ "$(jq -c 'select(.kind == "result") | [.call, .output]' <<<"$output")" = '["call_1","3 C, cloudy"]' ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .agent]' <<<"$output")" = '["success","weather-bot"]' ]
	[ "$(jq -c 'select(.kind == "message" and .from == "assistant" and .content == null) | .src.attributes' <<<"$output")" = \
		'{"llm.model_name":"gpt-4o","llm.token_count.prompt":40}' ]
	agraph-trace check --builtin terminates <<<"$output"
}

@test "otel: OpenLLMetry's names: gen_ai.prompt and gen_ai.completion, a tool span paired by name, a failed workflow" {
	run agraph-trace import otel "$OT/openllmetry.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = "message message call result message final" ]
	[ "$(jq -c 'select(.kind == "call") | [.tool, .id, .args]' <<<"$output")" = \
		'["get_weather","call_7",{"args":[],"kwargs":{"city":"Oslo"}}]' ]
	# traceloop.entity.output is JSON: "3 C, cloudy", not "\"3 C, cloudy\"".
	[ "$(jq -c 'select(.kind == "result") | [.call, .output]' <<<"$output")" = '["call_7","3 C, cloudy"]' ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason]' <<<"$output")" = '["failure","the model gave up"]' ]
	[ "$(jq -c 'select(.kind == "message" and .content == "I cannot tell.") | .src.message' <<<"$output")" = '{"finish_reason":"stop"}' ]
}

@test "otel: the older span events (gen_ai.user.message, gen_ai.choice) are a chat's messages" {
	run agraph-trace import otel "$OT/events.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.kind, .from, .content // .output // .tool]' <<<"$output" | paste -sd' ')" = \
		'["message","system","be brief"] ["message","user","weather?"] ["result",null,"sunny"] ["message","assistant","ok"] ["call",null,"ls"]' ]
	# A response to no call made before is kept, and marked unpaired.
	[ "$(jq -c 'select(.kind == "result") | [.call, .unpaired]' <<<"$output")" = '["t1",true]' ]
}

@test "otel: messages that are not JSON, or not a list of messages, are kept as text and flagged, not dropped" {
	run agraph-trace import otel "$OT/malformed.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.content_error) | [.step, .content_error]' <<<"$output" | paste -sd' ')" = \
		"[1,\"'}' expected near end of file\"] [2,\"not a list of messages\"] [3,\"a message that is not an object\"]" ]
	[ "$(jq -r 'select(.step == 2) | .content' <<<"$output")" = '{"role": "assistant"}' ]
	# Text parts joined by newlines; a part of another type kept under src.
	[ "$(jq -c 'select(.step == 4) | [.content, .src.message.parts[0].type]' <<<"$output")" = '["a\nb","reasoning"]' ]
	# A tool call no tool span runs is a call; the response to it its result.
	[ "$(jq -c 'select(.call == "c9" or .id == "c9") | [.kind, .tool, .args, .output]' <<<"$output" | paste -sd' ')" = \
		'["call","ls","{\"dir\": 1",null] ["result","ls",null,["x"]]' ]
	agraph-trace lint <<<"$output"
}

@test "otel: opentelemetry-proto's example trace imports: a span of no GenAI kind is a message" {
	run agraph-trace import otel "$DATA/otlp/examples/trace.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c '[.trace, .step, .kind, .ts, .src.name, .src.attributes]' <<<"$output")" = \
		'["5B8EFFF798038103D269B633813FC60C",1,"message",1544712660,"I'"'"'m a server span",{"my.span.attr":"some value"}]' ]
	agraph-trace lint <<<"$output"
}

# chain N: one trace of N spans, each the parent of the next, none naming an agent but the first.
chain() {
	jq -nc --argjson n "$1" '{resourceSpans: [{scopeSpans: [{spans: [range($n) | {traceId: "t", spanId: "s\(.)",
		name: "n\(.)", startTimeUnixNano: "\(. + 1)"} + (if . > 0 then {parentSpanId: "s\(. - 1)"}
		else {attributes: [{key: "gen_ai.agent.name", value: {stringValue: "top"}}]} end)]}]}]}'
}

@test "otel: a deep chain of spans takes time linear in its length, each taking the agent above it" {
	chain 30000 >"$BATS_TEST_TMPDIR/chain.json"
	run timeout 20 agraph-trace import otel "$BATS_TEST_TMPDIR/chain.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 30000 ]
	[ "$(jq -r .agent <<<"$output" | sort -u)" = top ]
}

@test "otel: parents in a cycle, or a span its own parent, end the look for an agent" {
	jq -nc '{resourceSpans: [{scopeSpans: [{spans: [
		{traceId: "t", spanId: "a", parentSpanId: "b", name: "A", startTimeUnixNano: "1"},
		{traceId: "t", spanId: "b", parentSpanId: "a", name: "B", startTimeUnixNano: "2",
		 attributes: [{key: "gen_ai.agent.name", value: {stringValue: "bee"}}]},
		{traceId: "t", spanId: "c", parentSpanId: "a", name: "C", startTimeUnixNano: "3"},
		{traceId: "t", spanId: "d", parentSpanId: "d", name: "D", startTimeUnixNano: "4"},
		{traceId: "t", spanId: "e", parentSpanId: "d", name: "E", startTimeUnixNano: "5"},
		{traceId: "t", spanId: "f", parentSpanId: "x", name: "F", startTimeUnixNano: "6"}]}]}]}' >"$BATS_TEST_TMPDIR/cycle.json"
	run timeout 20 agraph-trace import otel "$BATS_TEST_TMPDIR/cycle.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.src.name, .agent]' <<<"$output" | paste -sd' ')" = \
		'["A","bee"] ["B","bee"] ["C","bee"] ["D",null] ["E",null] ["F",null]' ]
}

@test "otel: a call id that recurs each turn pairs each chat's tool call with its own tool span" {
	# Three turns whose model calls call_0 each time, each run by a tool span of that id.
	jq -nc 'def a(k; v): {key: k, value: {stringValue: v}};
		{resourceSpans: [{scopeSpans: [{spans: [range(3) as $i | ["f", "g", "f"][$i] as $tool |
		{traceId: "t", spanId: "c\($i)", name: "chat", startTimeUnixNano: "\(10 * $i + 1)", endTimeUnixNano: "\(10 * $i + 2)",
		 attributes: [a("gen_ai.operation.name"; "chat"),
			a("gen_ai.input.messages"; [{role: "user", parts: [{type: "text", content: "go"}]}] | tojson),
			a("gen_ai.output.messages"; [{role: "assistant", parts: [{type: "tool_call", id: "call_0",
				name: $tool, arguments: {turn: $i}}]}] | tojson)]},
		{traceId: "t", spanId: "t\($i)", parentSpanId: "c\($i)", name: "tool", startTimeUnixNano: "\(10 * $i + 3)",
		 endTimeUnixNano: "\(10 * $i + 4)", attributes: [a("gen_ai.operation.name"; "execute_tool"),
			a("gen_ai.tool.name"; $tool), a("gen_ai.tool.call.id"; "call_0"), a("gen_ai.tool.call.result"; "r\($i)")]}
		]}]}]}' >"$BATS_TEST_TMPDIR/turns.json"
	run agraph-trace import otel "$BATS_TEST_TMPDIR/turns.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "call") | [.tool, .id, .args.turn]' <<<"$output" | paste -sd' ')" = \
		'["f","call_0",0] ["g","call_0",1] ["f","call_0",2]' ]
	[ "$(jq -c 'select(.kind == "result") | .output' <<<"$output" | paste -sd' ')" = '"r0" "r1" "r2"' ]
}

@test "otel: an intValue that is no 64-bit integer, and a bytesValue, are kept as written, not changed" {
	jq -nc '{resourceSpans: [{scopeSpans: [{spans: [{traceId: "t", spanId: "a", name: "x", startTimeUnixNano: "1",
		attributes: (([["big", "99999999999999999999"], ["word", "abc"], ["half", "1.5"], ["tail", "12x"],
			["max", "9223372036854775807"], ["min", "-9223372036854775808"]]
			| map({key: .[0], value: {intValue: .[1]}})) + [{key: "raw", value: {bytesValue: "aGk="}}])}]}]}]}' \
		>"$BATS_TEST_TMPDIR/ints.json"
	run agraph-trace import otel "$BATS_TEST_TMPDIR/ints.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"attributes":{"big":"99999999999999999999","word":"abc","half":"1.5","tail":"12x","max":9223372036854775807,"min":-9223372036854775808,"raw":"aGk="}'* ]]
}

@test "otel: a span time that is negative, past 2^64 or no number is an error with its place, the span kept" {
	jq -nc '{resourceSpans: [{scopeSpans: [{spans: [
		{traceId: "t", spanId: "a", name: "ok", startTimeUnixNano: "5000000000", endTimeUnixNano: 6000000000},
		{traceId: "t", spanId: "b", name: "real", startTimeUnixNano: 7.5e9},
		{traceId: "t", spanId: "c", name: "neg", startTimeUnixNano: "-5"},
		{traceId: "t", spanId: "d", name: "big", startTimeUnixNano: "18446744073709551616"},
		{traceId: "t", spanId: "e", name: "word", startTimeUnixNano: "12abc"}]}]}]}' >"$BATS_TEST_TMPDIR/times.json"
	run --separate-stderr agraph-trace import otel "$BATS_TEST_TMPDIR/times.json"
	[ "$status" -eq 2 ]
	[ "$(jq -c '[.src.name, .ts]' <<<"$output" | paste -sd' ')" = '["neg",0] ["big",0] ["word",0] ["ok",5] ["real",7.5]' ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${stderr_lines[0]}" = "agraph-trace: $BATS_TEST_TMPDIR/times.json:1:1: span c: startTimeUnixNano is not a time in nanoseconds: \"-5\"" ]
}

@test "otel: a message's role that is no string, parts that are no list, and a call's id that is no string are kept" {
	jq -nc 'def a(k; v): {key: k, value: {stringValue: v}};
		{resourceSpans: [{scopeSpans: [{spans: [{traceId: "t", spanId: "a", name: "chat", startTimeUnixNano: "1",
		 endTimeUnixNano: "2", attributes: [a("gen_ai.operation.name"; "chat"),
			a("gen_ai.input.messages"; [{role: "user", parts: "hello"}] | tojson),
			a("gen_ai.output.messages"; [{role: 5, parts: [{type: "tool_call", id: 7, name: ["x"]},
				{type: "tool_call_response", id: null, response: "r"}]}] | tojson)]}]}]}]}' >"$BATS_TEST_TMPDIR/shapes.json"
	run agraph-trace import otel "$BATS_TEST_TMPDIR/shapes.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.kind, .from, .src.message.role, .src.message.parts, .src.tool_call.id, .src.tool_call_response.response]' <<<"$output" | paste -sd' ')" = \
		'["message","user",null,"hello",null,null] ["message",null,5,null,null,null] ["call",null,null,null,7,null] ["result",null,null,null,null,"r"]' ]
}

@test "otel: a span exported twice (a retry) is written once; two that differ under one spanId are both written" {
	jq -nc 'def a(k; v): {key: k, value: {stringValue: v}};
		{traceId: "t", spanId: "c", name: "chat", startTimeUnixNano: "1", endTimeUnixNano: "2",
		 attributes: [a("gen_ai.operation.name"; "chat"),
			a("gen_ai.input.messages"; [{role: "user", parts: [{type: "text", content: "hi"}]}] | tojson),
			a("gen_ai.output.messages"; [{role: "assistant", parts: [{type: "tool_call", id: "c1", name: "f"}]}] | tojson)]} as $chat |
		{traceId: "t", spanId: "t", parentSpanId: "c", name: "tool", startTimeUnixNano: "3", endTimeUnixNano: "4",
		 attributes: [a("gen_ai.operation.name"; "execute_tool"), a("gen_ai.tool.name"; "f"), a("gen_ai.tool.call.id"; "c1")]} as $tool |
		{resourceSpans: [{scopeSpans: [{spans: [$chat, $tool]}]}]},
		{resourceSpans: [{scopeSpans: [{spans: [$chat, $tool, ($tool | .name = "other")]}]}]}' >"$BATS_TEST_TMPDIR/retry.json"
	run agraph-trace import otel "$BATS_TEST_TMPDIR/retry.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.kind, .src.name // "-"] | join(":")' <<<"$output" | paste -sd' ')" = \
		'message:- message:chat call:tool call:other result:- result:-' ]
}

@test "otel: empty lists left out, as protobuf's JSON mapping writes them, are empty; a list of the wrong type or an object of other keys is an error" {
	# An exporter with nothing to send writes {}; a resource or scope
	# with no spans may have no scopeSpans or spans key at all.
	printf '%s\n' '{}' '{"resourceSpans":[{"resource":{}}]}' \
		'{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"x"}}]}]}' \
		'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t","spanId":"a","name":"execute_tool f","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},{"key":"gen_ai.tool.name","value":{"stringValue":"f"}}]}]}]}]}' \
		>"$BATS_TEST_TMPDIR/sparse.ndjson"
	run --separate-stderr agraph-trace import otel "$BATS_TEST_TMPDIR/sparse.ndjson"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -r '[.kind, .tool] | join(" ")' <<<"$output" | paste -sd'|')" = "call f|result f" ]
	run --separate-stderr agraph-trace import otel <<<'{"messages":[]}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-trace: -:1:1: expected an object with a "resourceSpans" list' ]
	run --separate-stderr agraph-trace import otel <<<'{"resourceSpans":[{"scopeSpans":{}}]}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-trace: -:1:1: a resourceSpans entry whose "scopeSpans" is not a list' ]
	run --separate-stderr agraph-trace import otel <<<'{"resourceSpans":[{"scopeSpans":[{"spans":"x"}]}]}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-trace: -:1:1: a scopeSpans entry whose "spans" is not a list' ]
	for bad in '{"resourceSpans":[3]}:a resourceSpans entry that is not an object' \
		'{"resourceSpans":[{"scopeSpans":[null]}]}:a scopeSpans entry that is not an object' \
		'{"resourceSpans":[{"scopeSpans":[{"spans":[3]}]}]}:a span that is not an object'; do
		run --separate-stderr agraph-trace import otel <<<"${bad%%:a *}"
		[ "$status" -eq 2 ]
		[ "$stderr" = "agraph-trace: -:1:1: ${bad#*\}:}" ]
		[ -z "$output" ]
	done
}
