/* A container's /etc files written from its record, its endpoints and
 * the host's files (the text is etc_files.c's). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "create.h"
#include "etc_files.h"
#include "fs.h"
#include "networks.h"

struct gathered {
  struct berth_etc_input in;
  struct berth_endpoint *eps;
  size_t n_eps;
  struct berth_network net;
  const char *addrs[32];
  char *host_hosts, *host_resolv;
};

static void gathered_clear(struct gathered *g) {
  berth_endpoints_free(g->eps, g->n_eps);
  berth_network_clear(&g->net);
  free(g->host_hosts);
  free(g->host_resolv);
}

static const char *cfg_str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

/* The first user network, else the first network: a container started on
 * the default bridge and connected to a user network resolves through
 * that network's name server, as Docker's embedded DNS takes over when
 * such a container joins a user network. */
static int pick_net(struct berth_engine *e, struct gathered *g,
                    berth_error **err) {
  for (size_t i = 0; i < g->n_eps; i++) {
    berth_network_clear(&g->net);
    if (berth_network_find(e, g->eps[i].network_id, &g->net, err) < 0)
      return -1;
    if (strcmp(g->net.name, BERTH_NET_DEFAULT) != 0)
      break;
  }
  g->in.gateway = g->net.gateway;
  g->in.net = strcmp(g->net.name, BERTH_NET_DEFAULT) == 0 ? BERTH_ETC_BRIDGE
                                                           : BERTH_ETC_USER;
  return 0;
}

static int gather(struct berth_engine *e, const struct berth_ctr *c,
                  struct gathered *g, berth_error **err) {
  json_t *hc = json_object_get(c->config, "HostConfig");
  const char *mode = cfg_str(hc, "NetworkMode");
  struct berth_etc_input *in = &g->in;
  in->hostname = cfg_str(c->config, "Hostname");
  in->domainname = cfg_str(c->config, "Domainname");
  in->extra_hosts = json_object_get(hc, "ExtraHosts");
  in->dns = json_object_get(hc, "Dns");
  in->dns_search = json_object_get(hc, "DnsSearch");
  in->dns_options = json_object_get(hc, "DnsOptions");
  in->net = strcmp(mode, "host") == 0 ? BERTH_ETC_HOST : BERTH_ETC_NONE;
  /* Unreadable host files: the defaults above, as with an empty file. */
  berth_read_file(AT_FDCWD, "/etc/hosts", 1 << 20, &g->host_hosts, NULL, NULL);
  berth_read_file(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &g->host_resolv,
                  NULL, NULL);
  in->host_hosts = g->host_hosts;
  in->host_resolv = g->host_resolv;
  if (in->net == BERTH_ETC_HOST)
    return 0;
  if (berth_endpoints_of(e, c->id, &g->eps, &g->n_eps, err) < 0)
    return -1;
  for (size_t i = 0; i < g->n_eps && in->n_addrs + 2 <= 32; i++) {
    if (g->eps[i].ip)
      g->addrs[in->n_addrs++] = g->eps[i].ip;
    if (g->eps[i].ip6) {
      g->addrs[in->n_addrs++] = g->eps[i].ip6;
      in->ipv6 = true;
    }
  }
  in->addrs = g->addrs;
  return g->n_eps ? pick_net(e, g, err) : 0;
}

int berth_etc_files_write(struct berth_engine *e, const struct berth_ctr *c,
                          berth_error **err) {
  struct gathered g = {0};
  char dir[4096], path[4200], hn[300];
  _cleanup_free_ char *hosts = NULL, *resolv = NULL;
  int rc = gather(e, c, &g, err);
  if (rc == 0)
    rc = berth_etc_hosts(&g.in, &hosts, err);
  if (rc == 0)
    rc = berth_etc_resolv(&g.in, &resolv, err);
  snprintf(hn, sizeof hn, "%s\n", g.in.hostname ? g.in.hostname : "");
  gathered_clear(&g);
  if (rc < 0)
    return -1;
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  const char *names[] = {"hosts", "hostname", "resolv.conf"};
  const char *data[] = {hosts, hn, resolv};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (berth_write_file_replace(path, data[i], strlen(data[i]), 0644, err) < 0)
      return -1;
    if (c->id_base && chown(path, c->id_base, c->id_base) < 0)
      return berth_error_sys(err, "chown `%s`", path);
  }
  return 0;
}

/* Same inode, new content: O_NOFOLLOW and no O_CREAT, so a file the
 * container's root may write (it owns it) is only ever rewritten, never
 * followed or made elsewhere. */
static int write_in_place(const char *path, const char *data,
                          berth_error **err) {
  _cleanup_close_ int fd =
      open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  size_t len = strlen(data);
  for (size_t off = 0; off < len;) {
    ssize_t n = write(fd, data + off, len - off);
    if (n < 0)
      return berth_error_sys(err, "write `%s`", path);
    off += (size_t)n;
  }
  return 0;
}

int berth_etc_net_update(struct berth_engine *e, const struct berth_ctr *c,
                         berth_error **err) {
  struct gathered g = {0};
  char dir[4096], path[4200];
  _cleanup_free_ char *hosts = NULL, *resolv = NULL;
  int rc = gather(e, c, &g, err);
  if (rc == 0)
    rc = berth_etc_hosts(&g.in, &hosts, err);
  if (rc == 0)
    rc = berth_etc_resolv(&g.in, &resolv, err);
  gathered_clear(&g);
  if (rc < 0)
    return -1;
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  snprintf(path, sizeof path, "%s/hosts", dir);
  if (write_in_place(path, hosts, err) < 0)
    return -1;
  snprintf(path, sizeof path, "%s/resolv.conf", dir);
  return write_in_place(path, resolv, err);
}
