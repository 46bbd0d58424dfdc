/* Query values and request bodies as Docker's server reads them (query.c):
 * pure functions over strings, shared by request.c, the unit test and the
 * fuzzer. */
#ifndef BERTH_API_QUERY_H
#define BERTH_API_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Percent-decodes s in place ('+' as a space when plus, as in a query);
 * -1 on a malformed escape or an escaped NUL. */
int api_unescape(char *s, bool plus);
/* v NULL -> def; Go's booleans, "" false; else INVALID naming key. */
int api_parse_bool(const char *key, const char *v, bool def, bool *out,
                   berth_error **err);
/* v NULL or "" -> def; a decimal integer in [min, max], else INVALID. */
int api_parse_int(const char *key, const char *v, int64_t def, int64_t min,
                  int64_t max, int64_t *out, berth_error **err);
/* Docker's `filters`: {"k": ["v"...]} or {"k": {"v": true}}; *out the
 * first form ({} for NULL or ""). */
int api_parse_filters(const char *text, json_t **out, berth_error **err);
/* A body as a JSON object: blank or null -> {}; else INVALID. */
int api_parse_body_json(const char *body, size_t len, json_t **out,
                        berth_error **err);

#endif
