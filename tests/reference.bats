#!/usr/bin/env bats
# The fast path (records read in place) against the reference path
# (AGRAPH_REFERENCE=1: a jansson tree per record, evaluated the obvious
# way): the same input must give the same bytes.

load helper

setup_file() {
	C=$BATS_FILE_TMPDIR/corpus.ndjson
	gen=$AGRAPH_BIN/../bench/gen_trace # build/san/bench under make sanitize
	[ -x "$gen" ] || gen=$TOP/build/bench/gen_trace
	"$gen" 2 11 >"$C"
	while IFS=$'\t' read -r id graph name failing; do
		exits 0,1 agraph-route --fail "${failing#-}" "$EX/$graph" --id "$id"
		agraph-route --policy fixed --fail "${failing#-}" "$EX/$graph" --id "static-$id"
	done < <(tail -n +2 "$EX/scenarios.tsv") >>"$C"
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
