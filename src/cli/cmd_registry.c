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
#include "registry_options.h"

/* Flags every command that talks to a registry takes. */
struct reg_flags {
  const char *authfile, *cert_dir, *platform;
  bool tls_verify, quiet;
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

static struct berth_registry_flags image_flags(const struct reg_flags *f) {
  return (struct berth_registry_flags){.authfile = f->authfile,
                                       .cert_dir = f->cert_dir,
                                       .insecure = !f->tls_verify};
}

/* The image layer decides which credential files and CA apply. */
static int reg_opts(const struct reg_flags *f, const char *registry,
                    struct berth_registry_setup *setup) {
  struct berth_registry_flags rf = image_flags(f);
  berth_error *err = NULL;
  if (berth_registry_options_for(registry, &rf, setup, &err) < 0) {
    cli_error(err, 1);
    return -1;
  }
  return 0;
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
  _cleanup_(berth_registry_setup_free) struct berth_registry_setup rs = {0};
  if (parse_ref(pos[0], &ref) < 0)
    return 1;
  if (reg_opts(&f, ref.registry, &rs) < 0 || cli_store(cli, &is) < 0) {
    berth_ref_free(&ref);
    return 1;
  }
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.platform = f.platform,
                               .reg = rs.opts,
                               .xfer = progress_event,
                               .xfer_ctx = &prog};
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
  _cleanup_(berth_registry_setup_free) struct berth_registry_setup rs = {0};
  if (parse_ref(npos == 2 ? pos[1] : pos[0], &dest) < 0)
    return 1;
  if (reg_opts(&f, dest.registry, &rs) < 0) {
    berth_ref_free(&dest);
    return 1;
  }
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.reg = rs.opts, .xfer = progress_event,
                               .xfer_ctx = &prog};
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
  berth_registry_login_name(npos ? pos[0] : "docker.io", reg, sizeof reg);
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
  struct berth_registry_flags rf = image_flags(&f);
  rf.username = user;
  rf.password = pass;
  _cleanup_free_ char *file = berth_registry_login_file(&rf);
  berth_error *err = NULL;
  int rc = berth_registry_login_check(reg, &rf, &err);
  if (rc == 0)
    rc = file ? berth_auth_store(file, reg, user, pass, &err)
              : berth_error_sys(&err, "allocate");
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
  berth_registry_login_name(npos ? pos[0] : "docker.io", reg, sizeof reg);
  struct berth_registry_flags rf = image_flags(&f);
  _cleanup_free_ char *file = berth_registry_login_file(&rf);
  berth_error *err = NULL;
  if (!file)
    berth_error_sys(&err, "allocate");
  if (!file || berth_auth_remove(file, reg, &err) < 0)
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
  struct berth_registry_flags rf = image_flags(&f);
  _cleanup_(berth_registry_setup_free) struct berth_registry_setup rs = {0};
  if (berth_registry_options_for(ref.registry, &rf, &rs, err) < 0) {
    berth_ref_free(&ref);
    return -1;
  }
  if (cli_store(cli, &is) < 0) {
    berth_ref_free(&ref);
    return berth_error_set(err, BERTH_ERR_SYSTEM, 0, "open the image store");
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  struct progress prog;
  progress_init(&prog, f.quiet);
  struct berth_pull_opts po = {.reg = rs.opts, .xfer = progress_event,
                               .xfer_ctx = &prog};
  int rc = berth_pull(is, &ref, &po, id, err);
  progress_finish(&prog);
  berth_ref_free(&ref);
  return rc;
}
