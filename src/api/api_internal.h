/* What the API server's parts share: a request as handlers see it, the
 * ways to answer it (JSON, error, stream, hijacked connection), the route
 * tables, and the server-wide state some requests meet in (attach before
 * start).
 *
 * A handler parses the request, makes one engine call (the one the CLI
 * makes for the same thing) and encodes the answer.  It never decides:
 * defaults, validation, which object a name means and what an inspect
 * document holds are the engine's (design.md).
 *
 * Threads: libmicrohttpd runs each connection in its own thread, and a
 * handler runs in its connection's thread; it may block (wait, logs -f,
 * a pull).  Each connection has its own engine (api_engine), opened on
 * its first use and closed with the connection, so handlers never share
 * a database handle. */
#ifndef BERTH_API_INTERNAL_H
#define BERTH_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "engine.h"
#include "error.h"

struct api_server; /* server.c: options, the pending attaches, counters */
struct api_conn;   /* server.c: one client connection (its engine) */

/* Path parameters a route captures ({id}, {name*}): at most this many. */
#define API_MAX_PARAMS 3

/* A request, valid during the handler call. */
struct api_req {
  struct api_server *srv;
  struct api_conn *conn;
  void *mhd_conn;          /* struct MHD_Connection * (for the parts that
                              read headers); handlers use the helpers */
  const char *method;      /* "GET", "POST", "HEAD", "PUT", "DELETE" */
  const char *path;        /* without the /vX.Y prefix, percent-decoded */
  unsigned version;        /* the API version asked for, as 100*major+minor
                              (141 for /v1.41/ or no prefix) */
  const char *params[API_MAX_PARAMS]; /* captures, in pattern order */
  /* The body: routes without API_BODY_FILE get it whole in memory (at
   * most API_BODY_MAX bytes, else 413 before the handler runs); routes
   * with it get it in a temp file (body_fd, read from offset 0, at most
   * API_BODY_FILE_MAX), deleted after the request. */
  const char *body;
  size_t body_len;
  int body_fd;             /* -1 unless API_BODY_FILE */
  /* The answer, set by exactly one api_reply_* call. */
  void *response;          /* struct MHD_Response * */
  unsigned status;
};

#define API_BODY_MAX (16u << 20)
#define API_BODY_FILE_MAX (64ull << 30)

/* ---- routes (router.c) ------------------------------------------------ */

typedef int (*api_handler)(struct api_req *r);

enum api_route_flags {
  API_BODY_FILE = 1, /* the body is spooled to a temp file (tar bodies:
                        build, images/load, archive PUT) */
};

/* A pattern is a path with {name} segments (one path segment) and at most
 * one {name*} (one or more segments: image names hold slashes, as in
 * "/images/{name*}/json").  A handler returns 0 after an api_reply_*, or
 * -1 after an api_reply_error*: the router answers 500 if it set none. */
struct api_route {
  const char *method;
  const char *pattern;
  api_handler handler;
  unsigned flags;
};

/* Each handler file exports one table, ended by {NULL}.  router.c lists
 * them all as weak symbols: a family not yet built answers 404. */
extern const struct api_route api_routes_system[]; /* api_system.c */
extern const struct api_route api_routes_ctr[];    /* api_ctr.c */
extern const struct api_route api_routes_ctr_more[]; /* api_ctr_more.c */
extern const struct api_route api_routes_attach[]; /* api_attach.c */
extern const struct api_route api_routes_exec[];   /* api_exec.c */
extern const struct api_route api_routes_logs[];   /* api_logs.c */
extern const struct api_route api_routes_archive[]; /* api_archive.c */
extern const struct api_route api_routes_images[]; /* api_images.c */
extern const struct api_route api_routes_pull[];   /* api_pull.c */
extern const struct api_route api_routes_image_io[]; /* api_image_io.c */
extern const struct api_route api_routes_build[];  /* api_build.c */
extern const struct api_route api_routes_net[];    /* api_net.c */
extern const struct api_route api_routes_vol[];    /* api_vol.c */
extern const struct api_route api_routes_events[]; /* api_events.c */

/* Finds the route for method and (prefix-stripped) path; fills
 * r->params.  Returns the route, or NULL with *status 404 (no such path)
 * or 405 (path known, method not). */
const struct api_route *api_route_find(struct api_req *r, unsigned *status);
/* Strips "/vX.Y": *version gets 100*X+Y (141 without a prefix); returns
 * the rest, or NULL for a version outside [1.24, 1.41] (the server
 * answers 400 "client version 1.50 is too new. Maximum supported API
 * version is 1.41", as Docker). */
const char *api_strip_version(const char *path, unsigned *version);

/* ---- the request (request.c) ------------------------------------------ */

/* The connection's engine, opened on first use with the server's root and
 * environment.  NULL and *err when it cannot be opened. */
struct berth_engine *api_engine(struct api_req *r, berth_error **err);

/* A query parameter as sent (decoded), NULL when absent. */
const char *api_query(struct api_req *r, const char *key);
/* Docker's booleans: absent -> def; "1", "true", "True" -> true; "0",
 * "false", "False", "" -> false; anything else INVALID naming the key. */
int api_query_bool(struct api_req *r, const char *key, bool def, bool *out,
                   berth_error **err);
/* An integer in [min, max]; absent -> def; else INVALID naming the key. */
int api_query_int(struct api_req *r, const char *key, int64_t def,
                  int64_t min, int64_t max, int64_t *out, berth_error **err);
/* The `filters` parameter: JSON {"key": ["v", ...]} or the older
 * {"key": {"v": true}}; *out gets the first form ({} when absent; the
 * caller json_decref's).  INVALID for anything else. */
int api_query_filters(struct api_req *r, json_t **out, berth_error **err);
/* A request header, NULL when absent. */
const char *api_header(struct api_req *r, const char *name);

/* The body as a JSON object: an empty body gives an empty object; a
 * malformed one INVALID "invalid JSON: LINE:COL: msg"; anything but an
 * object INVALID.  The caller json_decref's *out. */
int api_body_json(struct api_req *r, json_t **out, berth_error **err);

/* ---- answers (respond.c) ---------------------------------------------- */

/* JSON body (steals doc; NULL doc: "null"), Content-Type
 * application/json.  Returns 0. */
int api_reply_json(struct api_req *r, unsigned status, json_t *doc);
/* No body (204, 304, 201 without content), or a text body. */
int api_reply_empty(struct api_req *r, unsigned status);
int api_reply_text(struct api_req *r, unsigned status, const char *ctype,
                   const char *body, size_t len);
/* {"message": err->msg} with the status of its kind: NOT_FOUND 404,
 * INVALID and SPEC 400, EXISTS and STATE 409, UNSUPPORTED 501, anything
 * else 500 (api_status_of).  Frees err.  Returns -1. */
int api_reply_error(struct api_req *r, berth_error *err);
/* The same with an explicit status and message. */
int api_reply_errorf(struct api_req *r, unsigned status, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));
unsigned api_status_of(const berth_error *err);

/* ---- streams (stream.c) ----------------------------------------------- */

/* A long answer (pull/push/build progress, events, stats, logs, export,
 * save) written while it is produced: the handler answers with
 * api_reply_stream, and `produce` then runs in its own thread, writing
 * with api_stream_write; its return ends the body.  The body goes out
 * chunked with Content-Type ctype.  A write fails (-1, EPIPE) once the
 * client has gone, which is how a producer knows to stop; a producer
 * that waits for something (events, logs -f) should also poll
 * api_stream_gone now and then.  `data` is freed with free_data (may be
 * NULL) after produce returns; the handler hands it over even when
 * api_reply_stream fails.  The request (r->params, r->body, r->body_fd,
 * values api_query returned in the handler) stays valid until produce
 * returns, even when the client has gone; the producer must not call
 * api_query or api_header itself. */
struct api_stream;
typedef void (*api_produce)(struct api_stream *s, void *data);
int api_reply_stream(struct api_req *r, unsigned status, const char *ctype,
                     api_produce produce, void *data,
                     void (*free_data)(void *));
int api_stream_write(struct api_stream *s, const void *buf, size_t len);
/* doc and a "\n" (steals doc), as Docker's JSON-lines progress. */
int api_stream_json(struct api_stream *s, json_t *doc);
bool api_stream_gone(struct api_stream *s);
/* The request's engine, for the producer thread (the connection waits
 * while its stream is produced, so it is the producer's alone). */
struct berth_engine *api_stream_engine(struct api_stream *s,
                                       berth_error **err);
/* For an engine function that writes its answer to an fd (the tars of
 * export, archive GET and save): runs write_to(fd, data) in a thread of
 * its own, writing a pipe, and copies the pipe to the stream.  When the
 * client goes, the pipe's read end is closed, so the writer's next write
 * fails (EPIPE: SIGPIPE is ignored) and it stops instead of producing
 * the rest for no one.  write_to need not close fd.  Returns once the
 * writer has. */
void api_stream_from_writer(struct api_stream *s,
                            void (*write_to)(int fd, void *data), void *data);

/* ---- hijacked connections (hijack.c) ----------------------------------- */

/* attach and exec start take over the connection: answered with 101
 * UPGRADED (Connection: Upgrade, Upgrade: tcp; Content-Type
 * application/vnd.docker.raw-stream) when the client asked for the
 * upgrade, else INVALID-as-400 "attach needs Upgrade: tcp".  `run` then
 * gets the raw socket in the connection's thread, once the client has
 * read the 101 head (at most 2 s later: a buffered client such as
 * docker-py would lose output that came with the head, so a handler
 * starts a process or sends anything only in run); when it returns the
 * socket is closed and the connection ends.  Bytes the client sent after
 * the request head (stdin typed early) are delivered to run first as
 * (early, early_len).  data is freed with free_data after run. */
typedef void (*api_hijack_run)(int sock, const char *early, size_t early_len,
                               void *data);
int api_reply_hijack(struct api_req *r, api_hijack_run run, void *data,
                     void (*free_data)(void *));

/* Docker's stdcopy framing of a non-TTY stream: an 8-byte header
 * {stream, 0, 0, 0, size as big-endian uint32} before each frame (stream
 * 1 stdout, 2 stderr).  Writes it all or returns -1. */
int api_frame_write(int fd, int stream, const void *buf, size_t len);

/* Relays a hijacked connection to a container's stdio pipes until output
 * ends: sock -> in_fd (closed when the client half-closes its side or
 * goes; early bytes first), out_fd and err_fd -> sock, framed when !tty
 * (err_fd -1 with a TTY), then shuts down sock's write side.  Any fd may
 * be -1 (that stream is not attached).  in_fd is the relay's: closed by
 * the time it returns; out_fd and err_fd stay the caller's.  The relay
 * also ends when the server stops. */
void api_relay(int sock, const char *early, size_t early_len, int in_fd,
               int out_fd, int err_fd, bool tty);

/* ---- attach before start (api_attach.c) ------------------------------- */

/* docker run attaches before it starts: POST /containers/{id}/attach on a
 * created container parks the hijacked client here, and the start
 * handler takes it and passes its fds to berth_ctr_start (the monitor
 * relays from the first byte, so no output is lost).  Takes the parked
 * client of container id, if any: fills o's attach fields (pipes whose
 * other ends the parked client's relay holds) and returns 1; 0 when none
 * is parked.  api_attach_started tells the parked client how the start
 * went (ok, or the error to end its stream with). */
struct berth_start_opts;
int api_attach_take(struct api_server *srv, const char *id,
                    struct berth_start_opts *o, void **token);
void api_attach_started(struct api_server *srv, void *token, bool ok);

/* ---- server-wide (server.c) ------------------------------------------- */

const struct berth_api_opts *api_server_opts(const struct api_server *srv);

#endif
