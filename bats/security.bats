#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Security: loopback by default, nothing in secure execution, and any
# environment value rejected cleanly.

load helper

reachable() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

@test "a server binds loopback by default: listening on 127.0.0.1 only, not reachable on 127.0.0.2" {
	local port address
	port=$(free_port)
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_PORT="$port" SOCKREDIR_TIMEOUT=10 \
		-- "$LEGACY" hello
	wait_listening "$port"
	while read -r address; do
		[[ $address == 127.0.0.1:$port || $address == "[::1]:$port" ]] ||
			fail "listening on $address"
	done < <(ss -Hltn "sport = :$port" | awk '{print $4}')
	! reachable 127.0.0.2 "$port" || fail "reachable on 127.0.0.2"
	connect_peer 127.0.0.1 "$port" expect:hello eof
	wait_both
}

@test "the same test sees a server that was asked to listen everywhere (0.0.0.0)" {
	start_server 0.0.0.0 -- "$LEGACY" hello
	connect_peer 127.0.0.2 "$PORT" expect:hello eof
	wait_both
}

@test "secure execution: a set-uid program run by another user gets nothing from the shim" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to make a set-uid program and a system library"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	skip_if_sanitized
	local libdir
	libdir=$(dirname "$(ldconfig -p | awk '/libc\.so\.6 / {print $NF; exit}')")
	# In secure execution ld.so preloads only from system directories, and
	# only libraries that are set-uid themselves.
	SYSTEM_LIB="$libdir/libsockredir-securetest.so"
	install -m 4755 "$LIB" "$SYSTEM_LIB"
	# Outside bats' private temporary directory, which nobody may enter.
	SUID_DIR=$(mktemp -d /tmp/sockredir-suid.XXXXXX)
	chmod 755 "$SUID_DIR"
	install -m 4755 -o root "$LEGACY" "$SUID_DIR/legacy"
	local port
	port=$(free_port)
	# Active, the shim would refuse this connection (69) before main.
	run setpriv --reuid=65534 --regid=65534 --clear-groups env SOCKREDIR_MODE=client \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		LD_PRELOAD=libsockredir-securetest.so "$SUID_DIR/legacy" maps libsockredir-securetest
	rm -f "$SYSTEM_LIB"
	assert_success
	assert_output "loaded
main ran"
	# And the same library, outside secure execution, does act.
	install -m 4755 "$LIB" "$SYSTEM_LIB"
	run env SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		LD_PRELOAD=libsockredir-securetest.so "$LEGACY" hello
	rm -f "$SYSTEM_LIB"
	assert_equal "$status" 69
}

teardown() {
	[[ -z ${SYSTEM_LIB:-} ]] || rm -f "$SYSTEM_LIB"
	[[ -z ${SUID_DIR:-} ]] || rm -rf "$SUID_DIR"
	local pid
	for pid in $PEER_PID $PROG_PID; do
		kill "$pid" 2>/dev/null || true
	done
}

@test "values of 120 KB, in every variable, are rejected with one short line" {
	# The kernel passes at most 128 KiB in one variable (MAX_ARG_STRLEN);
	# the unit tests give the parser 1 MiB.
	local huge
	huge=$(head -c 120000 /dev/zero | tr '\0' 7)
	for variable in MODE PORT BUFFER TIMEOUT LINGER DEBUG STDERR; do
		run env SOCKREDIR_MODE=client "SOCKREDIR_$variable=$huge" LD_PRELOAD="$SHIM" \
			"$LEGACY" hello
		assert_refused 64 "SOCKREDIR_$variable=\"7777"
		(( ${#output} < 300 )) || fail "a ${#output}-byte error line"
	done
	run env SOCKREDIR_MODE=client "SOCKREDIR_HOST=$huge" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_HOST="7777'
	run env SOCKREDIR_MODE=inetd "SOCKREDIR_MAX=$huge" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_MAX="7777'
	run env SOCKREDIR_MODE=inetd "SOCKREDIR_ALLOW=$huge" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_ALLOW: bad entry "7777'
}

@test "binary bytes in every variable are rejected with one escaped line" {
	local binary
	binary=$(printf 'x\001\002\033[31m\n\r\t\177\200\377"\\y')
	for variable in MODE PORT BUFFER TIMEOUT LINGER DEBUG STDERR; do
		run env SOCKREDIR_MODE=client "SOCKREDIR_$variable=$binary" LD_PRELOAD="$SHIM" \
			"$LEGACY" hello
		assert_refused 64 'x\x01\x02\x1b[31m\x0a\x0d\x09\x7f\x80\xff\"\\y"'
	done
	# A host name is not judged by its bytes: it does not resolve.
	run env SOCKREDIR_MODE=client "SOCKREDIR_HOST=$binary" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 68 'SOCKREDIR_HOST="x\x01\x02\x1b[31m\x0a\x0d\x09\x7f\x80\xff\"\\y"'
	run env SOCKREDIR_MODE=client "SOCKREDIR_HOST=unix:/tmp/$binary" LD_PRELOAD="$SHIM" \
		"$LEGACY" hello
	assert_refused 69 'unix:/tmp/x\x01'

	run env SOCKREDIR_MODE=inetd "SOCKREDIR_ALLOW=$binary" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'bad entry "x\x01'
}
