#!/usr/bin/env bats
# agraph-trace: output formats, stats and its merge, lint, grep, lineage,
# the conventions, bad input.

load helper

setup() {
	R=$BATS_TEST_TMPDIR/runs.ndjson
	S=$BATS_TEST_TMPDIR/static.ndjson
	agraph-route --fail Stripe --id ok "$EX/customer-support.yaml" >"$R"
	exits 1 agraph-route --fail Stripe,Razorpay --id esc "$EX/customer-support.yaml" >>"$R"
	agraph-route --policy fixed --fail Stripe --id silent "$EX/customer-support.yaml" >"$S"
}

@test "--help and --version; no command is a usage error" {
	run agraph-trace --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: agraph-trace check "* ]]
	run agraph-trace check --help
	[ "$status" -eq 0 ]
	run agraph-trace --version
	[[ $output == "agraph-trace "[0-9]* ]]
	run --separate-stderr agraph-trace
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-trace frobnicate
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-trace: unknown command 'frobnicate'"* ]]
}

@test "an option of another command is a usage error" {
	run --separate-stderr agraph-trace lint --json "$R"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: lint does not take --json" ]
	run --separate-stderr agraph-trace lint -c "$EX/contracts.yaml" "$R"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: lint does not take -c" ]
}

@test "check: exit 0 when all pass, 1 when any fails" {
	run agraph-trace check "$R"
	[ "$status" -eq 0 ]
	run agraph-trace check "$R" "$S"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "trace silent: observable: FAIL at step 10: step 5 (Stripe error) was not retried, rerouted or escalated, yet step 10 (final) says success" ]
	[ "${lines[1]}" = "3 traces, 15 verdicts: 14 pass, 1 fail" ]
}

@test "check --verbose lists the passes too" {
	run agraph-trace check --verbose --builtin answered "$R"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "trace ok: answered: pass" ]
	[ "${lines[1]}" = "trace esc: answered: pass" ]
}

@test "one meaning per option: -v inverts grep, --trace names a trace; other spellings are refused by name" {
	run --separate-stderr agraph-trace check -v --builtin answered "$R"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: check does not take -v" ]
	run --separate-stderr agraph-trace grep --verbose true "$R"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: grep does not take --verbose" ]
	run --separate-stderr agraph-trace grep --trace 'kind == "escalate"' "$R"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: grep does not take --trace" ]
	[ "$(agraph-trace grep --invert-match 'kind != "final"' "$R")" = "$(agraph-trace grep -v 'kind != "final"' "$R")" ]
	[ "$(agraph-trace grep -v 'kind != "final"' "$R" | wc -l)" -eq 2 ]
	[ "$(agraph-trace lineage --trace esc 10 "$R")" = "$(agraph-trace lineage --trace=esc 10 "$R")" ]
	run --separate-stderr agraph-trace lineage --trace
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-trace: option '--trace' requires an argument" ]
}

@test "check reads stdin, and several files in a row" {
	run agraph-trace check --builtin answered <"$R"
	[ "$status" -eq 0 ]
	[ "$output" = "2 traces, 2 verdicts: 2 pass, 0 fail" ]
	run agraph-trace check --builtin answered - "$S" <"$R"
	[ "$status" -eq 0 ]
	[ "$output" = "3 traces, 3 verdicts: 3 pass, 0 fail" ]
}

@test "--format ndjson writes verdict records with file and line of a failure" {
	run agraph-trace check --format ndjson --builtin observable "$S"
	[ "$status" -eq 1 ]
	[ "$output" = "{\"trace\":\"silent\",\"kind\":\"verdict\",\"contract\":\"observable\",\"status\":\"fail\",\"step\":10,\"reason\":\"step 5 (Stripe error) was not retried, rerouted or escalated, yet step 10 (final) says success\",\"file\":\"$S\",\"line\":10}" ]
}

@test "--format junit is well-formed XML with a testcase per trace and contract" {
	run agraph-trace check --format junit "$R" "$S"
	[ "$status" -eq 1 ]
	xmllint --noout - <<<"$output"
	[ "$(xmllint --xpath 'count(//testcase)' - <<<"$output")" = 15 ]
	[ "$(xmllint --xpath 'count(//testcase/failure)' - <<<"$output")" = 1 ]
	[ "$(xmllint --xpath 'string(//testsuites/@failures)' - <<<"$output")" = 1 ]
	[ "$(xmllint --xpath 'string(//failure/../@classname)' - <<<"$output")" = silent ]
	xmllint --noout --schema "$JUNIT_XSD" - <<<"$output"
}

JUNIT_XSD=$BATS_TEST_DIRNAME/data/junit/junit-10.xsd

# The report on stdin as junitparser (Debian's python3-junitparser) reads
# it: per suite, "tests errors failures", then per case "name|result|message".
junitparser_read() {
	/usr/bin/python3 -c '
import sys
from junitparser import JUnitXml
x = JUnitXml.fromstring(sys.stdin.read().encode())
print(x.tests, x.errors, x.failures)
for s in x:
    print(s.tests, s.errors, s.failures)
    for c in s:
        print("|".join([c.name] + [w for r in c.result for w in (type(r).__name__, r.message or "")]))
'
}

@test "--format junit: a line that cannot be read is an error test case, counted in errors=" {
	{ head -3 "$S"; echo '{"trace":"silent",'; tail -n +4 "$S"; } >"$BATS_TEST_TMPDIR/torn.ndjson"
	run --separate-stderr agraph-trace check --format junit "$BATS_TEST_TMPDIR/torn.ndjson"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $BATS_TEST_TMPDIR/torn.ndjson:4:19: expected a string key" ]
	xmllint --noout --schema "$JUNIT_XSD" - <<<"$output"
	[ "$(xmllint --xpath 'string(//testsuites/@errors)' - <<<"$output")" = 1 ]
	[ "$(xmllint --xpath 'string(//testsuite/@errors)' - <<<"$output")" = 1 ]
	[ "$(xmllint --xpath 'string(//testsuite/@tests)' - <<<"$output")" = 6 ]
	[ "$(xmllint --xpath 'string(//error/@message)' - <<<"$output")" = "expected a string key" ]
	[ "$(xmllint --xpath 'string(//error/../@name)' - <<<"$output")" = "$BATS_TEST_TMPDIR/torn.ndjson:4:19: unreadable" ]
	[ "$(xmllint --xpath 'string(//error)' - <<<"$output")" = "$BATS_TEST_TMPDIR/torn.ndjson:4:19: expected a string key" ]
	# The records that could be read are still checked.
	[ "$(xmllint --xpath 'count(//testcase[@classname="silent"])' - <<<"$output")" = 5 ]
	run junitparser_read <<<"$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "6 1 1" ]
	[ "$(grep -c '|Error|' <<<"$output")" = 1 ]
	# A file that cannot be opened, and a record the checker refuses, too.
	run --separate-stderr agraph-trace check --format junit --max-open 1 /nonexistent "$R"
	[ "$status" -eq 2 ]
	xmllint --noout --schema "$JUNIT_XSD" - <<<"$output"
	[ "$(xmllint --xpath 'string(//testsuite/@errors)' - <<<"$output")" = 2 ]
	[ "$(xmllint --xpath 'string(//testcase[1]/@name)' - <<<"$output")" = "/nonexistent: unreadable" ]
	[ "$(xmllint --xpath 'string(//testcase[1]/error/@message)' - <<<"$output")" = "No such file or directory" ]
}

@test "--format junit: junit-report-merger keeps the error case and its count" {
	jrm=$BATS_TEST_DIRNAME/junit/node_modules/.bin/jrm
	[ -x "$jrm" ] || skip "no junit-report-merger: scripts/install-deps installs it"
	{ head -3 "$S"; echo '{"trace":"silent",'; tail -n +4 "$S"; } >"$BATS_TEST_TMPDIR/torn.ndjson"
	exits 2 agraph-trace check --format junit "$BATS_TEST_TMPDIR/torn.ndjson" >"$BATS_TEST_TMPDIR/a.xml" 2>/dev/null
	agraph-trace check --format junit "$R" >"$BATS_TEST_TMPDIR/b.xml"
	xmllint --noout --schema "$JUNIT_XSD" "$BATS_TEST_TMPDIR/a.xml" "$BATS_TEST_TMPDIR/b.xml"
	"$jrm" "$BATS_TEST_TMPDIR/merged.xml" "$BATS_TEST_TMPDIR/a.xml" "$BATS_TEST_TMPDIR/b.xml" >/dev/null
	[ "$(xmllint --xpath 'string(/testsuites/@errors)' "$BATS_TEST_TMPDIR/merged.xml")" = 1 ]
	[ "$(xmllint --xpath 'string(/testsuites/@tests)' "$BATS_TEST_TMPDIR/merged.xml")" = 16 ]
	[ "$(xmllint --xpath 'count(//testcase/error)' "$BATS_TEST_TMPDIR/merged.xml")" = 1 ]
}

@test "--format junit: test case names tell traces apart where classname is not shown" {
	run agraph-trace check --format junit "$R" "$S"
	[ "$(xmllint --xpath 'string(//testcase[@classname="esc"][1]/@name)' - <<<"$output")" = "esc: well-formed" ]
	[ "$(xmllint --xpath '//testcase/@name' - <<<"$output" | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(xmllint --xpath 'count(//testcase)' - <<<"$output")" = 15 ]
	run junitparser_read <<<"$output"
	[ "$(tail -n +3 <<<"$output" | cut -d'|' -f1 | sort -u | wc -l)" -eq 15 ]
}

@test "--format junit escapes what XML cannot hold as it is" {
	printf '%s\n' '{"trace":"a<b>&\"c\u0001","step":1,"kind":"call"}' >"$BATS_TEST_TMPDIR/odd.ndjson"
	run agraph-trace check --format junit "$BATS_TEST_TMPDIR/odd.ndjson"
	[ "$status" -eq 1 ]
	xmllint --noout - <<<"$output"
	[[ $(xmllint --xpath 'string(//testcase/@classname)' - <<<"$output") == 'a<b>&"c'* ]]
}

@test "--format github writes ::error annotations for failures only" {
	run agraph-trace check --format github "$R" "$S"
	[ "$status" -eq 1 ]
	[ "$output" = "::error file=$S,line=10,title=observable::trace silent: observable: FAIL at step 10: step 5 (Stripe error) was not retried, rerouted or escalated, yet step 10 (final) says success" ]
}

@test "--format takes four names" {
	run agraph-trace check --format xml "$R"
	[ "$status" -eq 2 ]
}

@test "stats: per run and in total" {
	run agraph-trace stats "$R" "$S"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "trace                    records calls failures faults reroutes escalations model_calls  final" ]
	[[ ${lines[1]} == "ok "*" 13 "*" success" ]]
	[[ ${lines[2]} == "esc "*" escalated" ]]
	[[ $output == *"task success               2 of 3 (66.7%)"* ]]
	[[ $output == *"containment                2 of 3 (66.7%)"* ]]
	[[ $output == *"tool Stripe errors         3 of 3 (100.0%)"* ]]
	[[ $output == *"model calls                1"* ]]
}

@test "stats --json: a row per run, then the total" {
	run agraph-trace stats --json "$R" "$S"
	[ "$status" -eq 0 ]
	[ "$(jq -r 'select(.trace) | .trace' <<<"$output" | paste -sd' ')" = "ok esc silent" ]
	[ "$(jq -c 'select(.total) | .total | [.runs, .success, .escalated, .affected, .contained, .termination_reliability]' <<<"$output")" = '[3,2,1,3,2,1]' ]
	[ "$(jq -c 'select(.trace == "silent") | [.observable, .terminates, .failures]' <<<"$output")" = '[false,true,1]' ]
	# One model call: the escalation of esc.
	[ "$(jq -c 'select(.trace) | .model_calls' <<<"$output" | paste -sd' ')" = "0 1 0" ]
	[ "$(jq -c 'select(.total) | .total.model_calls' <<<"$output")" = 1 ]
}

@test "stats -c: contract compliance" {
	run agraph-trace stats --json --builtin observable,answered "$R" "$S"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.total) | .total | [(.compliance_rate * 600 | round), .contracts.observable.pass, .contracts.observable.total]' <<<"$output")" = '[500,2,3]' ]
}

@test "stats counts governance decisions and faults" {
	printf '%s\n' '{"trace":"g","step":1,"kind":"govern","decision":"block"}' \
		'{"trace":"g","step":2,"kind":"govern","decision":"allow"}' \
		'{"trace":"g","step":3,"kind":"govern","decision":"block"}' \
		'{"trace":"g","step":4,"kind":"fault","fault":"error"}' \
		'{"trace":"g","step":5,"kind":"final","status":"escalated"}' >"$BATS_TEST_TMPDIR/g.ndjson"
	run agraph-trace stats --json "$BATS_TEST_TMPDIR/g.ndjson"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.total) | .total | [.govern, .affected, .contained]' <<<"$output")" = '[{"block":2,"allow":1},1,1]' ]
}

@test "stats --partial and --merge over a corpus split by trace id equal stats over the whole" {
	while IFS=$'\t' read -r id graph name failing; do
		agraph-route --fail "${failing#-}" "$EX/$graph" --id "$id" || [ $? -eq 1 ]
		agraph-route --policy fixed --fail "${failing#-}" "$EX/$graph" --id "static-$id"
	done < <(tail -n +2 "$EX/scenarios.tsv") >"$BATS_TEST_TMPDIR/all.ndjson"
	jq -c 'select(.trace | test("^(CS|static-TB)"))' "$BATS_TEST_TMPDIR/all.ndjson" >"$BATS_TEST_TMPDIR/p1"
	jq -c 'select(.trace | test("^(CS|static-TB)") | not)' "$BATS_TEST_TMPDIR/all.ndjson" >"$BATS_TEST_TMPDIR/p2"
	for p in p1 p2; do
		agraph-trace stats --partial --builtin all "$BATS_TEST_TMPDIR/$p" >"$BATS_TEST_TMPDIR/$p.partial"
	done
	agraph-trace stats --json --builtin all "$BATS_TEST_TMPDIR/all.ndjson" >"$BATS_TEST_TMPDIR/whole"
	agraph-trace stats --merge --json "$BATS_TEST_TMPDIR"/p1.partial "$BATS_TEST_TMPDIR"/p2.partial >"$BATS_TEST_TMPDIR/merged"
	whole=$(jq -cS 'select(.total)' "$BATS_TEST_TMPDIR/whole")
	merged=$(jq -cS 'select(.total)' "$BATS_TEST_TMPDIR/merged")
	[ -n "$whole" ]
	[ "$whole" = "$merged" ]
	[ "$(jq '.total.runs' <<<"$merged")" = 38 ]
	[ "$(jq '.total.contained' <<<"$merged")" = 16 ]
}

@test "stats --merge refuses what is not a partial" {
	run --separate-stderr agraph-trace stats --merge "$R"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $R:1:1: not a stats partial (written by stats --partial)" ]
}

@test "lint: every problem, with file and line; exit 1" {
	printf '%s\n' '{"trace":"t","step":1,"kind":"call"}' '{"trace":"t","step":1,"kind":"result"}' \
		'{"trace":"t","kind":"result"}' '{"trace":"t","step":3}' >"$BATS_TEST_TMPDIR/bad.ndjson"
	run agraph-trace lint "$BATS_TEST_TMPDIR/bad.ndjson"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$BATS_TEST_TMPDIR/bad.ndjson:2: trace t: step 1 (result): step 1 does not come after step 1" ]
	[ "${lines[1]}" = "$BATS_TEST_TMPDIR/bad.ndjson:3: trace t: step -1 (result): the record has no \"step\"" ]
	[ "${lines[2]}" = "$BATS_TEST_TMPDIR/bad.ndjson:4: trace t: step 3 (?): the record has no \"kind\"" ]
	[ "${#lines[@]}" -eq 3 ]
	run agraph-trace lint "$R"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lint: malformed JSON is reported and the rest still linted; exit 2" {
	printf '%s\n' '{"trace":"t","step":2,"kind":"a"}' '{"trace":' '{"trace":"t","step":1,"kind":"b"}' >"$BATS_TEST_TMPDIR/bad.ndjson"
	run --separate-stderr agraph-trace lint "$BATS_TEST_TMPDIR/bad.ndjson"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-trace: $BATS_TEST_TMPDIR/bad.ndjson:2:"* ]]
	[ "$output" = "$BATS_TEST_TMPDIR/bad.ndjson:3: trace t: step 1 (b): step 1 does not come after step 2" ]
}

@test "grep: matching records, original bytes; -v inverts; exit 1 when none" {
	printf '%s\n' '{"trace":"t", "step":1,"kind":"call","tool":"a"}' '{"trace":"t","step":2,"kind":"result"}' >"$BATS_TEST_TMPDIR/g.ndjson"
	run agraph-trace grep 'kind == "call"' "$BATS_TEST_TMPDIR/g.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = '{"trace":"t", "step":1,"kind":"call","tool":"a"}' ]
	run agraph-trace grep -v 'kind == "call"' "$BATS_TEST_TMPDIR/g.ndjson"
	[ "$output" = '{"trace":"t","step":2,"kind":"result"}' ]
	run agraph-trace grep 'kind == "nothing"' "$BATS_TEST_TMPDIR/g.ndjson"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "grep --whole-trace: whole traces that contain a match" {
	run agraph-trace grep --whole-trace 'kind == "escalate"' "$R"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = esc ]
	[ "$(wc -l <<<"$output")" -eq "$(grep -c '"trace":"esc"' "$R")" ]
	run agraph-trace grep --whole-trace -v 'kind == "escalate"' "$R"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = ok ]
}

@test "grep: a bad expression points at its column" {
	run --separate-stderr agraph-trace grep 'kind == ' "$R"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: expression:1:9: unexpected end of expression" ]
}

@test "lineage: the chain of causes back from a record" {
	# The model record (step 10) is caused by the escalate, as the final is.
	run agraph-trace lineage --trace esc 11 "$R"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.step, .kind]' <<<"$output" | paste -sd' ')" = '[8,"result"] [9,"escalate"] [11,"final"]' ]
}

@test "lineage: with no --trace, the first trace of the input" {
	run agraph-trace lineage 6 "$R"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.trace, .step, .kind]' <<<"$output" | paste -sd' ')" = '["ok",5,"result"] ["ok",6,"reroute"]' ]
}

@test "lineage: a step that is not there is exit 1" {
	run --separate-stderr agraph-trace lineage --trace=ok 99 "$R"
	[ "$status" -eq 1 ]
	[ "$stderr" = "agraph-trace: trace ok has no record at step 99" ]
	run agraph-trace lineage x "$R"
	[ "$status" -eq 2 ]
}

@test "bad input: reported with file:line:col, the rest still checked, exit 2" {
	{ head -3 "$R"; echo '{"oops'; tail -n +4 "$R"; } >"$BATS_TEST_TMPDIR/broken.ndjson"
	run --separate-stderr agraph-trace check --builtin answered "$BATS_TEST_TMPDIR/broken.ndjson"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-trace: $BATS_TEST_TMPDIR/broken.ndjson:4:"* ]]
	[ "$output" = "2 traces, 2 verdicts: 2 pass, 0 fail" ]
}

@test "a missing file is an error and the others are read" {
	run --separate-stderr agraph-trace check --builtin answered /nonexistent "$R"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: /nonexistent: No such file or directory" ]
	[ "$output" = "2 traces, 2 verdicts: 2 pass, 0 fail" ]
}

@test "a bad contract file is exit 2 with its place" {
	printf 'contracts:\n  - name: x\n    always: "kind =="\n' >"$BATS_TEST_TMPDIR/c.yaml"
	run --separate-stderr agraph-trace check -c "$BATS_TEST_TMPDIR/c.yaml" "$R"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-trace: $BATS_TEST_TMPDIR/c.yaml:3:21: in contract 'x', always: unexpected end of expression" ]
	run --separate-stderr agraph-trace check --builtin answred "$R"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-trace: --builtin: unknown built-in contract 'answred'"* ]]
}

@test "deterministic: the same input gives the same bytes" {
	# Each run must end as it should, quietly: two crashes would compare equal.
	run --separate-stderr agraph-trace check --format junit "$R" "$S"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ -n "$output" ]
	a=$output
	run --separate-stderr agraph-trace check --format junit "$R" "$S"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$output" = "$a" ]
}

@test "a closed pipe ends quietly" {
	for i in $(seq 200); do cat "$R"; done | sed 's/"trace":"ok"/"trace":"x"/' >"$BATS_TEST_TMPDIR/big.ndjson"
	# The status is agraph-trace's, not head's.
	run --separate-stderr bash -c "agraph-trace grep 'true' '$BATS_TEST_TMPDIR/big.ndjson' | head -1; exit \${PIPESTATUS[0]}"
	closed_quietly "$status"
	[ -z "$stderr" ]
	[ "$output" = "$(head -1 "$BATS_TEST_TMPDIR/big.ndjson")" ]
}
