#!/usr/bin/env bats
# agraph-route: every flag, every exit status, the conventions of agraph(7).

load helper

CS=$EX/customer-support.yaml
SUP=$EX/support.yaml

@test "--help prints the synopsis on stdout and exits 0" {
	run --separate-stderr agraph-route --help
	[ "$status" -eq 0 ]
	[[ $output == "usage: agraph-route "* ]]
	[ -z "$stderr" ]
}

@test "--version" {
	run agraph-route --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-route "[0-9]* ]]
}

@test "no graph is a usage error: exit 2" {
	run --separate-stderr agraph-route
	[ "$status" -eq 2 ]
	[[ $stderr == *"no GRAPH file given"* ]]
}

@test "an unknown option is a usage error: exit 2" {
	run agraph-route --frobnicate "$CS"
	[ "$status" -eq 2 ]
}

@test "every record has trace, an increasing step and a kind" {
	run agraph-route --fail Stripe,Email "$CS"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	jq -e -s 'all(.[]; .trace == "customer-support" and (.kind | type) == "string")' <<<"$output"
	jq -e -s '[.[].step] as $s | $s == ($s | sort) and ($s | unique | length) == ($s | length)' <<<"$output"
}

@test "calls and results pair by id" {
	run agraph-route --fail Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(count_kind call <<<"$output")" -gt 0 ]
	[ "$(jq -r 'select(.kind == "call") | .id' <<<"$output" | paste -sd,)" = \
		"$(jq -r 'select(.kind == "result") | .call' <<<"$output" | paste -sd,)" ]
}

@test "--id sets the trace id" {
	run agraph-route --id run-42 "$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -r .trace <<<"$output" | sort -u)" = run-42 ]
}

@test "the same input gives the same bytes" {
	# Each run ends as it should, quietly: two crashes would compare equal.
	run --separate-stderr agraph-route --fail Stripe,Email "$CS"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ -n "$output" ]
	a=$output
	run --separate-stderr agraph-route --fail Stripe,Email "$CS"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$a" ]
}

@test "--fail TOOL:first=N fails only the first N calls: retries recover" {
	# Stripe has retries: 1 in support.yaml; its first call fails, its retry works.
	run agraph-route --fail Stripe:first=1 "$SUP"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Stripe Email Complete" ]
	[ "$(jq -c 'select(.kind == "call" and .tool == "Stripe") | .attempt' <<<"$output" | paste -sd,)" = "null,2" ]
	[ "$(count_kind reroute <<<"$output")" = 0 ]
	[ "$(final_status <<<"$output")" = success ]
}

@test "a node is disabled only after its retries" {
	run agraph-route --fail Stripe "$SUP"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Stripe Razorpay Email Complete" ]
	# The reroute's cause is the second, last failed result.
	[ "$(jq -c 'select(.kind == "reroute") | .cause' <<<"$output")" = \
		"$(jq -c 'select(.kind == "result" and .tool == "Stripe") | .step' <<<"$output" | tail -1)" ]
}

@test "--fail TOOL:status=timeout writes a timeout result" {
	run agraph-route --fail Email:status=timeout "$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "Email") | [.status, .error.class]' <<<"$output")" = '["timeout","timeout"]' ]
}

@test "--fail TOOL:p=P draws from --seed: same seed same run, and both outcomes occur" {
	a=$(agraph-route --seed 7 --fail CRM:p=0.5 "$CS")
	b=$(agraph-route --seed 7 --fail CRM:p=0.5 "$CS")
	[ -n "$a" ]
	[ "$a" = "$b" ]
	seen=""
	for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
		run agraph-route --seed $seed --fail CRM:p=0.5 "$CS"
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
		seen="$seen $(final_status <<<"$output")"
	done
	[[ $seen == *success* ]]
	[[ $seen == *escalated* ]]
}

@test "--fail with p=0 never fails and p=1 always does" {
	run agraph-route --fail CRM:p=0 "$CS"
	[ "$status" -eq 0 ]
	[ "$(final_status <<<"$output")" = success ]
	run agraph-route --fail CRM:p=1 "$CS"
	[ "$status" -eq 1 ]
	[ "$(final_status <<<"$output")" = escalated ]
}

@test "--fail mistakes are usage errors" {
	run --separate-stderr agraph-route --fail Strpe "$CS"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --fail: 'Strpe' is not a node of the graph" ]
	run --separate-stderr agraph-route --fail Stripe:first=x "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == *"first= takes a whole number"* ]]
	run --separate-stderr agraph-route --fail Stripe:p=2 "$CS"
	[ "$status" -eq 2 ]
	run --separate-stderr agraph-route --fail Stripe:color=red "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown key 'color'"* ]]
	run --separate-stderr agraph-route --fail Start "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == *"never called"* ]]
}

@test "--down reports health first and the walk avoids the tool without calling it" {
	run agraph-route --down Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.step == 1) | [.kind, .tool, .status]' <<<"$output")" = '["health","Stripe","down"]' ]
	[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	[ "$(count_kind reroute <<<"$output")" = 0 ]
}

@test "--down on every path escalates before any call, with the health as cause" {
	run agraph-route --down Email,SMS "$CS"
	[ "$status" -eq 1 ]
	[ "$(count_kind call <<<"$output")" = 0 ]
	[ "$(jq -c 'select(.kind == "escalate") | .cause' <<<"$output")" = 2 ]
}

@test "--goal walks to another goal" {
	run agraph-route --goal Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe" ]
	run --separate-stderr agraph-route --goal Nowhere "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == *"'Nowhere' is not a node"* ]]
}

@test "no path to the goal demotes to the fallback: final demoted, exit 0" {
	run agraph-route --fail Stripe,Razorpay "$SUP"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "demote") | [.goal, .path]' <<<"$output")" = '["NotifyLater",["CRM","NotifyLater"]]' ]
	[ "$(final_status <<<"$output")" = demoted ]
	[ "$(count_kind escalate <<<"$output")" = 0 ]
}

@test "no path to the goal nor any fallback: exactly one escalate, exit 1" {
	run agraph-route --fail Stripe,Razorpay,NotifyLater "$SUP"
	[ "$status" -eq 1 ]
	[ "$(count_kind escalate <<<"$output")" = 1 ]
	[ "$(count_kind demote <<<"$output")" = 1 ]
	[ "$(final_status <<<"$output")" = escalated ]
	[[ $(jq -r 'select(.kind == "escalate") | .reason' <<<"$output") == "no path from CRM to NotifyLater" ]]
}

@test "--plan writes the route record alone" {
	run agraph-route --plan "$CS"
	[ "$status" -eq 0 ]
	[ "$output" = '{"trace":"customer-support","step":1,"kind":"route","path":["Start","CRM","Stripe","Email","Complete"],"cost":0.8}' ]
}

@test "--plan respects --down; no path is exit 1" {
	run agraph-route --plan --down Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -c .path <<<"$output")" = '["Start","CRM","Razorpay","Email","Complete"]' ]
	run --separate-stderr agraph-route --plan --down CRM "$CS"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "agraph-route: no path from Start to Complete" ]
}

@test "--policy fixed follows the first plan and skips the failed step" {
	run agraph-route --policy fixed --fail Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email Complete" ]
	[ "$(count_kind reroute <<<"$output")" = 0 ]
	[ "$(final_status <<<"$output")" = success ]
	[ "$(jq -c 'select(.kind == "final") | .path' <<<"$output")" = '["Start","CRM","Email","Complete"]' ]
}

@test "--policy fixed ignores health and calls a down tool" {
	run agraph-route --policy fixed --down Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email Complete" ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "Stripe") | .error.message' <<<"$output")" = "Stripe is down" ]
}

@test "--policy static takes the alternative after the node's retries, with a reroute caused by the failed result" {
	g=$BATS_TEST_TMPDIR/g.yaml
	printf '%s\n' 'graph: g' 'start: S' 'goal: G' 'nodes:' '  A: {retries: 1, alternative: C}' \
		'edges:' '  - [S, A, 1]' '  - [A, B, 1]' '  - [B, G, 1]' '  - [S, C, 5]' '  - [C, G, 1]' >"$g"
	run agraph-route --policy static --fail A "$g"
	[ "$status" -eq 0 ]
	# C is no neighbour of B: the walk goes on by the cheapest path from C
	[ "$(tools_called <<<"$output")" = "A A C G" ]
	[ "$(jq -c 'select(.kind == "reroute") | [.tool, .path, .cause]' <<<"$output")" = '["A",["S","C","G"],5]' ]
	agraph-trace check --builtin observable <<<"$output"
}

@test "--policy static ignores health: a down tool is called, and its alternative taken" {
	run agraph-route --policy static --down Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Razorpay Email Complete" ]
}

@test "--policy static crashes visibly, exit 1, when a node with no alternative fails" {
	run agraph-route --policy static --fail Complete "$CS"
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason, .cause]' <<<"$output")" = '["crashed","Complete failed and has no alternative",9]' ]
}

@test "--policy takes heal, static, react or fixed" {
	run --separate-stderr agraph-route --policy clever "$CS"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --policy takes heal, static, react or fixed, not 'clever'" ]
}

@test "--policy react: the cheapest edge first, ties to the smaller name; a failure is observed and the next edge rerouted to" {
	run agraph-route --policy react "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	# S-A and S-B cost 1 (A wins by name); A-G 1 and A-H 1, but H leads nowhere
	[ "$(tools_called <<<"$output")" = "A G" ]
	run agraph-route --policy react --fail A "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "A B G" ]
	[ "$(jq -c 'select(.kind == "reroute") | [.tool, .path, .cost, .cause]' <<<"$output")" = '["A",["S","B"],1,4]' ]
	[ "$(jq -c 'select(.kind == "model") | [.purpose, .cause]' <<<"$output" | paste -sd' ')" = \
		'["plan",null] ["decision",1] ["observation",4] ["decision",8]' ]
}

@test "--policy react: no edge towards a fallback goal; retries before the observation; a dead end is two calls and an escalation" {
	# support.yaml: CRM-NotifyLater (0.2) is the cheapest edge, but no path
	# leads from NotifyLater to Complete; Stripe and Razorpay retry once.
	run agraph-route --policy react --fail Stripe,Razorpay "$SUP"
	[ "$status" -eq 1 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Stripe Razorpay Razorpay" ]
	[ "$(jq -r 'select(.kind == "model") | .purpose' <<<"$output" | paste -sd' ')" = \
		"plan decision decision observation observation backtrack give-up" ]
	[ "$(jq -c 'select(.kind == "escalate" or .kind == "final") | [.kind, .reason, .cause]' <<<"$output" | paste -sd' ')" = \
		'["escalate","no way on from CRM",18] ["final","no way on from CRM",19]' ]
	# the goal is the one aimed at: towards H, A (by name) then H
	run agraph-route --policy react --goal H "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "A H" ]
	run agraph-route --policy react --fail A,B "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "A B G" ]
	run agraph-route --policy react --fail A,B,G "$DATA/ties.yaml"
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.kind == "model") | .purpose' <<<"$output" | paste -sd' ')" = \
		"plan decision observation observation observation backtrack give-up" ]
}

@test "--policy react ignores health: a tool known down is called, fails, and is observed" {
	run agraph-route --policy react --down Stripe "$CS"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Razorpay Email Complete" ]
	[ "$(jq -r 'select(.kind == "result" and .tool == "Stripe") | .error.message' <<<"$output")" = "Stripe is down" ]
	[ "$(count_kind model <<<"$output")" = 6 ]
}

@test "--plan: when only a fallback goal is reached, the demote record, exit 0; when none, the escalation's reason, exit 1" {
	run --separate-stderr agraph-route --plan --down Stripe,Razorpay "$SUP"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -c '[.kind, .goal, .path]' <<<"$output")" = '["demote","NotifyLater",["Start","CRM","NotifyLater"]]' ]
	run --separate-stderr agraph-route --plan --down CRM "$SUP"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "agraph-route: no path from Start to Complete or its fallbacks" ]
}

@test "--plan writes the route record alone, also when a pre-flight comes before it; react has none" {
	# Three tools known down: travel-booking.yaml's preflight: 3 consults the model first.
	run --separate-stderr agraph-route --plan --down FlightAPI,HotelAPI,CarAPI "$EX/travel-booking.yaml"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -c '[.kind, .path]' <<<"$output")" = '["route",["Start","TrainAPI","HostelAPI","BusAPI","Payment","Confirm"]]' ]
	run --separate-stderr agraph-route --plan --down FlightAPI,TrainAPI,HotelAPI "$EX/travel-booking.yaml"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "agraph-route: no path from Start to Confirm" ]
	run --separate-stderr agraph-route --plan --policy react "$CS"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: --plan: a ReAct agent plans no path (--policy react)" ]
}

@test "--policy react: agraph-replay gives the same bytes back, and agraph-stress searches it" {
	agraph-route --policy react --fail Stripe,Email "$CS" >"$BATS_TEST_TMPDIR/react.ndjson"
	run agraph-replay --policy react "$CS" "$BATS_TEST_TMPDIR/react.ndjson"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/react.ndjson")" ]
	run agraph-stress --policy react --budget 50 "$CS"
	[ "$status" -eq 0 ]
}

@test "--monitors: a penalty monitor reroutes instead of retrying" {
	run agraph-route --monitors --fail Email:first=1:status=timeout "$SUP"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind == "health") | [.monitor, .action, .cause]' <<<"$output")" = '["slow-email","penalty",7]' ]
	[ "$(jq -c 'select(.kind == "reroute") | [.cause, .path]' <<<"$output")" = '[8,["Stripe","SMS","Complete"]]' ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email SMS Complete" ]
}

@test "without --monitors the graph's monitors stay silent" {
	run agraph-route --fail Email:first=1:status=timeout "$SUP"
	[ "$status" -eq 0 ]
	[ "$(count_kind health <<<"$output")" = 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email Email Complete" ]
}

@test "--monitors: the highest priority wins, and escalate ends the run" {
	run agraph-route --monitors --fail Stripe "$DATA/monitors.yaml"
	[ "$status" -eq 1 ]
	# a-disable fires on the call of CRM first; budget on the reroute.
	[ "$(jq -r 'select(.kind == "health") | .monitor' <<<"$output" | paste -sd' ')" = "a-disable budget" ]
	[ "$(jq -r 'select(.kind == "escalate") | .reason' <<<"$output")" = "monitor 'budget' escalated" ]
	[ "$(count_kind call <<<"$output")" = 2 ]
}

@test "--monitors: ties in priority go to the smaller name; disable and demote act" {
	run agraph-route --monitors "$DATA/monitors.yaml"
	[ "$status" -eq 0 ]
	# a-disable and b-disable both fire on the call of CRM at priority 0.5.
	[ "$(jq -c 'select(.kind == "health") | [.monitor, .action]' <<<"$output" | head -1)" = '["a-disable","disable"]' ]
}

# mon_graph WHEN ACTION [PENALTY]: support's shape with one monitor, a fallback
# goal and a pre-flight at two tools down; its path on stdout.
mon_graph() {
	local f=$BATS_TEST_TMPDIR/mon-$RANDOM.yaml
	cat >"$f" <<EOF
start: Start
goal: Complete
fallback: [Later]
preflight: 2
edges:
  - [Start, CRM, 0.1]
  - [CRM, Stripe, 0.3]
  - [CRM, Razorpay, 0.5]
  - [CRM, Later, 0.2]
  - [Stripe, Email, 0.3]
  - [Razorpay, Email, 0.3]
  - [Email, Complete, 0.1]
  - [Razorpay, SMS, 0.4]
  - [SMS, Complete, 0.1]
monitors:
  - {name: m, priority: 0.5, when: '$1', then: $2${3:+, penalty: $3}}
EOF
	echo "$f"
}

@test "--monitors: a monitor that ends the run on a model or escalate record ends it once: nothing after the final" {
	# Its action is taken at once; the router's escalation (or the ReAct
	# agent's next step) it cut into used to go on after the final.
	for when in 'kind == "escalate"' 'kind == "model" && purpose == "observation"' \
		'kind == "model" && purpose == "backtrack"' 'kind == "model" && purpose == "give-up"' \
		'kind == "model" && purpose == "escalation"' 'kind == "model"'; do
		for act in escalate demote; do
			g=$(mon_graph "$when" "$act")
			for policy in react heal; do
				for opt in --fail --down; do
					run agraph-route --policy "$policy" --monitors "$opt" Stripe,Razorpay,Later "$g"
					[ "$status" -eq 1 ] || { echo "$policy $opt $when $act: $status"; false; }
					[ "$(tail -1 <<<"$output" | jq -r .kind)" = final ] || { echo "$policy $opt $when $act"; echo "$output"; false; }
					[ "$(count_kind final <<<"$output")" = 1 ]
					agraph-trace check - <<<"$output" >/dev/null
				done
			done
		done
	done
}

@test "--monitors: a demote fired by the pre-flight record waits for the first plan: one pre-flight, a route, then the demote" {
	g=$(mon_graph 'kind == "model" && purpose == "preflight"' demote)
	run agraph-route --monitors --down Stripe,SMS "$g"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.kind, .purpose // .action // .goal, .cause]' <<<"$output" | head -6 | paste -sd' ')" = \
		'["health",null,null] ["health",null,null] ["model","preflight",2] ["health","demote",3] ["route",null,2] ["demote","Later",4]' ]
	[ "$(count_kind model <<<"$output")" = 1 ]
	[ "$(tools_called <<<"$output")" = "CRM Later" ]
	agraph-trace check - <<<"$output" >/dev/null
}

@test "--monitors with --policy react: disable and penalty change nothing in its walk (the edges' costs alone), escalate ends it" {
	for act in disable penalty; do
		amount=
		[ "$act" = penalty ] && amount=5
		g=$(mon_graph 'kind == "health" && tool == "Stripe"' "$act" $amount)
		run agraph-route --policy react --monitors --down Stripe "$g"
		[ "$status" -eq 0 ]
		[ "$(jq -r 'select(.kind == "health" and .monitor == "m") | .action' <<<"$output")" = "$act" ]
		[ "$(tools_called <<<"$output")" = "CRM Stripe Razorpay Email Complete" ]
		# the self-healing router heeds it
		run agraph-route --monitors --down Stripe "$g"
		[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	done
	g=$(mon_graph 'kind == "model" && purpose == "decision"' escalate)
	run agraph-route --policy react --monitors "$g"
	[ "$status" -eq 1 ]
	[ "$(jq -r 'select(.kind == "final") | .reason' <<<"$output")" = "monitor 'm' escalated" ]
	[ "$(count_kind call <<<"$output")" = 0 ]
}

@test "--coproc: an outside program executes the tools" {
	cd "$EX"
	run "$DATA/tools.sh" customer-support.yaml Stripe
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Razorpay Email Complete" ]
	# The outside result's own fields are kept, the router's step is its own.
	[ "$(jq -c 'select(.kind == "result" and .tool == "Stripe") | [.step, .error.class]' <<<"$output")" = '[5,"http"]' ]
	[ "$(jq -c 'select(.kind == "result" and .tool == "CRM") | .output' <<<"$output")" = '{"by":"tools.sh"}' ]
}

@test "--coproc: the same run as with --fail" {
	cd "$EX"
	# Either run failing fails the assignment; two empty runs would agree.
	set -o pipefail
	a=$("$DATA/tools.sh" customer-support.yaml Stripe Email | jq -c 'del(.output, .error)')
	b=$(agraph-route --fail Stripe,Email customer-support.yaml | jq -c 'del(.output, .error)')
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "--coproc: a health record read while a call is out counts at the next decision" {
	input='{"kind":"health","tool":"Stripe","status":"down"}
{"kind":"result","call":"c1","status":"ok"}
{"kind":"result","call":"c2","status":"ok"}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}'
	run agraph-route --coproc "$CS" <<<"$input"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Razorpay Email Complete" ]
	[ "$(jq -c 'select(.kind == "reroute") | [.tool, .cause]' <<<"$output")" = '["Stripe",3]' ]
}

@test "--coproc: a tool coming back up makes the cheaper path win again" {
	# Email goes down while CRM runs (reroute to SMS), and comes back up
	# while Stripe runs: from Stripe, Email (0.4) beats SMS (0.5) again.
	input='{"kind":"health","tool":"Email","status":"down"}
{"kind":"result","call":"c1","status":"ok"}
{"kind":"health","tool":"Email","status":"up"}
{"kind":"result","call":"c2","status":"ok"}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}'
	run agraph-route --coproc "$CS" <<<"$input"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email Complete" ]
	[ "$(jq -c 'select(.kind == "reroute") | [.cause, .path]' <<<"$output" | paste -sd' ')" = \
		'[3,["CRM","Stripe","SMS","Complete"]] [7,["Stripe","Email","Complete"]]' ]
}

@test "--coproc: down and up again before the next decision changes nothing" {
	input='{"kind":"health","tool":"Stripe","status":"down"}
{"kind":"health","tool":"Stripe","status":"up"}
{"kind":"result","call":"c1","status":"ok"}
{"kind":"result","call":"c2","status":"ok"}
{"kind":"result","call":"c3","status":"ok"}
{"kind":"result","call":"c4","status":"ok"}'
	run agraph-route --coproc "$CS" <<<"$input"
	[ "$status" -eq 0 ]
	[ "$(tools_called <<<"$output")" = "CRM Stripe Email Complete" ]
	[ "$(count_kind reroute <<<"$output")" = 0 ]
	[ "$(count_kind health <<<"$output")" = 2 ]
}

@test "--coproc: input that ends early is an error with a final failure, exit 2" {
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"result","call":"c1","status":"ok"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: input ended while call c2 was out" ]
	[ "$(jq -c 'select(.kind == "final") | [.status, .reason]' <<<"$output")" = '["failure","input ended while call c2 was out"]' ]
}

@test "--coproc: a bad record is an error with file:line:col, exit 2, output kept" {
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"result","call":"c1","status":"ok"}
{"kind":"result","call":"c9","status":"ok"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: -:2:1: result for call 'c9', but the call out is 'c2'" ]
	[ "$(count_kind result <<<"$output")" = 1 ]
	[ "$(final_status <<<"$output")" = failure ]
}

@test "--coproc: malformed JSON, wrong kinds and fields" {
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"result",'
	[ "$status" -eq 2 ]
	[[ $stderr == "agraph-route: -:1:"*": "* ]]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"route"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: -:1:1: expected a result or a health record, not kind 'route'" ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"call":"c1"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-route: -:1:1: record has no "kind"' ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"result","call":"c1","status":"fine"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-route: -:1:1: result status must be "ok", "error" or "timeout"' ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"result","call":"c1","tool":"SMS","status":"ok"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: -:1:1: result of call 'c1' names tool 'SMS', not 'CRM'" ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"health","tool":"Nope","status":"down"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-route: -:1:1: health record names 'Nope', not a node of the graph" ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'{"kind":"health","tool":"CRM","status":"sick"}'
	[ "$status" -eq 2 ]
	[ "$stderr" = 'agraph-route: -:1:1: health status must be "up" or "down"' ]
	run --separate-stderr agraph-route --coproc "$CS" <<<'[1,2]'
	[ "$stderr" = "agraph-route: -:1:1: a record must be a JSON object" ]
	[ "$status" -eq 2 ]
}

@test "--coproc: CRLF, blank lines and a missing final newline are fine" {
	printf '{"kind":"result","call":"c1","status":"ok"}\r\n\r\n  \n{"kind":"result","call":"c2","status":"ok"}\n{"kind":"result","call":"c3","status":"ok"}\n{"kind":"result","call":"c4","status":"ok"}' >"$BATS_TEST_TMPDIR/in"
	run agraph-route --coproc "$CS" <"$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 0 ]
	[ "$(final_status <<<"$output")" = success ]
}

@test "--plan and --coproc do not go together" {
	run agraph-route --plan --coproc "$CS"
	[ "$status" -eq 2 ]
}

@test "-u writes every record as it is made; without it, output is buffered" {
	command -v strace >/dev/null || skip "no strace"
	# LeakSanitizer cannot run under ptrace; leaks are checked everywhere else.
	export ASAN_OPTIONS=detect_leaks=0
	strace -f -e trace=write -o "$BATS_TEST_TMPDIR/u" agraph-route -u --fail Stripe "$CS" >/dev/null
	strace -f -e trace=write -o "$BATS_TEST_TMPDIR/b" agraph-route --fail Stripe "$CS" >/dev/null
	agraph-route --fail Stripe "$CS" >"$BATS_TEST_TMPDIR/out"
	records=$(wc -l <"$BATS_TEST_TMPDIR/out")
	[ "$(grep -c '^[0-9]* *write(1,' "$BATS_TEST_TMPDIR/u")" -eq "$records" ]
	[ "$(grep -c '^[0-9]* *write(1,' "$BATS_TEST_TMPDIR/b")" -eq 1 ]
}

@test "a closed pipe ends the program quietly" {
	# The status is agraph-route's, not head's.
	run --separate-stderr bash -c "agraph-route --fail Stripe '$CS' | head -1; exit \${PIPESTATUS[0]}"
	closed_quietly "$status"
	[ -z "$stderr" ]
	[ "$(jq -r .kind <<<"$output")" = route ]
}

@test "a big trace into a closed pipe: no message" {
	run --separate-stderr bash -c "for i in \$(seq 300); do agraph-route --fail Stripe '$CS'; echo \$? >>'$BATS_TEST_TMPDIR/st'; done | head -1"
	[ -z "$stderr" ]
	[ "$(jq -r .kind <<<"$output")" = route ]
	# Every run ended quietly: 0 while the pipe was open, 141 after.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/st")" -eq 300 ]
	[ -z "$(grep -vx -e 0 -e 141 "$BATS_TEST_TMPDIR/st")" ]
}

@test "a full disk is an error, exit 2" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "agraph-route '$CS' >/dev/full"
	[ "$status" -eq 2 ]
	[[ $stderr == *"stdout: No space left on device"* ]]
}

@test "the graph may come from stdin as -" {
	run agraph-route --plan - <"$CS"
	[ "$status" -eq 0 ]
	[ "$(jq -r .cost <<<"$output")" = 0.8 ]
}

@test "JSON graphs load too" {
	run agraph-route --plan "$DATA/graph.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c .path <<<"$output")" = '["S","A","G"]' ]
}

@test "equal-cost paths break by hops, then by node names" {
	run agraph-route --plan "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	# S-B-G and S-A-G cost 2, S-G costs 2 in one hop: fewest hops wins.
	[ "$(jq -c .path <<<"$output")" = '["S","G"]' ]
	run agraph-route --plan --down G --goal H "$DATA/ties.yaml"
	[ "$status" -eq 0 ]
	# S-A-H and S-B-H both cost 2 in two hops: A sorts before B.
	[ "$(jq -c .path <<<"$output")" = '["S","A","H"]' ]
}

@test "--trace is not route's: the id to write is --id" {
	run --separate-stderr agraph-route --trace run-42 "$CS"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-route: unrecognized option '--trace'" ]
}

@test "--id must be UTF-8: records are JSON" {
	run agraph-route --id $'\xff' "$CS"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-route: --id: "*" is not valid UTF-8" ]]
}
