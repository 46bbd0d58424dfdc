/* berth pull and berth push. */
#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "images.h"
#include "layer.h"
#include "manifest.h"
#include "snapshot.h"

void berth_host_platform(const char **os, const char **arch,
                         const char **variant) {
  static const struct {
    const char *machine, *arch, *variant;
  } map[] = {
      {"x86_64", "amd64", NULL},   {"aarch64", "arm64", NULL},
      {"armv7l", "arm", "v7"},     {"armv6l", "arm", "v6"},
      {"i686", "386", NULL},       {"ppc64le", "ppc64le", NULL},
      {"s390x", "s390x", NULL},    {"riscv64", "riscv64", NULL},
  };
  struct utsname u;
  *os = "linux";
  *arch = "amd64";
  *variant = NULL;
  if (uname(&u) < 0)
    return;
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (strcmp(u.machine, map[i].machine) == 0) {
      *arch = map[i].arch;
      *variant = map[i].variant;
    }
}

struct pull {
  struct berth_imgstore *is;
  const struct berth_pull_opts *o;
  struct berth_registry *reg;
  char top_digest[BERTH_DIGEST_SIZE];
  char index_digest[BERTH_DIGEST_SIZE];
  char manifest_digest[BERTH_DIGEST_SIZE];
  struct berth_manifest m;
  struct berth_image_config cfg;
  char (*chains)[BERTH_DIGEST_SIZE];
  uint64_t *unpacked;
  /* Layers whose blobs have landed, waiting for an unpacking thread. */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t *queue, qhead, qtail;
  bool closed;
  berth_error *worker_err;
  /* What this pull added, removed again if it fails. */
  char added_docs[3][BERTH_DIGEST_SIZE];
  size_t n_added_docs;
  bool *blob_added, *snap_added;
  /* Layers unpacked but not yet published (snapshots/tmp/...), and the
   * fd whose syncfs publishes them, opened before the first unpack. */
  char **tmps;
  int sync_fd;
};

static void event(struct pull *p, size_t i, enum berth_xfer_phase ph,
                  uint64_t done, uint64_t total) {
  if (p->o->xfer)
    p->o->xfer(p->o->xfer_ctx, i, p->m.layers[i].digest, ph, done, total);
}

/* Stores a manifest or config, remembering it when it is new. */
static int put_doc(struct pull *p, const char *body, size_t len,
                   berth_error **err) {
  char digest[BERTH_DIGEST_SIZE];
  if (berth_digest_of(body, len, digest, err) < 0)
    return -1;
  if (!berth_store_has(p->is->store, digest) &&
      p->n_added_docs < ARRAY_SIZE(p->added_docs))
    memcpy(p->added_docs[p->n_added_docs++], digest, BERTH_DIGEST_SIZE);
  return berth_store_put(p->is->store, body, len, digest, err);
}

/* GET a manifest and check it is the one asked for when asked by digest. */
static int get_manifest(struct pull *p, const char *ref, const char *want,
                        int64_t want_size, struct berth_manifest *out,
                        char digest[BERTH_DIGEST_SIZE], berth_error **err) {
  _cleanup_free_ char *body = NULL, *ctype = NULL;
  size_t len;
  if (berth_registry_get_manifest(p->reg, ref, &body, &len, &ctype, err) < 0 ||
      berth_digest_of(body, len, digest, err) < 0)
    return -1;
  if (want && strcmp(want, digest) != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "manifest %s: the registry sent content with "
                           "digest %s",
                           want, digest);
  if (want_size >= 0 && (size_t)want_size != len)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "manifest %s: %zu bytes, the index says %lld",
                           want, len, (long long)want_size);
  if (berth_manifest_parse(body, len, ctype, out, err) < 0)
    return -1;
  return put_doc(p, body, len, err);
}

static int resolve_manifest(struct pull *p, const struct berth_ref *ref,
                            berth_error **err) {
  const char *tagref = ref->digest ? ref->digest : ref->tag ? ref->tag
                                                            : "latest";
  if (get_manifest(p, tagref, ref->digest, -1, &p->m, p->top_digest, err) < 0)
    return -1;
  if (p->m.kind == BERTH_MANIFEST_IMAGE) {
    memcpy(p->manifest_digest, p->top_digest, BERTH_DIGEST_SIZE);
    return 0;
  }
  memcpy(p->index_digest, p->top_digest, BERTH_DIGEST_SIZE);
  struct berth_platform want = {0};
  const char *os, *arch, *variant;
  berth_host_platform(&os, &arch, &variant);
  if (p->o->platform) {
    if (berth_platform_parse(p->o->platform, &want, err) < 0)
      return -1;
    os = want.os, arch = want.architecture, variant = want.variant;
  }
  const struct berth_descriptor *d;
  struct berth_manifest index = p->m;
  memset(&p->m, 0, sizeof p->m);
  int rc = berth_index_select(&index, os, arch, variant, &d, err);
  if (rc == 0)
    rc = get_manifest(p, d->digest, d->digest, d->size, &p->m,
                      p->manifest_digest, err);
  if (rc == 0 && p->m.kind != BERTH_MANIFEST_IMAGE)
    rc = berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "manifest %s: an index inside an index",
                         p->manifest_digest);
  berth_manifest_free(&index);
  berth_platform_free(&want);
  return rc;
}

static int fetch_config(struct pull *p, berth_error **err) {
  const char *d = p->m.config.digest;
  int64_t size = p->m.config.size;
  if (size > (int64_t)BERTH_CONFIG_MAX_BYTES)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "image config %s: %lld bytes is over the %u limit",
                           d, (long long)size, BERTH_CONFIG_MAX_BYTES);
  if (!berth_store_has(p->is->store, d))
    memcpy(p->added_docs[p->n_added_docs++], d, BERTH_DIGEST_SIZE);
  if (berth_registry_fetch_blobs(p->reg, p->is->store, &d, &size, 1, NULL,
                                 NULL, err) < 0)
    return -1;
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (berth_store_get(p->is->store, d, BERTH_CONFIG_MAX_BYTES, &data, &len,
                      err) < 0 ||
      berth_image_config_parse(data, len, &p->cfg, err) < 0)
    return -1;
  if (p->cfg.n_diff_ids != p->m.n_layers)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "image config %s lists %zu layers, the manifest "
                           "%zu",
                           d, p->cfg.n_diff_ids, p->m.n_layers);
  p->chains = calloc(p->m.n_layers + 1, sizeof *p->chains);
  p->unpacked = calloc(p->m.n_layers + 1, sizeof *p->unpacked);
  p->queue = calloc(p->m.n_layers + 1, sizeof *p->queue);
  p->blob_added = calloc(p->m.n_layers + 1, sizeof *p->blob_added);
  p->snap_added = calloc(p->m.n_layers + 1, sizeof *p->snap_added);
  p->tmps = calloc(p->m.n_layers + 1, sizeof *p->tmps);
  if (!p->chains || !p->unpacked || !p->queue || !p->blob_added ||
      !p->snap_added || !p->tmps)
    return berth_error_sys(err, "allocate");
  return berth_chain_ids(p->cfg.diff_ids, p->m.n_layers, p->chains, err);
}

static int unpack_layer(struct pull *p, size_t i, berth_error **err) {
  const struct berth_descriptor *l = &p->m.layers[i];
  if (berth_snapshot_exists(p->is->root, p->chains[i])) {
    event(p, i, BERTH_XFER_EXISTS, 0, 0);
    return berth_snapshot_size(p->is->root, p->chains[i], &p->unpacked[i],
                               err);
  }
  int comp = berth_layer_compression_from_media_type(l->media_type);
  if (comp < 0)
    return berth_error_set(err, BERTH_ERR_UNSUPPORTED, 0,
                           "layer %s: media type `%s` is not a layer",
                           l->digest, l->media_type);
  _cleanup_close_ int fd = -1;
  uint64_t size;
  if (berth_store_open_blob(p->is->store, l->digest, &fd, &size, err) < 0)
    return -1;
  event(p, i, BERTH_XFER_EXTRACTING, 0, size);
  p->snap_added[i] = true;
  struct berth_layer_limits limits = {0};
  if (berth_snapshot_unpack(p->is->root, p->chains[i], p->cfg.diff_ids[i], fd,
                            (enum berth_layer_compression)comp, &limits,
                            &p->unpacked[i], &p->tmps[i], err) < 0)
    return berth_error_prefix(err, "layer %s", l->digest);
  event(p, i, BERTH_XFER_DONE, size, size);
  return 0;
}

static void *unpack_worker(void *arg) {
  struct pull *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->mu);
    while (p->qhead == p->qtail && !p->closed && !p->worker_err)
      pthread_cond_wait(&p->cv, &p->mu);
    if (p->qhead == p->qtail || p->worker_err) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    size_t i = p->queue[p->qhead++];
    pthread_mutex_unlock(&p->mu);
    berth_error *e = NULL;
    if (unpack_layer(p, i, &e) < 0) {
      pthread_mutex_lock(&p->mu);
      if (!p->worker_err)
        p->worker_err = e;
      else
        berth_error_free(e);
      pthread_cond_broadcast(&p->cv);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

static void blob_landed(void *ctx, size_t i) {
  struct pull *p = ctx;
  /* A blob the store already had was not downloaded: its layer reports
   * only what unpacking finds (Already exists, as Docker says). */
  if (p->blob_added[i])
    event(p, i, BERTH_XFER_DOWNLOADED, 0, 0);
  pthread_mutex_lock(&p->mu);
  p->queue[p->qtail++] = i;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

static void blob_progress(void *ctx, size_t i, uint64_t done, uint64_t total) {
  struct pull *p = ctx;
  (void)total;
  event(p, i, BERTH_XFER_DOWNLOADING, done, (uint64_t)p->m.layers[i].size);
}

/* Downloads the layers and unpacks each as soon as it lands, on as many
 * threads as there are CPUs: decompression is the bottleneck. */
static int fetch_and_unpack(struct pull *p, berth_error **err) {
  size_t n = p->m.n_layers;
  p->sync_fd = berth_snapshot_sync_open(p->is->root, err);
  if (p->sync_fd < 0)
    return -1;
  _cleanup_free_ const char **digests = calloc(n + 1, sizeof *digests);
  _cleanup_free_ int64_t *sizes = calloc(n + 1, sizeof *sizes);
  if (!digests || !sizes)
    return berth_error_sys(err, "allocate");
  for (size_t i = 0; i < n; i++) {
    digests[i] = p->m.layers[i].digest;
    sizes[i] = p->m.layers[i].size;
    p->blob_added[i] = !berth_store_has(p->is->store, digests[i]);
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t nthreads = cpus < 1 ? 1 : (size_t)cpus;
  nthreads = nthreads > n ? n : nthreads;
  pthread_t threads[64];
  nthreads = nthreads > 64 ? 64 : nthreads;
  size_t started = 0;
  for (; started < nthreads; started++)
    if (pthread_create(&threads[started], NULL, unpack_worker, p) != 0)
      break;
  int rc = 0;
  if (started == 0 && n > 0)
    rc = berth_error_set(err, BERTH_ERR_SYSTEM, 0, "start unpacking threads");
  else
    rc = berth_registry_fetch_blobs(p->reg, p->is->store, digests, sizes, n,
                                    blob_landed, p, err);
  pthread_mutex_lock(&p->mu);
  p->closed = true;
  if (rc < 0 && !p->worker_err)
    p->qtail = p->qhead; /* nothing more to unpack: we are failing */
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (size_t t = 0; t < started; t++)
    pthread_join(threads[t], NULL);
  if (rc == 0 && p->worker_err) {
    if (err && !*err)
      *err = steal_pointer(&p->worker_err);
    rc = -1;
  }
  return rc;
}

/* All layers at once: one syncfs, the renames, then one directory fsync,
 * and no unpacking thread ever waits for the disk. */
static int publish(struct pull *p, berth_error **err) {
  size_t n = p->m.n_layers;
  _cleanup_free_ const char **chains = calloc(n + 1, sizeof *chains);
  if (!chains)
    return berth_error_sys(err, "allocate");
  for (size_t i = 0; i < n; i++)
    chains[i] = p->chains[i];
  return berth_snapshot_publish(p->is->root, p->sync_fd, chains, p->tmps, n,
                                err);
}

static char *json_str_dup(json_t *doc, const char *key) {
  const char *s = json_string_value(json_object_get(doc, key));
  return s ? strdup(s) : NULL;
}

static int record(struct pull *p, const struct berth_ref *ref,
                  berth_error **err) {
  struct berth_image img = {0};
  memcpy(img.id, p->m.config.digest, BERTH_DIGEST_SIZE);
  memcpy(img.manifest_digest, p->manifest_digest, BERTH_DIGEST_SIZE);
  memcpy(img.index_digest, p->index_digest, BERTH_DIGEST_SIZE);
  img.manifest_media_type = p->m.media_type;
  img.os = p->cfg.os;
  img.architecture = p->cfg.architecture;
  _cleanup_free_ char *variant = json_str_dup(p->cfg.doc, "variant");
  _cleanup_free_ char *created = json_str_dup(p->cfg.doc, "created");
  img.variant = variant;
  img.created = created;
  img.n_layers = p->m.n_layers;
  _cleanup_free_ struct berth_image_layer *layers =
      calloc(img.n_layers + 1, sizeof *layers);
  if (!layers)
    return berth_error_sys(err, "allocate");
  img.layers = layers;
  for (size_t i = 0; i < img.n_layers; i++) {
    memcpy(layers[i].blob, p->m.layers[i].digest, BERTH_DIGEST_SIZE);
    layers[i].media_type = p->m.layers[i].media_type;
    layers[i].blob_size = p->m.layers[i].size;
    snprintf(layers[i].diff_id, BERTH_DIGEST_SIZE, "%s", p->cfg.diff_ids[i]);
    memcpy(layers[i].chain_id, p->chains[i], BERTH_DIGEST_SIZE);
    layers[i].unpacked_size = (int64_t)p->unpacked[i];
    img.size += (int64_t)p->unpacked[i];
  }
  img.added = (int64_t)time(NULL);
  _cleanup_free_ char *repo = berth_ref_repository(ref);
  _cleanup_free_ char *tag = NULL, *digest_name = NULL;
  if (!repo ||
      (ref->tag && asprintf(&tag, "%s:%s", repo, ref->tag) < 0) ||
      asprintf(&digest_name, "%s@%s", repo, p->top_digest) < 0)
    return berth_error_sys(err, "allocate");
  /* Pulled by digest only: Docker records no tag, only the digest. */
  return berth_images_add(p->is->db, &img, ref->digest && !ref->tag ? NULL
                                                                    : tag,
                          digest_name, err);
}

static void pull_free(struct pull *p) {
  berth_registry_free(p->reg);
  berth_manifest_free(&p->m);
  berth_image_config_free(&p->cfg);
  free(p->chains);
  free(p->unpacked);
  free(p->queue);
  free(p->blob_added);
  free(p->snap_added);
  for (size_t i = 0; p->tmps && i < p->m.n_layers; i++) {
    if (p->tmps[i])
      berth_rm_rf(p->tmps[i], NULL); /* unpacked, never published */
    free(p->tmps[i]);
  }
  free(p->tmps);
  if (p->sync_fd >= 0)
    close(p->sync_fd);
  berth_error_free(p->worker_err);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
}

/* A failed pull leaves the store as it found it.  It runs under the
 * exclusive lock, after any concurrent pull has recorded its image, so
 * content that another pull of the same layers now uses is kept. */
static void undo(struct pull *p) {
  if (berth_imgstore_lock(p->is, true, NULL) < 0)
    return;
  for (size_t i = 0; i < p->n_added_docs; i++)
    if (berth_images_blob_in_use(p->is->db, p->added_docs[i], NULL) == 0)
      berth_store_delete(p->is->store, p->added_docs[i], NULL);
  for (size_t i = 0; p->blob_added && i < p->m.n_layers; i++) {
    if (p->blob_added[i] &&
        berth_images_blob_in_use(p->is->db, p->m.layers[i].digest, NULL) == 0)
      berth_store_delete(p->is->store, p->m.layers[i].digest, NULL);
    if (p->snap_added[i] &&
        berth_images_chain_in_use(p->is->db, p->chains[i], NULL) == 0)
      berth_snapshot_remove(p->is->root, p->chains[i], NULL);
  }
  berth_imgstore_unlock(p->is);
}

int berth_pull(struct berth_imgstore *is, const struct berth_ref *ref,
               const struct berth_pull_opts *opts,
               char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct pull p = {.is = is, .o = opts, .sync_fd = -1};
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  struct berth_registry_opts ro = opts->reg;
  ro.progress = blob_progress;
  ro.progress_ctx = &p;
  int rc = berth_imgstore_lock(is, false, err);
  if (rc == 0) {
    rc = berth_registry_open(ref->registry, ref->path, false, &ro, &p.reg,
                             err);
    if (rc == 0)
      rc = resolve_manifest(&p, ref, err);
    if (rc == 0)
      rc = fetch_config(&p, err);
    if (rc == 0)
      rc = fetch_and_unpack(&p, err);
    if (rc == 0)
      rc = publish(&p, err);
    if (rc == 0)
      rc = record(&p, ref, err);
    berth_imgstore_unlock(is);
    if (rc < 0)
      undo(&p);
  }
  if (rc == 0) {
    memcpy(id, p.m.config.digest, BERTH_DIGEST_SIZE);
    /* Docker's pull event names the image as the user sees it. */
    _cleanup_free_ char *shown = berth_ref_familiar(ref);
    _cleanup_free_ char *full = berth_ref_string(ref);
    berth_imgstore_event(is, "pull", shown ? shown : id, full);
  }
  pull_free(&p);
  if (rc < 0) {
    _cleanup_free_ char *name = berth_ref_familiar(ref);
    return berth_error_prefix(err, "pull %s", name ? name : "image");
  }
  return 0;
}
