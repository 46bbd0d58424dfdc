/* Copying files, trees and tar streams into a directory that may belong
 * to a container: the pieces shared by `berth cp` (copy.c) and the
 * builder's COPY/ADD (build/copy_step.c).
 *
 * The destination is untrusted: every entry is created with *at calls
 * that never follow its last component (an existing non-directory is
 * replaced, never written through), and its owner, mode and times are
 * set through an fd of what was just created, never by name (the owner
 * of the tree could swap the name for a symlink to a host path
 * meanwhile).  Paths of tar entries are confined to the directory they
 * are unpacked into (openat2 RESOLVE_IN_ROOT); entries naming ".." are
 * refused.  Device nodes and sockets are never created. */
#ifndef BERTH_ENGINE_COPY_TREE_H
#define BERTH_ENGINE_COPY_TREE_H

#include <archive.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "error.h"

/* The host owner and the mode of the copy of an entry whose source
 * metadata is *src (for a tar entry: its header, ids as archived). */
typedef void (*berth_copy_meta_fn)(void *arg, const struct stat *src,
                                   uid_t *uid, gid_t *gid, mode_t *mode);
/* true: leave out the entry at rel (the relative path given to
 * berth_copy_children, then "/" and the names below it). */
typedef bool (*berth_copy_skip_fn)(void *arg, const char *rel);

struct berth_copy_link;

struct berth_copy_tree {
  berth_copy_meta_fn meta;
  void *meta_arg;
  berth_copy_skip_fn skip; /* NULL: nothing left out */
  void *skip_arg;
  /* Untar: an existing non-directory is kept (an error) rather than
   * replaced by a directory entry. */
  bool keep_nondir;
  /* Private: zero them before the first use. */
  struct berth_copy_link *links; /* hard links seen in the current tree */
  size_t n_links;
  size_t rel_len, drel_len;
  char rel[4096], drel[4096];
  char buf[1 << 16];
};

/* A host id of a container whose ids 0..count-1 are host base..: an id
 * it cannot map becomes its root, never a host id (count 0: no shift). */
uint32_t berth_copy_host_id(uint32_t base, uint32_t count, uint32_t id);

/* Copies the entry open at src_pfd (O_PATH, not followed; *st its stat)
 * as dirfd/name, a directory with everything below it.  Hard links
 * within the copied tree stay hard links. */
int berth_copy_entry(struct berth_copy_tree *t, int src_pfd,
                     const struct stat *st, int dirfd, const char *name,
                     berth_error **err);
/* Copies the CONTENTS of directory src_dfd into directory dst_dfd.  rel
 * names src_dfd for t->skip ("" or "." for the top).  A directory that
 * is skipped is still searched, and made only when something below it
 * is copied (.dockerignore's "!" exceptions). */
int berth_copy_children(struct berth_copy_tree *t, int src_dfd, int dst_dfd,
                        const char *rel, berth_error **err);

/* Unpacks the tar read by `a` (opened by the caller, with the filters it
 * accepts) into dir_fd, which is the root of every entry's path and of
 * every hard link's target.  Missing parent directories are made 0755,
 * owned as t->meta gives for a 0:0 directory. */
int berth_copy_untar(struct berth_copy_tree *t, struct archive *a,
                     int dir_fd, berth_error **err);

/* Opens directory `path` (cleaned: no "..") inside root_fd, making each
 * missing directory (0755, uid:gid, set through its fd).  Returns an
 * O_RDONLY|O_DIRECTORY fd or -1. */
int berth_copy_mkdirs(int root_fd, const char *path, uid_t uid, gid_t gid,
                      berth_error **err);

/* Creates `name` in dirfd as the kind of *st (an existing non-directory
 * is replaced; an existing directory is kept for a directory, refused
 * otherwise).  *out: an fd for berth_copy_set_meta (writable for a
 * file), -1 for kinds not copied; *created: false for a kept directory,
 * whose metadata stays as it is. */
int berth_copy_create(int dirfd, const char *name, const struct stat *st,
                      const char *link, int *out, bool *created,
                      berth_error **err);
/* Owner (first: chown clears setuid), mode (not for symlinks) and times
 * (st's) of the entry open at fd. */
int berth_copy_set_meta(int fd, const struct stat *st, uid_t uid, gid_t gid,
                        mode_t mode, const char *name, berth_error **err);
int berth_copy_write(int fd, const char *p, size_t n, const char *name,
                     berth_error **err);

/* The last name of a path ("" for the root, "." or ".."); the directory
 * part ("" for a bare name).  malloc'd, NULL when out of memory. */
char *berth_copy_path_base(const char *path);
char *berth_copy_path_dir(const char *path);

#endif
