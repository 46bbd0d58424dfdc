/* The JSON types of a create request's known fields, as Docker's Go
 * decoder enforces them (a wrongly typed field is a 400 there), and the
 * API's older ways of saying mounts (HostConfig.Binds, .Tmpfs) turned
 * into HostConfig.Mounts, the form the engine builds bundles from.  The
 * CLI's requests pass the same checks. */
#include "create_check.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flags.h"
#include "fs.h"

enum jt { T_STR, T_BOOL, T_INT, T_OBJ, T_ARR, T_STRS, T_STRMAP, T_STRSLICE,
          T_OBJS };

struct field {
  const char *key;
  enum jt type;
};

/* Config's fields (the top level of the request). */
static const struct field config_fields[] = {
    {"Hostname", T_STR},     {"Domainname", T_STR},   {"User", T_STR},
    {"AttachStdin", T_BOOL}, {"AttachStdout", T_BOOL},
    {"AttachStderr", T_BOOL}, {"Tty", T_BOOL},        {"OpenStdin", T_BOOL},
    {"StdinOnce", T_BOOL},   {"Env", T_STRS},         {"Cmd", T_STRSLICE},
    {"Entrypoint", T_STRSLICE}, {"Image", T_STR},     {"WorkingDir", T_STR},
    {"Labels", T_STRMAP},    {"NetworkDisabled", T_BOOL},
    {"MacAddress", T_STR},   {"StopSignal", T_STR},   {"StopTimeout", T_INT},
    {"ExposedPorts", T_OBJ}, {"Volumes", T_OBJ},      {"Healthcheck", T_OBJ},
    {"Shell", T_STRS},       {"OnBuild", T_STRS},     {"HostConfig", T_OBJ},
    {"NetworkingConfig", T_OBJ},
};

static const struct field host_fields[] = {
    {"Binds", T_STRS},          {"ContainerIDFile", T_STR},
    {"LogConfig", T_OBJ},       {"NetworkMode", T_STR},
    {"PortBindings", T_OBJ},    {"RestartPolicy", T_OBJ},
    {"AutoRemove", T_BOOL},     {"VolumeDriver", T_STR},
    {"VolumesFrom", T_STRS},    {"CapAdd", T_STRS},
    {"CapDrop", T_STRS},        {"CgroupnsMode", T_STR},
    {"Dns", T_STRS},            {"DnsOptions", T_STRS},
    {"DnsSearch", T_STRS},      {"ExtraHosts", T_STRS},
    {"GroupAdd", T_STRS},       {"IpcMode", T_STR},
    {"Cgroup", T_STR},          {"Links", T_STRS},
    {"OomScoreAdj", T_INT},     {"PidMode", T_STR},
    {"Privileged", T_BOOL},     {"PublishAllPorts", T_BOOL},
    {"ReadonlyRootfs", T_BOOL}, {"SecurityOpt", T_STRS},
    {"StorageOpt", T_STRMAP},   {"Tmpfs", T_STRMAP},
    {"UTSMode", T_STR},         {"UsernsMode", T_STR},
    {"ShmSize", T_INT},         {"Sysctls", T_STRMAP},
    {"Runtime", T_STR},         {"Isolation", T_STR},
    {"CpuShares", T_INT},       {"Memory", T_INT},
    {"NanoCpus", T_INT},        {"CgroupParent", T_STR},
    {"BlkioWeight", T_INT},     {"CpuPeriod", T_INT},
    {"CpuQuota", T_INT},        {"CpuRealtimePeriod", T_INT},
    {"CpuRealtimeRuntime", T_INT}, {"CpusetCpus", T_STR},
    {"CpusetMems", T_STR},      {"Devices", T_OBJS},
    {"DeviceCgroupRules", T_STRS}, {"KernelMemory", T_INT},
    {"KernelMemoryTCP", T_INT}, {"MemoryReservation", T_INT},
    {"MemorySwap", T_INT},      {"MemorySwappiness", T_INT},
    {"OomKillDisable", T_BOOL}, {"PidsLimit", T_INT},
    {"Ulimits", T_OBJS},        {"CpuCount", T_INT},
    {"CpuPercent", T_INT},      {"Mounts", T_OBJS},
    {"MaskedPaths", T_STRS},    {"ReadonlyPaths", T_STRS},
    {"Init", T_BOOL},           {"ConsoleSize", T_ARR},
};

/* NetworkingConfig.EndpointsConfig.<network>'s fields. */
static const struct field endpoint_fields[] = {
    {"IPAMConfig", T_OBJ}, {"Links", T_STRS},      {"Aliases", T_STRS},
    {"NetworkID", T_STR},  {"EndpointID", T_STR},  {"Gateway", T_STR},
    {"IPAddress", T_STR},  {"MacAddress", T_STR},  {"DriverOpts", T_STRMAP},
    {"DNSNames", T_STRS},
};

static const char *const type_names[] = {
    "string", "bool", "int64", "struct", "array", "[]string",
    "map[string]string", "strslice.StrSlice", "[]struct"};

static bool all_of(json_t *v, json_type t) {
  size_t i;
  json_t *x;
  if (json_is_array(v)) {
    json_array_foreach(v, i, x) if (json_typeof(x) != t) return false;
    return true;
  }
  const char *k;
  json_object_foreach(v, k, x) if (json_typeof(x) != t) return false;
  return true;
}

static bool type_ok(json_t *v, enum jt t) {
  switch (t) {
  case T_STR: return json_is_string(v);
  case T_BOOL: return json_is_boolean(v);
  case T_INT: return json_is_integer(v);
  case T_OBJ: return json_is_object(v);
  case T_ARR: return json_is_array(v);
  case T_STRS: return json_is_array(v) && all_of(v, JSON_STRING);
  case T_STRMAP: return json_is_object(v) && all_of(v, JSON_STRING);
  case T_STRSLICE:
    return json_is_string(v) || (json_is_array(v) && all_of(v, JSON_STRING));
  case T_OBJS: return json_is_array(v) && all_of(v, JSON_OBJECT);
  }
  return false;
}

/* What Go's encoding/json calls the JSON value it could not decode. */
static const char *json_kind(json_t *v) {
  return json_is_string(v)  ? "string"
         : json_is_number(v) ? "number"
         : json_is_boolean(v) ? "bool"
         : json_is_array(v)  ? "array"
                             : "object";
}

static int check_fields(json_t *o, const char *where,
                        const struct field *fields, size_t n,
                        berth_error **err) {
  for (size_t i = 0; i < n; i++) {
    json_t *v = json_object_get(o, fields[i].key);
    /* null is Go's zero value: as if absent. */
    if (!v || json_is_null(v)) {
      json_object_del(o, fields[i].key);
      continue;
    }
    if (!type_ok(v, fields[i].type))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "json: cannot unmarshal %s into Go struct field "
                             "%s.%s of type %s",
                             json_kind(v), where, fields[i].key,
                             type_names[fields[i].type]);
    /* Docker's StrSlice: one string is a one-word command. */
    if (fields[i].type == T_STRSLICE && json_is_string(v))
      json_object_set_new(o, fields[i].key, json_pack("[O]", v));
  }
  return 0;
}

/* HostConfig.Binds ("SRC:DST[:OPTS]", as -v) appended to Mounts.  As
 * Docker, a bind's missing host directory is made (Mounts of type bind
 * refuse one). */
static int binds(json_t *hc, json_t *mounts, berth_error **err) {
  size_t i;
  json_t *b;
  json_array_foreach(json_object_get(hc, "Binds"), i, b) {
    struct berth_mount_spec m = {0};
    if (berth_parse_volume_flag(json_string_value(b), &m, err) < 0)
      return berth_error_prefix(err, "HostConfig.Binds");
    int rc = 0;
    if (m.type == BERTH_MOUNT_BIND && access(m.source, F_OK) < 0 &&
        (errno != ENOENT || berth_mkdir_p(m.source, 0755, err) < 0))
      rc = berth_error_sys(err, "HostConfig.Binds `%s`: bind source",
                           json_string_value(b));
    if (rc == 0)
      json_array_append_new(mounts, berth_mount_spec_json(&m));
    berth_mount_spec_clear(&m);
    if (rc < 0)
      return -1;
  }
  return 0;
}

/* HostConfig.Tmpfs ({"/run": "size=64m"}), as --tmpfs. */
static int tmpfs(json_t *hc, json_t *mounts, berth_error **err) {
  const char *dst;
  json_t *opts;
  json_object_foreach(json_object_get(hc, "Tmpfs"), dst, opts) {
    char spec[4200];
    const char *o = json_string_value(opts);
    snprintf(spec, sizeof spec, "%s%s%s", dst, o && *o ? ":" : "",
             o ? o : "");
    struct berth_mount_spec m = {0};
    if (berth_parse_tmpfs_flag(spec, &m, err) < 0)
      return berth_error_prefix(err, "HostConfig.Tmpfs");
    json_array_append_new(mounts, berth_mount_spec_json(&m));
    berth_mount_spec_clear(&m);
  }
  return 0;
}

/* Each endpoint an object of typed fields (compose sends "Aliases":
 * null and the like: absent, as Docker reads them). */
static int endpoints(json_t *req, berth_error **err) {
  json_t *nc = json_object_get(req, "NetworkingConfig"), *ep;
  json_t *eps = json_object_get(nc, "EndpointsConfig");
  if (json_is_null(eps)) {
    json_object_del(nc, "EndpointsConfig");
    return 0;
  }
  if (eps && !json_is_object(eps))
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "json: cannot unmarshal %s into Go struct field "
                           "NetworkingConfig.EndpointsConfig of type "
                           "map[string]*network.EndpointSettings",
                           json_kind(eps));
  const char *net;
  json_object_foreach(eps, net, ep) {
    if (json_is_null(ep))
      json_object_set_new(eps, net, ep = json_object());
    if (!json_is_object(ep))
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "json: cannot unmarshal %s into Go value of "
                             "type network.EndpointSettings",
                             json_kind(ep));
    if (check_fields(ep, "EndpointSettings", endpoint_fields,
                     sizeof endpoint_fields / sizeof endpoint_fields[0],
                     err) < 0)
      return -1;
  }
  return 0;
}

int berth_create_types_check(json_t *req, berth_error **err) {
  if (check_fields(req, "Config", config_fields,
                   sizeof config_fields / sizeof config_fields[0], err) < 0 ||
      endpoints(req, err) < 0)
    return -1;
  json_t *hc = json_object_get(req, "HostConfig");
  if (!hc)
    return 0;
  if (check_fields(hc, "HostConfig", host_fields,
                   sizeof host_fields / sizeof host_fields[0], err) < 0)
    return -1;
  if (!json_object_get(hc, "Binds") && !json_object_get(hc, "Tmpfs"))
    return 0;
  json_t *mounts = json_object_get(hc, "Mounts");
  if (!mounts) {
    mounts = json_array();
    json_object_set_new(hc, "Mounts", mounts);
  }
  if (binds(hc, mounts, err) < 0 || tmpfs(hc, mounts, err) < 0)
    return -1;
  /* Said once, as Mounts: the bundle is built from those. */
  json_object_del(hc, "Binds");
  json_object_del(hc, "Tmpfs");
  return 0;
}

int berth_update_types_check(json_t *body, berth_error **err) {
  static const struct field policy[] = {{"RestartPolicy", T_OBJ}};
  return check_fields(body, "UpdateConfig", host_fields,
                      sizeof host_fields / sizeof host_fields[0], err) < 0 ||
                 check_fields(body, "UpdateConfig", policy, 1, err) < 0
             ? -1
             : 0;
}
