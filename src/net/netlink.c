/* The rtnetlink socket: opening it (here or in another network
 * namespace), one request and its answer, and errors that carry the
 * kernel's errno and its extended-ack text. */
#include "netlink_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

int berth_nl_open(struct berth_nl **out, berth_error **err) {
  struct berth_nl *nl = calloc(1, sizeof(*nl));
  if (nl == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "netlink socket");
  nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sock == NULL || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    berth_error_sys(err, "netlink socket");
    berth_nl_close(nl);
    return -1;
  }
  /* Best effort: the kernel's own words for a refusal ("Nexthop has
   * invalid gateway") and acks without a copy of the request. */
  int on = 1;
  (void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &on, sizeof(on));
  (void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &on, sizeof(on));
  *out = nl;
  return 0;
}

void berth_nl_close(struct berth_nl *nl) {
  if (nl == NULL)
    return;
  if (nl->sock)
    mnl_socket_close(nl->sock);
  free(nl);
}

/* A socket belongs to the namespace it was made in, so one made while the
 * thread is inside netns_fd keeps acting there after the thread returns.
 * thread-self, not self: setns moves only the calling thread, and the
 * thread's namespace is what must be restored. */
int nl_open_in(int netns_fd, struct berth_nl **out, berth_error **err) {
  _cleanup_close_ int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0)
    return berth_error_sys(err, "open the thread's network namespace");
  if (setns(netns_fd, CLONE_NEWNET) < 0)
    return berth_error_sys(err, "enter the container's network namespace");
  int rc = berth_nl_open(out, err);
  if (setns(home, CLONE_NEWNET) < 0) {
    if (rc == 0)
      berth_nl_close(*out);
    *out = NULL;
    return berth_error_sys(err, "return to the caller's network namespace "
                                "(this thread is left in the container's)");
  }
  return rc;
}

struct nlmsghdr *nl_msg(struct berth_nl *nl, uint16_t type, uint16_t flags) {
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  nlh->nlmsg_seq = ++nl->seq;
  return nlh;
}

/* The extended ack's text, when the kernel gave one (NLM_F_ACK_TLVS). */
static void keep_extack(struct berth_nl *nl, const struct nlmsghdr *h) {
  const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
  size_t off = sizeof(*e);
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
    return;
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) /* the request precedes the TLVs */
    off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
  if (off >= mnl_nlmsg_get_payload_len(h))
    return;
  const struct nlattr *a;
  mnl_attr_for_each(a, h, off) {
    if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
        mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
      snprintf(nl->extack, sizeof(nl->extack), "%s", mnl_attr_get_str(a));
      return;
    }
  }
}

enum { MORE = 1 }; /* answer() before the request's end */

/* One answer message: MORE, or the request's outcome (0 / -errno). */
static int answer(struct berth_nl *nl, const struct nlmsghdr *h, uint32_t seq,
                  int (*cb)(const struct nlmsghdr *, void *), void *data,
                  int *cb_rc) {
  if (h->nlmsg_seq != seq)
    return MORE; /* a late answer to an abandoned request */
  if (h->nlmsg_type == NLMSG_ERROR) {
    const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
    if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
      return -EBADMSG;
    if (e->error > 0)
      return -EPROTO; /* the kernel only ever sends -errno */
    if (e->error < 0)
      keep_extack(nl, h);
    return e->error < 0 ? e->error : *cb_rc;
  }
  if (h->nlmsg_type == NLMSG_DONE) {
    const int *e = mnl_nlmsg_get_payload(h);
    if (h->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && *e < 0)
      return *e;
    return *cb_rc;
  }
  if (cb && *cb_rc == 0)
    *cb_rc = cb(h, data); /* after a failure, drain to the end anyway */
  return MORE;
}

int nl_talk(struct berth_nl *nl, struct nlmsghdr *nlh,
            int (*cb)(const struct nlmsghdr *, void *), void *data) {
  uint32_t seq = nlh->nlmsg_seq;
  nl->extack[0] = '\0';
  if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
    return -errno;
  int cb_rc = 0;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(h, len);
         h = mnl_nlmsg_next(h, &len)) {
      int rc = answer(nl, h, seq, cb, data, &cb_rc);
      if (rc != MORE)
        return rc;
    }
  }
}

static berth_error_kind kind_of(int e) {
  switch (e) {
  case EEXIST:
    return BERTH_ERR_EXISTS;
  case ENODEV:
  case ENOENT:
    return BERTH_ERR_NOT_FOUND;
  default:
    return BERTH_ERR_SYSTEM;
  }
}

/* "<what>: <strerror> (<the kernel's explanation>)", errno kept. */
int nl_fail(struct berth_nl *nl, berth_error **err, int neg_errno,
            const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  int e = -neg_errno;
  if (nl == NULL || nl->extack[0] == '\0' || err == NULL || *err != NULL)
    return berth_error_set(err, kind_of(e), e, "%s", what);
  berth_error_set(err, kind_of(e), 0, "%s: %s (%s)", what, strerror(e), nl->extack);
  if (*err)
    (*err)->errno_value = e;
  return -1;
}

int nl_check_ifname(const char *name, const char *what, berth_error **err) {
  if (name == NULL || name[0] == '\0')
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "%s: empty interface name",
                           what);
  if (strlen(name) >= IFNAMSIZ)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s `%s`: interface name longer than %d characters",
                           what, name, IFNAMSIZ - 1);
  /* The kernel's rules (dev_valid_name), which also keep the name one
   * component of a /proc/sys path. */
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
      strpbrk(name, "/: \t\n\r\v\f") != NULL)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "%s `%s`: not a valid interface name", what, name);
  return 0;
}
