/* Routing: the /vX.Y prefix, then the route tables of every handler file
 * linked in.  Pure functions over the path (no HTTP library), so the unit
 * test and the fuzzer drive them directly. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* Weak: a handler file not (yet) in the build leaves its table NULL and
 * its paths answer 404. */
#define WEAK __attribute__((weak))
extern const struct api_route api_routes_system[] WEAK;
extern const struct api_route api_routes_ctr[] WEAK;
extern const struct api_route api_routes_ctr_more[] WEAK;
extern const struct api_route api_routes_attach[] WEAK;
extern const struct api_route api_routes_exec[] WEAK;
extern const struct api_route api_routes_logs[] WEAK;
extern const struct api_route api_routes_archive[] WEAK;
extern const struct api_route api_routes_images[] WEAK;
extern const struct api_route api_routes_pull[] WEAK;
extern const struct api_route api_routes_image_io[] WEAK;
extern const struct api_route api_routes_build[] WEAK;
extern const struct api_route api_routes_net[] WEAK;
extern const struct api_route api_routes_vol[] WEAK;
extern const struct api_route api_routes_events[] WEAK;

#define MAX_SEGS 64

/* ---- the version prefix ---- */

/* "1.41" -> 141.  Components past the second are ignored, as they
 * cannot change the comparison with 1.24 and 1.41 except for an
 * out-of-range minor, which is capped to stay out of range. */
static unsigned parse_version(const char *v, size_t n) {
  unsigned major = 0, minor = 0, *cur = &major;
  int dots = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '.') {
      if (++dots == 1)
        cur = &minor;
      else
        break;
      continue;
    }
    if (*cur < 1000)
      *cur = *cur * 10 + (unsigned)(v[i] - '0');
  }
  if (major > 1000)
    major = 1000;
  if (minor > 99)
    minor = 99;
  return major * 100 + minor;
}

const char *api_strip_version(const char *path, unsigned *version) {
  *version = 141;
  /* Docker's prefix is "/v" [0-9.]+ followed by "/" or the end; anything
   * else ("/volumes") is a path of its own. */
  if (strncmp(path, "/v", 2) != 0 || !isdigit((unsigned char)path[2]))
    return path;
  size_t n = strspn(path + 2, "0123456789.");
  const char *rest = path + 2 + n;
  if (*rest != '/' && *rest != '\0')
    return path;
  *version = parse_version(path + 2, n);
  if (*version < 124 || *version > 141)
    return NULL;
  return *rest ? rest : "/";
}

/* ---- patterns ---- */

struct segs {
  const char *s[MAX_SEGS];
  size_t len[MAX_SEGS];
  int n;
};

/* "/a/b/c" -> a, b, c; -1 when there are too many segments.  Empty
 * segments ("//", a trailing "/") are kept: they match nothing. */
static int split(const char *p, struct segs *out) {
  out->n = 0;
  if (*p != '/')
    return -1;
  p++;
  for (;;) {
    if (out->n == MAX_SEGS)
      return -1;
    size_t n = strcspn(p, "/");
    out->s[out->n] = p;
    out->len[out->n++] = n;
    if (!p[n])
      return 0;
    p += n + 1;
  }
}

static bool is_param(const char *s, size_t n) {
  return n >= 3 && s[0] == '{' && s[n - 1] == '}';
}

static bool is_star(const char *s, size_t n) {
  return is_param(s, n) && s[n - 2] == '*';
}

/* One pattern segment against one path segment; *lit counts literal
 * matches (the more, the more specific the route). */
static bool seg_match(const struct segs *pat, int i, const struct segs *path,
                      int j, int *lit) {
  if (is_param(pat->s[i], pat->len[i]))
    return path->len[j] > 0;
  (*lit)++;
  return pat->len[i] == path->len[j] &&
         memcmp(pat->s[i], path->s[j], path->len[j]) == 0;
}

/* Where the captures of a match are: path segments [from, to) per
 * parameter. */
struct captures {
  int from[API_MAX_PARAMS], to[API_MAX_PARAMS];
  int n;
};

static bool capture(const struct segs *pat, int i, int from, int to,
                    struct captures *c) {
  if (!is_param(pat->s[i], pat->len[i]))
    return true;
  if (c->n == API_MAX_PARAMS)
    return false;
  c->from[c->n] = from;
  c->to[c->n++] = to;
  return true;
}

/* Matches path against pattern: the literal count (>= 0), or -1. */
static int match(const char *pattern, const struct segs *path,
                 struct captures *c) {
  struct segs pat;
  if (split(pattern, &pat) < 0)
    return -1;
  int star = -1, lit = 0;
  for (int i = 0; i < pat.n; i++)
    if (is_star(pat.s[i], pat.len[i]))
      star = i;
  if (star < 0 ? path->n != pat.n : path->n < pat.n)
    return -1;
  int tail = star < 0 ? 0 : pat.n - 1 - star; /* segments after the star */
  c->n = 0;
  for (int i = 0; i < pat.n; i++) {
    int j = star < 0 || i < star ? i : path->n - (pat.n - i);
    if (i == star) {
      for (int k = star; k < path->n - tail; k++)
        if (path->len[k] == 0)
          return -1;
      if (!capture(&pat, i, star, path->n - tail, c))
        return -1;
      continue;
    }
    if (!seg_match(&pat, i, path, j, &lit) || !capture(&pat, i, j, j + 1, c))
      return -1;
  }
  return lit;
}

static const struct api_route *const *tables(size_t *n) {
  static const struct api_route *const all[] = {
      api_routes_system, api_routes_ctr,    api_routes_ctr_more,
      api_routes_attach, api_routes_exec,   api_routes_logs,
      api_routes_archive, api_routes_images, api_routes_pull,
      api_routes_image_io, api_routes_build, api_routes_net,
      api_routes_vol,    api_routes_events,
  };
  *n = sizeof all / sizeof all[0];
  return all;
}

/* The captures as strings; segments of a {name*} joined by "/". */
static int fill_params(struct api_req *r, const struct segs *path,
                       const struct captures *c) {
  for (int i = 0; i < API_MAX_PARAMS; i++)
    r->params[i] = NULL;
  for (int i = 0; i < c->n; i++) {
    const char *start = path->s[c->from[i]];
    const char *end = path->s[c->to[i] - 1] + path->len[c->to[i] - 1];
    char *v = strndup(start, (size_t)(end - start));
    if (!v)
      return -1;
    r->params[i] = v;
  }
  return 0;
}

const struct api_route *api_route_find(struct api_req *r, unsigned *status) {
  struct segs path;
  *status = 404;
  if (split(r->path, &path) < 0)
    return NULL;
  size_t nt;
  const struct api_route *const *t = tables(&nt);
  const struct api_route *best = NULL;
  struct captures best_c = {0};
  int best_lit = -1;
  for (size_t i = 0; i < nt; i++)
    for (const struct api_route *rt = t[i]; rt && rt->method; rt++) {
      struct captures c;
      int lit = match(rt->pattern, &path, &c);
      if (lit < 0)
        continue;
      if (strcmp(rt->method, r->method) != 0) {
        *status = 405;
        continue;
      }
      if (lit > best_lit) {
        best = rt, best_c = c, best_lit = lit;
      }
    }
  if (!best)
    return NULL;
  if (fill_params(r, &path, &best_c) < 0) {
    *status = 500;
    return NULL;
  }
  return best;
}
