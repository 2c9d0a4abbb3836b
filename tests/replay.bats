#!/usr/bin/env bats
# agraph-replay: identity, counterfactuals, --missing, --diff, bad input.

load helper

setup() {
	CS=$EX/customer-support.yaml
	CLEAN=$BATS_TEST_TMPDIR/clean.ndjson
	agraph-route "$CS" >"$CLEAN"
}

@test "--help and --version" {
	run agraph-replay --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: agraph-replay "* ]]
	run agraph-replay --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-replay "[0-9]* ]]
}

@test "--diff --format, not -f: -f is agraph-inject's fault" {
	agraph-route "$CS" >"$BATS_TEST_TMPDIR/a"
	run --separate-stderr agraph-replay --diff -f ndjson "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/a"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-replay: invalid option -- 'f'" ]
	run --separate-stderr agraph-replay --diff --format json "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/a"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-replay: --format takes text or ndjson, not 'json'" ]
}

@test "--check: each of the 19 SHR runs replays to itself, under both policies" {
	local n=0
	while IFS=$'\t' read -r id graph name failing; do
		[ "$id" != id ] || continue
		fail=${failing#-}
		for policy in heal static; do
			exits 0,1 agraph-route --policy $policy --fail "$fail" --id "$id" "$EX/$graph" >"$BATS_TEST_TMPDIR/run"
			run agraph-replay --policy $policy --check "$EX/$graph" "$BATS_TEST_TMPDIR/run"
			[ "$status" -eq 0 ] || { echo "$id $policy: $output"; false; }
			[ "$output" = "1 trace replayed, 0 diverged" ]
			n=$((n + 1))
		done
	done <"$EX/scenarios.tsv"
	[ "$n" -eq 38 ]
}

@test "replay writes the router's records byte for byte, interleaved traces apart" {
	agraph-route --fail Stripe --id a "$CS" >"$BATS_TEST_TMPDIR/a"
	agraph-route --down Email --id b "$CS" >"$BATS_TEST_TMPDIR/b"
	paste -d'\n' "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep . >"$BATS_TEST_TMPDIR/mixed"
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/mixed"
	[ "$status" -eq 0 ]
	[ "$output" = "2 traces replayed, 0 diverged" ]
	agraph-replay "$CS" "$BATS_TEST_TMPDIR/mixed" >"$BATS_TEST_TMPDIR/out"
	# Each trace comes out whole when it ends.
	grep '"trace":"a"' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/a"
	grep '"trace":"b"' "$BATS_TEST_TMPDIR/out" | cmp - "$BATS_TEST_TMPDIR/b"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | wc -l)" ]
}

@test "--check: monitors and outside health records replay too" {
	agraph-route --monitors --fail Email:status=timeout "$EX/support.yaml" >"$BATS_TEST_TMPDIR/m"
	run agraph-replay --monitors --check "$EX/support.yaml" "$BATS_TEST_TMPDIR/m"
	[ "$status" -eq 0 ]
	[ "$output" = "1 trace replayed, 0 diverged" ]
	input='{"kind":"health","tool":"Email","status":"down"}
{"kind":"result","call":"c1","status":"ok"}
{"kind":"health","tool":"Email","status":"up"}
{"kind":"result","call":"c2","status":"ok","output":{"id":7}}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}'
	agraph-route --coproc "$CS" <<<"$input" >"$BATS_TEST_TMPDIR/h"
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/h"
	[ "$status" -eq 0 ]
	[ "$output" = "1 trace replayed, 0 diverged" ]
}

@test "--check: a diverging run gives its first step, both records and exit 1" {
	agraph-route --monitors --fail Email:status=timeout "$EX/support.yaml" >"$BATS_TEST_TMPDIR/m"
	run agraph-replay --check "$EX/support.yaml" "$BATS_TEST_TMPDIR/m"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "support: step 8 differs ($BATS_TEST_TMPDIR/m:8)" ]]
	[[ ${lines[1]} == '  recorded: {"trace":"support","step":8,"kind":"health",'*'"monitor":"slow-email"'* ]]
	[[ ${lines[2]} == '  replayed: {"trace":"support","step":8,"kind":"call","tool":"Email","id":"c4","attempt":2}' ]]
	[ "${lines[3]}" = "1 trace replayed, 1 diverged" ]
}

@test "--check: a recording cut short, or run on, is a divergence" {
	head -n 5 "$CLEAN" >"$BATS_TEST_TMPDIR/short"
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/short"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "customer-support: step 6 differs (the recording ends before it)" ]]
	[ "${lines[1]}" = "  recorded: (nothing)" ]
}

@test "--fail on a recording is the run that --fail would have made" {
	# Every program of a pipeline must succeed, not only the last.
	set -o pipefail
	agraph-route --fail Stripe "$CS" >"$BATS_TEST_TMPDIR/want"
	agraph-route --fail Stripe "$CS" | agraph-replay "$CS" | cmp - "$BATS_TEST_TMPDIR/want"
	# From the clean recording, Razorpay was never called: --missing ok fills it in, marked.
	agraph-replay --missing ok --fail Stripe "$CS" "$CLEAN" 2>"$BATS_TEST_TMPDIR/err" | jq -c 'del(.unrecorded)' |
		cmp - "$BATS_TEST_TMPDIR/want"
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "agraph-replay: customer-support: 1 call had no recorded result, answered ok (--missing)" ]
}

@test "--down and another graph are counterfactuals too" {
	run --separate-stderr agraph-replay --missing ok --down Stripe "$CS" "$CLEAN"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	[ "$(jq -r 'select(.kind == "health") | .tool + " " + .status' <<<"$output")" = "Stripe down" ]
	# The same recording walked on a graph where Stripe is dearer than Razorpay.
	sed 's/\[CRM, Stripe, 0.3\]/[CRM, Stripe, 0.9]/' "$CS" >"$BATS_TEST_TMPDIR/dear.yaml"
	run --separate-stderr agraph-replay --missing ok "$BATS_TEST_TMPDIR/dear.yaml" "$CLEAN"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	[[ $output == *'"tool":"Razorpay","call":"c2","status":"ok","unrecorded":true'* ]]
}

@test "--missing stop (the default) ends with final unknown and exit 1" {
	run --separate-stderr agraph-replay --fail Stripe "$CS" "$CLEAN"
	[ "$status" -eq 1 ]
	[ "$(tail -n 1 <<<"$output" | jq -c '[.kind, .status, .reason]')" = \
		'["final","unknown","the recording has no result for call c3 of Razorpay"]' ]
	[ -z "$stderr" ]
}

@test "--missing ok and error answer, mark the record and say so on stderr" {
	run --separate-stderr agraph-replay --missing ok --fail Stripe "$CS" "$CLEAN"
	[ "$status" -eq 0 ]
	[ "$(final_status <<<"$output")" = success ]
	[ "$(jq -c 'select(.unrecorded) | .tool' <<<"$output")" = '"Razorpay"' ]
	[ "$stderr" = "agraph-replay: customer-support: 1 call had no recorded result, answered ok (--missing)" ]
	run --separate-stderr agraph-replay --missing error --fail Stripe "$CS" "$CLEAN"
	[ "$status" -eq 1 ]
	[ "$(final_status <<<"$output")" = escalated ]
	[ "$(jq -c 'select(.unrecorded) | [.tool, .status, .error.class]' <<<"$output")" = '["Razorpay","error","unrecorded"]' ]
}

@test "a trace from agraph-inject replays its fault before the result it changed" {
	agraph-inject -f error:tool=Stripe "$CLEAN" >"$BATS_TEST_TMPDIR/inj"
	run --separate-stderr agraph-replay --missing ok "$CS" "$BATS_TEST_TMPDIR/inj"
	[ "$status" -eq 0 ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = \
		"route call result call fault result reroute call result call result call result final" ]
	[ "$(jq -c 'select(.kind == "fault") | [.step, .tool, .target, .fault]' <<<"$output")" = '[5,"Stripe",6,"error"]' ]
	[ "$(jq -c 'select(.cause == 5) | .kind' <<<"$output")" = '"result"' ]
}

@test "a fault record is replayed once, before the first record that names it; faults of one step in their order" {
	{
		echo '{"trace":"t","step":1,"kind":"call","tool":"CRM","id":"c1"}'
		echo '{"trace":"t","step":3,"kind":"fault","tool":"CRM","fault":"latency","ms":5}'
		echo '{"trace":"t","step":3,"kind":"fault","tool":"CRM","fault":"latency","ms":7}'
		echo '{"trace":"t","step":9,"kind":"fault","tool":"SMS","fault":"down"}'
		echo '{"trace":"t","step":4,"kind":"result","tool":"CRM","call":"c1","status":"ok","cause":3}'
		echo '{"trace":"t","step":5,"kind":"result","tool":"Stripe","call":"c2","status":"ok","cause":3}'
		echo '{"trace":"t","step":6,"kind":"result","tool":"Email","call":"c3","status":"ok","cause":3}'
		echo '{"trace":"t","step":7,"kind":"result","tool":"Complete","call":"c4","status":"ok","cause":-1}'
	} >"$BATS_TEST_TMPDIR/rec"
	run --separate-stderr agraph-replay "$CS" "$BATS_TEST_TMPDIR/rec"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "fault") | [.tool, .ms]' <<<"$output" | paste -sd' ')" = '["CRM",5] ["Stripe",7]' ]
	[ "$(jq -r .kind <<<"$output" | paste -sd' ')" = \
		"route call fault result call fault result call result call result final" ]
}

@test "replay is deterministic with p= failures and a seed" {
	# Each run's status and stderr are checked, and the output must not be
	# empty: three crashes would agree too.
	run --separate-stderr agraph-replay --missing ok --fail Stripe:p=0.5,Email:p=0.5 --seed 7 "$CS" "$CLEAN"
	[ "$status" -eq 0 ]
	[ "$stderr" = "agraph-replay: customer-support: 1 call had no recorded result, answered ok (--missing)" ]
	[ -n "$output" ]
	first=$output first_err=$stderr
	for i in 2 3; do
		run --separate-stderr agraph-replay --missing ok --fail Stripe:p=0.5,Email:p=0.5 --seed 7 "$CS" "$CLEAN"
		[ "$status" -eq 0 ]
		[ "$stderr" = "$first_err" ]
		[ "$output" = "$first" ]
	done
}

@test "--diff: a faulty run against its clean twin" {
	agraph-route --fail Stripe "$CS" >"$BATS_TEST_TMPDIR/faulty"
	run agraph-replay --diff "$CLEAN" "$BATS_TEST_TMPDIR/faulty"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "customer-support: differs at step 5 of A ($CLEAN:5), step 5 of B ($BATS_TEST_TMPDIR/faulty:5)" ]
	[[ ${lines[2]} == '  B: {"trace":"customer-support","step":5,"kind":"result","tool":"Stripe","call":"c2","status":"error"'* ]]
	[ "${lines[4]}" = "    calls     A: Email Complete" ]
	[ "${lines[5]}" = "              B: Razorpay Email Complete" ]
	[ "${lines[6]}" = "    reroutes  A: 0, B: 1" ]
	[ "${lines[7]}" = "    final     A: success, B: success" ]
	run agraph-replay --diff "$CLEAN" "$CLEAN"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--diff: fault records are set aside and listed; steps they move do not count" {
	agraph-inject -f error:tool=Email "$CLEAN" >"$BATS_TEST_TMPDIR/inj"
	run agraph-replay --diff --format ndjson "$CLEAN" "$BATS_TEST_TMPDIR/inj"
	[ "$status" -eq 1 ]
	[ "$(jq -c '[.differs.a.step, .differs.b.step, .differs.b.record.status]' <<<"$output")" = '[7,8,"error"]' ]
	[ "$(jq -c '.faults' <<<"$output")" = '{"a":[],"b":[{"fault":"error","tool":"Email","step":7}]}' ]
	# A hand-made pair: the same run, one record's field changed.
	printf '%s\n' '{"trace":"t","step":1,"kind":"call","tool":"x","id":"c1"}' \
		'{"trace":"t","step":2,"kind":"result","tool":"x","call":"c1","status":"ok"}' >"$BATS_TEST_TMPDIR/p"
	sed '2s/"ok"/"timeout"/' "$BATS_TEST_TMPDIR/p" >"$BATS_TEST_TMPDIR/q"
	run agraph-replay --diff "$BATS_TEST_TMPDIR/p" "$BATS_TEST_TMPDIR/q"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "t: differs at step 2 of A ("*"p:2), step 2 of B ("*"q:2)" ]]
	[ "${lines[7]}" = "    final     A: none, B: none" ]
}

@test "--diff: traces paired by id; one only on one side differs" {
	agraph-route --id x "$CS" >"$BATS_TEST_TMPDIR/a"
	agraph-route --id y "$CS" >>"$BATS_TEST_TMPDIR/a"
	agraph-route --id y "$CS" >"$BATS_TEST_TMPDIR/b"
	run agraph-replay --diff "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 1 ]
	[ "$output" = "x: only in A" ]
	# One trace on each side: compared whatever their ids.
	agraph-route --id z "$CS" >"$BATS_TEST_TMPDIR/z"
	run agraph-replay --diff "$BATS_TEST_TMPDIR/b" "$BATS_TEST_TMPDIR/z"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "y: differs at step 1 of A"* ]]
}

@test "bad input: a clear error, exit 2, and every good trace still replayed" {
	run agraph-replay "$CS" /nonexistent
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-replay: /nonexistent: No such file or directory" ]
	run agraph-replay "$EX/nonexistent.yaml" "$CLEAN"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-replay: $EX/nonexistent.yaml: "* ]]
	{ cat "$CLEAN"; echo '{"trace":"b","step":1,"kind":"result","tool":"CRM","call":"c1","status":"maybe"}'; echo '{"trace":"c",'; } >"$BATS_TEST_TMPDIR/bad"
	run --separate-stderr agraph-replay "$CS" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-replay: $BATS_TEST_TMPDIR/bad:11:1: result status must be \"ok\", \"error\" or \"timeout\"" ]
	[[ ${stderr_lines[1]} == "agraph-replay: $BATS_TEST_TMPDIR/bad:12:14: expected a string key" ]]
	[ "$(jq -r .trace <<<"$output" | uniq | paste -sd' ')" = "customer-support b" ]
	run agraph-replay --missing maybe "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-replay: --missing takes stop, ok or error, not 'maybe'" ]
	run agraph-replay --fail Nowhere "$CS" "$CLEAN"
	[ "$status" -eq 2 ]
	[[ $output == *"'Nowhere' is not a node of the graph"* ]]
	run agraph-replay --diff "$CLEAN"
	[ "$status" -eq 2 ]
	run agraph-replay
	[ "$status" -eq 2 ]
}

@test "output: a closed pipe ends quietly; a full disk is exit 2" {
	for i in $(seq 300); do cat "$CLEAN"; done | sed 's/"customer-support"/"r"/' >"$BATS_TEST_TMPDIR/many"
	# The status is agraph-replay's, not head's.
	run --separate-stderr bash -c "agraph-replay '$CS' '$BATS_TEST_TMPDIR/many' | head -1; exit \${PIPESTATUS[0]}"
	closed_quietly "$status"
	[ -z "$stderr" ]
	[ "$output" = "$(head -1 "$BATS_TEST_TMPDIR/many")" ]
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "agraph-replay '$CS' '$CLEAN' >/dev/full"
	[ "$status" -eq 2 ]
	[[ $stderr == *"stdout: No space left on device"* ]]
	run --separate-stderr bash -c "agraph-replay --check '$CS' '$CLEAN' >/dev/full"
	[ "$status" -eq 2 ]
}

@test "--goal: a nearer goal replays to itself" {
	agraph-route --goal Email "$CS" >"$BATS_TEST_TMPDIR/g"
	run agraph-replay --goal Email --check "$CS" "$BATS_TEST_TMPDIR/g"
	[ "$status" -eq 0 ]
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/g"
	[ "$status" -eq 1 ]
}
