#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for the bad-input tests.

  fakereg.py LAYOUT PORTFILE FAULT [CERT KEY]

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

Faults about where credentials go.  The registry then wants a Bearer token
(Basic alice:s3cret buys one at a token endpoint), and "another host"
listens on 127.0.0.2: OTHER (https when CERT/KEY are given, its port in
PORTFILE.other) and PLAIN (always plain HTTP, PORTFILE.plain).  Both also
issue tokens the registry accepts, so an honoured realm there works.
  auth-same-realm    the challenge's realm is the registry's own /token
  auth-other-realm   the realm is on OTHER (as Docker Hub's auth.docker.io)
  auth-http-realm    the realm is plain http on PLAIN
  redirect-ok        layer blobs: 307 to OTHER, which serves them
  redirect-401       layer blobs: 307 to OTHER, which answers 401 with its
                     own Bearer challenge (realm on OTHER): the credentials
                     must never be sent there
With CERT and KEY every listener but PLAIN speaks TLS.  Every request any
listener receives is logged as a JSON line (listener, method, path,
Authorization) to PORTFILE's directory/requests.
"""
import base64
import http.server
import json
import os
import socketserver
import ssl
import sys
import threading
import time

LAYOUT, PORTFILE, FAULT = sys.argv[1], sys.argv[2], sys.argv[3]
CERT, KEY = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None, None)
STALL = 20
REQUESTS = os.path.join(os.path.dirname(PORTFILE), "requests")
LOG_LOCK = threading.Lock()
CREDS = "Basic " + base64.b64encode(b"alice:s3cret").decode()
TOKEN = "fake-token-for-alice"
AUTH_FAULTS = ("auth-same-realm", "auth-other-realm", "auth-http-realm",
               "redirect-ok", "redirect-401")
URLS = {}  # listener name -> "scheme://host:port"


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

    def log_request_line(self):
        entry = {"listener": self.server.name, "method": self.command,
                 "path": self.path,
                 "authorization": self.headers.get("Authorization")}
        with LOG_LOCK, open(REQUESTS, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def challenge(self, realm, service="fakereg"):
        body = b'{"errors":[{"code":"UNAUTHORIZED"}]}'
        self.send_response(401)
        self.send_header("WWW-Authenticate",
                         'Bearer realm="%s",service="%s"' % (realm, service))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def realm(self):
        where = {"auth-other-realm": "other", "auth-http-realm": "plain"}
        return URLS[where.get(FAULT, "registry")] + "/token"

    def token(self):
        if self.headers.get("Authorization") != CREDS:
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        self.send(200, json.dumps({"token": TOKEN}).encode())

    def other_host(self, parts):
        """OTHER and PLAIN: token endpoints, and redirected blobs."""
        if self.path.startswith("/token"):
            return self.token()
        if FAULT == "redirect-401":
            return self.challenge(URLS["other"] + "/token", "evil")
        if parts[1:2] == ["blobs"]:
            return self.blob(parts[-1], redirected=True)
        self.send(404, b"{}")

    def do_GET(self):
        self.log_request_line()
        parts = self.path.split("/")
        if self.server.name != "registry":
            return self.other_host(parts)
        if FAULT in AUTH_FAULTS:
            if self.path.startswith("/token"):
                return self.token()
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.challenge(self.realm())
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

    def blob(self, digest, redirected=False):
        try:
            with open(blob_path(digest), "rb") as f:
                body = f.read()
        except (FileNotFoundError, IndexError):
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if (FAULT in ("redirect-ok", "redirect-401") and is_layer(digest)
                and not redirected):
            self.send_response(307)
            self.send_header("Location", URLS["other"] + "/blobs/" + digest)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not is_layer(digest) or FAULT in ("none", "big-manifest",
                                             "wrong-type", "hang-manifest",
                                             *AUTH_FAULTS):
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


def listen(name, host, tls):
    srv = Server((host, 0), Handler)
    srv.name = name
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    URLS[name] = "%s://%s:%d" % ("https" if tls else "http", host,
                                 srv.server_address[1])
    return srv


def publish(path, port):
    with open(path + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(path + ".tmp", path)


def main():
    servers = [listen("registry", "127.0.0.1", CERT is not None)]
    if FAULT in AUTH_FAULTS:
        servers.append(listen("other", "127.0.0.2", CERT is not None))
        servers.append(listen("plain", "127.0.0.2", False))
        publish(PORTFILE + ".other", servers[1].server_address[1])
        publish(PORTFILE + ".plain", servers[2].server_address[1])
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    publish(PORTFILE, servers[0].server_address[1])
    time.sleep(600)  # never outlive a test run


if __name__ == "__main__":
    main()
