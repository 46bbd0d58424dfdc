#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and drives it as a user at a
terminal would: the tests of `berth run -it`, `exec -it` and `attach`.

  ptyrun.py [--rows R] [--cols C] [--timeout S] [--pidfile F] [-e STEP]...
            -- CMD [ARG...]

The command gets the pty's slave as its controlling terminal and stdio,
at size R x C (TIOCSWINSZ on the master, before it starts); its pid is
written to F.  Steps, in
order, each bounded by --timeout (default 20 s):
  expect REGEX    wait until the output read since the last match matches
  send TEXT       type TEXT (Python escapes: \\x10 is ctrl-p, \\r is Enter)
  resize R C      TIOCSWINSZ on the master, as a terminal emulator does
                  when its window changes (the kernel then sends SIGWINCH
                  to the terminal's foreground process group)
  signal NAME     send signal NAME (e.g. USR1) to the command
  sleep S
  wait            wait for the command to exit
All output goes to stdout at the end (also on failure).  Exit status: the
command's (128+N for signal N), or 124 when a step timed out (the command
is then killed).
"""
import argparse
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Driver:
    def __init__(self, master, pid, timeout):
        self.master, self.pid, self.timeout = master, pid, timeout
        self.out = b""
        self.mark = 0
        self.status = None

    def read_some(self, until):
        left = max(0.0, until - time.monotonic())
        r, _, _ = select.select([self.master], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if data:
                self.out += data
                return True
        self.reap()
        return False

    def reap(self):
        if self.status is None:
            p, st = os.waitpid(self.pid, os.WNOHANG)
            if p == self.pid:
                self.status = st

    def expect(self, pattern):
        rx = re.compile(pattern.encode())
        until = time.monotonic() + self.timeout
        while time.monotonic() < until:
            m = rx.search(self.out, self.mark)
            if m:
                self.mark = m.end()
                return True
            if not self.read_some(until) and self.status is not None:
                # Gone: read what is left in the pty once more.
                while self.read_some(time.monotonic() + 0.1):
                    pass
                m = rx.search(self.out, self.mark)
                if m:
                    self.mark = m.end()
                    return True
                return False
        return False

    def wait(self):
        until = time.monotonic() + self.timeout
        while time.monotonic() < until:
            self.read_some(until)
            if self.status is not None:
                while self.read_some(time.monotonic() + 0.1):
                    pass
                return True
        return False


def run_step(d, step):
    verb, _, arg = step.partition(" ")
    if verb == "expect":
        return d.expect(arg)
    if verb == "send":
        os.write(d.master, arg.encode().decode("unicode_escape").encode("latin-1"))
        return True
    if verb == "resize":
        rows, cols = (int(x) for x in arg.split())
        set_size(d.master, rows, cols)
        return True
    if verb == "signal":
        os.kill(d.pid, getattr(signal, "SIG" + arg))
        return True
    if verb == "sleep":
        until = time.monotonic() + float(arg)
        while time.monotonic() < until:
            d.read_some(until)
        return True
    if verb == "wait":
        return d.wait()
    raise SystemExit("ptyrun: unknown step %r" % step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=24)
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--pidfile")
    ap.add_argument("-e", dest="steps", action="append", default=[])
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    master, slave = os.openpty()
    set_size(master, a.rows, a.cols)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in range(3):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        try:
            os.execvp(a.cmd[0], a.cmd)
        finally:
            os._exit(127)
    os.close(slave)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % pid)
        os.rename(a.pidfile + ".tmp", a.pidfile)
    d = Driver(master, pid, a.timeout)
    failed = None
    for step in a.steps:
        if not run_step(d, step):
            failed = step
            break
    if failed is None and not d.wait():
        failed = "exit"
    sys.stdout.write(d.out.decode("utf-8", "replace"))
    sys.stdout.flush()
    if failed is not None:
        sys.stderr.write("ptyrun: step timed out: %s\n" % failed)
        if d.status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return 124
    st = d.status
    return os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)


if __name__ == "__main__":
    sys.exit(main())
