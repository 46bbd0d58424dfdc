/* berth cp (see copy.h for the path rules and the safety argument). */
#include "copy.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "export.h"
#include "fs.h"
#include "rootfs_access.h"

/* One end of a copy: the container (its root fd and id range) or the
 * host (root -1: paths as the caller gives them). */
struct side {
  int root;
  bool ctr;
  uint32_t base, count;
};

struct cp {
  struct side src, dst;
  const struct berth_cp_opts *o;
  char buf[1 << 16];
};

/* Like berth_open_in_root, with errno left for the caller to branch on
 * (ENOENT decides between "copy as" and "copy into"). */
static int side_open(const struct side *s, const char *path, int flags) {
  if (s->root < 0)
    return openat(AT_FDCWD, *path ? path : ".", flags | O_CLOEXEC);
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return (int)syscall(SYS_openat2, s->root, *path ? path : "/", &how,
                      sizeof how);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The last name of a path, "" for the root, "." or ".." (copy the
 * contents). */
static char *path_base(const char *p) {
  char *s = strdup(p);
  if (!s)
    return NULL;
  for (;;) {
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '/')
      s[n - 1] = 0;
    else if (n > 2 && ends_with(s, "/."))
      s[n - 2] = 0;
    else
      break;
  }
  char *slash = strrchr(s, '/');
  char *b = strdup(slash ? slash + 1 : s);
  free(s);
  if (b && (strcmp(b, ".") == 0 || strcmp(b, "..") == 0))
    *b = 0;
  return b;
}

/* The directory part of a path ("" for a bare name: the root or the
 * current directory, as side_open reads ""). */
static char *path_dir(const char *p) {
  char *s = strdup(p);
  if (!s)
    return NULL;
  size_t n = strlen(s);
  while (n > 1 && s[n - 1] == '/')
    s[--n] = 0;
  char *slash = strrchr(s, '/');
  if (!slash)
    *s = 0;
  else if (slash == s)
    s[1] = 0;
  else
    *slash = 0;
  return s;
}

/* ---- ownership ---- */

static uint32_t to_ctr_id(const struct side *s, uint32_t id) {
  if (!s->ctr || s->count == 0)
    return id;
  return id >= s->base && id - s->base < s->count ? id - s->base : 65534;
}

static uint32_t from_ctr_id(const struct side *s, uint32_t id) {
  if (!s->ctr || s->count == 0)
    return id;
  /* An id the container cannot map becomes its root, never a host id. */
  return s->base + (id < s->count ? id : 0);
}

static void owner_for(const struct cp *cp, const struct stat *st, uid_t *u,
                      gid_t *g) {
  if (cp->o->archive) {
    *u = from_ctr_id(&cp->dst, to_ctr_id(&cp->src, st->st_uid));
    *g = from_ctr_id(&cp->dst, to_ctr_id(&cp->src, st->st_gid));
  } else if (cp->dst.ctr) {
    *u = *g = from_ctr_id(&cp->dst, 0);
  } else {
    *u = geteuid();
    *g = getegid();
  }
}

/* A setuid file of the container must not become a setuid file of the
 * caller on the host. */
static mode_t mode_for(const struct cp *cp, const struct stat *st) {
  mode_t m = st->st_mode & 07777;
  if (!cp->o->archive && !cp->dst.ctr)
    m &= (mode_t)~(S_ISUID | S_ISGID);
  return m;
}

/* ---- creating entries (the destination side) ---- */

/* Makes room for `name` in dirfd: a non-directory is replaced, a
 * directory kept for a directory and refused otherwise. *existing_dir
 * tells whether one is kept. */
static int make_room(int dirfd, const char *name, bool want_dir,
                     bool *existing_dir, berth_error **err) {
  struct stat st;
  *existing_dir = false;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berth_error_sys(err, "stat `%s`", name);
  if (S_ISDIR(st.st_mode)) {
    if (want_dir) {
      *existing_dir = true;
      return 0;
    }
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot overwrite directory `%s` with a "
                           "non-directory", name);
  }
  if (unlinkat(dirfd, name, 0) < 0)
    return berth_error_sys(err, "replace `%s`", name);
  return 0;
}

/* Owner, mode and times of a new entry, through the fd create_node
 * returned (chown first: it clears setuid).  Never by name: the directory
 * belongs to the container, which can swap the name for a symlink to a
 * host path between our creating it and setting its metadata (fchmodat
 * by name follows symlinks, and a running container's absolute symlink
 * resolves against the host's root). */
static int set_meta(const struct cp *cp, int fd, const struct stat *st,
                    const char *name, berth_error **err) {
  uid_t u;
  gid_t g;
  owner_for(cp, st, &u, &g);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (fd < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EBADF, "`%s`", name);
  if (fchownat(fd, "", u, g, AT_EMPTY_PATH) < 0 ||
      /* Symlinks have no mode of their own on Linux. */
      (!S_ISLNK(st->st_mode) && berth_fchmod_any(fd, mode_for(cp, st)) < 0) ||
      utimensat(fd, "", ts, AT_EMPTY_PATH) < 0)
    return berth_error_sys(err, "set the owner and mode of `%s`", name);
  return 0;
}

/* An O_PATH fd of what `name` holds now, which must still be of the kind
 * just created there: otherwise the container replaced it. */
static int open_created(int dirfd, const char *name, mode_t type,
                        berth_error **err) {
  _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW |
                                                   O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return berth_error_sys(err, "open `%s`", name);
  if ((st.st_mode & S_IFMT) != type)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "`%s` was replaced while being copied", name);
  return steal_fd(&fd);
}

/* Creates `name` in dirfd as the kind of *st; *out gets an fd of it for
 * set_meta (writable for a file, a directory fd for a directory, O_PATH
 * for a symlink or FIFO; -1 for kinds not copied); *created says whether
 * a directory was made (an existing one keeps its metadata). */
static int create_node(const struct cp *cp, int dirfd, const char *name,
                       const struct stat *st, const char *link, int *out,
                       bool *created, berth_error **err) {
  bool existing_dir;
  *out = -1;
  *created = true;
  if (make_room(dirfd, name, S_ISDIR(st->st_mode), &existing_dir, err) < 0)
    return -1;
  if (S_ISDIR(st->st_mode)) {
    if (!existing_dir && mkdirat(dirfd, name, 0700) < 0)
      return berth_error_sys(err, "create directory `%s`", name);
    *created = !existing_dir;
    *out = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                   O_CLOEXEC);
    return *out < 0 ? berth_error_sys(err, "open `%s`", name) : 0;
  }
  if (S_ISREG(st->st_mode)) {
    *out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                   O_CLOEXEC, 0600);
    return *out < 0 ? berth_error_sys(err, "create `%s`", name) : 0;
  }
  if (S_ISLNK(st->st_mode)) {
    if (symlinkat(link, dirfd, name) < 0)
      return berth_error_sys(err, "create symlink `%s`", name);
    *out = open_created(dirfd, name, S_IFLNK, err);
    return *out < 0 ? -1 : 0;
  }
  if (S_ISFIFO(st->st_mode)) {
    if (mkfifoat(dirfd, name, 0600) < 0)
      return berth_error_sys(err, "create fifo `%s`", name);
    *out = open_created(dirfd, name, S_IFIFO, err);
    return *out < 0 ? -1 : 0;
  }
  *created = false;
  return 0;
}

static int write_all(int fd, const char *p, size_t n, const char *name,
                     berth_error **err) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return berth_error_sys(err, "write `%s`", name);
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- file tree to file tree ---- */

static int copy_entry(struct cp *cp, int src_pfd, const struct stat *st,
                      int dirfd, const char *name, berth_error **err);

static bool pseudo_fs(int fd) {
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0)
    return false;
  return sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
         sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int copy_children(struct cp *cp, int src_dfd, int dst_dfd,
                         berth_error **err) {
  /* /proc and /sys of a running container: endless or host-wide. */
  if (pseudo_fs(src_dfd))
    return 0;
  int dup_fd = dup(src_dfd);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d) {
    if (dup_fd >= 0)
      close(dup_fd);
    return berth_error_sys(err, "read a directory");
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    _cleanup_close_ int pfd = openat(src_dfd, de->d_name,
                                     O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (pfd < 0 && errno == ENOENT)
      continue;
    if (pfd < 0 || fstat(pfd, &st) < 0)
      rc = berth_error_sys(err, "open `%s`", de->d_name);
    else
      rc = copy_entry(cp, pfd, &st, dst_dfd, de->d_name, err);
  }
  if (rc == 0 && errno)
    rc = berth_error_sys(err, "read a directory");
  closedir(d);
  return rc;
}

static int copy_data(struct cp *cp, int src_pfd, int out, const char *name,
                     berth_error **err) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", src_pfd);
  /* Reopening our own O_PATH fd gives exactly the file it names. */
  _cleanup_close_ int in = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (in < 0)
    return berth_error_sys(err, "open `%s`", name);
  for (;;) {
    ssize_t n = read(in, cp->buf, sizeof cp->buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berth_error_sys(err, "read `%s`", name);
    if (n == 0)
      return 0;
    if (write_all(out, cp->buf, (size_t)n, name, err) < 0)
      return -1;
  }
}

static int copy_entry(struct cp *cp, int src_pfd, const struct stat *st,
                      int dirfd, const char *name, berth_error **err) {
  if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) &&
      !S_ISLNK(st->st_mode) && !S_ISFIFO(st->st_mode))
    return 0; /* devices and sockets are not copied */
  char link[4097] = "";
  if (S_ISLNK(st->st_mode)) {
    ssize_t n = readlinkat(src_pfd, "", link, sizeof link - 1);
    if (n < 0)
      return berth_error_sys(err, "readlink `%s`", name);
    link[n] = 0;
  }
  _cleanup_close_ int fd = -1;
  bool created;
  if (create_node(cp, dirfd, name, st, link, &fd, &created, err) < 0)
    return -1;
  if (S_ISREG(st->st_mode) && copy_data(cp, src_pfd, fd, name, err) < 0)
    return -1;
  if (S_ISDIR(st->st_mode)) {
    _cleanup_close_ int sdir = openat(src_pfd, ".", O_RDONLY | O_DIRECTORY |
                                                        O_CLOEXEC);
    if (sdir < 0)
      return berth_error_sys(err, "open directory `%s`", name);
    if (copy_children(cp, sdir, fd, err) < 0)
      return berth_error_prefix(err, "`%s`", name);
    if (!created)
      return 0;
  }
  return set_meta(cp, fd, st, name, err);
}

/* Docker's rules (copy.h) from an opened source to a destination path. */
static int copy_paths(struct cp *cp, const char *src, const char *dst,
                      berth_error **err) {
  _cleanup_close_ int sfd = side_open(&cp->src, src, O_PATH |
                                      (cp->o->follow ? 0 : O_NOFOLLOW));
  struct stat sst;
  if (sfd < 0 || fstat(sfd, &sst) < 0)
    return berth_error_set(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND
                                                : BERTH_ERR_SYSTEM,
                           errno, "source `%s`", src);
  bool sdir = S_ISDIR(sst.st_mode);
  bool contents = ends_with(src, "/.") || strcmp(src, ".") == 0;
  if ((contents || ends_with(src, "/")) && !sdir)
    return berth_error_set(err, BERTH_ERR_INVALID, ENOTDIR, "source `%s`",
                           src);
  _cleanup_free_ char *sbase = path_base(src);
  _cleanup_free_ char *dparent = path_dir(dst);
  _cleanup_free_ char *dbase = path_base(dst);
  if (!sbase || !dparent || !dbase)
    return berth_error_sys(err, "allocate");
  if (sdir && !*sbase)
    contents = true;
  _cleanup_close_ int dfd = side_open(&cp->dst, dst, O_PATH);
  struct stat dst_st;
  if (dfd >= 0 && fstat(dfd, &dst_st) < 0)
    return berth_error_sys(err, "stat `%s`", dst);
  if (dfd < 0 && errno != ENOENT)
    return berth_error_sys(err, "destination `%s`", dst);
  if (dfd >= 0 && S_ISDIR(dst_st.st_mode)) {
    _cleanup_close_ int into = openat(dfd, ".", O_RDONLY | O_DIRECTORY |
                                                    O_CLOEXEC);
    if (into < 0)
      return berth_error_sys(err, "open `%s`", dst);
    if (sdir && contents) {
      _cleanup_close_ int sd = openat(sfd, ".", O_RDONLY | O_DIRECTORY |
                                                    O_CLOEXEC);
      if (sd < 0)
        return berth_error_sys(err, "open `%s`", src);
      return copy_children(cp, sd, into, err);
    }
    return copy_entry(cp, sfd, &sst, into, sbase, err);
  }
  if (dfd >= 0 && sdir)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "cannot copy directory `%s` to file `%s`", src,
                           dst);
  if (ends_with(dst, "/"))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "destination directory `%s` must exist", dst);
  if (!*dbase)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid destination `%s`", dst);
  _cleanup_close_ int pfd = side_open(&cp->dst, dparent,
                                      O_RDONLY | O_DIRECTORY);
  if (pfd < 0)
    return berth_error_set(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND
                                                : BERTH_ERR_SYSTEM,
                           errno, "destination directory of `%s`", dst);
  return copy_entry(cp, sfd, &sst, pfd, dbase, err);
}

/* ---- tar streams ---- */

static int tar_out(struct cp *cp, const char *src, int out_fd,
                   berth_error **err) {
  _cleanup_close_ int sfd = side_open(&cp->src, src, O_PATH |
                                      (cp->o->follow ? 0 : O_NOFOLLOW));
  struct stat st;
  if (sfd < 0 || fstat(sfd, &st) < 0)
    return berth_error_set(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND
                                                : BERTH_ERR_SYSTEM,
                           errno, "source `%s`", src);
  bool contents = ends_with(src, "/.") || strcmp(src, ".") == 0;
  if ((contents || ends_with(src, "/")) && !S_ISDIR(st.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, ENOTDIR, "source `%s`",
                           src);
  _cleanup_free_ char *base = path_base(src);
  if (!base)
    return berth_error_sys(err, "allocate");
  struct berth_tar_opts o = {.strip_special = true};
  if (cp->src.ctr) {
    o.id_base = cp->src.base;
    o.id_count = cp->src.count;
  }
  struct berth_tar *t;
  if (berth_tar_open(out_fd, NULL, NULL, &o, &t, err) < 0)
    return -1;
  int rc = berth_tar_add(t, sfd, contents ? "" : base, err);
  return berth_tar_close(t, rc == 0, err) < 0 || rc < 0 ? -1 : 0;
}

/* A tar entry's name, relative and without "." components; NULL for one
 * with "..". */
static char *clean_name(const char *name) {
  char *out = malloc(strlen(name) + 1);
  if (!out)
    return NULL;
  size_t n = 0;
  const char *p = name;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 0)
      break;
    if (len == 2 && strncmp(p, "..", 2) == 0) {
      free(out);
      return NULL;
    }
    if (!(len == 1 && *p == '.')) {
      if (n)
        out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p += len;
  }
  out[n] = 0;
  return out;
}

/* The parent directory of entry `rel` inside the destination root_fd,
 * creating missing directories owned as copied entries are. */
static int entry_parent(const struct cp *cp, int root_fd, const char *rel,
                        berth_error **err) {
  _cleanup_free_ char *dir = path_dir(rel);
  if (!dir)
    return berth_error_sys(err, "allocate");
  struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, root_fd, *dir ? dir : ".", &how,
                        sizeof how);
  if (fd >= 0 || errno != ENOENT)
    return fd >= 0 ? fd : berth_error_sys(err, "open `%s`", dir);
  int pfd = entry_parent(cp, root_fd, dir, err);
  if (pfd < 0)
    return -1;
  _cleanup_free_ char *base = path_base(dir);
  struct stat st = {.st_mode = S_IFDIR | 0755};
  st.st_uid = st.st_gid = 0;
  clock_gettime(CLOCK_REALTIME, &st.st_mtim);
  st.st_atim = st.st_mtim;
  int dfd = -1;
  bool created;
  int rc = base ? create_node(cp, pfd, base, &st, NULL, &dfd, &created, err)
                : berth_error_sys(err, "allocate");
  if (rc == 0 && created)
    rc = set_meta(cp, dfd, &st, base, err);
  close(pfd);
  if (rc < 0 && dfd >= 0)
    close(dfd);
  return rc < 0 ? -1 : dfd;
}

static int extract_entry(struct cp *cp, struct archive *a,
                         struct archive_entry *ae, int root_fd,
                         berth_error **err) {
  const char *path = archive_entry_pathname(ae);
  if (!path)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "tar entry without a name");
  _cleanup_free_ char *rel = clean_name(path);
  if (!rel)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "tar entry `%s`: `..` is not allowed",
                           archive_entry_pathname(ae));
  if (!*rel)
    return 0; /* "./": the destination itself */
  _cleanup_close_ int pfd = entry_parent(cp, root_fd, rel, err);
  if (pfd < 0)
    return berth_error_prefix(err, "tar entry `%s`", rel);
  _cleanup_free_ char *base = path_base(rel);
  if (!base)
    return berth_error_sys(err, "allocate");
  const char *hard = archive_entry_hardlink(ae);
  if (hard) {
    _cleanup_free_ char *target = clean_name(hard);
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT |
                                      RESOLVE_NO_MAGICLINKS};
    _cleanup_close_ int tfd =
        target ? (int)syscall(SYS_openat2, root_fd, target, &how, sizeof how)
               : -1;
    bool dir;
    if (tfd < 0)
      return berth_error_set(err, BERTH_ERR_INVALID, errno,
                             "tar entry `%s`: hard link target `%s`", rel,
                             hard);
    if (make_room(pfd, base, false, &dir, err) < 0 ||
        linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
      return berth_error_sys(err, "tar entry `%s`: link", rel);
    return 0;
  }
  const struct stat *st = archive_entry_stat(ae);
  if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) &&
      !S_ISLNK(st->st_mode) && !S_ISFIFO(st->st_mode))
    return 0;
  _cleanup_close_ int fd = -1;
  bool created;
  const char *link = archive_entry_symlink(ae);
  if (create_node(cp, pfd, base, st, link ? link : "", &fd, &created,
                  err) < 0)
    return berth_error_prefix(err, "tar entry `%s`", rel);
  if (S_ISREG(st->st_mode) && archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
    return berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                           "tar entry `%s`: %s", rel,
                           archive_error_string(a));
  if (S_ISDIR(st->st_mode) && !created)
    return 0;
  return set_meta(cp, fd, st, base, err);
}

static int tar_in(struct cp *cp, int in_fd, const char *dst,
                  berth_error **err) {
  _cleanup_close_ int dfd = side_open(&cp->dst, dst, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return berth_error_set(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND
                                                : BERTH_ERR_INVALID,
                           errno, "destination `%s` must be a directory",
                           dst);
  struct archive *a = archive_read_new();
  if (!a)
    return berth_error_sys(err, "allocate");
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  int rc = 0;
  if (archive_read_open_fd(a, in_fd, 1 << 16) != ARCHIVE_OK)
    rc = berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                         "read the tar stream: %s", archive_error_string(a));
  struct archive_entry *ae;
  int r;
  while (rc == 0 && (r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
    if (r < ARCHIVE_WARN)
      rc = berth_error_set(err, BERTH_ERR_INVALID, archive_errno(a),
                           "read the tar stream: %s",
                           archive_error_string(a));
    else
      rc = extract_entry(cp, a, ae, dfd, err);
  }
  archive_read_free(a);
  return rc;
}

/* ---- entry points ---- */

struct cp_job {
  struct cp *cp;
  const char *src, *dst;
  int fd;
};

static int from_fn(int root_fd, void *p, berth_error **err) {
  struct cp_job *j = p;
  j->cp->src.root = root_fd;
  return j->dst ? copy_paths(j->cp, j->src, j->dst, err)
                : tar_out(j->cp, j->src, j->fd, err);
}

static int to_fn(int root_fd, void *p, berth_error **err) {
  struct cp_job *j = p;
  j->cp->dst.root = root_fd;
  return j->src ? copy_paths(j->cp, j->src, j->dst, err)
                : tar_in(j->cp, j->fd, j->dst, err);
}

static int cp_run(struct berth_engine *e, const char *ref, bool to_ctr,
                  struct cp_job *j, const struct berth_cp_opts *o,
                  berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  struct cp *cp = calloc(1, sizeof *cp);
  if (!cp)
    return berth_error_sys(err, "allocate");
  struct side ctr = {.root = -1, .ctr = true, .base = c->id_base,
                     .count = c->id_count};
  struct side host = {.root = -1};
  cp->src = to_ctr ? host : ctr;
  cp->dst = to_ctr ? ctr : host;
  cp->o = o;
  j->cp = cp;
  int rc = berth_ctr_with_rootfs(e, c, to_ctr ? to_fn : from_fn, j, NULL,
                                 err);
  free(cp);
  return rc < 0 ? berth_error_prefix(err, "cp") : 0;
}

int berth_ctr_cp_from(struct berth_engine *e, const char *ref,
                      const char *src, const char *dst, int out_fd,
                      const struct berth_cp_opts *o, berth_error **err) {
  struct cp_job j = {.src = src, .dst = dst, .fd = out_fd};
  return cp_run(e, ref, false, &j, o, err);
}

int berth_ctr_cp_to(struct berth_engine *e, const char *ref, const char *src,
                    int in_fd, const char *dst,
                    const struct berth_cp_opts *o, berth_error **err) {
  struct cp_job j = {.src = src, .dst = dst, .fd = in_fd};
  return cp_run(e, ref, true, &j, o, err);
}
