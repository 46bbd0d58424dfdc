#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct opt *find_opt(const struct opt *opts, size_t n,
                                  const char *name, size_t len) {
  for (size_t k = 0; k < n; k++) {
    const char *p = opts[k].names;
    while (*p) {
      const char *comma = strchr(p, ',');
      size_t l = comma ? (size_t)(comma - p) : strlen(p);
      if (l == len && strncmp(p, name, len) == 0)
        return &opts[k];
      p += l + (comma ? 1 : 0);
    }
  }
  return NULL;
}

static int parse_bool(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
    *out = true;
    return 0;
  }
  if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
    *out = false;
    return 0;
  }
  return -1;
}

static int store(const struct opt *o, const char *name, const char *value,
                 char *msg, size_t msglen) {
  switch (o->kind) {
  case OPT_BOOL:
    if (parse_bool(value, o->out) < 0) {
      snprintf(msg, msglen, "invalid boolean value `%s` for flag --%s", value,
               name);
      return -1;
    }
    break;
  case OPT_STRING:
    *(const char **)o->out = value;
    break;
  case OPT_INT: {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value) {
      snprintf(msg, msglen, "invalid integer `%s` for flag --%s", value, name);
      return -1;
    }
    *(long *)o->out = v;
    break;
  }
  case OPT_LIST: {
    struct strlist *l = o->out;
    if (l->n >= sizeof(l->items) / sizeof(l->items[0])) {
      snprintf(msg, msglen, "too many --%s flags", name);
      return -1;
    }
    l->items[l->n++] = value;
    break;
  }
  }
  if (o->seen)
    *o->seen = true;
  return 0;
}

int parse_opts(int argc, char **argv, int *i, const struct opt *opts,
               size_t nopts, char *msg, size_t msglen) {
  while (*i < argc) {
    const char *a = argv[*i];
    if (strcmp(a, "--") == 0) {
      (*i)++;
      return 0;
    }
    if (a[0] != '-' || a[1] == '\0')
      return 0;
    const char *name = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct opt *o = find_opt(opts, nopts, name, len);
    if (o == NULL) {
      snprintf(msg, msglen, OPT_ERR_UNKNOWN ": -%.*s", (int)len, name);
      return -1;
    }
    char flag[64];
    snprintf(flag, sizeof(flag), "%.*s", (int)len, name);
    const char *value = eq ? eq + 1 : NULL;
    (*i)++;
    if (value == NULL && o->kind != OPT_BOOL) {
      if (*i >= argc) {
        snprintf(msg, msglen, "flag needs an argument: --%s", flag);
        return -1;
      }
      value = argv[(*i)++];
    }
    if (store(o, flag, value, msg, msglen) < 0)
      return -1;
  }
  return 0;
}
