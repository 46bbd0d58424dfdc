/* berth images, rmi, tag, image inspect, image prune, system df. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth.h"
#include "cleanup.h"
#include "images.h"
#include "image_filter.h"
#include "image_remove.h"
#include "manifest.h"
#include "reference.h"
#include "snapshot.h"

/* "docker.io/library/busybox:latest" -> repo "busybox", tag "latest". */
static void split_name(const char *name, char *repo, size_t rlen, char *tag,
                       size_t tlen) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(name, &ref, NULL) == 0) {
    struct berth_ref plain = ref;
    plain.tag = plain.digest = NULL;
    _cleanup_free_ char *fam = berth_ref_familiar(&plain);
    char *colon = fam ? strrchr(fam, ':') : NULL;
    /* familiar() adds ":latest" when there is no tag: drop it here */
    if (colon && !strchr(colon, '/'))
      *colon = '\0';
    snprintf(repo, rlen, "%s", fam ? fam : name);
    snprintf(tag, tlen, "%s", ref.tag ? ref.tag : ref.digest ? ref.digest
                                                              : "<none>");
    berth_ref_free(&ref);
    return;
  }
  snprintf(repo, rlen, "%s", name);
  snprintf(tag, tlen, "<none>");
}

static json_t *strv_json(char **v) {
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static json_t *image_summary_json(const struct berth_image *img) {
  return json_pack("{s:s, s:o, s:o, s:I, s:s?, s:I, s:s, s:s}", "Id", img->id,
                   "RepoTags", strv_json(img->tags), "RepoDigests",
                   strv_json(img->digests), "Size", (json_int_t)img->size,
                   "Created", img->created, "Added", (json_int_t)img->added,
                   "Os", img->os ? img->os : "", "Architecture",
                   img->architecture ? img->architecture : "");
}

static const char *short_id(const char *id) {
  static __thread char buf[13];
  const char *hex = strchr(id, ':');
  snprintf(buf, sizeof buf, "%s", hex ? hex + 1 : id);
  return buf;
}

static void print_image_rows(const struct berth_image *img, bool digests) {
  char size[16], ago[48];
  cli_human_size((double)img->size, size, sizeof size);
  cli_human_ago(img->created, img->added, ago, sizeof ago);
  const char *digest = img->digests && img->digests[0]
                           ? strchr(img->digests[0], '@') + 1
                           : "<none>";
  char *none[] = {"<none>", NULL};
  char **names = img->tags && img->tags[0] ? img->tags : none;
  for (char **n = names; *n; n++) {
    char repo[512], tag[160];
    split_name(*n, repo, sizeof repo, tag, sizeof tag);
    if (n == none)
      snprintf(tag, sizeof tag, "<none>");
    if (digests)
      printf("%-40s %-16s %-72s %-13s %-16s %s\n", repo, tag, digest,
             short_id(img->id), ago, size);
    else
      printf("%-40s %-16s %-13s %-16s %s\n", repo, tag, short_id(img->id),
             ago, size);
  }
}

int cmd_images(struct berth_cli *cli, int argc, char **argv) {
  bool quiet = false, digests = false, all = false, no_trunc = false;
  const char *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Only show image IDs"},
      {"digests", OPT_BOOL, &digests, NULL, "Show digests"},
      {"all,a", OPT_BOOL, &all, NULL,
       "Show all images (default hides intermediate images)"},
      {"no-trunc", OPT_BOOL, &no_trunc, NULL, "Don't truncate output"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Filter output based on conditions provided"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w ||
      cli_args("images", nw, w, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  if (format && strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
    return cli_errorf(EXIT_USAGE,
                      "images: unknown --format `%s` (table or json)", format);
  struct berth_image_filter f;
  berth_image_filter_init(&f);
  berth_error *err = NULL;
  /* REPO[:TAG] is a reference filter (Docker's CLI sends it as one). */
  _cleanup_free_ char *ref = NULL;
  if (npos && (asprintf(&ref, "reference=%s", pos[0]) < 0 ||
               berth_image_filter_add(&f, ref, &err) < 0))
    return err ? cli_error(err, EXIT_USAGE) : EXIT_USAGE;
  for (size_t i = 0; !err && i < filters.n; i++)
    berth_image_filter_add(&f, filters.items[i], &err);
  if (err)
    return cli_error(err, EXIT_USAGE);
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  struct berth_image *imgs;
  size_t n;
  if (berth_images_list_filtered(is, &f, &imgs, &n, &err) < 0)
    return cli_error(err, 1);
  json_t *arr = format && strcmp(format, "json") == 0 ? json_array() : NULL;
  if (!quiet && !arr)
    printf(digests ? "%-40s %-16s %-72s %-13s %-16s %s\n"
                   : "%-40s %-16s %-13s %-16s %s\n",
           "REPOSITORY", "TAG", digests ? "DIGEST" : "IMAGE ID",
           digests ? "IMAGE ID" : "CREATED", digests ? "CREATED" : "SIZE",
           digests ? "SIZE" : "");
  for (size_t i = 0; i < n; i++) {
    if (arr)
      json_array_append_new(arr, image_summary_json(&imgs[i]));
    else if (quiet)
      puts(no_trunc ? imgs[i].id : short_id(imgs[i].id));
    else
      print_image_rows(&imgs[i], digests);
  }
  if (arr) {
    cli_print_json(arr);
    json_decref(arr);
  }
  berth_images_free(imgs, n);
  return 0;
}

/* The stored config document of an image. */
static json_t *load_config(struct berth_imgstore *is, const char *id) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (berth_store_get(is->store, id, BERTH_CONFIG_MAX_BYTES, &data, &len,
                      NULL) < 0)
    return NULL;
  return json_loadb(data, len, 0, NULL);
}

/* A new reference to doc[key], or dflt when doc has none. */
static json_t *member_or(json_t *doc, const char *key, json_t *dflt) {
  json_t *v = json_object_get(doc, key);
  if (!v)
    return dflt;
  json_decref(dflt);
  return json_incref(v);
}

static json_t *inspect_json(struct berth_imgstore *is,
                            const struct berth_image *img) {
  json_t *cfg = load_config(is, img->id);
  json_t *diff = json_array(), *layers = json_array();
  for (size_t i = 0; i < img->n_layers; i++) {
    json_array_append_new(diff, json_string(img->layers[i].diff_id));
    json_array_append_new(
        layers, json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "Digest",
                          img->layers[i].blob, "MediaType",
                          img->layers[i].media_type, "Size",
                          (json_int_t)img->layers[i].blob_size, "DiffID",
                          img->layers[i].diff_id, "ChainID",
                          img->layers[i].chain_id, "UnpackedSize",
                          (json_int_t)img->layers[i].unpacked_size));
  }
  json_t *j = json_pack(
      "{s:s, s:o, s:o, s:s?, s:s, s:s, s:s?, s:I, s:s, s:s, s:s?}", "Id",
      img->id, "RepoTags", strv_json(img->tags), "RepoDigests",
      strv_json(img->digests), "Created", img->created, "Os",
      img->os ? img->os : "", "Architecture",
      img->architecture ? img->architecture : "", "Variant", img->variant,
      "Size", (json_int_t)img->size, "ManifestDigest", img->manifest_digest,
      "ManifestMediaType", img->manifest_media_type, "IndexDigest",
      img->index_digest[0] ? img->index_digest : NULL);
  json_object_set_new(j, "Config", member_or(cfg, "config", json_object()));
  json_object_set_new(j, "Author", member_or(cfg, "author", json_string("")));
  json_object_set_new(j, "RootFS",
                      json_pack("{s:s, s:o}", "Type", "layers", "Layers",
                                diff));
  json_object_set_new(j, "Layers", layers);
  json_object_set_new(j, "History", member_or(cfg, "history", json_array()));
  json_decref(cfg);
  return j;
}

int cmd_image_inspect(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL;
  const struct opt opts[] = {{"format,f", OPT_STRING, &format, NULL}};
  char *pos[64];
  size_t npos;
  if (cli_args("image inspect", argc, argv, opts, ARRAY_SIZE(opts), pos, 64,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos == 0)
    return cli_errorf(EXIT_USAGE, "image inspect: requires an IMAGE");
  if (format && strcmp(format, "json") != 0)
    return cli_errorf(EXIT_USAGE, "image inspect: only --format json");
  json_t *arr = json_array();
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    char id[BERTH_DIGEST_SIZE];
    berth_error *err = NULL;
    struct berth_image img = {0};
    if (cli_resolve_image(cli, pos[i], id, &err) < 0 ||
        berth_images_get(cli->is->db, id, &img, &err) < 0) {
      status = cli_error(err, 1);
      continue;
    }
    json_array_append_new(arr, inspect_json(cli->is, &img));
    berth_image_free(&img);
  }
  cli_print_json(arr);
  json_decref(arr);
  return status;
}

int cmd_tag(struct berth_cli *cli, int argc, char **argv) {
  const struct opt opts[] = {{"", OPT_BOOL, NULL, NULL}};
  char *pos[3];
  size_t npos;
  if (cli_args("tag", argc, argv, opts, 0, pos, 3, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE, "tag: requires SOURCE and TARGET");
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  struct berth_ref ref = {0};
  if (cli_resolve_image(cli, pos[0], id, &err) < 0 ||
      berth_ref_parse(pos[1], &ref, &err) < 0)
    return cli_error(err, 1);
  if (ref.digest) {
    berth_ref_free(&ref);
    return cli_errorf(1, "tag: target `%s` may not contain a digest", pos[1]);
  }
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  _cleanup_free_ char *name = NULL;
  int rc = repo && asprintf(&name, "%s:%s", repo,
                            ref.tag ? ref.tag : "latest") >= 0
               ? berth_image_tag(cli->is, id, name, &err)
               : berth_error_sys(&err, "allocate");
  berth_ref_free(&ref);
  return rc < 0 ? cli_error(err, 1) : 0;
}
