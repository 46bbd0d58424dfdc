/* Image records in SQLite: names, id prefixes, removal, concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "fs.h"
#include "images.h"

static char root[64], dbpath[128];

static int setup(void **state) {
  (void)state;
  strcpy(root, "/tmp/berth-test-images.XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(dbpath, sizeof dbpath, "%s/berth.db", root);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return berth_rm_rf(root, NULL);
}

/* A fake but well-formed record: ids are digests of `seed`. */
static void make_image(struct berth_image *img,
                       struct berth_image_layer *layers, int seed) {
  memset(img, 0, sizeof *img);
  snprintf(img->id, sizeof img->id, "sha256:%064x", seed);
  snprintf(img->manifest_digest, sizeof img->manifest_digest,
           "sha256:%064x", seed + 1000000);
  img->manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
  img->os = "linux";
  img->architecture = "amd64";
  img->size = 4096;
  for (int i = 0; i < 2; i++) {
    memset(&layers[i], 0, sizeof layers[i]);
    snprintf(layers[i].blob, BERTH_DIGEST_SIZE, "sha256:%064x",
             seed * 10 + i + 2000000);
    layers[i].media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    layers[i].blob_size = 100;
    snprintf(layers[i].diff_id, BERTH_DIGEST_SIZE, "sha256:%064x",
             seed * 10 + i + 3000000);
    snprintf(layers[i].chain_id, BERTH_DIGEST_SIZE, "sha256:%064x",
             seed * 10 + i + 4000000);
    layers[i].unpacked_size = 2048;
  }
  img->layers = layers;
  img->n_layers = 2;
}

static void test_add_resolve_get(void **state) {
  (void)state;
  struct berth_db *db;
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  struct berth_image img, got;
  struct berth_image_layer layers[2];
  make_image(&img, layers, 0xabc123);
  assert_int_equal(berth_images_add(db, &img, "docker.io/library/a:1",
                                    "docker.io/library/a@sha256:" 
                                    "1111111111111111111111111111111111111111111111111111111111111111",
                                    NULL), 0);
  /* adding again is idempotent and keeps one record */
  assert_int_equal(berth_images_add(db, &img, "docker.io/library/a:2", NULL,
                                    NULL), 0);
  char id[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_images_resolve(db, "docker.io/library/a:2", "a:2",
                                        id, NULL), 0);
  assert_string_equal(id, img.id);
  /* a unique id prefix, with and without "sha256:" */
  assert_int_equal(berth_images_resolve(db, NULL, "000000", id, NULL), 0);
  assert_int_equal(berth_images_resolve(db, NULL, "sha256:0000", id, NULL), 0);
  berth_error *err = NULL;
  assert_int_equal(berth_images_resolve(db, "docker.io/library/b:latest", "b",
                                        id, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  assert_int_equal(berth_images_get(db, img.id, &got, NULL), 0);
  assert_int_equal(got.n_layers, 2);
  assert_string_equal(got.layers[1].chain_id, layers[1].chain_id);
  assert_string_equal(got.tags[0], "docker.io/library/a:1");
  assert_string_equal(got.tags[1], "docker.io/library/a:2");
  assert_null(got.tags[2]);
  assert_non_null(got.digests[0]);
  berth_image_free(&got);
  berth_db_close(db);
}

static void test_prefix_ambiguous_and_tag_moves(void **state) {
  (void)state;
  struct berth_db *db;
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  struct berth_image a, b;
  struct berth_image_layer la[2], lb[2];
  make_image(&a, la, 0x1);
  make_image(&b, lb, 0x2);
  assert_int_equal(berth_images_add(db, &a, "docker.io/library/x:latest",
                                    NULL, NULL), 0);
  assert_int_equal(berth_images_add(db, &b, "docker.io/library/x:latest",
                                    NULL, NULL), 0);
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  /* both ids start with 0000...: ambiguous */
  assert_int_equal(berth_images_resolve(db, NULL, "0000", id, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  berth_error_free(err);
  /* the tag moved to the newer image; the old one keeps no names */
  assert_int_equal(berth_images_resolve(db, "docker.io/library/x:latest",
                                        "x", id, NULL), 0);
  assert_string_equal(id, b.id);
  assert_int_equal(berth_images_count_names(db, a.id, NULL), 0);
  /* untag then delete: layers and names go with the image */
  assert_int_equal(berth_images_untag(db, "docker.io/library/x:latest", id,
                                      NULL), 0);
  assert_int_equal(berth_images_blob_in_use(db, lb[0].blob, NULL), 1);
  assert_int_equal(berth_images_delete(db, b.id, NULL), 0);
  assert_int_equal(berth_images_blob_in_use(db, lb[0].blob, NULL), 0);
  assert_int_equal(berth_images_chain_in_use(db, lb[1].chain_id, NULL), 0);
  assert_int_equal(berth_images_chain_in_use(db, la[1].chain_id, NULL), 1);
  err = NULL;
  assert_int_equal(berth_images_untag(db, "docker.io/library/x:latest", id,
                                      &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  berth_db_close(db);
}

/* Eight processes add 25 images each with their own tags at once: every
 * record lands, none is lost or half-written. */
static void test_concurrent_writers(void **state) {
  (void)state;
  pid_t pids[8];
  for (int p = 0; p < 8; p++) {
    pids[p] = fork();
    assert_true(pids[p] >= 0);
    if (pids[p] == 0) {
      struct berth_db *db;
      berth_error *e = NULL;
      if (berth_db_open(dbpath, &db, &e) < 0) {
        /* Said here: the parent only sees the exit status. */
        fprintf(stderr, "writer %d: %s\n", p, e ? e->msg : "?");
        _exit(1);
      }
      for (int i = 0; i < 25; i++) {
        struct berth_image img;
        struct berth_image_layer l[2];
        char tag[64];
        make_image(&img, l, p * 100 + i + 1);
        snprintf(tag, sizeof tag, "localhost/p%d:%d", p, i);
        if (berth_images_add(db, &img, tag, NULL, NULL) < 0)
          _exit(2);
      }
      berth_db_close(db);
      _exit(0);
    }
  }
  for (int p = 0; p < 8; p++) {
    int st;
    assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
  }
  struct berth_db *db;
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  struct berth_image *imgs;
  size_t n;
  assert_int_equal(berth_images_list(db, &imgs, &n, NULL), 0);
  assert_int_equal(n, 200);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(imgs[i].n_layers, 2);
    assert_non_null(imgs[i].tags[0]);
  }
  berth_images_free(imgs, n);
  berth_db_close(db);
}

static void test_newer_schema_refused(void **state) {
  (void)state;
  struct berth_db *db;
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  assert_int_equal(sqlite3_exec(berth_db_sqlite(db),
                                "PRAGMA user_version = 99", NULL, NULL, NULL),
                   SQLITE_OK);
  berth_db_close(db);
  berth_error *err = NULL;
  assert_int_equal(berth_db_open(dbpath, &db, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_UNSUPPORTED);
  assert_non_null(strstr(err->msg, "newer"));
  berth_error_free(err);
}

static unsigned mode_of(const char *suffix) {
  char p[160];
  struct stat st;
  snprintf(p, sizeof p, "%s%s", dbpath, suffix);
  return stat(p, &st) == 0 ? st.st_mode & 07777 : 0;
}

/* Containers' env (secrets) lives in the database: 0600, with its WAL and
 * shared-memory files, whatever the umask; earlier roots get tightened. */
static void test_db_files_private(void **state) {
  (void)state;
  mode_t old = umask(0);
  struct berth_db *db;
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  assert_int_equal(sqlite3_exec(berth_db_sqlite(db),
                                "CREATE TABLE t (x); INSERT INTO t VALUES (1)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(mode_of(""), 0600);
  assert_int_equal(mode_of("-wal"), 0600);
  assert_int_equal(mode_of("-shm"), 0600);
  berth_db_close(db);
  /* As an earlier berth left them: readable by everyone. */
  const char *sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    char p[160];
    snprintf(p, sizeof p, "%s%s", dbpath, sfx[i]);
    assert_int_equal(chmod(p, 0644), 0);
  }
  assert_int_equal(mode_of(""), 0644);
  assert_int_equal(berth_db_open(dbpath, &db, NULL), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(mode_of(sfx[i]), 0600);
  berth_db_close(db);
  umask(old);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_resolve_get, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prefix_ambiguous_and_tag_moves,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_db_files_private, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
