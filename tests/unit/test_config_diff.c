/* SPDX-License-Identifier: MIT */
/*
 * What a configuration change does to each sink (rh_config_diff): unchanged
 * values keep the worker, a changed value restarts it from its cursor, a
 * deleted key or Enabled = 0 releases it, an invalid value stops it and keeps
 * its cursor, and a list that could not be read whole releases nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config_diff.h"

struct cfg {
    uint32_t port;
    char host[16];
};

static const struct rh_sink_ops type_a = {.type = "a", .config_size = sizeof(struct cfg)};
static const struct rh_sink_ops type_b = {.type = "b", .config_size = sizeof(struct cfg)};

static struct cfg values[8];

static struct rh_config_sink sink(const char *name, const struct rh_sink_ops *ops,
                                  enum rh_sink_standing standing, struct cfg *config)
{
    struct rh_config_sink s;

    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "%s", name);
    s.ops = ops;
    s.standing = standing;
    s.config = standing == RH_STANDING_RUNS ? config : NULL;
    return s;
}

/* The change decided for `name`, failing if there is not exactly one. */
static const struct rh_config_change *change_of(const struct rh_config_change *c, size_t n,
                                                const char *name)
{
    const struct rh_config_change *found = NULL;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(c[i].name, name) != 0)
            continue;
        if (found != NULL)
            fail_msg("two changes for %s", name);
        found = &c[i];
    }
    if (found == NULL)
        fail_msg("no change for %s", name);
    return found;
}

static void setup_values(void)
{
    memset(values, 0, sizeof values);
    for (size_t i = 0; i < 8; i++) {
        values[i].port = 514;
        snprintf(values[i].host, sizeof values[i].host, "collector");
    }
}

static void unchanged_values_keep_the_worker(void **state)
{
    struct rh_config_sink cur[2], next[2];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    cur[0] = sink("siem", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("file", &type_b, RH_STANDING_RUNS, &values[1]);
    /* The same values read again into other memory, in another order. */
    next[0] = sink("file", &type_b, RH_STANDING_RUNS, &values[3]);
    next[1] = sink("siem", &type_a, RH_STANDING_RUNS, &values[2]);
    n = rh_config_diff(cur, 2, next, 2, false, c, 8);
    assert_int_equal(n, 2);
    assert_int_equal(change_of(c, n, "siem")->change, RH_CHANGE_KEEP);
    assert_int_equal(change_of(c, n, "siem")->next, 1);
    assert_int_equal(change_of(c, n, "file")->change, RH_CHANGE_KEEP);
    assert_true(change_of(c, n, "file")->ran);
}

static void a_changed_value_restarts_from_its_cursor(void **state)
{
    struct rh_config_sink cur[2], next[2];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    values[2].port = 6514;
    cur[0] = sink("siem", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("retype", &type_a, RH_STANDING_RUNS, &values[1]);
    next[0] = sink("siem", &type_a, RH_STANDING_RUNS, &values[2]);
    /* Another type with the same bytes is another sink configuration. */
    next[1] = sink("retype", &type_b, RH_STANDING_RUNS, &values[3]);
    n = rh_config_diff(cur, 2, next, 2, false, c, 8);
    assert_int_equal(change_of(c, n, "siem")->change, RH_CHANGE_RESTART);
    assert_int_equal(change_of(c, n, "retype")->change, RH_CHANGE_RESTART);
}

static void a_deleted_key_or_enabled_0_releases(void **state)
{
    struct rh_config_sink cur[3], next[2];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    cur[0] = sink("gone", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("off", &type_a, RH_STANDING_RUNS, &values[1]);
    cur[2] = sink("broken-then-gone", &type_a, RH_STANDING_INVALID, NULL);
    next[0] = sink("off", &type_a, RH_STANDING_DISABLED, NULL);
    next[1] = sink("new", &type_b, RH_STANDING_RUNS, &values[2]);
    n = rh_config_diff(cur, 3, next, 2, false, c, 8);
    assert_int_equal(n, 4);
    assert_int_equal(change_of(c, n, "gone")->change, RH_CHANGE_RELEASE);
    assert_int_equal(change_of(c, n, "gone")->next, SIZE_MAX);
    assert_int_equal(change_of(c, n, "off")->change, RH_CHANGE_RELEASE);
    assert_true(change_of(c, n, "off")->ran);
    assert_int_equal(change_of(c, n, "broken-then-gone")->change, RH_CHANGE_RELEASE);
    assert_false(change_of(c, n, "broken-then-gone")->ran);
    assert_int_equal(change_of(c, n, "new")->change, RH_CHANGE_START);
    assert_int_equal(change_of(c, n, "new")->next, 1);
}

static void an_invalid_value_keeps_its_cursor(void **state)
{
    struct rh_config_sink cur[2], next[2];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    cur[0] = sink("siem", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("waiting", &type_a, RH_STANDING_INVALID, NULL);
    next[0] = sink("siem", &type_a, RH_STANDING_INVALID, NULL);
    next[1] = sink("waiting", &type_a, RH_STANDING_INVALID, NULL);
    n = rh_config_diff(cur, 2, next, 2, false, c, 8);
    assert_int_equal(change_of(c, n, "siem")->change, RH_CHANGE_STOP);
    assert_int_equal(change_of(c, n, "waiting")->change, RH_CHANGE_HOLD);

    /* Fixed again: it starts, from the cursor it kept. */
    cur[0] = next[0];
    next[0] = sink("siem", &type_a, RH_STANDING_RUNS, &values[1]);
    n = rh_config_diff(cur, 2, next, 2, false, c, 8);
    assert_int_equal(change_of(c, n, "siem")->change, RH_CHANGE_START);
    assert_false(change_of(c, n, "siem")->ran);
}

static void an_incomplete_list_releases_nothing(void **state)
{
    struct rh_config_sink cur[3], next[1];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    cur[0] = sink("unread", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("unread-invalid", &type_a, RH_STANDING_INVALID, NULL);
    cur[2] = sink("read", &type_a, RH_STANDING_RUNS, &values[1]);
    next[0] = sink("read", &type_a, RH_STANDING_RUNS, &values[2]);
    n = rh_config_diff(cur, 3, next, 1, true, c, 8);
    assert_int_equal(change_of(c, n, "unread")->change, RH_CHANGE_STOP);
    assert_int_equal(change_of(c, n, "unread-invalid")->change, RH_CHANGE_HOLD);
    assert_int_equal(change_of(c, n, "read")->change, RH_CHANGE_KEEP);
    /* A sink disabled in what could be read is still the administrator's choice. */
    next[0] = sink("read", &type_a, RH_STANDING_DISABLED, NULL);
    n = rh_config_diff(cur, 3, next, 1, true, c, 8);
    assert_int_equal(change_of(c, n, "read")->change, RH_CHANGE_RELEASE);
}

static void names_are_exact_and_counted_once(void **state)
{
    struct rh_config_sink cur[2], next[3];
    struct rh_config_change c[8];
    size_t n;

    (void)state;
    setup_values();
    cur[0] = sink("main", &type_a, RH_STANDING_RUNS, &values[0]);
    cur[1] = sink("main", &type_a, RH_STANDING_RUNS, &values[1]);
    next[0] = sink("Main", &type_a, RH_STANDING_RUNS, &values[2]);
    next[1] = sink("x", &type_a, RH_STANDING_RUNS, &values[3]);
    next[2] = sink("x", &type_b, RH_STANDING_INVALID, NULL);
    n = rh_config_diff(cur, 2, next, 3, false, c, 8);
    assert_int_equal(n, 3);
    assert_int_equal(change_of(c, n, "main")->change, RH_CHANGE_RELEASE);
    assert_int_equal(change_of(c, n, "Main")->change, RH_CHANGE_START);
    assert_int_equal(change_of(c, n, "x")->change, RH_CHANGE_START);
    /* No more than cap. */
    assert_int_equal(rh_config_diff(cur, 2, next, 3, false, c, 1), 1);
    assert_int_equal(rh_config_diff(cur, 2, next, 3, false, c, 0), 0);
    assert_string_equal(rh_sink_change_name(RH_CHANGE_RESTART), "restart");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unchanged_values_keep_the_worker),
        cmocka_unit_test(a_changed_value_restarts_from_its_cursor),
        cmocka_unit_test(a_deleted_key_or_enabled_0_releases),
        cmocka_unit_test(an_invalid_value_keeps_its_cursor),
        cmocka_unit_test(an_incomplete_list_releases_nothing),
        cmocka_unit_test(names_are_exact_and_counted_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
