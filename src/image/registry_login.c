/* docker login's check, made by the image layer for both front ends
 * (`berth login` and the API's POST /auth): a token request, or the
 * registry's Basic challenge, with the credentials must succeed. */
#include "registry.h"
#include "registry_options.h"

int berth_registry_login_check(const char *registry,
                               const struct berth_registry_flags *flags,
                               berth_error **err) {
  struct berth_registry_setup rs = {0};
  struct berth_registry *r = NULL;
  int rc = berth_registry_options_for(registry, flags, &rs, err);
  if (rc == 0)
    rc = berth_registry_open(registry, "berth/login-check", false, &rs.opts,
                             &r, err);
  berth_registry_free(r);
  berth_registry_setup_free(&rs);
  return rc;
}
