/* The default seccomp profile and its resolution for one container.
 *
 * A profile is validated completely before use: it decides which
 * syscalls a container may make, so a typo must be an error, never a
 * silently different filter.  That is why unknown keys are refused in
 * rules and conditions (a misspelt "includes" would otherwise turn a
 * CAP_SYS_ADMIN-only rule into an unconditional one). */
#include "seccomp_profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "json.h"

extern const unsigned char berth_seccomp_default_json[];
extern const unsigned long berth_seccomp_default_json_len;

#define PROFILE_MAX_BYTES (4u << 20)

static const char *const actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
};

static const char *const operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static const char *const scmp_arches[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",         "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
};

/* A host architecture and the ones its kernel also runs (compat
 * syscalls): a filter that leaves them out would let a 32-bit binary
 * bypass it entirely.  Conditions may name the host by its uname or its
 * Go name, so profiles written for Docker ("amd64") work too. */
struct host_arch {
  const char *uname, *go_name, *scmp;
  const char *subs[3];
};

static const struct host_arch host_arches[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
    {"aarch64", "arm64", "SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE", {0}},
    {"s390x", "s390x", "SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64", {0}},
};

static const char *const top_keys[] = {
    "defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags",
    "listenerPath",  "listenerMetadata", "syscalls",     "comment",
};
static const char *const rule_keys[] = {
    "names", "action", "errnoRet", "args", "includes", "excludes", "comment",
};
static const char *const arg_keys[] = {"index", "value", "valueTwo", "op"};
static const char *const cond_keys[] = {"caps", "arches", "minKernel"};
static const char *const archmap_keys[] = {"architecture", "subArchitectures"};

static bool in_list(const char *const *list, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i], s) == 0)
      return true;
  return false;
}

#define IN(list, s) in_list(list, ARRAY_SIZE(list), s)

static bool in_strv(char *const *v, const char *s) {
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

/* ---- validation ---------------------------------------------------- */

static int check_keys(json_t *obj, const char *path, const char *const *keys,
                      size_t n, berth_error **err) {
  const char *k;
  json_t *v;
  char p[BERTH_PATH_MAX_LEN];
  json_object_foreach(obj, k, v) {
    if (!in_list(keys, n, k)) {
      berth_path_key(p, path, k);
      return berth_error_spec(err, p, "unknown field");
    }
  }
  return 0;
}

#define CHECK_KEYS(obj, path, keys, err)                                       \
  check_keys(obj, path, keys, ARRAY_SIZE(keys), err)

/* A string field whose value must be one of `allowed`; 0 when absent. */
static int check_enum(json_t *obj, const char *key, const char *path,
                      bool required, const char *const *allowed, size_t n,
                      const char *what, char **out, berth_error **err) {
  _cleanup_free_ char *s = NULL;
  int rc = bj_string(obj, key, path, required, &s, err);
  if (rc <= 0)
    return rc;
  if (!in_list(allowed, n, s)) {
    char p[BERTH_PATH_MAX_LEN];
    berth_path_key(p, path, key);
    return berth_error_spec(err, p, "unknown %s `%s`", what, s);
  }
  if (out)
    *out = steal_pointer(&s);
  return 1;
}

/* An array of strings each of which must be in `allowed` (any when
 * allowed is NULL); empty strings are refused. */
static int check_strv(json_t *obj, const char *key, const char *path,
                      const char *const *allowed, size_t n, const char *what,
                      berth_error **err) {
  _cleanup_strv_ char **v = NULL;
  int rc = bj_strv(obj, key, path, false, &v, err);
  if (rc <= 0)
    return rc;
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(p, path, key);
  for (size_t i = 0; v[i]; i++) {
    berth_path_idx(ip, p, i);
    if (v[i][0] == '\0')
      return berth_error_spec(err, ip, "must not be empty");
    if (allowed && !in_list(allowed, n, v[i]))
      return berth_error_spec(err, ip, "unknown %s `%s`", what, v[i]);
  }
  return 1;
}

/* An action and its errno field: errno only makes sense for ERRNO and
 * TRACE (the runtime refuses it elsewhere too). */
static int check_action(json_t *obj, const char *key, const char *errno_key,
                        const char *path, berth_error **err) {
  _cleanup_free_ char *act = NULL;
  if (check_enum(obj, key, path, true, actions, ARRAY_SIZE(actions), "action",
                 &act, err) < 0)
    return -1;
  int64_t e;
  int rc = bj_range(obj, errno_key, path, 0, 4095, &e, err);
  if (rc < 0)
    return -1;
  if (rc > 0 && strcmp(act, "SCMP_ACT_ERRNO") != 0 &&
      strcmp(act, "SCMP_ACT_TRACE") != 0) {
    char p[BERTH_PATH_MAX_LEN];
    berth_path_key(p, path, errno_key);
    return berth_error_spec(err, p, "is only valid with SCMP_ACT_ERRNO or "
                            "SCMP_ACT_TRACE");
  }
  return 0;
}

/* "4.8" or "5.10.2" into a comparable number; -1 when malformed. */
static long long kernel_version(const char *s, bool allow_suffix) {
  unsigned a = 0, b = 0, c = 0;
  int n = -1;
  /* sscanf's %u would also take signs and blanks. */
  size_t digits = strspn(s, "0123456789.");
  if (!isdigit((unsigned char)s[0]) || (!allow_suffix && s[digits] != '\0'))
    return -1;
  if (sscanf(s, "%u.%u%n", &a, &b, &n) != 2 || n < 0)
    return -1;
  if (s[n] == '.') {
    int m = -1;
    if (sscanf(s + n, ".%u%n", &c, &m) != 1 || m < 0)
      return -1;
    n += m;
  }
  if (s[n] != '\0' && !allow_suffix)
    return -1;
  if (a > 65535 || b > 65535 || c > 65535)
    return -1;
  return ((long long)a << 32) | ((long long)b << 16) | c;
}

static int check_condition(json_t *rule, const char *key, const char *path,
                           berth_error **err) {
  json_t *c = NULL;
  char p[BERTH_PATH_MAX_LEN];
  if (bj_object(rule, key, path, &c, err) < 0)
    return -1;
  if (c == NULL)
    return 0;
  berth_path_key(p, path, key);
  if (CHECK_KEYS(c, p, cond_keys, err) < 0 ||
      check_strv(c, "caps", p, NULL, 0, "", err) < 0 ||
      check_strv(c, "arches", p, NULL, 0, "", err) < 0)
    return -1;
  _cleanup_strv_ char **caps = NULL;
  if (bj_strv(c, "caps", p, false, &caps, err) < 0)
    return -1;
  for (size_t i = 0; caps && caps[i]; i++)
    if (strncmp(caps[i], "CAP_", 4) != 0) {
      char cp[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
      berth_path_key(cp, p, "caps");
      berth_path_idx(ip, cp, i);
      return berth_error_spec(err, ip, "`%s` is not a capability name "
                              "(CAP_...)", caps[i]);
    }
  _cleanup_free_ char *mk = NULL;
  int rc = bj_string(c, "minKernel", p, false, &mk, err);
  if (rc < 0)
    return -1;
  if (rc > 0 && kernel_version(mk, false) < 0) {
    char mp[BERTH_PATH_MAX_LEN];
    berth_path_key(mp, p, "minKernel");
    return berth_error_spec(err, mp, "`%s` is not a kernel version (4.8)",
                            mk);
  }
  return 0;
}

static int check_arg(json_t *a, const char *p, berth_error **err) {
  if (!json_is_object(a))
    return berth_error_spec(err, p, "must be an object");
  if (CHECK_KEYS(a, p, arg_keys, err) < 0)
    return -1;
  int64_t idx;
  uint64_t v;
  int rc = bj_range(a, "index", p, 0, 5, &idx, err);
  if (rc == 0) {
    char fp[BERTH_PATH_MAX_LEN];
    berth_path_key(fp, p, "index");
    return berth_error_spec(err, fp, "is required");
  }
  if (rc < 0 || bj_uint64(a, "value", p, &v, err) < 0 ||
      bj_uint64(a, "valueTwo", p, &v, err) < 0)
    return -1;
  return check_enum(a, "op", p, true, operators, ARRAY_SIZE(operators),
                    "operator", NULL, err) < 0 ? -1 : 0;
}

static int check_rule(json_t *r, const char *p, berth_error **err) {
  char fp[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  if (!json_is_object(r))
    return berth_error_spec(err, p, "must be an object");
  if (CHECK_KEYS(r, p, rule_keys, err) < 0)
    return -1;
  _cleanup_strv_ char **names = NULL;
  if (bj_strv(r, "names", p, true, &names, err) < 0)
    return -1;
  berth_path_key(fp, p, "names");
  if (names[0] == NULL)
    return berth_error_spec(err, fp, "must name at least one syscall");
  for (size_t i = 0; names[i]; i++)
    if (names[i][0] == '\0') {
      berth_path_idx(ip, fp, i);
      return berth_error_spec(err, ip, "must not be empty");
    }
  if (check_action(r, "action", "errnoRet", p, err) < 0 ||
      check_condition(r, "includes", p, err) < 0 ||
      check_condition(r, "excludes", p, err) < 0)
    return -1;
  json_t *args = NULL, *a;
  if (bj_array(r, "args", p, &args, err) < 0)
    return -1;
  berth_path_key(fp, p, "args");
  size_t i;
  json_array_foreach(args, i, a) {
    berth_path_idx(ip, fp, i);
    if (check_arg(a, ip, err) < 0)
      return -1;
  }
  return 0;
}

static int check_archmap(json_t *profile, berth_error **err) {
  json_t *map = NULL, *e;
  if (bj_array(profile, "archMap", "", &map, err) < 0)
    return -1;
  if (map && json_object_get(profile, "architectures"))
    return berth_error_spec(err, "archMap", "use either `architectures` or "
                            "`archMap`, not both");
  char ip[BERTH_PATH_MAX_LEN];
  size_t i;
  json_array_foreach(map, i, e) {
    berth_path_idx(ip, "archMap", i);
    if (!json_is_object(e))
      return berth_error_spec(err, ip, "must be an object");
    if (CHECK_KEYS(e, ip, archmap_keys, err) < 0 ||
        check_enum(e, "architecture", ip, true, scmp_arches,
                   ARRAY_SIZE(scmp_arches), "architecture", NULL, err) < 0 ||
        check_strv(e, "subArchitectures", ip, scmp_arches,
                   ARRAY_SIZE(scmp_arches), "architecture", err) < 0)
      return -1;
  }
  return 0;
}

/* Structural validation, independent of the container: SPEC errors with
 * the field path (turned into INVALID by the callers). */
static int check_profile(json_t *profile, berth_error **err) {
  if (!json_is_object(profile))
    return berth_error_spec(err, "", "a seccomp profile must be an object");
  json_t *rules = NULL, *r;
  if (CHECK_KEYS(profile, "", top_keys, err) < 0 ||
      check_action(profile, "defaultAction", "defaultErrnoRet", "", err) < 0 ||
      check_strv(profile, "architectures", "", scmp_arches,
                 ARRAY_SIZE(scmp_arches), "architecture", err) < 0 ||
      check_archmap(profile, err) < 0 ||
      check_strv(profile, "flags", "", NULL, 0, "", err) < 0 ||
      bj_array(profile, "syscalls", "", &rules, err) < 0)
    return -1;
  char ip[BERTH_PATH_MAX_LEN];
  size_t i;
  json_array_foreach(rules, i, r) {
    berth_path_idx(ip, "syscalls", i);
    if (check_rule(r, ip, err) < 0)
      return -1;
  }
  return 0;
}

/* Moves a validation error to *err as INVALID, naming the field (with
 * its line and column when the text is known). */
static int invalid(berth_error **err, berth_error *e, const char *name,
                   const char *text) {
  if (e == NULL)
    return -1;
  if (e->kind == BERTH_ERR_SPEC) {
    if (text) {
      berth_json_annotate(e, name, text);
    } else if (e->field) {
      char *m = NULL;
      if (asprintf(&m, "%s: %s: %s", name,
                   e->field[0] ? e->field : "(top level)", e->msg) >= 0) {
        free(e->msg);
        e->msg = m;
      }
    }
    e->kind = BERTH_ERR_INVALID;
  }
  if (err && *err == NULL)
    *err = e;
  else
    berth_error_free(e);
  return -1;
}

/* ---- public API ---------------------------------------------------- */

int berth_seccomp_default_profile(json_t **out, berth_error **err) {
  return berth_json_parse("seccomp-default.json",
                          (const char *)berth_seccomp_default_json,
                          (size_t)berth_seccomp_default_json_len, out, err);
}

int berth_seccomp_profile_load(const char *path, json_t **out,
                               berth_error **err) {
  berth_error *e = NULL;
  _cleanup_free_ char *text = NULL;
  json_t *j = NULL;
  *out = NULL;
  if (berth_json_load_file(path, PROFILE_MAX_BYTES, &j, &text, &e) < 0)
    return invalid(err, e, path, NULL);
  if (check_profile(j, &e) < 0) {
    json_decref(j);
    return invalid(err, e, path, text);
  }
  *out = j;
  return 0;
}

/* ---- resolution ------------------------------------------------------ */

struct context {
  char *const *caps;
  const struct host_arch *arch;
  long long kernel;
};

static bool arch_named(const struct host_arch *a, const char *s) {
  return strcmp(a->uname, s) == 0 || strcmp(a->go_name, s) == 0;
}

static bool any_cap(json_t *cond, char *const *caps) {
  json_t *v;
  size_t i;
  json_array_foreach(json_object_get(cond, "caps"), i, v)
    if (in_strv(caps, json_string_value(v)))
      return true;
  return false;
}

static bool all_caps(json_t *cond, char *const *caps) {
  json_t *v;
  size_t i;
  json_array_foreach(json_object_get(cond, "caps"), i, v)
    if (!in_strv(caps, json_string_value(v)))
      return false;
  return true;
}

static bool arch_listed(json_t *cond, const struct host_arch *a) {
  json_t *v;
  size_t i;
  json_array_foreach(json_object_get(cond, "arches"), i, v)
    if (arch_named(a, json_string_value(v)))
      return true;
  return false;
}

static bool kernel_at_least(json_t *cond, long long kernel) {
  const char *mk = json_string_value(json_object_get(cond, "minKernel"));
  return kernel >= kernel_version(mk, false);
}

/* Docker's semantics: every included capability must be held, any
 * excluded one held drops the rule; arches match the host. */
static bool rule_applies(json_t *rule, const struct context *c) {
  json_t *inc = json_object_get(rule, "includes");
  json_t *exc = json_object_get(rule, "excludes");
  if (inc) {
    if (!all_caps(inc, c->caps))
      return false;
    if (json_object_get(inc, "arches") && !arch_listed(inc, c->arch))
      return false;
    if (json_object_get(inc, "minKernel") && !kernel_at_least(inc, c->kernel))
      return false;
  }
  if (exc) {
    if (any_cap(exc, c->caps) || arch_listed(exc, c->arch))
      return false;
    if (json_object_get(exc, "minKernel") && kernel_at_least(exc, c->kernel))
      return false;
  }
  return true;
}

static bool in_family(const struct host_arch *a, const char *scmp) {
  if (strcmp(a->scmp, scmp) == 0)
    return true;
  for (size_t i = 0; i < ARRAY_SIZE(a->subs) && a->subs[i]; i++)
    if (strcmp(a->subs[i], scmp) == 0)
      return true;
  return false;
}

/* From archMap: the host's entry.  From architectures: the entries the
 * host can run.  Empty means the native architecture only. */
static json_t *resolve_arches(json_t *profile, const struct host_arch *a) {
  json_t *out = json_array(), *v, *e;
  size_t i, j;
  if (out == NULL)
    return NULL;
  json_array_foreach(json_object_get(profile, "archMap"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "architecture")),
               a->scmp) != 0)
      continue;
    json_array_append(out, json_object_get(e, "architecture"));
    json_array_foreach(json_object_get(e, "subArchitectures"), j, v)
      json_array_append(out, v);
  }
  json_array_foreach(json_object_get(profile, "architectures"), i, v)
    if (in_family(a, json_string_value(v)))
      json_array_append(out, v);
  return out;
}

static json_t *resolve_rules(json_t *profile, const struct context *c) {
  json_t *out = json_array(), *r;
  size_t i;
  if (out == NULL)
    return NULL;
  json_array_foreach(json_object_get(profile, "syscalls"), i, r) {
    if (!rule_applies(r, c))
      continue;
    json_t *copy = json_deep_copy(r);
    if (copy == NULL || json_array_append_new(out, copy) < 0) {
      json_decref(out);
      return NULL;
    }
    json_object_del(copy, "includes");
    json_object_del(copy, "excludes");
    json_object_del(copy, "comment");
  }
  return out;
}

static json_t *build(json_t *profile, const struct context *c) {
  json_t *out = json_deep_copy(profile);
  if (out == NULL)
    return NULL;
  json_object_del(out, "archMap");
  json_object_del(out, "comment");
  json_t *arches = resolve_arches(profile, c->arch);
  json_t *rules = resolve_rules(profile, c);
  if (arches == NULL || rules == NULL) {
    json_decref(arches);
    json_decref(rules);
    json_decref(out);
    return NULL;
  }
  if (json_array_size(arches) > 0)
    json_object_set_new(out, "architectures", arches);
  else {
    json_object_del(out, "architectures");
    json_decref(arches);
  }
  json_object_set_new(out, "syscalls", rules);
  return out;
}

int berth_seccomp_profile_resolve(json_t *profile, char *const *caps,
                                  const char *arch, json_t **out,
                                  berth_error **err) {
  *out = NULL;
  berth_error *e = NULL;
  if (check_profile(profile, &e) < 0)
    return invalid(err, e, "seccomp profile", NULL);
  struct context c = {.caps = caps};
  for (size_t i = 0; i < ARRAY_SIZE(host_arches) && arch; i++)
    if (arch_named(&host_arches[i], arch))
      c.arch = &host_arches[i];
  if (c.arch == NULL)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "seccomp profile: unsupported architecture `%s`",
                           arch ? arch : "(none)");
  struct utsname u;
  if (uname(&u) < 0)
    return berth_error_sys(err, "uname");
  /* Release strings carry suffixes ("6.1.0-13-amd64"). */
  c.kernel = kernel_version(u.release, true);
  *out = build(profile, &c);
  if (*out == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "seccomp profile");
  return 0;
}
