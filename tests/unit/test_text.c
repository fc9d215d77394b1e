/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "errhint.h"
#include "text.h"

static void utf16_ascii_and_bmp(void **state)
{
    const rh_wchar src[] = {'J', 'o', 's', 0xE9, ' ', 0x674E, 0};
    char out[32];
    bool trunc = true;

    (void)state;
    assert_int_equal(rh_utf16_to_utf8(src, 7, out, sizeof out, &trunc), 9);
    assert_string_equal(out, "Jos\xC3\xA9 \xE6\x9D\x8E");
    assert_false(trunc);
}

static void utf16_surrogate_pair_round_trips(void **state)
{
    const rh_wchar src[] = {'a', 0xD83D, 0xDE00, 'b', 0};
    char out[16];
    rh_wchar back[8];

    (void)state;
    assert_int_equal(rh_utf16_to_utf8(src, 5, out, sizeof out, NULL), 6);
    assert_string_equal(out, "a\xF0\x9F\x98\x80"
                             "b");
    assert_true(rh_utf8_to_utf16(out, strlen(out), back, 8));
    assert_memory_equal(back, src, sizeof src);
}

static void utf16_lone_surrogates_become_replacement(void **state)
{
    const rh_wchar high_then_letter[] = {0xD800, 'x', 0};
    const rh_wchar lone_low[] = {'x', 0xDC00, 0};
    const rh_wchar high_at_end[] = {'x', 0xDBFF};
    char out[16];

    (void)state;
    rh_utf16_to_utf8(high_then_letter, 3, out, sizeof out, NULL);
    assert_string_equal(out, "\xEF\xBF\xBDx");
    rh_utf16_to_utf8(lone_low, 3, out, sizeof out, NULL);
    assert_string_equal(out, "x\xEF\xBF\xBD");
    /* The pair's second half would lie past the array: never read it. */
    rh_utf16_to_utf8(high_at_end, 2, out, sizeof out, NULL);
    assert_string_equal(out, "x\xEF\xBF\xBD");
}

static void utf16_without_nul_stops_at_capacity(void **state)
{
    const rh_wchar src[4] = {'a', 'b', 'c', 'd'}; /* no terminator */
    char out[16];

    (void)state;
    assert_int_equal(rh_utf16_to_utf8(src, 3, out, sizeof out, NULL), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(rh_wcsnlen(src, 4), 4);
}

static void utf16_truncates_at_code_point_boundary(void **state)
{
    const rh_wchar src[] = {'a', 'b', 0xD83D, 0xDE00, 0};
    char out[5]; /* "ab" fits, the 4-byte emoji does not */
    bool trunc = false;

    (void)state;
    assert_int_equal(rh_utf16_to_utf8(src, 5, out, sizeof out, &trunc), 2);
    assert_string_equal(out, "ab");
    assert_true(trunc);
    assert_int_equal(rh_utf16_to_utf8(src, 5, out, 1, &trunc), 0);
    assert_string_equal(out, "");
    assert_true(trunc);
}

static void utf8_to_utf16_rejects_small_buffers_and_repairs_bytes(void **state)
{
    rh_wchar out[4];

    (void)state;
    assert_false(rh_utf8_to_utf16("abcd", 4, out, 4));
    assert_int_equal(out[0], 0);
    assert_true(rh_utf8_to_utf16("a\xFF", 2, out, 4));
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[1], 0xFFFD);
    assert_int_equal(out[2], 0);
}

static void buf_overflow_keeps_content(void **state)
{
    char data[8];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, data, sizeof data);
    rh_buf_append_str(&b, "abc");
    rh_buf_append_str(&b, "defgh"); /* 3 + 5 = 8 needs 9 with the NUL */
    assert_true(b.overflow);
    assert_string_equal(data, "abc");
    rh_buf_append_str(&b, "d"); /* would fit, but the buffer already overflowed */
    assert_string_equal(data, "abc");
    rh_buf_rewind(&b, 1);
    assert_string_equal(data, "a");
}

static void buf_numbers(void **state)
{
    char data[64];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, data, sizeof data);
    rh_buf_append_u64(&b, 0);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_u64(&b, UINT64_MAX);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_u64(&b, 100);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_u64(&b, 9);
    assert_string_equal(data, "0 18446744073709551615 100 9");
    /* Near the end of the buffer the digits go through the bounded path. */
    rh_buf_init(&b, data, 4);
    rh_buf_append_u64(&b, 123);
    assert_string_equal(data, "123");
    rh_buf_append_u64(&b, 4);
    assert_true(b.overflow);
    assert_string_equal(data, "123");
}

static void guid_lowercase_no_braces(void **state)
{
    const struct rh_guid g = {
        0x6B29FC40, 0xCA47, 0x1067, {0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA}};
    const struct rh_guid nil = {0};
    char out[RH_GUID_STRING_SIZE];

    (void)state;
    rh_guid_format(&g, out);
    assert_string_equal(out, "6b29fc40-ca47-1067-b31d-00dd010662da");
    assert_false(rh_guid_is_nil(&g));
    assert_true(rh_guid_is_nil(&nil));
}

static void rfc3339_dates(void **state)
{
    char out[RH_TIME_STRING_SIZE];

    (void)state;
    rh_time_format_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    rh_time_format_rfc3339(951782400123ull, out);
    assert_string_equal(out, "2000-02-29T00:00:00.123Z");
    rh_time_format_rfc3339(1796042559999ull, out);
    assert_string_equal(out, "2026-11-30T12:42:39.999Z");
    rh_time_format_rfc3339(253402300799999ull, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    rh_time_format_rfc3339(UINT64_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

static void filetime_epoch(void **state)
{
    struct rh_filetime ft;
    uint64_t t = 116444736000000000ull + 12345 * 10000ull;

    (void)state;
    ft.dwLowDateTime = (uint32_t)t;
    ft.dwHighDateTime = (uint32_t)(t >> 32);
    assert_int_equal(rh_filetime_to_unix_ms(&ft), 12345);
    ft.dwLowDateTime = 0;
    ft.dwHighDateTime = 0;
    assert_int_equal(rh_filetime_to_unix_ms(&ft), 0);
}

static void ipv4_strict(void **state)
{
    static const struct {
        const char *text;
        bool ok;
    } cases[] = {
        {"198.51.100.7", true}, {"0.0.0.0", true},    {"255.255.255.255", true},
        {"1.2.3", false},       {"1.2.3.4.5", false}, {"256.1.1.1", false},
        {"01.2.3.4", false},    {"1.2.3.4 ", false},  {"", false},
        {"1..2.3", false},      {"a.b.c.d", false},   {"1.2.3.1000", false},
    };
    uint8_t addr[4];
    char text[RH_IPV4_STRING_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rh_wchar w[32] = {0};
        for (size_t j = 0; cases[i].text[j]; j++)
            w[j] = (rh_wchar)cases[i].text[j];
        if (rh_ipv4_parse(w, 32, addr) != cases[i].ok)
            fail_msg("rh_ipv4_parse(\"%s\") should be %d", cases[i].text, cases[i].ok);
        if (cases[i].ok) {
            rh_ipv4_format(addr, text);
            assert_string_equal(text, cases[i].text);
        }
    }
    /* Exactly fills its array, with no terminator. */
    {
        const rh_wchar w[7] = {'1', '.', '2', '.', '3', '.', '4'};
        assert_true(rh_ipv4_parse(w, 7, addr));
        assert_int_equal(addr[3], 4);
    }
}

static void ipv6_rfc5952(void **state)
{
    static const struct {
        uint8_t a[16];
        const char *text;
    } cases[] = {
        {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "2001:db8::1"},
        {{0}, "::"},
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
        {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, "2001:db8:0:1::"},
        /* One zero word is not compressed; the first of two equal runs is. */
        {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, "2001:db8:0:1:1:1:1:1"},
        {{0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1}, "2001::1:1:0:0:1"},
        {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x15, 0x5d, 0xff, 0xfe, 0x01, 0x02, 0x03},
         "fe80::215:5dff:fe01:203"},
        {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff},
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    char text[RH_IPV6_STRING_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rh_ipv6_format(cases[i].a, text);
        assert_string_equal(text, cases[i].text);
    }
}

static void uuid7_layout(void **state)
{
    const uint8_t random[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t id[16];
    char text[RH_GUID_STRING_SIZE];

    (void)state;
    rh_uuid7_make(id, 0x019ad0b84f7aull, random);
    rh_uuid_format(id, text);
    assert_string_equal(text, "019ad0b8-4f7a-7fff-bfff-ffffffffffff");
}

static void hex(void **state)
{
    char data[32];
    struct rh_buf b;

    (void)state;
    rh_buf_init(&b, data, sizeof data);
    rh_buf_append_hex(&b, 0);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_hex(&b, 0xC227);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_hex(&b, 0xFFFFFFFFu);
    assert_string_equal(data, "0 c227 ffffffff");
}

/* The codes an administrator meets have a name and a hint; others have none. */
static void error_hints_name_the_codes(void **state)
{
    (void)state;
    assert_string_equal(rh_error_hint(10061)->name, "WSAECONNREFUSED");
    assert_string_equal(rh_error_hint(0x80090328u)->name, "SEC_E_CERT_EXPIRED");
    assert_non_null(strstr(rh_error_hint(193)->hint, "64-bit"));
    assert_non_null(strstr(rh_error_hint(0x80090325u)->hint, "CaFile"));
    assert_null(rh_error_hint(0));
    assert_null(rh_error_hint(123456));
}

/* A text a truncating snprintf cut in a character loses that character, nothing else. */
static void utf8_cut_drops_only_a_partial_last_character(void **state)
{
    char a[] = "write to D:\\\xE6\x9D\x8E"; /* whole: kept */
    char b[] = "write to D:\\\xE6\x9D";     /* two of three bytes */
    char c[] = "x\xF0\x9F\x98";             /* three of four */
    char d[] = "x\xC3";                     /* one of two */
    char e[] = "plain";

    (void)state;
    rh_utf8_cut(a);
    assert_string_equal(a, "write to D:\\\xE6\x9D\x8E");
    rh_utf8_cut(b);
    assert_string_equal(b, "write to D:\\");
    rh_utf8_cut(c);
    assert_string_equal(c, "x");
    rh_utf8_cut(d);
    assert_string_equal(d, "x");
    rh_utf8_cut(e);
    assert_string_equal(e, "plain");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf16_ascii_and_bmp),
        cmocka_unit_test(error_hints_name_the_codes),
        cmocka_unit_test(utf8_cut_drops_only_a_partial_last_character),
        cmocka_unit_test(utf16_surrogate_pair_round_trips),
        cmocka_unit_test(utf16_lone_surrogates_become_replacement),
        cmocka_unit_test(utf16_without_nul_stops_at_capacity),
        cmocka_unit_test(utf16_truncates_at_code_point_boundary),
        cmocka_unit_test(utf8_to_utf16_rejects_small_buffers_and_repairs_bytes),
        cmocka_unit_test(buf_overflow_keeps_content),
        cmocka_unit_test(buf_numbers),
        cmocka_unit_test(guid_lowercase_no_braces),
        cmocka_unit_test(rfc3339_dates),
        cmocka_unit_test(filetime_epoch),
        cmocka_unit_test(ipv4_strict),
        cmocka_unit_test(ipv6_rfc5952),
        cmocka_unit_test(uuid7_layout),
        cmocka_unit_test(hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
