/* Volumes: named or anonymous directories under <root>/volumes/<name>/_data
 * that outlive containers, as Docker's `local` driver keeps them.
 *
 * Ownership.  A volume's files keep the ids containers see (root's files
 * are owned by host uid 0); each container in a user namespace gets the
 * volume through an idmapped bind mount made at start (start.c), so
 * containers of different id blocks share a volume at once and nothing is
 * re-owned.  (Volumes an earlier berth shifted to a block's host ids are
 * shifted back at their next attach.)  volumes/ and <name>/ are 0700,
 * root's: host users cannot reach files a container made setuid
 * (CVE-2021-41091), and containers mount volumes nosuid,nodev unless
 * asked otherwise, so no container runs them raised either. */
#ifndef BERTH_ENGINE_VOLUMES_H
#define BERTH_ENGINE_VOLUMES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* The label Docker 23+ puts on anonymous volumes (what prune looks for). */
#define BERTH_VOLUME_ANON_LABEL "com.docker.volume.anonymous"

struct berth_volume {
  char *name;
  int64_t created;   /* ns since the epoch */
  json_t *labels;    /* object of strings; anonymous ones carry the label
                        above */
  bool anonymous;
  uint32_t id_base;  /* host id of the files' root (see above) */
  int refs;          /* containers whose record references it */
};
void berth_volume_clear(struct berth_volume *v);
void berth_volumes_free(struct berth_volume *v, size_t n);

/* Names as Docker's local driver allows: [a-zA-Z0-9][a-zA-Z0-9_.-]+
 * (at least 2 characters), at most 255.  INVALID otherwise. */
int berth_volume_name_validate(const char *name, berth_error **err);

/* <root>/volumes/<name>/_data into buf. */
void berth_volume_path(const struct berth_engine *e, const char *name,
                       char *buf, size_t len);

/* Creates a volume.  name NULL: an anonymous one with a generated name of
 * 64 hex digits.  labels (borrowed, may be NULL): an object of strings.
 * An existing name is not an error (as Docker): *created is false and the
 * volume is left as it is.  *out_name (malloc'd) gets the name. */
int berth_volume_create(struct berth_engine *e, const char *name,
                        json_t *labels, char **out_name, bool *created,
                        berth_error **err);

/* Every volume, by name; *out is malloc'd (berth_volumes_free). */
int berth_volume_list(struct berth_engine *e, struct berth_volume **out,
                      size_t *n, berth_error **err);
/* One volume; NOT_FOUND "no such volume: `x`". */
int berth_volume_get(struct berth_engine *e, const char *name,
                     struct berth_volume *out, berth_error **err);

/* Engine API Volume (GET /volumes/{name}): CreatedAt Driver Labels
 * Mountpoint Name Options Scope (volume_query.c). */
json_t *berth_volume_inspect(struct berth_engine *e,
                             const struct berth_volume *v);

/* POST /volumes/create: body {Name (absent or "": anonymous), Driver
 * (absent, "" or "local": the only driver), DriverOpts (none taken),
 * Labels (object of strings)}; *volume gets the volume's inspect
 * document.  INVALID for another driver, driver options or labels that
 * are not strings. */
int berth_volume_create_request(struct berth_engine *e, json_t *body,
                                json_t **volume, berth_error **err);
/* DELETE /volumes/{name}?force=: berth_volume_remove, and with force a
 * missing volume is not an error (Docker); one in use still is. */
int berth_volume_delete(struct berth_engine *e, const char *name, bool force,
                        berth_error **err);

/* GET /volumes?filters=: name (substring), label (key or key=value),
 * dangling (true/false/1/0: referenced by no container), driver (only
 * "local" matches).  Values of one
 * key are alternatives, different keys all apply, every label must. */
struct berth_volume_filter {
  const char *name[64], *label[64], *dangling[64], *driver[64]; /* borrowed */
  size_t nname, nlabel, ndangling, ndriver;
};
/* INVALID "invalid filter `key=value`" for another key or a bad value. */
int berth_volume_filter_add(struct berth_volume_filter *f, const char *key,
                            const char *value, berth_error **err);
/* The same from "key=value" (the CLI's --filter). */
int berth_volume_filter_parse(struct berth_volume_filter *f, const char *kv,
                              berth_error **err);
bool berth_volume_matches(const struct berth_volume *v,
                          const struct berth_volume_filter *f);

/* Removes a volume and its data.  STATE when a container (running or
 * not) references it, as Docker refuses even with -f; NOT_FOUND when it
 * does not exist. */
int berth_volume_remove(struct berth_engine *e, const char *name,
                        berth_error **err);

/* Removes the volumes no container references: anonymous ones only
 * unless `all` (Docker 23+).  *removed (malloc'd array of malloc'd
 * names, free with berth_strv_free-like loop) gets their names, *n their
 * count, *reclaimed the bytes their files held.  Also removes leftovers
 * of interrupted removals and creations (directories with no record). */
int berth_volume_prune(struct berth_engine *e, bool all, char ***removed,
                       size_t *n, uint64_t *reclaimed, berth_error **err);

/* POST /volumes/prune's filters: all (true/false/1/0), label and label!
 * (key or key=value; every label must match, no label! may). */
struct berth_volume_prune_filter {
  bool all;
  const char *label[16], *not_label[16]; /* borrowed */
  size_t nlabel, nnot;
};
/* INVALID "invalid filter `key=value`" for another key or a bad value. */
int berth_volume_prune_filter_add(struct berth_volume_prune_filter *f,
                                  const char *key, const char *value,
                                  berth_error **err);
/* Whether a volume with these labels is one the filter's labels select. */
bool berth_volume_prune_selects(const struct berth_volume_prune_filter *f,
                                json_t *labels);
/* berth_volume_prune with the filter (f NULL: anonymous ones, any
 * labels). */
int berth_volume_prune_where(struct berth_engine *e,
                             const struct berth_volume_prune_filter *f,
                             char ***removed, size_t *n, uint64_t *reclaimed,
                             berth_error **err);

/* At container create, inside the caller's transaction, after the record
 * and its id range exist (the owner block is read from the record):
 * resolves config["HostConfig"]["Mounts"] entries of Type "volume"
 * (Source: a name, absent: anonymous) and the image's config["Volumes"]
 * paths no user mount targets (appended to Mounts as anonymous volumes),
 * creates the missing volumes, records container_volumes rows, sets each
 * entry's "Source" and "HostPath" (the _data directory) in config and
 * writes config back to the record.  An empty volume mounted without
 * NoCopy gets the image's content at the target (see volumes.c).  On
 * failure the directories it created are removed; the caller rolls back. */
/* Records a volume event (action "mount" or "unmount") for each volume
 * the container uses, in the caller's transaction. */
int berth_volumes_event(struct berth_engine *e, const char *ctr_id,
                        const char *action, berth_error **err);

int berth_volumes_attach(struct berth_engine *e, const char *ctr_id,
                         json_t *config, berth_error **err);

/* Before a container starts (outside a transaction, or in the caller's):
 * brings volumes an earlier berth gave to an id block back to container
 * ids. */
int berth_volumes_claim(struct berth_engine *e, const char *ctr_id,
                        berth_error **err);

/* At container removal, before its record is deleted: drops its
 * container_volumes rows and, with remove_anonymous (rm -v, --rm), its
 * anonymous volumes no other container references.  Runs in its own
 * transaction, or in the caller's when one is open. */
int berth_volumes_detach(struct berth_engine *e, const char *ctr_id,
                         bool remove_anonymous, berth_error **err);

#endif
