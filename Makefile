# agraph - make [all] | check | demo | sanitize | valgrind | bench | install | uninstall | clean
#
# `make` builds the library and the programs, nothing else.  Everything it
# builds goes under $(O): $(O)/libagraph.a, $(O)/bin/agraph-*.  Tests, fuzz
# targets and benchmarks are built by the targets that run them.  Quiet by
# default; `make V=1` shows the commands.  Warnings are errors in `make
# check` and CI (WERROR=-Werror), not in a user's `make install`.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
MANDIR   = $(PREFIX)/share/man

CC      ?= cc
O       ?= build
BIN      = $(O)/bin
LIBA     = $(O)/libagraph.a
# The programs' shared front end: linked into them, never installed.
FEA      = $(O)/libagraph_fe.a

PKGS     = jansson yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lyaml)
# graphviz: only agraph-render links it, so that the others start fast.
GVC_CFLAGS := $(shell pkg-config --cflags libgvc 2>/dev/null | sed 's/-I/-isystem /g')
GVC_LIBS   := $(shell pkg-config --libs libgvc 2>/dev/null || echo -lgvc -lcgraph -lcdt)

OPT     ?= -O2 -g
WERROR  ?=
WARN     = -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(PKG_CFLAGS) -Ilib $(CFLAGS)
LDLIBS   = $(PKG_LIBS) -lm

LIB_SRC  = $(sort $(wildcard lib/*/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
FE_SRC   = $(sort $(wildcard fe/*.c))
FE_OBJ   = $(FE_SRC:%.c=$(O)/%.o)
# A program is cmd/NAME.c, or a folder cmd/NAME/ of parts.
PROG_NAMES = $(sort $(patsubst cmd/%.c,%,$(wildcard cmd/agraph-*.c)) \
                    $(patsubst cmd/%/,%,$(wildcard cmd/agraph-*/)))
PROGS    = $(PROG_NAMES:%=$(BIN)/%)
prog_obj = $(patsubst %.c,$(O)/%.o,$(wildcard cmd/$(1).c cmd/$(1)/*.c))
CMD_OBJ  = $(foreach p,$(PROG_NAMES),$(call prog_obj,$(p)))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS  = $(FUZZ_SRC:tests/fuzz/%.c=$(O)/tests/%)
BENCH_SRC = $(sort $(wildcard tests/bench/*.c))
BENCHES  = $(BENCH_SRC:tests/bench/%.c=$(O)/bench/%)
# The peers of the benchmarks written in C++ (simdjson, Boost.Graph): built
# only by `make benches`, with the libraries install-deps --bench installs.
PEER_SRC = $(sort $(wildcard tests/bench/*.cc))
PEERS    = $(PEER_SRC:tests/bench/%.cc=$(O)/bench/%)
CXX     ?= c++
TEST_OBJ = $(UNIT_SRC:%.c=$(O)/%.o) $(FUZZ_SRC:%.c=$(O)/%.o) $(O)/tests/fuzz/driver.o \
           $(BENCH_SRC:%.c=$(O)/%.o)
MAN1     = $(wildcard man/*.1)
MAN5     = $(wildcard man/*.5)
MAN7     = $(wildcard man/*.7)

ifeq ($(V),1)
Q =
say = @:
else
Q = @
say = @printf '  %-5s %s\n'
endif

MAKEFLAGS += --no-print-directory

.SECONDARY:
.SECONDEXPANSION:
.DELETE_ON_ERROR:

.PHONY: all check test units fuzzers benches demo sanitize sanitize-quick valgrind bench \
        install uninstall clean deps lint format FORCE

all: $(LIBA) $(PROGS)

# The flags an object was built with: a change of CC, OPT, WERROR or CFLAGS
# rebuilds everything, as a change of a header rebuilds its users (-MMD).
$(O)/cflags: FORCE
	@mkdir -p $(O)
	@echo '$(CC) $(ALL_CFLAGS) $(GVC_CFLAGS)' | cmp -s - $@ || \
	    echo '$(CC) $(ALL_CFLAGS) $(GVC_CFLAGS)' >$@

$(O)/lib/render/%.o: ALL_CFLAGS += $(GVC_CFLAGS)
$(O)/cmd/%.o $(O)/fe/%.o: ALL_CFLAGS += -Ife
$(O)/tests/%.o: ALL_CFLAGS += -Ife -Itests/unit

$(O)/%.o: %.c $(O)/cflags
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FEA): $(FE_OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN)/agraph-render: LDLIBS += $(GVC_LIBS)

$(BIN)/%: $$(call prog_obj,$$*) $(FEA) $(LIBA)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(call prog_obj,$*) $(FEA) $(LIBA) $(LDLIBS)

units: $(UNITS)
fuzzers: $(FUZZERS)
benches: $(BENCHES) $(PEERS)

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(LIBA)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The fuzz targets, with a main that replays files instead of libFuzzer's.
$(O)/tests/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/driver.o $(LIBA)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(O)/bench/%: $(O)/tests/bench/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(O)/bench/floor_check: PEER_LIBS = -lsimdjson
$(O)/bench/%: tests/bench/%.cc
	@mkdir -p $(dir $@)
	$(say) CXX $@
	$(Q)$(CXX) -std=c++17 -O2 -g -Wall -Wextra -o $@ $< $(PEER_LIBS)

-include $(LIB_OBJ:.o=.d) $(FE_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

deps:
	scripts/install-deps

# The README's test command: dependencies, build, every test, warnings as
# errors.
check:
	scripts/install-deps
	$(MAKE) WERROR=-Werror all
	$(MAKE) WERROR=-Werror sanitize-quick
	$(MAKE) WERROR=-Werror test

# A subset that fits CI's time (units, fuzz replays, cases) under clang's
# AddressSanitizer and UndefinedBehaviorSanitizer, which see more than gcc's.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize-quick:
	$(MAKE) CC=clang O=build/csan OPT="$(SAN_FLAGS)" all units fuzzers
	AGRAPH_TEST_SUBSET=quick tests/run build/csan/bin build/csan/tests

test: all units fuzzers $(O)/bench/gen_trace
	tests/run $(BIN) $(O)/tests

demo:
	scripts/install-deps --build
	$(MAKE) all
	scripts/demo $(BIN)

sanitize:
	scripts/install-deps
	$(MAKE) O=build/san OPT="$(SAN_FLAGS)" test

# The whole suite with every program under valgrind (slow: tens of minutes).
valgrind: all units fuzzers
	scripts/install-deps --valgrind
	scripts/valgrind-bin $(BIN) $(O)/valgrind/bin
	tests/run $(O)/valgrind/bin $(O)/tests

bench:
	scripts/install-deps --bench
	$(MAKE) all benches
	scripts/bench all

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

FORMAT_SRC = $(LIB_SRC) $(wildcard lib/*.h lib/*/*.h) $(FE_SRC) $(wildcard fe/*.h) \
             $(wildcard cmd/*.c cmd/*/*.c cmd/*/*.h) $(UNIT_SRC) $(wildcard tests/unit/*.h) \
             $(FUZZ_SRC) tests/fuzz/driver.c $(wildcard tests/fuzz/*.h) $(BENCH_SRC)
format:
	clang-format -i $(FORMAT_SRC)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)
	install -m 644 lib/agraph.h $(DESTDIR)$(INCDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(PROG_NAMES:%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(LIBDIR)/libagraph.a \
	    $(DESTDIR)$(INCDIR)/agraph.h \
	    $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)

clean:
	rm -rf build
