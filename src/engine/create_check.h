/* Validation of a create request (Docker Engine API ContainerCreate
 * body), whichever front end built it: the CLI's flags or an API
 * client's JSON get the same checks and the same messages. */
#ifndef BERTH_ENGINE_CREATE_CHECK_H
#define BERTH_ENGINE_CREATE_CHECK_H

#include "engine.h"

/* Checks (and where Docker does, normalises or defaults) in req:
 * HostConfig.NetworkMode (unset and "default" become bridge; bridge, an
 * existing user network, none, host or container:NAME), .CgroupParent (an
 * absolute path without `..`), .UsernsMode ("" or host), .PidMode and
 * .IpcMode (see ns_share.h), .GroupAdd (names or ids), .Sysctls (IPC
 * ones need the container's own IPC namespace), the resource limits
 * (berth_resources_check), and the Config fields
 * WorkingDir (absolute) and Domainname.  INVALID naming the flag. */
int berth_create_check(struct berth_engine *e, json_t *req,
                       berth_error **err);

/* The types of the request's known Config and HostConfig fields, as
 * Docker's decoder: INVALID "json: cannot unmarshal string into Go struct
 * field HostConfig.Memory of type int64"; null fields are dropped, a
 * string Cmd/Entrypoint becomes a one-word list, and HostConfig.Binds
 * and .Tmpfs become HostConfig.Mounts entries (create_types.c).  Called
 * by berth_create_check first. */
int berth_create_types_check(json_t *req, berth_error **err);
/* The same for a ContainerUpdate body (Resources fields and
 * RestartPolicy): "... Go struct field UpdateConfig.Memory ...". */
int berth_update_types_check(json_t *body, berth_error **err);

#endif
