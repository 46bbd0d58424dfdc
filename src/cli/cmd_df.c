/* berth system df [-v]: the engine's disk usage, printed as Docker's. */
#include <stdio.h>
#include <string.h>

#include "berth.h"
#include "cleanup.h"
#include "df.h"
#include "engine.h"

/* "16.43MB (70%)" as Docker's df writes reclaimable space. */
static void reclaim_text(int64_t rec, int64_t total, char *out, size_t len) {
  char h[16];
  cli_human_size4((double)rec, h, sizeof h);
  if (total > 0)
    snprintf(out, len, "%s (%lld%%)", h, (long long)(rec * 100 / total));
  else
    snprintf(out, len, "%s", h);
}

static void print_summary(const struct berth_df *df) {
  static const char *names[] = {"Images", "Containers", "Local Volumes",
                                "Build Cache"};
  printf("%-16s%-10s%-10s%-12s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE",
         "RECLAIMABLE");
  for (int t = BERTH_DF_IMAGES; t <= BERTH_DF_BUILD_CACHE; t++) {
    struct berth_df_summary s;
    berth_df_summarize(df, (enum berth_df_type)t, &s);
    char size[16], rec[32];
    cli_human_size4((double)s.size, size, sizeof size);
    reclaim_text(s.reclaimable, s.size, rec, sizeof rec);
    if (t == BERTH_DF_BUILD_CACHE)
      snprintf(rec, sizeof rec, "0B");
    printf("%-16s%-10zu%-10zu%-12s%s\n", names[t], s.total, s.active, size,
           rec);
  }
}

static void print_df_images(const struct berth_df *df) {
  printf("Images space usage:\n\n%-40s %-16s %-13s %-16s %-10s %-12s "
         "%-12s %s\n",
         "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
         "UNIQUE SIZE", "CONTAINERS");
  for (size_t i = 0; i < df->n_images; i++) {
    const struct berth_df_image *d = &df->images[i];
    char *none[] = {"<none>:<none>", NULL};
    char **names = d->img.tags && d->img.tags[0] ? d->img.tags : none;
    char size[16], shared[16], unique[16], ago[48];
    cli_human_size4((double)d->img.size, size, sizeof size);
    cli_human_size4((double)d->shared_size, shared, sizeof shared);
    cli_human_size4((double)(d->img.size - d->shared_size), unique,
                    sizeof unique);
    cli_human_ago(d->img.created, d->img.added, ago, sizeof ago);
    for (char **n = names; *n; n++) {
      char repo[512], tag[160];
      cli_split_image_name(*n, repo, sizeof repo, tag, sizeof tag);
      printf("%-40s %-16s %-13.12s %-16s %-10s %-12s %-12s %d\n", repo, tag,
             d->img.id + 7, ago, size, shared, unique, d->containers);
    }
  }
}

/* "\"sh -c 'sleep…\"": the command, quoted and cut as docker's tables. */
static void ctr_command(const struct berth_ctr *c, char *out, size_t len) {
  char cmd[256] = "";
  size_t n = 0;
  const char *keys[] = {"Entrypoint", "Cmd"};
  for (int k = 0; k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      const char *w = json_string_value(v);
      if (n < sizeof cmd)
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s%s", n ? " " : "",
                              w ? w : "");
    }
  }
  /* Docker quotes the command: control characters do not break rows. */
  for (char *p = cmd; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  snprintf(out, len, "\"%.17s%s\"", cmd, strlen(cmd) > 17 ? "…" : "");
}

static void print_df_ctrs(const struct berth_df *df) {
  printf("\nContainers space usage:\n\n%-14s %-20s %-22s %-15s %-10s %-16s "
         "%-26s %s\n",
         "CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE",
         "CREATED", "STATUS", "NAMES");
  for (size_t i = 0; i < df->n_ctrs; i++) {
    const struct berth_df_container *d = &df->ctrs[i];
    char size[16], ago[48], cmd[40];
    cli_human_size4((double)d->size_rw, size, sizeof size);
    cli_human_ago(NULL, d->ctr.created / 1000000000, ago, sizeof ago);
    ctr_command(&d->ctr, cmd, sizeof cmd);
    printf("%-14.12s %-20s %-22s %-15d %-10s %-16s %-26s %s\n", d->ctr.id,
           d->ctr.image_name, cmd, d->local_volumes, size, ago, d->ctr.state,
           d->ctr.name);
  }
}

static void print_df_vols(const struct berth_df *df) {
  printf("\nLocal Volumes space usage:\n\n%-66s %-10s %s\n", "VOLUME NAME",
         "LINKS", "SIZE");
  for (size_t i = 0; i < df->n_vols; i++) {
    char size[16];
    cli_human_size4((double)df->vols[i].size, size, sizeof size);
    printf("%-66s %-10d %s\n", df->vols[i].vol.name, df->vols[i].vol.refs,
           size);
  }
  printf("\nBuild cache usage: 0B\n\n%-12s %-12s %-10s %-16s %-16s %-10s "
         "%s\n",
         "CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE",
         "SHARED");
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv) {
  bool verbose = false;
  const struct opt opts[] = {
      {"verbose,v", OPT_BOOL, &verbose, NULL, "Show detailed information on "
                                              "space usage"}};
  char *pos[1];
  size_t npos;
  if (cli_args("system df", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  struct berth_df df;
  berth_error *err = NULL;
  if (berth_system_df(e, &df, &err) < 0)
    return cli_error(err, 1);
  if (verbose) {
    print_df_images(&df);
    print_df_ctrs(&df);
    print_df_vols(&df);
  } else {
    print_summary(&df);
  }
  berth_df_free(&df);
  return 0;
}
