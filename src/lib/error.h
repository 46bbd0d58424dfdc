/* berth error values: errno + message chain + stable kind.
 *
 * Contract: a fallible function takes `berth_error **err` as its last
 * argument, returns a negative value on failure and fills *err (if err is
 * non-NULL and *err is NULL).  Callers branch on `kind`, never on text. */
#ifndef BERTH_LIB_ERROR_H
#define BERTH_LIB_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum berth_error_kind {
  BERTH_ERR_SYSTEM = 0, /* a syscall failed; errno_value says which */
  BERTH_ERR_INVALID,    /* bad input from the user (flags, ids) */
  BERTH_ERR_SPEC,       /* config.json is invalid; `field` names what */
  BERTH_ERR_NOT_FOUND,  /* container, file or object does not exist */
  BERTH_ERR_EXISTS,     /* object already exists */
  BERTH_ERR_STATE,      /* operation not allowed in current state */
  BERTH_ERR_UNSUPPORTED,/* the host or this build cannot do it */
  BERTH_ERR_TIMEOUT,
  BERTH_ERR_EXEC,       /* the container's program cannot be executed
                           (exit_status.h: ENOENT 127, else 126) */
  BERTH_ERR_CWD,        /* the process's working directory cannot be
                           entered (exit_status.h: 126) */
  BERTH_ERR__COUNT      /* not a kind: bounds kinds read from a peer */
} berth_error_kind;

typedef struct berth_error {
  berth_error_kind kind;
  int errno_value;   /* 0 when no errno applies */
  char *field;       /* JSON path like "linux.namespaces[1].type" for SPEC */
  char *msg;         /* full message including context prefixes */
} berth_error;

/* Sets *err (when err && !*err); always returns -1 so callers can
 * `return berth_error_set(...)`.  errno_value is appended as strerror. */
int berth_error_set(berth_error **err, berth_error_kind kind, int errno_value,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Shorthand for a failed syscall: kind SYSTEM, errno captured from errno. */
int berth_error_sys(berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A config.json field error: kind SPEC with `field` set. */
int berth_error_spec(berth_error **err, const char *field, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
/* Prefixes context to an existing error ("create `x`: <old msg>"). */
int berth_error_prefix(berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void berth_error_free(berth_error *err);
/* An error as one line of text for a pipe or socket between berth's own
 * processes, "KIND ERRNO MESSAGE", so the kind survives the trip (the
 * receiver decides on it, never on the text).  Returns the length
 * written (truncated to len - 1) or -1 without err. */
int berth_error_encode(const berth_error *err, char *buf, size_t len);
/* The inverse: fills *err from such text and returns -1 (a malformed text
 * becomes a SYSTEM error carrying it as it is). */
int berth_error_decode(const char *text, berth_error **err);
/* Negative errno for the error, -EIO when none. */
int berth_error_code(const berth_error *err);

#endif
