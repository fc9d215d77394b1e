/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the rotated-file-name grammar (rotation.h), which reads the names of
 * whatever files sit beside the live one. The oracles: the parser agrees with
 * a second reading of the grammar written here from its description; a name it
 * accepts, written again from what it said, is the same name (but for ASCII
 * case) and reads back the same; a time written as a name reads back as its
 * second; and the day, week and month of a time never go back as time goes on.
 *
 * Input: byte 0 is the mode, byte 1 the length L of the live file's name, which
 * follows (split into stem and extension as the sink does). Mode bit 0: then 8
 * bytes of time, 4 of N and 8 of a later time, written as a name and read back.
 * Otherwise the rest is a file name to read; mode bit 1 puts the live stem
 * before it and the extension after it (bit 2 in upper case).
 */
#include <stdint.h>
#include <string.h>

#include "rotation.h"
#include "fuzz.h"

#define NAME_MAX_BYTES 1024

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_but_case(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static bool digits(const char *p, size_t n, uint32_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        *v = *v * 10 + (uint32_t)(p[i] - '0');
    }
    return true;
}

/* The grammar again, by positions: <stem>-YYYYMMDD[Tt]HHMMSS[Zz][-N]<ext>, a date that exists. */
static bool oracle(const char *name, size_t len, const char *stem, size_t stem_len, const char *ext,
                   size_t ext_len)
{
    static const uint32_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *m = name + stem_len;
    size_t mid;
    uint32_t y, mo, d, h, mi, s, n;
    bool leap;

    if (len < stem_len + 17 + ext_len || !same_but_case(name, stem, stem_len) ||
        !same_but_case(name + len - ext_len, ext, ext_len))
        return false;
    mid = len - stem_len - ext_len;
    if (m[0] != '-' || !digits(m + 1, 4, &y) || !digits(m + 5, 2, &mo) || !digits(m + 7, 2, &d) ||
        lower(m[9]) != 't' || !digits(m + 10, 2, &h) || !digits(m + 12, 2, &mi) ||
        !digits(m + 14, 2, &s) || lower(m[16]) != 'z')
        return false;
    if (mid > 17 &&
        (mid < 19 || mid > 24 || m[17] != '-' || m[18] == '0' || !digits(m + 18, mid - 18, &n)))
        return false;
    leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    return y >= 1601 && mo >= 1 && mo <= 12 && d >= 1 &&
           d <= mdays[mo - 1] + (mo == 2 && leap ? 1u : 0u) && h < 24 && mi < 60 && s < 60;
}

static void check_name(const char *name, size_t len, const char *stem, size_t stem_len,
                       const char *ext, size_t ext_len)
{
    static char again[NAME_MAX_BYTES + 64];
    struct rh_rotated r = {1, 1}, r2;
    struct rh_utc u;
    uint64_t t;
    bool ok = rh_rotated_parse(name, len, stem, stem_len, ext, ext_len, &r);

    CHECK(ok == oracle(name, len, stem, stem_len, ext, ext_len));
    if (!ok) {
        CHECK(r.time == 1 && r.n == 1); /* untouched */
        return;
    }
    CHECK(r.time % RH_TICKS_PER_SECOND == 0 && r.n <= 999999);
    /* Written again with the name's own stem and extension: the same name, to ASCII case. */
    CHECK(rh_rotated_name(name, stem_len, name + len - ext_len, ext_len, r.time, r.n, again,
                          sizeof again));
    CHECK(strlen(again) == len && same_but_case(again, name, len));
    CHECK(rh_rotated_parse(again, len, stem, stem_len, ext, ext_len, &r2));
    CHECK(r2.time == r.time && r2.n == r.n);
    CHECK(rh_utc_from_ticks(r.time, &u) && rh_utc_to_ticks(&u, &t) && t == r.time);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static void check_time(uint64_t t, uint32_t n, uint64_t later, const char *path, size_t ext_at,
                       size_t stem_at)
{
    static char name[NAME_MAX_BYTES + 64];
    const uint64_t max = (uint64_t)INT64_MAX;
    struct rh_rotated r;
    struct rh_utc u;
    bool dated = rh_utc_from_ticks(t, &u);

    CHECK(dated == (t <= max));
    CHECK(rh_rotated_name(path, ext_at, path + ext_at, strlen(path + ext_at), t, n, name,
                          sizeof name) == dated);
    if (dated && u.year <= 9999 && n <= 999999) {
        size_t len = strlen(name);

        CHECK(rh_rotated_parse(name + stem_at, len - stem_at, path + stem_at, ext_at - stem_at,
                               path + ext_at, strlen(path + ext_at), &r));
        CHECK(r.time == t - t % RH_TICKS_PER_SECOND && r.n == n);
    }
    /* Periods: days and weeks by division; months by the calendar; never back in time. */
    if (later < t) {
        uint64_t swap = t;

        t = later;
        later = swap;
    }
    CHECK(rh_period_of(RH_PERIOD_NEVER, t) == 0);
    CHECK(rh_period_of(RH_PERIOD_DAY, t) == t / RH_TICKS_PER_DAY);
    CHECK(rh_period_of(RH_PERIOD_WEEK, t) == t / RH_TICKS_PER_DAY / 7);
    CHECK(rh_period_of(RH_PERIOD_DAY, t) <= rh_period_of(RH_PERIOD_DAY, later));
    CHECK(rh_period_of(RH_PERIOD_WEEK, t) <= rh_period_of(RH_PERIOD_WEEK, later));
    if (later <= max) {
        struct rh_utc a, b;

        CHECK(rh_utc_from_ticks(t, &a) && rh_utc_from_ticks(later, &b));
        CHECK(rh_period_of(RH_PERIOD_MONTH, t) == (uint64_t)a.year * 12 + a.month);
        CHECK(rh_period_of(RH_PERIOD_MONTH, t) <= rh_period_of(RH_PERIOD_MONTH, later));
        /* Within one day, one month: the month changes only at a UTC midnight. */
        if (t / RH_TICKS_PER_DAY == later / RH_TICKS_PER_DAY)
            CHECK(a.year == b.year && a.month == b.month && a.day == b.day);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[256], name[NAME_MAX_BYTES];
    size_t path_len, stem_at, ext_at, n = 0;
    uint8_t mode;

    if (size < 2)
        return 0;
    mode = data[0];
    path_len = data[1];
    data += 2;
    size -= 2;
    if (path_len > size)
        path_len = size;
    memcpy(path, data, path_len);
    path[path_len] = '\0';
    data += path_len;
    size -= path_len;
    path_len = strlen(path); /* the sink's path is a C string */
    rh_rotation_split(path, path_len, &stem_at, &ext_at);
    CHECK(stem_at <= ext_at && ext_at <= path_len);
    CHECK(ext_at == path_len || (path[ext_at] == '.' && ext_at > stem_at));

    if (mode & 1) {
        if (size < 20)
            return 0;
        check_time(get64(data), get32(data + 8), get64(data + 12), path, ext_at, stem_at);
        return 0;
    }
    if (mode & 2) {
        for (size_t i = stem_at; i < ext_at; i++)
            name[n++] =
                (mode & 4) && path[i] >= 'a' && path[i] <= 'z' ? (char)(path[i] - 32) : path[i];
    }
    if (size > NAME_MAX_BYTES - n - path_len)
        size = NAME_MAX_BYTES - n - path_len;
    memcpy(name + n, data, size);
    n += size;
    if (mode & 2) {
        memcpy(name + n, path + ext_at, path_len - ext_at);
        n += path_len - ext_at;
    }
    check_name(name, n, path + stem_at, ext_at - stem_at, path + ext_at, path_len - ext_at);
    return 0;
}
