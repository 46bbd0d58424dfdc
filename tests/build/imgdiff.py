#!/usr/bin/env python3
"""Compares two container images file by file and config by config.

  imgdiff.py [--quiet] [--expect FILE] A B
  imgdiff.py --dump A

A and B are each PATH[@REF]: PATH an OCI image layout (a directory with
oci-layout), an oci-archive (that layout in a tar: `podman save --format
oci-archive`, `berth save --format oci-archive`) or a docker-archive (a
tar with manifest.json: `docker save`, `podman save`, `berth save`).  REF
picks one image of an archive holding several: a tag as the archive names
it (RepoTags; the org.opencontainers.image.ref.name annotation), a
manifest or config digest, or a prefix of one; without REF the archive
must hold exactly one image.

Each image is flattened: its layers (plain, gzip or zstd tars) applied in
order with the OCI whiteouts (`.wh.NAME` removes NAME from the layers
below, `.wh..wh..opq` empties its directory of what the layers below put
there; both only ever act on lower layers).  Then compared, path by path:
type, permission bits (setuid, setgid and sticky included), owner uid and
gid, xattrs, and by type the content's sha256, the link target, device
numbers; the groups of paths hard-linked together; and the config's Env,
Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts, Volumes,
StopSignal, Healthcheck, Shell, OnBuild, and the os and architecture.
Not compared: modification times, history, created dates, layer
boundaries (two builders may split the same result differently).

Every difference is printed, one a line; exit status 0 when none, 1 when
any, 2 when an image cannot be read.  The differences that legitimately
come from the builder rather than from the Dockerfile are listed below in
LEGIT_* with the reason; nothing else is ignored.

--expect FILE names differences that are known for this pair of images,
each exactly as this tool prints it, one a line, below the comment lines
(#) saying why: those are printed as "expected: ..." and do not count;
one that does not occur is an error (the builders changed: the file must
follow).  An expected line without a comment above it is refused.

--dump prints the flattened image (one line per path, then the config),
the form the comparison works on.
"""
import hashlib
import io
import json
import os
import posixpath
import subprocess
import sys
import tarfile

# ---------------------------------------------------------------------------
# The known, legitimate differences between builders.  Each is as narrow as
# its reason allows; a difference that merely looks like one of these
# (a placeholder with content, a label with another name) is reported.

# Config labels a builder stamps into every image it makes, whatever the
# Dockerfile says.  buildah (podman build) adds its own version; Docker
# and berth add none.
LEGIT_LABELS = {
    "io.buildah.version": "buildah records its version in every image",
}

# Mount points a builder makes for the files it binds into RUN steps,
# when the image had none there.  buildah (podman build) leaves them in the
# layer of each RUN step: an empty /etc/hostname (and /etc/hosts,
# /etc/resolv.conf with a network) and an empty /run for .containerenv.
# Docker's builders remove their stubs after the step.  Ignored only when
# present in one image alone and empty (a regular file of 0 bytes, or a
# directory with nothing under it); anything written there is compared.
LEGIT_STUB_FILES = {
    "etc/hostname": "buildah's mount point for the RUN step's hostname",
    "etc/hosts": "buildah's mount point for the RUN step's hosts file",
    "etc/resolv.conf": "buildah's mount point for the RUN step's DNS config",
}
LEGIT_STUB_DIRS = {
    "run": "buildah's mount point for /run/.containerenv in RUN steps",
}

# Config fields compared.  A field that is absent, null, "", [] or {}
# means the same to every runtime (no entrypoint, no labels, working
# directory "/"...), so those are one value: "unset".
CONFIG_FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels",
                 "ExposedPorts", "Volumes", "StopSignal", "Healthcheck",
                 "Shell", "OnBuild"]

OCI_INDEX = ("application/vnd.oci.image.index.v1+json",
             "application/vnd.docker.distribution.manifest.list.v2+json")


class ImageError(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading images: a "source" gives bytes by name (a file of the layout or
# of the archive); the formats on top find the config and the layers.

class DirSource:
    def __init__(self, path):
        self.path = path

    def has(self, name):
        return os.path.isfile(os.path.join(self.path, name))

    def open(self, name):
        try:
            return open(os.path.join(self.path, name), "rb")
        except OSError as e:
            raise ImageError("%s: %s" % (name, e.strerror))


class TarSource:
    """An archive read in place: members by name, symlinks followed
    (docker save links repeated layers)."""

    def __init__(self, path):
        try:
            self.tar = tarfile.open(path, "r:")
        except (OSError, tarfile.TarError) as e:
            raise ImageError("%s: not a tar archive (%s)" % (path, e))
        self.members = {}
        for m in self.tar.getmembers():
            self.members[norm_name(m.name)] = m

    def has(self, name):
        return name in self.members

    def open(self, name):
        for _ in range(8):
            m = self.members.get(name)
            if m is None:
                raise ImageError("the archive has no %s" % name)
            if not m.issym():
                f = self.tar.extractfile(m)
                if f is None:
                    raise ImageError("%s is not a file" % name)
                return f
            name = norm_name(posixpath.join(posixpath.dirname(name),
                                            m.linkname))
        raise ImageError("%s: too many symlinks" % name)


def read_json(src, name):
    with src.open(name) as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise ImageError("%s: bad JSON (%s)" % (name, e))


def blob_name(digest):
    algo, _, hexd = digest.partition(":")
    return "blobs/%s/%s" % (algo, hexd)


def oci_images(src):
    """(refs, config, [layer names]) for each image of an OCI layout."""
    out = []

    def walk(index, refs):
        for d in index.get("manifests", []):
            r = list(refs)
            ann = d.get("annotations") or {}
            if "org.opencontainers.image.ref.name" in ann:
                r.append(ann["org.opencontainers.image.ref.name"])
            if d.get("mediaType") in OCI_INDEX:
                walk(read_json(src, blob_name(d["digest"])), r)
                continue
            m = read_json(src, blob_name(d["digest"]))
            cfg_digest = m["config"]["digest"]
            out.append((r + [d["digest"], cfg_digest],
                        read_json(src, blob_name(cfg_digest)),
                        [blob_name(l["digest"]) for l in m.get("layers", [])]))

    walk(read_json(src, "index.json"), [])
    return out


def docker_images(src):
    out = []
    for e in read_json(src, "manifest.json"):
        cfg_name = e["Config"]
        cfg_digest = "sha256:" + posixpath.basename(cfg_name).split(".")[0]
        out.append((list(e.get("RepoTags") or []) + [cfg_digest],
                    read_json(src, cfg_name), list(e["Layers"])))
    return out


def ref_matches(refs, want):
    for r in refs:
        if r == want or r.endswith("/" + want) or \
                (r.startswith("sha256:") and len(want) >= 6 and
                 r[7:].startswith(want.replace("sha256:", ""))):
            return True
        # "busybox:latest" matches "docker.io/library/busybox:latest"
        if ":" not in want.rsplit("/", 1)[-1] and \
                (r == want + ":latest" or r.endswith("/" + want + ":latest")):
            return True
    return False


def open_image(spec):
    path, ref = spec, None
    if not os.path.exists(path) and "@" in spec:
        path, ref = spec.rsplit("@", 1)
    if os.path.isdir(path):
        src = DirSource(path)
    elif os.path.isfile(path):
        src = TarSource(path)
    else:
        raise ImageError("%s: no such file or directory" % path)
    if src.has("index.json") and (src.has("oci-layout") or
                                  not src.has("manifest.json")):
        images = oci_images(src)
    elif src.has("manifest.json"):
        images = docker_images(src)
    else:
        raise ImageError("%s: neither an OCI layout nor a docker archive "
                         "(no index.json, no manifest.json)" % path)
    if ref is not None:
        images = [i for i in images if ref_matches(i[0], ref)]
        if not images:
            raise ImageError("%s: no image %s in it" % (path, ref))
    if len(images) != 1:
        raise ImageError("%s holds %d images: name one as %s@REF (%s)" % (
            path, len(images), path,
            ", ".join(i[0][0] for i in images)))
    _, config, layers = images[0]
    return src, config, layers


# ---------------------------------------------------------------------------
# Flattening.

def norm_name(name):
    name = posixpath.normpath("/" + name).lstrip("/")
    return name


def open_layer(src, name):
    """The layer's tar, read as a stream: plain and gzip by tarfile,
    zstd through the zstd program (rare: read whole)."""
    f = src.open(name)
    if f.peek(4)[:4] == b"\x28\xb5\x2f\xfd":
        out = subprocess.run(["zstd", "-q", "-d", "-c"], input=f.read(),
                             stdout=subprocess.PIPE)
        if out.returncode != 0:
            raise ImageError("layer %s: zstd failed" % name)
        return tarfile.open(fileobj=io.BytesIO(out.stdout), mode="r:")
    return tarfile.open(fileobj=f, mode="r|*")


TYPES = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file",
         tarfile.CONTTYPE: "file", tarfile.DIRTYPE: "dir",
         tarfile.SYMTYPE: "symlink", tarfile.CHRTYPE: "char",
         tarfile.BLKTYPE: "block", tarfile.FIFOTYPE: "fifo"}


class Flat:
    """The flattened file system: path -> attributes; hard links share
    an inode number."""

    def __init__(self):
        self.files = {}
        self.inodes = 0

    def remove_tree(self, path, keep_self=False):
        if not keep_self:
            self.files.pop(path, None)
        prefix = path + "/" if path else ""
        for p in [p for p in self.files if p.startswith(prefix)]:
            del self.files[p]

    def apply(self, tar, layer):
        # The tar is a stream: each entry is read (and hashed) as it
        # comes, and applied once the layer's whiteouts are known.
        entries = []
        whiteouts, opaques = [], []
        for m in tar:
            name = norm_name(m.name)
            base = posixpath.basename(name)
            parent = posixpath.dirname(name)
            if base == ".wh..wh..opq":
                opaques.append(parent)
            elif base.startswith(".wh..wh."):
                # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs) that
                # Docker's own layers once carried; no file of the image.
                continue
            elif base.startswith(".wh."):
                whiteouts.append(posixpath.join(parent, base[4:]))
            elif name:
                entries.append((name, record(tar, m, layer, name)))
        # Whiteouts hide what the layers below put there, never this
        # layer's own entries: apply them first.
        for d in opaques:
            self.remove_tree(d, keep_self=True)
        for p in whiteouts:
            self.remove_tree(p)
        for name, rec in entries:
            self.add(name, rec, layer)

    def add(self, name, rec, layer):
        old = self.files.get(name)
        if rec["type"] == "hardlink":
            t = self.files.get(rec["target"])
            if t is None or t["type"] != "file":
                raise ImageError("layer %s: hard link %s to %s, which is not "
                                 "a regular file before it" % (
                                     layer, name, rec["target"]))
            rec = t  # the same inode: the same record
        # A non-directory replacing a directory replaces its tree too; a
        # directory over a directory only changes its attributes.
        if old and (old["type"] == "dir") != (rec["type"] == "dir"):
            self.remove_tree(name)
        if "inode" not in rec:
            self.inodes += 1
            rec["inode"] = self.inodes
        self.files[name] = rec


def record(tar, m, layer, name):
    if m.islnk():
        return {"type": "hardlink", "target": norm_name(m.linkname)}
    kind = TYPES.get(m.type)
    if kind is None:
        raise ImageError("layer %s: %s has tar type %r" % (layer, name,
                                                            m.type))
    rec = {"type": kind, "mode": m.mode & 0o7777, "uid": m.uid,
           "gid": m.gid,
           "xattrs": {k[len("SCHILY.xattr."):]: v
                      for k, v in sorted(m.pax_headers.items())
                      if k.startswith("SCHILY.xattr.")}}
    if kind == "file":
        h = hashlib.sha256()
        f = tar.extractfile(m)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        rec["sha256"] = h.hexdigest()
        rec["size"] = m.size
    elif kind == "symlink":
        rec["target"] = m.linkname
        rec["mode"] = None  # symlinks have no permissions of their own
    elif kind in ("char", "block"):
        rec["dev"] = (m.devmajor, m.devminor)
    return rec


def flatten(spec):
    src, config, layers = open_image(spec)
    flat = Flat()
    for name in layers:
        try:
            with open_layer(src, name) as t:
                flat.apply(t, name)
        except tarfile.TarError as e:
            raise ImageError("layer %s: %s" % (name, e))
    return flat, config


def hardlink_groups(flat):
    by_inode = {}
    for p, r in flat.files.items():
        by_inode.setdefault(r["inode"], []).append(p)
    return {tuple(sorted(g)) for g in by_inode.values() if len(g) > 1}


# ---------------------------------------------------------------------------
# Comparing.

def describe(r):
    if r is None:
        return "absent"
    s = r["type"]
    if r["mode"] is not None:
        s += " %04o" % r["mode"]
    s += " %d:%d" % (r["uid"], r["gid"])
    if "size" in r:
        s += " %d bytes sha256:%s" % (r["size"], r["sha256"][:12])
    if "target" in r:
        s += " -> %s" % r["target"]
    if "dev" in r:
        s += " %d,%d" % r["dev"]
    if r["xattrs"]:
        s += " xattrs " + ",".join(sorted(r["xattrs"]))
    return s


def is_stub(flat, path):
    r = flat.files[path]
    if path in LEGIT_STUB_FILES:
        return r["type"] == "file" and r["size"] == 0
    if path in LEGIT_STUB_DIRS:
        return r["type"] == "dir" and not any(
            p.startswith(path + "/") for p in flat.files)
    return False


def compare_files(fa, fb, out):
    for p in sorted(set(fa.files) | set(fb.files)):
        a, b = fa.files.get(p), fb.files.get(p)
        if a is None or b is None:
            flat = fa if b is None else fb
            if is_stub(flat, p):
                continue
            out.append("/%s: only in %s: %s" % (p, "A" if b is None else "B",
                                                describe(a or b)))
            continue
        diffs = []
        for k, label in (("type", "type"), ("mode", "mode"), ("uid", "uid"),
                         ("gid", "gid"), ("sha256", "content"),
                         ("target", "link target"), ("dev", "device"),
                         ("xattrs", "xattrs")):
            if a.get(k) != b.get(k):
                diffs.append(label)
        if diffs:
            out.append("/%s: %s differ: A %s; B %s" % (
                p, ", ".join(diffs), describe(a), describe(b)))
    ga, gb = hardlink_groups(fa), hardlink_groups(fb)
    for g in sorted(ga - gb):
        out.append("hard links only in A: %s" % " = ".join("/" + p for p in g))
    for g in sorted(gb - ga):
        out.append("hard links only in B: %s" % " = ".join("/" + p for p in g))


def unset(v):
    return v is None or v == "" or v == [] or v == {}


def config_value(config, field):
    v = (config.get("config") or {}).get(field)
    if field == "Labels" and isinstance(v, dict):
        v = {k: x for k, x in v.items() if k not in LEGIT_LABELS}
    if field == "Env" and isinstance(v, list):
        # Compared as a set of entries: their order means nothing to a
        # runtime, and builders order them differently (ENV setting a
        # variable again: Docker keeps its place in the list, buildah
        # moves it to the end).
        v = sorted(v)
    if field == "Healthcheck" and isinstance(v, dict):
        # Durations and retries left at 0 mean "the default".
        v = {k: x for k, x in v.items() if not (unset(x) or x == 0)}
    return None if unset(v) else v


def compare_config(ca, cb, out):
    for field in CONFIG_FIELDS:
        a, b = config_value(ca, field), config_value(cb, field)
        if a != b:
            out.append("config %s differs: A %s; B %s" % (
                field, json.dumps(a, sort_keys=True),
                json.dumps(b, sort_keys=True)))
    for field in ("os", "architecture", "variant"):
        if ca.get(field) != cb.get(field):
            out.append("config %s differs: A %s; B %s" % (
                field, ca.get(field), cb.get(field)))


def dump(spec):
    flat, config = flatten(spec)
    for p in sorted(flat.files):
        print("/%s %s" % (p, describe(flat.files[p])))
    for g in sorted(hardlink_groups(flat)):
        print("hard links: %s" % " = ".join("/" + p for p in g))
    for field in CONFIG_FIELDS:
        print("config %s %s" % (field, json.dumps(
            config_value(config, field), sort_keys=True)))


def read_expect(path):
    """The expected differences of FILE; each must follow a comment."""
    expected, why = [], False
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        raise ImageError("%s: %s" % (path, e.strerror))
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            why = True
        elif not line.strip():
            why = False
        elif not why:
            raise ImageError("%s:%d: an expected difference needs a comment "
                             "above it saying why" % (path, n))
        else:
            expected.append(line)
    return expected


def main(argv):
    quiet = False
    expect = None
    args = []
    it = iter(argv)
    for a in it:
        if a in ("-q", "--quiet"):
            quiet = True
        elif a == "--expect":
            expect = next(it, None)
            if expect is None:
                print("imgdiff: --expect needs a FILE", file=sys.stderr)
                return 2
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            args.append(a)
    try:
        if len(args) == 2 and args[0] == "--dump":
            dump(args[1])
            return 0
        if len(args) != 2 or args[0].startswith("-"):
            print("usage: imgdiff.py [--quiet] [--expect FILE] A B | --dump A",
                  file=sys.stderr)
            return 2
        expected = read_expect(expect) if expect else []
        fa, ca = flatten(args[0])
        fb, cb = flatten(args[1])
    except ImageError as e:
        print("imgdiff: %s" % e, file=sys.stderr)
        return 2
    out = []
    compare_files(fa, fb, out)
    compare_config(ca, cb, out)
    unexpected = [l for l in out if l not in expected]
    missing = [l for l in expected if l not in out]
    if not quiet:
        for line in out:
            print(("expected: " if line in expected else "") + line)
        for line in missing:
            print("expected but not found: " + line)
        print("imgdiff: %d difference(s) between %s and %s, %d expected, %d "
              "expected one(s) missing" % (len(unexpected), args[0], args[1],
                                           len(out) - len(unexpected),
                                           len(missing)), file=sys.stderr)
    return 1 if unexpected or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
