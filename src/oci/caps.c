/* process.capabilities and process.user: parsing, and the switch to the
 * container's user with exactly the requested capability sets. */
#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",
    "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",
    "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",
    "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int berth_cap_from_name(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
    if (strcmp(cap_names[i], name) == 0)
      return (int)i;
  return -1;
}

const char *berth_cap_name(int cap) {
  if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
    return NULL;
  return cap_names[cap];
}

/* Probing the bounding set needs no /proc, which may not be mounted in the
 * container when this runs, and allocates nothing. */
int berth_cap_last(void) {
  /* PR_CAPBSET_READ fails with EINVAL beyond the last capability: a
   * binary search takes 6 calls instead of one per capability. */
  if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) < 0)
    return -1;
  int lo = 0, hi = 63; /* lo is known valid */
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (prctl(PR_CAPBSET_READ, mid, 0, 0, 0) >= 0)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

json_t *berth_caps_known(void) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < ARRAY_SIZE(cap_names); i++)
    json_array_append_new(a, json_string(cap_names[i]));
  return a;
}

static int add_unknown(char ***unknown, const char *name) {
  if (unknown == NULL)
    return 0;
  for (char **u = *unknown; u && *u; u++)
    if (strcmp(*u, name) == 0)
      return 0;
  size_t n = berth_strv_len(*unknown);
  char **v = realloc(*unknown, (n + 2) * sizeof(*v));
  if (v == NULL)
    return -1;
  *unknown = v;
  v[n] = strdup(name);
  v[n + 1] = NULL;
  return v[n] ? 0 : -1;
}

static int parse_set(json_t *caps, const char *key, const char *path,
                     uint64_t *out, char ***unknown, berth_error **err) {
  json_t *arr = NULL;
  int rc = bj_array(caps, key, path, &arr, err);
  if (rc <= 0)
    return rc;
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(p, path, key);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    berth_path_idx(ip, p, i);
    if (!json_is_string(v))
      return berth_error_spec(err, ip, "must be a string");
    const char *name = json_string_value(v);
    int cap = berth_cap_from_name(name);
    if (cap < 0) {
      /* The spec asks runtimes to warn, not fail, so that a config written
       * for a newer kernel still runs on this one. */
      if (add_unknown(unknown, name) < 0)
        return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", ip);
      continue;
    }
    *out |= UINT64_C(1) << cap;
  }
  return 1;
}

int berth_caps_parse(json_t *caps, const char *path, struct berth_caps *out,
                     char ***unknown, berth_error **err) {
  *out = (struct berth_caps){0};
  if (caps == NULL || json_is_null(caps))
    return 0;
  if (!json_is_object(caps))
    return berth_error_spec(err, path, "must be an object");
  static const char *const keys[] = {"bounding", "effective", "inheritable",
                                     "permitted", "ambient"};
  uint64_t *sets[] = {&out->bounding, &out->effective, &out->inheritable,
                      &out->permitted, &out->ambient};
  for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
    if (parse_set(caps, keys[k], path, sets[k], unknown, err) < 0)
      return -1;
  return 0;
}

static int parse_user(json_t *proc, const char *path, struct berth_creds *c,
                      berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  json_t *user = NULL;
  if (bj_object(proc, "user", path, &user, err) < 0)
    return -1;
  if (user == NULL)
    return 0; /* root, as runc does for a config without a user */
  berth_path_key(p, path, "user");
  int64_t v;
  if (bj_range(user, "uid", p, 0, UINT32_MAX - 1, &v, err) < 0)
    return -1;
  c->uid = (uid_t)v;
  v = 0;
  if (bj_range(user, "gid", p, 0, UINT32_MAX - 1, &v, err) < 0)
    return -1;
  c->gid = (gid_t)v;
  int rc = bj_range(user, "umask", p, 0, 0777, &v, err);
  if (rc < 0)
    return -1;
  c->has_umask = rc > 0;
  c->umask = (mode_t)v;
  json_t *gids = NULL;
  if (bj_array(user, "additionalGids", p, &gids, err) < 0)
    return -1;
  if (gids == NULL || json_array_size(gids) == 0)
    return 0;
  char gp[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(gp, p, "additionalGids");
  if (json_array_size(gids) > (size_t)sysconf(_SC_NGROUPS_MAX))
    return berth_error_spec(err, gp, "more than %ld groups",
                            sysconf(_SC_NGROUPS_MAX));
  c->additional_gids = calloc(json_array_size(gids), sizeof(gid_t));
  if (c->additional_gids == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", gp);
  size_t i;
  json_t *g;
  json_array_foreach(gids, i, g) {
    berth_path_idx(ip, gp, i);
    if (!json_is_integer(g) || json_integer_value(g) < 0 ||
        json_integer_value(g) > (json_int_t)UINT32_MAX - 1)
      return berth_error_spec(err, ip, "must be a group id");
    c->additional_gids[c->n_additional_gids++] = (gid_t)json_integer_value(g);
  }
  return 0;
}

int berth_creds_parse(json_t *process, const char *path,
                      struct berth_creds *out, char ***unknown_caps,
                      berth_error **err) {
  *out = (struct berth_creds){0};
  char p[BERTH_PATH_MAX_LEN];
  if (parse_user(process, path, out, err) < 0)
    goto fail;
  json_t *caps = json_object_get(process, "capabilities");
  out->has_caps = caps != NULL && !json_is_null(caps);
  berth_path_key(p, path, "capabilities");
  if (berth_caps_parse(caps, p, &out->caps, unknown_caps, err) < 0)
    goto fail;
  if (bj_bool(process, "noNewPrivileges", path, &out->no_new_privileges,
              err) < 0)
    goto fail;
  return 0;
fail:
  berth_creds_free(out);
  return -1;
}

void berth_creds_free(struct berth_creds *c) {
  if (c == NULL)
    return;
  free(c->additional_gids);
  c->additional_gids = NULL;
  c->n_additional_gids = 0;
}

/* In a user namespace whose /proc/PID/setgroups says "deny" (the rootless
 * case), setgroups(2) always fails: supplementary groups cannot be changed
 * there, so only an explicit request for them is an error. */
static bool setgroups_denied(void) {
  char buf[16] = {0};
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n > 0 && strncmp(buf, "deny", 4) == 0;
}

static int switch_user(const struct berth_creds *c, berth_error **err) {
  if (c->n_additional_gids > 0 || !setgroups_denied()) {
    if (setgroups(c->n_additional_gids, c->additional_gids) < 0)
      return berth_error_sys(err, "setgroups for the container user");
  }
  if (setresgid(c->gid, c->gid, c->gid) < 0)
    return berth_error_sys(err, "setresgid %u (is it mapped in the user "
                                "namespace?)", (unsigned)c->gid);
  if (setresuid(c->uid, c->uid, c->uid) < 0)
    return berth_error_sys(err, "setresuid %u (is it mapped in the user "
                                "namespace?)", (unsigned)c->uid);
  return 0;
}

static int drop_bounding(uint64_t keep, int last, berth_error **err) {
  for (int cap = 0; cap <= last; cap++) {
    if (keep & (UINT64_C(1) << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return berth_error_sys(err, "drop %s from the bounding set",
                             berth_cap_name(cap) ? berth_cap_name(cap)
                                                 : "capability");
  }
  return 0;
}

static int set_caps(const struct berth_caps *k, uint64_t known,
                    berth_error **err) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  uint64_t e = k->effective & known, p = k->permitted & known,
           i = k->inheritable & known;
  for (int w = 0; w < 2; w++) {
    data[w].effective = (uint32_t)(e >> (32 * w));
    data[w].permitted = (uint32_t)(p >> (32 * w));
    data[w].inheritable = (uint32_t)(i >> (32 * w));
  }
  if (syscall(SYS_capset, &hdr, data) < 0)
    return berth_error_sys(err, "set capabilities (effective must be within "
                                "permitted, inheritable within bounding)");
  return 0;
}

static int raise_ambient(uint64_t ambient, int last, berth_error **err) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
      errno != EINVAL)
    return berth_error_sys(err, "clear the ambient capabilities");
  for (int cap = 0; cap <= last; cap++) {
    if (!(ambient & (UINT64_C(1) << cap)))
      continue;
    /* The kernel only raises an ambient capability that is also permitted
     * and inheritable; like crun, a config asking for more is trimmed to
     * what the other sets allow rather than refused. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 &&
        errno != EPERM && errno != EINVAL)
      return berth_error_sys(err, "raise ambient %s", berth_cap_name(cap));
  }
  return 0;
}

int berth_creds_apply(const struct berth_creds *c, berth_error **err) {
  int last = berth_cap_last();
  if (last < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EINVAL,
                           "cannot read the bounding set");
  uint64_t known = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
  struct berth_caps none = {0};
  const struct berth_caps *k = c->has_caps ? &c->caps : &none;
  if (c->has_umask)
    umask(c->umask);
  /* Keep the permitted set across the uid change; capset below then trims
   * it to exactly what was asked. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_error_sys(err, "keep capabilities across setuid");
  if (drop_bounding(k->bounding, last, err) < 0 || switch_user(c, err) < 0 ||
      set_caps(k, known, err) < 0)
    return -1;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_error_sys(err, "reset keep capabilities");
  return raise_ambient(k->ambient & known, last, err);
}
