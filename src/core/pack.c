/* SPDX-License-Identifier: MIT */
/*
 * The journal's encodings: CRC-32C, and the packing of RRAS's structures (a
 * map of the 8-byte words that are not zero, then those words).
 */
#include "journal.h"
#include "hot.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

/*
 * CRC-32C: the processor's own instruction where it has one (SSE 4.2: the
 * polynomial is the one it was made for, and it reads no table, so a cold
 * callback takes no cache misses for it); otherwise slice-by-8, with tables
 * built once from the reflected polynomial 0x82F63B78.
 */
static uint32_t crc_table[8][256];
static atomic_int crc_ready; /* 0: not yet; 1: tables; 2: the instruction */

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

RH_HOT __attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p,
                                                                size_t len)
{
#if defined(__x86_64__)
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;

        memcpy(&v, p, sizeof v);
        crc = (uint32_t)__builtin_ia32_crc32di(crc, v);
    }
#endif
    for (; len >= 4; p += 4, len -= 4) {
        uint32_t v;

        memcpy(&v, p, sizeof v);
        crc = __builtin_ia32_crc32si(crc, v);
    }
    for (; len > 0; p++, len--)
        crc = __builtin_ia32_crc32qi(crc, *p);
    return crc;
}

static bool has_crc_instruction(void)
{
    unsigned a, b, c, d;

    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_SSE4_2) != 0;
}
#else
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
    (void)p, (void)len;
    return crc;
}

static bool has_crc_instruction(void)
{
    return false;
}
#endif

RH_HOT static int crc_init(void)
{
    int ready = atomic_load_explicit(&crc_ready, memory_order_acquire);

    if (ready != 0)
        return ready;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
    /* Two threads may both build the tables: they write identical values. */
    ready = has_crc_instruction() ? 2 : 1;
    atomic_store_explicit(&crc_ready, ready, memory_order_release);
    return ready;
}

/* The tables' CRC, for the tests to hold against the instruction's. */
uint32_t rh_crc32c_tables(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    crc_init();
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        uint32_t hi =
            (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
              crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^
              crc_table[2][(hi >> 8) & 0xFF] ^ crc_table[1][(hi >> 16) & 0xFF] ^
              crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

RH_HOT uint32_t rh_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (crc_init() == 2)
        return ~crc_hw(~crc, data, len);
    return rh_crc32c_tables(crc, data, len);
}

RH_HOT size_t rh_pack_prefix(const void *src, size_t readable, size_t len, void *dst, size_t cap)
{
    const uint8_t *s = src;
    uint8_t *d = dst;
    size_t words = len / 8, full = readable < len ? readable / 8 : words;
    size_t map_len = (words + 7) / 8;
    size_t out;

    if (cap < RH_PACK_BOUND(len) || len > UINT32_MAX || readable > len)
        return 0;
    d[0] = (uint8_t)len;
    d[1] = (uint8_t)(len >> 8);
    d[2] = (uint8_t)(len >> 16);
    d[3] = (uint8_t)(len >> 24);
    memset(d + 4, 0, map_len);
    out = 4 + map_len;
    /*
     * Words wholly read, without a branch on their value (a structure's zeros
     * are not predictable): each is stored, and kept if it is not zero. The
     * store stays within the bound, since at most `words` are kept. Eight
     * words make a byte of the map, built in a register.
     */
    for (size_t w = 0; w < full; w += 8) {
        size_t group = full - w < 8 ? full - w : 8;
        unsigned bits = 0;

        for (size_t k = 0; k < group; k++) {
            uint64_t v;
            unsigned kept;

            memcpy(&v, s + 8 * (w + k), 8);
            memcpy(d + out, &v, 8);
            kept = v != 0;
            bits |= kept << k;
            out += 8 * kept;
        }
        d[4 + w / 8] = (uint8_t)bits;
    }
    /* The word the readable part ends in, then zeros. */
    for (size_t w = full; w < words && 8 * w < readable; w++) {
        uint64_t v = 0;

        memcpy(&v, s + 8 * w, readable - 8 * w);
        if (v == 0)
            continue;
        d[4 + w / 8] |= (uint8_t)(1u << (w % 8));
        memcpy(d + out, &v, 8);
        out += 8;
    }
    memset(d + out, 0, len % 8);
    if (readable > 8 * words)
        memcpy(d + out, s + 8 * words, readable - 8 * words);
    return out + len % 8;
}

size_t rh_pack(const void *src, size_t len, void *dst, size_t cap)
{
    return rh_pack_prefix(src, len, len, dst, cap);
}

size_t rh_unpack(const void *packed, size_t packed_len, void *dst, size_t cap)
{
    const uint8_t *p = packed;
    uint8_t *d = dst;
    size_t len, words, map_len, in;

    if (packed_len < 4)
        return 0;
    len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
    words = len / 8;
    map_len = (words + 7) / 8;
    if (len > cap || len == 0 || packed_len < 4 + map_len)
        return 0;
    in = 4 + map_len;
    for (size_t w = 0; w < words; w++) {
        if (p[4 + w / 8] & (1u << (w % 8))) {
            if (packed_len - in < 8)
                return 0;
            memcpy(d + 8 * w, p + in, 8);
            in += 8;
        } else {
            memset(d + 8 * w, 0, 8);
        }
    }
    if (packed_len - in != len % 8)
        return 0;
    memcpy(d + 8 * words, p + in, len % 8);
    return len;
}
