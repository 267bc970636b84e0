# sockredir: an LD_PRELOAD shim that puts a stdio program on a socket.
#   make          build build/libsockredir.so
#   make demo     the seed's five dialogs, live
#   make test     unit and integration tests; ends "N passed, N failed"
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BSD_CFLAGS := $(shell pkg-config --cflags libbsd 2>/dev/null)
BSD_LIBS   := $(shell pkg-config --libs libbsd 2>/dev/null || echo -lbsd)
SAN     ?=
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN) -Iinclude -Ishim $(BSD_CFLAGS) -D_GNU_SOURCE

B       := build
SHIM_SRC := shim/report.c shim/config.c shim/allow.c shim/address.c shim/connect.c shim/stdio.c \
            shim/children.c shim/exitpath.c shim/inetd.c shim/proxy.c shim/proxyread.c \
            shim/activation.c shim/attach.c shim/sockredir.c
SHIM_OBJ := $(SHIM_SRC:shim/%.c=$(B)/obj/%.o)
LIB     := $(B)/libsockredir.so
LAUNCHER := $(B)/sockredir
TEST_PROGS := $(B)/test/unit_config $(B)/test/legacy $(B)/test/peer $(B)/test/hub \
              $(B)/test/floor

# Packages a fresh Debian machine needs for the build and the tests
# (clang's libFuzzer runtime comes in libclang-rt-14-dev on Debian 12).
DEB_PACKAGES := gcc make libc6-dev pkg-config libbsd-dev bats bats-support \
                bats-assert netbase iproute2 procps python3 sed coreutils man-db \
                util-linux cppcheck clang-tidy clang libclang-rt-14-dev valgrind \
                systemd haproxy ucspi-tcp socat bc
LINT_FLAGS := -D_GNU_SOURCE -Iinclude -Ishim
FUZZ_SECONDS ?= 60

.PHONY: all deps deps-bench bench test unit bats demo install uninstall clean asan lint fuzz
all: $(LIB) $(LAUNCHER)

$(B)/obj/%.o: shim/%.c shim/shim.h include/sockredir.h | $(B)/obj
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(LIB): $(SHIM_OBJ) shim/sockredir.map
	$(CC) $(ALL_CFLAGS) -shared -fPIC -Wl,--version-script=shim/sockredir.map \
	    -Wl,-z,defs -Wl,-z,now -o $@ $(SHIM_OBJ) $(BSD_LIBS)

# The launcher finds the library beside it, in ../lib, or in LIBDIR.
$(LAUNCHER): launcher/sockredir.c include/sockredir.h | $(B)/obj
	$(CC) $(ALL_CFLAGS) -DSOCKREDIR_LIBDIR='"$(LIBDIR)"' -o $@ $< $(BSD_LIBS)

# The unit tests link the pure code without the constructor.
$(B)/test/unit_config: test/unit_config.c $(B)/obj/config.o $(B)/obj/allow.o $(B)/obj/address.o \
    $(B)/obj/proxy.o | $(B)/test
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(BSD_LIBS)

$(B)/test/floor: test/bench/floor.c | $(B)/test
	$(CC) $(ALL_CFLAGS) -o $@ $<

# The programs the tests run are plain C, with no flush calls of their own.
$(B)/test/%: test/%.c | $(B)/test
	$(CC) $(ALL_CFLAGS) -o $@ $<

$(B)/obj $(B)/test:
	mkdir -p $@

deps:
	@test/install-packages.sh deps $(DEB_PACKAGES)

# The benchmark's tools; a missing one is a row saying "not installed".
deps-bench:
	@test/install-packages.sh deps-bench socat ncat ucspi-tcp gnuplot-nox xinetd haproxy

bench: deps deps-bench
	$(MAKE) $(LIB) $(TEST_PROGS)
	test/bench/run.sh

test: deps deps-bench
	$(MAKE) $(LIB) $(LAUNCHER) $(TEST_PROGS) asan
	test/run-tests.sh

unit: $(B)/test/unit_config
	$(B)/test/unit_config

bats: $(LIB) $(LAUNCHER) $(TEST_PROGS)
	bats bats

demo: deps
	$(MAKE) $(LIB) $(B)/test/legacy $(B)/test/peer
	test/demo.sh

# The same library and tests with AddressSanitizer and UBSan.
asan:
	$(MAKE) B=build-asan SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    CFLAGS="-O1 -g" build-asan/libsockredir.so build-asan/sockredir \
	    build-asan/test/unit_config

# Static analysis, clean or failing; .clang-tidy says which checks are off.
lint:
	cppcheck --enable=warning,style,performance,portability --inline-suppr \
	    --error-exitcode=1 -q $(LINT_FLAGS) shim/ launcher/
	clang-tidy --quiet shim/*.c launcher/sockredir.c -- -std=gnu11 $(LINT_FLAGS)

# libFuzzer over the whole configuration parser and the ALLOW matcher.
$(B)/fuzz_config: test/fuzz_config.c shim/config.c shim/allow.c shim/address.c \
    shim/proxy.c shim/shim.h include/sockredir.h | $(B)/obj
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(LINT_FLAGS) -o $@ test/fuzz_config.c shim/config.c shim/allow.c \
	    shim/address.c shim/proxy.c $(BSD_LIBS)

fuzz: $(B)/fuzz_config
	mkdir -p $(B)/fuzz-corpus
	$(B)/fuzz_config -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(B)/ $(B)/fuzz-corpus test/fuzz-corpus

install: $(LIB) $(LAUNCHER)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(LAUNCHER) $(DESTDIR)$(BINDIR)/sockredir
	install -m 755 $(LIB) $(DESTDIR)$(LIBDIR)/libsockredir.so
	install -m 644 include/sockredir.h $(DESTDIR)$(INCDIR)/sockredir.h
	install -m 644 docs/sockredir.7 $(DESTDIR)$(MANDIR)/man7/sockredir.7
	install -m 644 docs/sockredir.1 $(DESTDIR)$(MANDIR)/man1/sockredir.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sockredir $(DESTDIR)$(LIBDIR)/libsockredir.so \
	    $(DESTDIR)$(INCDIR)/sockredir.h $(DESTDIR)$(MANDIR)/man7/sockredir.7 \
	    $(DESTDIR)$(MANDIR)/man1/sockredir.1

clean:
	rm -rf build build-asan
