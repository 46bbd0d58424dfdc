/* `berth-runtime features`: what this runtime supports, in the shape of the
 * runtime-spec features.md document, so callers can adapt without trial. */
#ifndef BERTH_OCI_RUNTIME_FEATURES_H
#define BERTH_OCI_RUNTIME_FEATURES_H

#include <jansson.h>

json_t *berth_features(void);

#endif
