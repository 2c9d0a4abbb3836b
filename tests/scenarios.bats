#!/usr/bin/env bats
# The 19 scenarios of the Self-Healing Router paper (examples/scenarios.tsv),
# each checked against what agraph-route(1)'s rules give, worked out by hand:
# the tools called in order, reroutes, escalations and the final status.

load helper

# scenario ID: runs agraph-route on the scenario's graph and failing tools,
# and fails unless it exits as its final record says it should: 0 for
# success or demoted, 1 for escalated or crashed.  A crash is no run.
scenario() {
	local id=$1 line graph failing final want
	line=$(awk -F'\t' -v id="$1" '$1 == id' "$EX/scenarios.tsv")
	graph=$(cut -f2 <<<"$line")
	failing=$(cut -f4 <<<"$line")
	shift
	if [ "$failing" = "-" ]; then
		run agraph-route "$@" "$EX/$graph"
	else
		run agraph-route "$@" --fail "$failing" "$EX/$graph"
	fi
	final=$(final_status <<<"$output")
	case $final in
	success | demoted) want=0 ;;
	escalated | crashed) want=1 ;;
	*) want="no exit" ;;
	esac
	[ "$status" = "$want" ] || {
		echo "$id: exit $status, final '$final'" >&2
		return 1
	}
}

# scenario_run ID fail|down [OPTION...]: the records of agraph-route with
# the options on the scenario, its failing tools discovered when called
# (--fail) or known down before (--down); exit 1 (escalated, crashed) is a
# run, any other status fails.
scenario_run() {
	local line graph failing id=$1 mode=$2
	shift 2
	line=$(awk -F'\t' -v id="$id" '$1 == id' "$EX/scenarios.tsv")
	graph=$(cut -f2 <<<"$line")
	failing=$(cut -f4 <<<"$line")
	if [ "$failing" = "-" ]; then
		agraph-route "$@" "$EX/$graph" || [ $? -eq 1 ]
	else
		agraph-route "$@" "--$mode" "$failing" "$EX/$graph" || [ $? -eq 1 ]
	fi
}

# expect CALLS REROUTES ESCALATES FINAL
expect() {
	[ "$(tools_called <<<"$output")" = "$1" ] || { echo "calls: $(tools_called <<<"$output")"; return 1; }
	[ "$(count_kind reroute <<<"$output")" = "$2" ] || { echo "reroutes"; return 1; }
	[ "$(count_kind escalate <<<"$output")" = "$3" ] || { echo "escalates"; return 1; }
	[ "$(final_status <<<"$output")" = "$4" ] || { echo "final"; return 1; }
	[ "$(count_kind final <<<"$output")" = 1 ]
	# A tool that completed is never called again.
	[ -z "$(jq -r 'select(.kind == "result" and .status == "ok") | .tool' <<<"$output" | sort | uniq -d)" ]
}

# Customer support: Start-CRM 0.1, CRM-Stripe 0.3, CRM-Razorpay 0.5,
# {Stripe,Razorpay}-Email 0.3, -SMS 0.4, {Email,SMS}-Complete 0.1.

@test "CS-1 happy path: Start CRM Stripe Email Complete, cost 0.8" {
	scenario CS-1
	[ "$status" -eq 0 ]
	expect "CRM Stripe Email Complete" 0 0 success
	[ "$(jq -c 'select(.kind == "route") | [.path, .cost]' <<<"$output")" = '[["Start","CRM","Stripe","Email","Complete"],0.8]' ]
}

@test "CS-2 Stripe fails: from CRM, Razorpay-Email (0.9) beats Razorpay-SMS (1.0)" {
	scenario CS-2
	expect "CRM Stripe Razorpay Email Complete" 1 0 success
	# The reroute names the failed result as its cause and starts at CRM.
	[ "$(jq -c 'select(.kind == "reroute") | [.tool, .cause, .path[0], .cost]' <<<"$output")" = '["Stripe",5,"CRM",0.9]' ]
}

@test "CS-3 Email fails: from Stripe, SMS-Complete (0.5) is all that is left" {
	scenario CS-3
	expect "CRM Stripe Email SMS Complete" 1 0 success
}

@test "CS-4 Stripe and Email fail: two reroutes, Razorpay then SMS" {
	# Stripe fails at CRM: Razorpay-Email (0.9) is the cheapest, as the
	# router cannot know Email will fail; Email fails at Razorpay: SMS.
	scenario CS-4
	expect "CRM Stripe Razorpay Email SMS Complete" 2 0 success
}

@test "CS-5 all payments down: Razorpay after Stripe, then no path: escalate" {
	scenario CS-5
	[ "$status" -eq 1 ]
	expect "CRM Stripe Razorpay" 1 1 escalated
}

@test "CS-6 all notifications down: SMS after Email, then escalate at Stripe" {
	# From Stripe both notifiers are gone; Razorpay leads to the same two.
	scenario CS-6
	expect "CRM Stripe Email SMS" 1 1 escalated
}

@test "CS-7 CRM down: nothing reaches Complete without CRM: escalate" {
	scenario CS-7
	expect "CRM" 0 1 escalated
}

# Travel booking: Start-Flight 0.3, Start-Train 0.5, {Flight,Train}-Hotel 0.3,
# -Hostel 0.4, Hotel-Car 0.3, Hotel-Bus 0.4, Hostel-Car 0.4, Hostel-Bus 0.3,
# {Car,Bus}-Payment 0.2, Payment-Confirm 0.1.

@test "TB-1 happy path: Flight Hotel Car Payment Confirm, cost 1.2" {
	scenario TB-1
	expect "FlightAPI HotelAPI CarAPI Payment Confirm" 0 0 success
	[ "$(jq -c 'select(.kind == "route") | .cost' <<<"$output")" = 1.2 ]
}

@test "TB-2 Flight down: Train-Hotel-Car (1.4) beats Train-Hostel-Bus (1.5)" {
	scenario TB-2
	expect "FlightAPI TrainAPI HotelAPI CarAPI Payment Confirm" 1 0 success
}

@test "TB-3 Hotel and Car down: from Flight, Hostel-Bus (1.0) beats Hostel-Car (1.1)" {
	# Car is never called: the cheaper reroute avoids it.
	scenario TB-3
	expect "FlightAPI HotelAPI HostelAPI BusAPI Payment Confirm" 1 0 success
}

@test "TB-4 Flight and Train down: Train after Flight, then escalate" {
	scenario TB-4
	expect "FlightAPI TrainAPI" 1 1 escalated
}

@test "TB-5 Flight, Hotel and Car down: Train, then Hostel-Bus from Train" {
	scenario TB-5
	expect "FlightAPI TrainAPI HotelAPI HostelAPI BusAPI Payment Confirm" 2 0 success
}

@test "TB-6 Payment down: every path needs Payment: escalate at Car" {
	scenario TB-6
	expect "FlightAPI HotelAPI CarAPI Payment" 0 1 escalated
}

# Content moderation: Start-Text 0.2, -Image 0.3, -Video 0.5; Text-Scorer 0.2,
# Image-Scorer 0.3, Video-Scorer 0.4; Scorer-Human 0.5, Scorer-Auto 0.2;
# {Human,Auto}-Complete 0.1.

@test "CM-1 happy path: Text Scorer AutoApprove Complete, cost 0.7" {
	scenario CM-1
	expect "TextMod ToxicityScorer AutoApprove Complete" 0 0 success
}

@test "CM-2 TextMod down: ImageMod (0.9 from Start) beats VideoMod (1.2)" {
	scenario CM-2
	expect "TextMod ImageMod ToxicityScorer AutoApprove Complete" 1 0 success
}

@test "CM-3 AutoApprove down: HumanReview from the scorer" {
	scenario CM-3
	expect "TextMod ToxicityScorer AutoApprove HumanReview Complete" 1 0 success
}

@test "CM-4 TextMod and AutoApprove down: ImageMod, then HumanReview" {
	scenario CM-4
	expect "TextMod ImageMod ToxicityScorer AutoApprove HumanReview Complete" 2 0 success
}

@test "CM-5 all moderators down: two reroutes, then escalate at Start" {
	scenario CM-5
	expect "TextMod ImageMod VideoMod" 2 1 escalated
}

@test "CM-6 ToxicityScorer down: every path needs it: escalate at TextMod" {
	scenario CM-6
	expect "TextMod ToxicityScorer" 0 1 escalated
}

@test "exactly CS-5 CS-6 CS-7 TB-4 TB-6 CM-5 CM-6 escalate" {
	local id got=""
	for id in $(tail -n +2 "$EX/scenarios.tsv" | cut -f1); do
		scenario "$id"
		[ "$(count_kind escalate <<<"$output")" = 1 ] && got="$got $id"
	done
	[ "$got" = " CS-5 CS-6 CS-7 TB-4 TB-6 CM-5 CM-6" ]
}

# --policy static: the paper's static (LangGraph) baseline, with the
# alternatives of its fallback map in the example graphs.  Its outcome per
# scenario, and the model calls of the paper's policies, are in
# examples/paper-figures.tsv.

# static_outcome ID fail|down: runs the scenario under --policy static,
# its failing tools discovered when called (--fail) or known down before
# (--down), and prints "OUTCOME OBSERVABLE": ok, silent (success past a
# failed result that nothing handled) or visible (crashed); pass or fail.
static_outcome() {
	local out final obs
	out=$(scenario_run "$1" "$2" --policy static)
	final=$(final_status <<<"$out")
	if agraph-trace check --builtin observable <<<"$out" >/dev/null; then obs=pass; else obs=fail; fi
	case $final/$obs in
	success/pass) echo "ok $obs" ;;
	success/fail) echo "silent $obs" ;;
	crashed/*) echo "visible $obs" ;;
	*) echo "$final $obs" ;;
	esac
}

@test "static: every scenario ends as the paper's static baseline does (ok, silent, visible), with --fail and with --down" {
	local id want shr react mode got bad=0
	while IFS=$'\t' read -r id want shr react; do
		for mode in fail down; do
			got=$(static_outcome "$id" $mode)
			[ "${got% *}" = "$want" ] || { echo "$id --$mode: $got, the paper: $want"; bad=1; }
		done
	done < <(grep -v '^#' "$EX/paper-figures.tsv" | tail -n +2)
	[ $bad -eq 0 ]
}

@test "static: observable passes where an alternative was taken or the run crashed, fails on a silent skip" {
	local id want shr react got bad=0
	while IFS=$'\t' read -r id want shr react; do
		got=$(static_outcome "$id" fail)
		case $want in
		silent) [ "${got#* }" = fail ] ;;
		*) [ "${got#* }" = pass ] ;;
		esac || { echo "$id: $got"; bad=1; }
	done < <(grep -v '^#' "$EX/paper-figures.tsv" | tail -n +2)
	[ $bad -eq 0 ]
}

@test "static: silent in CS-5 CS-6 TB-4, visible in CS-7 TB-6 CM-5 CM-6, as the paper counts" {
	local silent visible
	silent=$(awk -F'\t' '$2 == "silent" { printf " %s", $1 }' "$EX/paper-figures.tsv")
	visible=$(awk -F'\t' '$2 == "visible" { printf " %s", $1 }' "$EX/paper-figures.tsv")
	[ "$silent" = " CS-5 CS-6 TB-4" ]
	[ "$visible" = " CS-7 TB-6 CM-5 CM-6" ]
}

@test "paper figures: 9 model calls for the self-healing router, 123 for ReAct (44, 42, 37)" {
	local f=$EX/paper-figures.tsv
	[ "$(grep -v '^#' "$f" | awk -F'\t' 'NR > 1 { s += $3; r += $4 } END { print s, r }')" = "9 123" ]
	[ "$(grep -v '^#' "$f" | awk -F'\t' 'NR > 1 { r[substr($1, 1, 2)] += $4 } END { print r["CS"], r["TB"], r["CM"] }')" = "44 42 37" ]
}

# shr_calls ID fail|down: the model calls of the self-healing router
# (--policy heal) on the scenario, its failing tools discovered when called
# (--fail) or known down before (--down), as agraph-trace stats counts them;
# it also checks that every model record is where agraph-route(1) puts it.
shr_calls() {
	local out
	out=$(scenario_run "$1" "$2")
	# An escalation's model record comes just after its escalate, which is
	# its cause; a pre-flight comes before the route, after the health records.
	[ "$(jq -c 'select(.kind == "escalate") | .step' <<<"$out")" = \
		"$(jq -c 'select(.kind == "model" and .purpose == "escalation") | .cause' <<<"$out")" ]
	[ "$(jq -c 'select(.kind == "escalate") | .step + 1' <<<"$out")" = \
		"$(jq -c 'select(.kind == "model" and .purpose == "escalation") | .step' <<<"$out")" ]
	[ -z "$(jq -sc '[.[] | select(.kind == "model" and .purpose == "preflight")] as $p |
		[.[] | select(.kind != "health" and .kind != "model")][0].step as $first |
		$p[] | select(.step > $first)' <<<"$out")" ]
	agraph-trace stats --json <<<"$out" | jq -r 'select(.total) | .total.model_calls'
}

@test "heal: the model calls of every scenario under --down are the paper's SHR figures (9 in all)" {
	local id static want react got bad=0 sum=0
	while IFS=$'\t' read -r id static want react; do
		got=$(shr_calls "$id" down)
		[ "$got" = "$want" ] || { echo "$id --down: $got model calls, the paper: $want"; bad=1; }
		sum=$((sum + got))
	done < <(grep -v '^#' "$EX/paper-figures.tsv" | tail -n +2)
	[ $bad -eq 0 ]
	[ $sum -eq 9 ]
}

@test "heal: under --fail no tool is known down before the walk: no pre-flight, 7 model calls (TB-5 none, CM-5 one)" {
	local id static want react got bad=0 sum=0
	while IFS=$'\t' read -r id static want react; do
		got=$(shr_calls "$id" fail)
		case $id in
		TB-5) want=0 ;;
		CM-5) want=1 ;;
		esac
		[ "$got" = "$want" ] || { echo "$id --fail: $got model calls, want $want"; bad=1; }
		sum=$((sum + got))
	done < <(grep -v '^#' "$EX/paper-figures.tsv" | tail -n +2)
	[ $bad -eq 0 ]
	[ $sum -eq 7 ]
}

@test "heal: the pre-flight of TB-5 and CM-5 under --down is one model record before the route, caused by the last health record" {
	run agraph-route --down FlightAPI,HotelAPI,CarAPI "$EX/travel-booking.yaml"
	[ "$status" -eq 0 ]
	[ "$(jq -c 'select(.kind != "health") | [.step, .kind, .purpose, .cause]' <<<"$output" | head -2 | paste -sd' ')" = \
		'[4,"model","preflight",3] [5,"route",null,3]' ]
	run agraph-route --down TextMod,ImageMod,VideoMod "$EX/content-moderation.yaml"
	[ "$status" -eq 1 ]
	[ "$(jq -c 'select(.kind == "model") | .purpose' <<<"$output" | paste -sd' ')" = '"preflight" "escalation"' ]
	# Two tools down is below the graphs' preflight: 3.
	run agraph-route --down FlightAPI,TrainAPI "$EX/travel-booking.yaml"
	[ "$(count_kind model <<<"$output")" = 1 ]
	[ "$(jq -r 'select(.kind == "model") | .purpose' <<<"$output")" = escalation ]
}

# react_run ID fail|down: the ReAct baseline's run of the scenario.
react_run() {
	scenario_run "$1" "$2" --policy react
}

@test "react: the model calls of every scenario are the paper's ReAct figures, with --fail and with --down (123 in all)" {
	local id static shr want mode got bad=0 sum=0
	while IFS=$'\t' read -r id static shr want; do
		for mode in fail down; do
			got=$(react_run "$id" $mode | agraph-trace stats --json | jq -r 'select(.total) | .total.model_calls')
			[ "$got" = "$want" ] || { echo "$id --$mode: $got model calls, the paper: $want"; bad=1; }
			[ $mode = down ] || sum=$((sum + got))
		done
	done < <(grep -v '^#' "$EX/paper-figures.tsv" | tail -n +2)
	[ $bad -eq 0 ]
	[ $sum -eq 123 ]
}

@test "react: one plan call first, a decision at each node reached, an observation per failure, two at a dead end" {
	local id mode out bad=0
	for id in $(tail -n +2 "$EX/scenarios.tsv" | cut -f1); do
		for mode in fail down; do
			out=$(react_run "$id" $mode)
			# the first record but health is the plan call
			[ "$(jq -sc '[.[] | select(.kind != "health")][0] | [.kind, .purpose]' <<<"$out")" = '["model","plan"]' ] ||
				{ echo "$id --$mode: no plan call first"; bad=1; }
			# every failed result is read by the next record, caused by it
			[ "$(jq -sc '. as $r | [range(length) as $i | select($r[$i].kind == "result" and $r[$i].status != "ok")
				| select($r[$i + 1] | .kind != "model" or .purpose != "observation" or .cause != $r[$i].step)] | length' <<<"$out")" = 0 ] ||
				{ echo "$id --$mode: a failure not observed"; bad=1; }
			# decisions: one per node walked but the goal; calls: one per decision and reroute
			[ "$(jq -c 'select(.kind == "model" and .purpose == "decision")' <<<"$out" | wc -l)" = \
				"$(jq -c 'select(.kind == "final") | .path | length - (if .[-1] == "Complete" or .[-1] == "Confirm" then 1 else 0 end)' <<<"$out")" ] ||
				{ echo "$id --$mode: decisions"; bad=1; }
			[ "$(count_kind call <<<"$out")" = $(($(jq -c 'select(.purpose == "decision")' <<<"$out" | wc -l) + $(count_kind reroute <<<"$out"))) ] ||
				{ echo "$id --$mode: calls"; bad=1; }
			case $(final_status <<<"$out") in
			success) [ -z "$(jq -c 'select(.purpose == "backtrack" or .purpose == "give-up")' <<<"$out")" ] ;;
			escalated) [ "$(jq -c 'select(.kind == "model") | .purpose' <<<"$out" | tail -2 | paste -sd' ')" = '"backtrack" "give-up"' ] &&
				[ "$(jq -c 'select(.kind == "escalate") | .cause' <<<"$out")" = "$(jq -c 'select(.purpose == "give-up") | .step' <<<"$out")" ] ;;
			*) false ;;
			esac || { echo "$id --$mode: the end"; bad=1; }
			# a ReAct agent handles every failure: no silent one
			agraph-trace check --builtin observable <<<"$out" >/dev/null || { echo "$id --$mode: observable"; bad=1; }
		done
	done
	[ $bad -eq 0 ]
}

@test "react: the walks, worked out by hand from the cheapest edge at each node" {
	run agraph-route --policy react --fail Stripe "$EX/customer-support.yaml"
	[ "$status" -eq 0 ]
	expect "CRM Stripe Razorpay Email Complete" 1 0 success
	[ "$(jq -c 'select(.kind == "reroute") | [.tool, .path, .cost, .cause]' <<<"$output")" = '["Stripe",["CRM","Razorpay"],0.5,7]' ]
	# CS-5: both payments fail at CRM: a dead end there
	run agraph-route --policy react --fail Stripe,Razorpay "$EX/customer-support.yaml"
	[ "$status" -eq 1 ]
	expect "CRM Stripe Razorpay" 1 1 escalated
	[ "$(jq -r 'select(.kind == "escalate") | .reason' <<<"$output")" = "no way on from CRM" ]
	# TB-3: greedy, Hotel fails at Flight, then Car at Hostel: Hostel-Bus
	# (0.3) is cheaper than Hostel-Car (0.4), so Car is never called
	run agraph-route --policy react --fail HotelAPI,CarAPI "$EX/travel-booking.yaml"
	expect "FlightAPI HotelAPI HostelAPI BusAPI Payment Confirm" 1 0 success
	# CM-5: all three moderators after Start fail, one observation each
	run agraph-route --policy react --fail TextMod,ImageMod,VideoMod "$EX/content-moderation.yaml"
	[ "$status" -eq 1 ]
	expect "TextMod ImageMod VideoMod" 2 1 escalated
	[ "$(jq -c 'select(.kind == "model") | .purpose' <<<"$output" | paste -sd' ')" = \
		'"plan" "decision" "observation" "observation" "observation" "backtrack" "give-up"' ]
}

@test "static and fixed make no model calls" {
	local p
	for p in static fixed; do
		run agraph-route --policy $p --down TextMod,ImageMod,VideoMod "$EX/content-moderation.yaml"
		[ "$(count_kind model <<<"$output")" = 0 ]
	done
}

# The walks, worked out by hand from agraph-route(1)'s rules.
@test "static: an alternative is taken and rerouted to; a failed alternative is skipped over" {
	scenario CS-2 --policy static
	expect "CRM Stripe Razorpay Email Complete" 1 0 success
	scenario CS-4 --policy static
	expect "CRM Stripe Razorpay Email SMS Complete" 2 0 success
	scenario CS-5 --policy static
	expect "CRM Stripe Razorpay Email Complete" 1 0 success
	[ "$(jq -c 'select(.kind == "final") | .path' <<<"$output")" = '["Start","CRM","Email","Complete"]' ]
	scenario TB-4 --policy static
	expect "FlightAPI TrainAPI HotelAPI CarAPI Payment Confirm" 1 0 success
	scenario TB-5 --policy static
	# from HostelAPI the cheapest way on is BusAPI (0.3): CarAPI is not called
	expect "FlightAPI TrainAPI HotelAPI HostelAPI BusAPI Payment Confirm" 2 0 success
}

@test "static: no alternative, or a fan-out all down, crashes visibly" {
	scenario CS-7 --policy static
	expect "CRM" 0 0 crashed
	[ "$(jq -r 'select(.kind == "final") | .reason' <<<"$output")" = "CRM failed and has no alternative" ]
	scenario TB-6 --policy static
	expect "FlightAPI HotelAPI CarAPI Payment" 0 0 crashed
	# TextMod, its alternative ImageMod, then the fan-out's last branch
	scenario CM-5 --policy static
	expect "TextMod ImageMod VideoMod" 2 0 crashed
	[ "$(jq -r 'select(.kind == "final") | .reason' <<<"$output")" = "every one of the 3 nodes after Start is down" ]
	scenario CM-6 --policy static
	expect "TextMod ToxicityScorer" 0 0 crashed
}

# --policy fixed: the first plan is followed and a failed step skipped.
# Every scenario whose failing tools lie on the first plan ends "success"
# with an error result in it: the silent failure a checker must catch.

@test "fixed: the first plan is walked whatever fails, and ends success" {
	local id
	for id in CS-1 CS-2 CS-3 CS-4 CS-5 CS-6 CS-7; do
		scenario "$id" --policy fixed
		expect "CRM Stripe Email Complete" 0 0 success
	done
	for id in TB-1 TB-2 TB-3 TB-4 TB-5 TB-6; do
		scenario "$id" --policy fixed
		expect "FlightAPI HotelAPI CarAPI Payment Confirm" 0 0 success
	done
	for id in CM-1 CM-2 CM-3 CM-4 CM-5 CM-6; do
		scenario "$id" --policy fixed
		expect "TextMod ToxicityScorer AutoApprove Complete" 0 0 success
	done
}

@test "fixed: silent failures are the scenarios with a failure on the first plan" {
	local id silent=""
	for id in $(tail -n +2 "$EX/scenarios.tsv" | cut -f1); do
		scenario "$id" --policy fixed
		if [ "$(final_status <<<"$output")" = success ] &&
			[ -n "$(jq -c 'select(.kind == "result" and .status != "ok")' <<<"$output")" ]; then
			silent="$silent $id"
		fi
	done
	# Every scenario but the three happy paths has a failing tool on the first plan.
	[ "$silent" = " CS-2 CS-3 CS-4 CS-5 CS-6 CS-7 TB-2 TB-3 TB-4 TB-5 TB-6 CM-2 CM-3 CM-4 CM-5 CM-6" ]
}
