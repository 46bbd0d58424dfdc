/* Container filesystems as tar streams: `berth export` (the merged view),
 * `berth commit` (the upper dir as an image layer) and the tar side of
 * `berth cp`.  Trees are walked with *at calls and O_NOFOLLOW from fds
 * opened inside the container's root, so nothing the container planted
 * (symlinks, renamed directories) can make them read outside it. */
#ifndef BERTH_ENGINE_EXPORT_H
#define BERTH_ENGINE_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "engine.h"

struct berth_tar_opts {
  /* Host ids base..base+count-1 are written as 0..count-1; others as
   * 65534.  count 0: ids as they are. */
  uint32_t id_base, id_count;
  bool whiteouts; /* overlay whiteouts/opaque dirs -> OCI ones (commit) */
  bool one_mount; /* do not descend into other mounts (export) */
  bool strip_special; /* leave out device nodes and sockets */
  bool xattrs;    /* user.* xattrs and file capabilities (layers) */
  /* mtimes after `epoch` (unix seconds) are written as epoch: Docker's
   * SOURCE_DATE_EPOCH, so that a rebuild gives the same layer. */
  bool clamp_mtime;
  int64_t epoch;
  char *const *skip; /* names left out ("etc/hosts"), NULL-terminated */
};

struct berth_tar;
typedef int (*berth_tar_write_fn)(void *ctx, const void *buf, size_t len,
                                  berth_error **err);
/* A PAX tar writer to out_fd, or to write_fn(ctx) when write_fn is set. */
int berth_tar_open(int out_fd, berth_tar_write_fn write_fn, void *ctx,
                   const struct berth_tar_opts *o, struct berth_tar **out,
                   berth_error **err);
/* Adds the object of path_fd (an O_PATH fd, symlinks not followed) as
 * `name` and, for a directory, everything under it, each directory's
 * entries in byte order of their names (the same tree always gives the
 * same archive).  name "" adds only the directory's contents, at the top
 * of the archive. */
int berth_tar_add(struct berth_tar *t, int path_fd, const char *name,
                  berth_error **err);
/* Finishes the archive when `finish` (false on error paths: frees only). */
int berth_tar_close(struct berth_tar *t, bool finish, berth_error **err);

/* berth export: the container's filesystem (its overlay, without the
 * mounts of a running container) as a tar to out_fd, owned by the
 * container's ids. */
int berth_ctr_export(struct berth_engine *e, const char *ref, int out_fd,
                     berth_error **err);

/* The container's upper dir as an uncompressed OCI layer blob in the
 * image store (its digest is its diff id): overlay whiteouts and opaque
 * dirs become OCI ones, host ids are mapped back to the image's, user.*
 * xattrs and file capabilities are kept, device nodes, sockets and the
 * engine's mount points (berth_ctr_engine_stubs) stay out, and mtimes
 * after `epoch` are clamped to it when epoch >= 0.  A container never started gives an empty layer.  The
 * caller holds the container's lock and the image store's shared lock
 * until the blob is referenced by an image. */
int berth_ctr_layer(struct berth_engine *e, const struct berth_ctr *c,
                    int64_t epoch, char digest[BERTH_DIGEST_SIZE],
                    uint64_t *size, berth_error **err);

struct berth_commit_opts {
  json_t *changes;     /* config keys to set last (may be NULL); "Env"
                          entries replace variables of the same name */
  const char *comment; /* -m, may be NULL */
  const char *author;  /* -a, may be NULL */
  const char *tag;     /* normalised name:tag, may be NULL */
  bool pause;          /* freeze a running container meanwhile */
};

/* berth commit: a new image = the container's image + a layer made from
 * its upper dir, with the container's configuration.  id gets its id. */
int berth_ctr_commit(struct berth_engine *e, const char *ref,
                     const struct berth_commit_opts *o,
                     char id[BERTH_DIGEST_SIZE], berth_error **err);

#endif
