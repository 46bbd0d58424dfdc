/* Resolving what users type to images. */
#include "lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "images.h"
#include "reference.h"

char *berth_image_normalise(const char *what) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(what, &ref, NULL) < 0)
    return NULL;
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  char *name = NULL;
  int rc = 0;
  if (repo && ref.digest)
    rc = asprintf(&name, "%s%s%s@%s", repo, ref.tag ? ":" : "",
                  ref.tag ? ref.tag : "", ref.digest);
  else if (repo)
    rc = asprintf(&name, "%s:%s", repo, ref.tag ? ref.tag : "latest");
  berth_ref_free(&ref);
  return rc < 0 ? NULL : name;
}

/* A name typed without a registry host: its first component has no "."
 * or ":" and is not "localhost" (the reference grammar's rule for a
 * domain). */
static bool is_short_name(const char *what) {
  const char *slash = strchr(what, '/');
  if (!slash)
    return true;
  size_t n = (size_t)(slash - what);
  return !memchr(what, '.', n) && !memchr(what, ':', n) &&
         !(n == 9 && strncmp(what, "localhost", 9) == 0);
}

/* 1 when `name` names an image (id filled), 0 when not. */
static int by_name(struct berth_db *db, const char *name,
                   char id[BERTH_DIGEST_SIZE], berth_error **err) {
  berth_error *e = NULL;
  if (berth_images_resolve(db, name, "", id, &e) == 0)
    return 1;
  if (e->kind == BERTH_ERR_NOT_FOUND) {
    berth_error_free(e);
    return 0;
  }
  *err = e;
  return -1;
}

/* The last c among the n bytes at s (memrchr, which gcc's sanitizer
 * build wrongly warns about here). */
static const char *last_of(const char *s, size_t n, char c) {
  while (n-- > 0)
    if (s[n] == c)
      return s + n;
  return NULL;
}

/* The name as it is stored: "repo:tag@sha256:..." names the repo digest
 * "repo@sha256:..." (the tag is only informative, as in Docker). */
static int set_name(struct berth_image_match *m, const char *name,
                    berth_error **err) {
  const char *at = strchr(name, '@');
  size_t before = at ? (size_t)(at - name) : 0;
  const char *slash = last_of(name, before, '/');
  const char *colon = last_of(name, before, ':');
  if (colon && (!slash || colon > slash)) {
    if (asprintf(&m->name, "%.*s%s", (int)(colon - name), name, at) < 0)
      m->name = NULL;
  } else {
    m->name = strdup(name);
  }
  return m->name ? 0 : berth_error_sys(err, "allocate");
}

/* podman's rule for a short name docker.io has no image of here:
 * localhost/NAME, where podman's archives put images. */
static int by_localhost(struct berth_db *db, const char *what,
                        struct berth_image_match *m, berth_error **err) {
  if (!is_short_name(what) || strchr(what, '@'))
    return 0;
  _cleanup_free_ char *raw = NULL;
  if (asprintf(&raw, "localhost/%s", what) < 0)
    return berth_error_sys(err, "allocate");
  _cleanup_free_ char *local = berth_image_normalise(raw);
  int r = local ? by_name(db, local, m->id, err) : 0;
  if (r <= 0)
    return r;
  m->localhost = true;
  return set_name(m, local, err) < 0 ? -1 : 1;
}

int berth_image_lookup(struct berth_db *db, const char *what,
                       struct berth_image_match *m, berth_error **err) {
  memset(m, 0, sizeof *m);
  _cleanup_free_ char *name = berth_image_normalise(what);
  int r = name ? by_name(db, name, m->id, err) : 0;
  if (r != 0)
    return r < 0 ? -1 : set_name(m, name, err);
  berth_error *e = NULL;
  if (berth_images_resolve(db, NULL, what, m->id, &e) == 0)
    return 0;
  if (e->kind != BERTH_ERR_NOT_FOUND) {
    *err = e;
    return -1;
  }
  berth_error_free(e);
  r = name ? by_localhost(db, what, m, err) : 0;
  if (r != 0)
    return r < 0 ? -1 : 0;
  return berth_error_set(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s",
                         what);
}

void berth_image_match_clear(struct berth_image_match *m) {
  free(m->name);
  m->name = NULL;
}
