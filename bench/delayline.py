#!/usr/bin/env python3
"""A wide-area link in user space, for bench/remote: this machine's kernel has
no sch_netem. Run in a namespace of its own between two veth ends (no
addresses, forwarding off): every frame that arrives on one end is sent out
of the other DELAY_MS later, in order. Offloads must be off on every veth end
(ethtool -K … tx off tso off gso off gro off sg off), so each frame is a
whole, checksummed packet.

usage: delayline.py IFACE_A IFACE_B DELAY_MS
"""

import heapq
import socket
import sys
import threading
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def main():
    a, b, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    delay = delay_ms / 1000.0
    socks = {}
    for name in (a, b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks[name] = s
    queue = []  # (due, seq, out_socket, frame)
    cond = threading.Condition()
    seq = [0]

    def reader(src, dst):
        s_in, s_out = socks[src], socks[dst]
        while True:
            frame, addr = s_in.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue  # our own copy of a frame sent out of this end
            with cond:
                seq[0] += 1
                heapq.heappush(queue, (time.monotonic() + delay, seq[0], s_out, frame))
                cond.notify()

    def sender():
        while True:
            with cond:
                while not queue:
                    cond.wait()
                due, _, s_out, frame = queue[0]
                now = time.monotonic()
                if due > now:
                    cond.wait(due - now)
                    continue
                heapq.heappop(queue)
            try:
                s_out.send(frame)
            except OSError:
                pass

    for src, dst in ((a, b), (b, a)):
        threading.Thread(target=reader, args=(src, dst), daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sender()


if __name__ == "__main__":
    main()
