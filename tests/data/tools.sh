#!/usr/bin/env bash
# tests/data/tools.sh GRAPH [FAILING...] - drives agraph-route --coproc as an
# outside executor would: reads each call, answers it, and fails the named
# tools.  Prints the router's whole trace.
set -eu
graph=$1
shift
failing=" $* "
coproc ROUTER { agraph-route --coproc "$graph"; }
pid=$ROUTER_PID
exec {from}<&"${ROUTER[0]}" {to}>&"${ROUTER[1]}"
while IFS= read -r line <&"$from"; do
	printf '%s\n' "$line"
	[ "$(jq -r .kind <<<"$line")" = call ] || continue
	id=$(jq -r .id <<<"$line")
	tool=$(jq -r .tool <<<"$line")
	if [[ $failing == *" $tool "* ]]; then
		printf '{"kind":"result","call":"%s","status":"error","error":{"class":"http","message":"503"}}\n' "$id"
	else
		printf '{"kind":"result","call":"%s","status":"ok","output":{"by":"tools.sh"}}\n' "$id"
	fi >&"$to"
done
wait "$pid"
