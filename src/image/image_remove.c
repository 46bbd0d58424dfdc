/* rmi's decision: untag or delete, as Docker's image service makes it. */
#include "image_remove.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "images.h"
#include "lookup.h"

void berth_rmi_report_free(struct berth_rmi_report *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->items[i].untagged);
    free(r->items[i].deleted);
  }
  free(r->items);
  r->items = NULL;
  r->n = 0;
}

static int add_item(struct berth_rmi_report *r, const char *untagged,
                    const char *deleted, berth_error **err) {
  struct berth_rmi_item *v = realloc(r->items, (r->n + 1) * sizeof *v);
  if (!v)
    return berth_error_sys(err, "allocate");
  r->items = v;
  v[r->n].untagged = untagged ? strdup(untagged) : NULL;
  v[r->n].deleted = deleted ? strdup(deleted) : NULL;
  if (!v[r->n].untagged && !v[r->n].deleted)
    return berth_error_sys(err, "allocate");
  r->n++;
  return 0;
}

static size_t strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* "docker.io/library/busybox" of "docker.io/library/busybox:1" or
 * "...busybox@sha256:..." (the tag's colon follows the last slash). */
static size_t repo_len(const char *name) {
  const char *at = strchr(name, '@');
  size_t n = at ? (size_t)(at - name) : strlen(name);
  const char *slash = memrchr(name, '/', n);
  const char *colon = memrchr(name, ':', n);
  return colon && (!slash || colon > slash) ? (size_t)(colon - name) : n;
}

static bool same_repo(const char *a, const char *b) {
  size_t n = repo_len(a);
  return n == repo_len(b) && strncmp(a, b, n) == 0;
}

/* Docker's isSingleReference: at most one tag, every name in one
 * repository. */
static bool single_reference(const struct berth_image *img) {
  const char *first = img->tags && img->tags[0]     ? img->tags[0]
                      : img->digests && img->digests[0] ? img->digests[0]
                                                        : NULL;
  if (strv_len(img->tags) > 1)
    return false;
  for (char **d = img->digests; first && d && *d; d++)
    if (!same_repo(first, *d))
      return false;
  return true;
}

static int untag(struct berth_imgstore *is, const char *name,
                 struct berth_rmi_report *out, berth_error **err) {
  char id[BERTH_DIGEST_SIZE];
  if (berth_images_untag(is->db, name, id, err) < 0 ||
      add_item(out, name, NULL, err) < 0)
    return -1;
  berth_imgstore_event(is, "untag", id, name);
  return 0;
}

static int untag_all(struct berth_imgstore *is, const struct berth_image *img,
                     struct berth_rmi_report *out, berth_error **err) {
  for (char **t = img->tags; t && *t; t++)
    if (untag(is, *t, out, err) < 0)
      return -1;
  for (char **d = img->digests; d && *d; d++)
    if (untag(is, *d, out, err) < 0)
      return -1;
  return 0;
}

struct users {
  int n;
  char ctr[13];
  bool running;
};

static int ask_users(const struct berth_rmi_opts *o, const char *id,
                     struct users *u, berth_error **err) {
  memset(u, 0, sizeof *u);
  if (!o->users)
    return 0;
  u->n = o->users(o->users_arg, id, u->ctr, &u->running, err);
  return u->n < 0 ? -1 : 0;
}

/* The record goes (and with it, ON DELETE CASCADE, its names, its
 * parent record and the build cache entries that gave it), then as
 * Docker each layer no other image has is reported deleted by its chain
 * id. */
static int delete_record(struct berth_imgstore *is,
                         const struct berth_image *img,
                         struct berth_rmi_report *out, berth_error **err) {
  if (berth_images_delete(is->db, img->id, err) < 0 ||
      add_item(out, NULL, img->id, err) < 0)
    return -1;
  berth_imgstore_event(is, "delete", img->id, NULL);
  for (size_t i = img->n_layers; i-- > 0;) {
    int used = berth_images_chain_in_use(is->db, img->layers[i].chain_id, err);
    if (used < 0 ||
        (!used && add_item(out, NULL, img->layers[i].chain_id, err) < 0))
      return -1;
  }
  return 0;
}

/* A parent is kept when it has a name, another image was built on it,
 * or a container was created from it (Docker's soft conflicts, which
 * end the pruning quietly): 1 kept, 0 not needed. */
static int parent_needed(struct berth_imgstore *is, const char *id,
                         const struct berth_rmi_opts *o, berth_error **err) {
  int n = berth_images_count_names(is->db, id, err);
  if (n != 0)
    return n < 0 ? -1 : 1;
  if ((n = berth_images_has_children(is->db, id, err)) != 0)
    return n < 0 ? -1 : 1;
  struct users u;
  if (ask_users(o, id, &u, err) < 0)
    return -1;
  return u.n > 0;
}

/* Docker's prune of untagged parents: up the chain from `parent` (the
 * deleted image's), each one nothing else needs goes too, reported as
 * Deleted.  The bound only guards against a corrupt (cyclic) record. */
static int prune_parents(struct berth_imgstore *is, const char *parent,
                         const struct berth_rmi_opts *o,
                         struct berth_rmi_report *out, berth_error **err) {
  char id[BERTH_DIGEST_SIZE];
  snprintf(id, sizeof id, "%s", parent);
  int has = 1;
  for (int depth = 0; has == 1 && depth < 4096; depth++) {
    int needed = parent_needed(is, id, o, err);
    if (needed != 0)
      return needed < 0 ? -1 : 0;
    struct berth_image p = {0};
    char next[BERTH_DIGEST_SIZE];
    if (berth_images_get(is->db, id, &p, err) < 0)
      return -1;
    has = berth_images_parent(is->db, id, next, err);
    if (has >= 0 && delete_record(is, &p, out, err) < 0)
      has = -1;
    berth_image_free(&p);
    if (has == 1)
      memcpy(id, next, sizeof id);
  }
  return has < 0 ? -1 : 0;
}

/* The image, its untagged parents unless noprune, then the blobs and
 * snapshots nothing references any more. */
static int delete_image(struct berth_imgstore *is,
                        const struct berth_image *img,
                        const struct berth_rmi_opts *o,
                        struct berth_rmi_report *out, berth_error **err) {
  char parent[BERTH_DIGEST_SIZE];
  /* Read before the delete, which takes the parent record with it. */
  int has = o->noprune ? 0 : berth_images_parent(is->db, img->id, parent, err);
  if (has < 0 || delete_record(is, img, out, err) < 0)
    return -1;
  if (has && prune_parents(is, parent, o, out, err) < 0)
    return -1;
  uint64_t freed;
  return berth_imgstore_gc(is, &freed, err);
}

/* By name: that name goes (with digests of its repository when it was
 * the repository's last tag), then the image when nothing names it. */
static int remove_by_name(struct berth_imgstore *is,
                          const struct berth_image *img, const char *what,
                          const char *name, const struct berth_rmi_opts *o,
                          struct berth_rmi_report *out, berth_error **err) {
  struct users u;
  size_t names = strv_len(img->tags) + strv_len(img->digests);
  if (ask_users(o, img->id, &u, err) < 0)
    return -1;
  /* Docker's isSingleReference, not a count of names: a pulled image's
   * tag and the repo digest of the same repository are one reference,
   * whose removal would leave a container's image dangling. */
  if (!o->force && single_reference(img) && u.n > 0)
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "conflict: unable to remove repository reference "
                           "\"%s\" (must force) - container %s is using its "
                           "referenced image %.12s",
                           what, u.ctr, img->id + 7);
  if (untag(is, name, out, err) < 0)
    return -1;
  names--;
  bool tag_left = false;
  for (char **t = img->tags; t && *t; t++)
    tag_left |= strcmp(*t, name) != 0 && same_repo(*t, name);
  for (char **d = img->digests; !strchr(name, '@') && !tag_left && d && *d;
       d++)
    if (same_repo(*d, name)) {
      if (untag(is, *d, out, err) < 0)
        return -1;
      names--;
    }
  if (names > 0 || u.n > 0)
    return 0; /* still named, or a container needs it: it stays */
  return delete_image(is, img, o, out, err);
}

static int remove_by_id(struct berth_imgstore *is,
                        const struct berth_image *img,
                        const struct berth_rmi_opts *o,
                        struct berth_rmi_report *out, berth_error **err) {
  struct users u;
  if (ask_users(o, img->id, &u, err) < 0)
    return -1;
  if (!o->force && !single_reference(img))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "conflict: unable to delete %.12s (must be "
                           "forced) - image is referenced in multiple "
                           "repositories",
                           img->id + 7);
  if (u.n > 0 && (u.running || !o->force))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "conflict: unable to delete %.12s (%s) - image is "
                           "being used by %s container %s",
                           img->id + 7,
                           u.running ? "cannot be forced" : "must be forced",
                           u.running ? "running" : "stopped", u.ctr);
  if (untag_all(is, img, out, err) < 0)
    return -1;
  /* Deviation from Docker, whose layer store counts references: here a
   * container's overlay lowers are the image's snapshots, so the record
   * stays (dangling) while a container uses it. */
  return u.n > 0 ? 0 : delete_image(is, img, o, out, err);
}

int berth_image_remove(struct berth_imgstore *is, const char *what,
                       const struct berth_rmi_opts *opts,
                       struct berth_rmi_report *out, berth_error **err) {
  struct berth_image_match m;
  if (berth_image_lookup(is->db, what, &m, err) < 0)
    return -1;
  struct berth_image img = {0};
  int rc = berth_images_get(is->db, m.id, &img, err);
  if (rc == 0)
    rc = m.name ? remove_by_name(is, &img, what, m.name, opts, out, err)
                : remove_by_id(is, &img, opts, out, err);
  berth_image_free(&img);
  berth_image_match_clear(&m);
  return rc;
}

int berth_image_tag(struct berth_imgstore *is, const char *id,
                    const char *name, berth_error **err) {
  if (berth_images_tag(is->db, id, name, err) < 0)
    return -1;
  berth_imgstore_event(is, "tag", id, name);
  return 0;
}
