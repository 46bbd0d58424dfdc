/* Go text/template, the subset Docker's --format uses.
 *
 * A template is parsed once into a tree (berth_template_parse) and executed
 * any number of times over a JSON "dot" (berth_template_exec).  JSON values
 * print as Go's fmt prints the Docker types they stand for: objects as
 * map[k:v ...] with sorted keys, arrays as [a b], null as <nil>.  Unlike Go
 * over a map, an unknown field is an error naming it (Docker's types are
 * structs, where a missing field is an error too), so a typo never prints
 * "<no value>" and exits 0.
 *
 * Functions: Go's and, or, not, eq, ne, lt, le, gt, ge, len, index, print,
 * printf, println, and Docker's json, upper, lower, title, join, split,
 * truncate, pad.  Docker's row types also have methods with an argument
 * (`.Label "k"`): `methods` maps such a name to an object, and a call
 * `.Name "key"` on the top-level dot reads methods[Name][key] ("" when
 * absent, as Go's zero value).  A methods member that is not an object is
 * a method without arguments: `.Name` on the top-level dot gives it when
 * the dot has no member Name (Docker's events.Message has .Status while
 * its JSON has "status"). */
#ifndef BERTH_LIB_TEMPLATE_H
#define BERTH_LIB_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

struct berth_template;

/* Parses text; a syntax error is BERTH_ERR_INVALID with a one-line message
 * "template: :LINE:COL: what" (Go's wording where it has one). */
int berth_template_parse(const char *text, struct berth_template **out,
                         berth_error **err);
/* Runs t over dot (methods may be NULL); *out gets a NUL-terminated malloc'd string (free it) and
 * *len its length.  Errors (unknown field, bad call) are
 * BERTH_ERR_INVALID naming the action; *out is NULL then. */
int berth_template_exec(const struct berth_template *t, json_t *dot,
                        json_t *methods, char **out, size_t *len,
                        berth_error **err);
/* The header row of Docker's `table` formats: t over the column titles,
 * with Docker's header functions (json, upper, lower, title, split, join,
 * truncate, pad pass their first argument through unchanged) and every
 * method returning methods[Name] when that is a string ("LABEL"). */
int berth_template_exec_header(const struct berth_template *t, json_t *titles,
                               json_t *methods, char **out, size_t *len,
                               berth_error **err);
void berth_template_free(struct berth_template *t);

/* Go's fmt %v of a JSON value, appended to nothing: a malloc'd string. */
char *berth_template_sprint(json_t *v);

#endif
