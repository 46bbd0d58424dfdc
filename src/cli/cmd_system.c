/* berth info, version (the engine's documents: system_info.h), system df
 * (df.h) and system check (check.h): the engine and host, printed as
 * Docker's CLI prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <unistd.h>

#include "berth.h"
#include "check.h"
#include "reset.h"
#include "rows.h"
#include "cleanup.h"
#include "df.h"
#include "engine.h"
#include "system_info.h"
#include "reference.h"

/* ---- info ---- */

static void print_info_text(json_t *j) {
#define S(k) json_string_value(json_object_get(j, k))
#define I(k) (long long)json_integer_value(json_object_get(j, k))
  char mem[32];
  double m = (double)I("MemTotal");
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (m >= 1024 && u + 1 < ARRAY_SIZE(units))
    m /= 1024, u++;
  snprintf(mem, sizeof mem, "%.4g%s", m, units[u]);
  printf("Client:\n Version:    %s\n Context:    default\n Debug Mode: "
         "false\n\n",
         BERTH_ENGINE_VERSION);
  printf("Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n"
         "  Stopped: %lld\n Images: %lld\n Server Version: %s\n"
         " Storage Driver: %s\n  Backing Filesystem: %s\n"
         " Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n"
         " Runtimes: berth-runtime\n Default Runtime: %s\n",
         I("Containers"), I("ContainersRunning"), I("ContainersPaused"),
         I("ContainersStopped"), I("Images"), S("ServerVersion"), S("Driver"),
         json_string_value(json_array_get(
             json_array_get(json_object_get(j, "DriverStatus"), 0), 1)),
         S("LoggingDriver"), S("CgroupDriver"), S("CgroupVersion"),
         S("DefaultRuntime"));
  printf(" Security Options:\n  seccomp\n   Profile: default\n  userns\n"
         "  cgroupns\n");
  printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n"
         " Architecture: %s\n CPUs: %lld\n Total Memory: %s\n Name: %s\n"
         " Docker Root Dir: %s\n Debug Mode: false\n",
         S("KernelVersion"), S("OperatingSystem"), S("OSType"),
         S("Architecture"), I("NCPU"), mem, S("Name"), S("DockerRootDir"));
#undef S
#undef I
}

int cmd_info(struct berth_cli *cli, int argc, char **argv) {
  const char *format = NULL;
  const struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[1];
  size_t npos;
  if (cli_args("info", argc, argv, opts, ARRAY_SIZE(opts), pos, 0, &npos) < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  json_t *j = berth_system_info(e, &err);
  if (!j)
    return cli_error(err, 1);
  int rc = 0;
  if (format)
    rc = cli_print_formatted("info", j, format);
  else
    print_info_text(j);
  json_decref(j);
  return rc;
}

/* ---- version ---- */

/* Docker's `version --format json`: {Client, Server}; the client is
 * this same build. */
static json_t *version_doc(void) {
  struct utsname u;
  uname(&u);
  char osarch[96];
  snprintf(osarch, sizeof osarch, "linux/%s", berth_go_arch(u.machine));
  json_t *server = berth_system_version();
  if (!server)
    return NULL;
  return json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:o}", "Client",
                   "Version", BERTH_ENGINE_VERSION, "ApiVersion",
                   BERTH_API_VERSION, "Compiler", berth_system_compiler(),
                   "BuildTime", BERTH_BUILD_TIME, "Os", "linux", "Arch",
                   berth_go_arch(u.machine), "OsArch", osarch, "Server",
                   server);
}

int cmd_version(struct berth_cli *cli, int argc, char **argv) {
  (void)cli;
  const char *format = NULL;
  const struct opt opts[] = {
      {"format,f", OPT_STRING, &format, NULL,
       "Format output using a custom template ('json' or a Go template)"}};
  char *pos[1];
  size_t npos;
  if (cli_args("version", argc, argv, opts, ARRAY_SIZE(opts), pos, 0, &npos) <
      0)
    return EXIT_USAGE;
  json_t *j = version_doc();
  if (!j)
    return cli_errorf(1, "version: out of memory");
  if (format) {
    int rc = cli_print_formatted("version", j, format);
    json_decref(j);
    return rc;
  }
  json_t *c = json_object_get(j, "Client"), *s = json_object_get(j, "Server");
#define S(o, k) json_string_value(json_object_get(o, k))
  printf("Client:\n Version:           %s\n API version:       %s\n"
         " C compiler:        %s\n Built:             %s\n"
         " OS/Arch:           %s\n Context:           default\n\n",
         S(c, "Version"), S(c, "ApiVersion"), S(c, "Compiler"),
         S(c, "BuildTime"), S(c, "OsArch"));
  printf("Server: %s\n Engine:\n  Version:          %s\n"
         "  API version:      %s (minimum version %s)\n"
         "  C compiler:       %s\n  Built:            %s\n"
         "  OS/Arch:          %s\n  Experimental:     false\n"
         " berth-runtime:\n  Version:          %s\n  Spec:             1.2.0\n",
         S(json_object_get(s, "Platform"), "Name"), S(s, "Version"),
         S(s, "ApiVersion"), S(s, "MinAPIVersion"), S(s, "Compiler"),
         S(s, "BuildTime"), S(c, "OsArch"), S(s, "Version"));
#undef S
  json_decref(j);
  return 0;
}

/* ---- system df ---- */

/* "16.43MB (70%)" as Docker's df writes reclaimable space. */
static void reclaim_text(int64_t rec, int64_t total, char *out, size_t len) {
  char h[16];
  cli_human_size4((double)rec, h, sizeof h);
  if (total > 0)
    snprintf(out, len, "%s (%lld%%)", h, (long long)(rec * 100 / total));
  else
    snprintf(out, len, "%s", h);
}

static void print_summary(const struct berth_df *df) {
  static const char *names[] = {"Images", "Containers", "Local Volumes",
                                "Build Cache"};
  printf("%-16s%-10s%-10s%-12s%s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE",
         "RECLAIMABLE");
  for (int t = BERTH_DF_IMAGES; t <= BERTH_DF_BUILD_CACHE; t++) {
    struct berth_df_summary s;
    berth_df_summarize(df, (enum berth_df_type)t, &s);
    char size[16], rec[32];
    cli_human_size4((double)s.size, size, sizeof size);
    reclaim_text(s.reclaimable, s.size, rec, sizeof rec);
    printf("%-16s%-10zu%-10zu%-12s%s\n", names[t], s.total, s.active, size,
           rec);
  }
}

static void print_df_images(const struct berth_df *df) {
  printf("Images space usage:\n\n%-40s %-16s %-13s %-16s %-10s %-12s "
         "%-12s %s\n",
         "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
         "UNIQUE SIZE", "CONTAINERS");
  for (size_t i = 0; i < df->n_images; i++) {
    const struct berth_df_image *d = &df->images[i];
    char *none[] = {"<none>:<none>", NULL};
    char **names = d->img.tags && d->img.tags[0] ? d->img.tags : none;
    char size[16], shared[16], unique[16], ago[48];
    cli_human_size4((double)d->img.size, size, sizeof size);
    cli_human_size4((double)d->shared_size, shared, sizeof shared);
    cli_human_size4((double)(d->img.size - d->shared_size), unique,
                    sizeof unique);
    cli_human_ago(d->img.created, d->img.added, ago, sizeof ago);
    for (char **n = names; *n; n++) {
      char repo[512], tag[160];
      berth_ref_split_familiar(*n, repo, sizeof repo, tag, sizeof tag);
      printf("%-40s %-16s %-13.12s %-16s %-10s %-12s %-12s %d\n", repo, tag,
             d->img.id + 7, ago, size, shared, unique, d->containers);
    }
  }
}

/* "\"sh -c 'sleep…\"": the command, quoted and cut as docker's tables. */
static void ctr_command(const struct berth_ctr *c, char *out, size_t len) {
  _cleanup_free_ char *cmd = berth_ctr_command_text(c);
  if (!cmd) {
    snprintf(out, len, "\"\"");
    return;
  }
  /* Docker quotes the command: control characters do not break rows. */
  for (char *p = cmd; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  snprintf(out, len, "\"%.17s%s\"", cmd, strlen(cmd) > 17 ? "…" : "");
}

static void print_df_ctrs(const struct berth_df *df) {
  printf("\nContainers space usage:\n\n%-14s %-20s %-22s %-15s %-10s %-16s "
         "%-26s %s\n",
         "CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE",
         "CREATED", "STATUS", "NAMES");
  for (size_t i = 0; i < df->n_ctrs; i++) {
    const struct berth_df_container *d = &df->ctrs[i];
    char size[16], ago[48], cmd[40];
    cli_human_size4((double)d->size_rw, size, sizeof size);
    cli_human_ago(NULL, d->ctr.created / 1000000000, ago, sizeof ago);
    ctr_command(&d->ctr, cmd, sizeof cmd);
    printf("%-14.12s %-20s %-22s %-15d %-10s %-16s %-26s %s\n", d->ctr.id,
           d->ctr.image_name, cmd, d->local_volumes, size, ago, d->ctr.state,
           d->ctr.name);
  }
}

static void print_df_vols(const struct berth_df *df) {
  printf("\nLocal Volumes space usage:\n\n%-66s %-10s %s\n", "VOLUME NAME",
         "LINKS", "SIZE");
  for (size_t i = 0; i < df->n_vols; i++) {
    char size[16];
    cli_human_size4((double)df->vols[i].size, size, sizeof size);
    printf("%-66s %-10d %s\n", df->vols[i].vol.name, df->vols[i].vol.refs,
           size);
  }
}

static void print_df_cache(const struct berth_df *df) {
  char total[16];
  cli_human_size4((double)df->cache_size, total, sizeof total);
  printf("\nBuild cache usage: %s\n\n%-12s %-12s %-10s %-16s %-16s %-10s "
         "%s\n",
         total, "CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED",
         "USAGE", "SHARED");
  for (size_t i = 0; i < df->n_cache; i++) {
    const struct berth_df_image *d = &df->cache[i];
    char size[16], created[48], used[48] = "";
    cli_human_size4((double)(d->img.size - d->shared_size), size, sizeof size);
    cli_human_ago(d->img.created, d->img.added, created, sizeof created);
    if (d->last_used)
      cli_human_ago(NULL, d->last_used, used, sizeof used);
    printf("%-12.12s %-12s %-10s %-16s %-16s %-10d %s\n", d->img.id + 7,
           "regular", size, created, used, d->containers,
           d->shared_size > 0 ? "true" : "false");
  }
}

int cmd_system_df(struct berth_cli *cli, int argc, char **argv) {
  bool verbose = false;
  const struct opt opts[] = {
      {"verbose,v", OPT_BOOL, &verbose, NULL, "Show detailed information on "
                                              "space usage"}};
  char *pos[1];
  size_t npos;
  if (cli_args("system df", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return 1;
  struct berth_df df;
  berth_error *err = NULL;
  if (berth_system_df(e, &df, &err) < 0)
    return cli_error(err, 1);
  if (verbose) {
    print_df_images(&df);
    print_df_ctrs(&df);
    print_df_vols(&df);
    print_df_cache(&df);
  } else {
    print_summary(&df);
  }
  berth_df_free(&df);
  return 0;
}

/* ---- system check ---- */

static void print_finding(const char *finding, bool repaired, void *data) {
  int *unrepaired = data;
  printf("%s\n", finding);
  if (!repaired)
    (*unrepaired)++;
}

/* berth system check [--dry-run]: reports what crashes left behind and
 * repairs it (unless --dry-run). */
int cmd_system_check(struct berth_cli *cli, int argc, char **argv) {
  bool dry = false;
  const struct opt opts[] = {
      {"dry-run", OPT_BOOL, &dry, NULL,
       "Only report what a crash left behind, repair nothing"}};
  char *pos[1];
  size_t npos;
  if (cli_args("system check", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  int problems = 0, unrepaired = 0;
  berth_error *err = NULL;
  if (berth_system_check(e, !dry, e->cgroup_parent,
                         print_finding, &unrepaired, &problems, &err) < 0)
    return cli_error(err, 1);
  if (problems == 0)
    puts("no problems found");
  return unrepaired ? 1 : 0;
}


/* berth system reset [-f]: removes every container, network, volume and
 * image (podman's `system reset`). */
int cmd_system_reset(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"}};
  char *pos[1];
  size_t npos;
  if (cli_args("system reset", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  if (!force && !cli_confirm("WARNING! This will remove:\n  - all containers\n"
                             "  - all networks, with their bridges and "
                             "firewall rules\n  - all volumes\n  - all "
                             "images\n"))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  if (berth_system_reset(e, &err) < 0)
    return cli_error(err, EXIT_USAGE);
  return 0;
}

/* ---- system service ---- */

/* berth system service [--time SECONDS] [--group GROUP] [URI]: serves
 * Docker's Engine API (src/api) by exec'ing berth-api, installed next to
 * berth, so that no other command loads the HTTP server. */
int cmd_system_service(struct berth_cli *cli, int argc, char **argv) {
  long idle = 5;
  const char *group = NULL;
  bool debug = false;
  const struct opt opts[] = {
      {"time,t", OPT_INT, &idle, NULL,
       "Time until the service session expires in seconds. Use 0 to "
       "disable the timeout (default 5)"},
      {"group", OPT_STRING, &group, NULL,
       "Group allowed to use the socket (its members get root-equivalent "
       "access; default root)"},
      {"debug", OPT_BOOL, &debug, NULL, "Log each request to stderr"}};
  char *pos[1];
  size_t npos;
  if (cli_args("system service", argc, argv, opts, ARRAY_SIZE(opts), pos, 1,
               &npos) < 0)
    return EXIT_USAGE;
  if (idle < 0 || idle > INT_MAX)
    return cli_errorf(EXIT_USAGE, "system service: --time: %ld is not a "
                                  "number of seconds", idle);
  char gid[32] = "0";
  if (group) {
    struct group *g = getgrnam(group);
    if (!g)
      return cli_errorf(EXIT_USAGE, "system service: --group: no such "
                                    "group: %s", group);
    snprintf(gid, sizeof gid, "%u", (unsigned)g->gr_gid);
  }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
  if (!slash || (size_t)(slash - exe) + sizeof "/berth-api" > sizeof exe)
    return cli_errorf(EXIT_USAGE, "system service: cannot find berth-api");
  memcpy(slash, "/berth-api", sizeof "/berth-api");
  char secs[32];
  snprintf(secs, sizeof secs, "%ld", idle);
  char *args[12];
  size_t k = 0;
  args[k++] = exe;
  args[k++] = "--root";
  args[k++] = (char *)cli->root;
  args[k++] = "--time";
  args[k++] = secs;
  args[k++] = "--group";
  args[k++] = gid;
  if (debug)
    args[k++] = "--debug";
  /* "--": a URI is never taken for a flag of berth-api. */
  args[k++] = "--";
  if (npos)
    args[k++] = pos[0];
  args[k] = NULL;
  execve(exe, args, cli->envp);
  return cli_errorf(126, "system service: exec `%s`: %s", exe,
                    strerror(errno));
}
