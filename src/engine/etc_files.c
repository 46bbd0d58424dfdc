/* The text of a container's /etc/hosts and /etc/resolv.conf. */
#include "etc_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Docker's (libnetwork's) default lines. */
static const char default_hosts[] =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

static int finish(FILE *f, char **buf, char **out, berth_error **err) {
  if (fclose(f) != 0) {
    free(*buf);
    return berth_error_sys(err, "generate a file");
  }
  *out = *buf;
  return 0;
}

static int extra_hosts(FILE *f, const struct berth_etc_input *in,
                       berth_error **err) {
  size_t i;
  json_t *v;
  json_array_foreach(in->extra_hosts, i, v) {
    const char *h = json_string_value(v);
    const char *colon = h ? strchr(h, ':') : NULL;
    if (!colon)
      continue;
    const char *ip = colon + 1;
    if (strcmp(ip, "host-gateway") == 0) {
      /* With the host's network the host is this network namespace. */
      ip = in->net == BERTH_ETC_HOST ? "127.0.0.1" : in->gateway;
      if (!ip)
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "--add-host `%s`: the container's network "
                               "has no gateway for host-gateway",
                               h);
    }
    fprintf(f, "%s\t%.*s\n", ip, (int)(colon - h), h);
  }
  return 0;
}

int berth_etc_hosts(const struct berth_etc_input *in, char **out,
                    berth_error **err) {
  char *buf = NULL;
  size_t len;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return berth_error_sys(err, "allocate");
  if (in->net == BERTH_ETC_HOST) {
    const char *h = in->host_hosts ? in->host_hosts : "";
    fputs(h, f);
    if (*h && h[strlen(h) - 1] != '\n')
      fputc('\n', f);
  } else {
    fputs(default_hosts, f);
  }
  if (extra_hosts(f, in, err) < 0) {
    fclose(f);
    free(buf);
    return -1;
  }
  if (in->net != BERTH_ETC_HOST) {
    /* Docker's record: the FQDN, then the bare name when they differ. */
    char fqdn[400], names[800];
    bool dn = in->domainname && *in->domainname;
    snprintf(fqdn, sizeof fqdn, dn ? "%s.%s" : "%s", in->hostname,
             in->domainname);
    const char *dot = strchr(fqdn, '.');
    if (dot)
      snprintf(names, sizeof names, "%s %.*s", fqdn, (int)(dot - fqdn), fqdn);
    else
      snprintf(names, sizeof names, "%s", fqdn);
    for (size_t i = 0; i < in->n_addrs; i++)
      fprintf(f, "%s\t%s\n", in->addrs[i], names);
    if (in->n_addrs == 0)
      fprintf(f, "127.0.1.1\t%s\n", names);
  }
  return finish(f, &buf, out, err);
}

/* ---- resolv.conf ---- */

#define MAX_ENTRIES 64

struct resolv {
  const char *ns[MAX_ENTRIES];
  size_t n_ns;
  char *search, *options, *other; /* the rest of their lines */
};

static void resolv_clear(struct resolv *r) {
  free(r->search);
  free(r->options);
  free(r->other);
}

static void append(char **acc, const char *s, size_t n, const char *sep) {
  size_t old = *acc ? strlen(*acc) : 0;
  char *p = realloc(*acc, old + strlen(sep) + n + 1);
  if (!p)
    return;
  if (old) {
    memcpy(p + old, sep, strlen(sep));
    old += strlen(sep);
  }
  memcpy(p + old, s, n);
  p[old + n] = '\0';
  *acc = p;
}

/* The host's file: its nameservers (pointers into text, each ending at
 * a space or newline), search list, options, and other directives. */
static void resolv_parse(const char *text, struct resolv *r) {
  memset(r, 0, sizeof *r);
  for (const char *l = text; l && *l;) {
    const char *end = strchr(l, '\n');
    size_t n = end ? (size_t)(end - l) : strlen(l);
    const char *w = l + strspn(l, " \t");
    size_t wl = strcspn(w, " \t\n");
    const char *arg = w + wl + strspn(w + wl, " \t");
    size_t al = n - (size_t)(arg - l);
    while (al && (arg[al - 1] == ' ' || arg[al - 1] == '\t' ||
                  arg[al - 1] == '\r'))
      al--;
    if (wl == 10 && strncmp(w, "nameserver", 10) == 0 && al) {
      if (r->n_ns < MAX_ENTRIES)
        r->ns[r->n_ns++] = arg;
    } else if ((wl == 6 && strncmp(w, "search", 6) == 0) ||
               (wl == 6 && strncmp(w, "domain", 6) == 0)) {
      /* The last of search and domain wins (resolv.conf(5)). */
      free(r->search);
      r->search = strndup(arg, al);
    } else if (wl == 7 && strncmp(w, "options", 7) == 0 && al) {
      append(&r->options, arg, al, " ");
    } else if (wl && *w != '#' && *w != ';') {
      append(&r->other, w, n - (size_t)(w - l), "\n");
    }
    l = end ? end + 1 : NULL;
  }
}

static size_t ns_len(const char *ns) { return strcspn(ns, " \t\r\n"); }

/* Docker's rule for a container with a network namespace of its own:
 * nameservers on the host's loopback are unreachable from it, IPv6 ones
 * without IPv6. */
static bool ns_reachable(const char *ns, size_t n, bool ipv6) {
  if (n >= 4 && strncmp(ns, "127.", 4) == 0)
    return false;
  if (n == 3 && strncmp(ns, "::1", 3) == 0)
    return false;
  return ipv6 || !memchr(ns, ':', n);
}

static void nameservers(FILE *f, const struct berth_etc_input *in,
                        const struct resolv *r) {
  size_t i, written = 0;
  json_t *v;
  if (json_array_size(in->dns)) {
    json_array_foreach(in->dns, i, v)
        fprintf(f, "nameserver %s\n", json_string_value(v));
    return;
  }
  if (in->net == BERTH_ETC_USER && in->gateway) {
    /* berth's name server for the network answers there. */
    fprintf(f, "nameserver %s\n", in->gateway);
    return;
  }
  for (i = 0; i < r->n_ns; i++) {
    size_t n = ns_len(r->ns[i]);
    if (in->net != BERTH_ETC_HOST && !ns_reachable(r->ns[i], n, in->ipv6))
      continue;
    fprintf(f, "nameserver %.*s\n", (int)n, r->ns[i]);
    written++;
  }
  if (written == 0 && in->net != BERTH_ETC_HOST) {
    fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", f);
    if (in->ipv6)
      fputs("nameserver 2001:4860:4860::8888\n"
            "nameserver 2001:4860:4860::8844\n",
            f);
  }
}

static void words(FILE *f, const char *directive, json_t *over,
                  const char *host) {
  size_t i;
  json_t *v;
  if (!over || !json_array_size(over)) {
    if (host && *host)
      fprintf(f, "%s %s\n", directive, host);
    return;
  }
  /* --dns-search . : no search domains at all. */
  if (json_array_size(over) == 1 &&
      strcmp(json_string_value(json_array_get(over, 0)), ".") == 0)
    return;
  fputs(directive, f);
  json_array_foreach(over, i, v) fprintf(f, " %s", json_string_value(v));
  fputc('\n', f);
}

int berth_etc_resolv(const struct berth_etc_input *in, char **out,
                     berth_error **err) {
  bool custom = json_array_size(in->dns) || json_array_size(in->dns_search) ||
                json_array_size(in->dns_options);
  if (in->net == BERTH_ETC_HOST && !custom) {
    *out = strdup(in->host_resolv ? in->host_resolv : "");
    return *out ? 0 : berth_error_sys(err, "allocate");
  }
  struct resolv r;
  resolv_parse(in->host_resolv, &r);
  char *buf = NULL;
  size_t len;
  FILE *f = open_memstream(&buf, &len);
  if (!f) {
    resolv_clear(&r);
    return berth_error_sys(err, "allocate");
  }
  nameservers(f, in, &r);
  words(f, "search", in->dns_search, r.search);
  words(f, "options", in->dns_options, r.options);
  if (r.other)
    fprintf(f, "%s\n", r.other);
  resolv_clear(&r);
  return finish(f, &buf, out, err);
}
