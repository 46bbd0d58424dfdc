#!/usr/bin/env python3
"""DNS client, fake upstream and hostile-packet sender for dns_server.bats.

  dns_tool.py query SERVER NAME TYPE [--src IP] [--tcp] [--timeout S]
      prints "RCODE [flags] TYPE VALUE..." (one line), e.g.
      "NOERROR aa A 127.0.53.10"; "TIMEOUT" when nothing came back
  dns_tool.py upstream ADDR NAME IP [--silent] [--forge]
      answers NAME A IP, anything else NXDOMAIN; --silent: reads and never
      answers (an upstream that is down without saying so); --forge:
      first answers NAME A 6.6.6.6 with a wrong id and for another
      question, as a spoofer would (printing "forged").  Over TCP too;
      big.test has 40 A records: over UDP only a truncated answer (TC)
  dns_tool.py hostile SERVER --src IP
      sends malformed packets (UDP and TCP); prints what came back for
      those that must be answered
"""
import argparse
import random
import socket
import struct
import sys
import threading

TYPES = {"A": 1, "PTR": 12, "AAAA": 28, "MX": 15, "TXT": 16}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(name, qtype, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return hdr + encode_name(name) + struct.pack("!HH", qtype, 1)


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            jumped = True
            off = ((n & 0x3F) << 8) | msg[off + 1]
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n
    raise ValueError("loop")


def describe(msg):
    qid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    words = [RCODES.get(flags & 0xF, str(flags & 0xF))]
    if flags & 0x0400:
        words.append("aa")
    if flags & 0x0200:
        words.append("tc")
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    for _ in range(an):
        _, off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1:
            words += ["A", socket.inet_ntop(socket.AF_INET, rdata)]
        elif rtype == 28:
            words += ["AAAA", socket.inet_ntop(socket.AF_INET6, rdata)]
        elif rtype == 12:
            words += ["PTR", read_name(msg, off)[0]]
        else:
            words += [str(rtype), rdata.hex()]
        off += rdlen
    return words


def exchange(server, packet, src, tcp, timeout):
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        if tcp:
            s.connect((server, 53))
            s.sendall(struct.pack("!H", len(packet)) + packet)
            ln = struct.unpack("!H", recv_exact(s, 2))[0]
            return recv_exact(s, ln)
        s.sendto(packet, (server, 53))
        return s.recvfrom(65535)[0]


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def cmd_query(a):
    qid = random.randrange(65536)
    try:
        reply = exchange(a.server, build_query(a.name, TYPES[a.type], qid),
                         a.src, a.tcp, a.timeout)
    except (socket.timeout, ConnectionError):
        print("TIMEOUT")
        return 1
    if struct.unpack("!H", reply[:2])[0] != qid:
        print("BADID")
        return 1
    print(" ".join(describe(reply)))
    return 0


def upstream_answer(a, msg, send):
    """The fake upstream's reply to msg, given to send (None: silence)."""
    if a.silent or len(msg) < 12:
        return
    qid = struct.unpack("!H", msg[:2])[0]
    name, off = read_name(msg, 12)
    qtype = struct.unpack("!H", msg[off:off + 2])[0]
    question = msg[12:off + 4]
    if a.forge and name.lower() == a.name.lower():
        evil = socket.inet_aton("6.6.6.6")
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + evil
        for fid, q in ((qid ^ 1, question),
                       (qid, encode_name("evil.test") + b"\0\1\0\1")):
            send(struct.pack("!HHHHHH", fid, 0x8180, 1, 1, 0, 0) + q + rr)
        print("forged", flush=True)
    if name.lower() == "big.test" and qtype == 1:
        if send.udp:
            hdr = struct.pack("!HHHHHH", qid, 0x8380, 1, 0, 0, 0)  # TC
            send(hdr + question)
            return
        rrs = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
                       bytes([10, 0, 0, i]) for i in range(1, 41))
        send(struct.pack("!HHHHHH", qid, 0x8180, 1, 40, 0, 0) + question + rrs)
    elif name.lower() == a.name.lower() and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + \
            socket.inet_aton(a.ip)
        send(struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + rr)
    else:
        send(struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question)


def upstream_tcp(a, ls):
    while True:
        c, _ = ls.accept()
        with c:
            try:
                ln = struct.unpack("!H", recv_exact(c, 2))[0]
                msg = recv_exact(c, ln)
            except ConnectionError:
                continue

            def send(b, c=c):
                c.sendall(struct.pack("!H", len(b)) + b)
            send.udp = False
            upstream_answer(a, msg, send)


def cmd_upstream(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, 53))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, 53))
    ls.listen(8)
    threading.Thread(target=upstream_tcp, args=(a, ls), daemon=True).start()
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)

        def send(b, peer=peer):
            s.sendto(b, peer)
        send.udp = True
        upstream_answer(a, msg, send)


def hostile_packets():
    hdr = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    tail = struct.pack("!HH", 1, 1)
    return {
        # answered with FORMERR
        "loop": hdr + b"\xc0\x0c" + tail,
        "forward-pointer": hdr + b"\xc0\x20" + tail + b"\0" * 32,
        "truncated-name": hdr + b"\x05ab",
        "label-64": hdr + b"\x40" + b"a" * 64 + b"\0" + tail,
        "name-256": hdr + (b"\x3f" + b"a" * 63) * 4 + b"\0" + tail,
        "qdcount-2": struct.pack("!HHHHHH", 0x4242, 0x0100, 2, 0, 0, 0) +
        encode_name("a") + tail,
        "qdcount-0": struct.pack("!HHHHHH", 0x4242, 0x0100, 0, 0, 0, 0),
        "ancount-1": struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 1, 0, 0) +
        encode_name("a") + tail,
        "no-type": hdr + encode_name("a"),
        # dropped
        "short": b"\x42\x42\x01",
        "response": struct.pack("!HHHHHH", 0x4242, 0x8100, 1, 0, 0, 0) +
        encode_name("a") + tail,
        "empty": b"",
    }


def cmd_hostile(a):
    random.seed(15)
    for name, pkt in hostile_packets().items():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((a.src, 0))
            s.settimeout(0.3)
            s.sendto(pkt, (a.server, 53))
            try:
                words = describe(s.recvfrom(65535)[0])
            except socket.timeout:
                words = ["DROPPED"]
            print(name, " ".join(words))
    for _ in range(300):  # random garbage, some with a valid header
        pkt = bytes(random.randrange(256) for _ in range(random.randrange(64)))
        if random.random() < 0.5:
            pkt = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + pkt
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((a.src, 0))
            s.sendto(pkt, (a.server, 53))
    # TCP: a length prefix promising more than comes, then hanging up, and
    # a zero length.
    for pkt in (b"\xff\xff\x00\x01", b"\x00\x00", b"\x00"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((a.src, 0))
            s.connect((a.server, 53))
            s.sendall(pkt)
    print("sent")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("query")
    q.add_argument("server")
    q.add_argument("name")
    q.add_argument("type", choices=TYPES)
    q.add_argument("--src")
    q.add_argument("--tcp", action="store_true")
    q.add_argument("--timeout", type=float, default=5.0)
    u = sub.add_parser("upstream")
    u.add_argument("addr")
    u.add_argument("name")
    u.add_argument("ip")
    u.add_argument("--silent", action="store_true")
    u.add_argument("--forge", action="store_true")
    h = sub.add_parser("hostile")
    h.add_argument("server")
    h.add_argument("--src", required=True)
    a = p.parse_args()
    return {"query": cmd_query, "upstream": cmd_upstream,
            "hostile": cmd_hostile}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
