/* The event log (table events): what `berth events` shows, and the exit
 * statuses of containers that are gone. */
#ifndef BERTH_ENGINE_EVENTS_H
#define BERTH_ENGINE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "error.h"

/* Records an event (type "container", action "start", actor id).  Without
 * attributes, a container's event gets its name and image, as Docker's. */
int berth_event_add(struct berth_db *db, const char *type, const char *action,
                    const char *actor, json_t *attributes, berth_error **err);
/* A container's event with the container's own attributes (labels,
 * name, image) and extra's on top (Docker's
 * LogContainerEventWithAttributes), extra borrowed. */
int berth_event_add_ctr(struct berth_db *db, const char *action,
                        const char *id, json_t *extra, berth_error **err);
/* A container's "die" event, with Docker's exitCode attribute: it keeps
 * the exit status once an auto-removed container's record is gone. */
int berth_event_add_die(struct berth_db *db, const char *id, int exit_code,
                        berth_error **err);
/* The exit status of a container that has no record any more (removed,
 * e.g. by --rm, after it exited), from its last "die" event: by full id,
 * name or unique id prefix, as berth_ctr_find.  Returns 1 and fills id
 * and *code when found, 0 when the log has no such container. */
int berth_event_last_exit(struct berth_db *db, const char *ref, char id[65],
                          int *code, berth_error **err);

/* ---- Reading: GET /events?since=&until=&filters= (event_filter.c) ---- */

struct berth_event;

/* Docker's event filters: type, event, container, image, volume,
 * network, label (the attributes), scope (local), and daemon, config,
 * node, plugin, secret, service (objects berth has no events of).
 * Values of one key are alternatives; different keys must all match. */
struct berth_event_filter {
  struct {
    char key[16];
    const char *value; /* borrowed */
  } f[64];
  size_t n;
};
/* Adds key=value; INVALID "invalid filter `key=value`" for an unknown key
 * or too many filters. */
int berth_event_filter_add(struct berth_event_filter *f, const char *key,
                           const char *value, berth_error **err);
/* The same from "key=value" (the CLI's --filter). */
int berth_event_filter_parse(struct berth_event_filter *f, const char *kv,
                             berth_error **err);
/* Whether the event passes: a container by id or name prefix, an image
 * event by its id, id prefix or name (as typed or normalised), another
 * event by its image attribute with or without the tag, a volume by name. */
bool berth_event_matches(const struct berth_event *ev,
                         const struct berth_event_filter *f);

/* A read of the log: bounds (ns, 0: none) and filters. */
struct berth_event_query {
  int64_t since, until;
  struct berth_event_filter filter;
  bool follow; /* set by berth_events_begin */
};
/* Starts a read at now_ns: INVALID when since is after until; as Docker,
 * with neither bound only new events (*after: the newest seq so far),
 * and a read follows unless until has passed. */
int berth_events_begin(struct berth_db *db, struct berth_event_query *q,
                       int64_t now_ns, int64_t *after, berth_error **err);
/* The next batch after *after (advanced past every event read, matching
 * or not): the matching events in *out (berth_events_free), *more when
 * the batch was full (read again at once) and *done when a read is over
 * (not following, or until passed before polled_ns by more than the
 * time events take to commit). */
int berth_events_next(struct berth_db *db, const struct berth_event_query *q,
                      int64_t *after, struct berth_event **out, size_t *n,
                      bool *more, berth_error **err);
bool berth_events_done(const struct berth_event_query *q, int64_t polled_ns);

#endif
