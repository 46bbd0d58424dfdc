/* Answers: JSON documents, empty and text bodies, and errors as Docker
 * writes them ({"message": ...} with the status of the error's kind). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "conn.h"
#include "system_info.h"

/* What Docker's daemon puts on every answer; clients read Api-Version
 * from any of them, and Ostype to pick the platform. */
void api_add_headers(void *mhd_response) {
  struct MHD_Response *resp = mhd_response;
  MHD_add_response_header(resp, "Api-Version", BERTH_API_MAX_VERSION);
  MHD_add_response_header(resp, "Server",
                          "berth/" BERTH_ENGINE_VERSION " (linux)");
  MHD_add_response_header(resp, "Docker-Experimental", "false");
  MHD_add_response_header(resp, "Ostype", "linux");
}

/* Replaces an earlier answer (a handler that answered twice: the last
 * wins, the first is not leaked). */
static void set_response(struct api_req *r, unsigned status,
                         struct MHD_Response *resp) {
  if (r->response)
    MHD_destroy_response(r->response);
  r->response = resp;
  r->status = status;
  if (resp)
    api_add_headers(resp);
}

int api_reply_text(struct api_req *r, unsigned status, const char *ctype,
                   const char *body, size_t len) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (resp && ctype)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  set_response(r, status, resp);
  return resp ? 0 : -1;
}

int api_reply_empty(struct api_req *r, unsigned status) {
  return api_reply_text(r, status, NULL, "", 0);
}

/* Docker's encoder ends each document with a newline. */
int api_reply_json(struct api_req *r, unsigned status, json_t *doc) {
  char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY)
                   : strdup("null");
  json_decref(doc);
  if (!text)
    return api_reply_errorf(r, 500, "cannot encode the answer");
  size_t len = strlen(text);
  char *body = realloc(text, len + 2);
  if (!body) {
    free(text);
    return api_reply_errorf(r, 500, "out of memory");
  }
  body[len] = '\n';
  body[len + 1] = '\0';
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len + 1, body, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(body);
    set_response(r, 500, NULL);
    return -1;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                          "application/json");
  set_response(r, status, resp);
  return 0;
}

static const struct {
  berth_error_kind kind;
  unsigned status;
} kind_status[] = {
    {BERTH_ERR_NOT_FOUND, 404}, {BERTH_ERR_INVALID, 400},
    {BERTH_ERR_SPEC, 400},      {BERTH_ERR_EXISTS, 409},
    {BERTH_ERR_STATE, 409},     {BERTH_ERR_UNSUPPORTED, 501},
};

unsigned api_status_of(const berth_error *err) {
  for (size_t i = 0; err && i < sizeof kind_status / sizeof kind_status[0];
       i++)
    if (kind_status[i].kind == err->kind)
      return kind_status[i].status;
  return 500;
}

static int reply_message(struct api_req *r, unsigned status,
                         const char *msg) {
  json_t *doc = json_pack("{s:s}", "message", msg ? msg : "unknown error");
  if (!doc)
    doc = json_pack("{s:s}", "message", "invalid error message");
  api_reply_json(r, status, doc);
  return -1;
}

int api_reply_error(struct api_req *r, berth_error *err) {
  unsigned status = api_status_of(err);
  reply_message(r, status, err ? err->msg : NULL);
  berth_error_free(err);
  return -1;
}

int api_reply_errorf(struct api_req *r, unsigned status, const char *fmt,
                     ...) {
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  reply_message(r, status, msg);
  free(msg);
  return -1;
}
