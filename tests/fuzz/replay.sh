#!/usr/bin/env bash
# tests/fuzz/replay.sh UNITDIR - runs each fuzz target, built without libFuzzer
# (UNITDIR/fuzz_TARGET), on its seed corpus (one test) and on every input that
# once crashed it (a test each), and on the big inputs of big-seeds.sh (one
# test: megabytes of chains, keys, records).  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
units=$1
n=0
log=$(mktemp) big=$(mktemp -d)
trap 'rm -rf "$log" "$big"' EXIT
for bin in "$units"/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	corpus=("$top/tests/fuzz/corpus/$t"/*)
	n=$((n + 1))
	if "$bin" "${corpus[@]}" >"$log" 2>&1; then
		echo "ok $n fuzz $t: ${#corpus[@]} corpus inputs"
	else
		echo "not ok $n fuzz $t: the corpus"
		grep -v '^ok' "$log" | head -20 | sed 's/^/# /'
	fi
	"$top/tests/fuzz/big-seeds.sh" "$t" "$big/$t" 2>/dev/null
	big_inputs=("$big/$t"/*)
	if [ -f "${big_inputs[0]}" ]; then
		n=$((n + 1))
		if "$bin" "${big_inputs[@]}" >"$log" 2>&1; then
			echo "ok $n fuzz $t: ${#big_inputs[@]} big inputs"
		else
			echo "not ok $n fuzz $t: the big inputs"
			grep -v '^ok' "$log" | head -20 | sed 's/^/# /'
		fi
	fi
	for f in "$top/tests/fuzz/regressions/$t"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if "$bin" "$f" >"$log" 2>&1; then
			echo "ok $n fuzz $t: regression ${f##*/}"
		else
			echo "not ok $n fuzz $t: regression ${f##*/}"
			head -20 "$log" | sed 's/^/# /'
		fi
	done
done
echo "1..$n"
