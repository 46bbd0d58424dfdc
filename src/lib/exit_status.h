/* The exit status a front end reports for an error: the one table that
 * turns an error's kind (and errno) into Docker's statuses.
 *
 * Docker's contract (docker run reference, "Exit status"): 125 when the
 * engine itself fails, 126 when the contained command cannot be invoked,
 * 127 when it cannot be found, otherwise the command's own status.  The
 * kind travels with the error from the container's init, across the sync
 * channel, to the engine and both CLIs; no caller looks at message text. */
#ifndef BERTH_LIB_EXIT_STATUS_H
#define BERTH_LIB_EXIT_STATUS_H

#include "error.h"

#define BERTH_EXIT_ENGINE 125    /* berth itself failed (docker run's) */
#define BERTH_EXIT_CANNOT_RUN 126 /* the command cannot be invoked */
#define BERTH_EXIT_NOT_FOUND 127 /* the command was not found */

/* 126 or 127 when err says the container's process could not be started
 * (its program or working directory); 0 for any other error or none. */
int berth_exit_status_of_start(const berth_error *err);
/* The status to exit with for err: the table's 126/127, else `other`,
 * which each front end chooses for its own failures (berth run and
 * create: 125; berth exec: 1, as docker exec; berth-runtime: 1, as
 * runc). */
int berth_exit_status(const berth_error *err, int other);

#endif
