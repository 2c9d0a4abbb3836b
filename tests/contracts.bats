#!/usr/bin/env bats
# agraph-trace check: every pattern under every scope, on small hand-written
# traces, with the exact first violating step; then the built-ins.

load helper

# trace TOKENS...: a trace "t" whose records have the tokens as kinds,
# steps from 1.  Q opens a scope, R closes it, P and S are the pattern's
# propositions, X breaks always/never; anything else is filler.
trace() {
	local i=0 tok
	for tok in "$@"; do
		i=$((i + 1))
		printf '{"trace":"t","step":%d,"kind":"%s"}\n' $i "$tok"
	done
}

# verdict PATTERN-YAML SCOPE-YAML TOKENS...: pass, or fail@STEP; or, when
# the exit status does not agree (a crash) or stderr is not empty, what
# happened, which no verdict equals.
verdict() {
	local pattern=$1 scope=$2 out v rc=0
	shift 2
	{
		echo "contracts:"
		echo "  - name: c"
		echo "    $pattern"
		[ -n "$scope" ] && echo "    scope: $scope"
	} >"$BATS_TEST_TMPDIR/c.yaml"
	trace "$@" >"$BATS_TEST_TMPDIR/t.ndjson"
	out=$(agraph-trace check --format ndjson -c "$BATS_TEST_TMPDIR/c.yaml" "$BATS_TEST_TMPDIR/t.ndjson" \
		2>"$BATS_TEST_TMPDIR/err") || rc=$?
	v=$(jq -r 'if .status == "pass" then "pass" else "fail@\(.step)" end' <<<"$out")
	if [ "$rc" -ne "$([[ $v == *fail@* ]] && echo 1 || echo 0)" ] || [ -s "$BATS_TEST_TMPDIR/err" ]; then
		echo "exit $rc: $v $(cat "$BATS_TEST_TMPDIR/err")"
		return
	fi
	echo "$v"
}

ALWAYS="always: 'kind != \"X\"'"
NEVER="never: 'kind == \"X\"'"
EVENTUALLY="eventually: 'kind == \"P\"'"
PRECEDENCE="precedence: {first: 'kind == \"S\"', before: 'kind == \"P\"'}"
RESPONSE="response: {if: 'kind == \"P\"', then: 'kind == \"S\"'}"
BOUNDED="bounded: {what: 'kind == \"P\"', max: 1}"
BEFORE="{before: 'kind == \"R\"'}"
AFTER="{after: 'kind == \"Q\"'}"
BETWEEN="{between: 'kind == \"Q\"', and: 'kind == \"R\"'}"
UNTIL="{after: 'kind == \"Q\"', until: 'kind == \"R\"'}"

@test "always, global: the first breaking record" {
	[ "$(verdict "$ALWAYS" "" a X b X)" = fail@2 ]
	[ "$(verdict "$ALWAYS" global a b)" = pass ]
}

@test "always, before R: certain when R comes; vacuous without R" {
	[ "$(verdict "$ALWAYS" "$BEFORE" a X b R)" = fail@4 ]
	[ "$(verdict "$ALWAYS" "$BEFORE" a R X)" = pass ]
	[ "$(verdict "$ALWAYS" "$BEFORE" a X b)" = pass ]
}

@test "always, after Q: from Q on, Q included" {
	[ "$(verdict "$ALWAYS" "$AFTER" X Q a X)" = fail@4 ]
	[ "$(verdict "$ALWAYS" "$AFTER" X Q a)" = pass ]
	[ "$(verdict "$ALWAYS" "$AFTER" X a)" = pass ]
}

@test "always, between Q and R: only intervals that R closes" {
	[ "$(verdict "$ALWAYS" "$BETWEEN" Q X R)" = fail@3 ]
	[ "$(verdict "$ALWAYS" "$BETWEEN" Q X)" = pass ]
	[ "$(verdict "$ALWAYS" "$BETWEEN" X Q a R X)" = pass ]
	[ "$(verdict "$ALWAYS" "$BETWEEN" Q a R Q X R)" = fail@6 ]
}

@test "always, after Q until R: an open interval counts" {
	[ "$(verdict "$ALWAYS" "$UNTIL" Q X)" = fail@2 ]
	[ "$(verdict "$ALWAYS" "$UNTIL" Q a R X)" = pass ]
	[ "$(verdict "$ALWAYS" "$UNTIL" Q a R Q X)" = fail@5 ]
}

@test "never, under every scope" {
	[ "$(verdict "$NEVER" "" a X)" = fail@2 ]
	[ "$(verdict "$NEVER" "$BEFORE" X R)" = fail@2 ]
	[ "$(verdict "$NEVER" "$BEFORE" R X)" = pass ]
	[ "$(verdict "$NEVER" "$AFTER" X Q)" = pass ]
	[ "$(verdict "$NEVER" "$AFTER" Q a X)" = fail@3 ]
	[ "$(verdict "$NEVER" "$BETWEEN" Q X R)" = fail@3 ]
	[ "$(verdict "$NEVER" "$BETWEEN" Q X)" = pass ]
	[ "$(verdict "$NEVER" "$UNTIL" Q X)" = fail@2 ]
}

@test "eventually, global: left open at the end fails at the first step" {
	[ "$(verdict "$EVENTUALLY" "" a P)" = pass ]
	[ "$(verdict "$EVENTUALLY" "" a b)" = fail@1 ]
}

@test "eventually, before R: P must come before R" {
	[ "$(verdict "$EVENTUALLY" "$BEFORE" a P R)" = pass ]
	[ "$(verdict "$EVENTUALLY" "$BEFORE" a b R)" = fail@3 ]
	[ "$(verdict "$EVENTUALLY" "$BEFORE" R P)" = fail@1 ]
	[ "$(verdict "$EVENTUALLY" "$BEFORE" a b)" = pass ]
}

@test "eventually, after Q: fails at Q's step when P never comes" {
	[ "$(verdict "$EVENTUALLY" "$AFTER" Q a P)" = pass ]
	[ "$(verdict "$EVENTUALLY" "$AFTER" P Q a)" = fail@2 ]
	[ "$(verdict "$EVENTUALLY" "$AFTER" a b)" = pass ]
}

@test "eventually, between Q and R: in every closed interval" {
	[ "$(verdict "$EVENTUALLY" "$BETWEEN" Q P R)" = pass ]
	[ "$(verdict "$EVENTUALLY" "$BETWEEN" Q a R)" = fail@3 ]
	[ "$(verdict "$EVENTUALLY" "$BETWEEN" Q a)" = pass ]
	[ "$(verdict "$EVENTUALLY" "$BETWEEN" Q P R Q a R)" = fail@6 ]
}

@test "eventually, after Q until R: an open interval fails at its Q" {
	[ "$(verdict "$EVENTUALLY" "$UNTIL" Q a)" = fail@1 ]
	[ "$(verdict "$EVENTUALLY" "$UNTIL" Q a R)" = fail@3 ]
	[ "$(verdict "$EVENTUALLY" "$UNTIL" Q P R Q a)" = fail@4 ]
	[ "$(verdict "$EVENTUALLY" "$UNTIL" Q P R)" = pass ]
}

@test "precedence, global" {
	[ "$(verdict "$PRECEDENCE" "" a S P)" = pass ]
	[ "$(verdict "$PRECEDENCE" "" a P S)" = fail@2 ]
	[ "$(verdict "$PRECEDENCE" "" a b)" = pass ]
}

@test "precedence, before R" {
	[ "$(verdict "$PRECEDENCE" "$BEFORE" P R)" = fail@2 ]
	[ "$(verdict "$PRECEDENCE" "$BEFORE" S P R)" = pass ]
	[ "$(verdict "$PRECEDENCE" "$BEFORE" R P)" = pass ]
	[ "$(verdict "$PRECEDENCE" "$BEFORE" P a)" = pass ]
}

@test "precedence, after Q" {
	[ "$(verdict "$PRECEDENCE" "$AFTER" P Q S P)" = pass ]
	[ "$(verdict "$PRECEDENCE" "$AFTER" S Q P)" = fail@3 ]
	[ "$(verdict "$PRECEDENCE" "$AFTER" P Q)" = pass ]
}

@test "precedence, between Q and R: S must come again in each interval" {
	[ "$(verdict "$PRECEDENCE" "$BETWEEN" Q P R)" = fail@3 ]
	[ "$(verdict "$PRECEDENCE" "$BETWEEN" Q S P R Q P R)" = fail@7 ]
	[ "$(verdict "$PRECEDENCE" "$BETWEEN" Q P)" = pass ]
}

@test "precedence, after Q until R" {
	[ "$(verdict "$PRECEDENCE" "$UNTIL" Q P)" = fail@2 ]
	[ "$(verdict "$PRECEDENCE" "$UNTIL" Q S R Q P)" = fail@5 ]
	[ "$(verdict "$PRECEDENCE" "$UNTIL" Q S P R)" = pass ]
}

@test "response, global: open at the end fails at the trigger" {
	[ "$(verdict "$RESPONSE" "" P a S)" = pass ]
	[ "$(verdict "$RESPONSE" "" P a)" = fail@1 ]
	[ "$(verdict "$RESPONSE" "" S P)" = fail@2 ]
	[ "$(verdict "$RESPONSE" "" P S P)" = fail@3 ]
}

@test "response within N steps: certain at the first record past the deadline" {
	within="response: {if: 'kind == \"P\"', then: 'kind == \"S\"', within: 1}"
	[ "$(verdict "$within" "" P S)" = pass ]
	[ "$(verdict "$within" "" P a S)" = fail@3 ]
	[ "$(verdict "$within" "" a P)" = fail@2 ]
}

@test "response, before R: certain when R comes" {
	[ "$(verdict "$RESPONSE" "$BEFORE" P R)" = fail@2 ]
	[ "$(verdict "$RESPONSE" "$BEFORE" P S R)" = pass ]
	[ "$(verdict "$RESPONSE" "$BEFORE" P a)" = pass ]
}

@test "response, after Q" {
	[ "$(verdict "$RESPONSE" "$AFTER" P Q a)" = pass ]
	[ "$(verdict "$RESPONSE" "$AFTER" Q P a)" = fail@2 ]
}

@test "response, between Q and R" {
	[ "$(verdict "$RESPONSE" "$BETWEEN" Q P R)" = fail@3 ]
	[ "$(verdict "$RESPONSE" "$BETWEEN" Q P S R)" = pass ]
	[ "$(verdict "$RESPONSE" "$BETWEEN" Q P)" = pass ]
}

@test "response, after Q until R" {
	[ "$(verdict "$RESPONSE" "$UNTIL" Q P)" = fail@2 ]
	[ "$(verdict "$RESPONSE" "$UNTIL" Q P R)" = fail@3 ]
	[ "$(verdict "$RESPONSE" "$UNTIL" Q P S R)" = pass ]
}

@test "bounded, global and before R" {
	[ "$(verdict "$BOUNDED" "" P a P)" = fail@3 ]
	[ "$(verdict "$BOUNDED" "" P a)" = pass ]
	[ "$(verdict "$BOUNDED" "$BEFORE" P P R)" = fail@3 ]
	[ "$(verdict "$BOUNDED" "$BEFORE" P R P)" = pass ]
}

@test "bounded, after Q, between, until: counted per interval" {
	[ "$(verdict "$BOUNDED" "$AFTER" P P Q P)" = pass ]
	[ "$(verdict "$BOUNDED" "$AFTER" Q P P)" = fail@3 ]
	[ "$(verdict "$BOUNDED" "$BETWEEN" Q P P R)" = fail@4 ]
	[ "$(verdict "$BOUNDED" "$BETWEEN" Q P R Q P R)" = pass ]
	[ "$(verdict "$BOUNDED" "$BETWEEN" Q P P)" = pass ]
	[ "$(verdict "$BOUNDED" "$UNTIL" Q P P)" = fail@3 ]
	[ "$(verdict "$BOUNDED" "$UNTIL" Q P R Q P)" = pass ]
}

@test "a record that is both Q and R closes and does not open" {
	both="{between: 'kind == \"Q\" || kind == \"QR\"', and: 'kind == \"R\" || kind == \"QR\"'}"
	[ "$(verdict "$ALWAYS" "$both" Q a QR X R)" = pass ]
}

@test "response with \$trigger: each call needs the result with its id" {
	cat >"$BATS_TEST_TMPDIR/c.yaml" <<'YAML'
contracts:
  - name: answered-in-time
    response: {if: 'kind == "call"', then: 'kind == "result" && call == $trigger.id', within: 3}
YAML
	printf '%s\n' '{"trace":"t","step":1,"kind":"call","id":"a"}' \
		'{"trace":"t","step":2,"kind":"call","id":"b"}' \
		'{"trace":"t","step":3,"kind":"result","call":"b"}' \
		'{"trace":"t","step":5,"kind":"result","call":"a"}' >"$BATS_TEST_TMPDIR/t.ndjson"
	run agraph-trace check -c "$BATS_TEST_TMPDIR/c.yaml" "$BATS_TEST_TMPDIR/t.ndjson"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "trace t: answered-in-time: FAIL at step 5: step 1 satisfies 'kind == \"call\"' but no record within 3 steps satisfies 'kind == \"result\" && call == \$trigger.id' (step 5 (result a) is past it)" ]
}

@test "the example contracts on interleaved traces: verdicts as each trace ends" {
	run agraph-trace check -c "$EX/contracts.yaml" "$EX/refunds.ndjson"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "trace r1: refund-cap: FAIL at step 4: step 4 (call refund c2) breaks always 'kind != \"call\" || tool != \"refund\" || args.amount <= 500'" ]
	[ "${lines[1]}" = "trace r2: answered: FAIL at step 1: step 1 satisfies 'kind == \"call\"' but no later record satisfies 'kind == \"result\" && call == \$trigger.id'" ]
	[ "${lines[2]}" = "trace r2: no-refund-after-escalation: FAIL at step 3: step 3 (call refund c2) breaks never 'kind == \"call\" && tool == \"refund\"'" ]
	[ "${lines[3]}" = "trace r2: auth-first: FAIL at step 1: step 1 (call refund c1) satisfies 'tool == \"refund\"' before any record satisfies 'tool == \"auth\"'" ]
	[ "${lines[4]}" = "2 traces, 8 verdicts: 4 pass, 4 fail" ]
}
