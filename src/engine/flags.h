/* Values of `berth run`/`create` flags, parsed as Docker parses them.
 *
 * Every parser is pure (no side effects besides reading an --env-file) and
 * answers bad input with an INVALID error naming the flag and the value:
 * "invalid --memory `12q`: unknown unit `q`". */
#ifndef BERTH_ENGINE_FLAGS_H
#define BERTH_ENGINE_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

/* "1024", "512k", "512m", "1.5g", "2gb", "1t" (case-insensitive, powers
 * of 1024, optional trailing "b").  Negative, empty or overflowing values
 * are errors. `flag` is the flag name for messages ("--memory"). */
int berth_parse_size(const char *flag, const char *s, int64_t *out,
                     berth_error **err);
/* --cpus "1.5" -> 1500000000 nano-CPUs; 0 < value <= 1024. */
int berth_parse_cpus(const char *s, int64_t *nano_cpus, berth_error **err);
/* Go durations as Docker takes them: "300ms", "30s", "1m30s", "2h", "1.5s";
 * a bare "0" is 0.  Result in nanoseconds, non-negative. */
int berth_parse_duration(const char *flag, const char *s, int64_t *ns,
                         berth_error **err);

/* --ulimit name=soft[:hard]; "-1" is unlimited; hard defaults to soft;
 * soft > hard is an error.  type is the OCI name ("RLIMIT_NOFILE"). */
struct berth_ulimit {
  char type[32];
  uint64_t soft, hard;
};
int berth_parse_ulimit(const char *s, struct berth_ulimit *out,
                       berth_error **err);

/* --restart no | on-failure[:N] | always | unless-stopped. */
enum berth_restart_kind {
  BERTH_RESTART_NO,
  BERTH_RESTART_ON_FAILURE,
  BERTH_RESTART_ALWAYS,
  BERTH_RESTART_UNLESS_STOPPED,
};
struct berth_restart {
  enum berth_restart_kind kind;
  int max_retries; /* on-failure:N; 0 = unlimited */
};
int berth_parse_restart(const char *s, struct berth_restart *out,
                        berth_error **err);
/* "no", "on-failure:3", ... (static string for kind, N appended in buf). */
const char *berth_restart_format(const struct berth_restart *r, char *buf,
                                 size_t len);

enum berth_mount_type { BERTH_MOUNT_BIND, BERTH_MOUNT_VOLUME, BERTH_MOUNT_TMPFS };
struct berth_mount_spec {
  enum berth_mount_type type;
  char *source;      /* bind: absolute host path; volume: name, NULL when
                        anonymous; tmpfs: NULL */
  char *target;      /* absolute path in the container, cleaned */
  bool readonly;
  char *propagation; /* bind only: "rprivate" (default), "private",
                        "rshared", "shared", "rslave", "slave" */
  bool nocopy;       /* volume: do not copy image content into it */
  bool idmap;        /* bind: an idmapped mount, so that the container's
                        ids in its user namespace are the host path's own
                        (its root owns what host root owns) */
  bool suid, dev;    /* bind, volume: without nosuid / nodev (they are
                        mounted nosuid,nodev unless the user asks) */
  int64_t tmpfs_size;   /* bytes, 0 = kernel default */
  uint32_t tmpfs_mode;  /* 0 = default (1777) */
  char *tmpfs_options;  /* other tmpfs options as given ("noexec,nosuid"),
                           NULL when none */
};
void berth_mount_spec_clear(struct berth_mount_spec *m);
/* m as an entry of a create request's HostConfig.Mounts (Docker's Mount:
 * Type, Source, Target, ReadOnly, BindOptions, VolumeOptions,
 * TmpfsOptions; berth's Idmap, Suid and Dev). */
json_t *berth_mount_spec_json(const struct berth_mount_spec *m);
/* -v SRC:DST[:OPTS] (absolute SRC: bind; `.`, `..`, `./..` or `../..`:
 * bind of that path relative to the calling process's working directory,
 * as the Docker CLI resolves it (an API server gets absolute paths); other
 * SRC: named volume, which must match [a-zA-Z0-9][a-zA-Z0-9_.-]*), or just
 * DST (anonymous volume).
 * OPTS: comma-separated ro, rw, nocopy, idmap (binds, as podman's; binds
 * in a user namespace are idmapped anyway), z, Z
 * (accepted, ignored: no SELinux), one propagation mode, and suid or
 * nosuid (default), dev or nodev (default), as podman's. */
int berth_parse_volume_flag(const char *s, struct berth_mount_spec *out,
                            berth_error **err);
/* --mount type=bind|volume|tmpfs,source|src=..,target|destination|dst=..,
 * readonly|ro[=true|false],bind-propagation=..,volume-nocopy,idmap,
 * suid,dev (bind and volume),
 * tmpfs-size=..,tmpfs-mode=(octal).  Unknown keys are errors. */
int berth_parse_mount_flag(const char *s, struct berth_mount_spec *out,
                           berth_error **err);
/* --tmpfs /run[:opts], opts as mount(8): size=64m, mode=1777, and others
 * (noexec, nosuid, nodev, exec, ro, rw ...) kept in tmpfs_options. */
int berth_parse_tmpfs_flag(const char *s, struct berth_mount_spec *out,
                           berth_error **err);

/* --device HOST[:CONTAINER[:PERMS]]; PERMS a subset of "rwm" (default
 * "rwm"); CONTAINER defaults to HOST; both absolute. */
struct berth_device_spec {
  char *host, *container;
  char perms[4];
};
int berth_parse_device(const char *s, struct berth_device_spec *out,
                       berth_error **err);
void berth_device_spec_clear(struct berth_device_spec *d);

/* --sysctl key=value.  Only namespaced sysctls are allowed, as Docker:
 * kernel.msgmax, kernel.msgmnb, kernel.msgmni, kernel.sem, kernel.shmall,
 * kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced, fs.mqueue.*, and
 * net.* only when the container has its own network namespace
 * (own_netns).  *key and *value are malloc'd. */
/* Whether sysctl k=v may be set in a container: a namespaced sysctl
 * (net.* only with its own network namespace), one line of value. */
int berth_sysctl_check(const char *k, const char *v, bool own_netns,
                       berth_error **err);
int berth_parse_sysctl(const char *s, bool own_netns, char **key,
                       char **value, berth_error **err);

/* -e / --env: "KEY=VALUE" kept; a bare "KEY" takes the value from envp
 * (dropped when unset there).  Appends a malloc'd string to *env (a
 * NULL-terminated array, reallocated). */
int berth_env_add(char ***env, const char *s, char *const *envp,
                  berth_error **err);
/* --env-file: one entry per line as berth_env_add; blank lines and lines
 * starting with '#' skipped; leading whitespace trimmed.  Errors name the
 * file and line. */
int berth_env_file_read(char ***env, const char *path, char *const *envp,
                        berth_error **err);

/* KEY=VALUE for --label / --log-opt; *key and *value malloc'd. */
int berth_parse_key_value(const char *flag, const char *s, char **key,
                          char **value, berth_error **err);

/* --label: "KEY=VALUE", or "KEY" alone with an empty value (Docker). */
int berth_parse_label(const char *s, char **key, char **value,
                      berth_error **err);
/* --label-file: one label per line; blank lines and lines starting with
 * '#' skipped.  *lines: NULL-terminated, malloc'd.  Errors name the file. */
int berth_label_file_read(const char *path, char ***lines, berth_error **err);

#endif
