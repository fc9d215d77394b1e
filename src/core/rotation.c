/* SPDX-License-Identifier: MIT */
#include "rotation.h"

#include <string.h>

#include "text.h"

/* The last time with a calendar date: FileTimeToSystemTime's limit. */
#define TICKS_MAX ((uint64_t)INT64_MAX)

/*
 * Days from 0000-03-01 (the proleptic Gregorian calendar, where a year starts
 * in March so that its leap day is last) to 1601-01-01.
 */
#define DAYS_0000_03_TO_1601 584694u
#define DAYS_PER_ERA         146097u /* 400 years */

uint64_t rh_period_of(enum rh_period p, uint64_t t)
{
    struct rh_utc u;

    switch (p) {
    case RH_PERIOD_DAY:
        return t / RH_TICKS_PER_DAY;
    case RH_PERIOD_WEEK:
        return t / RH_TICKS_PER_DAY / 7; /* day 0 is a Monday */
    case RH_PERIOD_MONTH:
        if (!rh_utc_from_ticks(t, &u))
            return 0;
        return (uint64_t)u.year * 12 + u.month;
    case RH_PERIOD_NEVER:
        break;
    }
    return 0;
}

/* Howard Hinnant's civil_from_days and days_from_civil, over days that are never negative. */
bool rh_utc_from_ticks(uint64_t t, struct rh_utc *out)
{
    uint64_t days, secs, z, era, doe, yoe, doy, mp, year, month;

    if (t > TICKS_MAX)
        return false;
    days = t / RH_TICKS_PER_DAY;
    secs = t % RH_TICKS_PER_DAY / RH_TICKS_PER_SECOND;
    z = days + DAYS_0000_03_TO_1601;
    era = z / DAYS_PER_ERA;
    doe = z - era * DAYS_PER_ERA;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    month = mp < 10 ? mp + 3 : mp - 9;
    year = yoe + era * 400 + (month <= 2);
    out->year = (uint32_t)year;
    out->month = (uint32_t)month;
    out->day = (uint32_t)(doy - (153 * mp + 2) / 5 + 1);
    out->hour = (uint32_t)(secs / 3600);
    out->minute = (uint32_t)(secs / 60 % 60);
    out->second = (uint32_t)(secs % 60);
    return true;
}

static bool is_leap(uint32_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static uint32_t days_in_month(uint32_t y, uint32_t m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

bool rh_utc_to_ticks(const struct rh_utc *u, uint64_t *t)
{
    uint64_t y, era, yoe, doy, doe, days;

    if (u->year < 1601 || u->year > 30827 || u->month < 1 || u->month > 12 || u->day < 1 ||
        u->day > days_in_month(u->year, u->month) || u->hour > 23 || u->minute > 59 ||
        u->second > 59)
        return false;
    y = u->year - (u->month <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (u->month > 2 ? u->month - 3 : u->month + 9) + 2) / 5 + u->day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * DAYS_PER_ERA + doe - DAYS_0000_03_TO_1601;
    *t = days * RH_TICKS_PER_DAY +
         ((uint64_t)u->hour * 3600 + u->minute * 60u + u->second) * RH_TICKS_PER_SECOND;
    return true;
}

/* Appends v in decimal, at least `width` digits. */
static void append_dec(struct rh_buf *b, uint32_t v, size_t width)
{
    char digits[20];
    size_t n = rh_u64_to_dec(v, digits);

    for (; n < width; width--)
        rh_buf_append_char(b, '0');
    rh_buf_append(b, digits, n);
}

bool rh_rotated_name(const char *prefix, size_t prefix_len, const char *ext, size_t ext_len,
                     uint64_t t, uint32_t n, char *out, size_t out_size)
{
    struct rh_buf b;
    struct rh_utc u;

    rh_buf_init(&b, out, out_size);
    if (!rh_utc_from_ticks(t, &u))
        return false;
    rh_buf_append(&b, prefix, prefix_len);
    rh_buf_append_char(&b, '-');
    append_dec(&b, u.year, 4);
    append_dec(&b, u.month, 2);
    append_dec(&b, u.day, 2);
    rh_buf_append_char(&b, 'T');
    append_dec(&b, u.hour, 2);
    append_dec(&b, u.minute, 2);
    append_dec(&b, u.second, 2);
    rh_buf_append_char(&b, 'Z');
    if (n > 0) {
        rh_buf_append_char(&b, '-');
        append_dec(&b, n, 1);
    }
    rh_buf_append(&b, ext, ext_len);
    if (b.overflow) {
        rh_buf_reset(&b);
        return false;
    }
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether a[0..n) and b[0..n) are the same but for the case of ASCII letters. */
static bool ascii_ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/* A reader over name[0..len): past the end it sees NULs, which match nothing. */
struct cursor {
    const char *p;
    size_t len, at;
};

static char peek(const struct cursor *c)
{
    return c->at < c->len ? c->p[c->at] : '\0';
}

/* Reads exactly `count` decimal digits. */
static bool read_digits(struct cursor *c, unsigned count, uint32_t *out)
{
    *out = 0;
    for (unsigned i = 0; i < count; i++) {
        char d = peek(c);

        if (d < '0' || d > '9')
            return false;
        *out = *out * 10 + (uint32_t)(d - '0');
        c->at++;
    }
    return true;
}

/* Takes the character `want` in either ASCII case. */
static bool read_letter(struct cursor *c, char want)
{
    if (ascii_lower(peek(c)) != ascii_lower(want))
        return false;
    c->at++;
    return true;
}

bool rh_rotated_parse(const char *name, size_t name_len, const char *stem, size_t stem_len,
                      const char *ext, size_t ext_len, struct rh_rotated *r)
{
    struct cursor c = {name, name_len, stem_len};
    struct rh_utc u;
    uint32_t n = 0;
    uint64_t t;

    if (name_len < stem_len || !ascii_ieq_n(name, stem, stem_len))
        return false;
    if (!read_letter(&c, '-') || !read_digits(&c, 4, &u.year) || !read_digits(&c, 2, &u.month) ||
        !read_digits(&c, 2, &u.day) || !read_letter(&c, 'T') || !read_digits(&c, 2, &u.hour) ||
        !read_digits(&c, 2, &u.minute) || !read_digits(&c, 2, &u.second) || !read_letter(&c, 'Z'))
        return false;
    if (peek(&c) == '-') {
        /* -1 to -999999, as rh_rotated_name writes it: no leading zero. */
        unsigned digits = 0;

        c.at++;
        if (peek(&c) < '1' || peek(&c) > '9')
            return false;
        while (digits < 7 && c.at + digits < c.len && c.p[c.at + digits] >= '0' &&
               c.p[c.at + digits] <= '9')
            digits++;
        if (digits > 6 || !read_digits(&c, digits, &n))
            return false;
    }
    if (c.len - c.at != ext_len || !ascii_ieq_n(c.p + c.at, ext, ext_len))
        return false;
    if (!rh_utc_to_ticks(&u, &t))
        return false;
    r->time = t;
    r->n = n;
    return true;
}

void rh_rotation_split(const char *path, size_t len, size_t *stem_at, size_t *ext_at)
{
    *stem_at = 0;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '\\' || path[i] == '/')
            *stem_at = i + 1;
    *ext_at = len;
    for (size_t i = len; i > *stem_at + 1; i--) {
        if (path[i - 1] == '.') {
            *ext_at = i - 1;
            break;
        }
    }
}
