/* Docker's ContainerJSON (GET /containers/{id}/json) from a container's
 * record: the shape of the Engine API reference, with Docker's zero values
 * where berth has nothing to say, so templates written for Docker
 * (`{{.NetworkSettings.IPAddress}}`, `{{range .Mounts}}`) work. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "create.h"
#include "inspect.h"
#include "net_inspect.h"
#include "rows.h"

void berth_rfc3339_ns(int64_t ns, char *out, size_t len) {
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

static bool state_is(const struct berth_ctr *c, const char *s) {
  return strcmp(c->state, s) == 0;
}

/* health.json keeps Start and End as integer nanoseconds; Docker's
 * HealthcheckResult has them as Go times, RFC 3339 strings, and its
 * clients fail to decode anything else ("Time.UnmarshalJSON: input is not
 * a JSON string"). */
static void health_time(json_t *result, const char *key) {
  json_t *v = json_object_get(result, key);
  if (json_is_string(v))
    return;
  char text[48];
  berth_rfc3339_ns(json_integer_value(v), text, sizeof text);
  json_object_set_new(result, key, json_string(text));
}

static json_t *health_log(struct berth_engine *e, const char *id) {
  char path[4200];
  berth_ctr_dir(e, id, path, sizeof path);
  strncat(path, "/health.json", sizeof path - strlen(path) - 1);
  json_t *log = json_load_file(path, 0, NULL);
  if (!json_is_array(log)) {
    json_decref(log);
    return json_array();
  }
  size_t i;
  json_t *result;
  json_array_foreach(log, i, result) {
    health_time(result, "Start");
    health_time(result, "End");
  }
  return log;
}

static json_t *state_json(struct berth_engine *e, const struct berth_ctr *c) {
  char started[48], finished[48];
  berth_rfc3339_ns(c->started_at, started, sizeof started);
  berth_rfc3339_ns(c->finished_at, finished, sizeof finished);
  json_t *s = json_pack(
      "{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status", c->state,
      "Running", state_is(c, BERTH_ST_RUNNING) || state_is(c, BERTH_ST_PAUSED),
      "Paused", state_is(c, BERTH_ST_PAUSED), "Restarting",
      state_is(c, BERTH_ST_RESTARTING), "OOMKilled", c->oom_killed, "Dead",
      state_is(c, BERTH_ST_DEAD), "Pid", (int)c->pid, "ExitCode",
      c->exit_code, "Error", c->error ? c->error : "", "StartedAt", started,
      "FinishedAt", finished);
  /* Docker's State.Health is a pointer: nil (null) without a check, so
   * `{{json .State.Health}}` prints null rather than failing */
  json_object_set_new(
      s, "Health",
      c->health ? json_pack("{s:s,s:i,s:o}", "Status", c->health,
                            "FailingStreak", c->health_failures, "Log",
                            health_log(e, c->id))
                : json_null());
  return s;
}

/* Docker's MountPoint from a HostConfig.Mounts entry. */
static json_t *mount_point(json_t *m) {
  const char *type = json_string_value(json_object_get(m, "Type"));
  const char *src = json_string_value(json_object_get(m, "Source"));
  const char *host = json_string_value(json_object_get(m, "HostPath"));
  const char *prop = json_string_value(
      json_object_get(json_object_get(m, "BindOptions"), "Propagation"));
  bool volume = type && strcmp(type, "volume") == 0;
  bool bind = type && strcmp(type, "bind") == 0;
  json_t *mp = json_pack(
      "{s:s,s:s,s:s,s:O?,s:s,s:s,s:b,s:s}", "Type", type ? type : "",
      "Name", volume && src ? src : "", "Source",
      volume ? (host ? host : "") : bind && src ? src : "", "Destination",
      json_object_get(m, "Target"), "Driver", volume ? "local" : "", "Mode",
      volume ? "z" : "", "RW", !json_is_true(json_object_get(m, "ReadOnly")),
      "Propagation", bind ? (prop ? prop : "rprivate") : "");
  return mp;
}

json_t *berth_ctr_mount_points(const struct berth_ctr *c) {
  json_t *out = json_array(), *m;
  size_t i;
  json_array_foreach(
      json_object_get(json_object_get(c->config, "HostConfig"), "Mounts"), i,
      m) json_array_append_new(out, mount_point(m));
  return out;
}

/* HostConfig: Docker's members and zero values under what was asked. */
static json_t *host_config(const struct berth_ctr *c) {
  json_t *h = json_pack(
      "{s:n,s:s,s:{s:s,s:o},s:s,s:o,s:{s:s,s:i},s:b,s:s,s:n,s:n,s:n,s:s,"
      "s:o,s:o,s:o,s:n,s:n,s:s,s:s,s:n,s:i,s:s,s:b,s:b,s:b,s:n,s:s,s:s,"
      "s:I,s:s,s:s,s:i,s:I,s:i,s:s,s:o,s:I,s:n,s:o,s:o}",
      "Binds", "ContainerIDFile", "", "LogConfig", "Type", "json-file",
      "Config", json_object(), "NetworkMode", "none", "PortBindings",
      json_object(), "RestartPolicy", "Name", "no", "MaximumRetryCount", 0,
      "AutoRemove", 0, "VolumeDriver", "", "VolumesFrom", "CapAdd",
      "CapDrop", "CgroupnsMode", "private", "Dns", json_array(),
      "DnsOptions", json_array(), "DnsSearch", json_array(), "ExtraHosts",
      "GroupAdd", "IpcMode", "private", "Cgroup", "", "Links", "OomScoreAdj",
      0, "PidMode", "", "Privileged", 0, "PublishAllPorts", 0,
      "ReadonlyRootfs", 0, "SecurityOpt", "UTSMode", "", "UsernsMode", "",
      "ShmSize", (json_int_t)67108864, "Runtime", "berth", "Isolation", "",
      "CpuShares", 0, "Memory", (json_int_t)0, "NanoCpus", 0, "CgroupParent",
      "", "Devices", json_array(), "MemorySwap", (json_int_t)0, "PidsLimit",
      "Ulimits", json_array(), "Mounts", json_array());
  json_object_update(h, json_object_get(c->config, "HostConfig"));
  return h;
}

/* Config: Docker's ContainerConfig members under the stored request. */
static json_t *config(const struct berth_ctr *c) {
  json_t *cfg = json_pack(
      "{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:o,s:n,s:s,s:n,s:s,s:n,s:n,"
      "s:o}",
      "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
      "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
      "StdinOnce", 0, "Env", json_array(), "Cmd", "Image", "", "Volumes",
      "WorkingDir", "", "Entrypoint", "OnBuild", "Labels", json_object());
  json_object_set_new(cfg, "Healthcheck", json_null());
  json_object_set_new(cfg, "StopSignal", json_string(""));
  json_object_set_new(cfg, "StopTimeout", json_null());
  json_object_update(cfg, c->config);
  json_object_del(cfg, "HostConfig");
  /* The create request's, shown in NetworkSettings.Networks. */
  json_object_del(cfg, "NetworkingConfig");
  json_object_set_new(cfg, "Image", json_string(c->image_name));
  if (json_is_object(json_object_get(cfg, "Volumes")) &&
      !json_object_size(json_object_get(cfg, "Volumes")))
    json_object_set_new(cfg, "Volumes", json_null());
  return cfg;
}

/* Path and Args: the first word of Entrypoint + Cmd and the rest. */
static json_t *args_of(const struct berth_ctr *c, const char **path) {
  json_t *args = json_array();
  const char *keys[] = {"Entrypoint", "Cmd"};
  *path = "";
  for (int k = 0; k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      if (!**path && !json_array_size(args))
        *path = json_string_value(v) ? json_string_value(v) : "";
      else
        json_array_append(args, v);
    }
  }
  return args;
}

static json_t *graph_driver(const char *dir) {
  char upper[4200], work[4200], merged[4200];
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(merged, sizeof merged, "%s/rootfs", dir);
  return json_pack("{s:s,s:{s:s,s:s,s:s}}", "Name", "overlay", "Data",
                   "UpperDir", upper, "WorkDir", work, "MergedDir", merged);
}

json_t *berth_ctr_inspect(struct berth_engine *e, const struct berth_ctr *c,
                          bool size) {
  char created[48], dir[4096], name[300], log[4200], hosts[4200],
      hostname[4200], resolv[4200];
  berth_rfc3339_ns(c->created, created, sizeof created);
  berth_ctr_dir(e, c->id, dir, sizeof dir);
  snprintf(name, sizeof name, "/%s", c->name);
  snprintf(log, sizeof log, "%s/ctr.log", dir);
  snprintf(hosts, sizeof hosts, "%s/hosts", dir);
  snprintf(hostname, sizeof hostname, "%s/hostname", dir);
  snprintf(resolv, sizeof resolv, "%s/resolv.conf", dir);
  const char *path;
  json_t *args = args_of(c, &path);
  json_t *j = json_pack(
      "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,"
      "s:s,s:n,s:o,s:o,s:o,s:o,s:o,s:o}",
      "Id", c->id, "Created", created, "Path", path, "Args", args, "State",
      state_json(e, c), "Image", c->image_id, "ResolvConfPath", resolv,
      "HostnamePath", hostname, "HostsPath", hosts, "LogPath", log, "Name",
      name, "RestartCount", c->restart_count, "Driver", "overlay", "Platform",
      "linux", "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "",
      "ExecIDs", "HostConfig", host_config(c), "GraphDriver",
      graph_driver(dir), "Mounts", berth_ctr_mount_points(c), "Config",
      config(c), "NetworkSettings", berth_ctr_network_settings(e, c), "IdMap",
      json_pack("{s:I,s:I}", "HostIdBase", (json_int_t)c->id_base, "Size",
                (json_int_t)c->id_count));
  if (j && !c->id_count)
    json_object_del(j, "IdMap");
  if (j && size) {
    uint64_t rw, rootfs;
    berth_ctr_size(e, c, &rw, &rootfs);
    json_object_set_new(j, "SizeRw", json_integer((json_int_t)rw));
    json_object_set_new(j, "SizeRootFs", json_integer((json_int_t)rootfs));
  }
  return j;
}
