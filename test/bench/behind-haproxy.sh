#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# behind-haproxy.sh PORT PROXY PROGRAM ARG...: the bench's PROXY rows.  HAProxy
# on PORT, configured by docs/deploy/haproxy.cfg, in front of two sockredir
# inetd listeners running PROGRAM; PROXY=1 keeps the file's send-proxy-v2 and
# sets SOCKREDIR_PROXY=1, PROXY=0 removes both, so the two rows differ only
# by the header.  SIGTERM ends HAProxy and both listeners, by PID.
set -u
port=$1 proxy=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
lib=$root/build/libsockredir.so
out=${BENCH_OUT:-$root/build/bench}
pids=()
stop_all() {
	kill "${pids[@]}" 2>/dev/null
	wait
	exit 0
}
trap stop_all TERM INT
backends=()
for _ in 1 2; do
	backend=$("$root/build/test/peer" freeport 127.0.0.1)
	env LD_PRELOAD="$lib" SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$backend" SOCKREDIR_PROXY="$proxy" "$@" 2>>"$out/behind-haproxy.err" &
	pids+=($!)
	backends+=("127.0.0.1:$backend")
done
# HAProxy starts once both listen, so that no session meets a missing backend.
for backend in "${backends[@]}"; do
	for _ in $(seq 200); do
		[[ -n $(ss -Hltn "sport = :${backend#*:}") ]] && break
		sleep 0.05
	done
done
config=$out/haproxy-$proxy.cfg
if [[ $proxy == 1 ]]; then
	cp "$root/docs/deploy/haproxy.cfg" "$config"
else
	sed 's/ send-proxy-v2//' "$root/docs/deploy/haproxy.cfg" >"$config"
fi
SOCKREDIR_FRONT="127.0.0.1:$port" SOCKREDIR_LISTENER1=${backends[0]} \
SOCKREDIR_LISTENER2=${backends[1]} haproxy -db -f "$config" 2>>"$out/behind-haproxy.err" &
pids+=($!)
wait
