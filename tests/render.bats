#!/usr/bin/env bats
# agraph-render: the graph, a run over it, a cause graph; valid, deterministic SVG.

load helper

setup() {
	CS=$EX/customer-support.yaml
	RUN=$BATS_TEST_TMPDIR/stripe.ndjson
	agraph-route --fail Stripe "$CS" >"$RUN"
}

# classes ID: the class attribute of the SVG element with that id, from stdin.
classes() {
	grep -o "<g id=\"$1\" class=\"[^\"]*\"" | sed 's/.*class="//; s/"$//'
}

# xpath FILE EXPR: EXPR over the SVG, read by libxml2 as any SVG reader
# would (its elements are in the SVG namespace: name them by local-name()).
xpath() {
	xmllint --xpath "$2" "$1"
}

# look FILE ID: how the element with that id is drawn, whatever its colour
# and stroke width: its outline (a path, or a polygon and its number of
# points), its dashes, and for an edge whether the arrowhead is filled.
look() {
	local g="//*[local-name()='g'][@id='$2']"
	local shape="$g/*[local-name()='path' or local-name()='polygon'][1]"
	local outline head=
	outline=$(xpath "$1" "local-name($shape)")
	[ "$outline" = path ] || outline="$outline $(xpath "$1" "string($shape/@points)" | wc -w)"
	[ "$(xpath "$1" "string($g/@class)" | cut -d' ' -f1)" != edge ] ||
		head=" head=$(xpath "$1" "string($g/*[local-name()='polygon'][last()]/@fill)" | sed 's/^#.*/filled/')"
	echo "$outline dash=$(xpath "$1" "string($shape/@stroke-dasharray)")$head"
}

# legend FILE: the words of the drawing's legend, one a line: the text of
# the graph's own label after its title.
legend() {
	local t="/*/*[local-name()='g'][@class='graph']/*[local-name()='text']"
	local n
	n=$(xpath "$1" "count($t)")
	for ((i = 2; i <= n; i++)); do
		xpath "$1" "string(($t)[$i])"
	done
}

@test "--help and --version" {
	run agraph-render --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: agraph-render "* ]]
	run agraph-render --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-render "[0-9]* ]]
}

@test "the graph alone: valid SVG, every node and edge with its id, costs, start and goal" {
	agraph-render "$CS" >"$BATS_TEST_TMPDIR/g.svg"
	xmllint --noout "$BATS_TEST_TMPDIR/g.svg"
	for n in Start CRM Stripe Razorpay Email SMS Complete; do
		grep -q "<g id=\"node_$n\" class=\"node tool" "$BATS_TEST_TMPDIR/g.svg"
	done
	[ "$(grep -c '<g id="edge_' "$BATS_TEST_TMPDIR/g.svg")" -eq 9 ]
	[ "$(classes node_Start <"$BATS_TEST_TMPDIR/g.svg")" = "node tool start" ]
	[ "$(classes node_Complete <"$BATS_TEST_TMPDIR/g.svg")" = "node tool goal" ]
	grep -q '>0.3</text>' "$BATS_TEST_TMPDIR/g.svg"
	agraph-render "$EX/support.yaml" >"$BATS_TEST_TMPDIR/s.svg"
	[ "$(classes node_NotifyLater <"$BATS_TEST_TMPDIR/s.svg")" = "node tool fallback" ]
}

@test "a run on top: walked path, completed and failed tools, the reroute" {
	agraph-render -t "$RUN" "$CS" >"$BATS_TEST_TMPDIR/r.svg"
	xmllint --noout "$BATS_TEST_TMPDIR/r.svg"
	svg=$(cat "$BATS_TEST_TMPDIR/r.svg")
	[ "$(classes node_Stripe <<<"$svg")" = "node tool failed" ]
	[ "$(classes node_Razorpay <<<"$svg")" = "node tool completed" ]
	[ "$(classes node_CRM <<<"$svg")" = "node tool completed reroute_point" ]
	[ "$(classes node_SMS <<<"$svg")" = "node tool idle" ]
	[ "$(classes edge_Start_CRM <<<"$svg")" = "edge link walked" ]
	[ "$(classes edge_CRM_Razorpay <<<"$svg")" = "edge link walked rerouted" ]
	[ "$(classes edge_CRM_Stripe <<<"$svg")" = "edge link planned" ]
	[[ $svg == *">failed: unavailable<"* ]]
	[[ $svg == *">rerouted around Stripe<"* ]]
	[[ $svg == *">customer&#45;support: trace customer&#45;support, success, 1 reroute<"* ]]
}

@test "escalation, demotion, monitors, down tools and planted faults are drawn where they happened" {
	# Each run is written to a file first: a process substitution's status is lost.
	exits 1 agraph-route --fail CRM "$CS" >"$BATS_TEST_TMPDIR/crm"
	run agraph-render -t "$BATS_TEST_TMPDIR/crm" "$CS"
	[ "$status" -eq 0 ]
	[ "$(classes node_Start <<<"$output")" = "node tool start reroute_point escalated" ] ||
		[ "$(classes node_Start <<<"$output")" = "node tool start escalated" ]
	[[ $output == *">escalated: no path from Start to Complete<"* ]]
	agraph-route --fail Stripe,Razorpay "$EX/support.yaml" >"$BATS_TEST_TMPDIR/demoted"
	run agraph-render -t "$BATS_TEST_TMPDIR/demoted" "$EX/support.yaml"
	[ "$status" -eq 0 ]
	[ "$(classes node_NotifyLater <<<"$output")" = "node tool fallback completed demoted_goal" ]
	[[ $output == *">demoted to NotifyLater<"* ]]
	[[ $output == *">failed 2 times: unavailable<"* ]]
	agraph-route --monitors --fail Email:status=timeout "$EX/support.yaml" >"$BATS_TEST_TMPDIR/monitored"
	run agraph-render -t "$BATS_TEST_TMPDIR/monitored" "$EX/support.yaml"
	[ "$status" -eq 0 ]
	[[ $output == *">monitor slow&#45;email: penalty<"* ]]
	agraph-route --down Stripe "$CS" >"$BATS_TEST_TMPDIR/down"
	run agraph-render -t "$BATS_TEST_TMPDIR/down" "$CS"
	[ "$status" -eq 0 ]
	[ "$(classes node_Stripe <<<"$output")" = "node tool down idle" ]
	# With --format ndjson, the counterexamples are told on stderr.
	exits 1 agraph-stress --faults down --format ndjson -c "$EX/payment.yaml" "$CS" >"$BATS_TEST_TMPDIR/ce" 2>"$BATS_TEST_TMPDIR/ce.err"
	[ -s "$BATS_TEST_TMPDIR/ce.err" ]
	run agraph-render -t "$BATS_TEST_TMPDIR/ce" "$CS"
	[ "$status" -eq 0 ]
	[ "$(classes node_CRM <<<"$output")" = "node tool down faulted idle" ]
	[[ $output == *">fault: down</text>"* ]]
}

@test "walked, a new plan not walked, the first plan not walked and a failed tool differ by more than colour and width" {
	# CS-5: Stripe and Razorpay fail; Razorpay->Email->Complete was planned, never walked.
	exits 1 agraph-route --fail Stripe,Razorpay "$CS" >"$BATS_TEST_TMPDIR/cs5"
	agraph-render -t "$BATS_TEST_TMPDIR/cs5" "$CS" >"$BATS_TEST_TMPDIR/cs5.svg"
	svg=$BATS_TEST_TMPDIR/cs5.svg
	xmllint --noout "$svg"
	[ "$(classes edge_Start_CRM <"$svg")" = "edge link walked" ]
	[ "$(look "$svg" edge_Start_CRM)" = "path dash= head=filled" ]
	[ "$(classes edge_Razorpay_Email <"$svg")" = "edge link rerouted" ]
	[ "$(look "$svg" edge_Razorpay_Email)" = "path dash=5,2 head=none" ]
	[ "$(look "$svg" edge_Email_Complete)" = "path dash=5,2 head=none" ]
	[ "$(classes edge_CRM_Stripe <"$svg")" = "edge link planned" ]
	[ "$(look "$svg" edge_CRM_Stripe)" = "path dash=1,5 head=none" ]
	# an edge of no plan stays plain
	[ "$(look "$svg" edge_SMS_Complete)" = "path dash= head=filled" ]
	# failed: an octagon (8 corners and back to the first); completed or not
	# called: a rounded box, drawn as a path
	[ "$(look "$svg" node_Razorpay)" = "polygon 9 dash=" ]
	[ "$(look "$svg" node_Stripe)" = "polygon 9 dash=" ]
	[ "$(look "$svg" node_CRM)" = "path dash=" ]
	[ "$(look "$svg" node_Email)" = "path dash=" ]
	# CS-2: walked on a new plan is as solid as the first plan's walk
	agraph-render -t "$RUN" "$CS" >"$BATS_TEST_TMPDIR/cs2.svg"
	[ "$(classes edge_CRM_Razorpay <"$BATS_TEST_TMPDIR/cs2.svg")" = "edge link walked rerouted" ]
	[ "$(look "$BATS_TEST_TMPDIR/cs2.svg" edge_CRM_Razorpay)" = "path dash= head=filled" ]
}

@test "a legend under the title names each look the drawing uses, and only those" {
	exits 1 agraph-route --fail Stripe,Razorpay "$CS" >"$BATS_TEST_TMPDIR/cs5"
	agraph-render -t "$BATS_TEST_TMPDIR/cs5" "$CS" >"$BATS_TEST_TMPDIR/cs5.svg"
	[ "$(legend "$BATS_TEST_TMPDIR/cs5.svg")" = "walked
new plan, not walked
first plan, not walked
completed
failed (octagon), with its error class
not called
escalated there" ]
	agraph-route --fail Stripe,Razorpay "$EX/support.yaml" >"$BATS_TEST_TMPDIR/demoted"
	agraph-render -t "$BATS_TEST_TMPDIR/demoted" "$EX/support.yaml" >"$BATS_TEST_TMPDIR/demoted.svg"
	[ "$(legend "$BATS_TEST_TMPDIR/demoted.svg")" = "walked
walked, on a new plan
new plan, not walked
first plan, not walked
completed
failed (octagon), with its error class
not called
fallback goal (double, dashed)
demoted to (double border)" ]
	agraph-route --down Stripe "$CS" >"$BATS_TEST_TMPDIR/down"
	agraph-render -t "$BATS_TEST_TMPDIR/down" "$CS" >"$BATS_TEST_TMPDIR/down.svg"
	legend "$BATS_TEST_TMPDIR/down.svg" | grep -qx down
	# The graph alone: a fallback goal is the only look to explain.
	agraph-render "$EX/support.yaml" >"$BATS_TEST_TMPDIR/s.svg"
	[ "$(legend "$BATS_TEST_TMPDIR/s.svg")" = "fallback goal (double, dashed)" ]
	agraph-render "$CS" >"$BATS_TEST_TMPDIR/g.svg"
	[ -z "$(legend "$BATS_TEST_TMPDIR/g.svg")" ]
	[ "$(xpath "$BATS_TEST_TMPDIR/g.svg" "string(/*/*[local-name()='g'][@class='graph']/*[local-name()='text'])")" = "customer-support" ]
	xmllint --noout "$BATS_TEST_TMPDIR/cs5.svg" "$BATS_TEST_TMPDIR/demoted.svg" "$BATS_TEST_TMPDIR/s.svg"
}

@test "docs/support-run.svg: support.yaml with Stripe and Email failing, as the README says, in today's looks" {
	# Coordinates follow the fonts installed: compare what is drawn, not where.
	drawn() {
		grep -o '<g id="[^"]*" class="[^"]*"\|stroke-dasharray="[^"]*"\|<polygon fill="[^"]*"' "$1"
		legend "$1"
	}
	agraph-route --fail Stripe,Email "$EX/support.yaml" | agraph-render -t - "$EX/support.yaml" >"$BATS_TEST_TMPDIR/now.svg"
	[ "$(drawn "$BATS_TEST_TMPDIR/now.svg")" = "$(drawn "$TOP/docs/support-run.svg")" ]
	grep -q '(docs/support-run.svg)' "$TOP/README.md"
}

@test "--trace picks one of several traces; the first by default" {
	agraph-route --id a "$CS" >"$BATS_TEST_TMPDIR/two"
	agraph-route --id b --fail Stripe "$CS" >>"$BATS_TEST_TMPDIR/two"
	agraph-render -t "$BATS_TEST_TMPDIR/two" "$CS" >"$BATS_TEST_TMPDIR/a.svg"
	[ "$(classes node_Stripe <"$BATS_TEST_TMPDIR/a.svg")" = "node tool completed" ]
	agraph-render -t "$BATS_TEST_TMPDIR/two" --trace b "$CS" >"$BATS_TEST_TMPDIR/b.svg"
	[ "$(classes node_Stripe <"$BATS_TEST_TMPDIR/b.svg")" = "node tool failed" ]
	run agraph-render -t "$BATS_TEST_TMPDIR/two" --trace c "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-render: $BATS_TEST_TMPDIR/two: no trace 'c'" ]
}

@test "the first trace is the one of the first record, when traces interleave; read until it is over" {
	agraph-route --id a "$CS" >"$BATS_TEST_TMPDIR/a"
	agraph-route --id b --fail Stripe "$CS" >"$BATS_TEST_TMPDIR/b"
	# b ends before a does.
	{ head -n 1 "$BATS_TEST_TMPDIR/a"; cat "$BATS_TEST_TMPDIR/b"; tail -n +2 "$BATS_TEST_TMPDIR/a"; } >"$BATS_TEST_TMPDIR/mixed"
	agraph-render -t "$BATS_TEST_TMPDIR/mixed" "$CS" | classes node_Stripe | grep -qx "node tool completed"
	agraph-render --lineage "$BATS_TEST_TMPDIR/mixed" | grep -q '<title>a</title>'
	# What comes after the final is read: it may be the trace's own (one
	# trace id is one trace), so a torn line there is reported.
	{ cat "$BATS_TEST_TMPDIR/b"; echo '{"trace":'; } >"$BATS_TEST_TMPDIR/after"
	run --separate-stderr agraph-render -t "$BATS_TEST_TMPDIR/after" "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-render: $BATS_TEST_TMPDIR/after:14:"* ]]
	run --separate-stderr agraph-render -t "$BATS_TEST_TMPDIR/after" --trace x "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-render: $BATS_TEST_TMPDIR/after:14:"* ]]
}

@test "--lineage: records as nodes, cause links as edges, failures and faults marked" {
	agraph-inject -f error:tool=Stripe "$BATS_TEST_TMPDIR/stripe.ndjson" >"$BATS_TEST_TMPDIR/inj"
	agraph-render --lineage "$BATS_TEST_TMPDIR/inj" >"$BATS_TEST_TMPDIR/l.svg"
	xmllint --noout "$BATS_TEST_TMPDIR/l.svg"
	svg=$(cat "$BATS_TEST_TMPDIR/l.svg")
	[ "$(classes step_5 <<<"$svg")" = "node record fault" ]
	[ "$(classes step_6 <<<"$svg")" = "node record result failed" ]
	[ "$(classes cause_5_6 <<<"$svg")" = "edge cause" ]
	[ "$(classes cause_6_7 <<<"$svg")" = "edge cause" ]
	[ "$(classes answers_4_6 <<<"$svg")" = "edge answers" ]
	[ "$(grep -c '<g id="step_' <<<"$svg")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/inj")" ]
}

@test "--lineage reads like text: a call, its result and what it caused on one row, the next call below" {
	# CS-4: Stripe and Email fail; 16 records, once a column 215 x 1145 pt.
	agraph-route --fail Stripe,Email "$CS" >"$BATS_TEST_TMPDIR/cs4"
	agraph-render --lineage -T json "$BATS_TEST_TMPDIR/cs4" >"$BATS_TEST_TMPDIR/cs4.json"
	# y of a record's node, as graphviz laid it out
	y() { jq -r --arg id "$1" '.objects[] | select(.id == $id) | .pos | split(",")[1] | tonumber' "$BATS_TEST_TMPDIR/cs4.json"; }
	[ "$(y step_4)" = "$(y step_5)" ]
	[ "$(y step_5)" = "$(y step_6)" ]
	[ "$(jq -n "$(y step_7) < $(y step_4)")" = true ]
	[ "$(y step_14)" = "$(y step_16)" ]
	[ "$(y step_1)" != "$(y step_2)" ]
	# no longer a column: at most half again as high as wide
	jq -e '.bb | split(",") | map(tonumber) | .[3] <= 1.5 * .[2]' "$BATS_TEST_TMPDIR/cs4.json" >/dev/null
	# Agents' boxes keep the order of the trace: the planner's second search
	# comes after the booker's call, which comes after the planner's message.
	agraph-render --lineage -T json "$EX/conversation.ndjson" >"$BATS_TEST_TMPDIR/cs4.json"
	[ "$(jq -n "$(y step_6) < $(y step_5) and $(y step_8) < $(y step_6)")" = true ]
	agraph-render --lineage "$BATS_TEST_TMPDIR/cs4" >"$BATS_TEST_TMPDIR/cs4.svg"
	xmllint --noout "$BATS_TEST_TMPDIR/cs4.svg"
	[ "$(legend "$BATS_TEST_TMPDIR/cs4.svg")" = "cause
answers its call
failed result (octagon)" ]
	[ "$(look "$BATS_TEST_TMPDIR/cs4.svg" cause_5_6)" = "path dash= head=filled" ]
	[ "$(look "$BATS_TEST_TMPDIR/cs4.svg" answers_4_5)" = "path dash=5,2 head=filled" ]
	[ "$(look "$BATS_TEST_TMPDIR/cs4.svg" step_5)" = "polygon 9 dash=" ]
}

@test "--lineage: agents as clusters" {
	run agraph-render --lineage "$EX/conversation.ndjson"
	[ "$status" -eq 0 ]
	for a in system user planner booker; do
		[[ $output == *"<g id=\"cluster_$a\" class=\"cluster\">"* ]]
	done
	# In the DOT, each cluster holds its records; a result goes with the agent of its call.
	agraph-render --lineage -T dot "$EX/conversation.ndjson" >"$BATS_TEST_TMPDIR/l.dot"
	[ "$(awk '/subgraph cluster_booker/ { on = 1 } on && /^\t}/ { on = 0 } on' "$BATS_TEST_TMPDIR/l.dot" |
		grep -o 'id=step_[0-9]*' | paste -sd' ')" = "id=step_6 id=step_7" ]
}

@test "output is deterministic; formats and layouts" {
	# Every run is checked and written to a file: two crashes would give the
	# same bytes, and a pipe would hide a crash.
	O=$BATS_TEST_TMPDIR
	agraph-render -t "$RUN" "$CS" >"$O/a.svg"
	agraph-render -t "$RUN" "$CS" >"$O/b.svg"
	[ -s "$O/a.svg" ]
	cmp "$O/a.svg" "$O/b.svg"
	agraph-render -T png -t "$RUN" "$CS" >"$O/p.png"
	head -c 8 "$O/p.png" | od -An -c | grep -q 'P   N   G'
	agraph-render -T pdf "$CS" >"$O/p.pdf"
	head -c 5 "$O/p.pdf" | grep -q '%PDF-'
	agraph-render -T json "$CS" >"$O/p.json"
	jq -e '.objects | length == 7' "$O/p.json" >/dev/null
	agraph-render -T dot "$CS" >"$O/p.dot"
	grep -q 'node_CRM' "$O/p.dot"
	agraph-render --layout neato -o "$O/n.svg" "$CS"
	xmllint --noout "$O/n.svg"
	run --separate-stderr agraph-render -o "$O/o.svg" -t "$RUN" "$CS"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	cmp "$O/o.svg" "$O/a.svg"
}

@test "-o - is standard output, as dot -o - and curl -o - are" {
	cd "$BATS_TEST_TMPDIR"
	agraph-render -t "$RUN" "$CS" >want.svg
	agraph-render -o - -t "$RUN" "$CS" >got.svg
	[ ! -e ./- ]
	cmp want.svg got.svg
	agraph-render --lineage --output - "$RUN" >l.svg
	[ ! -e ./- ]
	xmllint --noout l.svg
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "agraph-render -o - '$CS' >/dev/full"
	[ "$status" -eq 2 ]
	[[ $stderr == *"stdout: No space left on device"* ]]
}

@test "bad input: a clear error and exit 2" {
	printf 'graph: x\nedges: [[a, b\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run agraph-render "$BATS_TEST_TMPDIR/bad.yaml"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-render: $BATS_TEST_TMPDIR/bad.yaml:"*":"*": "* ]]
	run agraph-render /nonexistent.yaml
	[ "$status" -eq 2 ]
	[[ $output == "agraph-render: /nonexistent.yaml: "* ]]
	run agraph-render -t <(echo '{"trace":"x","step":1,') "$CS"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-render: /dev/fd/"*":1:"*": "* ]]
	run agraph-render -t /dev/null "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-render: /dev/null: no records" ]
	run agraph-render -T nope "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-render: $CS: graphviz cannot write format 'nope': renderer for nope is unavailable" ]
	run agraph-render --layout nope "$CS"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-render: $CS: graphviz cannot lay out with 'nope': Layout type: \"nope\" not recognized."* ]]
	run agraph-render -o /nonexistent/dir/x.svg "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-render: /nonexistent/dir/x.svg: No such file or directory" ]
	run agraph-render
	[ "$status" -eq 2 ]
	run agraph-render --lineage -t "$RUN"
	[ "$status" -eq 2 ]
}

@test "a trace of another graph: drawn, with a warning" {
	run --separate-stderr agraph-render -t "$RUN" "$EX/travel-booking.yaml"
	[ "$status" -eq 0 ]
	[[ $stderr == "agraph-render: $RUN:2: tool 'CRM' is not a node of $EX/travel-booking.yaml" ]]
}

@test "output: a closed pipe ends quietly; a full disk is exit 2" {
	# The status is agraph-render's, not head's.
	run --separate-stderr bash -c "agraph-render -t '$RUN' '$CS' | head -c 10; exit \${PIPESTATUS[0]}"
	closed_quietly "$status"
	[ -z "$stderr" ]
	[ "$output" = "<?xml vers" ]
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "agraph-render '$CS' >/dev/full"
	[ "$status" -eq 2 ]
	[[ $stderr == *"stdout: No space left on device"* ]]
}
