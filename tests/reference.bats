#!/usr/bin/env bats
# The fast path (records read in place) against the reference path
# (AGRAPH_REFERENCE=1: a jansson tree per record, evaluated the obvious
# way): the same input must give the same bytes.

load helper

setup_file() {
	C=$BATS_FILE_TMPDIR/corpus.ndjson
	gen_trace 2 11 >"$C"
	scenario_runs "" >>"$C"
	scenario_runs static- --policy fixed >>"$C"
	cat "$EX/refunds.ndjson" >>"$C"
	# Odd but valid records: escapes, unicode, nesting, types the contracts do not expect.
	cat >>"$C" <<'JSON'
{"trace":"odd\u0021","step":1,"kind":"call","tool":"re\"fund","id":"c\u00e91","args":{"amount":"900","nested":{"a":[1,{"b":null}]}}}
{"trace":"odd\u0021","step":1,"kind":"result","call":"c\u00e91","status":"error","cause":[0]}
{"trace":"odd!","step":3,"kind":"call","tool":"re\"fund","id":"c2","args":{"nested":{"a":[1,{"b":null}]},"amount":"900"}}
{"trace":"odd!","step":4,"kind":"final","status":"success","ts":"2026-11-25T12:00:00Z"}
{"step":2.5,"kind":["x"],"trace":"types"}
{"trace":"types","step":-1,"kind":"call","cause":"x","ts":true}
JSON
	export C
}

# same CMD...: CMD gives the same output, errors and exit status both ways;
# and that status is one of the documented 0, 1 and 2 with some output, for
# two runs that crashed alike would agree too.
same() {
	local fast ref
	fast=$("$@" 2>&1; echo "exit $?")
	ref=$(AGRAPH_REFERENCE=1 "$@" 2>&1; echo "exit $?")
	[[ $fast == ?*$'\n'"exit "[012] ]] || { echo "fast: ${fast: -200}"; return 1; }
	[ "$fast" = "$ref" ] || { diff <(echo "$ref") <(echo "$fast") | head -20; return 1; }
}

@test "check --builtin all: fast and reference agree" {
	same agraph-trace check --format ndjson --builtin all "$C"
}

@test "check with the example and benchmark contracts: fast and reference agree" {
	same agraph-trace check --format ndjson -c "$EX/contracts.yaml" "$C"
	same agraph-trace check --format ndjson -c "$TOP/tests/bench/check_contracts.yaml" "$C"
}

@test "lint: fast and reference agree" {
	same agraph-trace lint "$C"
}

@test "stats and grep: fast and reference agree" {
	same agraph-trace stats --json --builtin all "$C"
	same agraph-trace grep 'tool == "re\"fund" || args.nested.a[1].b == null || lower(status) =~ "err"' "$C"
	same agraph-trace grep --whole-trace 'kind == "escalate"' "$C"
}

@test "import openai: fast (read in place) and reference agree" {
	local d=$BATS_TEST_TMPDIR
	gen_trace -o 1 3 >"$d/logs.ndjson"
	head -20 "$d/logs.ndjson" | jq -s . >"$d/runs.json"
	head -1 "$d/logs.ndjson" | jq .messages >"$d/messages.json"
	# What the writer from bytes must redo as jansson does: escapes, -0,
	# reals, duplicate keys in arguments, a "message" of the call's own,
	# shapes that are reported, lines that are not JSON.
	cat >"$d/odd.ndjson" <<'JSON'
{"id":"e\u00e9\/x","messages":[{"role":"assistant","content":"","name":7,"tool_calls":[{"id":"a\u0000b","message":"old","type":"function","function":{"name":"f\u0000g","arguments":"{\"a\":1,\"a\":2,\"b\":-0,\"c\":1E2,\"d\":1.50,\"e\":[ 1 , 2 ],\"f\":\"\\u00e9\\/\\u001b\"}","extra":true}},{"id":"z","function":{"name":"h","arguments":" 5 "}},{"id":"y","function":"nofn"},{"id":"w","function":{"arguments":""}},{"id":"v","function":{"arguments":{"x":1.0e0}}},{"id":"t","function":{"name":"t","arguments":"{\"b\":-0,\"c\":1E2,\"f\":\"\\u00e9\\/\\u001b\"}"}}]},{"role":"tool\u0000x","tool_call_id":"a\u0000b","content":{"k":[true,false,null,-1.5e-3]}},{"role":"function","tool_call_id":"a","name":"nm","content":null},5,"str",null,[1],{"role":"user","content":"x","tool_calls":"bad"},{"role":"user","content":null,"tool_calls":{"id":"q"}},{"role":"assistant","tool_calls":[1]},{"role":"assistant","tool_calls":null,"content":"\ud83d\ude00 \u20AC \u007f"}],"reward":-0.0,"m0":-0,"x":1e-400,"z":-9223372036854775808,"u":12345678901234567890.5}
{"trace_id":12,"traj":[{"role":"user","content":"hi"}],"status":"PASSED"}
{"instance_id":1.5,"messages":[{"role":"user"}],"outcome":"meh","result":"Unresolved"}
{"messages":null,"traj":[{"role":"user","content":"m"}]}
[{"role":"user","content":"bare"},{"no":"role"}]
[]
{"id":"bad","messages":[}
{"id":"x","messages":[{"role":"assistant","content":null,"name":"bot","tool_calls":[{"id":"1","function":{"name":"a","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1"},{"role":"tool","tool_call_id":"1"}],"reward":3}
JSON
	for f in "$d/logs.ndjson" "$d/runs.json" "$d/messages.json" "$d/odd.ndjson" \
		"$EX/openai.json" "$EX/openai.ndjson"; do
		same agraph-trace import openai "$f"
	done
}

@test "replay and replay --check: as read (flat) and whole agree" {
	local d=$BATS_TEST_TMPDIR g
	# Runs of every scenario, with faults injected (fault records that a
	# later record names, changed results), and health records of their
	# own; then the traces dealt out a record at a time, round robin, so
	# that each trace's answers come while the others' replays wait.
	while IFS=$'\t' read -r id graph name failing; do
		exits 0,1 agraph-route --fail "${failing#-}" --monitors "$EX/$graph" --id "$id"
	done < <(tail -n +2 "$EX/scenarios.tsv") >"$d/runs"
	agraph-inject --seed 3 -f error:p=0.3 -f timeout:p=0.1 -f corrupt:p=0.1 "$d/runs" >"$d/faulty"
	cat "$d/runs" "$C" >>"$d/faulty"
	jq -c '.trace |= "dealt-" + tostring' "$d/runs" >>"$d/faulty"
	# health records of the world's, after a trace's first and third result
	# (a call out or not), and one before anything
	awk '{ t = $0; sub(/.*"trace":"/, "", t); sub(/".*/, "", t)
		if (!(t in seen)) { seen[t]; print "{\"trace\":\"health-" t "\",\"kind\":\"health\",\"tool\":\"CRM\",\"status\":\"down\"}" }
		line = $0; sub(/"trace":"/, "\"trace\":\"health-", line); print line
		if ($0 ~ /"kind":"(result|call)"/ && ++r[t] % 3 == 1)
			print "{\"trace\":\"health-" t "\",\"kind\":\"health\",\"tool\":\"Email\",\"status\":\"" (r[t] % 2 ? "down" : "up") "\"}" }' \
		"$d/runs" >>"$d/faulty"
	awk '{ t = $0; sub(/.*"trace":"/, "", t); sub(/".*/, "", t)
		if (!(t in n)) order[++k] = t; line[t, ++n[t]] = $0 }
		END { for (i = 1; i <= most(); i++)
			for (j = 1; j <= k; j++) if (i <= n[order[j]]) print line[order[j], i] }
		function most(   m, t) { for (t in n) if (n[t] > m) m = n[t]; return m }' \
		"$d/faulty" >"$d/dealt"
	[ "$(wc -l <"$d/dealt")" -eq "$(wc -l <"$d/faulty")" ]
	for g in customer-support.yaml support.yaml travel-booking.yaml; do
		for input in "$d/faulty" "$d/dealt"; do
			same agraph-replay "$EX/$g" "$input"
			same agraph-replay --check "$EX/$g" "$input"
			same agraph-replay --missing ok --fail Stripe,Email "$EX/$g" "$input"
			same agraph-replay --missing error --down Razorpay --policy static "$EX/$g" "$input"
			same agraph-replay --monitors --missing ok "$EX/$g" "$input"
		done
	done
}

@test "import openai, the legacy function_call form: fast and reference agree" {
	local d=$BATS_TEST_TMPDIR
	# Calls by name, replies by name, by none and by tool_call_id, a
	# function_call beside tool_calls and beside bad ones, one that is not
	# an object, names with a \u0000, escapes in the replies' names.
	cat >"$d/legacy.ndjson" <<'JSON'
{"id":"w","messages":[{"role":"user","content":"weather and time?"},{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},{"role":"assistant","content":null,"function_call":{"name":"get_time","arguments":"{}","message":"own","x":1},"refusal":null},{"role":"function","name":"get_\u0077eather","content":"sunny"},{"role":"function","name":"get_time","content":"noon"},{"role":"assistant","content":"Sunny at noon.","function_call":null},{"role":"function","name":"nobody","content":"?"},{"role":"assistant","content":"x","function_call":{"name":"a\u0000b","arguments":"nojson"},"tool_calls":[{"id":"t1","type":"function","function":{"name":"t","arguments":"{}"}}]},{"role":"function","name":"a","content":"not a\u0000b"},{"role":"function","content":"anon"},{"role":"function","tool_call_id":"t1","name":"t","content":"by id"},{"role":"assistant","function_call":{"arguments":"{}"},"tool_calls":"bad"},{"role":"function","name":"zz"},{"role":"function"},{"role":"assistant","content":"","function_call":"str"},{"role":"tool","tool_call_id":"function_call:2"}],"reward":1}
[{"role":"assistant","function_call":{"name":"f"}},{"role":"function","name":"f","content":{"k":[1]}}]
JSON
	same agraph-trace import openai "$d/legacy.ndjson"
	jq -s . "$d/legacy.ndjson" >"$d/legacy.json"
	same agraph-trace import openai "$d/legacy.json"
}
