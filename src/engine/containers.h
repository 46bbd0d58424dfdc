/* Container records in the database. */
#ifndef BERTH_ENGINE_CONTAINERS_H
#define BERTH_ENGINE_CONTAINERS_H

#include "engine.h"
/* Declared with the records until every caller includes them. */
#include "events.h"
#include "id_ranges.h"

/* Inserts a new record (state created); EXISTS when the name is taken. */
int berth_ctr_insert(struct berth_db *db, const struct berth_ctr *c,
                     berth_error **err);
/* Finds a container by full id, name or unique id prefix, as Docker:
 * NOT_FOUND "No such container: x", INVALID when a prefix is
 * ambiguous.  *out is malloc'd (berth_ctr_free). */
int berth_ctr_find(struct berth_db *db, const char *ref,
                   struct berth_ctr **out, berth_error **err);
/* By exact id; NOT_FOUND when gone. */
int berth_ctr_get(struct berth_db *db, const char *id, struct berth_ctr **out,
                  berth_error **err);
/* Every container, newest first. */
int berth_ctr_list(struct berth_db *db, struct berth_ctr **out, size_t *n,
                   berth_error **err);
/* Writes the run-time fields (state, pids, exit, times, counters, health,
 * error) of c back; the config and names are not touched. */
int berth_ctr_save_state(struct berth_db *db, const struct berth_ctr *c,
                         berth_error **err);
/* Replaces the record's config (the create request, as `update` changes
 * it). */
int berth_ctr_save_config(struct berth_db *db, const char *id, json_t *config,
                          berth_error **err);
int berth_ctr_rename(struct berth_db *db, const char *id, const char *name,
                     berth_error **err);
int berth_ctr_delete(struct berth_db *db, const char *id, berth_error **err);
/* How many containers were created from the image. */
int berth_ctr_count_using_image(struct berth_db *db, const char *image_id,
                                berth_error **err);
/* Names as Docker allows: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 chars. */
int berth_ctr_name_validate(const char *name, berth_error **err);

#endif
