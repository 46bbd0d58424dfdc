/* Fuzzes the filters and requests an Engine API server hands its query
 * strings and bodies to: each input line is given to the prune, event
 * and volume filter parsers and as an image config --change; the whole
 * input as ps output to top's parser.  Invariants: a parser either
 * accepts (the filter then holds at most its bound, and matching an event
 * or volume does not crash) or fails with INVALID. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config_change.h"
#include "events.h"
#include "prune.h"
#include "stats.h"
#include "top.h"
#include "volumes.h"

static void check(int rc, berth_error *err) {
  if (rc < 0 && (!err || err->kind != BERTH_ERR_INVALID))
    abort();
  berth_error_free(err);
}

static void one_line(const char *line, struct berth_prune_filter *pf,
                     struct berth_event_filter *ef,
                     struct berth_volume_filter *vf, json_t *cfg) {
  berth_error *err = NULL;
  check(berth_prune_filter_parse(pf, line, 1795425121LL * 1000000000, &err),
        err);
  err = NULL;
  check(berth_event_filter_parse(ef, line, &err), err);
  err = NULL;
  check(berth_volume_filter_parse(vf, line, &err), err);
  err = NULL;
  check(berth_image_config_change(cfg, line, &err), err);
  if (pf->nlabels > 16 || ef->n > 64 || vf->nname > 64 || vf->nlabel > 64 ||
      vf->ndangling > 64)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *copy = strdup(text);
  struct berth_prune_filter pf = {0};
  struct berth_event_filter ef = {0};
  struct berth_volume_filter vf = {0};
  json_t *cfg = json_object();
  char *save = NULL;
  for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
       l = strtok_r(NULL, "\n", &save))
    one_line(l, &pf, &ef, &vf, cfg);
  json_t *attrs = json_pack("{s:s,s:s}", "name", "web", "image", "bb:1");
  struct berth_event ev = {.type = "container", .action = "start",
                           .actor = "abc", .attributes = attrs};
  (void)berth_event_matches(&ev, &ef);
  struct berth_volume v = {.name = "data", .labels = attrs};
  (void)berth_volume_matches(&v, &vf);
  pid_t pids[] = {1, 2, 3};
  json_t *top = NULL;
  berth_error *err = NULL;
  if (berth_top_parse(text, pids, 3, &top, &err) < 0)
    berth_error_free(err);
  json_decref(top);
  json_decref(attrs);
  json_decref(cfg);
  free(copy); /* after the filters, which borrow from it */
  free(text);
  return 0;
}
