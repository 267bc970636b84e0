#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The recipes of docs/deploy.md, run: the systemd units as systemd would run
# them (systemd-socket-activate with the units' own settings), checked by
# systemd-analyze verify; why KillMode=mixed; a low port by capability;
# HAProxy terminating TLS in front of an inetd listener (PROXY v2).

load service

DEPLOY="$ROOT/docs/deploy"

# unit_values UNIT KEY: every value of KEY= in a unit file, one a line.
unit_values() {
	sed -n "s/^$2=//p" "$1"
}

# unit_settings UNIT: the unit's Environment= assignments as -E options,
# with the installed library's path replaced by the one under test.
unit_settings() {
	local line assignment
	SETTINGS=()
	while read -r line; do
		for assignment in $line; do
			[[ $assignment == LD_PRELOAD=* ]] && assignment="LD_PRELOAD=$SHIM"
			SETTINGS+=(-E "$assignment")
		done
	done < <(unit_values "$1" Environment)
}

# run_unit SOCKET SERVICE [--inetd]: the pair as systemd runs it, on a free
# port instead of the unit's; PORT and LISTENER are set.
run_unit() {
	require_tool systemd-socket-activate systemd
	local socket=$1 service=$2 accept=()
	[[ $(unit_values "$DEPLOY/$socket" Accept) == yes ]] && accept=(-a --inetd)
	unit_settings "$DEPLOY/$service"
	PORT=$(free_port)
	# shellcheck disable=SC2046
	start_program -- systemd-socket-activate -l "127.0.0.1:$PORT" "${accept[@]}" \
		"${SETTINGS[@]}" $(unit_values "$DEPLOY/$service" ExecStart)
	LISTENER=$PROG_PID
	wait_until grep -qs "^Listening on" "$T/prog.err"
}

@test "systemd-analyze verify accepts every unit of docs/deploy, and would refuse a broken one" {
	require_tool systemd-analyze systemd
	local unit
	for unit in "$DEPLOY"/*.socket "$DEPLOY"/*.service; do
		run systemd-analyze verify "$unit"
		assert_success
		assert_output ""
	done
	sed 's|^ExecStart=.*|ExecStart=/no/such/program|' "$DEPLOY/sockredir-bc.service" >"$T/broken.service"
	run systemd-analyze verify "$T/broken.service"
	assert_failure
}

@test "sockredir-bc.socket and .service (Accept=no, inetd mode): bc converses with two clients at once" {
	run_unit sockredir-bc.socket sockredir-bc.service
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:2+3 expect:5 "touch:$T/one" "gate:$T/go" \
		'send:6*7' expect:42 shut eof &
	PEER_PID=$!
	wait_until [ -e "$T/one" ]
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:2^10 expect:1024 shut eof
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	stop_listener
	run grep -c "^sockredir: inetd: pid" "$T/prog.err"
	assert_output 2
}

@test "sockredir-bc-attach.socket and @.service (Accept=yes, attach mode): bc converses" {
	run_unit sockredir-bc-attach.socket sockredir-bc-attach@.service
	"$PEER" -t 10 -n 3 connect 127.0.0.1 "$PORT" send:2+3 expect:5 'send:6*7' expect:42 shut eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "why KillMode=mixed: SIGTERM to the listener alone lets a conversation finish; to every process (control-group) it is cut" {
	run_unit sockredir-bc.socket sockredir-bc.service
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:1+1 expect:2 "touch:$T/one" "gate:$T/go" \
		'send:6*7' expect:42 shut eof 2>"$T/mixed.err" &
	PEER_PID=$!
	wait_until [ -e "$T/one" ]
	kill -TERM "$LISTENER"	# mixed: the main process only
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0

	run_unit sockredir-bc.socket sockredir-bc.service
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:1+1 expect:2 "touch:$T/two" "gate:$T/go2" \
		'send:6*7' expect:42 shut eof 2>"$T/group.err" &
	PEER_PID=$!
	wait_until [ -e "$T/two" ]
	# shellcheck disable=SC2046
	kill -TERM "$LISTENER" $(pgrep -P "$LISTENER")	# control-group: every process
	touch "$T/go2"
	local status=0
	wait "$PEER_PID" || status=$?
	PEER_PID=
	assert_equal "$status" 1
	run cat "$T/group.err"
	assert_output --regexp "EOF where \[42\] was expected|reset by peer"
	wait_prog
}

# listening_as PORT PID: PID itself listens on PORT (seen with ss).
listening_as() {
	ss -Hltnp "sport = :$1" | grep -q "pid=$2,"
}

listening_or_gone() {
	listening_as "$1" "$2" || ! alive "$2"
}

@test "AmbientCapabilities=CAP_NET_BIND_SERVICE: an unprivileged listener binds a low port, and the shim still loads" {
	require_tool setpriv util-linux
	[[ $(id -u) -eq 0 ]] || skip "needs root to drop to another user"
	# A low port has no free_port: try random ones in 700-999 until our
	# own listener holds one (another suite running this test at the same
	# time may take a port between our look and our bind; then ours ends
	# with "address in use" and we try another).
	local port= try
	for try in $(seq 20); do
		try=$((700 + RANDOM % 300))
		[[ -z $(ss -Hltn "sport = :$try") ]] || continue
		# What User= and AmbientCapabilities= do, done by setpriv.
		start_program -- setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
			env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 \
			SOCKREDIR_PORT="$try" /usr/bin/bc -q
		LISTENER=$PROG_PID
		wait_until listening_or_gone "$try" "$LISTENER"
		if listening_as "$try" "$LISTENER"; then
			port=$try
			break
		fi
		wait_prog
		grep -q "in use" "$T/prog.err" || fail "the listener ended: $(cat "$T/prog.err")"
	done
	[[ -n $port ]] || fail "no low port could be bound"
	PORT=$port
	"$PEER" -t 10 connect 127.0.0.1 "$port" send:3*3 expect:9 shut eof
	assert_equal "$(ps -o user= -p "$LISTENER")" nobody
	stop_listener
}

@test "docs/deploy/xinetd-bc.conf (attach mode under xinetd): bc converses as nobody" {
	require_tool xinetd xinetd
	[[ $(id -u) -eq 0 ]] || skip "xinetd's user = nobody needs root"
	PORT=$(free_port)
	sed -e "s|port        = 9000|port        = $PORT|" \
		-e "s|LD_PRELOAD=/usr/local/lib/libsockredir.so|LD_PRELOAD=$SHIM|" \
		"$DEPLOY/xinetd-bc.conf" >"$T/xinetd.conf"
	start_program -- xinetd -dontfork -pidfile "$T/xinetd.pid" -f "$T/xinetd.conf"
	LISTENER=$PROG_PID
	wait_listening "$PORT"
	"$PEER" -t 10 -n 3 connect 127.0.0.1 "$PORT" send:2+3 expect:5 'send:6*7' expect:42 shut eof
	kill -TERM "$LISTENER"
	wait_prog
}

# tls_block PREFIX: the command block (indented, "#>" lines left out) of
# docs/deploy.md's TLS section that begins with PREFIX.
tls_block() {
	"$PYTHON" - "$ROOT/docs/deploy.md" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = text[text.index("\n## TLS:"):]
for block in re.findall(r"(?:^    .*\n)+", text, re.M):
    lines = [line[4:] for line in block.splitlines()]
    if lines[0].startswith(sys.argv[2]):
        print("\n".join(line for line in lines if not line.startswith("#>")))
        break
else:
    sys.exit("docs/deploy.md: no command block beginning " + sys.argv[2])
PY
}

@test "docs/deploy/haproxy-tls.cfg: HAProxy terminates TLS before an inetd listener; s_client's own address and port reach the program, bc answers" {
	require_tool haproxy haproxy
	require_tool openssl openssl
	local block listen_port front source greeting answer status=0
	# The page's certificate, made as the page says, in the test's directory.
	block=$(tls_block 'openssl req')
	(cd "$T" && sh -e -c "$block") >"$T/openssl.out" 2>&1 || fail "$(cat "$T/openssl.out")"
	[[ -s $T/calc.pem ]]
	# The page's listener and HAProxy lines, on free loopback ports.
	listen_port=$(free_port)
	front=$(free_port)
	block=$(tls_block 'SOCKREDIR_MODE=inetd')
	printf 'exec env %s\n' "$block" | sed -e "s|/usr/local/lib/libsockredir.so|$SHIM|" \
		-e "s/SOCKREDIR_PORT=9001 /SOCKREDIR_PORT=$listen_port /" >"$T/listener.sh"
	grep -q "SOCKREDIR_PORT=$listen_port .*SOCKREDIR_PROXY=1" "$T/listener.sh"
	mkdir -p "$T/haproxy"
	start_program -- sh "$T/listener.sh"
	LISTENER=$PROG_PID
	block=$(tls_block 'SOCKREDIR_FRONT=')
	printf 'cd %s && exec env %s\n' "$T" "$block" | sed -e "s/0\.0\.0\.0:9000/127.0.0.1:$front/" \
		-e "s/127\.0\.0\.1:9001/127.0.0.1:$listen_port/" -e "s|docs/deploy/|$DEPLOY/|" >"$T/haproxy.sh"
	grep -q "haproxy -f $DEPLOY/haproxy-tls.cfg" "$T/haproxy.sh"
	T="$T/haproxy" start_program -- sh "$T/haproxy.sh"
	# (as PEER_PID and PROG_PID, teardown ends both if the test fails)
	PEER_PID=$PROG_PID PROG_PID=$LISTENER
	wait_listening "$listen_port"
	wait_listening "$front"
	# The TLS client from an address and port of its own, checking the
	# certificate; the program speaks first.
	source=$(free_port 127.0.0.2)
	coproc TLS { exec openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$front" \
		-bind "127.0.0.2:$source" -CAfile "$T/calc.crt" -verify_return_error \
		-verify_hostname calc.example 2>"$T/s_client.err"; }
	local tls_pid=$TLS_PID tls_in=${TLS[1]} tls_out=${TLS[0]}
	read -r -t 20 -u "$tls_out" greeting || true
	echo '6*7' >&"$tls_in"
	read -r -t 20 -u "$tls_out" answer || true
	exec {tls_in}>&-
	wait "$tls_pid" || status=$?
	kill -TERM "$PEER_PID"
	wait "$PEER_PID" || true
	PEER_PID=
	stop_listener
	assert_equal "$greeting" "hello 127.0.0.2 port $source"
	assert_equal "$answer" 42
	assert_equal "$status" 0
	grep -q "verify return:1" "$T/s_client.err" || fail "the certificate was not verified"
}

@test "docs/deploy.md shows each file of docs/deploy it names exactly as it is" {
	run "$PYTHON" - "$ROOT/docs/deploy.md" "$DEPLOY" <<'PY'
import os, re, sys
text, folder = open(sys.argv[1]).read(), sys.argv[2]
shown = re.findall(r"^`docs/deploy/([^`]+)`:\n\n```[a-z]*\n(.*?)```\n", text, re.M | re.S)
for name, block in shown:
    if open(os.path.join(folder, name)).read() != block:
        print("differs: " + name)
missing = sorted(set(os.listdir(folder)) - {name for name, _ in shown})
print("shown: %d; not shown: %s" % (len(shown), " ".join(missing) or "none"))
PY
	assert_success
	assert_output "shown: 8; not shown: none"
}
