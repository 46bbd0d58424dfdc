/* config.json (OCI runtime-spec 1.2, Linux) as a typed, validated value.
 *
 * berth_spec_load() parses and validates the whole document before the
 * runtime makes a single syscall that changes anything: every error names
 * the file, line, column and field ("config.json:12:7: linux.namespaces[1]
 * .type: unknown namespace type `foo`"). */
#ifndef BERTH_OCI_SPEC_H
#define BERTH_OCI_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "cgroup.h"
#include "devices.h"
#include "error.h"
#include "hooks.h"
#include "mounts.h"
#include "namespaces.h"
#include "rlimits.h"
#include "seccomp_filter.h"

struct berth_process {
  bool terminal;
  unsigned console_height, console_width;
  char **args, **env;
  char *cwd;
  struct berth_creds creds;
  struct berth_rlimit *rlimits;
  size_t n_rlimits;
  bool has_oom_score_adj;
  int oom_score_adj;
  char **unknown_caps; /* warnings */
};

struct berth_sysctl {
  char *key, *value;
};

struct berth_spec {
  char *oci_version;
  char *root_path; /* absolute (resolved against the bundle) */
  bool root_readonly;
  struct berth_process *process; /* NULL when absent (only for exec) */
  char *hostname, *domainname;
  struct berth_mount *mounts;
  size_t n_mounts;
  struct berth_hooks hooks;
  json_t *annotations;

  struct berth_namespaces ns;
  struct berth_cgroup_resources *resources; /* NULL when absent */
  char *cgroups_path;
  struct berth_device *devices;
  size_t n_devices;
  struct berth_seccomp *seccomp; /* NULL: no filter */
  unsigned long rootfs_propagation;
  char **masked_paths, **readonly_paths;
  struct berth_sysctl *sysctl;
  size_t n_sysctl;
  /* Bit (1 << berth_ns_kind) for each namespace the config writes into
   * (sysctls, hostname): one joined by path must not be the host's. */
  unsigned own_ns;
  bool has_personality;
  unsigned long personality;
};

/* Loads bundle/config.json.  `bundle` must be a directory. */
int berth_spec_load(const char *bundle, struct berth_spec **out,
                    berth_error **err);
/* Parses a config from memory; `name` is used in error messages and
 * relative root paths are resolved against `bundle`.  text[len] must be
 * '\0' (berth_read_file guarantees it): error positions are found by
 * scanning the text as a string. */
int berth_spec_parse(const char *name, const char *text, size_t len,
                     const char *bundle, struct berth_spec **out,
                     berth_error **err);
/* Parses a standalone process object (runtime exec --process FILE). */
int berth_process_parse(json_t *process, const char *path,
                        struct berth_process **out, berth_error **err);
void berth_process_free(struct berth_process *p);
void berth_spec_free(struct berth_spec *s);

/* The default config.json `berth-runtime spec` writes (rootless variant
 * with user namespace and mappings for `uid`/`gid`). */
json_t *berth_spec_default(bool rootless, uid_t uid, gid_t gid);

#endif
