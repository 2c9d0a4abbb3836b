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
