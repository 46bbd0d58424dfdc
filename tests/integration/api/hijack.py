#!/usr/bin/env python3
"""A raw client of Docker's hijacked streams (attach, exec start), for
the API tests: what the docker CLI does, with the edges it never shows.

  hijack.py SOCK PATH [--body JSON] [--stdin TEXT] [--shut]
            [--then POST_PATH] [--tty] [--drop-after N | --close-now]
            [--wait-for TEXT] [--timeout S]

Sends POST PATH with Upgrade: tcp, expects 101, then (--then) POSTs to
another path on a second connection (start after attach), reads until
the output holds --wait-for (raw bytes, before deframing), sends --stdin,
half-closes its side (--shut: shutdown(SHUT_WR)), and reads the stream
to EOF.  Without --tty the stream is parsed as stdcopy frames: every
8-byte header must be {1 or 2, 0, 0, 0, big-endian size}.  Prints
"status", "stdout", "stderr" (JSON strings), "frames" and "eof" lines.
--drop-after N closes the socket abruptly once N bytes of output came,
--close-now right after the 101.
Exit status 0, or 2 for a malformed answer (printed on stderr)."""
import argparse
import json
import socket
import struct
import sys
import time


def request(path, body):
    data = body.encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\n"
            f"Upgrade: tcp\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    return head.encode() + data


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


def post(sock_path, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n"
              f"Connection: close\r\n\r\n".encode())
    answer = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        answer += c
    s.close()
    return answer.decode(errors="replace").split("\r\n", 1)[0]


def deframe(raw):
    out = {1: b"", 2: b""}
    frames = 0
    i = 0
    while i < len(raw):
        if len(raw) - i < 8:
            raise ValueError(f"truncated header at byte {i}")
        kind, z1, z2, z3, size = struct.unpack(">BBBBI", raw[i:i + 8])
        if kind not in (1, 2) or (z1, z2, z3) != (0, 0, 0):
            raise ValueError(f"bad header {raw[i:i + 8]!r} at byte {i}")
        if len(raw) - i - 8 < size:
            raise ValueError(f"truncated frame at byte {i}")
        out[kind] += raw[i + 8:i + 8 + size]
        frames += 1
        i += 8 + size
    return out[1], out[2], frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sock")
    ap.add_argument("path")
    ap.add_argument("--body", default="")
    ap.add_argument("--stdin", default=None)
    ap.add_argument("--shut", action="store_true")
    ap.add_argument("--then", default=None)
    ap.add_argument("--tty", action="store_true")
    ap.add_argument("--drop-after", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--close-now", action="store_true")
    ap.add_argument("--wait-for", default=None)
    a = ap.parse_args()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.sock)
    s.settimeout(a.timeout)
    s.sendall(request(a.path, a.body))
    head = read_head(s)
    status = head.split("\r\n", 1)[0]
    print("status", json.dumps(status))
    if " 101 " not in status + " ":
        print(head, file=sys.stderr)
        return 2
    if a.then:
        print("then", json.dumps(post(a.sock, a.then)))
    if a.close_now:
        s.close()
        print("closed")
        return 0
    raw = b""
    deadline = time.time() + a.timeout
    while a.wait_for and a.wait_for.encode() not in raw:
        c = s.recv(65536) if time.time() < deadline else b""
        if not c:
            print("no", json.dumps(a.wait_for), "before the end", file=sys.stderr)
            return 2
        raw += c
    if a.stdin is not None:
        s.sendall(a.stdin.encode())
    if a.shut:
        s.shutdown(socket.SHUT_WR)
    eof = False
    while time.time() < deadline:
        try:
            c = s.recv(65536)
        except socket.timeout:
            break
        if not c:
            eof = True
            break
        raw += c
        if a.drop_after and len(raw) >= a.drop_after:
            # Abruptly: no shutdown, unread data discarded.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
            print("dropped", len(raw))
            return 0
    s.close()
    if a.tty:
        out, err, frames = raw, b"", 0
    else:
        try:
            out, err, frames = deframe(raw)
        except ValueError as e:
            print("malformed stream:", e, repr(raw[:200]), file=sys.stderr)
            return 2
    print("stdout", json.dumps(out.decode(errors="replace")))
    print("stderr", json.dumps(err.decode(errors="replace")))
    print("frames", frames)
    print("eof", "yes" if eof else "no")
    return 0


if __name__ == "__main__":
    sys.exit(main())
