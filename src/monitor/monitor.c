/* berth-monitor: one small process per running container (like conmon).
 *
 * It is the parent of the container's init (directly, or as a child
 * subreaper after a restart), so it alone can learn the exit status.  It
 * copies the container's output to its json-file log and, while a
 * foreground `berth run`/`start -a` or a later `berth attach` (through the
 * attach socket) is attached, to that client; it forwards the attached
 * stdin, the client's terminal size, and lets the client detach with its
 * detach keys.  When the container exits it writes the
 * exit file, runs `berth _exited` (database, runtime cleanup, --rm,
 * restart policy) and either restarts the container through
 * `berth _restart` or exits.
 *
 * Static and libc-only on purpose: a host may run hundreds of these, and
 * its idle resident memory is the per-container cost (target < 1 MiB). */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* The monitor is built with musl when available (its start-up does not
 * probe the CPU with cpuid, which traps in VMs: 0.1 ms instead of 1 ms),
 * whose headers leave out the kernel's; openat2's ABI is fixed. */
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#else
struct open_how {
  uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#include "attach_sock.h"
#include "escape.h"
#include "logwriter.h"
#include "tempname.h"

/* Exit codes of `berth _exited` that the monitor understands. */
#define HELPER_DONE 0
#define HELPER_RESTART 10

struct monitor {
  const char *id, *root, *helper, *exit_file, *log_path;
  const char *unmount_on_exit; /* rootfs to detach once the init is gone */
  const char *keep_rootfs_if;  /* ... unless this file exists (a restart
                                  policy, which `berth update` may set) */
  pid_t init;
  bool init_reaped;
  int init_status;
  int out_fd, err_fd, in_fd;   /* container side; -1 when absent */
  int att_in, att_out, att_err; /* attached client; -1 when absent */
  int status_fd; /* the attached client's control channel; -1: none */
  struct berth_escape detach; /* the attached client's detach keys */
  int attach_lfd;             /* the attach socket; -1: none */
  bool stdin_once; /* the client's EOF closes the container's stdin */
  const char *attach_path;
  int go_fd; /* berth's "go" (record says running) arrives here; -1: done */
  bool remove_trash; /* the client left the container's directory to us */
  bool tty;
  struct berth_logwriter log;
  bool log_open;
  int sig_fd;
  int64_t health_interval_ns; /* 0: no health checks */
  int64_t health_due;         /* CLOCK_MONOTONIC ns */
  pid_t health_pid;           /* the running `berth _health`, or 0 */
};

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Starts `berth _health ID` without waiting: it records its own result;
 * a check still running when the next is due delays that one. */
static void start_health(struct monitor *m) {
  m->health_due = mono_ns() + m->health_interval_ns;
  if (m->health_pid > 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++)
      dup2(null, i);
    char *argv[] = {(char *)m->helper, "--root", (char *)m->root,
                    "_health", (char *)m->id, NULL};
    execv(m->helper, argv);
    _exit(127);
  }
  if (pid > 0)
    m->health_pid = pid;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* One read from a container stream into the log and the attached client.
 * Returns false at EOF or error (the stream is then closed). */
static bool pump_output(struct monitor *m, int *fd, enum berth_log_stream s) {
  char buf[16384];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0) {
    close(*fd);
    *fd = -1;
    return false;
  }
  if (m->log_open)
    berth_logwriter_write(&m->log, s, buf, (size_t)n, now_ns());
  int *att = s == BERTH_LOG_STDERR ? &m->att_err : &m->att_out;
  if (*att >= 0 && write_all(*att, buf, (size_t)n) < 0) {
    /* The client went away: keep logging. */
    close(*att);
    *att = -1;
  }
  return true;
}

/* The attached client leaves (detached, or gone): the container goes on,
 * its output to the log only. */
static void client_drop(struct monitor *m) {
  int *fds[] = {&m->att_in, &m->att_out, &m->att_err, &m->status_fd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0) {
      close(*fds[i]);
      *fds[i] = -1;
    }
  m->detach.len = m->detach.matched = 0;
}

/* A control message from the attached client; false if it is none. */
static bool client_control_msg(struct monitor *m, const char *msg) {
  unsigned rows, cols;
  if (sscanf(msg, "resize %u %u", &rows, &cols) != 2)
    return false;
  /* The kernel sends SIGWINCH to the terminal's foreground process group
   * when the size changes. */
  struct winsize ws = {.ws_row = (unsigned short)rows,
                       .ws_col = (unsigned short)cols};
  if (m->tty && m->out_fd >= 0)
    ioctl(m->out_fd, TIOCSWINSZ, &ws);
  return true;
}

static void client_control(struct monitor *m) {
  char buf[64];
  ssize_t n = recv(m->status_fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    client_drop(m);
    return;
  }
  buf[n] = '\0';
  client_control_msg(m, buf);
}

static void client_refuse(int conn, int fds[3], const char *why) {
  char msg[128];
  int len = snprintf(msg, sizeof msg, "err %s", why);
  send(conn, msg, (size_t)len, MSG_NOSIGNAL);
  close(conn);
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* `berth attach`: "attach STREAMS KEYS", STREAMS among "ioe" (or "-"),
 * with the streams' fds in that order; KEYS "16,17" or "-". */
static void client_accept(struct monitor *m) {
  char req[160], streams[8] = "", keys[128] = "";
  int got[3];
  int conn = mon_attach_accept(m->attach_lfd, req, sizeof req, got);
  if (conn < 0)
    return;
  struct berth_escape esc = {0};
  const char *why = NULL;
  if (sscanf(req, "attach %7s %127s", streams, keys) != 2 ||
      (strcmp(keys, "-") != 0 && !berth_escape_from_list(&esc, keys)))
    why = "bad attach request";
  else if (m->status_fd >= 0)
    /* One client at a time (Docker allows several). */
    why = "another client is attached";
  if (why) {
    client_refuse(conn, got, why);
    return;
  }
  int fds[3] = {-1, -1, -1}, k = 0;
  for (const char *c = streams; *c && k < 3; c++)
    if (*c == 'i' || *c == 'o' || *c == 'e')
      fds[*c == 'i' ? 0 : *c == 'o' ? 1 : 2] = got[k++];
  for (; k < 3; k++)
    if (got[k] >= 0)
      close(got[k]);
  m->att_in = fds[0];
  m->att_out = fds[1];
  m->att_err = fds[2];
  m->detach = esc;
  m->stdin_once = false;
  m->status_fd = conn;
  send(conn, "ok", 2, MSG_NOSIGNAL);
}

/* The client's detach keys: it leaves, the container goes on. */
static void client_detach(struct monitor *m) {
  if (m->status_fd >= 0)
    send(m->status_fd, "detached\n", 9, MSG_NOSIGNAL);
  client_drop(m);
}

static void pump_input(struct monitor *m) {
  char buf[16384], pass[sizeof buf + BERTH_ESCAPE_MAX];
  ssize_t n = read(m->att_in, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  size_t np = n > 0 ? (size_t)n : 0;
  bool detach = false;
  /* Detach keys are looked for on a terminal only, as Docker does. */
  if (n > 0 && m->tty)
    detach = berth_escape_feed(&m->detach, buf, np, pass, &np);
  else if (n > 0)
    memcpy(pass, buf, np);
  if (detach) {
    if (np > 0 && m->in_fd >= 0)
      write_all(m->in_fd, pass, np);
    client_detach(m);
    return;
  }
  if (n <= 0 || m->in_fd < 0 || write_all(m->in_fd, pass, np) < 0) {
    /* EOF on the stdin of `run -i` closes the container's (Docker's
     * StdinOnce), but a terminal stays open: the pty master is also the
     * output.  A later `attach` leaves the container's stdin open for the
     * next client. */
    close(m->att_in);
    m->att_in = -1;
    if (!m->tty && m->stdin_once && m->in_fd >= 0) {
      close(m->in_fd);
      m->in_fd = -1;
    }
  }
}

static void reap(struct monitor *m) {
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p == m->init) {
      m->init_reaped = true;
      m->init_status = status;
    }
    if (p == m->health_pid)
      m->health_pid = 0;
  }
}

/* Forwards output until the init exits, then drains what is left. */
static void run_until_exit(struct monitor *m) {
  int64_t drain_deadline = 0;
  for (;;) {
    struct pollfd p[6];
    int n = 0;
    p[n++] = (struct pollfd){.fd = m->sig_fd, .events = POLLIN};
    int i_out = m->out_fd >= 0 ? n : -1;
    if (m->out_fd >= 0)
      p[n++] = (struct pollfd){.fd = m->out_fd, .events = POLLIN};
    int i_err = m->err_fd >= 0 ? n : -1;
    if (m->err_fd >= 0)
      p[n++] = (struct pollfd){.fd = m->err_fd, .events = POLLIN};
    int i_in = m->att_in >= 0 && !m->init_reaped ? n : -1;
    if (i_in >= 0)
      p[n++] = (struct pollfd){.fd = m->att_in, .events = POLLIN};
    int i_ctl = m->status_fd >= 0 && !m->init_reaped ? n : -1;
    if (i_ctl >= 0)
      p[n++] = (struct pollfd){.fd = m->status_fd, .events = POLLIN};
    int i_lis = m->attach_lfd >= 0 && !m->init_reaped ? n : -1;
    if (i_lis >= 0)
      p[n++] = (struct pollfd){.fd = m->attach_lfd, .events = POLLIN};
    if (m->init_reaped) {
      /* After the init's exit, its pid namespace is gone and with it every
       * writer; a stream another process holds open is given 2 s. */
      if (m->out_fd < 0 && m->err_fd < 0)
        return;
      if (!drain_deadline)
        drain_deadline = now_ns() + 2000000000LL;
      if (now_ns() > drain_deadline)
        return;
    }
    int timeout = m->init_reaped ? 100 : -1;
    if (!m->init_reaped && m->health_interval_ns > 0) {
      int64_t left = m->health_due - mono_ns();
      if (left <= 0) {
        start_health(m);
        left = m->health_interval_ns;
      }
      timeout = (int)(left / 1000000) + 1;
    }
    if (poll(p, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(m->sig_fd, &si, sizeof si) == sizeof si)
        ;
      reap(m);
    }
    if (i_out >= 0 && p[i_out].revents)
      pump_output(m, &m->out_fd, BERTH_LOG_STDOUT);
    if (i_err >= 0 && p[i_err].revents)
      pump_output(m, &m->err_fd, BERTH_LOG_STDERR);
    if (i_in >= 0 && p[i_in].revents && m->att_in >= 0)
      pump_input(m);
    if (i_ctl >= 0 && p[i_ctl].revents && m->status_fd >= 0)
      client_control(m);
    if (i_lis >= 0 && p[i_lis].revents)
      client_accept(m);
  }
}

static int exit_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

static void write_exit_file(struct monitor *m, int code) {
  char tmp[4096 + 32], text[64];
  int len = snprintf(text, sizeof text, "%d %lld\n", code,
                     (long long)now_ns());
  /* An unguessable name, never a planted symlink (lib/tempname.h). */
  int fd = berth_temp_create(AT_FDCWD, m->exit_file, 0, 0600, tmp,
                             sizeof tmp);
  if (fd < 0)
    return;
  /* No fsync: like the database (synchronous=NORMAL), the exit status
   * survives a crash of any process but not a power cut, after which the
   * container is gone anyway. */
  bool ok = write_all(fd, text, (size_t)len) == 0;
  close(fd);
  if (!ok || rename(tmp, m->exit_file) < 0)
    unlink(tmp);
}

/* Runs `berth --root R VERB ID [ARG]` and waits for it; stdio as given
 * (-1: /dev/null).  Returns its exit status or -1. */
static int run_helper(struct monitor *m, const char *verb, const char *arg,
                      int in, int out, int err, int extra_fd) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int fds[3] = {in, out, err};
    for (int i = 0; i < 3; i++)
      dup2(fds[i] >= 0 ? fds[i] : null, i);
    if (extra_fd >= 0)
      dup2(extra_fd, 3);
    char *argv[] = {(char *)m->helper, "--root", (char *)m->root,
                    (char *)verb, (char *)m->id, (char *)arg, NULL};
    execv(m->helper, argv);
    _exit(127);
  }
  for (;;) {
    int status;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0 && errno == EINTR)
      continue;
    if (p < 0)
      return -1;
    if (p == m->init) {
      m->init_reaped = true;
      m->init_status = status;
    }
    if (p == m->health_pid)
      m->health_pid = 0;
    if (p == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
}

/* A new container process from the same bundle: new pipes, `berth
 * _restart` creates it (as our grandchild; we are its subreaper) and
 * reports its pid on fd 3. */
/* A console socket for the restarted container's pty master: the runtime
 * (in `berth _restart`) connects and sends it; we take it afterwards. */
static int console_listen(char *path, size_t len) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(path, len, "%s/berth-console-%d-%lld.sock",
           access("/run", W_OK) == 0 ? "/run" : "/tmp", getpid(),
           (long long)(mono_ns() % 1000000000));
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int console_take(int listen_fd) {
  int flags = fcntl(listen_fd, F_GETFL);
  fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK);
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return -1;
  char data[256], cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  int fd = -1;
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
  }
  close(conn);
  return fd;
}

/* The restarted container's init, which may have exited before we knew
 * its pid. */
static void adopt_init(struct monitor *m, pid_t pid) {
  m->init = pid;
  m->init_reaped = false;
  int status;
  if (waitpid(pid, &status, WNOHANG) == pid) {
    m->init_reaped = true;
    m->init_status = status;
  }
}

static bool restart(struct monitor *m) {
  if (m->tty) {
    char path[256];
    int lfd = console_listen(path, sizeof path);
    int rep[2];
    if (lfd < 0 || pipe2(rep, O_CLOEXEC) < 0) {
      if (lfd >= 0)
        close(lfd);
      return false;
    }
    int rc = run_helper(m, "_restart", path, -1, -1, -1, rep[1]);
    close(rep[1]);
    char buf[64] = "";
    ssize_t n = read(rep[0], buf, sizeof buf - 1);
    close(rep[0]);
    int master = console_take(lfd);
    close(lfd);
    unlink(path);
    pid_t pid = n > 0 ? (pid_t)atoi(buf) : 0;
    if (rc != 0 || pid <= 0 || master < 0) {
      if (master >= 0)
        close(master);
      return false;
    }
    if (m->out_fd >= 0)
      close(m->out_fd);
    if (m->in_fd >= 0)
      close(m->in_fd);
    m->out_fd = master;
    m->in_fd = dup(master);
    set_nonblock(m->out_fd);
    adopt_init(m, pid);
    return true;
  }
  int out[2], err[2], in[2] = {-1, -1}, rep[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
      pipe2(rep, O_CLOEXEC) < 0)
    return false;
  bool want_in = m->in_fd >= 0;
  if (want_in && pipe2(in, O_CLOEXEC) < 0)
    return false;
  int rc = run_helper(m, "_restart", NULL, in[0], out[1], err[1], rep[1]);
  close(out[1]);
  close(err[1]);
  close(rep[1]);
  if (in[0] >= 0)
    close(in[0]);
  char buf[64] = "";
  ssize_t n = read(rep[0], buf, sizeof buf - 1);
  close(rep[0]);
  pid_t pid = n > 0 ? (pid_t)atoi(buf) : 0;
  if (rc != 0 || pid <= 0) {
    close(out[0]);
    close(err[0]);
    if (in[1] >= 0)
      close(in[1]);
    return false;
  }
  if (m->out_fd >= 0)
    close(m->out_fd);
  if (m->err_fd >= 0)
    close(m->err_fd);
  if (m->in_fd >= 0)
    close(m->in_fd);
  m->out_fd = out[0];
  m->err_fd = err[0];
  m->in_fd = in[1];
  set_nonblock(m->out_fd);
  set_nonblock(m->err_fd);
  adopt_init(m, pid);
  return true;
}

/* Detaching a mount waits for an expedited RCU grace period (about a
 * millisecond): done here, it overlaps the client's recording of the exit. */
static void release_rootfs(struct monitor *m) {
  if (m->unmount_on_exit == NULL)
    return;
  if (m->keep_rootfs_if && access(m->keep_rootfs_if, F_OK) == 0)
    return;
  while (umount2(m->unmount_on_exit, MNT_DETACH) == 0)
    ;
  m->unmount_on_exit = NULL;
}

/* Deletes dfd/name and everything below it without ever leaving its
 * mount: this namespace still has the container's volumes bind-mounted
 * under vol/ (the same filesystem, so st_dev cannot tell), and their data
 * must survive.  RESOLVE_NO_XDEV makes opening a mount point fail; such a
 * directory (and so its parents) stays, for `berth system check`, which
 * runs where nothing is mounted there. */
static void remove_tree_at(int dfd, const char *name) {
  struct open_how how = {
      .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
      .resolve = RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
  int fd = (int)syscall(SYS_openat2, dfd, name, &how, sizeof how);
  if (fd < 0) {
    if (errno == ENOTDIR || errno == ELOOP)
      unlinkat(dfd, name, 0);
    return;
  }
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
      remove_tree_at(dirfd(d), de->d_name);
    else
      unlinkat(dirfd(d), de->d_name, 0);
  }
  closedir(d);
  unlinkat(dfd, name, AT_REMOVEDIR);
}

/* The directory of a --rm container, which the client moved to
 * containers/.rm-ID and left to us so as to return to the user sooner. */
static void remove_trash(struct monitor *m) {
  char parent[4096], name[128], sub[4300];
  snprintf(parent, sizeof parent, "%s/containers", m->root);
  snprintf(name, sizeof name, ".rm-%s", m->id);
  /* Our mounts there first: the rootfs (normally detached already by
   * release_rootfs; if the rename came first, it moved with the
   * directory) and the volumes' bind mounts under vol/. */
  snprintf(sub, sizeof sub, "%s/%s/rootfs", parent, name);
  while (umount2(sub, MNT_DETACH) == 0)
    ;
  snprintf(sub, sizeof sub, "%s/%s/vol", parent, name);
  DIR *v = opendir(sub);
  struct dirent *de;
  while (v && (de = readdir(v)) != NULL) {
    char mnt[4600];
    snprintf(mnt, sizeof mnt, "%s/%s", sub, de->d_name);
    if (de->d_name[0] != '.')
      while (umount2(mnt, MNT_DETACH) == 0)
        ;
  }
  if (v)
    closedir(v);
  int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    return;
  /* Held while deleting: `berth system check` leaves locked trash alone. */
  int lock = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (lock >= 0) {
    flock(lock, LOCK_EX);
    remove_tree_at(pfd, name);
    close(lock);
  }
  close(pfd);
}

/* Asks the attached client to handle the exit: "exited CODE" out, and
 * back "done" (0; "done rm": and delete the trash) or "restart"
 * (HELPER_RESTART).  -1 when there is no client or it went away without
 * answering. */
static int client_exited(struct monitor *m, int code) {
  if (m->status_fd < 0)
    return -1;
  char line[32];
  int len = snprintf(line, sizeof line, "exited %d\n", code);
  if (write_all(m->status_fd, line, (size_t)len) < 0)
    return -1;
  release_rootfs(m);
  char reply[64] = "";
  for (;;) {
    ssize_t n = read(m->status_fd, reply, sizeof reply - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    reply[n] = '\0';
    /* A resize sent before the client saw "exited". */
    if (!client_control_msg(m, reply))
      break;
  }
  if (strncmp(reply, "done", 4) == 0) {
    m->remove_trash = strcmp(reply, "done rm") == 0;
    return HELPER_DONE;
  }
  if (strncmp(reply, "restart", 7) == 0)
    return HELPER_RESTART;
  return -1;
}

static int parse_fd(const char *s) { return s ? atoi(s) : -1; }

/* Nothing is reported (exit, health) before berth has recorded the
 * container as running, or a late "running" could overwrite "exited".
 * EOF (berth killed meanwhile) is as good as "go". */
static void await_go(struct monitor *m) {
  if (m->go_fd < 0)
    return;
  char buf[8];
  ssize_t n;
  do
    n = recv(m->go_fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  if (m->go_fd != m->status_fd)
    close(m->go_fd);
  m->go_fd = -1;
}

static void usage(void) {
  fputs("berth-monitor is started by berth; it is not a command.\n", stderr);
  exit(2);
}

/* Sockets that reserve the container's published host ports: held,
 * never used, for as long as we run; not passed on to the helpers we
 * start (nor, through them, to a restarted container). */
static void hold_fds(const char *list) {
  char *end;
  for (const char *p = list; *p; p = *end ? end + 1 : end) {
    long fd = strtol(p, &end, 10);
    if (end == p || fd < 3 || (*end && *end != ','))
      usage();
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  }
}

static void parse_args(struct monitor *m, int argc, char **argv,
                       uint64_t *max_size, int *max_files) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--id")) m->id = v;
    else if (!strcmp(k, "--root")) m->root = v;
    else if (!strcmp(k, "--helper")) m->helper = v;
    else if (!strcmp(k, "--exit-file")) m->exit_file = v;
    else if (!strcmp(k, "--unmount-on-exit")) m->unmount_on_exit = v;
    else if (!strcmp(k, "--keep-rootfs-if")) m->keep_rootfs_if = v;
    else if (!strcmp(k, "--log")) m->log_path = v;
    else if (!strcmp(k, "--log-max-size")) *max_size = strtoull(v, NULL, 10);
    else if (!strcmp(k, "--log-max-file")) *max_files = atoi(v);
    else if (!strcmp(k, "--pid")) m->init = (pid_t)atoi(v);
    else if (!strcmp(k, "--stdout")) m->out_fd = parse_fd(v);
    else if (!strcmp(k, "--stderr")) m->err_fd = parse_fd(v);
    else if (!strcmp(k, "--stdin")) m->in_fd = parse_fd(v);
    else if (!strcmp(k, "--tty")) m->tty = atoi(v) != 0;
    else if (!strcmp(k, "--attach-in")) m->att_in = parse_fd(v);
    else if (!strcmp(k, "--attach-out")) m->att_out = parse_fd(v);
    else if (!strcmp(k, "--attach-err")) m->att_err = parse_fd(v);
    else if (!strcmp(k, "--status")) m->status_fd = parse_fd(v);
    else if (!strcmp(k, "--go")) m->go_fd = parse_fd(v);
    else if (!strcmp(k, "--attach-socket")) m->attach_path = v;
    else if (!strcmp(k, "--hold-fds")) hold_fds(v);
    else if (!strcmp(k, "--detach-keys")) {
      if (!berth_escape_from_list(&m->detach, v))
        usage();
    }
    else if (!strcmp(k, "--health-interval-ms"))
      m->health_interval_ns = strtoll(v, NULL, 10) * 1000000;
    else usage();
  }
  if (!m->id || !m->root || !m->helper || !m->exit_file || m->init <= 0)
    usage();
}

int main(int argc, char **argv) {
  struct monitor m = {.out_fd = -1, .err_fd = -1, .in_fd = -1,
                      .att_in = -1, .att_out = -1, .att_err = -1,
                      .status_fd = -1, .go_fd = -1, .attach_lfd = -1};
  uint64_t max_size = 0;
  int max_files = 1;
  parse_args(&m, argc, argv, &max_size, &max_files);
  /* Containers restarted by a helper become our grandchildren: as
   * subreaper we still get their exit. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  m.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m.log_path &&
      berth_logwriter_open(&m.log, m.log_path, max_size, max_files) == 0)
    m.log_open = true;
  if (m.out_fd >= 0)
    set_nonblock(m.out_fd);
  if (m.err_fd >= 0)
    set_nonblock(m.err_fd);
  if (m.attach_path)
    m.attach_lfd = mon_attach_listen(m.attach_path);
  m.stdin_once = m.att_in >= 0;
  await_go(&m);
  reap(&m);
  m.health_due = mono_ns() + m.health_interval_ns;
  for (;;) {
    run_until_exit(&m);
    if (m.log_open)
      berth_logwriter_flush(&m.log, now_ns());
    int code = exit_code(m.init_status);
    write_exit_file(&m, code);
    char code_s[16];
    snprintf(code_s, sizeof code_s, "%d", code);
    /* An attached client (run/start -a) has the engine loaded already:
     * it records the exit itself, saving the start of a helper on the
     * way back to the user.  If it does not answer, the helper does. */
    int h = client_exited(&m, code);
    if (h < 0) {
      release_rootfs(&m);
      h = run_helper(&m, "_exited", code_s, -1, -1, -1, -1);
    }
    if (h == HELPER_RESTART && restart(&m)) {
      m.health_due = mono_ns() + m.health_interval_ns;
      continue;
    }
    if (m.status_fd >= 0) {
      /* After a helper handled it: the client still waits for this. */
      char line[32];
      int len = snprintf(line, sizeof line, "exit %d\n", code);
      write_all(m.status_fd, line, (size_t)len);
    }
    break;
  }
  if (m.log_open)
    berth_logwriter_close(&m.log);
  if (m.attach_lfd >= 0) {
    close(m.attach_lfd);
    unlink(m.attach_path);
  }
  if (m.remove_trash)
    remove_trash(&m);
  return 0;
}
