/* berth save, load, import. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "config_change.h"
#include "image_archive.h"
#include "images.h"
#include "reference.h"

int cmd_save(struct berth_cli *cli, int argc, char **argv) {
  const char *output = NULL, *format = "docker-archive";
  const struct opt opts[] = {{"output,o", OPT_STRING, &output, NULL,
                              "Write to a file, instead of STDOUT"},
                             {"format", OPT_STRING, &format, NULL,
                              "Archive format: \"docker-archive\" or "
                              "\"oci-archive\" (default \"docker-archive\")"}};
  char *pos[64];
  size_t npos;
  if (cli_args("save", argc, argv, opts, ARRAY_SIZE(opts), pos, 64, &npos) <
      0)
    return EXIT_USAGE;
  enum berth_archive_format fmt;
  if (strcmp(format, "oci-archive") == 0)
    fmt = BERTH_ARCHIVE_OCI;
  else if (strcmp(format, "docker-archive") == 0)
    fmt = BERTH_ARCHIVE_DOCKER;
  else
    return cli_errorf(EXIT_USAGE,
                      "save: unknown --format `%s` (oci-archive or "
                      "docker-archive)",
                      format);
  if (npos == 0)
    return cli_errorf(EXIT_USAGE, "save: requires at least 1 IMAGE");
  if (!output && isatty(STDOUT_FILENO))
    return cli_errorf(EXIT_USAGE, "save: refusing to write an archive to a "
                                  "terminal: use -o FILE or redirect");
  struct berth_save_item items[64];
  char *names[64] = {0};
  berth_error *err = NULL;
  int status = 0;
  for (size_t i = 0; i < npos && status == 0; i++) {
    struct berth_imgstore *is;
    if (cli_store(cli, &is) < 0)
      return 1;
    if (berth_save_item_for(is, pos[i], &items[i], &names[i], &err) < 0) {
      status = cli_error(err, 1);
      break;
    }
  }
  /* Written next to the target and renamed: no half archive is left. */
  char tmp[4200] = "";
  int fd = STDOUT_FILENO;
  if (status == 0 && output) {
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", output);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
      status = cli_errorf(1, "save: create `%s`: %m", tmp);
  }
  if (status == 0 && berth_save(cli->is, items, npos, fmt, fd, &err) < 0)
    status = cli_error(err, 1);
  if (output && fd >= 0) {
    if (status == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 ||
                        rename(tmp, output) < 0))
      status = cli_errorf(1, "save: write `%s`: %m", output);
    close(fd);
    if (status != 0)
      unlink(tmp);
  }
  for (size_t i = 0; i < npos; i++)
    free(names[i]);
  return status;
}

static void print_loaded(void *ctx, const char *id, const char *name) {
  bool quiet = *(bool *)ctx;
  (void)quiet;
  if (name)
    printf("Loaded image: %s\n", name);
  else
    printf("Loaded image ID: %s\n", id);
}

int cmd_load(struct berth_cli *cli, int argc, char **argv) {
  const char *input = NULL;
  bool quiet = false;
  const struct opt opts[] = {
      {"input,i", OPT_STRING, &input, NULL,
       "Read from tar archive file, instead of STDIN"},
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Suppress the load output"}};
  char *pos[1];
  size_t npos;
  if (cli_args("load", argc, argv, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  if (npos)
    return cli_errorf(EXIT_USAGE, "load: takes no arguments (use -i FILE)");
  _cleanup_close_ int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : -1;
  if (input && fd < 0)
    return cli_errorf(1, "load: open `%s`: %m", input);
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  berth_error *err = NULL;
  if (berth_load(is, input ? fd : STDIN_FILENO, print_loaded, &quiet, &err) <
      0)
    return cli_error(err, 1);
  return 0;
}

int cmd_import(struct berth_cli *cli, int argc, char **argv) {
  struct strlist changes = {0};
  const char *message = NULL;
  const struct opt opts[] = {
      {"change,c", OPT_LIST, &changes, NULL,
       "Apply Dockerfile instruction to the created image"},
      {"message,m", OPT_STRING, &message, NULL,
       "Set commit message for imported image"}};
  char *pos[2];
  size_t npos;
  if (cli_args("import", argc, argv, opts, ARRAY_SIZE(opts), pos, 2, &npos) <
      0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "import: requires a FILE (or -)");
  json_t *cfg = json_object();
  berth_error *err = NULL;
  for (size_t i = 0; i < changes.n; i++)
    if (berth_image_config_change(cfg, changes.items[i], &err) < 0) {
      json_decref(cfg);
      return cli_prefixed_error("import", err, EXIT_USAGE);
    }
  _cleanup_free_ char *cfg_text = json_dumps(cfg, JSON_COMPACT);
  json_decref(cfg);
  _cleanup_free_ char *name = NULL;
  if (npos == 2) {
    struct berth_ref ref = {0};
    if (berth_ref_parse(pos[1], &ref, &err) < 0)
      return cli_error(err, 1);
    _cleanup_free_ char *repo = berth_ref_repository(&ref);
    if (ref.digest || !repo ||
        asprintf(&name, "%s:%s", repo, ref.tag ? ref.tag : "latest") < 0) {
      berth_ref_free(&ref);
      return cli_errorf(1, "import: `%s` must be a name[:tag]", pos[1]);
    }
    berth_ref_free(&ref);
  }
  bool from_stdin = strcmp(pos[0], "-") == 0;
  _cleanup_close_ int fd = from_stdin ? -1
                                      : open(pos[0], O_RDONLY | O_CLOEXEC);
  if (!from_stdin && fd < 0)
    return cli_errorf(1, "import: open `%s`: %m", pos[0]);
  struct berth_imgstore *is;
  if (cli_store(cli, &is) < 0)
    return 1;
  char id[BERTH_DIGEST_SIZE];
  if (berth_import(is, from_stdin ? STDIN_FILENO : fd, name, cfg_text, id,
                   &err) < 0)
    return cli_error(err, 1);
  puts(id);
  return 0;
}
