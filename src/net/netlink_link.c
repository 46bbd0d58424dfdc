/* Links by name: look one up, bring it up, delete it, list a prefix. */
#include "netlink_internal.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

/* A request about the link called name (the kernel looks it up by
 * IFLA_IFNAME when ifi_index is 0). */
static struct nlmsghdr *link_msg(struct berth_nl *nl, uint16_t type,
                                 uint16_t flags, const char *name) {
  struct nlmsghdr *nlh = nl_msg(nl, type, flags);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  if (name)
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  /* Counters are the bulk of a link message and nobody here reads them. */
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nlh;
}

static void read_kind(const struct nlattr *linkinfo, struct nl_link *out) {
  const struct nlattr *a;
  mnl_attr_for_each_nested(a, linkinfo) {
    if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
        mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
      snprintf(out->kind, sizeof(out->kind), "%.*s",
               (int)mnl_attr_get_payload_len(a), mnl_attr_get_str(a));
  }
}

static int link_cb(const struct nlmsghdr *h, void *data) {
  struct nl_link *out = data;
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
  if (h->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(h) < sizeof(*ifi))
    return 0;
  out->index = ifi->ifi_index;
  out->flags = ifi->ifi_flags;
  const struct nlattr *a;
  mnl_attr_for_each(a, h, sizeof(*ifi)) {
    if (mnl_attr_get_type(a) == IFLA_LINKINFO)
      read_kind(a, out);
  }
  return 0;
}

int nl_link_get(struct berth_nl *nl, const char *name, struct nl_link *out) {
  *out = (struct nl_link){0};
  int rc = nl_talk(nl, link_msg(nl, RTM_GETLINK, 0, name), link_cb, out);
  if (rc == 0 && out->index <= 0)
    return -ENODEV;
  return rc;
}

int nl_link_up(struct berth_nl *nl, const char *name) {
  struct nlmsghdr *nlh = link_msg(nl, RTM_NEWLINK, 0, name);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_del(struct berth_nl *nl, const char *name) {
  return nl_talk(nl, link_msg(nl, RTM_DELLINK, 0, name), NULL, NULL);
}

int berth_nl_link_delete(struct berth_nl *nl, const char *name,
                         berth_error **err) {
  if (nl_check_ifname(name, "delete link", err) < 0)
    return -1;
  int rc = nl_link_del(nl, name);
  if (rc < 0 && rc != -ENODEV)
    return nl_fail(nl, err, rc, "delete link `%s`", name);
  return 0;
}

int berth_nl_link_exists(struct berth_nl *nl, const char *name,
                         berth_error **err) {
  if (nl_check_ifname(name, "look up link", err) < 0)
    return -1;
  struct nl_link l;
  int rc = nl_link_get(nl, name, &l);
  if (rc == -ENODEV)
    return 0;
  if (rc < 0)
    return nl_fail(nl, err, rc, "look up link `%s`", name);
  return 1;
}

struct name_list {
  const char *prefix;
  char **v;
  size_t n, cap;
};

static int list_cb(const struct nlmsghdr *h, void *data) {
  struct name_list *l = data;
  const struct nlattr *a;
  if (h->nlmsg_type != RTM_NEWLINK)
    return 0;
  mnl_attr_for_each(a, h, sizeof(struct ifinfomsg)) {
    if (mnl_attr_get_type(a) != IFLA_IFNAME ||
        mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
        strncmp(mnl_attr_get_str(a), l->prefix, strlen(l->prefix)) != 0)
      continue;
    if (l->n + 2 > l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 8;
      char **v = realloc(l->v, cap * sizeof(*v));
      if (v == NULL)
        return -ENOMEM;
      l->v = v;
      l->cap = cap;
    }
    if ((l->v[l->n] = strdup(mnl_attr_get_str(a))) == NULL)
      return -ENOMEM;
    l->v[++l->n] = NULL;
  }
  return 0;
}

int berth_nl_link_list(struct berth_nl *nl, const char *prefix, char ***names,
                       berth_error **err) {
  struct name_list l = {.prefix = prefix ? prefix : ""};
  int rc = nl_talk(nl, link_msg(nl, RTM_GETLINK, NLM_F_DUMP, NULL), list_cb, &l);
  if (rc == 0 && l.v == NULL && (l.v = calloc(1, sizeof(char *))) == NULL)
    rc = -ENOMEM;
  if (rc < 0) {
    berth_strv_free(l.v);
    return nl_fail(nl, err, rc, "list links");
  }
  *names = l.v;
  return 0;
}
