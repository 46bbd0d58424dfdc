#include "mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "json.h"

/* Bounds on untrusted input: the kernel copies at most one page of mount
 * data, and no sane config has thousands of mounts. */
#define MAX_MOUNTS 4096
#define MAX_DATA 4095

enum opt_kind { OPT_SET, OPT_CLEAR, OPT_PROP, OPT_BIND, OPT_RBIND,
                OPT_REC_SET, OPT_REC_CLEAR, OPT_COPYUP, OPT_IDMAP,
                OPT_RIDMAP };

struct mount_opt {
  const char *name;
  enum opt_kind kind;
  unsigned long flag;
};

/* Options that are mount flags rather than filesystem data.  "clear"
 * entries are recorded so that a bind mount can drop a flag it would
 * otherwise inherit (rw on an ro source, exec, suid). */
static const struct mount_opt mount_opts[] = {
    {"ro", OPT_SET, MS_RDONLY},           {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},       {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},         {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},       {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},     {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},       {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"atime", OPT_CLEAR, MS_NOATIME},     {"noatime", OPT_SET, MS_NOATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},   {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_SET, MS_LAZYTIME},   {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"silent", OPT_SET, MS_SILENT},       {"loud", OPT_CLEAR, MS_SILENT},
    {"nosymfollow", OPT_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, 0},                {"rbind", OPT_RBIND, 0},
    {"private", OPT_PROP, MS_PRIVATE},    {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROP, MS_SHARED},      {"rshared", OPT_PROP, MS_SHARED | MS_REC},
    {"slave", OPT_PROP, MS_SLAVE},        {"rslave", OPT_PROP, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROP, MS_UNBINDABLE},
    {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
    /* Recursive variants (runtime-spec 1.1), applied with mount_setattr
     * AT_RECURSIVE so they also reach submounts of an rbind. */
    {"rro", OPT_REC_SET, MS_RDONLY},      {"rrw", OPT_REC_CLEAR, MS_RDONLY},
    {"rnosuid", OPT_REC_SET, MS_NOSUID},  {"rsuid", OPT_REC_CLEAR, MS_NOSUID},
    {"rnodev", OPT_REC_SET, MS_NODEV},    {"rdev", OPT_REC_CLEAR, MS_NODEV},
    {"rnoexec", OPT_REC_SET, MS_NOEXEC},  {"rexec", OPT_REC_CLEAR, MS_NOEXEC},
    {"rnoatime", OPT_REC_SET, MS_NOATIME},
    {"ratime", OPT_REC_CLEAR, MS_NOATIME},
    {"rrelatime", OPT_REC_SET, MS_RELATIME},
    {"rnorelatime", OPT_REC_CLEAR, MS_RELATIME},
    {"rstrictatime", OPT_REC_SET, MS_STRICTATIME},
    {"rnostrictatime", OPT_REC_CLEAR, MS_STRICTATIME},
    {"rnodiratime", OPT_REC_SET, MS_NODIRATIME},
    {"rdiratime", OPT_REC_CLEAR, MS_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, MS_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLEAR, MS_NOSYMFOLLOW},
    {"tmpcopyup", OPT_COPYUP, 0},
    /* runtime-spec 1.2 idmapped mounts (idmapped_mounts.h). */
    {"idmap", OPT_IDMAP, 0},              {"ridmap", OPT_RIDMAP, 0},
};

long berth_propagation_from_name(const char *name) {
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
    if (mount_opts[i].kind == OPT_PROP && strcmp(mount_opts[i].name, name) == 0)
      return (long)mount_opts[i].flag;
  return -1;
}

static const struct mount_opt *find_opt(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++)
    if (strcmp(mount_opts[i].name, name) == 0)
      return &mount_opts[i];
  return NULL;
}

static int append_data(char **data, const char *opt, const char *field,
                       berth_error **err) {
  size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
  if (old + add + 1 > MAX_DATA)
    return berth_error_spec(err, field, "mount data longer than %d bytes",
                            MAX_DATA);
  char *n = realloc(*data, old + add + 2);
  if (n == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", field);
  if (old)
    n[old++] = ',';
  memcpy(n + old, opt, add + 1);
  *data = n;
  return 0;
}

static int apply_option(struct berth_mount *m, const char *opt,
                        const char *field, berth_error **err) {
  const struct mount_opt *o = find_opt(opt);
  if (o == NULL) {
    if (opt[0] == '\0' || strchr(opt, ',') != NULL)
      return berth_error_spec(err, field, "invalid mount option `%s`", opt);
    return append_data(&m->data, opt, field, err);
  }
  switch (o->kind) {
  case OPT_SET: m->flags |= o->flag; m->clear &= ~o->flag; break;
  case OPT_CLEAR: m->clear |= o->flag; m->flags &= ~o->flag; break;
  case OPT_PROP: m->propagation = o->flag; break;
  case OPT_RBIND: m->recursive = true; /* fall through */
  case OPT_BIND: m->bind = true; break;
  case OPT_REC_SET: m->rec_flags |= o->flag; m->rec_clear &= ~o->flag; break;
  case OPT_REC_CLEAR: m->rec_clear |= o->flag; m->rec_flags &= ~o->flag; break;
  case OPT_COPYUP: m->tmpcopyup = true; break;
  case OPT_IDMAP: m->idmap = true; m->idmap_recursive = false; break;
  case OPT_RIDMAP: m->idmap = true; m->idmap_recursive = true; break;
  }
  return 0;
}

static int parse_options(json_t *obj, const char *path, struct berth_mount *m,
                         berth_error **err) {
  char base[BERTH_PATH_MAX_LEN], field[BERTH_PATH_MAX_LEN];
  json_t *opts = NULL;
  int rc = bj_array(obj, "options", path, &opts, err);
  if (rc <= 0)
    return rc;
  berth_path_key(base, path, "options");
  size_t i;
  json_t *v;
  json_array_foreach(opts, i, v) {
    berth_path_idx(field, base, i);
    if (!json_is_string(v))
      return berth_error_spec(err, field, "expected a string");
    if (apply_option(m, json_string_value(v), field, err) < 0)
      return -1;
  }
  return 0;
}

/* runtime-spec: uidMappings and gidMappings come together; with either
 * the mount is idmapped (the spec asks for the idmap or ridmap option as
 * well, so that older runtimes refuse it: without one, non-recursive). */
static int parse_idmap(json_t *obj, const char *path, struct berth_mount *m,
                       berth_error **err) {
  char field[BERTH_PATH_MAX_LEN];
  int u = berth_id_maps_parse(obj, "uidMappings", path, &m->uid_maps,
                              &m->n_uid_maps, err);
  int g = u < 0 ? -1
                : berth_id_maps_parse(obj, "gidMappings", path, &m->gid_maps,
                                      &m->n_gid_maps, err);
  if (u < 0 || g < 0)
    return -1;
  if (u != g) {
    berth_path_key(field, path, u ? "gidMappings" : "uidMappings");
    return berth_error_spec(err, field,
                            "uidMappings and gidMappings go together");
  }
  m->idmap = m->idmap || u > 0;
  return 0;
}

static int parse_one(json_t *obj, const char *path, struct berth_mount *m,
                     berth_error **err) {
  char field[BERTH_PATH_MAX_LEN];
  if (!json_is_object(obj))
    return berth_error_spec(err, path, "expected an object");
  if (bj_string(obj, "destination", path, true, &m->destination, err) < 0 ||
      bj_string(obj, "type", path, false, &m->type, err) < 0 ||
      bj_string(obj, "source", path, false, &m->source, err) < 0)
    return -1;
  berth_path_key(field, path, "destination");
  /* A relative destination has no defined meaning inside the container
   * (runtime-spec: "This value MUST be an absolute path"). */
  if (m->destination[0] != '/')
    return berth_error_spec(err, field, "`%s` is not an absolute path",
                            m->destination);
  if (strlen(m->destination) >= 4096)
    return berth_error_spec(err, field, "path too long");
  if (parse_options(obj, path, m, err) < 0 || parse_idmap(obj, path, m, err) < 0)
    return -1;
  m->recursive_ro = (m->rec_flags & MS_RDONLY) != 0;
  if (m->type && (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0)) {
    m->bind = true;
    if (strcmp(m->type, "rbind") == 0)
      m->recursive = true;
  }
  if (m->bind && (m->source == NULL || m->source[0] == '\0')) {
    berth_path_key(field, path, "source");
    return berth_error_spec(err, field, "a bind mount needs a source");
  }
  if (!m->bind && (m->type == NULL || m->type[0] == '\0')) {
    berth_path_key(field, path, "type");
    return berth_error_spec(err, field, "required for a non-bind mount");
  }
  /* A new filesystem instance would be owned by the container's user
   * namespace already; only binds of host mounts take an idmap here. */
  if (m->idmap && !m->bind) {
    berth_path_key(field, path, "options");
    return berth_error_spec(err, field,
                            "idmapped mounts are only supported for binds");
  }
  return 0;
}

int berth_mounts_parse(json_t *mounts, const char *path,
                       struct berth_mount **out, size_t *n, berth_error **err) {
  *out = NULL;
  *n = 0;
  if (mounts == NULL || json_is_null(mounts))
    return 0;
  if (!json_is_array(mounts))
    return berth_error_spec(err, path, "expected an array");
  size_t count = json_array_size(mounts);
  if (count > MAX_MOUNTS)
    return berth_error_spec(err, path, "more than %d mounts", MAX_MOUNTS);
  if (count == 0)
    return 0;
  struct berth_mount *m = calloc(count, sizeof(*m));
  if (m == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char field[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < count; i++) {
    berth_path_idx(field, path, i);
    if (parse_one(json_array_get(mounts, i), field, &m[i], err) < 0) {
      berth_mounts_free(m, count);
      return -1;
    }
  }
  *out = m;
  *n = count;
  return 0;
}

void berth_mounts_free(struct berth_mount *m, size_t n) {
  if (m == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    free(m[i].destination);
    free(m[i].type);
    free(m[i].source);
    free(m[i].data);
    free(m[i].uid_maps);
    free(m[i].gid_maps);
  }
  free(m);
}
