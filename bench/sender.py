#!/usr/bin/env python3
"""Loopback line sender for bench/run.sh: listens on a free 127.0.0.1 port, accepts ONE
connection, sends exactly N lines `0\\n1\\n...10\\n` (the seed's values; with --json, JSON
objects `{"user":"user7","bytes":1234}` of 1,000 users) and closes.

Costs almost no CPU: the lines are built once into a buffer of a few MB and `sendall`ed
repeatedly. With --rate R it sends about R lines/s in slices every 50 ms (absolute schedule).

    sender.py N --port-file F --times-file T [--rate R] [--wait-s S] [--json]

Writes the port to F as soon as it listens (so the reader can be started), and, when done,
"first_send_epoch_s last_send_done_epoch_s lines" to T.
"""
import argparse
import socket
import sys
import time

VALUES = [str(v).encode() + b"\n" for v in range(11)]
if "--json" in sys.argv:
    VALUES = [
        b'{"user":"user%d","bytes":%d}\n' % (u, u * 37 % 1500) for u in range(1000)
    ]
CYCLE = b"".join(VALUES)


def lines_bytes(n):
    """The bytes of n consecutive lines starting at value 0."""
    full, rest = divmod(n, len(VALUES))
    return CYCLE * full + b"".join(VALUES[:rest])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines", type=int)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--times-file", required=True)
    ap.add_argument("--rate", type=float, default=0.0, help="lines/s; 0 = as fast as possible")
    ap.add_argument("--wait-s", type=float, default=60.0, help="how long to wait for the reader")
    ap.add_argument("--json", action="store_true", help="JSON lines of 1,000 users")
    a = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(a.wait_s)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        sys.exit(f"sender.py: no reader connected within {a.wait_s} s")
    srv.close()  # the reader's reconnects are refused from now on
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)

    block_lines = len(VALUES) * (2_200_000 // len(VALUES))  # ~2.2 M lines, whole cycles
    block = lines_bytes(block_lines)
    left = a.lines
    first = time.time()
    if a.rate <= 0:
        while left >= block_lines:
            conn.sendall(block)
            left -= block_lines
        conn.sendall(lines_bytes(left))
    else:
        slice_s = 0.05
        per_slice = max(len(VALUES), int(a.rate * slice_s) // len(VALUES) * len(VALUES))
        chunk = lines_bytes(per_slice)
        start = time.monotonic()
        k = 0
        while left > 0:
            if left >= per_slice:
                conn.sendall(chunk)
                left -= per_slice
            else:
                conn.sendall(lines_bytes(left))
                left = 0
            k += 1
            delay = start + k * slice_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    done = time.time()
    conn.shutdown(socket.SHUT_WR)
    conn.close()
    with open(a.times_file, "w") as f:
        f.write(f"{first:.6f} {done:.6f} {a.lines}\n")


if __name__ == "__main__":
    sys.exit(main())
