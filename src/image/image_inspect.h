/* Docker's ImageInspect document (GET /images/{name}/json) of an image
 * record, for `inspect`, `image inspect` and an API server. */
#ifndef BERTH_IMAGE_IMAGE_INSPECT_H
#define BERTH_IMAGE_IMAGE_INSPECT_H

#include <jansson.h>

#include "images.h"
#include "imgstore.h"

/* Id, RepoTags, RepoDigests, Parent, Comment, Created, DockerVersion,
 * Author, Config (Docker's members, empty Labels/Env as {} / []),
 * Architecture, Variant, Os, Size, GraphDriver, RootFS{Type Layers},
 * Metadata, and berth's Layers, History and manifest members.  NULL only
 * when out of memory. */
json_t *berth_image_inspect(struct berth_imgstore *is,
                            const struct berth_image *img);

#endif
