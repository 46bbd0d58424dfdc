/* Signal names as kill(1) and runc accept them: "KILL", "SIGKILL", "9". */
#ifndef BERTH_LIB_SIGNALS_H
#define BERTH_LIB_SIGNALS_H

/* Returns the signal number or -1 when unknown. */
int berth_signal_parse(const char *s);

#endif
