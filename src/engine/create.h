/* Creating and removing containers: the record, its host id range and
 * its directory.  No process runs until start. */
#ifndef BERTH_ENGINE_CREATE_H
#define BERTH_ENGINE_CREATE_H

#include "engine.h"

/* Creates a container from image_id (already resolved; image_name is the
 * normalised name the user gave, for display) and the request `req`
 * (Docker Engine API ContainerCreate body: Config fields plus HostConfig;
 * borrowed).  The image's config fills what the request leaves unset
 * (Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, Healthcheck,
 * ExposedPorts, Volumes, Labels) as Docker does.  name may be NULL (a
 * generated one).  id gets the new id.  On failure nothing is left. */
int berth_ctr_new(struct berth_engine *e, const char *image_id,
                        const char *image_name, json_t *req,
                        const char *name, char id[65], berth_error **err);

/* The same for a build step's container (src/build): the image's
 * VOLUMEs get no volumes, so what a RUN writes there stays in the
 * container's upper directory and so in the step's layer, as with
 * BuildKit (a volume would take it away from the image). */
int berth_ctr_new_build(struct berth_engine *e, const char *image_id,
                        json_t *req, const char *name, char id[65],
                        berth_error **err);

/* Removes a stopped container: record, id range, directory, log, its
 * use of volumes and, with `volumes` (rm -v, --rm), its anonymous
 * volumes.  The caller has checked the state (see berth_ctr_remove). */
int berth_ctr_destroy(struct berth_engine *e, const char *id, bool volumes,
                      berth_error **err);
/* The same, but the directory is only renamed to berth_ctr_trash_dir() and
 * left for the caller to delete (the container's monitor does, after the
 * client has returned: deleting the writable layer is most of `run --rm`'s
 * way back).  Returns 1 when the directory is in the trash, 0 when it was
 * deleted here (the trash name was taken), -1 on error.  `berth system
 * check` removes trash left by a monitor that died.  died >= 0 records
 * the "die" event with that exit code in the same transaction (the exit
 * of a --rm container is not saved separately: its record is about to
 * go; `wait` finds the code in the event, events.h); -1: no event. */
int berth_ctr_destroy_to_trash(struct berth_engine *e, const char *id,
                               bool volumes, int died, berth_error **err);
/* containers/.rm-<id> (into buf): where a removed container's directory
 * waits to be deleted. */
void berth_ctr_trash_dir(const struct berth_engine *e, const char *id,
                         char *buf, size_t len);

/* containers/<id> (into buf). */
void berth_ctr_dir(const struct berth_engine *e, const char *id, char *buf,
                   size_t len);

#endif
