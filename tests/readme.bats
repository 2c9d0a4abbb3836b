#!/usr/bin/env bats
# The README's "In a pipeline" examples, run as written there.  In its sh
# block, a line "$ command" is a command, the indented lines after it
# continue it, and the lines after those, up to a blank or "#" line or the
# next command, are what it writes on standard output; a shown line that
# ends in "..." stands for any line that starts with the text before it.
# The commands run one after the other, each with bash, in one folder that
# has a copy of examples/, so that a file one writes is there for the next.

load helper

# extract DIR: the block's commands as DIR/cmd.N, their outputs as DIR/want.N;
# a line of output after no command goes to DIR/stray.
extract() {
	awk -v d="$1" '
	/^## / { sec = ($0 == "## In a pipeline"); next }
	sec && !blk && /^```sh$/ { blk = 1; next }
	blk && /^```/ { exit }
	!blk { next }
	/^\$ / { n++; mode = "cmd"; print substr($0, 3) > (d "/cmd." n); next }
	mode == "cmd" && /^[ \t]/ { print > (d "/cmd." n); next }
	/^#/ || /^$/ { mode = ""; next }
	mode == "" { print > (d "/stray"); next }
	{ mode = "out"; print > (d "/want." n) }
	' "$TOP/README.md"
}

# same WANT GOT: the lines of GOT are those of WANT, "..." as above.
same() {
	local -a w g
	local i
	mapfile -t w <"$1"
	mapfile -t g <"$2"
	[ ${#w[@]} -eq ${#g[@]} ] || return 1
	for i in "${!w[@]}"; do
		if [[ ${w[i]} == *... ]]; then
			[[ ${g[i]} == "${w[i]%...}"* ]] || return 1
		else
			[ "${w[i]}" = "${g[i]}" ] || return 1
		fi
	done
}

setup() {
	X=$BATS_TEST_TMPDIR/x
	mkdir -p "$X"
	extract "$X"
}

@test "the README's pipeline block has commands and no output without one" {
	[ -f "$X/cmd.1" ]
	[ ! -e "$X/stray" ]
	# Every command names a program of ours, so that none is an aside.
	for c in "$X"/cmd.*; do
		grep -q 'agraph-' "$c" || { cat "$c"; return 1; }
	done
}

@test "the README's pipeline examples run and write what the README shows" {
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
	cp -R "$EX" "$W/examples"
	# Each program of a pipeline exits 0 or 1 (1: a contract failed), not 2.
	check_status='s=("${PIPESTATUS[@]}"); for x in "${s[@]}"; do [ "$x" -le 1 ] || exit 99; done'
	bad=0
	n=$(find "$X" -name 'cmd.*' | wc -l)
	[ "$n" -gt 0 ]
	for i in $(seq "$n"); do
		cmd=$(<"$X/cmd.$i")
		rc=0
		(cd "$W" && bash -c "$cmd"$'\n'"$check_status") >"$X/got.$i" 2>"$X/err.$i" || rc=$?
		if [ $rc -ne 0 ]; then
			echo "\$ $cmd"
			echo "# a program of it failed (bash exit $rc):"
			sed 's/^/# /' "$X/err.$i"
			bad=1
		elif [ -f "$X/want.$i" ] && ! same "$X/want.$i" "$X/got.$i"; then
			echo "\$ $cmd"
			echo "# writes, not what the README shows:"
			diff "$X/want.$i" "$X/got.$i" | sed 's/^/# /'
			bad=1
		fi
	done
	[ $bad -eq 0 ]
}

@test "make demo's scripts/demo prints agraph's figures beside the paper's, the same in every row, with no error" {
	out=$BATS_TEST_TMPDIR/demo
	run bash -c "cd '$TOP' && scripts/demo '$AGRAPH_BIN' '$out' 2>'$BATS_TEST_TMPDIR/err'"
	[ "$status" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	# the first table: per scenario, model calls (self-healing, ReAct) and
	# the static outcome, each followed by the paper's in brackets
	rows=$(grep -E '^(CS|TB|CM)-[0-9] +[^ ]+ +[0-9]+ \[[0-9]+\] +[0-9]+ \[[0-9]+\] +[a-z]+ +\[[a-z]+\]$' <<<"$output")
	[ "$(wc -l <<<"$rows")" -eq 19 ]
	[ -z "$(awk '$3 "" != substr($4, 2, length($4) - 2) || $5 "" != substr($6, 2, length($6) - 2) ||
		$7 != substr($8, 2, length($8) - 2)' <<<"$rows")" ]
	grep -qE '^total +9 \[9\] +123 \[123\] +3 silent \[3\], 4 visible \[4\]$' <<<"$output"
	grep -q '93% fewer \[93%\]' <<<"$output"
	# the second table: each self-healing run with its final status
	[ "$(grep -cE '^(CS|TB|CM)-[0-9] .* (success|escalated)$' <<<"$output")" -eq 19 ]
	# what agraph checks beyond the paper holds
	grep -q '^  the same runs\.$' <<<"$output"
	grep -q 'observable passes on every run above\.$' <<<"$output"
	grep -q '7 model$' <<<"$output"
	[ "$(ls "$out" | wc -l)" -eq 19 ]
}
