#!/usr/bin/env bash
# tests/fuzz/big-seeds.sh TARGET DIR - writes into DIR a few generated
# inputs of about a megabyte for a fuzz target: long chains, wide objects,
# long strings, many records, many documents' worth of YAML.  scripts/fuzz
# starts from them beside the stored corpus, so that mutations work on big
# inputs from the first second, not only on what libFuzzer grows by itself.
set -eu
target=$1 dir=$2
mkdir -p "$dir"
cd "$dir"
n=${BIG_SEED_UNITS:-20000}

# run N: N runs of four records, traces t0 to tN-1, interleaved by two.
run() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i += 2)
			for (s = 1; s <= 4; s++)
				for (j = i; j < i + 2 && j < n; j++) {
					if (s == 1) printf "{\"trace\":\"t%d\",\"step\":1,\"kind\":\"call\",\"tool\":\"b\",\"id\":\"c%d\",\"args\":{\"n\":%d}}\n", j, j, j
					if (s == 2) printf "{\"trace\":\"t%d\",\"step\":2,\"kind\":\"result\",\"tool\":\"b\",\"call\":\"c%d\",\"status\":\"%s\"}\n", j, j, j % 3 ? "ok" : "error"
					if (s == 3) printf "{\"trace\":\"t%d\",\"step\":3,\"kind\":\"health\",\"tool\":\"b\",\"status\":\"down\"}\n", j
					if (s == 4) printf "{\"trace\":\"t%d\",\"step\":4,\"kind\":\"final\",\"status\":\"success\"}\n", j
				}
	}'
}

case $target in
record)
	awk -v n="$n" 'BEGIN { printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"call\""; for (i = 0; i < 3 * n; i++) printf ",\"k%d\":%d", i, i; print "}" }' >keys
	awk -v n="$n" 'BEGIN { printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"call\",\"x\":"; for (i = 0; i < 50 * n; i++) printf "9"; print ".5e99999}" }' >digits
	awk -v n="$n" 'BEGIN { printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"call\",\"x\":\""; for (i = 0; i < 6 * n; i++) printf "\\u00e9\\n"; print "\"}" }' >escapes
	awk -v n="$n" 'BEGIN { printf "{\"trace\":\"t\",\"step\":1,\"kind\":\"call\",\"x\":"; for (i = 0; i < 20 * n; i++) printf "["; for (i = 0; i < 20 * n; i++) printf "]"; print "}" }' >deep
	run $((n / 7)) >runs
	;;
expr)
	# The first line is the expression, the second the record it is tested on.
	awk -v n="$n" 'BEGIN { for (i = 0; i < 25 * n; i++) printf "1+"; print "1>0" }' >chain
	echo '{"trace":"t","step":3,"kind":"call","tool":"x","args":{"x":"aa"}}' >>chain
	awk -v n="$n" 'BEGIN { for (i = 0; i < 2 * n; i++) printf "tool == \"t%d\" || ", i; print "false" }' >ors
	echo '{"trace":"t","step":3,"kind":"call","tool":"x","args":{"x":"aa"}}' >>ors
	awk -v n="$n" 'BEGIN { printf "args.x == \""; for (i = 0; i < 50 * n; i++) printf "a"; print "\"" }' >string
	echo '{"trace":"t","step":3,"kind":"call","tool":"x","args":{"x":"aa"}}' >>string
	awk -v n="$n" 'BEGIN { for (i = 0; i < 190; i++) printf "("; printf "1"; for (i = 0; i < 190; i++) printf ")"; for (i = 0; i < 2 * n; i++) printf " && (tool != \"x%d\")", i; print "" }' >nest
	echo '{"trace":"t","step":3,"kind":"call","tool":"x","args":{"x":"aa"}}' >>nest
	;;
contract)
	awk -v n="$n" 'BEGIN { print "contracts:"; for (i = 0; i < n * 2 / 3; i++) printf "  - name: c%d\n    never: '\''tool == \"t%d\" && status == \"error\"'\''\n", i, i }' >many
	awk -v n="$n" 'BEGIN { printf "contracts:\n  - name: long\n    always: '\''"; for (i = 0; i < 3 * n; i++) printf "step != %d && ", i; print "true'\''" }' >long
	awk -v n="$n" 'BEGIN { print "contracts:"; for (i = 0; i < n / 3; i++) printf "  - name: r%d\n    response: {trigger: '\''kind == \"call\"'\'', response: '\''kind == \"result\"'\'', within: %d}\n", i, i + 1 }' >responses
	;;
graph)
	awk -v n="$n" 'BEGIN { print "graph: big\nstart: S\ngoal: G\nedges:"; p = "S"; for (i = 1; i < 2 * n; i++) { printf "  - [%s, N%d, 0.5]\n", p, i; p = "N" i } printf "  - [%s, G, 0.5]\n", p }' >chain
	awk -v n="$n" 'BEGIN { print "graph: wide\nstart: S\ngoal: G\nedges:"; for (i = 0; i < n; i++) printf "  - [S, W%d, %d]\n  - [W%d, G, 1]\n", i, i + 1, i; print "monitors:"; for (i = 0; i < 200; i++) printf "  - {name: m%d, when: '\''tool == \"W%d\"'\'', then: penalty, penalty: 5}\n", i, i }' >wide
	;;
inject_spec)
	awk -v n="$n" 'BEGIN { print "faults:"; for (i = 0; i < n * 4 / 5; i++) printf "  - {fault: error, tool: t%d, class: c%d, p: 0.5}\n", i, i }' >many
	awk -v n="$n" 'BEGIN { print "faults:\n  - fault: latency\n    ms: 5\n    where: '\''"; for (i = 0; i < 3 * n; i++) printf "step != %d && ", i; print "true'\''" }' >long
	;;
inject)
	{ echo 'error:p=0.5'; run $((n / 7)); } >error
	{ echo 'latency:ms=7,kind=result'; run $((n / 7)); } >latency
	{ echo 'duplicate:p=0.3'; run $((n / 7)); } >duplicate
	;;
coproc)
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"kind\":\"health\",\"tool\":\"Stripe\",\"status\":\"%s\"}\n", i % 2 ? "up" : "down"; print "{\"kind\":\"result\",\"call\":1,\"status\":\"ok\"}" }' >health
	;;
import_openai)
	awk -v n="$n" 'BEGIN { printf "{\"id\":\"big\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"}"; for (i = 0; i < n / 4; i++) printf ",{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c%d\",\"type\":\"function\",\"function\":{\"name\":\"f%d\",\"arguments\":\"{\\\"a\\\":%d}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c%d\",\"content\":\"ok %d\"}", i, i % 50, i, i, i; print "]}" }' >messages
	;;
import_otel)
	awk -v n="$n" 'BEGIN { printf "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["; for (i = 0; i < n / 7; i++) printf "%s{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"name\":\"execute_tool t%d\",\"startTimeUnixNano\":\"%d\",\"endTimeUnixNano\":\"%d\",\"attributes\":[{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"execute_tool\"}},{\"key\":\"gen_ai.tool.name\",\"value\":{\"stringValue\":\"t%d\"}}],\"status\":{}}", i ? "," : "", i % 7 + 1, i + 1, i, 1000 + i, 2000 + i, i; print "]}]}]}" }' >spans
	;;
import_chatlog)
	awk -v n="$n" 'BEGIN { printf "{\"question\":\"q\",\"history\":["; for (i = 0; i < n * 2 / 3; i++) printf "%s{\"role\":\"assistant\",\"name\":\"A%d\",\"content\":\"step %d of a long talk\"}", i ? "," : "", i % 9, i; print "]}" }' >history
	;;
*)
	echo "big-seeds.sh: no big seeds for $target" >&2
	;;
esac
