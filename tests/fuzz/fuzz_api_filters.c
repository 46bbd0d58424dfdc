/* Fuzzes the filters and requests an Engine API server hands its query
 * strings and bodies to: each input line is given to the prune, event,
 * volume, volume prune and network filter parsers and as an image config
 * --change; the whole input as ps output to top's parser and, when it is
 * JSON, as the API's filters map (berth_filter_map_each) to the event
 * filter.  Invariants: a parser either accepts (the filter then holds at
 * most its bound, and matching an event or volume does not crash) or
 * fails with INVALID. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config_change.h"
#include "events.h"
#include "filter_kv.h"
#include "networks.h"
#include "prune.h"
#include "stats.h"
#include "top.h"
#include "volumes.h"

/* errp, not the error: the call filling it is an argument too, and C
 * leaves the order in which arguments are evaluated open. */
static void check(int rc, berth_error **errp) {
  berth_error *err = *errp;
  *errp = NULL;
  if (rc < 0 && (!err || err->kind != BERTH_ERR_INVALID))
    abort();
  berth_error_free(err);
}

struct filters {
  struct berth_prune_filter pf;
  struct berth_event_filter ef;
  struct berth_volume_filter vf;
  struct berth_volume_prune_filter vpf;
  struct berth_network_filter nf;
};

static void more_filters(const char *line, struct filters *f) {
  berth_error *err = NULL;
  char key[16];
  const char *value;
  if (berth_filter_kv(line, key, sizeof key, &value, &err) == 0)
    check(berth_volume_prune_filter_add(&f->vpf, key, value, &err), &err);
  else
    check(-1, &err);
  err = NULL;
  check(berth_network_filter_parse(&f->nf, line, &err), &err);
  if (f->vpf.nlabel > 16 || f->vpf.nnot > 16 || f->nf.nname > 32 ||
      f->nf.nlabel > 32 || f->nf.ndangling > 32)
    abort();
}

static int event_add(void *f, const char *key, const char *value,
                     berth_error **err) {
  return berth_event_filter_add(f, key, value, err);
}

/* The input as the API's filters map, when it is JSON. */
static void filter_map(const char *text, const struct berth_event *ev) {
  json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
  struct berth_event_filter ef = {0};
  berth_error *err = NULL;
  if (json_is_object(j)) {
    check(berth_filter_map_each(j, event_add, &ef, &err), &err);
    if (ef.n > 64)
      abort();
    (void)berth_event_matches(ev, &ef);
  }
  json_decref(j);
}

static void one_line(const char *line, struct berth_prune_filter *pf,
                     struct berth_event_filter *ef,
                     struct berth_volume_filter *vf, json_t *cfg) {
  berth_error *err = NULL;
  check(berth_prune_filter_parse(pf, line, 1795425121LL * 1000000000, &err),
        &err);
  err = NULL;
  check(berth_event_filter_parse(ef, line, &err), &err);
  err = NULL;
  check(berth_volume_filter_parse(vf, line, &err), &err);
  err = NULL;
  check(berth_image_config_change(cfg, line, &err), &err);
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
  static struct filters f;
  memset(&f, 0, sizeof f);
  json_t *cfg = json_object();
  char *save = NULL;
  for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
       l = strtok_r(NULL, "\n", &save)) {
    one_line(l, &f.pf, &f.ef, &f.vf, cfg);
    more_filters(l, &f);
  }
  json_t *attrs = json_pack("{s:s,s:s}", "name", "web", "image", "bb:1");
  struct berth_event ev = {.type = "container", .action = "start",
                           .actor = "abc", .attributes = attrs};
  (void)berth_event_matches(&ev, &f.ef);
  filter_map(text, &ev);
  struct berth_volume v = {.name = "data", .labels = attrs};
  (void)berth_volume_matches(&v, &f.vf);
  (void)berth_volume_prune_selects(&f.vpf, attrs);
  struct berth_network net = {.name = "web", .driver = "bridge",
                              .labels = attrs};
  (void)berth_network_matches(&net, 0, &f.nf);
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
