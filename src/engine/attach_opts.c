/* Options of attached clients: detach keys, run -a streams, the signals
 * forwarded (see attach.h).  Pure functions, unit-tested. */
#include "attach.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One key as Docker's term.ToBytes reads it. */
static int detach_key(const char *k, size_t n) {
  if (n == 1)
    return (unsigned char)k[0];
  if (n == 3 && strncmp(k, "DEL", 3) == 0)
    return 127;
  if (n != 6 || strncmp(k, "ctrl-", 5) != 0)
    return -1;
  char c = k[5];
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 1;
  const char *specials = "@[\\]^_";
  const char *p = strchr(specials, c);
  return p && c ? (p == specials ? 0 : 26 + (int)(p - specials)) : -1;
}

int berth_detach_keys_parse(const char *spec, char out[BERTH_DETACH_KEYS_LEN],
                            berth_error **err) {
  /* Unset and empty both mean the default, as Docker's CLI. */
  if (spec == NULL || *spec == '\0')
    spec = BERTH_DETACH_KEYS_DEFAULT;
  out[0] = '\0';
  size_t used = 0, count = 0;
  for (const char *p = spec; *p;) {
    size_t n = strcspn(p, ",");
    int v = detach_key(p, n);
    if (v < 0 || ++count > 16)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --detach-keys `%s`: %s", spec,
                             v < 0 ? "each key is a character or "
                                     "ctrl-<a-z, @, [, \\, ], ^ or _> or DEL"
                                   : "at most 16 keys");
    used += (size_t)snprintf(out + used, BERTH_DETACH_KEYS_LEN - used,
                             "%s%d", used ? "," : "", v);
    p += n;
    if (*p == ',' && *++p == '\0')
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --detach-keys `%s`: empty key", spec);
  }
  return 0;
}

int berth_attach_streams(const char *const *names, size_t n, bool interactive,
                         bool detach, struct berth_streams *out,
                         berth_error **err) {
  if (detach && n)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: cannot specify both "
                           "--attach and --detach");
  *out = (struct berth_streams){.in = interactive, .out = true, .err = true};
  if (n == 0)
    return 0;
  *out = (struct berth_streams){0};
  for (size_t i = 0; i < n; i++) {
    if (strcasecmp(names[i], "stdin") == 0)
      out->in = true;
    else if (strcasecmp(names[i], "stdout") == 0)
      out->out = true;
    else if (strcasecmp(names[i], "stderr") == 0)
      out->err = true;
    else
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid argument `%s` for --attach: valid "
                             "streams are STDIN, STDOUT and STDERR",
                             names[i]);
  }
  /* Docker: stdin is attached only to a container that keeps it open. */
  out->in = out->in && interactive;
  return 0;
}

void berth_sig_proxy_set(sigset_t *set) {
  sigemptyset(set);
  for (int s = 1; s < SIGRTMIN; s++)
    sigaddset(set, s);
  /* Not the container's business: the client's own children and pipes,
   * its terminal's size (sent as a resize), out-of-band data; and never
   * block what a fault raises. */
  const int not[] = {SIGCHLD, SIGPIPE, SIGWINCH, SIGURG,  SIGKILL,
                     SIGSTOP, SIGSEGV, SIGBUS,   SIGFPE,  SIGILL,
                     SIGTRAP, SIGSYS,  SIGABRT};
  for (size_t i = 0; i < sizeof not / sizeof not[0]; i++)
    sigdelset(set, not[i]);
}
