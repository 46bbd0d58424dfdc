/* berth cp (see copy.h for the path rules and the safety argument). */
#include "copy.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "copy_tree.h"
#include "export.h"
#include "fs.h"
#include "rootfs_access.h"
#include "userspec.h"

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
  enum berth_cp_owner owner;
  const char *user;            /* CTR_USER: the container's User */
  uint32_t user_uid, user_gid; /* it resolved, as the container's ids */
  struct berth_copy_tree tree;
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

/* ---- ownership ---- */

static uint32_t to_ctr_id(const struct side *s, uint32_t id) {
  if (!s->ctr || s->count == 0)
    return id;
  return id >= s->base && id - s->base < s->count ? id - s->base : 65534;
}

static uint32_t from_ctr_id(const struct side *s, uint32_t id) {
  return s->ctr ? berth_copy_host_id(s->base, s->count, id) : id;
}

/* berth_copy_meta_fn (enum berth_cp_owner).  A setuid file of the
 * container must not become a setuid file of the caller on the host
 * unless the source's ids are kept.  An id the container cannot map
 * (a tar header's 70000 with 65536 ids) becomes the container's root,
 * as everywhere in berth cp: the tar's author could as well have
 * written 0, so that grants nothing, and the host never gets an id
 * outside the container's range (never host root). */
static void cp_meta(void *arg, const struct stat *st, uid_t *u, gid_t *g,
                    mode_t *mode) {
  const struct cp *cp = arg;
  switch (cp->owner) {
  case BERTH_CP_OWNER_SOURCE:
    *u = from_ctr_id(&cp->dst, to_ctr_id(&cp->src, st->st_uid));
    *g = from_ctr_id(&cp->dst, to_ctr_id(&cp->src, st->st_gid));
    break;
  case BERTH_CP_OWNER_CTR_USER:
    *u = from_ctr_id(&cp->dst, cp->user_uid);
    *g = from_ctr_id(&cp->dst, cp->user_gid);
    break;
  case BERTH_CP_OWNER_DEST:
    *u = cp->dst.ctr ? from_ctr_id(&cp->dst, 0) : geteuid();
    *g = cp->dst.ctr ? from_ctr_id(&cp->dst, 0) : getegid();
    break;
  }
  *mode = st->st_mode & 07777;
  if (cp->owner != BERTH_CP_OWNER_SOURCE && !cp->dst.ctr)
    *mode &= (mode_t)~(S_ISUID | S_ISGID);
}

/* CTR_USER: the container's User as its process gets it (names looked
 * up in its own /etc/passwd through its root, never the host's). */
static int resolve_owner(struct cp *cp, int root_fd, berth_error **err) {
  if (cp->owner != BERTH_CP_OWNER_CTR_USER)
    return 0;
  struct berth_userspec us = {0};
  if (berth_userspec_resolve(root_fd, cp->user, NULL, &us, err) < 0)
    return berth_error_prefix(err, "copyUIDGID");
  cp->user_uid = us.uid;
  cp->user_gid = us.gid;
  berth_userspec_clear(&us);
  return 0;
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
  _cleanup_free_ char *sbase = berth_copy_path_base(src);
  _cleanup_free_ char *dparent = berth_copy_path_dir(dst);
  _cleanup_free_ char *dbase = berth_copy_path_base(dst);
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
      return berth_copy_children(&cp->tree, sd, into, "", err);
    }
    return berth_copy_entry(&cp->tree, sfd, &sst, into, sbase, err);
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
  return berth_copy_entry(&cp->tree, sfd, &sst, pfd, dbase, err);
}

/* ---- tar streams ---- */

/* The root's entries as Docker names them, "/bin", "/etc/passwd": docker
 * cp renames an archive of "/" by putting the destination's name before
 * each entry. */
static int tar_root(struct berth_tar *t, int root_pfd, berth_error **err) {
  _cleanup_close_ int dfd = openat(root_pfd, ".", O_RDONLY | O_DIRECTORY |
                                                      O_CLOEXEC);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d)
    return berth_error_sys(err, "open `/`");
  dfd = -1; /* the DIR owns it */
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    _cleanup_close_ int cfd = openat(dirfd(d), de->d_name, O_PATH |
                                     O_NOFOLLOW | O_CLOEXEC);
    char name[300];
    snprintf(name, sizeof name, "/%s", de->d_name);
    rc = cfd < 0 ? berth_error_sys(err, "open `%s`", name)
                 : berth_tar_add(t, cfd, name, err);
  }
  closedir(d);
  return rc;
}

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
  _cleanup_free_ char *base = berth_copy_path_base(src);
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
  /* "DIR/." is the directory's contents, named "./..." as Docker's
   * archive names them (docker cp renames entries by that prefix). */
  int rc = S_ISDIR(st.st_mode) && !*base && !contents
               ? tar_root(t, sfd, err)
               : berth_tar_add(t, sfd, contents ? "." : base, err);
  return berth_tar_close(t, rc == 0, err) < 0 || rc < 0 ? -1 : 0;
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
  else
    rc = berth_copy_untar(&cp->tree, a, dfd, err);
  archive_read_free(a);
  return rc;
}

/* ---- entry points ---- */

struct cp_job {
  struct cp *cp;
  const char *src, *dst;
  int fd;
  bool readonly_root; /* --read-only */
  bool running;       /* set by berth_ctr_with_rootfs before the call */
};

static int from_fn(int root_fd, void *p, berth_error **err) {
  struct cp_job *j = p;
  j->cp->src.root = root_fd;
  return j->dst ? copy_paths(j->cp, j->src, j->dst, err)
                : tar_out(j->cp, j->src, j->fd, err);
}

static int to_fn(int root_fd, void *p, berth_error **err) {
  struct cp_job *j = p;
  /* A stopped container's rootfs is mounted writable for the copy: its
   * --read-only must be kept here, as the kernel keeps it (EROFS) when it
   * runs. */
  if (j->readonly_root && !j->running)
    return berth_error_set(err, BERTH_ERR_STATE, EROFS,
                           "container rootfs is marked read-only");
  j->cp->dst.root = root_fd;
  if (resolve_owner(j->cp, root_fd, err) < 0)
    return -1;
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
  cp->owner = o->owner;
  cp->user = json_string_value(json_object_get(c->config, "User"));
  if (cp->owner == BERTH_CP_OWNER_CTR_USER && !to_ctr)
    cp->owner = BERTH_CP_OWNER_DEST; /* out: the container's user is no
                                        one on the host */
  else if (cp->owner == BERTH_CP_OWNER_CTR_USER && (!cp->user || !*cp->user))
    cp->owner = BERTH_CP_OWNER_SOURCE; /* Docker's daemon, without User */
  cp->tree.meta = cp_meta;
  cp->tree.meta_arg = cp;
  cp->tree.keep_nondir = o->no_dir_over_nondir;
  j->cp = cp;
  j->readonly_root = json_is_true(json_object_get(
      json_object_get(c->config, "HostConfig"), "ReadonlyRootfs"));
  int rc = berth_ctr_with_rootfs(e, c, to_ctr ? to_fn : from_fn, j,
                                 &j->running, err);
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
