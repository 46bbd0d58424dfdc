/* The monitor's helpers: `berth _exited`, `_restart` and `_health`, run
 * by a container's monitor (src/monitor), never by users; and `berth
 * __dns`, a network's name server, started by the engine. */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "berth.h"
#include "engine.h"
#include "health.h"
#include "lifecycle.h"
#include "netdns.h"
#include "restart.h"
#include "start.h"

/* `berth _exited ID CODE`, run by the monitor: 10 asks for a restart. */
int cmd_exited(struct berth_cli *cli, int argc, char **argv) {
  if (argc != 2)
    return 2;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  berth_error *err = NULL;
  int rc = berth_ctr_exited(e, argv[0], atoi(argv[1]), false, &err);
  if (rc < 0)
    return cli_error(err, 1);
  return rc;
}

/* `berth _restart ID [CONSOLE_SOCKET]`, run by the monitor with the new
 * container's stdio as ours (or a console socket for a terminal) and fd 3
 * to report its pid on. */
int cmd_restart_child(struct berth_cli *cli, int argc, char **argv) {
  if (argc != 1 && argc != 2)
    return 2;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  berth_error *err = NULL;
  if (berth_ctr_restart_child(e, argv[0], 3, argc == 2 ? argv[1] : NULL,
                              &err) < 0)
    return cli_error(err, 1);
  return 0;
}

/* `berth _health ID`, started by the monitor every interval. */
int cmd_health(struct berth_cli *cli, int argc, char **argv) {
  if (argc != 1)
    return 2;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  berth_error *err = NULL;
  if (berth_ctr_health_run(e, argv[0], &err) < 0)
    return cli_error(err, 1);
  return 0;
}

/* `berth __dns NETWORK_ID [READY_FD]` serves a network's names (started by
 * berth_netdns_ensure, which waits on READY_FD); `berth __dns --ensure
 * NETWORK_ID` makes sure one runs, as starting a container does. */
int cmd_dns(struct berth_cli *cli, int argc, char **argv) {
  bool ensure = argc > 0 && strcmp(argv[0], "--ensure") == 0;
  argc -= ensure;
  argv += ensure;
  if (argc < 1 || argc > 2 || (ensure && argc != 1))
    return 2;
  int ready = argc == 2 ? atoi(argv[1]) : -1;
  if (argc == 2 && ready < 3)
    return 2;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  berth_error *err = NULL;
  if (ensure)
    return berth_netdns_ensure_id(e, argv[0], &err) < 0 ? cli_error(err, 1)
                                                         : 0;
  /* SIGTERM and ^C end the loop through a descriptor it polls. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int rc = berth_netdns_serve(e, argv[0], sfd, ready, &err);
  if (sfd >= 0)
    close(sfd);
  return rc < 0 ? cli_error(err, 1) : 0;
}
