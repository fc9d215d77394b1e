/* SPDX-License-Identifier: MIT */
/* The oracle must be able to say no: these prove it rejects what is not JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json_check.h"

static void accepts_valid(void **state)
{
    static const char *const good[] = {
        "{}",
        "[]",
        "0",
        "-1.5e+3",
        "\"\\u00e9\\ud83d\\ude00\"",
        "{\"a\":[1,{\"b\":null}],\"c\":true}",
        " {\"a\" : \"x\" } ",
    };

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!jc_valid(good[i], strlen(good[i])))
            fail_msg("rejected valid JSON: %s", good[i]);
}

static void rejects_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "01",
        "\"\x01\"",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\xC3\"",
        "\"\xED\xA0\x80\"",
        "{\"a\" 1}",
        "{} {}",
        "nul",
        "{a:1}",
        "1.",
        "\"unterminated",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (jc_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted invalid JSON #%zu", i);
}

static void reads_members(void **state)
{
    const char *obj = "{\"n\":42,\"s\":\"a\\\"b\",\"z\":null}";
    char out[16];

    (void)state;
    assert_int_equal(jc_get(obj, strlen(obj), "n", out, sizeof out), JC_NUMBER);
    assert_string_equal(out, "42");
    assert_int_equal(jc_get(obj, strlen(obj), "s", out, sizeof out), JC_STRING);
    assert_string_equal(out, "a\"b");
    assert_int_equal(jc_get(obj, strlen(obj), "z", out, sizeof out), JC_NULL);
    assert_int_equal(jc_get(obj, strlen(obj), "missing", out, sizeof out), JC_MISSING);
    assert_int_equal(jc_count_members(obj, strlen(obj)), 3);
    assert_int_equal(jc_count_members("[1]", 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid),
        cmocka_unit_test(rejects_invalid),
        cmocka_unit_test(reads_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
