#!/usr/bin/env python3
"""A client of the hijacked streams that reads as docker-py does: the
101 head through http.client (a buffered reader over the socket), then
the stream from the raw socket under that reader.  Bytes the reader took
beyond the head are lost, as they are for docker-py, so a server that
sends output before the client has read the head loses it.

  buffered.py SOCK exec CTR CMD_JSON N   N execs of CMD in CTR, each
                                         created and started (no TTY)
  buffered.py SOCK attach PATH           one POST PATH (an attach)

Prints, per stream, "stdout JSON" and "stderr JSON" (the deframed
output) and, for exec, "lost K" (how many of the N got no output).
Exit status 0, or 2 for a malformed answer (printed on stderr)."""
import http.client
import json
import socket
import struct
import sys


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=20)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def call(sock, method, path, body=None, upgrade=False):
    conn = UnixConnection(sock)
    headers = {"Content-Type": "application/json"}
    if upgrade:
        headers.update({"Connection": "Upgrade", "Upgrade": "tcp"})
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers=headers)
    return conn, conn.getresponse()


def read_exact(raw, n):
    """n bytes from the raw socket (fewer at EOF), as docker-py's read."""
    buf = b""
    while len(buf) < n:
        chunk = raw.read(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def read_stream(resp):
    """The frames after the head, from the socket under the reader (what
    docker-py's _get_raw_response_socket hands its frame reader)."""
    if resp.status != 101:
        print(resp.status, resp.read(), file=sys.stderr)
        sys.exit(2)
    raw = resp.fp.raw
    out = {1: b"", 2: b""}
    while True:
        hdr = read_exact(raw, 8)
        if not hdr:
            break
        if len(hdr) < 8:
            print("truncated header", repr(hdr), file=sys.stderr)
            sys.exit(2)
        kind, size = struct.unpack(">BxxxL", hdr)
        if kind not in (1, 2):
            print("bad header", repr(hdr), file=sys.stderr)
            sys.exit(2)
        out[kind] += read_exact(raw, size)
    return out[1], out[2]


def show(out, err):
    print("stdout", json.dumps(out.decode(errors="replace")))
    print("stderr", json.dumps(err.decode(errors="replace")))


def main():
    sock, mode = sys.argv[1], sys.argv[2]
    if mode == "attach":
        conn, resp = call(sock, "POST", sys.argv[3], upgrade=True)
        show(*read_stream(resp))
        conn.close()
        return 0
    ctr, cmd, n = sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])
    lost = 0
    for _ in range(n):
        conn, resp = call(sock, "POST", f"/containers/{ctr}/exec",
                          {"Cmd": cmd, "AttachStdout": True,
                           "AttachStderr": True})
        exec_id = json.loads(resp.read())["Id"]
        conn.close()
        conn, resp = call(sock, "POST", f"/exec/{exec_id}/start",
                          {"Detach": False, "Tty": False}, upgrade=True)
        out, err = read_stream(resp)
        conn.close()
        show(out, err)
        if not out and not err:
            lost += 1
    print("lost", lost)
    return 0


if __name__ == "__main__":
    sys.exit(main())
