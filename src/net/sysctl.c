/* /proc/sys values.  /proc/sys/net is the network namespace of the
 * process that opens the file, so this acts where the caller is. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "netlink.h"

/* Relative, below /proc/sys, no empty, "." or ".." component. */
static bool path_ok(const char *path) {
  if (path == NULL || path[0] == '\0' || path[0] == '/' || strlen(path) > 200)
    return false;
  for (const char *c = path; *c;) {
    size_t n = strcspn(c, "/");
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && strncmp(c, "..", 2) == 0))
      return false;
    c += n;
    if (*c == '/' && *++c == '\0')
      return false;
  }
  return true;
}

/* The value as the kernel prints it, without the newline (and with the
 * tabs between a vector's numbers as they are). */
static int read_value(int fd, char *buf, size_t len) {
  ssize_t n = pread(fd, buf, len - 1, 0);
  if (n < 0)
    return -1;
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return 0;
}

int berth_sysctl_read(const char *path, char *buf, size_t len,
                      berth_error **err) {
  if (!path_ok(path))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "sysctl `%s`: invalid path",
                           path ? path : "");
  char full[256];
  snprintf(full, sizeof(full), "/proc/sys/%s", path);
  _cleanup_close_ int fd = open(full, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read_value(fd, buf, len) < 0)
    return berth_error_sys(err, "read sysctl `%s`", path);
  return 0;
}

int berth_sysctl_ensure(const char *path, const char *value, berth_error **err) {
  if (!path_ok(path))
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "sysctl `%s`: invalid path",
                           path ? path : "");
  char full[256], cur[256];
  snprintf(full, sizeof(full), "/proc/sys/%s", path);
  _cleanup_close_ int fd = open(full, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read_value(fd, cur, sizeof(cur)) < 0)
    return berth_error_sys(err, "read sysctl `%s`", path);
  /* Reading first: a write has side effects even when it changes nothing
   * (writing ip_forward resets every interface's forwarding), and a
   * read-only /proc/sys that already holds the value is no error. */
  if (strcmp(cur, value) == 0)
    return 0;
  _cleanup_close_ int wfd = open(full, O_WRONLY | O_CLOEXEC);
  size_t len = strlen(value);
  if (wfd < 0 || write(wfd, value, len) != (ssize_t)len)
    return berth_error_sys(err, "set sysctl `%s` to `%s`", path, value);
  return 0;
}
