/* Volumes: records in the database, directories under <root>/volumes,
 * their ownership across user namespaces, and their use by containers. */
#include "volumes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "fs.h"
#include "snapshot.h"
#include "volume_files.h"

/* Host id blocks of user namespaces start at 2^30 and are aligned to
 * their size (containers.c), so a file's owner tells which block (and
 * hence which container root) it belongs to. */
#define BLOCK_SIZE 65536u
#define BLOCK_FIRST 0x40000000u

static const char *const ACTIVE_STATES =
    "('" BERTH_ST_RUNNING "','" BERTH_ST_PAUSED "','" BERTH_ST_RESTARTING "')";

void berth_volume_clear(struct berth_volume *v) {
  free(v->name);
  json_decref(v->labels);
  memset(v, 0, sizeof *v);
}

void berth_volumes_free(struct berth_volume *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    berth_volume_clear(&v[i]);
  free(v);
}

int berth_volume_name_validate(const char *name, berth_error **err) {
  size_t n = strlen(name);
  bool ok = n >= 2 && n <= 255 && isalnum((unsigned char)name[0]);
  for (size_t i = 1; ok && i < n; i++)
    ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
  if (!ok)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid volume name `%.64s`: only "
                           "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least "
                           "2 characters",
                           name);
  return 0;
}

static void vol_dir(const struct berth_engine *e, const char *name, char *buf,
                    size_t len) {
  snprintf(buf, len, "%s/volumes/%s", e->root, name);
}

void berth_volume_path(const struct berth_engine *e, const char *name,
                       char *buf, size_t len) {
  snprintf(buf, len, "%s/volumes/%s/_data", e->root, name);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int gen_name(char out[65], berth_error **err) {
  unsigned char b[32];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
    return berth_error_sys(err, "getrandom");
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}

static uint32_t block_of(uid_t id) {
  return id >= BLOCK_FIRST ? (uint32_t)id & ~(BLOCK_SIZE - 1) : 0;
}

/* ---- Directories ----------------------------------------------------- */

/* volumes/ and volumes/<name> (0700) and _data (0755, owned by the
 * block's root: its mode is what containers see).  A volume's files keep
 * the ids containers see, so a setuid file a container's root made there
 * is setuid root on the host: no other local user may reach them.
 * Containers get volumes through mounts made by host root (start.c and
 * the runtime's fds), never by these paths.  Existing directories are
 * kept as they are.  *made tells whether _data was created. */
static int make_dirs(struct berth_engine *e, const char *name, uint32_t base,
                     bool *made, berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/volumes", e->root);
  if (berth_mkdir_p(path, 0700, err) < 0)
    return -1;
  vol_dir(e, name, path, sizeof path);
  if (mkdir(path, 0700) == 0) {
    if (chown(path, 0, base) < 0)
      return berth_error_sys(err, "chown `%s`", path);
  } else if (errno != EEXIST) {
    return berth_error_sys(err, "create `%s`", path);
  }
  berth_volume_path(e, name, path, sizeof path);
  *made = false;
  if (mkdir(path, 0755) == 0) {
    *made = true;
    if (chown(path, base, base) < 0 || chmod(path, 0755) < 0)
      return berth_error_sys(err, "chown `%s`", path);
  } else if (errno != EEXIST) {
    return berth_error_sys(err, "create `%s`", path);
  }
  return 0;
}

static int remove_dir(struct berth_engine *e, const char *name,
                      berth_error **err) {
  char path[4096];
  vol_dir(e, name, path, sizeof path);
  return berth_rm_rf(path, err);
}

/* Renames volumes/<name> out of the way (under the database lock, so it
 * is instant) to be removed after commit; prune removes leftovers. */
static int trash_dir(struct berth_engine *e, const char *name, char *out,
                     size_t len, berth_error **err) {
  char path[4096], rnd[65];
  vol_dir(e, name, path, sizeof path);
  if (gen_name(rnd, err) < 0)
    return -1;
  snprintf(out, len, "%s/volumes/.rm-%.16s", e->root, rnd);
  if (rename(path, out) < 0) {
    if (errno == ENOENT) {
      out[0] = '\0';
      return 0;
    }
    return berth_error_sys(err, "rename `%s`", path);
  }
  return 0;
}

/* The block owning the volume's files now (from _data's owner). */
static int current_block(struct berth_engine *e, const char *name,
                         uint32_t *out, berth_error **err) {
  char path[4096];
  berth_volume_path(e, name, path, sizeof path);
  struct stat st;
  if (lstat(path, &st) < 0)
    return berth_error_sys(err, "stat `%s`", path);
  *out = block_of(st.st_uid);
  return 0;
}

/* Gives the volume's files to block `to`. */
static int shift_volume(struct berth_engine *e, const char *name,
                        uint32_t from, uint32_t to, berth_error **err) {
  char path[4096];
  vol_dir(e, name, path, sizeof path);
  _cleanup_close_ int fd =
      open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  if (fchown(fd, 0, to) < 0)
    return berth_error_sys(err, "chown `%s`", path);
  if (berth_volume_tree_shift(fd, from, to, err) < 0)
    return berth_error_prefix(err, "give volume `%s` to host ids %u",
                              name, to);
  return 0;
}

/* ---- Records --------------------------------------------------------- */

/* Begins a transaction unless the caller has one open. */
static int tx_begin(struct berth_engine *e, bool *own, berth_error **err) {
  *own = sqlite3_get_autocommit(berth_db_sqlite(e->db)) != 0;
  return *own ? berth_db_begin(e->db, err) : 0;
}

static int tx_end(struct berth_engine *e, bool own, int rc,
                  berth_error **err) {
  if (!own)
    return rc;
  if (rc < 0) {
    berth_db_rollback(e->db);
    return rc;
  }
  return berth_db_commit(e->db, err);
}

static int insert_volume(struct berth_engine *e, const char *name,
                         json_t *labels, bool anonymous, berth_error **err) {
  json_t *l = json_is_object(labels) ? json_copy(labels) : json_object();
  if (anonymous)
    json_object_set_new(l, BERTH_VOLUME_ANON_LABEL, json_string(""));
  _cleanup_free_ char *text = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(l);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (!text)
    return berth_error_sys(err, "serialise labels");
  if (berth_db_prepare(e->db,
                       "INSERT INTO volumes (name, created, labels, anonymous)"
                       " VALUES (?, ?, ?, ?)",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now_ns());
  sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, anonymous);
  return berth_db_step_done(e->db, st, err);
}

#define VOL_SELECT                                                  \
  "SELECT name, created, labels, anonymous, (SELECT count(*) FROM " \
  "container_volumes cv WHERE cv.volume = v.name) FROM volumes v "

static int read_volume(struct berth_engine *e, sqlite3_stmt *st,
                       struct berth_volume *v, berth_error **err) {
  const char *name = (const char *)sqlite3_column_text(st, 0);
  const char *labels = (const char *)sqlite3_column_text(st, 2);
  v->name = strdup(name ? name : "");
  v->created = sqlite3_column_int64(st, 1);
  v->labels = labels ? json_loads(labels, 0, NULL) : NULL;
  v->anonymous = sqlite3_column_int(st, 3) != 0;
  v->refs = sqlite3_column_int(st, 4);
  if (!v->name)
    return berth_error_sys(err, "allocate");
  if (!json_is_object(v->labels)) {
    json_decref(v->labels);
    v->labels = json_object();
  }
  if (current_block(e, v->name, &v->id_base, NULL) < 0)
    v->id_base = 0;
  return 0;
}

static int read_volume_row(void *e, sqlite3_stmt *st, void *rec,
                           berth_error **err) {
  return read_volume(e, st, rec, err);
}

static void clear_volume(void *rec) { berth_volume_clear(rec); }

static int query(struct berth_engine *e, const char *where, const char *arg,
                 struct berth_volume **out, size_t *n, berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql, VOL_SELECT "%s ORDER BY name", where);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  return berth_db_rows(e->db, st, sizeof **out, read_volume_row,
                       clear_volume, e, "read volumes", (void **)out, n, err);
}

int berth_volume_list(struct berth_engine *e, struct berth_volume **out,
                      size_t *n, berth_error **err) {
  return query(e, "", NULL, out, n, err);
}

int berth_volume_get(struct berth_engine *e, const char *name,
                     struct berth_volume *out, berth_error **err) {
  struct berth_volume *v = NULL;
  size_t n = 0;
  if (query(e, "WHERE name = ?", name, &v, &n, err) < 0)
    return -1;
  if (n == 0) {
    free(v);
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "no such volume: `%s`", name);
  }
  *out = v[0];
  free(v);
  return 0;
}

static int volume_exists(struct berth_engine *e, const char *name,
                         bool *exists, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "SELECT 1 FROM volumes WHERE name = ?", &st,
                       err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return berth_db_error(e->db, "find volume", err);
  *exists = rc == SQLITE_ROW;
  return 0;
}

/* Docker's volume events: the volume's name as actor, its driver, and
 * for mount/unmount the container and where it is mounted. */
static int volume_event(struct berth_engine *e, const char *action,
                        const char *name, const char *ctr_id,
                        const char *destination, berth_error **err) {
  json_t *attrs = json_pack("{s:s}", "driver", "local");
  if (ctr_id)
    json_object_set_new(attrs, "container", json_string(ctr_id));
  if (destination)
    json_object_set_new(attrs, "destination", json_string(destination));
  int rc = berth_event_add(e->db, "volume", action, name, attrs, err);
  json_decref(attrs);
  return rc;
}

int berth_volumes_event(struct berth_engine *e, const char *ctr_id,
                        const char *action, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT volume, target FROM container_volumes WHERE "
                       "container_id = ? ORDER BY target",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (volume_event(e, action, (const char *)sqlite3_column_text(st, 0),
                     ctr_id, (const char *)sqlite3_column_text(st, 1),
                     err) < 0)
      return -1;
  return rc == SQLITE_DONE ? 0 : berth_db_error(e->db, "list volumes", err);
}

/* A record and its directories, in the open transaction. */
static int new_volume(struct berth_engine *e, const char *name, json_t *labels,
                      bool anonymous, uint32_t base, berth_error **err) {
  bool made;
  if (insert_volume(e, name, labels, anonymous, err) < 0 ||
      volume_event(e, "create", name, NULL, NULL, err) < 0)
    return -1;
  if (make_dirs(e, name, base, &made, err) < 0) {
    remove_dir(e, name, NULL);
    return -1;
  }
  return 0;
}

int berth_volume_create(struct berth_engine *e, const char *name,
                        json_t *labels, char **out_name, bool *created,
                        berth_error **err) {
  char gen[65];
  if (name && berth_volume_name_validate(name, err) < 0)
    return -1;
  if (!name) {
    if (gen_name(gen, err) < 0)
      return -1;
    name = gen;
  }
  bool own, exists = false, made = false;
  if (tx_begin(e, &own, err) < 0)
    return -1;
  int rc = volume_exists(e, name, &exists, err);
  if (rc == 0 && !exists) {
    made = true;
    rc = new_volume(e, name, labels, false, 0, err);
  }
  rc = tx_end(e, own, rc, err);
  if (rc < 0) {
    /* Only what this call made: never the data of an existing volume. */
    if (made)
      remove_dir(e, name, NULL);
    return -1;
  }
  if (!(*out_name = strdup(name)))
    return berth_error_sys(err, "allocate");
  if (created)
    *created = !exists;
  return 0;
}

/* Names of the containers referencing a volume, for messages. */
static char *users_of(struct berth_engine *e, const char *name) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT group_concat(name, ', ') FROM containers "
                       "WHERE id IN (SELECT container_id FROM "
                       "container_volumes WHERE volume = ?)",
                       &st, NULL) < 0)
    return NULL;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_text(st, 0))
    return NULL;
  return strdup((const char *)sqlite3_column_text(st, 0));
}

static int delete_row(struct berth_engine *e, const char *name,
                      berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, "DELETE FROM volumes WHERE name = ?", &st,
                       err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (berth_db_step_done(e->db, st, err) < 0)
    return -1;
  return volume_event(e, "destroy", name, NULL, NULL, err);
}

/* In the open transaction: the record goes, the directory to the trash. */
static int drop_volume(struct berth_engine *e, const char *name, char *trash,
                       size_t len, berth_error **err) {
  if (delete_row(e, name, err) < 0)
    return -1;
  return trash_dir(e, name, trash, len, err);
}

static void untrash(struct berth_engine *e, const char *name,
                    const char *trash) {
  char path[4096];
  vol_dir(e, name, path, sizeof path);
  if (*trash)
    (void)rename(trash, path);
}

int berth_volume_remove(struct berth_engine *e, const char *name,
                        berth_error **err) {
  struct berth_volume v = {0};
  char trash[4096] = "";
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  int rc = berth_volume_get(e, name, &v, err);
  if (rc == 0 && v.refs > 0) {
    _cleanup_free_ char *users = users_of(e, name);
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "remove `%s`: volume is in use by container%s `%s`",
                         name, v.refs > 1 ? "s" : "", users ? users : "?");
  }
  berth_volume_clear(&v);
  if (rc == 0)
    rc = drop_volume(e, name, trash, sizeof trash, err);
  if (rc < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  if (berth_db_commit(e->db, err) < 0) {
    untrash(e, name, trash);
    return -1;
  }
  if (*trash)
    (void)berth_rm_rf(trash, NULL);
  return 0;
}

/* ---- Prune ----------------------------------------------------------- */

struct strs {
  char **v;
  size_t n;
};

static void strs_free(struct strs *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

static int strs_add(struct strs *s, const char *x, berth_error **err) {
  char **nv = realloc(s->v, (s->n + 2) * sizeof *nv);
  if (!nv)
    return berth_error_sys(err, "allocate");
  s->v = nv;
  if (!(s->v[s->n] = strdup(x)))
    return berth_error_sys(err, "allocate");
  s->v[++s->n] = NULL;
  return 0;
}

static int select_names(struct berth_engine *e, const char *sql,
                        const char *arg, struct strs *out, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  if (arg)
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (strs_add(out, (const char *)sqlite3_column_text(st, 0), err) < 0)
      return -1;
  if (rc != SQLITE_DONE)
    return berth_db_error(e->db, "read volumes", err);
  return 0;
}

/* Directories under volumes/ with no record (a creation rolled back, a
 * removal interrupted) go to the trash list; the caller holds the write
 * lock, so no creation is in flight. */
static int orphans(struct berth_engine *e, struct strs *trash,
                   berth_error **err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/volumes", e->root);
  DIR *d = opendir(path);
  if (!d)
    return errno == ENOENT ? 0 : berth_error_sys(err, "open `%s`", path);
  struct dirent *de;
  int rc = 0;
  while (rc == 0 && (de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    bool exists = false;
    if (strncmp(de->d_name, ".rm-", 4) != 0 &&
        (rc = volume_exists(e, de->d_name, &exists, err)) < 0)
      break;
    if (!exists) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", path, de->d_name);
      rc = strs_add(trash, p, err);
    }
  }
  closedir(d);
  return rc;
}

/* Keeps the names whose volume's labels the filter selects. */
static int keep_selected(struct berth_engine *e,
                         const struct berth_volume_prune_filter *f,
                         struct strs *names, berth_error **err) {
  size_t k = 0;
  for (size_t i = 0; i < names->n; i++) {
    struct berth_volume v = {0};
    if (berth_volume_get(e, names->v[i], &v, err) < 0)
      return -1;
    bool keep = berth_volume_prune_selects(f, v.labels);
    berth_volume_clear(&v);
    if (keep)
      names->v[k++] = names->v[i];
    else
      free(names->v[i]);
  }
  names->n = k;
  if (names->v)
    names->v[k] = NULL;
  return 0;
}

static int prune_locked(struct berth_engine *e,
                        const struct berth_volume_prune_filter *f,
                        struct strs *names, struct strs *moved,
                        struct strs *trash, berth_error **err) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT name FROM volumes v WHERE NOT EXISTS (SELECT 1 FROM "
           "container_volumes cv WHERE cv.volume = v.name)%s",
           f && f->all ? "" : " AND anonymous");
  if (orphans(e, trash, err) < 0 ||
      select_names(e, sql, NULL, names, err) < 0 ||
      keep_selected(e, f, names, err) < 0)
    return -1;
  for (size_t i = 0; i < names->n; i++) {
    char t[4096];
    if (drop_volume(e, names->v[i], t, sizeof t, err) < 0)
      return -1;
    if (strs_add(moved, t, err) < 0) {
      untrash(e, names->v[i], t);
      return -1;
    }
  }
  return 0;
}

int berth_volume_prune(struct berth_engine *e, bool all, char ***removed,
                       size_t *n, uint64_t *reclaimed, berth_error **err) {
  struct berth_volume_prune_filter f = {.all = all};
  return berth_volume_prune_where(e, &f, removed, n, reclaimed, err);
}

int berth_volume_prune_where(struct berth_engine *e,
                             const struct berth_volume_prune_filter *f,
                             char ***removed, size_t *n, uint64_t *reclaimed,
                             berth_error **err) {
  struct strs names = {0}, moved = {0}, trash = {0};
  *reclaimed = 0;
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  if (prune_locked(e, f, &names, &moved, &trash, err) < 0 ||
      berth_db_commit(e->db, err) < 0) {
    berth_db_rollback(e->db);
    for (size_t i = 0; i < moved.n; i++)
      untrash(e, names.v[i], moved.v[i]);
    strs_free(&names);
    strs_free(&moved);
    strs_free(&trash);
    return -1;
  }
  for (size_t i = 0; i < moved.n; i++)
    if (*moved.v[i]) {
      *reclaimed += berth_volume_tree_size(moved.v[i]);
      (void)berth_rm_rf(moved.v[i], NULL);
    }
  /* Leftovers are not volumes: their bytes are not reported. */
  for (size_t i = 0; i < trash.n; i++)
    (void)berth_rm_rf(trash.v[i], NULL);
  strs_free(&moved);
  strs_free(&trash);
  *removed = names.v;
  *n = names.n;
  return 0;
}

/* ---- Use by containers ----------------------------------------------- */

static int exec1(struct berth_engine *e, const char *sql, const char *a,
                 const char *b, const char *c, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  const char *args[] = {a, b, c};
  for (int i = 0; i < 3; i++)
    if (args[i])
      sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
  return berth_db_step_done(e->db, st, err);
}

/* The host id of the container's root: its block, 0 for --userns=host. */
static int ctr_block(struct berth_engine *e, const char *ctr_id,
                     uint32_t *base, berth_error **err) {
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db,
                       "SELECT id_base, id_count FROM containers WHERE id = ?",
                       &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0,
                           "No such container: %s", ctr_id);
  if (rc != SQLITE_ROW)
    return berth_db_error(e->db, "read container", err);
  /* Volume files keep the ids the containers see (block 0): a container
   * in a user namespace gets the volume through an idmapped bind mount
   * made at start (start.c), so any number of containers of different
   * blocks can use it at once and nothing is ever re-owned.  Volumes a
   * previous berth gave to a block are brought back to block 0 here. */
  *base = 0;
  return 0;
}

/* A running container of another block than `base` using the volume:
 * shifting its files would take them from under it. */
static int busy_elsewhere(struct berth_engine *e, const char *name,
                          const char *ctr_id, uint32_t base, char **who,
                          berth_error **err) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT c.name FROM containers c JOIN container_volumes cv ON "
           "cv.container_id = c.id WHERE cv.volume = ?1 AND c.id != ?2 AND "
           "c.state IN %s AND (CASE WHEN c.id_count = 0 THEN 0 ELSE "
           "c.id_base END) != ?3 LIMIT 1",
           ACTIVE_STATES);
  _cleanup_stmt_ sqlite3_stmt *st = NULL;
  if (berth_db_prepare(e->db, sql, &st, err) < 0)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, base);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return berth_db_error(e->db, "find volume users", err);
  *who = rc == SQLITE_ROW
             ? strdup((const char *)sqlite3_column_text(st, 0))
             : NULL;
  return 0;
}

/* Gives an existing volume to block `base` (recreating directories a
 * crash lost).  When a running container of another block uses it the
 * files stay as they are: an error when strict (at start), silently at
 * create (start tries again). */
static int own_volume(struct berth_engine *e, const char *name,
                      const char *ctr_id, uint32_t base, bool strict,
                      berth_error **err) {
  bool made;
  uint32_t cur;
  if (make_dirs(e, name, base, &made, err) < 0 ||
      current_block(e, name, &cur, err) < 0)
    return -1;
  if (cur == base)
    return 0;
  _cleanup_free_ char *who = NULL;
  if (busy_elsewhere(e, name, ctr_id, base, &who, err) < 0)
    return -1;
  if (who)
    return strict ? berth_error_set(err, BERTH_ERR_STATE, 0,
                                    "volume `%s` is in use by running "
                                    "container `%s`, whose user namespace "
                                    "owns its files: stop it first",
                                    name, who)
                  : 0;
  return shift_volume(e, name, cur, base, err);
}

/* "/a//b/./c/" -> "/a/b/c"; INVALID for relative paths, "..", "/". */
static int clean_target(const char *in, const char *field, char **out,
                        berth_error **err) {
  if (in[0] != '/' || strlen(in) > 4096)
    return berth_error_spec(err, field, "mount target `%.64s` is not an "
                                        "absolute path",
                            in);
  char *o = malloc(strlen(in) + 2);
  if (!o)
    return berth_error_sys(err, "allocate");
  size_t n = 0;
  for (const char *p = in; *p;) {
    while (*p == '/')
      p++;
    const char *end = strchrnul(p, '/');
    size_t len = (size_t)(end - p);
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      free(o);
      return berth_error_spec(err, field, "mount target `%.64s` contains "
                                          "`..`",
                              in);
    }
    if (len && !(len == 1 && *p == '.')) {
      o[n++] = '/';
      memcpy(o + n, p, len);
      n += len;
    }
    p = end;
  }
  o[n] = '\0';
  if (n == 0) {
    free(o);
    return berth_error_spec(err, field, "a volume cannot be mounted on `/`");
  }
  *out = o;
  return 0;
}

struct attach {
  struct berth_engine *e;
  const char *ctr_id;
  uint32_t base;
  struct strs made;    /* volumes created: removed on failure */
  struct strs targets; /* every mount target, cleaned */
};

static bool has_target(const struct attach *a, const char *t) {
  for (size_t i = 0; i < a->targets.n; i++)
    if (strcmp(a->targets.v[i], t) == 0)
      return true;
  return false;
}

/* The container's image layers' snapshot directories, top first. */
static int layer_dirs(struct berth_engine *e, const char *ctr_id,
                      struct strs *out, berth_error **err) {
  struct strs chains = {0};
  int rc = select_names(e,
                        "SELECT l.chain_id FROM image_layers l JOIN "
                        "containers c ON c.image_id = l.image_id WHERE "
                        "c.id = ? ORDER BY l.idx DESC",
                        ctr_id, &chains, err);
  for (size_t i = 0; rc == 0 && i < chains.n; i++) {
    char dir[4096], fs[4200];
    rc = berth_snapshot_dir(e->root, chains.v[i], dir, sizeof dir, err);
    snprintf(fs, sizeof fs, "%s/fs", dir);
    if (rc == 0)
      rc = strs_add(out, fs, err);
  }
  strs_free(&chains);
  return rc;
}

/* Docker's copy-in: an empty volume mounted over a directory of the
 * image starts with the image's content (unless NoCopy).  Done here, at
 * create, from the snapshots, while no container can see the volume. */
static int copy_image(struct attach *a, const char *name, const char *target,
                      json_t *m, berth_error **err) {
  if (json_is_true(json_object_get(json_object_get(m, "VolumeOptions"),
                                   "NoCopy")))
    return 0;
  char path[4096];
  berth_volume_path(a->e, name, path, sizeof path);
  _cleanup_close_ int fd =
      open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_error_sys(err, "open `%s`", path);
  if (!berth_volume_dir_empty(fd))
    return 0;
  struct strs layers = {0};
  int rc = layer_dirs(a->e, a->ctr_id, &layers, err);
  if (rc == 0)
    rc = berth_volume_copy_in((const char *const *)layers.v, layers.n,
                              target, fd, a->base, err);
  strs_free(&layers);
  return rc;
}

/* One Type "volume" entry of Mounts. */
static int attach_one(struct attach *a, json_t *m, const char *target,
                      const char *field, berth_error **err) {
  const char *src = json_string_value(json_object_get(m, "Source"));
  char gen[65], path[4096];
  bool anonymous = !src || !*src, exists = false;
  if (anonymous) {
    if (gen_name(gen, err) < 0)
      return -1;
    src = gen;
  } else if (berth_volume_name_validate(src, err) < 0) {
    return berth_error_prefix(err, "%s", field);
  }
  if (volume_exists(a->e, src, &exists, err) < 0)
    return -1;
  if (!exists) {
    if (new_volume(a->e, src, NULL, anonymous, a->base, err) < 0 ||
        strs_add(&a->made, src, err) < 0)
      return -1;
  } else if (own_volume(a->e, src, a->ctr_id, a->base, false, err) < 0) {
    return -1;
  }
  if (exec1(a->e,
            "INSERT INTO container_volumes (container_id, volume, target) "
            "VALUES (?, ?, ?)",
            a->ctr_id, src, target, err) < 0 ||
      copy_image(a, src, target, m, err) < 0)
    return -1;
  berth_volume_path(a->e, src, path, sizeof path);
  json_object_set_new(m, "Source", json_string(src));
  json_object_set_new(m, "Target", json_string(target));
  json_object_set_new(m, "HostPath", json_string(path));
  return 0;
}

static int user_mounts(struct attach *a, json_t *mounts, berth_error **err) {
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    char field[64];
    snprintf(field, sizeof field, "HostConfig.Mounts[%zu]", i);
    const char *t = json_string_value(json_object_get(m, "Target"));
    const char *type = json_string_value(json_object_get(m, "Type"));
    _cleanup_free_ char *target = NULL;
    if (!t)
      continue;
    if (clean_target(t, field, &target, err) < 0)
      return -1;
    if (has_target(a, target))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "duplicate mount point `%s`", target);
    if (strs_add(&a->targets, target, err) < 0)
      return -1;
    if (type && strcmp(type, "volume") == 0 &&
        attach_one(a, m, target, field, err) < 0)
      return -1;
  }
  return 0;
}

/* The image's VOLUME paths no user mount covers: anonymous volumes. */
static int image_volumes(struct attach *a, json_t *config, json_t *mounts,
                         berth_error **err) {
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(config, "Volumes"), key, v) {
    char field[128];
    snprintf(field, sizeof field, "Volumes[%.64s]", key);
    _cleanup_free_ char *target = NULL;
    if (clean_target(key, field, &target, err) < 0)
      return -1;
    if (has_target(a, target))
      continue;
    json_t *m = json_pack("{s:s,s:s}", "Type", "volume", "Target", target);
    if (!m || json_array_append_new(mounts, m) < 0 ||
        strs_add(&a->targets, target, err) < 0 ||
        attach_one(a, m, target, field, err) < 0)
      return m ? -1 : berth_error_sys(err, "allocate");
  }
  return 0;
}

static int save_config(struct berth_engine *e, const char *ctr_id,
                       json_t *config, berth_error **err) {
  _cleanup_free_ char *text = json_dumps(config, JSON_COMPACT);
  if (!text)
    return berth_error_sys(err, "serialise container config");
  return exec1(e, "UPDATE containers SET config = ?2 WHERE id = ?1", ctr_id,
               text, NULL, err);
}

int berth_volumes_attach(struct berth_engine *e, const char *ctr_id,
                         json_t *config, berth_error **err) {
  struct attach a = {.e = e, .ctr_id = ctr_id};
  json_t *hc = json_object_get(config, "HostConfig");
  if (!json_is_object(hc))
    json_object_set_new(config, "HostConfig", hc = json_object());
  json_t *mounts = json_object_get(hc, "Mounts");
  if (!json_is_array(mounts))
    json_object_set_new(hc, "Mounts", mounts = json_array());
  int rc = ctr_block(e, ctr_id, &a.base, err);
  if (rc == 0)
    rc = user_mounts(&a, mounts, err);
  if (rc == 0)
    rc = image_volumes(&a, config, mounts, err);
  if (rc == 0)
    rc = save_config(e, ctr_id, config, err);
  if (rc < 0)
    for (size_t i = 0; i < a.made.n; i++)
      remove_dir(e, a.made.v[i], NULL);
  strs_free(&a.made);
  strs_free(&a.targets);
  return rc;
}

int berth_volumes_claim(struct berth_engine *e, const char *ctr_id,
                        berth_error **err) {
  struct strs names = {0};
  uint32_t base;
  bool own;
  if (tx_begin(e, &own, err) < 0)
    return -1;
  int rc = ctr_block(e, ctr_id, &base, err);
  if (rc == 0)
    rc = select_names(e,
                      "SELECT DISTINCT volume FROM container_volumes "
                      "WHERE container_id = ?",
                      ctr_id, &names, err);
  for (size_t i = 0; rc == 0 && i < names.n; i++)
    rc = own_volume(e, names.v[i], ctr_id, base, true, err);
  strs_free(&names);
  return tx_end(e, own, rc, err);
}

int berth_volumes_detach(struct berth_engine *e, const char *ctr_id,
                         bool remove_anonymous, berth_error **err) {
  struct strs names = {0}, moved = {0};
  bool own;
  if (tx_begin(e, &own, err) < 0)
    return -1;
  int rc = 0;
  if (remove_anonymous)
    rc = select_names(e,
                      "SELECT DISTINCT cv.volume FROM container_volumes cv "
                      "JOIN volumes v ON v.name = cv.volume WHERE "
                      "cv.container_id = ?1 AND v.anonymous AND NOT EXISTS "
                      "(SELECT 1 FROM container_volumes o WHERE o.volume = "
                      "cv.volume AND o.container_id != ?1)",
                      ctr_id, &names, err);
  if (rc == 0)
    rc = exec1(e, "DELETE FROM container_volumes WHERE container_id = ?",
               ctr_id, NULL, NULL, err);
  for (size_t i = 0; rc == 0 && i < names.n; i++) {
    char t[4096];
    rc = drop_volume(e, names.v[i], t, sizeof t, err);
    if (rc == 0 && (rc = strs_add(&moved, t, err)) < 0)
      untrash(e, names.v[i], t);
  }
  rc = tx_end(e, own, rc, err);
  for (size_t i = 0; i < moved.n; i++) {
    if (rc < 0)
      untrash(e, names.v[i], moved.v[i]);
    else if (*moved.v[i])
      (void)berth_rm_rf(moved.v[i], NULL);
  }
  strs_free(&names);
  strs_free(&moved);
  return rc;
}
