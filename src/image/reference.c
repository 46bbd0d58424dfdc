/* Image reference grammar and normalisation. */
#include "reference.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "digest.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128

static int bad(berth_error **err, const char *s, const char *why) {
  return berth_error_set(err, BERTH_ERR_INVALID, 0,
                         "invalid reference `%.200s`: %s", s, why);
}

static bool is_alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
 * separator := "." | "_" | "__" | "-"+ */
static bool valid_component(const char *c, size_t n) {
  size_t i = 0;
  if (n == 0 || !is_alnum_lower(c[0]))
    return false;
  while (i < n) {
    while (i < n && is_alnum_lower(c[i]))
      i++;
    if (i == n)
      return true;
    size_t sep = i;
    if (c[i] == '.' || c[i] == '_') {
      i++;
      if (c[sep] == '_' && i < n && c[i] == '_')
        i++;
    } else if (c[i] == '-') {
      while (i < n && c[i] == '-')
        i++;
    } else {
      return false;
    }
    if (i == n || !is_alnum_lower(c[i]))
      return false;
  }
  return true;
}

/* host := label ("." label)* | "[" ipv6 "]"; port := digits */
static bool valid_registry(const char *r, size_t n) {
  size_t host_end = n;
  if (n > 0 && r[0] == '[') {
    const char *close = memchr(r, ']', n);
    if (close == NULL)
      return false;
    for (const char *p = r + 1; p < close; p++)
      if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
        return false;
    host_end = (size_t)(close - r) + 1;
    if (host_end == 2)
      return false;
  } else {
    const char *colon = memchr(r, ':', n);
    if (colon)
      host_end = (size_t)(colon - r);
    size_t label = 0;
    for (size_t i = 0; i < host_end; i++) {
      char ch = r[i];
      if (ch == '.') {
        if (label == 0 || r[i - 1] == '-')
          return false;
        label = 0;
      } else if (isalnum((unsigned char)ch) || (ch == '-' && label > 0)) {
        label++;
      } else {
        return false;
      }
    }
    if (label == 0 || r[host_end - 1] == '-')
      return false;
  }
  if (host_end == n)
    return true;
  if (r[host_end] != ':' || host_end + 1 == n || n - host_end - 1 > 5)
    return false;
  for (size_t i = host_end + 1; i < n; i++)
    if (!isdigit((unsigned char)r[i]))
      return false;
  return true;
}

static bool valid_tag(const char *t) {
  size_t n = strlen(t);
  if (n == 0 || n > TAG_MAX_LEN)
    return false;
  if (!isalnum((unsigned char)t[0]) && t[0] != '_')
    return false;
  for (size_t i = 1; i < n; i++)
    if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
      return false;
  return true;
}

static bool has_upper(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isupper((unsigned char)s[i]))
      return true;
  return false;
}

/* Docker's rule: the first component is a registry when it has a "." or
 * a ":" or is "localhost" (and something follows it). */
static bool looks_like_registry(const char *c, size_t n) {
  return memchr(c, '.', n) || memchr(c, ':', n) ||
         (n == 9 && memcmp(c, "localhost", 9) == 0) || (n > 0 && c[0] == '[');
}

static int split_name(const char *s, const char *name, size_t n,
                      struct berth_ref *out, berth_error **err) {
  const char *slash = memchr(name, '/', n);
  const char *path = name;
  size_t plen = n;
  if (n == 0)
    return bad(err, s, "invalid repository name");
  if (slash && looks_like_registry(name, (size_t)(slash - name))) {
    size_t rlen = (size_t)(slash - name);
    if (!valid_registry(name, rlen))
      return bad(err, s, "invalid registry host");
    out->registry = strndup(name, rlen);
    path = slash + 1;
    plen = n - rlen - 1;
    if (plen == 0)
      return bad(err, s, "invalid repository name");
  } else {
    out->registry = strdup(BERTH_DEFAULT_REGISTRY);
  }
  if (has_upper(path, plen))
    return bad(err, s, "repository name must be lowercase");
  for (const char *c = path; c < path + plen;) {
    const char *e = memchr(c, '/', (size_t)(path + plen - c));
    size_t clen = e ? (size_t)(e - c) : (size_t)(path + plen - c);
    if (!valid_component(c, clen))
      return bad(err, s, "invalid repository name");
    c += clen + (e ? 1 : 0);
    if (e && c == path + plen)
      return bad(err, s, "invalid repository name");
  }
  /* Docker Hub's official images live under library/. */
  bool hub = strcmp(out->registry, BERTH_DEFAULT_REGISTRY) == 0;
  if (hub && memchr(path, '/', plen) == NULL) {
    if (asprintf(&out->path, "library/%.*s", (int)plen, path) < 0)
      out->path = NULL;
  } else {
    out->path = strndup(path, plen);
  }
  if (out->registry == NULL || out->path == NULL)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "reference");
  if (strlen(out->registry) + 1 + strlen(out->path) > NAME_MAX_LEN)
    return bad(err, s, "repository name is longer than 255 characters");
  return 0;
}

int berth_ref_parse(const char *s, struct berth_ref *out, berth_error **err) {
  *out = (struct berth_ref){0};
  if (s == NULL || s[0] == '\0')
    return bad(err, "", "empty reference");
  if (strlen(s) > 4096)
    return bad(err, s, "too long");
  const char *at = strchr(s, '@');
  size_t name_tag_len = at ? (size_t)(at - s) : strlen(s);
  if (at) {
    berth_error *e = NULL;
    if (berth_digest_validate(at + 1, "digest", &e) < 0) {
      berth_error_free(e);
      return bad(err, s, "invalid digest");
    }
    out->digest = strdup(at + 1);
  }
  /* A ":" after the last "/" starts the tag; one before it is a port. */
  const char *last_slash = memrchr(s, '/', name_tag_len);
  const char *colon =
      memrchr(last_slash ? last_slash : s, ':',
              name_tag_len - (size_t)((last_slash ? last_slash : s) - s));
  size_t name_len = colon ? (size_t)(colon - s) : name_tag_len;
  if (colon) {
    out->tag = strndup(colon + 1, name_tag_len - name_len - 1);
    if (out->tag == NULL || !valid_tag(out->tag)) {
      berth_ref_free(out);
      return bad(err, s, "invalid tag");
    }
  } else if (!at) {
    out->tag = strdup("latest");
  }
  if (split_name(s, s, name_len, out, err) < 0) {
    berth_ref_free(out);
    return -1;
  }
  return 0;
}

void berth_ref_free(struct berth_ref *r) {
  if (r == NULL)
    return;
  free(r->registry);
  free(r->path);
  free(r->tag);
  free(r->digest);
  *r = (struct berth_ref){0};
}

char *berth_ref_repository(const struct berth_ref *r) {
  char *s = NULL;
  if (asprintf(&s, "%s/%s", r->registry, r->path) < 0)
    return NULL;
  return s;
}

static char *with_suffix(const char *name, const struct berth_ref *r) {
  char *s = NULL;
  if (asprintf(&s, "%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
               r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
    return NULL;
  return s;
}

char *berth_ref_string(const struct berth_ref *r) {
  _cleanup_free_ char *repo = berth_ref_repository(r);
  return repo ? with_suffix(repo, r) : NULL;
}

char *berth_ref_familiar(const struct berth_ref *r) {
  const char *name = r->path;
  _cleanup_free_ char *full = NULL;
  if (strcmp(r->registry, BERTH_DEFAULT_REGISTRY) == 0) {
    if (strncmp(name, "library/", 8) == 0 && strchr(name + 8, '/') == NULL)
      name += 8;
  } else {
    full = berth_ref_repository(r);
    if (full == NULL)
      return NULL;
    name = full;
  }
  return with_suffix(name, r);
}

/* ":PORT" (1-5 digits) or nothing. */
static bool port_suffix_ok(const char *p) {
  if (*p == '\0')
    return true;
  size_t n = strlen(p + 1);
  return p[0] == ':' && n >= 1 && n <= 5 && strspn(p + 1, "0123456789") == n;
}

/* Loopback is decided on the literal name, never a prefix: plain HTTP
 * (and so credentials in clear) is allowed for it, and a name such as
 * "127.0.0.1.evil.test" or "127.example.com" is an ordinary DNS name
 * that may resolve anywhere.  Only "localhost" (which curl resolves to
 * loopback itself), an IPv4 literal in 127.0.0.0/8 and [::1] count. */
bool berth_ref_registry_is_loopback(const char *registry) {
  char host[64];
  const char *rest;
  size_t n;
  bool v6 = registry[0] == '[';
  if (v6) {
    const char *close = strchr(registry, ']');
    if (close == NULL)
      return false;
    n = (size_t)(close - registry - 1);
    rest = close + 1;
  } else {
    n = strcspn(registry, ":");
    rest = registry + n;
  }
  if (n == 0 || n >= sizeof(host) || !port_suffix_ok(rest))
    return false;
  memcpy(host, registry + v6, n);
  host[n] = '\0';
  struct in6_addr a6;
  struct in_addr a4;
  if (v6)
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  if (strcasecmp(host, "localhost") == 0)
    return true;
  return inet_pton(AF_INET, host, &a4) == 1 &&
         (ntohl(a4.s_addr) >> 24) == 127;
}

void berth_ref_split_familiar(const char *name, char *repo, size_t rlen,
                              char *tag, size_t tlen) {
  struct berth_ref ref = {0};
  snprintf(repo, rlen, "%s", name);
  snprintf(tag, tlen, "<none>");
  if (berth_ref_parse(name, &ref, NULL) < 0)
    return;
  struct berth_ref plain = ref;
  plain.tag = plain.digest = NULL;
  char *fam = berth_ref_familiar(&plain);
  char *colon = fam ? strrchr(fam, ':') : NULL;
  /* familiar() adds ":latest" when there is no tag: drop it here */
  if (colon && !strchr(colon, '/'))
    *colon = '\0';
  snprintf(repo, rlen, "%s", fam ? fam : name);
  snprintf(tag, tlen, "%s", ref.tag ? ref.tag : "<none>");
  free(fam);
  berth_ref_free(&ref);
}
