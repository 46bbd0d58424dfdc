/* Signals as the Engine API names them, for kill, stop and restart (see
 * lifecycle.h). */
#include <signal.h>

#include "lifecycle.h"
#include "restart.h"
#include "signals.h"

/* 0 for no signal given (the caller's default); -1 and INVALID for one
 * that is not a signal. */
static int signal_of(const char *name, berth_error **err) {
  if (!name || !*name)
    return 0;
  int sig = berth_signal_parse(name);
  if (sig <= 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0, "invalid signal `%s`",
                           name);
  return sig;
}

int berth_ctr_kill_request(struct berth_engine *e, const char *ref,
                           const char *signal, berth_error **err) {
  int sig = signal_of(signal, err);
  if (sig < 0)
    return -1;
  return berth_ctr_signal(e, ref, sig ? sig : SIGKILL, err);
}

int berth_ctr_stop_request(struct berth_engine *e, const char *ref,
                           const char *signal, int timeout_s,
                           berth_error **err) {
  int sig = signal_of(signal, err);
  return sig < 0 ? -1 : berth_ctr_stop(e, ref, sig, timeout_s, err);
}

int berth_ctr_restart_request(struct berth_engine *e, const char *ref,
                              const char *signal, int timeout_s,
                              berth_error **err) {
  int sig = signal_of(signal, err);
  return sig < 0 ? -1 : berth_ctr_restart(e, ref, sig, timeout_s, err);
}
