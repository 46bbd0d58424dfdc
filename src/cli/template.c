/* --format as Docker's CLI reads it: "table [TEMPLATE]" (a header row
 * and columns aligned as Go's tabwriter does), "json" (one JSON document
 * a line), or a Go template run once per row (src/lib/template.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"

/* Docker's preprocessing: "table" off, spaces trimmed, the two-character
 * sequences \t and \n as a tab and a newline. */
static char *preformat(const char *format, bool *table) {
  *table = strncmp(format, "table", 5) == 0;
  if (*table)
    format += 5;
  format += strspn(format, " ");
  char *s = strdup(format), *w = s;
  if (!s)
    return NULL;
  for (const char *r = s; *r; r++) {
    if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n')) {
      *w++ = r[1] == 't' ? '\t' : '\n';
      r++;
    } else {
      *w++ = *r;
    }
  }
  while (w > s && w[-1] == ' ')
    w--;
  *w = '\0';
  return s;
}

/* A table's header row: the template over the column titles. */
static void header(struct cli_format *f) {
  char *out;
  size_t len;
  json_t *methods = json_pack("{s:s}", "Label", "LABEL");
  int rc = f->table && f->headers
               ? berth_template_exec_header(f->t, f->headers, methods, &out,
                                            &len, NULL)
               : -1;
  json_decref(methods);
  if (rc == 0) {
    cli_format_put(f, out, len);
    cli_format_put(f, "\n", 1);
    free(out);
  }
}

int cli_format_open(struct cli_format *f, const char *cmd, const char *format,
                    const char *default_table, json_t *headers) {
  *f = (struct cli_format){.cmd = cmd};
  if (!format || !*format || strcmp(format, "table") == 0)
    format = default_table;
  if (strcmp(format, "json") == 0) {
    f->json = true;
    return 0;
  }
  char *text = preformat(format, &f->table);
  berth_error *err = NULL;
  if (!text || berth_template_parse(text, &f->t, &err) < 0) {
    free(text);
    berth_error_prefix(&err, "%s: --format", cmd);
    return cli_error(err, EXIT_USAGE), -1;
  }
  free(text);
  f->headers = json_incref(headers);
  header(f);
  return 0;
}

void cli_format_put(struct cli_format *f, const char *s, size_t n) {
  if (!f->table) {
    fwrite(s, 1, n, stdout);
    return;
  }
  if (f->len + n + 1 > f->cap) {
    size_t cap = f->cap ? f->cap : 4096;
    while (cap < f->len + n + 1)
      cap *= 2;
    char *b = realloc(f->buf, cap);
    if (!b)
      return;
    f->buf = b;
    f->cap = cap;
  }
  memcpy(f->buf + f->len, s, n);
  f->len += n;
  f->buf[f->len] = '\0';
}

int cli_format_row(struct cli_format *f, json_t *row, json_t *methods) {
  if (f->json) {
    char *s = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY);
    puts(s ? s : "null");
    free(s);
    return 0;
  }
  char *out;
  size_t len;
  berth_error *err = NULL;
  if (berth_template_exec(f->t, row, methods, &out, &len, &err) < 0) {
    berth_error_prefix(&err, "%s: --format", f->cmd);
    return cli_error(err, EXIT_USAGE), -1;
  }
  cli_format_put(f, out, len);
  cli_format_put(f, "\n", 1);
  free(out);
  f->pending = true;
  return 0;
}

/* Display width of a cell: UTF-8 characters. */
static size_t cell_width(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    w += ((unsigned char)s[i] & 0xc0) != 0x80;
  return w;
}

struct line {
  const char *s;
  size_t len;
  size_t ncells; /* tab-terminated cells */
};

/* Column j's width for the block of consecutive lines around line i that
 * all have a cell j, as Go's tabwriter sizes columns. */
static void column_widths(struct line *ln, size_t n, size_t j, size_t *w) {
  for (size_t i = 0; i < n;) {
    if (ln[i].ncells <= j) {
      i++;
      continue;
    }
    size_t end = i, max = 0;
    for (; end < n && ln[end].ncells > j; end++) {
      const char *c = ln[end].s;
      for (size_t k = 0; k < j; k++)
        c = strchr(c, '\t') + 1;
      size_t cw = cell_width(c, (size_t)(strchr(c, '\t') - c));
      max = cw > max ? cw : max;
    }
    /* minwidth 10, padding 3: Docker's tabwriter.NewWriter(w, 10, 1, 3) */
    size_t width = max + 3 < 10 ? 10 : max + 3;
    for (; i < end; i++)
      w[i * CLI_TAB_MAX_COLS + j] = width;
  }
}

static void tabwrite(char *text, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += text[i] == '\n';
  struct line *ln = calloc(n + 1, sizeof *ln);
  size_t *w = calloc((n + 1) * CLI_TAB_MAX_COLS, sizeof *w);
  if (!ln || !w) {
    fwrite(text, 1, len, stdout);
    free(ln);
    free(w);
    return;
  }
  size_t nl = 0, maxcells = 0;
  for (char *p = text; p < text + len; nl++) {
    char *eol = memchr(p, '\n', (size_t)(text + len - p));
    ln[nl] = (struct line){
        .s = p, .len = eol ? (size_t)(eol - p) : (size_t)(text + len - p)};
    if (eol)
      *eol = '\0';
    for (char *c = p; (c = strchr(c, '\t')) && ln[nl].ncells < CLI_TAB_MAX_COLS;
         c++)
      ln[nl].ncells++;
    maxcells = ln[nl].ncells > maxcells ? ln[nl].ncells : maxcells;
    p += ln[nl].len + 1;
  }
  for (size_t j = 0; j < maxcells; j++)
    column_widths(ln, nl, j, w);
  for (size_t i = 0; i < nl; i++) {
    const char *c = ln[i].s;
    for (size_t j = 0; j < ln[i].ncells; j++) {
      const char *tab = strchr(c, '\t');
      size_t cw = cell_width(c, (size_t)(tab - c));
      fwrite(c, 1, (size_t)(tab - c), stdout);
      printf("%*s", (int)(w[i * CLI_TAB_MAX_COLS + j] - cw), "");
      c = tab + 1;
    }
    puts(c);
  }
  free(ln);
  free(w);
}

void cli_format_flush(struct cli_format *f, bool again) {
  if (f->table && f->buf && (f->pending || !f->flushed))
    tabwrite(f->buf, f->len);
  f->len = 0;
  f->pending = false;
  f->flushed = true;
  if (again)
    header(f);
}

void cli_format_close(struct cli_format *f) {
  cli_format_flush(f, false);
  free(f->buf);
  json_decref(f->headers);
  berth_template_free(f->t);
  *f = (struct cli_format){0};
}

int cli_print_formatted(const char *cmd, json_t *obj, const char *format) {
  struct cli_format f;
  if (cli_format_open(&f, cmd, format, "json", NULL) < 0)
    return EXIT_USAGE;
  int rc = cli_format_row(&f, obj, NULL);
  cli_format_close(&f);
  return rc < 0 ? EXIT_USAGE : 0;
}
