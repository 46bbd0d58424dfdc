/* Shared by nft.c (commands) and nft_state.c (reading the table back).
 * Internal to src/net. */
#ifndef BERTH_NET_NFT_INTERNAL_H
#define BERTH_NET_NFT_INTERNAL_H

#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "nft.h"

struct nft_ctx;
struct berth_nft {
  struct nft_ctx *ctx;
};

/* Runs nft commands (one transaction); on failure the error is the first
 * line nft wrote ("Error: Could not process rule: File exists"). */
int berth_nft_run(struct berth_nft *n, const char *cmds, berth_error **err);
/* A list command run with JSON output, parsed into *out. */
int berth_nft_run_json(struct berth_nft *n, const char *cmd, json_t **out,
                       berth_error **err);
/* Whether `list tables inet` names berth's table. */
int berth_nft_table_exists(struct berth_nft *n, bool *exists,
                           berth_error **err);
/* `list table inet berth` as JSON into *out; *out NULL (return 0) when
 * the table does not exist. */
int berth_nft_list(struct berth_nft *n, json_t **out, berth_error **err);
/* Whether every chain of the listed table holds as many rules as the
 * "add rule inet berth CHAIN" lines of cmds give it (a table made by
 * this berth and not edited since). */
bool berth_nft_rules_intact(json_t *table, const char *cmds);

/* The four port maps (see the table in nft.c). */
enum nft_pmap { PMAP4, PMAP4_ANY, PMAP6, PMAP6_ANY, PMAP__COUNT };
extern const char *const berth_nft_pmap_names[PMAP__COUNT];

/* One element of a port map, addresses in canonical text (inet_ntop), so
 * that elements built from a request and read back compare equal. */
struct nft_mapping {
  enum nft_pmap map;
  char host[INET6_ADDRSTRLEN]; /* empty in the _ANY maps */
  char proto[8];
  unsigned host_port;
  char ctr[INET6_ADDRSTRLEN];
  unsigned ctr_port;
};
/* The element as nft text: "10.0.0.1 . tcp . 80 : 172.17.0.2 . 8080". */
void berth_nft_mapping_text(const struct nft_mapping *m, char *buf, size_t len);

/* The mappings a listed table holds (*out malloc'd, *count). */
int berth_nft_mappings(json_t *table, struct nft_mapping **out, size_t *count,
                       berth_error **err);
/* Berth's set or map `set` in a listing (of the table, or `list
 * sets|maps inet`), or NULL; its elements (NULL when none).  Borrowed. */
json_t *berth_nft_find_set(json_t *listing, const char *set);
json_t *berth_nft_set_elems(json_t *listing, const char *set);
/* An element without its {"elem": {"val": ...}} wrapper; *comment (may be
 * NULL) receives the element's comment or NULL. */
json_t *berth_nft_elem_value(json_t *elem, const char **comment);

#endif
