/* berth diff: walking a container's writable layer. */
#include "diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "images.h"
#include "snapshot.h"

#define MAX_LOWERS 128

struct walk {
  int lowers[MAX_LOWERS]; /* the image's layers, top first */
  size_t n_lowers;
  berth_change_fn fn;
  void *arg;
};

/* A directory being walked: `pending` while it is the image's own with
 * the same size and mode, reported as modified only before the first
 * change inside it (Docker's rule that the parent of a change is
 * modified, without reporting a directory whose only difference is an
 * mtime touched by mount points the engine made). */
struct frame {
  const char *path;
  bool pending;
  struct frame *up;
};

/* path ("/a/b") under dirfd, without following any symlink on the way
 * or at the end: the trees are the image's or the container's content,
 * and a link there must not reach host files. */
static bool stat_beneath(int dirfd, const char *path, struct stat *st) {
  struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
                                    RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, dirfd, path + 1, &how, sizeof how);
  if (fd < 0)
    return false;
  int rc = fstat(fd, st);
  close(fd);
  return rc == 0;
}

/* The path in the first lower layer that has it (overlay would not
 * follow a link on the way either). */
static bool lower_stat(struct walk *w, const char *path, struct stat *st) {
  for (size_t i = 0; i < w->n_lowers; i++)
    if (stat_beneath(w->lowers[i], path, st))
      return true;
  return false;
}

static bool is_whiteout(const struct stat *st) {
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* trusted.overlay.opaque ("user." when mounted with userxattr) = "y".
 * Read through an fd of the directory itself: the container may have
 * swapped the name for a symlink since it was stat'ed (O_DIRECTORY and
 * O_NOFOLLOW then fail, and it is not opaque). */
static bool is_opaque(int dirfd, const char *name) {
  char v[2];
  _cleanup_close_ int fd =
      openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd >= 0 &&
         (fgetxattr(fd, "trusted.overlay.opaque", v, 2) == 1 ||
          fgetxattr(fd, "user.overlay.opaque", v, 2) == 1) &&
         v[0] == 'y';
}

static int emit(struct walk *w, const char *path, enum berth_change_kind k,
                berth_error **err) {
  int rc = w->fn(w->arg, path, k);
  return rc < 0 ? berth_error_set(err, BERTH_ERR_SYSTEM, 0, "diff: output")
                : 0;
}

/* The files the engine bind-mounts its own /etc/hosts, /etc/hostname
 * and /etc/resolv.conf onto, made empty in the writable layer when the
 * image has none: Docker keeps them in an init layer, so they are not
 * the container's changes. */
static bool engine_mount_point(const char *path, const struct stat *st,
                               bool in_lower) {
  return !in_lower && S_ISREG(st->st_mode) && st->st_size == 0 &&
         (strcmp(path, "/etc/hosts") == 0 ||
          strcmp(path, "/etc/hostname") == 0 ||
          strcmp(path, "/etc/resolv.conf") == 0);
}

enum verdict { REPORT, DEFER, HIDE };

/* What one entry of the upper directory means. */
static enum verdict classify(struct walk *w, int dirfd, const char *name,
                             const char *path, const struct stat *st,
                             enum berth_change_kind *kind) {
  struct stat lst;
  bool in_lower = lower_stat(w, path, &lst);
  *kind = in_lower ? BERTH_CHANGE_MODIFY : BERTH_CHANGE_ADD;
  if (is_whiteout(st) ||
      (S_ISDIR(st->st_mode) && in_lower && is_opaque(dirfd, name))) {
    *kind = BERTH_CHANGE_DELETE;
    return REPORT;
  }
  if (engine_mount_point(path, st, in_lower))
    return HIDE;
  if (in_lower && S_ISDIR(st->st_mode) && S_ISDIR(lst.st_mode) &&
      st->st_size == lst.st_size && st->st_mode == lst.st_mode)
    return DEFER;
  return REPORT;
}

/* Reports the directories above a change that are still pending, outer
 * ones first. */
static int flush(struct walk *w, struct frame *f, berth_error **err) {
  if (!f)
    return 0;
  if (flush(w, f->up, err) < 0)
    return -1;
  if (!f->pending)
    return 0;
  f->pending = false;
  return emit(w, f->path, BERTH_CHANGE_MODIFY, err);
}

static int walk_dir(struct walk *w, int dirfd, struct frame *dir,
                    berth_error **err);

/* Byte order, as Go's filepath.Walk (Docker's diff order). */
static int name_cmp(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int visit(struct walk *w, int dirfd, struct frame *dir,
                 const char *name, berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", strcmp(dir->path, "/") ? dir->path : "",
           name);
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_error_sys(err, "diff: stat `%s`", path);
  enum berth_change_kind kind;
  enum verdict v = classify(w, dirfd, name, path, &st, &kind);
  if (v == HIDE)
    return 0;
  if (v == REPORT &&
      (flush(w, dir, err) < 0 || emit(w, path, kind, err) < 0))
    return -1;
  if (!S_ISDIR(st.st_mode))
    return 0;
  _cleanup_close_ int sub =
      openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return berth_error_sys(err, "diff: open `%s`", path);
  struct frame f = {.path = path, .pending = v == DEFER, .up = dir};
  return walk_dir(w, sub, &f, err);
}

static int walk_dir(struct walk *w, int dirfd, struct frame *dir,
                    berth_error **err) {
  /* scandir needs a path: the fd's, so nothing is resolved again. */
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", dirfd);
  struct dirent **names;
  int n = scandir(proc, &names, NULL, name_cmp);
  if (n < 0)
    return berth_error_sys(err, "diff: read `%s`", dir->path);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    const char *nm = names[i]->d_name;
    if (rc == 0 && strcmp(nm, ".") && strcmp(nm, ".."))
      rc = visit(w, dirfd, dir, nm, err);
    free(names[i]);
  }
  free(names);
  return rc;
}

static int open_lowers(struct berth_engine *e, const char *image_id,
                       struct walk *w, berth_error **err) {
  struct berth_image img = {0};
  if (berth_images_get(e->db, image_id, &img, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = img.n_layers; rc == 0 && i-- > 0 &&
                                w->n_lowers < MAX_LOWERS;) {
    char dir[4096], fs[4200];
    rc = berth_snapshot_dir(e->root, img.layers[i].chain_id, dir, sizeof dir,
                            err);
    snprintf(fs, sizeof fs, "%s/fs", dir);
    int fd = rc == 0 ? open(fs, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == 0 && fd < 0)
      rc = berth_error_sys(err, "diff: open layer `%s`", fs);
    if (fd >= 0)
      w->lowers[w->n_lowers++] = fd;
  }
  berth_image_free(&img);
  return rc;
}

static void walk_free(struct walk *w) {
  for (size_t i = 0; i < w->n_lowers; i++)
    close(w->lowers[i]);
}

int berth_ctr_changes(struct berth_engine *e, const char *ref,
                      berth_change_fn fn, void *arg, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  struct walk w = {.fn = fn, .arg = arg};
  char upper[4200];
  berth_ctr_dir(e, c->id, upper, sizeof upper);
  strncat(upper, "/upper", sizeof upper - strlen(upper) - 1);
  int rc = open_lowers(e, c->image_id, &w, err);
  _cleanup_close_ int fd =
      rc == 0 ? open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
              : -1;
  if (rc == 0 && fd < 0 && errno != ENOENT)
    rc = berth_error_sys(err, "diff: open `%s`", upper);
  struct frame root = {.path = "/"};
  if (rc == 0 && fd >= 0)
    rc = walk_dir(&w, fd, &root, err);
  walk_free(&w);
  return rc;
}

int berth_ctr_engine_stubs(struct berth_engine *e,
                           const struct berth_ctr *c, char ***out,
                           berth_error **err) {
  static const char *const paths[] = {"/etc/hosts", "/etc/hostname",
                                      "/etc/resolv.conf"};
  struct walk w = {0};
  char upper[4200];
  berth_ctr_dir(e, c->id, upper, sizeof upper);
  strncat(upper, "/upper", sizeof upper - strlen(upper) - 1);
  _cleanup_close_ int ufd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char **v = calloc(ARRAY_SIZE(paths) + 1, sizeof *v);
  int rc = v ? open_lowers(e, c->image_id, &w, err)
             : berth_error_sys(err, "allocate");
  for (size_t i = 0, n = 0; rc == 0 && ufd >= 0 && i < ARRAY_SIZE(paths);
       i++) {
    struct stat st, lst;
    if (stat_beneath(ufd, paths[i], &st) &&
        engine_mount_point(paths[i], &st, lower_stat(&w, paths[i], &lst)) &&
        !(v[n++] = strdup(paths[i] + 1)))
      rc = berth_error_sys(err, "allocate");
  }
  walk_free(&w);
  if (rc < 0) {
    berth_strv_freep(&v);
    return -1;
  }
  *out = v;
  return 0;
}
