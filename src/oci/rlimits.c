/* process.rlimits. */
#include "rlimits.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cleanup.h"
#include "json.h"

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int berth_rlimit_from_name(const char *name) {
  for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
    if (strcmp(rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static const char *rlimit_name(int resource) {
  for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
    if (rlimit_names[i].resource == resource)
      return rlimit_names[i].name;
  return "RLIMIT_?";
}

json_t *berth_rlimits_known(void) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < ARRAY_SIZE(rlimit_names); i++)
    json_array_append_new(a, json_string(rlimit_names[i].name));
  return a;
}

static int parse_one(json_t *o, const char *p, struct berth_rlimit *out,
                     berth_error **err) {
  if (!json_is_object(o))
    return berth_error_spec(err, p, "must be an object");
  _cleanup_free_ char *type = NULL;
  if (bj_string(o, "type", p, true, &type, err) < 0)
    return -1;
  char tp[BERTH_PATH_MAX_LEN];
  berth_path_key(tp, p, "type");
  out->resource = berth_rlimit_from_name(type);
  if (out->resource < 0)
    return berth_error_spec(err, tp, "unknown rlimit `%s`", type);
  char sp[BERTH_PATH_MAX_LEN];
  berth_path_key(sp, p, "soft");
  int rc = bj_uint64(o, "soft", p, &out->soft, err);
  if (rc == 0)
    return berth_error_spec(err, sp, "is required");
  if (rc < 0)
    return -1;
  berth_path_key(sp, p, "hard");
  rc = bj_uint64(o, "hard", p, &out->hard, err);
  if (rc == 0)
    return berth_error_spec(err, sp, "is required");
  if (rc < 0)
    return -1;
  if (out->soft > out->hard)
    return berth_error_spec(err, p, "soft limit %llu of %s is above its hard "
                            "limit %llu",
                            (unsigned long long)out->soft, type,
                            (unsigned long long)out->hard);
  return 0;
}

int berth_rlimits_parse(json_t *rlimits, const char *path,
                        struct berth_rlimit **out, size_t *n,
                        berth_error **err) {
  *out = NULL;
  *n = 0;
  if (!json_is_array(rlimits))
    return berth_error_spec(err, path, "must be an array");
  size_t len = json_array_size(rlimits);
  if (len == 0)
    return 0;
  _cleanup_free_ struct berth_rlimit *r = calloc(len, sizeof(*r));
  if (r == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char p[BERTH_PATH_MAX_LEN];
  for (size_t i = 0; i < len; i++) {
    berth_path_idx(p, path, i);
    if (parse_one(json_array_get(rlimits, i), p, &r[i], err) < 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (r[j].resource == r[i].resource)
        return berth_error_spec(err, p, "%s is set twice",
                                rlimit_name(r[i].resource));
  }
  *out = steal_pointer(&r);
  *n = len;
  return 0;
}

int berth_rlimits_apply(const struct berth_rlimit *r, size_t n, pid_t pid,
                        berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    struct rlimit lim = {.rlim_cur = r[i].soft, .rlim_max = r[i].hard};
    if (prlimit(pid, r[i].resource, &lim, NULL) == 0)
      continue;
    int e = errno;
    struct rlimit cur;
    bool raising = e == EPERM && prlimit(pid, r[i].resource, NULL, &cur) == 0 &&
                   r[i].hard > cur.rlim_max;
    return berth_error_set(
        err, BERTH_ERR_SYSTEM, e, "set %s to soft %llu hard %llu%s",
        rlimit_name(r[i].resource), (unsigned long long)r[i].soft,
        (unsigned long long)r[i].hard,
        raising ? " (raising a hard limit needs CAP_SYS_RESOURCE)" : "");
  }
  return 0;
}
