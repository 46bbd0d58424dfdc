/* Docker's GET /info and GET /version documents (`berth info`,
 * `berth version`): what the engine reports about itself and the host. */
#ifndef BERTH_ENGINE_SYSTEM_INFO_H
#define BERTH_ENGINE_SYSTEM_INFO_H

#include <jansson.h>

#include "engine.h"

/* The project's version (meson's project version). */
#define BERTH_ENGINE_VERSION "0.1.0"
/* The Engine API version whose request bodies berth takes. */
#define BERTH_API_VERSION "1.43"

/* Engine API SystemInfo: container counts by state, images, storage and
 * logging drivers, cgroup driver and version, kernel, OS, CPUs, memory,
 * root dir, security options.  NULL and *err when the stores cannot be
 * read. */
json_t *berth_system_info(struct berth_engine *e, berth_error **err);

/* Engine API SystemVersion (GET /version): Platform, Components (Engine,
 * berth-runtime), Version, ApiVersion, MinAPIVersion, Os, Arch,
 * KernelVersion, Compiler, BuildTime. */
json_t *berth_system_version(void);

/* When and with what this build was made (a front end reports its own
 * as the client's, the same build). */
#define BERTH_BUILD_TIME __DATE__ " " __TIME__
const char *berth_system_compiler(void);
/* Go's GOARCH for a uname machine ("x86_64" -> "amd64"), as Docker
 * names architectures. */
const char *berth_go_arch(const char *machine);

#endif
