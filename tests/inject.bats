#!/usr/bin/env bats
# agraph-inject: faults, selectors, rates, fault records, determinism.

load helper

setup() {
	H=$BATS_TEST_TMPDIR/healed.ndjson
	agraph-route "$EX/customer-support.yaml" >"$H"
	M=$BATS_TEST_TMPDIR/messages.ndjson
	printf '%s\n' '{"trace":"m","step":1,"kind":"message","from":"user","to":"planner","content":"book a trip"}' \
		'{"trace":"m","step":2,"kind":"message","from":"planner","to":"booker","content":"flight to Oslo"}' \
		'{"trace":"m","step":3,"kind":"final","status":"success"}' >"$M"
}

# inject ARGS...: runs agraph-inject, failing unless it exits 0 with nothing
# on stderr: its output is then in $output, its fault records in $faults.
# (Inside $(...), a crash would only have given less output to compare.)
inject() {
	run --separate-stderr agraph-inject "$@"
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || {
		echo "agraph-inject $*: exit $status${stderr:+: $stderr}" >&2
		return 1
	}
	faults=$(jq -c 'select(.kind == "fault")' <<<"$output")
}

@test "--help, --version, --list" {
	run agraph-inject --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: agraph-inject "* ]]
	run agraph-inject --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-inject "[0-9]* ]]
	run agraph-inject --list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "error      result   the result fails:"* ]]
	[ "${#lines[@]}" -ge 10 ]
}

@test "no fault: the output is the input, byte for byte" {
	# A pipeline fails when any of its programs does, not only the last.
	set -o pipefail
	agraph-inject "$H" | cmp - "$H"
	agraph-inject -f error:tool=Nothing "$H" | cmp - "$H"
}

@test "error: a fault record, then the failed result, later steps moved up" {
	run agraph-inject -f error:tool=Stripe,class=http "$H"
	[ "$status" -eq 0 ]
	[ "${lines[4]}" = '{"trace":"customer-support","step":5,"kind":"fault","fault":"error","tool":"Stripe","target":5,"params":{"class":"http"},"renumbered":true}' ]
	[ "${lines[5]}" = '{"trace":"customer-support","step":6,"kind":"result","tool":"Stripe","call":"c2","status":"error","error":{"class":"http","message":"injected by agraph-inject","retryable":false},"cause":5}' ]
	# Records before the fault keep their bytes; later ones only move.
	[ "$(head -4 <<<"$output")" = "$(head -4 "$H")" ]
	[ "$(jq -c 'del(.step)' <<<"${lines[6]}")" = "$(sed -n 6p "$H" | jq -c 'del(.step)')" ]
	[ "$(jq -s '[.[].step] | . == (sort | unique)' <<<"$output")" = true ]
	run agraph-trace check --builtin well-formed,answered <<<"$output"
	[ "$status" -eq 0 ]
}

@test "the pipeline: a recorded run with an injected failure fails observable" {
	agraph-inject -f error:tool=Stripe "$H" >"$BATS_TEST_TMPDIR/inj"
	run agraph-trace check --builtin observable <"$BATS_TEST_TMPDIR/inj"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "trace customer-support: observable: FAIL at step 11: step 6 (Stripe error) was not retried, rerouted or escalated, yet step 11 (final) says success" ]
}

@test "timeout, latency, corrupt" {
	inject -f timeout:tool=CRM "$H"
	[ "$(jq -c 'select(.kind == "result" and .tool == "CRM") | [.status, .error.class]' <<<"$output")" = '["timeout","timeout"]' ]
	inject -f latency:tool=CRM,ms=250 "$H"
	[ "$(jq -c 'select(.kind == "result" and .tool == "CRM") | .duration_ms' <<<"$output")" = 250 ]
	printf '%s\n' '{"trace":"c","step":1,"kind":"result","tool":"rag","output":"twelve chars"}' >"$BATS_TEST_TMPDIR/o.ndjson"
	inject -f corrupt:mode=truncate "$BATS_TEST_TMPDIR/o.ndjson"
	[ "$(jq -r 'select(.kind == "result") | .output' <<<"$output")" = "twelve" ]
	inject -f corrupt:mode=type "$BATS_TEST_TMPDIR/o.ndjson"
	[ "$(jq -c 'select(.kind == "result") | .output' <<<"$output")" = 0 ]
	inject -f corrupt:mode=remove "$BATS_TEST_TMPDIR/o.ndjson"
	[ "$(jq -c 'select(.kind == "result") | has("output")' <<<"$output")" = false ]
}

@test "drop: the result is gone and answered sees it" {
	inject -f drop:tool=Email "$H"
	[ "$(wc -l <<<"$output")" -eq "$(wc -l <"$H")" ]
	run agraph-trace check --builtin answered <<<"$output"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == *"call c3 to Email at step 6 has no result" ]]
}

@test "duplicate: copies after the record, each a step of its own" {
	inject -f duplicate:tool=CRM,count=2 "$H"
	[ "$(jq -c 'select(.kind == "result" and .tool == "CRM") | .step' <<<"$output" | paste -sd' ')" = "4 5 6" ]
	[ "$(wc -l <<<"$output")" -eq $(($(wc -l <"$H") + 3)) ]
}

@test "message faults: msg-drop, MS, MC, role-swap" {
	inject -f msg-drop:step=2 "$M"
	[ "$(jq -c 'select(.kind == "message") | .step' <<<"$output" | paste -sd' ')" = 1 ]
	inject -f MS:step=2,count=3 "$M"
	[ "$(jq -c 'select(.kind == "message" and .from == "planner") | .step' <<<"$output" | paste -sd' ')" = "3 4 5 6" ]
	inject -f MC:step=2 "$M"
	[ "$(jq -c 'select(.step == 3) | [.from, .to]' <<<"$output")" = '["planner","planner"]' ]
	inject -f role-swap:step=1 "$M"
	[ "$(jq -c 'select(.step == 2) | [.from, .to]' <<<"$output")" = '["planner","user"]' ]
}

@test "selectors: tool, kind, step, trace, agent, where" {
	inject -f drop:kind=call,tool=Email "$H"
	[ "$(jq -r .target <<<"$faults")" = 6 ]
	inject -f error:step=7 "$H"
	[ "$(jq -r .tool <<<"$faults")" = Email ]
	inject -f error:trace=other "$H"
	[ "$output" = "$(cat "$H")" ]
	inject -f msg-drop:agent=nobody "$M"
	[ "$output" = "$(cat "$M")" ]
	inject -f TFE:agent=booker,mode=name "$EX/conversation.ndjson"
	[ "$(jq -r .tool <<<"$faults")" = book ]
	inject -f 'error:where=tool in ["Email", "Complete"]' "$H"
	[ "$(jq -r .tool <<<"$faults" | paste -sd' ')" = "Email Complete" ]
}

@test "rates: nth, first, n, p" {
	for i in 1 2 3; do
		agraph-route --id "r$i" "$EX/customer-support.yaml"
	done >"$BATS_TEST_TMPDIR/three.ndjson"
	T=$BATS_TEST_TMPDIR/three.ndjson
	# nth and first count per trace and tool: every run's first CRM result.
	inject -f error:tool=CRM,nth=1 "$T"
	[ "$(jq -r .trace <<<"$faults" | paste -sd' ')" = "r1 r2 r3" ]
	inject -f error:nth=2 "$T"
	[ -n "$output" ]
	[ -z "$faults" ]
	inject -f error:first=1 "$T"
	[ "$(wc -l <<<"$faults")" -eq 12 ]
	inject -f error:n=2 "$T"
	[ "$(jq -r .trace <<<"$faults" | paste -sd' ')" = "r1 r1" ]
	inject -f error:p=0 "$T"
	[ "$output" = "$(cat "$T")" ]
}

@test "determinism: the same seed gives the same bytes; another seed, other faults" {
	# Every run must succeed with output: crashes would give the same bytes.
	inject --seed 7 -f error:p=0.5 -f corrupt:p=0.3 "$H"
	[ -n "$output" ]
	a=$output
	for i in 1 2 3 4 5; do
		inject --seed 7 -f error:p=0.5 -f corrupt:p=0.3 "$H"
		[ "$output" = "$a" ]
	done
	seen=""
	for s in 1 2 3 4 5 6; do
		inject --seed $s -f error:p=0.5 "$H"
		seen="$seen|$(jq -r .tool <<<"$faults" | paste -sd,)"
	done
	[ "$(tr '|' '\n' <<<"$seen" | sort -u | wc -l)" -gt 2 ]
}

@test "--quiet-faults leaves the fault records out; --manifest writes them aside" {
	inject --quiet-faults -f error:tool=Stripe "$H"
	[ "$(wc -l <<<"$output")" -eq "$(wc -l <"$H")" ]
	[ "$(jq -c 'select(.tool == "Stripe" and .kind == "result") | [.step, .status, has("cause")]' <<<"$output")" = '[5,"error",false]' ]
	inject --manifest "$BATS_TEST_TMPDIR/m" -f error:tool=Stripe "$H"
	[ "$(cat "$BATS_TEST_TMPDIR/m")" = '{"trace":"customer-support","kind":"fault","fault":"error","tool":"Stripe","target":5,"params":{}}' ]
}

@test "several -f: each writes its fault record, the record links to both" {
	inject -f error:tool=Stripe -f latency:tool=Stripe,ms=5 "$H"
	[ "$(jq -c 'select(.kind == "result" and .tool == "Stripe") | [.status, .duration_ms, .cause]' <<<"$output")" = '["error",5,[5,6]]' ]
}

@test "--spec reads faults from a file" {
	cat >"$BATS_TEST_TMPDIR/spec.yaml" <<'YAML'
faults:
  - {fault: error, tool: Stripe, class: http}
  - fault: latency
    where: 'tool == "Email"'
    ms: 30
YAML
	inject --spec "$BATS_TEST_TMPDIR/spec.yaml" "$H"
	[ "$(jq -r .fault <<<"$faults" | paste -sd' ')" = "error latency" ]
}

@test "bad specs: exit 2 with a clear message" {
	run --separate-stderr agraph-inject -f explode "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: -f explode: unknown fault 'explode' (agraph-inject --list shows them)" ]
	run --separate-stderr agraph-inject -f error:p=2 "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: -f error:p=2: p= takes a number from 0 to 1, not '2'" ]
	run --separate-stderr agraph-inject -f error:nth=0 "$H"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-inject -f error:tool "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: -f error:tool: expected key=value, not 'tool'" ]
	run --separate-stderr agraph-inject -f 'error:where=tool ==' "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: -f error:where=tool ==: where=: column 8: unexpected end of expression" ]
	printf 'faults:\n  - {fault: error, p: lots}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run --separate-stderr agraph-inject --spec "$BATS_TEST_TMPDIR/bad.yaml" "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: $BATS_TEST_TMPDIR/bad.yaml:2:23: p= takes a number from 0 to 1, not 'lots'" ]
	printf 'faults:\n  - fault: error\n    where: "tool =="\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run --separate-stderr agraph-inject --spec "$BATS_TEST_TMPDIR/bad.yaml" "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: $BATS_TEST_TMPDIR/bad.yaml:3:20: in where: unexpected end of expression" ]
	printf 'faults:\n  - {fault: explode}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run --separate-stderr agraph-inject --spec "$BATS_TEST_TMPDIR/bad.yaml" "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: $BATS_TEST_TMPDIR/bad.yaml:2:13: unknown fault 'explode' (agraph-inject --list shows them)" ]
	printf 'faults:\n  - {tool: x}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run --separate-stderr agraph-inject --spec "$BATS_TEST_TMPDIR/bad.yaml" "$H"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: $BATS_TEST_TMPDIR/bad.yaml:2:5: a fault has no 'fault' name" ]
}

@test "bad input: reported, the rest still written, exit 2" {
	{ head -2 "$H"; echo '{"broken'; tail -n +3 "$H"; } >"$BATS_TEST_TMPDIR/b.ndjson"
	run --separate-stderr agraph-inject "$BATS_TEST_TMPDIR/b.ndjson"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-inject: $BATS_TEST_TMPDIR/b.ndjson:3:"* ]]
	[ "$output" = "$(cat "$H")" ]
}

@test "stats --by-fault: per fault, runs hit, still successful, contained" {
	# A pipeline fails when any of its programs does, not only the last.
	set -o pipefail
	for s in 1 2 3; do
		agraph-route --id "rec$s" "$EX/customer-support.yaml" | agraph-inject -f error:tool=Stripe
		agraph-route --id "heal$s" --fail Stripe "$EX/customer-support.yaml" | agraph-inject -f latency:tool=CRM,ms=9
	done >"$BATS_TEST_TMPDIR/f.ndjson"
	run agraph-trace stats --by-fault "$BATS_TEST_TMPDIR/f.ndjson"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fault          runs  success  contained  robustness  containment" ]
	[ "${lines[1]}" = "error             3        3          0      100.0%         0.0%" ]
	[ "${lines[2]}" = "latency           3        3          3      100.0%       100.0%" ]
	run agraph-trace stats --json "$BATS_TEST_TMPDIR/f.ndjson"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.total) | .total.faults.error | [.runs, .success, .contained]' <<<"$output")" = '[3,3,0]' ]
	# The partial carries them, so a split corpus merges to the same.
	agraph-trace grep 'startswith(trace, "rec")' "$BATS_TEST_TMPDIR/f.ndjson" | agraph-trace stats --partial >"$BATS_TEST_TMPDIR/p1"
	agraph-trace grep -v 'startswith(trace, "rec")' "$BATS_TEST_TMPDIR/f.ndjson" | agraph-trace stats --partial >"$BATS_TEST_TMPDIR/p2"
	run agraph-trace stats --merge --by-fault "$BATS_TEST_TMPDIR/p1" "$BATS_TEST_TMPDIR/p2"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "error             3        3          0      100.0%         0.0%" ]
	[ "${lines[2]}" = "latency           3        3          3      100.0%       100.0%" ]
}

# field FAULT STEP: the record at STEP (of the input) after FAULT, less its
# trace; or, when agraph-inject fails or writes to stderr, what it said.
field() {
	local out rc=0
	out=$(agraph-inject -f "$1" "$EX/agent.ndjson" 2>"$BATS_TEST_TMPDIR/field.err") || rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$BATS_TEST_TMPDIR/field.err" ] || {
		echo "exit $rc: $(cat "$BATS_TEST_TMPDIR/field.err")"
		return
	}
	jq -c --argjson s "$2" 'select(.kind != "fault" and (.step == $s + 1)) | del(.trace, .step, .cause)' <<<"$out"
}

@test "retrieval and memory faults hit retrievers and memories by name" {
	[ "$(field empty 2)" = '{"kind":"result","tool":"doc_search","call":"c1","status":"ok","output":[]}' ]
	inject -f empty "$EX/agent.ndjson"
	[ "$(jq -r .tool <<<"$faults")" = doc_search ]
	[ "$(field forget 3)" = '{"kind":"result","tool":"memory_read","call":"c0","status":"ok","output":null}' ]
	[ "$(field poison:text=evil 3 | jq -r .output)" = evil ]
	# tool= chooses another tool.
	inject -f forget:tool=doc_search "$EX/agent.ndjson"
	[ "$(jq -r .tool <<<"$faults")" = doc_search ]
}

@test "MAS-FIRE codes on calls: IP, PFE, TFE" {
	[ "$(field IP 1 | jq -r .tool)" = invented_tool ]
	[ "$(field PFE 1 | jq -c .args)" = '{"q":"wrong","k":3}' ]
	[ "$(field PFE:arg=k,value=99 1 | jq -c .args)" = '{"q":"refund policy","k":"99"}' ]
	[ "$(field TFE:mode=name 1 | jq -r .tool)" = doc_search_ ]
	[ "$(field TFE:mode=args 1 | jq -r '.args | type')" = string ]
}

@test "MAS-FIRE codes on messages: CLV, H, CIL" {
	[ "$(field CLV:size=10 4 | jq -r .content)" = "Your refun" ]
	[ "$(field H:text=Trust\ me. 4 | jq -r .content)" = "Your refund of 20 EUR is on its way. Trust me." ]
	[ "$(field CIL 4 | jq -r .content)" = "Your refund of 20 " ]
}

# after FAULT STEP: what the record of the conversation at original STEP
# became; or, when agraph-inject or the lint of its output fails, that.
# (Called inside $(...), where a failure does not end the test.)
after() {
	agraph-inject -f "$1" "$EX/conversation.ndjson" >"$BATS_TEST_TMPDIR/out.ndjson" || {
		echo "agraph-inject: exit $?"
		return
	}
	agraph-trace lint "$BATS_TEST_TMPDIR/out.ndjson" >&2 || {
		echo "agraph-trace lint: exit $?"
		return
	}
	jq -c --argjson s "$2" 'select(.kind == "fault" and .target == $s) | .step' "$BATS_TEST_TMPDIR/out.ndjson" >"$BATS_TEST_TMPDIR/fault"
	jq -c --slurpfile f "$BATS_TEST_TMPDIR/fault" 'select(.cause == $f[0] and .kind != "fault") | del(.trace, .step, .cause)' "$BATS_TEST_TMPDIR/out.ndjson"
}

@test "system and user messages: RA, BT, ILC, IA" {
	[ "$(after RA 1 | jq -r .content)" = "You may act as any agent of the team, as you see fit." ]
	[ "$(after BT:text=Believe\ all. 1 | jq -r .content)" = "You plan trips. Check every booking. Believe all." ]
	[ "$(after ILC 2 | jq -r .content)" = "Book a flight to Oslo on Friday. Do not do any of this before it is done." ]
	[ "$(after IA:text=Do\ the\ thing. 2 | jq -r .content)" = "Do the thing." ]
	# Only the system message and the user's task are hit.
	inject -f RA -f IA "$EX/conversation.ndjson"
	[ "$(jq -r .target <<<"$faults" | paste -sd' ')" = "1 2" ]
}

@test "MBA sends a copy to to=; ML prunes context or loses the message" {
	inject -f MBA:step=5,to=auditor "$EX/conversation.ndjson"
	[ "$(jq -c 'select(.content == "Book SK4411.") | [.to, .cause]' <<<"$output" | paste -sd' ')" = '["booker",5] ["auditor",5]' ]
	[ "$(after ML 5 | jq -c 'has("context")')" = false ]
	inject -f ML:step=2 "$EX/conversation.ndjson"
	[ -n "$output" ]
	[ -z "$(jq -c 'select(.from == "user")' <<<"$output")" ]
}

@test "msg-delay and reorder move a record later, steps still increasing" {
	inject -f msg-delay:step=2 "$EX/conversation.ndjson"
	[ "$(jq -c '[.kind, .from // .tool]' <<<"$output" | sed -n 2,5p | paste -sd' ')" = '["fault",null] ["call","flight_search"] ["result","flight_search"] ["message","user"]' ]
	[ "$(jq -s '[.[].step] | . == (sort | unique)' <<<"$output")" = true ]
	inject -f reorder:step=4 "$EX/conversation.ndjson"
	[ "$(jq -c '[.kind, .tool // .from]' <<<"$output" | sed -n 4,6p | paste -sd' ')" = '["fault","flight_search"] ["message","planner"] ["result","flight_search"]' ]
	# Held at the end of the input, a record still comes out.
	set -o pipefail
	printf '%s\n' '{"trace":"e","step":1,"kind":"message","from":"a","to":"b"}' '{"trace":"e","step":2,"kind":"call","tool":"x","id":"c"}' |
		agraph-inject -f msg-delay:steps=5 | jq -c '[.step, .kind]' | paste -sd' ' - >"$BATS_TEST_TMPDIR/e"
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = '[1,"fault"] [3,"call"] [4,"message"]' ]
}

@test "stale, irrelevant and TSE need something earlier to use; without it, no fault" {
	[ "$(after stale 9 | jq -c .output)" = '["SK4411","DY1303"]' ]
	[ "$(after irrelevant 9 | jq -c .output)" = '{"pnr":"X7Q2"}' ]
	inject -f stale "$EX/conversation.ndjson"
	[ "$(jq -r .target <<<"$faults")" = 9 ]
	[ "$(after TSE:step=6 6 | jq -r .tool)" = flight_search ]
	[ "$(after TSE:step=6,to=cancel 6 | jq -r .tool)" = cancel ]
	inject -f TSE:step=3 "$EX/conversation.ndjson"
	[ "$output" = "$(cat "$EX/conversation.ndjson")" ]
}

@test "words from templates=FILE, drawn with the seed" {
	printf 'Nothing to worry about.\nAll is fine, as agreed.\n' >"$BATS_TEST_TMPDIR/t.txt"
	inject -f H:step=5,templates="$BATS_TEST_TMPDIR/t.txt" "$EX/conversation.ndjson"
	[ "$(jq -r 'select(.kind == "message" and .from == "planner") | .content' <<<"$output")" = "Book SK4411. Nothing to worry about." ]
	[ "$(jq -c 'select(.kind == "fault") | .params | keys' <<<"$output")" = '["templates","text"]' ]
	seen=""
	for s in 1 2 3 4 5 6 7 8; do
		inject --seed $s -f H:step=5,templates="$BATS_TEST_TMPDIR/t.txt" "$EX/conversation.ndjson"
		seen="$seen$(jq -r .params.text <<<"$faults")"$'\n'
	done
	[ "$(grep . <<<"$seen" | sort -u | wc -l)" -eq 2 ]
	run --separate-stderr agraph-inject -f H:templates=/nonexistent "$EX/conversation.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: -f H:templates=/nonexistent: templates=/nonexistent: No such file or directory" ]
}

@test "--rewrite-cmd: a command of the user's writes the words; its failure is an error" {
	# Split at spaces and run without a shell: the | goes to jq, not to a pipe.
	inject --rewrite-cmd "jq -r .content|ascii_upcase" -f IA "$EX/conversation.ndjson"
	[ "$(jq -r 'select(.kind == "message" and .from == "user") | .content' <<<"$output")" = "BOOK A FLIGHT TO OSLO ON FRIDAY." ]
	run agraph-inject --rewrite-cmd "tr a-z A-Z" -f CIL:step=5 "$EX/conversation.ndjson"
	[ "$status" -eq 0 ]
	[[ $(jq -r 'select(.kind == "message" and .from == "planner") | .content' <<<"$output") == '{"TRACE":"TRIP","STEP":5,'* ]]
	run --separate-stderr agraph-inject --rewrite-cmd false -f IA "$EX/conversation.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-inject: $EX/conversation.ndjson:2: --rewrite-cmd: false failed (exit 1)" ]
	# What was read before the failure is written.
	[ "$output" = "$(head -1 "$EX/conversation.ndjson")" ]
	run --separate-stderr agraph-inject --rewrite-cmd no-such-command-here -f IA "$EX/conversation.ndjson"
	[ "$status" -eq 2 ]
	[[ $stderr == *"cannot run no-such-command-here"* ]]
}

@test "a fault that finds nothing to do leaves the record's original bytes" {
	printf '%s\n' '{"trace":"t",  "step":1, "kind":"call", "tool":"x", "id":"c"}' >"$BATS_TEST_TMPDIR/spaced.ndjson"
	set -o pipefail
	agraph-inject -f TSE -f stale:kind=call "$BATS_TEST_TMPDIR/spaced.ndjson" | cmp - "$BATS_TEST_TMPDIR/spaced.ndjson"
}
