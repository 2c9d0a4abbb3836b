# Shared by every .bats file: the programs under test and the data.
bats_require_minimum_version 1.5.0

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${AGRAPH_BIN:=$TOP/build/bin}"
PATH=$AGRAPH_BIN:$PATH
EX=$TOP/examples
DATA=$TOP/tests/data

# tools_called: the tools of the call records on stdin, space-separated.
tools_called() {
	jq -r 'select(.kind == "call") | .tool' | paste -sd' ' -
}

# count_kind KIND: how many records of that kind are on stdin.
count_kind() {
	jq -c --arg k "$1" 'select(.kind == $k)' | wc -l | tr -d ' '
}

final_status() {
	jq -r 'select(.kind == "final") | .status'
}

# exits WANT CMD...: runs CMD, its output where the caller sends it, and
# fails unless it exits WANT (a status, or several joined by commas): for a
# run whose status is not 0, instead of `|| true`, which lets a crash pass.
exits() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[[ ,$want, == *,"$rc",* ]] && return 0
	echo "$1: exit $rc, not $want" >&2
	return 1
}

# closed_quietly STATUS [WANT]: how a program may end when its reader goes
# away (agraph(7)): WANT (0 when not given) if it had written everything
# before, else 141, 128 + SIGPIPE.  A crash's signal, or any other status,
# fails.
closed_quietly() {
	[ "$1" -eq "${2:-0}" ] || [ "$1" -eq 141 ] || {
		echo "exit $1 into a closed pipe, not ${2:-0} or 141" >&2
		return 1
	}
}

# instrumented: the programs run under a sanitizer, which wants address space.
instrumented() {
	ldd "$(command -v agraph-trace)" 2>/dev/null | grep -q libasan ||
		nm "$(command -v agraph-trace)" 2>/dev/null | grep -q __asan_init ||
		head -c 2 "$(command -v agraph-trace)" | grep -q '#!'
}

# gen_trace ARGS...: tests/bench/gen_trace, of the build under test
# (build/san/bench under make sanitize), else of the default build.
gen_trace() {
	local gen=$AGRAPH_BIN/../bench/gen_trace
	[ -x "$gen" ] || gen=$TOP/build/bench/gen_trace
	"$gen" "$@"
}

# scenario_runs PREFIX [OPTIONS...]: a run of every scenario of
# examples/scenarios.tsv by agraph-route with OPTIONS, its failures
# failing, traced as PREFIX and the scenario's id.
scenario_runs() {
	local prefix=$1 id graph name failing
	shift
	while IFS=$'\t' read -r id graph name failing; do
		exits 0,1 agraph-route "$@" --fail "${failing#-}" "$EX/$graph" --id "$prefix$id"
	done < <(tail -n +2 "$EX/scenarios.tsv")
}
