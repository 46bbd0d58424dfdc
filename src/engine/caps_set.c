/* The capability set of a container. */
#include "caps_set.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include <sys/prctl.h>

#include "bundle.h"
#include "caps.h"

const char *const berth_default_caps[] = {
    "CAP_CHOWN",      "CAP_DAC_OVERRIDE",     "CAP_FSETID",
    "CAP_FOWNER",     "CAP_MKNOD",            "CAP_NET_RAW",
    "CAP_SETGID",     "CAP_SETUID",           "CAP_SETFCAP",
    "CAP_SETPCAP",    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",       "CAP_AUDIT_WRITE",      NULL};

struct capset {
  bool have[64];
  bool bounded[64]; /* what berth itself may hand out */
  unsigned last;
};

/* The number of a cap name ("net_admin", "CAP_NET_ADMIN"); -2 for ALL,
 * -1 when unknown. */
static int cap_number(const char *name) {
  if (strcasecmp(name, "ALL") == 0)
    return -2;
  char full[64];
  snprintf(full, sizeof full, "%s%s",
           strncasecmp(name, "CAP_", 4) == 0 ? "" : "CAP_", name);
  for (char *p = full; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  return berth_cap_from_name(full);
}

/* Marks the caps of list in set (want[n] = true); *all when ALL is there. */
static int read_list(json_t *list, const char *flag, bool want[64], bool *all,
                     berth_error **err) {
  size_t i;
  json_t *v;
  *all = false;
  json_array_foreach(list, i, v) {
    const char *name = json_string_value(v);
    int n = name ? cap_number(name) : -1;
    if (n == -2) {
      *all = true;
      continue;
    }
    if (n < 0 || n >= 64)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid %s `%s`: unknown capability", flag,
                             name ? name : "");
    want[n] = true;
  }
  return 0;
}

static void init_set(struct capset *s, bool privileged) {
  s->last = berth_cap_last();
  /* A host may withhold some from root (CAP_SYS_RESOURCE here): "all"
   * is what berth's own bounding set holds. */
  for (unsigned i = 0; i <= s->last && i < 64; i++) {
    s->bounded[i] = prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1;
    s->have[i] = privileged && s->bounded[i];
  }
  if (privileged)
    return;
  for (const char *const *p = berth_default_caps; *p; p++) {
    int n = berth_cap_from_name(*p);
    if (n >= 0 && n < 64)
      s->have[n] = true;
  }
}

int berth_caps_set(json_t *hc, json_t **out, berth_error **err) {
  struct capset s = {0};
  bool add[64] = {false}, drop[64] = {false}, add_all, drop_all;
  if (read_list(json_object_get(hc, "CapAdd"), "--cap-add", add, &add_all,
                err) < 0 ||
      read_list(json_object_get(hc, "CapDrop"), "--cap-drop", drop, &drop_all,
                err) < 0)
    return -1;
  bool privileged = json_is_true(json_object_get(hc, "Privileged"));
  init_set(&s, privileged);
  for (unsigned i = 0; !privileged && i <= s.last && i < 64; i++) {
    if (add_all)
      s.have[i] = s.bounded[i] && !drop[i];
    else if (drop_all)
      s.have[i] = add[i];
    else
      s.have[i] = (s.have[i] && !drop[i]) || add[i];
  }
  json_t *set = json_array();
  for (unsigned i = 0; i <= s.last && i < 64; i++)
    if (s.have[i])
      json_array_append_new(set, json_string(berth_cap_name(i)));
  *out = set;
  return 0;
}
