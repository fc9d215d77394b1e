/* SPDX-License-Identifier: MIT */
/*
 * The file sink's rotation arithmetic and names: the calendar (leap years,
 * month ends, the limits of FILETIME), the day, week (from Monday) and month a
 * time falls in, and the rotated-name grammar both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rotation.h"

#define SEC RH_TICKS_PER_SECOND
#define DAY RH_TICKS_PER_DAY

/* Known instants, in ticks since 1601 (checked against Python's datetime). */
#define T_1970        116444736000000000ull  /* 1970-01-01T00:00:00Z */
#define T_2024        133485408000000000ull  /* 2024-01-01T00:00:00Z, a Monday */
#define T_2024_LEAP   133536384000000000ull  /* 2024-02-29T00:00:00Z */
#define T_EXAMPLE     134400186000000000ull  /* 2026-11-24T18:30:00Z */
#define T_9999_LAST   2650467743990000000ull /* 9999-12-31T23:59:59Z */
#define T_TICKS_MAX   ((uint64_t)INT64_MAX)  /* 30828-09-14T02:48:05.4775807Z */
#define NAME(literal) literal, sizeof literal - 1

static struct rh_utc utc(uint32_t y, uint32_t mo, uint32_t d, uint32_t h, uint32_t mi, uint32_t s)
{
    struct rh_utc u = {y, mo, d, h, mi, s};

    return u;
}

static void assert_utc(uint64_t t, uint32_t y, uint32_t mo, uint32_t d, uint32_t h, uint32_t mi,
                       uint32_t s)
{
    struct rh_utc u;

    assert_true(rh_utc_from_ticks(t, &u));
    assert_int_equal(u.year, y);
    assert_int_equal(u.month, mo);
    assert_int_equal(u.day, d);
    assert_int_equal(u.hour, h);
    assert_int_equal(u.minute, mi);
    assert_int_equal(u.second, s);
}

static bool exists(uint32_t y, uint32_t mo, uint32_t d, uint32_t h, uint32_t mi, uint32_t s)
{
    struct rh_utc u = utc(y, mo, d, h, mi, s);
    uint64_t t = 0xdeadbeef;
    bool ok = rh_utc_to_ticks(&u, &t);

    if (!ok)
        assert_int_equal(t, 0xdeadbeef); /* untouched */
    return ok;
}

static void calendar_of_known_instants(void **state)
{
    struct rh_utc u;

    (void)state;
    assert_utc(0, 1601, 1, 1, 0, 0, 0);
    assert_utc(T_1970, 1970, 1, 1, 0, 0, 0);
    assert_utc(T_2024, 2024, 1, 1, 0, 0, 0);
    assert_utc(T_2024 - 1, 2023, 12, 31, 23, 59, 59); /* below a second is dropped */
    assert_utc(T_2024_LEAP, 2024, 2, 29, 0, 0, 0);
    assert_utc(T_2024_LEAP + DAY, 2024, 3, 1, 0, 0, 0);
    assert_utc(T_EXAMPLE, 2026, 11, 24, 18, 30, 0);
    assert_utc(T_EXAMPLE + 5 * SEC + SEC - 1, 2026, 11, 24, 18, 30, 5);
    assert_utc(T_9999_LAST, 9999, 12, 31, 23, 59, 59);
    assert_utc(T_9999_LAST + SEC, 10000, 1, 1, 0, 0, 0);
    /* FileTimeToSystemTime's last date, and nothing past it. */
    assert_utc(T_TICKS_MAX, 30828, 9, 14, 2, 48, 5);
    assert_false(rh_utc_from_ticks(T_TICKS_MAX + 1, &u));
    assert_false(rh_utc_from_ticks(UINT64_MAX, &u));
}

static void dates_that_exist(void **state)
{
    struct rh_utc u;
    uint64_t t = 0;

    (void)state;
    u = utc(1601, 1, 1, 0, 0, 0);
    assert_true(rh_utc_to_ticks(&u, &t));
    assert_int_equal(t, 0);
    u = utc(2026, 11, 24, 18, 30, 0);
    assert_true(rh_utc_to_ticks(&u, &t));
    assert_int_equal(t, T_EXAMPLE);
    u = utc(9999, 12, 31, 23, 59, 59);
    assert_true(rh_utc_to_ticks(&u, &t));
    assert_int_equal(t, T_9999_LAST);

    /* Leap years: every 4th, not every 100th, every 400th. */
    assert_true(exists(2024, 2, 29, 0, 0, 0));
    assert_false(exists(2023, 2, 29, 0, 0, 0));
    assert_true(exists(2000, 2, 29, 12, 0, 0));
    assert_false(exists(1900, 2, 29, 0, 0, 0));
    assert_false(exists(2100, 2, 29, 0, 0, 0));
    assert_true(exists(1604, 2, 29, 0, 0, 0));
    assert_false(exists(2024, 2, 30, 0, 0, 0));
    assert_true(exists(2023, 2, 28, 23, 59, 59));
    /* Month ends. */
    assert_true(exists(2026, 1, 31, 0, 0, 0));
    assert_false(exists(2026, 1, 32, 0, 0, 0));
    assert_true(exists(2026, 4, 30, 0, 0, 0));
    assert_false(exists(2026, 4, 31, 0, 0, 0));
    assert_false(exists(2026, 6, 31, 0, 0, 0));
    assert_false(exists(2026, 9, 31, 0, 0, 0));
    assert_false(exists(2026, 11, 31, 0, 0, 0));
    assert_true(exists(2026, 12, 31, 0, 0, 0));
    assert_false(exists(2026, 0, 1, 0, 0, 0));
    assert_false(exists(2026, 13, 1, 0, 0, 0));
    assert_false(exists(2026, 1, 0, 0, 0, 0));
    /* Times of day. */
    assert_true(exists(2026, 1, 1, 23, 59, 59));
    assert_false(exists(2026, 1, 1, 24, 0, 0));
    assert_false(exists(2026, 1, 1, 0, 60, 0));
    assert_false(exists(2026, 1, 1, 0, 0, 60));
    /* SystemTimeToFileTime's years. */
    assert_false(exists(1600, 12, 31, 23, 59, 59));
    assert_false(exists(0, 1, 1, 0, 0, 0));
    assert_true(exists(30827, 12, 31, 23, 59, 59));
    assert_false(exists(30828, 1, 1, 0, 0, 0));
}

/* The days of a month, written out again here as the rule says. */
static uint32_t month_days(uint32_t y, uint32_t m)
{
    bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

    if (m == 2)
        return leap ? 29 : 28;
    if (m == 4 || m == 6 || m == 9 || m == 11)
        return 30;
    return 31;
}

/* Day after day from 1601 to 2401: each date follows the one before, and comes back as ticks. */
static void every_day_follows_the_last(void **state)
{
    struct rh_utc prev, u;
    uint64_t back;

    (void)state;
    assert_true(rh_utc_from_ticks(0, &prev));
    for (uint64_t day = 1; day < 800ull * 366; day++) {
        uint64_t t = day * DAY + (day % 86400) * SEC;
        uint32_t last = month_days(prev.year, prev.month);

        assert_true(rh_utc_from_ticks(t, &u));
        if (prev.day < last) {
            assert_true(u.year == prev.year && u.month == prev.month && u.day == prev.day + 1);
        } else if (prev.month < 12) {
            assert_true(u.year == prev.year && u.month == prev.month + 1 && u.day == 1);
        } else {
            assert_true(u.year == prev.year + 1 && u.month == 1 && u.day == 1);
        }
        assert_int_equal((uint64_t)u.hour * 3600 + u.minute * 60 + u.second, day % 86400);
        assert_true(rh_utc_to_ticks(&u, &back));
        assert_int_equal(back, t);
        prev = u;
    }
    assert_true(prev.year >= 2401);
}

static void periods(void **state)
{
    uint64_t mon = T_2024, sun_last = T_2024 - 1;

    (void)state;
    assert_int_equal(rh_period_of(RH_PERIOD_NEVER, T_EXAMPLE), 0);
    assert_int_equal(rh_period_of(RH_PERIOD_NEVER, 0), 0);

    /* Days: UTC midnight, to the tick. */
    assert_int_equal(rh_period_of(RH_PERIOD_DAY, 0), 0);
    assert_int_equal(rh_period_of(RH_PERIOD_DAY, DAY - 1), 0);
    assert_int_equal(rh_period_of(RH_PERIOD_DAY, DAY), 1);
    assert_int_equal(rh_period_of(RH_PERIOD_DAY, mon) - rh_period_of(RH_PERIOD_DAY, sun_last), 1);

    /* Weeks start on Monday: 1601-01-01 and 2024-01-01 were Mondays. */
    assert_int_equal(rh_period_of(RH_PERIOD_WEEK, 0), 0);
    assert_int_equal(rh_period_of(RH_PERIOD_WEEK, 7 * DAY - 1), 0);
    assert_int_equal(rh_period_of(RH_PERIOD_WEEK, 7 * DAY), 1);
    assert_int_equal(rh_period_of(RH_PERIOD_WEEK, mon) - rh_period_of(RH_PERIOD_WEEK, sun_last), 1);
    for (uint64_t d = 0; d < 7; d++) /* Monday to Sunday: one week */
        assert_int_equal(rh_period_of(RH_PERIOD_WEEK, mon + d * DAY + DAY - 1),
                         rh_period_of(RH_PERIOD_WEEK, mon));
    assert_int_equal(rh_period_of(RH_PERIOD_WEEK, mon + 7 * DAY),
                     rh_period_of(RH_PERIOD_WEEK, mon) + 1);

    /* Months: year * 12 + month, so December and the January after are consecutive. */
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_EXAMPLE), 2026 * 12 + 11);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, mon), 2024 * 12 + 1);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, sun_last), 2023 * 12 + 12);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_2024_LEAP + DAY - 1), 2024 * 12 + 2);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_2024_LEAP + DAY), 2024 * 12 + 3);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_2024 + 31 * DAY - 1), 2024 * 12 + 1);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_2024 + 31 * DAY), 2024 * 12 + 2);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_TICKS_MAX), 30828 * 12 + 9);
    assert_int_equal(rh_period_of(RH_PERIOD_MONTH, T_TICKS_MAX + 1), 0);
}

static void names_written(void **state)
{
    char out[128];
    uint64_t t = T_EXAMPLE;

    (void)state;
    assert_true(rh_rotated_name(NAME("hangups"), NAME(".jsonl"), t, 0, out, sizeof out));
    assert_string_equal(out, "hangups-20261124T183000Z.jsonl");
    assert_true(rh_rotated_name(NAME("hangups"), NAME(".jsonl"), t + SEC - 1, 1, out, sizeof out));
    assert_string_equal(out, "hangups-20261124T183000Z-1.jsonl");
    assert_true(
        rh_rotated_name(NAME("C:\\logs\\hangups"), NAME(".csv"), t, 999999, out, sizeof out));
    assert_string_equal(out, "C:\\logs\\hangups-20261124T183000Z-999999.csv");
    assert_true(rh_rotated_name(NAME("records"), NAME(""), 0, 10, out, sizeof out));
    assert_string_equal(out, "records-16010101T000000Z-10");
    /* Past what the parser reads: still written, as FileTimeToSystemTime and %u did. */
    assert_true(
        rh_rotated_name(NAME("a"), NAME(".b"), T_9999_LAST + SEC, 1000000, out, sizeof out));
    assert_string_equal(out, "a-100000101T000000Z-1000000.b");
    assert_true(rh_rotated_name(NAME("a"), NAME(""), T_TICKS_MAX, UINT32_MAX, out, sizeof out));
    assert_string_equal(out, "a-308280914T024805Z-4294967295");
    assert_int_equal(strlen(out) - 1, RH_ROTATED_TAG_MAX);

    /* No date: nothing written. */
    memset(out, 'x', sizeof out);
    assert_false(rh_rotated_name(NAME("a"), NAME(".b"), T_TICKS_MAX + 1, 0, out, sizeof out));
    assert_string_equal(out, "");

    /* The bound, to the byte: the name and its NUL. */
    assert_true(rh_rotated_name(NAME("hangups"), NAME(".jsonl"), t, 2, out, 33));
    assert_string_equal(out, "hangups-20261124T183000Z-2.jsonl");
    memset(out, 'x', sizeof out);
    assert_false(rh_rotated_name(NAME("hangups"), NAME(".jsonl"), t, 2, out, 32));
    assert_string_equal(out, "");
    out[0] = 'y';
    assert_false(rh_rotated_name(NAME("hangups"), NAME(".jsonl"), t, 2, out, 0));
    assert_int_equal(out[0], 'y'); /* no room even for the NUL: untouched */
}

/* Parses `name` as a rotated name of hangups.jsonl. */
static bool parse(const char *name, struct rh_rotated *r)
{
    return rh_rotated_parse(name, strlen(name), NAME("hangups"), NAME(".jsonl"), r);
}

static void names_read(void **state)
{
    struct rh_rotated r;

    (void)state;
    assert_true(parse("hangups-20261124T183000Z.jsonl", &r));
    assert_int_equal(r.time, T_EXAMPLE);
    assert_int_equal(r.n, 0);
    assert_true(parse("hangups-20261124T183000Z-1.jsonl", &r));
    assert_int_equal(r.time, T_EXAMPLE);
    assert_int_equal(r.n, 1);
    assert_true(parse("hangups-20261124T183000Z-10.jsonl", &r));
    assert_int_equal(r.n, 10);
    assert_true(parse("hangups-20261124T183000Z-999999.jsonl", &r));
    assert_int_equal(r.n, 999999);
    /* Any ASCII case, as Windows file names. */
    assert_true(parse("HANGUPS-20261124t183000z.JSONL", &r));
    assert_int_equal(r.time, T_EXAMPLE);
    assert_true(parse("Hangups-20240229T000000Z.Jsonl", &r));
    assert_int_equal(r.time, T_2024_LEAP);
    assert_true(parse("hangups-16010101T000000Z.jsonl", &r));
    assert_int_equal(r.time, 0);
    assert_true(parse("hangups-99991231T235959Z.jsonl", &r));
    assert_int_equal(r.time, T_9999_LAST);

    /* Another extension, or the stem's name, is no rotated file of this one. */
    assert_true(rh_rotated_parse(NAME("hangups-20261124T183000Z"), NAME("hangups"), NAME(""), &r));
    assert_true(
        rh_rotated_parse(NAME("Ünï-20261124T183000Z-3.csv"), NAME("Ünï"), NAME(".csv"), &r));
    assert_int_equal(r.n, 3);
}

static void names_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "hangups",
        "hangups.jsonl",
        "hangups-.jsonl",
        "hangup-20261124T183000Z.jsonl",
        "hangupss-20261124T183000Z.jsonl",
        "hangups_20261124T183000Z.jsonl",
        "hangups-20261124T183000Z.jsonl.gz",
        "hangups-20261124T183000Z.json",
        "hangups-20261124T183000Z",
        "hangups-20261124T183000Z.jsonlx",
        "hangups-20261124T183000Z-1",
        "hangups-20261124T183000.jsonl",
        "hangups-20261124183000Z.jsonl",
        "hangups-2026112T183000Z.jsonl",
        "hangups-202611244T183000Z.jsonl",
        "hangups-20261124T18300Z.jsonl",
        "hangups-20261124T1830000Z.jsonl",
        "hangups-2026-11-24T183000Z.jsonl",
        "hangups-20261124 183000Z.jsonl",
        "hangups-2026112aT183000Z.jsonl",
        "hangups-+2026124T183000Z.jsonl",
        " hangups-20261124T183000Z.jsonl",
        "hangups-20261124T183000Z .jsonl",
        /* N: 1 to 999999, no leading zero, no sign. */
        "hangups-20261124T183000Z-.jsonl",
        "hangups-20261124T183000Z-0.jsonl",
        "hangups-20261124T183000Z-01.jsonl",
        "hangups-20261124T183000Z-000001.jsonl",
        "hangups-20261124T183000Z-1000000.jsonl",
        "hangups-20261124T183000Z-9999999.jsonl",
        "hangups-20261124T183000Z-+1.jsonl",
        "hangups-20261124T183000Z--1.jsonl",
        "hangups-20261124T183000Z-1-2.jsonl",
        "hangups-20261124T183000Z-1a.jsonl",
        "hangups-20261124T183000Z_1.jsonl",
        /* Times that do not exist. */
        "hangups-20230229T000000Z.jsonl",
        "hangups-19000229T000000Z.jsonl",
        "hangups-20260431T000000Z.jsonl",
        "hangups-20261301T000000Z.jsonl",
        "hangups-20260001T000000Z.jsonl",
        "hangups-20260100T000000Z.jsonl",
        "hangups-20260132T000000Z.jsonl",
        "hangups-20261124T240000Z.jsonl",
        "hangups-20261124T236000Z.jsonl",
        "hangups-20261124T235960Z.jsonl",
        "hangups-16001231T235959Z.jsonl",
        "hangups-00000101T000000Z.jsonl",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rh_rotated r = {0xdeadbeef, 0xdeadbeef};

        if (parse(bad[i], &r))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(r.time, 0xdeadbeef); /* untouched */
        assert_int_equal(r.n, 0xdeadbeef);
    }
}

/* Only name_len bytes are read: a NUL inside, or the name cut short, is not the name. */
static void lengths_are_exact(void **state)
{
    static const char name[] = "hangups-20261124T183000Z-12.jsonl";
    char copy[sizeof name];
    struct rh_rotated r;

    (void)state;
    assert_true(rh_rotated_parse(name, sizeof name - 1, NAME("hangups"), NAME(".jsonl"), &r));
    for (size_t len = 0; len < sizeof name - 1; len++)
        assert_false(rh_rotated_parse(name, len, NAME("hangups"), NAME(".jsonl"), &r));
    for (size_t i = 0; i < sizeof name - 1; i++) {
        memcpy(copy, name, sizeof name);
        copy[i] = '\0';
        assert_false(rh_rotated_parse(copy, sizeof name - 1, NAME("hangups"), NAME(".jsonl"), &r));
    }
    /* The stem and the extension are lengths too: "hangups" of "hangups.jsonl.gz". */
    assert_true(rh_rotated_parse(NAME("hangups-20261124T183000Z.jsonl"), "hangups.jsonl.gz", 7,
                                 ".jsonl.gz", 6, &r));
}

/* What the sink writes, it reads back: every N of one second, and the limits of the grammar. */
static void names_round_trip(void **state)
{
    static const uint64_t times[] = {0, T_1970, T_2024 - 1, T_2024_LEAP, T_EXAMPLE, T_9999_LAST};
    static const uint32_t ns[] = {0, 1, 9, 10, 99, 100, 12345, 999999};
    char out[64];
    struct rh_rotated r;

    (void)state;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
            assert_true(
                rh_rotated_name(NAME("hangups"), NAME(".jsonl"), times[i], ns[j], out, sizeof out));
            assert_true(parse(out, &r));
            assert_int_equal(r.time, times[i] - times[i] % SEC);
            assert_int_equal(r.n, ns[j]);
        }
    }
    /* N past 999999 and years past 9999 are written but not recognized. */
    assert_true(
        rh_rotated_name(NAME("hangups"), NAME(".jsonl"), T_EXAMPLE, 1000000, out, sizeof out));
    assert_false(parse(out, &r));
    assert_true(
        rh_rotated_name(NAME("hangups"), NAME(".jsonl"), T_9999_LAST + SEC, 0, out, sizeof out));
    assert_false(parse(out, &r));
}

static void stem_and_extension(void **state)
{
    static const struct {
        const char *path;
        size_t stem_at, ext_at;
    } cases[] = {
        {"C:\\ProgramData\\RasHangup\\hangups.jsonl", 25, 32},
        {"C:\\logs\\records.csv", 8, 15},
        {"C:\\logs/records.csv", 8, 15},
        {"C:\\logs\\hangups.jsonl.gz", 8, 21},
        {"C:\\logs\\hangups", 8, 15},
        {"C:\\logs\\.hidden", 8, 15},    /* a leading dot starts no extension */
        {"C:\\logs\\..jsonl", 8, 9},     /* but the second character may */
        {"C:\\logs.d\\hangups", 10, 17}, /* a dot of the folder is no extension */
        {"C:\\logs\\hangups.", 8, 15},   /* an extension of one dot */
        {"hangups.jsonl", 0, 7},
        {"C:\\logs\\", 8, 8},
        {"", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t stem_at = 99, ext_at = 99;

        rh_rotation_split(cases[i].path, strlen(cases[i].path), &stem_at, &ext_at);
        if (stem_at != cases[i].stem_at || ext_at != cases[i].ext_at)
            fail_msg("%s: stem at %zu, extension at %zu", cases[i].path, stem_at, ext_at);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calendar_of_known_instants),
        cmocka_unit_test(dates_that_exist),
        cmocka_unit_test(every_day_follows_the_last),
        cmocka_unit_test(periods),
        cmocka_unit_test(names_written),
        cmocka_unit_test(names_read),
        cmocka_unit_test(names_refused),
        cmocka_unit_test(lengths_are_exact),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(stem_and_extension),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
