/* berth rmi, image prune, system df: removing images and what they
 * leave behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "prune.h"
#include "containers.h"
#include "create.h"
#include "engine.h"
#include "volume_files.h"
#include "volumes.h"
#include "images.h"
#include "reference.h"

static size_t strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* Prints what went with a deleted image: its names, then its id. */
static void print_deleted(const struct berth_image *img, void *arg) {
  (void)arg;
  for (char **t = img->tags; t && *t; t++)
    printf("Untagged: %s\n", *t);
  for (char **d = img->digests; d && *d; d++)
    printf("Untagged: %s\n", *d);
  printf("Deleted: %s\n", img->id);
}

/* Deletes the image record (names included) and prints what went. */
static int delete_image(struct berth_imgstore *is,
                        const struct berth_image *img, berth_error **err) {
  if (berth_images_delete(is->db, img->id, err) < 0)
    return -1;
  print_deleted(img, NULL);
  return 0;
}

/* The normalised name `what` stands for when it parses as a reference. */
static char *ref_name(const char *what) {
  struct berth_ref ref = {0};
  if (berth_ref_parse(what, &ref, NULL) < 0)
    return NULL;
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  char *name = NULL;
  if (repo && ref.digest)
    (void)!asprintf(&name, "%s@%s", repo, ref.digest);
  else if (repo)
    (void)!asprintf(&name, "%s:%s", repo, ref.tag ? ref.tag : "latest");
  berth_ref_free(&ref);
  return name;
}

static int rmi_one(struct berth_cli *cli, const char *what, bool force,
                   berth_error **err) {
  char id[BERTH_DIGEST_SIZE];
  if (cli_resolve_image(cli, what, id, err) < 0)
    return -1;
  struct berth_imgstore *is = cli->is;
  _cleanup_free_ char *name = ref_name(what);
  char named_id[BERTH_DIGEST_SIZE];
  bool by_name = name && berth_images_resolve(is->db, name, "", named_id,
                                              NULL) == 0;
  struct berth_image img = {0};
  if (berth_images_get(is->db, id, &img, err) < 0)
    return -1;
  int rc = 0, users;
  if (by_name && (strv_len(img.tags) > 1 || strchr(name, '@'))) {
    /* Other tags keep the image: only this name goes. */
    rc = berth_images_untag(is->db, name, named_id, err);
    if (rc == 0)
      printf("Untagged: %s\n", name);
  } else if (!by_name && strv_len(img.tags) > 1 && !force) {
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "unable to delete %.19s (must be forced): image is "
                         "referenced in multiple repositories",
                         id + 7);
  } else if ((users = berth_ctr_count_using_image(is->db, id, err)) < 0) {
    rc = -1;
  } else if (users > 0 && !force) {
    rc = berth_error_set(err, BERTH_ERR_STATE, 0,
                         "unable to delete %.19s (must be forced): image is "
                         "being used by %d container%s",
                         id + 7, users, users > 1 ? "s" : "");
  } else if (users > 0) {
    /* As Docker: forced, the names go but the image stays while a
     * container needs its layers (it is dangling until pruned). */
    for (char **t = img.tags; rc == 0 && t && *t; t++)
      if ((rc = berth_images_untag(is->db, *t, named_id, err)) == 0)
        printf("Untagged: %s\n", *t);
    for (char **d = img.digests; rc == 0 && d && *d; d++)
      if ((rc = berth_images_untag(is->db, *d, named_id, err)) == 0)
        printf("Untagged: %s\n", *d);
  } else {
    rc = delete_image(is, &img, err);
  }
  berth_image_free(&img);
  return rc;
}

static int collect(struct berth_imgstore *is, berth_error **err) {
  uint64_t freed;
  return berth_imgstore_gc(is, &freed, err);
}

int cmd_rmi(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Force removal of the image"}};
  char *pos[128];
  size_t npos;
  if (cli_args("rmi", argc, argv, opts, ARRAY_SIZE(opts), pos, 128, &npos) <
      0)
    return EXIT_USAGE;
  if (npos == 0)
    return cli_errorf(EXIT_USAGE, "rmi: requires at least 1 IMAGE");
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    berth_error *err = NULL;
    if (rmi_one(cli, pos[i], force, &err) < 0)
      status = cli_error(err, 1);
  }
  berth_error *err = NULL;
  if (collect(is, &err) < 0)
    status = cli_error(err, 1);
  return status;
}

static bool confirm(const char *question) {
  fprintf(stderr, "%s [y/N] ", question);
  char line[16];
  return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int cmd_image_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false;
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused images, not just dangling ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"}};
  char *pos[1];
  size_t npos;
  if (cli_args("image prune", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "image prune: takes no arguments");
  if (!force && !confirm(all ? "WARNING! This will remove all images."
                             : "WARNING! This will remove all dangling "
                               "images."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  uint64_t freed = 0;
  berth_error *err = NULL;
  int status = 0;
  if (berth_images_prune(e, all, print_deleted, NULL, &freed, &err) < 0)
    status = cli_error(err, 1);
  cli_print_reclaimed(freed);
  return status;
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv) {
  const struct opt opts[] = {{"", OPT_BOOL, NULL, NULL, NULL}};
  char *pos[1];
  size_t npos;
  if (cli_args("system df", argc, argv, opts, 0, pos, 1, &npos) < 0)
    return EXIT_USAGE;
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  struct berth_image *imgs;
  size_t n;
  berth_error *err = NULL;
  if (berth_images_list(is->db, &imgs, &n, &err) < 0)
    return cli_error(err, 1);
  /* Layers shared by several images take their space once. */
  uint64_t total = 0;
  _cleanup_strv_ char **seen = calloc(1, sizeof *seen);
  size_t nseen = 0;
  for (size_t i = 0; i < n && seen; i++)
    for (size_t l = 0; l < imgs[i].n_layers; l++) {
      bool dup = false;
      for (size_t k = 0; k < nseen && !dup; k++)
        dup = strcmp(seen[k], imgs[i].layers[l].chain_id) == 0;
      if (dup)
        continue;
      char **ns = realloc(seen, (nseen + 2) * sizeof *ns);
      if (!ns)
        break;
      seen = ns;
      seen[nseen++] = strdup(imgs[i].layers[l].chain_id);
      seen[nseen] = NULL;
      total += (uint64_t)imgs[i].layers[l].unpacked_size;
    }
  /* Images some container was created from are active: not reclaimable. */
  uint64_t active_size = 0;
  size_t active = 0;
  for (size_t i = 0; i < n; i++)
    if (berth_ctr_count_using_image(is->db, imgs[i].id, NULL) > 0) {
      active++;
      active_size += (uint64_t)imgs[i].size;
    }
  struct berth_engine *e;
  struct berth_ctr *ctrs = NULL;
  size_t nc = 0, running = 0;
  uint64_t ctr_size = 0, ctr_reclaim = 0;
  if (cli_engine(cli, &e) == 0 && berth_ctr_list(e->db, &ctrs, &nc, NULL) == 0)
    for (size_t i = 0; i < nc; i++) {
      char dir[4200];
      berth_ctr_dir(e, ctrs[i].id, dir, sizeof dir);
      strncat(dir, "/upper", sizeof dir - strlen(dir) - 1);
      uint64_t sz = berth_volume_tree_size(dir);
      bool up = strcmp(ctrs[i].state, BERTH_ST_RUNNING) == 0 ||
                strcmp(ctrs[i].state, BERTH_ST_PAUSED) == 0;
      running += up;
      ctr_size += sz;
      if (!up)
        ctr_reclaim += sz;
    }
  struct berth_volume *vols = NULL;
  size_t nv = 0, vused = 0;
  uint64_t vol_size = 0, vol_reclaim = 0;
  if (e && berth_volume_list(e, &vols, &nv, NULL) == 0)
    for (size_t i = 0; i < nv; i++) {
      char path[4200];
      berth_volume_path(e, vols[i].name, path, sizeof path);
      uint64_t sz = berth_volume_tree_size(path);
      vol_size += sz;
      if (vols[i].refs > 0)
        vused++;
      else
        vol_reclaim += sz;
    }
  char size[16], rec[16];
  cli_human_size((double)total, size, sizeof size);
  cli_human_size((double)(total - active_size), rec, sizeof rec);
  printf("%-16s%-10s%-10s%-12s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE",
         "RECLAIMABLE");
  printf("%-16s%-10zu%-10zu%-12s%s\n", "Images", n, active, size, rec);
  cli_human_size((double)ctr_size, size, sizeof size);
  cli_human_size((double)ctr_reclaim, rec, sizeof rec);
  printf("%-16s%-10zu%-10zu%-12s%s\n", "Containers", nc, running, size, rec);
  cli_human_size((double)vol_size, size, sizeof size);
  cli_human_size((double)vol_reclaim, rec, sizeof rec);
  printf("%-16s%-10zu%-10zu%-12s%s\n", "Local Volumes", nv, vused, size, rec);
  berth_ctrs_free(ctrs, nc);
  berth_volumes_free(vols, nv);
  berth_images_free(imgs, n);
  return 0;
}
