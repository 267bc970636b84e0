#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Language runtimes that buffer output their own way, as the README's table
# says.  Python is handled by the shim (see programs.bats); these document
# the rest.  A runtime that is not installed is skipped.

load helper

# converse NAME PROGRAM...: two request lines, each answered "NAME: line".
# The peer waits up to 30 s for each (PEER_TIMEOUT): a JVM that compiles its
# source first takes seconds to answer on a loaded machine (5 s was seen to
# run out); the stall tests set 1 s, where a stall is what they expect.
converse() {
	local name=$1
	shift
	PEER_TIMEOUT=${PEER_TIMEOUT:-30} start_peer 127.0.0.1 send:a "expect:$name: a" \
		send:b "expect:$name: b" shut eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$@"
	wait_peer
	wait_prog
}

@test "Perl buffers its own STDOUT: without help its dialog stalls" {
	command -v perl >/dev/null || skip "perl not installed"
	PEER_TIMEOUT=1 converse perl perl -ne 'print "perl: $_"'
	assert_equal "$PEER_STATUS" 1
	run cat "$T/peer.err"
	assert_output --partial "timed out"
}

@test "Perl with PERLIO=:stdio uses C stdio, which the shim line-buffers: it converses" {
	command -v perl >/dev/null || skip "perl not installed"
	converse perl env PERLIO=:stdio perl -ne 'print "perl: $_"'
	assert_equal "$PEER_STATUS" 0
}

@test "Java's System.out.println converses unmodified" {
	command -v java >/dev/null || skip "java not installed"
	skip_if_sanitized
	cat >"$T/Echo.java" <<'JAVA'
public class Echo {
	public static void main(String[] args) throws Exception {
		java.io.BufferedReader in = new java.io.BufferedReader(
		    new java.io.InputStreamReader(System.in));
		for (String line; (line = in.readLine()) != null; )
			System.out.println("java: " + line);
	}
}
JAVA
	converse java java "$T/Echo.java"
	assert_equal "$PEER_STATUS" 0
}

@test "Node's console.log converses unmodified" {
	command -v node >/dev/null || skip "node not installed"
	skip_if_sanitized
	converse node node -e \
		'require("readline").createInterface({input: process.stdin}).on("line", l => console.log("node: " + l))'
	assert_equal "$PEER_STATUS" 0
}

@test "C++ iostreams ('\n', no endl) converse with line and with auto buffering" {
	[[ -x $BIN/reply_cxx ]] || skip "no C++ compiler: build/test/reply_cxx not built"
	for buffer in line auto; do
		PEER_TIMEOUT=20 start_peer 127.0.0.1 send:a 'expect:result a' 'expect:status ok' \
			send:b 'expect:result b' 'expect:status ok' shut eof
		start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_BUFFER=$buffer -- "$BIN/reply_cxx"
		wait_both
	done
}
