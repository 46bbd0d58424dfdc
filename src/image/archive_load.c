/* berth load: oci-archive and docker-archive tarballs into the store. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image_archive.h"
#include "archive_internal.h"
#include "cleanup.h"
#include "images.h"
#include "json.h"
#include "layer.h"
#include "manifest.h"
#include "pull.h"
#include "reference.h"

#define JSON_MAX (8u << 20)
#define MAX_ENTRIES 100000

/* What the archive held: small JSON documents in memory, every other
 * regular file as a verified blob of the store, symlinks as names. */
struct loaded_file {
  char *name;
  char *data; /* JSON documents */
  size_t len;
  char digest[BERTH_DIGEST_SIZE]; /* files stored as blobs */
  char *link; /* symlinks: the target, resolved to an archive name */
};

struct loader {
  struct berth_imgstore *is;
  struct archive *a;
  struct loaded_file *files;
  size_t n;
  struct berth_added added;
  berth_loaded_fn loaded;
  void *ctx;
};

/* "./a/b" -> "a/b"; NULL for names that climb out ("..") or are empty. */
static char *clean_name(const char *raw) {
  while (raw[0] == '.' && raw[1] == '/')
    raw += 2;
  while (*raw == '/')
    raw++;
  if (!*raw)
    return NULL;
  char *copy = strdup(raw);
  if (!copy)
    return NULL;
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  for (char *seg = copy; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1
                                                      : NULL)
    if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0')) {
      free(copy);
      return NULL;
    }
  return copy;
}

static struct loaded_file *find_file(struct loader *l, const char *name) {
  for (int hops = 0; name && hops < 8; hops++) {
    struct loaded_file *f = NULL;
    for (size_t i = 0; i < l->n && !f; i++)
      if (strcmp(l->files[i].name, name) == 0)
        f = &l->files[i];
    if (!f || !f->link)
      return f;
    name = f->link; /* docker save links repeated layers */
  }
  return NULL;
}

static struct loaded_file *new_file(struct loader *l, char *name,
                                    berth_error **err) {
  if (l->n >= MAX_ENTRIES) {
    free(name);
    berth_error_set(err, BERTH_ERR_INVALID, 0,
                    "archive has more than %d entries", MAX_ENTRIES);
    return NULL;
  }
  struct loaded_file *nf = realloc(l->files, (l->n + 1) * sizeof *nf);
  if (!nf) {
    free(name);
    berth_error_sys(err, "allocate");
    return NULL;
  }
  l->files = nf;
  memset(&nf[l->n], 0, sizeof nf[l->n]);
  nf[l->n].name = name;
  return &nf[l->n++];
}

static bool is_json_doc(const char *name) {
  size_t n = strlen(name);
  return !strchr(name, '/') && ((n > 5 && strcmp(name + n - 5, ".json") == 0) ||
                                strcmp(name, "oci-layout") == 0 ||
                                strcmp(name, "repositories") == 0);
}

static int read_json_doc(struct loader *l, struct loaded_file *f, int64_t size,
                         berth_error **err) {
  if (size < 0 || size > (int64_t)JSON_MAX)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "archive: `%s` is over %u bytes", f->name,
                           JSON_MAX);
  f->data = malloc((size_t)size + 1);
  if (!f->data)
    return berth_error_sys(err, "allocate");
  la_ssize_t got = size ? archive_read_data(l->a, f->data, (size_t)size) : 0;
  if (got != size)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "archive: `%s` is truncated", f->name);
  f->data[size] = '\0';
  f->len = (size_t)size;
  return 0;
}

/* Streams an entry into the store: under its own name when it is in
 * blobs/sha256/ (verified), named by its content otherwise. */
static int read_blob(struct loader *l, struct loaded_file *f, int64_t size,
                     berth_error **err) {
  const char *expect = NULL;
  char named[BERTH_DIGEST_SIZE + 8] = "";
  if (strncmp(f->name, "blobs/sha256/", 13) == 0) {
    snprintf(named, sizeof named, "sha256:%s", f->name + 13);
    if (berth_digest_validate(named, f->name, err) < 0)
      return -1;
    expect = named;
    memcpy(f->digest, named, BERTH_DIGEST_SIZE);
    if (berth_store_has(l->is->store, named))
      return 0; /* libarchive skips the data */
  }
  struct berth_blob_writer *w = NULL;
  if (berth_blob_writer_new(l->is->store, expect, size, &w, err) < 0)
    return -1;
  char buf[1 << 16];
  la_ssize_t n;
  int rc = 0;
  while (rc == 0 && (n = archive_read_data(l->a, buf, sizeof buf)) > 0)
    rc = berth_blob_writer_write(w, buf, (size_t)n, err);
  if (rc == 0 && n < 0)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "archive: `%s`: %s",
                         f->name, archive_error_string(l->a));
  if (rc == 0)
    rc = berth_blob_writer_commit(w, err);
  if (rc == 0) {
    memcpy(f->digest, berth_blob_writer_digest(w), BERTH_DIGEST_SIZE);
    berth_added_blob(&l->added, f->digest);
  }
  berth_blob_writer_free(w);
  return rc < 0 ? berth_error_prefix(err, "archive entry `%s`", f->name) : 0;
}

static int read_link(struct loaded_file *f, const char *target,
                     berth_error **err) {
  /* Relative to the link's directory, as docker save writes them. */
  const char *slash = strrchr(f->name, '/');
  _cleanup_free_ char *joined = NULL;
  if (asprintf(&joined, "%.*s%s%s", slash ? (int)(slash - f->name) : 0,
               f->name, slash ? "/" : "", target) < 0)
    return berth_error_sys(err, "allocate");
  /* collapse "dir/../x" segments; anything climbing out is refused */
  char *out = calloc(1, strlen(joined) + 1);
  if (!out)
    return berth_error_sys(err, "allocate");
  for (char *save = NULL, *seg = strtok_r(joined, "/", &save); seg;
       seg = strtok_r(NULL, "/", &save)) {
    if (strcmp(seg, ".") == 0)
      continue;
    if (strcmp(seg, "..") == 0) {
      char *cut = strrchr(out, '/');
      if (!*out) {
        free(out);
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "archive: link `%s` points outside", f->name);
      }
      *(cut ? cut : out) = '\0';
      continue;
    }
    if (*out)
      strcat(out, "/");
    strcat(out, seg);
  }
  f->link = out;
  return 0;
}

static int read_entries(struct loader *l, berth_error **err) {
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(l->a, &e)) == ARCHIVE_OK) {
    char *name = clean_name(archive_entry_pathname(e));
    mode_t type = archive_entry_filetype(e);
    if (!name || (type != AE_IFREG && type != AE_IFLNK)) {
      free(name);
      continue; /* directories and the like carry nothing we need */
    }
    struct loaded_file *f = new_file(l, name, err);
    if (!f)
      return -1;
    int64_t size = archive_entry_size(e);
    if (type == AE_IFLNK)
      r = read_link(f, archive_entry_symlink(e), err);
    else if (is_json_doc(f->name))
      r = read_json_doc(l, f, size, err);
    else
      r = read_blob(l, f, size, err);
    if (r < 0)
      return -1;
  }
  if (r != ARCHIVE_EOF)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "not a tar archive: %s",
                           archive_error_string(l->a));
  return 0;
}

/* A normalised tag name from what an archive calls an image. */
static char *tag_name(const char *s) {
  struct berth_ref ref = {0};
  if (!s || berth_ref_parse(s, &ref, NULL) < 0)
    return NULL;
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  char *name = NULL;
  if (repo && !ref.digest &&
      asprintf(&name, "%s:%s", repo, ref.tag ? ref.tag : "latest") < 0)
    name = NULL;
  berth_ref_free(&ref);
  return name;
}

static int load_manifest(struct loader *l, const char *digest,
                         const char *media_type, const char *name,
                         int depth, berth_error **err) {
  _cleanup_free_ char *body = NULL;
  size_t len;
  struct berth_manifest m = {0};
  if (berth_store_get(l->is->store, digest, BERTH_MANIFEST_MAX_BYTES, &body,
                      &len, err) < 0 ||
      berth_manifest_parse(body, len, media_type, &m, err) < 0)
    return berth_error_prefix(err, "archive manifest %s", digest);
  int rc;
  if (m.kind == BERTH_MANIFEST_INDEX) {
    const char *os, *arch, *variant;
    const struct berth_descriptor *d;
    berth_host_platform(&os, &arch, &variant);
    rc = depth > 2 ? berth_error_set(err, BERTH_ERR_INVALID, 0,
                                     "archive: indexes nested too deep")
                   : berth_index_select(&m, os, arch, variant, &d, err);
    if (rc == 0)
      rc = load_manifest(l, d->digest, d->media_type, name, depth + 1, err);
  } else {
    _cleanup_free_ char *tag = tag_name(name);
    char id[BERTH_DIGEST_SIZE];
    rc = berth_image_record_local(l->is, digest, &m, tag, &l->added, id, err);
    if (rc == 0)
      berth_imgstore_event(l->is, "load", id, tag);
    if (rc == 0 && l->loaded)
      l->loaded(l->ctx, id, tag);
  }
  berth_manifest_free(&m);
  return rc;
}

static int load_oci(struct loader *l, struct loaded_file *index,
                    berth_error **err) {
  struct berth_manifest idx = {0};
  if (berth_manifest_parse(index->data, index->len, NULL, &idx, err) < 0)
    return berth_error_prefix(err, "archive index.json");
  json_t *doc = json_loadb(index->data, index->len, 0, NULL);
  json_t *list = json_object_get(doc, "manifests");
  int rc = 0;
  for (size_t i = 0; i < idx.n_manifests && rc == 0; i++) {
    json_t *ann = json_object_get(json_array_get(list, i), "annotations");
    const char *name =
        json_string_value(json_object_get(ann, "io.containerd.image.name"));
    if (!name)
      name = json_string_value(
          json_object_get(ann, "org.opencontainers.image.ref.name"));
    rc = load_manifest(l, idx.manifests[i].digest, idx.manifests[i].media_type,
                       name, 0, err);
  }
  json_decref(doc);
  berth_manifest_free(&idx);
  return rc;
}

/* A docker-archive image becomes an OCI manifest of its stored config
 * and layers, so that it is pushed and saved like any other. */
static int docker_manifest(struct loader *l, json_t *entry, size_t idx,
                           char digest[BERTH_DIGEST_SIZE],
                           berth_error **err) {
  const char *cfgname = json_string_value(json_object_get(entry, "Config"));
  json_t *layers = json_object_get(entry, "Layers");
  struct loaded_file *cfg = cfgname ? find_file(l, cfgname) : NULL;
  if (!cfg || !json_is_array(layers))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "archive manifest.json[%zu]: Config or Layers "
                           "missing",
                           idx);
  char cfg_digest[BERTH_DIGEST_SIZE];
  if (cfg->data) {
    if (berth_store_put(l->is->store, cfg->data, cfg->len, cfg_digest, err) < 0)
      return -1;
    berth_added_blob(&l->added, cfg_digest);
  } else {
    memcpy(cfg_digest, cfg->digest, BERTH_DIGEST_SIZE);
  }
  uint64_t csize = 0;
  _cleanup_close_ int cfd = -1;
  if (berth_store_open_blob(l->is->store, cfg_digest, &cfd, &csize, err) < 0)
    return -1;
  json_t *descs = json_array();
  json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion",
                        2, "mediaType", BERTH_MT_OCI_MANIFEST, "config",
                        "mediaType", BERTH_MT_OCI_CONFIG, "digest", cfg_digest,
                        "size", (json_int_t)csize, "layers", descs);
  int rc = 0;
  for (size_t i = 0; i < json_array_size(layers) && rc == 0; i++) {
    const char *ln = json_string_value(json_array_get(layers, i));
    struct loaded_file *lf = ln ? find_file(l, ln) : NULL;
    uint64_t size = 0;
    _cleanup_close_ int fd = -1;
    if (!lf || !lf->digest[0]) {
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "archive manifest.json[%zu]: layer `%s` is not in "
                           "the archive",
                           idx, ln ? ln : "?");
      break;
    }
    rc = berth_store_open_blob(l->is->store, lf->digest, &fd, &size, err);
    const char *mt = rc == 0 ? berth_layer_media_type_of(fd) : NULL;
    if (rc == 0)
      json_array_append_new(descs, json_pack("{s:s, s:s, s:I}", "mediaType",
                                             mt, "digest", lf->digest, "size",
                                             (json_int_t)size));
  }
  _cleanup_free_ char *text = rc == 0 ? json_dumps(m, JSON_COMPACT) : NULL;
  json_decref(m);
  if (rc < 0)
    return -1;
  if (!text || berth_store_put(l->is->store, text, strlen(text), digest,
                               err) < 0)
    return text ? -1 : berth_error_sys(err, "serialise a manifest");
  berth_added_blob(&l->added, digest);
  return 0;
}

static int load_docker(struct loader *l, struct loaded_file *mf,
                       berth_error **err) {
  json_t *doc = NULL;
  if (berth_json_parse("manifest.json", mf->data, mf->len, &doc, err) <
      0)
    return -1;
  int rc = json_is_array(doc) ? 0
                              : berth_error_set(err, BERTH_ERR_INVALID, 0,
                                                "archive manifest.json: not "
                                                "an array");
  for (size_t i = 0; rc == 0 && i < json_array_size(doc); i++) {
    json_t *entry = json_array_get(doc, i);
    char digest[BERTH_DIGEST_SIZE];
    rc = docker_manifest(l, entry, i, digest, err);
    json_t *tags = json_object_get(entry, "RepoTags");
    size_t ntags = json_array_size(tags);
    for (size_t t = 0; rc == 0 && t < (ntags ? ntags : 1); t++)
      rc = load_manifest(l, digest, BERTH_MT_OCI_MANIFEST,
                         json_string_value(json_array_get(tags, t)), 0, err);
  }
  json_decref(doc);
  return rc;
}

int berth_load(struct berth_imgstore *is, int in_fd, berth_loaded_fn loaded,
               void *ctx, berth_error **err) {
  struct loader l = {.is = is, .a = archive_read_new(), .loaded = loaded,
                     .ctx = ctx};
  if (!l.a)
    return berth_error_sys(err, "allocate");
  archive_read_support_filter_all(l.a);
  archive_read_support_format_tar(l.a);
  int rc = berth_imgstore_lock(is, false, err);
  if (rc == 0) {
    if (archive_read_open_fd(l.a, in_fd, 1 << 16) != ARCHIVE_OK)
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0, "not an archive: %s",
                           archive_error_string(l.a));
    if (rc == 0)
      rc = read_entries(&l, err);
    struct loaded_file *index = rc == 0 ? find_file(&l, "index.json") : NULL;
    struct loaded_file *mf = rc == 0 ? find_file(&l, "manifest.json") : NULL;
    if (rc == 0 && index && index->data)
      rc = load_oci(&l, index, err);
    else if (rc == 0 && mf && mf->data)
      rc = load_docker(&l, mf, err);
    else if (rc == 0)
      rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "not an image archive: no index.json or "
                           "manifest.json");
    berth_imgstore_unlock(is);
    if (rc < 0)
      berth_added_undo(is, &l.added);
  }
  archive_read_free(l.a);
  for (size_t i = 0; i < l.n; i++) {
    free(l.files[i].name);
    free(l.files[i].data);
    free(l.files[i].link);
  }
  free(l.files);
  berth_added_free(&l.added);
  return rc < 0 ? berth_error_prefix(err, "load") : 0;
}
