/* The engine's checks of a create request, before anything is made. */
#include "create_check.h"

#include <string.h>

#include "containers.h"
#include "flags.h"
#include "net_opts.h"
#include "networks.h"
#include "ns_share.h"
#include "ports.h"
#include "resources.h"

static const char *str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : NULL;
}

static bool has_ctl(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return true;
  return false;
}

/* NetworkMode: unset and "default" mean Docker's default bridge; bridge,
 * a user network (by name or id: it must exist), none, host and
 * container:NAME (an existing container; joining its namespace at start
 * is ctr_net's) are taken. */
static int check_network(struct berth_engine *e, json_t *hc,
                         berth_error **err) {
  const char *net = str(hc, "NetworkMode");
  if (!net || strcmp(net, "default") == 0) {
    json_object_set_new(hc, "NetworkMode", json_string(BERTH_NET_DEFAULT));
    net = BERTH_NET_DEFAULT;
  }
  if (strcmp(net, "none") == 0 || strcmp(net, "host") == 0)
    return 0;
  if (strncmp(net, "container:", 10) == 0) {
    _cleanup_ctr_ struct berth_ctr *c = NULL;
    if (!net[10])
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --network `%s`: container: needs a "
                             "name or id",
                             net);
    return berth_ctr_find(e->db, net + 10, &c, err);
  }
  return berth_network_find(e, net, NULL, err);
}

/* --network container:X takes X's names and resolvers: Docker refuses
 * to set them apart. */
static int check_joined_net(json_t *req, berth_error **err) {
  json_t *hc = json_object_get(req, "HostConfig");
  const char *net = str(hc, "NetworkMode");
  if (!net || strncmp(net, "container:", 10) != 0)
    return 0;
  const char *what = str(req, "Hostname")                        ? "hostname"
                     : json_array_size(json_object_get(hc, "Dns")) ? "dns"
                     : json_array_size(json_object_get(hc, "ExtraHosts"))
                         ? "links"
                         : NULL;
  if (what)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: %s and the network mode",
                           what);
  return 0;
}

/* The parent becomes a path under every cgroup hierarchy: a relative
 * path or a `..` could place the container's cgroup (and its limits)
 * anywhere in the host's tree. */
static int check_cgroup_parent(json_t *hc, berth_error **err) {
  const char *p = str(hc, "CgroupParent");
  if (p && (p[0] != '/' || strstr(p, "..") || has_ctl(p)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --cgroup-parent `%s`: an absolute path "
                           "without `..`",
                           p);
  return 0;
}

static int check_userns(json_t *hc, berth_error **err) {
  const char *u = str(hc, "UsernsMode");
  if (u && strcmp(u, "host") != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --userns `%s`: only host (to opt out of "
                           "the per-container user namespace)",
                           u);
  return 0;
}

static int check_config(json_t *req, berth_error **err) {
  const char *wd = str(req, "WorkingDir");
  if (wd && (wd[0] != '/' || has_ctl(wd)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --workdir `%s`: must be absolute", wd);
  /* setdomainname(2) takes at most 64 bytes (__NEW_UTS_LEN). */
  const char *dn = str(req, "Domainname");
  if (dn && (strlen(dn) > 64 || has_ctl(dn)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --domainname `%s`: at most 64 "
                           "printable characters",
                           dn);
  return 0;
}

/* Names are looked up in the container's /etc/group at start; what can
 * be checked now is the form. */
static int check_group_add(json_t *hc, berth_error **err) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hc, "GroupAdd"), i, v) {
    const char *g = json_string_value(v);
    if (!g || !*g || strchr(g, ':') || has_ctl(g) || strlen(g) > 256)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --group-add `%s`: a group name or id",
                             g ? g : "");
  }
  return 0;
}

static bool ipc_sysctl(const char *k) {
  return strncmp(k, "kernel.msg", 10) == 0 ||
         strncmp(k, "kernel.sem", 10) == 0 ||
         strncmp(k, "kernel.shm", 10) == 0 || strncmp(k, "fs.mqueue.", 10) == 0;
}

/* An IPC sysctl written in the host's IPC namespace, or in another
 * container's, would change what is not this container's. */
/* Every front end's sysctls: namespaced ones only, net.* only in the
 * container's own network namespace, IPC ones only in its own IPC
 * namespace (a write in a joined one would change the host's or
 * another container's). */
static int check_sysctls(json_t *hc, berth_error **err) {
  enum berth_ns_mode m;
  if (berth_ns_mode(hc, "IpcMode", &m, NULL, err) < 0)
    return -1;
  const char *net = str(hc, "NetworkMode");
  bool own_netns = !net || strcmp(net, "host") != 0;
  bool own_ipc = m != BERTH_NSMODE_HOST && m != BERTH_NSMODE_CONTAINER;
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(hc, "Sysctls"), k, v) {
    if (!json_is_string(v))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid sysctl `%s`: the value is not a string",
                             k);
    if (berth_sysctl_check(k, json_string_value(v), own_netns, err) < 0)
      return -1;
    if (!own_ipc && ipc_sysctl(k))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --sysctl `%s`: IPC sysctls need the "
                             "container's own IPC namespace (not --ipc %s)",
                             k, str(hc, "IpcMode"));
  }
  return 0;
}

int berth_create_check(struct berth_engine *e, json_t *req,
                       berth_error **err) {
  if (berth_create_types_check(req, err) < 0)
    return -1;
  json_t *hc = json_object_get(req, "HostConfig");
  if (!json_is_object(hc)) {
    hc = json_object();
    json_object_set_new(req, "HostConfig", hc);
  }
  /* The engine's default parent is checked as a caller's would be. */
  if (!str(hc, "CgroupParent") && e->cgroup_parent)
    json_object_set_new(hc, "CgroupParent", json_string(e->cgroup_parent));
  if (check_network(e, hc, err) < 0 || check_joined_net(req, err) < 0 ||
      check_cgroup_parent(hc, err) < 0 ||
      check_userns(hc, err) < 0 || check_config(req, err) < 0 ||
      check_group_add(hc, err) < 0 || check_sysctls(hc, err) < 0 ||
      berth_resources_check(hc, err) < 0 ||
      berth_ns_modes_check(e, hc, err) < 0 ||
      berth_ports_check(req, err) < 0 || berth_net_opts_check(req, err) < 0)
    return -1;
  return 0;
}
