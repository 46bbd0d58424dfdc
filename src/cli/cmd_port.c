/* berth port: a container's published ports (none yet: no network
 * mode of berth publishes any). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "containers.h"
#include "engine.h"

int cmd_port(struct berth_cli *cli, int argc, char **argv) {
  char *pos[2];
  size_t npos;
  if (cli_args("port", argc, argv, NULL, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "port: requires at least 1 argument");
  char port[64] = "";
  if (npos == 2) {
    char *end;
    long p = strtol(pos[1], &end, 10);
    const char *proto = *end == '/' ? end + 1 : "tcp";
    if (end == pos[1] || p < 1 || p > 65535 || (*end && *end != '/') ||
        (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
      return cli_errorf(EXIT_USAGE, "port: invalid port `%s`", pos[1]);
    snprintf(port, sizeof port, "%ld/%s", p, proto);
  }
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  berth_error *err = NULL;
  if (berth_ctr_find(e->db, pos[0], &c, &err) < 0)
    return cli_error(err, 1);
  /* No network mode of berth publishes ports yet (none and host): there
   * is never a mapping to show. */
  if (*port)
    return cli_errorf(1, "no public port '%s' published for %s", port, pos[0]);
  return 0;
}

