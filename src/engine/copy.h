/* berth cp: files between a container and the host, with Docker's path
 * rules:
 *   SRC a file:  DEST missing -> created as that file (its parent must
 *                exist; DEST ending in "/" is an error); DEST a file ->
 *                overwritten; DEST a directory -> DEST/basename(SRC).
 *   SRC a dir:   DEST missing -> created, SRC's contents copied in;
 *                DEST a file -> error; DEST a directory -> DEST/basename
 *                (SRC), or with SRC ending in "/." its contents into DEST.
 *   "-"          as SRC: a tar stream on in_fd unpacked into the DEST
 *                directory; as DEST: SRC as a tar stream on out_fd.
 *
 * Every path inside the container is resolved in its root (openat2
 * RESOLVE_IN_ROOT) and trees are walked with *at calls and O_NOFOLLOW, so
 * no symlink of the container (/etc -> /, say) makes cp read or write
 * outside it.  Owner, mode and times of what is created are set through
 * an fd of the entry just made, never by name: the container may swap the
 * name for a symlink to a host path meanwhile.  Files copied in belong to the container's root (host id
 * id_base) unless `archive`; files copied out belong to the caller and
 * lose setuid/setgid bits unless `archive`.  Hard links within a copied
 * tree stay hard links.  Device nodes and sockets are not copied.  The
 * copying itself is engine/copy_tree.c, shared with the builder's COPY. */
#ifndef BERTH_ENGINE_COPY_H
#define BERTH_ENGINE_COPY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"

/* Who owns what a copy creates.  An id is always shifted through the
 * container's id range, and an id the container cannot map becomes its
 * root (berth_copy_host_id): never a host id outside its range. */
enum berth_cp_owner {
  /* docker cp's documented default (the docker CLI builds and unpacks
   * the tars itself): into a container its root, out to the host the
   * caller; setuid and setgid bits do not reach the host. */
  BERTH_CP_OWNER_DEST = 0,
  /* The source's ids as the other side sees them: `cp -a`, and PUT
   * /containers/{id}/archive by default (Docker's daemon keeps the tar
   * headers' ids, mapped through the container's user namespace). */
  BERTH_CP_OWNER_SOURCE,
  /* Into a container: every entry owned by its Config.User, resolved in
   * its own /etc/passwd as its process is (PUT archive with
   * copyUIDGID=1, what `docker cp -a` sends).  A container without a
   * User is SOURCE, as Docker's daemon. */
  BERTH_CP_OWNER_CTR_USER,
};

struct berth_cp_opts {
  enum berth_cp_owner owner;
  bool follow;      /* -L: follow a symlink that SRC itself is */
  /* A tar stream in (the API's PUT archive, noOverwriteDirNonDir): an
   * existing non-directory is not replaced by a directory.  (An
   * existing directory is never replaced by a non-directory.) */
  bool no_dir_over_nondir;
};

/* Container `ref`'s src to host path dst (NULL: a tar to out_fd). */
int berth_ctr_cp_from(struct berth_engine *e, const char *ref,
                      const char *src, const char *dst, int out_fd,
                      const struct berth_cp_opts *o, berth_error **err);
/* Host path src (NULL: a tar from in_fd) to container `ref`'s dst.  A
 * container whose root filesystem is read-only (--read-only) takes
 * nothing while stopped: STATE with errno EROFS, as a write to its
 * read-only root fails while it runs (its writable volumes still take
 * files then). */
int berth_ctr_cp_to(struct berth_engine *e, const char *ref, const char *src,
                    int in_fd, const char *dst,
                    const struct berth_cp_opts *o, berth_error **err);

/* Docker's ContainerPathStat of `path` in container `ref`, its last
 * component not followed: {"name", "size", "mode" (Go's os.FileMode
 * bits), "mtime" (RFC 3339), "linkTarget" (for a symlink the container
 * path it resolves to, else "")}.  NOT_FOUND "Could not find the file
 * PATH in container REF" (Docker's words) when there is no such path. */
int berth_ctr_path_stat(struct berth_engine *e, const char *ref,
                        const char *path, json_t **out, berth_error **err);
/* Go's os.FileMode of a st_mode (Docker's stat documents carry it). */
uint32_t berth_go_file_mode(mode_t m);

#endif
