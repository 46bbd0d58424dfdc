/* linux.seccomp through libseccomp: parsed with the spec, compiled to a
 * BPF program in the runtime, loaded by the container's init. */
#include "seccomp_filter.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "seccomp_cache.h"

struct seccomp_arg {
  unsigned int index;
  enum scmp_compare op;
  uint64_t value, value_two;
};

struct seccomp_rule {
  char **names;      /* NULL-terminated */
  uint32_t action;   /* SCMP_ACT_*, errno folded in */
  struct seccomp_arg *args;
  size_t n_args;
};

struct berth_seccomp {
  uint32_t default_action;
  uint32_t *archs;
  size_t n_archs;
  unsigned int flags;
  struct seccomp_rule *rules;
  size_t n_rules;
};

struct name_value {
  const char *name;
  uint64_t value;
};

/* Actions that take an errno (errnoRet) get it folded in later. */
enum { ACT_PLAIN, ACT_WITH_ERRNO };

static const struct {
  const char *name;
  uint32_t action;
  int kind;
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, ACT_PLAIN},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACT_PLAIN},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACT_PLAIN},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACT_PLAIN},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ACT_WITH_ERRNO},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), ACT_WITH_ERRNO},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACT_PLAIN},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, ACT_PLAIN},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, ACT_PLAIN},
};

static const struct name_value operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},         {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},         {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},         {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static const struct name_value archs[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static const struct name_value filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
     SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static int lookup(const struct name_value *t, size_t n, const char *name,
                  uint64_t *out) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, name) == 0) {
      *out = t[i].value;
      return 0;
    }
  return -1;
}

/* Parses an action name plus its optional errno field (errnoKey). */
static int parse_action(json_t *obj, const char *key, const char *errno_key,
                        const char *path, uint32_t *out, berth_error **err) {
  _cleanup_free_ char *name = NULL;
  char p[BERTH_PATH_MAX_LEN];
  if (bj_string(obj, key, path, true, &name, err) < 0)
    return -1;
  berth_path_key(p, path, key);
  size_t i = 0;
  while (i < ARRAY_SIZE(actions) && strcmp(actions[i].name, name) != 0)
    i++;
  if (i == ARRAY_SIZE(actions))
    return berth_error_spec(err, p, "unknown action `%s`", name);
  /* The notify listener protocol (listenerPath) needs a seccomp agent;
   * berth has none, and silently allowing would be unsafe. */
  if (actions[i].action == SCMP_ACT_NOTIFY)
    return berth_error_spec(err, p, "`%s` is not supported", name);
  int64_t e = EPERM;
  int rc = bj_range(obj, errno_key, path, 0, 4095, &e, err);
  if (rc < 0)
    return -1;
  if (rc > 0 && actions[i].kind != ACT_WITH_ERRNO) {
    berth_path_key(p, path, errno_key);
    return berth_error_spec(err, p, "is only valid with SCMP_ACT_ERRNO or "
                            "SCMP_ACT_TRACE, not `%s`", name);
  }
  *out = actions[i].action;
  if (actions[i].action == SCMP_ACT_ERRNO(0))
    *out = SCMP_ACT_ERRNO((uint16_t)e);
  else if (actions[i].action == SCMP_ACT_TRACE(0))
    *out = SCMP_ACT_TRACE((uint16_t)(rc > 0 ? e : 0));
  return 0;
}

static int parse_archs(json_t *sc, const char *path, struct berth_seccomp *s,
                       berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  if (bj_strv(sc, "architectures", path, false, &names, err) < 0)
    return -1;
  size_t n = berth_strv_len(names);
  if (n == 0)
    return 0;
  s->archs = calloc(n, sizeof(*s->archs));
  if (s->archs == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(p, path, "architectures");
  for (size_t i = 0; i < n; i++) {
    uint64_t v;
    berth_path_idx(ip, p, i);
    if (lookup(archs, ARRAY_SIZE(archs), names[i], &v) < 0)
      return berth_error_spec(err, ip, "unknown architecture `%s`", names[i]);
    s->archs[s->n_archs++] = (uint32_t)v;
  }
  return 0;
}

static int parse_flags(json_t *sc, const char *path, struct berth_seccomp *s,
                       berth_error **err) {
  _cleanup_strv_ char **names = NULL;
  if (bj_strv(sc, "flags", path, false, &names, err) < 0)
    return -1;
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(p, path, "flags");
  for (size_t i = 0; names && names[i]; i++) {
    uint64_t v;
    berth_path_idx(ip, p, i);
    if (lookup(filter_flags, ARRAY_SIZE(filter_flags), names[i], &v) < 0)
      return berth_error_spec(err, ip, "unknown seccomp flag `%s`", names[i]);
    s->flags |= (unsigned int)v;
  }
  return 0;
}

static int parse_arg(json_t *a, const char *p, struct seccomp_arg *out,
                     berth_error **err) {
  if (!json_is_object(a))
    return berth_error_spec(err, p, "must be an object");
  int64_t idx;
  char fp[BERTH_PATH_MAX_LEN];
  int rc = bj_range(a, "index", p, 0, 5, &idx, err);
  if (rc == 0) {
    berth_path_key(fp, p, "index");
    return berth_error_spec(err, fp, "is required");
  }
  if (rc < 0)
    return -1;
  out->index = (unsigned int)idx;
  if (bj_uint64(a, "value", p, &out->value, err) < 0 ||
      bj_uint64(a, "valueTwo", p, &out->value_two, err) < 0)
    return -1;
  _cleanup_free_ char *op = NULL;
  if (bj_string(a, "op", p, true, &op, err) < 0)
    return -1;
  uint64_t v;
  berth_path_key(fp, p, "op");
  if (lookup(operators, ARRAY_SIZE(operators), op, &v) < 0)
    return berth_error_spec(err, fp, "unknown operator `%s`", op);
  out->op = (enum scmp_compare)v;
  return 0;
}

static int parse_rule(json_t *r, const char *p, struct seccomp_rule *out,
                      berth_error **err) {
  if (!json_is_object(r))
    return berth_error_spec(err, p, "must be an object");
  if (bj_strv(r, "names", p, true, &out->names, err) < 0)
    return -1;
  char fp[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  berth_path_key(fp, p, "names");
  if (out->names[0] == NULL)
    return berth_error_spec(err, fp, "must name at least one syscall");
  for (size_t i = 0; out->names[i]; i++) {
    /* A name libseccomp does not know on any architecture is a typo or a
     * syscall newer than this libseccomp: refusing it beats silently not
     * filtering it. */
    if (seccomp_syscall_resolve_name(out->names[i]) == __NR_SCMP_ERROR) {
      berth_path_idx(ip, fp, i);
      return berth_error_spec(err, ip, "unknown syscall `%s`", out->names[i]);
    }
  }
  if (parse_action(r, "action", "errnoRet", p, &out->action, err) < 0)
    return -1;
  json_t *args = NULL;
  if (bj_array(r, "args", p, &args, err) < 0)
    return -1;
  if (args == NULL || json_array_size(args) == 0)
    return 0;
  out->args = calloc(json_array_size(args), sizeof(*out->args));
  if (out->args == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", p);
  berth_path_key(fp, p, "args");
  size_t i;
  json_t *a;
  json_array_foreach(args, i, a) {
    berth_path_idx(ip, fp, i);
    if (parse_arg(a, ip, &out->args[i], err) < 0)
      return -1;
    out->n_args++;
  }
  return 0;
}

int berth_seccomp_parse(json_t *sc, const char *path,
                        struct berth_seccomp **out, berth_error **err) {
  *out = NULL;
  if (sc == NULL || json_is_null(sc))
    return 0;
  if (!json_is_object(sc))
    return berth_error_spec(err, path, "must be an object");
  struct berth_seccomp *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
  json_t *rules = NULL;
  char p[BERTH_PATH_MAX_LEN], ip[BERTH_PATH_MAX_LEN];
  if (parse_action(sc, "defaultAction", "defaultErrnoRet", path,
                   &s->default_action, err) < 0 ||
      parse_archs(sc, path, s, err) < 0 || parse_flags(sc, path, s, err) < 0 ||
      bj_array(sc, "syscalls", path, &rules, err) < 0)
    goto fail;
  if (rules && json_array_size(rules) > 0) {
    s->rules = calloc(json_array_size(rules), sizeof(*s->rules));
    if (s->rules == NULL) {
      berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", path);
      goto fail;
    }
    berth_path_key(p, path, "syscalls");
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) {
      berth_path_idx(ip, p, i);
      s->n_rules++;
      if (parse_rule(r, ip, &s->rules[i], err) < 0)
        goto fail;
    }
  }
  *out = s;
  return 0;
fail:
  berth_seccomp_free(s);
  return -1;
}

void berth_seccomp_free(struct berth_seccomp *s) {
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_rules; i++) {
    berth_strv_free(s->rules[i].names);
    free(s->rules[i].args);
  }
  free(s->rules);
  free(s->archs);
  free(s);
}

/* libseccomp refuses two comparisons of the same argument in one rule.
 * Such rules are split into one rule per comparison, as runc does, which
 * is what profiles written for Docker (several values for one argument)
 * expect. */
static bool repeats_an_index(const struct seccomp_rule *r) {
  for (size_t i = 0; i < r->n_args; i++)
    for (size_t j = i + 1; j < r->n_args; j++)
      if (r->args[i].index == r->args[j].index)
        return true;
  return false;
}

static struct scmp_arg_cmp to_cmp(const struct seccomp_arg *a) {
  /* For MASKED_EQ the spec's value is the mask and valueTwo the datum,
   * matching libseccomp's (datum_a, datum_b). */
  return (struct scmp_arg_cmp){.arg = a->index, .op = a->op,
                               .datum_a = a->value, .datum_b = a->value_two};
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r,
                    berth_error **err) {
  struct scmp_arg_cmp cmp[6];
  for (size_t n = 0; r->names[n]; n++) {
    int nr = seccomp_syscall_resolve_name(r->names[n]);
    int rc = 0;
    if (r->n_args == 0) {
      rc = seccomp_rule_add_array(ctx, r->action, nr, 0, NULL);
    } else if (repeats_an_index(r)) {
      for (size_t i = 0; i < r->n_args && rc == 0; i++) {
        cmp[0] = to_cmp(&r->args[i]);
        rc = seccomp_rule_add_array(ctx, r->action, nr, 1, cmp);
      }
    } else {
      if (r->n_args > ARRAY_SIZE(cmp))
        return berth_error_set(err, BERTH_ERR_SPEC, 0,
                               "seccomp rule for `%s` has more than 6 "
                               "argument conditions", r->names[n]);
      for (size_t i = 0; i < r->n_args; i++)
        cmp[i] = to_cmp(&r->args[i]);
      rc = seccomp_rule_add_array(ctx, r->action, nr,
                                  (unsigned int)r->n_args, cmp);
    }
    /* -EDOM: the syscall does not exist on the filter's architectures
     * (e.g. socketcall on x86_64 only); there is nothing to filter. */
    if (rc < 0 && rc != -EDOM)
      return berth_error_set(err, BERTH_ERR_SPEC, -rc,
                             "seccomp rule for `%s`", r->names[n]);
  }
  return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct berth_seccomp_prog *out,
                      berth_error **err) {
  _cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "seccomp: memfd_create");
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, -rc, "seccomp: export BPF");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berth_error_sys(err, "seccomp: stat BPF");
  size_t len = (size_t)st.st_size;
  if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
      len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return berth_error_set(err, BERTH_ERR_INVALID, E2BIG,
                           "seccomp: filter of %zu bytes cannot be loaded",
                           len);
  out->filter = malloc(len);
  if (out->filter == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "seccomp");
  ssize_t got = pread(fd, out->filter, len, 0);
  if (got != (ssize_t)len) {
    free(out->filter);
    out->filter = NULL;
    return berth_error_sys(err, "seccomp: read BPF");
  }
  out->len = (unsigned short)(len / sizeof(struct sock_filter));
  return 0;
}

/* Everything the compiled program depends on, as text: the libseccomp
 * release and API level (they decide what BPF comes out), the native
 * architecture, and the parsed filter in order.  Equal keys mean equal
 * programs, which is what lets seccomp_cache.c reuse one. */
char *berth_seccomp_key(const struct berth_seccomp *s, size_t *len) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (f == NULL)
    return NULL;
  const struct scmp_version *v = seccomp_version();
  fprintf(f, "libseccomp %u.%u.%u api %u native %#x optimize 2\n",
          v->major, v->minor, v->micro, seccomp_api_get(),
          seccomp_arch_native());
  fprintf(f, "default %#x archs", s->default_action);
  for (size_t i = 0; i < s->n_archs; i++)
    fprintf(f, " %#x", s->archs[i]);
  for (size_t i = 0; i < s->n_rules; i++) {
    const struct seccomp_rule *r = &s->rules[i];
    fprintf(f, "\nrule %#x", r->action);
    for (size_t n = 0; r->names[n]; n++)
      fprintf(f, " %s", r->names[n]);
    for (size_t a = 0; a < r->n_args; a++)
      fprintf(f, " [%u %d %#" PRIx64 " %#" PRIx64 "]", r->args[a].index,
              (int)r->args[a].op, r->args[a].value, r->args[a].value_two);
  }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  *len = size;
  return buf;
}

static int compile_with_libseccomp(const struct berth_seccomp *s,
                                   struct berth_seccomp_prog *out,
                                   berth_error **err) {
  scmp_filter_ctx ctx = seccomp_init(s->default_action);
  if (ctx == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "seccomp_init");
  int rc = -1;
  /* The init sets no_new_privs itself when the config asks for it. */
  int e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  /* A binary tree of syscall numbers instead of a linear list (libseccomp
   * >= 2.5).  Loading Docker's profile costs the kernel ~0.9 ms with the
   * linear list, mostly in building its per-syscall action cache, which
   * runs the filter once per syscall number and architecture; the tree
   * makes each of those runs, and every filtered syscall, logarithmic. */
  if (e == 0)
    e = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (e < 0) {
    berth_error_set(err, BERTH_ERR_SYSTEM, -e, "seccomp: attributes");
    goto out;
  }
  for (size_t i = 0; i < s->n_archs; i++) {
    e = seccomp_arch_add(ctx, s->archs[i]);
    if (e < 0 && e != -EEXIST) {
      berth_error_set(err, BERTH_ERR_UNSUPPORTED, -e,
                      "seccomp: add architecture %#x", s->archs[i]);
      goto out;
    }
  }
  for (size_t i = 0; i < s->n_rules; i++) {
    /* libseccomp refuses rules whose action is the default one; they
     * change nothing anyway. */
    if (s->rules[i].action == s->default_action)
      continue;
    if (add_rule(ctx, &s->rules[i], err) < 0)
      goto out;
  }
  if (export_bpf(ctx, out, err) < 0)
    goto out;
  rc = 0;
out:
  seccomp_release(ctx);
  return rc;
}

int berth_seccomp_compile(const struct berth_seccomp *s, const char *cache_dir,
                          struct berth_seccomp_prog *out, berth_error **err) {
  *out = (struct berth_seccomp_prog){0};
  size_t key_len = 0;
  _cleanup_free_ char *key = cache_dir ? berth_seccomp_key(s, &key_len) : NULL;
  if (key == NULL || berth_seccomp_cache_load(cache_dir, key, key_len, out) < 0) {
    if (compile_with_libseccomp(s, out, err) < 0)
      return -1;
    if (key)
      berth_seccomp_cache_store(cache_dir, key, key_len, out);
  }
  out->flags = s->flags;
  return 0;
}

int berth_seccomp_load(const struct berth_seccomp_prog *p, berth_error **err) {
  struct sock_fprog prog = {.len = p->len, .filter = p->filter};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog) < 0)
    return berth_error_sys(err, "load the seccomp filter");
  return 0;
}

void berth_seccomp_prog_free(struct berth_seccomp_prog *p) {
  if (p == NULL)
    return;
  free(p->filter);
  p->filter = NULL;
  p->len = 0;
}

json_t *berth_seccomp_features(void) {
  json_t *acts = json_array(), *ops = json_array(), *ar = json_array(),
         *known = json_array(), *supported = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    if (actions[i].action != SCMP_ACT_NOTIFY)
      json_array_append_new(acts, json_string(actions[i].name));
  for (size_t i = 0; i < ARRAY_SIZE(operators); i++)
    json_array_append_new(ops, json_string(operators[i].name));
  for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
    json_array_append_new(ar, json_string(archs[i].name));
  for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++) {
    json_array_append_new(known, json_string(filter_flags[i].name));
    /* A flag is supported when the kernel accepts it on an empty
     * (invalid) program: EFAULT means the flag passed validation. */
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                     (unsigned int)filter_flags[i].value, NULL);
    if (r < 0 && errno == EFAULT)
      json_array_append_new(supported, json_string(filter_flags[i].name));
  }
  return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1, "actions", acts,
                   "operators", ops, "archs", ar, "knownFlags", known,
                   "supportedFlags", supported);
}
