/* Fuzzes the layer unpacker: any bytes, as plain/gzip/zstd detected, must
 * give an error or a snapshot, and never create anything outside it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"

/* Everything in dir except `snap`: must stay empty. */
static int strays(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
        strcmp(e->d_name, "snap"))
      n++;
  closedir(d);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char base[] = "/tmp/fuzz-layer-XXXXXX";
  if (!mkdtemp(base))
    abort();
  char snap[64];
  snprintf(snap, sizeof snap, "%s/snap", base);
  if (mkdir(snap, 0755) < 0)
    abort();
  int fd = memfd_create("layer", MFD_CLOEXEC);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size)
    abort();
  lseek(fd, 0, SEEK_SET);
  struct berth_layer_limits lim = {.max_bytes = 1 << 20, .max_entries = 1000};
  struct berth_layer_stats st;
  berth_error *err = NULL;
  berth_layer_unpack(fd, BERTH_LAYER_AUTO, snap, &lim, &st, &err);
  berth_error_free(err);
  close(fd);
  if (strays(base) != 0)
    abort(); /* something escaped the snapshot */
  berth_rm_rf(base, NULL);
  return 0;
}
