#!/usr/bin/env bats
# --progress and --no-progress: agraph-trace check, lint, stats, import
# and agraph-stress report how far they are on stderr, never on stdout.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	AG=$EX/agent.ndjson          # 437 bytes
	RC=$EX/recorded.ndjson       # 931
	CS=$EX/customer-support.yaml # a graph for agraph-stress
}

# last FILE: the last line of FILE.
last() {
	tail -n 1 "$1"
}

# on_tty CMD: runs the shell command CMD with stderr (and stdout, unless
# CMD sends it elsewhere) on a terminal, as script(1) gives one; prints
# what the terminal got, a carriage return shown as \r.
on_tty() {
	command -v script >/dev/null || skip "no script(1)"
	script -qec "$1" /dev/null | sed 's/\r/\\r/g'
}

# slowly N FILE: FILE N times, a pause after each, so that the reading
# lasts about N * 0.3 s.
slowly() {
	for _ in $(seq "$1"); do
		cat "$2"
		sleep 0.3
	done
}

# big_graph: a graph of 40 forks in a row, whose fault sets take seconds
# to sample.
big_graph() {
	printf 'graph: big\nstart: S\ngoal: G\nnodes:\n  S:\n  G:\nedges:\n'
	local p=S
	for i in $(seq 40); do
		printf '  - [%s, A%d, 0.3]\n  - [%s, B%d, 0.5]\n' "$p" "$i" "$p" "$i"
		printf '  - [A%d, M%d, 0.1]\n  - [B%d, M%d, 0.1]\n' "$i" "$i" "$i" "$i"
		p=M$i
	done
	printf '  - [%s, G, 0.1]\n' "$p"
}

@test "check --progress, stderr a file: a last line with the size of the files" {
	exits 1 agraph-trace check --progress "$AG" "$RC" >"$T/out" 2>"$T/err"
	[ "$(last "$T/err")" = "agraph-trace: 1.4 kB of 1.4 kB (100%)" ]
	exits 1 agraph-trace check --progress "$AG" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 437 B of 437 B (100%)" ]
}

@test "megabytes: a generated trace of 2 MB, its size in MB" {
	gen_trace -r 2 7 >"$T/big.ndjson"
	size=$(wc -c <"$T/big.ndjson")
	want=$(awk -v n="$size" 'BEGIN { printf "%.1f MB of %.1f MB (100%%)", n / 1e6, n / 1e6 }')
	exits 0,1 agraph-trace check -c "$TOP/tests/bench/check_contracts.yaml" --progress \
		"$T/big.ndjson" >/dev/null 2>"$T/err"
	[ "$(last "$T/err")" = "agraph-trace: $want" ]
}

@test "lint, stats, stats --merge and import --progress: the same last line" {
	exits 0 agraph-trace lint --progress "$AG" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 437 B of 437 B (100%)" ]
	agraph-trace stats --progress "$AG" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 437 B of 437 B (100%)" ]
	agraph-trace stats --partial "$AG" >"$T/part"
	size=$(wc -c <"$T/part")
	agraph-trace stats --merge --progress "$T/part" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: $size B of $size B (100%)" ]
	agraph-trace import --progress openai "$EX/openai.json" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 853 B of 853 B (100%)" ]
}

@test "stdin from a pipe: the count alone; from a file: of what is left of it" {
	cat "$AG" | exits 1 agraph-trace check --progress >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 437 B" ]
	cat "$EX/openai.json" | agraph-trace import --progress openai >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 853 B" ]
	exits 1 agraph-trace check --progress <"$AG" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 437 B of 437 B (100%)" ]
	# the first line read already: its bytes are no part of the total
	first=$(head -n 1 "$AG" | wc -c)
	(
		read -r _
		exits 1 agraph-trace check --progress >/dev/null 2>"$T/err"
	) <"$AG"
	left=$((437 - first))
	[ "$(cat "$T/err")" = "agraph-trace: $left B of $left B (100%)" ]
	# a pipe among files: no total either
	cat "$RC" | exits 1 agraph-trace check --progress "$AG" - >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 1.4 kB" ]
	# stdin named twice is read once: in the total once
	exits 1 agraph-trace lint --progress - "$AG" - <"$AG" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 874 B of 874 B (100%)" ]
	agraph-trace import --progress openai - - <"$EX/openai.json" >/dev/null 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-trace: 853 B of 853 B (100%)" ]
}

@test "--no-progress, and the default when stderr is no terminal: nothing on stderr" {
	exits 1 agraph-trace check "$AG" >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
	exits 1 agraph-trace check --no-progress "$AG" >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
	# the last of the two wins, as with any option given twice
	exits 1 agraph-trace check --progress --no-progress "$AG" >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
	agraph-trace import --no-progress openai "$EX/openai.json" >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
	agraph-stress --no-progress "$CS" >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
	# nor for work that lasts longer than a second
	slowly 5 "$AG" | exits 1 agraph-trace check >/dev/null 2>"$T/err"
	[ ! -s "$T/err" ]
}

@test "stdout is the same byte for byte with and without --progress" {
	for args in "check $AG $RC" "check --format junit $AG" "lint $AG" "stats $AG $RC" \
		"stats --json $AG" "import openai $EX/openai.json"; do
		exits 0,1 agraph-trace $args >"$T/without" 2>/dev/null
		set -- $args
		cmd=$1
		shift
		exits 0,1 agraph-trace "$cmd" --progress "$@" >"$T/with" 2>/dev/null
		cmp "$T/without" "$T/with" || { echo "$args"; false; }
	done
	agraph-stress --max-faults 3 --budget 30 --seed 1 "$CS" >"$T/without"
	agraph-stress --max-faults 3 --budget 30 --seed 1 --progress "$CS" >"$T/with" 2>/dev/null
	cmp "$T/without" "$T/with"
}

@test "agraph-stress --progress: sets tried of the budget when sampling, alone else" {
	agraph-stress --max-faults 3 --budget 30 --seed 1 --progress "$CS" >"$T/out" 2>"$T/err"
	[ "$(cat "$T/err")" = "agraph-stress: 30 of 30 sets (100%)" ]
	agraph-stress --progress "$CS" >"$T/out" 2>"$T/err"
	sets=$(grep -o 'replayed [0-9]*' "$T/out" | cut -d' ' -f2)
	[ "$(cat "$T/err")" = "agraph-stress: $sets sets" ]
	# --format ndjson: the summary on stderr, after the last progress line
	agraph-stress --max-faults 3 --budget 30 --seed 1 --progress --format ndjson "$CS" \
		>/dev/null 2>"$T/err"
	[ "$(sed -n 1p "$T/err")" = "agraph-stress: 30 of 30 sets (100%)" ]
	[[ $(sed -n 2p "$T/err") == "agraph-stress: sampled 30 fault sets"* ]]
}

@test "a terminal: one line redrawn with \\r, ended with a newline" {
	out=$(on_tty "sh -c '$(declare -f slowly); slowly 4 $AG' |
		agraph-trace check --progress >/dev/null")
	# at least two draws before the last, each begun with \r
	[ "$(grep -o '\\ragraph-trace: ' <<<"$out" | wc -l)" -ge 3 ]
	[[ $out == *'\ragraph-trace: 1.7 kB\r'* || $out == *'\ragraph-trace: 1.7 kB, '*'\r' ]]
	# one line: no newline before the last draw
	[ "$(wc -l <<<"$out")" -eq 1 ]
}

@test "a terminal, unasked: nothing for a short run, the report for a long one" {
	out=$(on_tty "agraph-trace check $AG >/dev/null")
	[ -z "$out" ]
	out=$(on_tty "agraph-trace check --no-progress $AG >/dev/null")
	[ -z "$out" ]
	out=$(on_tty "sh -c '$(declare -f slowly); slowly 6 $AG' | agraph-trace check >/dev/null")
	[[ $out == *'\ragraph-trace: 2.6 kB, '*'B/s\r' ]]
}

@test "a terminal: the line is taken off before an error is reported" {
	printf 'not json\n' >"$T/bad"
	out=$(on_tty "sh -c 'cat $AG; sleep 0.3; cat $T/bad' | agraph-trace check --progress >/dev/null")
	# drawn once the bad line is read, blanked, the error, drawn again
	re='\\ragraph-trace: 446 B\\r +\\ragraph-trace: -:5:1: [^\\]*\\r'$'\n''\\ragraph-trace: 446 B\\r$'
	[[ $out =~ $re ]]
}

@test "a narrow terminal: the line is cut to its width, so that \\r can redraw it" {
	out=$(on_tty "stty cols 20; sh -c '$(declare -f slowly); slowly 5 $AG' |
		agraph-trace check --progress >/dev/null")
	[ "$(grep -o '\\ragraph-trace: ' <<<"$out" | wc -l)" -ge 3 ]
	# every draw but the last 19 columns at most: the last one stays free
	draws=$(sed 's/\\r/\n/g' <<<"$out" | grep . | sed '$d')
	[ "$(awk '{ if (length($0) > n) n = length($0) } END { print n }' <<<"$draws")" -eq 19 ]
	[[ $out == *'\ragraph-trace: 2.2 k\r'* ]]
	# the last line is never redrawn: whole
	[[ $out == *'\ragraph-trace: 2.2 kB, '*'B/s\r' ]]
}

@test "stdout on the same terminal: the line is taken off before output is written" {
	OA=$EX/openai.ndjson
	for u in "" -u; do
		out=$(on_tty "sh -c '$(declare -f slowly); slowly 3 $OA' |
			agraph-trace import $u --progress openai")
		# drawn, then blanked before the records of the next input
		[[ $out == *'\ragraph-trace: '*'\r'*' \r{"trace":"a","step":1,'* ]]
		# never a record written on after the line
		! grep -q 'B{' <<<"$out"
	done
	out=$(on_tty "sh -c '$(declare -f slowly); slowly 3 $AG' | agraph-trace lint --progress")
	[[ $out == *'\ragraph-trace: '*'\r'*' \r-:5: trace k:'* ]]
	! grep -q 'B-:' <<<"$out"
}

@test "a terminal: the line is taken off when a closed stdout ends the program" {
	OA=$EX/openai.ndjson
	out=$(on_tty "sh -c '$(declare -f slowly); slowly 6 $OA' |
		agraph-trace import -u --progress openai | sleep 1")
	[[ $out == '\ragraph-trace: '* ]]
	# the last of it blanks the line and goes back to its start
	[[ $out == *' \r' ]]
}

@test "input that slows down after a fast start still moves the report" {
	gen_trace -r 2 7 >"$T/big.ndjson"
	# the fast start makes the report count far between looks at the clock
	(cat "$T/big.ndjson"; sh -c "$(declare -f slowly); slowly 7 $AG") |
		agraph-trace lint --progress >/dev/null 2>"$T/err" || true
	# a line a second while the slow part arrives, then the last
	[ "$(grep -c '^agraph-trace: [0-9.]* MB, ' "$T/err")" -ge 2 ]
	# import reads on its own
	cp "$EX/openai.ndjson" "$T/oa"
	for _ in $(seq 12); do cat "$T/oa" "$T/oa" >"$T/oa2" && mv "$T/oa2" "$T/oa"; done
	(cat "$T/oa"; sh -c "$(declare -f slowly); slowly 7 $EX/openai.ndjson") |
		agraph-trace import --progress openai >/dev/null 2>"$T/err"
	[ "$(grep -c '^agraph-trace: [0-9.]* MB, ' "$T/err")" -ge 2 ]
}

@test "a terminal: the line is taken off when a signal ends agraph-stress at once" {
	big_graph >"$T/big.yaml"
	out=$(on_tty "agraph-stress --progress --max-faults 5 --budget 1000000 $T/big.yaml >/dev/null &
		p=\$!; sleep 1; kill -TERM \$p; wait \$p; echo rc=\$?")
	[[ $out == '\ragraph-stress: '*' sets ('* ]]
	# blanked, back at the start of the line, then the shell's next output:
	# script(1) runs $SHELL, and dash says "Terminated" where bash is quiet
	rest=${out##*' \r'}
	[[ $rest == 'rc=143\r' || $rest == 'Terminated\r'?'rc=143\r' ]] || { echo "after the blank: $rest"; false; }
}

@test "agraph-stress, stdout on the same terminal: the line is taken off before a counterexample" {
	big_graph >"$T/big.yaml"
	printf 'contracts:\n  - name: a40\n    eventually: %s\n' \
		"'kind == \"result\" && status == \"ok\" && tool == \"A40\"'" >"$T/c.yaml"
	out=$(on_tty "agraph-stress --progress -c $T/c.yaml --max-faults 5 --budget 20000 $T/big.yaml")
	[[ $out == *'\ragraph-stress: '*' sets ('*'\r'*' \r{A'*' breaks a40 at step 1'* ]]
	# never a counterexample written on after the line
	! grep -q ')[{]' <<<"$out"
}

@test "a closed stderr, or one nobody reads: the same output and exit status" {
	exits 1 agraph-trace check --progress "$AG" >"$T/want" 2>/dev/null
	exits 1 agraph-trace check --progress "$AG" >"$T/got" 2>&-
	cmp "$T/want" "$T/got"
	# a reader that is gone before the first line: no SIGPIPE
	run bash -c "(sleep 0.2; cat '$AG') |
		env --default-signal=PIPE agraph-trace check --progress 2>&1 >'$T/got' | true
		echo \${PIPESTATUS[1]}"
	[ "$output" = 1 ]
	cmp "$T/want" "$T/got"
	run bash -c "agraph-stress --progress '$CS' 2>&- >'$T/got'; echo \$?"
	[ "$output" = 0 ]
}

@test "the commands that read no long input refuse --progress" {
	for cmd in "grep true" "lineage 1" "split -n 1/2" "export otel"; do
		run agraph-trace $cmd --progress "$AG"
		[ "$status" -eq 2 ] || { echo "$cmd"; false; }
		[[ ${lines[0]} == *"does not take --progress" ]]
	done
}
