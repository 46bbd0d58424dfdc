/* Go text/template's printf: fmt.Sprintf's common verbs over JSON values
 * (%v %s %d %q %t %f %e %g %x %X %c %%, flags "-+ 0", width, precision). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_internal.h"



struct spec {
  char flags[8];
  int width, prec; /* -1: none */
  char verb;
};

/* Pads s to the spec's width and appends it. */
static void put_padded(struct tbuf *b, const struct spec *sp, const char *s) {
  size_t len = strlen(s);
  bool left = strchr(sp->flags, '-') != NULL;
  int pad = sp->width > (int)len ? sp->width - (int)len : 0;
  for (int i = 0; !left && i < pad; i++)
    tbuf_puts(b, strchr(sp->flags, '0') ? "0" : " ");
  tbuf_put(b, s, len);
  for (int i = 0; left && i < pad; i++)
    tbuf_puts(b, " ");
}

/* strconv.Quote for the ASCII range; other bytes pass through. */
static void quote(struct tbuf *b, const char *s) {
  tbuf_puts(b, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char e[8];
    if (c == '"' || c == '\\')
      snprintf(e, sizeof e, "\\%c", c);
    else if (c == '\n' || c == '\t' || c == '\r')
      snprintf(e, sizeof e, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
    else if (c < 0x20 || c == 0x7f)
      snprintf(e, sizeof e, "\\x%02x", c);
    else
      snprintf(e, sizeof e, "%c", c);
    tbuf_puts(b, e);
  }
  tbuf_puts(b, "\"");
}

/* A C format for a number verb from the spec ("%-08.3f"). */
static void cfmt(const struct spec *sp, const char *len, char *out,
                 size_t outlen) {
  char p[16] = "";
  if (sp->prec >= 0)
    snprintf(p, sizeof p, ".%d", sp->prec > 64 ? 64 : sp->prec);
  snprintf(out, outlen, "%%%s%d%s%s%c", sp->flags,
           sp->width > 256 ? 256 : sp->width, p, len, sp->verb);
}

static void one_verb(struct tbuf *b, const struct spec *sp, json_t *v) {
  char f[48], s[512];
  struct tbuf tmp = {0};
  if (strchr("dxXc", sp->verb) && json_is_integer(v)) {
    cfmt(sp, sp->verb == 'c' ? "" : "ll", f, sizeof f);
    if (sp->verb == 'c')
      snprintf(s, sizeof s, f, (int)json_integer_value(v));
    else
      snprintf(s, sizeof s, f, (long long)json_integer_value(v));
    tbuf_puts(b, s);
  } else if (strchr("feEgG", sp->verb) && json_is_number(v)) {
    cfmt(sp, "", f, sizeof f);
    snprintf(s, sizeof s, f, json_number_value(v));
    tbuf_puts(b, s);
  } else if (sp->verb == 'q' && json_is_string(v)) {
    quote(&tmp, json_string_value(v));
  } else if (strchr("vst", sp->verb) ||
             (sp->verb == 'x' && json_is_string(v))) {
    tmpl_print_value(&tmp, v);
    if (sp->verb == 'x' && tmp.s) {
      struct tbuf hex = {0};
      for (const char *c = tmp.s; *c; c++) {
        snprintf(s, sizeof s, "%02x", (unsigned char)*c);
        tbuf_puts(&hex, s);
      }
      free(tmp.s);
      tmp = hex;
    }
    if (sp->prec >= 0 && sp->verb == 's' && tmp.s && (int)tmp.len > sp->prec)
      tmp.s[sp->prec] = '\0';
  } else {
    /* Go's marker for a verb that does not fit the value */
    char *val = berth_template_sprint(v);
    snprintf(s, sizeof s, "%%!%c(%.400s)", sp->verb, val ? val : "");
    free(val);
    tbuf_puts(b, s);
  }
  if (tmp.s)
    put_padded(b, sp, tmp.s);
  else if (tmp.len == 0 && strchr("vsqtx", sp->verb))
    put_padded(b, sp, "");
  free(tmp.s);
}

/* Reads "%[flags][width][.prec]verb" at *p (just after the '%'). */
static void parse_spec(const char **p, struct spec *sp) {
  size_t nf = 0;
  *sp = (struct spec){.prec = -1};
  while (**p && strchr("-+ 0#", **p) && nf + 1 < sizeof sp->flags)
    sp->flags[nf++] = *(*p)++;
  while (**p >= '0' && **p <= '9' && sp->width < 100000)
    sp->width = sp->width * 10 + (*(*p)++ - '0');
  if (**p == '.') {
    (*p)++;
    sp->prec = 0;
    while (**p >= '0' && **p <= '9' && sp->prec < 100000)
      sp->prec = sp->prec * 10 + (*(*p)++ - '0');
  }
  sp->verb = **p ? *(*p)++ : '\0';
}

json_t *tmpl_printf(json_t **a, size_t n, char **msg) {
  if (n < 1 || !json_is_string(a[0])) {
    *msg = strdup("printf wants a format string");
    return NULL;
  }
  struct tbuf b = {0};
  size_t next = 1;
  for (const char *p = json_string_value(a[0]); *p;) {
    if (*p != '%') {
      const char *pct = strchr(p, '%');
      size_t len = pct ? (size_t)(pct - p) : strlen(p);
      tbuf_put(&b, p, len);
      p += len;
      continue;
    }
    p++;
    struct spec sp;
    parse_spec(&p, &sp);
    if (sp.verb == '%')
      tbuf_puts(&b, "%");
    else if (!sp.verb)
      tbuf_puts(&b, "%!(NOVERB)");
    else if (next >= n)
      tbuf_puts(&b, sp.verb == 'v' ? "%!v(MISSING)" : "%!(MISSING)");
    else
      one_verb(&b, &sp, a[next++]);
  }
  if (next < n)
    tbuf_puts(&b, "%!(EXTRA)");
  if (b.overflow) {
    free(b.s);
    *msg = strdup("output too large");
    return NULL;
  }
  json_t *r = json_stringn(b.s ? b.s : "", b.len);
  free(b.s);
  if (!r)
    *msg = strdup("invalid UTF-8 in result");
  return r;
}
