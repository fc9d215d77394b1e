/* SPDX-License-Identifier: MIT */
/*
 * Calls RRAS may make outside Initialize..Terminate, and how long Terminate
 * takes: a hangup or accept after Terminate (or before Initialize) starts
 * nothing, so that RRAS may unload the DLL right after it; Terminate returns
 * as soon as nothing deliverable is left.
 */
#include <winsock2.h>
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>

#include <cmocka.h>

#include "host.h"
#include "scenario.h"
#include "wintest.h"

/* Threads of this process, as the system lists them. */
static unsigned thread_count(void)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 te = {.dwSize = sizeof te};
    unsigned n = 0;

    assert_true(snap != INVALID_HANDLE_VALUE);
    if (Thread32First(snap, &te)) {
        do {
            if (te.th32OwnerProcessID == GetCurrentProcessId())
                n++;
        } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
    return n;
}

static uint64_t last_write(const WCHAR *path)
{
    WIN32_FILE_ATTRIBUTE_DATA a;

    if (!GetFileAttributesExW(path, GetFileExInfoStandard, &a))
        return 0;
    return ((uint64_t)a.ftLastWriteTime.dwHighDateTime << 32) | a.ftLastWriteTime.dwLowDateTime;
}

static FARPROC export_of(HMODULE m, const char *name)
{
    FARPROC p = GetProcAddress(m, name);

    assert_non_null(p);
    return p;
}

/* An export as its function type. */
#define EXPORT(m, type, name) ((type *)(void (*)(void))export_of(m, name))

/* The calls of one connection through every binding, as RRAS could make them late. */
static void late_calls(HMODULE m, const struct rh_admin_dll_callbacks *cb, unsigned index)
{
    struct rh_scenario_conn *c = malloc(sizeof *c);
    RH_ACCEPT_NEW_CONNECTION_EX_FN *accept_ex =
        EXPORT(m, RH_ACCEPT_NEW_CONNECTION_EX_FN, "MprAdminAcceptNewConnectionEx");
    RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN *hangup_ex = EXPORT(
        m, RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN, "MprAdminConnectionHangupNotificationEx");
    RH_ACCEPT_NEW_CONNECTION3_FN *accept3 =
        EXPORT(m, RH_ACCEPT_NEW_CONNECTION3_FN, "MprAdminAcceptNewConnection3");
    RH_CONNECTION_HANGUP_NOTIFICATION3_FN *hangup3 =
        EXPORT(m, RH_CONNECTION_HANGUP_NOTIFICATION3_FN, "MprAdminConnectionHangupNotification3");

    assert_non_null(c);
    rh_scenario_make(71, index, c);
    if (cb != NULL) {
        assert_true(cb->lpfnRasAdminAcceptNewConnectionEx(&c->ex));
        cb->lpfnRasAdminConnectionHangupNotificationEx(&c->ex);
    }
    assert_true(accept_ex(&c->ex));
    hangup_ex(&c->ex);
    assert_true(accept3(&c->c0, &c->c1, &c->c2, &c->c3));
    hangup3(&c->c0, &c->c1, &c->c2, &c->c3);
    free(c);
}

/* Binds the loaded DLL as RRAS does: MprAdminInitializeDllEx fills the callbacks. */
static void initialize(HMODULE m, struct rh_admin_dll_callbacks *cb)
{
    RH_INITIALIZE_DLL_EX_FN *init = EXPORT(m, RH_INITIALIZE_DLL_EX_FN, "MprAdminInitializeDllEx");

    memset(cb, 0, sizeof *cb);
    assert_int_equal(init(cb), NO_ERROR);
}

static void calls_after_terminate_start_nothing(void **state)
{
    struct rh_admin_dll_callbacks cb;
    WCHAR log[MAX_PATH], journal[MAX_PATH];
    size_t log_size;
    uint64_t journal_written;
    unsigned before;
    HMODULE m;

    (void)state;
    wt_fresh_config();
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    m = LoadLibraryW(L"rashangup.dll");
    assert_non_null(m);
    initialize(m, &cb);
    late_calls(m, &cb, 0); /* in time: recorded */
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);

    Sleep(100);
    before = thread_count();
    log_size = wt_file_size(log);
    journal_written = last_write(journal);
    assert_true(journal_written != 0);
    Sleep(50);
    late_calls(m, &cb, 1);
    late_calls(m, &cb, 2);
    /* No thread, no log line, no journal write: nothing runs that the unload could cut off. */
    assert_int_equal(thread_count(), before);
    assert_int_equal(wt_file_size(log), log_size);
    assert_true(last_write(journal) == journal_written);

    /* Unloaded right after, as RRAS may: a thread started in it would now crash us. */
    assert_true(FreeLibrary(m));
    Sleep(300);
    assert_true(thread_count() <= before);
}

static void calls_before_initialize_are_counted_and_reported(void **state)
{
    struct rh_admin_dll_callbacks cb;
    WCHAR log[MAX_PATH], journal[MAX_PATH];
    size_t log_from;
    unsigned before;
    HMODULE m;

    (void)state;
    wt_fresh_config();
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    assert_int_equal(GetFileAttributesW(journal), INVALID_FILE_ATTRIBUTES);
    log_from = wt_file_size(log);
    before = thread_count();
    m = LoadLibraryW(L"rashangup.dll");
    assert_non_null(m);
    late_calls(m, NULL, 3); /* 4 calls, before any Initialize */
    assert_int_equal(thread_count(), before);
    assert_int_equal(GetFileAttributesW(journal), INVALID_FILE_ATTRIBUTES);
    assert_int_equal(wt_file_size(log), log_from);

    /* Said at the next start. */
    initialize(m, &cb);
    assert_int_equal(cb.lpfnRasAdminTerminateDll(), NO_ERROR);
    assert_true(wt_log_contains(log_from, "4 callback(s) from RRAS came while rashangup was not "
                                          "running (before MprAdminInitializeDll or after "
                                          "MprAdminTerminateDll): accepted, not recorded"));
    assert_true(FreeLibrary(m));
}

/*
 * With a sink that cannot deliver (nothing listens where it sends) beside one
 * that can, Terminate waits for the one that can and not for the other: it
 * returns long before DrainTimeoutMs. The records the failing sink did not
 * take stay in the journal.
 */
static void terminate_does_not_wait_for_a_failing_sink(void **state)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH], log[MAX_PATH];
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    ULONGLONG t0, took;
    size_t log_from;

    (void)state;
    wt_fresh_config();
    wt_make_temp_dir(L"drain", dir, MAX_PATH);
    _snwprintf(path, MAX_PATH, L"%ls\\records.jsonl", dir);
    path[MAX_PATH - 1] = L'\0';
    wt_set_global_dword(L"DrainTimeoutMs", 120000);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, path);
    wt_set_sink_string(L"dead", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"dead", L"Transport", REG_SZ, L"tcp");
    wt_set_sink_string(L"dead", L"Server", REG_SZ, L"127.0.0.1");
    wt_set_sink_dword(L"dead", L"Port", 9); /* discard: nothing listens on loopback here */
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 72, 20, 2, true, &stats), NO_ERROR);
    t0 = GetTickCount64();
    rh_host_unload(&dll);
    took = GetTickCount64() - t0;

    /* 120 s before: the drain waited for the dead sink. Generous for a busy machine. */
    if (took >= 30000)
        fail_msg("Terminate took %llu ms with DrainTimeoutMs 120000 and one failing sink",
                 (unsigned long long)took);
    assert_int_equal(wt_count_lines(path), 20);
    assert_true(wt_log_contains(log_from, "sink dead: delivery failed; retrying with backoff"));
    assert_true(wt_log_contains(log_from, "rashangup stopped"));
}

struct unload_call {
    struct rh_host_dll *dll;
    ULONGLONG took;
};

static DWORD WINAPI unload_thread(void *arg)
{
    struct unload_call *u = arg;
    ULONGLONG t0 = GetTickCount64();

    rh_host_unload(u->dll); /* MprAdminTerminateDll, then FreeLibrary */
    u->took = GetTickCount64() - t0;
    return 0;
}

static DWORD WINAPI terminate_thread(void *arg)
{
    struct rh_host_dll *dll = arg;

    dll->callbacks.lpfnRasAdminTerminateDll();
    return 0;
}

/*
 * A hangup while Terminate drains the sinks is journaled at once, not held
 * until the drain ends: here one sink is a RADIUS server that never answers
 * (a UDP port this test holds and never reads), so the drain lasts its whole
 * DrainTimeoutMs (20 s).
 */
static void hangup_during_the_drain_is_not_held_up(void **state)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    struct rh_scenario_conn *c = malloc(sizeof *c);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int addr_len = sizeof addr;
    WSADATA wsa;
    SOCKET silent;
    HANDLE thread;
    ULONGLONG t0, took;

    (void)state;
    assert_non_null(c);
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    silent = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_true(silent != INVALID_SOCKET);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(silent, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(silent, (struct sockaddr *)&addr, &addr_len), 0);

    wt_fresh_config();
    wt_make_temp_dir(L"drainhold", dir, MAX_PATH);
    _snwprintf(path, MAX_PATH, L"%ls\\records.jsonl", dir);
    path[MAX_PATH - 1] = L'\0';
    wt_set_global_dword(L"DrainTimeoutMs", 20000);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, path);
    wt_set_sink_string(L"silent", L"Type", REG_SZ, L"radius");
    wt_set_sink_string(L"silent", L"Server", REG_SZ, L"127.0.0.1");
    wt_set_sink_dword(L"silent", L"Port", ntohs(addr.sin_port));
    wt_set_sink_string(L"silent", L"Secret", REG_SZ, L"never-answered");
    wt_set_sink_dword(L"silent", L"TimeoutMs", 10000);

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 74, 5, 1, true, &stats), NO_ERROR);
    for (int i = 0; i < 500 && wt_count_lines(path) < 5; i++)
        Sleep(10);
    assert_int_equal(wt_count_lines(path), 5);
    thread = CreateThread(NULL, 0, terminate_thread, &dll, 0, NULL);
    assert_non_null(thread);
    Sleep(500); /* Terminate is draining: the silent sink holds it */
    assert_int_equal(WaitForSingleObject(thread, 0), WAIT_TIMEOUT);

    rh_scenario_make(74, 5, c);
    t0 = GetTickCount64();
    rh_host_hangup(&dll, c);
    took = GetTickCount64() - t0;
    /* Before, it waited for the whole drain: 20 s. */
    if (took >= 5000)
        fail_msg("a hangup during the drain took %llu ms", (unsigned long long)took);
    for (int i = 0; i < 500 && wt_count_lines(path) < 6; i++)
        Sleep(10);
    assert_int_equal(wt_count_lines(path), 6); /* journaled, and delivered by the sink that can */

    assert_int_equal(WaitForSingleObject(thread, 60000), WAIT_OBJECT_0);
    CloseHandle(thread);
    rh_host_unload(&dll); /* Terminate again (nothing left to do), then FreeLibrary */
    closesocket(silent);
    WSACleanup();
    free(c);
}

/*
 * The journal on a share that stops answering (a FUSE mount whose daemon is
 * frozen): the flusher's last round blocks writing it, and Terminate still
 * returns within DrainTimeoutMs + 1 s, leaving the flusher behind.
 */
static void terminate_is_bounded_when_the_journal_share_stops_answering(void **state)
{
    WCHAR share[MAX_PATH], journal[MAX_PATH], dir[MAX_PATH], path[MAX_PATH], log[MAX_PATH];
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    struct unload_call u = {&dll, 0};
    DWORD n = GetEnvironmentVariableW(L"RH_SHARE_DIR", share, MAX_PATH);
    size_t log_from;
    HANDLE thread;
    DWORD waited;

    (void)state;
    if (n == 0 || n >= MAX_PATH) {
        skip(); /* no FUSE here: with_fixtures.sh could not mount the share */
        return;
    }
    wt_fresh_config();
    wt_make_temp_dir(L"stall", dir, MAX_PATH);
    _snwprintf(path, MAX_PATH, L"%ls\\records.jsonl", dir);
    _snwprintf(journal, MAX_PATH, L"%ls\\journal", share);
    path[MAX_PATH - 1] = journal[MAX_PATH - 1] = L'\0';
    wt_set_global_string(L"JournalPath", REG_SZ, journal);
    wt_set_global_dword(L"JournalSizeMB", 1);
    wt_set_global_dword(L"FlushIntervalMs", 60000); /* the last round is the one that writes */
    wt_set_global_dword(L"DrainTimeoutMs", 1000);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, path);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 73, 20, 2, true, &stats), NO_ERROR);
    for (int i = 0; i < 500 && wt_count_lines(path) < 20; i++)
        Sleep(10);
    assert_int_equal(wt_count_lines(path), 20);
    wt_fixture_request("freeze", NULL, NULL);
    thread = CreateThread(NULL, 0, unload_thread, &u, 0, NULL);
    assert_non_null(thread);
    waited = WaitForSingleObject(thread, 30000);
    wt_fixture_request("thaw", NULL, NULL);
    if (waited != WAIT_OBJECT_0) {
        WaitForSingleObject(thread, 30000);
        fail_msg("Terminate did not return within 30 s with DrainTimeoutMs 1000 while the "
                 "journal's share did not answer");
    }
    CloseHandle(thread);
    Sleep(500); /* the flusher left behind finishes now that the share answers */
    /* The bound is 2 s; generous for a busy machine, and far from "never". */
    if (u.took >= 15000)
        fail_msg("Terminate took %llu ms", (unsigned long long)u.took);
    assert_true(wt_log_contains(log_from, "did not finish in time (a share or disk that stopped "
                                          "answering?); it is left to finish"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(calls_after_terminate_start_nothing, wt_teardown),
        cmocka_unit_test_teardown(calls_before_initialize_are_counted_and_reported, wt_teardown),
        cmocka_unit_test_teardown(terminate_does_not_wait_for_a_failing_sink, wt_teardown),
        cmocka_unit_test_teardown(hangup_during_the_drain_is_not_held_up, wt_teardown),
        cmocka_unit_test_teardown(terminate_is_bounded_when_the_journal_share_stops_answering,
                                  wt_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
