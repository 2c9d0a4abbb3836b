#!/usr/bin/env bats
# agraph-route --input and args:: the run's input as its first record, and
# each call's args evaluated from it and from the outputs completed; and
# backoff_ms:, the wait before a retry.

load helper

# graph FILE YAML: writes a graph for one test beside tests/tools.
graph() {
	mkdir -p "$BATS_TEST_TMPDIR/g"
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/g/$1"
	ln -sfn "$TOP/tests/tools" "$BATS_TEST_TMPDIR/tools"
}

IN='{"order": 7, "amount": 25, "who": "Ad\u00e9", "big": 9007199254740993}'

# a CRM whose answer the charge's args read; each tool prints what it got
FLOW='start: S
goal: G
nodes:
  CRM: {run: [../tools/crm.sh], args: {order: input.order}}
  Pay:
    run: [../tools/echo.sh]
    args: {amount: "input.amount * 2", customer: outputs.CRM.id, who: lower(input.who),
           big: input.big, none: input.nothing, list: "[input.order, \"x\"]", crm: outputs.CRM}
  G: {waypoint: true}
edges: [[S, CRM], [CRM, Pay], [Pay, G]]'

@test "--input is the run's first record, a message from user to the start node" {
	graph flow.yaml "$FLOW"
	run --separate-stderr agraph-route --exec --input "$IN" "$BATS_TEST_TMPDIR/g/flow.yaml"
	[ "$status" -eq 0 ]
	[ "$(head -n 1 <<<"$output")" = '{"trace":"","step":1,"kind":"message","from":"user","to":"S","content":{"order":7,"amount":25,"who":"Adé","big":9007199254740993}}' ]
	# before a --down tool's health record too
	run agraph-route --down Pay --input 1 "$BATS_TEST_TMPDIR/g/flow.yaml"
	[ "$(head -n 2 <<<"$output" | jq -c '[.step, .kind]' | paste -sd' ')" = '[1,"message"] [2,"health"]' ]
	# no --input, no record: runs stay as they were
	run agraph-route "$BATS_TEST_TMPDIR/g/flow.yaml"
	[ "$(count_kind message <<<"$output")" = 0 ]
}

@test "args: each call carries its args, from the input and the outputs of nodes completed, and the tool gets them" {
	graph flow.yaml "$FLOW"
	run --separate-stderr agraph-route --exec --input "$IN" "$BATS_TEST_TMPDIR/g/flow.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "call") | .args' <<<"$output" | paste -sd' ')" = \
		'{"order":7} {"amount":50,"customer":"c-42","who":"adé","big":9007199254740992,"none":null,"list":[7,"x"],"crm":{"id":"c-42","ok":true}} null' ]
	# past 2^53 exactly, as the input had it (jq above reads it as a double)
	grep -q '"kind":"call","tool":"Pay".*"big":9007199254740993,' <<<"$output"
	# echo.sh answers with the call record it read on stdin: the same args
	[ "$(jq -c 'select(.kind == "result" and .tool == "Pay") | .output.args' <<<"$output")" = \
		"$(jq -c 'select(.kind == "call" and .tool == "Pay") | .args' <<<"$output")" ]
}

@test "args: outputs hold only completed nodes; a node rerouted around has none" {
	graph reroute.yaml 'start: S
goal: G
nodes:
  Bad: {run: [../tools/fail.sh]}
  Good: {run: [../tools/crm.sh]}
  Use: {run: [../tools/echo.sh], args: {bad: outputs.Bad, good: outputs.Good.id, seen: "exists(outputs.Bad)"}}
  G: {waypoint: true}
edges: [[S, Bad, 1], [S, Good, 2], [Bad, Use, 1], [Good, Use, 1], [Use, G]]'
	run --separate-stderr agraph-route --exec "$BATS_TEST_TMPDIR/g/reroute.yaml"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "Bad Good Use G" ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "Use") | .args' <<<"$output")" = '{"bad":null,"good":"c-42","seen":false}' ]
}

@test "args: simulated runs carry them too, and contracts and monitors see them" {
	graph cap.yaml 'start: S
goal: G
nodes:
  refund: {args: {amount: input.amount}}
edges: [[S, refund], [refund, G]]
monitors:
  - {name: too-much, priority: 1, when: "kind == \"call\" && args.amount > 500", then: escalate}'
	printf '%s\n' 'contracts:' '  - name: refund-cap' \
		"    always: 'kind != \"call\" || tool != \"refund\" || args.amount <= 500'" >"$BATS_TEST_TMPDIR/cap.contract"
	agraph-route --input '{"amount": 200}' "$BATS_TEST_TMPDIR/g/cap.yaml" >"$BATS_TEST_TMPDIR/ok.ndjson"
	run agraph-trace check -c "$BATS_TEST_TMPDIR/cap.contract" "$BATS_TEST_TMPDIR/ok.ndjson"
	[ "$status" -eq 0 ]
	run agraph-route --input '{"amount": 900}' "$BATS_TEST_TMPDIR/g/cap.yaml"
	[ "$(jq -c 'select(.kind == "call" and .tool == "refund") | .args' <<<"$output")" = '{"amount":900}' ]
	agraph-route --input '{"amount": 900}' "$BATS_TEST_TMPDIR/g/cap.yaml" >"$BATS_TEST_TMPDIR/big.ndjson" || true
	run agraph-trace check -c "$BATS_TEST_TMPDIR/cap.contract" "$BATS_TEST_TMPDIR/big.ndjson"
	[ "$status" -eq 1 ]
	[[ $output == *refund-cap* ]]
	# the monitor fired on the call's args: an escalation, exit 1
	run agraph-route --monitors --input '{"amount": 900}' "$BATS_TEST_TMPDIR/g/cap.yaml"
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.kind == "health") | .monitor' <<<"$output")" = too-much ]
	run agraph-route --monitors --input '{"amount": 200}' "$BATS_TEST_TMPDIR/g/cap.yaml"
	[ "$status" -eq 0 ]
	# a monitor on the input itself escalates before anything is called
	graph in.yaml 'start: S
goal: G
edges: [[S, refund], [refund, G]]
monitors:
  - {name: big-order, priority: 1, when: "kind == \"message\" && content.amount > 500", then: escalate}'
	run agraph-route --monitors --input '{"amount": 900}' "$BATS_TEST_TMPDIR/g/in.yaml"
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.kind == "health") | [.monitor, .cause]' <<<"$output")" = '["big-order",1]' ]
	[ "$(count_kind call <<<"$output")" = 0 ]
}

@test "--input takes JSON, @FILE or @- (standard input); anything else is a located error, exit 2" {
	graph flow.yaml "$FLOW"
	G=$BATS_TEST_TMPDIR/g/flow.yaml
	first() { agraph-route "$@" "$G" | head -n 1 | jq -c .content; }
	[ "$(first --input '"text"')" = '"text"' ]
	[ "$(first --input '[1,2]')" = '[1,2]' ]
	printf '{"from": "file"}\n' >"$BATS_TEST_TMPDIR/in.json"
	[ "$(first --input "@$BATS_TEST_TMPDIR/in.json")" = '{"from":"file"}' ]
	[ "$(echo '{"from": "stdin"}' | first --input @-)" = '{"from":"stdin"}' ]
	run --separate-stderr agraph-route --input '{"amount": }' "$G"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ $stderr == "agraph-route: --input:1:12: "* ]]
	printf '{\n  "a": 1,\n  "b": nope\n}\n' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr agraph-route --input "@$BATS_TEST_TMPDIR/bad.json" "$G"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/bad.json:3:"* ]]
	run --separate-stderr agraph-route --input '1 2' "$G"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-route --input '' "$G"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-route --input "@$BATS_TEST_TMPDIR/none.json" "$G"
	[ "$status" -eq 2 ]
	[[ $stderr == *"none.json: No such file or directory" ]]
	run --separate-stderr agraph-route --coproc --input @- "$G"
	[ "$status" -eq 2 ]
	[[ $stderr == *"standard input is the coprocess's"* ]]
}

@test "--plan writes the plan alone, not the input" {
	graph flow.yaml "$FLOW"
	run agraph-route --plan --input "$IN" "$BATS_TEST_TMPDIR/g/flow.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c '.kind' <<<"$output")" = '"route"' ]
}

@test "agraph-replay --check decides a run with --input and args the same again; another input diverges" {
	graph flow.yaml "$FLOW"
	G=$BATS_TEST_TMPDIR/g/flow.yaml
	agraph-route --exec --input "$IN" "$G" >"$BATS_TEST_TMPDIR/run.ndjson" 2>/dev/null
	run agraph-replay --check "$G" "$BATS_TEST_TMPDIR/run.ndjson"
	[ "$status" -eq 0 ]
	# an amount changed in the recorded input: the call's args differ
	sed '1s/"amount":25/"amount":26/' "$BATS_TEST_TMPDIR/run.ndjson" >"$BATS_TEST_TMPDIR/other.ndjson"
	run agraph-replay --check "$G" "$BATS_TEST_TMPDIR/other.ndjson"
	[ "$status" -eq 1 ]
	[[ $output == *'"amount":52'* ]]
}

@test "args: must be a mapping of names to expressions, each compiled where it stands" {
	graph a.yaml 'start: S
goal: G
nodes:
  A: {args: [input.x]}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/a.yaml"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/g/a.yaml:4:"*"args"* ]]
	graph b.yaml 'start: S
goal: G
nodes:
  A:
    args:
      ok: input.x
      bad: "input.x +"
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/b.yaml"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/g/b.yaml:7:"* ]]
	graph c.yaml 'start: S
goal: G
nodes:
  A: {args: {x: {nested: input.x}}}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/c.yaml"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/g/c.yaml:4:"* ]]
	graph d.yaml 'start: S
goal: G
nodes:
  A: {args: {x: input.x, x: input.y}}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/d.yaml"
	[ "$status" -eq 2 ]
	[[ $stderr == *"duplicate key 'x'"* ]]
	graph e.yaml 'start: S
goal: G
nodes:
  A: {args: {"x\0y": input.x}}
edges: [[S, A], [A, G]]'
	run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/e.yaml"
	[ "$status" -eq 2 ]
	[[ $stderr == *"NUL"* ]]
}

@test "args: names of any kind arrive as written, in order, and 10000 of them cost no more than a call each" {
	{
		printf 'start: S\ngoal: G\nnodes:\n  A:\n    args:\n'
		printf '      "a \\" $(touch PWNED) é": input.x\n'
		for i in $(seq 1 10000); do printf '      k%d: input.x + %d\n' "$i" "$i"; done
		printf 'edges: [[S, A], [A, G]]\n'
	} >"$BATS_TEST_TMPDIR/many.yaml"
	cd "$BATS_TEST_TMPDIR"
	run agraph-route --input '{"x": 1}' many.yaml
	[ "$status" -eq 0 ]
	[ ! -e PWNED ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "A") | .args | keys_unsorted | .[0:3]' <<<"$output")" = '["a \" $(touch PWNED) é","k1","k2"]' ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "A") | .args | [length, .k10000]' <<<"$output")" = '[10001,10001]' ]
}

# backoff: the results of a tool that always fails, retried three times
BACKOFF='start: S
goal: G
nodes:
  A: {run: [../tools/fail.sh], retries: 3, backoff_ms: 40}
  B: {run: [../tools/json.sh]}
  G: {waypoint: true}
edges: [[S, A, 1], [S, B, 2], [A, G], [B, G]]'

waits() {
	jq -c 'select(.kind == "result" and .tool == "A") | .backoff_ms' | paste -sd' '
}

@test "backoff_ms: each retry waits longer, doubling, with jitter the seed draws: the same seed, the same waits" {
	graph b.yaml "$BACKOFF"
	run --separate-stderr agraph-route --exec --seed 1 "$BATS_TEST_TMPDIR/g/b.yaml"
	[ "$status" -eq 0 ]
	one=$(waits <<<"$output")
	read -r w1 w2 w3 w4 <<<"$one"
	# the first try waits nothing; then 20..40, 40..80, 80..160 ms
	[ "$w1" = null ]
	[ "$w2" -ge 20 ] && [ "$w2" -le 40 ]
	[ "$w3" -ge 40 ] && [ "$w3" -le 80 ]
	[ "$w4" -ge 80 ] && [ "$w4" -le 160 ]
	# and the run heals around A once its retries are spent
	[ "$(tools_called <<<"$output")" = "A A A A B G" ]
	run --separate-stderr agraph-route --exec --seed 1 "$BATS_TEST_TMPDIR/g/b.yaml"
	[ "$(waits <<<"$output")" = "$one" ]
	draws=$(for s in 2 3 4 5 6; do agraph-route --exec --seed $s "$BATS_TEST_TMPDIR/g/b.yaml" 2>/dev/null | waits; done | sort -u | wc -l)
	[ "$draws" -gt 1 ]
	# the waits are real: the retries' results come that much later
	run --separate-stderr agraph-route --exec --ts --seed 1 "$BATS_TEST_TMPDIR/g/b.yaml"
	jq -s -e '[.[] | select(.kind == "result" and .tool == "A")] | (.[3].ts - .[0].ts) * 1000 >= ([.[].backoff_ms // 0] | add)' <<<"$output"
}

@test "backoff_ms: a replay of the run decides the same again; a stop while it waits ends the run with the call out" {
	graph b.yaml "$BACKOFF"
	agraph-route --exec "$BATS_TEST_TMPDIR/g/b.yaml" >"$BATS_TEST_TMPDIR/run.ndjson" 2>/dev/null
	run agraph-replay --check "$BATS_TEST_TMPDIR/g/b.yaml" "$BATS_TEST_TMPDIR/run.ndjson"
	[ "$status" -eq 0 ]
	graph slow.yaml 'start: S
goal: G
nodes:
  A: {run: [../tools/fail.sh], retries: 1, backoff_ms: 60000}
  G: {waypoint: true}
edges: [[S, A], [A, G]]'
	agraph-route --exec "$BATS_TEST_TMPDIR/g/slow.yaml" >"$BATS_TEST_TMPDIR/out" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do [ "$(count_kind call <"$BATS_TEST_TMPDIR/out")" = 2 ] && break; sleep 0.05; done
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason]' <"$BATS_TEST_TMPDIR/out")" = '["unknown","stopped by signal 15 (Terminated) while call c2 was out"]' ]
}

@test "backoff_ms: a whole number of milliseconds, 0 (none) to a day" {
	for v in -1 1.5 86400001 '"x"'; do
		graph b.yaml "start: S
goal: G
nodes:
  A: {backoff_ms: $v}
edges: [[S, A], [A, G]]"
		run --separate-stderr agraph-route "$BATS_TEST_TMPDIR/g/b.yaml"
		[ "$status" -eq 2 ]
		[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/g/b.yaml:4:"*backoff_ms* ]]
	done
}
