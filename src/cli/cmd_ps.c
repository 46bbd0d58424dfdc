/* berth ps, inspect, logs: looking at containers. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "ctr_filter.h"
#include "create.h"
#include "engine.h"
#include "images.h"
#include "logs.h"
#include "start.h"
#include "state.h"

static void rfc3339_ns(int64_t ns, char *out, size_t len) {
  if (ns <= 0) {
    snprintf(out, len, "0001-01-01T00:00:00Z");
    return;
  }
  time_t s = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char base[32];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, len, "%s.%09lldZ", base, (long long)(ns % 1000000000));
}

static void human_duration(int64_t secs, char *out, size_t len) {
  if (secs < 1)
    snprintf(out, len, "Less than a second");
  else if (secs < 60)
    snprintf(out, len, "%lld second%s", (long long)secs, secs > 1 ? "s" : "");
  else if (secs < 3600)
    snprintf(out, len, "%lld minute%s", (long long)secs / 60,
             secs >= 120 ? "s" : "");
  else if (secs < 86400 * 2)
    snprintf(out, len, "%lld hour%s", (long long)secs / 3600,
             secs >= 7200 ? "s" : "");
  else
    snprintf(out, len, "%lld days", (long long)secs / 86400);
}

/* "Up 5 seconds", "Exited (0) 3 minutes ago", as docker ps. */
static void status_text(const struct berth_ctr *c, char *out, size_t len) {
  int64_t now = (int64_t)time(NULL);
  char d[64];
  if (strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
      strcmp(c->state, BERTH_ST_PAUSED) == 0) {
    human_duration(now - c->started_at / 1000000000, d, sizeof d);
    snprintf(out, len, "Up %s%s%s%s", d,
             strcmp(c->state, BERTH_ST_PAUSED) == 0 ? " (Paused)" : "",
             c->health ? " (" : "", c->health ? c->health : "");
    if (c->health)
      strncat(out, ")", len - strlen(out) - 1);
  } else if (strcmp(c->state, BERTH_ST_EXITED) == 0) {
    human_duration(now - c->finished_at / 1000000000, d, sizeof d);
    snprintf(out, len, "Exited (%d) %s ago", c->exit_code, d);
  } else if (strcmp(c->state, BERTH_ST_RESTARTING) == 0) {
    human_duration(now - c->finished_at / 1000000000, d, sizeof d);
    snprintf(out, len, "Restarting (%d) %s ago", c->exit_code, d);
  } else {
    snprintf(out, len, "%c%s", c->state[0] - 'a' + 'A', c->state + 1);
  }
}

static char *command_text(const struct berth_ctr *c) {
  size_t cap = 256, n = 0;
  char *s = calloc(1, cap);
  const char *keys[] = {"Entrypoint", "Cmd"};
  for (int k = 0; s && k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      const char *w = json_string_value(v);
      n += (size_t)snprintf(s + n, n < cap ? cap - n : 0, "%s%s", n ? " " : "",
                            w ? w : "");
    }
  }
  if (s && n >= cap)
    s[cap - 1] = '\0';
  return s;
}

static json_t *health_log(struct berth_engine *e, const char *id) {
  char path[4200];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/health.json", sizeof path - strlen(path) - 1);
  json_t *log = json_load_file(path, 0, NULL);
  return json_is_array(log) ? log : (json_decref(log), json_array());
}

static json_t *state_json(const struct berth_ctr *c) {
  char started[48], finished[48];
  rfc3339_ns(c->started_at, started, sizeof started);
  rfc3339_ns(c->finished_at, finished, sizeof finished);
  json_t *s = json_pack(
      "{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", c->state,
      "Running", strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
                     strcmp(c->state, BERTH_ST_PAUSED) == 0,
      "Paused", strcmp(c->state, BERTH_ST_PAUSED) == 0, "Restarting",
      strcmp(c->state, BERTH_ST_RESTARTING) == 0, "OOMKilled", c->oom_killed,
      "Dead", strcmp(c->state, BERTH_ST_DEAD) == 0, "Pid", (int)c->pid,
      "ExitCode", c->exit_code, "Error", c->error ? c->error : "",
      "StartedAt", started, "FinishedAt", finished);
  if (c->health)
    json_object_set_new(s, "Health",
                        json_pack("{s:s,s:i}", "Status", c->health,
                                  "FailingStreak", c->health_failures));
  return s;
}

static json_t *inspect_json(struct berth_engine *e, const struct berth_ctr *c) {
  char created[48], dir[4096];
  rfc3339_ns(c->created, created, sizeof created);
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  json_t *config = json_deep_copy(c->config);
  json_t *host = json_incref(json_object_get(config, "HostConfig"));
  json_object_del(config, "HostConfig");
  json_object_set_new(config, "Image", json_string(c->image_name));
  json_t *args = json_array();
  const char *path = "";
  const char *keys[] = {"Entrypoint", "Cmd"};
  for (int k = 0; k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      if (!*path)
        path = json_string_value(v);
      else
        json_array_append(args, v);
    }
  }
  char name[256], log[4200], upper[4200], work[4200], merged[4200];
  snprintf(name, sizeof name, "/%s", c->name);
  snprintf(log, sizeof log, "%s/ctr.log", dir);
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(merged, sizeof merged, "%s/rootfs", dir);
  json_t *mounts = json_copy(json_object_get(host, "Mounts"));
  json_t *j = json_pack(
      "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:i,s:s,s:o,s:o,s:o,s:{s:s,s:{s:s,s:s,s:s}}}",
      "Id", c->id, "Created", created, "Path", path, "Args", args, "State",
      state_json(c), "Image", c->image_id, "Name", name, "RestartCount",
      c->restart_count, "LogPath", log, "HostConfig", host ? host : json_object(),
      "Config", config, "Mounts", mounts ? mounts : json_array(),
      "GraphDriver", "Name", "overlay", "Data", "UpperDir", upper, "WorkDir",
      work, "MergedDir", merged);
  json_t *health = json_object_get(json_object_get(j, "State"), "Health");
  if (health)
    json_object_set_new(health, "Log", health_log(e, c->id));
  if (c->id_count)
    json_object_set_new(j, "IdMap",
                        json_pack("{s:I,s:I}", "HostIdBase",
                                  (json_int_t)c->id_base, "Size",
                                  (json_int_t)c->id_count));
  return j;
}

int cmd_ps(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, quiet = false, no_trunc = false, latest = false;
  const char *format = NULL;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Show all containers (default shows just running)"},
      {"quiet,q", OPT_BOOL, &quiet, NULL, "Only display container IDs"},
      {"no-trunc", OPT_BOOL, &no_trunc, NULL, "Don't truncate output"},
      {"latest,l", OPT_BOOL, &latest, NULL,
       "Show the latest created container (includes all states)"},
      {"filter,f", OPT_LIST, &filters, NULL,
       "Filter output based on conditions provided"},
      {"format", OPT_STRING, &format, NULL,
       "Format output using a custom template"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("ps", nw, w, opts, ARRAY_SIZE(opts), pos, 0, &npos) < 0)
    return EXIT_USAGE;
  struct berth_ctr_filter f = {.all = all || latest, .limit = latest ? 1 : 0};
  berth_error *err = NULL;
  for (size_t i = 0; i < filters.n; i++)
    if (berth_ctr_filter_add(&f, filters.items[i], &err) < 0)
      return cli_error(err, EXIT_USAGE);
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_ctr *list = NULL;
  size_t n = 0;
  if (berth_ctr_list_filtered(e, &f, &list, &n, &err) < 0)
    return cli_error(err, 1);
  if (!quiet && !format)
    printf("%-14s %-20s %-22s %-16s %-26s %-7s %s\n", "CONTAINER ID", "IMAGE",
           "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
  for (size_t i = 0; i < n; i++) {
    struct berth_ctr *c = &list[i];
    char status[96], created[64], id[65];
    snprintf(id, sizeof id, "%.*s", no_trunc ? 64 : 12, c->id);
    if (quiet) {
      puts(id);
    } else if (format) {
      json_t *j = inspect_json(e, c);
      status_text(c, status, sizeof status);
      json_object_set_new(j, "Status", json_string(status));
      json_object_set_new(j, "Names", json_string(c->name));
      cli_print_formatted(j, format);
      json_decref(j);
    } else {
      _cleanup_free_ char *cmd = command_text(c);
      char quoted[32];
      snprintf(quoted, sizeof quoted, "\"%.*s%s\"", 17, cmd ? cmd : "",
               cmd && strlen(cmd) > 17 ? "…" : "");
      status_text(c, status, sizeof status);
      cli_human_ago(NULL, c->created / 1000000000, created, sizeof created);
      printf("%-14s %-20s %-22s %-16s %-26s %-7s %s\n", id, c->image_name,
             quoted, created, status, "", c->name);
    }
  }
  berth_ctrs_free(list, n);
  return 0;
}

int cmd_inspect(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL, *type = NULL;
  const struct opt opts[] = {{"format,f", OPT_STRING, &format, NULL},
                             {"type", OPT_STRING, &type, NULL}};
  char *pos[256];
  size_t npos;
  if (cli_args("inspect", argc, argv, opts, ARRAY_SIZE(opts), pos, 256,
               &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "inspect: requires at least 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  json_t *all = json_array();
  int status = 0;
  for (size_t i = 0; i < npos; i++) {
    struct berth_ctr *c = NULL;
    berth_error *err = NULL;
    if ((!type || strcmp(type, "container") == 0) &&
        berth_ctr_find(e->db, pos[i], &c, &err) == 0) {
      berth_ctr_refresh(e, c, NULL);
      json_array_append_new(all, inspect_json(e, c));
      berth_ctr_free(c);
      continue;
    }
    if (!type || strcmp(type, "image") == 0) {
      berth_error_free(err);
      err = NULL;
      char *sub[] = {pos[i]};
      /* Images: what `berth image inspect` prints. */
      if (!format) {
        fflush(stdout);
        int rc = cmd_image_inspect(cli, 1, sub);
        if (rc)
          status = rc;
        continue;
      }
      berth_error_set(&err, BERTH_ERR_NOT_FOUND, 0,
                      "No such container: %s", pos[i]);
    }
    status = cli_error(err, 1);
  }
  if (format) {
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v) cli_print_template(v, format);
  } else if (json_array_size(all)) {
    cli_print_json(all);
  }
  json_decref(all);
  return status;
}

/* Shared by the entry callback and still_running (one data pointer). */
struct logs_ctx {
  bool timestamps;
  struct berth_engine *e;
  char id[65];
};

static int print_entry(const struct berth_log_entry *le, void *data) {
  struct logs_ctx *o = data;
  FILE *f = le->is_stderr ? stderr : stdout;
  if (o->timestamps)
    fprintf(f, "%s ", le->time_text);
  fwrite(le->line, 1, le->len, f);
  fflush(f);
  return 0;
}

static bool still_running(void *data) {
  struct logs_ctx *fc = data;
  struct berth_ctr *c = NULL;
  if (berth_ctr_get(fc->e->db, fc->id, &c, NULL) < 0)
    return false;
  berth_ctr_refresh(fc->e, c, NULL);
  bool r = strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
           strcmp(c->state, BERTH_ST_PAUSED) == 0 ||
           strcmp(c->state, BERTH_ST_RESTARTING) == 0;
  berth_ctr_free(c);
  return r;
}

int cmd_logs(struct berth_cli *cli, int argc, char **argv) {
  bool follow = false, timestamps = false;
  const char *tail = NULL, *since = NULL, *until = NULL;
  const struct opt opts[] = {{"follow,f", OPT_BOOL, &follow, NULL},
                             {"timestamps,t", OPT_BOOL, &timestamps, NULL},
                             {"tail,n", OPT_STRING, &tail, NULL},
                             {"since", OPT_STRING, &since, NULL},
                             {"until", OPT_STRING, &until, NULL}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w = cli_expand_short(argc, argv, opts,
                                             ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("logs", nw, w, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "logs: requires exactly 1 argument");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  struct berth_logs_opts lo = {.tail = -1, .follow = follow,
                               .still_running = still_running};
  berth_error *err = NULL;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  if (tail && strcmp(tail, "all") != 0) {
    char *end;
    lo.tail = strtoll(tail, &end, 10);
    if (*end || end == tail || lo.tail < 0)
      return cli_errorf(EXIT_USAGE, "logs: invalid --tail `%s`", tail);
  }
  if ((since && berth_parse_log_time("--since", since, now, &lo.since_ns,
                                     &err) < 0) ||
      (until && berth_parse_log_time("--until", until, now, &lo.until_ns,
                                     &err) < 0))
    return cli_error(err, EXIT_USAGE);
  struct berth_ctr *c = NULL;
  if (berth_ctr_find(e->db, pos[0], &c, &err) < 0)
    return cli_error(err, 1);
  struct logs_ctx lc = {.timestamps = timestamps, .e = e};
  memcpy(lc.id, c->id, sizeof lc.id);
  char path[4200];
  berth_ctr_dir(e, c->id, path, sizeof path);
  strncat(path, "/ctr.log", sizeof path - strlen(path) - 1);
  berth_ctr_free(c);
  lo.still_running = follow ? still_running : NULL;
  if (berth_logs_read(path, &lo, print_entry, &lc, &err) < 0)
    return cli_error(err, 1);
  return 0;
}
