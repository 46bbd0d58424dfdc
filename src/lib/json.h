/* JSON helpers on jansson.
 *
 * Field paths name a value inside a document the way users read it:
 * "process.args[0]", "linux.resources.memory.limit".  Typed getters check
 * the type and report a BERTH_ERR_SPEC error carrying that path; the loader
 * later turns the path into "FILE:LINE:COL: path: message" with
 * berth_json_locate(), because jansson keeps no positions after parsing. */
#ifndef BERTH_LIB_JSON_H
#define BERTH_LIB_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BERTH_PATH_MAX_LEN 512

/* Parses `text` (len bytes).  On a syntax error: "NAME:LINE:COL: msg". */
int berth_json_parse(const char *name, const char *text, size_t len,
                     json_t **out, berth_error **err);
/* Reads the file (at most max_bytes) and parses it; *text_out (optional)
 * receives the file contents for later berth_json_annotate(). */
int berth_json_load_file(const char *file, size_t max_bytes, json_t **out,
                         char **text_out, berth_error **err);
/* Finds where the value at `field` starts in `text`.  Returns 0 and 1-based
 * line/col, or -1 when the path cannot be found. */
int berth_json_locate(const char *text, const char *field, int *line, int *col);
/* Rewrites a SPEC error's message to "NAME:LINE:COL: field: msg". */
void berth_json_annotate(berth_error *err, const char *name, const char *text);

/* Path building; truncates silently at BERTH_PATH_MAX_LEN. */
void berth_path_key(char *buf, const char *base, const char *key);
void berth_path_idx(char *buf, const char *base, size_t idx);

/* Typed getters.  Return 1 when the key is present and valid, 0 when absent
 * (an error if `required`), -1 on a type error.  `path` is obj's own path. */
int bj_string(json_t *obj, const char *key, const char *path, bool required,
              char **out, berth_error **err);
int bj_bool(json_t *obj, const char *key, const char *path, bool *out,
            berth_error **err);
int bj_int64(json_t *obj, const char *key, const char *path, int64_t *out,
             berth_error **err);
/* Integer that must lie in [min, max]. */
int bj_range(json_t *obj, const char *key, const char *path, int64_t min,
             int64_t max, int64_t *out, berth_error **err);
/* uint64 values above INT64_MAX arrive from jansson as negative or real
 * numbers; this accepts [0, UINT64_MAX] written as an integer. */
int bj_uint64(json_t *obj, const char *key, const char *path, uint64_t *out,
              berth_error **err);
/* Array of strings into a NULL-terminated vector. */
int bj_strv(json_t *obj, const char *key, const char *path, bool required,
            char ***out, berth_error **err);
/* Object or array members, type-checked; borrowed reference. */
int bj_object(json_t *obj, const char *key, const char *path, json_t **out,
              berth_error **err);
int bj_array(json_t *obj, const char *key, const char *path, json_t **out,
             berth_error **err);

size_t berth_strv_len(char *const *v);
void berth_strv_free(char **v);

#endif
