/* berth start: the parent side (berth) and the child that becomes the
 * container's monitor. */
#include "start.h"
#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "bundle.h"
#include "console.h"
#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "ctr_net.h"
#include "exit_status.h"
#include "create.h"
#include "fs.h"
#include "health.h"
#include "ports.h"
#include "idmap_bind.h"
#include "images.h"
#include "json.h"
#include "ns_share.h"
#include "runtime_create.h"
#include "overlay.h"
#include "restart.h"
#include "state.h"
#include "terminal.h"
#include "userspec.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int berth_ctr_lock(struct berth_engine *e, const char *id,
                   berth_error **err) {
  char path[4096];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/lock", sizeof path - strlen(path) - 1);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  /* Removal renames the directory away before deleting it (create.c):
   * ENOENT, or a lock file unlinked while we waited for it, means the
   * container is gone, which callers such as wait and stop expect. */
  if (fd < 0 && errno == ENOENT)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "no such container: `%s`", id);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR) {
      close(fd);
      return berth_error_sys(err, "lock `%s`", path);
    }
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
    close(fd);
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "no such container: `%s`", id);
  }
  return fd;
}

/* The container's options for the runtime library. */
/* ---- the child: rootfs, bundle, runtime, monitor ---- */

struct child {
  struct berth_engine *e;
  struct berth_ctr *c;
  const struct berth_start_opts *o;
  char dir[4096];
  char **chain_ids;
  size_t n_layers;
  int sync_fd;
  struct berth_net_plan plan;
  int *port_fds;   /* published ports' reservations, for the monitor */
  size_t n_port_fds;
};

/* --group-add, as a NULL-terminated list (*out NULL when none). */
static int group_add(const struct berth_ctr *c, char ***out,
                     berth_error **err) {
  json_t *l = json_object_get(json_object_get(c->config, "HostConfig"),
                              "GroupAdd");
  size_t n = json_array_size(l);
  *out = NULL;
  if (n == 0)
    return 0;
  _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
  for (size_t i = 0; v && i < n; i++)
    if (!(v[i] = strdup(json_string_value(json_array_get(l, i)) ?: "")))
      return berth_error_sys(err, "allocate");
  if (!v)
    return berth_error_sys(err, "allocate");
  *out = steal_pointer(&v);
  return 0;
}

struct shared_ns {
  char pid[64], ipc[64], net[64];
  char proc[4200]; /* "" unless a proc is mounted for another's pid ns */
};

/* --pid/--ipc container:X: X's namespaces, which must still be there
 * (X running); in a user namespace of its own the container gets a proc
 * of X's pid namespace made here (see berth_ns_proc_of). */
static int shared_namespaces(struct child *ch, struct shared_ns *sh,
                             berth_error **err) {
  json_t *hc = json_object_get(ch->c->config, "HostConfig");
  pid_t pid_of_pidns, pid_of_ipcns, pid_of_netns;
  sh->proc[0] = '\0';
  if (berth_ns_join_path(ch->e, hc, "PidMode", sh->pid, sizeof sh->pid,
                         &pid_of_pidns, err) < 0 ||
      berth_ns_join_path(ch->e, hc, "IpcMode", sh->ipc, sizeof sh->ipc,
                         &pid_of_ipcns, err) < 0 ||
      berth_ns_join_path(ch->e, hc, "NetworkMode", sh->net, sizeof sh->net,
                         &pid_of_netns, err) < 0)
    return -1;
  if (!*sh->pid || !ch->c->id_count)
    return 0;
  snprintf(sh->proc, sizeof sh->proc, "%s/proc-ns", ch->dir);
  return berth_ns_proc_of(pid_of_pidns, sh->proc, err);
}

static int write_bundle(struct child *ch, berth_error **err) {
  char rootfs[4096];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", ch->dir);
  _cleanup_close_ int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return berth_error_sys(err, "open `%s`", rootfs);
  const char *user =
      json_string_value(json_object_get(ch->c->config, "User"));
  struct shared_ns sh;
  if (shared_namespaces(ch, &sh, err) < 0)
    return -1;
  _cleanup_strv_ char **groups = NULL;
  struct berth_userspec us = {0};
  if (group_add(ch->c, &groups, err) < 0 ||
      berth_userspec_resolve(rfd, user, groups, &us, err) < 0)
    return -1;
  struct utsname un;
  uname(&un);
  struct berth_bundle_in in = {.ctr = ch->c, .dir = ch->dir, .user = &us,
                               .arch = un.machine,
                               .init_exe = ch->e->init_exe,
                               .pid_ns_path = sh.pid, .ipc_ns_path = sh.ipc,
                               .net_ns_path = sh.net,
                               .proc_source = *sh.proc ? sh.proc : NULL};
  json_t *spec = NULL;
  int rc = berth_bundle_spec(&in, &spec, err);
  berth_userspec_clear(&us);
  if (rc < 0)
    return -1;
  _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(1));
  json_decref(spec);
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", ch->dir);
  if (!text)
    return berth_error_sys(err, "serialise config.json");
  return berth_write_file_replace(path, text, strlen(text), 0600, err);
}

/* A mount point at target of src's kind: a directory or an empty file. */
static int make_mount_point(const char *src, const char *target,
                            berth_error **err) {
  struct stat st;
  if (stat(src, &st) < 0)
    return berth_error_sys(err, "bind source `%s`", src);
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(target, 0755) < 0 && errno != EEXIST)
      return berth_error_sys(err, "mkdir `%s`", target);
    return 0;
  }
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_error_sys(err, "create `%s`", target);
  close(fd);
  return 0;
}

/* Volumes and binds are nosuid and nodev unless the user asked for suid
 * or dev (-v SRC:DST:suid,dev): a file a container's root made setuid
 * there must not raise whoever runs it through any container's mount.
 * Set here, in the host's user namespace, the flags are locked in the
 * container's (its root cannot clear them, even with CAP_SYS_ADMIN). */
static unsigned user_mount_attrs(json_t *m) {
  return (json_is_true(json_object_get(m, "Suid")) ? 0 : MOUNT_ATTR_NOSUID) |
         (json_is_true(json_object_get(m, "Dev")) ? 0 : MOUNT_ATTR_NODEV);
}

/* In a user namespace, the sources of volumes and private binds are
 * mounted here first (in this private namespace, under the container's
 * directory, vol/N) and config.json points at those instead:
 * - volumes keep the ids containers see: an idmapped bind;
 * - binds: an idmapped recursive clone of the host's mount tree (so the
 *   container sees the host's ids, idmap_bind.h), carrying nosuid/nodev;
 *   set here, in the host's user namespace, those flags are locked in the
 *   container's.  Shared and slave binds keep their host path (their
 *   propagation is the host's mount's): config.json asks the runtime for
 *   the idmap ("ridmap") and the flags.
 * The runtime opens each source before the container's user namespace
 * is entered, so none needs to be reachable by the container's root. */
static int prepare_user_mounts(struct child *ch, berth_error **err) {
  if (!ch->c->id_count)
    return 0;
  json_t *mounts = json_object_get(json_object_get(ch->c->config,
                                                   "HostConfig"),
                                   "Mounts");
  _cleanup_close_ int userns = -1;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    const char *type = json_string_value(json_object_get(m, "Type"));
    if (!type)
      continue;
    json_t *bo = json_object_get(m, "BindOptions");
    const char *prop = json_string_value(json_object_get(bo, "Propagation"));
    bool volume = strcmp(type, "volume") == 0;
    bool bind = strcmp(type, "bind") == 0;
    bool private = !prop || !strcmp(prop, "rprivate") ||
                   !strcmp(prop, "private");
    const char *src = json_string_value(
        json_object_get(m, volume ? "HostPath" : "Source"));
    if (!src || !(volume || (bind && private)))
      continue;
    if (userns < 0 &&
        (userns = berth_idmap_userns(ch->c->id_base, ch->c->id_count,
                                     err)) < 0)
      return -1;
    char target[4200];
    snprintf(target, sizeof target, "%s/vol", ch->dir);
    if (mkdir(target, 0700) < 0 && errno != EEXIST)
      return berth_error_sys(err, "mkdir `%s`", target);
    snprintf(target, sizeof target, "%s/vol/%zu", ch->dir, i);
    if (make_mount_point(src, target, err) < 0)
      return -1;
    unsigned attrs = user_mount_attrs(m);
    if (volume ? berth_idmapped_bind(src, target, userns, attrs, err) < 0
               : berth_idmap_rbind(src, target, userns, attrs, err) < 0)
      return -1;
    json_object_set_new(m, "HostPath", json_string(target));
  }
  return 0;
}

/* In a user namespace the runtime cannot make device nodes (mknod needs
 * CAP_MKNOD in the host's user namespace) and a bind of the host's node
 * shows it owned by nobody: /dev/fuse, 0600 root here, could not be
 * opened by the container's root.  So each --device gets its own node,
 * made here with the host's major, minor and mode and owned by the
 * container's root (linux.devices uid/gid 0, as without a user
 * namespace), on a tmpfs mounted in this private namespace under the
 * container's directory (vol/dev/N).  That tmpfs belongs to the host's user
 * namespace, so its nodes are usable (a filesystem mounted in the
 * container's is nodev), and it vanishes with the namespace.  The device
 * cgroup still allows only the devices given. */
static int prepare_devices(struct child *ch, berth_error **err) {
  json_t *devs = json_object_get(json_object_get(ch->c->config, "HostConfig"),
                                 "Devices");
  if (!ch->c->id_count || !json_array_size(devs))
    return 0;
  char dir[4200], node[4300];
  /* Under vol/, whose mounts the monitor detaches before it deletes the
   * directory of a --rm container. */
  snprintf(dir, sizeof dir, "%s/vol", ch->dir);
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return berth_error_sys(err, "mkdir `%s`", dir);
  snprintf(dir, sizeof dir, "%s/vol/dev", ch->dir);
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return berth_error_sys(err, "mkdir `%s`", dir);
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0700,size=4k") < 0)
    return berth_error_sys(err, "mount a tmpfs on `%s`", dir);
  size_t i;
  json_t *d;
  json_array_foreach(devs, i, d) {
    const char *host = json_string_value(json_object_get(d, "PathOnHost"));
    struct stat st;
    if (!host || stat(host, &st) < 0)
      return berth_error_sys(err, "--device `%s`", host ? host : "");
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "--device `%s`: not a device node", host);
    snprintf(node, sizeof node, "%s/%zu", dir, i);
    if (mknod(node, st.st_mode & (S_IFMT | 0777), st.st_rdev) < 0 ||
        chown(node, ch->c->id_base, ch->c->id_base) < 0 ||
        chmod(node, st.st_mode & 0777) < 0)
      return berth_error_sys(err, "--device `%s`: make its node", host);
    json_object_set_new(d, "NodePath", json_string(node));
  }
  return 0;
}

static int mount_rootfs(struct child *ch, berth_error **err) {
  /* Our mounts stay ours; the host's new mounts (volumes) still show. */
  if (unshare(CLONE_NEWNS) < 0)
    return berth_error_sys(err, "unshare the mount namespace");
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return berth_error_sys(err, "make `/` a slave mount");
  struct berth_overlay ov = {.snapshots_root = ch->e->root,
                             .chain_ids = ch->chain_ids,
                             .n_layers = ch->n_layers, .dir = ch->dir,
                             .id_base = ch->c->id_base,
                             .id_count = ch->c->id_count};
  if (berth_overlay_prepare(&ov, err) < 0 || berth_overlay_mount(&ov, err) < 0)
    return -1;
  if (prepare_user_mounts(ch, err) < 0)
    return -1;
  return prepare_devices(ch, err);
}

/* Container stdio: pipes (or a terminal through a console socket), with
 * the monitor's ends kept in mon[] (out, err, in). */
static int setup_stdio(struct child *ch, int mon[3], char *sock_path,
                       int *listen_fd, berth_error **err) {
  bool tty = json_is_true(json_object_get(ch->c->config, "Tty"));
  bool open_stdin = json_is_true(json_object_get(ch->c->config, "OpenStdin"));
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return berth_error_sys(err, "open /dev/null");
  if (tty) {
    *listen_fd = berth_console_listen(sock_path, 4096, err);
    if (*listen_fd < 0)
      return -1;
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
    return 0;
  }
  int out[2], er[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
      (open_stdin && pipe2(in, O_CLOEXEC) < 0))
    return berth_error_sys(err, "pipe");
  dup2(open_stdin ? in[0] : null, 0);
  dup2(out[1], 1);
  dup2(er[1], 2);
  close(out[1]);
  close(er[1]);
  if (in[0] >= 0)
    close(in[0]);
  close(null);
  mon[0] = out[0];
  mon[1] = er[0];
  mon[2] = in[1];
  return 0;
}

/* To the parent: "err " and the error with its kind (error.h). */
static void send_error(int fd, const berth_error *err) {
  char msg[4200] = "err ";
  int len = berth_error_encode(err, msg + 4, sizeof msg - 4);
  if (len >= 0)
    send(fd, msg, (size_t)len + 4, MSG_NOSIGNAL);
}

static char *fd_arg(int fd) {
  char *s = NULL;
  if (asprintf(&s, "%d", fd) < 0)
    return NULL;
  return s;
}

static void exec_monitor(struct child *ch, pid_t pid, const int mon[3],
                         const int att[3], int status_fd, int go_fd) {
  char log[4096], exitf[4096], maxsize[32] = "0", maxfile[16] = "1";
  char attach_sock[4096], keys[BERTH_DETACH_KEYS_LEN] = "";
  snprintf(log, sizeof log, "%s/ctr.log", ch->dir);
  berth_ctr_attach_path(ch->e, ch->c->id, attach_sock, sizeof attach_sock);
  if (ch->o && ch->o->detach_keys)
    snprintf(keys, sizeof keys, "%s", ch->o->detach_keys);
  else
    berth_detach_keys_parse(NULL, keys, NULL);
  snprintf(exitf, sizeof exitf, "%s/exit", ch->dir);
  json_t *lc = json_object_get(
      json_object_get(json_object_get(ch->c->config, "HostConfig"),
                      "LogConfig"),
      "Config");
  const char *ms = json_string_value(json_object_get(lc, "max-size-bytes"));
  const char *mf = json_string_value(json_object_get(lc, "max-file"));
  if (ms)
    snprintf(maxsize, sizeof maxsize, "%s", ms);
  if (mf)
    snprintf(maxfile, sizeof maxfile, "%s", mf);
  bool tty = json_is_true(json_object_get(ch->c->config, "Tty"));
  struct berth_health_cfg hc;
  char health_ms[32] = "0";
  if (berth_health_cfg(ch->c, &hc))
    snprintf(health_ms, sizeof health_ms, "%lld",
             (long long)(hc.interval_ns / 1000000));
  char pid_s[16];
  snprintf(pid_s, sizeof pid_s, "%d", pid);
  /* The rootfs (mounted only in the monitor's namespace) is finished
   * with when the container exits, unless its policy restarts it (the
   * marker, which `berth update --restart` may make or remove while it
   * runs): the monitor detaches it then, while the exit is being
   * recorded, instead of the kernel doing it on the critical path when
   * the directory is removed. */
  char rootfs[4096], keep_if[4200];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", ch->dir);
  berth_restart_marker_path(ch->e, ch->c->id, keep_if, sizeof keep_if);
  char *argv[48];
  int n = 0;
#define ARG(k, v) (argv[n++] = (char *)(k), argv[n++] = (char *)(v))
  argv[n++] = ch->e->monitor_exe;
  ARG("--id", ch->c->id);
  ARG("--root", ch->e->root);
  ARG("--helper", ch->e->self_exe);
  ARG("--exit-file", exitf);
  ARG("--log", log);
  ARG("--log-max-size", maxsize);
  ARG("--log-max-file", maxfile);
  ARG("--pid", pid_s);
  ARG("--tty", tty ? "1" : "0");
  ARG("--health-interval-ms", health_ms);
  ARG("--attach-socket", attach_sock);
  if (status_fd >= 0)
    ARG("--detach-keys", keys);
  ARG("--unmount-on-exit", rootfs);
  ARG("--keep-rootfs-if", keep_if);
  if (mon[0] >= 0)
    ARG("--stdout", fd_arg(mon[0]));
  if (mon[1] >= 0)
    ARG("--stderr", fd_arg(mon[1]));
  if (mon[2] >= 0)
    ARG("--stdin", fd_arg(mon[2]));
  if (att[0] >= 0)
    ARG("--attach-in", fd_arg(att[0]));
  if (att[1] >= 0)
    ARG("--attach-out", fd_arg(att[1]));
  if (att[2] >= 0)
    ARG("--attach-err", fd_arg(att[2]));
  if (status_fd >= 0)
    ARG("--status", fd_arg(status_fd));
  ARG("--go", fd_arg(go_fd));
  char hold[512] = "";
  for (size_t i = 0; i < ch->n_port_fds; i++)
    snprintf(hold + strlen(hold), sizeof hold - strlen(hold), "%s%d",
             i ? "," : "", ch->port_fds[i]);
  if (*hold)
    ARG("--hold-fds", hold);
  argv[n] = NULL;
#undef ARG
  /* Only what the monitor uses crosses the exec. */
  int keep[] = {mon[0], mon[1], mon[2], att[0], att[1], att[2], status_fd,
                go_fd};
  for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
    if (keep[i] >= 0)
      fcntl(keep[i], F_SETFD, 0);
  for (size_t i = 0; i < ch->n_port_fds; i++)
    fcntl(ch->port_fds[i], F_SETFD, 0);
  execv(ch->e->monitor_exe, argv);
}

static void child_main(struct child *ch) {
  berth_error *err = NULL;
  int att[3] = {-1, -1, -1}, mon[3] = {-1, -1, -1};
  int listen_fd = -1;
  char sock_path[4096] = "";
  setsid();
  signal(SIGPIPE, SIG_IGN);
  if (ch->o && ch->o->attach) {
    /* The client's stdio, out of the way of the container's. */
    if (ch->o->interactive)
      att[0] = fcntl(ch->o->in, F_DUPFD_CLOEXEC, 10);
    if (!ch->o->skip_stdout)
      att[1] = fcntl(ch->o->out, F_DUPFD_CLOEXEC, 10);
    if (!ch->o->skip_stderr)
      att[2] = fcntl(ch->o->err, F_DUPFD_CLOEXEC, 10);
  }
  if (mount_rootfs(ch, &err) < 0 || write_bundle(ch, &err) < 0 ||
      berth_restart_marker_sync(ch->e, ch->c->id,
                                json_object_get(ch->c->config, "HostConfig"),
                                &err) < 0 ||
      setup_stdio(ch, mon, sock_path, &listen_fd, &err) < 0)
    goto fail;
  struct berth_create_opts co = {.bundle = ch->dir,
                                 .console_socket = *sock_path ? sock_path
                                                              : NULL,
                                 .mode = BERTH_RUN_DETACHED,
                                 .prestart = berth_ctr_net_attach,
                                 .prestart_arg = &ch->plan};
  if (berth_runtime_create(ch->e, ch->c, &co, &err) < 0)
    goto fail;
  struct berth_state *st = NULL;
  if (berth_state_read(ch->e->run_root, ch->c->id, &st, &err) < 0)
    goto fail;
  pid_t pid = st->pid;
  unsigned long long start = st->start_time;
  berth_state_free(st);
  if (listen_fd >= 0) {
    int master = berth_console_accept(listen_fd, &err);
    if (master < 0)
      goto fail;
    unlink(sock_path);
    mon[0] = master;
    mon[2] = dup(master);
  }
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  char msg[64];
  int len = snprintf(msg, sizeof msg, "ok %d %llu", pid, start);
  send(ch->sync_fd, msg, (size_t)len, MSG_NOSIGNAL);
  /* The monitor waits on the same socket for the record to say running
   * ("go") before it reports anything: its start-up overlaps berth's
   * database write instead of following it. */
  bool attached = ch->o && ch->o->attach;
  exec_monitor(ch, pid, mon, att, attached ? ch->sync_fd : -1, ch->sync_fd);
  /* exec failed: the container has no monitor; stop it. */
  kill(pid, SIGKILL);
  _exit(1);
fail:
  if (*sock_path)
    unlink(sock_path);
  send_error(ch->sync_fd, err);
  _exit(1);
}

/* ---- the parent ---- */

static int image_chain(struct berth_engine *e, const struct berth_ctr *c,
                       char ***out, size_t *n, berth_error **err) {
  struct berth_image img = {0};
  if (berth_images_get(e->db, c->image_id, &img, err) < 0)
    return berth_error_prefix(err, "image of container `%s`", c->name);
  char **v = calloc(img.n_layers + 1, sizeof(char *));
  for (size_t i = 0; v && i < img.n_layers; i++)
    v[i] = strdup(img.layers[i].chain_id);
  *n = img.n_layers;
  berth_image_free(&img);
  if (!v)
    return berth_error_sys(err, "allocate");
  *out = v;
  return 0;
}

static int record_started(struct berth_engine *e, struct berth_ctr *c,
                          pid_t pid, unsigned long long start, pid_t monitor,
                          berth_error **err) {
  snprintf(c->state, sizeof c->state, "%s", BERTH_ST_RUNNING);
  c->pid = pid;
  c->pid_start = start;
  c->monitor_pid = monitor;
  c->monitor_start = berth_proc_start_time(monitor);
  c->started_at = now_ns();
  c->exit_code = 0;
  free(c->error);
  c->error = NULL;
  c->stopped_by_user = false;
  free(c->health);
  struct berth_health_cfg hc;
  c->health = berth_health_cfg(c, &hc) ? strdup("starting") : NULL;
  c->health_failures = 0;
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  if (berth_ctr_save_state(e->db, c, err) < 0 ||
      berth_volumes_event(e, c->id, "mount", err) < 0 ||
      berth_event_add(e->db, "container", "start", c->id, NULL, err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

/* A start that failed: the record says why (Docker keeps the container,
 * with the exit status 126/127 for a command that cannot run). */
static void record_failed(struct berth_engine *e, struct berth_ctr *c,
                          const char *msg, int code) {
  free(c->error);
  c->error = strdup(msg);
  c->exit_code = code;
  if (berth_db_begin(e->db, NULL) == 0) {
    if (berth_ctr_save_state(e->db, c, NULL) == 0)
      berth_db_commit(e->db, NULL);
    else
      berth_db_rollback(e->db);
  }
}

/* Before the fork (the child must not use the database): the networks
 * live, and the published ports reserved and mapped to the container's
 * first endpoint. */
static int prepare_network(struct child *ch, berth_error **err) {
  if (berth_ctr_net_prepare(ch->e, ch->c, &ch->plan, err) < 0)
    return -1;
  if (ch->plan.n == 0)
    return 0;
  if (berth_ports_publish(ch->e, ch->c, &ch->plan.eps[0], &ch->port_fds,
                          &ch->n_port_fds, err) < 0) {
    berth_net_plan_free(&ch->plan);
    return -1;
  }
  return 0;
}

/* The parent's copies, once the child has its own; failed: the mappings
 * too. */
static void release_network(struct child *ch, bool failed) {
  for (size_t i = 0; i < ch->n_port_fds; i++)
    close(ch->port_fds[i]);
  free(ch->port_fds);
  ch->port_fds = NULL;
  ch->n_port_fds = 0;
  berth_net_plan_free(&ch->plan);
  if (failed)
    berth_ports_unpublish(ch->e, ch->c->id, NULL);
}

static int parse_reply(const char *msg, pid_t *pid, unsigned long long *start,
                       int *exec_failure, berth_error **err) {
  if (sscanf(msg, "ok %d %llu", pid, start) == 2)
    return 0;
  if (strncmp(msg, "err ", 4) == 0) {
    berth_error_decode(msg + 4, err);
    /* Docker records 126/127 as the container's exit code. */
    *exec_failure = berth_exit_status_of_start(*err);
    return -1;
  }
  return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                         "the container's monitor died while starting it");
}

static int spawn(struct berth_engine *e, struct berth_ctr *c,
                 const struct berth_start_opts *o, struct berth_started *out,
                 berth_error **err) {
  struct child ch = {.e = e, .c = c, .o = o};
  berth_ctr_dir(e, c->id, ch.dir, sizeof ch.dir);
  if (berth_volumes_claim(e, c->id, err) < 0 ||
      image_chain(e, c, &ch.chain_ids, &ch.n_layers, err) < 0)
    return -1;
  if (prepare_network(&ch, err) < 0) {
    berth_strv_free(ch.chain_ids);
    return -1;
  }
  int sp[2];
  pid_t child = -1;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    berth_error_sys(err, "socketpair");
  else if ((child = fork()) < 0) {
    berth_error_sys(err, "fork");
    close(sp[0]);
    close(sp[1]);
  }
  if (child == 0) {
    close(sp[0]);
    ch.sync_fd = sp[1];
    child_main(&ch);
    _exit(1);
  }
  berth_strv_free(ch.chain_ids);
  /* The monitor holds the reservations now (or nobody: failed). */
  release_network(&ch, child < 0);
  if (child < 0)
    return -1;
  close(sp[1]);
  char msg[4200];
  ssize_t n;
  do
    n = recv(sp[0], msg, sizeof msg - 1, 0);
  while (n < 0 && errno == EINTR);
  msg[n > 0 ? n : 0] = '\0';
  pid_t pid = 0;
  unsigned long long start = 0;
  out->exec_failure = 0;
  if (parse_reply(msg, &pid, &start, &out->exec_failure, err) < 0) {
    close(sp[0]);
    waitpid(child, NULL, 0);
    /* Whatever the runtime left (state dir, cgroup) goes with it. */
    struct berth_ctx ctx;
    berth_log log;
    berth_engine_runtime_ctx(e, &ctx, &log);
    berth_container_delete(&ctx, c->id, true, NULL);
    berth_ctr_net_down(e, c->id, true);
    record_failed(e, c, (*err)->msg, out->exec_failure);
    return -1;
  }
  /* The child is reaped by nobody if we exit first; it becomes the
   * monitor and outlives us, so it must not stay our zombie-to-be:
   * nothing to do, init adopts it when we exit. */
  int rc = record_started(e, c, pid, start, child, err);
  send(sp[0], "go", 2, MSG_NOSIGNAL);
  out->pid = pid;
  if (o && o->attach && o->status_to)
    *o->status_to = sp[0];
  else if (o && o->attach)
    out->status_fd = sp[0];
  else {
    out->status_fd = -1;
    close(sp[0]);
  }
  return rc;
}

int berth_ctr_start(struct berth_engine *e, const char *ref,
                          const struct berth_start_opts *o,
                          struct berth_started *out, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  _cleanup_close_ int lock = berth_ctr_lock(e, c->id, err);
  if (lock < 0)
    return -1;
  /* Re-read under the lock: another berth may have started it. */
  char id[65];
  memcpy(id, c->id, sizeof id);
  berth_ctr_free(c);
  c = NULL;
  if (berth_ctr_get(e->db, id, &c, err) < 0)
    return -1;
  if (berth_ctr_refresh(e, c, err) < 0)
    return -1;
  out->status_fd = -1;
  out->pid = 0;
  out->exec_failure = 0;
  if (strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
      strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
      strcmp(c->state, BERTH_ST_RESTARTING) == 0) {
    if (o && o->attach)
      return berth_error_set(err, BERTH_ERR_STATE, 0,
                             "container `%s` is already running", c->name);
    out->pid = c->pid;
    return 0;
  }
  if (strcmp(c->state, BERTH_ST_REMOVING) == 0 ||
      strcmp(c->state, BERTH_ST_DEAD) == 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is being removed", c->name);
  return spawn(e, c, o, out, err);
}
