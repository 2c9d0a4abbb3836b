# tests/cases/gen.sh - generators of big inputs that several cases share;
# a case sources it as `. ../gen.sh`.  Each function is prefixed by the
# area whose cases use it.

# gen_check_open N [TOOLS]: one trace with N calls open at once, then
# their results in the order of the calls (the oldest first); the calls
# go to TOOLS distinct tools (default 1) in turn, and every result names
# its call only, not its tool.  STATUS (default ok) is every result's.
gen_check_open() {
	awk -v n="$1" -v tools="${2:-1}" -v status="${STATUS:-ok}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T%d\",\"id\":\"c%d\",\"args\":{\"n\":%d}}\n", i, i % tools, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"call\":\"c%d\",\"status\":\"%s\"}\n", n + i, i, status
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"failure\"}\n", 2 * n + 1
	}'
}

# gen_check_closing N: the same calls and results, each result right after
# its call: what the open ones are measured against.
gen_check_closing() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T0\",\"id\":\"c%d\",\"args\":{\"n\":%d}}\n", 2 * i - 1, i, i
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"call\":\"c%d\",\"status\":\"ok\"}\n", 2 * i, i
		}
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"failure\"}\n", 2 * n + 1
	}'
}

# gen_check_failures N: one trace with failed results of N distinct tools,
# then a retry of each tool, then a final success.
gen_check_failures() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"T%d\",\"call\":\"c%d\",\"status\":\"error\"}\n", i, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"call\",\"tool\":\"T%d\",\"id\":\"d%d\"}\n", n + i, i, i
		for (i = 1; i <= n; i++)
			printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"result\",\"tool\":\"T%d\",\"call\":\"d%d\",\"status\":\"ok\"}\n", 2 * n + i, i, i
		printf "{\"trace\":\"t\",\"step\":%d,\"kind\":\"final\",\"status\":\"success\"}\n", 3 * n + 1
	}'
}
