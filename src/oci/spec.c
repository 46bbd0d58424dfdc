#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"

/* config.json is small; anything this large is hostile or broken. */
#define CONFIG_MAX_BYTES (4u << 20)

static int parse_console_size(json_t *proc, struct berth_process *p,
                              berth_error **err) {
  json_t *cs = NULL;
  int64_t h = 0, w = 0;
  int rc = bj_object(proc, "consoleSize", "process", &cs, err);
  if (rc <= 0)
    return rc;
  if (bj_range(cs, "height", "process.consoleSize", 0, UINT16_MAX, &h, err) < 0 ||
      bj_range(cs, "width", "process.consoleSize", 0, UINT16_MAX, &w, err) < 0)
    return -1;
  p->console_height = (unsigned)h;
  p->console_width = (unsigned)w;
  return 0;
}

int berth_process_parse(json_t *proc, const char *path,
                        struct berth_process **out, berth_error **err) {
  char p[BERTH_PATH_MAX_LEN];
  struct berth_process *pr = calloc(1, sizeof(*pr));
  if (pr == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "process");
  if (!json_is_object(proc)) {
    berth_error_spec(err, path, "must be an object");
    goto fail;
  }
  if (bj_bool(proc, "terminal", path, &pr->terminal, err) < 0 ||
      parse_console_size(proc, pr, err) < 0 ||
      bj_strv(proc, "args", path, true, &pr->args, err) < 0 ||
      bj_strv(proc, "env", path, false, &pr->env, err) < 0 ||
      bj_string(proc, "cwd", path, true, &pr->cwd, err) < 0)
    goto fail;
  berth_path_key(p, path, "args");
  if (pr->args[0] == NULL || pr->args[0][0] == '\0') {
    berth_error_spec(err, p, "must name a program to run");
    goto fail;
  }
  berth_path_key(p, path, "cwd");
  if (pr->cwd[0] != '/') {
    berth_error_spec(err, p, "must be an absolute path");
    goto fail;
  }
  for (char **e = pr->env; e && *e; e++)
    if (strchr(*e, '=') == NULL) {
      berth_path_key(p, path, "env");
      berth_error_spec(err, p, "`%s` is not of the form KEY=value", *e);
      goto fail;
    }
  if (berth_creds_parse(proc, path, &pr->creds, &pr->unknown_caps, err) < 0)
    goto fail;
  json_t *rl = json_object_get(proc, "rlimits");
  berth_path_key(p, path, "rlimits");
  if (rl && !json_is_null(rl) &&
      berth_rlimits_parse(rl, p, &pr->rlimits, &pr->n_rlimits, err) < 0)
    goto fail;
  int64_t oom;
  int rc = bj_range(proc, "oomScoreAdj", path, -1000, 1000, &oom, err);
  if (rc < 0)
    goto fail;
  pr->has_oom_score_adj = rc > 0;
  pr->oom_score_adj = (int)oom;
  *out = pr;
  return 0;
fail:
  berth_process_free(pr);
  return -1;
}

void berth_process_free(struct berth_process *p) {
  if (p == NULL)
    return;
  berth_strv_free(p->args);
  berth_strv_free(p->env);
  free(p->cwd);
  berth_creds_free(&p->creds);
  free(p->rlimits);
  berth_strv_free(p->unknown_caps);
  free(p);
}

static int parse_root(json_t *doc, const char *bundle, struct berth_spec *s,
                      berth_error **err) {
  json_t *root = NULL;
  _cleanup_free_ char *path = NULL;
  if (bj_object(doc, "root", "", &root, err) < 0)
    return -1;
  if (root == NULL)
    return berth_error_spec(err, "root", "required object is missing");
  if (bj_string(root, "path", "root", true, &path, err) < 0 ||
      bj_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
    return -1;
  if (path[0] == '/') {
    s->root_path = steal_pointer(&path);
  } else if (asprintf(&s->root_path, "%s/%s", bundle, path) < 0) {
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "root.path");
  }
  struct stat st;
  if (stat(s->root_path, &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_error_spec(err, "root.path", "`%s` is not a directory",
                            s->root_path);
  return 0;
}

/* The namespace a sysctl belongs to, or -1 when it is not namespaced
 * (then it would change the host whatever namespaces the container has). */
static int sysctl_ns(const char *key) {
  static const char *ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",
                                   "kernel.msgmni", "kernel.sem",
                                   "kernel.shmall", "kernel.shmmax",
                                   "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (strncmp(key, "net.", 4) == 0)
    return BERTH_NS_NET;
  if (strncmp(key, "fs.mqueue.", 10) == 0)
    return BERTH_NS_IPC;
  for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
    if (strcmp(key, ipc_keys[i]) == 0)
      return BERTH_NS_IPC;
  if (strcmp(key, "kernel.hostname") == 0 ||
      strcmp(key, "kernel.domainname") == 0)
    return BERTH_NS_UTS;
  return -1;
}

/* A sysctl or a hostname is written into whatever namespace the container
 * ends up in, so that namespace must be the container's and not the
 * host's.  A new one always is.  One joined by path is accepted unless it
 * is the runtime's own (or pid 1's): runc checks exactly this for net.*,
 * crun accepts any joined one, and CRI-O and containerd rely on it (a
 * pod's containers join the sandbox's network and ipc namespaces by path
 * and are given the pod's sysctls, e.g. net.ipv4.ping_group_range).
 * Unlike runc, ipc and uts get the same check: a config joining
 * /proc/1/ns/ipc must not change the host's shm limits.  The path is
 * checked here, before any syscall, and the namespace actually joined is
 * checked again by fd (see own_ns in spec.h), so a path swapped in
 * between does not get through. */
static int need_own_ns(struct berth_spec *s, enum berth_ns_kind k,
                       const char *field, const char *what,
                       berth_error **err) {
  const char *name = berth_ns_table[k].spec_name;
  if (!s->ns.present[k])
    return berth_error_spec(err, field,
                            "%s needs the container's own %s namespace, and "
                            "linux.namespaces has none", what, name);
  if (s->ns.path[k] && berth_ns_is_hosts(k, -1, s->ns.path[k]))
    return berth_error_spec(err, field,
                            "%s needs the container's own %s namespace: `%s` "
                            "is the runtime's", what, name, s->ns.path[k]);
  s->own_ns |= 1u << k;
  return 0;
}

static int parse_sysctl(json_t *lx, struct berth_spec *s, berth_error **err) {
  json_t *obj = NULL;
  char p[BERTH_PATH_MAX_LEN], what[256];
  int rc = bj_object(lx, "sysctl", "linux", &obj, err);
  if (rc <= 0)
    return rc;
  size_t n = json_object_size(obj);
  s->sysctl = calloc(n ? n : 1, sizeof(*s->sysctl));
  if (s->sysctl == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "linux.sysctl");
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    berth_path_key(p, "linux.sysctl", key);
    if (!json_is_string(v))
      return berth_error_spec(err, p, "must be a string");
    if (strstr(key, "..") || strchr(key, '/') == key || key[0] == '\0')
      return berth_error_spec(err, p, "invalid sysctl name");
    int k = sysctl_ns(key);
    if (k < 0)
      return berth_error_spec(err, p, "sysctl `%s` is not namespaced", key);
    snprintf(what, sizeof(what), "sysctl `%s`", key);
    if (need_own_ns(s, (enum berth_ns_kind)k, p, what, err) < 0)
      return -1;
    s->sysctl[s->n_sysctl].key = strdup(key);
    s->sysctl[s->n_sysctl].value = strdup(json_string_value(v));
    s->n_sysctl++;
  }
  return 0;
}

static int parse_personality(json_t *lx, struct berth_spec *s,
                             berth_error **err) {
  json_t *obj = NULL;
  _cleanup_free_ char *domain = NULL;
  int rc = bj_object(lx, "personality", "linux", &obj, err);
  if (rc <= 0)
    return rc;
  if (bj_string(obj, "domain", "linux.personality", true, &domain, err) < 0)
    return -1;
  if (strcmp(domain, "LINUX") == 0)
    s->personality = PER_LINUX;
  else if (strcmp(domain, "LINUX32") == 0)
    s->personality = PER_LINUX32;
  else
    return berth_error_spec(err, "linux.personality.domain",
                            "unknown domain `%s` (LINUX or LINUX32)", domain);
  s->has_personality = true;
  return 0;
}

static int parse_propagation(json_t *lx, struct berth_spec *s,
                             berth_error **err) {
  _cleanup_free_ char *prop = NULL;
  int rc = bj_string(lx, "rootfsPropagation", "linux", false, &prop, err);
  if (rc <= 0)
    return rc;
  long flags = berth_propagation_from_name(prop);
  if (flags < 0)
    return berth_error_spec(err, "linux.rootfsPropagation",
                            "unknown propagation `%s`", prop);
  s->rootfs_propagation = (unsigned long)flags;
  return 0;
}

/* The devices cgroup must let the container use the nodes it is given:
 * the default ones and linux.devices. */
static int allow_container_devices(struct berth_spec *s, berth_error **err) {
  _cleanup_free_ struct berth_device_rule *extra =
      calloc(s->n_devices + 1, sizeof(*extra));
  if (extra == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "devices");
  size_t n = 0;
  for (size_t i = 0; i < s->n_devices; i++) {
    const struct berth_device *d = &s->devices[i];
    if (d->type == 'p')
      continue; /* FIFOs are not device nodes */
    extra[n++] = (struct berth_device_rule){
        .allow = true, .type = d->type == 'b' ? 'b' : 'c', .major = d->major,
        .minor = d->minor, .access = "rwm"};
  }
  return berth_cgroup_add_default_devices(&s->resources, extra, n, err);
}

static int parse_linux(json_t *doc, struct berth_spec *s, berth_error **err) {
  json_t *lx = NULL, *v;
  if (bj_object(doc, "linux", "", &lx, err) < 0)
    return -1;
  if (lx == NULL)
    return berth_error_spec(err, "linux", "required object is missing");
  if (berth_namespaces_parse(lx, "linux", &s->ns, err) < 0)
    return -1;
  if ((v = json_object_get(lx, "resources")) && !json_is_null(v) &&
      berth_cgroup_resources_parse(v, "linux.resources", &s->resources,
                                   err) < 0)
    return -1;
  if (bj_string(lx, "cgroupsPath", "linux", false, &s->cgroups_path, err) < 0)
    return -1;
  if ((v = json_object_get(lx, "devices")) && !json_is_null(v) &&
      berth_devices_parse(v, "linux.devices", &s->devices, &s->n_devices,
                          err) < 0)
    return -1;
  if (allow_container_devices(s, err) < 0)
    return -1;
  if ((v = json_object_get(lx, "seccomp")) && !json_is_null(v) &&
      berth_seccomp_parse(v, "linux.seccomp", &s->seccomp, err) < 0)
    return -1;
  if (parse_propagation(lx, s, err) < 0 ||
      bj_strv(lx, "maskedPaths", "linux", false, &s->masked_paths, err) < 0 ||
      bj_strv(lx, "readonlyPaths", "linux", false, &s->readonly_paths, err) < 0 ||
      parse_sysctl(lx, s, err) < 0 || parse_personality(lx, s, err) < 0)
    return -1;
  if ((v = json_object_get(lx, "intelRdt")) && !json_is_null(v))
    return berth_error_spec(err, "linux.intelRdt",
                            "Intel RDT is not supported by berth-runtime");
  return 0;
}

static int check_version(json_t *doc, struct berth_spec *s, berth_error **err) {
  if (bj_string(doc, "ociVersion", "", true, &s->oci_version, err) < 0)
    return -1;
  /* Any 1.x document is read; fields from newer minors are ignored as the
   * spec asks of runtimes. */
  if (strncmp(s->oci_version, "1.", 2) != 0)
    return berth_error_spec(err, "ociVersion",
                            "unsupported version `%s` (need 1.x)",
                            s->oci_version);
  return 0;
}

static int cross_check(struct berth_spec *s, berth_error **err) {
  if (s->hostname && s->hostname[0] &&
      need_own_ns(s, BERTH_NS_UTS, "hostname", "setting the hostname",
                  err) < 0)
    return -1;
  if (s->domainname && s->domainname[0] &&
      need_own_ns(s, BERTH_NS_UTS, "domainname", "setting the domainname",
                  err) < 0)
    return -1;
  /* Without a mount namespace the container inherits the runtime's
   * (mntns_shared.h), where only the runtime's own user namespace may
   * mount: a new one could not make the container's mounts. */
  if (!s->ns.present[BERTH_NS_MNT] && s->ns.present[BERTH_NS_USER])
    return berth_error_spec(err, "linux.namespaces",
                            "a user namespace needs a mount namespace of "
                            "its own");
  return 0;
}

static int parse_doc(json_t *doc, const char *bundle, struct berth_spec *s,
                     berth_error **err) {
  json_t *v;
  if (!json_is_object(doc))
    return berth_error_spec(err, "", "the document must be a JSON object");
  if (check_version(doc, s, err) < 0 || parse_root(doc, bundle, s, err) < 0)
    return -1;
  if ((v = json_object_get(doc, "process")) && !json_is_null(v) &&
      berth_process_parse(v, "process", &s->process, err) < 0)
    return -1;
  if (bj_string(doc, "hostname", "", false, &s->hostname, err) < 0 ||
      bj_string(doc, "domainname", "", false, &s->domainname, err) < 0)
    return -1;
  if ((v = json_object_get(doc, "mounts")) && !json_is_null(v) &&
      berth_mounts_parse(v, "mounts", &s->mounts, &s->n_mounts, err) < 0)
    return -1;
  if ((v = json_object_get(doc, "hooks")) && !json_is_null(v) &&
      berth_hooks_parse(v, "hooks", &s->hooks, err) < 0)
    return -1;
  if (bj_object(doc, "annotations", "", &v, err) < 0)
    return -1;
  v = json_object_get(doc, "annotations");
  if (v && json_is_object(v)) {
    const char *k;
    json_t *a;
    json_object_foreach(v, k, a) if (!json_is_string(a)) {
      char p[BERTH_PATH_MAX_LEN];
      berth_path_key(p, "annotations", k);
      return berth_error_spec(err, p, "must be a string");
    }
    s->annotations = json_incref(v);
  }
  if (parse_linux(doc, s, err) < 0)
    return -1;
  return cross_check(s, err);
}

int berth_spec_parse(const char *name, const char *text, size_t len,
                     const char *bundle, struct berth_spec **out,
                     berth_error **err) {
  json_t *doc = NULL;
  if (berth_json_parse(name, text, len, &doc, err) < 0)
    return -1;
  struct berth_spec *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    json_decref(doc);
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", name);
  }
  int rc = parse_doc(doc, bundle, s, err);
  json_decref(doc);
  if (rc < 0) {
    if (err && *err)
      berth_json_annotate(*err, name, text);
    berth_spec_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

int berth_spec_load(const char *bundle, struct berth_spec **out,
                    berth_error **err) {
  char path[PATH_MAX];
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  snprintf(path, sizeof(path), "%s/config.json", bundle);
  if (berth_read_file(AT_FDCWD, path, CONFIG_MAX_BYTES, &text, &len, err) < 0)
    return -1;
  return berth_spec_parse("config.json", text, len, bundle, out, err);
}

void berth_spec_free(struct berth_spec *s) {
  if (s == NULL)
    return;
  free(s->oci_version);
  free(s->root_path);
  berth_process_free(s->process);
  free(s->hostname);
  free(s->domainname);
  berth_mounts_free(s->mounts, s->n_mounts);
  berth_hooks_free(&s->hooks);
  json_decref(s->annotations);
  berth_namespaces_free(&s->ns);
  berth_cgroup_resources_free(s->resources);
  free(s->cgroups_path);
  berth_devices_free(s->devices, s->n_devices);
  berth_seccomp_free(s->seccomp);
  berth_strv_free(s->masked_paths);
  berth_strv_free(s->readonly_paths);
  for (size_t i = 0; i < s->n_sysctl; i++) {
    free(s->sysctl[i].key);
    free(s->sysctl[i].value);
  }
  free(s->sysctl);
  free(s);
}
