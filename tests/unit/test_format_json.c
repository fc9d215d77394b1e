/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expected.h"
#include "fixtures.h"
#include "format.h"
#include "json_check.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

static void ppp_record_exact_bytes(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_string_equal(out, json_ppp);
    assert_int_equal(b.len, strlen(json_ppp));
    assert_int_equal(jc_count_members(out, b.len - 1), RH_FIELD_COUNT);
}

static void unknown_values_are_null_and_lists_are_arrays(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    const struct rh_record_meta bare = {FX_HANGUP_MS, NULL, NULL};

    (void)state;
    fx_ppp(&c);
    memset(&c.guid, 0, sizeof c.guid);
    c.ProjectionInfo.projectionInfoType = 0;
    c.dwConnectionFlags = 0x42; /* messenger and an unnamed bit: no tunnel kind */
    memset(c.wszRemoteEndpointAddress, 0, sizeof c.wszRemoteEndpointAddress);
    rh_record_from_ex(&r, &c, RH_EX_SHORT, &bare);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_true(jc_valid(out, b.len - 1));
    assert_non_null(strstr(out, "\"record_id\":null,"));
    assert_non_null(strstr(out, "\"server\":null,\"connection_id\":null,"));
    assert_non_null(strstr(out, "\"tunnel\":null,\"connection_flags\":[\"messenger\","
                                "\"0x40\"],\"remote_endpoint\":null,"));
    assert_non_null(strstr(out, "\"client_ipv4\":null,\"server_ipv4\":null,\"ipv4_error\":null,"));
    assert_non_null(strstr(out, "\"authentication\":null,\"eap_type\":null,"));
    assert_non_null(strstr(out, "\"warnings\":[\"structure_short\",\"projection_unknown\"]}\n"));
}

static void strings_are_escaped(void **state)
{
    char out[128];
    struct rh_buf b;
    const char in[] = "a\"b\\c\x01\n\r\t\b\f\x7f/\xC3\xA9";

    (void)state;
    rh_buf_init(&b, out, sizeof out);
    rh_json_append_string(&b, in, sizeof in - 1);
    assert_string_equal(out, "\"a\\\"b\\\\c\\u0001\\n\\r\\t\\b\\f\\u007f/\xC3\xA9\"");
    assert_true(jc_valid(out, strlen(out)));
}

static void hostile_strings_stay_valid_and_round_trip(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    char user[RH_USER_SIZE];
    struct rh_buf b;
    /* Control characters, quotes, a lone surrogate, an emoji and CJK. */
    const rh_wchar name[] = {'"', '\\', 0x01, 0x1F, '\n', 0xD800, 'x', 0xD83D, 0xDE00, 0x674E, 0};

    (void)state;
    fx_ppp(&c);
    memcpy(c.wszUserName, name, sizeof name);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_int_equal(out[b.len - 1], '\n');
    assert_null(memchr(out, '\n', b.len - 1)); /* one line */
    assert_true(jc_valid(out, b.len - 1));
    assert_int_equal(jc_get(out, b.len - 1, "user", user, sizeof user), JC_STRING);
    assert_string_equal(user, "\"\\\x01\x1F\n\xEF\xBF\xBDx\xF0\x9F\x98\x80\xE6\x9D\x8E");
    assert_non_null(strstr(out, "\"warnings\":[\"invalid_utf16\"]"));
}

/* Every string at its longest and every character escaped still fits RH_FORMAT_MAX. */
static void worst_case_record_fits(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    static char out[RH_FORMAT_MAX];
    struct rh_buf b;
    char server[RH_SERVER_SIZE];
    const struct rh_record_meta m = {UINT64_MAX, server, fx_record_id};

    (void)state;
    memset(&c, 0x01, sizeof c); /* every UTF-16 unit 0x0101, every counter 0x01010101 */
    for (size_t i = 0; i < RH_UNLEN + 1; i++)
        c.wszUserName[i] = 0x01;
    for (size_t i = 0; i < RH_MAX_INTERFACE_NAME_LEN + 1; i++)
        c.wszInterfaceName[i] = 0x01;
    for (size_t i = 0; i < RH_MAXIPADRESSLEN + 1; i++) {
        c.wszRemoteEndpointAddress[i] = 0x01;
        c.wszLocalEndpointAddress[i] = 0x01;
    }
    c.ProjectionInfo.projectionInfoType = 1;
    c.dwConnectionFlags = 0xFFFFFFFFu;
    memset(server, 0x01, sizeof server - 1);
    server[sizeof server - 1] = '\0';
    rh_record_from_ex(&r, &c, RH_EX_SHORT, &m);
    r.warnings = 0xFFFFFFFFu;
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_true(jc_valid(out, b.len - 1));
}

static void overflow_leaves_buffer_unchanged(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[64];
    struct rh_buf b;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    rh_buf_init(&b, out, sizeof out);
    rh_buf_append_str(&b, "keep");
    assert_false(rh_format_json(&r, &b));
    assert_string_equal(out, "keep");
    assert_int_equal(b.len, 4);
    assert_true(b.overflow);
}

static void format_names(void **state)
{
    enum rh_format f;

    (void)state;
    assert_true(rh_format_from_name("json", &f));
    assert_int_equal(f, RH_FORMAT_JSON);
    assert_string_equal(rh_format_name(f), "json");
    assert_true(rh_format_from_name("csv", &f));
    assert_int_equal(f, RH_FORMAT_CSV);
    assert_string_equal(rh_format_name(f), "csv");
    assert_false(rh_format_from_name("JSON ", &f));
    assert_false(rh_format_from_name("xml", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ppp_record_exact_bytes),
        cmocka_unit_test(unknown_values_are_null_and_lists_are_arrays),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(hostile_strings_stay_valid_and_round_trip),
        cmocka_unit_test(worst_case_record_fits),
        cmocka_unit_test(overflow_leaves_buffer_unchanged),
        cmocka_unit_test(format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
