#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for the bad-input tests.

  fakereg.py LAYOUT PORTFILE FAULT

Serves the OCI layout LAYOUT read-only over the distribution API on
127.0.0.1 (a free port, written to PORTFILE), injecting FAULT:
  none            behave
  hang-manifest   accept manifest requests and never answer
  hang-blob       send half of each layer blob, then stall
  drop-blob       send half of each layer blob, then close the connection
  corrupt-blob    layer blobs with one byte changed (same length)
  truncate-blob   layer blobs cut in half (Content-Length says so)
  big-manifest    manifests padded with whitespace to 5 MiB
  wrong-type      manifests served with an image index Content-Type
Every stall is bounded (20 s) so a broken test cannot hang CI.
"""
import http.server
import json
import os
import socketserver
import sys
import time

LAYOUT, PORTFILE, FAULT = sys.argv[1], sys.argv[2], sys.argv[3]
STALL = 20


def blob_path(digest):
    return os.path.join(LAYOUT, "blobs", "sha256", digest.split(":", 1)[1])


def find_manifest(ref):
    with open(os.path.join(LAYOUT, "index.json")) as f:
        index = json.load(f)
    for d in index["manifests"]:
        name = d.get("annotations", {}).get("org.opencontainers.image.ref.name")
        if ref in (name, d["digest"]):
            return d
    return None


def is_layer(digest):
    """Config and manifest blobs are JSON; layers are the rest."""
    with open(blob_path(digest), "rb") as f:
        return not f.read(1) == b"{"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", ctype="application/json", length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length",
                         str(len(body) if length is None else length))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.wfile.flush()

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = self.path.split("/")
        if self.path == "/v2/":
            return self.send(200, b"{}")
        if len(parts) >= 5 and parts[-2] == "manifests":
            return self.manifest(parts[-1])
        if len(parts) >= 5 and parts[-2] == "blobs":
            return self.blob(parts[-1])
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    def manifest(self, ref):
        if FAULT == "hang-manifest":
            time.sleep(STALL)
            return
        d = find_manifest(ref)
        if d is None:
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN",'
                                  b'"message":"manifest unknown"}]}')
        with open(blob_path(d["digest"]), "rb") as f:
            body = f.read()
        ctype = d["mediaType"]
        if FAULT == "big-manifest":
            body = body + b" " * (5 << 20)
        if FAULT == "wrong-type":
            ctype = "application/vnd.oci.image.index.v1+json"
        self.send(200, body, ctype)

    def blob(self, digest):
        try:
            with open(blob_path(digest), "rb") as f:
                body = f.read()
        except (FileNotFoundError, IndexError):
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if not is_layer(digest) or FAULT in ("none", "big-manifest",
                                             "wrong-type", "hang-manifest"):
            return self.send(200, body, "application/octet-stream")
        half = len(body) // 2
        if FAULT == "corrupt-blob":
            body = body[:half] + bytes([body[half] ^ 0xFF]) + body[half + 1:]
            return self.send(200, body, "application/octet-stream")
        if FAULT == "truncate-blob":
            return self.send(200, body[:half], "application/octet-stream")
        # hang-blob and drop-blob: promise everything, deliver half
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:half])
        self.wfile.flush()
        if FAULT == "hang-blob":
            time.sleep(STALL)
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    deadline = time.time() + 600  # never outlive a test run
    srv.timeout = 1
    while time.time() < deadline:
        srv.handle_request()


if __name__ == "__main__":
    main()
