/* Docker's ContainerPathStat of a path inside a container (see copy.h):
 * what `docker cp` asks before it copies (HEAD /containers/{id}/archive,
 * and the X-Docker-Container-Path-Stat header of a GET). */
#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "copy_tree.h"
#include "rootfs_access.h"

/* Filled by the rootfs function, which for a stopped container runs in a
 * forked child: the struct lives in a shared mapping. */
struct path_stat {
  const char *path;
  struct stat st;
  char target[PATH_MAX]; /* the container path a symlink resolves to */
};

static int open_in(int root, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, root, *path ? path : "/", &how,
                      sizeof how);
}

static int fd_path(int fd, char *buf, size_t size) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(proc, buf, size - 1);
  if (n < 0)
    return -1;
  buf[n] = 0;
  return 0;
}

/* The container path a symlink leads to: where the kernel resolved it
 * (in the root), less the root's own path.  Empty when it leads nowhere
 * (a dangling link), as Docker's stat gives it then. */
static void link_target(int root, const char *path, char *out, size_t size) {
  char rp[PATH_MAX], tp[PATH_MAX];
  *out = 0;
  _cleanup_close_ int t = open_in(root, path, O_PATH);
  if (t < 0 || fd_path(root, rp, sizeof rp) < 0 ||
      fd_path(t, tp, sizeof tp) < 0)
    return;
  size_t n = strcmp(rp, "/") == 0 ? 0 : strlen(rp);
  if (strncmp(tp, rp, n) != 0 || (tp[n] != '/' && tp[n] != 0))
    return;
  snprintf(out, size, "%s", tp[n] ? tp + n : "/");
}

static int stat_fn(int root, void *arg, berth_error **err) {
  struct path_stat *ps = arg;
  _cleanup_close_ int fd = open_in(root, ps->path, O_PATH | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &ps->st) < 0)
    return berth_error_set(err, errno == ENOENT || errno == ENOTDIR
                                    ? BERTH_ERR_NOT_FOUND
                                    : BERTH_ERR_SYSTEM,
                           errno, "stat `%s`", ps->path);
  if (S_ISLNK(ps->st.st_mode))
    link_target(root, ps->path, ps->target, sizeof ps->target);
  return 0;
}

uint32_t berth_go_file_mode(mode_t m) {
  /* Go's os.FileMode: the permission bits, then type and special bits
   * high up (ModeDir 1<<31 ... ModeSticky 1<<20). */
  uint32_t g = m & 0777;
  switch (m & S_IFMT) {
  case S_IFDIR: g |= 1u << 31; break;
  case S_IFLNK: g |= 1u << 27; break;
  case S_IFBLK: g |= 1u << 26; break;
  case S_IFCHR: g |= (1u << 26) | (1u << 21); break;
  case S_IFIFO: g |= 1u << 25; break;
  case S_IFSOCK: g |= 1u << 24; break;
  default: break;
  }
  if (m & S_ISUID)
    g |= 1u << 23;
  if (m & S_ISGID)
    g |= 1u << 22;
  if (m & S_ISVTX)
    g |= 1u << 20;
  return g;
}

static json_t *rfc3339(const struct timespec *ts) {
  struct tm tm;
  char buf[64];
  gmtime_r(&ts->tv_sec, &tm);
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts->tv_nsec);
  return json_string(buf);
}

static json_t *stat_doc(const struct path_stat *ps) {
  _cleanup_free_ char *base = berth_copy_path_base(ps->path);
  size_t n = strlen(ps->path);
  bool dot = n >= 1 && ps->path[n - 1] == '.' && (n == 1 || ps->path[n - 2] == '/');
  /* Docker names "DIR/." "." (Go's filepath.Base), the root "/" and
   * anything else by its last name. */
  const char *name = dot ? "." : base && *base ? base : "/";
  return json_pack("{s:s,s:I,s:I,s:o,s:s}", "name", name, "size",
                   (json_int_t)ps->st.st_size, "mode",
                   (json_int_t)berth_go_file_mode(ps->st.st_mode), "mtime",
                   rfc3339(&ps->st.st_mtim), "linkTarget", ps->target);
}

int berth_ctr_path_stat(struct berth_engine *e, const char *ref,
                        const char *path, json_t **out, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  struct path_stat *ps = mmap(NULL, sizeof *ps, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (ps == MAP_FAILED)
    return berth_error_sys(err, "allocate");
  ps->path = path;
  berth_error *why = NULL;
  int rc = berth_ctr_with_rootfs(e, c, stat_fn, ps, NULL, &why);
  if (rc < 0 && why->kind == BERTH_ERR_NOT_FOUND) {
    berth_error_free(why);
    why = NULL;
    berth_error_set(&why, BERTH_ERR_NOT_FOUND, 0,
                    "Could not find the file %s in container %s", path, ref);
  }
  if (rc == 0 && !(*out = stat_doc(ps)))
    rc = berth_error_set(&why, BERTH_ERR_SYSTEM, ENOMEM, "stat `%s`", path);
  munmap(ps, sizeof *ps);
  if (rc < 0 && err && !*err)
    *err = why;
  else
    berth_error_free(why);
  return rc;
}
