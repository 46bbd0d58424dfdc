/* The stat cache of context file digests (table build_file_hashes,
 * src/engine/schema.c): a file whose absolute path, device, inode, size,
 * mtime and ctime are those recorded has the recorded content digest,
 * so an unchanged context is digested without reading any file.
 *
 * ctime is the guard that cannot be forged: no system call sets it, and
 * any change of content, mode, owner or xattrs moves it.  A file whose
 * ctime is too recent is hashed but not recorded: file system
 * timestamps come from a clock that ticks in jiffies, so a file written
 * again within the same tick after we read it would keep its ctime
 * (git's "racy clean" problem).  Reads take no lock; writes happen only
 * when something changed, in one transaction at the end. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "context_internal.h"

/* Far longer than a file system timestamp tick. */
#define RACY_NS 100000000ll
/* last_used is refreshed at most this often, so a rebuild writes
 * nothing, and rows unused for PRUNE_S are dropped when writing. */
#define TOUCH_S (24 * 3600)
#define PRUNE_S (30 * 24 * 3600)

struct row {
  char *path;
  int64_t f[5]; /* dev, ino, size, mtime_ns, ctime_ns */
  char digest[BERTH_DIGEST_SIZE];
};

struct berth_hash_cache {
  struct berth_db *db;
  sqlite3_stmt *get;
  int64_t now_s, start_ns;
  struct row *put;
  size_t nput;
  char **touch;
  size_t ntouch;
};

static int64_t ns(struct timespec t) {
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void fields(const struct stat *st, int64_t f[5]) {
  f[0] = (int64_t)st->st_dev;
  f[1] = (int64_t)st->st_ino;
  f[2] = (int64_t)st->st_size;
  f[3] = ns(st->st_mtim);
  f[4] = ns(st->st_ctim);
}

int berth_hash_cache_open(struct berth_db *db, struct berth_hash_cache **out,
                          berth_error **err) {
  struct berth_hash_cache *c = calloc(1, sizeof *c);
  if (!c)
    return berth_error_sys(err, "allocate");
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  c->db = db;
  c->now_s = now.tv_sec;
  c->start_ns = ns(now);
  if (berth_db_prepare(db,
                       "SELECT dev, ino, size, mtime_ns, ctime_ns, digest, "
                       "last_used FROM build_file_hashes WHERE path = ?1",
                       &c->get, err) < 0) {
    free(c);
    return -1;
  }
  *out = c;
  return 0;
}

static int remember_touch(struct berth_hash_cache *c, const char *path) {
  char **nt = realloc(c->touch, (c->ntouch + 1) * sizeof *nt);
  if (!nt)
    return -1;
  c->touch = nt;
  if (!(nt[c->ntouch] = strdup(path)))
    return -1;
  c->ntouch++;
  return 0;
}

bool berth_hash_cache_get(struct berth_hash_cache *c, const char *path,
                          const struct stat *st,
                          char digest[BERTH_DIGEST_SIZE]) {
  int64_t f[5];
  fields(st, f);
  sqlite3_reset(c->get);
  sqlite3_bind_text(c->get, 1, path, -1, SQLITE_STATIC);
  bool hit = sqlite3_step(c->get) == SQLITE_ROW;
  for (int i = 0; hit && i < 5; i++)
    hit = sqlite3_column_int64(c->get, i) == f[i];
  const unsigned char *d = hit ? sqlite3_column_text(c->get, 5) : NULL;
  hit = d && strlen((const char *)d) == BERTH_DIGEST_LEN;
  if (hit) {
    memcpy(digest, d, BERTH_DIGEST_SIZE);
    if (sqlite3_column_int64(c->get, 6) < c->now_s - TOUCH_S)
      (void)remember_touch(c, path); /* losing a touch costs nothing */
  }
  sqlite3_reset(c->get);
  return hit;
}

void berth_hash_cache_put(struct berth_hash_cache *c, const char *path,
                          const struct stat *st,
                          const char digest[BERTH_DIGEST_SIZE]) {
  if (ns(st->st_ctim) > c->start_ns - RACY_NS)
    return; /* may still change within the same timestamp tick */
  struct row *np = realloc(c->put, (c->nput + 1) * sizeof *np);
  if (!np)
    return;
  c->put = np;
  struct row *r = &np[c->nput];
  if (!(r->path = strdup(path)))
    return;
  fields(st, r->f);
  memcpy(r->digest, digest, BERTH_DIGEST_SIZE);
  c->nput++;
}

static int write_rows(struct berth_hash_cache *c, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *up = NULL, *touch = NULL, *prune = NULL;
  if (berth_db_prepare(c->db,
                       "INSERT INTO build_file_hashes (path, dev, ino, size, "
                       "mtime_ns, ctime_ns, digest, last_used) VALUES "
                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(path) DO "
                       "UPDATE SET dev = ?2, ino = ?3, size = ?4, mtime_ns = "
                       "?5, ctime_ns = ?6, digest = ?7, last_used = ?8",
                       &up, err) < 0 ||
      berth_db_prepare(c->db,
                       "UPDATE build_file_hashes SET last_used = ?2 WHERE "
                       "path = ?1",
                       &touch, err) < 0 ||
      berth_db_prepare(c->db,
                       "DELETE FROM build_file_hashes WHERE last_used < ?1",
                       &prune, err) < 0)
    return -1;
  for (size_t i = 0; i < c->nput; i++) {
    sqlite3_reset(up);
    sqlite3_bind_text(up, 1, c->put[i].path, -1, SQLITE_STATIC);
    for (int k = 0; k < 5; k++)
      sqlite3_bind_int64(up, k + 2, c->put[i].f[k]);
    sqlite3_bind_text(up, 7, c->put[i].digest, -1, SQLITE_STATIC);
    sqlite3_bind_int64(up, 8, c->now_s);
    if (berth_db_step_done(c->db, up, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < c->ntouch; i++) {
    sqlite3_reset(touch);
    sqlite3_bind_text(touch, 1, c->touch[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(touch, 2, c->now_s);
    if (berth_db_step_done(c->db, touch, err) < 0)
      return -1;
  }
  sqlite3_bind_int64(prune, 1, c->now_s - PRUNE_S);
  return berth_db_step_done(c->db, prune, err);
}

/* Writes what changed.  The cache only saves work: when the database is
 * busy or read-only the next build hashes those files again, so a
 * failure here is not the build's. */
void berth_hash_cache_close(struct berth_hash_cache *c) {
  if (!c)
    return;
  sqlite3_finalize(c->get);
  berth_error *e = NULL;
  if ((c->nput || c->ntouch) && berth_db_begin(c->db, &e) == 0) {
    if (write_rows(c, &e) < 0 || berth_db_commit(c->db, &e) < 0)
      berth_db_rollback(c->db);
  }
  berth_error_free(e);
  for (size_t i = 0; i < c->nput; i++)
    free(c->put[i].path);
  for (size_t i = 0; i < c->ntouch; i++)
    free(c->touch[i]);
  free(c->put);
  free(c->touch);
  free(c);
}
