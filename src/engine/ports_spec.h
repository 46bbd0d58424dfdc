/* Port specifications as Docker writes them: the keys of ExposedPorts and
 * PortBindings ("80/tcp"), host port ranges ("8000-8010"), and the -p and
 * --expose values of `run`/`create` turned into those members. */
#ifndef BERTH_ENGINE_PORTS_SPEC_H
#define BERTH_ENGINE_PORTS_SPEC_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* "80/tcp", "53/udp", "80" (tcp): one port 1-65535 and tcp, udp or sctp
 * (lower case into proto).  -1 when malformed. */
int berth_port_key_parse(const char *key, unsigned *port, char proto[8]);
/* "8080" or "8000-8010": lo <= hi, 0-65535 (0: the kernel chooses).
 * -1 when malformed. */
int berth_port_range_parse(const char *s, unsigned *lo, unsigned *hi);
/* An IPv4 or IPv6 address (no brackets, no prefix); *family AF_INET or
 * AF_INET6 (family may be NULL). */
bool berth_ip_family(const char *s, int *family);

/* A -p value, `[IP:][HOSTPORT[-END]:]CTRPORT[-END][/PROTO]` (an IPv6 IP
 * in brackets), into exposed ({"80/tcp": {}}) and bindings ({"80/tcp":
 * [{"HostIp": "", "HostPort": "8080"}]}), as Docker's CLI: a container
 * range maps onto a host range of the same length, a single container
 * port may take a host range (the first free port of it).  Errors have
 * Docker's wording ("invalid containerPort: x"). */
int berth_publish_parse(const char *spec, json_t *exposed, json_t *bindings,
                        berth_error **err);
/* An --expose value, `PORT[-END][/PROTO]`, into exposed. */
int berth_expose_parse(const char *spec, json_t *exposed, berth_error **err);

/* ps's PORTS column from NetworkSettings.Ports, as Docker's
 * DisplayablePorts: "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp",
 * ports published on their own numbers grouped into ranges
 * ("0.0.0.0:8000-8001->8000-8001/tcp").  malloc'd; NULL without memory. */
char *berth_ports_text(json_t *ports_doc);

#endif
