/* Docker's exec events: exec_create and exec_start carry the command in
 * their action text, all three carry the exec instance's id (execID),
 * exec_die also its exit code (moby's daemon/exec.go and monitor.go
 * record them so; `docker events --filter event=exec_start` matches the
 * text by prefix, event_filter.c). */
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "events.h"

void berth_exec_new_id(char out[65]) {
  unsigned char b[32] = {0};
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    /* Unique, if not unpredictable: ids name, they do not protect. */
    static unsigned long n;
    snprintf((char *)b, sizeof b, "%ld-%lu", (long)getpid(), ++n);
  }
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* "WHAT: CMD ARGS": Docker joins the entrypoint and the arguments with a
 * space, so a command without arguments ends with one. */
static char *action_text(const char *what, char *const *argv) {
  size_t len = strlen(what) + 3;
  for (size_t i = 0; argv && argv[i]; i++)
    len += strlen(argv[i]) + 1;
  char *s = malloc(len);
  if (!s)
    return NULL;
  char *p = s + sprintf(s, "%s: %s ", what, argv && argv[0] ? argv[0] : "");
  for (size_t i = 1; argv && argv[0] && argv[i]; i++)
    p += sprintf(p, "%s%s", i > 1 ? " " : "", argv[i]);
  return s;
}

int berth_exec_event(struct berth_db *db, const char *what,
                     const char *ctr_id, const char *exec_id,
                     char *const *argv, berth_error **err) {
  char *action = action_text(what, argv);
  json_t *extra = json_pack("{s:s}", "execID", exec_id);
  int rc = action && extra
               ? berth_event_add_ctr(db, action, ctr_id, extra, err)
               : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "out of memory");
  json_decref(extra);
  free(action);
  return rc;
}

void berth_exec_events_start(struct berth_db *db, const char *ctr_id,
                             const struct berth_exec_req *r) {
  if (!r->exec_id)
    return;
  /* The log is a record, not a condition of the exec: a failed write
   * does not stop the process. */
  if (r->exec_create)
    berth_exec_event(db, "exec_create", ctr_id, r->exec_id, r->argv, NULL);
  berth_exec_event(db, "exec_start", ctr_id, r->exec_id, r->argv, NULL);
}

int berth_exec_event_die(struct berth_db *db, const char *ctr_id,
                         const char *exec_id, int exit_code,
                         berth_error **err) {
  char code[16];
  snprintf(code, sizeof code, "%d", exit_code);
  /* Docker's attributes are strings, exitCode too. */
  json_t *extra =
      json_pack("{s:s,s:s}", "execID", exec_id, "exitCode", code);
  int rc = extra ? berth_event_add_ctr(db, "exec_die", ctr_id, extra, err)
                 : berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "out of memory");
  json_decref(extra);
  return rc;
}
