/* berth pull, push, login, logout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "berth.h"
#include "cleanup.h"
#include "fs.h"
#include "images.h"
#include "progress.h"
#include "pull.h"

/* Flags every command that talks to a registry takes. */
struct reg_flags {
  const char *authfile, *cert_dir, *platform;
  bool tls_verify, quiet;
  const char *files[4];
  char buf[3][4096];
  char ca[4200];
};

#define REG_OPTS(f)                                                            \
  {"authfile", OPT_STRING, &(f).authfile, NULL,                                \
   "Path of the authentication file (default: $REGISTRY_AUTH_FILE, then "      \
   "Docker's config.json)"},                                                   \
      {"cert-dir", OPT_STRING, &(f).cert_dir, NULL,                            \
       "Use certificates at this path (*.crt, *.cert, *.key) to access the "   \
       "registry"},                                                            \
      {"tls-verify", OPT_BOOL, &(f).tls_verify, NULL,                          \
       "Require HTTPS and verify certificates when contacting registries "     \
       "(default true)"},                                                      \
  {                                                                            \
    "quiet,q", OPT_BOOL, &(f).quiet, NULL, "Suppress verbose output"           \
  }

/* Where credentials are looked up, as podman and docker do. */
static void auth_files(struct reg_flags *f) {
  size_t n = 0;
  const char *env;
  if (f->authfile) {
    f->files[n++] = f->authfile;
  } else {
    if ((env = getenv("REGISTRY_AUTH_FILE")) && *env)
      f->files[n++] = env;
    if ((env = getenv("XDG_RUNTIME_DIR")) && *env) {
      snprintf(f->buf[0], sizeof f->buf[0], "%s/containers/auth.json", env);
      f->files[n++] = f->buf[0];
    }
    if ((env = getenv("DOCKER_CONFIG")) && *env)
      snprintf(f->buf[1], sizeof f->buf[1], "%s/config.json", env);
    else
      snprintf(f->buf[1], sizeof f->buf[1], "%s/.docker/config.json",
               getenv("HOME") ? getenv("HOME") : "/root");
    f->files[n++] = f->buf[1];
  }
  f->files[n] = NULL;
}

/* The file login writes: --authfile, $REGISTRY_AUTH_FILE, docker's. */
static const char *login_file(struct reg_flags *f) {
  auth_files(f);
  if (f->authfile)
    return f->authfile;
  const char *env = getenv("REGISTRY_AUTH_FILE");
  return env && *env ? env : f->buf[1];
}

/* A registry's CA as docker and podman find it: --cert-dir, else
 * /etc/containers/certs.d/<registry>/ca.crt or /etc/docker/certs.d/... */
static const char *ca_file(struct reg_flags *f, const char *registry) {
  if (f->cert_dir) {
    snprintf(f->ca, sizeof f->ca, "%s/ca.crt", f->cert_dir);
    return f->ca;
  }
  static const char *const dirs[] = {"/etc/containers/certs.d",
                                     "/etc/docker/certs.d"};
  for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
    snprintf(f->ca, sizeof f->ca, "%s/%s/ca.crt", dirs[i], registry);
    if (access(f->ca, R_OK) == 0)
      return f->ca;
  }
  return NULL;
}

static void reg_opts(struct reg_flags *f, const char *registry,
                     struct berth_registry_opts *o) {
  auth_files(f);
  memset(o, 0, sizeof *o);
  o->auth_files = f->files;
  o->insecure = !f->tls_verify;
  o->ca_file = ca_file(f, registry);
  /* Tests and slow links tune these without new flags. */
  const char *env = getenv("BERTH_REGISTRY_TIMEOUT");
  if (env && atol(env) > 0)
    o->stall_timeout_s = atol(env);
  env = getenv("BERTH_REGISTRY_RETRIES");
  if (env && *env)
    o->retries = atoi(env) > 0 ? atoi(env) : -1;
}

static int parse_ref(const char *s, struct berth_ref *ref) {
  berth_error *err = NULL;
  if (berth_ref_parse(s, ref, &err) < 0)
    return cli_error(err, 1) ? -1 : -1;
  return 0;
}

int cmd_pull(struct berth_cli *cli, int argc, char **argv) {
  struct reg_flags f = {.tls_verify = true};
  bool all_tags = false;
  const struct opt opts[] = {
      REG_OPTS(f),
      {"platform", OPT_STRING, &f.platform, NULL,
       "Set platform if server is multi-platform capable"},
      {"all-tags,a", OPT_BOOL, &all_tags, NULL,
       "Download all tagged images in the repository"}};
  char *pos[2];
  size_t npos;
  if (cli_args("pull", argc, argv, opts, ARRAY_SIZE(opts), pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos != 1)
    return cli_errorf(EXIT_USAGE, "pull: requires exactly 1 argument (NAME)");
  if (all_tags)
    return cli_errorf(EXIT_USAGE, "pull: --all-tags is not supported");
  struct berth_ref ref = {0};
  struct berth_imgstore *is;
  if (parse_ref(pos[0], &ref) < 0)
    return 1;
  if (cli_store(cli, &is) < 0) {
    berth_ref_free(&ref);
    return 1;
  }
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.platform = f.platform,
                               .xfer = progress_event,
                               .xfer_ctx = &prog};
  reg_opts(&f, ref.registry, &po.reg);
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  int rc = berth_pull(is, &ref, &po, id, &err);
  progress_finish(&prog);
  _cleanup_free_ char *name = berth_ref_string(&ref);
  berth_ref_free(&ref);
  if (rc < 0)
    return cli_error(err, 1);
  if (!f.quiet)
    fprintf(stderr, "Image id: %s\n", id);
  puts(name ? name : id);
  return 0;
}

int cmd_push(struct berth_cli *cli, int argc, char **argv) {
  struct reg_flags f = {.tls_verify = true};
  const char *digestfile = NULL;
  const struct opt opts[] = {
      REG_OPTS(f),
      {"digestfile", OPT_STRING, &digestfile, NULL,
       "Write the digest of the pushed image to this file"}};
  char *pos[2];
  size_t npos;
  if (cli_args("push", argc, argv, opts, ARRAY_SIZE(opts), pos, 2, &npos) < 0)
    return EXIT_USAGE;
  if (npos < 1)
    return cli_errorf(EXIT_USAGE, "push: requires an IMAGE argument");
  char id[BERTH_DIGEST_SIZE];
  berth_error *err = NULL;
  if (cli_resolve_image(cli, pos[0], id, &err) < 0)
    return cli_error(err, 1);
  struct berth_ref dest = {0};
  if (parse_ref(npos == 2 ? pos[1] : pos[0], &dest) < 0)
    return 1;
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.xfer = progress_event, .xfer_ctx = &prog};
  reg_opts(&f, dest.registry, &po.reg);
  char digest[BERTH_DIGEST_SIZE];
  int rc = berth_push(cli->is, id, &dest, &po, digest, &err);
  progress_finish(&prog);
  berth_ref_free(&dest);
  if (rc < 0)
    return cli_error(err, 1);
  if (digestfile && berth_write_file_atomic(digestfile, digest,
                                            strlen(digest), 0644, &err) < 0)
    return cli_error(err, 1);
  if (!f.quiet)
    printf("%s\n", digest);
  return 0;
}

/* Reads a password from stdin: the whole first line, no echo on a tty. */
static int read_password(char *buf, size_t len) {
  struct termios old, quiet;
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    fprintf(stderr, "Password: ");
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  char *ok = fgets(buf, (int)len, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  if (!ok)
    return -1;
  buf[strcspn(buf, "\r\n")] = '\0';
  return 0;
}

/* "https://host/v1/" and "host" both name host. */
static const char *registry_arg(const char *s, char *buf, size_t len) {
  const char *p = strstr(s, "://");
  p = p ? p + 3 : s;
  snprintf(buf, len, "%.*s", (int)strcspn(p, "/"), p);
  if (strcmp(buf, "index.docker.io") == 0 ||
      strcmp(buf, "registry-1.docker.io") == 0)
    snprintf(buf, len, "docker.io");
  return buf;
}

int cmd_login(struct berth_cli *cli, int argc, char **argv) {
  (void)cli;
  struct reg_flags f = {.tls_verify = true};
  const char *user = NULL, *pass = NULL;
  bool pass_stdin = false;
  const struct opt opts[] = {
      REG_OPTS(f),
      {"username,u", OPT_STRING, &user, NULL, "Username"},
      {"password,p", OPT_STRING, &pass, NULL, "Password"},
      {"password-stdin", OPT_BOOL, &pass_stdin, NULL,
       "Take the password from stdin"}};
  char *pos[1];
  size_t npos;
  if (cli_args("login", argc, argv, opts, ARRAY_SIZE(opts), pos, 1, &npos) < 0)
    return EXIT_USAGE;
  char reg[256], pw[1024];
  registry_arg(npos ? pos[0] : "docker.io", reg, sizeof reg);
  if (!user)
    return cli_errorf(EXIT_USAGE, "login: --username is required");
  if (pass && pass_stdin)
    return cli_errorf(EXIT_USAGE,
                      "login: --password and --password-stdin conflict");
  if (!pass) {
    if (read_password(pw, sizeof pw) < 0)
      return cli_errorf(1, "login: no password given");
    pass = pw;
  }
  /* Check the credentials before saving them, as docker login does: a
   * token request (or the Basic challenge) with them must succeed. */
  struct berth_registry_opts o;
  reg_opts(&f, reg, &o);
  o.username = user;
  o.password = pass;
  struct berth_registry *r = NULL;
  berth_error *err = NULL;
  int rc = berth_registry_open(reg, "berth/login-check", false, &o, &r, &err);
  berth_registry_free(r);
  if (rc == 0)
    rc = berth_auth_store(login_file(&f), reg, user, pass, &err);
  explicit_bzero(pw, sizeof pw);
  if (rc < 0)
    return cli_error(err, 1);
  puts("Login Succeeded!");
  return 0;
}

int cmd_logout(struct berth_cli *cli, int argc, char **argv) {
  (void)cli;
  struct reg_flags f = {.tls_verify = true};
  const struct opt opts[] = {
      {"authfile", OPT_STRING, &f.authfile, NULL,
       "Path of the authentication file (default: $REGISTRY_AUTH_FILE, then "
       "Docker's config.json)"}};
  char *pos[1];
  size_t npos;
  if (cli_args("logout", argc, argv, opts, ARRAY_SIZE(opts), pos, 1, &npos) <
      0)
    return EXIT_USAGE;
  char reg[256];
  registry_arg(npos ? pos[0] : "docker.io", reg, sizeof reg);
  berth_error *err = NULL;
  if (berth_auth_remove(login_file(&f), reg, &err) < 0)
    return cli_error(err, 1);
  printf("Removed login credentials for %s\n", reg);
  return 0;
}

int cli_pull_image(struct berth_cli *cli, const char *name, bool quiet,
                   char id[BERTH_DIGEST_SIZE], berth_error **err) {
  struct reg_flags f = {.tls_verify = true, .quiet = quiet};
  struct berth_ref ref = {0};
  struct berth_imgstore *is;
  if (berth_ref_parse(name, &ref, err) < 0)
    return -1;
  if (cli_store(cli, &is) < 0) {
    berth_ref_free(&ref);
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the image store");
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.xfer = progress_event, .xfer_ctx = &prog};
  reg_opts(&f, ref.registry, &po.reg);
  int rc = berth_pull(is, &ref, &po, id, err);
  progress_finish(&prog);
  berth_ref_free(&ref);
  return rc;
}
