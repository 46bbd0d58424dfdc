/* Rows of Docker's listing commands, field by field as Docker's CLI
 * formatter contexts compute them (cli/command/formatter), so that
 * `--format` templates written for Docker print the same here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "inspect.h"
#include "ports.h"
#include "ports_spec.h"
#include "reference.h"
#include "rows.h"
#include "volume_files.h"

void berth_human_duration(int64_t secs, char *out, size_t len) {
  int64_t min = secs / 60, hours = (secs + 1800) / 3600;
  if (secs < 1)
    snprintf(out, len, "Less than a second");
  else if (secs == 1)
    snprintf(out, len, "1 second");
  else if (secs < 60)
    snprintf(out, len, "%lld seconds", (long long)secs);
  else if (min == 1)
    snprintf(out, len, "About a minute");
  else if (min < 60)
    snprintf(out, len, "%lld minutes", (long long)min);
  else if (hours == 1)
    snprintf(out, len, "About an hour");
  else if (hours < 48)
    snprintf(out, len, "%lld hours", (long long)hours);
  else if (hours < 24 * 7 * 2)
    snprintf(out, len, "%lld days", (long long)hours / 24);
  else if (hours < 24 * 30 * 2)
    snprintf(out, len, "%lld weeks", (long long)hours / 24 / 7);
  else if (hours < 24 * 365 * 2)
    snprintf(out, len, "%lld months", (long long)hours / 24 / 30);
  else
    snprintf(out, len, "%lld years", (long long)secs / 3600 / 24 / 365);
}

void berth_human_size(double bytes, char *out, size_t len) {
  static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  size_t u = 0;
  while (bytes >= 1000 && u + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1000;
    u++;
  }
  snprintf(out, len, "%.3g%s", bytes, units[u]);
}

/* "3 weeks ago" (Docker's CreatedSince / RunningFor). */
static void ago(int64_t unix_s, char *out, size_t len) {
  if (unix_s <= 0) {
    snprintf(out, len, "N/A");
    return;
  }
  char d[48];
  berth_human_duration((int64_t)time(NULL) - unix_s, d, sizeof d);
  snprintf(out, len, "%s ago", d);
}

/* Go's time.Time.String() in local time: "2026-12-07 01:05:44 +0000 UTC". */
static void go_time(int64_t unix_s, char *out, size_t len) {
  time_t s = (time_t)unix_s;
  struct tm tm;
  localtime_r(&s, &tm);
  strftime(out, len, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
}

/* Docker's Ellipsis: at most max characters, the last one "…". */
static void ellipsis(const char *s, size_t max, char *out, size_t len) {
  size_t chars = 0, i = 0, cut = 0;
  for (; s[i]; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars == max)
      cut = i;
  if (chars <= max)
    snprintf(out, len, "%s", s);
  else
    snprintf(out, len, "%.*s…", (int)cut, s);
}

static int strcmp_p(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "k=v,k2=v2", keys sorted. */
static char *labels_text(json_t *labels) {
  size_t n = json_object_size(labels), i = 0, total = 1;
  const char **keys = calloc(n + 1, sizeof *keys), *k;
  json_t *v;
  if (!keys)
    return NULL;
  json_object_foreach(labels, k, v) {
    keys[i++] = k;
    total += strlen(k) + json_string_length(v) + 2;
  }
  qsort(keys, n, sizeof *keys, strcmp_p);
  char *s = calloc(1, total);
  for (i = 0; s && i < n; i++) {
    strcat(s, i ? "," : "");
    strcat(s, keys[i]);
    strcat(s, "=");
    strcat(s, json_string_value(json_object_get(labels, keys[i])) ?: "");
  }
  free(keys);
  return s;
}

void berth_ctr_status_text(const struct berth_ctr *c, char *out, size_t len) {
  int64_t now = (int64_t)time(NULL);
  char d[64];
  if (strcmp(c->state, BERTH_ST_RUNNING) == 0 ||
      strcmp(c->state, BERTH_ST_PAUSED) == 0) {
    char health[48] = "";
    if (c->health)
      snprintf(health, sizeof health, " (%s%s)",
               strcmp(c->health, "starting") == 0 ? "health: " : "",
               c->health);
    berth_human_duration(now - c->started_at / 1000000000, d, sizeof d);
    snprintf(out, len, "Up %s%s%s", d,
             strcmp(c->state, BERTH_ST_PAUSED) == 0 ? " (Paused)" : "",
             health);
  } else if (strcmp(c->state, BERTH_ST_EXITED) == 0 ||
             strcmp(c->state, BERTH_ST_RESTARTING) == 0) {
    berth_human_duration(now - c->finished_at / 1000000000, d, sizeof d);
    snprintf(out, len, "%s (%d) %s ago",
             c->state[0] == 'e' ? "Exited" : "Restarting", c->exit_code, d);
  } else if (strcmp(c->state, BERTH_ST_REMOVING) == 0) {
    snprintf(out, len, "Removal In Progress");
  } else {
    snprintf(out, len, "%c%s", c->state[0] - 'a' + 'A', c->state + 1);
  }
}

char *berth_ctr_command_text(const struct berth_ctr *c) {
  json_t *words = json_array(), *v;
  const char *keys[] = {"Entrypoint", "Cmd"};
  size_t i, total = 1;
  for (int k = 0; k < 2; k++)
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      json_array_append(words, v);
      total += json_string_length(v) + 1;
    }
  char *s = calloc(1, total);
  json_array_foreach(words, i, v) if (s) {
    strcat(s, i ? " " : "");
    strcat(s, json_string_value(v) ? json_string_value(v) : "");
  }
  json_decref(words);
  return s;
}

/* strconv.Quote of s (Docker quotes the COMMAND column). */
static json_t *quoted(const char *s) {
  json_t *str = json_string(s);
  char *q = json_dumps(str, JSON_ENCODE_ANY); /* same escapes for text */
  json_t *r = json_string(q ? q : "\"\"");
  free(q);
  json_decref(str);
  return r;
}

/* Mount names, Docker's: the volume's name, else the source. */
static char *mounts_text(json_t *points, bool no_trunc, size_t *nvolumes) {
  size_t i, total = 1;
  json_t *m;
  *nvolumes = 0;
  json_array_foreach(points, i, m) total +=
      strlen(json_string_value(json_object_get(m, "Source")) ?: "") +
      strlen(json_string_value(json_object_get(m, "Name")) ?: "") + 4;
  char *s = calloc(1, total), cut[4200];
  json_array_foreach(points, i, m) {
    const char *name = json_string_value(json_object_get(m, "Name"));
    if (!name || !*name)
      name = json_string_value(json_object_get(m, "Source"));
    ellipsis(name ? name : "", no_trunc ? 4096 : 15, cut, sizeof cut);
    if (s) {
      strcat(s, i ? "," : "");
      strcat(s, cut);
    }
    const char *driver = json_string_value(json_object_get(m, "Driver"));
    *nvolumes += driver && strcmp(driver, "local") == 0;
  }
  return s;
}

void berth_ctr_size(struct berth_engine *e, const struct berth_ctr *c,
                    uint64_t *rw, uint64_t *rootfs) {
  char dir[4200];
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  strncat(dir, "/upper", sizeof dir - strlen(dir) - 1);
  *rw = berth_volume_tree_size(dir);
  struct berth_image img = {0};
  *rootfs = *rw;
  if (berth_images_get(e->db, c->image_id, &img, NULL) == 0) {
    *rootfs += img.size > 0 ? (uint64_t)img.size : 0;
    berth_image_free(&img);
  }
}

/* "1.2kB (virtual 4.5MB)": the writable layer and it plus the image. */
static void ctr_size(struct berth_engine *e, const struct berth_ctr *c,
                     char *out, size_t len) {
  char rw_text[16], virt[16];
  uint64_t rw, rootfs;
  berth_ctr_size(e, c, &rw, &rootfs);
  berth_human_size((double)rw, rw_text, sizeof rw_text);
  berth_human_size((double)rootfs, virt, sizeof virt);
  snprintf(out, len, "%s (virtual %s)", rw_text, virt);
}

json_t *berth_ctr_row(struct berth_engine *e, const struct berth_ctr *c,
                      const struct berth_row_opts *o, json_t **methods) {
  char id[65], created[64], running_for[64], status[128], size[64] = "0B",
      cmd_cut[64], image[300], nvol[16];
  snprintf(id, sizeof id, "%.*s", o->no_trunc ? 64 : 12, c->id);
  go_time(c->created / 1000000000, created, sizeof created);
  ago(c->created / 1000000000, running_for, sizeof running_for);
  berth_ctr_status_text(c, status, sizeof status);
  if (o->size)
    ctr_size(e, c, size, sizeof size);
  _cleanup_free_ char *cmd = berth_ctr_command_text(c);
  ellipsis(cmd ? cmd : "", 20, cmd_cut, sizeof cmd_cut);
  /* an image given by id shows as the short id, as Docker's */
  bool by_id = strncmp(c->image_name, "sha256:", 7) == 0;
  snprintf(image, sizeof image, "%.*s", by_id && !o->no_trunc ? 12 : 299,
           by_id && !o->no_trunc ? c->image_name + 7 : c->image_name);
  json_t *labels = json_object_get(c->config, "Labels");
  json_t *points = berth_ctr_mount_points(c);
  size_t nvolumes;
  _cleanup_free_ char *ltext = labels_text(labels);
  _cleanup_free_ char *mtext = mounts_text(points, o->no_trunc, &nvolumes);
  json_t *pdoc = berth_ports_doc(e, c);
  _cleanup_free_ char *ptext = berth_ports_text(pdoc);
  json_decref(pdoc);
  json_decref(points);
  snprintf(nvol, sizeof nvol, "%zu", nvolumes);
  const char *net = json_string_value(json_object_get(
      json_object_get(c->config, "HostConfig"), "NetworkMode"));
  if (methods)
    *methods = json_pack("{s:O}", "Label",
                         json_is_object(labels) ? labels : json_object());
  return json_pack(
      "{s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID",
      id, "Image", image, "Command", quoted(o->no_trunc ? cmd ?: "" : cmd_cut),
      "CreatedAt", created, "RunningFor", running_for, "Ports", ptext ? ptext : "", "State",
      c->state, "Status", status, "Size", size, "Names", c->name, "Labels",
      ltext ? ltext : "", "Mounts", mtext ? mtext : "", "Networks",
      net && *net ? net : "none", "LocalVolumes", nvol, "Platform", "linux");
}

json_t *berth_ctr_row_headers(void) {
  return json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID",
      "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND", "CreatedAt",
      "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS", "State",
      "STATE", "Status", "STATUS", "Size", "SIZE", "Names", "NAMES", "Labels",
      "LABELS", "Mounts", "MOUNTS", "Networks", "NETWORKS", "LocalVolumes",
      "LOCAL VOLUMES", "Platform", "PLATFORM");
}

static int64_t image_created(const struct berth_image *img) {
  struct tm tm = {0};
  if (img->created && strptime(img->created, "%Y-%m-%dT%H:%M:%S", &tm))
    return (int64_t)timegm(&tm);
  return img->added;
}

json_t *berth_image_rows(struct berth_engine *e, const struct berth_image *img,
                         const struct berth_row_opts *o) {
  char id[80], since[64], at[64], size[16], count[24] = "N/A";
  const char *hex = strchr(img->id, ':') ? strchr(img->id, ':') + 1 : img->id;
  snprintf(id, sizeof id, "%.*s", o->no_trunc ? 79 : 12,
           o->no_trunc ? img->id : hex);
  int64_t created = image_created(img);
  ago(created, since, sizeof since);
  go_time(created, at, sizeof at);
  berth_human_size((double)img->size, size, sizeof size);
  int used = berth_ctr_count_using_image(e->db, img->id, NULL);
  if (used >= 0)
    snprintf(count, sizeof count, "%d", used);
  const char *at_sign = img->digests && img->digests[0]
                            ? strchr(img->digests[0], '@')
                            : NULL;
  json_t *rows = json_array();
  /* An image pulled by digest only shows under its repository with tag
   * <none>, as Docker's; one without any name is <none> <none>. */
  char *none[] = {"<none>", NULL};
  char **names = img->tags && img->tags[0]       ? img->tags
                 : img->digests && img->digests[0] ? img->digests
                                                   : none;
  for (char **n = names; *n; n++) {
    char repo[512], tag[160];
    berth_ref_split_familiar(*n, repo, sizeof repo, tag, sizeof tag);
    /* "repo@sha256:..." (a digest-only name): the part before the @ */
    char *cut = names == img->digests ? strchr(repo, '@') : NULL;
    if (cut)
      *cut = '\0';
    json_array_append_new(
        rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
                        "ID", id, "Repository", repo, "Tag", tag, "Digest",
                        at_sign ? at_sign + 1 : "<none>", "CreatedSince",
                        since, "CreatedAt", at, "Size", size, "VirtualSize",
                        size, "SharedSize", "N/A", "UniqueSize", "N/A",
                        "Containers", count));
  }
  return rows;
}

json_t *berth_image_row_headers(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID",
                   "IMAGE ID", "Repository", "REPOSITORY", "Tag", "TAG",
                   "Digest", "DIGEST", "CreatedSince", "CREATED", "CreatedAt",
                   "CREATED AT", "Size", "SIZE", "VirtualSize",
                   "VIRTUAL SIZE", "SharedSize", "SHARED SIZE", "UniqueSize",
                   "UNIQUE SIZE", "Containers", "CONTAINERS");
}

json_t *berth_volume_row(struct berth_engine *e, const struct berth_volume *v,
                         json_t **methods) {
  char path[4096];
  berth_volume_path(e, v->name, path, sizeof path);
  _cleanup_free_ char *labels = labels_text(v->labels);
  if (methods)
    *methods = json_pack("{s:O}", "Label",
                         json_is_object(v->labels) ? v->labels
                                                   : json_object());
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Driver", "local",
                   "Labels", labels ? labels : "", "Links", "N/A",
                   "Mountpoint", path, "Name", v->name, "Scope", "local",
                   "Size", "N/A");
}

json_t *berth_volume_row_headers(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Name", "VOLUME NAME",
                   "Driver", "DRIVER", "Scope", "SCOPE", "Mountpoint",
                   "MOUNTPOINT", "Labels", "LABELS", "Links", "LINKS", "Size",
                   "SIZE");
}

/* Docker's stats units: memory binary ("64MiB", 4 digits), I/O decimal
 * ("1.2kB", 3 digits). */
static void size_units(double v, bool binary, int prec, char *out,
                       size_t len) {
  static const char *bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  static const char *dec[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double base = binary ? 1024 : 1000;
  size_t u = 0;
  while (v >= base && u + 1 < sizeof bin / sizeof bin[0]) {
    v /= base;
    u++;
  }
  snprintf(out, len, "%.*g%s", prec, v, binary ? bin[u] : dec[u]);
}

static void pair(double a, double b, bool binary, int prec, char *out,
                 size_t len) {
  char x[24], y[24];
  size_units(a, binary, prec, x, sizeof x);
  size_units(b, binary, prec, y, sizeof y);
  snprintf(out, len, "%s / %s", x, y);
}

json_t *berth_stats_row(const char *ctr_id, const char *name,
                        const struct berth_stats *prev,
                        const struct berth_stats *s, bool no_trunc) {
  char cpu[24], mem[64], memp[24], net[64], blk[64], pids[24], id[65];
  snprintf(cpu, sizeof cpu, "%.2f%%",
           prev ? berth_stats_cpu_percent(prev, s) : 0.0);
  pair((double)s->mem_usage, (double)s->mem_limit, true, 4, mem, sizeof mem);
  snprintf(memp, sizeof memp, "%.2f%%",
           s->mem_limit ? (double)s->mem_usage / (double)s->mem_limit * 100
                        : 0.0);
  pair((double)s->net_rx, (double)s->net_tx, false, 3, net, sizeof net);
  pair((double)s->blk_read, (double)s->blk_write, false, 3, blk, sizeof blk);
  snprintf(pids, sizeof pids, "%llu", (unsigned long long)s->pids);
  snprintf(id, sizeof id, "%.*s", no_trunc ? 64 : 12, ctr_id);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "BlockIO", blk,
                   "CPUPerc", cpu, "Container", id, "ID", id, "MemPerc", memp,
                   "MemUsage", mem, "Name", name, "NetIO", net, "PIDs", pids);
}

json_t *berth_stats_row_headers(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Container",
                   "CONTAINER", "ID", "CONTAINER ID", "Name", "NAME",
                   "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT",
                   "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO",
                   "BLOCK I/O", "PIDs", "PIDS");
}

/* Docker fills the deprecated status/id/from for container events. */
static const char *event_from(const struct berth_event *ev) {
  const char *image =
      json_string_value(json_object_get(ev->attributes, "image"));
  return image ? image : "";
}

json_t *berth_event_message(const struct berth_event *ev, json_t **methods) {
  json_t *j = json_object();
  bool ctr = strcmp(ev->type, "container") == 0;
  if (ctr) {
    json_object_set_new(j, "status", json_string(ev->action));
    json_object_set_new(j, "id", json_string(ev->actor));
    json_object_set_new(j, "from", json_string(event_from(ev)));
  }
  json_object_set_new(j, "Type", json_string(ev->type));
  json_object_set_new(j, "Action", json_string(ev->action));
  json_object_set_new(
      j, "Actor",
      json_pack("{s:s,s:O}", "ID", ev->actor, "Attributes", ev->attributes));
  json_object_set_new(j, "scope", json_string("local"));
  json_object_set_new(j, "time", json_integer(ev->time_ns / 1000000000));
  json_object_set_new(j, "timeNano", json_integer(ev->time_ns));
  if (methods)
    *methods = json_pack(
        "{s:s,s:s,s:s,s:s,s:I,s:I}", "Status", ctr ? ev->action : "", "ID",
        ctr ? ev->actor : "", "From", ctr ? event_from(ev) : "", "Scope",
        "local", "Time", (json_int_t)(ev->time_ns / 1000000000), "TimeNano",
        (json_int_t)ev->time_ns);
  return j;
}
