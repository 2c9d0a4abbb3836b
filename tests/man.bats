#!/usr/bin/env bats
# The manual: lint-clean, one page per program, synopsis and usage agree.

load helper

@test "mandoc -Tlint is clean on every page" {
	run mandoc -Tlint -W warning "$TOP"/man/*.[157]
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every program has a section 1 page" {
	for c in "$TOP"/cmd/agraph-*.c; do
		[ -f "$TOP/man/$(basename "$c" .c).1" ]
	done
}

@test "every option of --help is in the man page" {
	for c in "$TOP"/cmd/agraph-*.c; do
		prog=$(basename "$c" .c)
		# Outside the loop's list, so that a failing --help fails the test.
		help=$("$prog" --help)
		[[ $help == "usage: $prog "* ]]
		for opt in $(grep -o -- '--[a-z-]*' <<<"$help" | sort -u); do
			grep -q -- "Fl ${opt#-}" "$TOP/man/$prog.1" || { echo "$prog: $opt"; return 1; }
		done
	done
}
