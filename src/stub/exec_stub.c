/* berth-exec: the only image a container ever sees the runtime run.
 *
 * The runtime never lets a container process see its own binary: what a
 * container can reach through /proc/PID/exe (CVE-2019-5736) is this stub,
 * a few hundred bytes in a sealed, exec-only file (src/oci/exec_stub.c),
 * which cannot be written and, being unreadable by the process that execs
 * it, leaves that process non-dumpable.  Two modes, chosen by argv[0]:
 *
 *   berth-exec PATH ARGV0 ARGS...
 *       `run`: the container's init execs the stub, which execs PATH in
 *       place.  A container binary whose interpreter is /proc/self/exe
 *       gets the stub again (which then refuses: too few arguments).
 *   berth-spawn FD FLAGS PATH ARGV0 ARGS...
 *       `exec`: the joining process (outside the container's pid
 *       namespace, with the final credentials) execs the stub, which
 *       clones the container's new process as a sibling (CLONE_PARENT, so
 *       the runtime is its parent) and reports its pid on FD.  So the
 *       first process born in the container's pid namespace already runs
 *       this stub, never the runtime.  FLAGS "t": make the terminal on
 *       stdin the child's controlling terminal in a new session.
 *
 * Reports on FD are struct berth_sync_msg records (src/oci/sync.h):
 * PID (value: the child's pid) or STUB_FAILED (value: errno, text: what).
 * A failed exec of PATH prints "berth: exec failed: PATH" and exits 127
 * (ENOENT) or 126, like a shell.
 *
 * Freestanding: no libc.  Each architecture supplies _start and a raw
 * system call below; meson refuses to build berth for one without them. */

#define SIGCHLD 17
#define CLONE_PARENT 0x00008000
#define F_SETFD 2
#define FD_CLOEXEC 1
#define TIOCSCTTY 0x540E
#define ENOENT 2
#define SYNC_PID 6     /* BERTH_SYNC_PID */
#define SYNC_STUB 10   /* BERTH_SYNC_STUB_FAILED */

#if defined(__x86_64__)
#define SYS_write 1
#define SYS_close 3
#define SYS_ioctl 16
#define SYS_clone 56
#define SYS_execve 59
#define SYS_fcntl 72
#define SYS_setsid 112
#define SYS_exit_group 231
__asm__(".globl _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call stub_main\n"
        "  hlt\n");

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
#define SYS_fcntl 25
#define SYS_ioctl 29
#define SYS_close 57
#define SYS_write 64
#define SYS_exit_group 94
#define SYS_setsid 157
#define SYS_clone 220
#define SYS_execve 221
/* The kernel starts us with sp 16-byte aligned, as AAPCS64 requires. */
__asm__(".globl _start\n"
        "_start:\n"
        "  mov x0, sp\n"
        "  bl stub_main\n"
        "  brk #0\n");

static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2)
                   : "memory");
  return x0;
}
#else
#error "no berth exec stub for this architecture (see src/stub/exec_stub.c)"
#endif

struct msg {
  unsigned int type;
  int value;
  unsigned int kind; /* berth_error_kind of a SYNC_ERROR: unused here */
  char text[64];
};

static unsigned long len(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static __attribute__((noreturn)) void die(int status) {
  for (;;)
    sys3(SYS_exit_group, status, 0, 0);
}

static int parse_fd(const char *s) {
  int v = 0;
  if (*s == '\0')
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 100000)
      return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

static void report(int fd, unsigned int type, long value, const char *what) {
  struct msg m = {.type = type, .value = (int)value};
  unsigned long n = len(what);
  if (n > sizeof(m.text) - 1)
    n = sizeof(m.text) - 1;
  for (unsigned long i = 0; i < n; i++)
    m.text[i] = what[i];
  /* One write is one record on the runtime's SOCK_SEQPACKET socket. */
  sys3(SYS_write, fd, (long)&m, (long)(12 + n + 1));
}

static __attribute__((noreturn)) void exec_program(char **argv, char **envp) {
  long r = sys3(SYS_execve, (long)argv[0], (long)(argv + 1), (long)envp);
  static const char msg[] = "berth: exec failed: ";
  sys3(SYS_write, 2, (long)msg, sizeof(msg) - 1);
  sys3(SYS_write, 2, (long)argv[0], (long)len(argv[0]));
  sys3(SYS_write, 2, (long)"\n", 1);
  die(r == -ENOENT ? 127 : 126);
}

/* argv: FD FLAGS PATH ARGV0 ARGS... */
static __attribute__((noreturn)) void spawn(char **argv, char **envp) {
  int fd = parse_fd(argv[0]);
  if (fd < 0)
    die(127);
  long pid = sys3(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0);
  if (pid < 0) {
    report(fd, SYNC_STUB, -pid, "clone the new process");
    die(1);
  }
  if (pid > 0) {
    report(fd, SYNC_PID, pid, "");
    die(0);
  }
  if (argv[1][0] == 't') {
    /* The terminal is nobody's yet: a new session leader takes it
     * without privileges. */
    long r = sys3(SYS_setsid, 0, 0, 0);
    if (r >= 0)
      r = sys3(SYS_ioctl, 0, TIOCSCTTY, 0);
    if (r < 0) {
      report(fd, SYNC_STUB, -r, "set the controlling terminal");
      die(1);
    }
  }
  /* The runtime reads end-of-file once the program is executing.  The
   * program must never hold the runtime's socket: when the seccomp
   * profile denies fcntl, close it; when that fails too, do not run. */
  if (sys3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC) < 0 &&
      sys3(SYS_close, fd, 0, 0) < 0)
    die(126);
  exec_program(argv + 2, envp);
}

static int is(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

__attribute__((used, noreturn)) void stub_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc >= 5 && is(argv[0], "berth-spawn"))
    spawn(argv + 1, envp);
  if (argc < 3)
    die(127);
  exec_program(argv + 1, envp);
}
