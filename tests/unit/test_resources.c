/* Resource settings of a HostConfig: Docker's checks, and the cgroup
 * limits they become. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "resources.h"

static int check(const char *hostconfig, berth_error **err) {
  json_t *hc = json_loads(hostconfig, 0, NULL);
  assert_non_null(hc);
  int rc = berth_resources_check(hc, err);
  json_decref(hc);
  return rc;
}

static void test_good(void **state) {
  (void)state;
  const char *good[] = {
      "{}",
      "{\"Memory\":6291456}",
      "{\"Memory\":67108864,\"MemorySwap\":-1}",
      "{\"Memory\":67108864,\"MemorySwap\":67108864,"
      "\"MemoryReservation\":33554432}",
      "{\"NanoCpus\":500000000,\"CpuShares\":512}",
      "{\"CpuPeriod\":100000,\"CpuQuota\":50000}",
      "{\"CpuQuota\":-1,\"CpusetCpus\":\"0\",\"BlkioWeight\":500}",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    berth_error *err = NULL;
    if (check(good[i], &err) < 0)
      fail_msg("%s: %s", good[i], err->msg);
  }
}

static void test_bad(void **state) {
  (void)state;
  const struct {
    const char *hc, *names;
  } bad[] = {
      {"{\"Memory\":1}", "--memory"},
      {"{\"Memory\":-5}", "negative"},
      {"{\"MemorySwap\":67108864}", "--memory-swap"},
      {"{\"Memory\":67108864,\"MemorySwap\":33554432}", "--memory-swap"},
      {"{\"Memory\":67108864,\"MemoryReservation\":134217728}",
       "--memory-reservation"},
      {"{\"NanoCpus\":500000000,\"CpuPeriod\":100000}", "--cpus"},
      {"{\"CpuPeriod\":10}", "--cpu-period"},
      {"{\"CpuQuota\":10}", "--cpu-quota"},
      {"{\"CpuShares\":1}", "--cpu-shares"},
      {"{\"CpusetCpus\":\"9999\"}", "--cpuset-cpus"},
      {"{\"CpusetCpus\":\"1-0\"}", "--cpuset-cpus"},
      {"{\"CpusetCpus\":\"0,\"}", "--cpuset-cpus"},
      {"{\"BlkioWeight\":5}", "--blkio-weight"},
      {"{\"NanoCpus\":999000000000000}", "--cpus"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    berth_error *err = NULL;
    if (check(bad[i].hc, &err) == 0)
      fail_msg("accepted %s", bad[i].hc);
    assert_int_equal(err->kind, BERTH_ERR_INVALID);
    if (!strstr(err->msg, bad[i].names))
      fail_msg("%s: `%s` does not name %s", bad[i].hc, err->msg, bad[i].names);
    assert_null(strchr(err->msg, '\n'));
    berth_error_free(err);
  }
}

static void test_limits(void **state) {
  (void)state;
  json_t *hc = json_loads("{\"Memory\":67108864,\"CpuPeriod\":50000,"
                          "\"CpuQuota\":25000,\"PidsLimit\":-1,"
                          "\"BlkioWeight\":300,\"MemoryReservation\":"
                          "33554432,\"CpusetMems\":\"0\"}",
                          0, NULL);
  json_t *r = berth_resources_of(hc);
  json_t *m = json_object_get(r, "memory");
  assert_int_equal(json_integer_value(json_object_get(m, "limit")), 67108864);
  assert_int_equal(json_integer_value(json_object_get(m, "swap")), 134217728);
  assert_int_equal(json_integer_value(json_object_get(m, "reservation")),
                   33554432);
  json_t *c = json_object_get(r, "cpu");
  assert_int_equal(json_integer_value(json_object_get(c, "period")), 50000);
  assert_int_equal(json_integer_value(json_object_get(c, "quota")), 25000);
  assert_string_equal(json_string_value(json_object_get(c, "mems")), "0");
  assert_null(json_object_get(r, "pids"));
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(r, "blockIO"), "weight")),
                   300);
  json_decref(r);
  json_decref(hc);
  /* The default pids limit. */
  hc = json_object();
  r = berth_resources_of(hc);
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(r, "pids"), "limit")),
                   BERTH_DEFAULT_PIDS_LIMIT);
  json_decref(r);
  json_decref(hc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_bad),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
