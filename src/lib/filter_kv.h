/* One Docker filter argument, "key=value" (`--filter`, and the API's
 * filters= map flattened the same way). */
#ifndef BERTH_LIB_FILTER_KV_H
#define BERTH_LIB_FILTER_KV_H

#include <stddef.h>

#include "error.h"

/* Splits kv at its first '=': key (NUL-terminated, at most keylen - 1
 * bytes) and *value (pointing into kv).  INVALID naming kv when there is
 * no '=' or the key is too long for any filter berth knows. */
int berth_filter_kv(const char *kv, char *key, size_t keylen,
                    const char **value, berth_error **err);

/* The Engine API's filters map, {"key": ["value", ...]} (as
 * api_query_filters normalises it; NULL: none), handed to add one pair at
 * a time: an object's filter_add (values borrowed from filters).  A value
 * that is not a string is INVALID naming its key. */
struct json_t;
int berth_filter_map_each(struct json_t *filters,
                          int (*add)(void *f, const char *key,
                                     const char *value, berth_error **err),
                          void *f, berth_error **err);

#endif
