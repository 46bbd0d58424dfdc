/* Compiled seccomp programs kept on disk, so that containers started with
 * the same profile skip libseccomp's compilation (several milliseconds for
 * Docker's profile, most of a runtime's own CPU time per container).
 *
 * An entry is named by a hash of its key but holds the whole key, and is
 * used only when the stored key equals the wanted one byte for byte and the
 * checksum over the file matches: a hash collision or a torn write means a
 * miss, never a wrong filter.  Entries are trusted only in a directory and
 * files owned by the caller and writable by nobody else. */
#ifndef BERTH_OCI_SECCOMP_CACHE_H
#define BERTH_OCI_SECCOMP_CACHE_H

#include <stddef.h>

#include "seccomp_filter.h"

/* The cache's directory in a runtime state root: ':' cannot appear in a
 * container id, so the name never meets a container's state directory. */
#define BERTH_SECCOMP_CACHE_NAME ":seccomp"

/* 0 and out->filter/len set on a hit; -1 on a miss (nothing allocated). */
int berth_seccomp_cache_load(const char *dir, const char *key, size_t key_len,
                             struct berth_seccomp_prog *out);
/* Best effort: a cache that cannot be written is only slower. */
void berth_seccomp_cache_store(const char *dir, const char *key,
                               size_t key_len,
                               const struct berth_seccomp_prog *prog);

#endif
