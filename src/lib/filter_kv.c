#include "filter_kv.h"

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
