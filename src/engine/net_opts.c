/* Checks of --ip, --ip6, --network-alias, --mac-address, --add-host,
 * --dns, --dns-search, --dns-option and --hostname, whichever front end
 * built the request.  These values end up in generated files (hosts,
 * resolv.conf) and interface settings: a newline or a space in one would
 * add lines or words nobody asked for. */
#include "net_opts.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ports_spec.h"

static const char *str(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? s : NULL;
}

/* Printable, no spaces: one word of a generated file. */
static bool word(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return false;
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '#' || *s == ';')
      return false;
  return true;
}

/* Docker's "default" and the pre-defined networks are not user defined:
 * they take no address or alias of the user's. */
static bool user_defined(const char *net) {
  return strcmp(net, "default") != 0 && strcmp(net, "bridge") != 0 &&
         strcmp(net, "host") != 0 && strcmp(net, "none") != 0 &&
         strncmp(net, "container:", 10) != 0;
}

static bool shared_netns(const char *mode) {
  return mode && (strcmp(mode, "host") == 0 ||
                  strncmp(mode, "container:", 10) == 0);
}

static int hex(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Six hex pairs separated by all ':' or all '-'. */
static bool mac_form(const char *mac) {
  if (strlen(mac) != 17)
    return false;
  for (int i = 0; i < 17; i++) {
    bool sep = i % 3 == 2;
    if (sep ? mac[i] != mac[2] || (mac[i] != ':' && mac[i] != '-')
            : hex(mac[i]) < 0)
      return false;
  }
  return true;
}

/* xx:xx:xx:xx:xx:xx (or with -), unicast: the kernel refuses a
 * multicast address on an interface. */
static int check_mac(const char *mac, const char *mode, berth_error **err) {
  if (shared_netns(mode))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: mac-address and the network "
                           "mode");
  if (!mac_form(mac))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --mac-address `%s`: %s is not a valid "
                           "mac address",
                           mac, mac);
  if (hex(mac[1]) & 1)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --mac-address `%s`: a multicast address",
                           mac);
  return 0;
}

static int check_ip(const char *ip, int family, berth_error **err) {
  unsigned char buf[16], zero[16] = {0};
  bool ok = inet_pton(family, ip, buf) == 1 &&
            memcmp(buf, zero, family == AF_INET ? 4 : 16) != 0;
  if (!ok)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IPv%c address: %s",
                           family == AF_INET ? '4' : '6', ip);
  return 0;
}

static int check_endpoint(const char *net, json_t *ep, const char *mode,
                          berth_error **err) {
  json_t *ipam = json_object_get(ep, "IPAMConfig");
  const char *v4 = str(ipam, "IPv4Address"), *v6 = str(ipam, "IPv6Address");
  json_t *aliases = json_object_get(ep, "Aliases");
  if ((v4 && check_ip(v4, AF_INET, err) < 0) ||
      (v6 && check_ip(v6, AF_INET6, err) < 0))
    return -1;
  if (str(ep, "MacAddress") && check_mac(str(ep, "MacAddress"), mode, err) < 0)
    return -1;
  size_t i;
  json_t *a;
  json_array_foreach(aliases, i, a) {
    const char *s = json_string_value(a);
    if (!s || !word(s, 255) || strchr(s, '/') || strchr(s, ':'))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --network-alias `%s`: a host name",
                             s ? s : "");
  }
  if (user_defined(net))
    return 0;
  if (v4 || v6)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "user specified IP address is supported on user "
                           "defined networks only");
  if (json_array_size(aliases))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "network-scoped alias is supported only for "
                           "containers in user defined networks");
  return 0;
}

static int check_endpoints(json_t *req, const char *mode, berth_error **err) {
  json_t *nc = json_object_get(req, "NetworkingConfig");
  json_t *eps = json_object_get(nc, "EndpointsConfig");
  if ((nc && !json_is_object(nc) && !json_is_null(nc)) ||
      (eps && !json_is_object(eps) && !json_is_null(eps)))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid NetworkingConfig: an object with "
                           "EndpointsConfig");
  const char *net;
  json_t *ep;
  json_object_foreach(eps, net, ep) {
    if (!json_is_object(ep) ||
        (json_object_get(ep, "Aliases") &&
         !json_is_array(json_object_get(ep, "Aliases")) &&
         !json_is_null(json_object_get(ep, "Aliases"))))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid EndpointsConfig for `%s`", net);
    if (check_endpoint(net, ep, mode, err) < 0)
      return -1;
  }
  return 0;
}

/* "host:ip", split at the first colon (an IPv6 address has more). */
static int check_extra_host(const char *h, const char *mode,
                            berth_error **err) {
  const char *colon = strchr(h, ':');
  char name[256];
  if (!colon || colon == h || (size_t)(colon - h) >= sizeof name)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "bad format for add-host: \"%s\"", h);
  snprintf(name, sizeof name, "%.*s", (int)(colon - h), h);
  if (!word(name, 255))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "bad format for add-host: \"%s\"", h);
  const char *ip = colon + 1;
  if (strcmp(ip, "host-gateway") == 0) {
    /* Nothing to reach without a network: the name would lead nowhere. */
    if (mode && strcmp(mode, "none") == 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --add-host \"%s\": host-gateway needs "
                             "a network (not --network none)",
                             h);
    return 0;
  }
  if (!berth_ip_family(ip, NULL))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid IP address in add-host: \"%s\"", ip);
  return 0;
}

/* A domain: labels of letters, digits and inner hyphens (Docker's rule),
 * at most 255 characters, a trailing dot allowed; "." alone means no
 * search domains. */
static bool domain(const char *d) {
  size_t n = strlen(d), label = 0;
  if (strcmp(d, ".") == 0)
    return true;
  if (n == 0 || n > 255)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = d[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9');
    if (c == '.') {
      if (label == 0 || d[i - 1] == '-')
        return false;
      label = 0;
    } else if (alnum || (c == '-' && label > 0)) {
      label++;
    } else {
      return false;
    }
  }
  return d[n - 1] != '-';
}

static int check_list(json_t *hc, const char *key, const char *flag,
                      int (*ok)(const char *), const char *what,
                      berth_error **err) {
  json_t *l = json_object_get(hc, key), *v;
  size_t i;
  if (l && !json_is_array(l) && !json_is_null(l))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid %s: a list",
                           key);
  json_array_foreach(l, i, v) {
    const char *s = json_string_value(v);
    if (!s || !ok(s))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid %s `%s`: %s", flag, s ? s : "", what);
  }
  return 0;
}

static int ip_ok(const char *s) { return berth_ip_family(s, NULL); }
static int domain_ok(const char *s) { return domain(s); }
static int option_ok(const char *s) { return word(s, 255); }

static int check_hostname(json_t *req, berth_error **err) {
  const char *h = str(req, "Hostname");
  /* sethostname(2) takes at most 64 bytes (__NEW_UTS_LEN); the name is a
   * word of /etc/hosts. */
  if (h && (!word(h, 64) || strchr(h, '/')))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --hostname `%s`: at most 64 printable "
                           "characters, no spaces",
                           h);
  return 0;
}

int berth_net_opts_check(json_t *req, berth_error **err) {
  json_t *hc = json_object_get(req, "HostConfig");
  const char *mode = str(hc, "NetworkMode");
  bool joined = mode && strncmp(mode, "container:", 10) == 0;
  if (check_hostname(req, err) < 0 || check_endpoints(req, mode, err) < 0 ||
      (str(req, "MacAddress") &&
       check_mac(str(req, "MacAddress"), mode, err) < 0))
    return -1;
  if (check_list(hc, "Dns", "--dns", ip_ok, "not an IP address", err) < 0 ||
      check_list(hc, "DnsSearch", "--dns-search", domain_ok,
                 "not a valid domain", err) < 0 ||
      check_list(hc, "DnsOptions", "--dns-option", option_ok,
                 "one word of printable characters", err) < 0 ||
      check_list(hc, "ExtraHosts", "--add-host", option_ok,
                 "bad format for add-host", err) < 0)
    return -1;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(hc, "ExtraHosts"), i, v) {
    if (check_extra_host(json_string_value(v), mode, err) < 0)
      return -1;
  }
  /* Docker's rules: another container's namespace has its files. */
  if (joined && json_array_size(json_object_get(hc, "Dns")))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: dns and the network mode");
  if (joined && json_array_size(json_object_get(hc, "ExtraHosts")))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: custom host-to-IP mapping "
                           "and the network mode");
  return 0;
}
