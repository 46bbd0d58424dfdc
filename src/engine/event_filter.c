/* Reading the event log for `events` and GET /events: bounds, follow,
 * and Docker's filters (see events.h). */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "lookup.h"
#include "stats.h"
#include "filter_kv.h"

/* Docker's keys (acceptedEventFilterTags).  Objects berth has no
 * events of (a daemon, swarm's configs, nodes, plugins, secrets,
 * services) are still valid keys: they match nothing, as in Docker on a
 * host without them. */
static const char *const filter_keys[] = {
    "type",   "event", "container", "image", "volume", "network", "label",
    "scope",  "daemon", "config",   "node",  "plugin", "secret",  "service"};

int berth_event_filter_add(struct berth_event_filter *f, const char *key,
                           const char *value, berth_error **err) {
  bool known = false;
  for (size_t k = 0; k < ARRAY_SIZE(filter_keys); k++)
    known = known || strcmp(filter_keys[k], key) == 0;
  if (!known || f->n >= ARRAY_SIZE(f->f))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid filter `%s=%s`",
                           key, value);
  snprintf(f->f[f->n].key, sizeof f->f[f->n].key, "%s", key);
  f->f[f->n++].value = value;
  return 0;
}

int berth_event_filter_parse(struct berth_event_filter *f, const char *kv,
                             berth_error **err) {
  char key[16];
  const char *value;
  if (berth_filter_kv(kv, key, sizeof key, &value, err) < 0)
    return -1;
  return berth_event_filter_add(f, key, value, err);
}

/* Docker matches a container by an id or name prefix. */
static bool prefix_of(const char *want, const char *have) {
  return have && strncmp(have, want, strlen(want)) == 0;
}

/* image: an image event's own image (its id, id prefix or name as typed
 * or normalised), as Docker. */
static bool image_event_match(const struct berth_event *ev, const char *name,
                              const char *v) {
  _cleanup_free_ char *full = berth_image_normalise(v);
  return strcmp(ev->actor, v) == 0 ||
         (name && (strcmp(name, v) == 0 || (full && !strcmp(name, full)))) ||
         (strncmp(ev->actor, "sha256:", 7) == 0 && prefix_of(v, ev->actor + 7));
}

/* label=key or label=key=value against the actor's attributes (a
 * container's events carry its labels), as Docker matches it. */
static bool label_match(json_t *attributes, const char *want) {
  const char *eq = strchr(want, '=');
  if (!eq)
    return json_object_get(attributes, want) != NULL;
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(eq - want), want);
  const char *v = json_string_value(json_object_get(attributes, key));
  return v && strcmp(v, eq + 1) == 0;
}

/* event: the action, exactly; exec_create, exec_start and health_status,
 * whose actions carry a text after a colon ("exec_start: sh -c ..."),
 * also by prefix, as Docker's filter matches them. */
static bool event_match(const char *action, const char *want) {
  static const char *const texted[] = {"exec_create", "exec_start",
                                       "health_status"};
  if (strcmp(action, want) == 0)
    return true;
  for (size_t i = 0; i < sizeof texted / sizeof texted[0]; i++)
    if (strcmp(want, texted[i]) == 0)
      return strncmp(action, want, strlen(want)) == 0;
  return false;
}

static bool key_match(const struct berth_event *ev, const char *key,
                      const char *v) {
  const char *name = json_string_value(json_object_get(ev->attributes, "name"));
  const char *image =
      json_string_value(json_object_get(ev->attributes, "image"));
  if (strcmp(key, "type") == 0)
    return strcmp(ev->type, v) == 0;
  if (strcmp(key, "event") == 0)
    return event_match(ev->action, v);
  if (strcmp(key, "container") == 0)
    return strcmp(ev->type, "container") == 0 &&
           (prefix_of(v, ev->actor) || prefix_of(v, name));
  if (strcmp(key, "volume") == 0)
    return strcmp(ev->type, "volume") == 0 && strcmp(ev->actor, v) == 0;
  if (strcmp(key, "label") == 0)
    return label_match(ev->attributes, v);
  if (strcmp(key, "scope") == 0)
    return strcmp(v, "local") == 0; /* every berth event is local */
  if (strcmp(key, "image") != 0) /* network, daemon and swarm's objects */
    return strcmp(ev->type, key) == 0 &&
           (prefix_of(v, ev->actor) || (name && strcmp(name, v) == 0));
  if (strcmp(ev->type, "image") == 0)
    return image_event_match(ev, name, v);
  /* image: as given, or its name without the tag. */
  size_t vl = strlen(v);
  return image && (strcmp(image, v) == 0 ||
                   (strncmp(image, v, vl) == 0 && image[vl] == ':'));
}

bool berth_event_matches(const struct berth_event *ev,
                         const struct berth_event_filter *f) {
  for (size_t k = 0; k < ARRAY_SIZE(filter_keys); k++) {
    bool any = false, ok = false;
    for (size_t i = 0; i < f->n; i++)
      if (strcmp(f->f[i].key, filter_keys[k]) == 0) {
        any = true;
        ok = ok || key_match(ev, f->f[i].key, f->f[i].value);
      }
    if (any && !ok)
      return false;
  }
  return true;
}

int berth_events_begin(struct berth_db *db, struct berth_event_query *q,
                       int64_t now_ns, int64_t *after, berth_error **err) {
  if (q->since && q->until && q->since > q->until)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "--since is after --until");
  *after = 0;
  /* As Docker: with neither bound only new events; an until in the
   * future follows until then. */
  if (!q->since && !q->until && berth_events_last_seq(db, after, err) < 0)
    return -1;
  q->follow = !q->until || q->until > now_ns;
  return 0;
}

#define EVENTS_BATCH 256

int berth_events_next(struct berth_db *db, const struct berth_event_query *q,
                      int64_t *after, struct berth_event **out, size_t *n,
                      bool *more, berth_error **err) {
  struct berth_event *ev = NULL;
  size_t got = 0, k = 0;
  if (berth_events_list(db, *after, q->since, q->until, EVENTS_BATCH, &ev,
                        &got, err) < 0)
    return -1;
  for (size_t i = 0; i < got; i++) {
    *after = ev[i].seq;
    if (!berth_event_matches(&ev[i], &q->filter)) {
      /* Not handed out: freed here (berth_events_free frees n). */
      free(ev[i].type);
      free(ev[i].action);
      free(ev[i].actor);
      json_decref(ev[i].attributes);
      continue;
    }
    ev[k++] = ev[i];
  }
  *out = ev;
  *n = k;
  *more = got == EVENTS_BATCH;
  return 0;
}

bool berth_events_done(const struct berth_event_query *q, int64_t polled_ns) {
  /* Events are timed before they commit: one more poll after until has
   * passed catches those that were committing meanwhile. */
  return !q->follow || (q->until && polled_ns > q->until + 200000000);
}
