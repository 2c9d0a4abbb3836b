#!/usr/bin/env bats
# The suite against crashes: the tests that compare the outputs of several
# runs, or run a program into a closed pipe, must fail when the program
# crashes, before writing anything or after writing all it should: two
# crashed runs agree, and head exits 0 whatever came before it.

load helper

# crashing PROG WHEN: a folder of programs where PROG, after doing its work
# (WHEN after) or at once (before), notes that it crashes in
# $BATS_TEST_TMPDIR/crashed and dies of SIGSEGV; the others are the real
# ones.
crashing() {
	local d=$BATS_TEST_TMPDIR/crashing-$1-$2 p work
	mkdir -p "$d"
	for p in "$AGRAPH_BIN"/agraph-*; do
		if [ "${p##*/}" = "$1" ]; then
			work='"'$p'" "$@"'
			[ "$2" = after ] || work=:
			printf '#!/bin/bash\n%s\necho "$0" >>"%s"\nkill -SEGV $$\n' "$work" "$BATS_TEST_TMPDIR/crashed"
		else
			printf '#!/bin/bash\nexec "%s" "$@"\n' "$p"
		fi >"$d/${p##*/}"
		chmod +x "$d/${p##*/}"
	done
	echo "$d"
}

# inner BIN FILE FILTER: bats on the tests of FILE whose names match FILTER,
# with the programs of BIN, in a clean environment: bats must not take this
# run's variables for its own, nor its libexec folder on PATH for itself.
inner() {
	run env -i PATH="$PATH" HOME="$HOME" AGRAPH_BIN="$1" "$BATS_ROOT/bin/bats" --tap -f "$3" "$TOP/tests/$2"
}

# fail_on_crash PROG FILE FILTER: there are such tests, PROG crashed in
# them, before and after its work, and every one failed both times.
fail_on_crash() {
	local when
	for when in before after; do
		rm -f "$BATS_TEST_TMPDIR/crashed"
		inner "$(crashing "$1" $when)" "$2" "$3"
		[[ ${lines[0]} == 1..[1-9]* ]] || { echo "$output"; return 1; }
		[ -s "$BATS_TEST_TMPDIR/crashed" ]
		[ "$(grep -c '^not ok ' <<<"$output")" -eq "${lines[0]#1..}" ] || {
			echo "$1 crashing $when its work: $output"
			return 1
		}
	done
}

@test "trace.bats: determinism and a closed pipe fail when agraph-trace crashes" {
	# With the real programs, in the same clean environment, they pass.
	inner "$AGRAPH_BIN" trace.bats 'deterministic|closed pipe'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 1..2 ]
	fail_on_crash agraph-trace trace.bats 'deterministic|closed pipe'
}

@test "replay.bats: determinism and a closed pipe fail when agraph-replay crashes" {
	fail_on_crash agraph-replay replay.bats 'deterministic|closed pipe'
}

@test "hardening.bats: closed pipes, determinism and seeds fail when agraph-inject crashes" {
	fail_on_crash agraph-inject hardening.bats 'closed pipe|determinism|different seeds'
}
