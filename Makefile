# SPDX-License-Identifier: BSD-2-Clause
# sockredir: an LD_PRELOAD shim that puts a stdio program on a socket.
#   make          build build/libsockredir.so and the launcher build/sockredir
#   make demo     the seed's five dialogs, live (needs only the build set)
#   make check    the whole suite with what is installed; ends "N passed, N failed, N skipped"
#   make test     make deps, then make check
#   make mutate   mutation testing, a few minutes: every mutant's tests must fail
#   make soak     the whole suite SOAK_RUNS times (10), some loaded: the tests that fail by chance
#   make install  PREFIX=/usr/local LIBDIR= DESTDIR=; runs ldconfig without DESTDIR
#   make deb      the Debian package, built in a copy of the tree (build/deb/)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
# Run after installing to the live system (no DESTDIR), so that a bare
# LD_PRELOAD=libsockredir.so finds the library.
LDCONFIG ?= ldconfig

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# strlcpy and strlcat (shim/strl.h): the libc's own where it has them (musl,
# glibc 2.38 on), libbsd's otherwise.  PKG_CONFIG names the target's
# pkg-config when cross-compiling.
PKG_CONFIG ?= pkg-config
LIBC_STRLCPY := $(shell printf '\043include <string.h>\nint main(void) { char b[2]; return (int)strlcpy(b, "x", 2); }\n' | \
    $(CC) -D_GNU_SOURCE -Werror -x c -o /dev/null - 2>/dev/null && echo yes)
ifeq ($(LIBC_STRLCPY),yes)
BSD_CFLAGS :=
BSD_LIBS   :=
else
BSD_CFLAGS := -DSOCKREDIR_LIBBSD $(shell $(PKG_CONFIG) --cflags libbsd 2>/dev/null)
# Linked in from libbsd.a (libbsd-dev ships it, built as PIC): the two
# functions are a few hundred bytes, while the shared libbsd and the libmd
# it loads are 10 mappings that every inetd copy's fork duplicates and 4-5
# page faults a copy (docs/benchmarks.md).
BSD_LIBS   := -Wl,--push-state,-Bstatic -lbsd -Wl,--pop-state
endif
SAN     ?=
# Hardening by default, before the user's flags so that theirs win;
# _FORTIFY_SOURCE only when CPPFLAGS does not choose a level itself.
HARDEN_CFLAGS   ?= -fstack-protector-strong
HARDEN_CPPFLAGS ?= $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN_LDFLAGS  ?= -Wl,-z,relro,-z,now
ALL_CPPFLAGS := -Iinclude -Ishim -D_GNU_SOURCE $(HARDEN_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 $(WARN) $(HARDEN_CFLAGS) $(CFLAGS) $(SAN) $(BSD_CFLAGS) $(ALL_CPPFLAGS) -MMD -MP
ALL_LDFLAGS := $(HARDEN_LDFLAGS) $(LDFLAGS)

B       := build
# The pure core (see shim/shim.h): built once a flavour as a static library
# that the shim, the unit tests and the fuzzer link.
CORE_SRC := shim/values.c shim/config.c shim/allow.c shim/address.c shim/proxy.c \
            shim/inherit.c shim/codes.c
CORE_OBJ := $(CORE_SRC:shim/%.c=$(B)/obj/%.o)
CORE    := $(B)/libsockredir-core.a
SHIM_SRC := shim/report.c shim/clock.c shim/connect.c shim/stdio.c shim/stderr.c shim/environ.c \
            shim/exitpath.c shim/interpose.c shim/interpose_io.c shim/autoflush.c \
            shim/inetd.c shim/proxyread.c shim/activation.c shim/attach.c shim/sockredir.c
SHIM_OBJ := $(SHIM_SRC:shim/%.c=$(B)/obj/%.o)
LIB     := $(B)/libsockredir.so
LAUNCHER := $(B)/sockredir
TEST_PROGS := $(B)/test/unit_config $(B)/test/legacy $(B)/test/peer $(B)/test/hub \
              $(B)/test/floor $(B)/test/libstall.so \
              $(if $(shell command -v $(CXX)),$(B)/test/reply_cxx)

# Debian packages, one set a purpose (test/install-packages.sh installs the
# missing ones as root, or prints the apt-get line).
# Build and demo: a compiler, make, pkg-config and libbsd.
BUILD_PACKAGES := gcc make libc6-dev pkg-config libbsd-dev
# The tests (g++ for the C++ iostreams test; clang's libFuzzer runtime comes
# in libclang-rt-14-dev on Debian 12).
DEB_PACKAGES := g++ bats bats-support bats-assert netbase iproute2 procps python3 sed coreutils \
                man-db util-linux cppcheck clang-tidy clang libclang-rt-14-dev valgrind bc \
                systemd haproxy ucspi-tcp socat openssl stress-ng
# The Debian package and its test.
DEB_BUILD_PACKAGES := dpkg-dev debhelper fakeroot lintian
# The lanes of the other platforms (test/lane.sh): cross compilers, musl,
# qemu-user with binfmt_misc for arm64, the libraries of the real programs
# each lane runs (Debian's dash, coreutils and sed, fetched by the lane), and
# the arm64 cross build of the Debian package.
LANE_PACKAGES := gcc-aarch64-linux-gnu gcc-i686-linux-gnu musl-tools qemu-user-static \
                 binfmt-support crossbuild-essential-arm64 libc6:arm64 libbsd-dev:arm64 \
                 libc6:i386 libbsd-dev:i386 \
                 $(foreach a,arm64 i386,$(addsuffix :$(a),libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0))
# The benchmark and its smoke test: the tools sockredir is compared with.
BENCH_PACKAGES := socat ncat ucspi-tcp gnuplot-nox xinetd haproxy
LINT_FLAGS := -D_GNU_SOURCE -Iinclude -Ishim $(filter -DSOCKREDIR_LIBBSD,$(BSD_CFLAGS))
FUZZ_SECONDS ?= 60

.PHONY: all deps deps-build deps-test deps-deb deps-bench deps-lanes bench check test unit bats demo \
        install uninstall clean asan lint fuzz fuzz-core deb FORCE
all: $(LIB) $(LAUNCHER)

# Every object is rebuilt when the flags change (the tests check the flags).
$(B)/flags: FORCE | $(B)/obj
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(BSD_LIBS) $(LDLIBS)' >$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

$(B)/obj/%.o: shim/%.c $(B)/flags | $(B)/obj
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(CORE): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $(CORE_OBJ)

$(LIB): $(SHIM_OBJ) $(CORE) shim/sockredir.map $(B)/flags
	$(CC) $(ALL_CFLAGS) -shared -fPIC -Wl,--version-script=shim/sockredir.map \
	    -Wl,-z,defs $(ALL_LDFLAGS) -o $@ $(SHIM_OBJ) $(CORE) $(BSD_LIBS) $(LDLIBS)

# Where the launcher looks for the library once installed: LIBDIR, and
# LIBDIR's place relative to BINDIR (so a DESTDIR tree or a moved prefix
# works too).  Rewritten only when they change, so make install LIBDIR=...
# rebuilds the launcher.
$(B)/install-dirs.h: FORCE | $(B)/obj
	@printf '#define SOCKREDIR_LIBDIR "%s"\n#define SOCKREDIR_LIBDIR_FROM_BINDIR "%s"\n' \
	    '$(LIBDIR)' "$$(realpath -m --relative-to='$(BINDIR)' '$(LIBDIR)')" >$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

$(B)/obj/launcher.o: launcher/sockredir.c $(B)/install-dirs.h $(B)/flags | $(B)/obj
	$(CC) $(ALL_CFLAGS) -fPIE -I$(B) -c $< -o $@

$(LAUNCHER): $(B)/obj/launcher.o $(B)/flags
	$(CC) $(ALL_CFLAGS) -pie $(ALL_LDFLAGS) -o $@ $< $(BSD_LIBS) $(LDLIBS)

# The unit tests link the pure core without the constructor.
$(B)/test/unit_config: test/unit_config.c $(CORE) $(B)/flags | $(B)/test
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(CORE) $(BSD_LIBS) $(LDLIBS)

$(B)/test/floor: test/bench/floor.c $(B)/flags | $(B)/test
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LDLIBS)

# C++ iostreams, for the runtimes tests (skipped where g++ is missing).
$(B)/test/reply_cxx: test/reply.cc | $(B)/test
	$(CXX) -O2 -Wall -Wextra -Werror -o $@ $<

# A test preload that holds up one connect (see test/stall.c).
$(B)/test/libstall.so: test/stall.c $(B)/flags | $(B)/test
	$(CC) $(ALL_CFLAGS) -shared -fPIC $(ALL_LDFLAGS) -o $@ $< $(LDLIBS)

# The programs the tests run are plain C, with no flush calls of their own.
$(B)/test/%: test/%.c $(B)/flags | $(B)/test
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LDLIBS)

$(B)/obj $(B)/test:
	mkdir -p $@

-include $(wildcard $(B)/obj/*.d $(B)/test/*.d)

# All five sets at once (one apt-get update), then the lanes' set-up.
deps:
	@test/install-packages.sh deps $(BUILD_PACKAGES) $(DEB_PACKAGES) $(DEB_BUILD_PACKAGES) \
	    $(BENCH_PACKAGES) $(LANE_PACKAGES)
	@test/lanes-setup.sh

# The lanes: their packages, qemu-aarch64 registered with binfmt_misc, and
# the arm64 and i386 programs downloaded.
deps-lanes:
	@test/install-packages.sh deps-lanes $(LANE_PACKAGES)
	@test/lanes-setup.sh

deps-build:
	@test/install-packages.sh deps-build $(BUILD_PACKAGES)

deps-test:
	@test/install-packages.sh deps-test $(DEB_PACKAGES)

deps-deb:
	@test/install-packages.sh deps-deb $(DEB_BUILD_PACKAGES)

# The benchmark's tools; a missing one is a row saying "not installed".
deps-bench:
	@test/install-packages.sh deps-bench $(BENCH_PACKAGES)

bench: deps-build deps-test deps-bench
	$(MAKE) $(LIB) $(TEST_PROGS)
	test/bench/run.sh

# Everything with what is installed: a test whose tool is missing skips.
check:
	$(MAKE) $(LIB) $(LAUNCHER) $(TEST_PROGS) asan
	test/run-tests.sh

test: deps
	$(MAKE) check

unit: $(B)/test/unit_config
	$(B)/test/unit_config

bats: $(LIB) $(LAUNCHER) $(TEST_PROGS)
	bats bats

demo: deps-build
	$(MAKE) $(LIB) $(B)/test/legacy $(B)/test/peer
	test/demo.sh

# The same library and tests with AddressSanitizer and UBSan.
asan:
	$(MAKE) B=build-asan SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    CFLAGS="-O1 -g" build-asan/libsockredir.so build-asan/sockredir \
	    build-asan/test/unit_config

# Static analysis, clean or failing; .clang-tidy says which checks are off.
lint: $(B)/install-dirs.h
	cppcheck --enable=warning,style,performance,portability --inline-suppr \
	    --error-exitcode=1 -q $(LINT_FLAGS) -I$(B) shim/ launcher/
	@# One file a run: given several, clang-tidy 14's va_list check reports
	@# va_start'ed lists as uninitialized in every file after the first.
	for f in shim/*.c launcher/sockredir.c; do \
	    clang-tidy --quiet $$f -- -std=gnu11 $(LINT_FLAGS) -I$(B) || exit 1; done

# Mutation testing, not part of make test (a few minutes): each mutant in
# test/mutate.sh breaks one guarantee in a copy of the tree; its tests must fail.
.PHONY: mutate
mutate:
	test/mutate.sh

# The whole suite again and again, a third of the runs with the machine
# loaded (stress-ng), not part of make test: every test that fails even
# once is named and counted; ends "N runs, N failed tests".
# SOAK_RUNS=N (10), SOAK_LOADED=K, SOAK_LOAD=COMMAND (see test/soak.sh).
.PHONY: soak
soak:
	$(MAKE) $(LIB) $(LAUNCHER) $(TEST_PROGS) asan
	test/soak.sh

# libFuzzer over the whole configuration parser, the ALLOW matcher and the
# PROXY parser: the same core, built by clang with the fuzzer's coverage.
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzz-core:
	$(MAKE) B=build-fuzz CC=clang SAN="$(FUZZ_SAN)" CFLAGS="-g -O1" build-fuzz/libsockredir-core.a

$(B)/fuzz_config: test/fuzz_config.c fuzz-core | $(B)/obj
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(LINT_FLAGS) -o $@ $< build-fuzz/libsockredir-core.a $(BSD_LIBS)

fuzz: $(B)/fuzz_config
	mkdir -p $(B)/fuzz-corpus
	$(B)/fuzz_config -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(B)/ $(B)/fuzz-corpus test/fuzz-corpus

# The library goes where ld.so looks for a bare LD_PRELOAD=libsockredir.so;
# the installed header is the public one (names, modes, exit codes, version).
install: $(LIB) $(LAUNCHER)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(LAUNCHER) $(DESTDIR)$(BINDIR)/sockredir
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libsockredir.so
	install -m 644 include/sockredir-public.h $(DESTDIR)$(INCDIR)/sockredir.h
	install -m 644 docs/sockredir.7 $(DESTDIR)$(MANDIR)/man7/sockredir.7
	install -m 644 docs/sockredir.1 $(DESTDIR)$(MANDIR)/man1/sockredir.1
	$(if $(DESTDIR),,$(LDCONFIG))

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sockredir $(DESTDIR)$(LIBDIR)/libsockredir.so \
	    $(DESTDIR)$(INCDIR)/sockredir.h $(DESTDIR)$(MANDIR)/man7/sockredir.7 \
	    $(DESTDIR)$(MANDIR)/man1/sockredir.1
	$(if $(DESTDIR),,$(LDCONFIG))

# dpkg-buildpackage runs in a copy of the source tree as it is now (its clean
# step would remove build/ under the tests); the packages land in DEB_OUT.
# Then the same for each of DEB_CROSS, cross-built (dpkg-buildpackage -a,
# with crossbuild-essential-ARCH and libbsd-dev:ARCH: make deps-lanes);
# without its cross compiler it is left out, and said.
DEB_OUT ?= $(B)/deb
DEB_CROSS ?= arm64
deb:
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)/src
	tar -cf - --exclude=./.git --exclude='./build*' . | tar -xf - -C $(DEB_OUT)/src
	cd $(DEB_OUT)/src && dpkg-buildpackage -us -uc -b
	@for arch in $(DEB_CROSS); do \
	    gcc=$$(dpkg-architecture -a$$arch -qDEB_HOST_GNU_TYPE 2>/dev/null)-gcc; \
	    if ! command -v $$gcc >/dev/null; then \
	        echo "make deb: $$gcc is not installed (make deps-lanes): no $$arch package"; continue; fi; \
	    echo "make deb: the $$arch package"; \
	    mkdir -p $(DEB_OUT)/src-$$arch && \
	    tar -cf - --exclude=./.git --exclude='./build*' . | tar -xf - -C $(DEB_OUT)/src-$$arch && \
	    (cd $(DEB_OUT)/src-$$arch && dpkg-buildpackage -us -uc -b -a$$arch) || exit 1; \
	done
	@ls $(DEB_OUT)/*.deb

clean:
	rm -rf build build-asan build-fuzz build-arm64 build-i386 build-musl
