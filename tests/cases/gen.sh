# tests/cases/gen.sh - generators of big inputs that several cases share,
# sourced by a case's cmd as `. ../gen.sh`.  Each area prefixes its own.

# gen_route_chain N COST [NAME]: a graph whose one path is a chain of N
# edges of COST each, from S through N1, N2, ... to G.
gen_route_chain() {
	awk -v n="$1" -v c="$2" -v name="${3:-chain}" 'BEGIN {
		printf "graph: %s\nstart: S\ngoal: G\nedges:\n", name
		prev = "S"
		for (i = 1; i < n; i++) {
			printf "  - [%s, N%d, %s]\n", prev, i, c
			prev = "N" i
		}
		printf "  - [%s, G, %s]\n", prev, c
	}'
}

# gen_route_coproc GRAPH ANSWER [OPTION...]: agraph-route --coproc OPTION...
# GRAPH with a bash coproc as the executor.  Every record the router
# writes is printed; for each call, the shell function ANSWER runs with the
# call's id and tool, its standard output going to the router.  The
# router's exit status is printed last, as "exit N".
gen_route_coproc() {
	local graph=$1 answer=$2 rec id tool in out pid
	shift 2
	coproc R { agraph-route --coproc "$@" "$graph"; }
	pid=$R_PID
	exec {in}<&"${R[0]}" {out}>&"${R[1]}"
	while IFS= read -r rec <&"$in"; do
		printf '%s\n' "$rec"
		case $rec in *'"kind":"call"'*)
			id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$rec")
			tool=$(sed 's/.*"tool":"\([^"]*\)".*/\1/' <<<"$rec")
			"$answer" "$id" "$tool" >&"$out"
			;;
		esac
	done
	exec {out}>&- {in}<&-
	wait "$pid"
	echo "exit $?"
}
