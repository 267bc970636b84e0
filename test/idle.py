# SPDX-License-Identifier: BSD-2-Clause
# idle.py PORT COUNT ADDRESSES READY GATE [TIMEOUT]: COUNT connections to
# 127.0.0.1:PORT, from ADDRESSES source addresses (127.0.0.2 ...) in turn,
# that never send a byte; READY is written once all are connected; then
# wait until GATE exists, or all were closed by the other side; print
# "closed N of COUNT".
import os, select, socket, sys, time
port, count, naddr = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ready, gate = sys.argv[4], sys.argv[5]
limit = time.monotonic() + (float(sys.argv[6]) if len(sys.argv) > 6 else 60)
socks = []
for i in range(count):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % naddr), 0))
    s.connect(("127.0.0.1", port))
    socks.append(s)
open(ready, "w").close()
open_ = {s.fileno(): s for s in socks}
closed = 0
while open_ and not os.path.exists(gate) and time.monotonic() < limit:
    r, _, _ = select.select(list(open_), [], [], 0.05) if len(open_) < 1000 else ([], [], [])
    for fd in r:
        try:
            data = open_[fd].recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            open_.pop(fd).close()
            closed += 1
print("closed %d of %d" % (closed, count), flush=True)
