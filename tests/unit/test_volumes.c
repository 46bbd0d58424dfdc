/* Volumes against a real SQLite database and real directories: records,
 * names, removal refused while in use, prune, attach at create (user
 * mounts and image VOLUMEs), ownership shifts between id blocks, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "db.h"
#include "engine.h"
#include "fs.h"
#include "volumes.h"

#define B1 0x40010000u
#define B2 0x40020000u

struct t {
  char root[64];
  struct berth_engine e;
};

static int setup(void **state) {
  struct t *t = calloc(1, sizeof *t);
  char dbpath[128];
  strcpy(t->root, "/tmp/berth-test-volumes.XXXXXX");
  if (!mkdtemp(t->root))
    return -1;
  snprintf(dbpath, sizeof dbpath, "%s/berth.db", t->root);
  t->e.root = t->root;
  if (berth_db_open(dbpath, &t->e.db, NULL) < 0 ||
      berth_engine_migrate(t->e.db, NULL) < 0)
    return -1;
  *state = t;
  return 0;
}

static int teardown(void **state) {
  struct t *t = *state;
  berth_db_close(t->e.db);
  int rc = berth_rm_rf(t->root, NULL);
  free(t);
  return rc;
}

static void sql(struct t *t, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *msg = NULL;
  int rc = sqlite3_exec(berth_db_sqlite(t->e.db), buf, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    fprintf(stderr, "%s: %s\n", buf, msg);
  sqlite3_free(msg);
  assert_int_equal(rc, SQLITE_OK);
}

static int count(struct t *t, const char *q) {
  sqlite3_stmt *st;
  assert_int_equal(
      sqlite3_prepare_v2(berth_db_sqlite(t->e.db), q, -1, &st, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return n;
}

static void add_ctr(struct t *t, const char *id, uint32_t base,
                    const char *state) {
  sql(t,
      "INSERT INTO containers (id, name, image_id, image_name, created, "
      "config, state, id_base, id_count) VALUES ('%s', 'n%s', 'sha256:img', "
      "'img', 0, "
      "'{}', '%s', %u, %u)",
      id, id, state, base, base ? 65536u : 0u);
}

static void data_path(struct t *t, const char *name, const char *rel,
                      char *buf, size_t len) {
  char d[4096];
  berth_volume_path(&t->e, name, d, sizeof d);
  snprintf(buf, len, "%s%s%s", d, rel ? "/" : "", rel ? rel : "");
}

static bool exists(struct t *t, const char *name) {
  char p[4096];
  data_path(t, name, NULL, p, sizeof p);
  return access(p, F_OK) == 0;
}

static uid_t owner(const char *path) {
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  return st.st_uid;
}

/* Attaches `config` (JSON text) to a new container; returns the config. */
static json_t *attach(struct t *t, const char *id, uint32_t base,
                      const char *config, berth_error **err) {
  add_ctr(t, id, base, "created");
  json_t *c = json_loads(config, 0, NULL);
  assert_non_null(c);
  assert_int_equal(berth_db_begin(t->e.db, NULL), 0);
  if (berth_volumes_attach(&t->e, id, c, err) < 0) {
    berth_db_rollback(t->e.db);
    json_decref(c);
    return NULL;
  }
  assert_int_equal(berth_db_commit(t->e.db, NULL), 0);
  return c;
}

static void test_names(void **state) {
  (void)state;
  const char *ok[] = {"ab", "data", "my-vol_1.x", "0x"};
  const char *bad[] = {"a", "", "-x", ".x", "a/b", "a b", "../x", "x:y"};
  for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
    assert_int_equal(berth_volume_name_validate(ok[i], NULL), 0);
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    berth_error *err = NULL;
    assert_int_equal(berth_volume_name_validate(bad[i], &err), -1);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    berth_error_free(err);
  }
}

static void test_create_get_list(void **state) {
  struct t *t = *state;
  _cleanup_free_ char *name = NULL, *again = NULL, *anon = NULL;
  bool created;
  json_t *labels = json_pack("{s:s}", "k", "v");
  assert_int_equal(
      berth_volume_create(&t->e, "data", labels, &name, &created, NULL), 0);
  json_decref(labels);
  assert_string_equal(name, "data");
  assert_true(created);
  assert_true(exists(t, "data"));
  char p[4096];
  data_path(t, "data", NULL, p, sizeof p);
  assert_int_equal(owner(p), 0);
  /* An existing name is fine and keeps its labels (Docker). */
  assert_int_equal(
      berth_volume_create(&t->e, "data", NULL, &again, &created, NULL), 0);
  assert_false(created);
  struct berth_volume v = {0};
  assert_int_equal(berth_volume_get(&t->e, "data", &v, NULL), 0);
  assert_string_equal(json_string_value(json_object_get(v.labels, "k")), "v");
  assert_false(v.anonymous);
  assert_int_equal(v.refs, 0);
  assert_true(v.created > 0);
  berth_volume_clear(&v);
  /* No name: 64 hex digits. */
  assert_int_equal(berth_volume_create(&t->e, NULL, NULL, &anon, NULL, NULL),
                   0);
  assert_int_equal(strlen(anon), 64);
  assert_int_equal(strspn(anon, "0123456789abcdef"), 64);
  assert_true(exists(t, anon));
  struct berth_volume *all = NULL;
  size_t n = 0;
  assert_int_equal(berth_volume_list(&t->e, &all, &n, NULL), 0);
  assert_int_equal(n, 2);
  berth_volumes_free(all, n);
  berth_error *err = NULL;
  assert_int_equal(berth_volume_get(&t->e, "nope", &v, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  err = NULL;
  assert_int_equal(berth_volume_create(&t->e, "a/../b", NULL, &again, NULL,
                                       &err),
                   -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
}

static void test_remove(void **state) {
  struct t *t = *state;
  _cleanup_free_ char *name = NULL;
  assert_int_equal(berth_volume_create(&t->e, "gone", NULL, &name, NULL, NULL),
                   0);
  assert_int_equal(berth_volume_remove(&t->e, "gone", NULL), 0);
  assert_false(exists(t, "gone"));
  char p[4096];
  snprintf(p, sizeof p, "%s/volumes/gone", t->root);
  assert_int_not_equal(access(p, F_OK), 0);
  berth_error *err = NULL;
  assert_int_equal(berth_volume_remove(&t->e, "gone", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  /* In use by a container that is not even running: refused. */
  json_t *c = attach(t, "c1", 0,
                     "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\","
                     "\"Source\":\"kept\",\"Target\":\"/d\"}]}}",
                     NULL);
  assert_non_null(c);
  json_decref(c);
  err = NULL;
  assert_int_equal(berth_volume_remove(&t->e, "kept", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_STATE);
  assert_non_null(strstr(err->msg, "nc1"));
  berth_error_free(err);
  assert_true(exists(t, "kept"));
}

static void test_attach(void **state) {
  struct t *t = *state;
  json_t *c = attach(t, "c1", B1,
                     "{\"Volumes\":{\"/img\":{},\"/data/\":{}},"
                     "\"HostConfig\":{\"Mounts\":["
                     "{\"Type\":\"volume\",\"Source\":\"data\","
                     "\"Target\":\"/data\"},"
                     "{\"Type\":\"volume\",\"Target\":\"/anon\"},"
                     "{\"Type\":\"tmpfs\",\"Target\":\"/t\"}]}}",
                     NULL);
  assert_non_null(c);
  json_t *m = json_object_get(json_object_get(c, "HostConfig"), "Mounts");
  assert_int_equal(json_array_size(m), 4); /* /data not twice */
  const char *targets[] = {"/data", "/anon", NULL, "/img"};
  for (size_t i = 0; i < 4; i++) {
    json_t *e = json_array_get(m, i);
    if (!targets[i]) {
      assert_null(json_object_get(e, "HostPath"));
      continue;
    }
    assert_string_equal(json_string_value(json_object_get(e, "Target")),
                        targets[i]);
    const char *src = json_string_value(json_object_get(e, "Source"));
    const char *hp = json_string_value(json_object_get(e, "HostPath"));
    assert_non_null(src);
    assert_non_null(hp);
    char want[4096];
    data_path(t, src, NULL, want, sizeof want);
    assert_string_equal(hp, want);
    /* Volume files keep container ids (idmapped at start): root's. */
    assert_int_equal(owner(hp), 0);
    struct stat st;
    assert_int_equal(stat(hp, &st), 0);
    assert_int_equal(st.st_gid, 0);
    /* Only host root gets through volumes/ and volumes/<name> (files may
     * be setuid root). */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/volumes/%s", t->root, src);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);
    snprintf(dir, sizeof dir, "%s/volumes", t->root);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
  }
  assert_int_equal(count(t, "SELECT count(*) FROM container_volumes WHERE "
                            "container_id='c1'"),
                   3);
  assert_int_equal(count(t, "SELECT count(*) FROM volumes WHERE anonymous"), 2);
  /* The record holds the resolved config. */
  assert_int_equal(count(t, "SELECT count(*) FROM containers WHERE id='c1' "
                            "AND config LIKE '%HostPath%/img%'"),
                   1);
  json_decref(c);
}

static void test_attach_errors(void **state) {
  struct t *t = *state;
  const char *bad[] = {
      "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"aa\","
      "\"Target\":\"/x\"},{\"Type\":\"volume\",\"Target\":\"/x/\"}]}}",
      "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"a/b\","
      "\"Target\":\"/x\"}]}}",
      "{\"Volumes\":{\"rel\":{}}}",
      "{\"Volumes\":{\"/a/../../b\":{}}}",
      "{\"Volumes\":{\"/\":{}}}",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    char id[8];
    snprintf(id, sizeof id, "e%zu", i);
    berth_error *err = NULL;
    assert_null(attach(t, id, B1, bad[i], &err));
    assert_non_null(err);
    assert_true(err->kind == BERTH_ERR_INVALID || err->kind == BERTH_ERR_SPEC);
    berth_error_free(err);
  }
  /* Nothing left behind: no records, no directories. */
  assert_int_equal(count(t, "SELECT count(*) FROM volumes"), 0);
  assert_int_equal(count(t, "SELECT count(*) FROM container_volumes"), 0);
  assert_false(exists(t, "aa"));
}

/* A volume used by a container of block B1, then by one of block B2:
 * the files move to B2, ids outside the block stay, setuid bits stay,
 * symlinks are changed themselves and never followed. */
/* A volume an earlier berth gave to a container's id block (files owned
 * by B1 + id) comes back to container ids at its next attach; ids outside
 * the block and symlink targets are left alone. */
static void test_shift(void **state) {
  struct t *t = *state;
  const char *cfg = "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\","
                    "\"Source\":\"shared\",\"Target\":\"/d\"}]}}";
  json_t *c = attach(t, "c1", B1, cfg, NULL);
  assert_non_null(c);
  json_decref(c);
  char f[4096], sub[4096], lnk[4096], host[4096], outside[4096], dir[4096];
  data_path(t, "shared", NULL, dir, sizeof dir);
  data_path(t, "shared", "f", f, sizeof f);
  data_path(t, "shared", "sub", sub, sizeof sub);
  data_path(t, "shared", "sub/l", lnk, sizeof lnk);
  data_path(t, "shared", "host", host, sizeof host);
  snprintf(outside, sizeof outside, "%s/outside", t->root);
  assert_int_equal(berth_write_file_atomic(f, "x", 1, 0755, NULL), 0);
  assert_int_equal(berth_write_file_atomic(host, "y", 1, 0644, NULL), 0);
  assert_int_equal(berth_write_file_atomic(outside, "z", 1, 0644, NULL), 0);
  assert_int_equal(chown(outside, 7, 7), 0);
  assert_int_equal(chown(host, 42, 42), 0);
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(chown(sub, B1 + 1000, B1 + 1000), 0);
  assert_int_equal(symlink(outside, lnk), 0);
  assert_int_equal(lchown(lnk, B1 + 5, B1 + 5), 0);
  assert_int_equal(chown(f, B1, B1 + 3), 0);
  assert_int_equal(chmod(f, 04755), 0);
  assert_int_equal(chown(dir, B1, B1), 0);
  assert_int_equal(berth_volumes_detach(&t->e, "c1", true, NULL), 0);
  sql(t, "DELETE FROM containers WHERE id='c1'");
  c = attach(t, "c2", B2, cfg, NULL);
  assert_non_null(c);
  json_decref(c);
  struct stat st;
  assert_int_equal(lstat(f, &st), 0);
  assert_int_equal(st.st_uid, 0);
  assert_int_equal(st.st_gid, 3);
  assert_int_equal(st.st_mode & 07777, 04755);
  assert_int_equal(owner(sub), 1000);
  assert_int_equal(owner(lnk), 5);
  assert_int_equal(owner(host), 42);
  assert_int_equal(owner(outside), 7); /* not followed */
  assert_int_equal(owner(dir), 0);
  struct berth_volume v = {0};
  assert_int_equal(berth_volume_get(&t->e, "shared", &v, NULL), 0);
  assert_int_equal(v.id_base, 0);
  berth_volume_clear(&v);
}

/* Containers of different blocks use a volume at once: nothing to take
 * from anyone, claim always succeeds and ownership does not move. */
static void test_busy(void **state) {
  struct t *t = *state;
  const char *cfg = "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\","
                    "\"Source\":\"busy\",\"Target\":\"/d\"}]}}";
  json_t *c = attach(t, "c1", B1, cfg, NULL);
  assert_non_null(c);
  json_decref(c);
  sql(t, "UPDATE containers SET state='running' WHERE id='c1'");
  c = attach(t, "c2", B2, cfg, NULL);
  assert_non_null(c);
  json_decref(c);
  char d[4096];
  data_path(t, "busy", NULL, d, sizeof d);
  assert_int_equal(owner(d), 0);
  assert_int_equal(berth_volumes_claim(&t->e, "c2", NULL), 0);
  assert_int_equal(berth_volumes_claim(&t->e, "c1", NULL), 0);
  assert_int_equal(owner(d), 0);
}

static void test_detach_prune(void **state) {
  struct t *t = *state;
  json_t *c = attach(t, "c1", B1,
                     "{\"Volumes\":{\"/img\":{}},\"HostConfig\":{\"Mounts\":"
                     "[{\"Type\":\"volume\",\"Source\":\"named\","
                     "\"Target\":\"/n\"}]}}",
                     NULL);
  assert_non_null(c);
  const char *anon = json_string_value(json_object_get(
      json_array_get(json_object_get(json_object_get(c, "HostConfig"),
                                     "Mounts"),
                     1),
      "Source"));
  char anon_name[65];
  snprintf(anon_name, sizeof anon_name, "%s", anon);
  json_decref(c);
  c = attach(t, "c2", B1,
             "{\"Volumes\":{\"/img\":{}}}", NULL);
  assert_non_null(c);
  json_decref(c);
  /* rm -v: the anonymous volume goes, the named one stays. */
  assert_int_equal(berth_volumes_detach(&t->e, "c1", true, NULL), 0);
  assert_false(exists(t, anon_name));
  assert_true(exists(t, "named"));
  assert_int_equal(count(t, "SELECT count(*) FROM container_volumes WHERE "
                            "container_id='c1'"),
                   0);
  /* rm without -v: kept, unused; prune takes it, and only it. */
  assert_int_equal(berth_volumes_detach(&t->e, "c2", false, NULL), 0);
  assert_int_equal(count(t, "SELECT count(*) FROM volumes"), 2);
  char p[4096];
  struct berth_volume *all = NULL;
  size_t n;
  assert_int_equal(berth_volume_list(&t->e, &all, &n, NULL), 0);
  assert_int_equal(n, 2);
  const char *other = strcmp(all[0].name, "named") ? all[0].name : all[1].name;
  data_path(t, other, "blob", p, sizeof p);
  assert_int_equal(berth_write_file_atomic(p, "0123456789", 10, 0644, NULL), 0);
  berth_volumes_free(all, n);
  /* An orphan directory (a creation rolled back) is cleaned too. */
  snprintf(p, sizeof p, "%s/volumes/orphan/_data", t->root);
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  char **removed = NULL;
  uint64_t bytes = 0;
  assert_int_equal(berth_volume_prune(&t->e, false, &removed, &n, &bytes,
                                      NULL),
                   0);
  assert_int_equal(n, 1);
  assert_int_equal(strlen(removed[0]), 64);
  assert_int_equal(bytes, 10);
  free(removed[0]);
  free(removed);
  assert_int_not_equal(access(p, F_OK), 0);
  assert_true(exists(t, "named"));
  /* -a: named ones too. */
  assert_int_equal(berth_volume_prune(&t->e, true, &removed, &n, &bytes,
                                      NULL),
                   0);
  assert_int_equal(n, 1);
  assert_string_equal(removed[0], "named");
  free(removed[0]);
  free(removed);
  assert_false(exists(t, "named"));
  snprintf(p, sizeof p, "%s/volumes", t->root);
  assert_int_equal(rmdir(p), 0); /* empty: nothing left behind */
}

/* The API's prune filters: labels select among the unused ones. */
static void test_prune_labels(void **state) {
  struct t *t = *state;
  json_t *keep = json_pack("{s:s}", "keep", "yes");
  json_t *drop = json_pack("{s:s}", "keep", "no");
  char *name = NULL;
  assert_int_equal(berth_volume_create(&t->e, "k1", keep, &name, NULL, NULL),
                   0);
  free(name);
  assert_int_equal(berth_volume_create(&t->e, "d1", drop, &name, NULL, NULL),
                   0);
  free(name);
  assert_int_equal(berth_volume_create(&t->e, "n1", NULL, &name, NULL, NULL),
                   0);
  free(name);
  struct berth_volume_prune_filter f = {.all = true};
  assert_int_equal(berth_volume_prune_filter_add(&f, "label", "keep=no", NULL),
                   0);
  char **removed = NULL;
  size_t n = 0;
  uint64_t bytes = 0;
  assert_int_equal(
      berth_volume_prune_where(&t->e, &f, &removed, &n, &bytes, NULL), 0);
  assert_int_equal(n, 1);
  assert_string_equal(removed[0], "d1");
  free(removed[0]);
  free(removed);
  /* label!: every unused one without the label. */
  f = (struct berth_volume_prune_filter){.all = true};
  assert_int_equal(berth_volume_prune_filter_add(&f, "label!", "keep", NULL),
                   0);
  assert_int_equal(
      berth_volume_prune_where(&t->e, &f, &removed, &n, &bytes, NULL), 0);
  assert_int_equal(n, 1);
  assert_string_equal(removed[0], "n1");
  free(removed[0]);
  free(removed);
  assert_true(exists(t, "k1"));
  assert_false(exists(t, "d1"));
  json_decref(keep);
  json_decref(drop);
}

/* Detach inside the caller's transaction (berth_ctr_destroy's). */
static void test_detach_in_transaction(void **state) {
  struct t *t = *state;
  json_t *c = attach(t, "c1", 0, "{\"Volumes\":{\"/v\":{}}}", NULL);
  assert_non_null(c);
  json_decref(c);
  assert_int_equal(berth_db_begin(t->e.db, NULL), 0);
  assert_int_equal(berth_volumes_detach(&t->e, "c1", true, NULL), 0);
  sql(t, "DELETE FROM containers WHERE id='c1'");
  assert_int_equal(berth_db_commit(t->e.db, NULL), 0);
  assert_int_equal(count(t, "SELECT count(*) FROM volumes"), 0);
}

/* ---- Copy-in of image content ------------------------------------- */

static void put(const char *root, const char *rel, const char *data,
                mode_t mode, uid_t uid) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  assert_int_equal(berth_mkdir_p(p, 0755, NULL), 0);
  *slash = '/';
  assert_int_equal(berth_write_file_atomic(p, data, strlen(data), mode, NULL),
                   0);
  assert_int_equal(chown(p, uid, uid), 0);
  assert_int_equal(chmod(p, mode), 0);
}

static void layer_path(struct t *t, int n, const char *rel, char *buf,
                       size_t len) {
  snprintf(buf, len, "%s/snapshots/%064x/fs%s%s", t->root, n, rel ? "/" : "",
           rel ? rel : "");
}

/* Two layers: the top one replaces a, hides b (whiteout), adds d, a
 * symlink and a fifo, makes opq/ opaque; var/run is a symlink. */
static void make_image(struct t *t) {
  char l0[4096], l1[4096], p[4096];
  layer_path(t, 1, NULL, l0, sizeof l0);
  layer_path(t, 2, NULL, l1, sizeof l1);
  put(l0, "etc/conf/a", "a0", 0644, 0);
  put(l0, "etc/conf/b", "b0", 0644, 0);
  put(l0, "etc/conf/sub/c", "c0", 0600, 1000);
  put(l0, "etc/conf/suid", "s", 04755, 0);
  put(l0, "opq/x", "x", 0644, 0);
  put(l0, "run/x/f", "f", 0644, 0);
  layer_path(t, 1, "etc/conf/sub", p, sizeof p);
  assert_int_equal(chown(p, 1000, 1000), 0);
  layer_path(t, 1, "var", p, sizeof p);
  assert_int_equal(mkdir(p, 0755), 0);
  layer_path(t, 1, "var/run", p, sizeof p);
  assert_int_equal(symlink("/run", p), 0);
  put(l1, "etc/conf/a", "a1", 0644, 0);
  put(l1, "etc/conf/d", "d1", 0644, 0);
  put(l1, "opq/y", "y", 0644, 0);
  layer_path(t, 2, "etc/conf", p, sizeof p);
  assert_int_equal(chmod(p, 0750), 0);
  layer_path(t, 2, "etc/conf/b", p, sizeof p);
  assert_int_equal(mknod(p, S_IFCHR | 0000, makedev(0, 0)), 0);
  layer_path(t, 2, "etc/conf/fifo", p, sizeof p);
  assert_int_equal(mkfifo(p, 0644), 0);
  layer_path(t, 2, "etc/conf/ln", p, sizeof p);
  assert_int_equal(symlink("/etc/passwd", p), 0);
  layer_path(t, 2, "opq", p, sizeof p);
  assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
  sql(t, "INSERT INTO images (id, manifest_digest, manifest_media_type, os, "
         "architecture, size, added) VALUES ('sha256:img', 'm', 't', "
         "'linux', 'amd64', 0, 0)");
  for (int i = 0; i < 2; i++)
    sql(t,
        "INSERT INTO image_layers VALUES ('sha256:img', %d, 'b%d', 't', 0, "
        "'d%d', 'sha256:%064x', 0)",
        i, i, i, i + 1);
}

static void test_copy_in(void **state) {
  struct t *t = *state;
  make_image(t);
  sql(t,
      "INSERT INTO containers (id, name, image_id, image_name, created, "
      "config, state, id_base, id_count) VALUES ('c1', 'nc1', 'sha256:img',"
      " 'img', 0, '{}', 'created', %u, 65536)",
      B1);
  json_t *c = json_loads(
      "{\"Volumes\":{\"/opq\":{}, \"/var/run/x\":{}},\"HostConfig\":{"
      "\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"conf\",\"Target\":"
      "\"/etc/conf\"},{\"Type\":\"volume\",\"Source\":\"nocopy\",\"Target\":"
      "\"/etc/conf/sub\",\"VolumeOptions\":{\"NoCopy\":true}}]}}",
      0, NULL);
  assert_int_equal(berth_db_begin(t->e.db, NULL), 0);
  berth_error *err = NULL;
  int rc = berth_volumes_attach(&t->e, "c1", c, &err);
  if (rc < 0)
    fprintf(stderr, "%s\n", err->msg);
  assert_int_equal(rc, 0);
  assert_int_equal(berth_db_commit(t->e.db, NULL), 0);
  char p[4096], *data = NULL;
  struct stat st;
  data_path(t, "conf", "a", p, sizeof p);
  assert_int_equal(berth_read_file(AT_FDCWD, p, 100, &data, NULL, NULL), 0);
  assert_string_equal(data, "a1");
  free(data);
  assert_int_equal(owner(p), 0);
  data_path(t, "conf", "b", p, sizeof p);
  assert_int_not_equal(access(p, F_OK), 0);
  data_path(t, "conf", "fifo", p, sizeof p);
  assert_int_not_equal(access(p, F_OK), 0);
  data_path(t, "conf", "d", p, sizeof p);
  assert_int_equal(access(p, F_OK), 0);
  data_path(t, "conf", "sub/c", p, sizeof p);
  assert_int_equal(lstat(p, &st), 0);
  assert_int_equal(st.st_uid, 1000);
  assert_int_equal(st.st_mode & 07777, 0600);
  data_path(t, "conf", "suid", p, sizeof p);
  assert_int_equal(lstat(p, &st), 0);
  assert_int_equal(st.st_mode & 07777, 04755);
  data_path(t, "conf", "ln", p, sizeof p);
  assert_int_equal(lstat(p, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  assert_int_equal(st.st_uid, 0);
  data_path(t, "conf", NULL, p, sizeof p);
  assert_int_equal(lstat(p, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0750);
  assert_int_equal(st.st_uid, 0);
  /* NoCopy: empty. */
  data_path(t, "nocopy", "c", p, sizeof p);
  assert_int_not_equal(access(p, F_OK), 0);
  /* The opaque directory hides the lower layer's x. */
  json_t *m = json_object_get(json_object_get(c, "HostConfig"), "Mounts");
  const char *opq = NULL, *varrun = NULL;
  size_t i;
  json_t *v;
  json_array_foreach(m, i, v) {
    const char *tg = json_string_value(json_object_get(v, "Target"));
    if (!strcmp(tg, "/opq"))
      opq = json_string_value(json_object_get(v, "Source"));
    if (!strcmp(tg, "/var/run/x"))
      varrun = json_string_value(json_object_get(v, "Source"));
  }
  assert_non_null(opq);
  assert_non_null(varrun);
  data_path(t, opq, "y", p, sizeof p);
  assert_int_equal(access(p, F_OK), 0);
  data_path(t, opq, "x", p, sizeof p);
  assert_int_not_equal(access(p, F_OK), 0);
  /* A symlink on the way is not followed: nothing copied. */
  data_path(t, varrun, "f", p, sizeof p);
  assert_int_not_equal(access(p, F_OK), 0);
  json_decref(c);
  /* A volume with content is left as it is. */
  data_path(t, "conf", "a", p, sizeof p);
  assert_int_equal(berth_write_file_atomic(p, "mine", 4, 0644, NULL), 0);
  data_path(t, "conf", "d", p, sizeof p);
  assert_int_equal(unlink(p), 0);
  c = attach(t, "c2", B1,
             "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\","
             "\"Source\":\"conf\",\"Target\":\"/etc/conf\"}]}}",
             NULL);
  assert_non_null(c);
  json_decref(c);
  assert_int_not_equal(access(p, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test_setup_teardown(test_create_get_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
      cmocka_unit_test_setup_teardown(test_attach_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shift, setup, teardown),
      cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
      cmocka_unit_test_setup_teardown(test_detach_prune, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prune_labels, setup, teardown),
      cmocka_unit_test_setup_teardown(test_detach_in_transaction, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_copy_in, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
