#!/usr/bin/env python3
"""Builds OCI image layouts for the image tests, offline and exactly.

  ociimg.py layout OUT --ref TAG [--arch A] [--variant V] [--compress
            gzip|zstd|none] [--cmd ARG]... [--created RFC3339]
            [--empty-step TEXT]... [--env K=V]... [--label K=V]...
            [--no-label] LAYER...
      Adds an image to the OCI layout OUT (created when missing).  Each
      LAYER is a directory (archived as a pax tar, owners and modes kept)
      or an existing .tar file used as it is.  --env replaces the default
      PATH, --label the default label berth.test=TAG (--no-label: none).
  ociimg.py index OUT --ref TAG REF...
      Adds an image index named TAG listing the images named REF..., with
      the platform of each.  `skopeo copy --all oci:OUT:TAG docker://...`
      then pushes the whole multi-arch image.
  ociimg.py hostile OUT.tar KIND
      Writes a hostile layer: traversal, absolute, symlink-escape,
      symlink-parent, hardlink-escape, huge.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def put_blob(out, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    d = os.path.join(out, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, digest[7:]), "wb") as f:
        f.write(data)
    return digest


def get_blob(out, digest):
    with open(os.path.join(out, "blobs", "sha256", digest[7:]), "rb") as f:
        return f.read()


def load_index(out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    try:
        with open(os.path.join(out, "index.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}


def save_index(out, index, desc, ref):
    desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get(
                              "org.opencontainers.image.ref.name") != ref]
    index["manifests"].append(desc)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


def tar_dir(path):
    buf = io.BytesIO()
    # Sorted, fixed times: the same directory gives the same digest.
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(dirs + files):
                full = os.path.join(root, name)
                info = t.gettarinfo(full, os.path.relpath(full, path))
                info.mtime = 1700000000
                if info.isreg():
                    with open(full, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    return buf.getvalue()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                              check=True, stdout=subprocess.PIPE).stdout
    return data


def cmd_layout(args):
    out, ref = args.out, args.ref
    index = load_index(out)
    layers, diff_ids = [], []
    for l in args.layers:
        if os.path.isdir(l):
            raw = tar_dir(l)
        else:
            with open(l, "rb") as f:
                raw = f.read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = compress(raw, args.compress)
        layers.append({"mediaType": LAYER_TYPES[args.compress],
                       "digest": put_blob(out, blob), "size": len(blob)})
    config = {
        "created": args.created,
        "architecture": args.arch, "os": "linux",
        "config": {"Cmd": args.cmd or ["/bin/sh"],
                   "Env": args.env or ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "ociimg.py layer %d" % i}
                    for i in range(len(layers))] +
                   [{"created_by": e, "empty_layer": True}
                    for e in args.empty_step or []],
    }
    labels = dict(kv.split("=", 1) for kv in args.label or [])
    if not args.label and not args.no_label:
        labels = {"berth.test": ref}
    if labels:
        config["config"]["Labels"] = labels
    if args.variant:
        config["variant"] = args.variant
    cdata = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG,
                           "digest": put_blob(out, cdata),
                           "size": len(cdata)},
                "layers": layers}
    mdata = json.dumps(manifest).encode()
    desc = {"mediaType": OCI_MANIFEST, "digest": put_blob(out, mdata),
            "size": len(mdata)}
    save_index(out, index, desc, ref)
    print(desc["digest"])


def cmd_index(args):
    index = load_index(args.out)
    entries = []
    for ref in args.refs:
        m = [d for d in index["manifests"]
             if d.get("annotations", {}).get(
                 "org.opencontainers.image.ref.name") == ref][0]
        manifest = json.loads(get_blob(args.out, m["digest"]))
        config = json.loads(get_blob(args.out, manifest["config"]["digest"]))
        platform = {"os": config["os"], "architecture": config["architecture"]}
        if "variant" in config:
            platform["variant"] = config["variant"]
        entries.append({"mediaType": m["mediaType"], "digest": m["digest"],
                        "size": m["size"], "platform": platform})
    data = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "manifests": entries}).encode()
    desc = {"mediaType": OCI_INDEX, "digest": put_blob(args.out, data),
            "size": len(data)}
    save_index(args.out, index, desc, args.ref)
    print(desc["digest"])


def entry(t, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    if info.isreg():
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    else:
        t.addfile(info)


def cmd_hostile(args):
    if args.kind == "huge":
        info = tarfile.TarInfo("huge")
        info.size = 1 << 45  # 32 TiB claimed, 512 bytes sent
        with open(args.out, "wb") as f:
            f.write(info.tobuf(tarfile.PAX_FORMAT) + b"x" * 512 + b"\0" * 1024)
        return
    with tarfile.open(args.out, "w", format=tarfile.PAX_FORMAT) as t:
        entry(t, "ok.txt", b"fine\n")
        k = args.kind
        if k == "traversal":
            entry(t, "../../../../tmp/berth-escape-traversal", b"pwned\n")
        elif k == "absolute":
            entry(t, "/tmp/berth-escape-absolute", b"pwned\n")
        elif k == "symlink-escape":
            entry(t, "evil", type=tarfile.SYMTYPE, linkname="/tmp")
            entry(t, "evil/berth-escape-symlink", b"pwned\n")
        elif k == "symlink-parent":
            entry(t, "up", type=tarfile.SYMTYPE, linkname="../../../../../tmp")
            entry(t, "up/berth-escape-parent", b"pwned\n")
        elif k == "hardlink-escape":
            entry(t, "passwd", type=tarfile.LNKTYPE,
                  linkname="../../../../../etc/passwd")
        elif k == "huge":
            pass  # written below: tarfile will not write a lying header
        else:
            sys.exit("unknown hostile kind " + k)


def main():
    import argparse
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("layout")
    a.add_argument("out")
    a.add_argument("--ref", required=True)
    a.add_argument("--arch", default="amd64")
    a.add_argument("--variant")
    a.add_argument("--compress", default="gzip", choices=LAYER_TYPES)
    a.add_argument("--cmd", action="append")
    a.add_argument("--created", default="2026-01-01T00:00:00Z")
    a.add_argument("--empty-step", action="append",
                   help="a history entry that made no layer")
    a.add_argument("--env", action="append", help="K=V (replaces PATH)")
    a.add_argument("--label", action="append", help="K=V")
    a.add_argument("--no-label", action="store_true")
    a.add_argument("layers", nargs="+")
    a.set_defaults(fn=cmd_layout)
    i = sub.add_parser("index")
    i.add_argument("out")
    i.add_argument("--ref", required=True)
    i.add_argument("refs", nargs="+")
    i.set_defaults(fn=cmd_index)
    h = sub.add_parser("hostile")
    h.add_argument("out")
    h.add_argument("kind")
    h.set_defaults(fn=cmd_hostile)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
