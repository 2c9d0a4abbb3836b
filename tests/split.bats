#!/usr/bin/env bats
# agraph-trace split: a stream cut by trace id into shards, each trace
# whole in one, by a fixed function of its id; and the scale-out it is
# for, run under GNU parallel: check and stats --partial/--merge over
# the shards give the verdicts and totals of one run over the whole.

load helper

setup_file() {
	C=$BATS_FILE_TMPDIR/corpus.ndjson
	gen_trace 2 5 >"$C"
	scenario_runs "" >>"$C"
	cat "$EX/refunds.ndjson" >>"$C"
	# Ids written with escapes, records after a final, records of no
	# trace or of one that is not a string (trace "", as check keys them).
	cat >>"$C" <<'JSON'
{"trace":"odd\u0021","step":1,"kind":"call","tool":"pay","id":"c1"}
{"step":1,"kind":"call","tool":"pay","id":"c1"}
{"trace":"odd!","step":2,"kind":"final","status":"success"}
{"trace":"odd!","step":3,"kind":"message","content":"after the final"}
{"trace":7,"step":2,"kind":"final","status":"failure"}
{"trace":"\u00e9t\u00e9","step":1,"kind":"final","status":"success"}
{"trace":"","step":3,"kind":"result","call":"c1","status":"ok"}
JSON
	export C
}

# verdicts: check's NDJSON verdicts on stdin, sorted, without the file
# and line of the violating record, which are the shard's in a sharded run.
verdicts() {
	jq -c 'del(.file, .line)' | LC_ALL=C sort
}

@test "split -n N: N files named as split(1) names them, each trace whole in one, bytes as they were" {
	cd "$BATS_TEST_TMPDIR"
	agraph-trace split -n 4 "$C"
	[ "$(ls)" = "$(printf 'xaa\nxab\nxac\nxad')" ]
	# every record once, byte for byte
	cat xa? | LC_ALL=C sort | cmp - <(LC_ALL=C sort "$C")
	# a trace id in one file only
	for f in xa?; do jq -r 'if (.trace | type) == "string" then .trace else "" end' "$f" | sort -u; done |
		sort | uniq -d >dup
	[ ! -s dup ]
	# each file holds its records in the order of the input
	for f in xa?; do grep -Fxf "$f" "$C" | cmp - "$f"; done
	# no file is empty on this corpus: the hash spreads the traces
	for f in xa?; do [ -s "$f" ]; done
}

@test "split -n K/N writes shard K of the files to stdout" {
	cd "$BATS_TEST_TMPDIR"
	agraph-trace split -d -n 3 "$C" shard.
	[ "$(ls)" = "$(printf 'shard.00\nshard.01\nshard.02')" ]
	for k in 1 2 3; do
		agraph-trace split -n $k/3 "$C" | cmp - shard.0$((k - 1))
		agraph-trace split -n $k/3 <"$C" | cmp - shard.0$((k - 1))
	done
	# several files are read in order, as cat reads them
	agraph-trace split -n 2/3 "$EX/refunds.ndjson" "$C" |
		cmp - <(cat "$EX/refunds.ndjson" "$C" | agraph-trace split -n 2/3)
}

@test "the shard of a trace is FNV-1a 64 of its id's bytes modulo N, the same everywhere" {
	# Shards (from 1) of the published function, computed apart from
	# agraph: FNV-1a 64 of "r1" is 0x08dc8307b57be76c, of "r2"
	# 0x08dc8607b57bec85, of "run-000002" 0x54b06cf5bedcac37, of "été"
	# (c3 a9 74 c3 a9, however JSON escapes it) 0x009a8f0e88b51857, of ""
	# 0xcbf29ce484222325.
	shard_of() { # ID N: the shard, 1 to N, that split -n K/N puts ID in
		local k
		for k in $(seq "$2"); do
			printf '{"trace":"%s","step":0,"kind":"final"}\n' "$1" |
				agraph-trace split -n "$k/$2" | grep -q . && echo "$k"
		done
	}
	[ "$(shard_of r1 4)" = 1 ] && [ "$(shard_of r1 7)" = 7 ]
	[ "$(shard_of r2 4)" = 2 ] && [ "$(shard_of r2 3)" = 2 ]
	[ "$(shard_of run-000002 4)" = 4 ] && [ "$(shard_of run-000002 3)" = 3 ]
	[ "$(shard_of 'été' 4)" = 4 ] && [ "$(shard_of '\u00e9t\u00e9' 4)" = 4 ]
	[ "$(shard_of '' 3)" = 3 ]
	# no trace, or one that is not a string: trace ""
	cd "$BATS_TEST_TMPDIR"
	printf '{"step":0,"kind":"final"}\n{"trace":5,"step":0,"kind":"final"}\n' >none
	[ "$(agraph-trace split -n 3/3 none | wc -l)" = 2 ]
}

@test "GNU parallel: sharded check gives the verdicts of one check over the whole" {
	cd "$BATS_TEST_TMPDIR"
	local one all='--builtin well-formed,terminates,observable,no-repeat'
	one=$(exits 1 agraph-trace check --format ndjson $all -c "$EX/contracts.yaml" "$C" | verdicts)
	[ "$(wc -l <<<"$one")" -gt 3000 ]
	grep -q '"status":"fail"' <<<"$one"
	# a job a shard, each reading the whole input and keeping its shard
	for n in 1 4 7; do
		exits $n parallel -j2 "agraph-trace split -n {}/$n '$C' |
			agraph-trace check --format ndjson $all -c '$EX/contracts.yaml'" \
			::: $(seq $n) >got
		verdicts <got | cmp - <(echo "$one")
	done
	# the shard files made in one pass, a job a file
	agraph-trace split -n 3 "$C" shard.
	exits 3 parallel -j2 agraph-trace check --format ndjson $all -c "$EX/contracts.yaml" \
		::: shard.* >got
	verdicts <got | cmp - <(echo "$one")
	# -k: shard by shard, each in check's order
	parallel -k -j2 "agraph-trace check --format ndjson {} || true" ::: shard.* |
		jq -c 'del(.file, .line)' >kept
	for f in shard.*; do exits 1 agraph-trace check --format ndjson "$f"; done |
		jq -c 'del(.file, .line)' | cmp - kept
}

@test "GNU parallel: stats --partial of the shards, merged, are the totals of the whole" {
	cd "$BATS_TEST_TMPDIR"
	local one text
	one=$(agraph-trace stats --json --builtin all "$C" | tail -1 | jq -S .)
	[ "$(jq .total.runs <<<"$one")" -gt 300 ]
	# the tools come in the order the partials name them first: sorted
	text=$(agraph-trace stats "$C" | sed -n '/^$/,$p' | LC_ALL=C sort)
	for n in 2 5; do
		parallel -j2 "agraph-trace split -n {}/$n '$C' | agraph-trace stats --partial --builtin all" \
			::: $(seq $n) >partials
		[ "$(wc -l <partials)" = $n ]
		agraph-trace stats --merge --json partials | jq -S . | cmp - <(echo "$one")
		parallel -j2 "agraph-trace split -n {}/$n '$C' | agraph-trace stats --partial" \
			::: $(seq $n) | agraph-trace stats --merge | LC_ALL=C sort | cmp - <(echo "$text")
	done
}

@test "GNU parallel --sshlogin: the recipe across hosts, with this machine as the host (:)" {
	cd "$BATS_TEST_TMPDIR"
	agraph-trace split -n 4 "$C" shard.
	exits 4 parallel -S 2/: --transferfile {} --cleanup \
		agraph-trace check --format ndjson ::: shard.* | verdicts >got
	exits 1 agraph-trace check --format ndjson "$C" | verdicts | cmp - got
}

@test "split is wrong when a trace is cut: a check of the pieces then differs" {
	cd "$BATS_TEST_TMPDIR"
	# The test above would see a split that cuts traces: shown here by
	# cutting the input by lines instead, as parallel --pipe would.
	parallel --pipe -N 500 -k -j2 agraph-trace check --format ndjson <"$C" | verdicts >cut || true
	exits 1 agraph-trace check --format ndjson "$C" | verdicts >one
	! cmp -s cut one
}

@test "split: a line that is not a record is reported at its file, line and column, as check does; the rest is written" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' '{"trace":"a","step":0,"kind":"call"}' '{"trace":"a",' '[1]' \
		'{"trace":"a","step":1,"kind":"final"}' '' '{"trace":"b","step":0,"kind":"final"}' >bad.ndjson
	local errors='agraph-trace: bad.ndjson:2:14: expected a string key
agraph-trace: bad.ndjson:3:1: a record must be a JSON object'
	run -2 --separate-stderr agraph-trace split -n 1/1 bad.ndjson
	[ "$output" = "$(grep '^{.*}$' bad.ndjson)" ]
	[ "$stderr" = "$errors" ]
	run -2 --separate-stderr agraph-trace check bad.ndjson
	[ "$stderr" = "$errors" ]
	# into files too: every record read is written, exit 2
	run -2 --separate-stderr agraph-trace split -n 2 bad.ndjson s.
	[ "$stderr" = "$errors" ]
	cat s.aa s.ab | LC_ALL=C sort | cmp - <(grep '^{.*}$' bad.ndjson | LC_ALL=C sort)
}

@test "split: quiet on a closed pipe; memory flat, whatever the number of traces" {
	local big=$BATS_TEST_TMPDIR/big.ndjson
	# 200,000 traces, all open at once (50 MB)
	gen_trace -s open 600000 >"$big"
	run --separate-stderr bash -c 'agraph-trace split -n 1/2 "$1" | head -1; exit ${PIPESTATUS[0]}' _ "$big"
	closed_quietly "$status"
	[ -z "$stderr" ]
	instrumented && skip "address space is the sanitizer's"
	run -0 bash -c '(ulimit -v 40000; agraph-trace split -n 2/3 "$1") | wc -l' _ "$big"
	[ "$output" -gt 150000 ]
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c '(ulimit -v 40000; agraph-trace split -n 3 "$1") && cat xa? | wc -l' _ "$big"
	[ "$output" = 600000 ] || [ "$output" = "$(wc -l <"$big")" ]
}

@test "split: a signal while it waits for input ends it, 128 + the signal, with every record read in its file" {
	cd "$BATS_TEST_TMPDIR"
	mkfifo in
	agraph-trace split -u -n 2 in s. &
	local pid=$! rc=0 w
	exec {w}>in # bats has fd 3
	printf '%s\n' '{"trace":"r1","step":0,"kind":"call"}' '{"trace":"r2","step":0,"kind":"call"}' >&"$w"
	for _ in $(seq 200); do [ "$(cat s.aa s.ab 2>/dev/null | wc -l)" = 2 ] && break; sleep 0.05; done
	kill -TERM $pid
	wait $pid || rc=$?
	exec {w}>&-
	[ "$rc" -eq 143 ]
	[ "$(cat s.aa)" = '{"trace":"r1","step":0,"kind":"call"}' ]
	[ "$(cat s.ab)" = '{"trace":"r2","step":0,"kind":"call"}' ]
}

@test "split -n N: files that exist are overwritten, as split(1) does; the input is not" {
	cd "$BATS_TEST_TMPDIR"
	echo old >xab
	echo old >xac
	agraph-trace split -n 2 "$EX/refunds.ndjson"
	[ ! -e xac ] || [ "$(cat xac)" = old ]
	cat xaa xab | LC_ALL=C sort | cmp - <(LC_ALL=C sort "$EX/refunds.ndjson")
	cp "$EX/refunds.ndjson" xab
	run -2 agraph-trace split -n 2 xab
	[ "$output" = "agraph-trace: xab would overwrite the input; nothing written" ]
	cmp xab "$EX/refunds.ndjson"
	run -2 bash -c 'agraph-trace split -n 2 <xab'
	[ "$output" = "agraph-trace: xab would overwrite the input; nothing written" ]
	cmp xab "$EX/refunds.ndjson"
}

@test "split -n N: a shard file that cannot be written whole is an error, exit 2" {
	[ -w /dev/full ] || skip "no /dev/full"
	cd "$BATS_TEST_TMPDIR"
	ln -s /dev/full xab
	run -2 --separate-stderr agraph-trace split -n 2 "$C"
	[[ $stderr == "agraph-trace: xab: No space left on device" ]]
	[ -s xaa ]
}

@test "split: usage" {
	cd "$BATS_TEST_TMPDIR"
	local e
	for e in "-n 0" "-n 0/3" "-n 4/3" "-n 3/0" "-n x" "-n 1/x" "-d -n 1/2" "-n 2 a b c" "" "-v -n 2"; do
		# shellcheck disable=SC2086
		run -2 agraph-trace split $e
		[ -n "$output" ] || { echo "split $e: no message"; false; }
	done
	run -2 agraph-trace split -n 4/3
	[ "$output" = "agraph-trace: -n takes n or k/n, with 1 <= k <= n, not '4/3'" ]
	run -2 bash -c 'ulimit -n 64; agraph-trace split -n 100 </dev/null'
	[[ $output == "agraph-trace: -n 100: more files than may be open at once (64, ulimit -n)" ]]
	[ -z "$(ls "$BATS_TEST_TMPDIR")" ]
}
