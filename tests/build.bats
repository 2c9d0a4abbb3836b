#!/usr/bin/env bats
# The library's hygiene and the Makefile's install targets.

load helper

@test "libagraph.a exports only agr_ (public) and agrp_ (internal) names" {
	run bash -c "nm -g --defined-only '$TOP/lib/libagraph.a' | awk 'NF == 3 { print \$3 }' | grep -v -E '^agrp?_'"
	[ -z "$output" ]
}

@test "agraph.h compiles on its own, as C11" {
	printf '#include "agraph.h"\nint main(void) { return agr_graph_new("x") == NULL; }\n' >"$BATS_TEST_TMPDIR/t.c"
	cc -std=c11 -Wall -Wextra -Werror -I"$TOP/lib" -o "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/t.c" \
		"$TOP/lib/libagraph.a" -ljansson -lyaml -lm
	"$BATS_TEST_TMPDIR/t"
}

@test "make install and uninstall honour PREFIX and DESTDIR" {
	d=$BATS_TEST_TMPDIR/root
	make -C "$TOP" -s install DESTDIR="$d" PREFIX=/opt/ag >/dev/null
	[ -x "$d/opt/ag/bin/agraph-route" ]
	[ -f "$d/opt/ag/lib/libagraph.a" ]
	[ -f "$d/opt/ag/include/agraph.h" ]
	[ -f "$d/opt/ag/share/man/man1/agraph-route.1" ]
	[ -f "$d/opt/ag/share/man/man5/agraph-graph.5" ]
	[ -f "$d/opt/ag/share/man/man7/agraph.7" ]
	make -C "$TOP" -s uninstall DESTDIR="$d" PREFIX=/opt/ag >/dev/null
	[ -z "$(find "$d" -type f)" ]
}

@test "the code follows .clang-format" {
	command -v clang-format >/dev/null || skip "no clang-format"
	cd "$TOP"
	run clang-format --dry-run --Werror lib/*.c lib/*.h cmd/*.c tests/unit/*.c tests/unit/*.h tests/bench/*.c tests/fuzz/*.c tests/fuzz/*.h
	[ "$status" -eq 0 ]
}

@test "every function agraph.h declares is defined in lib/" {
	for f in $(grep -o 'agr_[a-z_0-9]*(' "$TOP/lib/agraph.h" | tr -d '(' | sort -u); do
		grep -q "^$f(" "$TOP"/lib/*.c || { echo "not defined: $f"; return 1; }
	done
}

@test "messages name the program, however it was invoked" {
	for p in "$AGRAPH_BIN"/agraph-*; do
		name=${p##*/}
		[ "$name" = agraph-trace ] && set -- check || set --
		run "$p" "$@" --no-such-option
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == "$name: unrecognized option '--no-such-option'" ]] ||
			{ echo "${lines[0]}"; false; }
	done
}
