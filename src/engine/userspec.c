/* `--user` resolution in the container's own passwd and group files.
 *
 * The files belong to the image or the running container, so they are
 * untrusted: they are resolved with openat2(RESOLVE_IN_ROOT) (an absolute
 * symlink on the way lands inside the rootfs, never on the host), are not
 * followed when they are symlinks themselves, are opened only once known
 * to be regular files (a FIFO would block the engine, a device could
 * stream forever or act on open), are bounded in size, and malformed
 * lines are skipped rather than trusted. */
#include "userspec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

#define DB_MAX_BYTES (4u << 20)
#define ID_MAX 4294967294u /* (uid_t)-1 means "no change" to the kernel */
#define MAX_GROUPS 65536   /* NGROUPS_MAX on Linux */

/* A line of passwd or group split into its fields (pointers into the
 * buffer, which is modified in place). */
struct db_line {
  char *f[7];
  size_t n;
};

/* 1: decimal id in range; 0: not a number (a name); -1: a number (possibly
 * signed) that is not a valid id. */
static int parse_id(const char *s, uint32_t *out) {
  const char *d = (*s == '-' || *s == '+') ? s + 1 : s;
  if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
    return 0;
  if (d != s || strlen(d) > 10)
    return -1;
  unsigned long long v = strtoull(d, NULL, 10);
  if (v > ID_MAX)
    return -1;
  *out = (uint32_t)v;
  return 1;
}

static int check_id(const char *s, const char *what, uint32_t *out,
                    berth_error **err) {
  int rc = parse_id(s, out);
  if (rc < 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid %s `%s`: ids must be in range 0-%u", what,
                           s, ID_MAX);
  return rc;
}

static int read_fd_bounded(int fd, const char *path, char **out,
                           berth_error **err) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berth_error_sys(err, "stat `%s` in the container", path);
  if (!S_ISREG(st.st_mode))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` in the container is not a regular file",
                           path);
  if (st.st_size > (off_t)DB_MAX_BYTES)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` in the container is larger than %u bytes",
                           path, DB_MAX_BYTES);
  /* The size can still grow under us: read at most one byte past the
   * limit to notice. */
  _cleanup_free_ char *buf = malloc((size_t)st.st_size + 2);
  if (buf == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "read `%s`", path);
  size_t cap = (size_t)st.st_size + 1, len = 0;
  while (len < cap) {
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return berth_error_sys(err, "read `%s` in the container", path);
    if (r == 0)
      break;
    len += (size_t)r;
  }
  if (len > (size_t)st.st_size)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "`%s` in the container changed while read", path);
  buf[len] = '\0';
  *out = steal_pointer(&buf);
  return 0;
}

/* Reads a file of the container; a missing file is an empty database, as
 * for Docker (minimal images have no /etc/passwd). *out is NULL then.
 * The container may have replaced the file by anything: a FIFO would block
 * the engine, a device would be opened with the engine's privileges, a
 * symlink could lead into the container's /proc.  berth_open_regular opens
 * nothing but a regular file and never follows the last component. */
static int read_db(int rootfs_fd, const char *path, char **out,
                   berth_error **err) {
  *out = NULL;
  berth_error *local = NULL;
  _cleanup_close_ int fd = berth_open_regular(
      rootfs_fd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, &local);
  if (fd < 0) {
    int e = local ? local->errno_value : 0;
    berth_error_free(local);
    if (e == ENOENT || e == ENOTDIR)
      return 0;
    if (e == ELOOP)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "`%s` in the container is a symbolic link: "
                             "not followed", path);
    if (e == EINVAL)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "`%s` in the container is not a regular file",
                             path);
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "open `%s` in the container", path);
  }
  return read_fd_bounded(fd, path, out, err);
}

/* Splits the next line off *cursor into fields separated by ':'. */
static bool next_line(char **cursor, struct db_line *l) {
  char *p = *cursor;
  if (p == NULL || *p == '\0')
    return false;
  char *nl = strchr(p, '\n');
  if (nl) {
    *nl = '\0';
    *cursor = nl + 1;
  } else {
    *cursor = p + strlen(p);
  }
  l->n = 0;
  for (char *s = p;;) {
    char *c = strchr(s, ':');
    if (l->n < ARRAY_SIZE(l->f))
      l->f[l->n] = s;
    l->n++;
    if (c == NULL)
      break;
    *c = '\0';
    s = c + 1;
  }
  return true;
}

struct pw_entry {
  const char *name, *home;
  uint32_t uid, gid;
};

/* name:password:uid:gid:gecos:home:shell.  Lines with fewer fields or ids
 * that are not valid numbers are skipped: a damaged line must not turn
 * into uid 0. */
static bool parse_pw_line(struct db_line *l, struct pw_entry *e) {
  if (l->n < 4 || l->f[0][0] == '\0' || l->f[0][0] == '#')
    return false;
  if (parse_id(l->f[2], &e->uid) != 1 || parse_id(l->f[3], &e->gid) != 1)
    return false;
  e->name = l->f[0];
  e->home = l->n >= 6 && l->f[5][0] != '\0' ? l->f[5] : "/";
  return true;
}

/* name:password:gid:member,member */
static bool parse_gr_line(struct db_line *l, const char **name, uint32_t *gid,
                          char **members) {
  if (l->n < 3 || l->f[0][0] == '\0' || l->f[0][0] == '#')
    return false;
  if (parse_id(l->f[2], gid) != 1)
    return false;
  *name = l->f[0];
  *members = l->n >= 4 ? l->f[3] : NULL;
  return true;
}

static bool lists_member(char *members, const char *user) {
  for (char *m = members; m && *m;) {
    size_t n = strcspn(m, ",");
    if (n == strlen(user) && strncmp(m, user, n) == 0)
      return true;
    m += n + (m[n] == ',');
  }
  return false;
}

/* Finds the group named or numbered `arg` (first match, as getgrnam).
 * 1: found, 0: no such group, -1: error. */
static int find_group(const char *text, const char *arg, bool numeric,
                      uint32_t num, uint32_t *gid, berth_error **err) {
  if (text == NULL)
    return 0;
  _cleanup_free_ char *copy = strdup(text);
  if (copy == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "group");
  char *cur = copy, *members;
  struct db_line l;
  const char *name;
  uint32_t g;
  while (next_line(&cur, &l))
    if (parse_gr_line(&l, &name, &g, &members) &&
        (strcmp(name, arg) == 0 || (numeric && g == num))) {
      *gid = g;
      return 1;
    }
  return 0;
}

/* A group argument (the `:group` part or a --group-add value). */
static int resolve_group(const char *group_text, const char *arg,
                         uint32_t *gid, berth_error **err) {
  uint32_t num = 0;
  int numeric = check_id(arg, "group id", &num, err);
  if (numeric < 0)
    return -1;
  int found = find_group(group_text, arg, numeric, num, gid, err);
  if (found != 0)
    return found < 0 ? -1 : 0;
  if (numeric) {
    *gid = num;
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                         "unable to find group `%s`: no matching entries in "
                         "group file", arg);
}

static int add_group(struct berth_userspec *out, uint32_t gid,
                     berth_error **err) {
  for (size_t i = 0; i < out->n_groups; i++)
    if (out->groups[i] == gid)
      return 0;
  if (out->n_groups >= MAX_GROUPS)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "more than %d supplementary groups", MAX_GROUPS);
  uint32_t *g = realloc(out->groups, (out->n_groups + 1) * sizeof(*g));
  if (g == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "groups");
  out->groups = g;
  out->groups[out->n_groups++] = gid;
  return 0;
}

/* The groups whose member list names `user` (the implicit form only). */
static int member_groups(const char *group_text, const char *user,
                         struct berth_userspec *out, berth_error **err) {
  if (group_text == NULL)
    return 0;
  _cleanup_free_ char *copy = strdup(group_text);
  if (copy == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "group");
  char *cur = copy, *members;
  struct db_line l;
  const char *name;
  uint32_t g;
  while (next_line(&cur, &l))
    if (parse_gr_line(&l, &name, &g, &members) &&
        lists_member(members, user) && add_group(out, g, err) < 0)
      return -1;
  return 0;
}

/* Looks the user up; fills uid, gid (the entry's), home and, when found by
 * entry, the entry's name into *name_out. */
static int resolve_user(const char *pw_text, const char *arg,
                        struct berth_userspec *out, char **name_out,
                        berth_error **err) {
  uint32_t num = 0;
  int numeric = check_id(arg, "user id", &num, err);
  if (numeric < 0)
    return -1;
  _cleanup_free_ char *copy = pw_text ? strdup(pw_text) : NULL;
  if (pw_text && copy == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "passwd");
  char *cur = copy;
  struct db_line l;
  struct pw_entry e;
  while (next_line(&cur, &l)) {
    if (!parse_pw_line(&l, &e) ||
        !(strcmp(e.name, arg) == 0 || (numeric && e.uid == num)))
      continue;
    out->uid = e.uid;
    out->gid = e.gid;
    out->home = strdup(e.home);
    *name_out = strdup(e.name);
    if (out->home == NULL || *name_out == NULL)
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "passwd");
    return 0;
  }
  if (!numeric)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "unable to find user `%s`: no matching entries in "
                           "passwd file", arg);
  out->uid = num;
  out->gid = 0;
  out->home = strdup("/");
  return out->home ? 0 : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "home");
}

/* Checks the syntax of every id before any file is read, so a bad flag is
 * reported the same way whatever the image holds. */
static int validate_args(const char *user, const char *group,
                         char *const *extra, berth_error **err) {
  uint32_t v;
  if (check_id(user, "user id", &v, err) < 0)
    return -1;
  if (group && check_id(group, "group id", &v, err) < 0)
    return -1;
  for (size_t i = 0; extra && extra[i]; i++) {
    if (extra[i][0] == '\0')
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "empty name in the additional groups");
    if (check_id(extra[i], "group id", &v, err) < 0)
      return -1;
  }
  return 0;
}

static int resolve(int rootfs_fd, const char *user, const char *group,
                   char *const *extra, struct berth_userspec *out,
                   berth_error **err) {
  _cleanup_free_ char *pw = NULL, *gr = NULL, *name = NULL;
  if (validate_args(user, group, extra, err) < 0 ||
      read_db(rootfs_fd, "/etc/passwd", &pw, err) < 0 ||
      read_db(rootfs_fd, "/etc/group", &gr, err) < 0)
    return -1;
  if (resolve_user(pw, user, out, &name, err) < 0)
    return -1;
  /* As in Docker (runc's GetExecUser): supplementary groups come from the
   * group file only in the implicit form; `user:group` sets the primary
   * group and nothing else. */
  if (group && resolve_group(gr, group, &out->gid, err) < 0)
    return -1;
  if (!group && name && member_groups(gr, name, out, err) < 0)
    return -1;
  for (size_t i = 0; extra && extra[i]; i++) {
    uint32_t gid;
    if (resolve_group(gr, extra[i], &gid, err) < 0 ||
        add_group(out, gid, err) < 0)
      return -1;
  }
  return 0;
}

int berth_userspec_resolve(int rootfs_fd, const char *spec,
                           char *const *extra_groups,
                           struct berth_userspec *out, berth_error **err) {
  *out = (struct berth_userspec){0};
  _cleanup_free_ char *copy = strdup(spec ? spec : "");
  if (copy == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "user");
  /* "user:" and ":group" follow runc: an empty part means the default
   * (root for the user, the implicit form for the group). */
  char *group = strchr(copy, ':');
  if (group)
    *group++ = '\0';
  const char *user = copy[0] ? copy : "0";
  if (group && group[0] == '\0')
    group = NULL;
  if (resolve(rootfs_fd, user, group, extra_groups, out, err) < 0) {
    berth_userspec_clear(out);
    return -1;
  }
  return 0;
}

void berth_userspec_clear(struct berth_userspec *u) {
  if (u == NULL)
    return;
  free(u->groups);
  free(u->home);
  *u = (struct berth_userspec){0};
}
