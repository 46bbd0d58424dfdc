/* A container's capability set from HostConfig (Privileged, CapAdd,
 * CapDrop) as Docker computes it. */
#ifndef BERTH_ENGINE_CAPS_SET_H
#define BERTH_ENGINE_CAPS_SET_H

#include <jansson.h>

#include "error.h"

/* Docker's rules (its TweakCapabilities): --privileged gives every
 * capability berth may hand out (its bounding set) and ignores the
 * lists; --cap-add ALL gives all but those dropped; --cap-drop ALL gives
 * only those added; otherwise the drops are taken from the defaults and
 * the adds put in after, so `--cap-add X --cap-drop X` keeps X.  Names
 * with or without CAP_, any case.  *out: array of "CAP_*" names, in
 * capability order.  An unknown name is INVALID naming the flag. */
int berth_caps_set(json_t *hostconfig, json_t **out, berth_error **err);

#endif
