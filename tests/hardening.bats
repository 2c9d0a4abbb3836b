#!/usr/bin/env bats
# Hardening: output safety for every program, determinism with seeds,
# resource bounds.

load helper

setup() {
	CS=$EX/customer-support.yaml
	RUN=$BATS_TEST_TMPDIR/run.ndjson
	agraph-route --fail Stripe "$CS" >"$RUN"
	# A big stream of many runs, for closed pipes.
	for i in $(seq 200); do sed "s/\"customer-support\"/\"r$i\"/" "$RUN"; done >"$BATS_TEST_TMPDIR/many"
}

# Every program, with arguments that write much to stdout, after the status
# it exits with when it can write everything.
each_program() {
	printf '%s\n' \
		"0 agraph-route --fail Stripe $CS" \
		"0 agraph-trace grep true $BATS_TEST_TMPDIR/many" \
		"0 agraph-trace check --verbose --format ndjson --builtin all $BATS_TEST_TMPDIR/many" \
		"0 agraph-trace export otel $BATS_TEST_TMPDIR/many" \
		"0 agraph-trace split -n 2/3 $BATS_TEST_TMPDIR/many" \
		"0 agraph-inject --seed 3 -f error:p=0.3 $BATS_TEST_TMPDIR/many" \
		"0 agraph-replay $CS $BATS_TEST_TMPDIR/many" \
		"1 agraph-stress --builtin all --faults error,timeout,down --policy fixed $CS" \
		"0 agraph-render -t $RUN $CS"
}

@test "a closed pipe ends every program quietly, after whole records" {
	while read -r want cmd; do
		# The status is the program's, not head's.
		run --separate-stderr bash -c "$cmd | head -n 3; exit \${PIPESTATUS[0]}"
		closed_quietly "$status" "$want" || { echo "$cmd: exit $status"; false; }
		[ -z "$stderr" ] || { echo "$cmd: $stderr"; false; }
		[ "${#lines[@]}" -eq 3 ] || { echo "$cmd: ${#lines[@]} lines"; false; }
		[[ $cmd == agraph-render* || $cmd == agraph-stress* ]] || jq -e . >/dev/null <<<"$output" || { echo "$cmd: not whole records"; false; }
	done < <(each_program)
}

@test "a full disk is an error and exit 2 for every program, never 0" {
	[ -w /dev/full ] || skip "no /dev/full"
	while read -r _ cmd; do
		run --separate-stderr bash -c "$cmd >/dev/full"
		[ "$status" -eq 2 ] || { echo "$cmd: exit $status"; false; }
		[[ $stderr == *"No space left on device"* ]] || { echo "$cmd: $stderr"; false; }
	done < <(each_program)
	run --separate-stderr agraph-render -o /dev/full "$CS"
	[ "$status" -eq 2 ]
	[[ $stderr == *"No space left on device"* ]]
}

@test "--help and --version on a full disk: an error and exit 2, never 0" {
	[ -w /dev/full ] || skip "no /dev/full"
	for p in "$AGRAPH_BIN"/agraph-*; do
		for opt in --help --version; do
			run --separate-stderr "$p" $opt
			[ "$status" -eq 0 ] && [ -n "$output" ] || { echo "${p##*/} $opt: exit $status"; false; }
			run --separate-stderr bash -c "'$p' $opt >/dev/full"
			[ "$status" -eq 2 ] || { echo "${p##*/} $opt: exit $status"; false; }
			[[ $stderr == "${p##*/}: stdout: No space left on device" ]] || { echo "$stderr"; false; }
		done
	done
	run --separate-stderr bash -c "agraph-trace check --help >/dev/full"
	[ "$status" -eq 2 ]
}

@test "determinism: route, inject, replay and stress with seeds give the same bytes, run after run" {
	# Every run's status is checked, stderr must be empty and stdout not:
	# runs that all crashed alike would give the same bytes too.
	for i in 1 2 3 4 5 6 7 8; do
		{
			agraph-route --seed 11 --fail Stripe:p=0.5,Email:p=0.5,CRM:p=0.1 "$CS"
			agraph-inject --seed 5 -f error:p=0.3 -f corrupt:p=0.2 -f msg-delay:p=0.2 \
				"$BATS_TEST_TMPDIR/many" "$EX/conversation.ndjson"
			exits 1 agraph-replay --missing ok --seed 2 --fail Razorpay:p=0.5 "$CS" "$BATS_TEST_TMPDIR/many"
			agraph-stress --builtin all --faults error,timeout,down --max-faults 3 --budget 50 --seed 4 "$EX/support.yaml"
			agraph-stress --builtin all --faults error,down --max-faults 2 "$EX/travel-booking.yaml"
		} >"$BATS_TEST_TMPDIR/run$i" 2>"$BATS_TEST_TMPDIR/err$i"
		[ ! -s "$BATS_TEST_TMPDIR/err$i" ]
		[ -s "$BATS_TEST_TMPDIR/run$i" ]
		cmp "$BATS_TEST_TMPDIR/run1" "$BATS_TEST_TMPDIR/run$i"
	done
}

@test "different seeds give different draws" {
	agraph-inject --seed 1 -f error:p=0.5 "$BATS_TEST_TMPDIR/many" >"$BATS_TEST_TMPDIR/a"
	agraph-inject --seed 2 -f error:p=0.5 "$BATS_TEST_TMPDIR/many" >"$BATS_TEST_TMPDIR/b"
	[ -s "$BATS_TEST_TMPDIR/a" ]
	run cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 1 ]
}

@test "a 1 GB line is refused within bounded memory" {
	instrumented && skip "address space is the sanitizer's"
	run bash -c "head -c 1000000000 /dev/zero | (ulimit -v 400000; agraph-trace lint)"
	[ "$status" -eq 2 ]
	[ "$output" = "agraph-trace: -:1: line longer than 67108864 bytes" ]
	# The lines around it are still read.
	run bash -c "{ echo '{\"trace\":\"t\",\"step\":1,\"kind\":\"call\"}'; head -c 100000000 /dev/zero; echo; echo '{\"trace\":\"t\",\"step\":2,\"kind\":\"final\",\"status\":\"success\"}'; } | (ulimit -v 400000; agraph-trace grep true)"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[1]} == '{"trace":"t","step":1,"kind":"call"}' ]] || [[ ${lines[0]} == '{"trace":"t","step":1,"kind":"call"}' ]]
}

@test "a million-node graph is planned within stated limits (agraph-graph(5))" {
	instrumented && skip "address space is the sanitizer's"
	awk 'BEGIN { n = 1000000; print "graph: big\nstart: n0\ngoal: n" n - 1 "\nedges:"
		for (i = 0; i < n - 1; i++) print "  - [n" i ", n" i + 1 "]" }' >"$BATS_TEST_TMPDIR/big.yaml"
	run bash -c "set -o pipefail; (ulimit -v 2000000; agraph-route --plan '$BATS_TEST_TMPDIR/big.yaml' | jq -c '[(.path | length), .cost]')"
	[ "$status" -eq 0 ]
	[ "$output" = "[1000000,999999]" ]
}

@test "YAML aliases cost nothing: a bomb is refused by the shape of the format" {
	printf 'graph: g\nstart: a\ngoal: b\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n' >"$BATS_TEST_TMPDIR/bomb.yaml"
	for i in 1 2 3 4 5 6 7 8 9; do
		printf 'x%d: &x%d [%s]\n' $i $i "$(printf '*x%d, ' $(yes $((i - 1)) | head -10) | sed 's/, $//')"
	done >>"$BATS_TEST_TMPDIR/bomb.yaml"
	run timeout 10 agraph-route "$BATS_TEST_TMPDIR/bomb.yaml"
	[ "$status" -eq 2 ]
	[[ $output == *"unknown key 'x0' in a graph file"* ]]
	printf 'graph: g\nstart: a\ngoal: b\nnodes: {a: &n {tags: [%s]}, b: *n}\nedges: [[a, b]]\n' "$(printf 'x,%.0s' $(seq 1000))x" >"$BATS_TEST_TMPDIR/tags.yaml"
	run timeout 10 agraph-route --plan "$BATS_TEST_TMPDIR/tags.yaml"
	[ "$status" -eq 0 ]
}
