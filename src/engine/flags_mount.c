/* -v, --mount, --tmpfs and --device values.
 *
 * Container paths are cleaned here and `..` is refused outright: the
 * runtime resolves targets inside the rootfs, and a lexical `..` would
 * only make the meaning of a target depend on symlinks in the image.
 * Host paths are cleaned too, but `..` is kept for the kernel to resolve,
 * since the user may name any host path anyway. */
/* flags.h uses size_t without including <stddef.h> (see report). */
#include <stddef.h>

#include "flags.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* One line naming the flag and the value.  Control characters (from the
 * value or anything quoted from it) are shown as `?`, so a crafted value
 * cannot forge extra lines in a terminal or a log. */
__attribute__((format(printf, 4, 5))) static int
flag_invalid(berth_error **err, const char *flag, const char *value,
             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *reason = NULL, *msg = NULL;
  if (vasprintf(&reason, fmt, ap) < 0)
    reason = NULL;
  va_end(ap);
  if (reason == NULL ||
      asprintf(&msg, "invalid %s `%s`: %s", flag, value, reason) < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid %s", flag);
  for (char *c = msg; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      *c = '?';
  return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s", msg);
}
#define FLAG_INVALID flag_invalid

#define NOMEM(err, flag) berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", flag)

#define _cleanup_mount_ _cleanup_(berth_mount_spec_clear)

struct path_ctx {
  const char *flag, *value, *what;
};

/* Absolute path with duplicate slashes, `.` and trailing slashes removed. */
static int clean_path(const struct path_ctx *c, const char *path,
                      bool allow_dotdot, char **out, berth_error **err) {
  if (path[0] != '/')
    return FLAG_INVALID(err, c->flag, c->value, "%s `%s` is not absolute",
                        c->what, path);
  _cleanup_free_ char *buf = malloc(strlen(path) + 2);
  if (buf == NULL)
    return NOMEM(err, c->flag);
  size_t o = 0;
  for (const char *p = path; *p;) {
    size_t len = strcspn(p, "/");
    if (len == 2 && p[0] == '.' && p[1] == '.' && !allow_dotdot)
      return FLAG_INVALID(err, c->flag, c->value, "%s `%s` contains `..`",
                          c->what, path);
    if (len > 0 && !(len == 1 && p[0] == '.')) {
      buf[o++] = '/';
      memcpy(buf + o, p, len);
      o += len;
    }
    p += len;
    p += strspn(p, "/");
  }
  if (o == 0)
    buf[o++] = '/';
  buf[o] = '\0';
  *out = steal_pointer(&buf);
  return 0;
}

/* A mount on the container's `/` would hide the whole rootfs. */
static int clean_target(const char *flag, const char *value, const char *path,
                        char **out, berth_error **err) {
  struct path_ctx c = {flag, value, "container path"};
  _cleanup_free_ char *t = NULL;
  if (clean_path(&c, path, false, &t, err) < 0)
    return -1;
  if (strcmp(t, "/") == 0)
    return FLAG_INVALID(err, flag, value, "cannot mount on `/`");
  *out = steal_pointer(&t);
  return 0;
}

static int clean_host(const char *flag, const char *value, const char *path,
                      char **out, berth_error **err) {
  struct path_ctx c = {flag, value, "host path"};
  return clean_path(&c, path, true, out, err);
}

static bool volume_name_ok(const char *n) {
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return n[0] && strchr(alnum, n[0]) &&
         strspn(n + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_.-") == strlen(n + 1);
}

static const char *const propagations[] = {"rprivate", "private", "rshared",
                                           "shared",   "rslave",  "slave"};

static bool propagation_ok(const char *p) {
  for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
    if (strcmp(p, propagations[i]) == 0)
      return true;
  return false;
}

void berth_mount_spec_clear(struct berth_mount_spec *m) {
  free(m->source);
  free(m->target);
  free(m->propagation);
  free(m->tmpfs_options);
  memset(m, 0, sizeof(*m));
}

/* `.`, `..`, or starting with `./` or `../`: a host path relative to the
 * caller's working directory (the Docker CLI's rule: `-v ./dir:/src`).
 * Any other relative source is a volume name. */
static bool relative_host_path(const char *src) {
  return strcmp(src, ".") == 0 || strcmp(src, "..") == 0 ||
         strncmp(src, "./", 2) == 0 || strncmp(src, "../", 3) == 0;
}

static int clean_relative_host(const char *flag, const char *value,
                               const char *src, char **out,
                               berth_error **err) {
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  _cleanup_free_ char *abs = NULL;
  if (cwd == NULL)
    return berth_error_sys(err, "invalid %s `%s`: the current directory",
                           flag, value);
  if (asprintf(&abs, "%s/%s", cwd, src) < 0)
    return NOMEM(err, flag);
  return clean_host(flag, value, abs, out, err);
}

/* Sets the source: a host path means a bind mount, otherwise a volume
 * name. */
static int mount_source(const char *flag, const char *value, const char *src,
                        struct berth_mount_spec *m, berth_error **err) {
  if (src[0] == '/') {
    m->type = BERTH_MOUNT_BIND;
    return clean_host(flag, value, src, &m->source, err);
  }
  if (relative_host_path(src)) {
    m->type = BERTH_MOUNT_BIND;
    return clean_relative_host(flag, value, src, &m->source, err);
  }
  if (!volume_name_ok(src))
    return FLAG_INVALID(err, flag, value,
                        "`%s` is not a valid volume name ([a-zA-Z0-9]"
                        "[a-zA-Z0-9_.-]*); use an absolute path or one starting "
                        "with `./` for a host directory",
                        src);
  m->type = BERTH_MOUNT_VOLUME;
  m->source = strdup(src);
  return m->source ? 0 : NOMEM(err, flag);
}

static int set_propagation(const char *flag, const char *value,
                           struct berth_mount_spec *m, const char *p,
                           berth_error **err) {
  if (!propagation_ok(p))
    return FLAG_INVALID(err, flag, value, "unknown propagation `%s`", p);
  if (m->type != BERTH_MOUNT_BIND)
    return FLAG_INVALID(err, flag, value,
                        "propagation is only valid for bind mounts");
  free(m->propagation);
  m->propagation = strdup(p);
  return m->propagation ? 0 : NOMEM(err, flag);
}

/* -v options: at most one of each group (ro/rw, z/Z, nocopy, propagation,
 * suid/nosuid, dev/nodev). */
static int volume_option(const char *s, struct berth_mount_spec *m,
                         const char *o, unsigned *seen, berth_error **err) {
  unsigned bit;
  if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
    bit = 1;
    m->readonly = o[1] == 'o';
  } else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0) {
    bit = 2; /* SELinux relabelling: nothing to do without SELinux */
  } else if (strcmp(o, "nocopy") == 0) {
    bit = 4;
    if (m->type != BERTH_MOUNT_VOLUME)
      return FLAG_INVALID(err, "--volume", s,
                          "nocopy is only valid for volumes");
    m->nocopy = true;
  } else if (strcmp(o, "idmap") == 0) {
    bit = 16;
    if (m->type != BERTH_MOUNT_BIND)
      return FLAG_INVALID(err, "--volume", s,
                          "idmap is only valid for bind mounts");
    m->idmap = true;
  } else if (strcmp(o, "suid") == 0 || strcmp(o, "nosuid") == 0) {
    bit = 32;
    m->suid = o[0] == 's';
  } else if (strcmp(o, "dev") == 0 || strcmp(o, "nodev") == 0) {
    bit = 64;
    m->dev = o[0] == 'd';
  } else if (propagation_ok(o)) {
    bit = 8;
    if (set_propagation("--volume", s, m, o, err) < 0)
      return -1;
  } else {
    return FLAG_INVALID(err, "--volume", s, "unknown option `%s`", o);
  }
  if (*seen & bit)
    return FLAG_INVALID(err, "--volume", s, "conflicting option `%s`", o);
  *seen |= bit;
  return 0;
}

static int volume_options(const char *s, char *opts,
                          struct berth_mount_spec *m, berth_error **err) {
  unsigned seen = 0;
  for (char *o = strsep(&opts, ","); o; o = strsep(&opts, ","))
    if (volume_option(s, m, o, &seen, err) < 0)
      return -1;
  return 0;
}

static int bind_default_propagation(const char *flag,
                                    struct berth_mount_spec *m,
                                    berth_error **err) {
  if (m->type != BERTH_MOUNT_BIND || m->propagation)
    return 0;
  m->propagation = strdup("rprivate");
  return m->propagation ? 0 : NOMEM(err, flag);
}

int berth_parse_volume_flag(const char *s, struct berth_mount_spec *out,
                            berth_error **err) {
  _cleanup_free_ char *copy = strdup(s);
  _cleanup_mount_ struct berth_mount_spec m = {.type = BERTH_MOUNT_VOLUME};
  if (copy == NULL)
    return NOMEM(err, "--volume");
  char *part[4] = {NULL};
  size_t n = 0;
  for (char *p = copy, *t; n < 4 && (t = strsep(&p, ":")); n++)
    part[n] = t;
  if (n == 4)
    return FLAG_INVALID(err, "--volume", s, "expected [SRC:]DST[:OPTS]");
  const char *dst = n == 1 ? part[0] : part[1];
  if (n >= 2 && mount_source("--volume", s, part[0], &m, err) < 0)
    return -1;
  if (clean_target("--volume", s, dst, &m.target, err) < 0)
    return -1;
  if (n == 3 && volume_options(s, part[2], &m, err) < 0)
    return -1;
  if (bind_default_propagation("--volume", &m, err) < 0)
    return -1;
  *out = m;
  memset(&m, 0, sizeof(m));
  return 0;
}

/* ---- --mount ------------------------------------------------------------ */

/* Splits a CSV record as Go's encoding/csv (which Docker uses): fields
 * separated by commas, a field may be wholly quoted with "" for a quote.
 * Fields are written NUL-separated into buf (as large as s). */
static int csv_split(const char *s, char *buf, char **fields, size_t max,
                     size_t *n) {
  const char *p = s;
  *n = 0;
  for (;;) {
    if (*n == max)
      return -1;
    fields[(*n)++] = buf;
    if (*p == '"') {
      for (p++;; p++) {
        if (*p == '\0')
          return -1;
        if (*p == '"' && p[1] != '"')
          break;
        if (*p == '"')
          p++;
        *buf++ = *p;
      }
      p++;
      if (*p != ',' && *p != '\0')
        return -1;
    } else {
      size_t len = strcspn(p, ",");
      if (memchr(p, '"', len))
        return -1;
      memcpy(buf, p, len);
      buf += len;
      p += len;
    }
    *buf++ = '\0';
    if (*p++ == '\0')
      return 0;
  }
}

struct mount_kv {
  const char *type, *source, *target, *propagation, *size, *mode;
  int readonly, nocopy, idmap, suid, dev; /* -1: not given */
};

static int parse_bool(const char *v) {
  static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True"};
  static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
    if (strcmp(v, t[i]) == 0)
      return 1;
    if (strcmp(v, f[i]) == 0)
      return 0;
  }
  return -1;
}

static int mount_bool(const char *s, const char *key, const char *v, int *out,
                      berth_error **err) {
  *out = v ? parse_bool(v) : 1;
  if (*out < 0)
    return FLAG_INVALID(err, "--mount", s, "`%s` wants true or false", key);
  return 0;
}

static const char **mount_kv_slot(struct mount_kv *kv, const char *k) {
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {
      {"type", offsetof(struct mount_kv, type)},
      {"source", offsetof(struct mount_kv, source)},
      {"src", offsetof(struct mount_kv, source)},
      {"target", offsetof(struct mount_kv, target)},
      {"destination", offsetof(struct mount_kv, target)},
      {"dst", offsetof(struct mount_kv, target)},
      {"bind-propagation", offsetof(struct mount_kv, propagation)},
      {"tmpfs-size", offsetof(struct mount_kv, size)},
      {"tmpfs-mode", offsetof(struct mount_kv, mode)},
  };
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
    if (strcasecmp(k, keys[i].key) == 0)
      return (const char **)((char *)kv + keys[i].off);
  return NULL;
}

static int mount_field(const char *s, char *f, struct mount_kv *kv,
                       berth_error **err) {
  char *v = strchr(f, '=');
  if (v)
    *v++ = '\0';
  if (strcasecmp(f, "readonly") == 0 || strcasecmp(f, "ro") == 0)
    return mount_bool(s, f, v, &kv->readonly, err);
  if (strcasecmp(f, "volume-nocopy") == 0)
    return mount_bool(s, f, v, &kv->nocopy, err);
  if (strcasecmp(f, "idmap") == 0)
    return mount_bool(s, f, v, &kv->idmap, err);
  if (strcasecmp(f, "suid") == 0)
    return mount_bool(s, f, v, &kv->suid, err);
  if (strcasecmp(f, "dev") == 0)
    return mount_bool(s, f, v, &kv->dev, err);
  const char **slot = mount_kv_slot(kv, f);
  if (slot == NULL)
    return FLAG_INVALID(err, "--mount", s, "unknown key `%s`", f);
  if (v == NULL)
    return FLAG_INVALID(err, "--mount", s, "`%s` needs a value", f);
  *slot = v;
  return 0;
}

/* A size inside a longer value: the message names the whole value. */
static int option_size(const char *flag, const char *s, const char *name,
                       const char *v, int64_t *out, berth_error **err) {
  berth_error *e = NULL;
  if (berth_parse_size(name, v, out, &e) == 0)
    return 0;
  const char *why = e && strncmp(e->msg, "invalid ", 8) == 0 ? e->msg + 8 : "";
  int rc = FLAG_INVALID(err, flag, s, "%s", why);
  berth_error_free(e);
  return rc;
}

static int parse_mode(const char *flag, const char *s, const char *v,
                      uint32_t *out, berth_error **err) {
  if (*v == '\0' || strspn(v, "01234567") != strlen(v) || strlen(v) > 5 ||
      strtoul(v, NULL, 8) > 07777)
    return FLAG_INVALID(err, flag, s, "mode `%s` is not an octal mode", v);
  *out = (uint32_t)strtoul(v, NULL, 8);
  return 0;
}

/* Options of another mount type are refused rather than ignored. */
static int mount_check_kinds(const char *s, const struct mount_kv *kv,
                             enum berth_mount_type t, berth_error **err) {
  if (kv->propagation && t != BERTH_MOUNT_BIND)
    return FLAG_INVALID(err, "--mount", s,
                        "bind-propagation is only valid for type=bind");
  if (kv->nocopy >= 0 && t != BERTH_MOUNT_VOLUME)
    return FLAG_INVALID(err, "--mount", s,
                        "volume-nocopy is only valid for type=volume");
  if (kv->idmap >= 0 && t != BERTH_MOUNT_BIND)
    return FLAG_INVALID(err, "--mount", s, "idmap is only valid for type=bind");
  if ((kv->suid >= 0 || kv->dev >= 0) && t == BERTH_MOUNT_TMPFS)
    return FLAG_INVALID(err, "--mount", s,
                        "suid and dev are only valid for type=bind and "
                        "type=volume");
  if ((kv->size || kv->mode) && t != BERTH_MOUNT_TMPFS)
    return FLAG_INVALID(err, "--mount", s,
                        "tmpfs-size and tmpfs-mode are only valid for "
                        "type=tmpfs");
  if (t == BERTH_MOUNT_TMPFS && kv->source)
    return FLAG_INVALID(err, "--mount", s, "type=tmpfs takes no source");
  if (t == BERTH_MOUNT_BIND && !kv->source)
    return FLAG_INVALID(err, "--mount", s, "type=bind needs a source");
  if (!kv->target)
    return FLAG_INVALID(err, "--mount", s, "missing target");
  return 0;
}

static int mount_type(const char *s, const char *t, enum berth_mount_type *out,
                      berth_error **err) {
  static const char *const names[] = {[BERTH_MOUNT_BIND] = "bind",
                                      [BERTH_MOUNT_VOLUME] = "volume",
                                      [BERTH_MOUNT_TMPFS] = "tmpfs"};
  /* Docker's default.  Handled before the loop rather than as
   * `t ? t : "volume"` inside it: GCC 12.2 at -O2 (jump threading) dropped
   * the "tmpfs" iteration of that form. */
  if (t == NULL) {
    *out = BERTH_MOUNT_VOLUME;
    return 0;
  }
  for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
    if (strcmp(t, names[i]) == 0) {
      *out = (enum berth_mount_type)i;
      return 0;
    }
  }
  return FLAG_INVALID(err, "--mount", s, "unknown type `%s`", t);
}

static int mount_build(const char *s, const struct mount_kv *kv,
                       struct berth_mount_spec *m, berth_error **err) {
  if (mount_type(s, kv->type, &m->type, err) < 0 ||
      mount_check_kinds(s, kv, m->type, err) < 0)
    return -1;
  enum berth_mount_type t = m->type;
  if (kv->source && mount_source("--mount", s, kv->source, m, err) < 0)
    return -1;
  if (m->type != t)
    return FLAG_INVALID(err, "--mount", s, "source `%s` does not suit type=%s",
                        kv->source, kv->type ? kv->type : "volume");
  if (clean_target("--mount", s, kv->target, &m->target, err) < 0)
    return -1;
  m->readonly = kv->readonly > 0;
  m->nocopy = kv->nocopy > 0;
  m->idmap = kv->idmap > 0;
  m->suid = kv->suid > 0;
  m->dev = kv->dev > 0;
  if (kv->propagation &&
      set_propagation("--mount", s, m, kv->propagation, err) < 0)
    return -1;
  if (kv->size &&
      option_size("--mount", s, "tmpfs-size", kv->size, &m->tmpfs_size,
                  err) < 0)
    return -1;
  if (kv->mode && parse_mode("--mount", s, kv->mode, &m->tmpfs_mode, err) < 0)
    return -1;
  return bind_default_propagation("--mount", m, err);
}

int berth_parse_mount_flag(const char *s, struct berth_mount_spec *out,
                           berth_error **err) {
  size_t cap = 1, n;
  for (const char *p = s; *p; p++)
    cap += *p == ',';
  _cleanup_free_ char *buf = malloc(strlen(s) + 1);
  _cleanup_free_ char **fields = calloc(cap, sizeof(char *));
  if (buf == NULL || fields == NULL)
    return NOMEM(err, "--mount");
  if (csv_split(s, buf, fields, cap, &n) < 0)
    return FLAG_INVALID(err, "--mount", s, "bad quoting");
  struct mount_kv kv = {.readonly = -1, .nocopy = -1, .idmap = -1,
                        .suid = -1, .dev = -1};
  for (size_t i = 0; i < n; i++)
    if (mount_field(s, fields[i], &kv, err) < 0)
      return -1;
  _cleanup_mount_ struct berth_mount_spec m = {0};
  if (mount_build(s, &kv, &m, err) < 0)
    return -1;
  *out = m;
  memset(&m, 0, sizeof(m));
  return 0;
}

/* ---- --tmpfs ------------------------------------------------------------ */

/* Options handed to the kernel as tmpfs mount data or mount flags; anything
 * else is refused here rather than by a failing mount(2) later. */
static const char *const tmpfs_flags[] = {
    "ro",       "rw",         "exec",        "noexec",    "suid",
    "nosuid",   "dev",        "nodev",       "sync",      "async",
    "dirsync",  "atime",      "noatime",     "diratime",  "nodiratime",
    "relatime", "norelatime", "strictatime", "nostrictatime",
    "lazytime", "nolazytime", "mand",        "nomand",    "inode32",
    "inode64",  "noswap",
};
static const char *const tmpfs_keys[] = {"nr_inodes", "nr_blocks", "uid",
                                         "gid", "mpol", "huge"};

static bool tmpfs_option_ok(const char *o) {
  for (size_t i = 0; i < ARRAY_SIZE(tmpfs_flags); i++)
    if (strcmp(o, tmpfs_flags[i]) == 0)
      return true;
  const char *eq = strchr(o, '=');
  for (size_t i = 0; eq && eq[1] && i < ARRAY_SIZE(tmpfs_keys); i++)
    if (strlen(tmpfs_keys[i]) == (size_t)(eq - o) &&
        strncmp(o, tmpfs_keys[i], (size_t)(eq - o)) == 0)
      return true;
  return false;
}

static int tmpfs_keep(struct berth_mount_spec *m, const char *o,
                      berth_error **err) {
  char *n;
  if (asprintf(&n, "%s%s%s", m->tmpfs_options ? m->tmpfs_options : "",
               m->tmpfs_options ? "," : "", o) < 0)
    return NOMEM(err, "--tmpfs");
  free(m->tmpfs_options);
  m->tmpfs_options = n;
  return 0;
}

static int tmpfs_option(const char *s, const char *o,
                        struct berth_mount_spec *m, berth_error **err) {
  if (strncmp(o, "size=", 5) == 0)
    return option_size("--tmpfs", s, "size", o + 5, &m->tmpfs_size, err);
  if (strncmp(o, "mode=", 5) == 0)
    return parse_mode("--tmpfs", s, o + 5, &m->tmpfs_mode, err);
  if (!tmpfs_option_ok(o))
    return FLAG_INVALID(err, "--tmpfs", s, "unknown option `%s`", o);
  if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
    m->readonly = o[1] == 'o';
  return tmpfs_keep(m, o, err);
}

int berth_parse_tmpfs_flag(const char *s, struct berth_mount_spec *out,
                           berth_error **err) {
  _cleanup_free_ char *copy = strdup(s);
  _cleanup_mount_ struct berth_mount_spec m = {.type = BERTH_MOUNT_TMPFS};
  if (copy == NULL)
    return NOMEM(err, "--tmpfs");
  char *opts = copy;
  char *dst = strsep(&opts, ":");
  if (clean_target("--tmpfs", s, dst, &m.target, err) < 0)
    return -1;
  for (char *o = opts && *opts ? strsep(&opts, ",") : NULL; o;
       o = strsep(&opts, ",")) {
    if (tmpfs_option(s, o, &m, err) < 0)
      return -1;
  }
  *out = m;
  memset(&m, 0, sizeof(m));
  return 0;
}

/* ---- --device ----------------------------------------------------------- */

/* Non-empty subset of "rwm", stored in canonical order. */
static bool device_perms(const char *p, char out[4]) {
  size_t len = strlen(p);
  if (len == 0 || len > 3 || strspn(p, "rwm") != len)
    return false;
  char canon[4];
  size_t o = 0;
  for (const char *c = "rwm"; *c; c++) {
    const char *hit = strchr(p, *c);
    if (hit && strchr(hit + 1, *c))
      return false;
    if (hit)
      canon[o++] = *c;
  }
  canon[o] = '\0';
  memcpy(out, canon, sizeof(canon));
  return true;
}

void berth_device_spec_clear(struct berth_device_spec *d) {
  free(d->host);
  free(d->container);
  memset(d, 0, sizeof(*d));
}

int berth_parse_device(const char *s, struct berth_device_spec *out,
                       berth_error **err) {
  _cleanup_free_ char *copy = strdup(s);
  if (copy == NULL)
    return NOMEM(err, "--device");
  char *part[4] = {NULL};
  size_t n = 0;
  for (char *p = copy, *t; n < 4 && (t = strsep(&p, ":")); n++)
    part[n] = t;
  struct berth_device_spec d = {.perms = "rwm"};
  /* HOST:PERMS is accepted too, as Docker does. */
  bool two_perms = n == 2 && device_perms(part[1], d.perms);
  const char *perms = n == 3 ? part[2] : NULL;
  const char *ctr = n == 1 || two_perms ? part[0] : part[1];
  if (n == 4)
    return FLAG_INVALID(err, "--device", s,
                        "expected HOST[:CONTAINER[:PERMS]]");
  if (perms && !device_perms(perms, d.perms))
    return FLAG_INVALID(err, "--device", s,
                        "permissions `%s` are not a subset of rwm", perms);
  _cleanup_free_ char *host = NULL, *container = NULL;
  struct path_ctx hc = {"--device", s, "host path"};
  struct path_ctx cc = {"--device", s, "container path"};
  if (clean_path(&hc, part[0], true, &host, err) < 0 ||
      clean_path(&cc, ctr, false, &container, err) < 0)
    return -1;
  d.host = steal_pointer(&host);
  d.container = steal_pointer(&container);
  *out = d;
  return 0;
}

json_t *berth_mount_spec_json(const struct berth_mount_spec *m) {
  static const char *types[] = {"bind", "volume", "tmpfs"};
  json_t *j = json_pack("{s:s,s:s,s:b}", "Type", types[m->type], "Target",
                        m->target, "ReadOnly", m->readonly);
  if (m->source)
    json_object_set_new(j, "Source", json_string(m->source));
  if (m->type == BERTH_MOUNT_BIND) {
    json_t *b = json_pack("{s:s}", "Propagation",
                          m->propagation ? m->propagation : "rprivate");
    /* Not in Docker's API (podman's idmap option): berth's own key. */
    if (m->idmap)
      json_object_set_new(b, "Idmap", json_true());
    json_object_set_new(j, "BindOptions", b);
  }
  if (m->type == BERTH_MOUNT_VOLUME)
    json_object_set_new(j, "VolumeOptions",
                        json_pack("{s:b}", "NoCopy", m->nocopy));
  /* Not in Docker's API either (its mounts keep suid and dev; berth's are
   * nosuid,nodev unless these are set). */
  if (m->suid)
    json_object_set_new(j, "Suid", json_true());
  if (m->dev)
    json_object_set_new(j, "Dev", json_true());
  if (m->type == BERTH_MOUNT_TMPFS) {
    json_t *t = json_pack("{s:I,s:I}", "SizeBytes", (json_int_t)m->tmpfs_size,
                          "Mode", (json_int_t)m->tmpfs_mode);
    if (m->tmpfs_options)
      json_object_set_new(t, "Options", json_string(m->tmpfs_options));
    json_object_set_new(j, "TmpfsOptions", t);
  }
  return j;
}
