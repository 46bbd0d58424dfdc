/* A no-op cgroup migration in a helper process (see cgroup_warm.h). */
#include "cgroup_warm.h"

#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The cgroup.procs of a cgroup this process is in.  Any hierarchy will do
 * (the lock is global), so the usual mount points are tried in turn: the
 * unified tree (hybrid, then pure v2), then each v1 controller. */
static int open_own_procs(void) {
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (f == NULL)
    return -1;
  char line[4096], path[4200];
  int fd = -1;
  while (fd < 0 && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    char *ctrl = strchr(line, ':');
    char *cg = ctrl ? strchr(ctrl + 1, ':') : NULL;
    if (cg == NULL)
      continue;
    *cg++ = '\0';
    ctrl++;
    if (*ctrl == '\0') {
      snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/cgroup.procs",
               cg);
      fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0) {
        snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", cg);
        fd = open(path, O_WRONLY | O_CLOEXEC);
      }
      continue;
    }
    if (strncmp(ctrl, "name=", 5) == 0)
      ctrl += 5;
    snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cgroup.procs", ctrl, cg);
    fd = open(path, O_WRONLY | O_CLOEXEC);
  }
  fclose(f);
  return fd;
}

/* Runs in the helper: raw system calls only.  The helper shares our
 * memory but none of our locks' owners, so it must not touch libc state
 * (no malloc, no stdio). */
static int migrate_in_place(void *arg) {
  int fd = (int)(long)arg;
  /* "0": the writing process, into the cgroup that owns the file.  The
   * helper inherited our cgroups, so it stays where it is. */
  (void)!syscall(SYS_write, fd, "0", 1);
  return 0;
}

void berth_cgroup_prewarm(void) {
  /* A process, not a thread: the runtime clones with raw clone3(2), which
   * skips libc's fork handlers, so a lock a thread of ours held at that
   * moment would stay locked forever in the clone.  CLONE_VM makes the
   * helper as cheap as a thread (no page tables copied); its exit signal
   * is 0, so it neither signals us nor shows up in wait(-1); it stays a
   * zombie until we exit. */
  static char stack[16384] __attribute__((aligned(16)));
  static bool started;
  if (started)
    return;
  int fd = open_own_procs();
  if (fd < 0)
    return;
  started = true;
  if (clone(migrate_in_place, stack + sizeof(stack), CLONE_VM,
            (void *)(long)fd) < 0)
    started = false;
  close(fd); /* the helper has its own copy of the descriptor table */
}
