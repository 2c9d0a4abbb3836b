#!/usr/bin/env bats
# agraph-stress: enumeration, sampling, shrinking, output, bad input.

load helper

setup() {
	CS=$EX/customer-support.yaml
	PAY=$BATS_TEST_TMPDIR/pay.yaml
	cat >"$PAY" <<'EOF'
contracts:
  - name: payment
    eventually: 'kind == "result" && status == "ok" && tool in ["Stripe", "Razorpay"]'
EOF
}

# sets: the fault sets of the summary lines on stdin, one per line.
sets() {
	grep -o '^{[^}]*}' | sort
}

@test "--help and --version" {
	run agraph-stress --help
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: agraph-stress "* ]]
	run agraph-stress --version
	[ "$status" -eq 0 ]
	[[ $output == "agraph-stress "[0-9]* ]]
}

@test "--format, not -f: -f is agraph-inject's fault" {
	run --separate-stderr agraph-stress -c "$PAY" -f ndjson "$CS"
	[ "$status" -eq 2 ]
	[ "${stderr_lines[0]}" = "agraph-stress: invalid option -- 'f'" ]
	run --separate-stderr agraph-stress -c "$PAY" --format json "$CS"
	[ "$status" -eq 2 ]
	[ "$stderr" = "agraph-stress: --format takes text or ndjson, not 'json'" ]
}

@test "a payment succeeds: the minimal counterexamples are {CRM} and {Stripe, Razorpay}" {
	run agraph-stress -c "$PAY" --faults error --max-faults 2 "$CS"
	[ "$status" -eq 1 ]
	[ "$(sets <<<"$output" | paste -sd' ')" = "{CRM:error} {Stripe:error,Razorpay:error}" ]
	[[ ${lines[0]} == "{CRM:error} breaks payment at step 1: no record from step 1 on satisfies "* ]]
	[ "${lines[2]}" = "searched all 22 fault sets of up to 2 faults: replayed 13, the rest change nothing or hold a counterexample; 2 counterexamples" ]
}

@test "observable: silent failures under --policy fixed, none when self-healing" {
	run agraph-stress --builtin observable --policy fixed "$CS"
	[ "$status" -eq 1 ]
	[ "$(sets <<<"$output" | paste -sd' ')" = "{CRM:error} {Complete:error} {Email:error} {Stripe:error}" ]
	[[ ${lines[0]} == "{CRM:error} breaks observable at step "*"was not retried, rerouted or escalated, yet step"*"says success" ]]
	# The static policy does not heed health: it calls a down tool, which fails.
	run agraph-stress --builtin observable --policy fixed --faults down "$CS"
	[ "$status" -eq 1 ]
	[ "$(sets <<<"$output" | paste -sd' ')" = "{CRM:down} {Complete:down} {Email:down} {Stripe:down}" ]
	run agraph-stress --builtin observable --faults error,timeout,down --max-faults 3 "$CS"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *"; 0 counterexamples" ]]
}

@test "each counterexample is a trace with its fault records, checkable by agraph-trace" {
	run --separate-stderr agraph-stress -c "$PAY" --format ndjson "$CS"
	[ "$status" -eq 1 ]
	[ "$(jq -r .trace <<<"$output" | uniq | paste -sd' ')" = \
		"customer-support{CRM:error} customer-support{Stripe:error,Razorpay:error}" ]
	[ "$(jq -c 'select(.kind == "fault") | [.trace, .tool, .fault, .target]' <<<"$output" | paste -sd' ')" = \
		'["customer-support{CRM:error}","CRM","error",4] ["customer-support{Stripe:error,Razorpay:error}","Stripe","error",6] ["customer-support{Stripe:error,Razorpay:error}","Razorpay","error",10]' ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[[ ${stderr_lines[0]} == "agraph-stress: {CRM:error} breaks payment"* ]]
	agraph-trace check --builtin all <<<"$output"
	run agraph-trace check -c "$PAY" <<<"$output"
	[ "$status" -eq 1 ]
	[[ $output == *"2 traces, 2 verdicts: 0 pass, 2 fail" ]]
	# A counterexample replays to itself.
	exits 1 agraph-stress -c "$PAY" --format ndjson "$CS" >"$BATS_TEST_TMPDIR/cx" 2>"$BATS_TEST_TMPDIR/cx.err"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cx.err")" -eq 3 ]
	run agraph-replay --check "$CS" "$BATS_TEST_TMPDIR/cx"
	[ "$status" -eq 0 ]
	[ "$output" = "2 traces replayed, 0 diverged" ]
}

@test "down and timeout faults, and --first" {
	run agraph-stress -c "$PAY" --faults down,timeout --max-faults 2 "$CS"
	[ "$status" -eq 1 ]
	[ "$(sets <<<"$output" | paste -sd' ')" = \
		"{CRM:down} {CRM:timeout} {Complete:down} {Email:down,SMS:down} {Stripe:down,Razorpay:down} {Stripe:down,Razorpay:timeout} {Stripe:timeout,Razorpay:down} {Stripe:timeout,Razorpay:timeout}" ]
	run agraph-stress -c "$PAY" --first "$CS"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[1]} == "stopped at the first counterexample after "*"; 1 counterexample" ]]
}

@test "sampling when the space is over budget: every find is shrunk to a minimal set" {
	run agraph-stress -c "$PAY" --max-faults 3 --budget 30 --seed 1 "$CS"
	[ "$status" -eq 1 ]
	[[ ${lines[-1]} == "sampled 30 fault sets of up to 3 faults with seed 1 ("*" distinct, of 42); 2 counterexamples" ]]
	# This walk met {CRM, Email} first; what is reported is minimal.
	[[ ${lines[0]} == "{CRM:error} breaks payment at step 1 (shrunk from {CRM:error,Email:error}): "* ]]
	[ "$(sets <<<"$output" | paste -sd' ')" = "{CRM:error} {Stripe:error,Razorpay:error}" ]
	for seed in 2 3 4 5 6 7 8; do
		exits 1 agraph-stress -c "$PAY" --max-faults 3 --budget 30 --seed $seed "$CS" >"$BATS_TEST_TMPDIR/s$seed"
	done
	[ "$(cat "$BATS_TEST_TMPDIR"/s[2-8] | sets | sort -u | paste -sd' ')" = "{CRM:error} {Stripe:error,Razorpay:error}" ]
}

@test "the same seed gives the same bytes; enumeration needs none" {
	# Every run's status is checked and its output must not be empty: runs
	# that crashed alike would give the same bytes too.  With -f ndjson the
	# counterexamples are told on stderr, the same each time.
	for i in 1 2 3; do
		exits 1 agraph-stress -c "$PAY" --builtin all --faults error,down --max-faults 3 --budget 40 --seed 9 --format ndjson "$CS" \
			>"$BATS_TEST_TMPDIR/o$i" 2>"$BATS_TEST_TMPDIR/e$i"
		[ -s "$BATS_TEST_TMPDIR/o$i" ]
		[ -s "$BATS_TEST_TMPDIR/e$i" ]
		cmp "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o$i"
		cmp "$BATS_TEST_TMPDIR/e1" "$BATS_TEST_TMPDIR/e$i"
	done
	for i in 1 2; do
		exits 1 agraph-stress --builtin all --faults error,timeout,down --policy fixed "$EX/travel-booking.yaml" \
			>"$BATS_TEST_TMPDIR/t$i" 2>"$BATS_TEST_TMPDIR/te$i"
		[ -s "$BATS_TEST_TMPDIR/t$i" ]
		[ ! -s "$BATS_TEST_TMPDIR/te$i" ]
		cmp "$BATS_TEST_TMPDIR/t1" "$BATS_TEST_TMPDIR/t$i"
	done
}

@test "from a recorded run: its answers stand, tools it never called answer ok" {
	# Stripe already failed in the recording: Razorpay alone breaks the payment now.
	agraph-route --fail Stripe "$CS" >"$BATS_TEST_TMPDIR/rec"
	run agraph-stress -c "$PAY" "$CS" "$BATS_TEST_TMPDIR/rec"
	[ "$status" -eq 1 ]
	[ "$(sets <<<"$output" | paste -sd' ')" = "{CRM:error} {Razorpay:error}" ]
	# --trace picks one of several.
	agraph-route --id other "$CS" >>"$BATS_TEST_TMPDIR/rec"
	run --separate-stderr agraph-stress -c "$PAY" --trace other --format ndjson "$CS" "$BATS_TEST_TMPDIR/rec"
	[ "$status" -eq 1 ]
	[ "$(jq -r .trace <<<"$output" | sort -u | paste -sd' ')" = "other{CRM:error} other{Stripe:error,Razorpay:error}" ]
}

@test "no contract given: every built-in" {
	run agraph-stress --policy fixed --max-faults 1 "$CS"
	[ "$status" -eq 1 ]
	[[ $output == *"breaks observable"* ]]
	! [[ $output == *"breaks terminates"* ]]
}

@test "bad input: clear errors and exit 2" {
	run agraph-stress -c /nonexistent "$CS"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-stress: /nonexistent: "* ]]
	run agraph-stress --max-faults 9 "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: --max-faults takes 1 to 8, not 9" ]
	run agraph-stress --faults error,lost "$CS"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: --faults: 'lost' is not error, timeout or down" ]
	run agraph-stress --budget 0 "$CS"
	[ "$status" -eq 2 ]
	run agraph-stress --fail Stripe "$CS"
	[ "$status" -eq 2 ]
	[[ $output == "agraph-stress: --fail and --down are not for stress: "* ]]
	run agraph-stress "$CS" /nonexistent
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: /nonexistent: No such file or directory" ]
	agraph-route "$CS" >"$BATS_TEST_TMPDIR/rec"
	run agraph-stress --trace nope "$CS" "$BATS_TEST_TMPDIR/rec"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: $BATS_TEST_TMPDIR/rec: no trace 'nope'" ]
	echo '{"trace":"x","kind":"result","tool":"CRM","call":"c1","status":1}' >"$BATS_TEST_TMPDIR/bad"
	run agraph-stress "$CS" "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: $BATS_TEST_TMPDIR/bad:1:1: result status must be \"ok\", \"error\" or \"timeout\"" ]
	run agraph-stress "$CS" /dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-stress: /dev/null: no records" ]
	run agraph-stress
	[ "$status" -eq 2 ]
}

@test "output: a closed pipe ends quietly; a full disk is exit 2" {
	# The status is agraph-stress's, not head's; stderr holds the
	# counterexamples found before the pipe closed (all of them and the
	# summary, if it had finished), and nothing else.
	run --separate-stderr bash -c "agraph-stress -c '$PAY' --format ndjson --faults error,timeout,down '$CS' | head -1; exit \${PIPESTATUS[0]}"
	closed_quietly "$status" 1
	[[ $output == '{"trace":"customer-support{CRM:error}","step":1,"kind":"route",'* ]]
	[ "${#stderr_lines[@]}" -gt 0 ]
	for line in "${stderr_lines[@]}"; do
		[[ $line == "agraph-stress: {"*"} breaks payment at step 1: "* ||
			$line == "agraph-stress: searched all "*"; 14 counterexamples" ]]
	done
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "agraph-stress -c '$PAY' '$CS' >/dev/full"
	[ "$status" -eq 2 ]
	[[ $stderr == *"stdout: No space left on device"* ]]
}
