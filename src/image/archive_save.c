/* berth save: images out as an oci-archive or a docker-archive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_archive.h"
#include "cleanup.h"
#include "images.h"
#include "imgstore.h"
#include "lookup.h"
#include "manifest.h"
#include "reference.h"

/* A fixed time for every entry: saving the same images twice gives the
 * same archive. */
#define ENTRY_MTIME 0

struct saver {
  struct archive *a;
  struct berth_imgstore *is;
  char **written; /* entry names already in the archive */
  size_t n_written;
  char buf[1 << 16]; /* copy buffer */
};

static int arch_error(struct saver *s, const char *what, berth_error **err) {
  return berth_error_set(err, BERTH_ERR_SYSTEM, archive_errno(s->a),
                         "write archive: %s: %s", what,
                         archive_error_string(s->a) ? archive_error_string(s->a)
                                                    : "failed");
}

/* Whether name was written already (and remembers it when not). */
static bool seen(struct saver *s, const char *name) {
  for (size_t i = 0; i < s->n_written; i++)
    if (strcmp(s->written[i], name) == 0)
      return true;
  char **nw = realloc(s->written, (s->n_written + 1) * sizeof *nw);
  if (nw) {
    s->written = nw;
    nw[s->n_written++] = strdup(name);
  }
  return false;
}

static int header(struct saver *s, const char *name, int64_t size,
                  bool dir, berth_error **err) {
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, dir ? 0755 : 0644);
  archive_entry_set_size(e, dir ? 0 : size);
  archive_entry_set_mtime(e, ENTRY_MTIME, 0);
  int r = archive_write_header(s->a, e);
  archive_entry_free(e);
  return r == ARCHIVE_OK ? 0 : arch_error(s, name, err);
}

static int add_bytes(struct saver *s, const char *name, const void *data,
                     size_t len, berth_error **err) {
  if (header(s, name, (int64_t)len, false, err) < 0)
    return -1;
  if (len && archive_write_data(s->a, data, len) != (la_ssize_t)len)
    return arch_error(s, name, err);
  return 0;
}

static int add_fd(struct saver *s, const char *name, int fd, uint64_t size,
                  berth_error **err) {
  if (header(s, name, (int64_t)size, false, err) < 0)
    return -1;
  uint64_t off = 0;
  while (off < size) {
    ssize_t n = pread(fd, s->buf, sizeof s->buf, (off_t)off);
    if (n <= 0)
      return berth_error_sys(err, "read `%s` for the archive", name);
    if (archive_write_data(s->a, s->buf, (size_t)n) != n)
      return arch_error(s, name, err);
    off += (uint64_t)n;
  }
  return 0;
}

static int add_blob(struct saver *s, const char *digest, berth_error **err) {
  char name[128];
  snprintf(name, sizeof name, "blobs/sha256/%s", berth_digest_hex(digest));
  if (seen(s, name))
    return 0;
  _cleanup_close_ int fd = -1;
  uint64_t size;
  if (berth_store_open_blob(s->is->store, digest, &fd, &size, err) < 0)
    return -1;
  return add_fd(s, name, fd, size, err);
}

static int save_oci(struct saver *s, const struct berth_save_item *items,
                    size_t n, berth_error **err) {
  json_t *manifests = json_array();
  json_t *index = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2,
                            "mediaType", BERTH_MT_OCI_INDEX, "manifests",
                            manifests);
  int rc = header(s, "blobs/", 0, true, err);
  if (rc == 0)
    rc = header(s, "blobs/sha256/", 0, true, err);
  for (size_t i = 0; i < n && rc == 0; i++) {
    struct berth_image img = {0};
    rc = berth_images_get(s->is->db, items[i].id, &img, err);
    if (rc < 0)
      break;
    for (size_t l = 0; l < img.n_layers && rc == 0; l++)
      rc = add_blob(s, img.layers[l].blob, err);
    if (rc == 0)
      rc = add_blob(s, img.id, err);
    if (rc == 0)
      rc = add_blob(s, img.manifest_digest, err);
    uint64_t msize = 0;
    _cleanup_close_ int mfd = -1;
    if (rc == 0)
      rc = berth_store_open_blob(s->is->store, img.manifest_digest, &mfd,
                                 &msize, err);
    if (rc == 0) {
      json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType",
                               img.manifest_media_type, "digest",
                               img.manifest_digest, "size",
                               (json_int_t)msize);
      if (items[i].name)
        json_object_set_new(
            desc, "annotations",
            json_pack("{s:s, s:s}", "org.opencontainers.image.ref.name",
                      items[i].name, "io.containerd.image.name",
                      items[i].name));
      json_array_append_new(manifests, desc);
    }
    berth_image_free(&img);
  }
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  _cleanup_free_ char *text = json_dumps(index, JSON_COMPACT);
  if (rc == 0)
    rc = add_bytes(s, "oci-layout", layout, strlen(layout), err);
  if (rc == 0)
    rc = text ? add_bytes(s, "index.json", text, strlen(text), err)
              : berth_error_sys(err, "serialise index.json");
  json_decref(index);
  return rc;
}

/* docker-archive layers are uncompressed tars: decompress a blob into an
 * unlinked temporary file and check it against its diff id. */
static int decompressed(struct saver *s, const struct berth_image_layer *l,
                        int *out_fd, uint64_t *out_size, berth_error **err) {
  _cleanup_close_ int in = -1;
  uint64_t size;
  if (berth_store_open_blob(s->is->store, l->blob, &in, &size, err) < 0)
    return -1;
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", s->is->root);
  _cleanup_close_ int tmp = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (tmp < 0)
    return berth_error_sys(err, "create a temporary file in `%s`", tmpdir);
  struct archive *r = archive_read_new();
  archive_read_support_filter_all(r);
  archive_read_support_format_raw(r);
  struct archive_entry *e;
  struct berth_hasher *h = NULL;
  int rc = berth_hasher_new(&h, err);
  if (rc == 0 && (archive_read_open_fd(r, in, 1 << 16) != ARCHIVE_OK ||
                  archive_read_next_header(r, &e) != ARCHIVE_OK))
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "layer %s: %s", l->blob,
                         archive_error_string(r));
  uint64_t total = 0;
  la_ssize_t n = 0;
  while (rc == 0 && (n = archive_read_data(r, s->buf, sizeof s->buf)) > 0) {
    if (write(tmp, s->buf, (size_t)n) != n)
      rc = berth_error_sys(err, "write a temporary layer");
    else
      rc = berth_hasher_update(h, s->buf, (size_t)n, err);
    total += (uint64_t)n;
  }
  if (rc == 0 && n < 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "layer %s: %s", l->blob,
                         archive_error_string(r));
  char got[BERTH_DIGEST_SIZE];
  if (rc == 0 && berth_hasher_final(h, got, err) == 0 &&
      strcmp(got, l->diff_id) != 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "layer %s decompresses to %s, not its diff id %s",
                         l->blob, got, l->diff_id);
  berth_hasher_free(h);
  archive_read_free(r);
  if (rc < 0)
    return -1;
  *out_fd = steal_fd(&tmp);
  *out_size = total;
  return 0;
}

static int save_docker_image(struct saver *s, const char *id, json_t *tags,
                             json_t *entries, berth_error **err) {
  struct berth_image img = {0};
  if (berth_images_get(s->is->db, id, &img, err) < 0)
    return -1;
  char cfgname[128];
  snprintf(cfgname, sizeof cfgname, "%s.json", berth_digest_hex(img.id));
  json_t *layers = json_array();
  json_t *entry = json_pack("{s:s, s:O, s:o}", "Config", cfgname, "RepoTags",
                            tags, "Layers", layers);
  json_array_append_new(entries, entry);
  int rc = 0;
  _cleanup_close_ int cfd = -1;
  uint64_t csize;
  if (!seen(s, cfgname)) {
    rc = berth_store_open_blob(s->is->store, img.id, &cfd, &csize, err);
    if (rc == 0)
      rc = add_fd(s, cfgname, cfd, csize, err);
  }
  for (size_t i = 0; i < img.n_layers && rc == 0; i++) {
    char name[160];
    snprintf(name, sizeof name, "%s/layer.tar",
             berth_digest_hex(img.layers[i].diff_id));
    json_array_append_new(layers, json_string(name));
    if (seen(s, name))
      continue;
    int fd = -1;
    uint64_t size;
    rc = decompressed(s, &img.layers[i], &fd, &size, err);
    if (rc == 0)
      rc = add_fd(s, name, fd, size, err);
    if (fd >= 0)
      close(fd);
  }
  berth_image_free(&img);
  return rc;
}

static int save_docker(struct saver *s, const struct berth_save_item *items,
                       size_t n, berth_error **err) {
  json_t *entries = json_array();
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    bool done = false; /* names of one image share its entry */
    for (size_t k = 0; k < i; k++)
      done = done || strcmp(items[k].id, items[i].id) == 0;
    if (done)
      continue;
    json_t *tags = json_array();
    for (size_t k = i; k < n; k++) {
      if (strcmp(items[k].id, items[i].id) != 0 || !items[k].name)
        continue;
      struct berth_ref ref = {0};
      if (berth_ref_parse(items[k].name, &ref, NULL) == 0) {
        char *fam = berth_ref_familiar(&ref);
        if (fam)
          json_array_append_new(tags, json_string(fam));
        free(fam);
        berth_ref_free(&ref);
      }
    }
    rc = save_docker_image(s, items[i].id, tags, entries, err);
    json_decref(tags);
  }
  _cleanup_free_ char *text = json_dumps(entries, JSON_COMPACT);
  if (rc == 0)
    rc = text ? add_bytes(s, "manifest.json", text, strlen(text), err)
              : berth_error_sys(err, "serialise manifest.json");
  json_decref(entries);
  return rc;
}

int berth_save(struct berth_imgstore *is, const struct berth_save_item *items,
               size_t n, enum berth_archive_format format, int out_fd,
               berth_error **err) {
  struct saver *s = calloc(1, sizeof *s);
  if (!s || !(s->a = archive_write_new())) {
    free(s);
    return berth_error_sys(err, "allocate");
  }
  s->is = is;
  int rc;
  if (archive_write_set_format_pax_restricted(s->a) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(s->a, 1) != ARCHIVE_OK ||
      archive_write_open_fd(s->a, out_fd) != ARCHIVE_OK)
    rc = arch_error(s, "open", err);
  else if (berth_imgstore_lock(is, false, err) < 0)
    rc = -1;
  else {
    rc = format == BERTH_ARCHIVE_OCI ? save_oci(s, items, n, err)
                                     : save_docker(s, items, n, err);
    berth_imgstore_unlock(is);
  }
  if (archive_write_close(s->a) != ARCHIVE_OK && rc == 0)
    rc = arch_error(s, "close", err);
  for (size_t i = 0; rc == 0 && i < n; i++)
    berth_imgstore_event(is, "save", items[i].id, items[i].name);
  archive_write_free(s->a);
  for (size_t i = 0; i < s->n_written; i++)
    free(s->written[i]);
  free(s->written);
  free(s);
  return rc;
}

/* The tag an argument names, when it names one of image `id`'s tags. */
static char *tag_of(struct berth_db *db, const char *arg, const char *id) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(arg, &ref, NULL) < 0)
    return NULL;
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  char *name = NULL;
  if (repo && !ref.digest)
    (void)!asprintf(&name, "%s:%s", repo, ref.tag ? ref.tag : "latest");
  berth_ref_free(&ref);
  char got[BERTH_DIGEST_SIZE];
  if (name && (berth_images_resolve(db, name, "", got, NULL) < 0 ||
               strcmp(got, id) != 0)) {
    free(name);
    name = NULL;
  }
  return name;
}

int berth_save_item_for(struct berth_imgstore *is, const char *what,
                        struct berth_save_item *item, char **name,
                        berth_error **err) {
  struct berth_image_match m;
  *name = NULL;
  item->name = NULL;
  if (berth_image_lookup(is->db, what, &m, err) < 0)
    return -1;
  memcpy(item->id, m.id, BERTH_DIGEST_SIZE);
  berth_image_match_clear(&m);
  *name = tag_of(is->db, what, item->id);
  item->name = *name;
  return 0;
}
