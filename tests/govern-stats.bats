#!/usr/bin/env bats
# agraph-trace stats: the governance outcome distribution, decisions by
# kind (allow, rewrite, block, escalate) and by rule, per run and in total,
# on hand-written traces in the layout of govern records (agraph-trace(5)),
# and merged from shards.

load helper

setup() {
	G=$BATS_TEST_TMPDIR/governed.ndjson
	U=$BATS_TEST_TMPDIR/ungoverned.ndjson
	# rw: crm allowed; pay rewritten (the call at 3, its govern record at 4
	# with cause 3); refund blocked (no call at 6, govern at 7 with cause 6,
	# the blocked result at 8); a message rewritten (judged, not a call).
	# esc: a call allowed, one escalated (no call at 2). au: an audit, every
	# record as it was: the refund stays, an audit govern record says it
	# would have been blocked; the search is allowed.
	cat >"$G" <<-'EOF'
		{"trace":"rw","step":1,"kind":"call","tool":"crm","id":"c1","agent":"billing"}
		{"trace":"rw","step":2,"kind":"result","tool":"crm","call":"c1","status":"ok","cause":1}
		{"trace":"rw","step":3,"kind":"call","tool":"pay","id":"c2","agent":"billing","args":{"card":"****"}}
		{"trace":"rw","step":4,"kind":"govern","decision":"rewrite","rule":"mask-card","changed":["args.card"],"call":"c2","tool":"pay","agent":"billing","cause":3}
		{"trace":"rw","step":5,"kind":"result","tool":"pay","call":"c2","status":"ok","cause":3}
		{"trace":"rw","step":7,"kind":"govern","decision":"block","rule":"refund-cap","reason":"refunds above 500 need a person","call":"c3","tool":"refund","cause":6}
		{"trace":"rw","step":8,"kind":"result","call":"c3","tool":"refund","status":"error","error":{"class":"blocked","message":"refunds above 500 need a person","retryable":false},"cause":7}
		{"trace":"rw","step":9,"kind":"message","from":"billing","to":"support","content":"card ****"}
		{"trace":"rw","step":10,"kind":"govern","decision":"rewrite","rule":"mask-card","changed":["content"],"cause":9}
		{"trace":"rw","step":11,"kind":"final","status":"success"}
		{"trace":"esc","step":1,"kind":"call","tool":"search","id":"s1"}
		{"trace":"esc","step":3,"kind":"govern","decision":"escalate","rule":"wire","reason":"a person decides wires","call":"w1","tool":"wire","cause":2}
		{"trace":"esc","step":4,"kind":"result","call":"w1","tool":"wire","status":"error","error":{"class":"escalated","message":"a person decides wires","retryable":false},"cause":3}
		{"trace":"esc","step":5,"kind":"result","tool":"search","call":"s1","status":"ok","cause":1}
		{"trace":"esc","step":6,"kind":"final","status":"escalated"}
		{"trace":"au","step":1,"kind":"call","tool":"refund","id":"r1","args":{"amount":900}}
		{"trace":"au","step":2,"kind":"govern","decision":"block","rule":"refund-cap","reason":"refunds above 500 need a person","call":"r1","tool":"refund","cause":1,"audit":true}
		{"trace":"au","step":3,"kind":"result","tool":"refund","call":"r1","status":"ok","cause":1}
		{"trace":"au","step":4,"kind":"call","tool":"search","id":"s1"}
		{"trace":"au","step":5,"kind":"result","tool":"search","call":"s1","status":"ok","cause":4}
		{"trace":"au","step":6,"kind":"final","status":"success"}
	EOF
	cat >"$U" <<-'EOF'
		{"trace":"plain","step":1,"kind":"call","tool":"crm","id":"c1"}
		{"trace":"plain","step":2,"kind":"result","tool":"crm","call":"c1","status":"ok","cause":1}
		{"trace":"plain","step":3,"kind":"final","status":"success"}
	EOF
}

# row TRACE: the govern and rules of that run's JSON row.
row() {
	jq -c --arg t "$1" 'select(.trace == $t) | [.govern, .rules]'
}

@test "a rewritten call is judged, not allowed; a blocked call, absent, counts as a block" {
	run agraph-trace stats --json "$G"
	[ "$status" -eq 0 ]
	[ "$(row rw <<<"$output")" = '[{"allow":1,"rewrite":2,"block":1,"escalate":0},{"mask-card":{"rewrite":2},"refund-cap":{"block":1}}]' ]
	[ "$(row esc <<<"$output")" = '[{"allow":1,"rewrite":0,"block":0,"escalate":1},{"wire":{"escalate":1}}]' ]
}

@test "audit records count as the others: the call they judge is not an allow" {
	run agraph-trace stats --json "$G"
	[ "$status" -eq 0 ]
	[ "$(row au <<<"$output")" = '[{"allow":1,"rewrite":0,"block":1,"escalate":0},{"refund-cap":{"block":1}}]' ]
}

@test "the total: decisions by kind and by rule" {
	run agraph-trace stats --json "$G"
	[ "$status" -eq 0 ]
	[ "$(jq -cS 'select(.total) | .total | [.govern, .rules]' <<<"$output")" = '[{"allow":3,"block":2,"escalate":1,"rewrite":2},{"mask-card":{"rewrite":2},"refund-cap":{"block":2},"wire":{"escalate":1}}]' ]
}

@test "the text: a governed run's row ends with its decisions, the total has them by rule" {
	run agraph-trace stats "$G" "$U"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "trace                    records calls failures faults reroutes escalations model_calls  final" ]
	[ "${lines[1]}" = "rw                            10     2        1      0        0           0           0  success  govern: allow 1, rewrite 2, block 1, escalate 0" ]
	[ "${lines[2]}" = "esc                            5     1        1      0        0           0           0  escalated  govern: allow 1, rewrite 0, block 0, escalate 1" ]
	[ "${lines[3]}" = "au                             6     2        0      0        0           0           0  success  govern: allow 1, rewrite 0, block 1, escalate 0" ]
	[ "${lines[4]}" = "plain                          3     1        0      0        0           0           0  success" ]
	[[ $output == *$'\ngovern rewrite             2\ngovern block               2\ngovern escalate            1\ngovern allow               3\n'* ]]
	[[ $output == *$'\ngovern allow               3\ngovern rule mask-card: rewrite 2\ngovern rule refund-cap: block 2\ngovern rule wire: escalate 1' ]]
}

@test "a run without govern records is as before: no decisions, no allows, no rules" {
	run agraph-trace stats --json "$U"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"trace":"plain","records":3,"calls":1,"failures":0,"faults":0,"reroutes":0,"escalations":0,"model_calls":0,"final":"success","terminates":true,"observable":true}' ]
	[ "${lines[1]}" = '{"total":{"runs":1,"records":3,"success":1,"demoted":0,"escalated":0,"failure":0,"unfinished":0,"task_success_rate":1.0,"terminated":1,"termination_reliability":1.0,"affected":0,"contained":0,"containment_rate":null,"reroutes_per_run":0.0,"escalations_per_run":0.0,"model_calls":0,"compliance_rate":null,"contracts":{},"govern":{},"tools":{"crm":{"calls":1,"results":1,"errors":0,"error_rate":0.0}},"faults":{}}}' ]
	run agraph-trace stats --partial "$U"
	[ "$status" -eq 0 ]
	[[ $output != *rules* ]]
	[[ $output == *'"govern":{},"contracts"'* ]]
	# Beside governed runs its row stays the same.
	run agraph-trace stats --json "$G" "$U"
	[ "$(jq -c 'select(.trace == "plain")' <<<"$output")" = '{"trace":"plain","records":3,"calls":1,"failures":0,"faults":0,"reroutes":0,"escalations":0,"model_calls":0,"final":"success","terminates":true,"observable":true}' ]
}

@test "two shards merged equal the whole" {
	cat "$G" "$U" >"$BATS_TEST_TMPDIR/all"
	agraph-trace grep 'trace == "rw" || trace == "plain"' "$BATS_TEST_TMPDIR/all" | agraph-trace stats --partial >"$BATS_TEST_TMPDIR/p1"
	agraph-trace grep -v 'trace == "rw" || trace == "plain"' "$BATS_TEST_TMPDIR/all" | agraph-trace stats --partial >"$BATS_TEST_TMPDIR/p2"
	[ "$(jq -c .rules "$BATS_TEST_TMPDIR/p1")" = '{"mask-card":{"rewrite":2},"refund-cap":{"block":1}}' ]
	whole=$(agraph-trace stats --json "$BATS_TEST_TMPDIR/all" | jq -cS 'select(.total)')
	merged=$(agraph-trace stats --merge --json "$BATS_TEST_TMPDIR/p1" "$BATS_TEST_TMPDIR/p2" | jq -cS 'select(.total)')
	[ "$(jq -c '.total.govern.allow' <<<"$whole")" = 3 ]
	[ "$whole" = "$merged" ]
	# The text of the merge has the same figures.
	run agraph-trace stats --merge "$BATS_TEST_TMPDIR/p1" "$BATS_TEST_TMPDIR/p2"
	[[ $output == *$'\ngovern rule refund-cap: block 2\n'* ]]
}

@test "a partial of before the rules merges: it adds its decisions, no rules" {
	printf '%s\n' '{"agraph":"stats-partial","runs":1,"records":1,"success":1,"demoted":0,"escalated":0,"failure":0,"unfinished":0,"terminated":1,"affected":0,"contained":0,"reroutes":0,"escalations":0,"pass":0,"verdicts":0,"tools":{},"govern":{"block":2},"contracts":{},"faults":{}}' >"$BATS_TEST_TMPDIR/old"
	agraph-trace grep 'trace == "rw"' "$G" | agraph-trace stats --partial >"$BATS_TEST_TMPDIR/new"
	run agraph-trace stats --merge --json "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new"
	[ "$status" -eq 0 ]
	[ "$(jq -c '.total | [.govern, .rules]' <<<"$output")" = '[{"block":3,"rewrite":2,"allow":1},{"mask-card":{"rewrite":2},"refund-cap":{"block":1}}]' ]
}

@test "a bad count under rules is refused and adds nothing" {
	printf '%s\n' '{"agraph":"stats-partial","runs":1,"records":1,"success":1,"demoted":0,"escalated":0,"failure":0,"unfinished":0,"terminated":1,"affected":0,"contained":0,"reroutes":0,"escalations":0,"pass":0,"verdicts":0,"tools":{},"govern":{"block":1},"rules":{"cap":{"block":-1}},"contracts":{},"faults":{}}' >"$BATS_TEST_TMPDIR/bad"
	run --separate-stderr agraph-trace stats --merge --json "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[[ $stderr == *'"rules" count "block" is not a whole number from 0'* ]]
	[ "$(jq -c '.total | [.runs, .govern, .rules]' <<<"$output")" = '[0,{},null]' ]
}

@test "records of runs interleaved: each govern record judges the last call of its own run" {
	printf '%s\n' '{"trace":"x","step":1,"kind":"call","tool":"pay","id":"p"}' \
		'{"trace":"y","step":1,"kind":"call","tool":"pay","id":"p"}' \
		'{"trace":"y","step":2,"kind":"govern","decision":"rewrite","rule":"r","cause":1}' \
		'{"trace":"x","step":2,"kind":"govern","decision":"block","rule":"b","cause":1,"audit":true}' \
		'{"trace":"x","step":3,"kind":"govern","decision":"block","rule":"b","cause":1,"audit":true}' \
		'{"trace":"x","step":4,"kind":"call","tool":"pay","id":"q"}' >"$BATS_TEST_TMPDIR/i"
	run agraph-trace stats --json "$BATS_TEST_TMPDIR/i"
	[ "$status" -eq 0 ]
	# x's first call is judged once (two records name it), its second allowed.
	[ "$(jq -c 'select(.trace) | [.trace, .govern]' <<<"$output" | paste -sd' ')" = '["x",{"allow":1,"rewrite":0,"block":2,"escalate":0}] ["y",{"allow":0,"rewrite":1,"block":0,"escalate":0}]' ]
	[ "$(jq -c 'select(.total) | .total.govern' <<<"$output")" = '{"rewrite":1,"block":2,"allow":1}' ]
}

@test "a govern record without decision falls back on action; without rule it counts by kind only" {
	printf '%s\n' '{"trace":"o","step":1,"kind":"call","tool":"t","id":"a"}' \
		'{"trace":"o","step":2,"kind":"govern","action":"block","cause":1}' \
		'{"trace":"o","step":3,"kind":"govern","cause":0}' >"$BATS_TEST_TMPDIR/o"
	run agraph-trace stats --json "$BATS_TEST_TMPDIR/o"
	[ "$status" -eq 0 ]
	[ "$(row o <<<"$output")" = '[{"allow":0,"rewrite":0,"block":1,"escalate":0,"unknown":1},{}]' ]
	[ "$(jq -c 'select(.total) | .total | [.govern, .rules]' <<<"$output")" = '[{"block":1,"unknown":1},{}]' ]
}

@test "a refusal is the run's failure, not the tool's: blocked and escalated results count no tool result" {
	run agraph-trace stats --json "$G"
	[ "$status" -eq 0 ]
	# the tools that never ran (refund in rw, wire in esc) have no results, no errors
	[ "$(jq -c 'select(.total) | .total.tools | [.refund, .wire]' <<<"$output")" = '[{"calls":1,"results":1,"errors":0,"error_rate":0},null]' ]
	# a real error of the same tool still counts
	printf '%s\n' '{"trace":"x","step":1,"kind":"call","tool":"wire","id":"w"}' \
		'{"trace":"x","step":2,"kind":"result","tool":"wire","call":"w","status":"error","error":{"class":"blockedx"}}' |
		agraph-trace stats --json | jq -e 'select(.total) | .total.tools.wire == {"calls":1,"results":1,"errors":1,"error_rate":1}'
}
