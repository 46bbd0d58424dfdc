/* --pid and --ipc modes: validated at create, turned into namespace paths
 * at start. */
#include "ns_share.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "state.h"

static const char *flag_of(const char *key) {
  return strcmp(key, "PidMode") == 0   ? "--pid"
         : strcmp(key, "IpcMode") == 0 ? "--ipc"
                                       : "--network";
}

/* The namespace's name in /proc/PID/ns and in messages. */
static const char *ns_of(const char *key) {
  return strcmp(key, "PidMode") == 0   ? "pid"
         : strcmp(key, "IpcMode") == 0 ? "ipc"
                                       : "net";
}

int berth_ns_mode(json_t *hostconfig, const char *key, enum berth_ns_mode *m,
                  const char **ref, berth_error **err) {
  const char *v = json_string_value(json_object_get(hostconfig, key));
  bool ipc = strcmp(key, "IpcMode") == 0;
  bool net = strcmp(key, "NetworkMode") == 0;
  if (ref)
    *ref = NULL;
  *m = BERTH_NSMODE_PRIVATE;
  /* Networks (bridge, none, a user network's name) are networks.c's: to
   * the namespace they are all a private one. */
  if (net && v && strcmp(v, "host") != 0 && strncmp(v, "container:", 10) != 0)
    return 0;
  if (!v || !*v || (ipc && (strcmp(v, "private") == 0 ||
                            strcmp(v, "shareable") == 0)))
    return 0;
  if (strcmp(v, "host") == 0) {
    *m = BERTH_NSMODE_HOST;
    return 0;
  }
  if (ipc && strcmp(v, "none") == 0) {
    *m = BERTH_NSMODE_NONE;
    return 0;
  }
  if (strncmp(v, "container:", 10) == 0 && v[10]) {
    *m = BERTH_NSMODE_CONTAINER;
    if (ref)
      *ref = v + 10;
    return 0;
  }
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid %s `%s`: %s", flag_of(key), v,
                         ipc ? "host, container:NAME, private, shareable "
                               "or none"
                             : "host or container:NAME");
}

/* The container named by ref, running (its init alive, not a reused
 * pid). */
static int running_ctr(struct berth_engine *e, const char *key,
                       const char *ref, struct berth_ctr **out,
                       berth_error **err) {
  struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return berth_error_prefix(err, "%s container:%s", flag_of(key), ref);
  bool up = strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
            strcmp(c->state, BERTH_ST_PAUSED) == 0;
  if (!up || c->pid <= 0 ||
      !berth_proc_alive(c->pid, c->pid_start)) {
    berth_error_set(err, BERTH_ERR_STATE, 0,
                    "%s container:%s: cannot join the %s namespace of a "
                    "container that is not running",
                    flag_of(key), ref, ns_of(key));
    berth_ctr_free(c);
    return -1;
  }
  *out = c;
  return 0;
}

static int check_one(struct berth_engine *e, json_t *hc, const char *key,
                     berth_error **err) {
  enum berth_ns_mode m;
  const char *ref;
  if (berth_ns_mode(hc, key, &m, &ref, err) < 0)
    return -1;
  if (m != BERTH_NSMODE_CONTAINER)
    return 0;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (running_ctr(e, key, ref, &c, err) < 0)
    return -1;
  /* Docker's rule (default IPC mode "private"): only a container that
   * offered its IPC namespace may have it joined. */
  const char *theirs = json_string_value(json_object_get(
      json_object_get(c->config, "HostConfig"), "IpcMode"));
  if (strcmp(key, "IpcMode") == 0 && !(theirs && strcmp(theirs, "shareable") == 0))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "--ipc container:%s: non-shareable IPC (hint: "
                           "run it with --ipc shareable)",
                           ref);
  char v[80];
  snprintf(v, sizeof v, "container:%s", c->id);
  json_object_set_new(hc, key, json_string(v));
  return 0;
}

int berth_ns_modes_check(struct berth_engine *e, json_t *hostconfig,
                         berth_error **err) {
  if (check_one(e, hostconfig, "PidMode", err) < 0 ||
      check_one(e, hostconfig, "IpcMode", err) < 0 ||
      check_one(e, hostconfig, "NetworkMode", err) < 0)
    return -1;
  return 0;
}

int berth_ns_join_path(struct berth_engine *e, json_t *hostconfig,
                       const char *key, char *path, size_t len, pid_t *pid,
                       berth_error **err) {
  enum berth_ns_mode m;
  const char *ref;
  path[0] = '\0';
  *pid = 0;
  if (berth_ns_mode(hostconfig, key, &m, &ref, err) < 0)
    return -1;
  if (m != BERTH_NSMODE_CONTAINER)
    return 0;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (running_ctr(e, key, ref, &c, err) < 0)
    return -1;
  *pid = c->pid;
  snprintf(path, len, "/proc/%d/ns/%s", (int)c->pid, ns_of(key));
  return 0;
}

/* In a child of a process that joined the pid namespace: the new proc
 * takes that namespace.  Returns an errno (0 on success). */
static int mount_proc_here(const char *target) {
  int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return errno;
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return errno;
  int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV);
  if (mnt < 0)
    return errno;
  if (move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return errno;
  return 0;
}

static int wait_status(pid_t p) {
  int st;
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

/* The intermediate child: joins the namespace (setns(CLONE_NEWPID) only
 * affects children), forks the one that mounts. */
static int join_and_mount(int nsfd, const char *target) {
  if (setns(nsfd, CLONE_NEWPID) < 0)
    return errno;
  pid_t p = fork();
  if (p < 0)
    return errno;
  if (p == 0)
    _exit(mount_proc_here(target));
  return wait_status(p);
}

int berth_ns_proc_of(pid_t pid, const char *target, berth_error **err) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return berth_error_sys(err, "open `%s`", path);
  if (mkdir(target, 0700) < 0 && errno != EEXIST) {
    close(nsfd);
    return berth_error_sys(err, "mkdir `%s`", target);
  }
  pid_t p = fork();
  if (p < 0) {
    close(nsfd);
    return berth_error_sys(err, "fork");
  }
  if (p == 0)
    _exit(join_and_mount(nsfd, target));
  close(nsfd);
  int e = wait_status(p);
  if (e != 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, e,
                           "mount a proc of the pid namespace of %d",
                           (int)pid);
  return 0;
}
