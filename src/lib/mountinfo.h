/* /proc/self/mountinfo, read for the few facts berth needs. */
#ifndef BERTH_LIB_MOUNTINFO_H
#define BERTH_LIB_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

/* One line: the mount's id, its mount point and filesystem type (both
 * unescaped, pointing into the line). */
struct berth_mountinfo {
  unsigned long id;
  char *point, *fstype;
};

/* Parses (and modifies) one line without its newline; false if malformed. */
bool berth_mountinfo_parse(char *line, struct berth_mountinfo *m);
/* The type of the filesystem mounted where fd is, as the caller's mount
 * namespace lists it ("unknown" if it cannot be told). */
void berth_mount_fstype(int fd, char *buf, size_t len);

#endif
