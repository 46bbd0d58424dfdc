/* berth events and berth top. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "rows.h"
#include "cleanup.h"
#include "container.h"
#include "containers.h"
#include "engine.h"
#include "logs.h"
#include "lookup.h"
#include "state.h"
#include "stats.h"


static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct ev_filter {
  char key[16];
  const char *value;
};

static const char *const ev_filter_keys[] = {"type", "event", "container",
                                             "image", "volume"};

/* Docker matches a container by an id or name prefix. */
static bool prefix_of(const char *want, const char *have) {
  return have && strncmp(have, want, strlen(want)) == 0;
}

static bool ev_key_match(const struct berth_event *ev, const char *key,
                         const char *v) {
  const char *name = json_string_value(json_object_get(ev->attributes, "name"));
  const char *image =
      json_string_value(json_object_get(ev->attributes, "image"));
  if (strcmp(key, "type") == 0)
    return strcmp(ev->type, v) == 0;
  if (strcmp(key, "event") == 0)
    return strcmp(ev->action, v) == 0;
  if (strcmp(key, "container") == 0)
    return strcmp(ev->type, "container") == 0 &&
           (prefix_of(v, ev->actor) || prefix_of(v, name));
  if (strcmp(key, "volume") == 0)
    return strcmp(ev->type, "volume") == 0 && strcmp(ev->actor, v) == 0;
  /* image: an image event's own image (its id, id prefix or name as
   * typed or normalised), as Docker. */
  if (strcmp(ev->type, "image") == 0) {
    _cleanup_free_ char *full = berth_image_normalise(v);
    return strcmp(ev->actor, v) == 0 ||
           (name && (strcmp(name, v) == 0 || (full && !strcmp(name, full)))) ||
           (strncmp(ev->actor, "sha256:", 7) == 0 &&
            prefix_of(v, ev->actor + 7));
  }
  /* image: as given, or its name without the tag. */
  size_t vl = strlen(v);
  return image && (strcmp(image, v) == 0 ||
                   (strncmp(image, v, vl) == 0 && image[vl] == ':'));
}

/* Values of one key are alternatives; different keys must all match. */
static bool ev_match(const struct berth_event *ev, const struct ev_filter *f,
                     size_t n) {
  for (size_t k = 0; k < ARRAY_SIZE(ev_filter_keys); k++) {
    bool any = false, ok = false;
    for (size_t i = 0; i < n; i++)
      if (strcmp(f[i].key, ev_filter_keys[k]) == 0) {
        any = true;
        ok = ok || ev_key_match(ev, f[i].key, f[i].value);
      }
    if (any && !ok)
      return false;
  }
  return true;
}

static int parse_ev_filters(const struct strlist *l, struct ev_filter *f) {
  for (size_t i = 0; i < l->n; i++) {
    const char *s = l->items[i], *eq = strchr(s, '=');
    bool known = false;
    for (size_t k = 0; eq && k < ARRAY_SIZE(ev_filter_keys); k++)
      known = known || (strlen(ev_filter_keys[k]) == (size_t)(eq - s) &&
                        strncmp(ev_filter_keys[k], s, (size_t)(eq - s)) == 0);
    if (!known)
      return cli_errorf(EXIT_USAGE, "events: invalid filter `%s`", s), -1;
    snprintf(f[i].key, sizeof f[i].key, "%.*s", (int)(eq - s), s);
    f[i].value = eq + 1;
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "2026-11-23T10:00:00.123456789Z container start ID (image=x, name=y)" */
static void print_event_text(const struct berth_event *ev) {
  time_t s = (time_t)(ev->time_ns / 1000000000);
  struct tm tm;
  char t[32];
  gmtime_r(&s, &tm);
  strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  printf("%s.%09lldZ %s %s %s", t, (long long)(ev->time_ns % 1000000000),
         ev->type, ev->action, ev->actor);
  size_t n = json_object_size(ev->attributes), k = 0;
  const char **keys = calloc(n + 1, sizeof *keys);
  const char *key;
  json_t *v;
  json_object_foreach(ev->attributes, key, v) if (keys) keys[k++] = key;
  if (keys && n) {
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 0; i < n; i++) {
      json_t *val = json_object_get(ev->attributes, keys[i]);
      char *text = json_is_string(val)
                       ? strdup(json_string_value(val))
                       : json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
      printf("%s%s=%s", i ? ", " : " (", keys[i], text ? text : "");
      free(text);
    }
    putchar(')');
  }
  free(keys);
  putchar('\n');
}

/* --format json and {{json .}} print the Engine API's events.Message; a
 * template also reads its Go field names (.Status .ID .Time ...). */
static int print_event(const struct berth_event *ev, struct cli_format *f) {
  if (!f) {
    print_event_text(ev);
    return 0;
  }
  json_t *methods = NULL, *j = berth_event_message(ev, &methods);
  int rc = cli_format_row(f, j, methods);
  json_decref(j);
  json_decref(methods);
  return rc;
}

struct ev_query {
  int64_t since, until; /* ns; 0: unbounded */
  bool follow;
  struct ev_filter f[64];
  size_t nf;
  struct cli_format *format; /* NULL: Docker's text lines */
};

/* Signals that end a follow are blocked and waited for with the poll's
 * timeout, so the loop ends cleanly between two writes.  SIGPIPE is
 * ignored: a closed reader shows up as a failed fflush. */
static void block_stop_signals(sigset_t *set, sigset_t *old) {
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGHUP);
  sigprocmask(SIG_BLOCK, set, old);
  signal(SIGPIPE, SIG_IGN);
}

/* A pipe whose reader has gone reports POLLERR on its write end: a
 * follow that prints nothing for hours still ends with `| head`. */
static bool reader_gone(void) {
  struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static int events_loop(struct berth_engine *e, const struct ev_query *q,
                       int64_t after) {
  sigset_t set, old;
  block_stop_signals(&set, &old);
  const size_t batch = 256;
  int status = 0;
  for (;;) {
    int64_t polled_at = now_ns();
    struct berth_event *ev = NULL;
    size_t n = 0;
    berth_error *err = NULL;
    if (berth_events_list(e->db, after, q->since, q->until, batch, &ev, &n,
                          &err) < 0) {
      status = cli_error(err, 1);
      break;
    }
    for (size_t i = 0; i < n && !status; i++) {
      after = ev[i].seq;
      if (ev_match(&ev[i], q->f, q->nf) && print_event(&ev[i], q->format) < 0)
        status = EXIT_USAGE;
    }
    berth_events_free(ev, n);
    if (status)
      break;
    if (fflush(stdout) != 0 || ferror(stdout) || reader_gone())
      break; /* the reader went away */
    if (n == batch)
      continue;
    /* Events are timed before they commit: one more poll after until
     * has passed catches those that were committing meanwhile. */
    if (!q->follow || (q->until && polled_at > q->until + 200000000))
      break;
    struct timespec tick = {0, 200000000};
    if (sigtimedwait(&set, NULL, &tick) > 0)
      break;
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return status;
}

int cmd_events(struct berth_cli *cli, int argc, char **argv) {
  const char *since = NULL, *until = NULL, *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"since", OPT_STRING, &since, NULL,
       "Show all events created since timestamp"},
      {"until", OPT_STRING, &until, NULL, "Stream events until this timestamp"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Filter output based on conditions provided"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w ||
      cli_args("events", nw, w, opts, ARRAY_SIZE(opts), pos, 0, &npos) < 0)
    return EXIT_USAGE;
  struct ev_query q = {.nf = filters.n};
  if (parse_ev_filters(&filters, q.f) < 0)
    return EXIT_USAGE;
  struct cli_format f = {0};
  if (format && cli_format_open(&f, "events", format, NULL, NULL) < 0)
    return EXIT_USAGE;
  q.format = format ? &f : NULL;
  berth_error *err = NULL;
  int64_t now = now_ns();
  if ((since &&
       berth_parse_log_time("--since", since, now, &q.since, &err) < 0) ||
      (until &&
       berth_parse_log_time("--until", until, now, &q.until, &err) < 0))
    return cli_error(err, EXIT_USAGE);
  if (since && until && q.since > q.until)
    return cli_errorf(EXIT_USAGE, "events: --since is after --until");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  /* As Docker: with neither bound only new events; an --until in the
   * future follows until then. */
  int64_t after = 0;
  if (!since && !until && berth_events_last_seq(e->db, &after, &err) < 0)
    return cli_error(err, 1);
  q.follow = !until || q.until > now;
  int rc = events_loop(e, &q, after);
  cli_format_close(&f);
  return rc;
}

/* ---- top ---- */

/* Runs `ps ARGS... [-q PIDS]` and returns its output; NULL when ps
 * failed.  The pid list makes ps cheaper; some options (f) refuse it. */
static char *run_ps(char **args, size_t nargs, const char *pids, char **envp) {
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
  size_t cap = 4096, len = 0;
  char *out = malloc(cap);
  ssize_t r;
  while (out && (r = read(fds[0], out + len, cap - len - 1)) != 0) {
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
  close(fds[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!out || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    free(out);
    return NULL;
  }
  out[len] = '\0';
  return out;
}

/* The index of the PID column in ps's header, -1 when there is none. */
static int pid_column(const char *header) {
  int col = 0;
  for (const char *p = header; *p;) {
    p += strspn(p, " \t");
    size_t l = strcspn(p, " \t\n");
    if (l == 0)
      break;
    if (l == 3 && strncmp(p, "PID", 3) == 0)
      return col;
    col++;
    p += l;
  }
  return -1;
}

static bool line_pid_in(const char *line, int col, const pid_t *pids,
                        size_t n) {
  const char *p = line;
  for (int i = 0; i <= col; i++) {
    p += strspn(p, " \t");
    if (i == col)
      break;
    p += strcspn(p, " \t\n");
  }
  char *end;
  long v = strtol(p, &end, 10);
  if (end == p)
    return false;
  for (size_t i = 0; i < n; i++)
    if (pids[i] == v)
      return true;
  return false;
}

/* ps's header and its lines about the container's processes. */
static int print_ps_filtered(const char *out, const pid_t *pids, size_t n) {
  const char *nl = strchr(out, '\n');
  size_t hlen = nl ? (size_t)(nl - out) : strlen(out);
  _cleanup_free_ char *header = strndup(out, hlen);
  int col = header ? pid_column(header) : -1;
  if (col < 0)
    return cli_errorf(1, "top: couldn't find PID field in ps output");
  puts(header);
  for (const char *l = nl ? nl + 1 : ""; *l;) {
    size_t len = strcspn(l, "\n");
    if (line_pid_in(l, col, pids, n))
      printf("%.*s\n", (int)len, l);
    l += len + (l[len] == '\n');
  }
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

int cmd_top(struct berth_cli *cli, int argc, char **argv) {
  /* Everything after the container is ps's: no flags of our own (but
   * --help, and Docker's error for any other flag before it). */
  if (argc >= 1 && argv[0][0] == '-') {
    char *pos[1];
    size_t npos;
    if (cli_args("top", 1, argv, NULL, 0, pos, 1, &npos) < 0)
      return EXIT_USAGE;
  }
  if (argc < 1 || argv[0][0] == '-')
    return cli_errorf(EXIT_USAGE, "top: usage: berth top CONTAINER "
                                  "[ps OPTIONS]");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (ctr_pids(e, argv[0], &pids, &n, &err) < 0)
    return cli_error(err, 1);
  /* Docker passes the options as one string split at spaces. */
  char *args[64];
  size_t nargs = 0;
  _cleanup_free_ char *joined = NULL;
  for (int i = 1; i < argc; i++) {
    char *j = NULL;
    if (asprintf(&j, "%s%s%s", joined ? joined : "", joined ? " " : "",
                 argv[i]) < 0)
      return cli_errorf(1, "top: out of memory");
    free(joined);
    joined = j;
  }
  char *save = NULL;
  for (char *t = joined ? strtok_r(joined, " ", &save) : NULL;
       t && nargs < ARRAY_SIZE(args); t = strtok_r(NULL, " ", &save))
    args[nargs++] = t;
  if (nargs == 0)
    args[nargs++] = (char *)"-ef";
  size_t cap = n * 12 + 1, len = 0;
  _cleanup_free_ char *list = calloc(1, cap);
  for (size_t i = 0; list && i < n; i++)
    len += (size_t)snprintf(list + len, cap - len, "%s%d", i ? "," : "",
                            (int)pids[i]);
  _cleanup_free_ char *out = n ? run_ps(args, nargs, list, cli->envp) : NULL;
  if (!out)
    out = run_ps(args, nargs, NULL, cli->envp);
  if (!out)
    return cli_errorf(1, "top: running `ps` failed");
  return print_ps_filtered(out, pids, n);
}
