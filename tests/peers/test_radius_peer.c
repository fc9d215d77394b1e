/* SPDX-License-Identifier: MIT */
/*
 * The RADIUS encoder against a real FreeRADIUS (started by with_freeradius.sh):
 * Accounting-Requests built by src/core/radius.c are acknowledged, FreeRADIUS's
 * answers pass rh_radius_check_response, its detail file holds the attributes as
 * sent, and a request with the wrong secret is dropped (and logged by FreeRADIUS).
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"
#include "radius.h"

static const struct rh_record_meta meta = {FX_HANGUP_MS, "ras01.contoso.com", fx_record_id};
static unsigned short port;
static const char *secret;
static const char *acct_dir;

/* Sends one request and waits up to `ms` for an answer; returns its length or 0. */
static size_t exchange(const uint8_t *req, size_t len, uint8_t *resp, int ms)
{
    struct sockaddr_in to = {0};
    struct pollfd p;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ssize_t n = 0;

    assert_true(s >= 0);
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(sendto(s, req, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
    p.fd = s;
    p.events = POLLIN;
    if (poll(&p, 1, ms) == 1)
        n = recv(s, resp, RH_RADIUS_MAX, 0);
    close(s);
    return n > 0 ? (size_t)n : 0;
}

static void acknowledged(const uint8_t *req, size_t len)
{
    uint8_t resp[RH_RADIUS_MAX];
    size_t n = exchange(req, len, resp, 5000);

    if (n == 0)
        fail_msg("FreeRADIUS did not answer");
    assert_int_equal(rh_radius_check_response(resp, n, req, secret, strlen(secret)), RH_RADIUS_ACK);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text;
    long len;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = calloc(1, (size_t)len + 1);
    if (text != NULL && fread(text, 1, (size_t)len, f) != (size_t)len) {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

static char *detail(void)
{
    char path[1024];

    snprintf(path, sizeof path, "%s/127.0.0.1/detail", acct_dir);
    return read_text(path);
}

static void expect_in(const char *text, const char *line)
{
    if (text == NULL || strstr(text, line) == NULL)
        fail_msg("the detail file lacks: %s\n%s", line, text != NULL ? text : "(no file)");
}

static void start_stop_on_are_acknowledged_and_recorded(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t req[RH_RADIUS_MAX];
    size_t len;
    char *text;

    (void)state;
    o.message_authenticator = true;
    len = rh_radius_accounting_request(req, 1, RH_ACCT_ON, NULL, "run-1", 1795975200, 0, &o, secret,
                                       strlen(secret));
    acknowledged(req, len);

    fx_ikev2(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    len = rh_radius_accounting_request(req, 2, RH_ACCT_START, &r, NULL, 0, 0, &o, secret,
                                       strlen(secret));
    acknowledged(req, len);

    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    len = rh_radius_accounting_request(req, 3, RH_ACCT_STOP, &r, NULL, 0, 4, &o, secret,
                                       strlen(secret));
    acknowledged(req, len);

    text = detail();
    expect_in(text, "Acct-Status-Type = Accounting-On");
    expect_in(text, "Acct-Session-Id = \"run-1\"");
    expect_in(text, "Acct-Status-Type = Start");
    expect_in(text, "Tunnel-Type:1 = ESP");
    expect_in(text, "Tunnel-Medium-Type:1 = IPv6");
    expect_in(text, "Tunnel-Client-Endpoint:1 = \"2001:db8::7\"");
    expect_in(text, "Acct-Status-Type = Stop");
    expect_in(text, "Acct-Session-Id = \"6b29fc40-ca47-1067-b31d-00dd010662da\"");
    expect_in(text, "User-Name = \"CONTOSO\\\\alice\"");
    expect_in(text, "Acct-Session-Time = 3723");
    expect_in(text, "Acct-Input-Octets = 250000");
    expect_in(text, "Acct-Output-Octets = 1000000");
    expect_in(text, "Acct-Input-Packets = 600");
    expect_in(text, "Acct-Output-Packets = 800");
    expect_in(text, "Acct-Delay-Time = 4");
    expect_in(text, "Framed-IP-Address = 198.51.100.23");
    expect_in(text, "Framed-IPv6-Prefix = 2001:db8:42::/64");
    expect_in(text, "Framed-Interface-Id = 215:5dff:fe01:203");
    expect_in(text, "Calling-Station-Id = \"203.0.113.9\"");
    expect_in(text, "Called-Station-Id = \"192.0.2.10\"");
    expect_in(text, "NAS-Identifier = \"ras01.contoso.com\"");
    expect_in(text, "NAS-Port-Type = Virtual");
    free(text);
}

static void names_in_any_script_arrive_intact(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t req[RH_RADIUS_MAX];
    size_t len;
    char *text;

    (void)state;
    fx_ppp(&c);
    FX_SET_W(c.wszUserName, "Jos\xC3\xA9.\xE6\x9D\x8E");
    FX_SET_W(c.wszLogonDomain, "FABRIKAM");
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    o.user_format = RH_RADIUS_USER_AT;
    len = rh_radius_accounting_request(req, 4, RH_ACCT_STOP, &r, NULL, 0, 0, &o, secret,
                                       strlen(secret));
    acknowledged(req, len);
    text = detail();
    expect_in(text, "User-Name = \"Jos\xC3\xA9.\xE6\x9D\x8E@FABRIKAM\"");
    free(text);
}

static void a_wrong_secret_is_dropped_and_logged(void **state)
{
    struct rh_ras_connection_ex c;
    struct rh_record r;
    struct rh_radius_options o = {0};
    uint8_t req[RH_RADIUS_MAX], resp[RH_RADIUS_MAX];
    size_t len;
    char *log;
    const char *log_path = getenv("RH_RADIUS_LOG");

    (void)state;
    fx_ppp(&c);
    rh_record_from_ex(&r, &c, RH_EX_OK, &meta);
    len = rh_radius_accounting_request(req, 5, RH_ACCT_STOP, &r, NULL, 0, 0, &o, "not-it", 6);
    assert_int_equal(exchange(req, len, resp, 1500), 0);
    assert_non_null(log_path);
    log = read_text(log_path);
    assert_non_null(log);
    if (strstr(log, "Shared secret is incorrect") == NULL)
        fail_msg("FreeRADIUS's log does not name the wrong secret:\n%s", log);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(start_stop_on_are_acknowledged_and_recorded),
        cmocka_unit_test(names_in_any_script_arrive_intact),
        cmocka_unit_test(a_wrong_secret_is_dropped_and_logged),
    };
    const char *p = getenv("RH_RADIUS_PORT");

    secret = getenv("RH_RADIUS_SECRET");
    acct_dir = getenv("RH_RADIUS_ACCT");
    if (p == NULL || secret == NULL || acct_dir == NULL) {
        fprintf(stderr, "run through tests/peers/with_freeradius.sh\n");
        return 2;
    }
    port = (unsigned short)strtoul(p, NULL, 10);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
