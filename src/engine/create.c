/* Container creation: the request merged with the image's config. */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "create_check.h"
#include "etc_files.h"
#include "fs.h"
#include "images.h"
#include "manifest.h"
#include "store.h"
#include "idmap_bind.h"
#include "networks.h"
#include "volumes.h"

#define IDRANGE_SIZE 65536

void berth_ctr_dir(const struct berth_engine *e, const char *id, char *buf,
                   size_t len) {
  snprintf(buf, len, "%s/containers/%s", e->root, id);
}

static int load_image_config(struct berth_engine *e, const char *image_id,
                             json_t **out, berth_error **err) {
  _cleanup_free_ char *data = NULL;
  size_t len;
  struct berth_image_config cfg = {0};
  if (berth_store_get(e->is->store, image_id, 8 << 20, &data, &len, err) < 0 ||
      berth_image_config_parse(data, len, &cfg, err) < 0)
    return berth_error_prefix(err, "image `%.19s`", image_id);
  json_t *c = json_object_get(cfg.doc, "config");
  *out = json_is_object(c) ? json_incref(c) : json_object();
  berth_image_config_free(&cfg);
  return 0;
}

static const char *env_key_end(const char *s) {
  const char *eq = strchr(s, '=');
  return eq ? eq : s + strlen(s);
}

/* Image Env, then the request's; a later KEY replaces an earlier one. */
static json_t *merge_env(json_t *image, json_t *req) {
  json_t *out = json_array();
  json_t *lists[2] = {image, req};
  for (int l = 0; l < 2; l++) {
    size_t i;
    json_t *v;
    json_array_foreach(lists[l], i, v) {
      const char *s = json_string_value(v);
      if (!s)
        continue;
      size_t klen = (size_t)(env_key_end(s) - s);
      size_t j;
      json_t *w;
      bool replaced = false;
      json_array_foreach(out, j, w) {
        const char *t = json_string_value(w);
        if (strncmp(t, s, klen) == 0 && (t[klen] == '=' || !t[klen])) {
          json_array_set(out, j, v);
          replaced = true;
          break;
        }
      }
      if (!replaced)
        json_array_append(out, v);
    }
  }
  return out;
}

static void default_from(json_t *req, json_t *img, const char *key) {
  json_t *v = json_object_get(req, key);
  if ((!v || json_is_null(v) ||
       (json_is_string(v) && !*json_string_value(v))) &&
      json_object_get(img, key) && !json_is_null(json_object_get(img, key)))
    json_object_set(req, key, json_object_get(img, key));
}

static void merge_objects(json_t *req, json_t *img, const char *key) {
  json_t *merged = json_copy(json_object_get(img, key));
  if (!json_is_object(merged)) {
    json_decref(merged);
    merged = json_object();
  }
  json_object_update(merged, json_object_get(req, key));
  json_object_set_new(req, key, merged);
}

/* Docker's rules: an Entrypoint given by the user (even empty) replaces
 * the image's and drops the image's Cmd; a Cmd given replaces the
 * image's Cmd only. */
static json_t *merge_config(json_t *req, json_t *img, bool image_volumes) {
  json_t *c = json_deep_copy(req);
  bool user_ep = json_object_get(c, "Entrypoint") &&
                 !json_is_null(json_object_get(c, "Entrypoint"));
  bool user_cmd = json_array_size(json_object_get(c, "Cmd")) > 0;
  if (!user_ep)
    json_object_set(c, "Entrypoint", json_object_get(img, "Entrypoint")
                                         ? json_object_get(img, "Entrypoint")
                                         : json_null());
  if (!user_cmd)
    json_object_set(c, "Cmd", user_ep ? json_null()
                                      : (json_object_get(img, "Cmd")
                                             ? json_object_get(img, "Cmd")
                                             : json_null()));
  json_object_set_new(c, "Env", merge_env(json_object_get(img, "Env"),
                                          json_object_get(c, "Env")));
  default_from(c, img, "WorkingDir");
  default_from(c, img, "User");
  default_from(c, img, "StopSignal");
  default_from(c, img, "Healthcheck");
  merge_objects(c, img, "ExposedPorts");
  if (image_volumes)
    merge_objects(c, img, "Volumes");
  merge_objects(c, img, "Labels");
  return c;
}

static void new_id(char id[65]) {
  unsigned char b[32];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (size_t i = 0; i < sizeof b; i++)
      b[i] = (unsigned char)((ts.tv_nsec >> (i % 8)) ^ (getpid() * (int)i));
  }
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(id + 2 * i, 3, "%02x", b[i]);
}

/* Docker-style "adjective_noun" names. */
static void new_name(char *out, size_t len) {
  static const char *const adj[] = {
      "brave",  "calm",   "eager",  "fond",   "gentle", "happy", "jolly",
      "keen",   "lucid",  "merry",  "nimble", "proud",  "quiet", "rapid",
      "serene", "tender", "upbeat", "vivid",  "witty",  "zealous"};
  static const char *const noun[] = {
      "anchor", "barge",  "buoy",  "cove",   "dock",  "ferry", "harbor",
      "hull",   "jetty",  "keel",  "lagoon", "mast",  "pier",  "quay",
      "reef",   "rudder", "sail",  "skiff",  "tide",  "wharf"};
  unsigned r[3];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
    r[0] = r[1] = r[2] = (unsigned)getpid();
  snprintf(out, len, "%s_%s_%u", adj[r[0] % ARRAY_SIZE(adj)],
           noun[r[1] % ARRAY_SIZE(noun)], r[2] % 10000);
}

/* --network container:X: X's host and domain names, as Docker gives
 * (the network stack, /etc/hosts and resolv.conf are X's too). */
static void joined_hostname(struct berth_engine *e, json_t *config,
                            const char *netmode) {
  if (!netmode || strncmp(netmode, "container:", 10) != 0)
    return;
  _cleanup_ctr_ struct berth_ctr *x = NULL;
  if (berth_ctr_get(e->db, netmode + 10, &x, NULL) < 0)
    return;
  const char *keys[] = {"Hostname", "Domainname"};
  for (size_t i = 0; i < 2; i++) {
    json_t *v = json_object_get(x->config, keys[i]);
    if (json_is_string(v))
      json_object_set(config, keys[i], v);
  }
}

static bool want_userns(json_t *req) {
  const char *m = json_string_value(
      json_object_get(json_object_get(req, "HostConfig"), "UsernsMode"));
  return !(m && strcmp(m, "host") == 0) &&
         !json_is_true(json_object_get(json_object_get(req, "HostConfig"),
                                       "Privileged"));
}

static int insert_record(struct berth_engine *e, struct berth_ctr *c,
                         bool userns, berth_error **err) {
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  if (berth_ctr_insert(e->db, c, err) < 0 ||
      (userns && berth_idrange_alloc(e->db, c->id, IDRANGE_SIZE, &c->id_base,
                                     err) < 0) ||
      berth_volumes_attach(e, c->id, c->config, err) < 0 ||
      berth_endpoints_create(e, c->id, c->config, err) < 0 ||
      berth_event_add(e->db, "container", "create", c->id, NULL, err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  if (userns)
    c->id_count = IDRANGE_SIZE;
  return berth_db_commit(e->db, err);
}

static int ctr_new(struct berth_engine *e, const char *image_id,
                   const char *image_name, json_t *req, const char *name,
                   bool image_volumes, char id[65], berth_error **err) {
  char gen_name[64];
  if (name && berth_ctr_name_validate(name, err) < 0)
    return -1;
  /* Checked (and normalised) on a copy: the request is the caller's. */
  json_t *rq = json_deep_copy(req);
  if (!rq)
    return berth_error_set(err, BERTH_ERR_SYSTEM, ENOMEM, "copy the request");
  if (berth_create_check(e, rq, err) < 0) {
    json_decref(rq);
    return -1;
  }
  if (!name) {
    new_name(gen_name, sizeof gen_name);
    name = gen_name;
  }
  json_t *img = NULL;
  if (load_image_config(e, image_id, &img, err) < 0) {
    json_decref(rq);
    return -1;
  }
  struct berth_ctr c = {0};
  new_id(c.id);
  c.name = (char *)name;
  snprintf(c.image_id, sizeof c.image_id, "%s", image_id);
  c.image_name = (char *)image_name;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  c.created = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  c.config = merge_config(rq, img, image_volumes);
  json_decref(img);
  json_decref(rq);
  snprintf(c.state, sizeof c.state, "%s", BERTH_ST_CREATED);
  json_t *hn = json_object_get(c.config, "Hostname");
  if (!json_string_value(hn) || !*json_string_value(hn)) {
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%s", c.id);
    json_object_set_new(c.config, "Hostname", json_string(short_id));
  }
  const char *netmode = json_string_value(json_object_get(
      json_object_get(c.config, "HostConfig"), "NetworkMode"));
  bool net_host = netmode && strcmp(netmode, "host") == 0;
  if (net_host) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    json_object_set_new(c.config, "Hostname", json_string(host));
  }
  joined_hostname(e, c.config, netmode);
  bool userns = want_userns(c.config);
  /* Refused now rather than at start: a bind that cannot be idmapped
   * must leave no container behind. */
  if (userns &&
      berth_idmap_check_binds(json_object_get(json_object_get(c.config,
                                                              "HostConfig"),
                                              "Mounts"),
                              err) < 0) {
    json_decref(c.config);
    return -1;
  }
  char dir[4096];
  berth_ctr_dir(e, c.id, dir, sizeof dir);
  int rc = insert_record(e, &c, userns, err);
  if (rc == 0) {
    /* Its config (env), log and writable layer are nobody else's; the
     * runtime reaches the rootfs through an fd, whatever the mode. */
    if (berth_mkdir_p(dir, 0700, err) < 0 ||
        berth_etc_files_write(e, &c, err) < 0) {
      berth_rm_rf(dir, NULL);
      berth_db_begin(e->db, NULL);
      berth_volumes_detach(e, c.id, true, NULL);
      berth_ctr_delete(e->db, c.id, NULL);
      berth_db_commit(e->db, NULL);
      rc = -1;
    }
  }
  json_decref(c.config);
  if (rc == 0)
    memcpy(id, c.id, 65);
  return rc;
}

int berth_ctr_new(struct berth_engine *e, const char *image_id,
                  const char *image_name, json_t *req, const char *name,
                  char id[65], berth_error **err) {
  return ctr_new(e, image_id, image_name, req, name, true, id, err);
}

int berth_ctr_new_build(struct berth_engine *e, const char *image_id,
                        json_t *req, const char *name, char id[65],
                        berth_error **err) {
  return ctr_new(e, image_id, image_id, req, name, false, id, err);
}

void berth_ctr_trash_dir(const struct berth_engine *e, const char *id,
                         char *buf, size_t len) {
  snprintf(buf, len, "%s/containers/.rm-%s", e->root, id);
}

static int drop_record(struct berth_engine *e, const char *id, bool volumes,
                       int died, berth_error **err) {
  if (berth_db_begin(e->db, err) < 0)
    return -1;
  if ((died >= 0 && (berth_event_add_die(e->db, id, died, err) < 0 ||
                     berth_volumes_event(e, id, "unmount", err) < 0)) ||
      berth_event_add(e->db, "container", "destroy", id, NULL, err) < 0 ||
      berth_volumes_detach(e, id, volumes, err) < 0 ||
      berth_ctr_delete(e->db, id, err) < 0) {
    berth_db_rollback(e->db);
    return -1;
  }
  return berth_db_commit(e->db, err);
}

int berth_ctr_destroy(struct berth_engine *e, const char *id,
                      bool volumes, berth_error **err) {
  /* Renamed away first, then deleted: a command that opens the lock file
   * in containers/<id> meanwhile (wait, stop, restart) gets ENOENT, "no
   * such container", instead of re-creating the file in a directory
   * being deleted (which then could not be removed: the record would
   * stay, an exited --rm container). */
  int rc = berth_ctr_destroy_to_trash(e, id, volumes, -1, err);
  if (rc == 1) {
    char trash[4096];
    berth_ctr_trash_dir(e, id, trash, sizeof trash);
    /* The record is gone: trash left here is `system check`'s. */
    berth_rm_rf(trash, NULL);
    rc = 0;
  }
  return rc;
}

int berth_ctr_destroy_to_trash(struct berth_engine *e, const char *id,
                               bool volumes, int died, berth_error **err) {
  char dir[4096], trash[4096];
  berth_ctr_dir(e, id, dir, sizeof dir);
  berth_ctr_trash_dir(e, id, trash, sizeof trash);
  /* One rename instead of a tree of unlinks; as above, the directory goes
   * (from where anything looks for it) before the record. */
  if (rename(dir, trash) < 0) {
    if (errno != ENOENT && berth_rm_rf(dir, err) < 0)
      return -1;
    return drop_record(e, id, volumes, died, err);
  }
  return drop_record(e, id, volumes, died, err) < 0 ? -1 : 1;
}
