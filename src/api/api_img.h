/* What the image handlers (api_images.c, api_pull.c, api_image_io.c,
 * api_build.c) share: names as Docker shows them, the X-Registry-Auth
 * header, and the progress job.
 *
 * A progress job is how Docker answers pull, push and build: an error
 * found before the first line of progress (a bad reference, a registry's
 * 404, a Dockerfile that cannot be read) is an ordinary JSON error with
 * its status, because Docker's handlers answer so while their output is
 * not yet flushed; once a line went out the status is 200 and a later
 * error is the stream's last line, {"errorDetail": {...}, "error": ...}.
 * The work runs in a thread of its own from the start; the handler waits
 * for its first line or its end, then answers one way or the other. */
#ifndef BERTH_API_IMG_H
#define BERTH_API_IMG_H

#include <jansson.h>
#include <stdbool.h>

#include "api_internal.h"
#include "auth.h"
#include "registry_options.h"

/* ---- names (api_images.c) ---- */

/* A stored, normalised name ("docker.io/library/bb:latest") as Docker
 * shows it ("bb:latest"); malloc'd, the name itself when it does not
 * parse, NULL only when out of memory. */
char *api_familiar(const char *name);
/* A JSON array of the familiar forms of a NULL-terminated list. */
json_t *api_familiar_array(char *const *names);

/* Every value of a repeated query parameter (t=a&t=b, names=...), as a
 * JSON array of strings; NULL only when out of memory (api_image_io.c). */
json_t *api_query_all(struct api_req *r, const char *key);

/* ---- X-Registry-Auth / X-Registry-Config (api_pull.c) ---- */

/* X-Registry-Auth's credentials into c (empty without the header), as
 * berth_auth_header_decode reads them; INVALID when malformed. */
int api_auth_from_header(struct api_req *r, struct berth_credentials *c,
                         berth_error **err);
/* Decodes X-Registry-Config (base64url of {"registry": {"username",
 * "password", "auth"}, ...}, what a build's FROM may pull with): *out
 * gets {"<registry as login names it>": {"username", "password"}} ({}
 * without the header; the caller json_decref's).  INVALID when
 * malformed. */
int api_registry_config(struct api_req *r, json_t **out, berth_error **err);

/* ---- progress jobs (api_pull.c) ---- */

struct api_job;
/* The work: runs in its own thread with the request's engine; writes
 * progress with api_job_emit; returns 0, or -1 with *err set. */
typedef int (*api_job_fn)(struct api_job *j, struct berth_engine *e,
                          void *arg, berth_error **err);
/* Starts fn and answers the request as the header says.  arg is freed
 * with free_arg when the job ends (it is the job's even when this
 * fails). */
int api_job_run(struct api_req *r, api_job_fn fn, void *arg,
                void (*free_arg)(void *));
/* One progress line (steals doc); safe from any thread. */
void api_job_emit(struct api_job *j, json_t *doc);
/* Sets the code the final errorDetail carries (0: none, as a pull; a
 * build: 1, or a failed RUN's status, as Docker's classic builder). */
void api_job_set_error_code(struct api_job *j, int code);
/* Whether the client has gone (the work may stop early). */
bool api_job_gone(struct api_job *j);

#endif
