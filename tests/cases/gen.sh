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
