/* berth info, version, rename, port, container prune, system prune. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "containers.h"
#include "create.h"
#include "engine.h"
#include "fs.h"
#include "images.h"
#include "lifecycle.h"
#include "prune.h"
#include "logs.h"
#include "start.h"
#include "stats.h"
#include "volumes.h"

/* berth.c keeps the version to itself; the build's is the project's. */
#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif
/* The Engine API version whose request bodies berth takes. */
#define BERTH_API_VERSION "1.43"



/* ---- info ---- */

static const char *os_name(char *buf, size_t len) {
  _cleanup_free_ char *text = NULL;
  snprintf(buf, len, "Linux");
  if (berth_read_file(AT_FDCWD, "/etc/os-release", 1 << 16, &text, NULL, NULL) <
      0)
    return buf;
  for (char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
    if (strncmp(l, "PRETTY_NAME=", 12) == 0) {
      const char *v = l + 12 + (l[12] == '"');
      size_t n = strcspn(v, "\"\n");
      snprintf(buf, len, "%.*s", (int)n, v);
    }
  return buf;
}

/* What holds the root, as Docker's "Backing Filesystem" names it. */
static const char *backing_fs(const char *root) {
  static const struct {
    long magic;
    const char *name;
  } fs[] = {{EXT4_SUPER_MAGIC, "extfs"},          {XFS_SUPER_MAGIC, "xfs"},
            {BTRFS_SUPER_MAGIC, "btrfs"},         {TMPFS_MAGIC, "tmpfs"},
            {OVERLAYFS_SUPER_MAGIC, "overlayfs"}, {0x2fc12fc1, "zfs"}};
  struct statfs sf;
  if (statfs(root, &sf) < 0)
    return "unknown";
  for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
    if ((long)sf.f_type == fs[i].magic)
      return fs[i].name;
  return "unknown";
}

struct ctr_counts {
  int total, running, paused, stopped;
};

static int count_containers(struct berth_engine *e, struct ctr_counts *k) {
  struct berth_ctr *list = NULL;
  size_t n = 0;
  berth_error *err = NULL;
  if (berth_ctr_list(e->db, &list, &n, &err) < 0)
    return cli_error(err, 1), -1;
  *k = (struct ctr_counts){.total = (int)n};
  for (size_t i = 0; i < n; i++) {
    berth_ctr_refresh(e, &list[i], NULL);
    if (strcmp(list[i].state, BERTH_ST_PAUSED) == 0)
      k->paused++;
    else if (strcmp(list[i].state, BERTH_ST_RUNNING) == 0 ||
             strcmp(list[i].state, BERTH_ST_RESTARTING) == 0)
      k->running++;
    else
      k->stopped++;
  }
  berth_ctrs_free(list, n);
  return 0;
}

static json_t *info_json(struct berth_engine *e) {
  struct ctr_counts k;
  if (count_containers(e, &k) < 0)
    return NULL;
  struct berth_image *imgs = NULL;
  size_t nimg = 0;
  berth_error *err = NULL;
  if (berth_images_list(e->db, &imgs, &nimg, &err) < 0)
    return cli_error(err, 1), NULL;
  berth_images_free(imgs, nimg);
  struct utsname u;
  uname(&u);
  char os[256], host[256] = "";
  gethostname(host, sizeof host - 1);
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  const char *cgv = berth_stats_cgroup_version();
  /* Every container gets the default seccomp profile, its own user
   * namespace (host ids from a private range) and cgroup namespace. */
  json_t *sec = json_pack("[s,s,s]", "name=seccomp,profile=default",
                          "name=userns", "name=cgroupns");
  return json_pack(
      "{s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:[[s,s]],s:s,s:s,s:s,s:s,s:s,s:s,"
      "s:s,s:i,s:I,s:s,s:s,s:s,s:{s:{s:s}},s:s,s:o,s:b,s:b}",
      "ID", "", "Containers", k.total, "ContainersRunning", k.running,
      "ContainersPaused", k.paused, "ContainersStopped", k.stopped, "Images",
      (int)nimg, "Driver", "overlay", "DriverStatus", "Backing Filesystem",
      backing_fs(e->root), "LoggingDriver", "json-file", "CgroupDriver",
      "cgroupfs", "CgroupVersion", strcmp(cgv, "v2") == 0 ? "2" : "1",
      "KernelVersion", u.release, "OperatingSystem", os_name(os, sizeof os),
      "OSType", "linux", "Architecture", u.machine, "NCPU",
      (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal", (json_int_t)pages * psize,
      "DockerRootDir", e->root, "Name", host, "ServerVersion", BERTH_VERSION,
      "Runtimes", "berth-runtime", "path", "berth-runtime", "DefaultRuntime",
      "berth-runtime", "SecurityOptions", sec, "MemoryLimit", 1, "SwapLimit",
      1);
}

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
         BERTH_VERSION);
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
  json_t *j = info_json(e);
  if (!j)
    return 1;
  int rc = 0;
  if (format)
    rc = cli_print_formatted("info", j, format);
  else
    print_info_text(j);
  json_decref(j);
  return rc;
}

/* ---- version ---- */

static const char *go_arch(const char *machine) {
  static const struct {
    const char *uname, *go;
  } map[] = {{"x86_64", "amd64"},   {"aarch64", "arm64"},   {"armv7l", "arm"},
             {"i686", "386"},       {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
             {"riscv64", "riscv64"}};
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (strcmp(map[i].uname, machine) == 0)
      return map[i].go;
  return machine;
}

static json_t *version_json(void) {
  struct utsname u;
  uname(&u);
  char osarch[96];
  snprintf(osarch, sizeof osarch, "linux/%s", go_arch(u.machine));
#ifdef __clang__
  const char *compiler = "clang " __clang_version__;
#else
  const char *compiler = "gcc " __VERSION__;
#endif
  const char *built = __DATE__ " " __TIME__;
  return json_pack(
      "{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:{s:{s:s},s:[{s:s,s:s,s:{s:s,s:s,"
      "s:s,s:s,s:s,s:s,s:s,s:s}},{s:s,s:s,s:{s:s}}],s:s,s:s,s:s,s:s,s:s,"
      "s:s,s:s,s:s}}",
      "Client", "Version", BERTH_VERSION, "ApiVersion", BERTH_API_VERSION,
      "Compiler", compiler, "BuildTime", built, "Os", "linux", "Arch",
      go_arch(u.machine), "OsArch", osarch, "Server", "Platform", "Name",
      "berth (daemonless)", "Components", "Name", "Engine", "Version",
      BERTH_VERSION, "Details", "ApiVersion", BERTH_API_VERSION,
      "MinAPIVersion", "1.12", "Compiler", compiler, "BuildTime", built, "Os",
      "linux", "Arch", go_arch(u.machine), "KernelVersion", u.release,
      "Experimental", "false", "Name", "berth-runtime", "Version",
      BERTH_VERSION, "Details", "Spec", "1.2.0", "Version", BERTH_VERSION,
      "ApiVersion", BERTH_API_VERSION, "MinAPIVersion", "1.12", "Os", "linux",
      "Arch", go_arch(u.machine), "KernelVersion", u.release, "Compiler",
      compiler, "BuildTime", built);
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
  json_t *j = version_json();
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

/* ---- rename ---- */

int cmd_rename(struct berth_cli *cli, int argc, char **argv) {
  char *pos[2];
  size_t npos;
  if (cli_args("rename", argc, argv, NULL, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 2)
    return cli_errorf(EXIT_USAGE, "rename: requires exactly 2 arguments");
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  berth_error *err = NULL;
  /* Docker accepts "/name" as a name. */
  const char *name = pos[1] + (pos[1][0] == '/');
  if (berth_ctr_set_name(e, pos[0], name, &err) < 0)
    return cli_error(err, 1);
  return 0;
}

/* ---- port ---- */

int cmd_port(struct berth_cli *cli, int argc, char **argv) {
  char *pos[2];
  size_t npos;
  if (cli_args("port", argc, argv, NULL, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "port: requires at least 1 argument");
  char port[64] = "";
  if (npos == 2) {
    char *end;
    long p = strtol(pos[1], &end, 10);
    const char *proto = *end == '/' ? end + 1 : "tcp";
    if (end == pos[1] || p < 1 || p > 65535 || (*end && *end != '/') ||
        (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
      return cli_errorf(EXIT_USAGE, "port: invalid port `%s`", pos[1]);
    snprintf(port, sizeof port, "%ld/%s", p, proto);
  }
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  berth_error *err = NULL;
  if (berth_ctr_find(e->db, pos[0], &c, &err) < 0)
    return cli_error(err, 1);
  /* No network mode of berth publishes ports yet (none and host): there
   * is never a mapping to show. */
  if (*port)
    return cli_errorf(1, "no public port '%s' published for %s", port, pos[0]);
  return 0;
}

/* ---- container prune, system prune ---- */

static int parse_prune_filters(const char *cmd, const struct strlist *l,
                               struct berth_prune_filter *f) {
  *f = (struct berth_prune_filter){0};
  for (size_t i = 0; i < l->n; i++) {
    const char *s = l->items[i];
    berth_error *err = NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (strncmp(s, "until=", 6) == 0) {
      if (berth_parse_log_time("until", s + 6, now, &f->until, &err) < 0)
        return cli_error(err, EXIT_USAGE), -1;
    } else if (strncmp(s, "label=", 6) == 0 &&
               f->nlabels < ARRAY_SIZE(f->labels)) {
      f->labels[f->nlabels++] = s + 6;
    } else {
      return cli_errorf(EXIT_USAGE, "%s: invalid filter `%s`", cmd, s), -1;
    }
  }
  return 0;
}

struct pruned {
  size_t deleted;
  uint64_t freed;
  int status;
};

/* Lists the ids under "Deleted Containers:"; a container that could not
 * go is an error, and a failure unless it had gone or been started. */
static void container_pruned(const char *id, uint64_t size, berth_error *err,
                             void *arg) {
  struct pruned *p = arg;
  if (err) {
    if (err->kind != BERTH_ERR_NOT_FOUND && err->kind != BERTH_ERR_STATE)
      p->status = 1;
    cli_error(err, 1);
    return;
  }
  if (p->deleted++ == 0)
    puts("Deleted Containers:");
  puts(id);
  p->freed += size;
}

static int prune_containers(struct berth_engine *e,
                            const struct berth_prune_filter *f,
                            uint64_t *freed) {
  struct pruned p = {0};
  berth_error *err = NULL;
  if (berth_ctr_prune(e, f, container_pruned, &p, &err) < 0)
    return cli_error(err, 1);
  if (p.deleted)
    putchar('\n');
  *freed += p.freed;
  return p.status;
}

static void image_pruned(const struct berth_image *img, void *arg) {
  struct pruned *p = arg;
  if (p->deleted++ == 0)
    puts("Deleted Images:");
  for (char **t = img->tags; t && *t; t++)
    printf("untagged: %s\n", *t);
  for (char **d = img->digests; d && *d; d++)
    printf("untagged: %s\n", *d);
  printf("deleted: %s\n", img->id);
}

static int prune_images(struct berth_engine *e, bool all, uint64_t *freed) {
  struct pruned p = {0};
  berth_error *err = NULL;
  int rc = berth_images_prune(e, all, image_pruned, &p, freed, &err);
  if (p.deleted)
    putchar('\n');
  return rc < 0 ? cli_error(err, 1) : 0;
}

bool cli_confirm(const char *warning) {
  fprintf(stderr, "%s\nAre you sure you want to continue? [y/N] ", warning);
  char line[16];
  return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

void cli_print_reclaimed(uint64_t freed) {
  char size[16];
  cli_human_size((double)freed, size, sizeof size);
  printf("Total reclaimed space: %s\n", size);
}

int cmd_container_prune(struct berth_cli *cli, int argc, char **argv) {
  bool force = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"until=<timestamp>\")"}};
  char *pos[1];
  size_t npos;
  if (cli_args("container prune", argc, argv, opts, ARRAY_SIZE(opts), pos, 0,
               &npos) < 0)
    return EXIT_USAGE;
  struct berth_prune_filter f;
  if (parse_prune_filters("container prune", &filters, &f) < 0)
    return EXIT_USAGE;
  if (!force && !cli_confirm("WARNING! This will remove all stopped containers."))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t freed = 0;
  int status = prune_containers(e, &f, &freed);
  cli_print_reclaimed(freed);
  return status;
}

int cmd_system_prune(struct berth_cli *cli, int argc, char **argv) {
  bool all = false, force = false, volumes = false;
  struct strlist filters = {0};
  const struct opt opts[] = {
      {"all,a", OPT_BOOL, &all, NULL,
       "Remove all unused images not just dangling ones"},
      {"force,f", OPT_BOOL, &force, NULL, "Do not prompt for confirmation"},
      {"volumes", OPT_BOOL, &volumes, NULL, "Prune anonymous volumes"},
      {"filter", OPT_LIST, &filters, NULL,
       "Provide filter values (e.g. \"label=<key>=<value>\")"}};
  char *pos[1];
  size_t npos;
  int nw;
  _cleanup_free_ char **w =
      cli_expand_short(argc, argv, opts, ARRAY_SIZE(opts), &nw, false);
  if (!w || cli_args("system prune", nw, w, opts, ARRAY_SIZE(opts), pos, 0,
                     &npos) < 0)
    return EXIT_USAGE;
  struct berth_prune_filter f;
  if (parse_prune_filters("system prune", &filters, &f) < 0)
    return EXIT_USAGE;
  char warning[512];
  snprintf(warning, sizeof warning,
           "WARNING! This will remove:\n  - all stopped containers\n%s%s",
           volumes ? "  - all anonymous volumes not used by at least one "
                     "container\n"
                   : "",
           all ? "  - all images without at least one container associated "
                 "to them\n"
               : "  - all dangling images\n");
  if (!force && !cli_confirm(warning))
    return 0;
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  uint64_t freed = 0;
  int status = prune_containers(e, &f, &freed);
  /* As Docker 23+: only anonymous volumes no container uses. */
  berth_error *verr = NULL;
  if (volumes && cli_prune_volumes(e, false, &freed, &verr) < 0)
    status = cli_error(verr, 1);
  if (prune_images(e, all, &freed) != 0)
    status = 1;
  cli_print_reclaimed(freed);
  return status;
}
