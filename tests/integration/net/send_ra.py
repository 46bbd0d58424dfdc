#!/usr/bin/env python3
"""Sends one IPv6 router advertisement (router lifetime 1800 s, no
options) to all nodes on the interface argv[1]: what a container holding
CAP_NET_RAW can send on its eth0.  The kernel fills in the checksum; the
hop limit must be 255 and the source link-local (it must not be
tentative any more: the kernel then picks it)."""
import socket
import struct
import sys

ifindex = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
# type 134, code 0, checksum, cur hop limit 64, flags 0, router lifetime,
# reachable time, retrans timer
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
s.sendto(ra, ("ff02::1", 0, 0, ifindex))
