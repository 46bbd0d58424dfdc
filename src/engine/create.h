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

/* Removes a stopped container: record, id range, directory, log, its
 * use of volumes and, with `volumes` (rm -v, --rm), its anonymous
 * volumes.  The caller has checked the state (see berth_ctr_remove). */
int berth_ctr_destroy(struct berth_engine *e, const char *id, bool volumes,
                      berth_error **err);

/* containers/<id> (into buf). */
void berth_ctr_dir(const struct berth_engine *e, const char *id, char *buf,
                   size_t len);

#endif
