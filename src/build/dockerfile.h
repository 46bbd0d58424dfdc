/* Dockerfiles parsed into instructions, as Docker's builder reads them
 * (https://docs.docker.com/engine/reference/builder/).
 *
 * The parser only splits: it joins continuation lines, drops comments,
 * reads parser directives (`# escape=` changes the escape character,
 * `# syntax=` and BuildKit's `# check=` are accepted and ignored;
 * directives only before the first instruction, comment or blank line),
 * collects heredocs (`RUN <<EOF`,
 * `<<-EOF` strips leading tabs, a quoted delimiter turns expansion off),
 * splits flags (`--from=x`) and words, and checks each instruction's
 * shape (argument count, JSON form where required, known flags).
 * Variables are NOT expanded here: that needs the build's environment at
 * the time the instruction runs (shell_word.h).
 *
 * A Dockerfile is untrusted input: every error names its line,
 * "Dockerfile:LINE: what is wrong", and sizes are bounded. */
#ifndef BERTH_BUILD_DOCKERFILE_H
#define BERTH_BUILD_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Larger Dockerfiles are refused (Docker's context limit is far larger,
 * but no real Dockerfile comes near this). */
#define BERTH_DOCKERFILE_MAX (4u << 20)

enum berth_df_cmd {
  BERTH_DF_FROM,
  BERTH_DF_RUN,
  BERTH_DF_CMD,
  BERTH_DF_LABEL,
  BERTH_DF_MAINTAINER,
  BERTH_DF_EXPOSE,
  BERTH_DF_ENV,
  BERTH_DF_ADD,
  BERTH_DF_COPY,
  BERTH_DF_ENTRYPOINT,
  BERTH_DF_VOLUME,
  BERTH_DF_USER,
  BERTH_DF_WORKDIR,
  BERTH_DF_ARG,
  BERTH_DF_ONBUILD,
  BERTH_DF_STOPSIGNAL,
  BERTH_DF_HEALTHCHECK,
  BERTH_DF_SHELL,
};

/* "--name=value" before the arguments ("--link" alone: value NULL).
 * Each instruction takes only its own flags (others are an error,
 * "Dockerfile:3: unknown flag: --x"): FROM --platform; RUN --mount
 * (repeatable), --network, --security; COPY --from, --chown, --chmod,
 * --link; ADD --chown, --chmod, --link, --checksum, --keep-git-dir;
 * HEALTHCHECK --interval, --timeout, --start-period, --start-interval
 * (Go durations, 0 or at least 1ms), --retries (an integer >= 0); all
 * checked here.  --link and --keep-git-dir are booleans (no value,
 * "true" or "false"); the others need `=` and may appear once. */
struct berth_df_flag {
  char *name;  /* without the dashes: "from", "chown", ... */
  char *value; /* unexpanded, with Docker's flag splitter's quotes and
                  backslashes removed (`--chown="a b"` gives a b);
                  NULL for a flag without `=` */
};

struct berth_df_heredoc {
  char *name;    /* the delimiter word ("EOF") */
  char *content; /* the body, each line ending in '\n' ("<<-": leading
                    tabs removed; CRLF line ends become '\n') */
  bool expand;   /* false when the delimiter was quoted ('EOF' or "EOF") */
};

struct berth_df_instr {
  enum berth_df_cmd cmd;
  int line;         /* 1-based line of the instruction's first line */
  char *original;   /* the instruction as written, continuations joined
                       with the escape and newline removed, trimmed:
                       "RUN echo hi" (for history and error messages) */
  struct berth_df_flag *flags;
  size_t n_flags;
  /* json: the arguments were a JSON array (exec form; SHELL, and CMD,
   * ENTRYPOINT, RUN, VOLUME, COPY, ADD when written so): args are its
   * strings, as decoded.
   * Otherwise args depend on cmd (raw words keep their quotes and
   * escapes for shell_word.h to process):
   *   RUN, CMD, ENTRYPOINT: one arg, the command line as written
   *     (with heredocs: the first line, e.g. "<<EOF" or "cat <<EOF > f");
   *     CMD and ENTRYPOINT with nothing after them: no args (an empty
   *     command, as Docker); RUN needs a command
   *   ENV, LABEL: key/value pairs, args[2k] key, args[2k+1] value
   *     ("ENV K V" legacy form: one pair, the value is the rest of the
   *     line; "K=V ..." form: raw words split at the first '=')
   *   ARG: one word per arg, "NAME" or "NAME=default" (raw)
   *   FROM: "image" or "image", "AS", "name" (AS in any case; the
   *     name checked and lower-cased: Docker compares stage names so)
   *   COPY/ADD, VOLUME, EXPOSE, FROM: words split at whitespace, as
   *     Docker does (quotes do not group: use the JSON form)
   *   COPY/ADD: sources..., dest (at least 2 args, or 1 with heredocs:
   *     the "<<EOF" sources are removed from args, their files are in
   *     heredocs)
   *   HEALTHCHECK: "NONE", or "CMD" followed by the command: args[0]
   *     "CMD", args[1] the command line (shell form) or, when json,
   *     args[0] "CMD" then the array's strings
   *   ONBUILD: one arg, the trigger instruction as written
   *     ("RUN echo hi"; checked by parsing it, FROM/ONBUILD/MAINTAINER
   *     refused as triggers); a trigger with heredocs is followed by
   *     "\n" + body + delimiter of each, as Docker stores it, so the
   *     later build parses it whole (they are also in heredocs)
   *   EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, MAINTAINER: raw words
   *     (USER, WORKDIR, STOPSIGNAL, MAINTAINER: exactly one arg, the
   *     rest of the line) */
  bool json;
  char **args; /* NULL-terminated (NULL when n_args is 0) */
  size_t n_args;
  struct berth_df_heredoc *heredocs;
  size_t n_heredocs;
};

struct berth_dockerfile {
  struct berth_df_instr *instrs;
  size_t n;
  char escape; /* '\\' or '`' */
};

/* Parses text (len bytes; need not be NUL-terminated; NUL bytes are an
 * error).  `name` is used in messages ("Dockerfile", "app.Dockerfile").
 * An empty file or one without FROM before any instruction but ARG is
 * an INVALID error, as are unknown instructions ("Dockerfile:3: unknown
 * instruction: RUNN"), unknown flags, wrong argument counts and bad JSON
 * where only JSON is allowed. */
int berth_dockerfile_parse(const char *text, size_t len, const char *name,
                           struct berth_dockerfile *out, berth_error **err);
void berth_dockerfile_free(struct berth_dockerfile *df);

/* The instruction's keyword in upper case ("RUN"). */
const char *berth_df_cmd_name(enum berth_df_cmd cmd);
/* The flag's value, NULL when absent; *present (may be NULL) tells a
 * flag given without a value from an absent one.  A repeated flag
 * (RUN --mount): the first; walk in->flags for all of them. */
const char *berth_df_flag(const struct berth_df_instr *in, const char *name,
                          bool *present);

#endif
