/* Dockerfile instructions that only set configuration, as `import
 * --change`, `commit --change` (the Engine API's `changes` query
 * parameter of POST /images/create and POST /commit) apply them. */
#ifndef BERTH_IMAGE_CONFIG_CHANGE_H
#define BERTH_IMAGE_CONFIG_CHANGE_H

#include <jansson.h>

#include "error.h"

/* Applies one change ("CMD [...]" or its shell form, "ENTRYPOINT ...",
 * "ENV K=V", "WORKDIR /d", "USER u"; the keyword in any case) to an image
 * config's "config" object.  INVALID "unsupported change `...` (CMD,
 * ENTRYPOINT, ENV, WORKDIR, USER)" for anything else; cfg is unchanged
 * then. */
int berth_image_config_change(json_t *cfg, const char *change,
                              berth_error **err);

#endif
