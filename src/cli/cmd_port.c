/* berth port: a container's published ports, from the engine's
 * NetworkSettings.Ports, in Docker's lines ("80/tcp -> 0.0.0.0:8080";
 * with a port given only its addresses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "containers.h"
#include "engine.h"
#include "ports.h"
#include "ports_spec.h"

/* Go's net.JoinHostPort: an IPv6 host in brackets. */
static void host_port(json_t *b, char *out, size_t len) {
  const char *ip = json_string_value(json_object_get(b, "HostIp"));
  const char *port = json_string_value(json_object_get(b, "HostPort"));
  ip = ip ? ip : "";
  snprintf(out, len, strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip,
           port ? port : "");
}

/* Docker sorts its lines "naturally": runs of digits by their value. */
static int natural_cmp(const void *a, const void *b) {
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  while (*x && *y) {
    if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
      char *ex, *ey;
      unsigned long nx = strtoul(x, &ex, 10), ny = strtoul(y, &ey, 10);
      if (nx != ny)
        return nx < ny ? -1 : 1;
      x = ex;
      y = ey;
      continue;
    }
    if (*x != *y)
      return (unsigned char)*x - (unsigned char)*y;
    x++;
    y++;
  }
  return (unsigned char)*x - (unsigned char)*y;
}

static void print_sorted(char **lines, size_t n) {
  qsort(lines, n, sizeof *lines, natural_cmp);
  for (size_t i = 0; i < n; i++) {
    puts(lines[i]);
    free(lines[i]);
  }
}

/* The lines of one port (key given) or of all. */
static size_t port_lines(json_t *doc, const char *only, char ***out) {
  size_t n = 0, cap = 0;
  const char *key;
  json_t *list, *b;
  json_object_foreach(doc, key, list) cap += json_array_size(list);
  char **lines = calloc(cap ? cap : 1, sizeof *lines);
  json_object_foreach(doc, key, list) {
    size_t i;
    if (!lines || (only && strcmp(key, only) != 0))
      continue;
    json_array_foreach(list, i, b) {
      char hp[128];
      host_port(b, hp, sizeof hp);
      if (only ? asprintf(&lines[n], "%s", hp) >= 0
               : asprintf(&lines[n], "%s -> %s", key, hp) >= 0)
        n++;
    }
  }
  *out = lines;
  return n;
}

int cmd_port(struct berth_cli *cli, int argc, char **argv) {
  char *pos[2];
  size_t npos;
  if (cli_args("port", argc, argv, NULL, 0, pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "port: requires at least 1 argument");
  char key[32] = "";
  if (npos == 2) {
    unsigned p;
    char proto[8];
    if (berth_port_key_parse(pos[1], &p, proto) < 0)
      return cli_errorf(EXIT_USAGE, "port: invalid port `%s`", pos[1]);
    snprintf(key, sizeof key, "%u/%s", p, proto);
  }
  struct berth_engine *e;
  if (cli_engine(cli, &e) < 0)
    return EXIT_USAGE;
  _cleanup_ctr_ struct berth_ctr *c = NULL;
  berth_error *err = NULL;
  if (berth_ctr_find(e->db, pos[0], &c, &err) < 0)
    return cli_error(err, 1);
  json_t *doc = berth_ports_doc(e, c);
  char **lines;
  size_t n = port_lines(doc, *key ? key : NULL, &lines);
  json_decref(doc);
  print_sorted(lines, n);
  free(lines);
  /* Docker's message names the port and the container as typed. */
  if (*key && n == 0)
    return cli_errorf(1, "no public port '%s' published for %s", pos[1],
                      pos[0]);
  return 0;
}
