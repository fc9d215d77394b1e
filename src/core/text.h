/* SPDX-License-Identifier: MIT */
/*
 * Bounded text helpers for the portable core.
 *
 * Every function here takes explicit capacities, never reads a source past its
 * stated length, never writes a destination past its capacity, and always leaves
 * a destination NUL-terminated when its capacity is at least 1.
 */
#ifndef RH_TEXT_H
#define RH_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rashangup/ras_abi.h"

#if defined(__MINGW32__)
#define RH_PRINTF_LIKE(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define RH_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

/*
 * An append-only output buffer of fixed capacity. An append that does not fit
 * stores nothing of itself, sets `overflow`, and leaves the content as it was, so
 * a caller checks once at the end instead of after every call.
 */
struct rh_buf {
    char *data;
    size_t cap; /* bytes available at data, including room for a final NUL */
    size_t len; /* bytes used, excluding the NUL */
    bool overflow;
};

void rh_buf_init(struct rh_buf *b, char *data, size_t cap);
void rh_buf_reset(struct rh_buf *b);
/* Drops what was appended after `mark` (a former len); the overflow flag stays. */
void rh_buf_rewind(struct rh_buf *b, size_t mark);

/*
 * The appends are inline: formatters make dozens per record. Each checks the
 * bound once; len < cap always holds, so cap - len - 1 cannot wrap.
 */
static inline void rh_buf_append(struct rh_buf *b, const char *s, size_t n)
{
    if (b->overflow || n > b->cap - b->len - 1) {
        b->overflow = true;
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void rh_buf_append_char(struct rh_buf *b, char c)
{
    if (b->overflow || b->cap - b->len < 2) {
        b->overflow = true;
        return;
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

static inline void rh_buf_append_str(struct rh_buf *b, const char *s)
{
    rh_buf_append(b, s, strlen(s));
}

/* Appends v in decimal. */
void rh_buf_append_u64(struct rh_buf *b, uint64_t v);
/* Appends v in lowercase hexadecimal, without leading zeros or prefix. */
void rh_buf_append_hex(struct rh_buf *b, uint32_t v);
/* Writes v in lowercase hexadecimal at out (room for 8); returns the digit count. */
size_t rh_u32_to_hex(uint32_t v, char out[8]);

/* Writes v in decimal at out (room for 20 digits); returns the digit count. */
size_t rh_u64_to_dec(uint64_t v, char out[20]);

/*
 * Converts UTF-16 to UTF-8. Reads at most `src_cap` units and stops at the first
 * NUL; a lone surrogate becomes U+FFFD. If `dst` is too small the output is cut at
 * a code-point boundary and *truncated (if given) is set. Returns the bytes written,
 * excluding the NUL.
 */
size_t rh_utf16_to_utf8(const rh_wchar *src, size_t src_cap, char *dst, size_t dst_cap,
                        bool *truncated);
/* As rh_utf16_to_utf8, and sets *replaced if a lone surrogate became U+FFFD. */
size_t rh_utf16_to_utf8_ex(const rh_wchar *src, size_t src_cap, char *dst, size_t dst_cap,
                           bool *truncated, bool *replaced);

/* strnlen for C11: the bytes before the first NUL, or max if there is none. */
size_t rh_strnlen(const char *s, size_t max);

/* The number of units before the first NUL, or src_cap if there is none. */
size_t rh_wcsnlen(const rh_wchar *src, size_t src_cap);

/*
 * Converts UTF-8 to UTF-16 with a final NUL. Invalid sequences become U+FFFD.
 * Returns false (and writes an empty string) if `dst_cap` is too small.
 */
bool rh_utf8_to_utf16(const char *src, size_t src_len, rh_wchar *dst, size_t dst_cap);

/* Lowercase 8-4-4-4-12 form, no braces; `out` holds RH_GUID_STRING_SIZE bytes. */
#define RH_GUID_STRING_SIZE 37
void rh_guid_format(const struct rh_guid *g, char out[RH_GUID_STRING_SIZE]);
bool rh_guid_is_nil(const struct rh_guid *g);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (RFC 3339, UTC, milliseconds); 24 characters. */
#define RH_TIME_STRING_SIZE 25
void rh_time_format_rfc3339(uint64_t unix_ms, char out[RH_TIME_STRING_SIZE]);

/* FILETIME (100 ns ticks since 1601) to milliseconds since 1970; 0 before 1970. */
uint64_t rh_filetime_to_unix_ms(const struct rh_filetime *ft);

/*
 * Reads a UTF-16 dotted-quad IPv4 address (exactly four decimal octets, no
 * leading zeros, nothing else). Returns false for anything else.
 */
bool rh_ipv4_parse(const rh_wchar *src, size_t src_cap, uint8_t out[4]);
/* Dotted-quad text for out[4]; `text` holds RH_IPV4_STRING_SIZE bytes. */
#define RH_IPV4_STRING_SIZE 16
/* Returns the length, excluding the NUL. */
size_t rh_ipv4_format(const uint8_t addr[4], char text[RH_IPV4_STRING_SIZE]);

/*
 * RFC 5952 text for a 16-byte IPv6 address; `text` holds RH_IPV6_STRING_SIZE
 * bytes. Returns the length, excluding the NUL.
 */
#define RH_IPV6_STRING_SIZE 40
size_t rh_ipv6_format(const uint8_t addr[16], char text[RH_IPV6_STRING_SIZE]);

/*
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits
 * from `random`. Such ids sort by time and are unique without coordination.
 */
void rh_uuid7_make(uint8_t out[16], uint64_t unix_ms, const uint8_t random[10]);
/* 8-4-4-4-12 lowercase text of 16 bytes in network order; RH_GUID_STRING_SIZE bytes. */
void rh_uuid_format(const uint8_t uuid[16], char out[RH_GUID_STRING_SIZE]);

/* snprintf into err[0..err_size) that never fails its caller: "" on an encoding error. */
/*
 * Drops a last UTF-8 sequence that is not whole (what a truncating snprintf
 * leaves), so that the text stays valid UTF-8 for the Event Log and JSON.
 */
void rh_utf8_cut(char *s);

/* Whether a and b are the same text but for the case of ASCII letters. */
bool rh_ascii_ieq(const char *a, const char *b);

void rh_set_err(char *err, size_t err_size, const char *fmt, ...) RH_PRINTF_LIKE(3, 4);

#endif /* RH_TEXT_H */
