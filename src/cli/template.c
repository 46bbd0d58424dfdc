/* --format: Docker's Go templates, the subset scripts use. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"

/* --format with Go template fields ("{{.ServerVersion}}",
 * "{{json .Server}}", "{{.Client.Version}}"): the subset scripts use. */
void cli_print_template(json_t *obj, const char *tmpl) {
  const char *p = tmpl;
  while (*p) {
    const char *open = strstr(p, "{{"), *close = open ? strstr(open, "}}") : 0;
    if (!open || !close) {
      fputs(p, stdout);
      break;
    }
    fwrite(p, 1, (size_t)(open - p), stdout);
    char expr[256];
    snprintf(expr, sizeof expr, "%.*s", (int)(close - open - 2), open + 2);
    char *x = expr + strspn(expr, " ");
    for (char *end = x + strlen(x); end > x && end[-1] == ' ';)
      *--end = '\0';
    bool as_json = strncmp(x, "json ", 5) == 0;
    if (as_json)
      x += 5 + strspn(x + 5, " ");
    json_t *v = obj;
    char *save = NULL;
    for (char *part = strtok_r(x, ".", &save); part && v;
         part = strtok_r(NULL, ".", &save))
      v = json_object_get(v, part);
    char *s = NULL;
    if (!v)
      fputs(as_json ? "null" : "<no value>", stdout);
    else if (json_is_string(v) && !as_json)
      fputs(json_string_value(v), stdout);
    else if (json_is_object(v) && !as_json && json_object_size(v) == 0)
      fputs("map[]", stdout); /* as Go prints an empty map */
    else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
      fputs(s, stdout);
    free(s);
    p = close + 2;
  }
  putchar('\n');
}

void cli_print_formatted(json_t *obj, const char *format) {
  if (strcmp(format, "json") == 0 || strcmp(format, "{{json .}}") == 0) {
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(s ? s : "{}");
    free(s);
  } else {
    cli_print_template(obj, format);
  }
}
