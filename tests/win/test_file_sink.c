/* SPDX-License-Identifier: MIT */
/*
 * The file sink for the long run, under Wine with real files: rotation at the
 * size limit and at the start of a UTC day, week and month, retention by count
 * and by age, a rename another process blocks, the ACL of what the sink
 * creates, and lines torn by a crash or by a full disk (a small tmpfs that
 * with_fixtures.sh mounts). Each test replays connections through rashangup.dll
 * as RRAS binds it and reads back every file the sink left: every record
 * exactly once, no line split, each file whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <cmocka.h>

#include "csv_check.h"
#include "host.h"
#include "json_check.h"
#include "record.h"
#include "rotation.h"
#include "wintest.h"

#define MAX_RECORDS 8192
#define MAX_LINES   8192
#define MAX_FILES   128
#define MIB         (1024u * 1024)
#define BUFFER_MAX  (512u * 1024) /* the sink's buffer: no write is larger */
#define BATCH_MAX   256u          /* nor than the records of one batch from the journal */

#define TICKS_PER_SECOND 10000000ull
#define TICKS_PER_DAY    (86400ull * TICKS_PER_SECOND)

static WCHAR g_root[MAX_PATH]; /* the test's folder, removed after it */
static WCHAR g_dir[MAX_PATH];  /* where the sink's files are */
static size_t g_longest;       /* the longest record read_records saw, in bytes */

/* ------------------------------------------------------------------ helpers */

static void load(struct rh_host_dll *dll)
{
    char err[512] = "";

    if (rh_host_load(dll, L"rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
}

static void replay_on(struct rh_host_dll *dll, unsigned seed, unsigned count)
{
    struct rh_replay_stats stats = {0};

    assert_int_equal(rh_host_replay(dll, 1, seed, count, 4, true, &stats), NO_ERROR);
    assert_int_equal(stats.connections, (LONG)count);
}

/* Starts the DLL, replays connections [0, count) of scenario seed, and stops it. */
static void replay(unsigned seed, unsigned count)
{
    struct rh_host_dll dll;

    load(&dll);
    replay_on(&dll, seed, count);
    rh_host_unload(&dll); /* drains: every record is in the files when it returns */
}

/* Waits (10 s at most) until path holds `lines` lines. */
static void wait_for_lines(const WCHAR *path, size_t lines)
{
    for (int i = 0; i < 200; i++) {
        size_t len, n = 0;
        char *text = wt_read_file(path, &len);

        for (size_t j = 0; j < len; j++)
            n += text[j] == '\n';
        free(text);
        if (n >= lines)
            return;
        Sleep(50);
    }
    fail_msg("%ls never held %zu lines", path, lines);
}

static void join(WCHAR *out, const WCHAR *dir, const WCHAR *name)
{
    _snwprintf(out, MAX_PATH, L"%ls\\%ls", dir, name);
    out[MAX_PATH - 1] = L'\0';
}

/* Deletes what dir holds, and the folders in it (and their files). */
static void empty_dir(const WCHAR *dir)
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE find;

    join(pattern, dir, L"*");
    find = FindFirstFileW(pattern, &fd);
    if (find == INVALID_HANDLE_VALUE)
        return;
    do {
        if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
            continue;
        join(path, dir, fd.cFileName);
        if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
            empty_dir(path);
            RemoveDirectoryW(path);
        } else {
            DeleteFileW(path);
        }
    } while (FindNextFileW(find, &fd));
    FindClose(find);
}

/* A fresh, empty folder and a file sink "main" writing <folder>\records.jsonl or .csv. */
static void configure(const WCHAR *tag, bool csv, WCHAR *path)
{
    wt_reset_config();
    wt_make_temp_dir(tag, g_root, MAX_PATH);
    empty_dir(g_root);
    wcscpy_s(g_dir, MAX_PATH, g_root);
    join(path, g_dir, csv ? L"records.csv" : L"records.jsonl");
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_EXPAND_SZ, path);
    wt_set_sink_string(L"main", L"Format", REG_SZ, csv ? L"csv" : L"json");
    wt_set_global_dword(L"DrainTimeoutMs", 60000);
}

static void touch(const WCHAR *dir, const WCHAR *name)
{
    WCHAR path[MAX_PATH];
    HANDLE h;
    DWORD written;

    join(path, dir, name);
    h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("cannot create %ls (%lu)", path, GetLastError());
    WriteFile(h, "x\n", 2, &written, NULL);
    CloseHandle(h);
}

static bool exists(const WCHAR *dir, const WCHAR *name)
{
    WCHAR path[MAX_PATH];

    join(path, dir, name);
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

static uint64_t ft_ticks(FILETIME ft)
{
    return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

static FILETIME ticks_ft(uint64_t t)
{
    FILETIME ft = {(DWORD)(t & 0xFFFFFFFFu), (DWORD)(t >> 32)};

    return ft;
}

static uint64_t now_ticks(void)
{
    FILETIME ft;

    GetSystemTimeAsFileTime(&ft);
    return ft_ticks(ft);
}

static void set_last_write(const WCHAR *path, uint64_t t)
{
    HANDLE h = CreateFileW(path, FILE_WRITE_ATTRIBUTES,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, 0, NULL);
    FILETIME ft = ticks_ft(t), got;

    if (h == INVALID_HANDLE_VALUE)
        fail_msg("cannot open %ls (%lu)", path, GetLastError());
    assert_true(SetFileTime(h, NULL, NULL, &ft));
    assert_true(GetFileTime(h, NULL, NULL, &got));
    CloseHandle(h);
    assert_true(ft_ticks(got) / TICKS_PER_SECOND == t / TICKS_PER_SECOND);
}

/* records-YYYYMMDDTHHMMSSZ[-N]<ext> for UTC time t. */
static void stamp_name(uint64_t t, unsigned n, const WCHAR *ext, WCHAR *out)
{
    FILETIME ft = ticks_ft(t);
    SYSTEMTIME st;
    WCHAR counter[16] = L"";

    FileTimeToSystemTime(&ft, &st);
    if (n > 0)
        _snwprintf(counter, 16, L"-%u", n);
    _snwprintf(out, MAX_PATH, L"records-%04u%02u%02uT%02u%02u%02uZ%ls%ls", st.wYear, st.wMonth,
               st.wDay, st.wHour, st.wMinute, st.wSecond, counter, ext);
    out[MAX_PATH - 1] = L'\0';
}

/* ------------------------------------------------------------ rotated names */

struct rotated {
    WCHAR name[MAX_PATH];
    uint64_t time; /* as the name says */
    unsigned n;
};

/* records-YYYYMMDDTHHMMSSZ<ext> or records-YYYYMMDDTHHMMSSZ-N<ext>: the core's reading. */
static bool parse_rotated(const WCHAR *name, const WCHAR *ext, struct rotated *r)
{
    char name_utf8[MAX_PATH * 3], ext_utf8[64];
    struct rh_rotated rot;
    int len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, name, -1, name_utf8,
                                  (int)sizeof name_utf8, NULL, NULL);
    int ext_len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, ext, -1, ext_utf8,
                                      (int)sizeof ext_utf8, NULL, NULL);

    if (len <= 0 || ext_len <= 0 ||
        !rh_rotated_parse(name_utf8, (size_t)len - 1, "records", 7, ext_utf8, (size_t)ext_len - 1,
                          &rot))
        return false;
    r->time = rot.time;
    r->n = rot.n;
    wcscpy_s(r->name, MAX_PATH, name);
    return true;
}

static int cmp_rotated(const void *a, const void *b)
{
    const struct rotated *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* The rotated files in g_dir, oldest first. */
static size_t list_rotated(const WCHAR *ext, struct rotated *out, size_t max)
{
    WCHAR pattern[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE find;
    size_t n = 0;

    join(pattern, g_dir, L"*");
    find = FindFirstFileW(pattern, &fd);
    assert_true(find != INVALID_HANDLE_VALUE);
    do {
        if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && n < max &&
            parse_rotated(fd.cFileName, ext, &out[n]))
            n++;
    } while (FindNextFileW(find, &fd));
    FindClose(find);
    qsort(out, n, sizeof *out, cmp_rotated);
    return n;
}

/* ------------------------------------------------------------------ records */

/* The connections of one replayed scenario, and which of them were found. */
struct tally {
    unsigned seed;
    unsigned count;
    unsigned char seen[MAX_RECORDS];
};

static void mark(struct tally *t, size_t n_t, const char *id, const WCHAR *path)
{
    unsigned long d1, d2, d3;

    if (sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3) != 3)
        fail_msg("%ls: connection_id %s", path, id);
    for (size_t i = 0; i < n_t; i++) {
        unsigned index = (unsigned)((d2 << 16) | d3);

        if (d1 != 0x5eed0000ul + t[i].seed)
            continue;
        if (index >= t[i].count)
            fail_msg("%ls: connection %u of scenario %u was not replayed", path, index, t[i].seed);
        if (t[i].seen[index]++)
            fail_msg("%ls: connection %u of scenario %u recorded twice", path, index, t[i].seed);
        return;
    }
    fail_msg("%ls: connection_id %s belongs to no scenario expected here", path, id);
}

/*
 * Reads one file of records: each must be whole (a JSON line, or a CSV row after
 * the BOM and header that every CSV file starts with) and one of the tallies'.
 * Returns the number of records.
 */
static size_t read_records(const WCHAR *path, bool csv, struct tally *t, size_t n_t)
{
    static char *lines[MAX_LINES];
    size_t len, n = 0;
    char *text = wt_read_file(path, &len);
    char id[64];

    if (text == NULL)
        fail_msg("cannot read %ls", path);
    if (csv) {
        size_t off = 3, used;

        if (len < 19 || memcmp(text,
                               "\xEF\xBB\xBF"
                               "event,record_id,",
                               19) != 0)
            fail_msg("%ls does not start with the BOM and the header", path);
        assert_int_equal(cc_row(text + off, len - off, -1, NULL, 0, &used), RH_FIELD_COUNT);
        for (off += used; off < len; off += used, n++) {
            if (cc_row(text + off, len - off, 6, id, sizeof id, &used) != RH_FIELD_COUNT)
                fail_msg("%ls: row %zu is not a whole record", path, n + 1);
            mark(t, n_t, id, path);
            g_longest = used > g_longest ? used : g_longest;
        }
    } else {
        if (len > 0 && text[len - 1] != '\n')
            fail_msg("%ls does not end with a whole line", path);
        n = wt_split_lines(text, lines, MAX_LINES);
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(lines[i]);

            if (!jc_valid(lines[i], l) || jc_count_members(lines[i], l) != RH_FIELD_COUNT)
                fail_msg("%ls: line %zu is not a whole record: %.80s", path, i + 1, lines[i]);
            assert_int_equal(jc_get(lines[i], l, "connection_id", id, sizeof id), JC_STRING);
            mark(t, n_t, id, path);
            g_longest = l + 1 > g_longest ? l + 1 : g_longest;
        }
    }
    free(text);
    return n;
}

static void expect_all_seen(const struct tally *t)
{
    for (unsigned i = 0; i < t->count; i++)
        if (!t->seen[i])
            fail_msg("connection %u of scenario %u has no record", i, t->seed);
}

/* n tallies for scenarios seed, seed + 1...; their counts in `counts`. */
static struct tally *new_tallies(size_t n, unsigned seed, const unsigned *counts)
{
    struct tally *t = calloc(n, sizeof *t);

    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        assert_true(counts[i] <= MAX_RECORDS);
        t[i].seed = seed + (unsigned)i;
        t[i].count = counts[i];
    }
    return t;
}

static struct tally *new_tally(unsigned seed, unsigned count)
{
    return new_tallies(1, seed, &count);
}

/* ------------------------------------------------------------ size rotation */

static void rotation_at_the_size_limit(bool csv, unsigned seed, unsigned count)
{
    WCHAR path[MAX_PATH], file[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    const WCHAR *ext = csv ? L".csv" : L".jsonl";
    struct tally *t = new_tally(seed, count);
    size_t n_rot, records = 0, largest_write;

    configure(csv ? L"size-csv" : L"size-json", csv, path);
    wt_set_sink_dword(L"main", L"RotateSizeMB", 1);
    replay(seed, count);

    n_rot = list_rotated(ext, rot, MAX_FILES);
    /* Several megabytes, so several rotations. */
    if (n_rot < 2)
        fail_msg("%zu rotated file(s) after %u records", n_rot, count);
    g_longest = 0;
    for (size_t i = 0; i < n_rot; i++) {
        join(file, g_dir, rot[i].name);
        records += read_records(file, csv, t, 1);
    }
    records += read_records(path, csv, t, 1);
    assert_int_equal(records, count);
    expect_all_seen(t);
    /*
     * Never past the limit, and never rotated while the next write still fitted:
     * a write is one batch, at most BATCH_MAX records and the buffer's size.
     */
    largest_write = BATCH_MAX * g_longest < BUFFER_MAX ? BATCH_MAX * g_longest : BUFFER_MAX;
    for (size_t i = 0; i < n_rot; i++) {
        size_t size;

        join(file, g_dir, rot[i].name);
        size = wt_file_size(file);
        if (size > MIB || size + largest_write <= MIB)
            fail_msg("%ls holds %zu bytes (limit %u, writes of %zu at most)", rot[i].name, size,
                     MIB, largest_write);
    }
    assert_true(wt_file_size(path) <= MIB);
    free(t);
}

static void size_limit_json(void **state)
{
    (void)state;
    rotation_at_the_size_limit(false, 31, 3000);
}

static void size_limit_csv(void **state)
{
    (void)state;
    rotation_at_the_size_limit(true, 32, 8000); /* about 400 bytes a row */
}

/* ---------------------------------------------------------------- retention */

/* Names a sink must never delete: not its rotated names, though they look alike. */
static const WCHAR *const decoys[] = {
    L"records-20200101T000000Z.jsonl.gz",
    L"records-20200101T000000Z.csv",
    L"records-2020-01-01.jsonl",
    L"records-20201301T000000Z.jsonl",
    L"records-20200230T000000Z.jsonl",
    L"records-20200101T000000Z-01.jsonl",
    L"other-20200101T000000Z.jsonl",
    L"records.jsonl.bak",
    L"notes.txt",
};
#define DECOY_DIR L"records-20200101T000000Z-7.jsonl"

static void plant_decoys(void)
{
    WCHAR dir[MAX_PATH];

    for (size_t i = 0; i < sizeof decoys / sizeof decoys[0]; i++)
        touch(g_dir, decoys[i]);
    join(dir, g_dir, DECOY_DIR);
    assert_true(CreateDirectoryW(dir, NULL));
}

static void expect_decoys(void)
{
    for (size_t i = 0; i < sizeof decoys / sizeof decoys[0]; i++)
        if (!exists(g_dir, decoys[i]))
            fail_msg("%ls was deleted", decoys[i]);
    assert_true(exists(g_dir, DECOY_DIR));
}

static void keep_files_keeps_the_newest(void **state)
{
    WCHAR path[MAX_PATH];
    static struct rotated before[MAX_FILES], after[MAX_FILES], all[2 * MAX_FILES];
    size_t n_before, n_after, n_all;
    size_t log_from;
    WCHAR log[MAX_PATH];

    (void)state;
    configure(L"keep-files", false, path);
    plant_decoys();
    touch(g_dir, L"records-20200101T000000Z.jsonl"); /* rotated names of long ago */
    touch(g_dir, L"records-20200101T000000Z-2.jsonl");
    wt_set_sink_dword(L"main", L"RotateSizeMB", 1);
    replay(33, 3000); /* no KeepFiles yet: everything stays */
    n_before = list_rotated(L".jsonl", before, MAX_FILES);
    assert_true(n_before >= 4);
    assert_string_equal(before[0].name, L"records-20200101T000000Z.jsonl");
    assert_string_equal(before[1].name, L"records-20200101T000000Z-2.jsonl");

    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    wt_set_sink_dword(L"main", L"KeepFiles", 2);
    replay(34, 1500); /* applied at start, and again after each rotation */
    n_after = list_rotated(L".jsonl", after, MAX_FILES);
    assert_int_equal(n_after, 2);

    /* The two kept are the two newest of every rotated file there was. */
    memcpy(all, before, n_before * sizeof *all);
    n_all = n_before;
    for (size_t i = 0; i < n_after; i++) {
        bool known = false;

        for (size_t j = 0; j < n_before; j++)
            known = known || wcscmp(after[i].name, before[j].name) == 0;
        if (!known)
            all[n_all++] = after[i];
    }
    assert_true(n_all > n_before); /* the second run rotated too */
    qsort(all, n_all, sizeof *all, cmp_rotated);
    assert_string_equal(after[0].name, all[n_all - 2].name);
    assert_string_equal(after[1].name, all[n_all - 1].name);
    expect_decoys();
    assert_true(wt_log_contains(log_from, "records-20200101T000000Z.jsonl (beyond KeepFiles, 2)"));
}

/*
 * A name freed by retention is never taken again: within one second a new
 * rotated name takes the -N after the highest there is, so it sorts after
 * every file made before it.
 */
static void names_sort_after_those_of_the_same_second(void **state)
{
    WCHAR path[MAX_PATH], name[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    uint64_t now = now_ticks();
    size_t n_rot, made = 0;

    (void)state;
    configure(L"same-second", false, path);
    /* The rotations below happen in this minute: each second of it has a -5 already. */
    for (unsigned i = 0; i < 62; i++) {
        stamp_name(now + (i - 1ull) * TICKS_PER_SECOND, 5, L".jsonl", name);
        touch(g_dir, name);
    }
    wt_set_sink_dword(L"main", L"RotateSizeMB", 1);
    replay(36, 3000);
    n_rot = list_rotated(L".jsonl", rot, MAX_FILES);
    for (size_t i = 0; i < n_rot; i++) {
        if (rot[i].n == 5)
            continue;
        made++;
        if (rot[i].n < 6)
            fail_msg("%ls sorts before a file of the same second made earlier", rot[i].name);
    }
    assert_true(made >= 2);
}

static void keep_days_judges_age_by_name(void **state)
{
    WCHAR path[MAX_PATH], old[MAX_PATH], recent[MAX_PATH], fresh[MAX_PATH], file[MAX_PATH];
    WCHAR old_gz[MAX_PATH], old_counter[MAX_PATH];
    uint64_t now = now_ticks();
    size_t log_from;
    WCHAR log[MAX_PATH];
    struct tally *t = new_tally(35, 20);

    (void)state;
    configure(L"keep-days", false, path);
    plant_decoys();
    /* KeepDays 5: just over five days old goes, just under stays. */
    stamp_name(now - 5 * TICKS_PER_DAY - 600 * TICKS_PER_SECOND, 0, L".jsonl", old);
    stamp_name(now - 9 * TICKS_PER_DAY, 3, L".jsonl", old_counter);
    stamp_name(now - 9 * TICKS_PER_DAY, 0, L".jsonl.gz", old_gz);
    stamp_name(now - 5 * TICKS_PER_DAY + 600 * TICKS_PER_SECOND, 0, L".jsonl", recent);
    stamp_name(now - 3600 * TICKS_PER_SECOND, 0, L".jsonl", fresh);
    touch(g_dir, old);
    touch(g_dir, old_counter);
    touch(g_dir, old_gz);
    touch(g_dir, recent);
    touch(g_dir, fresh);
    /* Age is the time in the name: a recent name last written long ago stays. */
    join(file, g_dir, recent);
    set_last_write(file, now - 100 * TICKS_PER_DAY);

    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    wt_set_sink_dword(L"main", L"KeepDays", 5);
    replay(35, 20); /* no rotation configured: retention still applies, at start */
    assert_false(exists(g_dir, old));
    assert_false(exists(g_dir, old_counter));
    assert_true(exists(g_dir, old_gz));
    assert_true(exists(g_dir, recent));
    assert_true(exists(g_dir, fresh));
    expect_decoys();
    assert_true(wt_log_contains(log_from, "(older than KeepDays, 5)"));
    assert_int_equal(read_records(path, false, t, 1), 20);
    expect_all_seen(t);
    free(t);
}

/* ---------------------------------------------------------- time rotation */

enum period { DAY, WEEK, MONTH };

/* The start (UTC) of the day, week (from Monday) or month that holds t. */
static uint64_t period_start(enum period p, uint64_t t)
{
    FILETIME ft = ticks_ft(t);
    SYSTEMTIME st;
    uint64_t start;

    FileTimeToSystemTime(&ft, &st);
    st.wHour = st.wMinute = st.wSecond = st.wMilliseconds = 0;
    if (p == MONTH)
        st.wDay = 1;
    assert_true(SystemTimeToFileTime(&st, &ft));
    start = ft_ticks(ft);
    if (p == WEEK)
        start -= (uint64_t)((st.wDayOfWeek + 6) % 7) * TICKS_PER_DAY; /* 0 is Sunday */
    return start;
}

/* So that no test straddles a UTC midnight (and so a week's or month's end). */
static void away_from_midnight(void)
{
    uint64_t now = now_ticks();
    uint64_t next = period_start(DAY, now) + TICKS_PER_DAY;

    if (next - now < 60 * TICKS_PER_SECOND)
        Sleep((DWORD)((next - now) / 10000) + 2000);
}

static void rotation_at_the_start_of(enum period p, const WCHAR *name, bool csv, unsigned seed)
{
    WCHAR path[MAX_PATH], file[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    const WCHAR *ext = csv ? L".csv" : L".jsonl";
    struct tally *t = new_tallies(3, seed, (const unsigned[]){10, 10, 10});
    uint64_t start, t0, t1;

    away_from_midnight();
    configure(name, csv, path);
    wt_set_sink_string(L"main", L"Rotate", REG_SZ, name);
    replay(seed, 10);
    assert_int_equal(list_rotated(ext, rot, MAX_FILES), 0);

    /* Last written early in this period: no rotation. */
    start = period_start(p, now_ticks());
    set_last_write(path, start + TICKS_PER_SECOND);
    replay(seed + 1, 10);
    assert_int_equal(list_rotated(ext, rot, MAX_FILES), 0);

    /* Last written at the end of the previous one: rotated at start, before any record. */
    set_last_write(path, start - TICKS_PER_SECOND);
    t0 = now_ticks();
    replay(seed + 2, 10);
    t1 = now_ticks();
    assert_int_equal(list_rotated(ext, rot, MAX_FILES), 1);
    /* Named after the time of the rotation. */
    assert_true(rot[0].time + TICKS_PER_SECOND > t0 && rot[0].time <= t1);

    join(file, g_dir, rot[0].name);
    assert_int_equal(read_records(file, csv, t, 2), 20);
    expect_all_seen(&t[0]);
    expect_all_seen(&t[1]);
    assert_int_equal(read_records(path, csv, &t[2], 1), 10);
    expect_all_seen(&t[2]);
    free(t);
}

static void daily_rotation(void **state)
{
    (void)state;
    rotation_at_the_start_of(DAY, L"daily", true, 40);
}

static void weekly_rotation(void **state)
{
    (void)state;
    rotation_at_the_start_of(WEEK, L"weekly", false, 43);
}

static void monthly_rotation(void **state)
{
    (void)state;
    rotation_at_the_start_of(MONTH, L"monthly", false, 46);
}

/* --------------------------------------------------------- failed rename */

static void blocked_rename_is_reported_once_and_retried(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH], file[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    struct tally *t = new_tallies(3, 50, (const unsigned[]){10, 600, 10});
    size_t log_from, len;
    char needle[MAX_PATH * 2], path_utf8[MAX_PATH * 3], *text, *hit;
    HANDLE reader;
    struct rh_host_dll dll;

    (void)state;
    away_from_midnight();
    configure(L"blocked", false, path);
    wt_set_sink_string(L"main", L"Rotate", REG_SZ, L"daily");
    replay(50, 10);
    set_last_write(path, now_ticks() - TICKS_PER_DAY);

    /* A reader that does not share delete: the file cannot be renamed while it is open. */
    reader = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                         OPEN_EXISTING, 0, NULL);
    assert_true(reader != INVALID_HANDLE_VALUE);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    load(&dll);
    replay_on(&dll, 51, 600); /* several batches: each retries the rotation */
    wait_for_lines(path, 610);
    assert_int_equal(list_rotated(L".jsonl", rot, MAX_FILES), 0);
    assert_int_equal(read_records(path, false, t, 2), 610);
    expect_all_seen(&t[0]);
    expect_all_seen(&t[1]);

    /* Reported once, with the path and the system's reason (a sharing violation, 32). */
    WideCharToMultiByte(CP_UTF8, 0, path, -1, path_utf8, sizeof path_utf8, NULL, NULL);
    snprintf(needle, sizeof needle,
             "sink main: cannot rotate (a new UTC day): cannot rename %s to ", path_utf8);
    assert_true(wt_log_contains(log_from, needle));
    assert_true(wt_log_contains(log_from, "(32); records go on into"));
    text = wt_read_file(log, &len);
    assert_non_null(text);
    hit = strstr(text + log_from, needle);
    assert_non_null(hit);
    assert_null(strstr(hit + 1, needle));
    free(text);

    /* Once the reader is gone the next write rotates. */
    CloseHandle(reader);
    replay_on(&dll, 52, 10);
    rh_host_unload(&dll);
    assert_int_equal(list_rotated(L".jsonl", rot, MAX_FILES), 1);
    memset(t[0].seen, 0, sizeof t[0].seen);
    memset(t[1].seen, 0, sizeof t[1].seen);
    join(file, g_dir, rot[0].name);
    assert_int_equal(read_records(file, false, t, 2), 610);
    assert_int_equal(read_records(path, false, &t[2], 1), 10);
    expect_all_seen(&t[2]);
    assert_true(wt_log_contains(log_from, "rotation works again"));
    free(t);
}

/* -------------------------------------------------------------- torn lines */

static void to_utf8(const WCHAR *w, char *out, size_t size)
{
    WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)size, NULL, NULL);
}

/* How often `needle` occurs in the log between offsets `from` and `to` (SIZE_MAX: its end). */
static size_t log_count(size_t from, size_t to, const char *needle)
{
    WCHAR log[MAX_PATH];
    size_t len, n = 0;
    char *text;

    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    text = wt_read_file(log, &len);
    if (text == NULL || from > len) {
        free(text);
        return 0;
    }
    if (to < len)
        text[to] = '\0';
    for (const char *p = strstr(text + from, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    free(text);
    return n;
}

static void append(const WCHAR *path, const char *data, size_t len)
{
    HANDLE h = CreateFileW(path, FILE_APPEND_DATA, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD written = 0;

    if (h == INVALID_HANDLE_VALUE)
        fail_msg("cannot open %ls (%lu)", path, GetLastError());
    assert_true(WriteFile(h, data, (DWORD)len, &written, NULL));
    assert_int_equal(written, len);
    CloseHandle(h);
}

/* True if the first record in text[0..len) (a JSON line or a CSV row) is one of scenario seed's. */
static bool first_is_of(const char *text, size_t len, bool csv, unsigned seed)
{
    char id[64], want[16];
    size_t used;
    const char *nl = memchr(text, '\n', len);

    if (csv) {
        if (cc_row(text, len, 6, id, sizeof id, &used) != RH_FIELD_COUNT)
            return false;
    } else if (nl == NULL ||
               jc_get(text, (size_t)(nl - text), "connection_id", id, sizeof id) != JC_STRING) {
        return false;
    }
    snprintf(want, sizeof want, "%08lx-", 0x5eed0000ul + seed);
    return strncmp(id, want, strlen(want)) == 0;
}

/*
 * A crash mid-write leaves the file ending in the start of a line whose records
 * are still in the journal (the write never returned OK). At the next start the
 * sink cuts that start off and writes them after the last whole line: the
 * lines before are untouched, the batch takes the torn line's place, every
 * line is whole, and the log names the file and what was cut.
 */
static void torn_line_left_by_a_crash(const WCHAR *tag, bool csv, unsigned seed)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    char path_utf8[MAX_PATH * 3], needle[MAX_PATH * 3 + 128], fragment[1024];
    struct tally *t = new_tallies(3, seed, (const unsigned[]){10, 20, 5});
    struct rh_host_dll dll;
    size_t before_len, after_len, log_from, frag_len;
    char *before, *after;
    HANDLE held;

    configure(tag, csv, path);
    wt_set_global_dword(L"RetryMinMs", 50);
    wt_set_global_dword(L"RetryMaxMs", 200);
    replay(seed, 10);
    before = wt_read_file(path, &before_len);
    assert_non_null(before);

    /* While the test holds the file the sink cannot open it: 20 records wait in the journal. */
    held = CreateFileW(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(held != INVALID_HANDLE_VALUE);
    wt_set_global_dword(L"DrainTimeoutMs", 500);
    load(&dll);
    replay_on(&dll, seed + 1, 20);
    rh_host_unload(&dll);
    CloseHandle(held);
    assert_int_equal(wt_file_size(path), before_len);

    /*
     * What their write, cut short, left: a line's start. For CSV, a row cut
     * just after a CRLF in its quoted user cell: the file ends with a CRLF, yet
     * not with a whole row.
     */
    if (csv) {
        const char *row = strstr(before, "\r\n") + 2, *cell = row;

        for (int commas = 0; commas < 7; cell++)
            commas += *cell == ',';
        frag_len = (size_t)snprintf(fragment, sizeof fragment, "%.*s\"mallory\r\n",
                                    (int)(cell - row), row);
    } else {
        frag_len = (size_t)snprintf(fragment, sizeof fragment, "%.100s", before);
    }
    append(path, fragment, frag_len);

    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    wt_set_global_dword(L"DrainTimeoutMs", 60000);
    replay(seed + 2, 5); /* the journal's 20 go out first */

    after = wt_read_file(path, &after_len);
    assert_non_null(after);
    assert_true(after_len > before_len);
    assert_memory_equal(after, before, before_len);
    assert_true(first_is_of(after + before_len, after_len - before_len, csv, seed + 1));
    assert_int_equal(read_records(path, csv, t, 3), 35);
    for (size_t i = 0; i < 3; i++)
        expect_all_seen(&t[i]);
    to_utf8(path, path_utf8, sizeof path_utf8);
    snprintf(needle, sizeof needle, "sink main: file %s did not end with a whole line", path_utf8);
    assert_true(wt_log_contains(log_from, needle));
    snprintf(needle, sizeof needle, "removed its last %zu bytes", frag_len);
    assert_true(wt_log_contains(log_from, needle));
    free(before);
    free(after);
    free(t);
}

static void torn_json_line_is_cut(void **state)
{
    (void)state;
    torn_line_left_by_a_crash(L"torn-json", false, 80);
}

static void torn_csv_row_is_cut(void **state)
{
    (void)state;
    torn_line_left_by_a_crash(L"torn-csv", true, 83);
}

/* A CSV file holding only part of its header: cut to nothing, and the header written again. */
static void torn_csv_header_is_written_again(void **state)
{
    static const char torn[] = "\xEF\xBB\xBF"
                               "event,record_id,ti";
    WCHAR path[MAX_PATH], log[MAX_PATH];
    char needle[64];
    struct tally *t = new_tally(86, 5);
    size_t log_from;

    (void)state;
    configure(L"torn-header", true, path);
    wt_write_file(path, torn);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(86, 5);
    assert_int_equal(read_records(path, true, t, 1), 5); /* from a whole BOM and header */
    expect_all_seen(t);
    snprintf(needle, sizeof needle, "removed its last %zu bytes", sizeof torn - 1);
    assert_true(wt_log_contains(log_from, needle));
    free(t);
}

/*
 * A torn file of an earlier day: cut first, then rotated (the cut is no write:
 * the day is still the one of its last record), so the rotated file is whole.
 */
static void torn_file_is_cut_before_it_is_rotated(void **state)
{
    WCHAR path[MAX_PATH], file[MAX_PATH], log[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    struct tally *t = new_tallies(2, 87, (const unsigned[]){10, 5});
    size_t len, log_from;
    char *text;

    (void)state;
    away_from_midnight();
    configure(L"torn-rotate", false, path);
    wt_set_sink_string(L"main", L"Rotate", REG_SZ, L"daily");
    replay(87, 10);
    text = wt_read_file(path, &len);
    assert_non_null(text);
    append(path, text, 100);
    free(text);
    set_last_write(path, now_ticks() - TICKS_PER_DAY);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(88, 5);

    assert_int_equal(list_rotated(L".jsonl", rot, MAX_FILES), 1);
    join(file, g_dir, rot[0].name);
    assert_int_equal(read_records(file, false, t, 1), 10);
    assert_int_equal(read_records(path, false, &t[1], 1), 5);
    expect_all_seen(&t[0]);
    expect_all_seen(&t[1]);
    assert_true(wt_log_contains(log_from, "removed its last 100 bytes"));
    free(t);
}

/*
 * A file that ends in more than one write of the sink could leave without a
 * line end is no line the sink tore (another program's file, or damage): it
 * is neither cut nor written to, and the log says why.
 */
static void long_tail_is_left_alone(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    size_t len, log_from, tail = 600 * 1024;
    char *text = malloc(tail + 3), *after;

    (void)state;
    assert_non_null(text);
    memset(text, 'x', tail + 2);
    text[0] = '\n'; /* one empty line, then 600 KiB and more that is no line */
    text[tail + 2] = '\0';
    configure(L"long-tail", false, path);
    wt_write_file(path, text);
    wt_set_global_dword(L"DrainTimeoutMs", 500);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(89, 5);
    after = wt_read_file(path, &len);
    assert_non_null(after);
    assert_int_equal(len, tail + 2);
    assert_memory_equal(after, text, len);
    assert_true(wt_log_contains(log_from, "bytes that are no whole line, more than a write of "
                                          "this sink leaves"));
    free(after);
    free(text);
}

/* ----------------------------------------------------------------- full disk */

/*
 * Fills the volume but for `room` bytes and returns the filler; free_volume
 * gives the space back. The volume is with_fixtures.sh's tmpfs, counted in
 * pages: `room` is a multiple of 4096.
 */
static HANDLE fill_volume(const WCHAR *volume, WCHAR *filler, DWORD room)
{
    static char chunk[65536];
    HANDLE h;
    DWORD written = 0;
    LARGE_INTEGER size;
    int i;

    join(filler, volume, L"filler");
    h = CreateFileW(filler, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    memset(chunk, 'x', sizeof chunk);
    for (i = 0; i < 1000; i++)
        if (!WriteFile(h, chunk, sizeof chunk, &written, NULL) || written == 0)
            break;
    if (i == 1000 || GetLastError() != ERROR_DISK_FULL)
        fail_msg("%ls did not fill up (%lu)", volume, GetLastError());
    assert_true(GetFileSizeEx(h, &size));
    size.QuadPart = (size.QuadPart & ~4095LL) - room;
    assert_true(size.QuadPart > 0);
    assert_true(SetFilePointerEx(h, size, NULL, FILE_BEGIN) && SetEndOfFile(h));
    return h;
}

static void free_volume(HANDLE h, const WCHAR *filler)
{
    CloseHandle(h);
    assert_true(DeleteFileW(filler));
}

/*
 * A sink on the small volume writes 10 records, then the volume is filled but
 * for 8 KiB and 40 more records (some 50 KiB) come: each write takes what room
 * there is and fails, for a dozen retries, until the room comes back. False if
 * there is no small volume here. `freed_at` is the log's size when it came back.
 */
static bool full_disk_outage(const WCHAR *tag, unsigned seed, WCHAR *path, size_t *log_from,
                             size_t *freed_at)
{
    WCHAR volume[MAX_PATH], filler[MAX_PATH], log[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"RH_SMALL_DIR", volume, MAX_PATH);
    struct rh_host_dll dll;
    HANDLE h;

    if (n == 0 || n >= MAX_PATH)
        return false;
    configure(tag, false, path);
    join(g_dir, volume, tag);
    wt_remove_tree(g_dir);
    join(path, g_dir, L"records.jsonl");
    wt_set_sink_string(L"main", L"Path", REG_EXPAND_SZ, path);
    wt_set_global_dword(L"RetryMinMs", 50);
    wt_set_global_dword(L"RetryMaxMs", 200);
    replay(seed, 10);

    h = fill_volume(volume, filler, 8192);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    *log_from = wt_file_size(log);
    load(&dll);
    replay_on(&dll, seed + 1, 40);
    for (int i = 0; i < 200 && log_count(*log_from, SIZE_MAX, "sink main: cannot write to") == 0;
         i++)
        Sleep(50);
    Sleep(1500);
    *freed_at = wt_file_size(log);
    free_volume(h, filler);
    wait_for_lines(path, 50);
    rh_host_unload(&dll);
    return true;
}

static void full_disk_leaves_no_torn_line(void **state)
{
    WCHAR path[MAX_PATH];
    struct tally *t = new_tallies(2, 90, (const unsigned[]){10, 40});
    size_t log_from, freed_at;

    (void)state;
    if (!full_disk_outage(L"full-lines", 90, path, &log_from, &freed_at)) {
        free(t);
        skip(); /* no small volume: with_fixtures.sh could not mount one here */
        return;
    }
    /* Every line whole, every record once: each failed write was cut back at once. */
    assert_int_equal(read_records(path, false, t, 2), 50);
    expect_all_seen(&t[0]);
    expect_all_seen(&t[1]);
    assert_true(log_count(log_from, SIZE_MAX, "(112)") > 0); /* ERROR_DISK_FULL */
    assert_int_equal(log_count(log_from, SIZE_MAX, "did not end with a whole line"), 0);
    free(t);
}

static void full_disk_is_reported_once(void **state)
{
    WCHAR path[MAX_PATH];
    char path_utf8[MAX_PATH * 3], failed[MAX_PATH * 3 + 64], again[MAX_PATH * 3 + 64];
    size_t log_from, freed_at;

    (void)state;
    if (!full_disk_outage(L"full-log", 92, path, &log_from, &freed_at)) {
        skip(); /* no small volume: with_fixtures.sh could not mount one here */
        return;
    }
    to_utf8(path, path_utf8, sizeof path_utf8);
    snprintf(failed, sizeof failed, "sink main: cannot write to %s: ", path_utf8);
    snprintf(again, sizeof again, "sink main: file %s is writable again", path_utf8);
    /* Failed once for the outage, though every retry failed; recovered only once a write worked. */
    assert_int_equal(log_count(log_from, SIZE_MAX, failed), 1);
    assert_int_equal(log_count(log_from, freed_at, again), 0);
    assert_int_equal(log_count(freed_at, SIZE_MAX, again), 1);
    assert_true(wt_log_contains(log_from, "sink main: delivering again after"));
}

/* -------------------------------------------------------------------- ACLs */

static bool on_wine(void)
{
    return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
}

/*
 * True if only SYSTEM and Administrators have access to path, with full control,
 * through a protected DACL; otherwise false and why. Wine keeps no ACL: it turns
 * one into Unix mode bits and reports a DACL made from those, without the
 * protection, with the owner for Administrators and Everyone when other users
 * may read. There the check is what Wine can show: SYSTEM, and Administrators or
 * the owner, and nobody else.
 */
static bool only_system_and_admins(const WCHAR *path, char *why, size_t why_size)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    PSID owner = NULL, system = NULL, admins = NULL;
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision, rc;
    bool wine = on_wine(), saw_system = false, saw_admins = false, ok = false;

    rc = GetNamedSecurityInfoW(path, SE_FILE_OBJECT,
                               DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, &owner, NULL,
                               &dacl, NULL, &sd);
    if (rc != ERROR_SUCCESS) {
        snprintf(why, why_size, "GetNamedSecurityInfoW: %lu", rc);
        return false;
    }
    ConvertStringSidToSidW(L"S-1-5-18", &system);
    ConvertStringSidToSidW(L"S-1-5-32-544", &admins);
    GetSecurityDescriptorControl(sd, &control, &revision);
    if (dacl == NULL) {
        snprintf(why, why_size, "no DACL: everyone has access");
        goto out;
    }
    if (!wine && !(control & SE_DACL_PROTECTED)) {
        snprintf(why, why_size, "the DACL is not protected (control %#x)", control);
        goto out;
    }
    for (DWORD i = 0; i < dacl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = NULL;
        PSID sid;
        WCHAR *text = NULL;

        GetAce(dacl, i, (void **)&ace);
        sid = (PSID)&ace->SidStart;
        ConvertSidToStringSidW(sid, &text);
        if (ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE || ace->Mask != FILE_ALL_ACCESS ||
            (ace->Header.AceFlags & INHERITED_ACE)) {
            snprintf(why, why_size, "entry %lu for %ls: type %u, flags %#x, mask %#lx", i, text,
                     ace->Header.AceType, ace->Header.AceFlags, ace->Mask);
            LocalFree(text);
            goto out;
        }
        if (EqualSid(sid, system)) {
            saw_system = true;
        } else if (EqualSid(sid, admins) || (wine && EqualSid(sid, owner))) {
            saw_admins = true;
        } else {
            snprintf(why, why_size, "an entry for %ls", text);
            LocalFree(text);
            goto out;
        }
        LocalFree(text);
    }
    ok = saw_system && saw_admins;
    if (!ok)
        snprintf(why, why_size, "SYSTEM or Administrators missing");
out:
    LocalFree(system);
    LocalFree(admins);
    LocalFree(sd);
    return ok;
}

static void expect_private(const WCHAR *path)
{
    char why[512];

    if (!only_system_and_admins(path, why, sizeof why))
        fail_msg("%ls: %s", path, why);
}

static void created_files_and_folder_are_private(void **state)
{
    WCHAR path[MAX_PATH], sub[MAX_PATH], file[MAX_PATH], plain[MAX_PATH];
    static struct rotated rot[MAX_FILES];
    char why[512];

    (void)state;
    away_from_midnight();
    configure(L"acl", false, path);
    /* The check can fail: a file made with the default ACL does not pass it. */
    touch(g_dir, L"plain.txt");
    join(plain, g_dir, L"plain.txt");
    assert_false(only_system_and_admins(plain, why, sizeof why));

    join(sub, g_dir, L"private");
    join(path, sub, L"records.jsonl");
    wt_set_sink_string(L"main", L"Path", REG_EXPAND_SZ, path);
    wt_set_sink_string(L"main", L"Rotate", REG_SZ, L"daily");
    replay(60, 5);
    expect_private(sub);
    expect_private(path);

    /* A rotated file keeps the ACL; the new live file gets it again. */
    set_last_write(path, now_ticks() - TICKS_PER_DAY);
    replay(61, 5);
    wcscpy_s(g_dir, MAX_PATH, sub);
    assert_int_equal(list_rotated(L".jsonl", rot, MAX_FILES), 1);
    join(file, sub, rot[0].name);
    expect_private(file);
    expect_private(path);
}

/* ------------------------------------------------------------- bad values */

static void bad_values_are_named(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    size_t log_from;
    struct tally *t = new_tally(70, 10);
    static const struct {
        const WCHAR *sink, *value;
        DWORD number;
        const char *message;
    } cases[] = {
        {L"hourly", L"Rotate", 0,
         "Sinks\\hourly: value Rotate: \"hourly\" is not never, daily, weekly or monthly"},
        {L"huge", L"RotateSizeMB", 1048577,
         "Sinks\\huge: value RotateSizeMB: 1048577 is not 0 to 1048576"},
        {L"many", L"KeepFiles", 100001, "Sinks\\many: value KeepFiles: 100001 is not 0 to 100000"},
        {L"ancient", L"KeepDays", 36501, "Sinks\\ancient: value KeepDays: 36501 is not 0 to 36500"},
        {L"pipe", L"KeepFiles", 3,
         "Sinks\\pipe: value KeepFiles: Path \"\\\\.\\pipe\\rashangup-test\" is a named pipe, "
         "which has no files to rotate or delete"},
    };

    (void)state;
    configure(L"bad", false, path);
    wt_set_sink_dword(L"main", L"RotateSizeMB", 1048576); /* the largest allowed */
    wt_set_sink_dword(L"main", L"KeepFiles", 100000);
    wt_set_sink_dword(L"main", L"KeepDays", 36500);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WCHAR file[MAX_PATH];

        join(file, g_dir, cases[i].sink);
        wt_set_sink_string(cases[i].sink, L"Type", REG_SZ, L"file");
        wt_set_sink_string(cases[i].sink, L"Path", REG_SZ,
                           wcscmp(cases[i].sink, L"pipe") == 0 ? L"\\\\.\\pipe\\rashangup-test"
                                                               : file);
        if (cases[i].number == 0)
            wt_set_sink_string(cases[i].sink, cases[i].value, REG_SZ, cases[i].sink);
        else
            wt_set_sink_dword(cases[i].sink, cases[i].value, cases[i].number);
    }
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(70, 10);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(wt_log_contains(log_from, cases[i].message));
    assert_int_equal(read_records(path, false, t, 1), 10);
    expect_all_seen(t);
    free(t);
}

static int teardown(void **state)
{
    WCHAR journal[MAX_PATH];

    (void)state;
    wt_reset_config();
    /* Records a test left undelivered must not reach the next test's sink "main". */
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    if (g_dir[0] != L'\0' && wcscmp(g_dir, g_root) != 0 &&
        wcsncmp(g_dir, g_root, wcslen(g_root)) != 0)
        wt_remove_tree(g_dir); /* on the small volume */
    g_dir[0] = L'\0';
    if (g_root[0] != L'\0') {
        empty_dir(g_root);
        RemoveDirectoryW(g_root);
        g_root[0] = L'\0';
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(size_limit_json, teardown),
        cmocka_unit_test_teardown(size_limit_csv, teardown),
        cmocka_unit_test_teardown(keep_files_keeps_the_newest, teardown),
        cmocka_unit_test_teardown(names_sort_after_those_of_the_same_second, teardown),
        cmocka_unit_test_teardown(keep_days_judges_age_by_name, teardown),
        cmocka_unit_test_teardown(daily_rotation, teardown),
        cmocka_unit_test_teardown(weekly_rotation, teardown),
        cmocka_unit_test_teardown(monthly_rotation, teardown),
        cmocka_unit_test_teardown(blocked_rename_is_reported_once_and_retried, teardown),
        cmocka_unit_test_teardown(torn_json_line_is_cut, teardown),
        cmocka_unit_test_teardown(torn_csv_row_is_cut, teardown),
        cmocka_unit_test_teardown(torn_csv_header_is_written_again, teardown),
        cmocka_unit_test_teardown(torn_file_is_cut_before_it_is_rotated, teardown),
        cmocka_unit_test_teardown(long_tail_is_left_alone, teardown),
        cmocka_unit_test_teardown(full_disk_leaves_no_torn_line, teardown),
        cmocka_unit_test_teardown(full_disk_is_reported_once, teardown),
        cmocka_unit_test_teardown(created_files_and_folder_are_private, teardown),
        cmocka_unit_test_teardown(bad_values_are_named, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
