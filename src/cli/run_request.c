/* `berth run`/`create` flags -> the create request (Docker Engine API
 * ContainerCreate body: Config fields and HostConfig), validated with the
 * parsers of engine/flags.c. */
#include "run_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "flags.h"
#include "json.h"
#include "ports_spec.h"
#include "signals.h"

static json_t *strlist_json(const struct strlist *l) {
  json_t *a = json_array();
  for (size_t i = 0; i < l->n; i++)
    json_array_append_new(a, json_string(l->items[i]));
  return a;
}

static int env(const struct run_flags *f, char *const *envp, json_t *cfg,
               berth_error **err) {
  char **v = calloc(1, sizeof(char *));
  if (!v)
    return berth_error_sys(err, "allocate");
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < f->env_file.n; i++)
    rc = berth_env_file_read(&v, f->env_file.items[i], envp, err);
  for (size_t i = 0; rc == 0 && i < f->env.n; i++)
    rc = berth_env_add(&v, f->env.items[i], envp, err);
  if (rc == 0) {
    json_t *a = json_array();
    for (char **p = v; *p; p++)
      json_array_append_new(a, json_string(*p));
    json_object_set_new(cfg, "Env", a);
  }
  berth_strv_free(v);
  return rc;
}

static int labels(const struct strlist *l, const char *flag, json_t *out,
                  berth_error **err) {
  for (size_t i = 0; i < l->n; i++) {
    char *k, *v;
    /* Docker: `--label k` is k with an empty value (not so --log-opt). */
    if ((strcmp(flag, "--label") == 0
             ? berth_parse_label(l->items[i], &k, &v, err)
             : berth_parse_key_value(flag, l->items[i], &k, &v, err)) < 0)
      return -1;
    json_object_set_new(out, k, json_string(v));
    free(k);
    free(v);
  }
  return 0;
}

/* --label-file: lines as --label, read before the --label flags (which
 * win, as Docker). */
static int label_files(const struct run_flags *f, json_t *out,
                       berth_error **err) {
  for (size_t i = 0; i < f->label_file.n; i++) {
    _cleanup_strv_ char **lines = NULL;
    if (berth_label_file_read(f->label_file.items[i], &lines, err) < 0)
      return -1;
    for (char **p = lines; p && *p; p++) {
      char *k, *v;
      if (berth_parse_label(*p, &k, &v, err) < 0)
        return berth_error_prefix(err, "--label-file `%s`",
                                  f->label_file.items[i]);
      json_object_set_new(out, k, json_string(v));
      free(k);
      free(v);
    }
  }
  return 0;
}

static int mounts(const struct run_flags *f, json_t *hc, berth_error **err) {
  json_t *list = json_array();
  json_object_set_new(hc, "Mounts", list);
  const struct strlist *lists[] = {&f->volume, &f->mount, &f->tmpfs};
  int (*parsers[])(const char *, struct berth_mount_spec *, berth_error **) = {
      berth_parse_volume_flag, berth_parse_mount_flag,
      berth_parse_tmpfs_flag};
  for (size_t l = 0; l < 3; l++)
    for (size_t i = 0; i < lists[l]->n; i++) {
      struct berth_mount_spec m = {0};
      if (parsers[l](lists[l]->items[i], &m, err) < 0)
        return -1;
      if (m.type == BERTH_MOUNT_BIND && access(m.source, F_OK) < 0) {
        berth_error_sys(err, "invalid mount `%s`: bind source `%s`",
                        lists[l]->items[i], m.source);
        berth_mount_spec_clear(&m);
        return -1;
      }
      json_array_append_new(list, berth_mount_spec_json(&m));
      berth_mount_spec_clear(&m);
    }
  return 0;
}

static int resources(const struct run_flags *f, json_t *hc,
                     berth_error **err) {
  int64_t v;
  if (f->memory) {
    if (berth_parse_size("--memory", f->memory, &v, err) < 0)
      return -1;
    json_object_set_new(hc, "Memory", json_integer(v));
  }
  if (f->memory_swap) {
    if (strcmp(f->memory_swap, "-1") == 0)
      v = -1;
    else if (berth_parse_size("--memory-swap", f->memory_swap, &v, err) < 0)
      return -1;
    json_object_set_new(hc, "MemorySwap", json_integer(v));
  }
  if (f->shm_size) {
    if (berth_parse_size("--shm-size", f->shm_size, &v, err) < 0)
      return -1;
    json_object_set_new(hc, "ShmSize", json_integer(v));
  }
  if (f->cpus) {
    if (berth_parse_cpus(f->cpus, &v, err) < 0)
      return -1;
    json_object_set_new(hc, "NanoCpus", json_integer(v));
  }
  if (f->cpuset)
    json_object_set_new(hc, "CpusetCpus", json_string(f->cpuset));
  if (f->pids_limit_set)
    json_object_set_new(hc, "PidsLimit", json_integer(f->pids_limit));
  json_t *ul = json_array();
  json_object_set_new(hc, "Ulimits", ul);
  for (size_t i = 0; i < f->ulimit.n; i++) {
    struct berth_ulimit u;
    if (berth_parse_ulimit(f->ulimit.items[i], &u, err) < 0)
      return -1;
    char name[32];
    snprintf(name, sizeof name, "%s", u.type + 7);
    for (char *p = name; *p; p++)
      *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    json_array_append_new(ul, json_pack("{s:s,s:I,s:I}", "Name", name, "Soft",
                                        (json_int_t)u.soft, "Hard",
                                        (json_int_t)u.hard));
  }
  return 0;
}

static int devices_sysctls(const struct run_flags *f, json_t *hc,
                           berth_error **err) {
  json_t *devs = json_array();
  json_object_set_new(hc, "Devices", devs);
  for (size_t i = 0; i < f->device.n; i++) {
    struct berth_device_spec d = {0};
    if (berth_parse_device(f->device.items[i], &d, err) < 0)
      return -1;
    json_array_append_new(devs, json_pack("{s:s,s:s,s:s}", "PathOnHost",
                                          d.host, "PathInContainer",
                                          d.container, "CgroupPermissions",
                                          d.perms));
    berth_device_spec_clear(&d);
  }
  json_t *sc = json_object();
  json_object_set_new(hc, "Sysctls", sc);
  for (size_t i = 0; i < f->sysctl.n; i++) {
    char *k, *v;
    /* Which sysctls the container's namespaces allow is the engine's
     * decision (create_check.c): here only the form. */
    if (berth_parse_sysctl(f->sysctl.items[i], true, &k, &v, err) < 0)
      return -1;
    json_object_set_new(sc, k, json_string(v));
    free(k);
    free(v);
  }
  return 0;
}

static int security(const struct run_flags *f, json_t *hc,
                    berth_error **err) {
  json_object_set_new(hc, "CapAdd", strlist_json(&f->cap_add));
  json_object_set_new(hc, "CapDrop", strlist_json(&f->cap_drop));
  json_t *so = json_array();
  json_object_set_new(hc, "SecurityOpt", so);
  for (size_t i = 0; i < f->security_opt.n; i++) {
    const char *s = f->security_opt.items[i];
    bool ok = strncmp(s, "seccomp=", 8) == 0 ||
              strncmp(s, "seccomp:", 8) == 0 ||
              strcmp(s, "no-new-privileges") == 0 ||
              strcmp(s, "no-new-privileges:true") == 0 ||
              strcmp(s, "no-new-privileges=true") == 0 ||
              strcmp(s, "no-new-privileges:false") == 0 ||
              strncmp(s, "label=", 6) == 0 || strncmp(s, "label:", 6) == 0 ||
              strncmp(s, "apparmor=", 9) == 0;
    if (!ok)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --security-opt `%s`", s);
    char buf[4200];
    snprintf(buf, sizeof buf, "%s", s);
    if (strncmp(buf, "seccomp:", 8) == 0)
      buf[7] = '=';
    if (strncmp(buf, "seccomp=", 8) == 0 && strcmp(buf + 8, "unconfined") &&
        access(buf + 8, R_OK) < 0)
      return berth_error_sys(err, "--security-opt `%s`", s);
    json_array_append_new(so, json_string(buf));
  }
  json_object_set_new(hc, "Privileged", json_boolean(f->privileged));
  return 0;
}

static int policy(const struct run_flags *f, json_t *cfg, json_t *hc,
                  berth_error **err) {
  struct berth_restart r = {BERTH_RESTART_NO, 0};
  if (f->restart && berth_parse_restart(f->restart, &r, err) < 0)
    return -1;
  if (r.kind != BERTH_RESTART_NO && f->rm)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "conflicting options: --restart and --rm");
  static const char *names[] = {"no", "on-failure", "always",
                                "unless-stopped"};
  json_object_set_new(hc, "RestartPolicy",
                      json_pack("{s:s,s:i}", "Name", names[r.kind],
                                "MaximumRetryCount", r.max_retries));
  json_object_set_new(hc, "AutoRemove", json_boolean(f->rm));
  if (f->stop_signal) {
    if (berth_signal_parse(f->stop_signal) <= 0)
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "invalid --stop-signal `%s`", f->stop_signal);
    json_object_set_new(cfg, "StopSignal", json_string(f->stop_signal));
  }
  if (f->stop_timeout_set)
    json_object_set_new(cfg, "StopTimeout", json_integer(f->stop_timeout));
  return 0;
}

static int healthcheck(const struct run_flags *f, json_t *cfg,
                       berth_error **err) {
  if (f->no_healthcheck) {
    json_object_set_new(cfg, "Healthcheck",
                        json_pack("{s:[s]}", "Test", "NONE"));
    return 0;
  }
  if (!f->health_cmd && !f->health_interval && !f->health_timeout &&
      !f->health_start_period && !f->health_retries_set)
    return 0;
  json_t *h = json_object();
  json_object_set_new(cfg, "Healthcheck", h);
  if (f->health_cmd)
    json_object_set_new(h, "Test",
                        json_pack("[s,s]", "CMD-SHELL", f->health_cmd));
  const char *durs[] = {f->health_interval, f->health_timeout,
                        f->health_start_period};
  const char *keys[] = {"Interval", "Timeout", "StartPeriod"};
  const char *flags[] = {"--health-interval", "--health-timeout",
                         "--health-start-period"};
  for (int i = 0; i < 3; i++) {
    int64_t ns;
    if (!durs[i])
      continue;
    if (berth_parse_duration(flags[i], durs[i], &ns, err) < 0)
      return -1;
    json_object_set_new(h, keys[i], json_integer(ns));
  }
  if (f->health_retries_set)
    json_object_set_new(h, "Retries", json_integer(f->health_retries));
  return 0;
}

static int log_config(const struct run_flags *f, json_t *hc,
                      berth_error **err) {
  if (f->log_driver && strcmp(f->log_driver, "json-file") != 0 &&
      strcmp(f->log_driver, "none") != 0)
    return berth_error_set(err, BERTH_ERR_INVALID, 0,
                           "invalid --log-driver `%s`: json-file and none "
                           "are supported",
                           f->log_driver);
  json_t *c = json_object();
  if (labels(&f->log_opt, "--log-opt", c, err) < 0) {
    json_decref(c);
    return -1;
  }
  const char *key;
  json_t *v;
  json_object_foreach(c, key, v) {
    if (strcmp(key, "max-size") == 0) {
      int64_t n;
      if (berth_parse_size("--log-opt max-size", json_string_value(v), &n,
                           err) < 0) {
        json_decref(c);
        return -1;
      }
      char buf[32];
      snprintf(buf, sizeof buf, "%lld", (long long)n);
      json_object_set_new(c, "max-size-bytes", json_string(buf));
    } else if (strcmp(key, "max-file") == 0) {
      int n = atoi(json_string_value(v));
      if (n < 1) {
        json_decref(c);
        return berth_error_set(err, BERTH_ERR_INVALID, 0,
                               "invalid --log-opt max-file `%s`",
                               json_string_value(v));
      }
    } else if (strcmp(key, "max-size-bytes") != 0) {
      json_decref(c);
      return berth_error_set(err, BERTH_ERR_INVALID, 0,
                             "unknown --log-opt `%s` for json-file", key);
    }
  }
  json_object_set_new(hc, "LogConfig",
                      json_pack("{s:s,s:o}", "Type",
                                f->log_driver ? f->log_driver : "json-file",
                                "Config", c));
  return 0;
}

/* -p, -P and --expose: Docker's ExposedPorts and PortBindings (the
 * engine checks them and decides what a network mode makes of them). */
static int ports(const struct run_flags *f, json_t *cfg, json_t *hc,
                 berth_error **err) {
  json_t *exposed = json_object(), *bindings = json_object();
  json_object_set_new(cfg, "ExposedPorts", exposed);
  json_object_set_new(hc, "PortBindings", bindings);
  json_object_set_new(hc, "PublishAllPorts", json_boolean(f->publish_all));
  for (size_t i = 0; i < f->publish.n; i++)
    if (berth_publish_parse(f->publish.items[i], exposed, bindings, err) < 0)
      return -1;
  for (size_t i = 0; i < f->expose.n; i++)
    if (berth_expose_parse(f->expose.items[i], exposed, err) < 0)
      return -1;
  return 0;
}

/* --add-host NAME:IP or NAME=IP, the IP perhaps in brackets: Docker's
 * API form "NAME:IP" (checked by the engine). */
static json_t *extra_hosts(const struct strlist *l) {
  json_t *a = json_array();
  for (size_t i = 0; i < l->n; i++) {
    const char *h = l->items[i];
    const char *sep = strchr(h, '=') ? strchr(h, '=') : strchr(h, ':');
    if (!sep) {
      json_array_append_new(a, json_string(h));
      continue;
    }
    const char *ip = sep + 1;
    size_t n = strlen(ip);
    if (n > 2 && ip[0] == '[' && ip[n - 1] == ']')
      ip++, n -= 2;
    char *v;
    if (asprintf(&v, "%.*s:%.*s", (int)(sep - h), h, (int)n, ip) < 0)
      return a;
    json_array_append_new(a, json_string(v));
    free(v);
  }
  return a;
}

/* --ip, --ip6, --network-alias: the endpoint on the network the
 * container joins (--network, else the default bridge); --mac-address;
 * --add-host and the resolver flags. */
static void addressing(const struct run_flags *f, json_t *cfg, json_t *hc) {
  if (f->ip || f->ip6 || f->network_alias.n) {
    json_t *ep = json_object(), *ipam = json_object();
    if (f->ip)
      json_object_set_new(ipam, "IPv4Address", json_string(f->ip));
    if (f->ip6)
      json_object_set_new(ipam, "IPv6Address", json_string(f->ip6));
    json_object_set_new(ep, "IPAMConfig", ipam);
    if (f->network_alias.n)
      json_object_set_new(ep, "Aliases", strlist_json(&f->network_alias));
    json_object_set_new(
        cfg, "NetworkingConfig",
        json_pack("{s:{s:o}}", "EndpointsConfig",
                  f->network && *f->network ? f->network : "bridge", ep));
  }
  if (f->mac_address)
    json_object_set_new(cfg, "MacAddress", json_string(f->mac_address));
  json_object_set_new(hc, "ExtraHosts", extra_hosts(&f->add_host));
  json_object_set_new(hc, "Dns", strlist_json(&f->dns));
  json_object_set_new(hc, "DnsSearch", strlist_json(&f->dns_search));
  json_object_set_new(hc, "DnsOptions", strlist_json(&f->dns_option));
}

int run_request_build(const struct run_flags *f, char *const *cmd,
                      size_t ncmd, char *const *envp, json_t **out,
                      berth_error **err) {
  json_t *cfg = json_object();
  json_t *hc = json_object();
  json_object_set_new(cfg, "HostConfig", hc);
  /* Validated (and defaulted) by the engine, for every front end. */
  if (f->network)
    json_object_set_new(hc, "NetworkMode", json_string(f->network));
  if (f->cgroup_parent)
    json_object_set_new(hc, "CgroupParent", json_string(f->cgroup_parent));
  const char *strs[][2] = {{"UsernsMode", f->userns}, {"PidMode", f->pid},
                           {"IpcMode", f->ipc}};
  for (size_t i = 0; i < 3; i++)
    if (strs[i][1])
      json_object_set_new(hc, strs[i][0], json_string(strs[i][1]));
  json_object_set_new(hc, "GroupAdd", strlist_json(&f->group_add));
  if (f->domainname)
    json_object_set_new(cfg, "Domainname", json_string(f->domainname));
  json_object_set_new(cfg, "Tty", json_boolean(f->tty));
  json_object_set_new(cfg, "OpenStdin", json_boolean(f->interactive));
  json_object_set_new(cfg, "AttachStdin", json_boolean(f->interactive));
  if (f->workdir)
    json_object_set_new(cfg, "WorkingDir", json_string(f->workdir));
  if (f->user)
    json_object_set_new(cfg, "User", json_string(f->user));
  if (f->hostname)
    json_object_set_new(cfg, "Hostname", json_string(f->hostname));
  if (f->entrypoint_set)
    json_object_set_new(cfg, "Entrypoint",
                        *f->entrypoint ? json_pack("[s]", f->entrypoint)
                                       : json_array());
  if (ncmd) {
    json_t *c = json_array();
    for (size_t i = 0; i < ncmd; i++)
      json_array_append_new(c, json_string(cmd[i]));
    json_object_set_new(cfg, "Cmd", c);
  }
  json_object_set_new(hc, "ReadonlyRootfs", json_boolean(f->read_only));
  json_object_set_new(hc, "Init", json_boolean(f->init));
  json_t *lab = json_object();
  json_object_set_new(cfg, "Labels", lab);
  addressing(f, cfg, hc);
  if (env(f, envp, cfg, err) < 0 || label_files(f, lab, err) < 0 ||
      labels(&f->label, "--label", lab, err) < 0 ||
      mounts(f, hc, err) < 0 || resources(f, hc, err) < 0 ||
      devices_sysctls(f, hc, err) < 0 ||
      security(f, hc, err) < 0 || policy(f, cfg, hc, err) < 0 ||
      healthcheck(f, cfg, err) < 0 || log_config(f, hc, err) < 0 ||
      ports(f, cfg, hc, err) < 0) {
    json_decref(cfg);
    return -1;
  }
  *out = cfg;
  return 0;
}
