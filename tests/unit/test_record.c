/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "record.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};

/* The text of a field, or "(null)". */
static const char *F(const struct rh_record *r, const char *name)
{
    static char text[RH_LIST_MAX];

    if (!rh_record_field_text(r, name, text, sizeof text))
        return "(null)";
    return text;
}

static void convert(struct rh_record *r, const struct rh_ras_connection_ex *c)
{
    rh_record_from_ex(r, c, RH_EX_OK, &meta);
}

static void ex_ppp_all_fields(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    convert(&r, &c);
    assert_string_equal(F(&r, "record_id"), "019ad0b8-4f7a-7000-8000-00000000002a");
    assert_int_equal(r.time_ms, FX_HANGUP_MS);
    assert_int_equal(r.start_ms, FX_HANGUP_MS - 3723000);
    assert_int_equal(r.duration_s, 3723);
    assert_string_equal(r.server.s, "ras01.contoso.com");
    assert_string_equal(F(&r, "connection_id"), "6b29fc40-ca47-1067-b31d-00dd010662da");
    assert_string_equal(r.user.s, "alice");
    assert_string_equal(r.domain.s, "CONTOSO");
    assert_string_equal(r.interface_name.s, "alice");
    assert_string_equal(F(&r, "interface_type"), "client");
    assert_string_equal(r.remote_computer.s, "LAPTOP-7");
    assert_int_equal(r.tunnel, RH_TUNNEL_PPP);
    assert_int_equal(r.connection_flags, RH_RAS_FLAGS_PPP_CONNECTION);
    assert_string_equal(r.remote_endpoint.s, "203.0.113.9");
    assert_string_equal(r.local_endpoint.s, "192.0.2.10");
    assert_string_equal(F(&r, "client_ipv4"), "198.51.100.23");
    assert_string_equal(F(&r, "server_ipv4"), "198.51.100.1");
    assert_string_equal(F(&r, "client_ipv6"), "2001:db8:42:0:215:5dff:fe01:203");
    assert_string_equal(F(&r, "server_ipv6"), "2001:db8:42::1");
    assert_string_equal(F(&r, "ipv6_prefix"), "2001:db8:42::/64");
    assert_string_equal(F(&r, "authentication"), "eap");
    assert_int_equal(r.eap_type, 26);
    assert_string_equal(F(&r, "eap_method"), "ms-chapv2");
    assert_string_equal(F(&r, "encryption"), "mppe-128");
    assert_string_equal(F(&r, "compression"), "mppc");
    assert_string_equal(F(&r, "quarantine_state"), "normal");
    assert_int_equal(r.bytes_sent, 1000000);
    assert_int_equal(r.bytes_received, 250000);
    assert_int_equal(r.frames_sent, 800);
    assert_int_equal(r.frames_received, 600);
    assert_int_equal(r.crc_errors, 1);
    assert_int_equal(r.timeout_errors, 2);
    assert_int_equal(r.alignment_errors, 3);
    assert_int_equal(r.hardware_overrun_errors, 4);
    assert_int_equal(r.framing_errors, 5);
    assert_int_equal(r.buffer_overrun_errors, 6);
    assert_int_equal(r.compression_ratio_in, 87);
    assert_int_equal(r.compression_ratio_out, 91);
    assert_int_equal(r.warnings, 0);
    assert_int_equal(r.present & (RH_HAS_PROBATION | RH_HAS_EAP), RH_HAS_EAP);
}

static void ex_ikev2(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ikev2(&c);
    convert(&r, &c);
    assert_int_equal(r.tunnel, RH_TUNNEL_IKEV2);
    assert_string_equal(F(&r, "client_ipv4"), "198.51.100.24");
    assert_string_equal(r.remote_endpoint.s, "2001:db8::7");
    assert_string_equal(F(&r, "authentication"), "certificate");
    assert_false(r.present & RH_HAS_EAP);
    assert_string_equal(F(&r, "encryption"), "aes-256");
    assert_string_equal(F(&r, "compression"), "(null)");
    assert_int_equal(r.mobike_switchovers, 2);
    assert_false(r.present & RH_HAS_PPP_ERRORS);
    assert_int_equal(r.warnings, 0);

    c.ProjectionInfo.Ikev2ProjectionInfo.dwAuthenticationProtocol = 2;
    c.ProjectionInfo.Ikev2ProjectionInfo.dwEapTypeId = 25;
    c.ProjectionInfo.Ikev2ProjectionInfo.dwEncryptionMethod = 9;
    convert(&r, &c);
    assert_string_equal(F(&r, "authentication"), "eap");
    assert_string_equal(F(&r, "eap_method"), "peap");
    assert_string_equal(F(&r, "encryption"), "unknown-9");
}

static void ppp_authentication_and_encryption_names(void **state)
{
    static const struct {
        uint32_t proto, data, lcp, ccp;
        const char *auth, *enc;
    } cases[] = {
        {0xC023, 0, 0, 0x20, "pap", "mppe-40"},
        {0xC027, 0, 0, 0x80, "spap", "mppe-56"},
        {0xC223, 0x05, 0, 0x41000040, "chap-md5", "mppe-128-stateless"},
        {0xC223, 0x80, 0x10, 0x40, "ms-chap", "des-56"},
        {0xC223, 0x81, 0x20, 0, "ms-chapv2", "3des"},
        {0xC223, 0x07, 0x40, 0, "chap", "aes-128"},
        {0xC227, 0, 0xC0, 0x40, "eap", "aes-256"},
        {0xC225, 0, 0, 0, "unknown-0xc225", "(null)"},
        {0, 0, 0, 0, "(null)", "(null)"},
    };
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rh_ppp_projection_info *p = &c.ProjectionInfo.PppProjectionInfo;

        fx_ppp(&c);
        p->dwAuthenticationProtocol = cases[i].proto;
        p->dwAuthenticationData = cases[i].data;
        p->dwLcpOptions = cases[i].lcp;
        p->dwCcpOptions = cases[i].ccp;
        convert(&r, &c);
        assert_string_equal(F(&r, "authentication"), cases[i].auth);
        assert_string_equal(F(&r, "encryption"), cases[i].enc);
    }
}

static void eap_types_and_compression(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    c.ProjectionInfo.PppProjectionInfo.dwEapTypeId = 13;
    c.ProjectionInfo.PppProjectionInfo.dwCompressionAlgorithm = 5;
    convert(&r, &c);
    assert_string_equal(F(&r, "eap_method"), "tls");
    assert_string_equal(F(&r, "compression"), "stac");
    c.ProjectionInfo.PppProjectionInfo.dwEapTypeId = 21;
    c.ProjectionInfo.PppProjectionInfo.dwCompressionAlgorithm = 7;
    convert(&r, &c);
    assert_string_equal(F(&r, "eap_method"), "ttls");
    assert_string_equal(F(&r, "compression"), "unknown-7");
    c.ProjectionInfo.PppProjectionInfo.dwEapTypeId = 254; /* expanded types: number only */
    convert(&r, &c);
    assert_true(r.present & RH_HAS_EAP);
    assert_int_equal(r.eap_type, 254);
    assert_string_equal(F(&r, "eap_method"), "(null)");
}

static void quarantine_and_probation(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    const uint64_t ticks = 116444736000000000ull + FX_HANGUP_MS * 10000ull;

    (void)state;
    fx_ppp(&c);
    c.rasQuarState = 2;
    c.probationTime.dwLowDateTime = (uint32_t)ticks;
    c.probationTime.dwHighDateTime = (uint32_t)(ticks >> 32);
    convert(&r, &c);
    assert_string_equal(F(&r, "quarantine_state"), "probation");
    assert_true(r.present & RH_HAS_PROBATION);
    assert_int_equal(r.probation_ms, FX_HANGUP_MS);
    c.rasQuarState = 1; /* the time means nothing outside probation */
    convert(&r, &c);
    assert_string_equal(F(&r, "quarantine_state"), "quarantine");
    assert_false(r.present & RH_HAS_PROBATION);
    c.rasQuarState = 3;
    convert(&r, &c);
    assert_string_equal(F(&r, "quarantine_state"), "not_capable");
    c.rasQuarState = 77;
    convert(&r, &c);
    assert_string_equal(F(&r, "quarantine_state"), "unknown-77");
}

static void interface_types(void **state)
{
    static const char *const names[] = {"client",   "home_router", "full_router", "dedicated",
                                        "internal", "loopback",    "tunnel1",     "dialout"};
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    for (uint32_t t = 0; t < 8; t++) {
        c.dwInterfaceType = t;
        convert(&r, &c);
        assert_string_equal(F(&r, "interface_type"), names[t]);
    }
    c.dwInterfaceType = 0xFFFFFFFFu;
    convert(&r, &c);
    assert_string_equal(F(&r, "interface_type"), "unknown-4294967295");
}

static void projection_cross_checked_with_flags(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    c.dwConnectionFlags = RH_RAS_FLAGS_IKEV2_CONNECTION; /* contradicts the PPP projection */
    convert(&r, &c);
    assert_int_equal(r.tunnel, RH_TUNNEL_PPP); /* the type chooses the union member */
    assert_int_equal(r.warnings, RH_WARN_PROJECTION_MISMATCH);

    fx_ikev2(&c);
    c.dwConnectionFlags = RH_RAS_FLAGS_PPP_CONNECTION;
    convert(&r, &c);
    assert_int_equal(r.tunnel, RH_TUNNEL_IKEV2);
    assert_int_equal(r.warnings, RH_WARN_PROJECTION_MISMATCH);

    c.ProjectionInfo.projectionInfoType = 7;
    c.dwConnectionFlags = RH_RAS_FLAGS_IKEV2_CONNECTION;
    convert(&r, &c);
    assert_int_equal(r.tunnel, RH_TUNNEL_IKEV2);
    assert_int_equal(r.warnings, RH_WARN_PROJECTION_UNKNOWN);
    assert_string_equal(F(&r, "client_ipv4"), "(null)"); /* the union cannot be trusted */
    assert_false(r.present & (RH_HAS_IPV4 | RH_HAS_IPV6));
    assert_string_equal(F(&r, "authentication"), "(null)");
    c.dwConnectionFlags = 0;
    convert(&r, &c);
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
    for (size_t i = 0; i < RH_NETBIOS_NAME_LEN + 1; i++)
        c.wszRemoteComputer[i] = 'C';
    for (size_t i = 0; i < RH_MAXIPADRESSLEN + 1; i++)
        c.wszRemoteEndpointAddress[i] = '9';
    for (size_t i = 0; i < RH_IPADDRESSLEN + 1; i++)
        c.ProjectionInfo.PppProjectionInfo.wszRemoteAddress[i] = '1';
    convert(&r, &c);
    memset(expected, 'A', RH_UNLEN + 1);
    expected[RH_UNLEN + 1] = '\0';
    assert_string_equal(r.user.s, expected);
    assert_int_equal(strlen(r.domain.s), RH_DNLEN + 1);
    assert_int_equal(strlen(r.remote_computer.s), RH_NETBIOS_NAME_LEN + 1);
    assert_int_equal(strlen(r.remote_endpoint.s), RH_MAXIPADRESSLEN + 1);
    assert_string_equal(F(&r, "client_ipv4"), "(null)");
    assert_int_equal(r.warnings, RH_WARN_CLIENT_IPV4_INVALID);
}

static void ex_invalid_utf16_is_repaired_and_noted(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    c.wszUserName[0] = 0xDC01;
    c.wszUserName[1] = 0;
    convert(&r, &c);
    assert_string_equal(r.user.s, "\xEF\xBF\xBD");
    assert_int_equal(r.warnings, RH_WARN_INVALID_UTF16);
}

static void ex_addresses(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;

    (void)state;
    fx_ppp(&c);
    FX_SET_W(c.ProjectionInfo.PppProjectionInfo.wszRemoteAddress, "0.0.0.0");
    memset(c.ProjectionInfo.PppProjectionInfo.bPrefix, 0, 8);
    c.ProjectionInfo.PppProjectionInfo.dwIPv6NegotiationError = 733;
    convert(&r, &c);
    assert_string_equal(F(&r, "client_ipv4"), "(null)");
    assert_int_equal(r.warnings, 0); /* 0.0.0.0 is valid text, just no address */
    assert_string_equal(F(&r, "client_ipv6"), "(null)");
    assert_string_equal(F(&r, "ipv6_prefix"), "(null)");
    assert_int_equal(r.ipv6_error, 733);

    fx_ppp(&c);
    c.ProjectionInfo.PppProjectionInfo.dwPrefixLength = 200;
    convert(&r, &c);
    assert_string_equal(F(&r, "ipv6_prefix"), "2001:db8:42::/64");
    assert_int_equal(r.warnings, RH_WARN_IPV6_PREFIX_LENGTH);
}

static void ex_nil_guid_no_meta_and_early_clock(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    const struct rh_record_meta early = {1000, NULL, NULL};

    (void)state;
    fx_ppp(&c);
    memset(&c.guid, 0, sizeof c.guid);
    c.dwConnectDuration = 0xFFFFFFFFu;
    rh_record_from_ex(&r, &c, RH_EX_OK, &early);
    assert_string_equal(F(&r, "connection_id"), "(null)");
    assert_string_equal(F(&r, "record_id"), "(null)");
    assert_int_equal(r.start_ms, 0); /* never below the epoch */
    assert_int_equal(r.duration_s, 0xFFFFFFFFu);
    assert_string_equal(r.server.s, "");
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

/* The capture never reads past the bytes it is given: ASan checks that here. */
static void capture_reads_only_what_is_there(void **state)
{
    struct rh_ras_connection_ex c, copy;
    struct rh_record r;
    unsigned char *exact;

    (void)state;
    fx_ppp(&c);
    c.Header.size = 0xFFFF;
    exact = malloc(40);
    memcpy(exact, &c, 40);
    assert_int_equal(rh_ex_capture(&copy, exact, 40), RH_EX_SHORT);
    assert_int_equal(copy.dwConnectDuration, 3723);
    assert_int_equal(copy.wszInterfaceName[0], 'a');
    assert_int_equal(copy.wszUserName[0], 0); /* beyond the 40 bytes: zero */
    rh_record_from_ex(&r, &copy, RH_EX_SHORT, &meta);
    assert_int_equal(r.warnings, RH_WARN_STRUCTURE_SHORT | RH_WARN_PROJECTION_UNKNOWN);
    free(exact);

    assert_int_equal(rh_ex_capture(&copy, &c, 3), RH_EX_TOO_SMALL);
    assert_int_equal(rh_ex_capture(&copy, NULL, 100), RH_EX_NULL);
    c.Header.type = 5;
    assert_int_equal(rh_ex_capture(&copy, &c, sizeof c), RH_EX_BAD_TYPE);
    assert_int_equal(copy.dwConnectDuration, 0);
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
    c0.dwInterfaceType = 7;
    FX_SET_W(c0.wszUserName, "bob");
    FX_SET_W(c0.wszLogonDomain, "FABRIKAM");
    FX_SET_W(c0.wszInterfaceName, "bob");
    c1.dwBytesXmited = 7;
    c1.dwBytesRcved = 8;
    c1.dwFramesXmited = 9;
    c1.dwFramesRcved = 10;
    c1.dwFramingErr = 11;
    FX_SET_W(c1.PppInfo.ip.wszRemoteAddress, "198.51.100.50");
    c2.guid = g;
    c2.PppInfo2.lcp.dwAuthenticationProtocol = 0xC223;
    c2.PppInfo2.lcp.dwAuthenticationData = 0x81;
    c3.guid = g;
    FX_SET_W(c3.PppInfo3.ip.wszRemoteAddress, "198.51.100.51");
    c3.PppInfo3.lcp.dwAuthenticationProtocol = 0xC227;
    c3.PppInfo3.lcp.dwEapTypeId = 13;
    c3.PppInfo3.ccp.dwOptions = 0x40;
    c3.PppInfo3.ccp.dwError = 5;
    c3.PppInfo3.ipv6.bPrefix[0] = 0x20;
    c3.PppInfo3.ipv6.bPrefix[1] = 0x01;
    c3.PppInfo3.ipv6.bRemoteInterfaceIdentifier[7] = 9;
    c3.PppInfo3.ipv6.dwPrefixLength = 64;
    c3.rasQuarState = 1;

    rh_record_from_legacy(&r, &c0, &c1, &c2, &c3, &meta);
    assert_string_equal(r.user.s, "bob");
    assert_string_equal(r.domain.s, "FABRIKAM");
    assert_string_equal(F(&r, "interface_type"), "dialout");
    assert_int_equal(r.duration_s, 60);
    assert_int_equal(r.tunnel, RH_TUNNEL_PPP);
    assert_string_equal(F(&r, "connection_id"), "01020304-0506-0708-090a-0b0c0d0e0f10");
    assert_string_equal(F(&r, "client_ipv4"), "198.51.100.51"); /* level 3 wins */
    assert_string_equal(F(&r, "authentication"), "eap");
    assert_string_equal(F(&r, "eap_method"), "tls");
    assert_string_equal(F(&r, "encryption"), "mppe-128");
    assert_int_equal(r.ccp_error, 5);
    assert_string_equal(F(&r, "client_ipv6"), "2001::9");
    assert_string_equal(F(&r, "quarantine_state"), "quarantine");
    assert_int_equal(r.bytes_sent, 7);
    assert_int_equal(r.frames_received, 10);
    assert_int_equal(r.framing_errors, 11);
    assert_false(r.present & RH_HAS_ENDPOINTS); /* the legacy set has no endpoints */

    rh_record_from_legacy(&r, &c0, &c1, &c2, NULL, &meta);
    assert_string_equal(F(&r, "authentication"), "ms-chapv2");
    assert_false(r.present & (RH_HAS_IPV6 | RH_HAS_QUARANTINE));

    rh_record_from_legacy(&r, &c0, NULL, NULL, NULL, &meta);
    assert_string_equal(r.user.s, "bob");
    assert_string_equal(F(&r, "connection_id"), "(null)");
    assert_false(r.present & RH_HAS_COUNTERS);

    rh_record_from_legacy(&r, NULL, NULL, NULL, &c3, &meta);
    assert_string_equal(F(&r, "connection_id"), "01020304-0506-0708-090a-0b0c0d0e0f10");
    assert_int_equal(r.duration_s, 0);
    assert_false(r.present & RH_HAS_INTERFACE);

    rh_record_from_legacy(&r, NULL, NULL, NULL, NULL, &meta);
    assert_string_equal(r.user.s, "");
}

static void fields_have_stable_names_and_nulls(void **state)
{
    static const char *const expected[RH_FIELD_COUNT] = {
        "event",
        "record_id",
        "time",
        "start_time",
        "duration_s",
        "server",
        "connection_id",
        "user",
        "domain",
        "interface_name",
        "interface_type",
        "remote_computer",
        "tunnel",
        "connection_flags",
        "remote_endpoint",
        "local_endpoint",
        "client_ipv4",
        "server_ipv4",
        "ipv4_error",
        "client_ipv6",
        "server_ipv6",
        "ipv6_prefix",
        "ipv6_error",
        "authentication",
        "eap_type",
        "eap_method",
        "encryption",
        "compression",
        "lcp_error",
        "ccp_error",
        "quarantine_state",
        "probation_time",
        "bytes_sent",
        "bytes_received",
        "frames_sent",
        "frames_received",
        "crc_errors",
        "timeout_errors",
        "alignment_errors",
        "hardware_overrun_errors",
        "framing_errors",
        "buffer_overrun_errors",
        "compression_ratio_in",
        "compression_ratio_out",
        "mobike_switchovers",
        "warnings",
    };
    struct rh_field f[RH_FIELD_COUNT];
    struct rh_record r;

    (void)state;
    rh_record_from_legacy(&r, NULL, NULL, NULL, NULL, &meta);
    assert_int_equal(rh_record_fields(&r, f), RH_FIELD_COUNT);
    for (size_t i = 0; i < RH_FIELD_COUNT; i++) {
        assert_string_equal(f[i].name, expected[i]);
        assert_int_equal(f[i].name_len, strlen(expected[i]));
        assert_string_equal(rh_field_name(i), expected[i]);
    }
    assert_null(rh_field_name(RH_FIELD_COUNT));
    /* Known with nothing from RRAS: the event, its id, times, server, user and domain. */
    for (size_t i = 0; i < RH_FIELD_COUNT; i++) {
        bool known = (i <= 8 && i != 6) || strcmp(f[i].name, "warnings") == 0;
        if (f[i].null == known)
            fail_msg("field %s: null is %d", f[i].name, f[i].null);
    }
}

static void list_items(void **state)
{
    char unnamed[16];
    char out[64];

    (void)state;
    assert_string_equal(rh_list_item(RH_LIST_CONNECTION_FLAGS, 4, unnamed), "ikev2");
    assert_string_equal(rh_list_item(RH_LIST_CONNECTION_FLAGS, 6, unnamed), "0x40");
    assert_string_equal(rh_list_item(RH_LIST_WARNINGS, 2, unnamed), "projection_mismatch");
    assert_string_equal(rh_list_item(RH_LIST_WARNINGS, 31, unnamed), "0x80000000");
    *rh_list_write(out, RH_LIST_CONNECTION_FLAGS, 0x13, ',', true) = '\0';
    assert_string_equal(out, "\"ppp\",\"messenger\",\"ikev2\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ex_ppp_all_fields),
        cmocka_unit_test(ex_ikev2),
        cmocka_unit_test(ppp_authentication_and_encryption_names),
        cmocka_unit_test(eap_types_and_compression),
        cmocka_unit_test(quarantine_and_probation),
        cmocka_unit_test(interface_types),
        cmocka_unit_test(projection_cross_checked_with_flags),
        cmocka_unit_test(ex_unterminated_strings_stay_in_their_arrays),
        cmocka_unit_test(ex_invalid_utf16_is_repaired_and_noted),
        cmocka_unit_test(ex_addresses),
        cmocka_unit_test(ex_nil_guid_no_meta_and_early_clock),
        cmocka_unit_test(ex_header_rules),
        cmocka_unit_test(capture_reads_only_what_is_there),
        cmocka_unit_test(legacy_levels),
        cmocka_unit_test(fields_have_stable_names_and_nulls),
        cmocka_unit_test(list_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
