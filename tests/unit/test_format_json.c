/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "format.h"
#include "json_check.h"

static const struct rh_event_meta meta = {FX_HANGUP_MS, "ras01.contoso.com"};

static void ppp_record_exact_bytes(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_string_equal(out,
                        "{\"event\":\"hangup\",\"time\":\"2026-11-29T18:00:00.250Z\","
                        "\"start_time\":\"2026-11-29T16:57:57.250Z\",\"duration_s\":3723,"
                        "\"server\":\"ras01.contoso.com\","
                        "\"connection_id\":\"6b29fc40-ca47-1067-b31d-00dd010662da\","
                        "\"user\":\"alice\",\"domain\":\"CONTOSO\",\"tunnel\":\"ppp\","
                        "\"remote_endpoint\":\"203.0.113.9\",\"local_endpoint\":\"192.0.2.10\","
                        "\"client_ipv4\":\"198.51.100.23\",\"bytes_sent\":1000000,"
                        "\"bytes_received\":250000,\"frames_sent\":800,\"frames_received\":600}\n");
    assert_int_equal(b.len, strlen(out));
}

static void unknown_values_are_null(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char out[RH_FORMAT_MAX];
    struct rh_buf b;
    const struct rh_event_meta no_server = {FX_HANGUP_MS, NULL};

    (void)state;
    fx_ppp(&c);
    memset(&c.guid, 0, sizeof c.guid);
    c.ProjectionInfo.projectionInfoType = 0;
    c.dwConnectionFlags = 0;
    memset(c.wszRemoteEndpointAddress, 0, sizeof c.wszRemoteEndpointAddress);
    rh_record_from_ex(&r, &c, &no_server);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_non_null(strstr(out, "\"server\":null,\"connection_id\":null,"));
    assert_non_null(strstr(out, "\"tunnel\":null,\"remote_endpoint\":null,"));
    assert_non_null(strstr(out, "\"client_ipv4\":null,"));
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

    (void)state;
    fx_ppp(&c);
    /* Control characters, quotes, a lone surrogate, an emoji and CJK. */
    const rh_wchar name[] = {'"', '\\', 0x01, 0x1F, '\n', 0xD800, 'x', 0xD83D, 0xDE00, 0x674E, 0};
    memcpy(c.wszUserName, name, sizeof name);
    rh_record_from_ex(&r, &c, &meta);
    rh_buf_init(&b, out, sizeof out);
    assert_true(rh_format_json(&r, &b));
    assert_int_equal(out[b.len - 1], '\n');
    assert_null(memchr(out, '\n', b.len - 1)); /* one line */
    assert_true(jc_valid(out, b.len - 1));
    assert_int_equal(jc_get(out, b.len - 1, "user", user, sizeof user), JC_STRING);
    assert_string_equal(user, "\"\\\x01\x1F\n\xEF\xBF\xBDx\xF0\x9F\x98\x80\xE6\x9D\x8E");
    assert_int_equal(jc_count_members(out, b.len - 1), 16);
}

static void worst_case_record_fits(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    static char out[RH_FORMAT_MAX];
    struct rh_buf b;
    char server[RH_SERVER_SIZE];
    const struct rh_event_meta m = {UINT64_MAX, server};

    (void)state;
    memset(&c, 0, sizeof c);
    /* Every string full of control characters: six bytes each once escaped. */
    for (size_t i = 0; i < RH_UNLEN + 1; i++)
        c.wszUserName[i] = 0x01;
    for (size_t i = 0; i < RH_DNLEN + 1; i++)
        c.wszLogonDomain[i] = 0x01;
    for (size_t i = 0; i < RH_MAXIPADRESSLEN + 1; i++) {
        c.wszRemoteEndpointAddress[i] = 0x01;
        c.wszLocalEndpointAddress[i] = 0x01;
    }
    memset(server, 0x01, sizeof server - 1);
    server[sizeof server - 1] = '\0';
    c.dwBytesXmited = c.dwBytesRcved = c.dwFramesXmited = c.dwFramesRcved = 0xFFFFFFFFu;
    c.dwConnectDuration = 0xFFFFFFFFu;
    rh_record_from_ex(&r, &c, &m);
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
    rh_record_from_ex(&r, &c, &meta);
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
    assert_false(rh_format_from_name("JSON ", &f));
    assert_false(rh_format_from_name("xml", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ppp_record_exact_bytes),
        cmocka_unit_test(unknown_values_are_null),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(hostile_strings_stay_valid_and_round_trip),
        cmocka_unit_test(worst_case_record_fits),
        cmocka_unit_test(overflow_leaves_buffer_unchanged),
        cmocka_unit_test(format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
