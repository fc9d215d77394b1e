/* SPDX-License-Identifier: MIT */
/*
 * Never block, never lose: the journal and the sinks' workers under Wine, with
 * real files, a real named pipe and a real process kill.
 *
 * A sink is taken "down" by putting a plain file where its folder must go: it
 * cannot open its file until the test removes the blocker, as when a volume or a
 * share comes back.
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
#include "journal.h"
#include "json_check.h"
#include "text.h"
#include "wintest.h"

#define MAX_LINES 8192

static char *lines[MAX_LINES];
static char ids[MAX_LINES][40];

struct sink_dir {
    WCHAR dir[MAX_PATH];     /* the test's own folder */
    WCHAR blocker[MAX_PATH]; /* a file standing where the sink's folder must go */
    WCHAR path[MAX_PATH];    /* the sink's records */
};

static void journal_file(WCHAR *out)
{
    wt_program_data_file(L"journal\\journal.dat", out, MAX_PATH);
}

/* A fresh configuration and journal, and one file sink "main" behind a blocker. */
static void setup_down_sink(const WCHAR *tag, struct sink_dir *s)
{
    WCHAR journal[MAX_PATH];
    HANDLE h;

    wt_reset_config();
    journal_file(journal);
    DeleteFileW(journal);
    wt_make_temp_dir(tag, s->dir, MAX_PATH);
    _snwprintf(s->blocker, MAX_PATH, L"%ls\\out", s->dir);
    _snwprintf(s->path, MAX_PATH, L"%ls\\out\\records.jsonl", s->dir);
    DeleteFileW(s->path);
    RemoveDirectoryW(s->blocker);
    h = CreateFileW(s->blocker, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, s->path);
    wt_set_global_dword(L"RetryMinMs", 20);
    wt_set_global_dword(L"RetryMaxMs", 100);
    wt_set_global_dword(L"DrainTimeoutMs", 300);
}

static void sink_up(struct sink_dir *s)
{
    assert_true(DeleteFileW(s->blocker));
}

static struct rh_host_dll *load(void)
{
    static struct rh_host_dll dll;
    char err[512] = "";

    if (rh_host_load(&dll, L"rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
    return &dll;
}

static void replay(struct rh_host_dll *dll, unsigned seed, unsigned count, unsigned threads,
                   bool serialized, LONG *refused)
{
    struct rh_replay_stats stats = {0};

    assert_int_equal(rh_host_replay(dll, 1, seed, count, threads, serialized, &stats), NO_ERROR);
    assert_int_equal(stats.connections, (LONG)count);
    if (refused != NULL)
        *refused = stats.refused;
    else
        assert_int_equal(stats.refused, 0);
}

/*
 * Reads the records file: every line valid JSON, ids unique unless duplicates are
 * allowed. Fills seen[index] (how often each connection of `seed` appears) and
 * returns the number of lines; ids[] holds the record ids in file order.
 */
static size_t read_records(const WCHAR *path, unsigned seed, unsigned *seen, unsigned count)
{
    size_t len, n;
    char *text = wt_read_file(path, &len);

    if (text == NULL)
        return 0;
    n = wt_split_lines(text, lines, MAX_LINES);
    for (size_t i = 0; i < n; i++) {
        char id[64];
        unsigned long d1, d2, d3;
        unsigned index;

        if (!jc_valid(lines[i], strlen(lines[i])))
            fail_msg("line %zu is not JSON: %s", i + 1, lines[i]);
        assert_int_equal(jc_get(lines[i], strlen(lines[i]), "connection_id", id, sizeof id),
                         JC_STRING);
        assert_int_equal(sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        assert_int_equal(d1, 0x5eed0000ul + seed);
        index = (unsigned)((d2 << 16) | d3);
        assert_true(index < count);
        seen[index]++;
        assert_int_equal(jc_get(lines[i], strlen(lines[i]), "record_id", ids[i], sizeof ids[i]),
                         JC_STRING);
    }
    free(text);
    return n;
}

static void sink_down_then_back_loses_nothing_and_keeps_order(void **state)
{
    struct sink_dir s;
    struct rh_host_dll *dll;
    unsigned seen[400] = {0};
    WCHAR log[MAX_PATH];
    size_t log_from;

    (void)state;
    setup_down_sink(L"downback", &s);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    dll = load();
    replay(dll, 31, 400, 4, false, NULL); /* four threads at once: the journal orders them */
    Sleep(200);                           /* the sink fails and retries meanwhile */
    assert_int_equal(wt_file_size(s.path), 0);
    sink_up(&s);
    wt_set_global_dword(L"DrainTimeoutMs", 5000);
    rh_host_unload(dll); /* the drain at terminate delivers the backlog */

    assert_int_equal(read_records(s.path, 31, seen, 400), 400);
    for (unsigned i = 0; i < 400; i++)
        if (seen[i] != 1)
            fail_msg("connection %u recorded %u times", i, seen[i]);
    /* Record ids grow in journal order: the file is in that order. */
    for (size_t i = 1; i < 400; i++)
        if (strcmp(ids[i - 1], ids[i]) >= 0)
            fail_msg("record %zu (%s) is out of order after %s", i, ids[i], ids[i - 1]);
    assert_true(wt_log_contains(log_from, "sink main: delivery failed; retrying with backoff"));
    assert_true(wt_log_contains(log_from, "sink main: delivering again after"));
}

/* Runs rrashost.exe with arguments; returns its handle, or waits for it if `wait`. */
static HANDLE spawn(const WCHAR *args, bool wait, DWORD *exit_code)
{
    WCHAR cmd[1024];
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    WCHAR dll[MAX_PATH];

    GetFullPathNameW(L"rashangup.dll", MAX_PATH, dll, NULL);
    _snwprintf(cmd, 1024, L"rrashost.exe --replay --dll \"%ls\" %ls", dll, args);
    cmd[1023] = L'\0';
    assert_true(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    CloseHandle(pi.hThread);
    if (!wait)
        return pi.hProcess;
    assert_int_equal(WaitForSingleObject(pi.hProcess, 120000), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, exit_code);
    CloseHandle(pi.hProcess);
    return NULL;
}

static void killed_mid_burst_delivers_everything_after_restart(void **state)
{
    struct sink_dir s;
    WCHAR ack_path[MAX_PATH], args[512];
    HANDLE proc;
    DWORD code = 99;
    unsigned *seen = calloc(20000, sizeof *seen);
    size_t len, acked = 0, n;
    char *acks;
    unsigned dups = 0;

    (void)state;
    setup_down_sink(L"kill", &s);
    _snwprintf(ack_path, MAX_PATH, L"%ls\\acks.txt", s.dir);
    DeleteFileW(ack_path);
    _snwprintf(args, 512, L"--connections 20000 --threads 4 --seed 32 --ack-file \"%ls\"",
               ack_path);
    proc = spawn(args, false, NULL);
    /* Kill it in the middle of the burst. */
    while (wt_file_size(ack_path) < 8000 && WaitForSingleObject(proc, 5) == WAIT_TIMEOUT)
        ;
    assert_true(TerminateProcess(proc, 9));
    WaitForSingleObject(proc, INFINITE);
    CloseHandle(proc);

    /* Restart with the sink back: what was journaled goes out first. */
    sink_up(&s);
    wt_set_global_dword(L"DrainTimeoutMs", 10000);
    spawn(L"--connections 0", true, &code);
    assert_int_equal(code, 0);

    n = read_records(s.path, 32, seen, 20000);
    acks = wt_read_file(ack_path, &len);
    assert_non_null(acks);
    for (char *p = acks; *p != '\0';) {
        char *end;
        unsigned long index = strtoul(p, &end, 10);

        if (end == p || *end != ' ')
            break; /* the kill may cut the last line */
        if (seen[index] == 0)
            fail_msg("connection %lu: its hangup returned, but it has no record", index);
        acked++;
        p = strchr(end, '\n');
        if (p == NULL)
            break;
        p++;
    }
    for (unsigned i = 0; i < 20000; i++)
        dups += seen[i] > 1;
    print_message("killed after %lu acknowledged hangups; %lu records delivered, %u duplicated\n",
                  (unsigned long)acked, (unsigned long)n, dups);
    assert_true(acked > 100 && acked < 20000); /* the kill did land mid-burst */
    assert_int_equal(dups, 0);                 /* nothing was in flight: the sink was down */
    free(acks);
    free(seen);
}

static void full_journal_drops_the_oldest_and_says_so(void **state)
{
    struct sink_dir s;
    struct rh_host_dll *dll;
    unsigned seen[3000] = {0};
    WCHAR log[MAX_PATH];
    size_t log_from, n;

    (void)state;
    setup_down_sink(L"dropold", &s);
    wt_set_global_dword(L"JournalSizeMB", 1);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    dll = load();
    replay(dll, 33, 3000, 2, true, NULL);
    Sleep(1200); /* the flusher reports the drops */
    sink_up(&s);
    wt_set_global_dword(L"DrainTimeoutMs", 5000);
    rh_host_unload(dll);

    n = read_records(s.path, 33, seen, 3000);
    assert_true(n > 100 && n < 3000);
    /*
     * The newest survive: the last connections are all there, the first are not.
     * One older record may come too: the one a worker had already read when the
     * writer dropped it, delivered once the sink came back (counted as dropped).
     */
    for (unsigned i = 3000 - (unsigned)n + 1; i < 3000; i++)
        if (seen[i] != 1)
            fail_msg("connection %u (among the newest %lu) has %u records", i, (unsigned long)n,
                     seen[i]);
    assert_int_equal(seen[0], 0);
    assert_true(wt_log_contains(log_from, "journal full: "));
    assert_true(wt_log_contains(log_from, "undelivered record(s) dropped to make room"));
    /* Event 203 names the sink that fell behind, and what to do. */
    assert_true(wt_log_contains(log_from, "sink(s) that had not had them: main ("));
    assert_true(wt_log_contains(log_from, "or make JournalSizeMB larger"));
}

static void full_journal_fail_closed_refuses_connections_and_drops_nothing(void **state)
{
    struct sink_dir s;
    struct rh_host_dll *dll;
    unsigned seen[3000] = {0};
    LONG refused = 0;
    size_t n;
    WCHAR status_path[MAX_PATH];
    char *status;
    size_t len;

    (void)state;
    setup_down_sink(L"failclosed", &s);
    wt_set_global_dword(L"JournalSizeMB", 1);
    wt_set_global_dword(L"FailClosed", 1);
    dll = load();
    replay(dll, 34, 3000, 2, true, &refused);
    assert_true(refused > 0 && refused < 3000);
    sink_up(&s);
    wt_set_global_dword(L"DrainTimeoutMs", 5000);
    rh_host_unload(dll);

    n = read_records(s.path, 34, seen, 3000);
    /* Every accepted connection has its record; refused ones never started. */
    assert_int_equal(n, 3000 - (size_t)refused);
    for (unsigned i = 0; i < 3000; i++)
        assert_true(seen[i] <= 1);
    wt_program_data_file(L"journal\\status.json", status_path, MAX_PATH);
    status = wt_read_file(status_path, &len);
    assert_non_null(status);
    assert_non_null(strstr(status, "\"full_policy\":\"fail_closed\""));
    assert_non_null(strstr(status, "\"dropped\":0,"));
    free(status);
}

/* The position of the last entry of the journal file (read from a private copy). */
static uint64_t last_entry_pos(const WCHAR *path, size_t *file_len)
{
    char *copy = wt_read_file(path, file_len);
    struct rh_journal j;
    struct rh_journal_recovery rec;
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    uint64_t last = UINT64_MAX;
    int c;

    assert_non_null(copy);
    assert_int_equal(rh_journal_open(&j, copy, *file_len, &rec), RH_J_OK);
    c = rh_journal_cursor(&j, "main", false);
    assert_true(c >= 0);
    while (rh_journal_read(&j, c, &e, buf, sizeof buf) == RH_J_OK) {
        last = e.pos;
        rh_journal_advance(&j, c, &e);
    }
    free(copy);
    return last;
}

static void torn_entry_at_the_tail_is_skipped(void **state)
{
    struct sink_dir s;
    struct rh_host_dll *dll;
    unsigned seen[50] = {0};
    WCHAR journal[MAX_PATH], log[MAX_PATH];
    size_t file_len, log_from;
    uint64_t pos;
    HANDLE h;
    LARGE_INTEGER at;
    uint8_t byte;
    DWORD io;
    char expect[128];

    (void)state;
    setup_down_sink(L"torn", &s);
    dll = load();
    replay(dll, 35, 50, 1, true, NULL);
    rh_host_unload(dll); /* the sink is down: all 50 stay in the journal */

    /* As if the process had died while copying the last record. */
    journal_file(journal);
    pos = last_entry_pos(journal, &file_len);
    assert_true(pos != UINT64_MAX);
    at.QuadPart = (LONGLONG)(RH_JOURNAL_HEADER_SIZE + pos + sizeof(struct rh_jentry) + 20);
    h = CreateFileW(journal, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    SetFilePointerEx(h, at, NULL, FILE_BEGIN);
    ReadFile(h, &byte, 1, &io, NULL);
    byte ^= 0x5A;
    SetFilePointerEx(h, at, NULL, FILE_BEGIN);
    WriteFile(h, &byte, 1, &io, NULL);
    CloseHandle(h);

    sink_up(&s);
    wt_set_global_dword(L"DrainTimeoutMs", 5000);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    dll = load();
    rh_host_unload(dll);
    assert_int_equal(read_records(s.path, 35, seen, 50), 49);
    for (unsigned i = 0; i < 49; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(seen[49], 0);
    snprintf(expect, sizeof expect, "an incomplete entry at position %llu",
             (unsigned long long)pos);
    assert_true(wt_log_contains(log_from, expect));
    assert_true(wt_log_contains(log_from, "49 record(s) before it are intact"));
}

static void terminate_with_a_stuck_sink_returns_within_its_bound(void **state)
{
    WCHAR pipe_name[128];
    HANDLE pipe;
    struct rh_host_dll *dll;
    ULONGLONG t0, elapsed;
    WCHAR log[MAX_PATH];
    size_t log_from;

    (void)state;
    wt_reset_config();
    /* A pipe whose reader never reads: once its buffer is full, writes block. */
    _snwprintf(pipe_name, 128, L"\\\\.\\pipe\\rashangup-stuck-%lu",
               (unsigned long)GetCurrentProcessId());
    pipe = CreateNamedPipeW(pipe_name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE | PIPE_WAIT, 1, 1024,
                            1024, 0, NULL);
    assert_true(pipe != INVALID_HANDLE_VALUE);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, pipe_name);
    wt_set_global_dword(L"DrainTimeoutMs", 1000);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    dll = load();
    replay(dll, 36, 200, 2, true, NULL); /* far more than the pipe holds */
    Sleep(300);
    t0 = GetTickCount64();
    dll->terminate(); /* what RRAS does at shutdown */
    elapsed = GetTickCount64() - t0;
    dll->terminate = NULL; /* already done */
    print_message("MprAdminTerminateDll returned after %llu ms (bound: 1000 ms drain)\n",
                  (unsigned long long)elapsed);
    /* The drain bound, plus the 2 x 250 ms given to a delivery to return or be cancelled. */
    assert_true(elapsed < 1000 + 2 * 250 + 1500);
    /* The record in flight and all after it stay in the journal for the next start. */
    CloseHandle(pipe); /* unblocks the abandoned write, if it was abandoned */
    Sleep(100);
    rh_host_unload(dll);
    assert_true(wt_log_contains(log_from, "stopped"));
}

static int teardown(void **state)
{
    WCHAR journal[MAX_PATH];

    (void)state;
    wt_reset_config();
    journal_file(journal);
    DeleteFileW(journal);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(sink_down_then_back_loses_nothing_and_keeps_order, teardown),
        cmocka_unit_test_teardown(killed_mid_burst_delivers_everything_after_restart, teardown),
        cmocka_unit_test_teardown(full_journal_drops_the_oldest_and_says_so, teardown),
        cmocka_unit_test_teardown(full_journal_fail_closed_refuses_connections_and_drops_nothing,
                                  teardown),
        cmocka_unit_test_teardown(torn_entry_at_the_tail_is_skipped, teardown),
        cmocka_unit_test_teardown(terminate_with_a_stuck_sink_returns_within_its_bound, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
