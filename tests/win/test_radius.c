/* SPDX-License-Identifier: MIT */
/*
 * The RADIUS accounting sink against a real FreeRADIUS on loopback (started by
 * tests/peers/with_freeradius.sh): rrashost drives the DLL, and FreeRADIUS's
 * detail file must hold, per connection, a Start and a Stop with the fields the
 * host gave, user names in many scripts included, between an Accounting-On and
 * an Accounting-Off. A wrong secret is reported as such and loses nothing; a
 * server restarted in the middle of a burst loses nothing.
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

#include "detail_check.h"
#include "host.h"
#include "radius.h"
#include "wintest.h"

#define MAX_RECORDS 32768

static char *records[MAX_RECORDS];
static WCHAR detail_path[MAX_PATH], peer_dir[MAX_PATH];
static char secret_utf8[128];
static unsigned port;
static WCHAR secret[128];

/* A Unix path from the environment, as Wine sees it on drive Z:. */
static void unix_path(const char *var, const WCHAR *suffix, WCHAR *out)
{
    char buf[MAX_PATH];

    GetEnvironmentVariableA(var, buf, sizeof buf);
    _snwprintf(out, MAX_PATH, L"Z:%hs%ls", buf, suffix);
    out[MAX_PATH - 1] = L'\0';
    for (WCHAR *p = out; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
}

static void configure(const WCHAR *server, const WCHAR *key)
{
    wt_fresh_config();
    wt_set_global_dword(L"DrainTimeoutMs", 20000);
    wt_set_sink_string(L"radius", L"Type", REG_SZ, L"radius");
    wt_set_sink_string(L"radius", L"Server", REG_SZ, server);
    wt_set_sink_string(L"radius", L"Secret", REG_SZ, key);
    wt_set_sink_string(L"radius", L"NasIdentifier", REG_SZ, L"vpn-gw.contoso.test");
    wt_set_sink_dword(L"radius", L"TimeoutMs", 300);
    wt_set_sink_dword(L"radius", L"Retries", 1);
}

static void load_as(struct rh_host_dll *dll, enum rh_host_model model)
{
    wt_load(dll, model);
}

static void load(struct rh_host_dll *dll)
{
    wt_load(dll, RH_HOST_MODEL_AUTO);
}

static void replay(struct rh_host_dll *dll, unsigned seed, unsigned count)
{
    struct rh_replay_stats stats = {0};

    assert_int_equal(rh_host_replay(dll, 1, seed, count, 4, true, &stats), NO_ERROR);
}

struct tally {
    unsigned on, off;
    unsigned *starts, *stops; /* per connection index */
    unsigned max_delay;       /* the largest Acct-Delay-Time of a Stop */
};

static void expect_attr(const char *rec, const char *attr, const char *want)
{
    char v[1024];

    if (!dc_get(rec, attr, v, sizeof v))
        fail_msg("%s missing in:\n%s", attr, rec);
    if (strcmp(v, want) != 0)
        fail_msg("%s is \"%s\", expected \"%s\", in:\n%s", attr, v, want, rec);
}

static void expect_u32(const char *rec, const char *attr, unsigned long want)
{
    char text[32];

    snprintf(text, sizeof text, "%lu", want);
    expect_attr(rec, attr, text);
}

/*
 * Reads the detail file and checks every Start and Stop of scenario `seed`
 * against what the host sent. Accounting-On and -Off are counted from `from`
 * (a record index): those of this test's runs. The legacy structures carry no
 * tunnel endpoints.
 */
static bool g_simulated; /* the records checked are a lab replay's */

static void check_detail(unsigned seed, unsigned count, size_t from, bool legacy, struct tally *t)
{
    size_t len, n;
    char *text = wt_read_file(detail_path, &len);
    struct rh_scenario_conn *c = malloc(sizeof *c);
    char v[1024], want[512];

    assert_non_null(text);
    n = dc_split(text, records, MAX_RECORDS);
    memset(t, 0, sizeof *t);
    t->starts = calloc(count, sizeof *t->starts);
    t->stops = calloc(count, sizeof *t->stops);
    for (size_t i = 0; i < n; i++) {
        const char *r = records[i];
        unsigned long d1, d2, d3;
        unsigned index;
        bool stop;

        assert_true(dc_get(r, "Acct-Status-Type", v, sizeof v));
        if (strcmp(v, "Accounting-On") == 0 || strcmp(v, "Accounting-Off") == 0) {
            if (i >= from && strcmp(v, "Accounting-On") == 0)
                t->on++;
            else if (i >= from)
                t->off++;
            expect_attr(r, "NAS-Identifier", "vpn-gw.contoso.test");
            /* NasIpAddress is not set: the address the request left from, as for Start and Stop. */
            expect_attr(r, "NAS-IP-Address", "127.0.0.1");
            continue;
        }
        stop = strcmp(v, "Stop") == 0;
        if (!stop && strcmp(v, "Start") != 0)
            fail_msg("unexpected Acct-Status-Type %s", v);
        assert_true(dc_get(r, "Acct-Session-Id", v, sizeof v));
        assert_int_equal(sscanf(v, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        if (d1 != 0x5eed0000ul + seed)
            continue; /* another test's connections */
        index = (unsigned)((d2 << 16) | d3);
        assert_true(index < count);
        if (stop && t->starts[index] == 0)
            fail_msg("connection %u: its Stop came before its Start", index);
        (stop ? t->stops : t->starts)[index]++;

        rh_scenario_make(seed, index, c);
        if (c->domain[0] != '\0')
            snprintf(want, sizeof want, "%s\\%s", c->domain, c->user);
        else
            snprintf(want, sizeof want, "%s", c->user);
        expect_attr(r, "User-Name", want);
        expect_attr(r, "Framed-IP-Address", c->client_ipv4);
        if (legacy)
            assert_false(dc_get(r, "Calling-Station-Id", v, sizeof v));
        else
            expect_attr(r, "Calling-Station-Id", c->remote_endpoint);
        expect_attr(r, "NAS-Identifier", "vpn-gw.contoso.test");
        expect_attr(r, "NAS-IP-Address", "127.0.0.1");
        expect_attr(r, "NAS-Port-Type", "Virtual");
        assert_true(dc_get(r, "Message-Authenticator", v, sizeof v));
        if (g_simulated)
            expect_attr(r, "Connect-Info", RH_RADIUS_SIMULATED_INFO);
        else
            assert_false(dc_get(r, "Connect-Info", v, sizeof v));
        if (stop) {
            expect_u32(r, "Acct-Session-Time", c->ex.dwConnectDuration);
            expect_u32(r, "Acct-Input-Octets", c->ex.dwBytesRcved);
            expect_u32(r, "Acct-Output-Octets", c->ex.dwBytesXmited);
            expect_u32(r, "Acct-Input-Packets", c->ex.dwFramesRcved);
            expect_u32(r, "Acct-Output-Packets", c->ex.dwFramesXmited);
            assert_true(dc_get(r, "Acct-Delay-Time", v, sizeof v));
            if (strtoul(v, NULL, 10) > t->max_delay)
                t->max_delay = (unsigned)strtoul(v, NULL, 10);
        } else {
            assert_false(dc_get(r, "Acct-Session-Time", v, sizeof v));
        }
    }
    free(text);
    free(c);
}

static void tally_free(struct tally *t)
{
    free(t->starts);
    free(t->stops);
}

static size_t detail_records(void)
{
    size_t len, n;
    char *text = wt_read_file(detail_path, &len);

    if (text == NULL)
        return 0;
    n = dc_split(text, records, MAX_RECORDS);
    free(text);
    return n;
}

/* Every connection has exactly `want` Starts and Stops (or at least one, if want is 0). */
static unsigned expect_every_connection(const struct tally *t, unsigned count, unsigned want)
{
    unsigned dups = 0;

    for (unsigned i = 0; i < count; i++) {
        if (t->starts[i] == 0 || t->stops[i] == 0)
            fail_msg("connection %u: %u Start(s), %u Stop(s) recorded", i, t->starts[i],
                     t->stops[i]);
        if (want != 0 && (t->starts[i] != want || t->stops[i] != want))
            fail_msg("connection %u: %u Start(s), %u Stop(s), expected %u", i, t->starts[i],
                     t->stops[i], want);
        dups += t->starts[i] - 1 + t->stops[i] - 1;
    }
    return dups;
}

static void start_and_stop_for_every_connection_between_on_and_off(void **state)
{
    static struct rh_host_dll dll;
    WCHAR server[128];
    struct tally t;
    size_t from = detail_records(), log_from;
    WCHAR log[MAX_PATH];

    (void)state;
    /* The first server has nothing listening: the sink moves to the second. */
    _snwprintf(server, 128, L"127.0.0.1:9, 127.0.0.1:%u", port);
    configure(server, secret);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    load(&dll);
    replay(&dll, 61, 300);
    rh_host_unload(&dll); /* Accounting-Off, then the drain */

    check_detail(61, 300, from, false, &t);
    assert_int_equal(expect_every_connection(&t, 300, 1), 0);
    assert_int_equal(t.on, 1);
    assert_int_equal(t.off, 1);
    tally_free(&t);
    /* The Off is the last record; the On comes before every connection. */
    {
        char v[64];
        size_t len, n;
        char *text = wt_read_file(detail_path, &len);

        assert_non_null(text);
        n = dc_split(text, records, MAX_RECORDS);
        assert_true(n > from);
        assert_true(dc_get(records[n - 1], "Acct-Status-Type", v, sizeof v));
        assert_string_equal(v, "Accounting-Off");
        assert_true(dc_get(records[from], "Acct-Status-Type", v, sizeof v));
        assert_string_equal(v, "Accounting-On");
        free(text);
    }
    assert_true(wt_log_contains(log_from, "sink radius: failing over to 127.0.0.1 port"));
    if (!wt_log_contains(log_from, "nothing listens on 127.0.0.1 port 9") &&
        !wt_log_contains(log_from, "127.0.0.1 port 9 does not answer"))
        fail_msg("the log does not say why 127.0.0.1 port 9 was left");
}

/* A server whose name does not resolve is a name problem: the Secret is not suspected. */
static void an_unknown_server_name_is_named_as_such(void **state)
{
    static struct rh_host_dll dll;
    size_t log_from;
    WCHAR log[MAX_PATH];

    (void)state;
    configure(L"no-such-host.invalid", L"whatever");
    wt_set_global_dword(L"DrainTimeoutMs", 300);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    load(&dll);
    replay(&dll, 63, 2);
    Sleep(500);
    rh_host_unload(&dll);
    assert_true(wt_log_contains(log_from, "sink radius: cannot reach no-such-host.invalid port"));
    assert_false(wt_log_contains(log_from, "the Secret is probably wrong"));
}

static void a_wrong_secret_is_reported_and_loses_nothing(void **state)
{
    static struct rh_host_dll dll;
    WCHAR server[128];
    struct tally t;
    size_t log_from;
    WCHAR log[MAX_PATH];
    char v[64];

    (void)state;
    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    configure(server, L"not-the-secret");
    wt_set_global_dword(L"DrainTimeoutMs", 1000);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    load(&dll);
    replay(&dll, 62, 50);
    Sleep(1500);
    rh_host_unload(&dll);
    assert_true(wt_log_contains(log_from, "sink radius: 127.0.0.1 port"));
    assert_true(wt_log_contains(log_from, "the Secret is probably wrong"));
    check_detail(62, 50, 0, false, &t);
    for (unsigned i = 0; i < 50; i++)
        assert_int_equal(t.starts[i] + t.stops[i], 0);
    tally_free(&t);
    {
        /* The Secret itself is never written to the log. */
        size_t len;
        char *text = wt_read_file(log, &len);

        assert_non_null(text);
        assert_null(strstr(text + log_from, "not-the-secret"));
        free(text);
    }

    /* The administrator fixes the secret: the journal still holds everything. */
    wt_set_sink_string(L"radius", L"Secret", REG_SZ, secret);
    load(&dll);
    rh_host_unload(&dll);
    check_detail(62, 50, 0, false, &t);
    assert_int_equal(expect_every_connection(&t, 50, 1), 0);
    tally_free(&t);
    /* Acct-Delay-Time counts from the hangup, not from the send. */
    assert_true(t.max_delay >= 1);
    snprintf(v, sizeof v, "%u", t.max_delay);
    print_message("wrong secret, then fixed: 50 connections recorded, Acct-Delay-Time up to %s s\n",
                  v);
}

static void a_server_restart_mid_burst_loses_nothing(void **state)
{
    static struct rh_host_dll dll;
    WCHAR server[128], request[MAX_PATH], done[MAX_PATH];
    struct tally t;
    unsigned dups = 0;
    HANDLE h;

    (void)state;
    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    configure(server, secret);
    _snwprintf(request, MAX_PATH, L"%ls\\restart-request", peer_dir);
    _snwprintf(done, MAX_PATH, L"%ls\\restart-done", peer_dir);
    DeleteFileW(done);
    load(&dll);
    replay(&dll, 63, 500);
    h = CreateFileW(request, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    replay(&dll, 64, 500); /* while FreeRADIUS stops and starts again */
    for (int i = 0; i < 200 && GetFileAttributesW(done) == INVALID_FILE_ATTRIBUTES; i++)
        Sleep(50);
    assert_true(GetFileAttributesW(done) != INVALID_FILE_ATTRIBUTES);
    replay(&dll, 65, 500);
    rh_host_unload(&dll);
    for (unsigned seed = 63; seed <= 65; seed++) {
        check_detail(seed, 500, 0, false, &t);
        dups += expect_every_connection(&t, 500, 0);
        tally_free(&t);
    }
    print_message("1500 connections across a server restart: %u request(s) recorded twice\n", dups);
}

/* Windows before Server 2008 R2: the Start comes from MprAdminAcceptNewConnection3. */
static void the_legacy_binding_sends_start_and_stop_too(void **state)
{
    static struct rh_host_dll dll;
    WCHAR server[128];
    struct tally t;

    (void)state;
    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    configure(server, secret);
    load_as(&dll, RH_HOST_MODEL_LEGACY);
    replay(&dll, 66, 100);
    rh_host_unload(&dll);
    check_detail(66, 100, 0, true, &t);
    assert_int_equal(expect_every_connection(&t, 100, 1), 0);
    tally_free(&t);
}

/*
 * A lab replay (rrashost --replay) sends its sessions marked as such, and no
 * Accounting-On or -Off: a server closes every open session of the NAS by them.
 */
static void a_lab_replay_is_marked_and_sends_no_on_or_off(void **state)
{
    static struct rh_host_dll dll;
    WCHAR server[128], log[MAX_PATH];
    struct tally t;
    size_t from = detail_records(), log_from;

    (void)state;
    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    configure(server, secret);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);
    assert_true(SetEnvironmentVariableW(L"RASHANGUP_REPLAY", L"1"));
    load(&dll);
    replay(&dll, 67, 40);
    rh_host_unload(&dll);
    SetEnvironmentVariableW(L"RASHANGUP_REPLAY", NULL);
    g_simulated = true;
    check_detail(67, 40, from, false, &t);
    g_simulated = false;
    assert_int_equal(expect_every_connection(&t, 40, 1), 0);
    assert_int_equal(t.on, 0);
    assert_int_equal(t.off, 0);
    tally_free(&t);
    assert_true(wt_log_contains(log_from, "every record of this start is marked simulated"));
}

/* rrashost --check-config's output and exit status, with the sink configured. */
static DWORD check_config(char **output)
{
    WCHAR cmd[64] = L"rrashost.exe --check-config", out[MAX_PATH];
    DWORD code;
    size_t len;

    wt_make_temp_dir(L"check-config", out, MAX_PATH);
    wcscat(out, L"\\out.txt");
    code = wt_run_to(NULL, cmd, out);
    *output = wt_read_file(out, &len);
    assert_non_null(*output);
    return code;
}

/*
 * --check-config asks each server with a Status-Server (RFC 5997) and sends
 * no accounting request: an answer tells the Secret is right; a server that
 * drops it (FreeRADIUS does, for a wrong Secret) cannot be judged; one that
 * cannot be reached cannot take records now.
 */
static void check_config_asks_each_server_with_status_server(void **state)
{
    WCHAR server[128];
    size_t from = detail_records();
    char *text;

    (void)state;
    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    configure(server, secret);
    assert_int_equal(check_config(&text), 0);
    if (strstr(text, "answers Status-Server (RFC 5997) with the same Secret") == NULL)
        fail_msg("no Status-Server answer in:\n%s", text);
    assert_null(strstr(text, secret_utf8));
    free(text);

    configure(server, L"not-the-secret");
    assert_int_equal(check_config(&text), 0);
    if (strstr(text, "no answer to Status-Server") == NULL)
        fail_msg("a silent server is not said to be so in:\n%s", text);
    free(text);

    /* Every server is asked; one that cannot be reached fails the check. */
    _snwprintf(server, 128, L"127.0.0.1:%u, no-such-host.invalid", port);
    configure(server, secret);
    assert_int_equal(check_config(&text), 5);
    if (strstr(text, "answers Status-Server (RFC 5997) with the same Secret") == NULL ||
        strstr(text, "no-such-host.invalid port 1813: ") == NULL)
        fail_msg("both servers are not said in:\n%s", text);
    free(text);
    /* Not one accounting request reached the server. */
    assert_int_equal(detail_records(), from);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(start_and_stop_for_every_connection_between_on_and_off,
                                  wt_teardown),
        cmocka_unit_test_teardown(an_unknown_server_name_is_named_as_such, wt_teardown),
        cmocka_unit_test_teardown(a_wrong_secret_is_reported_and_loses_nothing, wt_teardown),
        cmocka_unit_test_teardown(a_server_restart_mid_burst_loses_nothing, wt_teardown),
        cmocka_unit_test_teardown(the_legacy_binding_sends_start_and_stop_too, wt_teardown),
        cmocka_unit_test_teardown(a_lab_replay_is_marked_and_sends_no_on_or_off, wt_teardown),
        cmocka_unit_test_teardown(check_config_asks_each_server_with_status_server, wt_teardown),
    };
    char buf[256];

    if (GetEnvironmentVariableA("RH_RADIUS_PORT", buf, sizeof buf) == 0) {
        fprintf(stderr, "run through tests/peers/with_freeradius.sh\n");
        return 2;
    }
    port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_RADIUS_SECRET", buf, sizeof buf);
    _snwprintf(secret, 128, L"%hs", buf);
    snprintf(secret_utf8, sizeof secret_utf8, "%s", buf);
    unix_path("RH_RADIUS_ACCT", L"/127.0.0.1/detail", detail_path);
    unix_path("RH_PEER_DIR", L"", peer_dir);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
