/* Image records: the images, image_layers, tags and repo_digests tables. */
#include "images.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

static char *dup_col(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? strdup((const char *)s) : NULL;
}

static void copy_col(sqlite3_stmt *st, int i, char out[BERTH_DIGEST_SIZE]) {
  const unsigned char *s = sqlite3_column_text(st, i);
  snprintf(out, BERTH_DIGEST_SIZE, "%s", s ? (const char *)s : "");
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s) {
  if (s && *s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

void berth_image_free(struct berth_image *img) {
  if (!img)
    return;
  free(img->manifest_media_type);
  free(img->os);
  free(img->architecture);
  free(img->variant);
  free(img->created);
  for (size_t i = 0; i < img->n_layers; i++)
    free(img->layers[i].media_type);
  free(img->layers);
  berth_strv_freep(&img->tags);
  berth_strv_freep(&img->digests);
  memset(img, 0, sizeof *img);
}

void berth_images_free(struct berth_image *imgs, size_t n) {
  for (size_t i = 0; i < n; i++)
    berth_image_free(&imgs[i]);
  free(imgs);
}

static int insert_image(struct berth_db *db, const struct berth_image *img,
                        berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "INSERT OR IGNORE INTO images (id, manifest_digest,"
                       " manifest_media_type, index_digest, os, architecture,"
                       " variant, created, size, added)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, img->manifest_digest, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, img->manifest_media_type, -1, SQLITE_STATIC);
  bind_opt(st, 4, img->index_digest);
  sqlite3_bind_text(st, 5, img->os ? img->os : "linux", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, img->architecture ? img->architecture : "", -1,
                    SQLITE_STATIC);
  bind_opt(st, 7, img->variant);
  bind_opt(st, 8, img->created);
  sqlite3_bind_int64(st, 9, img->size);
  sqlite3_bind_int64(st, 10, img->added ? img->added : (int64_t)time(NULL));
  if (berth_db_step_done(db, st, err) < 0)
    return -1;
  return sqlite3_changes(berth_db_sqlite(db));
}

static int insert_layers(struct berth_db *db, const struct berth_image *img,
                         berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "INSERT INTO image_layers (image_id, idx, blob,"
                       " media_type, blob_size, diff_id, chain_id,"
                       " unpacked_size) VALUES (?,?,?,?,?,?,?,?)",
                       &st, err) < 0)
    return -1;
  for (size_t i = 0; i < img->n_layers; i++) {
    const struct berth_image_layer *l = &img->layers[i];
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)i);
    sqlite3_bind_text(st, 3, l->blob, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, l->media_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, l->blob_size);
    sqlite3_bind_text(st, 6, l->diff_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, l->chain_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, l->unpacked_size);
    if (berth_db_step_done(db, st, err) < 0)
      return -1;
  }
  return 0;
}

static int set_name(struct berth_db *db, const char *table, const char *name,
                    const char *id, berth_error **err) {
  char sql[128];
  snprintf(sql, sizeof sql,
           "INSERT INTO %s (name, image_id) VALUES (?, ?)"
           " ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id",
           table);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
  return berth_db_step_done(db, st, err);
}

int berth_images_add(struct berth_db *db, const struct berth_image *img,
                     const char *tag, const char *repo_digest,
                     berth_error **err) {
  if (berth_db_begin(db, err) < 0)
    return -1;
  int inserted = insert_image(db, img, err);
  if (inserted < 0 || (inserted > 0 && insert_layers(db, img, err) < 0) ||
      (tag && set_name(db, "tags", tag, img->id, err) < 0) ||
      (repo_digest &&
       set_name(db, "repo_digests", repo_digest, img->id, err) < 0)) {
    berth_db_rollback(db);
    return berth_error_prefix(err, "record image %s", img->id);
  }
  return berth_db_commit(db, err);
}

static int lookup_name(struct berth_db *db, const char *table,
                       const char *name, char id[BERTH_DIGEST_SIZE],
                       berth_error **err) {
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT image_id FROM %s WHERE name = ?", table);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    copy_col(st, 0, id);
    return 1;
  }
  if (rc != SQLITE_DONE)
    return berth_db_error(db, "look up image name", err);
  return 0;
}

/* "sha256:abc", "abc" -> "sha256:abc" when it is 3..64 lowercase hex. */
static bool id_prefix(const char *raw, char out[BERTH_DIGEST_SIZE]) {
  const char *hex = strncmp(raw, "sha256:", 7) == 0 ? raw + 7 : raw;
  size_t n = strlen(hex);
  if (n < 3 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)hex[i]) || isupper((unsigned char)hex[i]))
      return false;
  snprintf(out, BERTH_DIGEST_SIZE, "sha256:%s", hex);
  return true;
}

static int lookup_id_prefix(struct berth_db *db, const char *raw,
                            char id[BERTH_DIGEST_SIZE], berth_error **err) {
  char prefix[BERTH_DIGEST_SIZE];
  if (!id_prefix(raw, prefix))
    return 0;
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  /* substr comparison, not LIKE: the prefix is hex, but LIKE would also
   * be case-insensitive and treat '_' specially. */
  if (berth_db_prepare(db,
                       "SELECT id FROM images WHERE substr(id, 1, ?) = ?"
                       " LIMIT 2",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_int(st, 1, (int)strlen(prefix));
  sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
  int found = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (found++)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "image id prefix `%s` is ambiguous", raw);
    copy_col(st, 0, id);
  }
  if (rc != SQLITE_DONE)
    return berth_db_error(db, "look up image id", err);
  return found;
}

int berth_images_resolve(struct berth_db *db, const char *name,
                         const char *raw, char id[BERTH_DIGEST_SIZE],
                         berth_error **err) {
  int r = 0;
  if (name) {
    r = lookup_name(db, strchr(name, '@') ? "repo_digests" : "tags", name, id,
                    err);
    /* "busybox:latest@sha256:..." is stored as "busybox@sha256:...". */
    if (r == 0 && strchr(name, '@')) {
      const char *at = strchr(name, '@');
      /* The tag's colon: the last one before the digest ("sha256:" has
       * another), after the last slash (not a registry's port). */
      const char *slash = memrchr(name, '/', (size_t)(at - name));
      const char *colon = memrchr(name, ':', (size_t)(at - name));
      if (colon && colon < at && (!slash || colon > slash)) {
        _cleanup_free_ char *plain = NULL;
        if (asprintf(&plain, "%.*s%s", (int)(colon - name), name, at) < 0)
          return berth_error_sys(err, "allocate");
        r = lookup_name(db, "repo_digests", plain, id, err);
      }
    }
  }
  if (r == 0)
    r = lookup_id_prefix(db, raw, id, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s",
                           raw);
  return 0;
}

static int load_names(struct berth_db *db, const char *table, const char *id,
                      char ***out, berth_error **err) {
  char sql[96];
  snprintf(sql, sizeof sql,
           "SELECT name FROM %s WHERE image_id = ? ORDER BY name", table);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  size_t n = 0;
  _cleanup_strv_ char **v = calloc(1, sizeof *v);
  int rc;
  while (v && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 2) * sizeof *v);
    if (!nv)
      return berth_error_sys(err, "allocate");
    v = nv;
    v[n] = dup_col(st, 0);
    v[++n] = NULL;
  }
  if (!v)
    return berth_error_sys(err, "allocate");
  if (rc != SQLITE_DONE)
    return berth_db_error(db, "read image names", err);
  *out = steal_pointer(&v);
  return 0;
}

static int load_layers(struct berth_db *db, struct berth_image *img,
                       berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "SELECT blob, media_type, blob_size, diff_id, chain_id,"
                       " unpacked_size FROM image_layers WHERE image_id = ?"
                       " ORDER BY idx",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, img->id, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct berth_image_layer *nl =
        realloc(img->layers, (img->n_layers + 1) * sizeof *nl);
    if (!nl)
      return berth_error_sys(err, "allocate");
    img->layers = nl;
    struct berth_image_layer *l = &nl[img->n_layers++];
    memset(l, 0, sizeof *l);
    copy_col(st, 0, l->blob);
    l->media_type = dup_col(st, 1);
    l->blob_size = sqlite3_column_int64(st, 2);
    copy_col(st, 3, l->diff_id);
    copy_col(st, 4, l->chain_id);
    l->unpacked_size = sqlite3_column_int64(st, 5);
  }
  if (rc != SQLITE_DONE)
    return berth_db_error(db, "read image layers", err);
  return 0;
}

#define IMAGE_COLUMNS                                                          \
  "id, manifest_digest, manifest_media_type, index_digest, os,"               \
  " architecture, variant, created, size, added"

static int load_image_row(struct berth_db *db, sqlite3_stmt *st,
                          struct berth_image *img, berth_error **err) {
  memset(img, 0, sizeof *img);
  copy_col(st, 0, img->id);
  copy_col(st, 1, img->manifest_digest);
  img->manifest_media_type = dup_col(st, 2);
  copy_col(st, 3, img->index_digest);
  img->os = dup_col(st, 4);
  img->architecture = dup_col(st, 5);
  img->variant = dup_col(st, 6);
  img->created = dup_col(st, 7);
  img->size = sqlite3_column_int64(st, 8);
  img->added = sqlite3_column_int64(st, 9);
  if (load_layers(db, img, err) < 0 ||
      load_names(db, "tags", img->id, &img->tags, err) < 0 ||
      load_names(db, "repo_digests", img->id, &img->digests, err) < 0) {
    berth_image_free(img);
    return -1;
  }
  return 0;
}

int berth_images_get(struct berth_db *db, const char *id,
                     struct berth_image *out, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s",
                           id);
  if (rc != SQLITE_ROW)
    return berth_db_error(db, "read image", err);
  return load_image_row(db, st, out, err);
}

int berth_images_list(struct berth_db *db, struct berth_image **out,
                      size_t *n, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "SELECT " IMAGE_COLUMNS
                       " FROM images ORDER BY added DESC, id",
                       &st, err) < 0)
    return -1;
  struct berth_image *v = NULL;
  size_t count = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct berth_image *nv = realloc(v, (count + 1) * sizeof *v);
    if (!nv || load_image_row(db, st, &nv[count], err) < 0) {
      if (!nv)
        berth_error_sys(err, "allocate");
      berth_images_free(nv ? nv : v, count);
      return -1;
    }
    v = nv;
    count++;
  }
  if (rc != SQLITE_DONE) {
    berth_images_free(v, count);
    return berth_db_error(db, "list images", err);
  }
  *out = v;
  *n = count;
  return 0;
}

int berth_images_tag(struct berth_db *db, const char *id, const char *tag,
                     berth_error **err) {
  return set_name(db, "tags", tag, id, err);
}

int berth_images_untag(struct berth_db *db, const char *name,
                       char image_id[BERTH_DIGEST_SIZE], berth_error **err) {
  const char *table = strchr(name, '@') ? "repo_digests" : "tags";
  if (berth_db_begin(db, err) < 0)
    return -1;
  int r = lookup_name(db, table, name, image_id, err);
  if (r <= 0) {
    berth_db_rollback(db);
    if (r == 0)
      berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", name);
    return -1;
  }
  char sql[64];
  snprintf(sql, sizeof sql, "DELETE FROM %s WHERE name = ?", table);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0) {
    berth_db_rollback(db);
    return -1;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (berth_db_step_done(db, st, err) < 0) {
    berth_db_rollback(db);
    return -1;
  }
  return berth_db_commit(db, err);
}

static int count_query(struct berth_db *db, const char *sql, const char *arg,
                       berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return berth_db_error(db, "count", err);
  return sqlite3_column_int(st, 0);
}

int berth_images_count_names(struct berth_db *db, const char *id,
                             berth_error **err) {
  return count_query(db,
                     "SELECT (SELECT count(*) FROM tags WHERE image_id = ?1) +"
                     " (SELECT count(*) FROM repo_digests WHERE image_id = ?1)",
                     id, err);
}

int berth_images_delete(struct berth_db *db, const char *id,
                        berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db, "DELETE FROM images WHERE id = ?", &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  return berth_db_step_done(db, st, err);
}

int berth_images_blob_in_use(struct berth_db *db, const char *digest,
                             berth_error **err) {
  return count_query(
      db,
      "SELECT EXISTS (SELECT 1 FROM images WHERE id = ?1 OR"
      " manifest_digest = ?1 OR index_digest = ?1) OR"
      " EXISTS (SELECT 1 FROM image_layers WHERE blob = ?1)",
      digest, err);
}

int berth_images_chain_in_use(struct berth_db *db, const char *chain_id,
                              berth_error **err) {
  return count_query(
      db, "SELECT EXISTS (SELECT 1 FROM image_layers WHERE chain_id = ?1)",
      chain_id, err);
}

int berth_images_set_parent(struct berth_db *db, const char *id,
                            const char *parent_id, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "INSERT OR IGNORE INTO image_parents (image_id,"
                       " parent_id) VALUES (?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, parent_id, -1, SQLITE_STATIC);
  return berth_db_step_done(db, st, err);
}

int berth_images_parent(struct berth_db *db, const char *id,
                        char parent[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(db,
                       "SELECT p.parent_id FROM image_parents p"
                       " JOIN images i ON i.id = p.parent_id"
                       " WHERE p.image_id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    copy_col(st, 0, parent);
    return 1;
  }
  return rc == SQLITE_DONE ? 0 : berth_db_error(db, "read the parent", err);
}

int berth_images_has_children(struct berth_db *db, const char *id,
                              berth_error **err) {
  /* A child's row goes with the child (ON DELETE CASCADE): a row left
   * names an image that exists. */
  return count_query(
      db, "SELECT EXISTS (SELECT 1 FROM image_parents WHERE parent_id = ?1)",
      id, err);
}

int berth_images_intermediate(struct berth_db *db, const char *id,
                              berth_error **err) {
  return count_query(
      db,
      "SELECT EXISTS (SELECT 1 FROM image_parents WHERE parent_id = ?1)"
      " AND NOT EXISTS (SELECT 1 FROM tags WHERE image_id = ?1)"
      " AND NOT EXISTS (SELECT 1 FROM repo_digests WHERE image_id = ?1)",
      id, err);
}
