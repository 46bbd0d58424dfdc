/* The monitor's helpers: `berth _exited`, `_restart` and `_health`, run
 * by a container's monitor (src/monitor), never by users. */

#include <stdlib.h>

#include "berth.h"
#include "engine.h"
#include "health.h"
#include "lifecycle.h"
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
