#!/usr/bin/env bash
# tests/cases.sh - the data-driven cases: tests/cases/NAME/{cmd,input,
# expected,expected-stderr,status}.  cmd runs in the case's folder with
# input (if any) as its files; stdout must equal expected, stderr
# expected-stderr (empty when absent), the exit code status (0 when absent).
# One tree, so that no two cases can share a name; the bad-input cases are
# named bad-*.  A folder without cmd is a failure, not a case skipped.
# Optional: promise (one line: what the case holds the program to, shown
# in its TAP line) and limits ("seconds=N memory=MB", default 60 and
# 2048): cmd runs under timeout(1) and ulimit -v, so that a hang or a
# blow-up is a failure, not a stuck suite.  Under a sanitizer, whose
# shadow memory ulimit -v cannot hold, the memory limit is not set and
# the time limit is five times as long.
# Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${AGRAPH_BIN:-$top/build/bin}:$PATH
n=0
failed=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
sanitized=
nm "$(command -v agraph-trace)" 2>/dev/null | grep -q __asan_init && sanitized=1
for dir in "$top"/tests/cases/*/; do
	name=${dir#"$top"/tests/cases/}; name=${name%/}
	n=$((n + 1))
	if [ ! -f "$dir/cmd" ]; then
		echo "not ok $n case $name"
		echo "# no cmd file: not a case (cases are tests/cases/NAME/cmd)"
		failed=$((failed + 1))
		continue
	fi
	want_status=0
	[ -f "$dir/status" ] && want_status=$(cat "$dir/status")
	seconds=60 memory=2048
	[ -f "$dir/limits" ] && eval "$(grep -E '^(seconds|memory)=[0-9]+$' <(tr ' ' '\n' <"$dir/limits"))"
	[ -f "$dir/promise" ] && name="$name: $(head -1 "$dir/promise")"
	if [ -n "$sanitized" ]; then
		seconds=$((seconds * 5)) vmem=unlimited
	else
		vmem=$((memory * 1024))
	fi
	(cd "$dir" && ulimit -v "$vmem" && timeout -k 5 "$seconds" bash -c "$(cat cmd)" </dev/null >"$out" 2>"$err")
	got_status=$?
	why=
	if [ "$got_status" = 124 ] || [ "$got_status" = 137 ]; then
		why="timed out after $seconds s"
	elif [ "$got_status" != "$want_status" ]; then
		why="exit $got_status, want $want_status"
	elif ! cmp -s "$out" "$dir/expected"; then
		why="stdout differs: $(diff "$dir/expected" "$out" | head -5 | tr '\n' ' ')"
	else
		want_err=/dev/null
		[ -f "$dir/expected-stderr" ] && want_err=$dir/expected-stderr
		cmp -s "$err" "$want_err" || why="stderr: $(head -c 300 "$err")"
	fi
	if [ -z "$why" ]; then
		echo "ok $n case $name"
	else
		echo "not ok $n case $name"
		echo "# $why"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ $failed -eq 0 ]
