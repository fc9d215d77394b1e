/* SPDX-License-Identifier: MIT */
#include "text.h"
#include "hot.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void rh_set_err(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_size == 0)
        return;
    va_start(ap, fmt);
    if (vsnprintf(err, err_size, fmt, ap) < 0)
        err[0] = '\0';
    va_end(ap);
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void rh_utf8_cut(char *s)
{
    size_t len = strlen(s), lead = len, need;

    /* Back over continuation bytes (at most three) to the sequence's first byte. */
    while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0 || ((unsigned char)s[lead - 1] & 0x80) == 0)
        return; /* ASCII last, or nothing but continuation bytes to judge */
    lead--;
    need = ((unsigned char)s[lead] & 0xE0) == 0xC0   ? 2
           : ((unsigned char)s[lead] & 0xF0) == 0xE0 ? 3
           : ((unsigned char)s[lead] & 0xF8) == 0xF0 ? 4
                                                     : 0;
    if (len - lead < need)
        s[lead] = '\0';
}

bool rh_ascii_ieq(const char *a, const char *b)
{
    while (*a != '\0' && ascii_lower(*a) == ascii_lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

void rh_buf_init(struct rh_buf *b, char *data, size_t cap)
{
    b->data = data;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap == 0;
    if (cap > 0)
        data[0] = '\0';
}

void rh_buf_reset(struct rh_buf *b)
{
    rh_buf_init(b, b->data, b->cap);
}

void rh_buf_rewind(struct rh_buf *b, size_t mark)
{
    if (mark < b->len) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

/* "00".."99": two digits per division. */
static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

size_t rh_u64_to_dec(uint64_t v, char out[20])
{
    static const uint64_t powers[] = {10u,         100u,         1000u,         10000u,
                                      100000u,     1000000u,     10000000u,     100000000u,
                                      1000000000u, 10000000000u, 100000000000u, 1000000000000u};
    size_t n = 1;
    char *p;

    /* n ends at 13 when v has 13 digits or more: count those (rare) by division. */
    while (n < 13 && v >= powers[n - 1])
        n++;
    if (n == 13) {
        n = 12;
        for (uint64_t t = v / 1000000000000u; t > 0; t /= 10)
            n++;
    }
    p = out + n;
    while (v >= 100) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

void rh_buf_append_u64(struct rh_buf *b, uint64_t v)
{
    char digits[20];

    if (!b->overflow && b->cap - b->len > 20) {
        b->len += rh_u64_to_dec(v, b->data + b->len);
        b->data[b->len] = '\0';
        return;
    }
    rh_buf_append(b, digits, rh_u64_to_dec(v, digits));
}

size_t rh_u32_to_hex(uint32_t v, char out[8])
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;

    for (int shift = 28; shift >= 0; shift -= 4)
        if ((v >> shift) != 0 || shift == 0)
            out[n++] = digits[(v >> shift) & 0xF];
    return n;
}

void rh_buf_append_hex(struct rh_buf *b, uint32_t v)
{
    char out[8];

    rh_buf_append(b, out, rh_u32_to_hex(v, out));
}

size_t rh_strnlen(const char *s, size_t max)
{
    const char *nul = memchr(s, '\0', max);

    return nul != NULL ? (size_t)(nul - s) : max;
}

size_t rh_wcsnlen(const rh_wchar *src, size_t src_cap)
{
    size_t n = 0;

    while (n < src_cap && src[n] != 0)
        n++;
    return n;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t rh_utf16_to_utf8(const rh_wchar *src, size_t src_cap, char *dst, size_t dst_cap,
                        bool *truncated)
{
    return rh_utf16_to_utf8_ex(src, src_cap, dst, dst_cap, truncated, NULL);
}

size_t rh_utf16_to_utf8_ex(const rh_wchar *src, size_t src_cap, char *dst, size_t dst_cap,
                           bool *truncated, bool *replaced)
{
    size_t in = 0;
    size_t out = 0;

    if (truncated)
        *truncated = false;
    /* A destination of 3 bytes per unit always fits: copy ASCII without checks. */
    if (dst_cap / 3 > src_cap) {
        while (in < src_cap && src[in] != 0 && src[in] < 0x80)
            dst[out++] = (char)src[in++];
        if (in == src_cap || src[in] == 0) {
            dst[out] = '\0';
            return out;
        }
    }
    if (dst_cap == 0) {
        if (truncated)
            *truncated = src_cap > 0 && src[0] != 0;
        return 0;
    }
    while (in < src_cap && src[in] != 0) {
        uint32_t cp = src[in];
        size_t used = 1;
        char enc[4];
        size_t n;

        if (cp < 0x80) { /* the common case: one byte, no table, no copy */
            if (out + 1 >= dst_cap) {
                if (truncated)
                    *truncated = true;
                break;
            }
            dst[out++] = (char)cp;
            in++;
            continue;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (in + 1 < src_cap && src[in + 1] >= 0xDC00 && src[in + 1] <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (uint32_t)(src[in + 1] - 0xDC00);
                used = 2;
            } else {
                cp = 0xFFFD;
                if (replaced)
                    *replaced = true;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
            if (replaced)
                *replaced = true;
        }
        n = utf8_encode(cp, enc);
        if (n > dst_cap - 1 - out) {
            if (truncated)
                *truncated = true;
            break;
        }
        memcpy(dst + out, enc, n);
        out += n;
        in += used;
    }
    dst[out] = '\0';
    return out;
}

/* Decodes one UTF-8 sequence at s[0..len); returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c;
    size_t need;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xE0) == 0xC0) {
        c = s[0] & 0x1Fu;
        need = 2;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0Fu;
        need = 3;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        c = s[0] & 0x07u;
        need = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (need > len)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return need;
}

bool rh_utf8_to_utf16(const char *src, size_t src_len, rh_wchar *dst, size_t dst_cap)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t in = 0;
    size_t out = 0;

    if (dst_cap == 0)
        return false;
    while (in < src_len) {
        uint32_t cp;
        size_t n = utf8_decode(s + in, src_len - in, &cp);
        size_t units;

        if (n == 0) {
            cp = 0xFFFD;
            n = 1;
        }
        units = cp >= 0x10000 ? 2 : 1;
        if (units > dst_cap - 1 - out) {
            dst[0] = 0;
            return false;
        }
        if (units == 2) {
            dst[out++] = (rh_wchar)(0xD800 + ((cp - 0x10000) >> 10));
            dst[out++] = (rh_wchar)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            dst[out++] = (rh_wchar)cp;
        }
        in += n;
    }
    dst[out] = 0;
    return true;
}

static void hex_bytes(char *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 0x0F];
    }
}

void rh_guid_format(const struct rh_guid *g, char out[RH_GUID_STRING_SIZE])
{
    const uint8_t d1[4] = {(uint8_t)(g->Data1 >> 24), (uint8_t)(g->Data1 >> 16),
                           (uint8_t)(g->Data1 >> 8), (uint8_t)g->Data1};
    const uint8_t d2[2] = {(uint8_t)(g->Data2 >> 8), (uint8_t)g->Data2};
    const uint8_t d3[2] = {(uint8_t)(g->Data3 >> 8), (uint8_t)g->Data3};

    hex_bytes(out, d1, 4);
    out[8] = '-';
    hex_bytes(out + 9, d2, 2);
    out[13] = '-';
    hex_bytes(out + 14, d3, 2);
    out[18] = '-';
    hex_bytes(out + 19, g->Data4, 2);
    out[23] = '-';
    hex_bytes(out + 24, g->Data4 + 2, 6);
    out[36] = '\0';
}

bool rh_guid_is_nil(const struct rh_guid *g)
{
    static const struct rh_guid nil;

    return memcmp(g, &nil, sizeof nil) == 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, unsigned v)
{
    memcpy(p, digit_pairs + 2 * v, 2);
}

void rh_time_format_rfc3339(uint64_t unix_ms, char out[RH_TIME_STRING_SIZE])
{
    /* Years past 9999 do not fit RFC 3339; clamp to its last millisecond. */
    const uint64_t max_ms = 253402300799999ull;
    uint64_t ms = unix_ms > max_ms ? max_ms : unix_ms;
    uint64_t secs = ms / 1000;
    unsigned sod = (unsigned)(secs % 86400);
    unsigned milli = (unsigned)(ms % 1000);
    int64_t year;
    unsigned month, day;

    civil_from_days((int64_t)(secs / 86400), &year, &month, &day);
    put2(out, (unsigned)(year / 100));
    put2(out + 2, (unsigned)(year % 100));
    out[4] = '-';
    put2(out + 5, month);
    out[7] = '-';
    put2(out + 8, day);
    out[10] = 'T';
    put2(out + 11, sod / 3600);
    out[13] = ':';
    put2(out + 14, sod % 3600 / 60);
    out[16] = ':';
    put2(out + 17, sod % 60);
    out[19] = '.';
    out[20] = (char)('0' + milli / 100);
    put2(out + 21, milli % 100);
    out[23] = 'Z';
    out[24] = '\0';
}

uint64_t rh_filetime_to_unix_ms(const struct rh_filetime *ft)
{
    const uint64_t epoch_delta = 116444736000000000ull; /* 1601 to 1970 in 100 ns */
    uint64_t ticks = ((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime;

    return ticks < epoch_delta ? 0 : (ticks - epoch_delta) / 10000;
}

bool rh_ipv4_parse(const rh_wchar *src, size_t src_cap, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned value = 0;
        size_t start;

        if (part > 0) {
            if (i >= src_cap || src[i] != '.')
                return false;
            i++;
        }
        start = i;
        while (i < src_cap && i - start < 4 && src[i] >= '0' && src[i] <= '9')
            value = value * 10 + (unsigned)(src[i++] - '0');
        if (i == start || i - start > 3 || value > 255 || (i - start > 1 && src[start] == '0'))
            return false;
        out[part] = (uint8_t)value;
    }
    return i == src_cap || src[i] == 0;
}

size_t rh_ipv4_format(const uint8_t addr[4], char text[RH_IPV4_STRING_SIZE])
{
    char *p = text;

    for (int i = 0; i < 4; i++) {
        unsigned v = addr[i];

        if (i > 0)
            *p++ = '.';
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
    }
    *p = '\0';
    return (size_t)(p - text);
}

size_t rh_ipv6_format(const uint8_t addr[16], char text[RH_IPV6_STRING_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned w[8];
    int best = -1, best_len = 0;
    char *p = text;

    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)(addr[2 * i] << 8 | addr[2 * i + 1]);
    /* RFC 5952: the longest run of two or more zero words (the first of equals) is "::". */
    for (int i = 0; i < 8; i++) {
        int j = i;

        while (j < 8 && w[j] == 0)
            j++;
        if (j - i >= 2 && j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        if (j > i)
            i = j - 1;
    }
    /* At most 8 groups of 4 digits and 7 separators: 39 characters and the NUL. */
    for (int i = 0; i < 8; i++) {
        unsigned v = w[i];

        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            *p++ = ':';
        if (v >= 0x1000)
            *p++ = hex[v >> 12];
        if (v >= 0x100)
            *p++ = hex[(v >> 8) & 0xF];
        if (v >= 0x10)
            *p++ = hex[(v >> 4) & 0xF];
        *p++ = hex[v & 0xF];
    }
    *p = '\0';
    return (size_t)(p - text);
}

RH_HOT void rh_uuid7_make(uint8_t out[16], uint64_t unix_ms, const uint8_t random[10])
{
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(unix_ms >> (40 - 8 * i));
    memcpy(out + 6, random, 10);
    out[6] = (uint8_t)(0x70 | (out[6] & 0x0F)); /* version 7 */
    out[8] = (uint8_t)(0x80 | (out[8] & 0x3F)); /* variant 10 */
}

void rh_uuid_format(const uint8_t uuid[16], char out[RH_GUID_STRING_SIZE])
{
    hex_bytes(out, uuid, 4);
    out[8] = '-';
    hex_bytes(out + 9, uuid + 4, 2);
    out[13] = '-';
    hex_bytes(out + 14, uuid + 6, 2);
    out[18] = '-';
    hex_bytes(out + 19, uuid + 8, 2);
    out[23] = '-';
    hex_bytes(out + 24, uuid + 10, 6);
    out[36] = '\0';
}
