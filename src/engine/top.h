/* GET /containers/{id}/top: the container's processes as ps shows them. */
#ifndef BERTH_ENGINE_TOP_H
#define BERTH_ENGINE_TOP_H

#include <jansson.h>

#include "engine.h"

/* Runs the host's `ps` with ps_args (split at spaces, as Docker; NULL or
 * empty: "-ef") and keeps the lines of the container's processes:
 * {"Titles": [ps's header fields], "Processes": [[fields], ...]}, the last
 * field of a row being the rest of its line (the command with its
 * arguments).  NOT_FOUND for an unknown container, STATE when it is not
 * running or paused; an error when ps fails or shows no PID column. */
int berth_ctr_top(struct berth_engine *e, const char *ref,
                  const char *ps_args, json_t **out, berth_error **err);

/* The same from ps's output and the container's pids (what the above
 * does after running ps): exposed for tests. */
int berth_top_parse(const char *ps_out, const pid_t *pids, size_t n,
                    json_t **out, berth_error **err);

#endif
