#include "exit_status.h"

#include <errno.h>
#include <stddef.h>

/* First matching row wins; errno_value 0 matches any errno. */
static const struct {
  berth_error_kind kind;
  int errno_value;
  int status;
} exit_table[] = {
    /* As a shell: "not found" only when there is no such file; a file
     * that exists but cannot be executed (EACCES, ENOEXEC, a directory,
     * a missing interpreter reported as ELIBBAD...) cannot be invoked. */
    {BERTH_ERR_EXEC, ENOENT, BERTH_EXIT_NOT_FOUND},
    {BERTH_ERR_EXEC, 0, BERTH_EXIT_CANNOT_RUN},
    /* docker exec -w /missing: 126 (the command could not be invoked
     * there); a missing cwd of `run` is created instead. */
    {BERTH_ERR_CWD, 0, BERTH_EXIT_CANNOT_RUN},
};

int berth_exit_status_of_start(const berth_error *err) {
  if (err == NULL)
    return 0;
  for (size_t i = 0; i < sizeof(exit_table) / sizeof(exit_table[0]); i++)
    if (exit_table[i].kind == err->kind &&
        (exit_table[i].errno_value == 0 ||
         exit_table[i].errno_value == err->errno_value))
      return exit_table[i].status;
  return 0;
}

int berth_exit_status(const berth_error *err, int other) {
  int s = berth_exit_status_of_start(err);
  return s ? s : other;
}
