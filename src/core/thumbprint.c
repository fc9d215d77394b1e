/* SPDX-License-Identifier: MIT */
#include "thumbprint.h"

#include <string.h>

#include "text.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool rh_thumbprint_parse(const char *text, uint8_t out[RH_THUMBPRINT_MAX], size_t *len, char *err,
                         size_t err_size)
{
    uint8_t pin[RH_THUMBPRINT_MAX];
    size_t digits = 0;

    for (const char *p = text; *p != '\0'; p++) {
        int d;

        if (*p == ' ' || *p == '\t' || *p == ':')
            continue;
        if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
            (unsigned char)p[2] == 0x8E) {
            p += 2; /* U+200E LEFT-TO-RIGHT MARK */
            continue;
        }
        d = hex_digit(*p);
        if (d < 0 || digits == 2 * RH_THUMBPRINT_MAX) {
            rh_set_err(err, err_size,
                       "\"%s\" is not a SHA-1 (40) or SHA-256 (64 hex digits) thumbprint", text);
            return false;
        }
        if (digits % 2 == 0)
            pin[digits / 2] = (uint8_t)(d << 4);
        else
            pin[digits / 2] = (uint8_t)(pin[digits / 2] | d);
        digits++;
    }
    if (digits != 2 * RH_THUMBPRINT_SHA1 && digits != 2 * RH_THUMBPRINT_SHA256) {
        rh_set_err(err, err_size,
                   "\"%s\" has %u hex digits: a thumbprint has 40 (SHA-1) or 64 (SHA-256)", text,
                   (unsigned)digits);
        return false;
    }
    memcpy(out, pin, digits / 2);
    *len = digits / 2;
    return true;
}
