/* The engine's checks of --ip/--ip6/--network-alias/--mac-address/
 * --add-host/--dns and its kin/--hostname in a create request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net_opts.h"

/* mode, then the request's JSON with the HostConfig's NetworkMode added. */
static int check(const char *mode, const char *json, berth_error **err) {
  json_t *req = json_loads(json, 0, NULL);
  assert_non_null(req);
  json_t *hc = json_object_get(req, "HostConfig");
  if (!hc)
    json_object_set_new(req, "HostConfig", hc = json_object());
  json_object_set_new(hc, "NetworkMode", json_string(mode));
  int rc = berth_net_opts_check(req, err);
  json_decref(req);
  return rc;
}

static void test_accepts(void **state) {
  (void)state;
  static const struct {
    const char *mode, *json;
  } cases[] = {
      {"mynet", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{"
                "\"IPAMConfig\":{\"IPv4Address\":\"10.89.0.5\",\"IPv6Address\":"
                "\"fd00::5\"},\"Aliases\":[\"web\",\"www.example\"]}}}}"},
      {"bridge", "{\"MacAddress\":\"02:42:ac:11:00:02\"}"},
      {"bridge", "{\"MacAddress\":\"0A-00-00-00-00-01\"}"},
      {"bridge", "{\"HostConfig\":{\"ExtraHosts\":[\"db:10.1.2.3\","
                 "\"v6:2001:db8::1\",\"gw:host-gateway\"]}}"},
      {"none", "{\"HostConfig\":{\"Dns\":[\"192.0.2.1\",\"2001:db8::53\"],"
               "\"DnsSearch\":[\"a.example\",\".\",\"b-c.example.\"],"
               "\"DnsOptions\":[\"ndots:2\",\"edns0\"]}}"},
      {"none", "{\"Hostname\":\"web-1.example\"}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    berth_error *err = NULL;
    if (check(cases[i].mode, cases[i].json, &err) != 0)
      fail_msg("%s: %s", cases[i].json, err->msg);
  }
}

static void test_refuses(void **state) {
  (void)state;
  static const struct {
    const char *mode, *json, *words;
  } cases[] = {
      {"bridge", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"bridge\":{"
                 "\"IPAMConfig\":{\"IPv4Address\":\"172.17.0.9\"}}}}}",
       "user specified IP address is supported on user defined networks only"},
      {"none", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{"
               "\"Aliases\":[\"web\"]}}}}",
       "network-scoped alias is supported only for containers in user "
       "defined networks"},
      {"mynet", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{"
                "\"IPAMConfig\":{\"IPv4Address\":\"fd00::5\"}}}}}",
       "invalid IPv4 address: fd00::5"},
      {"mynet", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{"
                "\"IPAMConfig\":{\"IPv6Address\":\"::\"}}}}}",
       "invalid IPv6 address: ::"},
      {"mynet", "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{"
                "\"Aliases\":[\"a b\"]}}}}",
       "invalid --network-alias `a b`"},
      {"bridge", "{\"MacAddress\":\" 2:42:ac:11:00:02\"}", "not a valid mac"},
      {"bridge", "{\"MacAddress\":\"02:42:ac:11:00:0g\"}", "not a valid mac"},
      {"bridge", "{\"MacAddress\":\"02:42-ac:11:00:02\"}", "not a valid mac"},
      {"bridge", "{\"MacAddress\":\"03:00:00:00:00:01\"}", "multicast"},
      {"host", "{\"MacAddress\":\"02:42:ac:11:00:02\"}",
       "conflicting options: mac-address and the network mode"},
      {"bridge", "{\"HostConfig\":{\"ExtraHosts\":[\"nohost\"]}}",
       "bad format for add-host: \"nohost\""},
      {"bridge", "{\"HostConfig\":{\"ExtraHosts\":[\":1.2.3.4\"]}}",
       "bad format for add-host"},
      {"bridge", "{\"HostConfig\":{\"ExtraHosts\":[\"a\\nb:1.2.3.4\"]}}",
       "invalid --add-host"},
      {"bridge", "{\"HostConfig\":{\"ExtraHosts\":[\"db:1.2.3\"]}}",
       "invalid IP address in add-host: \"1.2.3\""},
      {"none", "{\"HostConfig\":{\"ExtraHosts\":[\"gw:host-gateway\"]}}",
       "host-gateway needs a network"},
      {"container:x", "{\"HostConfig\":{\"ExtraHosts\":[\"db:1.2.3.4\"]}}",
       "conflicting options: custom host-to-IP mapping and the network mode"},
      {"container:x", "{\"HostConfig\":{\"Dns\":[\"1.2.3.4\"]}}",
       "conflicting options: dns and the network mode"},
      {"bridge", "{\"HostConfig\":{\"Dns\":[\"8.8.8\"]}}",
       "invalid --dns `8.8.8`: not an IP address"},
      {"bridge", "{\"HostConfig\":{\"DnsSearch\":[\"-a.example\"]}}",
       "invalid --dns-search `-a.example`"},
      {"bridge", "{\"HostConfig\":{\"DnsSearch\":[\"a..example\"]}}",
       "invalid --dns-search"},
      {"bridge", "{\"HostConfig\":{\"DnsOptions\":[\"ndots:1\\nnameserver "
                 "6.6.6.6\"]}}",
       "invalid --dns-option"},
      {"bridge", "{\"HostConfig\":{\"Dns\":\"1.2.3.4\"}}", "a list"},
      {"bridge", "{\"Hostname\":\"a b\"}", "invalid --hostname `a b`"},
      {"bridge",
       "{\"Hostname\":\"a234567890123456789012345678901234567890123456789012"
       "3456789012345\"}",
       "at most 64"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    berth_error *err = NULL;
    int rc = check(cases[i].mode, cases[i].json, &err);
    if (rc == 0)
      fail_msg("accepted: %s", cases[i].json);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    if (!strstr(err->msg, cases[i].words))
      fail_msg("`%s` lacks `%s`", err->msg, cases[i].words);
    /* One line, even when the value refused had a newline. */
    if (!strstr(cases[i].json, "\\n"))
      assert_null(strchr(err->msg, '\n'));
    berth_error_free(err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts),
      cmocka_unit_test(test_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
