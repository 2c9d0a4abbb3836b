#!/usr/bin/env bats
# The library's hygiene and the Makefile's install targets.

load helper

# The library beside the programs under test: build/san/ under make sanitize.
lib=${AGRAPH_LIB:-$(cd "${AGRAPH_BIN:-$TOP/build/bin}/.." && pwd)/libagraph.a}

@test "libagraph.a exports only agr_ (public) and agrp_ (internal) names" {
	run bash -c "nm -g --defined-only '$lib' | awk 'NF == 3 { print \$3 }' | grep -v -E '^agrp?_'"
	[ "$status" -eq 1 ] # grep found nothing; nm itself succeeded
	[ -z "$output" ]
}

@test "libagraph.a holds none of the programs' front end" {
	nm -g --defined-only "$lib" >"$BATS_TEST_TMPDIR/syms"
	[ -s "$BATS_TEST_TMPDIR/syms" ]
	! grep -E ' agr_fe_' "$BATS_TEST_TMPDIR/syms"
}

# The layers of lib/ and what each may use, lowest first.  The include
# test and the symbol test below hold the code to it.
allowed() {
	case $1 in
	base) echo "" ;;
	record) echo "base" ;;
	expr) echo "base record" ;;
	graph) echo "base record expr" ;;
	check | inject | govern) echo "base record expr" ;;
	route) echo "base record expr graph govern" ;;
	replay) echo "base record expr graph govern route check" ;;
	interop) echo "base record replay" ;;
	render) echo "base record graph replay" ;;
	live) echo "base record expr graph govern route check inject replay interop" ;;
	*) echo "unknown layer $1" ;;
	esac
}

@test "a layer includes only its own private headers and those of the layers it uses" {
	cd "$TOP"
	bad=
	for f in lib/*/*.c lib/*/*.h; do
		layer=${f#lib/}; layer=${layer%%/*}
		for inc in $(sed -n 's|^#include "\([a-z]*\)/[a-z_]*\.h"|\1|p' "$f"); do
			case " $layer $(allowed "$layer") " in *" $inc "*) ;; *) bad="$bad $f->$inc" ;; esac
		done
	done
	for f in fe/* cmd/*.c cmd/*/*; do
		grep -q '_int\.h"' "$f" && bad="$bad $f"
	done
	[ -z "$bad" ] || { echo "layering broken:$bad"; false; }
}

@test "no cycle between the library's files, and each layer calls only the layers it uses" {
	cd "$TOP"
	# Member names are basenames: they must be unique for ar and for this map.
	dups=$(find lib -name '*.c' -printf '%f\n' | sort | uniq -d)
	[ -z "$dups" ] || { echo "two files named $dups"; false; }
	nm -A -g "$lib" >"$BATS_TEST_TMPDIR/nm"
	[ -s "$BATS_TEST_TMPDIR/nm" ]
	# "lib.a:member.o: symbol": who defines what, who uses what.
	awk -F'[: ]+' '$(NF-1) ~ /^[TDBR]$/ { print $(NF), $2 }' "$BATS_TEST_TMPDIR/nm" | sort -u >"$BATS_TEST_TMPDIR/def"
	awk -F'[: ]+' '$(NF-1) == "U" && $NF ~ /^agrp?_/ { print $NF, $2 }' "$BATS_TEST_TMPDIR/nm" | sort -u >"$BATS_TEST_TMPDIR/use"
	join "$BATS_TEST_TMPDIR/use" "$BATS_TEST_TMPDIR/def" | awk '$2 != $3 { print $2, $3 }' | sort -u >"$BATS_TEST_TMPDIR/edges"
	[ -s "$BATS_TEST_TMPDIR/edges" ]
	run tsort "$BATS_TEST_TMPDIR/edges"
	[ "$status" -eq 0 ] || { echo "$output" | grep tsort; false; }
	bad=
	while read -r from to; do
		lf=$(find lib -name "${from%.o}.c" | cut -d/ -f2)
		lt=$(find lib -name "${to%.o}.c" | cut -d/ -f2)
		[ "$lf" = "$lt" ] && continue
		case " $(allowed "$lf") " in *" $lt "*) ;; *) bad="$bad $from->$to" ;; esac
	done <"$BATS_TEST_TMPDIR/edges"
	[ -z "$bad" ] || { echo "layering broken:$bad"; false; }
}

@test "only the files that use libyaml include yaml.h" {
	cd "$TOP"
	for f in $(grep -l -E '^#include (<yaml.h>|"base/yaml_int.h")' lib/*/*.c lib/*/*.h); do
		grep -q -E '\byaml_[a-z_]+\(|agrp_yaml|yaml_node_t' "$f" || { echo "$f"; false; }
	done
	! grep -l -E '^#include <yaml.h>' lib/agraph.h fe/* cmd/*.c cmd/*/*
}

@test "agraph.h compiles on its own, as C11" {
	printf '#include "agraph.h"\nint main(void) { return agr_graph_new("x") == NULL; }\n' >"$BATS_TEST_TMPDIR/t.c"
	san= # a sanitizer build's library links with its runtime
	nm "$lib" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
	cc -std=c11 -Wall -Wextra -Werror $san -I"$TOP/lib" -o "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/t.c" \
		"$lib" -ljansson -lyaml -lm
	"$BATS_TEST_TMPDIR/t"
}

@test "make install and uninstall honour PREFIX and DESTDIR" {
	d=$BATS_TEST_TMPDIR/root
	make -C "$TOP" -s install DESTDIR="$d" PREFIX=/opt/ag >/dev/null
	[ -x "$d/opt/ag/bin/agraph-route" ]
	[ -f "$d/opt/ag/lib/libagraph.a" ]
	[ ! -e "$d/opt/ag/lib/libagraph_fe.a" ]
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
	files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib fe cmd tests -name '*.[ch]')
	[ -n "$files" ]
	run clang-format --dry-run --Werror $files
	[ "$status" -eq 0 ] || { echo "$output" | head -20; false; }
}

@test "every function agraph.h declares is defined in lib/" {
	for f in $(grep -o 'agr_[a-z_0-9]*(' "$TOP/lib/agraph.h" | tr -d '(' | sort -u); do
		grep -q "^$f(" "$TOP"/lib/*/*.c || { echo "not defined: $f"; return 1; }
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
