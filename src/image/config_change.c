/* --change instructions on an image config (see config_change.h). */
#include "config_change.h"

#include <stdio.h>
#include <string.h>

/* --change "CMD [...]" and friends: Dockerfile instructions that only
 * set configuration, as `docker import --change` takes them. */
static int unsupported(const char *change, berth_error **err) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "unsupported --change `%s` (CMD, ENTRYPOINT, ENV, "
                         "WORKDIR, USER)",
                         change);
}

int berth_image_config_change(json_t *cfg, const char *change,
                              berth_error **err) {
  size_t kw = strcspn(change, " \t");
  const char *arg = change + kw + strspn(change + kw, " \t");
  char key[16];
  snprintf(key, sizeof key, "%.*s", (int)kw, change);
  for (char *k = key; *k; k++)
    *k = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
  if (strcmp(key, "CMD") == 0 || strcmp(key, "ENTRYPOINT") == 0) {
    json_t *v = json_loads(arg, 0, NULL);
    if (!v) /* shell form */
      v = json_pack("[s, s, s]", "/bin/sh", "-c", arg);
    if (!json_is_array(v)) {
      json_decref(v);
      return unsupported(change, err);
    }
    json_object_set_new(cfg, strcmp(key, "CMD") == 0 ? "Cmd" : "Entrypoint",
                        v);
    return 0;
  }
  if (strcmp(key, "ENV") == 0 && strchr(arg, '=')) {
    json_t *env = json_object_get(cfg, "Env");
    if (!env)
      json_object_set_new(cfg, "Env", env = json_array());
    json_array_append_new(env, json_string(arg));
    return 0;
  }
  if (strcmp(key, "WORKDIR") == 0 || strcmp(key, "USER") == 0) {
    json_object_set_new(cfg, strcmp(key, "USER") == 0 ? "User" : "WorkingDir",
                        json_string(arg));
    return 0;
  }
  return unsupported(change, err);
}

