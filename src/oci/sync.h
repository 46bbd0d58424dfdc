/* Messages between the runtime and the container's init over a
 * SOCK_SEQPACKET socketpair.  The init's end is close-on-exec, so the
 * runtime reads end-of-file exactly when the user process was executed. */
#ifndef BERTH_OCI_SYNC_H
#define BERTH_OCI_SYNC_H

#include <stdint.h>

#include "error.h"

enum berth_sync_type {
  BERTH_SYNC_GO = 1,        /* parent: cgroup entered (value: init pid) */
  BERTH_SYNC_NS_READY,      /* child: mounts prepared, run createRuntime */
  BERTH_SYNC_HOOKS_DONE,    /* parent: prestart/createRuntime hooks ran */
  BERTH_SYNC_CREATED,       /* child: waiting for start */
  BERTH_SYNC_START,         /* parent (run): go on and exec */
  BERTH_SYNC_PID,           /* exec stub: value is the new process's pid */
  BERTH_SYNC_ERROR,         /* either: text says what failed */
  BERTH_SYNC_MAPPED,        /* parent: id maps written; the init prepares
                               its mounts while the cgroup is created */
  BERTH_SYNC_FDS,           /* parent, after MAPPED: the rootfs and bind
                               sources as SCM_RIGHTS (value: how many in
                               this message; rootfs_fds.h) */
  BERTH_SYNC_STUB_FAILED,   /* exec stub (src/stub): value errno, text
                               what it could not do */
};

struct berth_sync_msg {
  uint32_t type;
  int32_t value; /* SYNC_ERROR: the errno */
  uint32_t kind; /* SYNC_ERROR: the berth_error_kind */
  char text[4084];
};

/* Sends one message; text may be NULL.  No allocation (usable in init). */
int berth_sync_send(int fd, uint32_t type, int32_t value, const char *text);
/* Sends a SYNC_ERROR carrying err's message, errno and kind. */
void berth_sync_send_error(int fd, const berth_error *err);
/* Turns a received SYNC_ERROR back into *err, kind and errno included
 * (callers decide on the kind, never on the text).  Returns -1. */
int berth_sync_error_of(const struct berth_sync_msg *m, berth_error **err);
/* Receives one message.  Returns 1 on a message, 0 on end-of-file. */
int berth_sync_recv(int fd, struct berth_sync_msg *m, berth_error **err);
/* Receives and requires `type`; a SYNC_ERROR becomes *err with its text,
 * end-of-file becomes "the container's init exited". */
int berth_sync_expect(int fd, uint32_t type, int32_t *value,
                      berth_error **err);

#endif
