/* SPDX-License-Identifier: MIT */
/*
 * The file sink's rotation, apart from the files: the UTC day, week or month a
 * time falls in, and the names rotated files take and are recognized by.
 *
 * Times are FILETIME ticks: 100 ns since 1601-01-01 00:00 UTC (a Monday), the
 * proleptic Gregorian calendar, no leap seconds. As FileTimeToSystemTime, a
 * time past INT64_MAX ticks has no calendar date; as SystemTimeToFileTime, a
 * date before 1601 or one that does not exist (month 13, February 29 of a
 * common year, 24:00) has no time.
 *
 * A rotated file is named beside the live one, <stem>-YYYYMMDDTHHMMSSZ[-N]<ext>
 * ("hangups-20261124T183000Z.jsonl", "hangups-20261124T183000Z-2.jsonl"): the
 * UTC time of the rotation to the second, and -1 to -999999 (no leading zero)
 * for more within that second. Names sort as the files were made.
 *
 * Text is UTF-8 with explicit lengths; the Windows shell converts at its edge.
 */
#ifndef RH_ROTATION_H
#define RH_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_TICKS_PER_SECOND 10000000ull
#define RH_TICKS_PER_DAY    (86400ull * RH_TICKS_PER_SECOND)

/* The Rotate periods (and the file sink's keywords for them, in this order). */
enum rh_period { RH_PERIOD_NEVER, RH_PERIOD_DAY, RH_PERIOD_WEEK, RH_PERIOD_MONTH };

/*
 * The UTC day, week (from Monday) or month that time t falls in, as a number
 * that grows with time: days since 1601, weeks since 1601, year * 12 + month.
 * 0 for RH_PERIOD_NEVER, and for a month past INT64_MAX ticks.
 */
uint64_t rh_period_of(enum rh_period p, uint64_t t);

/* A UTC calendar time, to the second. */
struct rh_utc {
    uint32_t year; /* 1601 on */
    uint32_t month, day, hour, minute, second;
};

/* The calendar time of t (the part below a second dropped); false past INT64_MAX ticks. */
bool rh_utc_from_ticks(uint64_t t, struct rh_utc *out);
/* The ticks of u; false (*t unchanged) if u is before 1601, after 30827, or does not exist. */
bool rh_utc_to_ticks(const struct rh_utc *u, uint64_t *t);

/* What a rotated file's name says. */
struct rh_rotated {
    uint64_t time; /* ticks, whole seconds */
    uint32_t n;    /* 0, or N of a -N name */
};

/* The longest part a rotated name adds: "-YYYYMMDDTHHMMSSZ-4294967295" (a year of 5 digits). */
#define RH_ROTATED_TAG_MAX 29

/*
 * Writes prefix[0..prefix_len) "-YYYYMMDDTHHMMSSZ" ["-N" if n > 0] ext[0..ext_len)
 * and a NUL to out, for the UTC second of time t. The prefix is the live file's
 * path (or name) without its extension. False, with out empty, if t has no date
 * or the name does not fit out_size bytes. (A year past 9999 takes five digits
 * and N past 999999 is written too, but such names are not recognized.)
 */
bool rh_rotated_name(const char *prefix, size_t prefix_len, const char *ext, size_t ext_len,
                     uint64_t t, uint32_t n, char *out, size_t out_size);

/*
 * Whether the file name name[0..name_len) is a rotated name of the live file
 * whose name is stem[0..stem_len) ext[0..ext_len); if it is, what it says in
 * *r (untouched otherwise). The stem, the extension, 'T' and 'Z' match in any
 * ASCII case, as Windows names do; the digits are exactly 4+2+2, 2+2+2, and
 * N is 1 to 999999 without a leading zero; the time must exist.
 */
bool rh_rotated_parse(const char *name, size_t name_len, const char *stem, size_t stem_len,
                      const char *ext, size_t ext_len, struct rh_rotated *r);

/*
 * Where the stem and the extension start in path[0..len): the stem after the
 * last '\' or '/', the extension at the last '.' that is not the stem's first
 * character ("hangups" and ".jsonl"; len when there is none).
 */
void rh_rotation_split(const char *path, size_t len, size_t *stem_at, size_t *ext_at);

#endif /* RH_ROTATION_H */
