/* A client of the OCI distribution API (Docker Registry HTTP API v2) on
 * libcurl: manifests, blobs (fetched in parallel, written through the
 * content store so every byte is verified), uploads, and authentication
 * (Bearer tokens from the WWW-Authenticate challenge, or Basic).
 *
 * TLS is verified unless `insecure`; plain HTTP is used only for
 * registries on loopback or when `insecure` is set (as `--tls-verify=false`
 * with docker's "insecure registries"), and only when HTTPS fails. */
#ifndef BERTH_IMAGE_REGISTRY_H
#define BERTH_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/* Called as a transfer makes progress; item is the blob's index in the
 * call that started it (0 for single transfers). */
typedef void (*berth_progress_fn)(void *ctx, size_t item, uint64_t done,
                                  uint64_t total);

struct berth_registry_opts {
  const char *const *auth_files; /* searched in order; NULL-terminated */
  const char *username, *password; /* override the files (login) */
  bool insecure;                 /* --tls-verify=false: no TLS checks,
                                    plain HTTP allowed */
  const char *ca_file;           /* extra CA bundle, may be NULL */
  long stall_timeout_s;          /* no byte for this long fails; 0: 30 */
  int retries;                   /* transient failures retried; <0: 0, 0: 3 */
  int parallel;                  /* concurrent blob transfers; 0: 4 */
  berth_progress_fn progress;
  void *progress_ctx;
};

struct berth_registry;

/* Connects to `registry` ("localhost:5000", "docker.io") for `repository`
 * ("library/busybox"): picks the scheme and authenticates for pull (and
 * push when asked). */
int berth_registry_open(const char *registry, const char *repository,
                        bool push, const struct berth_registry_opts *opts,
                        struct berth_registry **out, berth_error **err);
void berth_registry_free(struct berth_registry *r);

/* GET a manifest by tag or digest (at most BERTH_MANIFEST_MAX_BYTES).
 * *content_type may be NULL when the registry sent none. */
int berth_registry_get_manifest(struct berth_registry *r, const char *ref,
                                char **body, size_t *len, char **content_type,
                                berth_error **err);

/* Fetches blobs into the store, `parallel` at a time, each verified by
 * size and digest; blobs already in the store are skipped.  done(ctx, i)
 * is called (in the caller's thread) as blob i lands. */
int berth_registry_fetch_blobs(struct berth_registry *r,
                               struct berth_store *store,
                               const char *const *digests,
                               const int64_t *sizes, size_t n,
                               void (*done)(void *ctx, size_t i), void *ctx,
                               berth_error **err);

/* 1 when the registry has the blob, 0 when not. */
int berth_registry_blob_exists(struct berth_registry *r, const char *digest,
                               berth_error **err);
/* Uploads a blob of the store (monolithic POST + PUT). */
int berth_registry_push_blob(struct berth_registry *r,
                             struct berth_store *store, const char *digest,
                             berth_error **err);
/* PUT a manifest under a tag or its digest. */
int berth_registry_put_manifest(struct berth_registry *r, const char *ref,
                                const char *body, size_t len,
                                const char *media_type, berth_error **err);

#endif
