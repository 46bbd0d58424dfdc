/* berth's Docker Engine API server (`berth system service`): Docker's
 * Engine API v1.41 over a unix socket, for the docker CLI, docker-compose
 * and the SDKs.
 *
 * The server only parses requests and encodes answers: every decision is
 * an engine call, the same one the CLI makes (design.md).  berth stays
 * daemonless: containers keep their monitors when the service stops, and
 * the service holds no state a CLI command would miss.
 *
 * HTTP comes from GNU libmicrohttpd (keep-alive, chunked bodies,
 * connection upgrade for attach/exec), one thread per connection: long
 * streams (logs -f, attach, events, stats) block only their own thread.
 * Each request opens its own engine (the database is shared through
 * SQLite's locking, as between CLI processes). */
#ifndef BERTH_API_API_H
#define BERTH_API_API_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Docker's API version served, and the oldest accepted in a /vX.Y/
 * prefix. */
#define BERTH_API_MAX_VERSION "1.41"
#define BERTH_API_MIN_VERSION "1.24"

/* Where the socket is unless told otherwise. */
#define BERTH_API_DEFAULT_SOCKET "/run/berth/berth.sock"

struct berth_api_opts {
  const char *root;        /* the engine's root (--root) */
  char *const *envp;       /* the environment engines are opened with */
  const char *socket_path; /* "unix:///path" or "/path"; NULL: default */
  int listen_fd;           /* an already listening socket (systemd socket
                              activation: LISTEN_FDS), or -1 */
  int idle_timeout_s;      /* exit after this long with no connection;
                              0: never */
  gid_t group;             /* the socket's group (mode 0660); 0: root */
  bool debug;              /* log each request to stderr */
};

/* Serves until the idle timeout or SIGTERM/SIGINT.  Creates the socket
 * (removing a stale one that nothing listens on, refusing one that
 * answers), 0660 root:group, and removes it on return. */
int berth_api_serve(const struct berth_api_opts *o, berth_error **err);

#endif
