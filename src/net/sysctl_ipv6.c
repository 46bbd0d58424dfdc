/* IPv6 forwarding, turned on without taking the host's routers away.
 *
 * Writing conf/all/forwarding sets every interface's (and default's)
 * forwarding; an interface that forwards ignores router advertisements
 * unless its accept_ra is 2, and the kernel purges the default routes
 * learnt from them when forwarding goes on (ip-sysctl.rst, accept_ra and
 * forwarding).  Docker leaves that to the administrator (moby#43466);
 * like LXD, berth moves the interfaces that accept them to 2 first,
 * which keeps each one's behaviour as it was. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "netlink.h"

/* accept_ra 1 and forwarding 0: it takes router advertisements today. */
static int keep_ra(const char *ifname, berth_error **err) {
  char ra[128], fwd[128], v_ra[16], v_fwd[16];
  snprintf(ra, sizeof ra, "net/ipv6/conf/%s/accept_ra", ifname);
  snprintf(fwd, sizeof fwd, "net/ipv6/conf/%s/forwarding", ifname);
  /* An interface gone meanwhile is no error. */
  if (berth_sysctl_read(ra, v_ra, sizeof v_ra, NULL) < 0 ||
      berth_sysctl_read(fwd, v_fwd, sizeof v_fwd, NULL) < 0)
    return 0;
  if (strcmp(v_ra, "1") != 0 || strcmp(v_fwd, "0") != 0)
    return 0;
  return berth_sysctl_ensure(ra, "2", err);
}

/* "all" and "default" are not interfaces: accept_ra there changes no
 * existing one, and default's would give 2 to bridges made later
 * (another engine's too), whose containers could then send them. */
static bool is_interface(const char *name) {
  return name[0] != '.' && strcmp(name, "all") != 0 &&
         strcmp(name, "default") != 0 && strlen(name) < 64;
}

int berth_sysctl_ipv6_forwarding_on(berth_error **err) {
  const char *all = "net/ipv6/conf/all/forwarding";
  char cur[16];
  if (berth_sysctl_read(all, cur, sizeof cur, err) < 0)
    return -1;
  if (strcmp(cur, "0") != 0)
    return 0;
  DIR *d = opendir("/proc/sys/net/ipv6/conf");
  if (d == NULL)
    return berth_error_sys(err, "list /proc/sys/net/ipv6/conf");
  int rc = 0;
  for (struct dirent *de; rc == 0 && (de = readdir(d)) != NULL;)
    if (is_interface(de->d_name))
      rc = keep_ra(de->d_name, err);
  closedir(d);
  return rc < 0 ? -1 : berth_sysctl_ensure(all, "1", err);
}
