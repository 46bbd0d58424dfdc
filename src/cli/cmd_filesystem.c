/* berth cp, export, commit, diff: a container's filesystem. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "config_change.h"
#include "copy.h"
#include "diff.h"
#include "engine.h"
#include "export.h"
#include "reference.h"

/* "CONTAINER:PATH" as docker reads it: a colon before any slash.  A local
 * path with a colon is written ./a:b or /a:b. */
static char *split_ctr(char *arg, char **path) {
  char *colon = strchr(arg, ':');
  if (!colon || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
    return NULL;
  *colon = 0;
  *path = colon + 1;
  return arg;
}

int cmd_cp(struct berth_cli *cli, int argc, char **argv) {
  struct berth_cp_opts o = {0};
  bool quiet = false, archive = false;
  const struct opt opts[] = {{"archive,a", OPT_BOOL, &archive, NULL,
                              "Archive mode (copy all uid/gid information)"},
                             {"follow-link,L", OPT_BOOL, &o.follow, NULL,
                              "Always follow symbol link in SRC_PATH"},
                             {"quiet,q", OPT_BOOL, &quiet, NULL,
                              "Suppress progress output during copy"}};
  char *pos[3];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("cp", nw, w, opts, ARRAY_SIZE(opts), pos, 3, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE, "cp: requires exactly 2 arguments");
  /* docker cp: the client makes and unpacks the tars itself, so without
   * -a what it copies in belongs to the container's root. */
  o.owner = archive ? BERTH_CP_OWNER_SOURCE : BERTH_CP_OWNER_DEST;
  char *spath = NULL, *dpath = NULL;
  char *sctr = split_ctr(pos[0], &spath);
  char *dctr = split_ctr(pos[1], &dpath);
  if ((sctr != NULL) == (dctr != NULL))
    return cli_errorf(EXIT_USAGE,
                      sctr ? "cp: copying between containers is not "
                             "supported"
                           : "cp: must specify at least one container "
                             "source (CONTAINER:PATH)");
  if (dctr && strcmp(pos[0], "-") != 0 && !*pos[0])
    return cli_errorf(EXIT_USAGE, "cp: empty source path");
  if ((sctr && !*spath) || (dctr && !*dpath))
    return cli_errorf(EXIT_USAGE, "cp: empty container path");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  int rc;
  if (sctr) {
    bool to_stdout = strcmp(pos[1], "-") == 0;
    if (to_stdout && isatty(STDOUT_FILENO))
      return cli_errorf(1, "cp: refusing to write a tar archive to a "
                           "terminal");
    rc = berth_ctr_cp_from(e, sctr, spath, to_stdout ? NULL : pos[1],
                           STDOUT_FILENO, &o, &err);
  } else {
    bool from_stdin = strcmp(pos[0], "-") == 0;
    rc = berth_ctr_cp_to(e, dctr, from_stdin ? NULL : pos[0], STDIN_FILENO,
                         dpath, &o, &err);
  }
  return rc < 0 ? cli_error(err, 1) : 0;
}

int cmd_export(struct berth_cli *cli, int argc, char **argv) {
  const char *output = NULL;
  const struct opt opts[] = {{"output,o", OPT_STRING, &output, NULL,
                              "Write to a file, instead of STDOUT"}};
  char *pos[2];
  size_t npos;
  if (cli_args("export", argc, argv, opts, ARRAY_SIZE(opts), pos, 2, &npos) <
      0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "export: requires exactly 1 argument");
  if (!output && isatty(STDOUT_FILENO))
    return cli_errorf(1, "export: refusing to write a tar archive to a "
                         "terminal (use -o or redirect)");
  _cleanup_close_ int fd = -1;
  if (output && (fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                           0644)) < 0)
    return cli_errorf(1, "export: open `%s`: %m", output);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_ctr_export(e, pos[0], output ? fd : STDOUT_FILENO, &err) < 0) {
    if (output)
      unlink(output);
    return cli_error(err, 1);
  }
  return 0;
}

static int commit_name(const char *arg, char **name) {
  struct berth_ref ref = {0};
  berth_error *err = NULL;
  if (berth_ref_parse(arg, &ref, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  _cleanup_free_ char *repo = berth_ref_repository(&ref);
  int rc = 0;
  if (ref.digest || !repo ||
      asprintf(name, "%s:%s", repo, ref.tag ? ref.tag : "latest") < 0)
    rc = cli_errorf(EXIT_USAGE, "commit: `%s` must be a name[:tag]", arg);
  berth_ref_free(&ref);
  return rc;
}

int cmd_commit(struct berth_cli *cli, int argc, char **argv) {
  struct strlist changes = {0};
  struct berth_commit_opts o = {.pause = true};
  const struct opt opts[] = {
      {"change,c", OPT_LIST, &changes, NULL,
       "Apply Dockerfile instruction to the created image"},
      {"message,m", OPT_STRING, &o.comment, NULL, "Commit message"},
      {"author,a", OPT_STRING, &o.author, NULL,
       "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"},
      {"pause,p", OPT_BOOL, &o.pause, NULL,
       "Pause container during commit (default true)"}};
  char *pos[3];
  size_t npos;
  if (cli_args("commit", argc, argv, opts, ARRAY_SIZE(opts), pos, 3, &npos) <
      0)
    return EXIT_USAGE;
  if (npos < 1 || npos > 2)
    return cli_errorf(EXIT_USAGE,
                      "commit: requires CONTAINER [REPOSITORY[:TAG]]");
  _cleanup_free_ char *name = NULL;
  if (npos == 2 && commit_name(pos[1], &name) != 0)
    return EXIT_USAGE;
  json_t *cfg = json_object();
  berth_error *err = NULL;
  for (size_t i = 0; i < changes.n; i++)
    if (berth_image_config_change(cfg, changes.items[i], &err) < 0) {
      json_decref(cfg);
      return cli_prefixed_error("commit", err, EXIT_USAGE);
    }
  o.changes = cfg;
  o.tag = name;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0) {
    json_decref(cfg);
    return EXIT_USAGE;
  }
  char id[BERTH_DIGEST_SIZE];
  int rc = berth_ctr_commit(e, pos[0], &o, id, &err);
  json_decref(cfg);
  if (rc < 0)
    return cli_error(err, 1);
  puts(id);
  return 0;
}

static int print_change(void *arg, const char *path,
                        enum berth_change_kind kind) {
  (void)arg;
  static const char letters[] = {'C', 'A', 'D'};
  return printf("%c %s\n", letters[kind], path) < 0 ? -1 : 0;
}

int cmd_diff(struct berth_cli *cli, int argc, char **argv) {
  const struct opt opts[] = {{"", OPT_BOOL, NULL, NULL, NULL}};
  char *pos[2];
  size_t npos;
  if (cli_args("diff", argc, argv, opts, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "diff: requires exactly 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_ctr_changes(e, pos[0], print_change, NULL, &err) < 0)
    return cli_error(err, 1);
  return 0;
}

