#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make demo: the seed's five dialogs (Programming Python, ch. 12), live, with
# an unmodified C program that never calls fflush playing the seed's client.
# The other side is the test peer, playing the seed's server; both print what
# the seed's script prints, so the program's lines say "client" and the
# peer's "server" whichever of them listens (in dialog 4 the program does).
set -eu
cd "$(dirname "$0")/.."
# (A lane of another platform, test/lane.sh, names its own build.)
LIB=${SOCKREDIR_TEST_PRELOAD:-${SOCKREDIR_LIB:-$PWD/build/libsockredir.so}}
PEER=${SOCKREDIR_TEST_PEER:-build/test/peer}
LEGACY=${SOCKREDIR_TESTBIN:-build/test}/legacy

# The client may start before its server: SOCKREDIR_TIMEOUT retries the connect.
client() {
	mode=$1 port=$2
	shift 2
	env SOCKREDIR_MODE="$mode" SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
	    SOCKREDIR_TIMEOUT=5 LD_PRELOAD="$LIB" "$@"
}
dialog() {
	printf '\n== dialog %s: %s\n' "$1" "$2"
	port=$($PEER freeport 127.0.0.1)
}

dialog 1 "client output to the server (mode out)"
$PEER -t 10 listen 127.0.0.1 "$port" \
    recv 'print:server {pid} got [{line}]' recv 'print:server {pid} got [{line}]' \
    recv 'print:server {pid} got [{line}]' eof &
client out "$port" $LEGACY 1
wait

dialog 2 "server output to the client's input (mode in)"
$PEER -t 10 listen 127.0.0.1 "$port" \
    'send:server {pid}: 0' 'send:server {pid}: 1' 'send:server {pid}: 2' eof &
client in "$port" $LEGACY 2
wait

dialog 3 "client prints, then reads the reply (mode client); replies on stderr"
$PEER -t 10 listen 127.0.0.1 "$port" \
    recv 'send:server {pid} got [{line}]' recv 'send:server {pid} got [{line}]' \
    recv 'send:server {pid} got [{line}]' eof &
client client "$port" $LEGACY 3 2>&1
wait

dialog 4 "roles swapped: the seed's client listens (mode server), its server connects"
env SOCKREDIR_MODE=server SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
    SOCKREDIR_TIMEOUT=10 LD_PRELOAD="$LIB" $LEGACY 4 &
$PEER -t 10 connect 127.0.0.1 "$port" \
    'send:server {pid}: 0' recv 'print:server {pid} got [{line}]' \
    'send:server {pid}: 1' recv 'print:server {pid} got [{line}]' \
    'send:server {pid}: 2' recv 'print:server {pid} got [{line}]' eof
wait

dialog 5 "the server speaks first (mode client)"
$PEER -t 10 listen 127.0.0.1 "$port" \
    'send:server {pid}: 0' recv 'print:server {pid} got [{line}]' \
    'send:server {pid}: 1' recv 'print:server {pid} got [{line}]' \
    'send:server {pid}: 2' recv 'print:server {pid} got [{line}]' eof &
client client "$port" $LEGACY 5
wait
printf '\nAll five dialogs ran on an unmodified program with no flush calls.\n'
