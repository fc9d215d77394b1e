/* SPDX-License-Identifier: MIT */
/*
 * The syslog sink against a real rsyslogd on loopback (started by
 * tests/peers/with_rsyslog.sh): what rsyslog received is checked field by field,
 * with user names in many scripts, over UDP and TCP, with failover, and across a
 * restart of the collector in the middle of a burst.
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
#include "syslog_check.h"
#include "text.h"
#include "wintest.h"

#define MAX_LINES 16384

static char *lines[MAX_LINES];
static WCHAR peer_dir[MAX_PATH];
static unsigned udp_port, tcp_port;

/* RH_PEER_DIR is a Unix path: under Wine it is on drive Z:. */
static void peer_file(const WCHAR *name, WCHAR *out)
{
    _snwprintf(out, MAX_PATH, L"%ls\\%ls", peer_dir, name);
    out[MAX_PATH - 1] = L'\0';
}

static size_t count_lines(void)
{
    WCHAR path[MAX_PATH];
    size_t len, n = 0;
    char *text;

    peer_file(L"out.jsonl", path);
    text = wt_read_file(path, &len);
    for (size_t i = 0; text != NULL && i < len; i++)
        n += text[i] == '\n';
    free(text);
    return n;
}

/* rsyslog writes asynchronously: wait (at most max_ms) until it has `n` lines. */
static void wait_for_lines(size_t n, int max_ms)
{
    for (int i = 0; i < max_ms / 50 && count_lines() < n; i++)
        Sleep(50);
}

static void run(unsigned seed, unsigned first, unsigned count)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    (void)first;
    assert_int_equal(rh_host_replay(&dll, 1, seed, count, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll);
}

static void configure(void)
{
    wt_fresh_config();
    wt_set_global_dword(L"DrainTimeoutMs", 20000);
}

static void set_syslog_sink(const WCHAR *name, const WCHAR *transport, const WCHAR *server,
                            const WCHAR *sd_id)
{
    wt_set_sink_string(name, L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(name, L"Transport", REG_SZ, transport);
    wt_set_sink_string(name, L"Server", REG_SZ, server);
    wt_set_sink_string(name, L"SdId", REG_SZ, sd_id);
}

/*
 * Checks every line rsyslog wrote with SD-ID `sd_id`: each field as the host sent
 * it, duplicates counted in *dups. Unless `lossy`, every connection of `seed` must
 * be there. Returns the lines matched.
 */
static size_t check_received(const char *sd_id, unsigned seed, unsigned count, bool lossy,
                             unsigned *dups)
{
    WCHAR path[MAX_PATH];
    size_t len, n, matched = 0;
    char *text;
    unsigned char *seen = calloc(count, 1);
    struct rh_scenario_conn *c = malloc(sizeof *c);
    char *sd = malloc(65536), *v = malloc(4096);
    char prefix[64];

    snprintf(prefix, sizeof prefix, "[%s ", sd_id);
    peer_file(L"out.jsonl", path);
    text = wt_read_file(path, &len);
    assert_non_null(text);
    n = wt_split_lines(text, lines, MAX_LINES);
    *dups = 0;
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        unsigned long d1, d2, d3;
        unsigned index;
        struct sc_message m;
        char want[64];

        assert_true(jc_valid(l, strlen(l)));
        assert_int_equal(jc_get(l, strlen(l), "sd", sd, 65536), JC_STRING);
        if (strncmp(sd, prefix, strlen(prefix)) != 0)
            continue;
        assert_int_equal(jc_get(l, strlen(l), "app", v, 4096), JC_STRING);
        assert_string_equal(v, "rashangup");
        assert_int_equal(jc_get(l, strlen(l), "msgid", v, 4096), JC_STRING);
        assert_string_equal(v, "hangup");
        assert_int_equal(jc_get(l, strlen(l), "facility", v, 4096), JC_STRING);
        assert_string_equal(v, "authpriv");
        /* The structured data rsyslog kept is itself valid RFC 5424. */
        {
            char msg[65536 + 64];
            int k = snprintf(msg, sizeof msg, "<86>1 - - - - - %s", sd);
            assert_true(k > 0 && sc_parse(msg, (size_t)k, &m));
        }
        assert_true(sc_param(sd, strlen(sd), "connection_id", v, 4096));
        assert_int_equal(sscanf(v, "%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        if (d1 != 0x5eed0000ul + seed)
            continue; /* another phase of the same test */
        matched++;
        index = (unsigned)((d2 << 16) | d3);
        assert_true(index < count);
        if (seen[index]++)
            (*dups)++;
        rh_scenario_make(seed, index, c);
        assert_true(sc_param(sd, strlen(sd), "user", v, 4096));
        assert_string_equal(v, c->user);
        assert_true(sc_param(sd, strlen(sd), "domain", v, 4096) || c->domain[0] == '\0');
        if (c->domain[0] != '\0')
            assert_string_equal(v, c->domain);
        assert_true(sc_param(sd, strlen(sd), "client_ipv4", v, 4096));
        assert_string_equal(v, c->client_ipv4);
        assert_true(sc_param(sd, strlen(sd), "remote_endpoint", v, 4096));
        assert_string_equal(v, c->remote_endpoint);
        assert_true(sc_param(sd, strlen(sd), "tunnel", v, 4096));
        assert_string_equal(v, c->tunnel);
        assert_true(sc_param(sd, strlen(sd), "bytes_sent", v, 4096));
        snprintf(want, sizeof want, "%lu", (unsigned long)c->ex.dwBytesXmited);
        assert_string_equal(v, want);
        assert_true(sc_param(sd, strlen(sd), "duration_s", v, 4096));
        snprintf(want, sizeof want, "%lu", (unsigned long)c->ex.dwConnectDuration);
        assert_string_equal(v, want);
    }
    for (unsigned i = 0; i < count && !lossy; i++)
        if (!seen[i])
            fail_msg("%s: connection %u of scenario %u never reached rsyslog", sd_id, i, seed);
    free(text);
    free(seen);
    free(c);
    free(sd);
    free(v);
    return matched;
}

static void udp_and_tcp_carry_every_field_and_tcp_fails_over(void **state)
{
    WCHAR server[128];
    WCHAR log[MAX_PATH];
    size_t log_from, received;
    unsigned dups;

    (void)state;
    configure();
    _snwprintf(server, 128, L"127.0.0.1:%u", udp_port);
    set_syslog_sink(L"udp", L"udp", server, L"udp@32473");
    /* The first server refuses: the sink fails over to the second. */
    _snwprintf(server, 128, L"127.0.0.1:1, 127.0.0.1:%u", tcp_port);
    set_syslog_sink(L"tcp", L"tcp", server, L"tcp@32473");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    /* 100 records: a UDP burst of about 130 KB, within an unprivileged socket buffer. */
    run(41, 0, 100);
    wait_for_lines(200, 5000);
    assert_int_equal(check_received("tcp@32473", 41, 100, false, &dups), 100);
    assert_int_equal(dups, 0);
    /*
     * UDP is lossy (RFC 5426): an unprivileged rsyslog's receive buffer can
     * overflow in a burst. What arrives must be exact; on loopback nearly all does.
     */
    received = check_received("udp@32473", 41, 100, true, &dups);
    print_message("UDP: %lu of 100 datagrams received\n", (unsigned long)received);
    assert_true(received >= 95);
    assert_int_equal(dups, 0);
    assert_true(wt_log_contains(log_from, "sink tcp: cannot connect to 127.0.0.1 port 1"));
}

static void collector_restart_mid_burst_loses_nothing_over_tcp(void **state)
{
    WCHAR server[128], request[MAX_PATH], done[MAX_PATH];
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    char err[512] = "";
    unsigned dups, total_dups = 0;
    size_t before = count_lines(); /* the file keeps the first test's lines */
    HANDLE h;

    (void)state;
    configure();
    _snwprintf(server, 128, L"127.0.0.1:%u", tcp_port);
    set_syslog_sink(L"tcp", L"tcp", server, L"restart@32473");
    peer_file(L"restart-request", request);
    peer_file(L"restart-done", done);
    DeleteFileW(done);

    if (rh_host_load(&dll, L"rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
    /* Before: delivered to the first collector. */
    assert_int_equal(rh_host_replay(&dll, 1, 42, 1000, 2, true, &stats), NO_ERROR);
    /* During: the collector stops, the burst goes on into the journal. */
    h = CreateFileW(request, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    assert_int_equal(rh_host_replay(&dll, 1, 43, 1000, 2, true, &stats), NO_ERROR);
    for (int i = 0; i < 200 && GetFileAttributesW(done) == INVALID_FILE_ATTRIBUTES; i++)
        Sleep(50);
    assert_true(GetFileAttributesW(done) != INVALID_FILE_ATTRIBUTES);
    /* After: the collector is back. */
    assert_int_equal(rh_host_replay(&dll, 1, 44, 1000, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll); /* drains into the restarted collector */

    wait_for_lines(before + 3000, 20000);
    for (unsigned seed = 42; seed <= 44; seed++) {
        assert_true(check_received("restart@32473", seed, 1000, false, &dups) >= 1000);
        total_dups += dups;
    }
    print_message("3000 records across a collector restart: %u delivered twice\n", total_dups);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(udp_and_tcp_carry_every_field_and_tcp_fails_over, wt_teardown),
        cmocka_unit_test_teardown(collector_restart_mid_burst_loses_nothing_over_tcp, wt_teardown),
    };
    char buf[MAX_PATH];

    if (GetEnvironmentVariableA("RH_SYSLOG_UDP_PORT", buf, sizeof buf) == 0) {
        fprintf(stderr, "run through tests/peers/with_rsyslog.sh\n");
        return 2;
    }
    udp_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TCP_PORT", buf, sizeof buf);
    tcp_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_PEER_DIR", buf, sizeof buf);
    _snwprintf(peer_dir, MAX_PATH, L"Z:%hs", buf);
    for (WCHAR *p = peer_dir; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
    return cmocka_run_group_tests(tests, NULL, NULL);
}
