/* top: ps's view of a container's processes (see top.h). */
#include "top.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "state.h"

/* Reads fd to its end; NULL when out of memory (64 MiB at most). */
static char *read_all(int fd) {
  size_t cap = 4096, len = 0;
  char *out = malloc(cap);
  ssize_t r;
  while (out && (r = read(fd, out + len, cap - len - 1)) != 0) {
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    len += (size_t)r;
    if (cap - len < 2) {
      char *bigger = len < (64u << 20) ? realloc(out, cap *= 2) : NULL;
      if (!bigger)
        break;
      out = bigger;
    }
  }
  if (out)
    out[len] = '\0';
  return out;
}

/* Runs `ps ARGS... [-q PIDS]` and returns its output; NULL when ps
 * failed.  The pid list makes ps cheaper; some options (f) refuse it. */
static char *run_ps(char **args, size_t nargs, const char *pids,
                    char *const *envp) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return NULL;
  char **av = calloc(nargs + 4, sizeof *av);
  size_t k = 0;
  av[k++] = (char *)"ps";
  for (size_t i = 0; i < nargs; i++)
    av[k++] = args[i];
  if (pids) {
    av[k++] = (char *)"-q";
    av[k++] = (char *)pids;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  pid_t pid;
  int rc = posix_spawnp(&pid, "ps", &fa, NULL, av, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(av);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return NULL;
  }
  char *out = read_all(fds[0]);
  close(fds[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* The whitespace-separated fields of a line; at most max, the last one
 * being the rest of the line, its fields joined by one space (Docker). */
static json_t *fields(const char *line, size_t len, size_t max) {
  json_t *a = json_array();
  const char *p = line, *end = line + len;
  while (p < end) {
    p += strspn(p, " \t");
    if (p >= end)
      break;
    size_t l = strcspn(p, " \t\n");
    if (l > (size_t)(end - p))
      l = (size_t)(end - p);
    if (max && json_array_size(a) == max) {
      json_t *last = json_array_get(a, max - 1);
      char *joined = NULL;
      if (asprintf(&joined, "%s %.*s", json_string_value(last), (int)l, p) >=
          0)
        json_array_set_new(a, max - 1, json_string(joined));
      free(joined);
    } else {
      json_array_append_new(a, json_stringn(p, l));
    }
    p += l;
  }
  return a;
}

static int pid_index(json_t *titles) {
  size_t i;
  json_t *t;
  json_array_foreach(titles, i, t) if (strcmp(json_string_value(t), "PID") ==
                                       0) return (int)i;
  return -1;
}

static bool pid_in(json_t *row, int col, const pid_t *pids, size_t n) {
  const char *s = json_string_value(json_array_get(row, (size_t)col));
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || end == s)
    return false;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == v)
      return true;
  return false;
}

int berth_top_parse(const char *ps_out, const pid_t *pids, size_t n,
                    json_t **out, berth_error **err) {
  size_t hlen = strcspn(ps_out, "\n");
  json_t *titles = fields(ps_out, hlen, 0);
  int col = pid_index(titles);
  if (col < 0) {
    json_decref(titles);
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "couldn't find PID field in ps output");
  }
  json_t *procs = json_array();
  for (const char *l = ps_out + hlen + (ps_out[hlen] == '\n'); *l;) {
    size_t len = strcspn(l, "\n");
    json_t *row = fields(l, len, json_array_size(titles));
    if (pid_in(row, col, pids, n))
      json_array_append(procs, row);
    json_decref(row);
    l += len + (l[len] == '\n');
  }
  *out = json_pack("{s:o,s:o}", "Titles", titles, "Processes", procs);
  return 0;
}

static int ctr_pids(struct berth_engine *e, const char *ref, pid_t **pids,
                    size_t *n, berth_error **err) {
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, ref, &c, err) < 0)
    return -1;
  if (c->pid <= 0 || !berth_proc_alive(c->pid, c->pid_start) ||
      (strcmp(c->state, BERTH_ST_RUNNING) != 0 &&
       strcmp(c->state, BERTH_ST_PAUSED) != 0))
    return berth_error_set(err, BERTH_ERR_STATE, 0,
                           "container `%s` is not running", ref);
  struct berth_ctx ctx;
  berth_log log;
  berth_engine_runtime_ctx(e, &ctx, &log);
  return berth_container_pids(&ctx, c->id, pids, n, err);
}

/* "1,2,3": ps's -q list. */
static char *pid_list(const pid_t *pids, size_t n) {
  size_t cap = n * 12 + 1, len = 0;
  char *list = calloc(1, cap);
  for (size_t i = 0; list && i < n; i++)
    len += (size_t)snprintf(list + len, cap - len, "%s%d", i ? "," : "",
                            (int)pids[i]);
  return list;
}

int berth_ctr_top(struct berth_engine *e, const char *ref,
                  const char *ps_args, json_t **out, berth_error **err) {
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (ctr_pids(e, ref, &pids, &n, err) < 0)
    return -1;
  _cleanup_free_ char *copy = strdup(ps_args && *ps_args ? ps_args : "-ef");
  char *args[64], *save = NULL;
  size_t nargs = 0;
  for (char *t = copy ? strtok_r(copy, " ", &save) : NULL;
       t && nargs < ARRAY_SIZE(args); t = strtok_r(NULL, " ", &save))
    args[nargs++] = t;
  if (nargs == 0)
    args[nargs++] = (char *)"-ef";
  _cleanup_free_ char *list = pid_list(pids, n);
  _cleanup_free_ char *ps = n && list ? run_ps(args, nargs, list, e->envp)
                                      : NULL;
  if (!ps)
    ps = run_ps(args, nargs, NULL, e->envp);
  if (!ps)
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0,
                           "running `ps` failed");
  return berth_top_parse(ps, pids, n, out, err);
}
