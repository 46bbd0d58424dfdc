/* Fuzzes the Engine API's credential headers (X-Registry-Auth and
 * X-Registry-Config): whatever a client sends, the decoder answers
 * credentials, none, or INVALID, and never credentials half filled. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  struct berth_credentials c;
  berth_error *err = NULL;
  int rc = berth_auth_header_decode("X-Registry-Auth", s, &c, &err);
  if ((rc == 1) != (c.username != NULL && c.password != NULL) ||
      (rc < 0) != (err != NULL))
    abort();
  berth_credentials_free(&c);
  berth_error_free(err);
  err = NULL;
  json_t *map = NULL;
  rc = berth_auth_config_header_decode("X-Registry-Config", s, &map, &err);
  if ((rc < 0) != (err != NULL))
    abort();
  const char *k;
  json_t *v;
  json_object_foreach(map, k, v) {
    if (!json_is_string(json_object_get(v, "username")) ||
        !json_is_string(json_object_get(v, "password")))
      abort();
  }
  json_decref(map);
  berth_error_free(err);
  free(s);
  return 0;
}
