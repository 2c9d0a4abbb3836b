#!/usr/bin/env bats
# agraph-govern: allow, rewrite, block and escalate; capability limits;
# limits on counts and sums, per trace; rule order; the default; rules on
# messages; audit; renumbering; the command line.  The located errors of
# bad policies are cases (tests/cases/govern-*).

load helper

setup() {
	D=$DATA/govern
	P=$D/desk.yaml
	T=$BATS_TEST_TMPDIR
}

# govern ARGS...: runs agraph-govern, failing unless it exits 0 with
# nothing on stderr; its output is then in $output.
govern() {
	run --separate-stderr agraph-govern "$@"
	[ "$status" -eq 0 ] && [ -z "$stderr" ] || {
		echo "agraph-govern $*: exit $status${stderr:+: $stderr}" >&2
		return 1
	}
}

# policy TEXT: writes a policy file, $T/p.yaml.
policy() {
	printf '%s\n' "$@" >"$T/p.yaml"
}

@test "--help, --version, usage errors exit 2" {
	run agraph-govern --help
	[ "$status" -eq 0 ]
	[ "$output" = "usage: agraph-govern [-u] [--audit] -p policy [file ...]" ]
	run agraph-govern --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-govern "[0-9]* ]]
	run --separate-stderr agraph-govern
	[ "$status" -eq 2 ] && [ -z "$output" ]
	[ "${stderr_lines[0]}" = "agraph-govern: no policy given (-p FILE)" ]
	run --separate-stderr agraph-govern -p "$P" -p "$P" /dev/null
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-govern: -p: one policy, given once" ]
	run --separate-stderr agraph-govern --bogus -p "$P"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-govern -p "$T/none.yaml" /dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-govern: $T/none.yaml: No such file or directory" ]
}

@test "bad input: exit 2, located, the rest governed" {
	{ head -3 "$D/run.ndjson"; echo '{"trace":"t",'; } >"$T/bad.ndjson"
	run --separate-stderr agraph-govern -p "$P" "$T/bad.ndjson" "$D/sum.ndjson"
	[ "$status" -eq 2 ]
	# the bad record is reported and left out; the rest is read, as by every program
	[ "$output" = "$(head -3 "$D/run.ndjson"; cat "$D/sum.governed")" ]
	[ "$stderr" = "agraph-govern: $T/bad.ndjson:4:14: expected a string key" ]
	run --separate-stderr agraph-govern -p "$P" "$T/missing.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-govern: $T/missing.ndjson: No such file or directory" ]
}

@test "a trace nobody governs keeps its bytes" {
	set -o pipefail
	printf '%s\n' '{"trace":"x" ,"step":1,"kind":"call","id":"c1","agent":"support","tool":"crm","args":{"n":1.50,"e":1E2}}' \
		'{ "trace":"x","step":2,"kind":"result","call":"c1","status":"ok","output":"\u00e9"}' \
		'{"trace":"x","step":3,"kind":"final","status":"success","cause":[1,2]}' >"$T/x.ndjson"
	agraph-govern -p "$P" "$T/x.ndjson" | cmp - "$T/x.ndjson"
	agraph-govern --audit -p "$P" "$T/x.ndjson" | cmp - "$T/x.ndjson"
}

@test "each decision, capability limits, renumbering: the whole output" {
	govern -p "$P" "$D/run.ndjson"
	[ "$output" = "$(cat "$D/run.governed")" ]
	# allow: the original bytes (the spaces, the ts at the end)
	[ "${lines[0]}" = "$(sed -n 1p "$D/run.ndjson")" ]
	[ "${lines[1]}" = "$(sed -n 2p "$D/run.ndjson")" ]
	# block: the govern record and the refusal in place of the call; its late result is gone
	[ "${lines[3]}" = '{"trace":"t","step":5,"kind":"govern","ts":6,"decision":"block","rule":"refund-cap","reason":"refunds above 500 need a person","call":"c2","tool":"refund","agent":"billing","cause":4}' ]
	[ "${lines[4]}" = '{"trace":"t","step":6,"kind":"result","ts":6,"call":"c2","tool":"refund","agent":"billing","status":"error","error":{"class":"blocked","message":"refunds above 500 need a person","retryable":false},"cause":5}' ]
	[ "$(jq -c 'select(.kind == "call" and .id == "c2")' <<<"$output")" = "" ]
	[ "$(jq -c 'select(.call == "c2" and .status == "ok")' <<<"$output")" = "" ]
	# rewrite: set (a new field too) and remove, the paths in the rule's order, no values
	[ "${lines[5]}" = '{"trace":"t","step":8,"kind":"call","id":"c3","agent":"billing","tool":"crm","args":{"card":"****","masked":true},"cause":3}' ]
	[ "${lines[6]}" = '{"trace":"t","step":9,"kind":"govern","decision":"rewrite","rule":"mask-card","changed":["args.card","args.masked","args.cvv"],"call":"c3","tool":"crm","agent":"billing","cause":8}' ]
	# capability limits: support may not call refund; no agent, or one not named: no limit
	[ "${lines[8]}" = '{"trace":"t","step":12,"kind":"govern","decision":"block","rule":"agents","reason":"agent support may not call refund","call":"c4","tool":"refund","agent":"support","cause":11}' ]
	[ "${lines[10]}" = "$(sed -n 9p "$D/run.ndjson" | jq -c '.step = 14')" ]
	[ "${lines[11]}" = "$(sed -n 10p "$D/run.ndjson" | jq -c '.step = 15')" ]
	# later steps and causes moved
	[ "${lines[12]}" = '{"trace":"t","step":16,"kind":"final","status":"success","cause":[3,7,10]}' ]
	[ "$(jq -s '[.[].step] | . == (sort | unique)' <<<"$output")" = true ]
	governed=$output
	run agraph-trace check --builtin well-formed <<<"$governed"
	[ "$status" -eq 0 ]
	# lineage follows the moved causes: the rewritten call, its result, the final
	run agraph-trace lineage 16 <<<"$governed"
	[ "$status" -eq 0 ]
	[ "$(jq -c .step <<<"$output" | paste -sd' ')" = "2 3 8 10 16" ]
}

@test "a JSON policy decides as its YAML" {
	govern -p "$D/desk.json" "$D/run.ndjson"
	[ "$output" = "$(cat "$D/run.governed")" ]
	govern -p "$D/desk.json" "$D/sum.ndjson"
	[ "$output" = "$(cat "$D/sum.governed")" ]
}

@test "escalate: as block, class escalated" {
	policy 'rules:' '  - {name: ask, when: "tool == \"wire\"", then: escalate, reason: ask a person}'
	printf '%s\n' '{"trace":"e","step":1,"kind":"call","id":"w","tool":"wire","agent":"ops"}' \
		'{"trace":"e","step":2,"kind":"result","call":"w","status":"ok"}' >"$T/e.ndjson"
	govern -p "$T/p.yaml" "$T/e.ndjson"
	[ "$output" = '{"trace":"e","step":2,"kind":"govern","decision":"escalate","rule":"ask","reason":"ask a person","call":"w","tool":"wire","agent":"ops","cause":1}
{"trace":"e","step":3,"kind":"result","call":"w","tool":"wire","agent":"ops","status":"error","error":{"class":"escalated","message":"ask a person","retryable":false},"cause":2}' ]
	# without a reason, one is made up
	policy 'rules:' '  - {name: ask, then: escalate}'
	govern -p "$T/p.yaml" "$T/e.ndjson"
	[ "$(jq -r .reason <<<"${lines[0]}")" = "escalated by rule ask" ]
}

@test "capability limits: an agent named may call only its tools, [] none, one name as a list" {
	policy 'agents: {a: crm, b: []}'
	printf '%s\n' '{"trace":"k","step":1,"kind":"call","id":"1","agent":"a","tool":"crm"}' \
		'{"trace":"k","step":2,"kind":"call","id":"2","agent":"a","tool":"crmx"}' \
		'{"trace":"k","step":3,"kind":"call","id":"3","agent":"b","tool":"crm"}' \
		'{"trace":"k","step":4,"kind":"call","id":"4","agent":"a"}' \
		'{"trace":"k","step":5,"kind":"call","id":"5","agent":"c","tool":"crm"}' \
		'{"trace":"k","step":6,"kind":"call","id":"6","tool":"crm"}' >"$T/k.ndjson"
	govern -p "$T/p.yaml" "$T/k.ndjson"
	[ "$(jq -c 'select(.kind != "result") | [.step, .kind, .rule, .reason]' <<<"$output" | paste -sd' ')" = '[1,"call",null,null] [3,"govern","agents","agent a may not call crmx"] [6,"govern","agents","agent b may not call crm"] [9,"govern","agents","agent a may call only the tools named for it"] [11,"call",null,null] [12,"call",null,null]' ]
}

@test "limit: the first N matching calls of a trace pass, then 'then'; limit 0 none" {
	policy 'rules:' '  - {name: budget, when: "tool == \"search\"", limit: 2, then: block}'
	for i in 1 2 3 4; do
		printf '{"trace":"s","step":%d,"kind":"call","id":"s%d","tool":"search"}\n' "$i" "$i"
	done >"$T/s.ndjson"
	govern -p "$T/p.yaml" "$T/s.ndjson"
	[ "$(jq -c '[.step, .kind, .id // .call, .rule]' <<<"$output" | paste -sd' ')" = '[1,"call","s1",null] [2,"call","s2",null] [4,"govern","s3","budget"] [5,"result","s3",null] [7,"govern","s4","budget"] [8,"result","s4",null]' ]
	# a limited rule that lets a call through does not decide: later rules do
	policy 'rules:' '  - {name: budget, when: "tool == \"search\"", limit: 2, then: block}' \
		'  - {name: tag, then: rewrite, set: {args.n: "step"}}'
	govern -p "$T/p.yaml" "$T/s.ndjson"
	[ "$(jq -c 'select(.kind != "result") | [.step, .kind, .rule, .args.n]' <<<"$output" | paste -sd' ')" = '[1,"call",null,1] [2,"govern","tag",null] [3,"call",null,2] [4,"govern","tag",null] [6,"govern","budget",null] [9,"govern","budget",null]' ]
	policy 'rules:' '  - {name: never, limit: 0, then: block}'
	govern -p "$T/p.yaml" "$T/s.ndjson"
	[ "$(jq -r 'select(.kind == "govern") | .rule' <<<"$output" | wc -l)" -eq 4 ]
	[ "$(count_kind call <<<"$output")" -eq 0 ]
}

@test "sum and limit: per trace, a sum not a number fails closed, a call blocked later uses no budget" {
	govern -p "$P" "$D/sum.ndjson"
	[ "$output" = "$(cat "$D/sum.governed")" ]
	# trace a: 300 + 300 = 600 passes, 1 more does not
	[ "$(jq -c 'select(.trace == "a") | [.kind, .id // .call, .rule]' <<<"$output" | paste -sd' ')" = '["call","r1",null] ["call","r2",null] ["govern","r3","refund-budget"] ["result","r3",null]' ]
	# trace b, interleaved with a, counts apart: "ten" is escalated, the
	# offshore call is blocked by no-wire and uses none of the 600
	[ "$(jq -c 'select(.trace == "b") | [.kind, .id // .call, .decision]' <<<"$output" | paste -sd' ')" = '["call","r1",null] ["govern","r2","escalate"] ["result","r2",null] ["govern","r3","block"] ["result","r3",null] ["call","r4",null] ["govern","r5","escalate"] ["result","r5",null]' ]
}

@test "sum: what counts is the amount the rule measured, not what a later rewrite made of it" {
	policy 'rules:' '  - {name: budget, when: "tool == \"refund\"", sum: args.amount, limit: 100, then: block}' \
		'  - {name: inflate, when: "tool == \"refund\"", then: rewrite, set: {args.amount: "1000"}}'
	printf '%s\n' '{"step":1,"kind":"call","id":"r1","tool":"refund","args":{"amount":50}}' \
		'{"step":2,"kind":"call","id":"r2","tool":"refund","args":{"amount":10}}' \
		'{"step":3,"kind":"call","id":"r3","tool":"refund","args":{"amount":41}}' >"$T/s.ndjson"
	govern -p "$T/p.yaml" "$T/s.ndjson"
	# 50 and 10 pass (60 of 100), rewritten; 41 would make 101
	[ "$(jq -c 'select(.kind == "govern") | [.call, .rule]' <<<"$output" | paste -sd' ')" = '["r1","inflate"] ["r2","inflate"] ["r3","budget"]' ]
}

@test "sum: an amount below 0 fails closed, and widens no budget" {
	policy 'rules:' '  - {name: budget, when: "tool == \"refund\"", sum: args.amount, limit: 600, then: block}'
	printf '%s\n' '{"step":1,"kind":"call","id":"r1","tool":"refund","args":{"amount":-100000}}' \
		'{"step":2,"kind":"call","id":"r2","tool":"refund","args":{"amount":50000}}' \
		'{"step":3,"kind":"call","id":"r3","tool":"refund","args":{"amount":600}}' >"$T/s.ndjson"
	govern -p "$T/p.yaml" "$T/s.ndjson"
	[ "$(jq -c 'select(.kind == "govern") | .call' <<<"$output" | paste -sd' ')" = '"r1" "r2"' ]
	[ "$(jq -c 'select(.kind == "call") | .id' <<<"$output")" = '"r3"' ]
}

@test "limits per trace: two interleaved traces count apart" {
	policy 'rules:' '  - {name: one, limit: 1, then: block}'
	printf '%s\n' '{"trace":"p","step":1,"kind":"call","id":"1","tool":"x"}' \
		'{"trace":"q","step":1,"kind":"call","id":"1","tool":"x"}' \
		'{"step":1,"kind":"call","id":"1","tool":"x"}' \
		'{"trace":"p","step":2,"kind":"call","id":"2","tool":"x"}' \
		'{"trace":"q","step":2,"kind":"call","id":"2","tool":"x"}' >"$T/pq.ndjson"
	govern -p "$T/p.yaml" "$T/pq.ndjson"
	[ "$(jq -c '[.trace, .kind, .step]' <<<"$output" | paste -sd' ')" = '["p","call",1] ["q","call",1] [null,"call",1] ["p","govern",3] ["p","result",4] ["q","govern",3] ["q","result",4]' ]
}

@test "the first rule that decides wins; default allow and block" {
	policy 'rules:' '  - {name: first, when: "tool == \"x\"", then: allow}' \
		'  - {name: second, when: "tool == \"x\" || tool == \"y\"", then: block}'
	printf '%s\n' '{"trace":"o","step":1,"kind":"call","id":"1","tool":"x"}' \
		'{"trace":"o","step":2,"kind":"call","id":"2","tool":"y"}' \
		'{"trace":"o","step":3,"kind":"call","id":"3","tool":"z"}' >"$T/o.ndjson"
	govern -p "$T/p.yaml" "$T/o.ndjson"
	[ "$(jq -c '[.step, .kind, .rule]' <<<"$output" | paste -sd' ')" = '[1,"call",null] [3,"govern","second"] [4,"result",null] [5,"call",null]' ]
	policy 'default: block' 'rules:' '  - {name: first, when: "tool == \"x\"", then: allow}' \
		'  - {name: second, when: "tool == \"x\" || tool == \"y\"", then: block}'
	govern -p "$T/p.yaml" "$T/o.ndjson"
	[ "$(jq -c '[.step, .kind, .rule]' <<<"$output" | paste -sd' ')" = '[1,"call",null] [3,"govern","second"] [4,"result",null] [6,"govern","default"] [7,"result",null]' ]
	[ "$(jq -r 'select(.rule == "default") | .reason' <<<"$output")" = "no rule allows it (default: block)" ]
	# reordered: the block comes first
	policy 'rules:' '  - {name: second, when: "tool == \"x\" || tool == \"y\"", then: block}' \
		'  - {name: first, when: "tool == \"x\"", then: allow}'
	govern -p "$T/p.yaml" "$T/o.ndjson"
	[ "$(jq -r 'select(.kind == "govern") | .call' <<<"$output" | paste -sd' ')" = "1 2" ]
}

@test "messages: on: message rules block (the message dropped) and rewrite; calls' rules and the default do not judge them" {
	govern -p "$D/messages.yaml" "$D/messages.ndjson"
	[ "$output" = "$(cat "$D/messages.governed")" ]
	[ "${lines[0]}" = '{"trace":"m","step":2,"kind":"govern","decision":"block","rule":"no-secrets","reason":"blocked by rule no-secrets","from":"user","to":"support","cause":1}' ]
	[ "${lines[1]}" = '{"trace":"m","step":3,"kind":"message","from":"support","to":"logger","content":"[redacted]"}' ]
	[ "${lines[2]}" = '{"trace":"m","step":4,"kind":"govern","decision":"rewrite","rule":"redact","changed":["content"],"from":"support","to":"logger","cause":3}' ]
	[ "${lines[3]}" = "$(sed -n 3p "$D/messages.ndjson" | jq -c '.step = 5')" ]
	[ "$(grep -c password <<<"$output")" -eq 0 ]
	run agraph-trace check --builtin well-formed <<<"$output"
	[ "$status" -eq 0 ]
	# without an on: message rule a message passes as it came, even under default: block
	policy 'default: block'
	govern -p "$T/p.yaml" <(head -1 "$D/messages.ndjson")
	[ "$output" = "$(head -1 "$D/messages.ndjson")" ]
}

@test "remove: the fields named, only those there are changed" {
	policy 'rules:' '  - {name: strip, then: rewrite, remove: [args.cvv, args.x.y, meta]}'
	printf '%s\n' '{"trace":"r","step":1,"kind":"call","id":"1","tool":"t","args":{"cvv":1,"n":2},"meta":{}}' \
		'{"trace":"r","step":2,"kind":"call","id":"2","tool":"t","args":{"n":2}}' >"$T/r.ndjson"
	govern -p "$T/p.yaml" "$T/r.ndjson"
	[ "$output" = '{"trace":"r","step":1,"kind":"call","id":"1","tool":"t","args":{"n":2}}
{"trace":"r","step":2,"kind":"govern","decision":"rewrite","rule":"strip","changed":["args.cvv","meta"],"call":"1","tool":"t","cause":1}
{"trace":"r","step":3,"kind":"call","id":"2","tool":"t","args":{"n":2}}' ]
}

@test "set: values from the call as it came, objects made on the way; a path through a non-object blocks" {
	policy 'rules:' '  - {name: s, then: rewrite, set: {args.a.b.c: "args.n + 1", args.n: "0", args.m: "args.n"}}'
	printf '%s\n' '{"trace":"w","step":1,"kind":"call","id":"1","tool":"t","args":{"n":2}}' \
		'{"trace":"w","step":2,"kind":"call","id":"2","tool":"t","args":{"n":2,"a":{"b":"text"}}}' \
		'{"trace":"w","step":3,"kind":"call","id":"3","tool":"t","args":"text"}' \
		'{"trace":"w","step":4,"kind":"call","id":"4","tool":"t"}' >"$T/w.ndjson"
	govern -p "$T/p.yaml" "$T/w.ndjson"
	[ "${lines[0]}" = '{"trace":"w","step":1,"kind":"call","id":"1","tool":"t","args":{"n":0,"a":{"b":{"c":3}},"m":2}}' ]
	[ "${lines[2]}" = '{"trace":"w","step":4,"kind":"govern","decision":"block","rule":"s","reason":"rule s cannot set args.a.b.c: a field on the way is not an object","call":"2","tool":"t","cause":3}' ]
	[ "$(jq -c 'select(.kind == "govern") | [.call, .decision]' <<<"$output" | paste -sd' ')" = '["1","rewrite"] ["2","block"] ["3","block"] ["4","rewrite"]' ]
	[ "$(jq -c 'select(.kind == "call") | .id' <<<"$output" | paste -sd' ')" = '"1" "4"' ]
	[ "$(jq -c 'select(.id == "4") | .args' <<<"$output")" = '{"a":{"b":{"c":null}},"n":0,"m":null}' ]
}

@test "--audit: records as they were, govern records with audit:true, nothing dropped" {
	govern --audit -p "$P" "$D/run.ndjson"
	[ "$output" = "$(cat "$D/run.audited")" ]
	[ "$(jq -c 'del(.step, .cause)' "$D/run.ndjson")" = "$(jq -c 'select(.kind != "govern") | del(.step, .cause)' <<<"$output")" ]
	[ "$(jq -c 'select(.kind == "govern") | [.decision, .rule, .audit]' <<<"$output" | paste -sd' ')" = '["block","refund-cap",true] ["rewrite","mask-card",true] ["block","agents",true]' ]
	[ "${lines[4]}" = '{"trace":"t","step":5,"kind":"govern","ts":6,"decision":"block","rule":"refund-cap","reason":"refunds above 500 need a person","call":"c2","tool":"refund","agent":"billing","audit":true,"cause":4}' ]
	run agraph-trace check --builtin well-formed <<<"$output"
	[ "$status" -eq 0 ]
}

@test "a blocked call's late result is dropped, another call's result with the same trace passes" {
	policy 'rules:' '  - {name: no, when: "tool == \"x\"", then: block}'
	printf '%s\n' '{"trace":"l","step":1,"kind":"call","id":"a","tool":"x"}' \
		'{"trace":"m","step":1,"kind":"result","call":"a","status":"ok"}' \
		'{"trace":"l","step":2,"kind":"call","id":"b","tool":"y"}' \
		'{"trace":"l","step":3,"kind":"result","call":"b","status":"ok"}' \
		'{"trace":"l","step":4,"kind":"result","call":"a","status":"ok"}' >"$T/l.ndjson"
	govern -p "$T/p.yaml" "$T/l.ndjson"
	[ "$(jq -c '[.trace, .step, .kind, .call // .id, .status]' <<<"$output" | paste -sd' ')" = '["l",2,"govern","a",null] ["l",3,"result","a","error"] ["m",1,"result","a","ok"] ["l",4,"call","b",null] ["l",5,"result","b","ok"]' ]
}

@test "calls without step, id or trace" {
	policy 'rules:' '  - {name: no, when: "tool == \"x\"", then: block}' '  - {name: m, then: rewrite, set: {args.k: "1"}}'
	printf '%s\n' '{"kind":"call","tool":"x"}' '{"kind":"call","tool":"y"}' '{"trace":"n","kind":"call","id":"i","tool":"x"}' '{"trace":"n","kind":"result","call":"i","status":"ok"}' >"$T/n.ndjson"
	govern -p "$T/p.yaml" "$T/n.ndjson"
	[ "$output" = '{"kind":"govern","decision":"block","rule":"no","reason":"blocked by rule no","tool":"x"}
{"kind":"result","tool":"x","status":"error","error":{"class":"blocked","message":"blocked by rule no","retryable":false}}
{"kind":"call","tool":"y","args":{"k":1}}
{"kind":"govern","decision":"rewrite","rule":"m","changed":["args.k"],"tool":"y"}
{"trace":"n","kind":"govern","decision":"block","rule":"no","reason":"blocked by rule no","call":"i","tool":"x"}
{"trace":"n","kind":"result","call":"i","tool":"x","status":"error","error":{"class":"blocked","message":"blocked by rule no","retryable":false}}' ]
}

@test "stdin, -, and several files read in order" {
	govern -p "$P" <"$D/run.ndjson"
	[ "$output" = "$(cat "$D/run.governed")" ]
	govern -p "$P" - "$D/sum.ndjson" <"$D/run.ndjson"
	[ "$output" = "$(cat "$D/run.governed" "$D/sum.governed")" ]
	# the state of a trace goes on across files
	head -2 "$D/sum.ndjson" >"$T/s1"
	tail -n +3 "$D/sum.ndjson" >"$T/s2"
	govern -p "$P" "$T/s1" "$T/s2"
	[ "$output" = "$(cat "$D/sum.governed")" ]
}

@test "-u: each record out as it is decided" {
	coproc GOV { agraph-govern -u -p "$P"; }
	sed -n 4p "$D/run.ndjson" >&"${GOV[1]}"
	read -r -t 10 first <&"${GOV[0]}"
	read -r -t 10 second <&"${GOV[0]}"
	[ "$first" = "$(sed -n 4p "$D/run.governed")" ]
	[ "$second" = "$(sed -n 5p "$D/run.governed")" ]
	exec {GOV[1]}>&-
	wait "$GOV_PID"
}

@test "a closed pipe ends it quietly" {
	for i in $(seq 1 20000); do
		printf '{"trace":"h","step":%d,"kind":"call","id":"c%d","agent":"billing","tool":"refund","args":{"amount":900}}\n' "$i" "$i"
	done >"$T/h.ndjson"
	run --separate-stderr bash -c 'agraph-govern -p "$1" "$2" | head -1; exit ${PIPESTATUS[0]}' _ "$P" "$T/h.ndjson"
	closed_quietly "$status"
	[ -z "$stderr" ]
	[ "$(jq -r .rule <<<"$output")" = refund-cap ]
}

@test "a trace that ended is held: a record after its final is still renumbered, its limits still count" {
	policy 'rules:' '  - {name: one, when: "tool == \"x\"", limit: 1, then: block}'
	printf '%s\n' '{"trace":"f","step":1,"kind":"call","id":"1","tool":"x"}' \
		'{"trace":"f","step":2,"kind":"call","id":"2","tool":"x"}' \
		'{"trace":"f","step":3,"kind":"final","status":"success"}' \
		'{"trace":"g","step":1,"kind":"final","status":"success"}' \
		'{"trace":"f","step":4,"kind":"call","id":"3","tool":"x"}' >"$T/f.ndjson"
	govern -p "$T/p.yaml" "$T/f.ndjson"
	[ "$(jq -c '[.trace, .step, .kind, .id // .call]' <<<"$output" | paste -sd' ')" = '["f",1,"call","1"] ["f",3,"govern","2"] ["f",4,"result","2"] ["f",5,"final",null] ["g",1,"final",null] ["f",7,"govern","3"] ["f",8,"result","3"]' ]
}

@test "steps near 2^53: renumbered up to it; past it a located error, what came before written" {
	policy 'rules:' '  - {name: no, when: "tool == \"x\"", then: block}'
	printf '%s\n' '{"trace":"t","step":9007199254740990,"kind":"call","id":"c","tool":"x"}' \
		'{"trace":"u","step":9007199254740999,"kind":"call","id":"c","tool":"y"}' \
		'{"trace":"t","step":9007199254740992,"kind":"result","call":"d","status":"ok","cause":9007199254740990}' \
		'{"trace":"t","step":9007199254740993,"kind":"call","id":"f","tool":"y"}' \
		'{"trace":"t","step":9007199254740994,"kind":"call","id":"g","tool":"y"}' >"$T/big.ndjson"
	run --separate-stderr agraph-govern -p "$T/p.yaml" "$T/big.ndjson"
	[ "$status" -eq 2 ]
	[ "$output" = '{"trace":"t","step":9007199254740991,"kind":"govern","decision":"block","rule":"no","reason":"blocked by rule no","call":"c","tool":"x","cause":9007199254740990}
{"trace":"t","step":9007199254740992,"kind":"result","call":"c","tool":"x","status":"error","error":{"class":"blocked","message":"blocked by rule no","retryable":false},"cause":9007199254740991}
{"trace":"u","step":9007199254740999,"kind":"call","id":"c","tool":"y"}
{"trace":"t","step":9007199254740994,"kind":"result","call":"d","status":"ok","cause":9007199254740990}' ]
	[ "$stderr" = "agraph-govern: $T/big.ndjson:4: step 9007199254740993 is past 2^53 (9007199254740992), the largest step agraph-govern renumbers" ]
	# a step past 2^53 in a trace nothing was put in passes as it came
	govern -p "$T/p.yaml" <(sed -n 2p "$T/big.ndjson")
	[ "$output" = "$(sed -n 2p "$T/big.ndjson")" ]
	# a block there would need it renumbered
	run --separate-stderr agraph-govern -p "$T/p.yaml" <(echo '{"trace":"v","step":9007199254740993,"kind":"call","tool":"x"}')
	[ "$status" -eq 2 ] && [ -z "$output" ]
	[[ $stderr == *":1: step 9007199254740993 is past 2^53 (9007199254740992), the largest step agraph-govern renumbers" ]]
}

@test "hostile names: a rule name with a newline, NUL and bad UTF-8 refused, located" {
	policy 'rules:' '  - {name: "a\nb", then: block}'
	govern -p "$T/p.yaml" <(echo '{"trace":"h","step":1,"kind":"call","id":"c","tool":"x"}')
	[ "$(jq -r .rule <<<"${lines[0]}")" = $'a\nb' ]
	[ "$(jq -r .reason <<<"${lines[0]}")" = 'blocked by rule a\nb' ]
	policy 'agents: {"a\0b": [x]}'
	run --separate-stderr agraph-govern -p "$T/p.yaml" /dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-govern: $T/p.yaml:1:10: an agent's name must not contain a NUL byte" ]
	policy 'rules:' '  - {name: r, then: block, reason: "x\0y"}'
	run --separate-stderr agraph-govern -p "$T/p.yaml" /dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-govern: $T/p.yaml:2:36: reason must not contain a NUL byte" ]
	printf 'rules:\n  - {name: "r\377", then: block}\n' >"$T/p.yaml"
	run --separate-stderr agraph-govern -p "$T/p.yaml" /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-govern: $T/p.yaml:"*"UTF-8"* ]]
	# in a trace: a tool named with \u0000 is refused, not read as "crm"
	run --separate-stderr agraph-govern -p "$P" <(echo '{"trace":"h","step":1,"kind":"call","id":"c","agent":"billing","tool":"crm\u0000x"}')
	[ "$status" -eq 2 ] && [ -z "$output" ]
	[[ $stderr == *':1:71: "tool" may not hold \u0000 (NUL): it is read as a name' ]]
}

@test "deep arguments: copied by a rewrite, judged by a rule" {
	deep=$(printf '[%.0s' $(seq 900))1$(printf ']%.0s' $(seq 900))
	policy 'rules:' '  - {name: m, when: "exists(args.card)", then: rewrite, set: {args.copy: "args.deep", args.card: "0"}}'
	echo "{\"trace\":\"d\",\"step\":1,\"kind\":\"call\",\"id\":\"c\",\"tool\":\"x\",\"args\":{\"card\":1,\"deep\":$deep}}" >"$T/d.ndjson"
	govern -p "$T/p.yaml" "$T/d.ndjson"
	[ "${lines[0]}" = "{\"trace\":\"d\",\"step\":1,\"kind\":\"call\",\"id\":\"c\",\"tool\":\"x\",\"args\":{\"card\":0,\"deep\":$deep,\"copy\":$deep}}" ]
}

@test "a long trace: 100k calls, a third blocked, a third rewritten, well-formed and answered" {
	awk 'BEGIN { for (i = 1; i <= 100000; i++) {
		printf "{\"trace\":\"L\",\"step\":%d,\"kind\":\"call\",\"id\":\"c%d\",\"tool\":\"%s\",\"args\":{\"n\":%d}}\n", 2 * i, i, i % 3 == 0 ? "bad" : i % 3 == 1 ? "mask" : "ok", i
		printf "{\"trace\":\"L\",\"step\":%d,\"kind\":\"result\",\"call\":\"c%d\",\"status\":\"ok\",\"cause\":%d}\n", 2 * i + 1, i, 2 * i } }' >"$T/L.ndjson"
	policy 'rules:' '  - {name: no, when: "tool == \"bad\"", then: block}' \
		'  - {name: m, when: "tool == \"mask\"", then: rewrite, set: {args.n: "0"}}'
	agraph-govern -p "$T/p.yaml" "$T/L.ndjson" >"$T/L.out"
	[ "$(wc -l <"$T/L.out")" -eq 233334 ]
	[ "$(count_kind govern <"$T/L.out")" -eq 66667 ]
	[ "$(jq -c 'select(.kind == "result" and .status == "ok" and .tool == null)' "$T/L.out" | wc -l)" -eq 66667 ]
	run agraph-trace check --builtin well-formed,answered "$T/L.out"
	[ "$status" -eq 0 ]
	[ "$(tail -1 "$T/L.out")" = '{"trace":"L","step":300001,"kind":"result","call":"c100000","status":"ok","cause":299999}' ]
}

@test "a call that goes out under the id of a blocked one: its result is passed, not dropped" {
	policy 'rules:' '  - {name: cap, when: "args.amount > 500", then: block}'
	printf '%s\n' '{"trace":"i","step":1,"kind":"call","id":"c","tool":"refund","args":{"amount":900}}' \
		'{"trace":"i","step":2,"kind":"call","id":"c","tool":"refund","args":{"amount":400}}' \
		'{"trace":"i","step":3,"kind":"result","call":"c","status":"ok"}' >"$T/i.ndjson"
	govern -p "$T/p.yaml" "$T/i.ndjson"
	[ "$(jq -c '[.step, .kind, .status]' <<<"$output" | paste -sd' ')" = '[2,"govern",null] [3,"result","error"] [4,"call",null] [5,"result","ok"]' ]
}

@test "a governed trace governed again is the same: a field set to the value it has is not changed" {
	set -o pipefail
	agraph-govern -p "$P" "$D/run.ndjson" | agraph-govern -p "$P" | cmp - "$D/run.governed"
	agraph-govern -p "$D/messages.yaml" "$D/messages.ndjson" | agraph-govern -p "$D/messages.yaml" | cmp - "$D/messages.governed"
	# one field of two already so: only the other is named
	policy 'rules:' '  - {name: s, then: rewrite, set: {args.a: "1", args.b: "2"}}'
	govern -p "$T/p.yaml" <(echo '{"trace":"x","step":1,"kind":"call","tool":"t","args":{"a":1,"b":1}}')
	[ "$(jq -c .changed <<<"${lines[1]}")" = '["args.b"]' ]
}
