/* Fuzzes manifest/index and image config parsing, and platform
 * selection on whatever parses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct berth_manifest m;
  berth_error *err = NULL;
  if (berth_manifest_parse((const char *)data, size, NULL, &m, &err) == 0) {
    const struct berth_descriptor *d = NULL;
    if (m.kind == BERTH_MANIFEST_INDEX)
      berth_index_select(&m, "linux", "amd64", NULL, &d, NULL);
    berth_manifest_free(&m);
  }
  berth_error_free(err);
  err = NULL;
  struct berth_image_config c;
  if (berth_image_config_parse((const char *)data, size, &c, &err) == 0) {
    char (*chain)[BERTH_DIGEST_SIZE] = NULL;
    if (c.n_diff_ids > 0 && c.n_diff_ids < 1000) {
      chain = calloc(c.n_diff_ids, sizeof(*chain));
      if (chain)
        berth_chain_ids(c.diff_ids, c.n_diff_ids, chain, NULL);
      free(chain);
    }
    berth_image_config_free(&c);
  }
  berth_error_free(err);
  return 0;
}
