#!/usr/bin/env bats
# agraph-route --govern: each call decided by a policy before it goes out.
# A blocked tool is never run and the run heals around it; a rewritten call
# goes out rewritten; escalate hands the run to a person.

load helper

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/g" "$BATS_TEST_TMPDIR/marks"
	ln -sfn "$TOP/tests/tools" "$BATS_TEST_TMPDIR/tools"
	export MARKS=$BATS_TEST_TMPDIR/marks
	CS=$EX/customer-support.yaml
}

# policy NAME YAML: writes a policy file for one test.
policy() {
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
}

# Real tools: the cheapest payment, Primary, is the one the policy blocks.
LIVE='graph: live
start: Start
goal: Done
nodes:
  Lookup: {run: [../tools/mark.sh]}
  Primary: {run: [../tools/mark.sh], retries: 2}
  Backup: {run: [../tools/mark.sh]}
  Notify: {run: [../tools/echo.sh], args: {to: input.email, card: input.card}}
  Done: {waypoint: true}
edges:
  - [Start, Lookup, 0.1]
  - [Lookup, Primary, 0.1]
  - [Lookup, Backup, 0.5]
  - [Primary, Notify, 0.1]
  - [Backup, Notify, 0.1]
  - [Notify, Done, 0.1]'

@test "--govern --exec: a blocked cheapest tool never runs, the run reroutes and succeeds" {
	printf '%s\n' "$LIVE" >"$BATS_TEST_TMPDIR/g/live.yaml"
	policy p.yaml 'rules:
  - {name: no-primary, when: tool == "Primary", then: block, reason: not approved}'
	run --separate-stderr agraph-route --exec --govern "$BATS_TEST_TMPDIR/p.yaml" \
		--input '{"email": "a@b", "card": "4111"}' "$BATS_TEST_TMPDIR/g/live.yaml"
	[ "$status" -eq 0 ]
	[ "$(final_status <<<"$output")" = success ]
	[ "$(tools_called <<<"$output")" = "Lookup Backup Notify Done" ]
	# the program of the blocked tool never ran, not even for its retries
	[ "$(cd "$MARKS" && ls | paste -sd' ')" = "Backup.1 Lookup.1" ]
	[ "$(jq -c 'select(.kind == "govern") | [.step, .decision, .rule, .reason, .call, .cause]' <<<"$output")" = '[6,"block","no-primary","not approved","c2",5]' ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Primary") | [.step, .status, .error.class, .error.retryable, .cause]' <<<"$output")" = '[7,"error","blocked",false,6]' ]
	# the run heals around the refusal as around any failure: the reroute's cause is it
	[ "$(jq -c 'select(.kind == "reroute") | [.path, .cause]' <<<"$output")" = '[["Lookup","Backup","Notify","Done"],7]' ]
	# and the trace stays well-formed and observable
	agraph-trace check --builtin all <<<"$output"
}

@test "--govern --exec: a rewritten call reaches the tool rewritten, its govern record after it" {
	printf '%s\n' "$LIVE" >"$BATS_TEST_TMPDIR/g/live.yaml"
	policy p.yaml 'rules:
  - name: mask-card
    when: exists(args.card)
    then: rewrite
    set: {args.card: "\"****\"", args.masked: "true"}
    remove: [args.to]'
	run --separate-stderr agraph-route --exec --govern "$BATS_TEST_TMPDIR/p.yaml" \
		--input '{"email": "a@b", "card": "4111"}' "$BATS_TEST_TMPDIR/g/live.yaml"
	[ "$status" -eq 0 ]
	# what the tool read on its stdin (echo.sh prints it back as its output)
	[ "$(jq -c 'select(.kind == "result" and .tool == "Notify") | .output.args' <<<"$output")" = '{"card":"****","masked":true}' ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "Notify") | .args' <<<"$output")" = '{"card":"****","masked":true}' ]
	# the card number is nowhere in the trace but in the run's input
	[ "$(grep -c 4111 <<<"$output")" = 1 ]
	[ "$(grep 4111 <<<"$output" | jq -r .kind)" = message ]
	n=$(jq -c 'select(.kind == "call" and .tool == "Notify") | .step' <<<"$output")
	[ "$(jq -c 'select(.kind == "govern") | [.step, .decision, .changed, .cause]' <<<"$output")" = "[$((n + 1)),\"rewrite\",[\"args.card\",\"args.masked\",\"args.to\"],$n]" ]
}

@test "--govern: escalate ends the run escalated, the call not made, exit 1" {
	policy p.yaml 'rules:
  - {name: ask, when: tool == "Stripe", then: escalate, reason: a person approves payments}'
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS"
	[ "$status" -eq 1 ]
	[ "$(tools_called <<<"$output")" = "CRM" ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Stripe") | .error.class' <<<"$output")" = '"escalated"' ]
	[ "$(jq -c 'select(.kind == "escalate") | .reason' <<<"$output")" = '"a person approves payments"' ]
	[ "$(final_status <<<"$output")" = escalated ]
}

@test "--govern: blocks and real failures together demote or escalate as failures do" {
	policy p.yaml 'rules:
  - {name: no-stripe, when: tool == "Stripe", then: block}'
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" --fail Razorpay "$CS"
	[ "$status" -eq 1 ]
	[ "$(final_status <<<"$output")" = escalated ]
	[ "$(jq -c 'select(.kind == "govern") | .reason' <<<"$output")" = '"blocked by rule no-stripe"' ]
	agraph-trace check --builtin well-formed,observable,answered <<<"$output"
}

@test "--govern --coproc: a blocked call is never sent to the executor" {
	policy p.yaml 'default: block
rules:
  - {name: ok, when: tool != "Stripe", then: allow}'
	# the executor answers c1, c3 (Razorpay), c4, c5: c2 (Stripe) never comes to it
	input='{"kind":"result","call":"c1","status":"ok"}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}
{"kind":"result","call":"c5","status":"ok"}'
	run --separate-stderr agraph-route --coproc --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS" <<<"$input"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	[ "$(jq -c 'select(.kind == "govern") | [.decision, .rule, .reason]' <<<"$output")" = '["block","default","no rule allows it (default: block)"]' ]
}

@test "--govern --coproc: an executor's answer to a blocked call is passed over, as for a call timed out" {
	policy p.yaml 'rules:
  - {name: no-stripe, when: tool == "Stripe", then: block}'
	# an executor that answers every id it has seen named, c2 among them
	input='{"kind":"result","call":"c1","status":"ok"}
{"kind":"result","call":"c2","status":"ok"}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}
{"kind":"result","call":"c5","status":"ok"}'
	run --separate-stderr agraph-route --coproc --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS" <<<"$input"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(final_status <<<"$output")" = success ]
	[ "$(jq -c 'select(.kind == "result" and .call == "c2") | .status' <<<"$output")" = '"error"' ]
}

@test "--govern: limit counts the calls of the run that went out" {
	policy p.yaml 'rules:
  - {name: one-payment, when: tool == "Stripe" || tool == "Razorpay", limit: 1, then: block}'
	# Stripe fails (a real failure, it went out: it counts), so Razorpay is over the limit
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" --fail Stripe "$CS"
	[ "$status" -eq 1 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe" ]
	[ "$(jq -c 'select(.kind == "govern") | [.tool, .rule]' <<<"$output")" = '["Razorpay","one-payment"]' ]
}

@test "--govern: replay --check re-decides a governed run; without the policy it diverges" {
	policy p.yaml 'rules:
  - {name: no-stripe, when: tool == "Stripe", then: block}'
	agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS" >"$BATS_TEST_TMPDIR/run.ndjson"
	run agraph-replay --check --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS" "$BATS_TEST_TMPDIR/run.ndjson"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "1 trace replayed, 0 diverged" ]
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/run.ndjson"
	[ "$status" -eq 1 ]
}

@test "--govern: the filter on an ungoverned run decides the same first call" {
	policy p.yaml 'rules:
  - {name: no-stripe, when: tool == "Stripe", then: block, reason: no}'
	a=$(agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS" | jq -c 'select(.kind == "govern" or (.kind == "result" and .tool == "Stripe")) | {step, kind, decision, rule, reason, call, status, error, cause}')
	b=$(agraph-route "$CS" | agraph-govern -p "$BATS_TEST_TMPDIR/p.yaml" | jq -c 'select(.kind == "govern" or (.kind == "result" and .tool == "Stripe")) | {step, kind, decision, rule, reason, call, status, error, cause}')
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "--govern: a bad policy is refused before anything runs, with its place" {
	policy p.yaml 'rules:
  - {name: x, then: maybe}'
	run --separate-stderr agraph-route --exec --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "agraph-route: $BATS_TEST_TMPDIR/p.yaml:2:21: then must be allow, rewrite, block or escalate, not 'maybe'" ]
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/none.yaml" "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: $BATS_TEST_TMPDIR/none.yaml"* ]]
}

@test "--govern: agraph-stress searches faults under the policy" {
	policy p.yaml 'rules:
  - {name: no-stripe, when: tool == "Stripe", then: block}'
	policy c.yaml 'contracts:
  - {name: succeeds, eventually: kind == "final" && status == "success"}'
	# With Stripe blocked, one fault on Razorpay is enough to break the run.
	run --separate-stderr agraph-stress -c "$BATS_TEST_TMPDIR/c.yaml" "$CS"
	[ "$status" -eq 1 ]
	! grep -q '^{Razorpay:error} breaks' <<<"$output" || false
	run --separate-stderr agraph-stress -c "$BATS_TEST_TMPDIR/c.yaml" --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS"
	[ "$status" -eq 1 ]
	grep -q '^{Razorpay:error} breaks succeeds' <<<"$output"
}

@test "--govern: a reason of any length reaches the blocked result whole" {
	r=$(head -c 3000 /dev/zero | tr '\0' x)
	policy p.yaml "rules: [{name: b, when: tool == \"Stripe\", then: block, reason: $r}]"
	run --separate-stderr agraph-route --govern "$BATS_TEST_TMPDIR/p.yaml" "$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "Stripe") | .error.message' <<<"$output")" = "$r" ]
}
