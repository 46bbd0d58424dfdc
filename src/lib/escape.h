/* Detach keys: spotting a key sequence (Docker's ctrl-p,ctrl-q) in a
 * terminal's input stream while passing everything else through.
 *
 * A byte that may start the sequence is held back until the next byte
 * shows whether the sequence goes on (the user may type ctrl-p, pause,
 * then q); held bytes that turn out not to be the sequence are passed on
 * in order.  libc only: the monitor (static, musl) uses it too. */
#ifndef BERTH_LIB_ESCAPE_H
#define BERTH_LIB_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#define BERTH_ESCAPE_MAX 16

struct berth_escape {
  unsigned char keys[BERTH_ESCAPE_MAX];
  size_t len;     /* 0: no detach keys, everything passes */
  size_t matched; /* how many of keys are held back */
};

/* Feeds in[0..n): what is to be forwarded is written to out (room for
 * n + BERTH_ESCAPE_MAX bytes) and its length to *out_n.  Returns true
 * once the whole sequence has been seen; bytes after it are dropped. */
bool berth_escape_feed(struct berth_escape *e, const char *in, size_t n,
                       char *out, size_t *out_n);

/* "16,17" (decimal byte values, as the engine passes them to the
 * monitor) into e.  Returns false on a malformed or too long list. */
bool berth_escape_from_list(struct berth_escape *e, const char *list);

#endif
