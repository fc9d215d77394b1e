/* SPDX-License-Identifier: MIT */
/*
 * End to end under Wine: rashangup.dll bound as RRAS binds it, connections
 * replayed from several threads, and the records it wrote read back and
 * compared, field by field, with what the host gave it. Also: configuration
 * errors are reported by name and never stop the other sinks, and rrashost.exe
 * finds the DLL through the registry as RRAS does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <windows.h>

#include <cmocka.h>

#include "csv_check.h"
#include "host.h"
#include "json_check.h"
#include "record.h"
#include "text.h"
#include "wintest.h"

#define MAX_LINES 4096

static char g_server[256];

static void run_replay(enum rh_host_model model, unsigned seed, unsigned count, unsigned threads,
                       bool serialized)
{
    struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    char err[512] = "";

    if (rh_host_load(&dll, L"rashangup.dll", model, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
    assert_int_equal(rh_host_replay(&dll, 1, seed, count, threads, serialized, &stats), NO_ERROR);
    assert_int_equal(stats.connections, (LONG)count);
    assert_int_equal(stats.refused, 0);
    rh_host_unload(&dll);
}

static uint64_t parse_time_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &ms) != 7)
        fail_msg("not an RFC 3339 UTC time with milliseconds: %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)_mkgmtime64(&tm) * 1000 + (uint64_t)ms;
}

static void expect_field(const char *line, const char *key, const char *want)
{
    char got[1024];
    enum jc_type t = jc_get(line, strlen(line), key, got, sizeof got);

    if (want == NULL) {
        if (t != JC_NULL)
            fail_msg("%s: expected null, got %s in %s", key, got, line);
        return;
    }
    if ((t != JC_STRING && t != JC_NUMBER) || strcmp(got, want) != 0)
        fail_msg("%s: expected \"%s\", got \"%s\" in %s", key, want, got, line);
}

static void expect_number(const char *line, const char *key, unsigned long long want)
{
    char text[32];

    snprintf(text, sizeof text, "%llu", want);
    expect_field(line, key, text);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static char ids[MAX_LINES][40];

/*
 * Reads the records in `path` and checks there are exactly `count`, one per
 * connection of scenario `seed`, each with the values the host sent.
 */
/* Records of rrashost --replay are marked simulated; the host library's in-process replay's are
 * not. */
static bool g_simulated;

static void check_records(const WCHAR *path, unsigned seed, unsigned count, bool legacy,
                          uint64_t t_before, uint64_t t_after)
{
    size_t len;
    char *text = wt_read_file(path, &len);
    static char *lines[MAX_LINES];
    size_t n;
    unsigned char *seen = calloc(count, 1);
    struct rh_scenario_conn *c = malloc(sizeof *c);

    if (text == NULL)
        fail_msg("no records file %ls", path);
    assert_true(len > 0 && text[len - 1] == '\n');
    n = wt_split_lines(text, lines, MAX_LINES);
    assert_int_equal(n, count);
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        char id[64], t[64], st[64];
        unsigned long d1, d2, d3;
        unsigned index;
        uint64_t time_ms;

        if (!jc_valid(l, strlen(l)))
            fail_msg("line %zu is not JSON: %s", i + 1, l);
        assert_int_equal(jc_count_members(l, strlen(l)), RH_FIELD_COUNT);
        expect_field(l, "event", "hangup");
        assert_int_equal(jc_get(l, strlen(l), "connection_id", id, sizeof id), JC_STRING);
        if (sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3) != 3 || d1 != 0x5eed0000ul + seed)
            fail_msg("connection_id %s is not one of scenario %u", id, seed);
        index = (unsigned)((d2 << 16) | d3);
        assert_true(index < count);
        if (seen[index]++)
            fail_msg("connection %u recorded twice", index);

        rh_scenario_make(seed, index, c);
        {
            char want_id[RH_GUID_STRING_SIZE];
            rh_guid_format(&c->ex.guid, want_id);
            assert_string_equal(id, want_id);
        }
        expect_field(l, "user", c->user);
        expect_field(l, "domain", c->domain);
        expect_field(l, "tunnel", c->tunnel);
        expect_field(l, "client_ipv4", c->client_ipv4);
        expect_field(l, "server", g_server);
        expect_field(l, "remote_endpoint", legacy ? NULL : c->remote_endpoint);
        expect_field(l, "local_endpoint", legacy ? NULL : "192.0.2.10");
        expect_number(l, "duration_s", c->ex.dwConnectDuration);
        expect_number(l, "bytes_sent", c->ex.dwBytesXmited);
        expect_number(l, "bytes_received", c->ex.dwBytesRcved);
        expect_number(l, "frames_sent", c->ex.dwFramesXmited);
        expect_number(l, "frames_received", c->ex.dwFramesRcved);
        expect_field(l, "interface_type", "client");
        expect_field(l, "interface_name", c->user);
        if (strstr(l, g_simulated ? "\"warnings\":[\"simulated\"]}" : "\"warnings\":[]}") == NULL)
            fail_msg("record's warnings are not %s: %s", g_simulated ? "[simulated]" : "[]", l);
        {
            bool ike = strcmp(c->tunnel, "ikev2") == 0;
            const struct rh_ppp_projection_info *p = &c->ex.ProjectionInfo.PppProjectionInfo;
            const struct rh_ikev2_projection_info *k = &c->ex.ProjectionInfo.Ikev2ProjectionInfo;
            char want[64];
            uint8_t a[16];

            memcpy(a, ike ? k->bPrefix : p->bPrefix, 8);
            memcpy(a + 8, ike ? k->bRemoteInterfaceIdentifier : p->bRemoteInterfaceIdentifier, 8);
            rh_ipv6_format(a, want);
            if (!legacy) {
                expect_field(l, "client_ipv6", want);
                expect_field(l, "ipv6_prefix", "2001:db8:1::/64");
                expect_number(l, "mobike_switchovers", c->ex.dwNumSwitchOvers);
            }
            if (ike && !legacy) {
                expect_field(l, "authentication",
                             k->dwAuthenticationProtocol == 1 ? "certificate" : "eap");
                expect_field(l, "encryption", "aes-256");
            } else if (!ike) {
                expect_field(l, "authentication", "eap");
                expect_field(l, "eap_method", p->dwEapTypeId == 26 ? "ms-chapv2" : "tls");
                expect_field(l, "encryption", "mppe-128");
            }
            expect_field(l, "server_ipv4", "198.18.255.1");
        }
        assert_int_equal(jc_get(l, strlen(l), "record_id", ids[i], sizeof ids[i]), JC_STRING);
        assert_int_equal(strlen(ids[i]), 36);
        assert_int_equal(ids[i][14], '7'); /* UUID version 7 */

        assert_int_equal(jc_get(l, strlen(l), "time", t, sizeof t), JC_STRING);
        assert_int_equal(jc_get(l, strlen(l), "start_time", st, sizeof st), JC_STRING);
        time_ms = parse_time_ms(t);
        /* The clock has 1 ms steps; allow one either side. */
        if (time_ms + 1 < t_before || time_ms > t_after + 1)
            fail_msg("time %s is outside the replay", t);
        assert_int_equal(parse_time_ms(st), time_ms - (uint64_t)c->ex.dwConnectDuration * 1000);
    }
    for (unsigned i = 0; i < count; i++)
        if (!seen[i])
            fail_msg("connection %u has no record", i);
    qsort(ids, n, sizeof ids[0], cmp_id);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("record_id %s appears twice", ids[i]);
    free(c);
    free(seen);
    free(text);
}

static uint64_t now_ms(void)
{
    FILETIME ft;
    struct rh_filetime r;

    GetSystemTimePreciseAsFileTime(&ft);
    r.dwLowDateTime = ft.dwLowDateTime;
    r.dwHighDateTime = ft.dwHighDateTime;
    return rh_filetime_to_unix_ms(&r);
}

/* One file sink writing JSON Lines to <temp>\<tag>\records.jsonl. */
static void configure_file_sink(const WCHAR *tag, WCHAR *path, size_t path_count)
{
    WCHAR dir[MAX_PATH];

    wt_reset_config();
    wt_make_temp_dir(tag, dir, MAX_PATH);
    _snwprintf(path, path_count, L"%ls\\records.jsonl", dir);
    path[path_count - 1] = L'\0';
    DeleteFileW(path);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"main", L"Path", REG_EXPAND_SZ, path);
    wt_set_sink_string(L"main", L"Format", REG_SZ, L"json");
}

static void thousand_connections_from_four_threads(void **state)
{
    WCHAR path[MAX_PATH];
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"thousand", path, MAX_PATH);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_AUTO, 11, 1000, 4, true);
    t1 = now_ms();
    check_records(path, 11, 1000, false, t0, t1);
}

static void thousand_connections_unserialized(void **state)
{
    WCHAR path[MAX_PATH];
    uint64_t t0, t1;

    (void)state;
    /* RRAS serializes these calls; the DLL must be correct even if a host did not. */
    configure_file_sink(L"racing", path, MAX_PATH);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_AUTO, 12, 1000, 4, false);
    t1 = now_ms();
    check_records(path, 12, 1000, false, t0, t1);
}

static void csv_file_has_header_and_one_row_per_record(void **state)
{
    WCHAR path[MAX_PATH];
    size_t len, used, off;
    char *text;
    char cell[512];
    int rows = 0;

    (void)state;
    configure_file_sink(L"csv", path, MAX_PATH);
    wt_set_sink_string(L"main", L"Format", REG_SZ, L"csv");
    run_replay(RH_HOST_MODEL_AUTO, 14, 60, 4, true);
    run_replay(RH_HOST_MODEL_AUTO, 14, 60, 4, true); /* appends: no second header */
    text = wt_read_file(path, &len);
    assert_non_null(text);
    assert_memory_equal(text,
                        "\xEF\xBB\xBF"
                        "event,record_id,",
                        19);
    off = 3;
    assert_int_equal(cc_row(text + off, len - off, 7, cell, sizeof cell, &used), RH_FIELD_COUNT);
    assert_string_equal(cell, "user");
    off += used;
    while (off < len) {
        struct rh_scenario_conn *c = malloc(sizeof *c);
        char id[64];
        unsigned long d1, d2, d3;

        assert_int_equal(cc_row(text + off, len - off, 6, id, sizeof id, &used), RH_FIELD_COUNT);
        assert_int_equal(sscanf(id, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        rh_scenario_make(14, (unsigned)((d2 << 16) | d3), c);
        assert_int_equal(cc_row(text + off, len - off, 7, cell, sizeof cell, &used),
                         RH_FIELD_COUNT);
        assert_string_equal(cell, c->user);
        free(c);
        off += used;
        rows++;
    }
    assert_int_equal(rows, 120);
    free(text);
}

static void legacy_binding_records(void **state)
{
    WCHAR path[MAX_PATH];
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"legacy", path, MAX_PATH);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_LEGACY, 13, 200, 4, true);
    t1 = now_ms();
    check_records(path, 13, 200, true, t0, t1);
}

/* Runs rrashost.exe with `args`; its exit status. */
static DWORD run_rrashost(const WCHAR *args)
{
    WCHAR cmd[512];

    _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"rrashost.exe %ls", args);
    cmd[sizeof cmd / sizeof cmd[0] - 1] = L'\0';
    return wt_run(NULL, cmd);
}

/* rrashost's exit status says what RRAS would do: documented, and distinct. */
static void rrashost_exit_status_says_what_rras_would_do(void **state)
{
    HKEY key;

    (void)state;
    wt_reset_config();
    assert_int_equal(run_rrashost(L"--help"), 0);
    assert_int_equal(run_rrashost(L"--replay --threads 0"), 1);
    assert_int_equal(run_rrashost(L"--bogus"), 1);
    assert_int_equal(run_rrashost(L"--dll"), 1);
    /* A replay is asked for by name, never by default: no action, or a replay option alone. */
    assert_int_equal(run_rrashost(L""), 1);
    assert_int_equal(run_rrashost(L"--connections 1"), 1);
    assert_int_equal(run_rrashost(L"--list --replay"), 1);
    /*
     * RRAS's service is not installed here: a replay may run. (Wine's own
     * services start and stop on their own: none is a steady one to test the
     * refusal with.)
     */
    assert_int_equal(rh_host_service_running(RH_HOST_RRAS_SERVICE), 0);
    /* Nothing registered: RRAS starts without an admin DLL, there is nothing to replay. */
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, KEY_SET_VALUE | KEY_WOW64_64KEY, &key) ==
        ERROR_SUCCESS) {
        RegDeleteValueW(key, L"DLLPath");
        RegCloseKey(key);
    }
    assert_int_equal(run_rrashost(L"--replay --connections 1"), 3);
    /* A DLL that cannot be loaded: RRAS would not start with it. */
    assert_int_equal(run_rrashost(L"--replay --dll C:\\nowhere\\missing.dll --connections 1"), 2);
}

/*
 * rrashost --check-config: the configuration as the DLL reads it, each
 * destination tried without a record; it writes nothing (no journal), and its
 * exit status says whether every sink would run and can deliver now.
 */
static void check_config_touches_nothing_and_says_what_would_run(void **state)
{
    WCHAR path[MAX_PATH], journal[MAX_PATH];

    (void)state;
    configure_file_sink(L"check", path, MAX_PATH);
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    assert_int_equal(run_rrashost(L"--check-config"), 0);
    /* A collector nothing listens for: it would run, and cannot deliver now. */
    wt_set_sink_string(L"siem", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"siem", L"Server", REG_SZ, L"127.0.0.1:9");
    assert_int_equal(run_rrashost(L"--check-config"), 5);
    /* A value out of its range: that sink would not run. */
    wt_set_sink_dword(L"siem", L"Port", 70000);
    assert_int_equal(run_rrashost(L"--check-config"), 4);
    assert_int_equal(run_rrashost(L"--check-config --seed 1"), 1);
    /* Nothing written: no journal, no records file. */
    assert_int_equal(GetFileAttributesW(journal), INVALID_FILE_ATTRIBUTES);
    assert_int_equal(GetFileAttributesW(path), INVALID_FILE_ATTRIBUTES);
}

/*
 * Every example under examples/ works as written: imported with reg import as
 * its comment says, it names only values rashangup reads, and every sink it
 * defines would run, except for a CaFile the example says to copy first.
 */
static void every_example_works_as_written(void **state)
{
    static const WCHAR *const examples[] = {L"eventlog", L"file-csv", L"radius", L"syslog",
                                            L"syslog-tls"};
    WCHAR cmd[MAX_PATH + 64], out[MAX_PATH];

    (void)state;
    wt_make_temp_dir(L"examples", out, MAX_PATH);
    wcscat(out, L"\\check.txt");
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char *text, *line;
        size_t len;
        DWORD code;

        wt_fresh_config();
        _snwprintf(cmd, MAX_PATH + 64, L"reg.exe import Z:%hs/examples/%ls.reg", RH_SOURCE_DIR,
                   examples[i]);
        cmd[MAX_PATH + 63] = L'\0';
        for (WCHAR *p = cmd; *p != L'\0'; p++)
            *p = *p == L'/' ? L'\\' : *p;
        wcscat(cmd, L" /reg:64");
        if (wt_run_to(NULL, cmd, out) != 0) {
            text = wt_read_file(out, &len);
            fail_msg("%ls failed: %s", cmd, text != NULL ? text : "");
        }
        wcscpy(cmd, L"rrashost.exe --check-config");
        code = wt_run_to(NULL, cmd, out);
        text = wt_read_file(out, &len);
        assert_non_null(text);
        if (strstr(text, "\nSink ") == NULL || strstr(text, "is not one rashangup reads") != NULL ||
            strstr(text, "Configuration") != NULL)
            fail_msg("examples/%ls.reg does not read as written:\n%s", examples[i], text);
        for (line = strstr(text, "would NOT run"); line != NULL;
             line = strstr(line + 1, "would NOT run"))
            if (strncmp(strchr(line, ':'), ": value CaFile: cannot read", 27) != 0)
                fail_msg("examples/%ls.reg: a sink would not run:\n%s", examples[i], text);
        assert_true(code == 0 || code == 5 || (code == 4 && strstr(text, "CaFile") != NULL));
        free(text);
    }
    wt_fresh_config();
}

/*
 * RASHANGUP_REPLAY in a service's process (RRAS's svchost.exe, given it by an
 * administrator's mistake) is ignored and said to be: RRAS's records are real.
 * rrashost itself, copied as svchost.exe, plays that host here.
 */
static void the_replay_variable_is_ignored_in_a_service_host(void **state)
{
    WCHAR dir[MAX_PATH], exe[MAX_PATH], src[MAX_PATH], dll[MAX_PATH], path[MAX_PATH];
    WCHAR cmd[3 * MAX_PATH];
    size_t log_from = wt_log_size();
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"svchost", path, MAX_PATH);
    wt_make_temp_dir(L"svchost", dir, MAX_PATH);
    GetFullPathNameW(L"rrashost.exe", MAX_PATH, src, NULL);
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, dll, NULL);
    _snwprintf(exe, MAX_PATH, L"%ls\\svchost.exe", dir);
    exe[MAX_PATH - 1] = L'\0';
    assert_true(CopyFileW(src, exe, FALSE));
    _snwprintf(cmd, 3 * MAX_PATH, L"\"%ls\" --replay --dll \"%ls\" --connections 9 --seed 8", exe,
               dll);
    cmd[3 * MAX_PATH - 1] = L'\0';
    t0 = now_ms();
    assert_int_equal(wt_run(exe, cmd), 0);
    t1 = now_ms();
    check_records(path, 8, 9, false, t0, t1); /* warnings [], not [simulated] */
    assert_true(wt_log_contains(log_from, "RASHANGUP_REPLAY=1 is in the environment of a service "
                                          "process"));
    wt_remove_tree(dir);
}

static void rrashost_exe_loads_the_registered_dll(void **state)
{
    WCHAR path[MAX_PATH], dll[MAX_PATH], list[2 * MAX_PATH + 32], cmd[MAX_PATH + 64];
    DWORD code;
    HKEY key;
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"exe", path, MAX_PATH);
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, dll, NULL);
    /* A later entry with a leading space: RRAS (and rrashost) stop before it. */
    _snwprintf(list, sizeof list / sizeof list[0], L"%ls; C:\\Vendor\\never-loaded.dll", dll);
    list[sizeof list / sizeof list[0] - 1] = L'\0';
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegSetValueExW(key, L"DLLPath", 0, REG_SZ, (const BYTE *)list,
                   (DWORD)((wcslen(list) + 1) * sizeof(WCHAR)));

    wcscpy(cmd, L"rrashost.exe --replay --connections 50 --threads 4 --seed 7");
    t0 = now_ms();
    code = wt_run(NULL, cmd);
    t1 = now_ms();
    RegDeleteValueW(key, L"DLLPath");
    RegCloseKey(key);
    assert_int_equal(code, 0);
    /* A lab replay's records say so, every one. */
    g_simulated = true;
    check_records(path, 7, 50, false, t0, t1);
    g_simulated = false;
}

static void bad_configuration_is_named_and_others_run(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    size_t log_from;
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"badcfg", path, MAX_PATH);
    wt_set_sink_string(L"fmt", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"fmt", L"Format", REG_SZ, L"xml");
    wt_set_sink_string(L"kind", L"Type", REG_SZ, L"carrier-pigeon");
    wt_set_sink_string(L"dword", L"Type", REG_SZ, L"file");
    wt_set_sink_dword(L"dword", L"Path", 42);
    wt_set_sink_string(L"relative", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"relative", L"Path", REG_SZ, L"records.jsonl");
    wt_set_sink_string(L"untyped", L"Path", REG_SZ, L"C:\\x.jsonl");
    wt_set_sink_string(L"off", L"Type", REG_SZ, L"file");
    wt_set_sink_dword(L"off", L"Enabled", 0);

    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_AUTO, 21, 10, 2, true);
    t1 = now_ms();
    check_records(path, 21, 10, false, t0, t1);

    assert_true(wt_log_contains(log_from, "HKLM\\SOFTWARE\\RasHangup\\Sinks\\fmt: value Format: "
                                          "\"xml\" is not json or csv"));
    assert_true(wt_log_contains(log_from, "Sinks\\kind: value Type: unknown sink type "
                                          "\"carrier-pigeon\""));
    assert_true(wt_log_contains(log_from, "Sinks\\dword: value Path: has type REG_DWORD, "
                                          "expected REG_SZ or REG_EXPAND_SZ"));
    assert_true(wt_log_contains(log_from, "Sinks\\relative: value Path: \"records.jsonl\" is "
                                          "not an absolute path"));
    assert_true(wt_log_contains(log_from, "Sinks\\untyped: value Type is missing"));
    assert_true(wt_log_contains(log_from, "Sinks\\off: disabled (Enabled = 0)"));
    assert_true(wt_log_contains(log_from, "started on"));
}

/*
 * Keywords in any case work as written in lower case; a value no sink reads is
 * named with the one it was likely meant to be; a bad global value takes its
 * default, said with its range, and the others still apply.
 */
static void keywords_in_any_case_and_unknown_values_are_named(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    size_t log_from, len;
    uint64_t t0, t1;
    char *text;

    (void)state;
    configure_file_sink(L"anycase", path, MAX_PATH);
    wt_set_sink_string(L"main", L"Type", REG_SZ, L"FILE");
    wt_set_sink_string(L"main", L"Format", REG_SZ, L"Json");
    wt_set_sink_string(L"main", L"Rotate", REG_SZ, L"NEVER");
    wt_set_sink_string(L"main", L"Rotation", REG_SZ, L"daily");
    wt_set_sink_string(L"csv", L"Type", REG_SZ, L"File");
    wt_set_sink_string(L"csv", L"Format", REG_SZ, L"CSV ");
    wt_set_global_dword(L"RetryMinMs", 5);
    wt_set_global_dword(L"FlushIntervalMS", 500); /* value names are not case-sensitive */
    wt_set_global_dword(L"JournalSizeGB", 1);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_AUTO, 23, 20, 2, true);
    t1 = now_ms();
    check_records(path, 23, 20, false, t0, t1);
    text = wt_read_file(path, &len);
    assert_non_null(text);
    assert_int_equal(text[0], '{'); /* JSON Lines, not CSV */
    free(text);

    assert_true(wt_log_contains(log_from, "HKLM\\SOFTWARE\\RasHangup\\Sinks\\main: value Rotation "
                                          "is not one rashangup reads, and is ignored (did you "
                                          "mean Rotate?)"));
    assert_true(wt_log_contains(log_from, "Sinks\\csv: value Format: \"CSV \" is not json or csv"));
    assert_true(wt_log_contains(log_from, "HKLM\\SOFTWARE\\RasHangup: value RetryMinMs: 5 is not "
                                          "10 to 600000; its default 1000 is used instead"));
    assert_true(wt_log_contains(log_from, "HKLM\\SOFTWARE\\RasHangup: value JournalSizeGB is not "
                                          "one rashangup reads, and is ignored (did you mean "
                                          "JournalSizeMB?)"));
    assert_false(wt_log_contains(log_from, "value FlushIntervalMS is not"));
    /* Start names the sinks that run, and says the default file is not one of them. */
    assert_true(wt_log_contains(log_from, "with 1 sink(s) (main); journal in"));
    assert_true(wt_log_contains(log_from,
                                "The sinks are those under HKLM\\SOFTWARE\\RasHangup\\Sinks: "
                                "the default JSON Lines file is written only if one of "
                                "them names it"));
    assert_false(wt_log_contains(log_from, "value Type is not"));
}

static void unwritable_output_degrades_and_reports(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH], status_path[MAX_PATH];
    char *status;
    size_t len;
    size_t log_from;
    uint64_t t0, t1;

    (void)state;
    configure_file_sink(L"unwritable", path, MAX_PATH);
    /* No drive Q: under Wine: the file can never be opened. */
    wt_set_sink_string(L"lost", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"lost", L"Path", REG_SZ, L"Q:\\nowhere\\records.jsonl");
    wt_set_global_dword(L"DrainTimeoutMs", 300);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    t0 = now_ms();
    run_replay(RH_HOST_MODEL_AUTO, 22, 20, 2, true); /* binds: Initialize still succeeds */
    t1 = now_ms();
    /* The other sink is not held back; the failing one keeps its records and retries. */
    check_records(path, 22, 20, false, t0, t1);
    assert_true(
        wt_log_contains(log_from, "sink lost: cannot open file Q:\\nowhere\\records.jsonl"));
    assert_true(wt_log_contains(log_from, "sink lost: delivery failed; retrying with backoff"));
    /* Event 206 says what stays for the next start. */
    assert_true(wt_log_contains(log_from, "record(s) not yet delivered to every sink stay in the "
                                          "journal and are delivered at the next start"));
    wt_program_data_file(L"journal\\status.json", status_path, MAX_PATH);
    status = wt_read_file(status_path, &len);
    assert_non_null(status);
    assert_true(jc_valid(status, len - 1));
    assert_non_null(strstr(status, "{\"name\":\"lost\",\"type\":\"file\",\"state\":\"retrying\""));
    assert_non_null(strstr(status, "\"pending\":20,"));
    assert_non_null(strstr(status, "\"last_error\":3}"));
    /* The verdict a monitor alerts on: one sink of two cannot deliver. */
    assert_non_null(strstr(status, "\"health\":\"degraded\",\"health_reasons\":[\"sink lost is "
                                   "retrying: write to Q:"));
    /* The code in words, and what the sink was doing (sink.h: error()). */
    assert_non_null(
        strstr(status, "\"last_error_text\":\"write to Q:\\\\nowhere\\\\records.jsonl: "));
    free(status);
}

static void default_sink_without_configuration(void **state)
{
    WCHAR path[MAX_PATH];
    size_t before, len, log_from = wt_log_size();
    char *text;
    static char *lines[MAX_LINES];
    size_t n;

    (void)state;
    wt_reset_config();
    wt_program_data_file(L"hangups.jsonl", path, MAX_PATH);
    before = wt_file_size(path);
    run_replay(RH_HOST_MODEL_AUTO, 23, 5, 1, true);
    /* Start says where records go, and what a first configured sink changes. */
    assert_true(wt_log_contains(log_from, "No HKLM\\SOFTWARE\\RasHangup\\Sinks key: the one sink "
                                          "is the default JSON Lines file"));
    text = wt_read_file(path, &len);
    assert_non_null(text);
    assert_true(len > before);
    n = wt_split_lines(text + before, lines, MAX_LINES);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(lines[i], "\"connection_id\":\"5eed0017-"));
    free(text);
}

static void malformed_structures_are_refused_or_read_safely(void **state)
{
    WCHAR path[MAX_PATH], log[MAX_PATH];
    struct rh_host_dll dll;
    struct rh_scenario_conn *c = malloc(sizeof *c);
    char err[512];
    size_t log_from, len;
    char *text;

    (void)state;
    configure_file_sink(L"malformed", path, MAX_PATH);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    assert_int_equal(rh_host_load(&dll, L"rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err),
                     NO_ERROR);
    rh_scenario_make(24, 0, c);
    c->ex.Header.type = 2; /* an MPR_SERVER_EX header */
    dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c->ex);
    dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(NULL);
    rh_scenario_make(24, 1, c);
    /* Declares 100 bytes: the user name is past them and must not be read. */
    c->ex.Header.size = 100;
    SetLastError(0xdeadbeef);
    dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c->ex);
    assert_int_equal(GetLastError(), 0xdeadbeef);
    rh_scenario_make(24, 2, c);
    c->ex.Header.size = 100; /* again: the log says it once, the record says it each time */
    dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c->ex);
    rh_host_unload(&dll);

    assert_true(wt_log_contains(log_from, "RAS_CONNECTION_EX refused: header type is not "
                                          "RAS_CONNECTION_OBJECT (1) (said once until the next "
                                          "start)"));
    assert_true(wt_log_contains(log_from, "header size 100 is shorter than revision 1"));
    {
        WCHAR log_path[MAX_PATH];
        char *all;
        size_t all_len;

        /* RRAS's thread writes the log once per kind, not once per hangup. */
        wt_program_data_file(L"rashangup.log", log_path, MAX_PATH);
        all = wt_read_file(log_path, &all_len);
        assert_non_null(all);
        assert_null(strstr(all + log_from, "refused: NULL structure"));
        assert_null(strstr(strstr(all + log_from, "header size 100") + 1, "header size 100"));
        free(all);
    }
    text = wt_read_file(path, &len);
    assert_non_null(text);
    /* Two records, both short: empty user, the warning in each. */
    {
        char *rows[4];
        size_t n = wt_split_lines(text, rows, 4);

        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(jc_count_members(rows[i], strlen(rows[i])), RH_FIELD_COUNT);
            assert_non_null(strstr(rows[i], "\"user\":\"\""));
            assert_non_null(strstr(rows[i], "\"warnings\":[\"structure_short\""));
        }
    }
    free(text);
    free(c);
}

int main(void)
{
    WCHAR name[256];
    DWORD n = 256;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(thousand_connections_from_four_threads, wt_teardown),
        cmocka_unit_test_teardown(thousand_connections_unserialized, wt_teardown),
        cmocka_unit_test_teardown(csv_file_has_header_and_one_row_per_record, wt_teardown),
        cmocka_unit_test_teardown(legacy_binding_records, wt_teardown),
        cmocka_unit_test_teardown(rrashost_exe_loads_the_registered_dll, wt_teardown),
        cmocka_unit_test_teardown(every_example_works_as_written, wt_teardown),
        cmocka_unit_test_teardown(the_replay_variable_is_ignored_in_a_service_host, wt_teardown),
        cmocka_unit_test_teardown(rrashost_exit_status_says_what_rras_would_do, wt_teardown),
        cmocka_unit_test_teardown(check_config_touches_nothing_and_says_what_would_run,
                                  wt_teardown),
        cmocka_unit_test_teardown(bad_configuration_is_named_and_others_run, wt_teardown),
        cmocka_unit_test_teardown(keywords_in_any_case_and_unknown_values_are_named, wt_teardown),
        cmocka_unit_test_teardown(unwritable_output_degrades_and_reports, wt_teardown),
        cmocka_unit_test_teardown(default_sink_without_configuration, wt_teardown),
        cmocka_unit_test_teardown(malformed_structures_are_refused_or_read_safely, wt_teardown),
    };

    if (!GetComputerNameExW(ComputerNameDnsFullyQualified, name, &n) || n == 0)
        return 2;
    WideCharToMultiByte(CP_UTF8, 0, name, -1, g_server, sizeof g_server, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
