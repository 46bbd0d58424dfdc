#!/usr/bin/env python3
"""The exec stub (src/stub/exec_stub.c) on every CPU berth builds for.

usage: stub_test.py NATIVE_STUB SOURCE CFLAGS...

NATIVE_STUB (the stub this build embeds) runs natively: both modes, the
spawn mode's pid report and a clone into a sibling.  For every other CPU
the same SOURCE is compiled with CFLAGS by <cpu>-linux-gnu-gcc and run
under qemu-<cpu>-static (Debian: gcc-aarch64-linux-gnu, qemu-user-static;
make deps installs them).  qemu's user mode runs the stub's execve of a
host program natively, but refuses clone(CLONE_PARENT) with EINVAL: there
the spawn mode is checked up to its STUB_FAILED report of that error.
Exit status 77 (skip) when no foreign CPU could be tested and none was
asked for.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

FOREIGN = ["aarch64"]
SYNC_PID, SYNC_STUB_FAILED = 6, 10
EINVAL = 22


def run(runner, stub, argv0, args):
    if runner:
        cmd = runner + ["-0", argv0, stub] + args
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return subprocess.run([argv0] + args, executable=stub,
                          capture_output=True, text=True, timeout=30)


def check_exec_mode(runner, stub):
    r = run(runner, stub, "berth-exec", ["/bin/echo", "echo", "hello"])
    assert r.returncode == 0 and r.stdout == "hello\n", r
    r = run(runner, stub, "berth-exec", ["/nonexistent", "x"])
    assert r.returncode == 127, r
    assert "berth: exec failed: /nonexistent" in r.stderr, r
    # As the interpreter of a #!/proc/self/exe script: too few arguments.
    r = run(runner, stub, "/proc/self/exe", ["/script"])
    assert r.returncode == 127 and r.stdout == "", r


def records(sock):
    out = []
    while True:
        m = sock.recv(4096)
        if not m:
            return out
        t, v, _kind = struct.unpack("<IiI", m[:12])
        out.append((t, v, m[12:].split(b"\0")[0].decode()))


def spawn(runner, stub, prog):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fd = b.fileno()
    args = [str(fd), "-", prog, "echo", "spawned"]
    if runner:
        cmd, exe = runner + ["-0", "berth-spawn", stub] + args, None
    else:
        cmd, exe = ["berth-spawn"] + args, stub
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, executable=exe, pass_fds=[fd], stdout=out)
        b.close()
        recs = records(a)
        rc = p.wait(timeout=30)
        # CLONE_PARENT: the spawned process is our child too.
        status = None
        for t, v, _ in recs:
            if t == SYNC_PID:
                status = os.waitstatus_to_exitcode(os.waitpid(v, 0)[1])
        out.seek(0)
        return rc, recs, status, out.read()


def check_spawn_mode(runner, stub):
    rc, recs, status, out = spawn(runner, stub, "/bin/echo")
    if runner and recs == [(SYNC_STUB_FAILED, EINVAL, "clone the new process")]:
        assert rc == 1, (rc, recs)
        return "spawn: clone(CLONE_PARENT) refused by qemu, reported"
    assert rc == 0, (rc, recs, out)
    assert len(recs) == 1 and recs[0][0] == SYNC_PID and recs[0][1] > 0, recs
    assert status == 0 and out == "spawned\n", (status, out)
    # A program that cannot be executed: the new process's exit status
    # says so (the runtime waits for it), not a report.
    rc, recs, status, out = spawn(runner, stub, "/nonexistent")
    assert rc == 0 and [r[0] for r in recs] == [SYNC_PID], (rc, recs)
    assert status == 127, status
    return "spawn: pid reported, program ran"


def foreign(cpu, source, cflags):
    cc = shutil.which(cpu + "-linux-gnu-gcc")
    qemu = shutil.which("qemu-%s-static" % cpu) or shutil.which("qemu-" + cpu)
    if not cc or not qemu:
        print("# %s: no cross compiler or qemu, skipped" % cpu)
        return False
    with tempfile.TemporaryDirectory() as d:
        stub = os.path.join(d, "stub")
        subprocess.run([cc] + cflags + ["-fno-tree-loop-distribute-patterns",
                                        "-o", stub, source], check=True)
        check_exec_mode([qemu], stub)
        print("# %s: exec mode ok; %s" % (cpu, check_spawn_mode([qemu], stub)))
    return True


def main():
    native, source, cflags = sys.argv[1], sys.argv[2], sys.argv[3:]
    check_exec_mode(None, native)
    print("# native: exec mode ok; " + check_spawn_mode(None, native))
    machine = os.uname().machine
    tested = [foreign(cpu, source, cflags) for cpu in FOREIGN if cpu != machine]
    return 0 if any(tested) or not tested else 77


if __name__ == "__main__":
    sys.exit(main())
