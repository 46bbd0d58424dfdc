/* berth system check: finds what crashes left behind and, with repair,
 * removes it.  Each finding is reported as one line. */
#ifndef BERTH_ENGINE_CHECK_H
#define BERTH_ENGINE_CHECK_H

#include <stdbool.h>

#include "engine.h"

typedef void (*berth_check_report_fn)(const char *finding, bool repaired,
                                      void *data);

/* Checks (and with repair fixes):
 *  - records of running containers whose init is gone (recorded as exited,
 *    runtime state and cgroups removed);
 *  - records without a container directory (removed);
 *  - container directories without a record (removed);
 *  - runtime state of containers that are not running (deleted);
 *  - cgroups of no running container under /berth, under cgroup_parent
 *    (may be NULL) and under the parents containers record (removed);
 *  - networking: veths, published ports and firewall rules of no running
 *    container or network (net_check.h).
 * *problems gets how many findings there were. */
int berth_system_check(struct berth_engine *e, bool repair,
                       const char *cgroup_parent,
                       berth_check_report_fn report, void *data,
                       int *problems, berth_error **err);

#endif
