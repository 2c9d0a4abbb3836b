# agraph - make all | check | demo | sanitize | bench | install | uninstall | clean

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
MANDIR   = $(PREFIX)/share/man

CC      ?= cc
# Where objects, the library and the programs go; `make sanitize` moves all three.
O       ?= build
LIBA    ?= lib/libagraph.a
BIN     ?= bin

PKGS     = jansson yaml-0.1
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# graphviz: only agraph-render links it, so that the others start fast.
GVC_CFLAGS := $(shell pkg-config --cflags libgvc 2>/dev/null | sed 's/-I/-isystem /g')
GVC_LIBS   := $(shell pkg-config --libs libgvc 2>/dev/null || echo -lgvc -lcgraph -lcdt)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ljansson -lyaml)

OPT     ?= -O2 -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(PKG_CFLAGS) $(GVC_CFLAGS) -Ilib $(CFLAGS)
LDLIBS   = $(PKG_LIBS) -lm

LIB_SRC  = $(sort $(wildcard lib/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
CMD_SRC  = $(sort $(wildcard cmd/*.c))
PROGS    = $(CMD_SRC:cmd/%.c=$(BIN)/%)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS  = $(FUZZ_SRC:tests/fuzz/%.c=$(O)/tests/%)
BENCHES  = $(O)/bench/bench_route $(O)/bench/gen_trace $(O)/bench/bench_stress
MAN1     = $(wildcard man/*.1)
MAN5     = $(wildcard man/*.5)
MAN7     = $(wildcard man/*.7)

MAKEFLAGS += --no-print-directory

.SECONDARY:

.PHONY: all check test demo sanitize sanitize-quick valgrind bench install uninstall clean deps lint format

all: $(LIBA) $(PROGS) $(UNITS) $(FUZZERS) $(BENCHES)

$(O)/%.o: %.c lib/agraph.h lib/agraph_int.h lib/agraph_fe.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

$(BIN)/agraph-render: LDLIBS += $(GVC_LIBS)

$(BIN)/%: $(O)/cmd/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

$(O)/bench/%: $(O)/tests/bench/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

# The fuzz targets, with a main that replays files instead of libFuzzer's.
$(O)/tests/fuzz_%: $(O)/tests/fuzz/fuzz_%.o $(O)/tests/fuzz/driver.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(O)/tests/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_import.h lib/agraph.h lib/agraph_int.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/%: $(O)/tests/unit/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

deps:
	scripts/install-deps

# The README's test command: dependencies, build, every test.
check:
	scripts/install-deps
	$(MAKE) all
	$(MAKE) sanitize-quick
	$(MAKE) test

# A subset that fits CI's time (units, fuzz replays, cases) under clang's
# AddressSanitizer and UndefinedBehaviorSanitizer, which see more than gcc's.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize-quick:
	$(MAKE) CC=clang O=build/csan LIBA=build/csan/libagraph.a BIN=build/csan/bin \
	    OPT="$(SAN_FLAGS)" build/csan/libagraph.a build/csan/bin/agraph-route \
	    build/csan/bin/agraph-trace build/csan/bin/agraph-inject build/csan/bin/agraph-replay \
	    build/csan/bin/agraph-stress build/csan/bin/agraph-render \
	    $(UNITS:$(O)/%=build/csan/%) $(FUZZERS:$(O)/%=build/csan/%)
	AGRAPH_TEST_SUBSET=quick tests/run build/csan/bin build/csan/tests

test: all
	tests/run $(BIN) $(O)/tests

demo:
	scripts/install-deps
	$(MAKE) all
	scripts/demo $(BIN)

sanitize:
	scripts/install-deps
	$(MAKE) O=build/san LIBA=build/san/libagraph.a BIN=build/san/bin \
	    OPT="$(SAN_FLAGS)" test

# The whole suite with every program under valgrind (slow: tens of minutes).
valgrind: all
	scripts/install-deps --valgrind
	scripts/valgrind-bin $(BIN) build/valgrind/bin
	tests/run build/valgrind/bin $(O)/tests

bench:
	scripts/install-deps --bench
	$(MAKE) all $(BENCHES)
	scripts/bench all

lint:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

format:
	clang-format -i lib/*.c lib/*.h cmd/*.c tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h tests/bench/*.c

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
	rm -f $(PROGS:$(BIN)/%=$(DESTDIR)$(BINDIR)/%) $(DESTDIR)$(LIBDIR)/libagraph.a \
	    $(DESTDIR)$(INCDIR)/agraph.h \
	    $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN5:man/%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)

clean:
	rm -rf build bin lib/libagraph.a
