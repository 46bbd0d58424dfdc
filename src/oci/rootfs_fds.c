#include "rootfs_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmapped_mounts.h"
#include "sync.h"

/* Below the kernel's SCM_MAX_FD (253) fds per message. */
#define FDS_PER_MSG 128

void berth_rootfs_fds_close(struct berth_rootfs_fds *f) {
  if (f->rootfs >= 0)
    close(f->rootfs);
  for (size_t i = 0; f->sources && i < f->n; i++)
    if (f->sources[i] >= 0)
      close(f->sources[i]);
  free(f->sources);
  *f = (struct berth_rootfs_fds)BERTH_ROOTFS_FDS_INIT;
}

static int alloc_sources(struct berth_rootfs_fds *f, size_t n,
                         berth_error **err) {
  *f = (struct berth_rootfs_fds)BERTH_ROOTFS_FDS_INIT;
  if (n == 0)
    return 0;
  f->sources = malloc(n * sizeof(int));
  if (f->sources == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "rootfs fds");
  for (size_t i = 0; i < n; i++)
    f->sources[i] = -1;
  f->n = n;
  return 0;
}

static bool has_source(const struct berth_mount *m) {
  return m->bind && m->source != NULL;
}

static int open_source(const struct berth_mount *m, size_t i,
                       const char *bundle, berth_error **err) {
  _cleanup_free_ char *abs = NULL;
  if (m->source[0] != '/' && bundle &&
      asprintf(&abs, "%s/%s", bundle, m->source) < 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "%s", m->source);
  int fd = open(abs ? abs : m->source, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "mounts[%zu] `%s`: bind `%s`", i,
                           m->destination, m->source);
  return fd;
}

int berth_rootfs_fds_open(const char *rootfs, const struct berth_mount *m,
                          size_t n, const char *bundle,
                          struct berth_rootfs_fds *out, berth_error **err) {
  struct berth_rootfs_fds f;
  if (alloc_sources(&f, n, err) < 0)
    return -1;
  f.rootfs = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (f.rootfs < 0) {
    berth_error_sys(err, "open rootfs `%s`", rootfs);
    berth_rootfs_fds_close(&f);
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    if (has_source(&m[i]) &&
        (f.sources[i] = open_source(&m[i], i, bundle, err)) < 0) {
      berth_rootfs_fds_close(&f);
      return -1;
    }
  *out = f;
  return 0;
}

/* Where the caller stands, to come back to after visiting another mount
 * namespace (setns resets the root and the cwd to that namespace's). */
struct place {
  int mnt, root, cwd;
};

static void place_close(struct place *p) {
  int fds[] = {p->mnt, p->root, p->cwd};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

static int enter_mntns(int ns_fd, struct place *p, berth_error **err) {
  p->mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  p->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  p->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (p->mnt < 0 || p->root < 0 || p->cwd < 0)
    return berth_error_sys(err, "remember the runtime's mount namespace");
  if (setns(ns_fd, CLONE_NEWNS) < 0)
    return berth_error_sys(err, "enter the container's mount namespace");
  return 0;
}

static int leave_mntns(const struct place *p, berth_error **err) {
  if (setns(p->mnt, CLONE_NEWNS) < 0 || fchdir(p->root) < 0 ||
      chroot(".") < 0 || fchdir(p->cwd) < 0)
    return berth_error_sys(err, "return to the runtime's mount namespace");
  return 0;
}

/* The bundle as an absolute path: the cwd is the namespace's root while
 * the sources are opened. */
static char *absolute_bundle(const char *bundle) {
  if (bundle == NULL || bundle[0] == '/')
    return strdup(bundle ? bundle : "/");
  char cwd[PATH_MAX];
  char *out = NULL;
  if (getcwd(cwd, sizeof(cwd)) == NULL ||
      asprintf(&out, "%s/%s", cwd, bundle) < 0)
    return NULL;
  return out;
}

/* *out: the namespace the init mounts in, or -1 when it is ours. */
static int open_ns_fd(const struct berth_spec *s, int init_pidfd, int *out,
                      berth_error **err) {
  const char *path = s->ns.path[BERTH_NS_MNT];
  *out = -1;
  if (path)
    *out = open(path, O_RDONLY | O_CLOEXEC);
  else if (s->ns.present[BERTH_NS_MNT])
    *out = fcntl(init_pidfd, F_DUPFD_CLOEXEC, 0);
  else
    return 0;
  if (*out < 0 && path)
    return berth_error_sys(err, "open namespace `%s`", path);
  if (*out < 0)
    return berth_error_sys(err, "open the init's mount namespace");
  return 0;
}

/* The fds, with idmapped mounts' sources made idmapped clones
 * (idmapped_mounts.h), in the caller's mount namespace. */
static int open_here_for(const struct berth_spec *s, const char *bundle,
                         int init_pidfd, struct berth_rootfs_fds *out,
                         berth_error **err) {
  if (berth_rootfs_fds_open(s->root_path, s->mounts, s->n_mounts, bundle,
                            out, err) < 0)
    return -1;
  if (berth_idmapped_sources(s, init_pidfd, out, err) < 0) {
    berth_rootfs_fds_close(out);
    return -1;
  }
  return 0;
}

/* Opens them in mount namespace ns and comes back (the first error is
 * the one reported).  Opens nothing when we may not enter it: rootless,
 * the init's root is our own user, who reaches the paths by itself. */
static int open_in_ns(int ns, const struct berth_spec *s, const char *bundle,
                      int init_pidfd, struct berth_rootfs_fds *out,
                      berth_error **err) {
  struct place p = {-1, -1, -1};
  berth_error *enter_err = NULL;
  int rc = enter_mntns(ns, &p, &enter_err);
  bool refused = rc < 0 && enter_err->errno_value == EPERM && p.cwd >= 0;
  if (rc < 0 && !refused && err && *err == NULL)
    *err = steal_pointer(&enter_err);
  berth_error_free(enter_err);
  if (rc == 0)
    rc = open_here_for(s, bundle, init_pidfd, out, err);
  /* Back in any case: staying would leave the runtime in the container's
   * filesystem view. */
  if (!refused && p.mnt >= 0 && leave_mntns(&p, rc == 0 ? err : NULL) < 0) {
    if (rc == 0)
      berth_rootfs_fds_close(out);
    rc = -1;
  }
  place_close(&p);
  return refused ? 0 : rc;
}

int berth_rootfs_fds_open_for(const struct berth_spec *s, const char *bundle,
                              int init_pidfd, struct berth_rootfs_fds *out,
                              berth_error **err) {
  _cleanup_free_ char *abs = absolute_bundle(bundle);
  if (abs == NULL)
    return berth_error_sys(err, "bundle `%s`", bundle ? bundle : ".");
  _cleanup_close_ int ns = -1;
  if (open_ns_fd(s, init_pidfd, &ns, err) < 0)
    return -1;
  if (ns >= 0)
    return open_in_ns(ns, s, abs, init_pidfd, out, err);
  return open_here_for(s, abs, init_pidfd, out, err);
}

static int send_batch(int sock, const int *fds, size_t n) {
  struct berth_sync_msg m = {.type = BERTH_SYNC_FDS, .value = (int32_t)n};
  struct iovec iov = {.iov_base = &m,
                      .iov_len = offsetof(struct berth_sync_msg, text)};
  union {
    char buf[CMSG_SPACE(FDS_PER_MSG * sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    mh.msg_control = u.buf;
    mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
  }
  ssize_t w;
  do
    w = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  return w == (ssize_t)iov.iov_len ? 0 : -1;
}

/* rootfs first, then each bind's source in mount order. */
static size_t flatten(const struct berth_rootfs_fds *f, int *all) {
  size_t k = 0;
  all[k++] = f->rootfs;
  for (size_t i = 0; i < f->n; i++)
    if (f->sources[i] >= 0)
      all[k++] = f->sources[i];
  return k;
}

int berth_rootfs_fds_send(int sock, const struct berth_rootfs_fds *f) {
  if (f->rootfs < 0)
    return send_batch(sock, NULL, 0);
  _cleanup_free_ int *all = malloc((f->n + 1) * sizeof(int));
  if (all == NULL)
    return -1;
  size_t total = flatten(f, all);
  for (size_t done = 0; done < total;) {
    size_t n = total - done < FDS_PER_MSG ? total - done : FDS_PER_MSG;
    if (send_batch(sock, all + done, n) < 0)
      return -1;
    done += n;
  }
  return 0;
}

/* An fd numbered where preserved fds go would be handed to the
 * container: move it above them. */
static int place_fd(int fd, int min_fd) {
  if (fd >= min_fd)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  close(fd);
  return moved;
}

/* The fds a message carried, into fds[] (at most room: the others are
 * closed); returns how many were kept. */
static size_t take_fds(struct msghdr *mh, int *fds, size_t room, int min_fd) {
  size_t got = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int tmp[FDS_PER_MSG];
    if (k > FDS_PER_MSG) /* cannot be: the buffer holds no more */
      k = FDS_PER_MSG;
    memcpy(tmp, CMSG_DATA(c), k * sizeof(int));
    for (size_t j = 0; j < k; j++) {
      int fd = place_fd(tmp[j], min_fd);
      if (got < room && fd >= 0)
        fds[got++] = fd;
      else if (fd >= 0)
        close(fd);
    }
  }
  return got;
}

/* Receives one batch into fds[]; returns how many arrived or -1. */
static int recv_batch(int sock, int *fds, size_t room, int min_fd,
                      berth_error **err) {
  struct berth_sync_msg m;
  struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
  union {
    char buf[CMSG_SPACE(FDS_PER_MSG * sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = u.buf,
                      .msg_controllen = sizeof(u.buf)};
  ssize_t r;
  do
    r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_error_sys(err, "receive the rootfs from the runtime");
  size_t got = take_fds(&mh, fds, room, min_fd);
  if (r == 0)
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPIPE,
                           "the runtime went away");
  if ((size_t)r < offsetof(struct berth_sync_msg, text) ||
      m.type != BERTH_SYNC_FDS || (mh.msg_flags & MSG_CTRUNC) || m.value < 0 ||
      (size_t)m.value != got) {
    for (size_t j = 0; j < got; j++)
      close(fds[j]);
    return berth_error_set(err, BERTH_ERR_SYSTEM, EPROTO,
                           "bad rootfs message from the runtime");
  }
  return (int)got;
}

static void assign(struct berth_rootfs_fds *out, const struct berth_mount *m,
                   const int *all) {
  size_t k = 0;
  out->rootfs = all[k++];
  for (size_t i = 0; i < out->n; i++)
    if (has_source(&m[i]))
      out->sources[i] = all[k++];
}

/* Every fd of f at min_fd or above. */
static int place_all(struct berth_rootfs_fds *f, int min_fd,
                     berth_error **err) {
  if (f->rootfs >= 0 && (f->rootfs = place_fd(f->rootfs, min_fd)) < 0)
    return berth_error_sys(err, "move an fd above the preserved ones");
  for (size_t i = 0; i < f->n; i++)
    if (f->sources[i] >= 0 &&
        (f->sources[i] = place_fd(f->sources[i], min_fd)) < 0)
      return berth_error_sys(err, "move an fd above the preserved ones");
  return 0;
}

/* The runtime sent none (rootless): open them here, as its user.  An
 * idmapped mount needs privileges over the source's filesystem that such
 * a runtime lacks. */
static int open_here(const char *rootfs, const struct berth_mount *m, size_t n,
                     const char *bundle, int min_fd,
                     struct berth_rootfs_fds *out, berth_error **err) {
  berth_rootfs_fds_close(out);
  for (size_t i = 0; i < n; i++)
    if (m[i].idmap)
      return berth_error_set(err, BERTH_ERR_UNSUPPORTED, EPERM,
                             "mounts[%zu] `%s`: an idmapped mount needs a "
                             "runtime privileged over `%s`",
                             i, m[i].destination, m[i].source);
  if (berth_rootfs_fds_open(rootfs, m, n, bundle, out, err) < 0)
    return -1;
  if (place_all(out, min_fd, err) < 0) {
    berth_rootfs_fds_close(out);
    return -1;
  }
  return 0;
}

int berth_rootfs_fds_recv(int sock, const char *rootfs,
                          const struct berth_mount *m, size_t n,
                          const char *bundle, int min_fd,
                          struct berth_rootfs_fds *out, berth_error **err) {
  size_t total = 1;
  for (size_t i = 0; i < n; i++)
    total += has_source(&m[i]);
  _cleanup_free_ int *all = malloc(total * sizeof(int));
  if (all == NULL || alloc_sources(out, n, err) < 0) {
    if (all == NULL)
      berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "rootfs fds");
    return -1;
  }
  size_t done = 0;
  while (done < total) {
    int got = recv_batch(sock, all + done, total - done, min_fd, err);
    if (got == 0 && done == 0)
      return open_here(rootfs, m, n, bundle, min_fd, out, err);
    if (got <= 0) {
      for (size_t i = 0; i < done; i++)
        close(all[i]);
      berth_rootfs_fds_close(out);
      return got == 0 ? berth_error_set(err, BERTH_ERR_SYSTEM, EPROTO,
                                        "bad rootfs message from the "
                                        "runtime")
                      : -1;
    }
    done += (size_t)got;
  }
  assign(out, m, all);
  return 0;
}
