/* SPDX-License-Identifier: MIT */
/*
 * The journal file at start, under Wine: one that cannot be had now (another
 * program holds it, it cannot be mapped) is left as it is and its records go out
 * at a later start; one on a full disk is used as it is; one that is damaged is
 * set aside as journal.dat.bad-<ms> and its records are salvaged and delivered.
 *
 * Records are journaled while the file sink "main" is down (a plain file stands
 * where its folder must go), so that they are all still in the journal when the
 * DLL stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <cmocka.h>

#include "host.h"
#include "json_check.h"
#include "wintest.h"

#define RECORDS 100

struct sink_dir {
    WCHAR dir[MAX_PATH];     /* the test's own folder */
    WCHAR blocker[MAX_PATH]; /* a file standing where the sink's folder must go */
    WCHAR path[MAX_PATH];    /* the sink's records */
};

static char *lines[4 * RECORDS];

/* A fresh configuration, and one file sink "main" behind a blocker. */
static void setup_down_sink(const WCHAR *tag, struct sink_dir *s)
{
    HANDLE h;

    wt_fresh_config();
    wt_make_temp_dir(tag, s->dir, MAX_PATH);
    _snwprintf(s->blocker, MAX_PATH, L"%ls\\out", s->dir);
    _snwprintf(s->path, MAX_PATH, L"%ls\\out\\records.jsonl", s->dir);
    h = CreateFileW(s->blocker, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, s->path);
    wt_set_global_dword(L"DrainTimeoutMs", 300);
}

static void sink_up(struct sink_dir *s)
{
    assert_true(DeleteFileW(s->blocker));
    wt_set_global_dword(L"DrainTimeoutMs", 5000);
}

/* One start of the DLL: `count` connections of `seed` replayed, then the stop (and drain). */
static void run(unsigned seed, unsigned count)
{
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    if (count > 0) {
        assert_int_equal(rh_host_replay(&dll, 1, seed, count, 2, true, &stats), NO_ERROR);
        assert_int_equal(stats.connections, (LONG)count);
    }
    rh_host_unload(&dll);
}

/* Fails unless the records file holds each connection of `seed` exactly once, in order. */
static void assert_each_record_once(const WCHAR *path, unsigned seed)
{
    unsigned seen[RECORDS] = {0};
    char last_id[40] = "";
    size_t len, n;
    char *text = wt_read_file(path, &len);

    if (text == NULL)
        fail_msg("no records were delivered");
    n = wt_split_lines(text, lines, 4 * RECORDS);
    for (size_t i = 0; i < n; i++) {
        char id[64];
        unsigned long d1, d2, d3, index;

        assert_true(jc_valid(lines[i], strlen(lines[i])));
        assert_int_equal(jc_get(lines[i], strlen(lines[i]), "connection_id", id, sizeof id),
                         JC_STRING);
        assert_int_equal(sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        assert_int_equal(d1, 0x5eed0000ul + seed);
        index = (d2 << 16) | d3;
        assert_true(index < RECORDS);
        seen[index]++;
        /* Record ids grow in journal order: a salvage keeps them, and that order. */
        assert_int_equal(jc_get(lines[i], strlen(lines[i]), "record_id", id, sizeof id), JC_STRING);
        if (strcmp(last_id, id) >= 0)
            fail_msg("record %s comes after %s", id, last_id);
        snprintf(last_id, sizeof last_id, "%s", id);
    }
    free(text);
    for (unsigned i = 0; i < RECORDS; i++)
        if (seen[i] != 1)
            fail_msg("connection %u has %u records (of %zu lines)", i, seen[i], n);
}

/* How many journal.dat.bad-* files the journal folder of `journal` holds. */
static unsigned count_set_aside(const WCHAR *journal)
{
    WCHAR pattern[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE find;
    unsigned n = 0;

    _snwprintf(pattern, MAX_PATH, L"%ls.bad-*", journal);
    pattern[MAX_PATH - 1] = L'\0';
    find = FindFirstFileW(pattern, &fd);
    if (find == INVALID_HANDLE_VALUE)
        return 0;
    do
        n++;
    while (FindNextFileW(find, &fd));
    FindClose(find);
    return n;
}

static void delete_set_aside(const WCHAR *journal)
{
    WCHAR pattern[MAX_PATH], dir[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE find;
    WCHAR *slash;

    _snwprintf(pattern, MAX_PATH, L"%ls.bad-*", journal);
    pattern[MAX_PATH - 1] = L'\0';
    wcsncpy(dir, journal, MAX_PATH - 1);
    dir[MAX_PATH - 1] = L'\0';
    slash = wcsrchr(dir, L'\\');
    if (slash != NULL)
        *slash = L'\0';
    find = FindFirstFileW(pattern, &fd);
    if (find == INVALID_HANDLE_VALUE)
        return;
    do {
        _snwprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
        path[MAX_PATH - 1] = L'\0';
        DeleteFileW(path);
    } while (FindNextFileW(find, &fd));
    FindClose(find);
}

static void default_journal(WCHAR *out)
{
    wt_program_data_file(L"journal\\journal.dat", out, MAX_PATH);
}

/* A journal.dat holding RECORDS undelivered records of `seed`; returns a copy of its bytes. */
static char *journal_with_records(const WCHAR *journal, unsigned seed, size_t *len)
{
    char *copy;

    run(seed, RECORDS);
    copy = wt_read_file(journal, len);
    assert_non_null(copy);
    assert_true(*len > 0);
    return copy;
}

static void journal_held_open_elsewhere_is_left_alone_then_delivered(void **state)
{
    struct sink_dir s;
    WCHAR journal[MAX_PATH], log[MAX_PATH];
    size_t len, len_after, log_from;
    char *before, *after;
    HANDLE held;

    (void)state;
    setup_down_sink(L"held", &s);
    default_journal(journal);
    before = journal_with_records(journal, 41, &len);

    /* Another handle holds the file, sharing nothing, across a start (as a backup would). */
    held = CreateFileW(journal, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(held != INVALID_HANDLE_VALUE);
    sink_up(&s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    run(0, 0);
    CloseHandle(held);

    /* The file is as it was, under its name; the log names it and the system's reason. */
    after = wt_read_file(journal, &len_after);
    assert_non_null(after);
    assert_int_equal(len_after, len);
    assert_memory_equal(after, before, len);
    assert_int_equal(count_set_aside(journal), 0);
    assert_true(wt_log_contains(log_from, "journal.dat: "));
    assert_true(wt_log_contains(log_from, "(32); records are kept in memory only"));
    assert_int_equal(wt_file_size(s.path), 0);

    /* The next start has it again, and delivers what it held. */
    run(0, 0);
    assert_each_record_once(s.path, 41);
    assert_int_equal(count_set_aside(journal), 0);
    free(before);
    free(after);
}

/* S:\journal\journal.dat and its folder on the small volume, as JournalPath; false: none here. */
static bool journal_on_small_volume(WCHAR *journal, WCHAR *filler)
{
    WCHAR small[MAX_PATH], dir[MAX_PATH];
    DWORD n = GetEnvironmentVariableW(L"RH_SMALL_DIR", small, MAX_PATH);

    if (n == 0 || n >= MAX_PATH)
        return false;
    _snwprintf(dir, MAX_PATH, L"%ls\\journal", small);
    _snwprintf(journal, MAX_PATH, L"%ls\\journal.dat", dir);
    _snwprintf(filler, MAX_PATH, L"%ls\\filler", small);
    dir[MAX_PATH - 1] = journal[MAX_PATH - 1] = filler[MAX_PATH - 1] = L'\0';
    DeleteFileW(filler);
    delete_set_aside(journal);
    DeleteFileW(journal);
    wt_set_global_string(L"JournalPath", REG_SZ, dir);
    wt_set_global_dword(L"JournalSizeMB", 1);
    return true;
}

static void set_size(const WCHAR *path, ULONGLONG size)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER at;

    assert_true(h != INVALID_HANDLE_VALUE);
    at.QuadPart = (LONGLONG)size;
    assert_true(SetFilePointerEx(h, at, NULL, FILE_BEGIN));
    assert_true(SetEndOfFile(h));
    CloseHandle(h);
}

/*
 * A full disk. Growing a file on it fails, so a journal that is there must be
 * mapped at the size it has, never given one (Wine gives a file its size by
 * writing past its end). Needs the small volume of tests/win/with_fixtures.sh.
 */
static void journal_on_a_full_disk_is_not_set_aside(void **state)
{
    struct sink_dir s;
    WCHAR journal[MAX_PATH], filler[MAX_PATH], log[MAX_PATH];
    static char chunk[65536];
    size_t len, log_from;
    char *copy;
    DWORD io;
    HANDLE h;

    (void)state;
    setup_down_sink(L"full", &s);
    if (!journal_on_small_volume(journal, filler)) {
        skip(); /* with_fixtures.sh could not mount the small volume here */
        return;
    }
    copy = journal_with_records(journal, 42, &len);

    /* Every page of the journal written, so that the full disk does not refuse one later. */
    h = CreateFileW(journal, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true(WriteFile(h, copy, (DWORD)len, &io, NULL) && io == len);
    CloseHandle(h);
    free(copy);
    /* Then the disk filled to its last byte. */
    h = CreateFileW(filler, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    for (DWORD size = sizeof chunk; size > 0; size /= 16)
        while (WriteFile(h, chunk, size, &io, NULL) && io == size)
            ;
    CloseHandle(h);
    h = CreateFileW(filler, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    SetFilePointer(h, 0, NULL, FILE_END);
    assert_false(WriteFile(h, chunk, 4096, &io, NULL) && io == 4096);
    CloseHandle(h);

    sink_up(&s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    run(0, 0);
    DeleteFileW(filler);

    assert_int_equal(count_set_aside(journal), 0);
    assert_int_equal(wt_file_size(journal), len);
    assert_each_record_once(s.path, 42);
    assert_false(wt_log_contains(log_from, "is damaged"));
    DeleteFileW(journal);
}

/*
 * A journal this process cannot map (no address space for it: a 1 PiB file, on a
 * volume that holds one sparse) is not damage: it is left as it is, and the log
 * says why; once it can be mapped again, its records go out.
 */
static void journal_that_cannot_be_mapped_is_left_alone_then_delivered(void **state)
{
    struct sink_dir s;
    WCHAR journal[MAX_PATH], filler[MAX_PATH], log[MAX_PATH];
    const ULONGLONG huge = 1ull << 50;
    size_t len, len_after, log_from;
    char *before, *after;

    (void)state;
    setup_down_sink(L"unmappable", &s);
    if (!journal_on_small_volume(journal, filler)) {
        skip(); /* with_fixtures.sh could not mount the small volume here */
        return;
    }
    before = journal_with_records(journal, 44, &len);
    set_size(journal, huge);

    sink_up(&s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    run(0, 0);
    assert_int_equal(count_set_aside(journal), 0);
    assert_true(wt_file_size(journal) == huge);
    assert_true(wt_log_contains(log_from, "cannot map journal S:\\journal\\journal.dat "
                                          "(1125899906842624 bytes): "));
    assert_true(wt_log_contains(log_from, "; it is left as it is, for the next start; records "
                                          "are kept in memory only"));
    assert_int_equal(wt_file_size(s.path), 0);

    /* Mappable again: the same file, as it was, and its records delivered. */
    set_size(journal, len);
    after = wt_read_file(journal, &len_after);
    assert_non_null(after);
    assert_int_equal(len_after, len);
    assert_memory_equal(after, before, len);
    run(0, 0);
    assert_each_record_once(s.path, 44);
    assert_int_equal(count_set_aside(journal), 0);
    DeleteFileW(journal);
    free(before);
    free(after);
}

/*
 * A journal larger than its volume. Made sparse (as Wine makes any file it
 * extends), its first write through the mapping past the volume's space would
 * fault and end the process, RRAS with it. It is allocated whole, or refused
 * with the system's reason, and records are kept in memory: the host lives and
 * delivers them.
 */
static void journal_larger_than_its_volume_is_refused_not_faulted(void **state)
{
    struct sink_dir s;
    WCHAR journal[MAX_PATH], filler[MAX_PATH], log[MAX_PATH];
    size_t log_from;

    (void)state;
    setup_down_sink(L"toolarge", &s);
    if (!journal_on_small_volume(journal, filler)) {
        skip(); /* with_fixtures.sh could not mount the small volume here */
        return;
    }
    wt_set_global_dword(L"JournalSizeMB", 16); /* the volume has 4 MiB */
    sink_up(&s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    run(45, RECORDS);
    assert_each_record_once(s.path, 45);
    assert_true(wt_log_contains(log_from, "cannot create journal S:\\journal\\journal.dat of "
                                          "16777216 bytes: "));
    assert_true(wt_log_contains(log_from, "records are kept in memory only"));
    /* Nothing of it is left to be taken for a journal at the next start. */
    assert_true(wt_file_size(journal) == 0);
    DeleteFileW(journal);
}

static void damaged_journal_is_set_aside_and_its_records_delivered(void **state)
{
    struct sink_dir s;
    WCHAR journal[MAX_PATH], log[MAX_PATH];
    char expect[64];
    size_t len, log_from;
    DWORD io;
    HANDLE h;

    (void)state;
    setup_down_sink(L"damaged", &s);
    default_journal(journal);
    delete_set_aside(journal);
    free(journal_with_records(journal, 43, &len));

    /* The header's magic overwritten, as a bad sector or a stray write would. */
    h = CreateFileW(journal, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true(WriteFile(h, "garbage!", 8, &io, NULL) && io == 8);
    CloseHandle(h);

    sink_up(&s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    run(0, 0);

    assert_each_record_once(s.path, 43);
    assert_int_equal(count_set_aside(journal), 1);
    assert_int_equal(wt_file_size(journal), len); /* a new journal, of the configured size */
    assert_true(wt_log_contains(log_from, "is damaged or of another version"));
    snprintf(expect, sizeof expect, "%d record(s) salvaged from ", RECORDS);
    assert_true(wt_log_contains(log_from, expect));
    assert_true(wt_log_contains(log_from, "0 damaged entry(ies) skipped"));

    /* Delivered once: the next start neither salvages again nor delivers again. */
    run(0, 0);
    assert_int_equal(count_set_aside(journal), 1);
    assert_each_record_once(s.path, 43);
    delete_set_aside(journal);
}

static int teardown(void **state)
{
    WCHAR journal[MAX_PATH];

    (void)state;
    wt_reset_config();
    default_journal(journal);
    DeleteFileW(journal);
    delete_set_aside(journal);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(journal_held_open_elsewhere_is_left_alone_then_delivered,
                                  teardown),
        cmocka_unit_test_teardown(journal_on_a_full_disk_is_not_set_aside, teardown),
        cmocka_unit_test_teardown(journal_that_cannot_be_mapped_is_left_alone_then_delivered,
                                  teardown),
        cmocka_unit_test_teardown(journal_larger_than_its_volume_is_refused_not_faulted, teardown),
        cmocka_unit_test_teardown(damaged_journal_is_set_aside_and_its_records_delivered, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
