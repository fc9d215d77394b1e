/* SPDX-License-Identifier: MIT */
/*
 * RADIUS accounting packets: attributes as RFC 2866 and its companions define
 * them, authenticators recomputed here from the RFC's formulas, responses checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"
#include "md5.h"
#include "radius.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};
static const char secret[] = "s3cret";

/* The value of the first attribute `type` (its length in *len), or NULL. */
static const uint8_t *find(const uint8_t *p, size_t len, uint8_t type, size_t *n)
{
    for (size_t at = 20; at + 2 <= len; at += p[at + 1]) {
        assert_true(p[at + 1] >= 2 && at + p[at + 1] <= len);
        if (p[at] == type) {
            *n = p[at + 1] - 2u;
            return p + at + 2;
        }
    }
    return NULL;
}

static uint32_t u32(const uint8_t *v)
{
    return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static void expect_text(const uint8_t *p, size_t len, uint8_t type, const char *want)
{
    size_t n;
    const uint8_t *v = find(p, len, type, &n);

    if (v == NULL)
        fail_msg("attribute %u missing", type);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
}

static void expect_u32(const uint8_t *p, size_t len, uint8_t type, uint32_t want)
{
    size_t n;
    const uint8_t *v = find(p, len, type, &n);

    if (v == NULL)
        fail_msg("attribute %u missing", type);
    assert_int_equal(n, 4);
    assert_int_equal(u32(v), want);
}

static void stop_carries_every_attribute(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX];
    size_t len, n;
    const uint8_t *v;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    len = rh_radius_accounting_request(p, 42, RH_ACCT_STOP, &r, NULL, 0, 3, &o, secret, 6);
    assert_int_equal(p[0], 4);
    assert_int_equal(p[1], 42);
    assert_int_equal((size_t)p[2] << 8 | p[3], len);
    expect_u32(p, len, 40, 2);
    expect_text(p, len, 44, "6b29fc40-ca47-1067-b31d-00dd010662da");
    expect_text(p, len, 1, "CONTOSO\\alice");
    expect_u32(p, len, 55, (uint32_t)(FX_HANGUP_MS / 1000));
    expect_u32(p, len, 46, 3723);
    expect_u32(p, len, 42, 250000);  /* input: from the user */
    expect_u32(p, len, 43, 1000000); /* output: to the user */
    expect_u32(p, len, 47, 600);
    expect_u32(p, len, 48, 800);
    expect_u32(p, len, 41, 3);
    expect_u32(p, len, 61, 5);
    expect_text(p, len, 31, "203.0.113.9");
    expect_text(p, len, 30, "192.0.2.10");
    expect_text(p, len, 32, "ras01.contoso.com");
    v = find(p, len, 8, &n);
    assert_non_null(v);
    assert_int_equal(n, 4);
    assert_memory_equal(v, ((const uint8_t[]){198, 51, 100, 23}), 4);
    v = find(p, len, 97, &n); /* Framed-IPv6-Prefix: reserved, length, 8 prefix octets */
    assert_non_null(v);
    assert_int_equal(n, 10);
    assert_memory_equal(v, ((const uint8_t[]){0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0x42, 0, 0}), 10);
    v = find(p, len, 96, &n);
    assert_non_null(v);
    assert_memory_equal(v, ((const uint8_t[]){0x02, 0x15, 0x5d, 0xff, 0xfe, 0x01, 0x02, 0x03}), 8);
    v = find(p, len, 168, &n);
    assert_non_null(v);
    assert_int_equal(n, 16);
    v = find(p, len, 65, &n); /* tagged Tunnel-Medium-Type: IPv4 */
    assert_non_null(v);
    assert_memory_equal(v, ((const uint8_t[]){1, 0, 0, 1}), 4);
    assert_null(find(p, len, 64, &n)); /* PPP: SSTP, L2TP or PPTP, RRAS does not say */
    assert_null(find(p, len, 80, &n));
    assert_null(find(p, len, 77, &n)); /* RRAS's own: no Connect-Info */

    /* A lab replay's Stop says what it is, in a server's detail file too. */
    r.warnings |= RH_WARN_SIMULATED;
    len = rh_radius_accounting_request(p, 43, RH_ACCT_STOP, &r, NULL, 0, 3, &o, secret, 6);
    expect_text(p, len, 77, "simulated (rrashost --replay)");
    expect_text(p, len, 1, "CONTOSO\\alice");
}

static void request_authenticator_is_rfc2866s(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX], copy[RH_RADIUS_MAX], digest[16], mac[16];
    size_t len, n;
    const uint8_t *ma;
    struct rh_md5 m;

    (void)state;
    fx_ikev2(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    o.message_authenticator = true;
    len = rh_radius_accounting_request(p, 7, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret, 6);
    /* MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) */
    memcpy(copy, p, len);
    memset(copy + 4, 0, 16);
    rh_md5_init(&m);
    rh_md5_update(&m, copy, len);
    rh_md5_update(&m, secret, 6);
    rh_md5_final(&m, digest);
    assert_memory_equal(digest, p + 4, 16);
    /* Message-Authenticator: HMAC-MD5 over the packet, zero authenticator, zero itself. */
    ma = find(p, len, 80, &n);
    assert_non_null(ma);
    assert_int_equal(n, 16);
    memset(copy + (ma - p), 0, 16);
    rh_hmac_md5(secret, 6, copy, len, mac);
    assert_memory_equal(mac, ma, 16);
    /* IKEv2: Tunnel-Type ESP, tagged; an IPv6 endpoint. */
    assert_memory_equal(find(p, len, 64, &n), ((const uint8_t[]){1, 0, 0, 9}), 4);
    assert_memory_equal(find(p, len, 65, &n), ((const uint8_t[]){1, 0, 0, 2}), 4);
}

/* A server's answer: code 5, the request's id, an authenticator from RFC 2866. */
static size_t answer(uint8_t *resp, const uint8_t *req, const char *key, bool with_ma)
{
    size_t len = with_ma ? 38 : 20;
    struct rh_md5 m;

    memset(resp, 0, len);
    resp[0] = 5;
    resp[1] = req[1];
    resp[3] = (uint8_t)len;
    memcpy(resp + 4, req + 4, 16);
    if (with_ma) {
        resp[20] = 80;
        resp[21] = 18;
        rh_hmac_md5(key, strlen(key), resp, len, resp + 22);
    }
    rh_md5_init(&m);
    rh_md5_update(&m, resp, len);
    rh_md5_update(&m, key, strlen(key));
    rh_md5_final(&m, resp + 4);
    return len;
}

static void responses_are_checked(void **state)
{
    struct rh_radius_options o = {0};
    uint8_t req[RH_RADIUS_MAX], resp[64];
    size_t n;

    (void)state;
    rh_radius_accounting_request(req, 9, RH_ACCT_ON, NULL, "boot-1", 1795975200, 0, &o, secret, 6);
    n = answer(resp, req, secret, false);
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_ACK);
    n = answer(resp, req, secret, true);
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_ACK);
    n = answer(resp, req, "wrong!", false);
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_BAD_AUTH);
    n = answer(resp, req, secret, true);
    resp[30] ^= 1; /* the Message-Authenticator, and so the Response Authenticator, broken */
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_BAD_AUTH);
    n = answer(resp, req, secret, false);
    resp[1] ^= 1;
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_OTHER_ID);
    n = answer(resp, req, secret, false);
    assert_int_equal(rh_radius_check_response(resp, 19, req, secret, 6), RH_RADIUS_MALFORMED);
    resp[0] = 4;
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, 6), RH_RADIUS_MALFORMED);
}

/*
 * Status-Server (RFC 5997): code 12, the random authenticator given, and a
 * Message-Authenticator recomputed here from RFC 3579's formula; the
 * Accounting-Response a server gives it is checked against it.
 */
static void status_server_is_rfc5997s(void **state)
{
    static const uint8_t nonce[16] = {9, 8, 7,    6,    5,    4,    3,    2,
                                      1, 0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 7};
    uint8_t p[RH_RADIUS_MAX], copy[RH_RADIUS_MAX], mac[16], resp[64];
    size_t len, n;
    const uint8_t *v;

    (void)state;
    len = rh_radius_status_server(p, 77, nonce, "vpn-gw-1", secret, 6);
    assert_int_equal(p[0], 12);
    assert_int_equal(p[1], 77);
    assert_int_equal((size_t)p[2] << 8 | p[3], len);
    assert_memory_equal(p + 4, nonce, 16);
    expect_text(p, len, 32, "vpn-gw-1");
    v = find(p, len, 80, &n);
    assert_non_null(v);
    assert_int_equal(n, 16);
    memcpy(copy, p, len);
    memset(copy + (v - p), 0, 16);
    rh_hmac_md5(secret, 6, copy, len, mac);
    assert_memory_equal(mac, v, 16);
    assert_null(find(p, len, 40, &n)); /* no Acct-Status-Type: not an accounting request */

    n = answer(resp, p, secret, true);
    assert_int_equal(rh_radius_check_response(resp, n, p, secret, 6), RH_RADIUS_ACK);
    n = answer(resp, p, "wrong!", true);
    assert_int_equal(rh_radius_check_response(resp, n, p, secret, 6), RH_RADIUS_BAD_AUTH);

    len = rh_radius_status_server(p, 1, nonce, NULL, secret, 6);
    expect_text(p, len, 32, "rashangup");
    assert_int_equal(rh_radius_status_server(p, 1, nonce, NULL, "", 0), 0);
}

static void on_off_and_start(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX];
    size_t len, n;

    (void)state;
    o.user_format = RH_RADIUS_USER_AT;
    o.nas_identifier = "vpn-gw-1";
    o.has_nas_ipv4 = true;
    memcpy(o.nas_ipv4, ((const uint8_t[]){192, 0, 2, 10}), 4);
    len = rh_radius_accounting_request(p, 1, RH_ACCT_OFF, NULL, "run-19", 1795975200, 0, &o, secret,
                                       6);
    expect_u32(p, len, 40, 8);
    expect_text(p, len, 44, "run-19");
    expect_u32(p, len, 55, 1795975200);
    expect_text(p, len, 32, "vpn-gw-1");
    assert_null(find(p, len, 1, &n));

    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    len = rh_radius_accounting_request(p, 2, RH_ACCT_START, &r, NULL, 0, 0, &o, secret, 6);
    expect_u32(p, len, 40, 1);
    expect_text(p, len, 1, "alice@CONTOSO");
    assert_memory_equal(find(p, len, 4, &n), ((const uint8_t[]){192, 0, 2, 10}), 4);
    assert_null(find(p, len, 46, &n)); /* no session time or counters in a Start */
    assert_null(find(p, len, 42, &n));
    assert_int_equal(rh_radius_accounting_request(p, 3, RH_ACCT_ON, NULL, "x", 0, 0, &o, "", 0), 0);
}

/*
 * A server closes the sessions of a NAS that restarted by matching its
 * NAS-Identifier and NAS-IP-Address: On and Off carry exactly those of the
 * Starts and Stops, configured or not.
 */
static void on_off_carry_the_nas_of_start_and_stop(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record conn, service;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX], q[RH_RADIUS_MAX];
    const uint8_t v4[4] = {198, 51, 100, 7};
    const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};
    const uint8_t *v;
    size_t len, qlen, n;

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&conn, &c, RH_EX_OK, &meta);
    rh_record_from_meta(&service, &meta);
    len = rh_radius_accounting_request(p, 1, RH_ACCT_START, &conn, NULL, 0, 0, &o, secret, 6);
    expect_text(p, len, 32, "ras01.contoso.com");
    qlen = rh_radius_accounting_request(q, 2, RH_ACCT_ON, &service, "run-1", 1795975200, 0, &o,
                                        secret, 6);
    expect_text(q, qlen, 32, "ras01.contoso.com");
    qlen = rh_radius_accounting_request(q, 3, RH_ACCT_OFF, &service, "run-1", 1795975200, 0, &o,
                                        secret, 6);
    expect_text(q, qlen, 32, "ras01.contoso.com");

    /* The address a request leaves from: added, replaced, and the request still well formed. */
    assert_null(find(p, len, 4, &n));
    len = rh_radius_set_nas_address(p, len, v4, 4);
    assert_true(len > 0);
    v = find(p, len, 4, &n);
    assert_non_null(v);
    assert_int_equal(n, 4);
    assert_memory_equal(v, v4, 4);
    len = rh_radius_set_nas_address(p, len, v6, 16);
    assert_null(find(p, len, 4, &n)); /* the IPv4 one went */
    v = find(p, len, 95, &n);
    assert_non_null(v);
    assert_int_equal(n, 16);
    assert_memory_equal(v, v6, 16);
    assert_int_equal((size_t)p[2] << 8 | p[3], len);
    assert_int_equal(rh_radius_set_nas_address(p, len, v4, 5), 0);
    assert_int_equal(rh_radius_set_nas_address(p, 19, v4, 4), 0);
}

static void long_names_are_cut_to_fit(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX];
    const uint8_t *v;
    size_t len, n;

    (void)state;
    fx_ppp(&c);
    for (size_t i = 0; i < RH_UNLEN; i++)
        c.wszUserName[i] = 0x674E; /* 3 bytes of UTF-8 each: 768 bytes */
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    /* domain\\user: the domain stays whole (servers key sessions on it); the user is cut. */
    len = rh_radius_accounting_request(p, 4, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret, 6);
    v = find(p, len, 1, &n); /* find() checks every attribute is well formed */
    assert_non_null(v);
    assert_int_equal(n, 251); /* CONTOSO\\ and 81 whole characters: never half of one */
    assert_memory_equal(v, "CONTOSO\\\xE6\x9D\x8E", 11);
    assert_memory_equal(v + 248, "\xE6\x9D\x8E", 3);
    /* user@domain likewise. */
    o.user_format = RH_RADIUS_USER_AT;
    len = rh_radius_accounting_request(p, 4, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret, 6);
    v = find(p, len, 1, &n);
    assert_non_null(v);
    assert_int_equal(n, 251);
    assert_memory_equal(v + 240, "\xE6\x9D\x8E@CONTOSO", 11);
    /* The user alone: 84 whole characters. */
    o.user_format = RH_RADIUS_USER_PLAIN;
    len = rh_radius_accounting_request(p, 4, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret, 6);
    v = find(p, len, 1, &n);
    assert_non_null(v);
    assert_int_equal(n, 252);
    assert_memory_equal(v + 249, "\xE6\x9D\x8E", 3);
}

/*
 * A retransmission is the request built anew with the new Identifier and delay,
 * byte for byte (so both authenticators are recomputed), with and without a
 * Message-Authenticator; a response to the old Identifier no longer matches.
 */
static void retransmissions_are_signed_again(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t p[RH_RADIUS_MAX], fresh[RH_RADIUS_MAX], resp[64];
    size_t len;

    (void)state;
    fx_ikev2(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    for (int ma = 0; ma < 2; ma++) {
        o.message_authenticator = ma != 0;
        len = rh_radius_accounting_request(p, 7, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret, 6);
        answer(resp, p, secret, true);
        assert_int_equal(rh_radius_retransmission(p, len, 8, 12, secret, 6), len);
        assert_int_equal(
            rh_radius_accounting_request(fresh, 8, RH_ACCT_STOP, &r, NULL, 0, 12, &o, secret, 6),
            len);
        assert_memory_equal(p, fresh, len);
        expect_u32(p, len, 41, 12);
        assert_int_equal(rh_radius_check_response(resp, 38, p, secret, 6), RH_RADIUS_OTHER_ID);
    }
    /* Not a request of ours: refused, untouched. */
    assert_int_equal(rh_radius_retransmission(p, len - 1, 9, 1, secret, 6), 0);
    assert_int_equal(rh_radius_retransmission(p, len, 9, 1, secret, 0), 0);
    p[0] = 5;
    assert_int_equal(rh_radius_retransmission(p, len, 9, 1, secret, 6), 0);
    assert_int_equal(p[1], 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_carries_every_attribute),
        cmocka_unit_test(request_authenticator_is_rfc2866s),
        cmocka_unit_test(responses_are_checked),
        cmocka_unit_test(status_server_is_rfc5997s),
        cmocka_unit_test(on_off_and_start),
        cmocka_unit_test(on_off_carry_the_nas_of_start_and_stop),
        cmocka_unit_test(long_names_are_cut_to_fit),
        cmocka_unit_test(retransmissions_are_signed_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
