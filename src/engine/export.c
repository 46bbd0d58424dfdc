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

/* *has_data (may be NULL) tells whether the file's bytes follow: not
 * for a second name of a hard-linked file. */
static int write_header(struct berth_tar *t, const char *name,
                        const struct stat *st, const char *link,
                        bool *has_data, berth_error **err) {
  struct archive_entry *ae = archive_entry_new();
  if (!ae)
    return berth_error_sys(err, "allocate");
  archive_entry_copy_stat(ae, st);
  archive_entry_set_pathname(ae, name);
  archive_entry_set_uid(ae, shift_id(&t->o, st->st_uid));
  archive_entry_set_gid(ae, shift_id(&t->o, st->st_gid));
  if (!S_ISREG(st->st_mode)) {
    archive_entry_set_nlink(ae, 1);
    archive_entry_set_size(ae, 0);
  }
  if (link)
    archive_entry_set_symlink(ae, link);
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
  return write_header(t, name, &st, NULL, NULL, err);
}

static int add_dir(struct berth_tar *t, int path_fd, const struct stat *st,
                   const char *name, berth_error **err) {
  if (*name) {
    _cleanup_free_ char *dname = NULL;
    if (asprintf(&dname, "%s/", name) < 0)
      return berth_error_sys(err, "allocate");
    if (write_header(t, dname, st, NULL, NULL, err) < 0)
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
  _cleanup_close_ int dfd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY |
                                                     O_CLOEXEC);
  if (dfd < 0)
    return berth_error_sys(err, "open directory `/%s`", name);
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
    return write_header(t, name, &st, target, NULL, err);
  }
  if (S_ISREG(st.st_mode)) {
    uint64_t id;
    if (t->o.one_mount && t->have_root_mnt && mnt_id(path_fd, &id) == 0 &&
        id != t->root_mnt) {
      /* A file mounted over (hosts, resolv.conf, a bind of a host file):
       * its mount point only, never the mounted file's contents. */
      st.st_size = 0;
      return write_header(t, name, &st, NULL, NULL, err);
    }
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", path_fd);
    /* Reopening our own O_PATH fd gives exactly that file. */
    _cleanup_close_ int fd = open(proc, O_RDONLY | O_NONBLOCK |
                                            O_CLOEXEC);
    if (fd < 0)
      return berth_error_sys(err, "open `/%s`", name);
    bool has_data;
    if (write_header(t, name, &st, NULL, &has_data, err) < 0)
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
    return write_header(t, name, &st, NULL, NULL, err);
  return 0; /* sockets (and devices when stripped) do not travel */
}

static int add_children(struct berth_tar *t, int dfd, const char *name,
                        berth_error **err) {
  int dup_fd = dup(dfd);
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d) {
    if (dup_fd >= 0)
      close(dup_fd);
    return berth_error_sys(err, "read directory `/%s`", name);
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *child = NULL;
    if (asprintf(&child, "%s%s%s", name, *name ? "/" : "", de->d_name) < 0) {
      rc = berth_error_sys(err, "allocate");
      break;
    }
    /* One component, no symlink followed: stays in this directory. */
    _cleanup_close_ int pfd = openat(dfd, de->d_name,
                                     O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0) {
      if (errno == ENOENT)
        continue; /* removed meanwhile */
      rc = berth_error_sys(err, "open `/%s`", child);
      break;
    }
    rc = berth_tar_add(t, pfd, child, err);
  }
  if (rc == 0 && errno)
    rc = berth_error_sys(err, "read directory `/%s`", name);
  closedir(d);
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

/* The upper dir as an uncompressed layer blob: its digest is its diff
 * id. */
static int write_layer(struct berth_engine *e, const struct berth_ctr *c,
                       char digest[BERTH_DIGEST_SIZE], uint64_t *size,
                       berth_error **err) {
  char dir[4096], upper[4096 + 8];
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  snprintf(upper, sizeof upper, "%s/upper", dir);
  _cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ufd < 0 && errno != ENOENT)
    return berth_error_sys(err, "open `%s`", upper);
  struct berth_blob_writer *w = NULL;
  if (berth_blob_writer_new(e->is->store, NULL, -1, &w, err) < 0)
    return -1;
  struct berth_tar_opts o = {.id_base = c->id_base, .id_count = c->id_count,
                             .whiteouts = true, .strip_special = true};
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
  /* Nanoseconds, as Docker's commit (see archive_import.c). */
  char now[48], base[24];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", gmtime(&ts.tv_sec));
  snprintf(now, sizeof now, "%s.%09ldZ", base, ts.tv_nsec);
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

static char *new_manifest(const struct berth_image *img, const char *cfg_digest,
                          size_t cfg_len, const char *layer,
                          uint64_t layer_size) {
  json_t *layers = json_array();
  for (size_t i = 0; layers && i < img->n_layers; i++)
    json_array_append_new(
        layers, json_pack("{s:s, s:s, s:I}", "mediaType",
                          img->layers[i].media_type, "digest",
                          img->layers[i].blob, "size",
                          (json_int_t)img->layers[i].blob_size));
  json_array_append_new(layers,
                        json_pack("{s:s, s:s, s:I}", "mediaType",
                                  "application/vnd.oci.image.layer.v1.tar",
                                  "digest", layer, "size",
                                  (json_int_t)layer_size));
  json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion",
                        2, "mediaType", BERTH_MT_OCI_MANIFEST, "config",
                        "mediaType", BERTH_MT_OCI_CONFIG, "digest",
                        cfg_digest, "size", (json_int_t)cfg_len, "layers",
                        layers);
  char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  return text;
}

static int commit_steps(struct berth_engine *e, const struct berth_ctr *c,
                        const struct berth_commit_opts *o,
                        struct berth_added *added, char id[BERTH_DIGEST_SIZE],
                        berth_error **err) {
  struct berth_imgstore *is = e->is;
  char layer[BERTH_DIGEST_SIZE], cfg_digest[BERTH_DIGEST_SIZE],
      man_digest[BERTH_DIGEST_SIZE];
  uint64_t layer_size = 0;
  if (write_layer(e, c, layer, &layer_size, err) < 0)
    return -1;
  berth_added_blob(added, layer);
  struct berth_image img = {0};
  if (berth_images_get(e->db, c->image_id, &img, err) < 0)
    return berth_error_prefix(err, "image of container `%s`", c->name);
  _cleanup_free_ char *base = NULL, *cfg = NULL, *man = NULL;
  size_t base_len = 0;
  int rc = berth_store_get(is->store, img.id, BERTH_CONFIG_MAX_BYTES, &base,
                           &base_len, err);
  if (rc == 0 && !(cfg = new_config(base, base_len, c, o, layer, err)))
    rc = -1;
  if (rc == 0)
    rc = berth_store_put(is->store, cfg, strlen(cfg), cfg_digest, err);
  if (rc == 0) {
    berth_added_blob(added, cfg_digest);
    man = new_manifest(&img, cfg_digest, strlen(cfg), layer, layer_size);
    if (!man)
      rc = berth_error_sys(err, "serialise the manifest");
  }
  if (rc == 0)
    rc = berth_store_put(is->store, man, strlen(man), man_digest, err);
  struct berth_manifest parsed = {0};
  if (rc == 0) {
    berth_added_blob(added, man_digest);
    rc = berth_manifest_parse(man, strlen(man), BERTH_MT_OCI_MANIFEST,
                              &parsed, err);
  }
  if (rc == 0)
    rc = berth_image_record_local(is, man_digest, &parsed, o->tag, added, id,
                                  err);
  berth_manifest_free(&parsed);
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
