/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes ServerThumbprint (thumbprint.h), pasted by an administrator. The
 * oracles: a second reading written here (drop the separators, then hex
 * digits only, 40 or 64 of them) agrees on the verdict, the bytes and the
 * exact error text; a refusal leaves the output alone; and the bytes written
 * again as hex, in the case and with the separators the input chooses, read
 * back the same.
 *
 * Input: byte 0 chooses how the bytes are written again; the rest, to its
 * first NUL, is the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "thumbprint.h"
#include "fuzz.h"

#define LRM "\xE2\x80\x8E"

static int hex_value(char c)
{
    const char *hex = "0123456789abcdef0123456789ABCDEF";
    const char *at = c != '\0' ? strchr(hex, c) : NULL;

    return at == NULL ? -1 : (int)((at - hex) % 16);
}

/* The expected verdict: bytes and their count, or the error text. */
static bool oracle(const char *text, uint8_t *bytes, size_t *count, char *why, size_t why_size)
{
    size_t digits = 0;

    for (size_t i = 0; text[i] != '\0'; i++) {
        int v;

        if (strchr(" \t:", text[i]) != NULL)
            continue;
        if (strncmp(text + i, LRM, 3) == 0) {
            i += 2;
            continue;
        }
        v = hex_value(text[i]);
        if (v < 0 || digits == 64) {
            snprintf(why, why_size,
                     "\"%s\" is not a SHA-1 (40) or SHA-256 (64 hex digits) thumbprint", text);
            return false;
        }
        bytes[digits / 2] = (uint8_t)(digits % 2 == 0 ? v << 4 : bytes[digits / 2] | v);
        digits++;
    }
    if (digits != 40 && digits != 64) {
        snprintf(why, why_size,
                 "\"%s\" has %u hex digits: a thumbprint has 40 (SHA-1) or 64 (SHA-256)", text,
                 (unsigned)digits);
        return false;
    }
    *count = digits / 2;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[4096], err[8192], why[8192], again[512];
    uint8_t out[RH_THUMBPRINT_MAX], want[RH_THUMBPRINT_MAX], back[RH_THUMBPRINT_MAX];
    size_t len = 99, want_len = 0, back_len = 0, n;
    unsigned style;
    struct rh_buf b;
    bool ok;

    if (size < 1)
        return 0;
    style = data[0];
    n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
    memcpy(text, data + 1, n);
    text[n] = '\0';

    memset(out, 0xA5, sizeof out);
    err[0] = '\0';
    ok = rh_thumbprint_parse(text, out, &len, err, sizeof err);
    CHECK(ok == oracle(text, want, &want_len, why, sizeof why));
    if (!ok) {
        CHECK(strcmp(err, why) == 0);
        CHECK(len == 99);
        for (size_t i = 0; i < sizeof out; i++)
            CHECK(out[i] == 0xA5);
        return 0;
    }
    CHECK(err[0] == '\0');
    CHECK((len == 20 || len == 32) && len == want_len && memcmp(out, want, len) == 0);

    /* Written again: upper or lower case, a separator after some bytes, the mark in front. */
    rh_buf_init(&b, again, sizeof again);
    if (style & 1)
        rh_buf_append_str(&b, LRM);
    for (size_t i = 0; i < len; i++) {
        const char *hex = style & 2 ? "0123456789ABCDEF" : "0123456789abcdef";

        rh_buf_append_char(&b, hex[out[i] >> 4]);
        if (style & 4 && i % 4 == 3)
            rh_buf_append_str(&b, LRM);
        rh_buf_append_char(&b, hex[out[i] & 15]);
        if (i + 1 < len && (style >> 3) % 4 != 0 && (i + (style >> 5)) % 2 == 0)
            rh_buf_append_char(&b, " :\t"[(style >> 3) % 4 - 1]);
    }
    CHECK(!b.overflow);
    CHECK(rh_thumbprint_parse(again, back, &back_len, err, sizeof err));
    CHECK(back_len == len && memcmp(back, out, len) == 0);
    return 0;
}
