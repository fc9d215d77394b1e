/* SPDX-License-Identifier: MIT */
/* MD5 against RFC 1321's test suite; HMAC-MD5 against RFC 2104's vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "md5.h"

static void hex(const uint8_t d[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void rfc1321_suite(void **state)
{
    static const struct {
        const char *in, *digest;
    } cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    uint8_t d[16];
    char text[33];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rh_md5(cases[i].in, strlen(cases[i].in), d);
        hex(d, text);
        assert_string_equal(text, cases[i].digest);
    }
}

static void pieces_equal_whole(void **state)
{
    const char *s =
        "1234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "012345678901234567890";
    uint8_t whole[16], parts[16];
    struct rh_md5 m;

    (void)state;
    rh_md5(s, strlen(s), whole);
    for (size_t split = 0; split <= strlen(s); split += 7) {
        rh_md5_init(&m);
        rh_md5_update(&m, s, split);
        rh_md5_update(&m, s + split, strlen(s) - split);
        rh_md5_final(&m, parts);
        assert_memory_equal(parts, whole, 16);
    }
}

static void rfc2104_vectors(void **state)
{
    uint8_t key[80], data[50], mac[16];
    char text[33];

    (void)state;
    memset(key, 0x0b, 16);
    rh_hmac_md5(key, 16, "Hi There", 8, mac);
    hex(mac, text);
    assert_string_equal(text, "9294727a3638bb1c13f48ef8158bfc9d");
    rh_hmac_md5("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hex(mac, text);
    assert_string_equal(text, "750c783e6ab0b503eaa86e310a5db738");
    memset(key, 0xAA, 16);
    memset(data, 0xDD, 50);
    rh_hmac_md5(key, 16, data, 50, mac);
    hex(mac, text);
    assert_string_equal(text, "56be34521d144c88dbb8c733f0e8b3f6");
    /* A key longer than the block is hashed first (RFC 2202, test 6). */
    memset(key, 0xAA, 80);
    rh_hmac_md5(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
    hex(mac, text);
    assert_string_equal(text, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc1321_suite),
        cmocka_unit_test(pieces_equal_whole),
        cmocka_unit_test(rfc2104_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
