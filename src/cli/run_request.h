/* The flags of `berth run`/`create` and their translation into the
 * engine's create request. */
#ifndef BERTH_CLI_RUN_REQUEST_H
#define BERTH_CLI_RUN_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "args.h"
#include "error.h"

struct run_flags {
  bool detach, interactive, tty, rm, read_only, privileged, init;
  bool no_healthcheck, quiet;
  const char *name, *workdir, *user, *entrypoint, *hostname;
  bool entrypoint_set;
  const char *memory, *memory_swap, *cpus, *cpuset, *shm_size;
  long pids_limit;
  bool pids_limit_set;
  const char *restart, *stop_signal;
  long stop_timeout;
  bool stop_timeout_set;
  const char *health_cmd, *health_interval, *health_timeout,
      *health_start_period;
  long health_retries;
  bool health_retries_set;
  const char *pull, *network, *userns, *log_driver, *platform,
      *cgroup_parent, *pid, *ipc, *domainname, *cidfile;
  struct strlist env, env_file, volume, mount, tmpfs, label, ulimit, cap_add,
      cap_drop, security_opt, device, sysctl, log_opt, group_add, label_file;
  /* Ports, addresses, names and resolvers. */
  struct strlist publish, expose, network_alias, add_host, dns, dns_search,
      dns_option;
  bool publish_all;
  const char *ip, *ip6, *mac_address;
  /* How `run` attaches (not part of the create request). */
  struct strlist attach; /* -a STDIN|STDOUT|STDERR */
  const char *detach_keys;
  bool sig_proxy; /* default true: set before parsing */
};

/* Builds the request (Config + HostConfig) from the flags and the
 * command; errors name the flag. */
int run_request_build(const struct run_flags *f, char *const *cmd,
                      size_t ncmd, char *const *envp, json_t **out,
                      berth_error **err);

#endif
