/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "record.h"

static const struct rh_event_meta meta = {FX_HANGUP_MS, "ras01.contoso.com"};

static void ex_ppp_all_fields(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, &meta);
    assert_int_equal(r.time_ms, FX_HANGUP_MS);
    assert_int_equal(r.start_ms, FX_HANGUP_MS - 3723000);
    assert_int_equal(r.duration_s, 3723);
    assert_string_equal(r.server, "ras01.contoso.com");
    assert_string_equal(r.connection_id, "6b29fc40-ca47-1067-b31d-00dd010662da");
    assert_string_equal(r.user, "alice");
    assert_string_equal(r.domain, "CONTOSO");
    assert_int_equal(r.tunnel, RH_TUNNEL_PPP);
    assert_string_equal(r.remote_endpoint, "203.0.113.9");
    assert_string_equal(r.local_endpoint, "192.0.2.10");
    assert_string_equal(r.client_ipv4, "198.51.100.23");
    assert_int_equal(r.bytes_sent, 1000000);
    assert_int_equal(r.bytes_received, 250000);
    assert_int_equal(r.frames_sent, 800);
    assert_int_equal(r.frames_received, 600);
}

static void ex_ikev2(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ikev2(&c);
    rh_record_from_ex(&r, &c, &meta);
    assert_int_equal(r.tunnel, RH_TUNNEL_IKEV2);
    assert_string_equal(r.client_ipv4, "198.51.100.24");
    assert_string_equal(r.remote_endpoint, "2001:db8::7");
}

static void ex_unknown_projection_falls_back_to_flags(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ikev2(&c);
    c.ProjectionInfo.projectionInfoType = 7;
    rh_record_from_ex(&r, &c, &meta);
    assert_int_equal(r.tunnel, RH_TUNNEL_IKEV2);
    assert_string_equal(r.client_ipv4, ""); /* the union cannot be trusted */
    c.dwConnectionFlags = 0;
    rh_record_from_ex(&r, &c, &meta);
    assert_int_equal(r.tunnel, RH_TUNNEL_UNKNOWN);
    assert_null(rh_tunnel_name(r.tunnel));
}

static void ex_unterminated_strings_stay_in_their_arrays(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    char expected[RH_UNLEN + 2];

    (void)state;
    fx_ppp(&c);
    for (size_t i = 0; i < RH_UNLEN + 1; i++)
        c.wszUserName[i] = 'A';
    for (size_t i = 0; i < RH_DNLEN + 1; i++)
        c.wszLogonDomain[i] = 'D';
    for (size_t i = 0; i < RH_MAXIPADRESSLEN + 1; i++)
        c.wszRemoteEndpointAddress[i] = '9';
    rh_record_from_ex(&r, &c, &meta);
    memset(expected, 'A', RH_UNLEN + 1);
    expected[RH_UNLEN + 1] = '\0';
    assert_string_equal(r.user, expected);
    assert_int_equal(strlen(r.domain), RH_DNLEN + 1);
    assert_int_equal(strlen(r.remote_endpoint), RH_MAXIPADRESSLEN + 1);
}

static void ex_invalid_addresses_are_omitted(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    FX_SET_W(c.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, "999.1.1.1");
    rh_record_from_ex(&r, &c, &meta);
    assert_string_equal(r.client_ipv4, "");
    FX_SET_W(c.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, "0.0.0.0");
    rh_record_from_ex(&r, &c, &meta);
    assert_string_equal(r.client_ipv4, "");
}

static void ex_nil_guid_and_early_clock(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    const struct rh_event_meta early = {1000, NULL};

    (void)state;
    fx_ppp(&c);
    memset(&c.guid, 0, sizeof c.guid);
    c.dwConnectDuration = 0xFFFFFFFFu;
    rh_record_from_ex(&r, &c, &early);
    assert_string_equal(r.connection_id, "");
    assert_int_equal(r.start_ms, 0); /* never below the epoch */
    assert_int_equal(r.duration_s, 0xFFFFFFFFu);
    assert_string_equal(r.server, "");
}

static void ex_header_rules(void **state)
{
    struct rh_mprapi_object_header h = {1, 1, (uint16_t)sizeof(struct rh_ras_connection_ex)};
    size_t readable = 99;

    (void)state;
    assert_int_equal(rh_ex_check_header(NULL, &readable), RH_EX_NULL);
    assert_int_equal(readable, 0);
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_OK);
    assert_int_equal(readable, sizeof(struct rh_ras_connection_ex));

    h.type = 2;
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_BAD_TYPE);
    assert_int_equal(readable, 0);
    h.type = 1;
    h.revision = 0;
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_BAD_REVISION);
    h.revision = 3; /* a later revision is read by its revision-1 part */
    h.size = 0xFFFF;
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_OK);
    assert_int_equal(readable, sizeof(struct rh_ras_connection_ex));
    h.size = 100;
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_SHORT);
    assert_int_equal(readable, 100);
    h.size = 3;
    assert_int_equal(rh_ex_check_header(&h, &readable), RH_EX_TOO_SMALL);
    assert_int_equal(readable, 0);
    assert_non_null(rh_ex_status_text(RH_EX_TOO_SMALL));
}

static void legacy_levels(void **state)
{
    struct rh_ras_connection_0 c0;
    struct rh_ras_connection_1 c1;
    struct rh_ras_connection_2 c2;
    struct rh_ras_connection_3 c3;
    struct rh_record r;
    const struct rh_guid g = {0x01020304, 0x0506, 0x0708, {9, 10, 11, 12, 13, 14, 15, 16}};

    (void)state;
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    memset(&c2, 0, sizeof c2);
    memset(&c3, 0, sizeof c3);
    c0.dwConnectDuration = 60;
    c0.dwConnectionFlags = RH_RAS_FLAGS_PPP_CONNECTION;
    FX_SET_W(c0.wszUserName, "bob");
    FX_SET_W(c0.wszLogonDomain, "FABRIKAM");
    c1.dwBytesXmited = 7;
    c1.dwBytesRcved = 8;
    c1.dwFramesXmited = 9;
    c1.dwFramesRcved = 10;
    FX_SET_W(c1.PppInfo.ip.wszRemoteAddress, "198.51.100.50");
    c2.guid = g;
    c3.guid = g;

    rh_record_from_legacy(&r, &c0, &c1, &c2, &c3, &meta);
    assert_string_equal(r.user, "bob");
    assert_string_equal(r.domain, "FABRIKAM");
    assert_int_equal(r.duration_s, 60);
    assert_int_equal(r.tunnel, RH_TUNNEL_PPP);
    assert_string_equal(r.connection_id, "01020304-0506-0708-090a-0b0c0d0e0f10");
    assert_string_equal(r.client_ipv4, "198.51.100.50");
    assert_int_equal(r.bytes_sent, 7);
    assert_int_equal(r.frames_received, 10);
    assert_string_equal(r.remote_endpoint, ""); /* the legacy set has no endpoints */

    rh_record_from_legacy(&r, &c0, NULL, NULL, NULL, &meta);
    assert_string_equal(r.user, "bob");
    assert_string_equal(r.connection_id, "");
    assert_int_equal(r.bytes_sent, 0);

    rh_record_from_legacy(&r, NULL, NULL, NULL, &c3, &meta);
    assert_string_equal(r.connection_id, "01020304-0506-0708-090a-0b0c0d0e0f10");
    assert_int_equal(r.duration_s, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ex_ppp_all_fields),
        cmocka_unit_test(ex_ikev2),
        cmocka_unit_test(ex_unknown_projection_falls_back_to_flags),
        cmocka_unit_test(ex_unterminated_strings_stay_in_their_arrays),
        cmocka_unit_test(ex_invalid_addresses_are_omitted),
        cmocka_unit_test(ex_nil_guid_and_early_clock),
        cmocka_unit_test(ex_header_rules),
        cmocka_unit_test(legacy_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
