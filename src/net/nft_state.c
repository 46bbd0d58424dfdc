/* Reading berth's table back (nft's JSON listings): the port maps'
 * elements, the bridges, whether the base rules are all there, for
 * removal, network_add and `berth system check`.  Elements of an
 * unexpected shape (someone edited the table by hand) are skipped, not
 * errors: what is read only ever decides what to delete or re-add. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cleanup.h"
#include "nft_internal.h"

int berth_nft_table_exists(struct berth_nft *n, bool *exists,
                           berth_error **err) {
  json_t *all = NULL;
  if (berth_nft_run_json(n, "list tables inet", &all, err) < 0)
    return -1;
  *exists = false;
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(all, "nftables"), i, item) {
    const char *name = json_string_value(
        json_object_get(json_object_get(item, "table"), "name"));
    if (name != NULL && strcmp(name, "berth") == 0)
      *exists = true;
  }
  json_decref(all);
  return 0;
}

int berth_nft_list(struct berth_nft *n, json_t **out, berth_error **err) {
  berth_error *list_err = NULL;
  *out = NULL;
  if (berth_nft_run_json(n, "list table inet berth", out, &list_err) == 0)
    return 0;
  bool exists = true;
  if (berth_nft_table_exists(n, &exists, NULL) == 0 && !exists) {
    berth_error_free(list_err);
    return 0;
  }
  if (err != NULL && *err == NULL)
    *err = list_err;
  else
    berth_error_free(list_err);
  return -1;
}

/* Whether a listed set, map or rule (the object inside {"set": ...}) is
 * berth's. */
static bool ours(json_t *obj) {
  const char *family = json_string_value(json_object_get(obj, "family"));
  const char *table = json_string_value(json_object_get(obj, "table"));
  return family && table && strcmp(family, "inet") == 0 &&
         strcmp(table, "berth") == 0;
}

json_t *berth_nft_find_set(json_t *listing, const char *set) {
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(listing, "nftables"), i, item) {
    json_t *obj = json_object_get(item, "set");
    if (obj == NULL)
      obj = json_object_get(item, "map");
    const char *name = json_string_value(json_object_get(obj, "name"));
    if (name != NULL && strcmp(name, set) == 0 && ours(obj))
      return obj;
  }
  return NULL;
}

json_t *berth_nft_set_elems(json_t *listing, const char *set) {
  return json_object_get(berth_nft_find_set(listing, set), "elem");
}

json_t *berth_nft_elem_value(json_t *elem, const char **comment) {
  json_t *wrapped = json_object_get(elem, "elem");
  if (comment)
    *comment = json_string_value(json_object_get(wrapped, "comment"));
  return wrapped ? json_object_get(wrapped, "val") : elem;
}

static bool copy_str(char *dst, size_t len, json_t *v) {
  const char *s = json_string_value(v);
  if (s == NULL || strlen(s) >= len)
    return false;
  memcpy(dst, s, strlen(s) + 1);
  return true;
}

static bool get_port(unsigned *dst, json_t *v) {
  if (!json_is_integer(v) || json_integer_value(v) < 1 ||
      json_integer_value(v) > 65535)
    return false;
  *dst = (unsigned)json_integer_value(v);
  return true;
}

/* One map element [key, data] into m (m->map already set). */
static bool read_mapping(json_t *elem, struct nft_mapping *m) {
  json_t *key = json_object_get(
      berth_nft_elem_value(json_array_get(elem, 0), NULL), "concat");
  json_t *data = json_object_get(json_array_get(elem, 1), "concat");
  bool any = m->map == PMAP4_ANY || m->map == PMAP6_ANY;
  size_t k = any ? 0 : 1;
  if (json_array_size(key) != k + 2 || json_array_size(data) != 2)
    return false;
  m->host[0] = '\0';
  return (any || copy_str(m->host, sizeof m->host, json_array_get(key, 0))) &&
         copy_str(m->proto, sizeof m->proto, json_array_get(key, k)) &&
         get_port(&m->host_port, json_array_get(key, k + 1)) &&
         copy_str(m->ctr, sizeof m->ctr, json_array_get(data, 0)) &&
         get_port(&m->ctr_port, json_array_get(data, 1));
}

int berth_nft_mappings(json_t *table, struct nft_mapping **out, size_t *count,
                       berth_error **err) {
  size_t total = 0;
  for (int map = 0; map < PMAP__COUNT; map++)
    total +=
        json_array_size(berth_nft_set_elems(table, berth_nft_pmap_names[map]));
  _cleanup_free_ struct nft_mapping *m = calloc(total + 1, sizeof(*m));
  if (m == NULL)
    return berth_error_sys(err, "port mappings");
  *count = 0;
  for (int map = 0; map < PMAP__COUNT; map++) {
    size_t i;
    json_t *elem;
    json_array_foreach(berth_nft_set_elems(table, berth_nft_pmap_names[map]), i,
                       elem) {
      m[*count].map = (enum nft_pmap)map;
      if (read_mapping(elem, &m[*count]))
        (*count)++;
    }
  }
  *out = steal_pointer(&m);
  return 0;
}

/* The rules of `chain` a listed table holds. */
static size_t rules_in(json_t *table, const char *chain) {
  size_t i, count = 0;
  json_t *item;
  json_array_foreach(json_object_get(table, "nftables"), i, item) {
    json_t *rule = json_object_get(item, "rule");
    const char *c = json_string_value(json_object_get(rule, "chain"));
    count += c != NULL && strcmp(c, chain) == 0 && ours(rule);
  }
  return count;
}

struct chain_rules {
  char chain[32];
  size_t rules;
};

/* Adds the chain of an "add rule inet berth CHAIN ..." line to counts. */
static void count_rule(const char *line, struct chain_rules *counts, size_t *n,
                       size_t max) {
  static const char add_rule[] = "add rule inet berth ";
  char chain[32];
  if (strncmp(line, add_rule, strlen(add_rule)) != 0 ||
      sscanf(line + strlen(add_rule), "%31s", chain) != 1)
    return;
  size_t i = 0;
  while (i < *n && strcmp(counts[i].chain, chain) != 0)
    i++;
  if (i == *n) {
    if (*n == max)
      return;
    snprintf(counts[(*n)++].chain, sizeof counts->chain, "%s", chain);
  }
  counts[i].rules++;
}

bool berth_nft_rules_intact(json_t *table, const char *cmds) {
  struct chain_rules counts[16] = {0};
  size_t n = 0;
  for (const char *line = cmds; line; line = strchr(line, '\n')) {
    line += *line == '\n';
    count_rule(line, counts, &n, ARRAY_SIZE(counts));
  }
  for (size_t i = 0; i < n; i++)
    if (rules_in(table, counts[i].chain) != counts[i].rules)
      return false;
  return n > 0;
}

/* ---- berth_nft_state_read ---- */

static int read_bridges(json_t *table, struct berth_nft_state *s) {
  json_t *elems = berth_nft_set_elems(table, "bridges");
  s->bridges = calloc(json_array_size(elems) + 1, sizeof(char *));
  if (s->bridges == NULL)
    return -1;
  size_t i;
  json_t *elem;
  json_array_foreach(elems, i, elem) {
    const char *name = json_string_value(berth_nft_elem_value(elem, NULL));
    if (name == NULL)
      continue;
    if ((s->bridges[s->n_bridges] = strdup(name)) == NULL)
      return -1;
    s->n_bridges++;
  }
  return 0;
}

/* The IPv6 every-address mapping that goes with an IPv4 one, if any. */
static ssize_t v6_twin(const struct nft_mapping *m, size_t count,
                       const struct nft_mapping *v4) {
  for (size_t i = 0; v4->map == PMAP4_ANY && i < count; i++)
    if (m[i].map == PMAP6_ANY && m[i].host_port == v4->host_port &&
        strcmp(m[i].proto, v4->proto) == 0)
      return (ssize_t)i;
  return -1;
}

static int dup_or_null(const char **dst, const char *src) {
  *dst = NULL;
  return src == NULL || (*dst = strdup(src)) != NULL ? 0 : -1;
}

/* A mapping (and its IPv6 twin, or NULL) as a port. */
static int fill_port(struct berth_nft_port *p, const struct nft_mapping *m,
                     const struct nft_mapping *twin) {
  bool v4 = m->map == PMAP4 || m->map == PMAP4_ANY;
  const char *host = m->map == PMAP6_ANY   ? "::"
                     : m->map == PMAP4_ANY ? NULL
                                           : m->host;
  p->host_port = m->host_port;
  p->ctr_port = m->ctr_port;
  return dup_or_null(&p->proto, m->proto) < 0 ||
                 dup_or_null(&p->host_ip, host) < 0 ||
                 dup_or_null(&p->ctr_ip, v4 ? m->ctr : NULL) < 0 ||
                 dup_or_null(&p->ctr_ip6,
                             v4 ? (twin ? twin->ctr : NULL) : m->ctr) < 0
             ? -1
             : 0;
}

/* Mappings back into ports: an every-address pair of both families is
 * one port with host_ip NULL (what ports_add was given); an IPv6-only
 * every-address mapping has host_ip "::". */
static int read_ports(json_t *table, struct berth_nft_state *s,
                      berth_error **err) {
  _cleanup_free_ struct nft_mapping *m = NULL;
  size_t count;
  if (berth_nft_mappings(table, &m, &count, err) < 0)
    return -1;
  _cleanup_free_ bool *merged = calloc(count + 1, sizeof(bool));
  s->ports = calloc(count + 1, sizeof(*s->ports));
  if (s->ports == NULL || merged == NULL)
    return berth_error_sys(err, "port mappings");
  for (size_t i = 0; i < count; i++) {
    ssize_t twin = v6_twin(m, count, &m[i]);
    if (twin >= 0)
      merged[twin] = true;
  }
  for (size_t i = 0; i < count; i++) {
    if (merged[i])
      continue;
    ssize_t twin = v6_twin(m, count, &m[i]);
    if (fill_port(&s->ports[s->n_ports++], &m[i], twin >= 0 ? &m[twin] : NULL) <
        0)
      return berth_error_sys(err, "port mappings");
  }
  return 0;
}

int berth_nft_state_read(struct berth_nft *n, struct berth_nft_state *out,
                         berth_error **err) {
  memset(out, 0, sizeof(*out));
  json_t *table = NULL;
  if (berth_nft_list(n, &table, err) < 0)
    return -1;
  if (table == NULL)
    return 0;
  int rc = read_bridges(table, out) < 0
               ? berth_error_sys(err, "nftables bridges")
               : read_ports(table, out, err);
  json_decref(table);
  if (rc < 0)
    berth_nft_state_free(out);
  return rc;
}

void berth_nft_state_free(struct berth_nft_state *s) {
  for (size_t i = 0; s->bridges && i < s->n_bridges; i++)
    free(s->bridges[i]);
  free(s->bridges);
  for (size_t i = 0; s->ports && i < s->n_ports; i++) {
    free((char *)s->ports[i].proto);
    free((char *)s->ports[i].host_ip);
    free((char *)s->ports[i].ctr_ip);
    free((char *)s->ports[i].ctr_ip6);
  }
  free(s->ports);
  memset(s, 0, sizeof(*s));
}
