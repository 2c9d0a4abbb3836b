#!/usr/bin/env bash
# tests/man-examples.sh - runs the EXAMPLES of every man page, as jq runs its
# manual.  In a ".Bd -literal" block of EXAMPLES, a line "$ command" is run
# with bash in examples/, and the lines after it, up to the next command or
# ".Ed", are its expected standard output.  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${AGRAPH_BIN:-$top/build/bin}
n=0 failed=0

# Each program runs through a wrapper that tells of a death by a signal but
# SIGPIPE (the quiet end of a closed pipe), in a file of its own, whatever
# the example does with stderr: examples show output, not exit statuses,
# and a crash may have printed all that was expected, or nothing where both
# sides of a comparison are its output.
wrap=$(mktemp -d)
trap 'rm -rf "$wrap"' EXIT
for p in "$bin"/agraph-*; do
	printf '#!/bin/bash\n"%s" "$@"\ns=$?\n[ $s -le 128 ] || [ $s -eq 141 ] || echo "${0##*/} $*: exit $s" >>"%s"\nexit $s\n' \
		"$p" "$wrap/killed" >"$wrap/${p##*/}"
	chmod +x "$wrap/${p##*/}"
done
PATH=$wrap:$bin:$PATH

# Prints the examples as records: "C<TAB>page<TAB>command" then "O<TAB>line"s.
extract() {
	awk -v page="$(basename "$1")" '
	function unescape(s) { gsub(/\\e/, "\\", s); gsub(/\\&/, "", s); return s }
	/^\.Sh / { ex = ($0 == ".Sh EXAMPLES"); next }
	!ex { next }
	/^\.Bd -literal/ { lit = 1; next }
	/^\.Ed/ { lit = 0; next }
	lit && /^\$ / { print "C\t" page "\t" unescape(substr($0, 3)); next }
	lit { print "O\t" unescape($0) }
	' "$1"
}

run_one() {
	local page=$1 cmd=$2 want=$3 got
	n=$((n + 1))
	: >"$wrap/killed"
	got=$(cd "$top/examples" && bash -c "$cmd" 2>&1)
	if [ -s "$wrap/killed" ]; then
		echo "not ok $n $page: $cmd"
		sed 's/^/# killed by a signal: /' "$wrap/killed"
		failed=$((failed + 1))
	elif [ "$got" = "$want" ]; then
		echo "ok $n $page: $cmd"
	else
		echo "not ok $n $page: $cmd"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/# /' | head -20
		failed=$((failed + 1))
	fi
}

for page in "$top"/man/*.[1-9]; do
	cmd= want= have=0
	while IFS=$'\t' read -r tag a b; do
		if [ "$tag" = C ]; then
			[ $have -eq 1 ] && run_one "$pg" "$cmd" "$want"
			pg=$a cmd=$b want= have=1
		else
			want=${want:+$want$'\n'}$a
		fi
	done < <(extract "$page")
	[ $have -eq 1 ] && run_one "$pg" "$cmd" "$want"
done
echo "1..$n"
[ $failed -eq 0 ]
