/* SPDX-License-Identifier: MIT */
/*
 * Live configuration: sinks added, changed and removed in the registry while
 * rrashost drives connections through the DLL apply within seconds, without
 * restarting it, and no record is lost: every connection reaches every sink
 * that was configured while it hung up.
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

#define MAX_LINES 8192
#define COUNT     200

static char *lines[MAX_LINES];

/* How many records of scenario `seed` each file holds, per connection index. */
static void tally(const WCHAR *path, unsigned seed, unsigned *per_index)
{
    size_t len, n;
    char *text = wt_read_file(path, &len);

    memset(per_index, 0, COUNT * sizeof *per_index);
    if (text == NULL)
        return;
    /* The sink may be writing: a last line without its newline is not there yet. */
    while (len > 0 && text[len - 1] != '\n')
        text[--len] = '\0';
    n = wt_split_lines(text, lines, MAX_LINES);
    for (size_t i = 0; i < n; i++) {
        char id[64];
        unsigned long d1, d2, d3;

        assert_int_equal(jc_get(lines[i], strlen(lines[i]), "connection_id", id, sizeof id),
                         JC_STRING);
        assert_int_equal(sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        if (d1 == 0x5eed0000ul + seed && ((d2 << 16) | d3) < COUNT)
            per_index[(d2 << 16) | d3]++;
    }
    free(text);
}

/* Every connection of `seed` exactly `want` times across the files given. */
static void expect_all(unsigned seed, unsigned want, const WCHAR *a, const WCHAR *b)
{
    unsigned x[COUNT], y[COUNT];

    tally(a, seed, x);
    if (b != NULL)
        tally(b, seed, y);
    else
        memset(y, 0, sizeof y);
    for (unsigned i = 0; i < COUNT; i++)
        if (x[i] + y[i] != want)
            fail_msg("scenario %u, connection %u: %u record(s), expected %u", seed, i, x[i] + y[i],
                     want);
}

/* Waits (at most 10 s) until the DLL says it applied a change made after log offset `from`. */
static void wait_applied(size_t from)
{
    for (int i = 0; i < 200 && !wt_log_contains(from, "configuration applied"); i++)
        Sleep(50);
    assert_true(wt_log_contains(from, "configuration applied"));
}

static void sinks_added_changed_and_removed_live_lose_nothing(void **state)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    WCHAR dir[MAX_PATH], a[MAX_PATH], b[MAX_PATH], b2[MAX_PATH], log[MAX_PATH], journal[MAX_PATH];
    size_t from;

    (void)state;
    wt_reset_config();
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_make_temp_dir(L"live", dir, MAX_PATH);
    _snwprintf(a, MAX_PATH, L"%ls\\a.jsonl", dir);
    _snwprintf(b, MAX_PATH, L"%ls\\b.jsonl", dir);
    _snwprintf(b2, MAX_PATH, L"%ls\\b2.jsonl", dir);
    wt_set_sink_string(L"a", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"a", L"Path", REG_SZ, a);

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 81, COUNT, 4, true, &stats), NO_ERROR);

    /* A second sink, added while connections come and go. */
    from = wt_file_size(log);
    wt_set_sink_string(L"b", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"b", L"Path", REG_SZ, b);
    wait_applied(from);
    assert_true(wt_log_contains(from, "1 sink(s) unchanged, 0 stopped, 1 started"));
    assert_int_equal(rh_host_replay(&dll, 1, 82, COUNT, 4, true, &stats), NO_ERROR);

    /* A sink removed stops where it is: let it deliver what it had first. */
    for (int i = 0; i < 200; i++) {
        unsigned x[COUNT], missing = 0;

        tally(a, 82, x);
        for (unsigned k = 0; k < COUNT; k++)
            missing += x[k] == 0;
        if (missing == 0)
            break;
        Sleep(50);
    }

    /* The first removed, the second moved to another file: it goes on from its cursor. */
    from = wt_file_size(log);
    RegDeleteKeyW(HKEY_LOCAL_MACHINE, WT_CONFIG_KEY L"\\Sinks\\a");
    wt_set_sink_string(L"b", L"Path", REG_SZ, b2);
    wait_applied(from);
    assert_int_equal(rh_host_replay(&dll, 1, 83, COUNT, 4, true, &stats), NO_ERROR);

    /* A bad value live: reported, that sink off, the other runs on. */
    from = wt_file_size(log);
    wt_set_sink_string(L"c", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"c", L"Format", REG_SZ, L"xml");
    wait_applied(from);
    assert_true(wt_log_contains(from, "Sinks\\c: value Format"));
    assert_int_equal(rh_host_replay(&dll, 1, 84, COUNT, 4, true, &stats), NO_ERROR);
    rh_host_unload(&dll);

    expect_all(81, 1, a, NULL);
    expect_all(82, 1, a, NULL);
    expect_all(83, 0, a, NULL);
    expect_all(82, 1, b, b2);
    expect_all(83, 1, b, b2);
    expect_all(84, 1, b, b2);
}

/* status.json as the DLL last wrote it (NULL if none). */
static char *read_status(void)
{
    WCHAR path[MAX_PATH];
    size_t len;

    wt_program_data_file(L"journal\\status.json", path, MAX_PATH);
    return wt_read_file(path, &len);
}

/* Waits (at most 10 s) until status.json holds `needle`; true if it did. */
static bool wait_status(const char *needle)
{
    for (int i = 0; i < 200; i++) {
        char *text = read_status();
        bool found = text != NULL && strstr(text, needle) != NULL;

        free(text);
        if (found)
            return true;
        Sleep(50);
    }
    return false;
}

/*
 * A sink whose configuration becomes invalid keeps its journal cursor: the
 * records that come while it cannot run are kept (status.json shows them
 * pending, and why the sink does not run), and delivered once it is fixed.
 * A disabled sink (Enabled = 0) is shown as such.
 */
static void a_sink_with_a_bad_value_keeps_its_backlog_until_fixed(void **state)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    WCHAR dir[MAX_PATH], out[MAX_PATH], log[MAX_PATH], journal[MAX_PATH];
    char *status;
    bool shown, said, disabled;
    size_t from;

    (void)state;
    wt_reset_config();
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_make_temp_dir(L"held", dir, MAX_PATH);
    _snwprintf(out, MAX_PATH, L"%ls\\out.jsonl", dir);
    wt_set_sink_string(L"s", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"s", L"Path", REG_SZ, out);
    wt_set_sink_string(L"off", L"Type", REG_SZ, L"file");
    wt_set_sink_dword(L"off", L"Enabled", 0);

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 85, COUNT, 4, true, &stats), NO_ERROR);

    /* A typo: the sink stops, and what comes meanwhile waits for it in the journal. */
    from = wt_file_size(log);
    wt_set_sink_string(L"s", L"Format", REG_SZ, L"jsno");
    wait_applied(from);
    assert_true(wt_log_contains(from, "Sinks\\s: value Format"));
    said = wt_log_contains(from, "the journal keeps its records until it is fixed");
    assert_int_equal(rh_host_replay(&dll, 1, 86, COUNT, 4, true, &stats), NO_ERROR);
    shown = wait_status("\"name\":\"s\",\"type\":\"file\",\"state\":\"invalid\"") &&
            wait_status("\"pending\":200,");
    status = read_status();

    /* Fixed a moment later: its backlog is delivered, then what comes next. */
    from = wt_file_size(log);
    wt_set_sink_string(L"s", L"Format", REG_SZ, L"json");
    wait_applied(from);
    assert_int_equal(rh_host_replay(&dll, 1, 87, COUNT, 4, true, &stats), NO_ERROR);
    disabled = wait_status("\"name\":\"off\",\"type\":null,\"state\":\"disabled\"");
    rh_host_unload(&dll);

    expect_all(85, 1, out, NULL);
    expect_all(86, 1, out, NULL);
    expect_all(87, 1, out, NULL);
    assert_true(said);
    assert_true(disabled);
    if (!shown || strstr(status, "\"reason\":\"value Format:") == NULL)
        fail_msg("status.json did not show the held sink's backlog and why:\n%s", status);
    free(status);
}

/*
 * A warning that comes again within 10 s (here: a bad global value, read at
 * start and at each reload) is written once and counted; the count is said.
 */
static void a_repeated_warning_is_counted_not_written_again(void **state)
{
    static struct rh_host_dll dll;
    WCHAR dir[MAX_PATH], a[MAX_PATH];
    const char *bad = "ERROR (event 200) HKLM\\SOFTWARE\\RasHangup: value RetryMinMs: 5 is not 10 "
                      "to 600000";
    size_t from;

    (void)state;
    wt_reset_config();
    wt_make_temp_dir(L"repeat", dir, MAX_PATH);
    _snwprintf(a, MAX_PATH, L"%ls\\a.jsonl", dir);
    wt_set_sink_string(L"a", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"a", L"Path", REG_SZ, a);
    wt_set_global_dword(L"RetryMinMs", 5);
    from = wt_log_size();
    wt_load(&dll, RH_HOST_MODEL_AUTO);
    for (int round = 0; round < 2; round++) {
        size_t at = wt_log_size();

        wt_set_global_dword(L"StatusIntervalMs", 20000 + (DWORD)round); /* a change: a reload */
        wait_applied(at);
    }
    rh_host_unload(&dll);
    assert_int_equal(wt_log_count(from, bad), 1);
    assert_true(wt_log_contains(from, "came 2 more time(s) in "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(sinks_added_changed_and_removed_live_lose_nothing, wt_teardown),
        cmocka_unit_test_teardown(a_repeated_warning_is_counted_not_written_again, wt_teardown),
        cmocka_unit_test_teardown(a_sink_with_a_bad_value_keeps_its_backlog_until_fixed,
                                  wt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
