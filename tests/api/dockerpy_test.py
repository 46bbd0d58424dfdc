#!/usr/bin/python3
"""docker-py (Debian's python3-docker 5.0.3) against berth's Engine API.

usage: dockerpy_test.py AREA

Runs the checks of one AREA (system, containers, archive, images, pull,
build, networks, volumes, events) through DOCKER_HOST, as a program using
the SDK would, and checks each effect: the output came back, the file is
in the container, the address answers, the object is gone.  Prints each
step; exits 1 at the first failed check with what was expected and what
came instead.

Environment: DOCKER_HOST (unix://...), DPY_REGISTRY (host:port of a
docker-registry holding dpy/bb:1, for pull), DPY_SUBNET (a /24 of the
caller's for networks, "10.218.X.0/24"), DPY_TMP (a scratch directory).

Run with /usr/bin/python3: another python3 earlier in PATH may carry
another docker-py.
"""
import io
import ipaddress
import os
import reprlib
import subprocess
import sys
import tarfile
import threading
import time

import docker
from docker.errors import APIError, BuildError, ContainerError, ImageNotFound, NotFound
from docker.types import IPAMConfig, IPAMPool

IMAGE = "bb"


def step(msg):
    print("--", msg, flush=True)


def check(cond, what, got=None):
    if not cond:
        raise AssertionError(what + ("" if got is None else f": got {got!r}"))


def raises(exc, fn, *args, **kw):
    """fn(*args, **kw) must raise exc; returns the exception."""
    try:
        r = fn(*args, **kw)
    except exc as e:
        return e
    shown = reprlib.repr(args)
    raise AssertionError(f"{fn.__qualname__}{shown} should raise {exc.__name__}, returned "
                         f"{reprlib.repr(r)}")


def wait_for(fn, what, timeout=10.0):
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def client():
    c = docker.from_env(timeout=120)
    return c


def rm_containers(cl, *names):
    for n in names:
        try:
            cl.containers.get(n).remove(force=True)
        except NotFound:
            pass


def sleeper(cl, name, **kw):
    """A running container that stays up; its pid 1 is a shell that exits
    on SIGTERM, so stop is prompt."""
    return cl.containers.run(IMAGE, ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"],
                             detach=True, name=name, **kw)


# ---------------------------------------------------------------- areas


def area_system(cl):
    step("ping")
    check(cl.ping() is True, "ping() is True")
    step("version")
    v = cl.version()
    check(v.get("ApiVersion") == "1.41", "ApiVersion 1.41", v.get("ApiVersion"))
    check(v.get("Os") == "linux" and v.get("Arch"), "Os linux and an Arch", v)
    check(v.get("Version"), "a Version", v)
    step("negotiation: version='auto'")
    auto = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="auto")
    check(auto.api.api_version == "1.41", "negotiated 1.41", auto.api.api_version)
    check(auto.ping() is True, "ping through the negotiated client")
    step("info counts what exists")
    before = cl.info()
    for k in ("Containers", "ContainersRunning", "ContainersStopped", "Images", "ID",
              "OperatingSystem", "KernelVersion", "NCPU", "MemTotal", "Driver"):
        check(k in before, f"info has {k}", sorted(before))
    check(before["Images"] >= 1, "info counts the image bb", before["Images"])
    c = cl.containers.create(IMAGE, "true", name="dpy-info")
    try:
        after = cl.info()
        check(after["Containers"] == before["Containers"] + 1,
              "one more container in info", (before["Containers"], after["Containers"]))
        check(after["ContainersStopped"] == before["ContainersStopped"] + 1,
              "a created container counts as stopped",
              (before["ContainersStopped"], after["ContainersStopped"]))
    finally:
        c.remove(force=True)
    check(cl.info()["Containers"] == before["Containers"], "back to the count before")
    step("df")
    df = cl.df()
    check(any(IMAGE + ":latest" in (i.get("RepoTags") or []) for i in df.get("Images", [])),
          "system df lists bb", df.get("Images"))


def area_containers(cl):
    try:
        containers_body(cl)
    finally:
        rm_containers(cl, "dpy-run", "dpy-d", "dpy-exit7", "dpy-renamed")


def containers_body(cl):
    step("run in the foreground returns the output")
    out = cl.containers.run(IMAGE, ["sh", "-c", "echo hello; echo oops >&2"], name="dpy-run",
                            remove=True)
    check(out == b"hello\n", "stdout of the container", out)
    check(not cl.containers.list(all=True, filters={"name": "dpy-run"}),
          "remove=True removed the container")
    out = cl.containers.run(IMAGE, ["sh", "-c", "echo hello; echo oops >&2"], stdout=False,
                            stderr=True, remove=True)
    check(out == b"oops\n", "stderr alone", out)
    step("a failing command raises ContainerError with the status and stderr")
    e = raises(ContainerError, cl.containers.run, IMAGE, ["sh", "-c", "echo bad >&2; exit 3"],
               remove=True)
    check(e.exit_status == 3, "exit status 3", e.exit_status)
    check(b"bad" in (e.stderr or b""), "stderr in the error", e.stderr)
    step("a missing image is ImageNotFound")
    raises(ImageNotFound, cl.containers.create, "dpy-no-such-image:1", "true")

    step("run detached")
    c = cl.containers.run(IMAGE, ["sh", "-c", "echo started; echo to-err >&2; "
                                  "trap 'exit 0' TERM; sleep 100000 & wait"],
                          detach=True, name="dpy-d", labels={"dpy": "containers"},
                          environment={"DPY": "env-value"}, working_dir="/tmp")
    c.reload()
    check(c.status == "running", "running", c.status)
    check(c.name == "dpy-d", "its name", c.name)
    pid = c.attrs["State"]["Pid"]
    check(pid > 0 and os.path.exists(f"/proc/{pid}"), "State.Pid is a live process", pid)
    check(cl.containers.get("dpy-d").id == c.id, "get by name")
    check(cl.containers.get(c.id[:12]).id == c.id, "get by short id")
    check([x.id for x in cl.containers.list(filters={"label": "dpy=containers"})] == [c.id],
          "list by label")
    e = raises(NotFound, cl.containers.get, "dpy-no-such")
    check("No such container: dpy-no-such" in str(e), "Docker's message", str(e))

    step("logs")
    logs = wait_for(lambda: (lambda l: l if b"to-err" in l else None)(c.logs()), "the logs")
    check(logs == b"started\nto-err\n", "both streams in the logs", logs)
    check(c.logs(stderr=False) == b"started\n", "stdout only", c.logs(stderr=False))
    check(c.logs(stdout=False) == b"to-err\n", "stderr only", c.logs(stdout=False))

    step("exec_run: output and exit code")
    r = c.exec_run(["sh", "-c", "echo out; echo err >&2; exit 4"])
    check(r.exit_code == 4, "exit code 4", r.exit_code)
    check(sorted(r.output.splitlines()) == [b"err", b"out"], "both streams", r.output)
    r = c.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
    check(r.output == (b"out\n", b"err\n"), "demuxed streams", r.output)
    r = c.exec_run(["sh", "-c", "echo $DPY $EXTRA; pwd; id -u"], environment={"EXTRA": "x"})
    check(r.output == b"env-value x\n/tmp\n0\n", "the container's env and cwd, root", r.output)
    r = c.exec_run(["sh", "-c", "pwd; id -u"], workdir="/home/tester", user="1000")
    check(r.output == b"/home/tester\n1000\n", "workdir and user", r.output)
    r = c.exec_run("sh -c 'test -t 0 && echo tty'", tty=True)
    check(r.output.strip() == b"tty", "a TTY exec has a terminal", r.output)
    r = c.exec_run(["no-such-program"])
    check(r.exit_code in (126, 127), "a missing program is 126/127", r)

    step("top")
    top = c.top()
    check(any("sleep 100000" in " ".join(p) for p in top["Processes"]), "sleep in top", top)

    step("attach(logs=True) replays the output so far")
    out = c.attach(stdout=True, stderr=True, logs=True)
    check(out == b"started\nto-err\n", "the log through attach (logs=1, stream=0)", out)

    step("stop, wait")
    c.stop(timeout=5)
    c.reload()
    check(c.status == "exited", "exited after stop", c.status)
    check(c.wait(timeout=10)["StatusCode"] == 0, "the shell exited 0 on SIGTERM")
    check(not os.path.exists(f"/proc/{pid}"), "its process is gone")
    step("start again, kill, wait")
    c.start()
    c.reload()
    check(c.status == "running", "running again", c.status)
    c.kill(signal="SIGKILL")
    check(c.wait(timeout=10)["StatusCode"] == 137, "SIGKILL: 137")
    c.reload()
    check(c.status == "exited", "exited after kill", c.status)
    e = raises(APIError, c.kill)
    check(e.status_code == 409, "kill of a stopped container is 409", e.status_code)
    step("rename")
    c.rename("dpy-renamed")
    check(cl.containers.get("dpy-renamed").id == c.id, "found by the new name")
    raises(NotFound, cl.containers.get, "dpy-d")

    step("wait for a container that exits by itself")
    c7 = cl.containers.run(IMAGE, ["sh", "-c", "sleep 1; exit 7"], detach=True, name="dpy-exit7")
    check(c7.wait(timeout=30)["StatusCode"] == 7, "status 7")
    c7.reload()
    check(c7.attrs["State"]["ExitCode"] == 7, "inspect has the exit code", c7.attrs["State"])

    step("remove")
    c7.remove()
    raises(NotFound, cl.containers.get, "dpy-exit7")
    c.start()
    e = raises(APIError, c.remove)
    check(e.status_code == 409, "removing a running container is 409", e.status_code)
    c.remove(force=True)
    raises(NotFound, cl.containers.get, "dpy-renamed")


def area_archive(cl):
    try:
        c = sleeper(cl, "dpy-arch")
        body = b"put by docker-py\n"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            ti = tarfile.TarInfo("hello.txt")
            ti.size, ti.mode, ti.uid, ti.gid = len(body), 0o640, 1000, 1000
            t.addfile(ti, io.BytesIO(body))
            d = tarfile.TarInfo("sub")
            d.type, d.mode = tarfile.DIRTYPE, 0o750
            t.addfile(d)
        step("put_archive")
        check(c.put_archive("/tmp", buf.getvalue()) is True, "put_archive returns True")
        r = c.exec_run(["sh", "-c", "cat /tmp/hello.txt; stat -c '%a %u %g' /tmp/hello.txt /tmp/sub"])
        check(r.output == body + b"640 1000 1000\n750 0 0\n", "the file, its mode and owner",
              r.output)
        step("get_archive")
        bits, stat = c.get_archive("/tmp/hello.txt")
        check(stat["name"] == "hello.txt" and stat["size"] == len(body), "the stat", stat)
        data = b"".join(bits)
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            m = t.getmember("hello.txt")
            check(t.extractfile(m).read() == body, "the content in the tar")
            check(m.mode & 0o777 == 0o640 and m.uid == 1000, "mode and uid in the tar",
                  (oct(m.mode), m.uid))
        bits, stat = c.get_archive("/tmp/sub")
        check(stat["mode"] & 0o777 == 0o750, "a directory's mode", stat)
        step("missing paths are NotFound")
        raises(NotFound, c.get_archive, "/no/such/path")
        raises(NotFound, c.put_archive, "/no/such/dir", buf.getvalue())
        step("a stopped container's files")
        c.stop(timeout=5)
        bits, stat = c.get_archive("/tmp/hello.txt")
        with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as t:
            check(t.extractfile("hello.txt").read() == body, "read from a stopped container")
    finally:
        rm_containers(cl, "dpy-arch")


def area_images(cl):
    try:
        step("list and get")
        imgs = cl.images.list()
        check(any(IMAGE + ":latest" in i.tags for i in imgs), "bb:latest listed",
              [i.tags for i in imgs])
        img = cl.images.get(IMAGE)
        check(img.id.startswith("sha256:") and len(img.id) == 71, "a sha256 id", img.id)
        check(img.attrs["Config"]["Cmd"] == ["/bin/sh"], "its Cmd", img.attrs["Config"])
        check(cl.images.get(img.id).id == img.id, "get by id")
        check(cl.images.get(img.short_id.split(":")[1]).id == img.id, "get by short id")
        e = raises(ImageNotFound, cl.images.get, "dpy-no-such:1")
        check("No such image" in str(e), "Docker's message", str(e))
        step("history")
        h = img.history()
        check(len(h) >= 1 and "Created" in h[0], "history entries", h)
        step("tag")
        check(img.tag("dpy/tagged", "v1") is True, "tag returns True")
        check(cl.images.get("dpy/tagged:v1").id == img.id, "the tag names the same image")
        check([i.id for i in cl.images.list(name="dpy/tagged")] == [img.id], "list by name")
        check("dpy/tagged:v1" in cl.images.get(IMAGE).tags, "the image lists both tags")
        out = cl.containers.run("dpy/tagged:v1", ["echo", "via-tag"], remove=True)
        check(out == b"via-tag\n", "runs by its new tag", out)
        step("remove a tag: the image stays")
        cl.images.remove("dpy/tagged:v1")
        raises(ImageNotFound, cl.images.get, "dpy/tagged:v1")
        check(cl.images.get(IMAGE).id == img.id, "bb is still there")
        step("remove an image used by a container is 409")
        img.tag("dpy/inuse", "1")
        c = cl.containers.create("dpy/inuse:1", "true", name="dpy-inuse")
        cl.images.get(IMAGE).tag("dpy/inuse", "2")
        e = raises(APIError, cl.images.remove, img.id)
        check(e.status_code == 409, "409 while tagged more than once and in use", e.status_code)
        c.remove()
        cl.images.remove("dpy/inuse:1")
        cl.images.remove("dpy/inuse:2")
        check(cl.images.get(IMAGE).id == img.id, "bb untouched")
    finally:
        rm_containers(cl, "dpy-inuse")
        for t in ("dpy/tagged:v1", "dpy/inuse:1", "dpy/inuse:2"):
            try:
                cl.images.remove(t)
            except (NotFound, APIError):
                pass


def area_pull(cl):
    reg = os.environ["DPY_REGISTRY"]
    ref = f"{reg}/dpy/bb"
    try:
        raises(ImageNotFound, cl.images.get, f"{ref}:1")
        step(f"pull {ref}:1")
        img = cl.images.pull(ref, tag="1")
        check(f"{ref}:1" in img.tags, "the pulled tag", img.tags)
        check(any(d.startswith(f"{ref}@sha256:") for d in img.attrs["RepoDigests"]),
              "a repo digest", img.attrs["RepoDigests"])
        check(cl.images.get(f"{ref}:1").id == img.id, "get finds it")
        out = cl.containers.run(f"{ref}:1", ["echo", "pulled"], remove=True)
        check(out == b"pulled\n", "runs", out)
        step("the low-level stream carries Docker's progress JSON")
        evs = list(cl.api.pull(ref, tag="1", stream=True, decode=True))
        check(any("Status: Image is up to date" in (e.get("status") or "") for e in evs),
              "up to date on the second pull", evs)
        step("a tag the registry lacks is an error, nothing recorded")
        raises(APIError, cl.images.pull, ref, tag="no-such-tag")
        raises(ImageNotFound, cl.images.get, f"{ref}:no-such-tag")
    finally:
        for t in (f"{ref}:1",):
            try:
                cl.images.remove(t)
            except (NotFound, APIError):
                pass


def area_build(cl):
    tmp = os.environ["DPY_TMP"]
    try:
        step("build from a fileobj Dockerfile")
        df = (b"FROM bb\nARG WHO=nobody\nRUN echo built-by-$WHO > /built\n"
              b"LABEL dpy=fileobj\nCMD [\"cat\", \"/built\"]\n")
        img, logs = cl.images.build(fileobj=io.BytesIO(df), tag="dpy/built:fileobj", rm=True,
                                    buildargs={"WHO": "docker-py"})
        logs = list(logs)
        check(any("stream" in x for x in logs), "build output streamed", logs)
        check("dpy/built:fileobj" in img.tags, "tagged", img.tags)
        check(img.labels.get("dpy") == "fileobj", "its label", img.labels)
        out = cl.containers.run("dpy/built:fileobj", remove=True)
        check(out == b"built-by-docker-py\n", "the RUN's file, the build arg", out)
        step("build from a path")
        ctx = os.path.join(tmp, "ctx")
        os.makedirs(os.path.join(ctx, "ignored"), exist_ok=True)
        with open(os.path.join(ctx, "greeting"), "w") as f:
            f.write("hello from the context\n")
        with open(os.path.join(ctx, "ignored", "big"), "w") as f:
            f.write("x" * 1000)
        with open(os.path.join(ctx, ".dockerignore"), "w") as f:
            f.write("ignored\n")
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write("FROM bb\nCOPY . /ctx/\nRUN cat /ctx/greeting > /copy\n"
                    "CMD [\"sh\", \"-c\", \"cat /copy; ls /ctx\"]\n")
        img2, _ = cl.images.build(path=ctx, tag="dpy/built:path")
        out = cl.containers.run("dpy/built:path", remove=True)
        check(out == b"hello from the context\nDockerfile\ngreeting\n",
              "COPY of the context without what .dockerignore names", out)
        step("a failing RUN is a BuildError")
        e = raises(BuildError, cl.images.build, fileobj=io.BytesIO(b"FROM bb\nRUN exit 3\n"),
                   tag="dpy/built:fails")
        check("3" in str(e), "the status in the error", str(e))
        raises(ImageNotFound, cl.images.get, "dpy/built:fails")
    finally:
        for t in ("dpy/built:fileobj", "dpy/built:path"):
            try:
                cl.images.remove(t)
            except (NotFound, APIError):
                pass


def host_addrs():
    return subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True,
                          check=True).stdout


def area_networks(cl):
    subnet = ipaddress.ip_network(os.environ["DPY_SUBNET"])
    gw = str(next(subnet.hosts()))
    try:
        step(f"create dpy-net {subnet}")
        net = cl.networks.create("dpy-net", driver="bridge", labels={"dpy": "net"},
                                 ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet),
                                                                        gateway=gw)]))
        net.reload()
        cfg = net.attrs["IPAM"]["Config"]
        check(cfg and cfg[0]["Subnet"] == str(subnet) and cfg[0].get("Gateway") == gw,
              "its IPAM", cfg)
        check(cl.networks.get("dpy-net").id == net.id, "get by name")
        check([n.id for n in cl.networks.list(names=["dpy-net"])] == [net.id], "list by name")
        check([n.id for n in cl.networks.list(filters={"label": "dpy=net"})] == [net.id],
              "list by label")
        e = raises(APIError, cl.networks.create, "dpy-net2", ipam=IPAMConfig(
            pool_configs=[IPAMPool(subnet=str(subnet))]))
        check(e.status_code in (400, 403, 409), "an overlapping subnet is refused", e)
        step("a container on it, another connected later")
        a = sleeper(cl, "dpy-na", network="dpy-net")
        check(f" {gw}/{subnet.prefixlen} " in host_addrs(), "the gateway on a host bridge")
        b = sleeper(cl, "dpy-nb")
        net.connect(b, aliases=["beta"])
        b.reload()
        nets = b.attrs["NetworkSettings"]["Networks"]
        check("dpy-net" in nets, "b is on dpy-net", sorted(nets))
        ipb = nets["dpy-net"]["IPAddress"]
        check(ipaddress.ip_address(ipb) in subnet, "b's address in the subnet", ipb)
        net.reload()
        check(sorted(x.id for x in net.containers) == sorted([a.id, b.id]),
              "the network lists both", [x.name for x in net.containers])
        step("a reaches b by address, name and alias")
        for target in (ipb, "dpy-nb", "beta"):
            r = a.exec_run(["ping", "-c", "1", "-W", "2", target])
            check(r.exit_code == 0, f"ping {target}", r.output)
        r = a.exec_run(["nslookup", "dpy-nb"])
        check(ipb.encode() in r.output, "dpy-nb resolves to b's address", r.output)
        step("disconnect")
        e = raises(APIError, net.remove)
        check(e.status_code in (403, 409), "removing a network in use is refused", e)
        net.disconnect(b)
        b.reload()
        check("dpy-net" not in b.attrs["NetworkSettings"]["Networks"], "b left dpy-net")
        r = a.exec_run(["ping", "-c", "1", "-W", "1", ipb])
        check(r.exit_code != 0, "b's old address no longer answers", r.output)
        step("remove")
        a.remove(force=True)
        b.remove(force=True)
        net.remove()
        raises(NotFound, cl.networks.get, "dpy-net")
        check(f" {gw}/{subnet.prefixlen} " not in host_addrs(), "the bridge is gone")
    finally:
        rm_containers(cl, "dpy-na", "dpy-nb")
        for n in ("dpy-net", "dpy-net2"):
            try:
                cl.networks.get(n).remove()
            except (NotFound, APIError):
                pass


def area_volumes(cl):
    try:
        step("create")
        v = cl.volumes.create("dpy-vol", labels={"dpy": "vol"})
        mp = v.attrs["Mountpoint"]
        check(os.path.isdir(mp), "its mountpoint on the host", mp)
        check(cl.volumes.get("dpy-vol").id == "dpy-vol", "get")
        check([x.name for x in cl.volumes.list(filters={"label": "dpy=vol"})] == ["dpy-vol"],
              "list by label")
        step("written by one container, read by another")
        vols = {"dpy-vol": {"bind": "/data", "mode": "rw"}}
        cl.containers.run(IMAGE, ["sh", "-c", "echo in-volume > /data/f"], volumes=vols,
                          remove=True)
        out = cl.containers.run(IMAGE, ["cat", "/data/f"], remove=True,
                                volumes={"dpy-vol": {"bind": "/data", "mode": "ro"}})
        check(out == b"in-volume\n", "the file through the volume", out)
        with open(os.path.join(mp, "f"), "rb") as f:
            check(f.read() == b"in-volume\n", "the file on the host")
        e = raises(ContainerError, cl.containers.run, IMAGE, ["sh", "-c", "echo x > /data/g"],
                   remove=True, volumes={"dpy-vol": {"bind": "/data", "mode": "ro"}})
        check(b"Read-only" in (e.stderr or b""), "a read-only mount refuses writes", e.stderr)
        step("in use: not removed")
        c = cl.containers.create(IMAGE, "true", name="dpy-vuser", volumes=vols)
        e = raises(APIError, v.remove)
        check(e.status_code == 409, "409 while a container uses it", e.status_code)
        c.remove()
        step("remove")
        v.remove()
        raises(NotFound, cl.volumes.get, "dpy-vol")
        check(not os.path.exists(mp), "its data is gone", mp)
        step("an anonymous volume")
        anon = cl.volumes.create()
        check(len(anon.name) == 64 and all(ch in "0123456789abcdef" for ch in anon.name),
              "a 64-hex name", anon.name)
        anon.remove()
        raises(NotFound, cl.volumes.get, anon.name)
    finally:
        rm_containers(cl, "dpy-vuser")
        try:
            cl.volumes.get("dpy-vol").remove(force=True)
        except (NotFound, APIError):
            pass


def area_events(cl):
    try:
        since = time.time() - 0.5
        step("a labelled container's life, another's")
        c = cl.containers.run(IMAGE, ["true"], detach=True, name="dpy-ev1",
                              labels={"dpy-ev": "1"})
        check(c.wait(timeout=30)["StatusCode"] == 0, "exited")
        o = cl.containers.run(IMAGE, ["true"], detach=True, name="dpy-ev2")
        o.wait(timeout=30)
        until = time.time() + 1
        step("events(since, until, filters): a finite stream")
        t0 = time.time()
        evs = list(cl.events(since=since, until=until, decode=True,
                             filters={"type": "container", "label": "dpy-ev=1"}))
        check(time.time() - t0 < 10, "the stream ended by itself at until")
        check(evs, "events came")
        check(all(e.get("Type") == "container" for e in evs), "only container events", evs)
        check(all(e["Actor"]["ID"] == c.id for e in evs), "only dpy-ev1's", evs)
        acts = [e["Action"] for e in evs]
        for a in ("create", "start", "die"):
            check(a in acts, f"a {a} event", acts)
        check(acts.index("create") < acts.index("start") < acts.index("die"), "in order", acts)
        die = evs[acts.index("die")]
        check(die["Actor"]["Attributes"].get("exitCode") == "0", "die has exitCode", die)
        check(die["Actor"]["Attributes"].get("name") == "dpy-ev1", "and the name", die)
        check(die.get("timeNano", 0) >= int(since * 1e9), "timeNano after since", die)
        evs = list(cl.events(since=since, until=until, decode=True,
                             filters={"event": "start", "container": "dpy-ev2"}))
        check([(e["Action"], e["Actor"]["ID"]) for e in evs] == [("start", o.id)],
              "event and container filters", evs)
        step("a live stream sees a start as it happens")
        got = []
        gen = cl.events(decode=True, filters={"event": "start", "container": "dpy-ev3"})
        timer = threading.Timer(20, gen.close)
        timer.start()

        def reader():
            for e in gen:
                got.append(e)
                break
        th = threading.Thread(target=reader)
        th.start()
        time.sleep(0.5)
        c3 = cl.containers.run(IMAGE, ["true"], detach=True, name="dpy-ev3")
        th.join(25)
        timer.cancel()
        gen.close()
        check(got and got[0]["Actor"]["ID"] == c3.id and got[0]["Action"] == "start",
              "the start of dpy-ev3 on the live stream", got)
        step("network and volume events")
        since = time.time() - 0.5
        cl.volumes.create("dpy-ev-vol").remove()
        evs = list(cl.events(since=since, until=time.time() + 1, decode=True,
                             filters={"type": "volume"}))
        acts = [(e["Action"], e["Actor"]["ID"]) for e in evs]
        check(("create", "dpy-ev-vol") in acts and ("destroy", "dpy-ev-vol") in acts,
              "volume create and destroy", acts)
    finally:
        rm_containers(cl, "dpy-ev1", "dpy-ev2", "dpy-ev3")


AREAS = {n[5:]: f for n, f in globals().items() if n.startswith("area_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in AREAS:
        print(f"usage: {sys.argv[0]} {'|'.join(AREAS)}", file=sys.stderr)
        return 2
    print(f"docker-py {docker.__version__} on {os.environ.get('DOCKER_HOST')}", flush=True)
    cl = client()
    try:
        AREAS[sys.argv[1]](cl)
    except AssertionError as e:
        print(f"FAILED: {e}", flush=True)
        return 1
    except docker.errors.DockerException as e:
        print(f"FAILED with {type(e).__name__}: {e}", flush=True)
        import traceback
        traceback.print_exc()
        return 1
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
