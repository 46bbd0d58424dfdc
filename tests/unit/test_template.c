/* Go text/template subset (src/lib/template*.c): output as Go prints it,
 * errors naming what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "template.h"

static const char doc[] =
    "{\"Names\":\"web\",\"Id\":\"abc\",\"Size\":1234,\"Ok\":true,\"Nil\":null,"
    "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Cmd\":[\"sh\",\"-c\"]},"
    "\"Mounts\":[{\"Destination\":\"/data\",\"RW\":true},"
    "{\"Destination\":\"/etc/x\",\"RW\":false}],"
    "\"Labels\":{\"k\":\"v\"},\"Empty\":[],\"Real\":0.5,\"Big\":1000000.0}";

/* The output of tmpl over doc, or "ERR: msg". */
static char *run(const char *tmpl) {
  json_t *dot = json_loads(doc, 0, NULL);
  json_t *methods =
      json_pack("{s:{s:s},s:s,s:s}", "Label", "k", "v", "Status", "st",
                "Names", "shadowed");
  assert_non_null(dot);
  struct berth_template *t = NULL;
  berth_error *err = NULL;
  char *out = NULL;
  size_t len;
  if (berth_template_parse(tmpl, &t, &err) < 0 ||
      berth_template_exec(t, dot, methods, &out, &len, &err) < 0) {
    assert_null(out);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    assert_null(strchr(err->msg, '\n'));
    if (asprintf(&out, "ERR: %s", err->msg) < 0)
      out = NULL;
    berth_error_free(err);
  }
  berth_template_free(t);
  json_decref(dot);
  json_decref(methods);
  return out;
}

#define EXPECT(tmpl, want)                                                     \
  do {                                                                         \
    char *got_ = run(tmpl);                                                    \
    assert_string_equal(got_, want);                                           \
    free(got_);                                                                \
  } while (0)

#define EXPECT_ERR(tmpl, part)                                                 \
  do {                                                                         \
    char *got_ = run(tmpl);                                                    \
    assert_true(strncmp(got_, "ERR: ", 5) == 0);                               \
    if (!strstr(got_, part))                                                   \
      fail_msg("`%s` lacks `%s`", got_, part);                                 \
    free(got_);                                                                \
  } while (0)

static void test_fields(void **state) {
  (void)state;
  EXPECT("{{.Names}}", "web");
  EXPECT("id={{.Id}} size={{.Size}}", "id=abc size=1234");
  EXPECT("{{.Config.Cmd}}", "[sh -c]");
  EXPECT("{{.Config.Labels}}", "map[a:1 b:2]"); /* sorted, as Go's maps */
  EXPECT("{{.Ok}} {{.Nil}} {{.Real}} {{.Big}}", "true <nil> 0.5 1e+06");
  EXPECT("{{.Empty}}", "[]");
  EXPECT("{{$.Names}}", "web");
  EXPECT("{{.Label \"k\"}}|{{.Label \"nope\"}}|{{$.Label \"k\"}}", "v||v");
  EXPECT_ERR("{{.Config.Label \"k\"}}", "non-function .Label");
  /* a method without arguments, where the dot has no such member */
  EXPECT("{{.Status}} {{.Names}}", "st web");
  EXPECT_ERR("{{.Config.Status}}", "can't evaluate field Status");
  EXPECT_ERR("{{.Names \"k\"}}", "non-function .Names");
}

static void test_unknown_field_is_an_error(void **state) {
  (void)state;
  EXPECT_ERR("{{.Bogus}}", "can't evaluate field Bogus");
  EXPECT_ERR("x {{.Config.Nope}}", "<.Config.Nope>");
  EXPECT_ERR("{{.Nil.X}}", "nil pointer evaluating .X");
  EXPECT_ERR("{{.Names.X}}", "in type string");
  EXPECT_ERR("{{$nope}}", "undefined variable \"$nope\"");
}

static void test_syntax_errors(void **state) {
  (void)state;
  EXPECT_ERR("{{.Names", "unclosed action");
  EXPECT_ERR("{{if .Ok}}x", "unexpected EOF");
  EXPECT_ERR("{{end}}", "unexpected {{end}}");
  EXPECT_ERR("{{nosuch .X}}", "function \"nosuch\" not defined");
  EXPECT_ERR("{{\"abc}}", "unterminated quoted string");
  EXPECT_ERR("{{}}", "missing value for command");
  EXPECT_ERR("{{.A | .B}}", "non executable command");
  EXPECT_ERR("a\n{{(.X}}", ":2:");
}

static void test_control(void **state) {
  (void)state;
  EXPECT("{{range .Mounts}}{{.Destination}} {{end}}", "/data /etc/x ");
  EXPECT("{{range $i, $m := .Mounts}}{{$i}}={{$m.RW}};{{end}}",
         "0=true;1=false;");
  EXPECT("{{range $k, $v := .Config.Labels}}{{$k}}{{$v}}{{end}}", "a1b2");
  EXPECT("{{range .Empty}}x{{else}}none{{end}}", "none");
  EXPECT("{{if .Ok}}yes{{else}}no{{end}}", "yes");
  EXPECT("{{if .Empty}}a{{else if .Nil}}b{{else}}c{{end}}", "c");
  EXPECT("{{with .Config}}{{.Cmd}}{{end}}", "[sh -c]");
  EXPECT("{{with .Empty}}x{{else}}y{{end}}", "y");
  EXPECT("{{$x := .Names}}{{$x}}{{$x = \"b\"}}{{$x}}", "webb");
  EXPECT("a  {{- .Names -}}  b", "awebb");
  EXPECT("a{{/* note */}}b", "ab");
  EXPECT("{{range .Mounts}}{{$.Names}}{{end}}", "webweb");
  EXPECT("{{range .Config.Cmd}}{{if eq . \"-c\"}}{{break}}{{end}}{{.}};{{end}}",
         "sh;");
  EXPECT("{{range .Config.Cmd}}{{if eq . \"sh\"}}{{continue}}{{end}}{{.}}"
         "{{end}}",
         "-c");
  EXPECT_ERR("{{break}}", "{{break}} outside {{range}}");
  EXPECT_ERR("{{range .Empty}}{{else}}{{continue}}{{end}}", "outside");
}

static void test_functions(void **state) {
  (void)state;
  EXPECT("{{json .Config.Labels}}", "{\"b\":\"2\",\"a\":\"1\"}");
  EXPECT("{{.Config.Cmd | json}}", "[\"sh\",\"-c\"]");
  EXPECT("{{index .Config.Labels \"a\"}}{{index .Config.Cmd 1}}", "1-c");
  EXPECT("{{index .Config.Labels \"missing\"}}", "");
  EXPECT("{{len .Mounts}} {{len .Names}}", "2 3");
  EXPECT("{{upper .Names}} {{lower \"AB\"}} {{title \"a b-c\"}}",
         "WEB ab A B-C");
  EXPECT("{{join .Config.Cmd \",\"}}", "sh,-c");
  EXPECT("{{split \"a:b:c\" \":\"}}", "[a b c]");
  EXPECT("{{truncate .Id 2}}|{{pad .Names 1 2}}|", "ab| web  |");
  EXPECT("{{println .Names 1}}", "web 1\n");
  EXPECT("{{print 1 2 \"a\" 3}}", "1 2a3");
  EXPECT("{{printf \"%s-%d-%v-%q-%5s|%-4d|\" .Names .Size .Ok .Names \"x\" 7}}",
         "web-1234-true-\"web\"-    x|7   |");
  EXPECT("{{if eq .Names \"a\" \"web\"}}y{{end}}{{if ne .Size 1}}n{{end}}",
         "yn");
  EXPECT("{{if and .Ok (gt .Size 1000) (lt 1 2)}}ok{{end}}", "ok");
  EXPECT("{{or .Empty .Names}} {{not .Ok}}", "web false");
  /* and/or stop at the deciding operand: .Nil.X is never evaluated */
  EXPECT("{{if and .Nil .Nil.X}}y{{else}}n{{end}}", "n");
  EXPECT("{{or .Names .Nil.X}}", "web");
  EXPECT_ERR("{{and .Ok .Nil.X}}", "nil pointer evaluating .X");
  EXPECT("{{(index .Mounts 0).Destination}}", "/data");
  EXPECT_ERR("{{index .Mounts 5}}", "index out of range: 5");
  EXPECT_ERR("{{eq .Mounts 1}}", "incompatible types");
}

static void test_parse_once_run_twice(void **state) {
  (void)state;
  struct berth_template *t = NULL;
  assert_int_equal(berth_template_parse("{{.A}}", &t, NULL), 0);
  for (int i = 0; i < 2; i++) {
    json_t *dot = json_pack("{s:i}", "A", i);
    char *out;
    size_t len;
    assert_int_equal(berth_template_exec(t, dot, NULL, &out, &len, NULL), 0);
    assert_int_equal(out[0], '0' + i);
    assert_int_equal(len, 1);
    free(out);
    json_decref(dot);
  }
  berth_template_free(t);
}

static void test_deep_nesting_is_refused(void **state) {
  (void)state;
  char tmpl[4096] = "{{";
  for (int i = 0; i < 1000; i++)
    strcat(tmpl, "(");
  EXPECT_ERR(tmpl, "nested too deeply");
}

static void test_header_row(void **state) {
  (void)state;
  struct berth_template *t = NULL;
  assert_int_equal(berth_template_parse("{{.Names | upper}}\t{{json .Labels}}"
                                        "\t{{.Label \"k\"}}",
                                        &t, NULL),
                   0);
  json_t *titles = json_pack("{s:s,s:s}", "Names", "NAMES", "Labels", "LABELS");
  json_t *methods = json_pack("{s:s}", "Label", "LABEL");
  char *out;
  size_t len;
  assert_int_equal(
      berth_template_exec_header(t, titles, methods, &out, &len, NULL), 0);
  assert_string_equal(out, "NAMES\tLABELS\tLABEL");
  free(out);
  json_decref(titles);
  json_decref(methods);
  berth_template_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields),
      cmocka_unit_test(test_unknown_field_is_an_error),
      cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_control),
      cmocka_unit_test(test_functions),
      cmocka_unit_test(test_parse_once_run_twice),
      cmocka_unit_test(test_deep_nesting_is_refused),
      cmocka_unit_test(test_header_row),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
