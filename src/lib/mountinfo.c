/* /proc/self/mountinfo, read for the few facts berth needs. */
#include "mountinfo.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    unsigned v;
    if (p[0] == '\\' && sscanf(p + 1, "%3o", &v) == 1) {
      *o++ = (char)v;
      p += 3;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
}

/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
bool berth_mountinfo_parse(char *line, struct berth_mountinfo *m) {
  char *save = NULL, *f[5];
  for (int i = 0; i < 5; i++)
    if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
      return false;
  char *t;
  while ((t = strtok_r(NULL, " ", &save)) && strcmp(t, "-") != 0)
    ;
  if (!t || !(m->fstype = strtok_r(NULL, " ", &save)))
    return false;
  m->id = strtoul(f[0], NULL, 10);
  m->point = f[4];
  unescape(m->point);
  unescape(m->fstype);
  return true;
}

void berth_mount_fstype(int fd, char *buf, size_t len) {
  snprintf(buf, len, "unknown");
  struct statx stx;
  if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
      !(stx.stx_mask & STATX_MNT_ID))
    return;
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  struct berth_mountinfo m;
  while (f && getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    if (berth_mountinfo_parse(line, &m) && m.id == stx.stx_mnt_id) {
      snprintf(buf, len, "%s", m.fstype);
      return;
    }
  }
}
