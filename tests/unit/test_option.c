/* SPDX-License-Identifier: MIT */
/*
 * Option tables: the one place a setting's range, keywords and default live.
 * The checks every reader of the registry relies on, their error text (key,
 * value, what is allowed), keywords in any case, a table that contradicts
 * itself caught, and the documentation row made of the same row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sink.h"

struct demo {
    char host[32];
    uint32_t port;
    uint32_t mode;
    uint32_t flag;
};

static const char *const modes[] = {"udp", "tcp", "tls", NULL};

static const struct rh_option demo_options[] = {
    RH_OPTION_TEXT(struct demo, "Host", RH_OPT_STRING, NULL, host, "where | to send"),
    RH_OPTION_DWORD(struct demo, "Port", "0", port, 0, 65535, "the port"),
    RH_OPTION_CHOICE(struct demo, "Mode", "tcp", mode, modes, "how"),
    RH_OPTION_DWORD(struct demo, "Flag", "1", flag, 0, 1, "a switch"),
};

static void ranges_are_enforced_with_one_text(void **state)
{
    char err[128] = "";

    (void)state;
    assert_true(rh_option_check_dword(&demo_options[1], 0, err, sizeof err));
    assert_true(rh_option_check_dword(&demo_options[1], 65535, err, sizeof err));
    assert_false(rh_option_check_dword(&demo_options[1], 65536, err, sizeof err));
    assert_string_equal(err, "value Port: 65536 is not 0 to 65535");
    assert_false(rh_option_check_dword(&demo_options[3], 2, err, sizeof err));
    assert_string_equal(err, "value Flag: 2 is not 0 or 1");
    /* NULL err: the check alone. */
    assert_false(rh_option_check_dword(&demo_options[1], UINT32_MAX, NULL, 0));
}

static void keywords_are_taken_in_any_case(void **state)
{
    uint32_t index = 99;
    char err[128] = "";

    (void)state;
    assert_true(rh_option_choose(&demo_options[2], "tls", &index, err, sizeof err));
    assert_int_equal(index, 2);
    assert_true(rh_option_choose(&demo_options[2], "TLS", &index, err, sizeof err));
    assert_int_equal(index, 2);
    assert_true(rh_option_choose(&demo_options[2], "Udp", &index, err, sizeof err));
    assert_int_equal(index, 0);
    index = 99;
    /* Near misses are not keywords: no trimming, no prefixes. */
    assert_false(rh_option_choose(&demo_options[2], "tls ", &index, err, sizeof err));
    assert_string_equal(err, "value Mode: \"tls \" is not udp, tcp or tls");
    assert_false(rh_option_choose(&demo_options[2], "tl", &index, err, sizeof err));
    assert_false(rh_option_choose(&demo_options[2], "", &index, err, sizeof err));
    assert_false(rh_option_choose(&demo_options[2], "TLSX", &index, err, sizeof err));
    assert_int_equal(index, 99);
}

static void allowed_text_reads_as_a_list(void **state)
{
    char text[64];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, text, sizeof text);
    rh_option_allowed(&demo_options[2], &b);
    assert_string_equal(text, "udp, tcp or tls");
    rh_buf_init(&b, text, sizeof text);
    rh_option_allowed(&demo_options[1], &b);
    assert_string_equal(text, "0 to 65535");
    rh_buf_init(&b, text, sizeof text);
    rh_option_allowed(&demo_options[0], &b);
    assert_string_equal(text, "text");
}

static void a_sound_table_passes(void **state)
{
    char err[128] = "";

    (void)state;
    assert_true(rh_option_table_check(demo_options, 4, sizeof(struct demo), err, sizeof err));
}

static void a_table_that_contradicts_itself_is_caught(void **state)
{
    static const char *const none[] = {NULL};
    struct rh_option bad[1];
    char err[128];

    (void)state;
    /* A default outside the range. */
    bad[0] = (struct rh_option)RH_OPTION_DWORD(struct demo, "Port", "70000", port, 0, 65535, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    assert_non_null(strstr(err, "Port"));
    /* A default that is not a number. */
    bad[0] = (struct rh_option)RH_OPTION_DWORD(struct demo, "Port", "80x", port, 0, 65535, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    /* A range the wrong way round. */
    bad[0] = (struct rh_option)RH_OPTION_DWORD(struct demo, "Port", "5", port, 10, 1, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    /* A default keyword that is not among the choices, and no choices at all. */
    bad[0] = (struct rh_option)RH_OPTION_CHOICE(struct demo, "Mode", "relp", mode, modes, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    bad[0] = (struct rh_option)RH_OPTION_CHOICE(struct demo, "Mode", NULL, mode, none, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    /* A default longer than its room. */
    bad[0] = (struct rh_option)RH_OPTION_TEXT(
        struct demo, "Host", RH_OPT_STRING, "a-host-name-longer-than-thirty-one-bytes", host, "x");
    assert_false(rh_option_table_check(bad, 1, sizeof(struct demo), err, sizeof err));
    /* A row outside the struct it is read into. */
    bad[0] = (struct rh_option)RH_OPTION_DWORD(struct demo, "Flag", "1", flag, 0, 1, "x");
    assert_false(rh_option_table_check(bad, 1, offsetof(struct demo, flag), err, sizeof err));
}

static void the_documentation_row_is_the_table_row(void **state)
{
    char text[1024];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, text, sizeof text);
    assert_true(rh_option_table_markdown(demo_options, 4, &b));
    assert_string_equal(text, "| value | type | default | allowed | meaning |\n"
                              "|---|---|---|---|---|\n"
                              "| `Host` | REG_SZ | (required) | text | where \\| to send |\n"
                              "| `Port` | REG_DWORD | `0` | 0 to 65535 | the port |\n"
                              "| `Mode` | REG_SZ | `tcp` | udp, tcp or tls | how |\n"
                              "| `Flag` | REG_DWORD | `1` | 0 or 1 | a switch |\n");
    /* Too small a buffer says so. */
    rh_buf_init(&b, text, 40);
    assert_false(rh_option_table_markdown(demo_options, 4, &b));
}

/* A value no row reads is matched to the one it was likely meant to be, or to none. */
static void a_misspelt_name_finds_its_option(void **state)
{
    static const struct rh_option file_like[] = {
        RH_OPTION_DWORD(struct demo, "RotateSizeMB", "0", port, 0, 1, "x"),
        RH_OPTION_CHOICE(struct demo, "Rotate", "udp", mode, modes, "x"),
        RH_OPTION_DWORD(struct demo, "KeepDays", "0", flag, 0, 1, "x"),
    };

    (void)state;
    assert_string_equal(rh_option_nearest(file_like, 3, "Rotation"), "Rotate");
    assert_string_equal(rh_option_nearest(file_like, 3, "rotat"), "Rotate");
    assert_string_equal(rh_option_nearest(file_like, 3, "KeepDay"), "KeepDays");
    assert_string_equal(rh_option_nearest(file_like, 3, "RotateSizeMb"), "RotateSizeMB");
    assert_string_equal(rh_option_nearest(file_like, 3, "KepDays"), "KeepDays");
    assert_null(rh_option_nearest(file_like, 3, "Colour"));
    assert_null(rh_option_nearest(file_like, 3, ""));
    assert_null(rh_option_nearest(file_like, 0, "Rotate"));
    /* A name longer than any option is not compared letter by letter. */
    assert_null(rh_option_nearest(file_like, 3,
                                  "RotateRotateRotateRotateRotateRotateRotateRotate"
                                  "RotateRotateRotateRotate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranges_are_enforced_with_one_text),
        cmocka_unit_test(keywords_are_taken_in_any_case),
        cmocka_unit_test(allowed_text_reads_as_a_list),
        cmocka_unit_test(a_sound_table_passes),
        cmocka_unit_test(a_table_that_contradicts_itself_is_caught),
        cmocka_unit_test(the_documentation_row_is_the_table_row),
        cmocka_unit_test(a_misspelt_name_finds_its_option),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
