/* The event log (table events): what `berth events` shows, and the exit
 * statuses of containers that are gone. */
#ifndef BERTH_ENGINE_EVENTS_H
#define BERTH_ENGINE_EVENTS_H

#include <jansson.h>

#include "db.h"
#include "error.h"

/* Records an event (type "container", action "start", actor id).  Without
 * attributes, a container's event gets its name and image, as Docker's. */
int berth_event_add(struct berth_db *db, const char *type, const char *action,
                    const char *actor, json_t *attributes, berth_error **err);
/* A container's "die" event, with Docker's exitCode attribute: it keeps
 * the exit status once an auto-removed container's record is gone. */
int berth_event_add_die(struct berth_db *db, const char *id, int exit_code,
                        berth_error **err);
/* The exit status of a container that has no record any more (removed,
 * e.g. by --rm, after it exited), from its last "die" event: by full id,
 * name or unique id prefix, as berth_ctr_find.  Returns 1 and fills id
 * and *code when found, 0 when the log has no such container. */
int berth_event_last_exit(struct berth_db *db, const char *ref, char id[65],
                          int *code, berth_error **err);

#endif
