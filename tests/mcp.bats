#!/usr/bin/env bats
# agraph-mcp between real MCP peers: the official TypeScript SDK as client
# (tests/mcp/client.mjs) and as server (tests/mcp/server.mjs), and the
# third-party server-everything.  Pass-through fidelity, the record, the
# live faults, the policy, and the ends a session can come to.

load helper

setup() {
	M=$TOP/tests/mcp
	T=$BATS_TEST_TMPDIR
	[ -d "$M/node_modules/@modelcontextprotocol/sdk" ] ||
		skip "no MCP SDK: scripts/install-deps installs it"
}

# session STEPS [AGRAPH-MCP OPTIONS...]: the SDK client runs STEPS against
# the SDK server through agraph-mcp, recording to $T/rec; its lines are
# in $output, one per step.
session() {
	local steps=$1
	shift
	# shellcheck disable=SC2086
	run --separate-stderr node "$M/client.mjs" ${CLIENT_OPTS:-} "$steps" -- \
		agraph-mcp --record "$T/rec" "$@" -- node "$M/server.mjs"
	[ "$status" -eq 0 ] || { echo "client: exit $status: $stderr" >&2; return 1; }
}

# step_is TOOL FILTER: the client's line for the first call of TOOL
# meets the jq FILTER.
step_is() {
	echo "$output" | jq -e -s --arg t "$1" "map(select(.call == \$t))[0] | $2" >/dev/null
}

# direct STEPS: the same without agraph-mcp.
direct() {
	run --separate-stderr node "$M/client.mjs" "$1" -- node "$M/server.mjs"
	[ "$status" -eq 0 ]
}

@test "the client sees what it sees without agraph-mcp: newlines, Unicode, escapes, structured content, errors" {
	steps='[{"list":"tools"},{"call":"echo","args":{"text":"a\nb\r\n\t✓ 𝄞 \"q\" \\ \u0001 \u2028 end"}},
	        {"call":"add","args":{"a":1.5,"b":2}},{"call":"fail","args":{"message":"no"}},
	        {"call":"nosuch"},{"read":"mem://greeting"},{"prompt":"greet","args":{"name":"Ada"}},
	        {"list":"resources"},{"list":"prompts"},{"ping":true}]'
	direct "$steps"
	want=$output
	session "$steps"
	[ "$output" = "$want" ]
	step_is echo '.result.content[0].text == "a\nb\r\n\t✓ 𝄞 \"q\" \\ \u0001 \u2028 end"'
}

@test "messages pass byte for byte: the server gets the client's bytes, the client the server's" {
	# a recording server: cat's copy of what came in, then the desk's answers
	cat >"$T/server" <<-EOF
	#!/bin/sh
	tee "$T/in" | "$EX/mcp/desk" | tee "$T/out"
	EOF
	chmod +x "$T/server"
	printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"clientInfo":{"name":"x"}} }' \
		'{ "jsonrpc" : "2.0", "id":1,"method":"tools/call","params":{"name":"lookup","arguments":{"order":"\u00e9\u2028"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/whatever","params":{"n":1.10}}' >"$T/sent"
	agraph-mcp -- "$T/server" <"$T/sent" >"$T/got"
	cmp "$T/sent" "$T/in"
	cmp "$T/out" "$T/got"
}

@test "the record: a call and a result per tools/call, the agent, the args, the content, a final; it passes every built-in contract" {
	session '[{"call":"echo","args":{"text":"hi"}},{"call":"add","args":{"a":1,"b":2}},{"call":"echo","args":{"text":"again"}}]' --trace s1
	jq -e -s 'length == 7 and all(.trace == "s1") and ([.[].step] == [1,2,3,4,5,6,7])' "$T/rec"
	jq -e -s '.[0] | .kind == "call" and .tool == "echo" and .agent == "agraph-test-client" and .args == {"text":"hi"} and (.id | type) == "string"' "$T/rec"
	jq -e -s '[.[] | select(.kind == "result")][1] | .status == "ok" and .output == [{"type":"text","text":"3"}] and .structured == {"sum":3} and (.duration_ms | type) == "number"' "$T/rec"
	jq -e -s 'last | .kind == "final" and .status == "success"' "$T/rec"
	run agraph-trace check --builtin all "$T/rec"
	[ "$status" -eq 0 ]
	[[ $output == *"5 pass, 0 fail"* ]]
}

@test "a tool error (isError) and a JSON-RPC error are results of status error; a failure left standing makes the final a failure" {
	session '[{"call":"fail","args":{"message":"card declined"}}]'
	jq -e -s '.[1] | .status == "error" and .error.class == "tool" and .error.message == "card declined"' "$T/rec"
	jq -e -s 'last | .status == "failure" and (.reason | test("fail failed at step 2"))' "$T/rec"
	agraph-trace check --builtin all "$T/rec"
	# the desk answers an unknown tool with a JSON-RPC error
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nosuch"}}' >"$T/in"
	run agraph-mcp --record "$T/rec" -- "$EX/mcp/desk" <"$T/in"
	[ "$status" -eq 1 ]
	jq -e -s '.[1] | .status == "error" and .error.class == "jsonrpc" and .error.code == -32602 and .error.message == "unknown tool nosuch"' "$T/rec"
}

@test "a failure retried is not left standing" {
	session '[{"call":"fail","args":{"message":"once"}},{"call":"fail","args":{"message":"twice"}},{"call":"echo","args":{"text":"x"}}]'
	jq -e -s 'last | .status == "failure"' "$T/rec"
	session '[{"call":"fail","args":{"message":"once"}},{"call":"echo","args":{"text":"x"}}]'
	run jq -r -s 'last.status' "$T/rec"
	[ "$output" = failure ]
}

@test "calls in parallel are answered each to its own, and recorded each with its own result" {
	session '[{"parallel":[{"call":"slow","args":{"ms":300}},{"call":"echo","args":{"text":"quick"}},{"call":"slow","args":{"ms":100}}]}]'
	[ "$(echo "$output" | jq -r 'select(.call) | .result.content[0].text' | paste -sd' ')" = "slept 300 quick slept 100" ]
	jq -e -s '[.[] | select(.kind == "result") | .tool] == ["echo","slow","slow"]' "$T/rec"
	agraph-trace check --builtin answered,well-formed "$T/rec"
}

@test "progress, logging, sampling and roots pass through both ways" {
	session '[{"call":"count","args":{"n":3},"progress":true},{"call":"ask","args":{"question":"ok?"}},{"call":"roots"}]'
	step_is count '.progress == [1, 2, 3] and .logs == ["counted 3"] and .result.content[0].text == "counted 3"'
	step_is ask '.result.content[0].text == "sampled: ok?"'
	step_is roots '.result.content[0].text == "file:///tmp/root"'
}

@test "a cancelled call: the server is told, the record says cancelled, the session goes on" {
	session '[{"call":"slow","args":{"ms":5000},"cancel_ms":200},{"call":"echo","args":{"text":"after"}}]'
	step_is slow '.error.message | test("cancelled")'
	step_is echo '.result.content[0].text == "after"'
	jq -e -s '[.[] | select(.kind == "result")][0] | .tool == "slow" and .error.class == "cancelled"' "$T/rec"
	agraph-trace check --builtin well-formed,answered,terminates "$T/rec"
}

@test "a huge answer passes whole, and is recorded" {
	session '[{"call":"big","args":{"bytes":3000000}}]'
	[ "$(echo "$output" | jq -r 'select(.call) | .result.content[0].text | length')" = 3000000 ]
	jq -e -s '.[1].output[0].text | length == 3000000' "$T/rec"
}

@test "a message longer than --max-message from the client is refused with an error, the session goes on" {
	CLIENT_OPTS="--timeout 2000" session '[{"call":"echo","args":{"text":"'"$(head -c 5000 /dev/zero | tr '\0' a)"'"}},{"call":"echo","args":{"text":"short"}}]' --max-message 2000
	echo "$output" | jq -e -s 'map(select(.call == "echo")) | (.[0].error.code == -32001) and .[1].result.content[0].text == "short"'
	[[ $stderr == *"agraph-mcp: client:"*"a message of more than 2000 bytes: not passed on"* ]]
}

@test "an answer longer than --max-message ends the session: every request in flight gets a JSON-RPC error" {
	session '[{"call":"big","args":{"bytes":100000}},{"call":"echo","args":{"text":"x"}}]' --max-message 50000
	step_is big '.error.message | test("longer than agraph-mcp takes")'
	jq -e -s 'last | .status == "failure" and (.reason | test("longer"))' "$T/rec"
	[[ $stderr == *"agraph-mcp: server:"*"a message of more than 50000 bytes: the session ends"* ]]
}

@test "the server dies in the middle of a call: the call gets a JSON-RPC error, the record a result and a final failure" {
	session '[{"parallel":[{"call":"slow","args":{"ms":3000}},{"call":"die","args":{"code":3}}]},{"call":"echo","args":{"text":"x"}}]'
	step_is slow '.error.message | test("the server exited with status 3")'
	jq -e -s '[.[] | select(.kind == "result")] | length == 2 and all(.error.class == "server-exit")' "$T/rec"
	jq -e -s 'last | .kind == "final" and .status == "failure" and .reason == "the server exited with status 3"' "$T/rec"
	agraph-trace check --builtin well-formed,answered,terminates,observable "$T/rec"
}

@test "agraph-mcp's exit: 0 after a session that ended well, 1 when the server died, 2 when it cannot start" {
	printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}' >"$T/in"
	run agraph-mcp -- "$EX/mcp/desk" <"$T/in"
	[ "$status" -eq 0 ]
	run agraph-mcp --record "$T/rec" -- sh -c 'exit 4' <"$T/in"
	[ "$status" -eq 1 ]
	jq -e '.kind == "final" and .reason == "the server exited with status 4"' "$T/rec"
	run --separate-stderr agraph-mcp -- "$T/no such server" <"$T/in"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-mcp: "*"no such server"*": not found" ]]
}

@test "a server that hangs and ignores SIGTERM is killed after the grace, and the call in flight is recorded" {
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}' >"$T/in"
	run --separate-stderr timeout 20 agraph-mcp --grace 200 --record "$T/rec" -- sh -c 'trap "" TERM; exec sleep 60' <"$T/in"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.id == 1 and .error.code == -32000'
	jq -e -s '.[1].error.class == "session-end" and .[2].reason == "1 call had no answer when the session ended"' "$T/rec"
}

@test "a server that writes garbage: passed on with a warning, and what it answers after still counts" {
	cat >"$T/server" <<-'EOF'
	#!/bin/sh
	echo 'not json at all'
	while read -r line; do
		id=$(printf '%s' "$line" | jq '.id')
		echo '{"jsonrpc":"2.0","id":'"$id"',"result":{"content":[{"type":"text","text":"ok"}]}}'
	done
	EOF
	chmod +x "$T/server"
	printf '%s\n' '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t"}}' >"$T/in"
	run --separate-stderr agraph-mcp --record "$T/rec" -- "$T/server" <"$T/in"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 'not json at all' ]
	[[ $stderr == *"agraph-mcp: server:1:"*"passed on as it is"* ]]
	jq -e -s '.[1].status == "ok" and last.status == "success"' "$T/rec"
}

@test "the client disconnects with calls in flight: the server is ended, the record has them all" {
	(
		printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"gone","version":"1"}}}'
		printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
		printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":30000}}}'
		sleep 1
	) | timeout 20 agraph-mcp --grace 300 --record "$T/rec" -- node "$M/server.mjs" >/dev/null || true
	jq -e -s 'length == 3 and .[0].agent == "gone" and .[1].error.class == "session-end" and .[2].kind == "final"' "$T/rec"
}

@test "garbage, a duplicate key and a batch with a call from the client are answered, not passed on" {
	printf '%s\n' 'hello' \
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"lookup","name":"refund"}}' \
		'[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"refund"}}]' \
		'{"jsonrpc":"2.0","id":3,"method":"ping"}' >"$T/in"
	run --separate-stderr agraph-mcp --record "$T/rec" -- "$EX/mcp/desk" <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | jq -c '[.id, .error.code]')" = '[null,-32700]' ]
	[ "$(echo "${lines[1]}" | jq -c '[.id, .error.code]')" = '[null,-32700]' ]
	[ "$(echo "${lines[2]}" | jq -c '[.[0].id, .[0].error.code]')" = '[2,-32600]' ]
	[ "$(echo "${lines[3]}" | jq -c '.id')" = 3 ]
	jq -e -s 'length == 1' "$T/rec"
}

@test "a tools/call without an id, or with one MCP does not allow, does not reach the server" {
	printf '%s\n' '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"refund","arguments":{"amount":1}}}' \
		'{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"refund","arguments":{"amount":2}}}' \
		'{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"refund","arguments":{"amount":3}}}' \
		'{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"refund","arguments":{"amount":4}}}' \
		'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search\u0000refund","arguments":{"amount":5}}}' \
		'{"jsonrpc":"2.0","id":"s-1","method":"tools/call","params":{"name":"search","arguments":{"q":"x"}}}' >"$T/in"
	cat >"$T/server" <<-EOF
	#!/bin/sh
	tee "$T/got" | "$EX/mcp/desk"
	EOF
	chmod +x "$T/server"
	run --separate-stderr agraph-mcp --record "$T/rec" -- "$T/server" <"$T/in"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.id, .error.code]' <<<"$output" | paste -sd' ')" = '[null,-32600] [{"a":1},-32600] [1.5,-32600] [9,-32602] ["s-1",null]' ]
	[ "$(jq -r .params.name "$T/got")" = search ]
	[[ $stderr == *"client:1:"*"a tools/call without an id: not passed on"* ]]
	jq -e -s '.[0].id == "s-1" and .[1].status == "ok"' "$T/rec"
}

@test "a client that stops reading does not make agraph-mcp hang or grow without end" {
	steps='[{"call":"big","args":{"bytes":2000000}}]'
	# the client's side read by no one for a while: the server's answer waits in the pipes
	printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big","arguments":{"bytes":2000000}}}' >"$T/in"
	(sleep 1; cat "$T/in"; sleep 6) | timeout 30 agraph-mcp --record "$T/rec" -- node "$M/server.mjs" | (sleep 2; wc -c) >"$T/n"
	[ "$(cat "$T/n")" -gt 2000000 ]
	jq -e -s '.[1].status == "ok"' "$T/rec"
	: "$steps"
}

@test "SIGTERM ends the session at once: the server is ended, the record finished, exit 143" {
	mkfifo "$T/fifo"
	agraph-mcp --record "$T/rec" -- node "$M/server.mjs" <"$T/fifo" >/dev/null &
	pid=$!
	exec 7>"$T/fifo"
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":30000}}}' >&7
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 143 ]
	jq -e -s '.[1].error.class == "session-end" and last.kind == "final" and last.status == "failure"' "$T/rec"
}

# ---- faults ------------------------------------------------------------

@test "-f error: the server never sees the call; the client gets a tool error; the record a fault" {
	session '[{"call":"echo","args":{"text":"a"}},{"call":"echo","args":{"text":"b"}}]' -f error:tool=echo,nth=1,message=gateway\ down
	echo "$output" | jq -e -s '.[0].result.isError == true and .[0].result.content[0].text == "gateway down" and .[1].result.content[0].text == "b"'
	jq -e -s '[.[] | select(.kind == "fault")] | length == 1 and .[0].fault == "error" and .[0].target == 3' "$T/rec"
	jq -e -s '.[2] | .kind == "result" and .status == "error" and .error.class == "injected" and .cause == 2' "$T/rec"
	agraph-trace check --builtin all "$T/rec"
}

@test "-f timeout: the answer comes after ms=, as a tool error; a client that gives up first cancels it" {
	session '[{"call":"echo","args":{"text":"a"}}]' -f timeout:ms=300
	step_is echo '.result.isError == true and (.result.content[0].text | test("timed out"))'
	jq -e -s '.[2] | .status == "timeout" and .duration_ms == 300' "$T/rec"
	run --separate-stderr node "$M/client.mjs" --timeout 2000 '[{"call":"echo","args":{"text":"a"}},{"call":"echo","args":{"text":"b"}}]' -- \
		agraph-mcp --record "$T/rec" -f timeout:ms=60000,nth=1 -- node "$M/server.mjs"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e -s '(.[0].error.code == -32001) and .[1].result.content[0].text == "b"'
}

@test "-f latency holds the real answer back; corrupt, H and CIL change it; the record says what the client got" {
	start=$(date +%s%N)
	session '[{"call":"echo","args":{"text":"the refund is 20"}}]' -f latency:ms=400
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 400 ]
	jq -e -s '.[2].duration_ms >= 400 and .[1].fault == "latency"' "$T/rec"
	session '[{"call":"echo","args":{"text":"the refund is 20"}}]' -f 'H:text=(approved: 2000)'
	step_is echo '.result.content[0].text == "the refund is 20 (approved: 2000)"'
	jq -e -s '.[2].output[0].text == "the refund is 20 (approved: 2000)"' "$T/rec"
	session '[{"call":"echo","args":{"text":"the refund is 20"}}]' -f CIL
	step_is echo '.result.content[0].text == "the refu"'
	session '[{"call":"echo","args":{"text":"abcdef"}}]' -f corrupt:mode=truncate
	step_is echo '.result.content[0].text == "abc"'
}

@test "-f with p= and --seed: the same seed hits the same calls" {
	steps='[{"call":"echo","args":{"text":"1"}},{"call":"echo","args":{"text":"2"}},{"call":"echo","args":{"text":"3"}},{"call":"echo","args":{"text":"4"}},{"call":"echo","args":{"text":"5"}},{"call":"echo","args":{"text":"6"}}]'
	session "$steps" -f error:p=0.5 --seed 7
	a=$(echo "$output" | jq -c '.result.isError // false' | paste -sd' ')
	session "$steps" -f error:p=0.5 --seed 7
	[ "$(echo "$output" | jq -c '.result.isError // false' | paste -sd' ')" = "$a" ]
	[[ $a == *true* && $a == *false* ]]
}

@test "faults that cannot hit a live call are refused before the server starts" {
	run --separate-stderr agraph-mcp -f drop -- node "$M/server.mjs"
	[ "$status" -eq 2 ]
	[[ $stderr == *"drop cannot hit a real call: it changes the stream of records, which agraph-mcp writes itself"* ]]
	run --separate-stderr agraph-mcp -f TSE -- node "$M/server.mjs"
	[ "$status" -eq 2 ]
	[[ $stderr == *"TSE cannot hit a real call: it changes the call, which the client makes"* ]]
}

# ---- policy ------------------------------------------------------------

@test "--govern: a blocked call never reaches the server; the client gets a tool error naming the rule and its reason" {
	cat >"$T/p.yaml" <<-'EOF'
	policy: test
	rules:
	  - name: no-die
	    when: 'tool == "die"'
	    then: block
	    reason: the server must live
	  - name: big-needs-a-person
	    when: 'tool == "big" && args.bytes > 10'
	    then: escalate
	    reason: large answers are reviewed
	EOF
	session '[{"call":"die","args":{"code":1}},{"call":"big","args":{"bytes":100}},{"call":"echo","args":{"text":"alive"}}]' --govern "$T/p.yaml"
	echo "$output" | jq -e -s '.[0].result.isError and .[0].result.content[0].text == "blocked by policy rule no-die: the server must live"'
	echo "$output" | jq -e -s '.[1].result.isError and (.[1].result.content[0].text | startswith("escalated by policy rule big-needs-a-person: large answers are reviewed"))'
	echo "$output" | jq -e -s '.[2].result.content[0].text == "alive"'
	jq -e -s '[.[] | select(.kind == "govern") | .decision] == ["block","escalate"]' "$T/rec"
	jq -e -s '[.[] | select(.kind == "result") | .error.class // "ok"] == ["blocked","escalated","ok"]' "$T/rec"
	run agraph-trace stats "$T/rec"
	[[ $output == *"govern block               1"* ]]
}

@test "--govern rewrite: the server receives the rewritten arguments, the record says what changed" {
	cat >"$T/p.yaml" <<-'EOF'
	rules:
	  - name: mask
	    when: 'tool == "echo" && args.text =~ "^card "'
	    then: rewrite
	    set: {args.text: '"card ****"'}
	EOF
	session '[{"call":"echo","args":{"text":"card 4242"}}]' --govern "$T/p.yaml"
	step_is echo '.result.content[0].text == "card ****"'
	jq -e -s '.[0].args.text == "card ****" and .[1].kind == "govern" and .[1].changed == ["args.text"] and .[1].cause == 1' "$T/rec"
}

@test "--govern capability limits: tools/list shows the agent only its tools, and a call of another is blocked" {
	cat >"$T/p.yaml" <<-'EOF'
	agents:
	  agraph-test-client: [echo, add]
	EOF
	session '[{"list":"tools"},{"call":"fail","args":{"message":"x"}}]' --govern "$T/p.yaml"
	[ "$(echo "${lines[0]}" | jq -c .names)" = '["echo","add"]' ]
	echo "${lines[1]}" | jq -e '.result.isError and (.result.content[0].text | test("agent agraph-test-client may not call fail"))'
	run --separate-stderr node "$M/client.mjs" --name other '[{"list":"tools"}]' -- agraph-mcp --govern "$T/p.yaml" -- node "$M/server.mjs"
	[ "$(echo "${lines[0]}" | jq '.names | length')" -gt 2 ]
}

@test "a policy that cannot be loaded is an error before the server starts" {
	printf 'rules: [{name: x, then: maybe}]\n' >"$T/bad.yaml"
	run --separate-stderr agraph-mcp --govern "$T/bad.yaml" -- node "$M/server.mjs"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-mcp: $T/bad.yaml:1:"* ]]
}

# ---- a third-party server ----------------------------------------------

@test "server-everything through agraph-mcp: its tools listed, its echo recorded, the same answers as direct" {
	E=$M/node_modules/@modelcontextprotocol/server-everything/dist/index.js
	steps='[{"list":"tools"},{"call":"echo","args":{"message":"héllo\nworld"}},{"list":"prompts"},{"list":"resources"}]'
	run --separate-stderr node "$M/client.mjs" "$steps" -- node "$E" stdio
	[ "$status" -eq 0 ]
	want=$output
	run --separate-stderr node "$M/client.mjs" "$steps" -- agraph-mcp --record "$T/rec" -- node "$E" stdio
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	echo "${lines[0]}" | jq -e '.names | index("echo") != null'
	jq -e -s '.[0].tool == "echo" and .[0].args.message == "héllo\nworld" and .[1].status == "ok"' "$T/rec"
	agraph-trace check --builtin all "$T/rec"
}

# ---- the command line --------------------------------------------------

@test "usage: no server, --append without --record, bad numbers" {
	run --separate-stderr agraph-mcp
	[ "$status" -eq 2 ]
	[[ $stderr == *"no server given"* ]]
	run --separate-stderr agraph-mcp --append -- true
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-mcp --max-message 0 -- true
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-mcp --grace x -- true
	[ "$status" -eq 2 ]
	run agraph-mcp --help
	[ "$status" -eq 0 ]
	[[ $output == "usage: agraph-mcp "* ]]
}

@test "--append adds a session to the record; the server's own options are its own" {
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"q":"a"}}}' >"$T/in"
	agraph-mcp --record "$T/rec" --trace one -- "$EX/mcp/desk" <"$T/in" >/dev/null
	agraph-mcp --record "$T/rec" --append --trace two -- "$EX/mcp/desk" <"$T/in" >/dev/null
	[ "$(jq -r .trace "$T/rec" | uniq | paste -sd' ')" = "one two" ]
	run --separate-stderr agraph-mcp -- sh -c 'echo "$1"' sh --record
	[ "$output" = --record ]
}

@test "a record that cannot be written: exit 2, said why, the session still relayed" {
	[ -w /dev/full ] || skip "no /dev/full"
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"q":"a"}}}' >"$T/in"
	run --separate-stderr agraph-mcp --record /dev/full -- "$EX/mcp/desk" <"$T/in"
	[ "$status" -eq 2 ]
	[[ $stderr == *"agraph-mcp: /dev/full: cannot be written"* ]]
	echo "$output" | jq -e '.id == 1 and .result.content[0].text == "2 notes mention a"'
}
