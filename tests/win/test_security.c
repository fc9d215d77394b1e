/* SPDX-License-Identifier: MIT */
/*
 * Nothing a local user plants can steer SYSTEM's writes: links in the state
 * folder or on JournalPath, a log or status file that is a link or a hard
 * link, a state folder others may write to, a pipe server that would
 * impersonate, a service environment without %ProgramData%.
 *
 * Wine 8 cannot make junctions or Windows symbolic links, keeps no DACLs and
 * reports the current user as every file's owner: with_fixtures.sh lays Unix
 * links in the prefix instead (Wine follows them; GetFinalPathNameByHandleW
 * names where they lead), and a folder is made writable by everyone through
 * SetNamedSecurityInfoW, which Wine turns into mode 0777. The owner rule is
 * tested natively (test_trust).
 */
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host.h"
#include "wintest.h"

static WCHAR g_links[MAX_PATH];

static void links_path(const WCHAR *name, WCHAR *out)
{
    _snwprintf(out, MAX_PATH, L"%ls\\%ls", g_links, name);
    out[MAX_PATH - 1] = L'\0';
}

/* A file sink in a temporary folder: records must keep flowing whatever is refused. */
static void configure_records(const WCHAR *tag, WCHAR *path)
{
    WCHAR dir[MAX_PATH];

    wt_fresh_config();
    wt_make_temp_dir(tag, dir, MAX_PATH);
    _snwprintf(path, MAX_PATH, L"%ls\\records.jsonl", dir);
    path[MAX_PATH - 1] = L'\0';
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_SZ, path);
}

static void replay(unsigned seed, unsigned count)
{
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, seed, count, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll);
}

static bool exists(const WCHAR *path)
{
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

static void expect_victim_untouched(void)
{
    WCHAR victim[MAX_PATH];
    size_t len = 0;
    char *text;

    links_path(L"target\\victim.txt", victim);
    text = wt_read_file(victim, &len);
    assert_non_null(text);
    assert_string_equal(text, "victim\n");
    free(text);
}

static void expect_target_empty(void)
{
    WCHAR probe[MAX_PATH];

    links_path(L"target\\journal", probe);
    assert_false(exists(probe));
    links_path(L"target\\journal.dat", probe);
    assert_false(exists(probe));
    links_path(L"target\\status.json", probe);
    assert_false(exists(probe));
    links_path(L"target\\status.json.tmp", probe);
    assert_false(exists(probe));
}

/* Empties %ProgramData%\RasHangup\journal and removes it. */
static void remove_state_journal(void)
{
    WCHAR path[MAX_PATH];

    wt_program_data_file(L"journal", path, MAX_PATH);
    wt_remove_tree(path);
}

static void journal_path_through_a_link_is_refused(void **state)
{
    WCHAR records[MAX_PATH], journal[MAX_PATH], log[MAX_PATH];
    size_t log_from;

    (void)state;
    configure_records(L"sec-jlink", records);
    links_path(L"dirlink\\journal", journal);
    wt_set_global_string(L"JournalPath", REG_SZ, journal);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(81, 5);

    expect_target_empty();
    assert_int_equal(wt_count_lines(records), 5); /* the journal ran in memory */
    assert_true(wt_log_contains(log_from, "folder C:\\rh-links\\dirlink goes through a junction, "
                                          "symbolic link or mount point (it leads to "));
    assert_true(wt_log_contains(log_from, "records are kept in memory only"));
}

/* The reviewer's case: RasHangup\journal replaced by a link before the service starts. */
static void state_journal_folder_replaced_by_a_link_is_refused(void **state)
{
    WCHAR records[MAX_PATH], link[MAX_PATH], journal[MAX_PATH], log[MAX_PATH];
    size_t log_from;

    (void)state;
    configure_records(L"sec-slink", records);
    remove_state_journal();
    wt_program_data_file(L"journal", journal, MAX_PATH);
    assert_false(exists(journal));
    wt_fixture_request("ln", "rh-links/target", "ProgramData/RasHangup/journal");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(82, 5);
    wt_fixture_request("rm", "ProgramData/RasHangup/journal", NULL);
    assert_false(exists(journal));
    (void)link;

    expect_target_empty();
    assert_int_equal(wt_count_lines(records), 5);
    assert_true(wt_log_contains(log_from, "goes through a junction, symbolic link or mount point"));
}

static void log_replaced_by_a_link_is_not_followed(void **state)
{
    WCHAR records[MAX_PATH], link[MAX_PATH], log[MAX_PATH], old[MAX_PATH];

    (void)state;
    configure_records(L"sec-loglink", records);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_program_data_file(L"rashangup.log.1", old, MAX_PATH);
    DeleteFileW(old);
    assert_true(MoveFileW(log, old));
    wt_fixture_request("ln", "rh-links/target/victim.txt", "ProgramData/RasHangup/rashangup.log");
    replay(83, 5);
    wt_fixture_request("rm", "ProgramData/RasHangup/rashangup.log", NULL);
    assert_true(MoveFileW(old, log));
    (void)link;

    expect_victim_untouched();
    assert_int_equal(wt_count_lines(records), 5);
}

static void hard_linked_status_file_is_not_written_through(void **state)
{
    WCHAR records[MAX_PATH], dir[MAX_PATH], victim[MAX_PATH], tmp[MAX_PATH];
    size_t len = 0;
    char *text;

    (void)state;
    configure_records(L"sec-hard", records);
    /* The victim beside the state folder, on the same volume: a hard link needs that. */
    wt_program_data_file(L"", dir, MAX_PATH);
    _snwprintf(victim, MAX_PATH, L"%ls..\\rashangup-victim.txt", dir);
    victim[MAX_PATH - 1] = L'\0';
    wt_write_file(victim, "victim\n");
    wt_program_data_file(L"journal", dir, MAX_PATH);
    CreateDirectoryW(dir, NULL);
    wt_program_data_file(L"journal\\status.json.tmp", tmp, MAX_PATH);
    DeleteFileW(tmp);
    assert_true(CreateHardLinkW(tmp, victim, NULL));
    replay(84, 5);

    text = wt_read_file(victim, &len);
    assert_non_null(text);
    assert_string_equal(text, "victim\n");
    free(text);
    assert_int_equal(wt_count_lines(records), 5);
    DeleteFileW(tmp);
    DeleteFileW(victim);
}

/* Everyone full control: what Wine maps to mode 0777. */
static void open_to_everyone(const WCHAR *path)
{
    WCHAR name[MAX_PATH];
    PSECURITY_DESCRIPTOR sd = NULL;
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;

    assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(
        L"D:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;WD)", SDDL_REVISION_1, &sd, NULL));
    assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
    wcscpy_s(name, MAX_PATH, path);
    assert_int_equal(SetNamedSecurityInfoW(name, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                                           NULL, dacl, NULL),
                     ERROR_SUCCESS);
    LocalFree(sd);
}

/* Whether an allow ACE grants Everyone a right to write. */
static bool everyone_may_write(const WCHAR *path)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    bool may = false;

    assert_int_equal(GetNamedSecurityInfoW(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                                           NULL, &dacl, NULL, &sd),
                     ERROR_SUCCESS);
    for (DWORD i = 0; dacl != NULL && i < dacl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace = NULL;

        GetAce(dacl, i, (void **)&ace);
        if (ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
            IsWellKnownSid((PSID)&ace->SidStart, WinWorldSid) &&
            (ace->Mask & (FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE | FILE_DELETE_CHILD)) != 0)
            may = true;
    }
    LocalFree(sd);
    return may;
}

static DWORD regsvr32(bool uninstall)
{
    WCHAR exe[MAX_PATH], dll[MAX_PATH], cmd[3 * MAX_PATH];

    GetSystemDirectoryW(exe, MAX_PATH);
    wcscat_s(exe, MAX_PATH, L"\\regsvr32.exe");
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, dll, NULL);
    _snwprintf(cmd, 3 * MAX_PATH, L"\"%ls\" /s %ls\"%ls\"", exe, uninstall ? L"/u " : L"", dll);
    cmd[3 * MAX_PATH - 1] = L'\0';
    return wt_run(exe, cmd);
}

/*
 * A state folder others may write to is not used (records still flow); regsvr32
 * sets it aside, with what was planted in it, and makes a new private one.
 */
static void state_folder_open_to_others_is_refused_and_set_aside(void **state)
{
    WCHAR records[MAX_PATH], dir[MAX_PATH], planted[MAX_PATH], journal[MAX_PATH], log[MAX_PATH];
    WCHAR pattern[MAX_PATH], aside[MAX_PATH], kept[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE h, find;
    size_t log_size;

    (void)state;
    configure_records(L"sec-open", records);
    wt_program_data_file(L"", dir, MAX_PATH);
    dir[wcslen(dir) - 1] = L'\0'; /* no trailing backslash */
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    wt_program_data_file(L"planted.txt", planted, MAX_PATH);
    h = CreateFileW(planted, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    open_to_everyone(dir);
    assert_true(everyone_may_write(dir));
    log_size = wt_file_size(log);

    replay(85, 5);
    assert_int_equal(wt_count_lines(records), 5);
    assert_int_equal(wt_file_size(log), log_size); /* the log there is not written */
    assert_false(exists(journal));                 /* nor the journal (fresh config removed it) */
    assert_true(exists(planted)); /* the service never repairs: it is still there */
    assert_true(everyone_may_write(dir));

    assert_int_equal(regsvr32(false), 0);
    assert_true(exists(dir));
    assert_false(exists(planted));
    assert_false(everyone_may_write(dir));
    _snwprintf(pattern, MAX_PATH, L"%ls.untrusted-*", dir);
    pattern[MAX_PATH - 1] = L'\0';
    find = FindFirstFileW(pattern, &fd);
    assert_true(find != INVALID_HANDLE_VALUE);
    FindClose(find);
    wt_program_data_file(L"", aside, MAX_PATH);
    aside[wcslen(aside) - 1] = L'\0';
    *wcsrchr(aside, L'\\') = L'\0';
    _snwprintf(kept, MAX_PATH, L"%ls\\%ls\\planted.txt", aside, fd.cFileName);
    kept[MAX_PATH - 1] = L'\0';
    assert_true(exists(kept));
    assert_int_equal(regsvr32(true), 0);
    _snwprintf(kept, MAX_PATH, L"%ls\\%ls", aside, fd.cFileName);
    kept[MAX_PATH - 1] = L'\0';
    wt_remove_tree(kept);

    /* The new folder is used again. */
    log_size = wt_file_size(log);
    replay(86, 5);
    assert_true(wt_file_size(log) > log_size);
    assert_true(exists(journal));
}

/* Path values that would lead SYSTEM out of where they say: refused, by value. */
static void paths_that_escape_are_refused(void **state)
{
    WCHAR records[MAX_PATH], dir[MAX_PATH], journal[MAX_PATH], log[MAX_PATH];
    size_t log_from;

    (void)state;
    configure_records(L"sec-paths", records);
    /* "\\.\pipe\..\" climbs out of the pipe namespace onto a disk file. */
    wt_set_sink_string(L"escape", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"escape", L"Path", REG_SZ,
                       L"\\\\.\\pipe\\..\\..\\C:\\rh-links\\target\\victim.txt");
    /* A share: the file server resolves its links, out of the service's sight. */
    wt_set_global_string(L"JournalPath", REG_SZ, L"\\\\127.0.0.1\\c$\\rh-journal");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(87, 5);

    expect_victim_untouched();
    assert_int_equal(wt_count_lines(records), 5);
    assert_true(wt_log_contains(log_from, "Sinks\\escape: value Path: "));
    assert_true(wt_log_contains(log_from, "is not a named pipe's name"));
    assert_true(wt_log_contains(log_from, "rh-journal is on a network share or a device"));

    /* A trailing backslash names the same folder, which is used. */
    configure_records(L"sec-paths2", records);
    wt_make_temp_dir(L"sec-trailing", dir, MAX_PATH);
    wcscat_s(dir, MAX_PATH, L"\\");
    wt_set_global_string(L"JournalPath", REG_SZ, dir);
    replay(88, 5);
    _snwprintf(journal, MAX_PATH, L"%lsjournal.dat", dir);
    journal[MAX_PATH - 1] = L'\0';
    assert_true(exists(journal));
    assert_int_equal(wt_count_lines(records), 5);
}

/*
 * A CaFile is the syslog sink's trust anchor: one that others may change, or
 * a pipe that anyone may serve, is refused before it is read.
 */
static void ca_file_others_control_is_refused(void **state)
{
    WCHAR records[MAX_PATH], dir[MAX_PATH], ca[MAX_PATH], log[MAX_PATH];
    size_t log_from;

    (void)state;
    configure_records(L"sec-ca", records);
    wt_make_temp_dir(L"sec-ca-open", dir, MAX_PATH);
    _snwprintf(ca, MAX_PATH, L"%ls\\ca.pem", dir);
    ca[MAX_PATH - 1] = L'\0';
    wt_write_file(ca, "-----BEGIN CERTIFICATE-----\n");
    open_to_everyone(dir);
    wt_set_sink_string(L"anchor", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"anchor", L"Server", REG_SZ, L"127.0.0.1");
    wt_set_sink_string(L"anchor", L"Transport", REG_SZ, L"tls");
    wt_set_sink_string(L"anchor", L"CaFile", REG_SZ, ca);
    wt_set_sink_string(L"piped", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"piped", L"Server", REG_SZ, L"127.0.0.1");
    wt_set_sink_string(L"piped", L"Transport", REG_SZ, L"tls");
    wt_set_sink_string(L"piped", L"CaFile", REG_SZ, L"\\\\.\\pipe\\rashangup-ca");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(89, 5);

    assert_int_equal(wt_count_lines(records), 5);
    assert_true(wt_log_contains(log_from, "Sinks\\anchor: value CaFile: cannot read "));
    assert_true(wt_log_contains(log_from, "may be changed by users other than SYSTEM and "
                                          "Administrators; it is not used"));
    assert_true(wt_log_contains(log_from, "Sinks\\piped: value CaFile: cannot read "));
    assert_true(wt_log_contains(log_from, "pipe is on a network share or a device"));
}

/*
 * A named pipe Path is used only if SYSTEM or an administrator made it. Wine
 * gives pipes no owner at all: it stands in here for a pipe a user made first.
 */
static void pipe_a_user_may_have_made_is_refused(void **state)
{
    WCHAR records[MAX_PATH], pipe[MAX_PATH], log[MAX_PATH];
    HANDLE server;
    size_t log_from;
    DWORD got = 0;
    char buf[64];
    OVERLAPPED ov = {0};

    (void)state;
    configure_records(L"sec-pipe", records);
    _snwprintf(pipe, MAX_PATH, L"\\\\.\\pipe\\rashangup-squat-%lu",
               (unsigned long)GetCurrentProcessId());
    pipe[MAX_PATH - 1] = L'\0';
    server = CreateNamedPipeW(pipe, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED,
                              PIPE_TYPE_BYTE | PIPE_WAIT, 1, 0, 65536, 0, NULL);
    assert_true(server != INVALID_HANDLE_VALUE);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ConnectNamedPipe(server, &ov);
    wt_set_sink_string(L"squatted", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"squatted", L"Path", REG_SZ, pipe);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    replay(90, 5);

    assert_int_equal(wt_count_lines(records), 5);
    /* Nothing reached the squatter. */
    if (WaitForSingleObject(ov.hEvent, 0) == WAIT_OBJECT_0)
        assert_false(ReadFile(server, buf, sizeof buf, &got, NULL) && got > 0);
    assert_true(wt_log_contains(log_from, "was not created by SYSTEM or an administrator"));
    CloseHandle(ov.hEvent);
    CloseHandle(server);
}

/*
 * A service started without %ProgramData% in its environment still finds the
 * state folder, and never writes a relative "%ProgramData%\RasHangup" where it runs.
 */
static void program_data_is_not_taken_from_the_environment(void **state)
{
    WCHAR cwd[MAX_PATH], exe[MAX_PATH], dll[MAX_PATH], cmd[3 * MAX_PATH], stray[MAX_PATH];
    WCHAR log[MAX_PATH], env[4096];
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    DWORD code = 0xdeadbeef;
    size_t o = 0, log_from;
    WCHAR *block = GetEnvironmentStringsW();

    (void)state;
    wt_fresh_config();
    /* Everything but ProgramData and ALLUSERSPROFILE, as a bare service environment. */
    for (const WCHAR *p = block; *p != L'\0'; p += wcslen(p) + 1) {
        size_t n = wcslen(p) + 1;

        if (_wcsnicmp(p, L"ProgramData=", 12) == 0 || _wcsnicmp(p, L"ALLUSERSPROFILE=", 16) == 0)
            continue;
        assert_true(o + n + 1 < sizeof env / sizeof env[0]);
        memcpy(env + o, p, n * sizeof(WCHAR));
        o += n;
    }
    env[o] = L'\0';
    FreeEnvironmentStringsW(block);

    wt_make_temp_dir(L"sec-env", cwd, MAX_PATH);
    GetFullPathNameW(L"rrashost.exe", MAX_PATH, exe, NULL);
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, dll, NULL);
    _snwprintf(cmd, 3 * MAX_PATH, L"\"%ls\" --replay --dll \"%ls\" --connections 3", exe, dll);
    cmd[3 * MAX_PATH - 1] = L'\0';
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    assert_true(CreateProcessW(exe, cmd, NULL, NULL, FALSE, CREATE_UNICODE_ENVIRONMENT, env, cwd,
                               &si, &pi));
    assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    assert_int_equal(code, 0);

    _snwprintf(stray, MAX_PATH, L"%ls\\%%ProgramData%%", cwd);
    stray[MAX_PATH - 1] = L'\0';
    assert_false(exists(stray));
    assert_true(wt_log_contains(log_from, "rashangup stopped"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(journal_path_through_a_link_is_refused, wt_teardown),
        cmocka_unit_test_teardown(state_journal_folder_replaced_by_a_link_is_refused, wt_teardown),
        cmocka_unit_test_teardown(log_replaced_by_a_link_is_not_followed, wt_teardown),
        cmocka_unit_test_teardown(hard_linked_status_file_is_not_written_through, wt_teardown),
        cmocka_unit_test_teardown(state_folder_open_to_others_is_refused_and_set_aside,
                                  wt_teardown),
        cmocka_unit_test_teardown(paths_that_escape_are_refused, wt_teardown),
        cmocka_unit_test_teardown(ca_file_others_control_is_refused, wt_teardown),
        cmocka_unit_test_teardown(pipe_a_user_may_have_made_is_refused, wt_teardown),
        cmocka_unit_test_teardown(program_data_is_not_taken_from_the_environment, wt_teardown),
    };
    DWORD n = GetEnvironmentVariableW(L"RH_LINKS_DIR", g_links, MAX_PATH);

    if (n == 0 || n >= MAX_PATH) {
        fprintf(stderr,
                "RH_LINKS_DIR is not set: run this test through tests/win/with_fixtures.sh\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
