/* SPDX-License-Identifier: MIT */
/*
 * The network sinks' server lists: every form of entry, every separator, the
 * ports at and past their bounds, the limits on entries and their length, and
 * every error text word for word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "servers.h"

#define DEFAULT_PORT 514

static struct rh_endpoint out[RH_NET_MAX_SERVERS + 1];
static size_t n;
static char err[512];

/* Parses `list` with the default port and room for RH_NET_MAX_SERVERS. */
static bool parse(const char *list)
{
    memset(out, 0xA5, sizeof out);
    n = 99;
    snprintf(err, sizeof err, "untouched");
    return rh_net_parse_servers(list, DEFAULT_PORT, out, RH_NET_MAX_SERVERS, &n, err, sizeof err);
}

static void one(const char *list, const char *host, uint16_t port)
{
    if (!parse(list))
        fail_msg("\"%s\" refused: %s", list, err);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].host, host);
    assert_int_equal(out[0].port, port);
    assert_string_equal(err, "untouched");
}

static void refused(const char *list, const char *why)
{
    if (parse(list))
        fail_msg("\"%s\" accepted", list);
    assert_string_equal(err, why);
}

static void host_and_port(void **state)
{
    (void)state;
    one("collector.example.com", "collector.example.com", DEFAULT_PORT);
    one("collector.example.com:6514", "collector.example.com", 6514);
    one("192.0.2.1", "192.0.2.1", DEFAULT_PORT);
    one("192.0.2.1:1", "192.0.2.1", 1);
    one("192.0.2.1:65535", "192.0.2.1", 65535);
    one("h:00514", "h", 514); /* leading zeros are read as decimal */
    refused("h:0", "\"h:0\": the port is not 1 to 65535");
    refused("h:65536", "\"h:65536\": the port is not 1 to 65535");
    refused("h:99999999999999999999", "\"h:99999999999999999999\": the port is not 1 to 65535");
    refused("h:", "\"h:\": the port is not 1 to 65535");
    refused("h:x", "\"h:x\": the port is not 1 to 65535");
    refused("h:+1", "\"h:+1\": the port is not 1 to 65535");
    refused("h:-1", "\"h:-1\": the port is not 1 to 65535");
    refused("h:0x10", "\"h:0x10\": the port is not 1 to 65535");
    refused(":514", "a server entry has no host");
}

static void ipv6(void **state)
{
    (void)state;
    one("[2001:db8::1]", "2001:db8::1", DEFAULT_PORT);
    one("[2001:db8::1]:6514", "2001:db8::1", 6514);
    one("[::1]:1", "::1", 1);
    one("[::1]:65535", "::1", 65535);
    one("[fe80::1%eth0]:514", "fe80::1%eth0", 514);
    one("[collector]:10514", "collector", 10514); /* what is bracketed is not checked */
    /* A bare IPv6 address: two colons or more, and no port of its own. */
    one("2001:db8::1", "2001:db8::1", DEFAULT_PORT);
    one("::1", "::1", DEFAULT_PORT);
    one("fe80::1:514", "fe80::1:514", DEFAULT_PORT);

    refused("[::1]:0", "\"[::1]:0\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]:65536", "\"[::1]:65536\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]:", "\"[::1]:\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]:x", "\"[::1]:x\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1", "\"[::1\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]514", "\"[::1]514\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]]", "\"[::1]]\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[::1]:514]", "\"[::1]:514]\" is not [IPv6 address] or [IPv6 address]:port");
    refused("[]", "a server entry has no host");
    refused("[]:514", "a server entry has no host");
}

static void separators(void **state)
{
    static const char *const hosts[] = {"a", "b", "::1", "d", "e"};

    (void)state;
    assert_true(parse("a,b;[::1]:7 d\te"));
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(out[i].host, hosts[i]);
        assert_int_equal(out[i].port, i == 2 ? 7 : DEFAULT_PORT);
    }
    /* Runs of separators, and separators around the list, make no empty entries. */
    assert_true(parse(" ,;\t a:1 ,, ;\t\tb ;"));
    assert_int_equal(n, 2);
    assert_string_equal(out[0].host, "a");
    assert_int_equal(out[0].port, 1);
    assert_string_equal(out[1].host, "b");
    assert_int_equal(out[1].port, DEFAULT_PORT);
    assert_int_equal((unsigned char)out[2].host[0], 0xA5); /* nothing past *n */

    refused("", "no server given");
    refused(" ,; \t", "no server given");
    /* Other white space is no separator. */
    one("a\nb", "a\nb", DEFAULT_PORT);
}

static void how_many(void **state)
{
    char list[256] = "";
    struct rh_endpoint two[2];

    (void)state;
    for (int i = 0; i < RH_NET_MAX_SERVERS; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "h%d,", i);
    assert_true(parse(list));
    assert_int_equal(n, RH_NET_MAX_SERVERS);
    assert_string_equal(out[RH_NET_MAX_SERVERS - 1].host, "h7");
    assert_int_equal((unsigned char)out[RH_NET_MAX_SERVERS].host[0], 0xA5);
    strcat(list, "h8");
    refused(list, "more than 8 servers");
    assert_int_equal(n, RH_NET_MAX_SERVERS); /* the ones read before */
    assert_int_equal((unsigned char)out[RH_NET_MAX_SERVERS].host[0], 0xA5);

    assert_false(rh_net_parse_servers("a b c", 1, two, 2, &n, err, sizeof err));
    assert_string_equal(err, "more than 2 servers");
    /* The count is checked at the entry past the last: an error in it is not seen. */
    assert_false(rh_net_parse_servers("a b h:0", 1, two, 2, &n, err, sizeof err));
    assert_string_equal(err, "more than 2 servers");
    /* An error stops the list: *n says how far it went. */
    refused("a b:0 c", "\"b:0\": the port is not 1 to 65535");
    assert_int_equal(n, 1);
    assert_string_equal(out[0].host, "a");
}

static void lengths(void **state)
{
    char list[600], host[300];

    (void)state;
    /* A host of RH_NET_HOST_SIZE - 1 bytes, alone and with the longest port and brackets. */
    memset(host, 'h', RH_NET_HOST_SIZE - 1);
    host[RH_NET_HOST_SIZE - 1] = '\0';
    one(host, host, DEFAULT_PORT);
    snprintf(list, sizeof list, "[%s]:65535", host); /* 263 bytes: the longest entry */
    assert_int_equal(strlen(list), RH_NET_HOST_SIZE + 7);
    one(list, host, 65535);
    /* 264 bytes: refused, whatever the entry. */
    snprintf(list, sizeof list, "[%s]:065535", host);
    refused(list, "a server name is longer than 263 characters");
    snprintf(list, sizeof list, "a,%shhhhhhhhh,b", host);
    refused(list, "a server name is longer than 263 characters");
    assert_int_equal(n, 1);
    /* Up to 263 bytes of host: cut to RH_NET_HOST_SIZE - 1 (no DNS name is that long). */
    snprintf(list, sizeof list, "%shhhhhhhh", host);
    one(list, host, DEFAULT_PORT);
}

static void error_buffer(void **state)
{
    char small[8];

    (void)state;
    assert_false(rh_net_parse_servers("h:0", 1, out, 1, &n, small, sizeof small));
    assert_string_equal(small, "\"h:0\": ");
    small[0] = 'x';
    assert_false(rh_net_parse_servers("", 1, out, 1, &n, small, 0));
    assert_int_equal(small[0], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_and_port), cmocka_unit_test(ipv6),    cmocka_unit_test(separators),
        cmocka_unit_test(how_many),      cmocka_unit_test(lengths), cmocka_unit_test(error_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
