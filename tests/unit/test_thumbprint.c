/* SPDX-License-Identifier: MIT */
/*
 * ServerThumbprint as administrators paste it: SHA-1 and SHA-256 in either
 * case, with the separators certificate tools put in (and the invisible mark
 * Windows's dialog adds), digit counts around 40 and 64, and every error text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "thumbprint.h"

#define SHA1_HEX   "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
#define SHA256_HEX "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define LRM        "\xE2\x80\x8E" /* U+200E LEFT-TO-RIGHT MARK */

static const uint8_t sha1[20] = {0xa9, 0x4a, 0x8f, 0xe5, 0xcc, 0xb1, 0x9b, 0xa6, 0x1c, 0x4c,
                                 0x08, 0x73, 0xd3, 0x91, 0xe9, 0x87, 0x98, 0x2f, 0xbb, 0xd3};
static const uint8_t sha256[32] = {0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea,
                                   0xa0, 0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b,
                                   0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08};

static uint8_t out[RH_THUMBPRINT_MAX + 1];
static size_t len;
static char err[512];

static bool parse(const char *text)
{
    memset(out, 0xA5, sizeof out);
    len = 99;
    snprintf(err, sizeof err, "untouched");
    return rh_thumbprint_parse(text, out, &len, err, sizeof err);
}

static void accepted(const char *text, const uint8_t *want, size_t want_len)
{
    if (!parse(text))
        fail_msg("\"%s\" refused: %s", text, err);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[want_len], 0xA5); /* nothing past it */
    assert_string_equal(err, "untouched");
}

static void refused(const char *text, const char *why)
{
    if (parse(text))
        fail_msg("\"%s\" accepted", text);
    assert_string_equal(err, why);
    assert_int_equal(len, 99); /* untouched */
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xA5);
}

/* n hex digits, cycling through 0-9a-f. */
static const char *digits(size_t n)
{
    static char text[128];

    for (size_t i = 0; i < n; i++)
        text[i] = "0123456789abcdef"[i % 16];
    text[n] = '\0';
    return text;
}

static void sha1_and_sha256(void **state)
{
    (void)state;
    accepted(SHA1_HEX, sha1, 20);
    accepted("A94A8FE5CCB19BA61C4C0873D391E987982FBBD3", sha1, 20);
    accepted("a94A8fE5ccB19ba61C4C0873d391E987982fbbD3", sha1, 20);
    accepted(SHA256_HEX, sha256, 32);
    accepted("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", sha256, 32);
}

static void separators_are_ignored(void **state)
{
    (void)state;
    /* certutil and the certificate dialog: pairs with spaces, the mark in front. */
    accepted(LRM "a9 4a 8f e5 cc b1 9b a6 1c 4c 08 73 d3 91 e9 87 98 2f bb d3", sha1, 20);
    /* openssl x509 -fingerprint: colons. */
    accepted("A9:4A:8F:E5:CC:B1:9B:A6:1C:4C:08:73:D3:91:E9:87:98:2F:BB:D3", sha1, 20);
    /* Tabs, runs of them, at either end, between the digits of a pair, marks anywhere. */
    accepted("\t :a94a8fe5ccb19ba61c4c0873d391e987982fbbd3: \t", sha1, 20);
    accepted("a" LRM "9" LRM LRM "4a8fe5ccb19ba61c4c 0873d391e987982fbbd" LRM "3" LRM, sha1, 20);
    accepted("9f86d081 884c7d65 9a2feaa0 c55ad015 a3bf4f1b 2b0b822c d15d6c15 b0f00a08", sha256, 32);
}

static void digit_counts(void **state)
{
    uint8_t want[32];

    (void)state;
    for (size_t i = 0; i < 32; i++)
        want[i] = (uint8_t)((i * 2 % 16) << 4 | (i * 2 + 1) % 16);
    refused("", "\"\" has 0 hex digits: a thumbprint has 40 (SHA-1) or 64 (SHA-256)");
    refused(" : \t" LRM, "\" : \t" LRM "\" has 0 hex digits: a thumbprint has 40 (SHA-1) or 64 "
                         "(SHA-256)");
    refused("a", "\"a\" has 1 hex digits: a thumbprint has 40 (SHA-1) or 64 (SHA-256)");
    refused(digits(39), "\"0123456789abcdef0123456789abcdef0123456\" has 39 hex digits: a "
                        "thumbprint has 40 (SHA-1) or 64 (SHA-256)");
    accepted(digits(40), want, 20);
    refused(digits(41), "\"0123456789abcdef0123456789abcdef012345678\" has 41 hex digits: a "
                        "thumbprint has 40 (SHA-1) or 64 (SHA-256)");
    refused(digits(63), "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\" has "
                        "63 hex digits: a thumbprint has 40 (SHA-1) or 64 (SHA-256)");
    accepted(digits(64), want, 32);
    /* A 65th digit is refused as it comes, with the other text. */
    refused(digits(65), "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\" "
                        "is not a SHA-1 (40) or SHA-256 (64 hex digits) thumbprint");
    refused(digits(80), "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                        "0123456789abcdef\" is not a SHA-1 (40) or SHA-256 (64 hex digits) "
                        "thumbprint");
}

static void other_characters(void **state)
{
    (void)state;
    refused(SHA1_HEX "g", "\"" SHA1_HEX "g\" is not a SHA-1 (40) or SHA-256 (64 hex digits) "
                          "thumbprint");
    refused("0x" SHA1_HEX, "\"0x" SHA1_HEX "\" is not a SHA-1 (40) or SHA-256 (64 hex digits) "
                           "thumbprint");
    refused("a9-4a-8f-e5-cc-b1-9b-a6-1c-4c-08-73-d3-91-e9-87-98-2f-bb-d3",
            "\"a9-4a-8f-e5-cc-b1-9b-a6-1c-4c-08-73-d3-91-e9-87-98-2f-bb-d3\" is not a SHA-1 (40) "
            "or SHA-256 (64 hex digits) thumbprint");
    refused(SHA1_HEX "\n", "\"" SHA1_HEX "\n\" is not a SHA-1 (40) or SHA-256 (64 hex digits) "
                           "thumbprint");
    /* Only the whole mark is skipped: its first two bytes alone are not. */
    refused("\xE2\x80" SHA1_HEX, "\"\xE2\x80" SHA1_HEX "\" is not a SHA-1 (40) or SHA-256 (64 "
                                 "hex digits) thumbprint");
    refused(SHA1_HEX "\xE2\x80", "\"" SHA1_HEX "\xE2\x80\" is not a SHA-1 (40) or SHA-256 (64 "
                                 "hex digits) thumbprint");
    /* Another invisible mark (U+200F) is not skipped. */
    refused("\xE2\x80\x8F" SHA1_HEX, "\"\xE2\x80\x8F" SHA1_HEX "\" is not a SHA-1 (40) or "
                                     "SHA-256 (64 hex digits) thumbprint");
}

static void error_buffer(void **state)
{
    char small[8];

    (void)state;
    assert_false(rh_thumbprint_parse("xyz", out, &len, small, sizeof small));
    assert_string_equal(small, "\"xyz\" i");
    small[0] = 'x';
    assert_false(rh_thumbprint_parse("", out, &len, small, 0));
    assert_int_equal(small[0], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_and_sha256), cmocka_unit_test(separators_are_ignored),
        cmocka_unit_test(digit_counts),    cmocka_unit_test(other_characters),
        cmocka_unit_test(error_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
