/* libcurl, loaded when first used.
 *
 * Linking libcurl costs every berth process ~4 ms of dynamic loading (it
 * pulls in some thirty libraries: TLS, Kerberos, LDAP, IDN...), while only
 * registry commands use it.  berth therefore does not link it: this file
 * defines the libcurl functions the registry client calls, each resolving
 * the real one from libcurl.so.4 on first use.  A missing libcurl makes the
 * calls fail as libcurl itself reports errors (NULL handles, error codes),
 * so the registry client's error paths apply unchanged.
 *
 * curl_easy_setopt/getinfo are variadic: the argument's type follows from
 * the option number (libcurl's CURLOPTTYPE_* ranges), read and passed on
 * with that type. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

static void *lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
}

/* The real function named `name`, or NULL when libcurl is missing. */
static void *sym(const char *name) {
  pthread_once(&once, load);
  return lib ? dlsym(lib, name) : NULL;
}

#define REAL(ret, name, params)                                             \
  typedef ret(*name##_fn) params;                                           \
  static name##_fn real_##name(void) {                                      \
    static name##_fn f;                                                     \
    if (!f)                                                                 \
      f = (name##_fn)sym(#name);                                            \
    return f;                                                               \
  }

REAL(CURLcode, curl_global_init, (long))
REAL(void, curl_global_cleanup, (void))
REAL(CURL *, curl_easy_init, (void))
REAL(void, curl_easy_cleanup, (CURL *))
REAL(void, curl_easy_reset, (CURL *))
REAL(CURLcode, curl_easy_perform, (CURL *))
REAL(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...))
REAL(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...))
REAL(const char *, curl_easy_strerror, (CURLcode))
REAL(char *, curl_easy_escape, (CURL *, const char *, int))
REAL(void, curl_free, (void *))
REAL(struct curl_slist *, curl_slist_append, (struct curl_slist *,
                                              const char *))
REAL(void, curl_slist_free_all, (struct curl_slist *))
REAL(CURLU *, curl_url, (void))
REAL(void, curl_url_cleanup, (CURLU *))
REAL(CURLUcode, curl_url_set, (CURLU *, CURLUPart, const char *,
                               unsigned int))
REAL(CURLUcode, curl_url_get, (CURLU *, CURLUPart, char **,
                               unsigned int))
REAL(CURLM *, curl_multi_init, (void))
REAL(CURLMcode, curl_multi_cleanup, (CURLM *))
REAL(CURLMcode, curl_multi_add_handle, (CURLM *, CURL *))
REAL(CURLMcode, curl_multi_remove_handle, (CURLM *, CURL *))
REAL(CURLMcode, curl_multi_perform, (CURLM *, int *))
REAL(CURLMcode, curl_multi_poll, (CURLM *, struct curl_waitfd[],
                                  unsigned int, int, int *))
REAL(CURLMsg *, curl_multi_info_read, (CURLM *, int *))

CURLcode curl_global_init(long flags) {
  return real_curl_global_init() ? real_curl_global_init()(flags)
                                 : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void) {
  if (real_curl_global_cleanup())
    real_curl_global_cleanup()();
}

CURL *curl_easy_init(void) {
  return real_curl_easy_init() ? real_curl_easy_init()() : NULL;
}

void curl_easy_cleanup(CURL *h) {
  if (real_curl_easy_cleanup())
    real_curl_easy_cleanup()(h);
}

void curl_easy_reset(CURL *h) {
  if (real_curl_easy_reset())
    real_curl_easy_reset()(h);
}

CURLcode curl_easy_perform(CURL *h) {
  return real_curl_easy_perform() ? real_curl_easy_perform()(h)
                                  : CURLE_FAILED_INIT;
}

/* libcurl's macro of the same name (type checking) must not replace the
 * definitions below. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...) {
  curl_easy_setopt_fn f = real_curl_easy_setopt();
  if (!f)
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, opt);
  CURLcode rc;
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    rc = f(h, opt, va_arg(ap, long));
  else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
    rc = f(h, opt, va_arg(ap, void *));
  else if (opt < CURLOPTTYPE_OFF_T)
    rc = f(h, opt, va_arg(ap, void (*)(void)));
  else if (opt < CURLOPTTYPE_BLOB)
    rc = f(h, opt, va_arg(ap, curl_off_t));
  else
    rc = f(h, opt, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...) {
  curl_easy_getinfo_fn f = real_curl_easy_getinfo();
  if (!f)
    return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);
  /* Every getinfo argument is a pointer to the result. */
  CURLcode rc = f(h, info, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

const char *curl_easy_strerror(CURLcode c) {
  return real_curl_easy_strerror() ? real_curl_easy_strerror()(c)
                                   : "libcurl.so.4 could not be loaded";
}

char *curl_easy_escape(CURL *h, const char *s, int len) {
  return real_curl_easy_escape() ? real_curl_easy_escape()(h, s, len) : NULL;
}

void curl_free(void *p) {
  if (real_curl_free())
    real_curl_free()(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s) {
  return real_curl_slist_append() ? real_curl_slist_append()(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l) {
  if (real_curl_slist_free_all())
    real_curl_slist_free_all()(l);
}

CURLU *curl_url(void) { return real_curl_url() ? real_curl_url()() : NULL; }

void curl_url_cleanup(CURLU *u) {
  if (real_curl_url_cleanup())
    real_curl_url_cleanup()(u);
}

CURLUcode curl_url_set(CURLU *u, CURLUPart part, const char *content,
                       unsigned int flags) {
  return real_curl_url_set() ? real_curl_url_set()(u, part, content, flags)
                             : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_get(CURLU *u, CURLUPart part, char **out,
                       unsigned int flags) {
  return real_curl_url_get() ? real_curl_url_get()(u, part, out, flags)
                             : CURLUE_OUT_OF_MEMORY;
}

CURLM *curl_multi_init(void) {
  return real_curl_multi_init() ? real_curl_multi_init()() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m) {
  return real_curl_multi_cleanup() ? real_curl_multi_cleanup()(m)
                                   : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *h) {
  return real_curl_multi_add_handle() ? real_curl_multi_add_handle()(m, h)
                                      : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h) {
  return real_curl_multi_remove_handle()
             ? real_curl_multi_remove_handle()(m, h)
             : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_perform(CURLM *m, int *running) {
  return real_curl_multi_perform() ? real_curl_multi_perform()(m, running)
                                   : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[],
                          unsigned int n, int timeout_ms, int *ret) {
  return real_curl_multi_poll()
             ? real_curl_multi_poll()(m, extra, n, timeout_ms, ret)
             : CURLM_BAD_HANDLE;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left) {
  return real_curl_multi_info_read() ? real_curl_multi_info_read()(m, left)
                                     : NULL;
}
