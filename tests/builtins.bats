#!/usr/bin/env bats
# agraph-trace check --builtin: the five built-in contracts, and the SHR runs.

load helper

# check NAME RECORDS...: the verdicts of built-in NAME as pass or fail@STEP;
# or, when the exit status does not agree (a crash) or stderr is not empty,
# what happened, which no verdict equals.
check() {
	local name=$1 out v rc=0
	shift
	out=$(printf '%s\n' "$@" | agraph-trace check --format ndjson --builtin "$name" 2>"$BATS_TEST_TMPDIR/err") || rc=$?
	v=$(jq -r 'if .status == "pass" then "pass" else "fail@\(.step)" end' <<<"$out" | paste -sd' ' -)
	if [ "$rc" -ne "$([[ $v == *fail@* ]] && echo 1 || echo 0)" ] || [ -s "$BATS_TEST_TMPDIR/err" ]; then
		echo "exit $rc: $v $(cat "$BATS_TEST_TMPDIR/err")"
		return
	fi
	echo "$v"
}

@test "well-formed: kind, step, trace, ts and cause" {
	[ "$(check well-formed '{"step":1,"kind":"call"}' '{"step":2,"kind":"final"}')" = pass ]
	[ "$(check well-formed '{"step":1}')" = fail@1 ]
	[ "$(check well-formed '{"step":1,"kind":7}')" = fail@1 ]
	[ "$(check well-formed '{"kind":"call"}')" = fail@-1 ]
	[ "$(check well-formed '{"step":-3,"kind":"call"}')" = fail@-3 ]
	# A step written as a real is refused as the line is read (agraph-trace(5)).
	[ "$(check well-formed '{"step":1.5,"kind":"call"}')" = \
	    'exit 2:  agraph-trace: -:1:9: "step" must be an integer, not a real' ]
	[ "$(check well-formed '{"step":3,"kind":"a"}' '{"step":3,"kind":"b"}')" = fail@3 ]
	[ "$(check well-formed '{"step":3,"kind":"a"}' '{"step":2,"kind":"b"}')" = fail@2 ]
	[ "$(check well-formed '{"step":1,"kind":"a","ts":true}')" = fail@1 ]
	[ "$(check well-formed '{"step":1,"kind":"a","cause":1}')" = fail@1 ]
	[ "$(check well-formed '{"step":1,"kind":"a"}' '{"step":2,"kind":"b","cause":[1,"x"]}')" = fail@2 ]
}

@test "well-formed: steps increase per trace, not across traces" {
	[ "$(check well-formed '{"trace":"a","step":5,"kind":"x"}' '{"trace":"b","step":1,"kind":"x"}' '{"trace":"a","step":6,"kind":"x"}')" = "pass pass" ]
}

@test "terminates: exactly one final and nothing after it" {
	[ "$(check terminates '{"step":1,"kind":"call"}' '{"step":2,"kind":"final"}')" = pass ]
	[ "$(check terminates '{"step":1,"kind":"call"}' '{"step":2,"kind":"result"}')" = fail@2 ]
	# What follows the final is still the trace's, and breaks it: one verdict.
	[ "$(check terminates '{"step":1,"kind":"final"}' '{"step":2,"kind":"message"}')" = "fail@2" ]
	[ "$(check terminates '{"step":1,"kind":"final"}' '{"step":2,"kind":"final"}')" = "fail@2" ]
}

@test "answered: every call gets a result for its id" {
	[ "$(check answered '{"step":1,"kind":"call","id":"a"}' '{"step":2,"kind":"result","call":"a"}')" = pass ]
	[ "$(check answered '{"step":1,"kind":"call","id":"a"}' '{"step":2,"kind":"result","call":"b"}')" = fail@1 ]
	[ "$(check answered '{"step":1,"kind":"call"}')" = fail@1 ]
	# Repeated ids: a result answers the nearest open call, so step 1 stays open.
	[ "$(check answered '{"step":1,"kind":"call","id":"a"}' '{"step":2,"kind":"call","id":"a"}' '{"step":3,"kind":"result","call":"a"}')" = fail@1 ]
	[ "$(check answered '{"step":1,"kind":"call","id":"a"}' '{"step":2,"kind":"call","id":"a"}' '{"step":3,"kind":"result","call":"a"}' '{"step":4,"kind":"result","call":"a"}')" = pass ]
}

@test "observable: a failure must be retried, rerouted, escalated or end the run unsuccessfully" {
	err='{"step":1,"kind":"result","tool":"T","call":"a","status":"error"}'
	[ "$(check observable "$err" '{"step":2,"kind":"call","tool":"T","id":"b"}' '{"step":3,"kind":"final","status":"success"}')" = pass ]
	[ "$(check observable "$err" '{"step":2,"kind":"reroute"}' '{"step":3,"kind":"final","status":"success"}')" = pass ]
	[ "$(check observable "$err" '{"step":2,"kind":"demote"}' '{"step":3,"kind":"final","status":"demoted"}')" = pass ]
	[ "$(check observable "$err" '{"step":2,"kind":"escalate"}' '{"step":3,"kind":"final","status":"escalated"}')" = pass ]
	[ "$(check observable "$err" '{"step":2,"kind":"final","status":"failure"}')" = pass ]
	[ "$(check observable "$err" '{"step":2,"kind":"call","tool":"U","id":"b"}' '{"step":3,"kind":"final","status":"success"}')" = fail@3 ]
	[ "$(check observable "$err")" = fail@1 ]
	[ "$(check observable '{"step":1,"kind":"result","tool":"T","status":"timeout"}' '{"step":2,"kind":"final","status":"success"}')" = fail@2 ]
}

@test "no-repeat: the same call again, with no failure between" {
	c1='{"step":1,"kind":"call","tool":"pay","id":"a","args":{"amount":5,"to":"x"}}'
	[ "$(check no-repeat "$c1" '{"step":2,"kind":"result","call":"a","status":"ok"}' '{"step":3,"kind":"call","tool":"pay","id":"b","args":{"to":"x","amount":5}}')" = fail@3 ]
	[ "$(check no-repeat "$c1" '{"step":2,"kind":"result","call":"a","status":"error"}' '{"step":3,"kind":"call","tool":"pay","id":"b","args":{"to":"x","amount":5}}')" = pass ]
	[ "$(check no-repeat "$c1" '{"step":2,"kind":"result","tool":"pay","status":"timeout"}' '{"step":3,"kind":"call","tool":"pay","id":"b","args":{"to":"x","amount":5}}')" = pass ]
	[ "$(check no-repeat "$c1" '{"step":3,"kind":"call","tool":"pay","id":"b","args":{"amount":6,"to":"x"}}')" = pass ]
	[ "$(check no-repeat '{"step":1,"kind":"call","tool":"t","id":"a"}' '{"step":2,"kind":"call","tool":"t","id":"b"}')" = fail@2 ]
}

@test "--builtin all on every SHR scenario run: all pass" {
	while IFS=$'\t' read -r id graph name failing; do
		agraph-route --fail "${failing#-}" "$EX/$graph" --id "$id" || [ $? -eq 1 ]
	done < <(tail -n +2 "$EX/scenarios.tsv") >"$BATS_TEST_TMPDIR/all.ndjson"
	run agraph-trace check --builtin all "$BATS_TEST_TMPDIR/all.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = "19 traces, 95 verdicts: 95 pass, 0 fail" ]
}

@test "--policy fixed runs fail observable at the final success after a skipped failure" {
	while IFS=$'\t' read -r id graph name failing; do
		agraph-route --policy fixed --fail "${failing#-}" "$EX/$graph" --id "$id" || [ $? -eq 1 ]
	done < <(tail -n +2 "$EX/scenarios.tsv") >"$BATS_TEST_TMPDIR/static.ndjson"
	run agraph-trace check --builtin observable --format ndjson "$BATS_TEST_TMPDIR/static.ndjson"
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.status == "fail") | .trace' <<<"$output" | paste -sd' ')" = \
		"CS-2 CS-3 CS-4 CS-5 CS-6 CS-7 TB-2 TB-3 TB-4 TB-5 TB-6 CM-2 CM-3 CM-4 CM-5 CM-6" ]
	# Each names the first skipped failure and fails at the final record.
	while IFS=$'\t' read -r trace step reason; do
		first=$(jq -r --arg t "$trace" 'select(.trace == $t and .kind == "result" and .status == "error") | .step' "$BATS_TEST_TMPDIR/static.ndjson" | head -1)
		final=$(jq -r --arg t "$trace" 'select(.trace == $t and .kind == "final") | .step' "$BATS_TEST_TMPDIR/static.ndjson")
		[ "$step" = "$final" ]
		[[ $reason == "step $first ("* ]]
	done < <(jq -r 'select(.status == "fail") | [.trace, .step, .reason] | @tsv' <<<"$output")
}

@test "check with no contract checks every built-in" {
	agraph-route --fail Stripe "$EX/customer-support.yaml" >"$BATS_TEST_TMPDIR/r.ndjson"
	run agraph-trace check "$BATS_TEST_TMPDIR/r.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = "1 trace, 5 verdicts: 5 pass, 0 fail" ]
}

@test "--max-open bounds open obligations with a clear error" {
	for i in $(seq 1 20); do printf '{"trace":"t","step":%d,"kind":"call","id":"c%d"}\n' $i $i; done >"$BATS_TEST_TMPDIR/calls.ndjson"
	run --separate-stderr agraph-trace check --builtin answered --max-open 10 "$BATS_TEST_TMPDIR/calls.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $BATS_TEST_TMPDIR/calls.ndjson:11: more than 10 open obligations at step 11 (call c11) of trace t (raise --max-open)" ]
	run agraph-trace check --builtin answered --max-open 20 "$BATS_TEST_TMPDIR/calls.ndjson"
	[ "$status" -eq 1 ]
}

@test "stats --max-open bounds them too: its compliance contracts and its own" {
	for t in a b c; do
		printf '{"trace":"%s","step":1,"kind":"call","tool":"x","id":"c1"}\n' $t
		printf '{"trace":"%s","step":2,"kind":"result","tool":"x","call":"c1","status":"error"}\n' $t
	done >"$BATS_TEST_TMPDIR/open.ndjson"
	# Three traces, each with a failed result that nothing handles yet; the
	# third trace's call, open, is one more.
	run --separate-stderr agraph-trace stats --max-open 2 "$BATS_TEST_TMPDIR/open.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $BATS_TEST_TMPDIR/open.ndjson:5: more than 2 open obligations at step 1 (call x c1) of trace c (raise --max-open)" ]
	run --separate-stderr agraph-trace stats --max-open 3 "$BATS_TEST_TMPDIR/open.ndjson"
	[ "$status" -eq 0 ]
	[[ $output == *"runs                       3"* ]]
	# With a contract: the calls open at once count as well.
	grep '"kind":"call"' "$BATS_TEST_TMPDIR/open.ndjson" >"$BATS_TEST_TMPDIR/calls.ndjson"
	run --separate-stderr agraph-trace stats --builtin answered --max-open 2 "$BATS_TEST_TMPDIR/calls.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $BATS_TEST_TMPDIR/calls.ndjson:3: more than 2 open obligations at step 1 (call x c1) of trace c (raise --max-open)" ]
	run agraph-trace stats --json --builtin answered --max-open 3 "$BATS_TEST_TMPDIR/calls.ndjson"
	[ "$status" -eq 0 ]
}
