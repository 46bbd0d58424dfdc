/* Values of `berth run` flags, parsed as Docker's CLI parses them.
 *
 * Flag values are untrusted input and several of them end up as paths,
 * mount data or /proc/sys names handed to the kernel, so the parsers are
 * strict: anything Docker would not accept, or that could steer a later
 * path operation (a `..` in a container path, a `/` in a sysctl name), is
 * refused here with a message naming the flag and the value.  Every parser
 * writes its outputs only on success. */
/* flags.h uses size_t without including <stddef.h> (see report). */
#include <stddef.h>

#include "flags.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"

#define ENV_FILE_MAX (16u << 20)

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


/* ---- numbers ------------------------------------------------------------ */

/* digits[.digits]: the integer part and up to 18 fraction digits (more
 * would not change any result by a whole unit: the largest multiplier is
 * 2^50 < 10^18). */
struct decimal {
  uint64_t ip, frac;
  int fdig;
  size_t nint, nfrac;
  bool dot, big;
};

static const char *scan_decimal(const char *p, struct decimal *d) {
  memset(d, 0, sizeof(*d));
  for (; isdigit((unsigned char)*p); p++, d->nint++) {
    if (d->ip > (UINT64_MAX - 9) / 10)
      d->big = true;
    else
      d->ip = d->ip * 10 + (uint64_t)(*p - '0');
  }
  if (*p != '.')
    return p;
  d->dot = true;
  for (p++; isdigit((unsigned char)*p); p++, d->nfrac++) {
    if (d->fdig < 18) {
      d->frac = d->frac * 10 + (uint64_t)(*p - '0');
      d->fdig++;
    }
  }
  return p;
}

/* d * mult truncated to an integer; -1 when it does not fit in int64. */
static int decimal_scale(const struct decimal *d, uint64_t mult, int64_t *out) {
  unsigned __int128 pow10 = 1;
  for (int i = 0; i < d->fdig; i++)
    pow10 *= 10;
  unsigned __int128 v = (unsigned __int128)d->ip * mult +
                        (unsigned __int128)d->frac * mult / pow10;
  if (d->big || v > INT64_MAX)
    return -1;
  *out = (int64_t)v;
  return 0;
}

static int size_unit(const char *u, uint64_t *mult) {
  static const char units[] = "kmgtp";
  const char *p = u;
  *mult = 1;
  const char *k = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
  if (k != NULL) {
    *mult = 1ull << (10 * (k - units + 1));
    p++;
    if (tolower((unsigned char)*p) == 'i')
      p++;
  }
  if (tolower((unsigned char)*p) == 'b')
    p++;
  return *p == '\0' ? 0 : -1;
}

int berth_parse_size(const char *flag, const char *s, int64_t *out,
                     berth_error **err) {
  if (*s == '-')
    return FLAG_INVALID(err, flag, s, "must not be negative");
  struct decimal d;
  const char *u = scan_decimal(s, &d);
  if (d.nint == 0 || (d.dot && d.nfrac == 0))
    return FLAG_INVALID(err, flag, s, "not a size (like 512m or 1.5g)");
  uint64_t mult;
  if (size_unit(u, &mult) < 0)
    return FLAG_INVALID(err, flag, s, "unknown unit `%s`", u);
  if (decimal_scale(&d, mult, out) < 0)
    return FLAG_INVALID(err, flag, s, "too large");
  return 0;
}

int berth_parse_cpus(const char *s, int64_t *nano_cpus, berth_error **err) {
  struct decimal d;
  const char *end = scan_decimal(s, &d);
  if (d.nint + d.nfrac == 0 || *end != '\0')
    return FLAG_INVALID(err, "--cpus", s, "not a number");
  const char *dot = strchr(s, '.');
  /* Docker refuses what nano-CPUs cannot represent exactly. */
  if (dot && d.nfrac > 9 && strspn(dot + 10, "0") != strlen(dot + 10))
    return FLAG_INVALID(err, "--cpus", s, "too precise (at most 9 decimals)");
  int64_t v;
  if (decimal_scale(&d, 1000000000, &v) < 0 || v > 1024 * 1000000000ll)
    return FLAG_INVALID(err, "--cpus", s, "must be at most 1024");
  if (v == 0)
    return FLAG_INVALID(err, "--cpus", s, "must be greater than 0");
  *nano_cpus = v;
  return 0;
}

static const struct {
  const char *name;
  uint64_t ns;
} duration_units[] = {
    {"ns", 1},           {"us", 1000},          {"\u00b5s", 1000},
    {"\u03bcs", 1000},   {"ms", 1000000},       {"s", 1000000000ull},
    {"m", 60000000000ull}, {"h", 3600000000000ull},
};

static int duration_unit(const char *u, size_t len, uint64_t *ns) {
  for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++) {
    if (strlen(duration_units[i].name) == len &&
        memcmp(duration_units[i].name, u, len) == 0) {
      *ns = duration_units[i].ns;
      return 0;
    }
  }
  return -1;
}

int berth_parse_duration(const char *flag, const char *s, int64_t *ns,
                         berth_error **err) {
  const char *p = s + (*s == '+');
  if (*s == '-')
    return FLAG_INVALID(err, flag, s, "must not be negative");
  if (strcmp(p, "0") == 0) {
    *ns = 0;
    return 0;
  }
  if (*p == '\0')
    return FLAG_INVALID(err, flag, s, "not a duration (like 30s or 1m30s)");
  int64_t total = 0;
  while (*p) {
    struct decimal d;
    const char *u = scan_decimal(p, &d);
    if (d.nint + d.nfrac == 0)
      return FLAG_INVALID(err, flag, s, "not a duration (like 30s or 1m30s)");
    size_t ulen = strcspn(u, "0123456789.");
    uint64_t mult;
    if (ulen == 0)
      return FLAG_INVALID(err, flag, s, "missing unit (ns, us, ms, s, m, h)");
    if (duration_unit(u, ulen, &mult) < 0)
      return FLAG_INVALID(err, flag, s, "unknown unit `%.*s`", (int)ulen, u);
    int64_t v;
    if (decimal_scale(&d, mult, &v) < 0 ||
        __builtin_add_overflow(total, v, &total))
      return FLAG_INVALID(err, flag, s, "too large");
    p = u + ulen;
  }
  *ns = total;
  return 0;
}

/* ---- ulimit, restart ---------------------------------------------------- */

static const char *const ulimit_names[] = {
    "as",     "core",   "cpu",      "data",       "fsize", "locks",
    "memlock", "msgqueue", "nice",  "nofile",     "nproc", "rss",
    "rtprio", "rttime", "sigpending", "stack",
};

/* "-1" is RLIM_INFINITY; other values are decimal int64 as in Docker. */
static int ulimit_value(const char *v, uint64_t *out) {
  if (strcmp(v, "-1") == 0) {
    *out = UINT64_MAX;
    return 0;
  }
  if (*v == '\0' || strspn(v, "0123456789") != strlen(v))
    return -1;
  errno = 0;
  unsigned long long x = strtoull(v, NULL, 10);
  if (errno || x > INT64_MAX)
    return -1;
  *out = x;
  return 0;
}

static bool ulimit_known(const char *name, size_t len) {
  for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++)
    if (strlen(ulimit_names[i]) == len && memcmp(ulimit_names[i], name, len) == 0)
      return true;
  return false;
}

int berth_parse_ulimit(const char *s, struct berth_ulimit *out,
                       berth_error **err) {
  const char *eq = strchr(s, '=');
  if (eq == NULL)
    return FLAG_INVALID(err, "--ulimit", s, "expected NAME=SOFT[:HARD]");
  size_t nlen = (size_t)(eq - s);
  if (!ulimit_known(s, nlen))
    return FLAG_INVALID(err, "--ulimit", s, "unknown ulimit `%.*s`",
                        (int)nlen, s);
  _cleanup_free_ char *vals = strdup(eq + 1);
  if (vals == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "--ulimit");
  char *colon = strchr(vals, ':');
  if (colon)
    *colon++ = '\0';
  uint64_t soft, hard;
  if (ulimit_value(vals, &soft) < 0 ||
      ulimit_value(colon ? colon : vals, &hard) < 0)
    return FLAG_INVALID(err, "--ulimit", s,
                        "limits must be -1 or a non-negative integer");
  if (soft > hard)
    return FLAG_INVALID(err, "--ulimit", s,
                        "soft limit must not exceed hard limit");
  struct berth_ulimit u = {.soft = soft, .hard = hard};
  memcpy(u.type, "RLIMIT_", 7);
  for (size_t i = 0; i < nlen; i++)
    u.type[7 + i] = (char)toupper((unsigned char)s[i]);
  *out = u;
  return 0;
}

static const char *const restart_names[] = {
    [BERTH_RESTART_NO] = "no",
    [BERTH_RESTART_ON_FAILURE] = "on-failure",
    [BERTH_RESTART_ALWAYS] = "always",
    [BERTH_RESTART_UNLESS_STOPPED] = "unless-stopped",
};

static int restart_count(const char *s, const char *n, int *out,
                         berth_error **err) {
  if (*n == '\0' || strspn(n, "0123456789") != strlen(n) || strlen(n) > 9)
    return FLAG_INVALID(err, "--restart", s,
                        "maximum retry count must be a non-negative integer");
  *out = atoi(n);
  return 0;
}

int berth_parse_restart(const char *s, struct berth_restart *out,
                        berth_error **err) {
  size_t nlen = strcspn(s, ":");
  struct berth_restart r = {.kind = BERTH_RESTART_NO};
  if (nlen == 0 && s[0] == '\0') { /* Docker: empty means no policy */
    *out = r;
    return 0;
  }
  size_t i;
  for (i = 0; i < ARRAY_SIZE(restart_names); i++)
    if (strlen(restart_names[i]) == nlen && memcmp(restart_names[i], s, nlen) == 0)
      break;
  if (i == ARRAY_SIZE(restart_names))
    return FLAG_INVALID(err, "--restart", s,
                        "expected no, on-failure[:N], always or unless-stopped");
  r.kind = (enum berth_restart_kind)i;
  if (s[nlen] == ':') {
    if (r.kind != BERTH_RESTART_ON_FAILURE)
      return FLAG_INVALID(err, "--restart", s,
                          "a retry count is only valid with on-failure");
    if (restart_count(s, s + nlen + 1, &r.max_retries, err) < 0)
      return -1;
  }
  *out = r;
  return 0;
}

const char *berth_restart_format(const struct berth_restart *r, char *buf,
                                 size_t len) {
  if ((unsigned)r->kind >= ARRAY_SIZE(restart_names))
    return "no";
  if (r->kind != BERTH_RESTART_ON_FAILURE || r->max_retries <= 0 || !buf)
    return restart_names[r->kind];
  int n = snprintf(buf, len, "on-failure:%d", r->max_retries);
  if (n < 0 || (size_t)n >= len)
    return restart_names[r->kind];
  return buf;
}

/* ---- sysctl, key=value -------------------------------------------------- */

static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",  "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
    "kernel.shm_rmid_forced",
};

/* The key becomes a path under /proc/sys: only dotted names made of
 * [A-Za-z0-9_-], so no `/`, no `..` and no empty component can reach the
 * runtime. */
static bool sysctl_key_ok(const char *k) {
  if (*k == '\0' || strspn(k, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                        strlen(k))
    return false;
  return k[0] != '.' && k[strlen(k) - 1] != '.' && !strstr(k, "..");
}

static int sysctl_allowed(const char *s, const char *k, bool own_netns,
                          berth_error **err) {
  for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
    if (strcmp(k, ipc_sysctls[i]) == 0)
      return 0;
  if (strncmp(k, "fs.mqueue.", 10) == 0)
    return 0;
  if (strncmp(k, "net.", 4) == 0) {
    if (own_netns)
      return 0;
    /* With the host's network namespace the write would change the host. */
    return FLAG_INVALID(err, "--sysctl", s,
                        "net.* sysctls need the container's own network "
                        "namespace");
  }
  return FLAG_INVALID(err, "--sysctl", s,
                      "`%s` is not a namespaced sysctl", k);
}

int berth_sysctl_check(const char *k, const char *v, bool own_netns,
                       berth_error **err) {
  _cleanup_free_ char *s = NULL;
  if (asprintf(&s, "%s=%s", k, v) < 0)
    return berth_error_sys(err, "allocate");
  if (!sysctl_key_ok(k))
    return FLAG_INVALID(err, "--sysctl", s, "invalid sysctl name `%s`", k);
  if (*v == '\0' || strchr(v, '\n'))
    return FLAG_INVALID(err, "--sysctl", s, "empty or multi-line value");
  return sysctl_allowed(s, k, own_netns, err);
}

int berth_parse_sysctl(const char *s, bool own_netns, char **key,
                       char **value, berth_error **err) {
  _cleanup_free_ char *k = NULL, *v = NULL;
  if (berth_parse_key_value("--sysctl", s, &k, &v, err) < 0 ||
      berth_sysctl_check(k, v, own_netns, err) < 0)
    return -1;
  *key = steal_pointer(&k);
  *value = steal_pointer(&v);
  return 0;
}

int berth_parse_key_value(const char *flag, const char *s, char **key,
                          char **value, berth_error **err) {
  const char *eq = strchr(s, '=');
  if (eq == NULL)
    return FLAG_INVALID(err, flag, s, "expected KEY=VALUE");
  if (eq == s)
    return FLAG_INVALID(err, flag, s, "empty key");
  _cleanup_free_ char *k = strndup(s, (size_t)(eq - s));
  _cleanup_free_ char *v = strdup(eq + 1);
  if (k == NULL || v == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", flag);
  *key = steal_pointer(&k);
  *value = steal_pointer(&v);
  return 0;
}

int berth_parse_label(const char *s, char **key, char **value,
                      berth_error **err) {
  if (strchr(s, '='))
    return berth_parse_key_value("--label", s, key, value, err);
  if (*s == '\0')
    return FLAG_INVALID(err, "--label", s, "empty key");
  _cleanup_free_ char *k = strdup(s), *v = strdup("");
  if (k == NULL || v == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "--label");
  *key = steal_pointer(&k);
  *value = steal_pointer(&v);
  return 0;
}

/* ---- environment -------------------------------------------------------- */

static int strv_append(char ***v, char *owned) {
  size_t n = 0;
  while (*v && (*v)[n])
    n++;
  char **nv = realloc(*v, (n + 2) * sizeof(char *));
  if (nv == NULL) {
    free(owned);
    return -1;
  }
  nv[n] = owned;
  nv[n + 1] = NULL;
  *v = nv;
  return 0;
}

/* "KEY=..." from envp, or NULL. */
static const char *env_lookup(char *const *envp, const char *key, size_t len) {
  for (; envp && *envp; envp++)
    if (strncmp(*envp, key, len) == 0 && (*envp)[len] == '=')
      return *envp;
  return NULL;
}

/* Appends `var=value` as given, or `var`'s value from envp (nothing when
 * it is unset there). */
static int env_push(char ***env, const char *var, size_t vlen,
                    const char *eq_value, char *const *envp,
                    berth_error **err) {
  char *e;
  if (eq_value != NULL) {
    if (asprintf(&e, "%.*s%s", (int)vlen, var, eq_value) < 0)
      e = NULL;
  } else {
    const char *found = env_lookup(envp, var, vlen);
    if (found == NULL)
      return 0;
    e = strdup(found);
  }
  if (e == NULL || strv_append(env, e) < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "environment");
  return 0;
}

int berth_env_add(char ***env, const char *s, char *const *envp,
                  berth_error **err) {
  size_t klen = strcspn(s, "=");
  if (klen == 0)
    return FLAG_INVALID(err, "--env", s, "empty variable name");
  return env_push(env, s, klen, s[klen] ? s + klen : NULL, envp, err);
}

static int env_file_line(char ***env, const char *path, unsigned lineno,
                         char *line, char *const *envp, berth_error **err) {
  size_t len = strlen(line);
  if (len && line[len - 1] == '\r')
    line[--len] = '\0';
  while (isspace((unsigned char)*line))
    line++;
  if (*line == '\0' || *line == '#')
    return 0;
  size_t klen = strcspn(line, "=");
  for (size_t i = 0; i < klen; i++)
    if (isspace((unsigned char)line[i]))
      return FLAG_INVALID(err, "--env-file", path,
                          "line %u: variable `%.*s` contains whitespace",
                          lineno, (int)klen, line);
  if (klen == 0)
    return FLAG_INVALID(err, "--env-file", path, "line %u: no variable name",
                        lineno);
  return env_push(env, line, klen, line[klen] ? line + klen : NULL, envp, err);
}

static int env_file_parse(char ***env, const char *path, char *buf, size_t len,
                          char *const *envp, berth_error **err) {
  if (memchr(buf, '\0', len))
    return FLAG_INVALID(err, "--env-file", path, "contains a NUL byte");
  char *p = buf;
  if (strncmp(p, "\xef\xbb\xbf", 3) == 0) /* UTF-8 byte order mark */
    p += 3;
  unsigned lineno = 1;
  for (char *line = strsep(&p, "\n"); line; line = strsep(&p, "\n"))
    if (env_file_line(env, path, lineno++, line, envp, err) < 0)
      return -1;
  return 0;
}

int berth_env_file_read(char ***env, const char *path, char *const *envp,
                        berth_error **err) {
  _cleanup_free_ char *buf = NULL;
  size_t len;
  if (berth_read_file(AT_FDCWD, path, ENV_FILE_MAX, &buf, &len, err) < 0)
    return berth_error_prefix(err, "--env-file");
  /* Collected apart so that a bad line leaves *env as it was. */
  _cleanup_strv_ char **add = NULL;
  if (env_file_parse(&add, path, buf, len, envp, err) < 0)
    return -1;
  size_t n = 0, m = 0;
  while (*env && (*env)[n])
    n++;
  while (add && add[m])
    m++;
  if (m == 0)
    return 0;
  char **nv = realloc(*env, (n + m + 1) * sizeof(char *));
  if (nv == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "--env-file");
  memcpy(nv + n, add, (m + 1) * sizeof(char *));
  *env = nv;
  free(steal_pointer(&add)); /* the strings now belong to *env */
  return 0;
}

int berth_label_file_read(const char *path, char ***lines, berth_error **err) {
  _cleanup_free_ char *buf = NULL;
  size_t len;
  if (berth_read_file(AT_FDCWD, path, ENV_FILE_MAX, &buf, &len, err) < 0)
    return berth_error_prefix(err, "--label-file");
  if (memchr(buf, '\0', len))
    return FLAG_INVALID(err, "--label-file", path, "contains a NUL byte");
  _cleanup_strv_ char **out = NULL;
  char *p = buf;
  for (char *line = strsep(&p, "\n"); line; line = strsep(&p, "\n")) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
      line[--n] = '\0';
    while (isspace((unsigned char)*line))
      line++;
    if (*line == '\0' || *line == '#')
      continue;
    char *copy = strdup(line);
    if (copy == NULL || strv_append(&out, copy) < 0)
      return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "--label-file");
  }
  if (out == NULL && (out = calloc(1, sizeof(char *))) == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "--label-file");
  *lines = steal_pointer(&out);
  return 0;
}
