/* Image operations that depend on containers: what an API server's
 * DELETE /images/{name} calls. */
#ifndef BERTH_ENGINE_IMAGES_IN_USE_H
#define BERTH_ENGINE_IMAGES_IN_USE_H

#include <stdbool.h>

#include "engine.h"
#include "image_remove.h"

/* berth_image_remove (image_remove.h), told which containers use the
 * image. */
int berth_engine_image_remove(struct berth_engine *e, const char *what,
                              bool force, bool noprune,
                              struct berth_rmi_report *out,
                              berth_error **err);

#endif
