/* Tar streams of container filesystems: the tar writer shared with cp,
 * export, and commit (a layer from the upper dir). */
#include "export.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "archive_internal.h" /* berth_image_record_local, berth_added */
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "diff.h"
#include "images.h"
#include "lifecycle.h"
#include "rootfs_access.h"
#include "start.h"

struct berth_tar {
  struct archive *a;
  struct berth_tar_opts o;
  berth_tar_write_fn write_fn;
  void *ctx;
  berth_error *werr; /* from write_fn, reported after libarchive's */
  /* Hard links inside the tree stay hard links (an import of the export
   * gets the same files, not copies). */
  struct archive_entry_linkresolver *links;
  uint64_t root_mnt;
  bool have_root_mnt;
  char *buf;
};

static la_ssize_t tar_write_cb(struct archive *a, void *p, const void *buf,
                               size_t len) {
  struct berth_tar *t = p;
  if (t->write_fn(t->ctx, buf, len, &t->werr) < 0) {
    archive_set_error(a, EIO, "write failed");
    return -1;
  }
  return (la_ssize_t)len;
}

static int tar_error(struct berth_tar *t, const char *what, const char *name,
                     berth_error **err) {
  if (t->werr) {
    berth_error *w = t->werr;
    t->werr = NULL;
    berth_error_set(err, w->kind, 0, "%s", w->msg);
    berth_error_free(w);
    return -1;
  }
  return berth_error_set(err, BERTH_ERR_SYSTEM, archive_errno(t->a),
                         "%s `%s`: %s", what, name,
                         archive_error_string(t->a)
                             ? archive_error_string(t->a)
                             : "failed");
}

int berth_tar_open(int out_fd, berth_tar_write_fn write_fn, void *ctx,
                   const struct berth_tar_opts *o, struct berth_tar **out,
                   berth_error **err) {
  struct berth_tar *t = calloc(1, sizeof *t);
  if (!t || !(t->buf = malloc(1 << 16)) || !(t->a = archive_write_new()) ||
      !(t->links = archive_entry_linkresolver_new())) {
    if (t) {
      free(t->buf);
      if (t->a)
        archive_write_free(t->a);
    }
    free(t);
    return berth_error_sys(err, "allocate");
  }
  t->o = *o;
  t->write_fn = write_fn;
  t->ctx = ctx;
  int r = archive_write_set_format_pax_restricted(t->a);
  if (r == ARCHIVE_OK) {
    archive_write_set_bytes_in_last_block(t->a, 1);
    archive_entry_linkresolver_set_strategy(t->links,
                                            archive_format(t->a));
  }
  if (r == ARCHIVE_OK)
    r = write_fn ? archive_write_open2(t->a, t, NULL, tar_write_cb, NULL,
                                       NULL)
                 : archive_write_open_fd(t->a, out_fd);
  if (r != ARCHIVE_OK) {
    tar_error(t, "open", "tar", err);
    berth_tar_close(t, false, NULL);
    return -1;
  }
  *out = t;
  return 0;
}

int berth_tar_close(struct berth_tar *t, bool finish, berth_error **err) {
  if (!t)
    return 0;
  int rc = 0;
  if (finish && archive_write_close(t->a) != ARCHIVE_OK)
    rc = tar_error(t, "finish", "tar", err);
  archive_write_free(t->a);
  archive_entry_linkresolver_free(t->links);
  berth_error_free(t->werr);
  free(t->buf);
  free(t);
  return rc;
}

static uint32_t shift_id(const struct berth_tar_opts *o, uint32_t id) {
  if (o->id_count == 0)
    return id;
  if (id >= o->id_base && id - o->id_base < o->id_count)
    return id - o->id_base;
  return 65534;
}

static int mnt_id(int fd, uint64_t *id) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID,
            &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
    return -1;
  *id = sx.stx_mnt_id;
  return 0;
}

/* A file capability as the image's root sees it.  A container in a user
 * namespace stores v3 capabilities naming its root's host uid (the
 * kernel's namespaced file capabilities); in the layer that is the
 * image's root, i.e. a plain v2 capability, or a v3 one naming the
 * mapped-back uid.  One naming a uid outside the container's range
 * would be someone else's: it stays behind.  Returns the new length, 0
 * to leave it out. */
static size_t image_capability(const struct berth_tar_opts *o,
                               unsigned char *v, size_t len) {
  enum { V2_LEN = 20, V3_LEN = 24 };
  if (len < 4)
    return 0;
  uint32_t magic = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
                   (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
  uint32_t rev = magic & 0xff000000u;
  if (rev == 0x02000000u)
    return len == V2_LEN ? len : 0;
  if (rev != 0x03000000u || len != V3_LEN)
    return 0;
  uint32_t root = (uint32_t)v[20] | (uint32_t)v[21] << 8 |
                  (uint32_t)v[22] << 16 | (uint32_t)v[23] << 24;
  if (o->id_count && (root < o->id_base || root - o->id_base >= o->id_count))
    return 0;
  root = o->id_count ? root - o->id_base : root;
  if (root == 0) {
    magic = 0x02000000u | (magic & 0x00ffffffu);
    for (int i = 0; i < 4; i++)
      v[i] = (unsigned char)(magic >> (8 * i));
    return V2_LEN;
  }
  for (int i = 0; i < 4; i++)
    v[20 + i] = (unsigned char)(root >> (8 * i));
  return V3_LEN;
}

/* The xattrs a layer carries: user.* and the file capability.  The
 * others are this host's business (trusted.overlay.* bookkeeping,
 * security.selinux labels) and must not travel. */
static int add_xattrs(struct berth_tar *t, struct archive_entry *ae, int fd,
                      const char *name, berth_error **err) {
  char list[8192];
  ssize_t n = flistxattr(fd, list, sizeof list);
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    return 0;
  if (n < 0)
    return berth_error_sys(err, "list the xattrs of `/%s`", name);
  for (char *k = list; k < list + n; k += strlen(k) + 1) {
    bool cap = strcmp(k, "security.capability") == 0;
    if (!cap && strncmp(k, "user.", 5) != 0)
      continue;
    unsigned char v[4096];
    ssize_t vn = fgetxattr(fd, k, v, sizeof v);
    if (vn < 0 && errno == ENODATA)
      continue; /* removed meanwhile */
    if (vn < 0)
      return berth_error_sys(err, "read xattr %s of `/%s`", k, name);
    size_t len = cap ? image_capability(&t->o, v, (size_t)vn) : (size_t)vn;
    if (!cap || len > 0)
      archive_entry_xattr_add_entry(ae, k, v, len);
  }
  return 0;
}

/* *has_data (may be NULL) tells whether the file's bytes follow: not
 * for a second name of a hard-linked file.  xfd (or -1) is an open fd
 * of the object, for its xattrs. */
static int write_header(struct berth_tar *t, const char *name,
                        const struct stat *st, const char *link, int xfd,
                        bool *has_data, berth_error **err) {
  struct archive_entry *ae = archive_entry_new();
  if (!ae)
    return berth_error_sys(err, "allocate");
  archive_entry_copy_stat(ae, st);
  archive_entry_set_pathname(ae, name);
  archive_entry_set_uid(ae, shift_id(&t->o, st->st_uid));
  archive_entry_set_gid(ae, shift_id(&t->o, st->st_gid));
  if (t->o.clamp_mtime && (st->st_mtim.tv_sec > t->o.epoch ||
                           (st->st_mtim.tv_sec == t->o.epoch &&
                            st->st_mtim.tv_nsec > 0)))
    archive_entry_set_mtime(ae, (time_t)t->o.epoch, 0);
  if (!S_ISREG(st->st_mode)) {
    archive_entry_set_nlink(ae, 1);
    archive_entry_set_size(ae, 0);
  }
  if (link)
    archive_entry_set_symlink(ae, link);
  if (t->o.xattrs && xfd >= 0 && add_xattrs(t, ae, xfd, name, err) < 0) {
    archive_entry_free(ae);
    return -1;
  }
  struct archive_entry *spare = NULL;
  if (S_ISREG(st->st_mode) && st->st_nlink > 1)
    archive_entry_linkify(t->links, &ae, &spare);
  if (has_data)
    *has_data = ae && !archive_entry_hardlink(ae);
  int r = ae ? archive_write_header(t->a, ae) : ARCHIVE_OK;
  archive_entry_free(ae);
  archive_entry_free(spare);
  if (r < ARCHIVE_WARN)
    return tar_error(t, "write the header of", name, err);
  return 0;
}

/* Exactly st_size bytes, whatever the file does meanwhile (a running
 * container may be writing it): short files are padded with zeros. */
static int write_data(struct berth_tar *t, int fd, const char *name,
                      off_t size, berth_error **err) {
  off_t done = 0;
  while (done < size) {
    size_t want = (size_t)(size - done) < (1 << 16) ? (size_t)(size - done)
                                                    : (1 << 16);
    ssize_t n = read(fd, t->buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return berth_error_sys(err, "read `%s`", name);
    if (n == 0) {
      memset(t->buf, 0, want);
      n = (ssize_t)want;
    }
    if (archive_write_data(t->a, t->buf, (size_t)n) < 0)
      return tar_error(t, "write", name, err);
    done += n;
  }
  return 0;
}

static int add_children(struct berth_tar *t, int dir_pfd, const char *name,
                        berth_error **err);

static int add_whiteout(struct berth_tar *t, const char *dir,
                        const char *base, berth_error **err) {
  _cleanup_free_ char *name = NULL;
  if (asprintf(&name, "%s%s.wh.%s", dir, *dir ? "/" : "", base) < 0)
    return berth_error_sys(err, "allocate");
  struct stat st = {.st_mode = S_IFREG | 0600};
  st.st_uid = st.st_gid = t->o.id_base; /* shifted to 0 */
  return write_header(t, name, &st, NULL, -1, NULL, err);
}

static int open_dir(int path_fd, const char *name, berth_error **err) {
  int fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    berth_error_sys(err, "open directory `/%s`", name);
  return fd;
}

static int add_dir(struct berth_tar *t, int path_fd, const struct stat *st,
                   const char *name, berth_error **err) {
  /* Opened before the mount check only when its xattrs are wanted
   * (layers, which have no mounts): export leaves other mounts alone. */
  _cleanup_close_ int dfd = t->o.xattrs ? open_dir(path_fd, name, err) : -1;
  if (t->o.xattrs && dfd < 0)
    return -1;
  if (*name) {
    _cleanup_free_ char *dname = NULL;
    if (asprintf(&dname, "%s/", name) < 0)
      return berth_error_sys(err, "allocate");
    if (write_header(t, dname, st, NULL, dfd, NULL, err) < 0)
      return -1;
  }
  if (t->o.one_mount) {
    uint64_t id;
    if (mnt_id(path_fd, &id) == 0) {
      if (!t->have_root_mnt) {
        t->root_mnt = id;
        t->have_root_mnt = true;
      } else if (id != t->root_mnt) {
        return 0; /* /proc, /sys, /dev, volumes: their mount point only */
      }
    }
  }
  if (dfd < 0 && (dfd = open_dir(path_fd, name, err)) < 0)
    return -1;
  /* proc, sysfs, cgroupfs of a running container (cp of "/"): host-wide
   * knobs read as host root, and endless files; their mount point only. */
  struct statfs sf;
  if (fstatfs(dfd, &sf) == 0 &&
      (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC ||
       sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC))
    return 0;
  if (t->o.whiteouts) {
    char v[8] = {0};
    ssize_t n = fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof v - 1);
    /* The upper dir itself (name "") cannot be opaque. */
    if (n > 0 && v[0] == 'y' && *name &&
        add_whiteout(t, name, ".wh..opq", err) < 0)
      return -1;
    if (fgetxattr(dfd, "trusted.overlay.redirect", v, sizeof v - 1) >= 0)
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                             "`/%s` is a renamed directory (overlay "
                             "redirect), which a layer cannot express",
                             name);
  }
  return add_children(t, dfd, name, err);
}

int berth_tar_add(struct berth_tar *t, int path_fd, const char *name,
                  berth_error **err) {
  struct stat st;
  if (fstat(path_fd, &st) < 0)
    return berth_error_sys(err, "stat `/%s`", name);
  if (S_ISDIR(st.st_mode))
    return add_dir(t, path_fd, &st, name, err);
  if (S_ISLNK(st.st_mode)) {
    char target[4097];
    ssize_t n = readlinkat(path_fd, "", target, sizeof target - 1);
    if (n < 0)
      return berth_error_sys(err, "readlink `/%s`", name);
    target[n] = 0;
    return write_header(t, name, &st, target, -1, NULL, err);
  }
  if (S_ISREG(st.st_mode)) {
    uint64_t id;
    if (t->o.one_mount && t->have_root_mnt && mnt_id(path_fd, &id) == 0 &&
        id != t->root_mnt) {
      /* A file mounted over (hosts, resolv.conf, a bind of a host file):
       * its mount point only, never the mounted file's contents. */
      st.st_size = 0;
      return write_header(t, name, &st, NULL, -1, NULL, err);
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
    /* Reopening our own O_PATH fd gives exactly that file. */
    _cleanup_close_ int fd = open(proc, O_RDONLY | O_NONBLOCK |
                                            O_CLOEXEC);
    if (fd < 0)
      return berth_error_sys(err, "open `/%s`", name);
    bool has_data;
    if (write_header(t, name, &st, NULL, fd, &has_data, err) < 0)
      return -1;
    return has_data ? write_data(t, fd, name, st.st_size, err) : 0;
  }
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0) && t->o.whiteouts) {
    const char *slash = strrchr(name, '/');
    _cleanup_free_ char *dir = strndup(name, slash ? (size_t)(slash - name)
                                                   : 0);
    if (!dir)
      return berth_error_sys(err, "allocate");
    return add_whiteout(t, dir, slash ? slash + 1 : name, err);
  }
  if (S_ISFIFO(st.st_mode) ||
      (!t->o.strip_special && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))))
    return write_header(t, name, &st, NULL, -1, NULL, err);
  return 0; /* sockets (and devices when stripped) do not travel */
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's entry names, sorted (NULL-terminated). */
static int sorted_names(int dfd, const char *name, char ***out,
                        berth_error **err) {
  int dup_fd = dup(dfd);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d) {
    if (dup_fd >= 0)
      close(dup_fd);
    return berth_error_sys(err, "read directory `/%s`", name);
  }
  char **v = NULL;
  size_t n = 0;
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    char **nv = realloc(v, (n + 2) * sizeof *v);
    if (!nv || !(nv[n] = strdup(de->d_name))) {
      v = nv ? nv : v;
      rc = berth_error_sys(err, "allocate");
      break;
    }
    v = nv;
    v[++n] = NULL;
  }
  if (rc == 0 && errno)
    rc = berth_error_sys(err, "read directory `/%s`", name);
  closedir(d);
  if (rc == 0 && n)
    qsort(v, n, sizeof *v, cmp_names);
  if (rc < 0) {
    for (size_t i = 0; i < n; i++)
      free(v[i]);
    free(v);
    return -1;
  }
  *out = v;
  return 0;
}

static bool skipped(const struct berth_tar_opts *o, const char *name) {
  for (char *const *s = o->skip; s && *s; s++)
    if (strcmp(*s, name) == 0)
      return true;
  return false;
}

static int add_children(struct berth_tar *t, int dfd, const char *name,
                        berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  if (sorted_names(dfd, name, &names, err) < 0)
    return -1;
  int rc = 0;
  for (char **n = names; rc == 0 && n && *n; n++) {
    _cleanup_free_ char *child = NULL;
    if (asprintf(&child, "%s%s%s", name, *name ? "/" : "", *n) < 0)
      return berth_error_sys(err, "allocate");
    if (skipped(&t->o, child))
      continue;
    /* One component, no symlink followed: stays in this directory. */
    _cleanup_close_ int pfd = openat(dfd, *n, O_PATH | O_NOFOLLOW |
                                                  O_CLOEXEC);
    if (pfd < 0 && errno == ENOENT)
      continue; /* removed meanwhile */
    if (pfd < 0)
      return berth_error_sys(err, "open `/%s`", child);
    rc = berth_tar_add(t, pfd, child, err);
  }
  return rc;
}

/* ---- export ---- */

struct export_arg {
  int out_fd;
  uint32_t base, count;
};

static int export_fn(int root_fd, void *p, berth_error **err) {
  struct export_arg *x = p;
  struct berth_tar_opts o = {.id_base = x->base, .id_count = x->count,
                             .one_mount = true};
  struct berth_tar *t;
  if (berth_tar_open(x->out_fd, NULL, NULL, &o, &t, err) < 0)
    return -1;
  int rc = berth_tar_add(t, root_fd, "", err);
  return berth_tar_close(t, rc == 0, err) < 0 || rc < 0 ? -1 : 0;
}

int berth_ctr_export(struct berth_engine *e, const char *ref, int out_fd,
                     berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  struct export_arg x = {.out_fd = out_fd, .base = c->id_base,
                         .count = c->id_count};
  if (berth_ctr_with_rootfs(e, c, export_fn, &x, NULL, err) < 0)
    return berth_error_prefix(err, "export `%s`", c->name);
  return 0;
}

/* ---- commit ---- */

static int blob_write(void *ctx, const void *buf, size_t len,
                      berth_error **err) {
  return berth_blob_writer_write(ctx, buf, len, err);
}

int berth_ctr_layer(struct berth_engine *e, const struct berth_ctr *c,
                    int64_t epoch, char digest[BERTH_DIGEST_SIZE],
                    uint64_t *size, berth_error **err) {
  char dir[4096], upper[4096 + 8];
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  snprintf(upper, sizeof upper, "%s/upper", dir);
  _cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0 && errno != ENOENT)
    return berth_error_sys(err, "open `%s`", upper);
  _cleanup_strv_ char **stubs = NULL;
  if (berth_ctr_engine_stubs(e, c, &stubs, err) < 0)
    return -1;
  struct berth_blob_writer *w = NULL;
  if (berth_blob_writer_new(e->is->store, NULL, -1, &w, err) < 0)
    return -1;
  struct berth_tar_opts o = {.id_base = c->id_base, .id_count = c->id_count,
                             .whiteouts = true, .strip_special = true,
                             .xattrs = true, .clamp_mtime = epoch >= 0,
                             .epoch = epoch, .skip = stubs};
  struct berth_tar *t = NULL;
  int rc = berth_tar_open(-1, blob_write, w, &o, &t, err);
  if (rc == 0 && ufd >= 0) /* never started: an empty layer */
    rc = berth_tar_add(t, ufd, "", err);
  if (t && berth_tar_close(t, rc == 0, err) < 0)
    rc = -1;
  if (rc == 0)
    rc = berth_blob_writer_commit(w, err);
  if (rc == 0) {
    memcpy(digest, berth_blob_writer_digest(w), BERTH_DIGEST_SIZE);
    *size = berth_blob_writer_size(w);
  }
  berth_blob_writer_free(w);
  return rc;
}

/* Env: later entries replace variables of the same name. */
static void env_merge(json_t *env, json_t *more) {
  size_t i;
  json_t *v;
  json_array_foreach(more, i, v) {
    const char *s = json_string_value(v);
    if (!s)
      continue;
    size_t klen = strcspn(s, "=");
    size_t j;
    json_t *old;
    bool replaced = false;
    json_array_foreach(env, j, old) {
      const char *o = json_string_value(old);
      if (o && strncmp(o, s, klen) == 0 && (o[klen] == '=' || !o[klen])) {
        json_array_set(env, j, v);
        replaced = true;
        break;
      }
    }
    if (!replaced)
      json_array_append(env, v);
  }
}

static void apply_config(json_t *cfg, json_t *from) {
  const char *key;
  json_t *v;
  json_object_foreach(from, key, v) {
    if (strcmp(key, "Env") == 0 && json_is_array(v)) {
      json_t *env = json_object_get(cfg, "Env");
      if (!json_is_array(env))
        json_object_set_new(cfg, "Env", env = json_array());
      env_merge(env, v);
    } else {
      json_object_set(cfg, key, v);
    }
  }
}

static char *new_config(const char *base_text, size_t base_len,
                        const struct berth_ctr *c,
                        const struct berth_commit_opts *o,
                        const char *diff_id, berth_error **err) {
  json_t *doc = json_loadb(base_text, base_len, 0, NULL);
  if (!json_is_object(doc)) {
    json_decref(doc);
    berth_error_set(err, BERTH_ERR_INVALID, 0, "the image config is not "
                                               "a JSON object");
    return NULL;
  }
  json_t *cfg = json_object_get(doc, "config");
  if (!json_is_object(cfg))
    json_object_set_new(doc, "config", cfg = json_object());
  static const char *const keys[] = {"Cmd", "Entrypoint", "Env",
                                     "WorkingDir", "User", "Labels",
                                     "ExposedPorts"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    json_t *v = json_object_get(c->config, keys[i]);
    if (v && !json_is_null(v))
      json_object_set(cfg, keys[i], v);
  }
  if (o->changes)
    apply_config(cfg, o->changes);
  char now[BERTH_IMAGE_TIME_SIZE];
  berth_image_time(-1, now);
  json_object_set_new(doc, "created", json_string(now));
  if (o->author)
    json_object_set_new(doc, "author", json_string(o->author));
  json_t *rootfs = json_object_get(doc, "rootfs");
  json_t *ids = json_object_get(rootfs, "diff_ids");
  if (!json_is_array(ids)) {
    json_decref(doc);
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "the image config has no rootfs.diff_ids");
    return NULL;
  }
  json_array_append_new(ids, json_string(diff_id));
  json_t *hist = json_object_get(doc, "history");
  if (!json_is_array(hist))
    json_object_set_new(doc, "history", hist = json_array());
  json_t *h = json_pack("{s:s, s:s}", "created", now, "created_by",
                        "berth commit");
  if (h && o->comment)
    json_object_set_new(h, "comment", json_string(o->comment));
  if (h && o->author)
    json_object_set_new(h, "author", json_string(o->author));
  json_array_append_new(hist, h);
  char *text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (!text)
    berth_error_sys(err, "serialise the image config");
  return text;
}

static int commit_steps(struct berth_engine *e, const struct berth_ctr *c,
                        const struct berth_commit_opts *o,
                        struct berth_added *added, char id[BERTH_DIGEST_SIZE],
                        berth_error **err) {
  char layer[BERTH_DIGEST_SIZE];
  uint64_t layer_size = 0;
  if (berth_ctr_layer(e, c, -1, layer, &layer_size, err) < 0)
    return -1;
  berth_added_blob(added, layer);
  struct berth_image img = {0};
  if (berth_images_get(e->db, c->image_id, &img, err) < 0)
    return berth_error_prefix(err, "image of container `%s`", c->name);
  _cleanup_free_ char *base = NULL, *cfg = NULL;
  size_t base_len = 0;
  int rc = berth_store_get(e->is->store, img.id, BERTH_CONFIG_MAX_BYTES,
                           &base, &base_len, err);
  if (rc == 0 && !(cfg = new_config(base, base_len, c, o, layer, err)))
    rc = -1;
  if (rc == 0)
    rc = berth_image_record_derived(e->is, &img, cfg, layer, layer_size,
                                    o->tag, added, id, err);
  berth_image_free(&img);
  return rc;
}

int berth_ctr_commit(struct berth_engine *e, const char *ref,
                     const struct berth_commit_opts *o,
                     char id[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0 ||
      berth_ctr_refresh(e, c, err) < 0)
    return -1;
  /* A frozen container cannot change its files under the walk (Docker's
   * default); a container that cannot be frozen is committed as it runs. */
  bool paused = false;
  if (o->pause && strcmp(c->state, BERTH_ST_RUNNING) == 0)
    paused = berth_ctr_set_paused(e, c->id, true, NULL) == 0;
  struct berth_added added = {0};
  int rc = 0;
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
  if (lock < 0)
    rc = -1;
  if (rc == 0)
    rc = berth_imgstore_lock(e->is, false, err);
  if (rc == 0) {
    rc = commit_steps(e, c, o, &added, id, err);
    berth_imgstore_unlock(e->is);
  }
  if (lock >= 0) {
    close(lock);
    lock = -1;
  }
  if (paused)
    berth_ctr_set_paused(e, c->id, false, NULL);
  if (rc < 0)
    berth_added_undo(e->is, &added);
  berth_added_free(&added);
  return rc < 0 ? berth_error_prefix(err, "commit `%s`", c->name) : 0;
}
