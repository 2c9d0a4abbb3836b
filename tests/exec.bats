#!/usr/bin/env bats
# agraph-route --exec: the graph's real tools (tests/tools/) run as child
# processes, their outcomes the router's results.

load helper

G=$DATA/exec.yaml

# gone PID: the process has ended and been reaped (agraph-route reaps
# what its tools leave, whatever init does).
gone() {
	[ ! -e "/proc/$1" ]
}

# graph FILE YAML: writes a graph for one test beside tests/data's tools.
graph() {
	mkdir -p "$BATS_TEST_TMPDIR/g"
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/g/$1"
	ln -sfn "$TOP/tests/tools" "$BATS_TEST_TMPDIR/tools"
}

@test "--exec runs each node's tool: JSON output, an exit that fails, a timeout, each rerouted around" {
	run --separate-stderr agraph-route --exec --id t1 "$G"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "Lookup Charge Slow Backup Notify Done" ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Lookup") | .output' <<<"$output")" = '{"ok":true,"n":2}' ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Charge") | [.status, .error]' <<<"$output")" = \
		'["error",{"class":"exit","message":"card declined","exit_code":3,"retryable":false}]' ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Slow") | [.status, .error.class, .error.message]' <<<"$output")" = \
		'["timeout","timeout","no answer in 300 ms"]' ]
	[ "$(count_kind reroute <<<"$output")" = 2 ]
	# stdin is the call record; the environment names trace, tool, call, attempt
	[ "$(jq -c 'select(.kind == "result" and .tool == "Backup") | .output' <<<"$output")" = \
		'{"trace":"t1","step":10,"kind":"call","tool":"Backup","id":"c4"}' ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "Notify") | .output' <<<"$output" | cut -d'|' -f1-4)" = "t1|Notify|c5|1" ]
	# every result carries its measured duration; a waypoint runs nothing
	[ "$(jq -c 'select(.kind == "result") | .duration_ms | type' <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }' | paste -sd' ')" = '1 "null" 5 "number"' ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "Done") | .duration_ms' <<<"$output")" = null ]
	# the timed-out tool got at least its 300 ms
	[ "$(jq -c 'select(.kind == "result" and .tool == "Slow") | .duration_ms >= 300' <<<"$output")" = true ]
	# the tools' stderr is agraph-route's, never its stdout
	[[ $stderr == *"card declined"* ]]
	[ "$(wc -l <<<"$output")" -eq 16 ]
	agraph-trace check --builtin all <<<"$output"
}

@test "--exec: a program that cannot be run is a failed result the router heals around" {
	graph missing.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/no-such-tool]}
  B: {run: [../tools/json.sh]}
  C: {run: [../tools/noexec.sh]}
  G: {waypoint: true}
edges: [[S, A, 1], [S, C, 2], [S, B, 3], [A, G, 1], [B, G, 1], [C, G, 1]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/missing.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.kind == "result") | [.tool, .status, .error.class // "-"] | join(" ")' <<<"$output" | paste -sd,)" = \
		"A error spawn,C error spawn,B ok -,G ok -" ]
	[ "$(final_status <<<"$output")" = success ]
}

@test "--exec: arguments arrive literally, never through a shell" {
	graph args.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/args.sh, "$(touch PWNED)", "a b", "", ";", "*"]}
  G: {waypoint: true}
edges: [[S, A], [A, G]]'
	cd "$BATS_TEST_TMPDIR"
	run agraph-route --exec g/args.yaml
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "A") | .output' <<<"$output")" = '"$(touch PWNED)\na b\n\n;\n*"' ]
	[ ! -e PWNED ] && [ ! -e g/PWNED ]
}

@test "--exec: retries run the tool again, AGRAPH_ATTEMPT counting" {
	graph flaky.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/flaky.sh], retries: 1}
  G: {waypoint: true}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/flaky.yaml"
	[ "$status" -eq 0 ]
	[ "$stderr" = "busy, try again" ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "A") | [.status, .error.exit_code, .output]' <<<"$output" | paste -sd' ')" = \
		'["error",75,null] ["ok",null,"done"]' ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "A") | .attempt' <<<"$output" | paste -sd' ')" = "null 2" ]
}

@test "--exec: a tool killed by any signal names it, a real-time one or one with no abbreviation too" {
	graph sigs.yaml 'start: S
goal: G
nodes:
  A: {run: [sh, -c, "kill -s RTMIN+3 $$"]}
  B: {run: [sh, -c, "kill -16 $$"]}
  C: {run: [sh, -c, "kill -s SEGV $$"]}
  G: {waypoint: true}
edges: [[S, A], [S, B, 2], [S, C, 3], [A, G], [B, G], [C, G]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/sigs.yaml"
	[ "$(jq -c 'select(.kind == "result" and .tool != "G") | [.error.class, .error.signal, .error.message]' <<<"$output" | paste -sd' ')" = \
		'["signal","SIGRTMIN+3","killed by SIGRTMIN+3"] ["signal","SIGSTKFLT","killed by SIGSTKFLT"] ["signal","SIGSEGV","killed by SIGSEGV"]' ]
}

@test "--exec: output past the node's max_output is an error result, the tool stopped" {
	graph flood.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/flood.sh], max_output: 1000}
  B: {run: [../tools/text.sh]}
  G: {waypoint: true}
edges: [[S, A], [S, B, 2], [A, G], [B, G]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/flood.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "A") | [.status, .error.class, .output]' <<<"$output")" = '["error","output",null]' ]
	[ "$(tools_called <<<"$output")" = "A B G" ]
}

@test "--exec: an output that would make a record longer than a trace line holds (64 MiB) is an error result" {
	# 11200000 control bytes are 67200000 bytes of JSON
	graph big.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/controls.sh, 11200000], max_output: 12000000}
  B: {run: [../tools/controls.sh, 1000], max_output: 12000000}
  G: {waypoint: true}
edges: [[S, A], [S, B, 2], [A, G], [B, G]]'
	agraph-route --exec "$BATS_TEST_TMPDIR/g/big.yaml" >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/out")" -lt 100000 ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "A") | [.status, .error.class, .error.message, .output]' "$BATS_TEST_TMPDIR/out")" = \
		'["error","output","output of 67200002 bytes as JSON: more than a trace line holds (64 MiB)",null]' ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "B") | [.status, (.output | length)]' "$BATS_TEST_TMPDIR/out")" = '["ok",1000]' ]
	agraph-trace check --builtin all "$BATS_TEST_TMPDIR/out"
}

@test "--exec: a timeout leaves nothing of the tool's process group running" {
	graph group.yaml "start: S
goal: G
nodes:
  A: {run: [../tools/grandchild.sh, $BATS_TEST_TMPDIR/pid], timeout_ms: 200}
  G: {waypoint: true}
edges: [[S, A], [S, G, 5], [A, G]]"
	run agraph-route --exec "$BATS_TEST_TMPDIR/g/group.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "A") | .status' <<<"$output")" = timeout ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ -n "$pid" ]
	# the grandchild ignored SIGTERM: SIGKILL ended it with its group
	sleep 0.2
	gone "$pid"
}

@test "--exec: a stop signal cancels the running tool, and the run ends with a final that says so, exit 128 + n" {
	graph slow.yaml "start: S
goal: G
nodes:
  A: {run: [../tools/grandchild.sh, $BATS_TEST_TMPDIR/pid]}
  G: {waypoint: true}
edges: [[S, A], [A, G]]"
	agraph-route --exec "$BATS_TEST_TMPDIR/g/slow.yaml" >"$BATS_TEST_TMPDIR/out" &
	router=$!
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/pid" ] && break; sleep 0.1; done
	# (SIGTERM: a shell starts a background job with SIGINT ignored)
	kill -TERM "$router"
	rc=0
	wait "$router" || rc=$?
	[ "$rc" -eq 143 ]
	# the tool did not fail: the run stops with its call out, no healing
	[ "$(jq -r .kind "$BATS_TEST_TMPDIR/out" | paste -sd' ')" = "route call final" ]
	[ "$(jq -r 'select(.kind == "final") | [.status, .reason] | join(": ")' "$BATS_TEST_TMPDIR/out")" = \
		"unknown: stopped by signal 15 (Terminated) while call c1 was out" ]
	sleep 0.2
	gone "$(cat "$BATS_TEST_TMPDIR/pid")"
}

@test "--exec: a node with no run: is refused where the graph names it, exit 2; waypoint: true passes one" {
	graph norun.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/json.sh]}
edges:
  - [S, A]
  - [A, G]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/norun.yaml"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "agraph-route: $BATS_TEST_TMPDIR/g/norun.yaml:2:7: node 'G' has no run: (--exec runs every node but the start; waypoint: true passes one)" ]
	# without --exec the same graph walks as before
	run agraph-route "$BATS_TEST_TMPDIR/g/norun.yaml"
	[ "$status" -eq 0 ]
	# an alternative names its node too
	graph alt.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/json.sh], alternative: B}
  G: {waypoint: true}
edges: [[S, A], [A, G], [S, B], [B, G]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/alt.yaml"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: $BATS_TEST_TMPDIR/g/alt.yaml:4:45: node 'B' has no run: (--exec runs every node but the start; waypoint: true passes one)" ]
}

@test "run: must be a list of strings, the program first and not empty; waypoint: true or false, and a waypoint runs nothing" {
	local bad
	for bad in 'run: ./tool' 'run: []' 'run: [""]' 'run: [[a]]' 'run: {a: 1}' 'waypoint: yes' 'waypoint: 1' \
		'run: [./tool], waypoint: true' 'waypoint: true, run: [./tool]'; do
		graph bad.yaml "start: S
goal: G
nodes:
  A: {$bad}
edges: [[S, A], [A, G]]"
		run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/bad.yaml"
		[ "$status" -eq 2 ] || { echo "$bad: exit $status"; return 1; }
		[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/g/bad.yaml:4:"* ]] || { echo "$bad: $stderr"; return 1; }
	done
}

@test "--exec does not go with --coproc, --plan or --fail: exit 2" {
	run agraph-route --exec --coproc "$G"
	[ "$status" -eq 2 ]
	run agraph-route --exec --plan "$G"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-route --exec --fail Lookup "$G"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --fail simulates a tool, --exec runs it: they do not go together" ]
}

@test "--exec --down: a tool known down is planned around and never run" {
	run agraph-route --exec --down Charge "$G"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "Lookup Slow Backup Notify Done" ]
}

@test "agraph-replay --check decides a recorded --exec run the same again" {
	agraph-route --exec "$G" >"$BATS_TEST_TMPDIR/run.ndjson" 2>/dev/null
	run agraph-replay --check "$G" "$BATS_TEST_TMPDIR/run.ndjson"
	[ "$status" -eq 0 ]
}

@test "agraph-tool(7) shows examples/tools/charge as it is" {
	# the first literal block of EXAMPLES, mdoc's \e an escaped backslash
	shown=$(awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Bd -literal/ { lit = 1; next }
		lit && /^\.Ed/ { exit } lit { gsub(/\\e/, "\\"); print }' "$TOP/man/agraph-tool.7")
	[ -n "$shown" ]
	[ "$shown" = "$(grep -v '^#' "$EX/tools/charge")" ]
}

@test "--exec --ts: each result says when it came; without --ts no record has a ts; --ts alone is a usage error" {
	before=$(date +%s)
	run --separate-stderr agraph-route --exec --ts "$G"
	[ "$status" -eq 0 ]
	after=$(date +%s)
	[ "$(jq -c --argjson a "$before" --argjson b "$after" 'select(.kind == "result") | .ts >= $a and .ts <= $b + 1' <<<"$output" | sort -u)" = true ]
	[ "$(jq -c 'select(.kind != "result") | .ts' <<<"$output" | sort -u)" = null ]
	run --separate-stderr agraph-route --exec "$G"
	[ "$(jq -c '.ts' <<<"$output" | sort -u)" = null ]
	run --separate-stderr agraph-route --ts "$G"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --ts goes with --exec: only real calls take time" ]
}

@test "--exec --probe: a tool whose probe fails is reported down before the walk and never called" {
	cd "$EX"
	run --separate-stderr env SHOP_DOWN=stripe,sms agraph-route --exec --input '{"order": 7, "amount": 25}' --probe shop.yaml
	[ "$status" -eq 0 ]
	# in the graph's node order; passing probes write nothing
	[ "$(jq -c 'select(.kind == "health") | [.step, .tool, .status, .probe.class, .probe.exit_code, .probe.message]' <<<"$output" | paste -sd' ')" = \
		'[2,"stripe","down","exit",1,"stripe: no answer"] [3,"sms","down","exit",1,"sms: no answer"]' ]
	[ "$(jq -c 'select(.kind == "route") | [.path, .cause]' <<<"$output")" = '[["Start","lookup","paypal","email","Done"],3]' ]
	[ "$(tools_called <<<"$output")" = "lookup paypal email Done" ]
	[ "$(count_kind reroute <<<"$output")" = 0 ]
	# nothing down: no health record at all
	run --separate-stderr agraph-route --exec --input '{"order": 7, "amount": 25}' --probe shop.yaml
	[ "$(count_kind health <<<"$output")" = 0 ]
}

@test "--exec --probe: the probes run at once, not one after another" {
	# each probe waits until all four have started; one at a time, each
	# would give up and report its tool down
	mkdir "$BATS_TEST_TMPDIR/marks"
	graph probes.yaml "start: S
goal: G
nodes:
  A: {run: [../tools/json.sh], probe: [../tools/barrier.sh, $BATS_TEST_TMPDIR/marks, 4]}
  B: {run: [../tools/json.sh], probe: [../tools/barrier.sh, $BATS_TEST_TMPDIR/marks, 4]}
  C: {run: [../tools/json.sh], probe: [../tools/barrier.sh, $BATS_TEST_TMPDIR/marks, 4]}
  D: {run: [../tools/json.sh], probe: [../tools/barrier.sh, $BATS_TEST_TMPDIR/marks, 4]}
  G: {waypoint: true}
edges: [[S, A], [A, B], [B, C], [C, D], [D, G]]"
	run --separate-stderr agraph-route --exec --probe "$BATS_TEST_TMPDIR/g/probes.yaml"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(count_kind health <<<"$output")" = 0 ]
	[ "$(ls "$BATS_TEST_TMPDIR/marks" | paste -sd' ')" = "A B C D" ]
}

@test "--exec --probe: probes that find three tools down make the pre-flight of preflight: 3" {
	graph pre.yaml 'start: S
goal: G
preflight: 3
nodes:
  A: {run: [../tools/json.sh], probe: [../tools/fail.sh]}
  B: {run: [../tools/json.sh], probe: [../tools/fail.sh]}
  C: {run: [../tools/json.sh], probe: [../tools/fail.sh]}
  D: {run: [../tools/json.sh], probe: [../tools/json.sh]}
  G: {waypoint: true}
edges: [[S, A], [S, B], [S, C], [S, D, 9], [A, G], [B, G], [C, G], [D, G]]'
	run --separate-stderr agraph-route --exec --probe "$BATS_TEST_TMPDIR/g/pre.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.kind, (.tool // .purpose // empty)] | join(" ")' <<<"$output" | head -5 | paste -sd,)" = \
		"health A,health B,health C,model preflight,route" ]
	[ "$(tools_called <<<"$output")" = "D G" ]
}

@test "--probe goes with --exec; probe: is an argv as run: is" {
	run --separate-stderr agraph-route --probe "$G"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --probe goes with --exec: probes are real programs" ]
	graph badprobe.yaml 'start: S
goal: G
nodes:
  A: {probe: ./ping}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/badprobe.yaml"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: $BATS_TEST_TMPDIR/g/badprobe.yaml:4:14: probe must be a list of strings, the program first, such as [./tool, --flag]" ]
}

@test "--exec: a daemon a tool started outside its process group (setsid) is ended and reaped after the call" {
	command -v setsid >/dev/null || skip "no setsid"
	graph escape.yaml "start: S
goal: G
nodes:
  A: {run: [../tools/escape.sh, $BATS_TEST_TMPDIR/pid]}
  G: {waypoint: true}
edges: [[S, A], [A, G]]"
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/escape.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "A") | [.status, .output]' <<<"$output")" = '["ok",{"x":1}]' ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ -n "$pid" ]
	gone "$pid"
}
