#include "filter_kv.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int berth_filter_kv(const char *kv, char *key, size_t keylen,
                    const char **value, berth_error **err) {
  const char *eq = strchr(kv, '=');
  if (!eq || (size_t)(eq - kv) >= keylen)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s`",
                           kv);
  snprintf(key, keylen, "%.*s", (int)(eq - kv), kv);
  *value = eq + 1;
  return 0;
}

int berth_filter_map_each(struct json_t *filters,
                          int (*add)(void *f, const char *key,
                                     const char *value, berth_error **err),
                          void *f, berth_error **err) {
  const char *key;
  json_t *vals, *v;
  size_t i;
  json_object_foreach(filters, key, vals) {
    if (!json_is_array(vals))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid filter `%s`: not a list", key);
    json_array_foreach(vals, i, v) {
      if (!json_is_string(v))
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "invalid filter `%s`: not a string", key);
      if (add(f, key, json_string_value(v), err) < 0)
        return -1;
    }
  }
  return 0;
}
