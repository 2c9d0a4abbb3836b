#!/usr/bin/env bash
# tests/man-examples.sh - runs the EXAMPLES of every man page, as jq runs its
# manual.  In a ".Bd -literal" block of EXAMPLES, a line "$ command" is run
# with bash in examples/, and the lines after it, up to the next command or
# ".Ed", are its expected standard output.  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${AGRAPH_BIN:-$top/build/bin}:$PATH
n=0 failed=0

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
	got=$(cd "$top/examples" && bash -c "$cmd" 2>&1)
	if [ "$got" = "$want" ]; then
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
