#!/usr/bin/env bats
# The manual: lint-clean, one page per program, synopsis and usage agree.

load helper

# programs: the name of every program the build made.
programs() {
	for p in "$AGRAPH_BIN"/agraph-*; do
		echo "${p##*/}"
	done
}

# synopsis PAGE: the SYNOPSIS of a page as mandoc renders it, on one line
# with single spaces.
synopsis() {
	mandoc -T ascii "$1" | sed 's/.\x08//g' |
		awk '/^[A-Z]/ { on = ($0 == "SYNOPSIS"); next } on' |
		tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'
}

# usage PROG: what PROG --help prints, without "usage:", the same way.
usage() {
	"$1" --help | tr -s ' \t\n' ' ' | sed 's/^ *usage: //; s/ $//'
}

@test "mandoc -Tlint is clean on every page" {
	run mandoc -Tlint -W warning "$TOP"/man/*.[157]
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every program has a section 1 page, and every section 1 page a program" {
	[ "$(programs | wc -l)" -eq 8 ]
	for prog in $(programs); do
		[ -f "$TOP/man/$prog.1" ] || { echo "no page for $prog"; false; }
	done
	for page in "$TOP"/man/*.1; do
		[ -x "$AGRAPH_BIN/$(basename "$page" .1)" ] || { echo "no program for $page"; false; }
	done
}

@test "every program's usage is its man page's SYNOPSIS, word for word" {
	for prog in $(programs); do
		want=$(synopsis "$TOP/man/$prog.1")
		got=$(usage "$prog")
		[ -n "$want" ] && [ "$got" = "$want" ] ||
			{ printf '%s:\n  man:   %s\n  usage: %s\n' "$prog" "$want" "$got"; false; }
	done
}

@test "usage errors print the same usage on stderr, and exit 2" {
	for prog in $(programs); do
		run --separate-stderr "$prog" --no-such-option
		[ "$status" -eq 2 ]
		[ "$(printf '%s\n' "${stderr_lines[@]:1}")" = "$("$prog" --help)" ] || { echo "$prog"; false; }
	done
}

@test "every option of --help is in the man page" {
	for prog in $(programs); do
		# Outside the loop's list, so that a failing --help fails the test.
		help=$("$prog" --help)
		[[ $help == "usage: $prog "* ]]
		for opt in $(grep -o -- '--[a-z-]*' <<<"$help" | sort -u); do
			grep -q -- "Fl ${opt#-}" "$TOP/man/$prog.1" || { echo "$prog: $opt"; return 1; }
		done
	done
}

@test "every long option that two programs share is in agraph(7)'s table" {
	shared=$(for prog in $(programs); do "$prog" --help | grep -o -- '--[a-z-]*' | sort -u; done |
		sort | uniq -d)
	[ -n "$shared" ]
	table=$(sed -n '/^\.Sh OPTIONS COMMON TO ALL PROGRAMS/,/^\.Sh /p' "$TOP/man/agraph.7")
	for opt in $shared; do
		grep -qE -- "-${opt#--}([^a-z-]|$)" <<<"$table" || { echo "$opt"; false; }
	done
}
