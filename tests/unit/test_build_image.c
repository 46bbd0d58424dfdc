/* Step images, the build cache and builder prune, on a real engine root
 * (database, content store, snapshots) without containers: layers are
 * tars of host directories made with the engine's tar writer, which is
 * also checked here for what a reproducible layer needs (sorted entries,
 * clamped mtimes, the xattrs a layer carries). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "archive_internal.h"
#include "build_image.h"
#include "export.h"
#include "fs.h"
#include "image_filter.h"
#include "images.h"
#include "images_in_use.h"
#include "prune.h"
#include "pull.h"
#include "snapshot.h"
#include "store.h"

static char root[64], tree[96];
static struct berth_engine *e;

static int setup(void **state) {
  (void)state;
  strcpy(root, "/var/tmp/berth-test-build.XXXXXX");
  if (!mkdtemp(root))
    return -1;
  snprintf(tree, sizeof tree, "%s-tree", root);
  if (mkdir(tree, 0755) < 0)
    return -1;
  return berth_engine_open(root, NULL, &e, NULL);
}

static int teardown(void **state) {
  (void)state;
  berth_engine_free(e);
  e = NULL;
  berth_rm_rf(tree, NULL);
  return berth_rm_rf(root, NULL);
}

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tree, name);
  assert_int_equal(berth_write_file_replace(path, text, strlen(text), 0644,
                                            NULL), 0);
}

static int blob_write(void *ctx, const void *buf, size_t len,
                      berth_error **err) {
  return berth_blob_writer_write(ctx, buf, len, err);
}

/* The tree as a layer blob in the store, as berth_ctr_layer writes one. */
static void tree_layer(const struct berth_tar_opts *o,
                       char digest[BERTH_DIGEST_SIZE], uint64_t *size) {
  struct berth_blob_writer *w = NULL;
  struct berth_tar *t = NULL;
  assert_int_equal(berth_blob_writer_new(e->is->store, NULL, -1, &w, NULL), 0);
  assert_int_equal(berth_tar_open(-1, blob_write, w, o, &t, NULL), 0);
  int fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(berth_tar_add(t, fd, "", NULL), 0);
  close(fd);
  assert_int_equal(berth_tar_close(t, true, NULL), 0);
  assert_int_equal(berth_blob_writer_commit(w, NULL), 0);
  memcpy(digest, berth_blob_writer_digest(w), BERTH_DIGEST_SIZE);
  *size = berth_blob_writer_size(w);
  berth_blob_writer_free(w);
}

static void step(const char *parent, const char *layer, uint64_t size,
                 const char *by, int64_t epoch, char id[BERTH_DIGEST_SIZE]) {
  json_t *cfg = json_pack("{s:[s], s:s}", "Cmd", "/bin/sh", "WorkingDir",
                          "/w");
  struct berth_step_image s = {.parent_id = parent, .config = cfg,
                               .layer = layer, .layer_size = size,
                               .created_by = by, .epoch = epoch};
  berth_error *err = NULL;
  int rc = berth_build_image_new(e, &s, id, &err);
  if (rc < 0)
    fail_msg("step image: %s", err->msg);
  json_decref(cfg);
}

static json_t *config_of(const char *id) {
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(berth_store_get(e->is->store, id, 1 << 20, &text, &len,
                                   NULL), 0);
  json_t *doc = json_loadb(text, len, 0, NULL);
  free(text);
  assert_non_null(doc);
  return doc;
}

static int count_images(void) {
  struct berth_image *v;
  size_t n;
  assert_int_equal(berth_images_list(e->db, &v, &n, NULL), 0);
  berth_images_free(v, n);
  return (int)n;
}

static bool image_exists(const char *id) {
  struct berth_image img = {0};
  berth_error *err = NULL;
  int rc = berth_images_get(e->db, id, &img, &err);
  berth_image_free(&img);
  berth_error_free(err);
  return rc == 0;
}

static void sql(const char *text) {
  assert_int_equal(sqlite3_exec(berth_db_sqlite(e->db), text, NULL, NULL,
                                NULL), SQLITE_OK);
}

static void test_cache_get_put(void **state) {
  (void)state;
  char a[BERTH_DIGEST_SIZE], b[BERTH_DIGEST_SIZE], got[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, "ENV A=1", 10, a);
  step(NULL, NULL, 0, "ENV B=1", 10, b);
  assert_string_not_equal(a, b);
  assert_int_equal(berth_build_cache_get(e->db, "k1", got, NULL), 0);
  assert_int_equal(berth_build_cache_put(e->db, "k1", a, NULL), 0);
  sql("UPDATE build_cache SET last_used = 5");
  assert_int_equal(berth_build_cache_get(e->db, "k1", got, NULL), 1);
  assert_string_equal(got, a);
  assert_true(berth_build_cache_last_used(e->db, a) >= (int64_t)time(NULL) - 5);
  /* A key is repointed, not duplicated. */
  assert_int_equal(berth_build_cache_put(e->db, "k1", b, NULL), 0);
  assert_int_equal(berth_build_cache_get(e->db, "k1", got, NULL), 1);
  assert_string_equal(got, b);
  berth_error *err = NULL;
  assert_int_equal(berth_build_cache_put(e->db, "k2", "sha256:nope", &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  assert_int_equal(berth_build_cache_get(e->db, "k2", got, NULL), 0);
}

static void test_cache_entry_goes_with_its_image(void **state) {
  (void)state;
  char a[BERTH_DIGEST_SIZE], got[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, "ENV A=1", -1, a);
  assert_int_equal(berth_build_cache_put(e->db, "k", a, NULL), 0);
  struct berth_rmi_report r = {0};
  assert_int_equal(berth_engine_image_remove(e, a, false, false, &r, NULL), 0);
  berth_rmi_report_free(&r);
  assert_false(image_exists(a));
  assert_int_equal(berth_build_cache_get(e->db, "k", got, NULL), 0);
}

static void test_scratch_step_has_no_layers(void **state) {
  (void)state;
  char id[BERTH_DIGEST_SIZE], again[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, "WORKDIR /w", 10, id);
  struct berth_image img = {0};
  assert_int_equal(berth_images_get(e->db, id, &img, NULL), 0);
  assert_int_equal(img.n_layers, 0);
  berth_image_free(&img);
  json_t *doc = config_of(id);
  const char *os, *arch, *variant;
  berth_host_platform(&os, &arch, &variant);
  assert_string_equal(json_string_value(json_object_get(doc, "os")), os);
  assert_string_equal(json_string_value(json_object_get(doc, "architecture")),
                      arch);
  assert_string_equal(json_string_value(json_object_get(doc, "created")),
                      "1970-01-01T00:00:10.000000000Z");
  json_t *rootfs = json_object_get(doc, "rootfs");
  assert_string_equal(json_string_value(json_object_get(rootfs, "type")),
                      "layers");
  assert_int_equal(json_array_size(json_object_get(rootfs, "diff_ids")), 0);
  json_t *hist = json_object_get(doc, "history");
  assert_int_equal(json_array_size(hist), 1);
  json_t *h = json_array_get(hist, 0);
  assert_string_equal(json_string_value(json_object_get(h, "created_by")),
                      "WORKDIR /w");
  assert_true(json_is_true(json_object_get(h, "empty_layer")));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(doc, "config"), "WorkingDir")),
                      "/w");
  json_decref(doc);
  /* The same step at the same SOURCE_DATE_EPOCH is the same image. */
  step(NULL, NULL, 0, "WORKDIR /w", 10, again);
  assert_string_equal(id, again);
  assert_int_equal(count_images(), 1);
  /* The empty base of a scratch stage has no history of its own, so a
   * step on it has just its own entry, as Docker's. */
  char empty[BERTH_DIGEST_SIZE], next[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, NULL, 10, empty);
  doc = config_of(empty);
  assert_int_equal(json_array_size(json_object_get(doc, "history")), 0);
  json_decref(doc);
  step(empty, NULL, 0, "CMD x", 10, next);
  doc = config_of(next);
  assert_int_equal(json_array_size(json_object_get(doc, "history")), 1);
  json_decref(doc);
}

static void test_step_with_layer(void **state) {
  (void)state;
  char base[BERTH_DIGEST_SIZE], layer[BERTH_DIGEST_SIZE],
      id[BERTH_DIGEST_SIZE], parent[BERTH_DIGEST_SIZE];
  uint64_t size;
  step(NULL, NULL, 0, "FROM scratch", -1, base);
  write_file("hello", "hi\n");
  struct berth_tar_opts o = {.xattrs = true};
  tree_layer(&o, layer, &size);
  step(base, layer, size, "COPY hello /", -1, id);
  struct berth_image img = {0};
  assert_int_equal(berth_images_get(e->db, id, &img, NULL), 0);
  assert_int_equal(img.n_layers, 1);
  /* Uncompressed: the blob's digest is its diff id; unpacked as a
   * snapshot from the blob. */
  assert_string_equal(img.layers[0].blob, layer);
  assert_string_equal(img.layers[0].diff_id, layer);
  assert_true(berth_snapshot_exists(e->root, img.layers[0].chain_id));
  berth_image_free(&img);
  json_t *doc = config_of(id);
  json_t *hist = json_object_get(doc, "history");
  assert_int_equal(json_array_size(hist), 2);
  assert_null(json_object_get(json_array_get(hist, 1), "empty_layer"));
  assert_string_equal(json_string_value(json_array_get(json_object_get(
                          json_object_get(doc, "rootfs"), "diff_ids"), 0)),
                      layer);
  json_decref(doc);
  assert_int_equal(berth_images_parent(e->db, id, parent, NULL), 1);
  assert_string_equal(parent, base);
  /* The base, unnamed with a child, is intermediate; the result, with no
   * child, is not (an untagged build result is listed as <none>). */
  assert_int_equal(berth_images_intermediate(e->db, base, NULL), 1);
  assert_int_equal(berth_images_intermediate(e->db, id, NULL), 0);
  struct berth_image_filter f;
  berth_image_filter_init(&f);
  struct berth_image *v;
  size_t n;
  assert_int_equal(berth_images_list_filtered(e->is, &f, &v, &n, NULL), 0);
  assert_int_equal(n, 1);
  assert_string_equal(v[0].id, id);
  berth_images_free(v, n);
  f.all = true;
  assert_int_equal(berth_images_list_filtered(e->is, &f, &v, &n, NULL), 0);
  assert_int_equal(n, 2);
  berth_images_free(v, n);
  /* A name makes it an image like any other. */
  assert_int_equal(berth_images_tag(e->db, base, "docker.io/library/b:1",
                                    NULL), 0);
  assert_int_equal(berth_images_intermediate(e->db, base, NULL), 0);
}

static void test_legacy_parent_members_stay_behind(void **state) {
  (void)state;
  static const char cfg[] =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"author\":\"me\","
      "\"docker_version\":\"1.0\",\"container\":\"abc\","
      "\"container_config\":{\"Cmd\":[\"old\"]},\"config\":{\"Env\":[\"X=1\"]},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}";
  struct berth_added added = {0};
  char parent[BERTH_DIGEST_SIZE], id[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_image_record_derived(e->is, NULL, cfg, NULL, 0, NULL,
                                              &added, parent, NULL), 0);
  berth_added_free(&added);
  step(parent, NULL, 0, "CMD [\"/bin/sh\"]", -1, id);
  json_t *doc = config_of(id);
  assert_string_equal(json_string_value(json_object_get(doc, "author")), "me");
  assert_string_equal(json_string_value(json_object_get(doc, "architecture")),
                      "amd64");
  assert_null(json_object_get(doc, "container_config"));
  assert_null(json_object_get(doc, "container"));
  assert_null(json_object_get(doc, "docker_version"));
  /* The step's config replaces the parent's. */
  assert_null(json_object_get(json_object_get(doc, "config"), "Env"));
  json_decref(doc);
}

static int count_blobs(void) {
  char dir[128];
  snprintf(dir, sizeof dir, "%s/blobs/sha256", root);
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *de; d && (de = readdir(d));)
    n += de->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

static void test_bad_step_leaves_nothing(void **state) {
  (void)state;
  char base[BERTH_DIGEST_SIZE], layer[BERTH_DIGEST_SIZE],
      id[BERTH_DIGEST_SIZE];
  uint64_t size;
  step(NULL, NULL, 0, "FROM scratch", -1, base);
  write_file("f", "x");
  struct berth_tar_opts o = {0};
  tree_layer(&o, layer, &size);
  int blobs = count_blobs(), images = count_images();
  struct berth_step_image s = {.parent_id = base, .layer = layer,
                               .layer_size = size + 1, .created_by = "RUN x",
                               .epoch = -1};
  berth_error *err = NULL;
  assert_int_equal(berth_build_image_new(e, &s, id, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_INVALID);
  assert_non_null(strstr(err->msg, "bytes"));
  berth_error_free(err);
  err = NULL;
  s = (struct berth_step_image){.parent_id = "sha256:nope", .epoch = -1};
  assert_int_equal(berth_build_image_new(e, &s, id, &err), -1);
  assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
  berth_error_free(err);
  /* The unreferenced layer went with the failure; nothing was added. */
  assert_int_equal(count_blobs(), blobs - 1);
  assert_int_equal(count_images(), images);
}

/* The tar's entries (names, mtimes, one xattr's value) read back. */
struct entry {
  char name[64];
  long long mtime;
  unsigned char cap[32];
  size_t cap_len;
  bool user_x, trusted_x;
};

static size_t read_layer(const char *digest, struct entry *out, size_t max) {
  int fd = -1;
  uint64_t size;
  assert_int_equal(berth_store_open_blob(e->is->store, digest, &fd, &size,
                                         NULL), 0);
  struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  assert_int_equal(archive_read_open_fd(a, fd, 10240), ARCHIVE_OK);
  struct archive_entry *ae;
  size_t n = 0;
  while (n < max && archive_read_next_header(a, &ae) == ARCHIVE_OK) {
    struct entry *x = &out[n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", archive_entry_pathname(ae));
    x->mtime = (long long)archive_entry_mtime(ae);
    const char *k;
    const void *v;
    size_t len;
    archive_entry_xattr_reset(ae);
    while (archive_entry_xattr_next(ae, &k, &v, &len) == ARCHIVE_OK) {
      x->user_x |= strcmp(k, "user.x") == 0;
      x->trusted_x |= strncmp(k, "trusted.", 8) == 0;
      if (strcmp(k, "security.capability") == 0 && len <= sizeof x->cap) {
        memcpy(x->cap, v, len);
        x->cap_len = len;
      }
    }
  }
  archive_read_free(a);
  close(fd);
  return n;
}

static void test_tar_sorted_and_clamped(void **state) {
  (void)state;
  /* Enough names that the directory's own (hash) order is not sorted
   * by chance: the control below shows it is not. */
  static const char *names[] = {"q", "b", "x", "a", "m", "z", "c", "k", "d",
                                "y", "e", "w", "f", "v", "g", "u"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    write_file(names[i], names[i]);
  char path[256];
  snprintf(path, sizeof path, "%s/q", tree);
  struct timespec t[2] = {{2000000000, 5}, {2000000000, 5}};
  assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
  snprintf(path, sizeof path, "%s/a", tree);
  t[0].tv_sec = t[1].tv_sec = 500;
  assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
  char d1[BERTH_DIGEST_SIZE];
  uint64_t size;
  struct berth_tar_opts o = {.clamp_mtime = true, .epoch = 1000};
  tree_layer(&o, d1, &size);
  struct entry v[32];
  size_t n = read_layer(d1, v, 32);
  assert_int_equal(n, 16);
  for (size_t i = 1; i < n; i++)
    assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v[i].name, "q") == 0)
      assert_int_equal(v[i].mtime, 1000); /* clamped */
    if (strcmp(v[i].name, "a") == 0)
      assert_int_equal(v[i].mtime, 500); /* older: kept */
  }
  /* Control: readdir's own order is not sorted here. */
  DIR *d = opendir(tree);
  char prev[64] = "";
  bool sorted = true;
  for (struct dirent *de; (de = readdir(d));) {
    if (de->d_name[0] == '.')
      continue;
    sorted &= strcmp(prev, de->d_name) < 0;
    snprintf(prev, sizeof prev, "%s", de->d_name);
  }
  closedir(d);
  assert_false(sorted);
  /* Without the clamp the mtime is the file's. */
  struct berth_tar_opts plain = {0};
  char d2[BERTH_DIGEST_SIZE];
  tree_layer(&plain, d2, &size);
  n = read_layer(d2, v, 32);
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].name, "q") == 0)
      assert_int_equal(v[i].mtime, 2000000000);
  assert_string_not_equal(d1, d2);
}

static void set_cap_v3(const char *name, uint32_t rootid) {
  unsigned char v[24] = {0};
  uint32_t magic = 0x03000000u | 1; /* v3, effective */
  for (int i = 0; i < 4; i++) {
    v[i] = (unsigned char)(magic >> (8 * i));
    v[20 + i] = (unsigned char)(rootid >> (8 * i));
  }
  v[4] = 1 << 2; /* permitted: CAP_DAC_READ_SEARCH... any bit */
  char path[256];
  snprintf(path, sizeof path, "%s/%s", tree, name);
  assert_int_equal(setxattr(path, "security.capability", v, sizeof v, 0), 0);
}

static void test_tar_xattrs(void **state) {
  (void)state;
  write_file("mine", "1");
  write_file("theirs", "2");
  char path[256];
  snprintf(path, sizeof path, "%s/mine", tree);
  assert_int_equal(setxattr(path, "user.x", "1", 1, 0), 0);
  assert_int_equal(setxattr(path, "trusted.x", "1", 1, 0), 0);
  /* v3 capabilities as a container whose root is host uid 100000 sets
   * them; the other names a uid outside its range. */
  set_cap_v3("mine", 100000);
  set_cap_v3("theirs", 5);
  struct berth_tar_opts o = {.id_base = 100000, .id_count = 65536,
                             .xattrs = true};
  char d[BERTH_DIGEST_SIZE];
  uint64_t size;
  tree_layer(&o, d, &size);
  struct entry v[8];
  size_t n = read_layer(d, v, 8);
  assert_int_equal(n, 2);
  assert_string_equal(v[0].name, "mine");
  assert_true(v[0].user_x);
  assert_false(v[0].trusted_x);
  /* The image's root's capability: a v2 one, same bits. */
  assert_int_equal(v[0].cap_len, 20);
  assert_int_equal(v[0].cap[3], 0x02);
  assert_int_equal(v[0].cap[0], 1);
  assert_int_equal(v[0].cap[4], 1 << 2);
  assert_string_equal(v[1].name, "theirs");
  assert_int_equal(v[1].cap_len, 0);
  /* Control: without id mapping the v3 capability travels as it is. */
  struct berth_tar_opts raw = {.xattrs = true};
  tree_layer(&raw, d, &size);
  n = read_layer(d, v, 8);
  assert_int_equal(v[1].cap_len, 24);
  assert_int_equal(v[1].cap[3], 0x03);
}

static void noop(const struct berth_image *img, void *arg) {
  (void)img;
  (void)arg;
}

static void test_image_prune_leaves_build_cache(void **state) {
  (void)state;
  char base[BERTH_DIGEST_SIZE], cached[BERTH_DIGEST_SIZE],
      plain[BERTH_DIGEST_SIZE], named[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, "FROM scratch", -1, base);
  step(base, NULL, 0, "ENV A=1", -1, cached);
  step(base, NULL, 0, "ENV B=1", -1, named);
  assert_int_equal(berth_build_cache_put(e->db, "k", cached, NULL), 0);
  assert_int_equal(berth_build_cache_put(e->db, "n", named, NULL), 0);
  assert_int_equal(berth_images_tag(e->db, named, "docker.io/library/n:1",
                                    NULL), 0);
  /* An unnamed image no build made or cached: plain dangling. */
  struct berth_added added = {0};
  static const char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"linux\","
                            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                            "[]},\"config\":{}}";
  assert_int_equal(berth_image_record_derived(e->is, NULL, cfg, NULL, 0, NULL,
                                              &added, plain, NULL), 0);
  berth_added_free(&added);
  assert_int_equal(berth_build_cache_holds(e->db, base, NULL), 1);
  assert_int_equal(berth_build_cache_holds(e->db, cached, NULL), 1);
  assert_int_equal(berth_build_cache_holds(e->db, named, NULL), 0);
  assert_int_equal(berth_build_cache_holds(e->db, plain, NULL), 0);
  uint64_t freed = 0;
  assert_int_equal(berth_images_prune(e, false, noop, NULL, &freed, NULL), 0);
  assert_false(image_exists(plain));
  assert_true(image_exists(base) && image_exists(cached) &&
              image_exists(named));
  /* -a: named images go (their entries with them), cache stays. */
  assert_int_equal(berth_images_prune(e, true, noop, NULL, &freed, NULL), 0);
  assert_false(image_exists(named));
  char got[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_build_cache_get(e->db, "n", got, NULL), 0);
  assert_true(image_exists(base) && image_exists(cached));
}

static void collect(void *arg, const char *id) {
  json_array_append_new(arg, json_string(id));
}

static bool listed(json_t *ids, const char *id) {
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) if (strcmp(json_string_value(v), id) == 0)
      return true;
  return false;
}

static void test_builder_prune(void **state) {
  (void)state;
  /* Build 1 (tagged): a -> b -> c = t:1.  Build 2 (untagged): a -> d ->
   * f.  Build 3 (a container runs its result): a -> g. */
  char a[BERTH_DIGEST_SIZE], b[BERTH_DIGEST_SIZE], c[BERTH_DIGEST_SIZE],
      d[BERTH_DIGEST_SIZE], f[BERTH_DIGEST_SIZE], g[BERTH_DIGEST_SIZE];
  step(NULL, NULL, 0, "FROM scratch", -1, a);
  write_file("big", "0123456789012345678901234567890123456789");
  char layer[BERTH_DIGEST_SIZE];
  uint64_t size;
  struct berth_tar_opts o = {0};
  tree_layer(&o, layer, &size);
  step(a, NULL, 0, "ENV B=1", -1, b);
  step(b, NULL, 0, "CMD x", -1, c);
  step(a, layer, size, "COPY big /", -1, d);
  step(d, NULL, 0, "CMD y", -1, f);
  step(a, NULL, 0, "CMD z", -1, g);
  const char *keys[] = {"ka", "kb", "kc", "kd", "kf", "kg"};
  const char *ids[] = {a, b, c, d, f, g};
  for (int i = 0; i < 6; i++)
    assert_int_equal(berth_build_cache_put(e->db, keys[i], ids[i], NULL), 0);
  assert_int_equal(berth_images_tag(e->db, c, "docker.io/library/t:1", NULL),
                   0);
  char insert[512];
  snprintf(insert, sizeof insert,
           "INSERT INTO containers (id, name, image_id, image_name, created,"
           " config, state) VALUES ('%064d', 'user', '%s', '%s', 0, '{}',"
           " 'exited')", 1, g, g);
  sql(insert);
  json_t *gone = json_array();
  uint64_t freed = 0;
  assert_int_equal(berth_build_cache_prune(e, false, collect, gone, &freed,
                                           NULL), 0);
  /* Not an ancestor of a named image: d, f go; d's layer was only
   * theirs. */
  assert_int_equal(json_array_size(gone), 2);
  assert_true(listed(gone, d) && listed(gone, f));
  assert_true(freed >= 40);
  assert_true(image_exists(a) && image_exists(b) && image_exists(c) &&
              image_exists(g));
  char got[BERTH_DIGEST_SIZE];
  assert_int_equal(berth_build_cache_get(e->db, "kd", got, NULL), 0);
  assert_int_equal(berth_build_cache_get(e->db, "kb", got, NULL), 1);
  json_array_clear(gone);
  assert_int_equal(berth_build_cache_prune(e, true, collect, gone, &freed,
                                           NULL), 0);
  /* -a: every unnamed step image but the container's; the named one
   * stays, without its entry. */
  assert_int_equal(json_array_size(gone), 2);
  assert_true(listed(gone, a) && listed(gone, b));
  assert_true(image_exists(c) && image_exists(g));
  assert_int_equal(berth_build_cache_get(e->db, "kc", got, NULL), 0);
  assert_int_equal(berth_build_cache_get(e->db, "kg", got, NULL), 1);
  json_decref(gone);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cache_get_put, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cache_entry_goes_with_its_image,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_scratch_step_has_no_layers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_step_with_layer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_legacy_parent_members_stay_behind,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_step_leaves_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_tar_sorted_and_clamped, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_tar_xattrs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_image_prune_leaves_build_cache,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_builder_prune, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
