/* Seccomp through libseccomp.  The filter is parsed and validated with the
 * rest of the spec, compiled to BPF in the runtime before the container's
 * init is cloned (so the child never allocates for it), and loaded by the
 * init as the last step before execve. */
#ifndef BERTH_OCI_SECCOMP_FILTER_H
#define BERTH_OCI_SECCOMP_FILTER_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>

#include "error.h"

struct berth_seccomp;

struct berth_seccomp_prog {
  struct sock_filter *filter;
  unsigned short len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
};

/* Parses linux.seccomp; unknown syscall names, actions, operators or
 * architectures are SPEC errors naming the field. */
int berth_seccomp_parse(json_t *seccomp, const char *path,
                        struct berth_seccomp **out, berth_error **err);
void berth_seccomp_free(struct berth_seccomp *s);
/* Compiling a large profile (Docker's has ~400 syscalls) takes libseccomp
 * milliseconds, a good part of a container's start.  With a cache_dir the
 * program is looked up there by its key (below) and stored after a miss;
 * NULL compiles every time. */
int berth_seccomp_compile(const struct berth_seccomp *s, const char *cache_dir,
                          struct berth_seccomp_prog *out, berth_error **err);
/* The text the compiled program is a function of (malloc'd, *len set). */
char *berth_seccomp_key(const struct berth_seccomp *s, size_t *len);
/* Installs the program in the calling thread (seccomp(2) with the flags). */
int berth_seccomp_load(const struct berth_seccomp_prog *p, berth_error **err);
void berth_seccomp_prog_free(struct berth_seccomp_prog *p);
/* {"enabled":true,"actions":[...],"operators":[...],"archs":[...],
 *  "knownFlags":[...],"supportedFlags":[...]} for `features`. */
json_t *berth_seccomp_features(void);

#endif
