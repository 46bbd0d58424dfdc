/* berth-exec: the last program the runtime runs inside a container.
 *
 * The init execs this stub from a sealed memfd, and the stub execs the
 * user's program.  So while the user's program is being loaded, the
 * running executable is the sealed stub, not the host's berth-runtime: a
 * container binary whose interpreter is /proc/self/exe (CVE-2019-5736)
 * gets this read-only stub and can overwrite nothing on the host.
 *
 * argv: berth-exec PATH ARGV0 ARGS...   Freestanding: no libc, x86_64.
 * Built with -nostdlib -static; a few hundred bytes of code. */

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

#define SYS_write 1
#define SYS_execve 59
#define SYS_exit_group 231

static unsigned long len(const char *s) {
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

__attribute__((used, noreturn)) void stub_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  if (argc < 3)
    sys3(SYS_exit_group, 127, 0, 0);
  long r = sys3(SYS_execve, (long)argv[1], (long)(argv + 2), (long)envp);
  static const char msg[] = "berth: exec failed: ";
  sys3(SYS_write, 2, (long)msg, sizeof(msg) - 1);
  sys3(SYS_write, 2, (long)argv[1], (long)len(argv[1]));
  sys3(SYS_write, 2, (long)"\n", 1);
  sys3(SYS_exit_group, r == -2 ? 127 : 126, 0, 0);
  for (;;)
    ;
}
