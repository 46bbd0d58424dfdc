/* Drives src/build/build_image.h from the command line, for tests/
 * integration/build/build_cache_cli.bats (the builder's step images and
 * cache without a Dockerfile):
 *
 *   stepimage ROOT layer CONTAINER [EPOCH]
 *       the container's layer blob: prints "DIGEST SIZE"
 *   stepimage ROOT image PARENT|scratch CONFIG_JSON CREATED_BY
 *                        [DIGEST SIZE] [EPOCH]
 *       a step image (with that layer, else config only): prints its id
 *   stepimage ROOT put KEY IMAGE_ID
 *   stepimage ROOT get KEY      prints the image id; exit 3 on a miss
 *
 * Errors: the message on stderr, exit 1; usage errors exit 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_image.h"

extern char **environ;

static _Noreturn void usage(void) {
  fprintf(stderr, "usage: stepimage ROOT layer|image|put|get ARGS...\n");
  exit(2);
}

static int layer(struct berth_engine *e, int argc, char **argv,
                 berth_error **err) {
  if (argc < 1)
    usage();
  char digest[BERTH_DIGEST_SIZE];
  uint64_t size;
  int64_t epoch = argc > 1 ? strtoll(argv[1], NULL, 10) : -1;
  if (berth_build_layer(e, argv[0], epoch, digest, &size, err) < 0)
    return -1;
  printf("%s %llu\n", digest, (unsigned long long)size);
  return 0;
}

static int image(struct berth_engine *e, int argc, char **argv,
                 berth_error **err) {
  if (argc < 3)
    usage();
  json_error_t jerr;
  json_t *cfg = json_loads(argv[1], 0, &jerr);
  if (!cfg)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "config: %s",
                           jerr.text);
  struct berth_step_image s = {
      .parent_id = strcmp(argv[0], "scratch") ? argv[0] : NULL,
      .config = cfg, .created_by = argv[2], .epoch = -1};
  if (argc >= 5) {
    s.layer = argv[3];
    s.layer_size = strtoull(argv[4], NULL, 10);
  }
  if (argc >= 6)
    s.epoch = strtoll(argv[5], NULL, 10);
  char id[BERTH_DIGEST_SIZE];
  int rc = berth_build_image_new(e, &s, id, err);
  json_decref(cfg);
  if (rc == 0)
    puts(id);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 3)
    usage();
  struct berth_engine *e;
  berth_error *err = NULL;
  if (berth_engine_open(argv[1], environ, &e, &err) < 0) {
    fprintf(stderr, "stepimage: %s\n", err->msg);
    return 1;
  }
  const char *cmd = argv[2];
  char id[BERTH_DIGEST_SIZE];
  int rc = 0;
  if (strcmp(cmd, "layer") == 0)
    rc = layer(e, argc - 3, argv + 3, &err);
  else if (strcmp(cmd, "image") == 0)
    rc = image(e, argc - 3, argv + 3, &err);
  else if (strcmp(cmd, "put") == 0 && argc == 5)
    rc = berth_build_cache_put(e->db, argv[3], argv[4], &err);
  else if (strcmp(cmd, "get") == 0 && argc == 4)
    rc = berth_build_cache_get(e->db, argv[3], id, &err);
  else
    usage();
  if (rc == 1)
    puts(id);
  berth_engine_free(e);
  if (rc < 0) {
    fprintf(stderr, "stepimage: %s\n", err->msg);
    berth_error_free(err);
    return 1;
  }
  return strcmp(cmd, "get") == 0 && rc == 0 ? 3 : 0;
}
