/* Cache keys of build steps.
 *
 * A step's result depends on the image it runs on (whose id, a config
 * digest, already covers its layers, Env, WorkingDir, User and Shell),
 * the instruction and its expanded arguments, and what the instruction
 * reads besides: RUN the variables it sees and the network, COPY/ADD the
 * content of its sources.  Those are the key's material, chosen by each
 * instruction (build_step.c, run_step.c, build_fs_step.c); here they are
 * hashed, each length-prefixed so no two lists of strings can collide,
 * after a version tag (a change of what a step does changes the tag, so
 * old entries are never taken for new ones), SOURCE_DATE_EPOCH (it
 * changes layers' times and the history) and the platform. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_internal.h"
#include "cleanup.h"
#include "digest.h"

#define KEY_VERSION "berth-build-step/1"

static void field(FILE *f, const char *s) {
  fprintf(f, "%zu:%s\n", strlen(s), s);
}

int build_key(struct stage_run *r, const char *cmd, const struct slist *m,
              char key[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return berth_error_sys(err, "allocate");
  field(f, KEY_VERSION);
  fprintf(f, "epoch=%lld\n", (long long)r->b->epoch);
  field(f, r->os ? r->os : "");
  field(f, r->arch ? r->arch : "");
  field(f, r->variant ? r->variant : "");
  field(f, *r->image_id ? r->image_id : "scratch");
  field(f, cmd);
  /* The config the step's image gets: what the stage started from (its
   * base's config with PATH set and ONBUILD triggers consumed) and what
   * earlier instructions changed; the parent id alone does not show
   * those changes when the step is the stage's first. */
  _cleanup_free_ char *cfg =
      json_dumps(r->config, JSON_SORT_KEYS | JSON_COMPACT);
  if (!cfg) {
    fclose(f);
    return berth_error_sys(err, "allocate");
  }
  field(f, cfg);
  field(f, r->author ? r->author : "");
  fprintf(f, "%zu\n", m ? m->n : 0);
  for (size_t i = 0; m && i < m->n; i++)
    field(f, m->v[i]);
  if (fclose(f) != 0)
    return berth_error_sys(err, "build a cache key");
  return berth_digest_of(buf, len, key, err);
}
