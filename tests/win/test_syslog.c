/* SPDX-License-Identifier: MIT */
/*
 * The syslog sink against a real rsyslogd on loopback (started by
 * tests/peers/with_rsyslog.sh): what rsyslog received is checked field by field,
 * with user names in many scripts, over UDP, TCP and TLS, with failover, and
 * across a restart of the collector in the middle of a burst. Over TLS, every
 * way a server is refused (a CA that did not sign it, the system's store for a
 * private CA, an expired certificate, a wrong name, a wrong thumbprint) delivers
 * nothing and logs its reason, and an orderly close sends close_notify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <winsock2.h>
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
static unsigned udp_port, tcp_port, tls_port, tls_expired_port, tls_old_port, tls_cipher_port,
    relp_port;
static WCHAR tls_dir[MAX_PATH], other_ca[MAX_PATH]; /* the test CA's files, on drive Z: */
static char tls_sha1[64], tls_sha256[96];           /* the server certificate's thumbprints, hex */

/* A Unix path, as Wine shows it: on drive Z:. */
static void wine_path(const char *unix_path, WCHAR *out)
{
    _snwprintf(out, MAX_PATH, L"Z:%hs", unix_path);
    out[MAX_PATH - 1] = L'\0';
    for (WCHAR *p = out; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
}

/* RH_PEER_DIR is a Unix path: under Wine it is on drive Z:. */
static void peer_file(const WCHAR *name, WCHAR *out)
{
    _snwprintf(out, MAX_PATH, L"%ls\\%ls", peer_dir, name);
    out[MAX_PATH - 1] = L'\0';
}

/* The number of messages rsyslog wrote with SD-ID `sd_id`, whatever they hold. */
static size_t count_sd(const char *sd_id)
{
    WCHAR path[MAX_PATH];
    char needle[80];
    size_t len, n = 0;
    char *text;

    snprintf(needle, sizeof needle, "\"sd\":\"[%s ", sd_id);
    peer_file(L"out.jsonl", path);
    text = wt_read_file(path, &len);
    for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(text);
    return n;
}

/* The size of rsyslogd's own log (its errors), to read only what a test adds. */
static size_t peer_log_size(void)
{
    WCHAR path[MAX_PATH];

    peer_file(L"rsyslog.log", path);
    return wt_file_size(path);
}

static bool peer_log_contains(size_t from, const char *needle)
{
    WCHAR path[MAX_PATH];
    size_t len;
    char *text;
    bool found;

    peer_file(L"rsyslog.log", path);
    text = wt_read_file(path, &len);
    found = text != NULL && from <= len && strstr(text + from, needle) != NULL;
    if (found)
        fprintf(stderr, "rsyslogd's log since offset %zu:\n%s\n", from, text + from);
    free(text);
    return found;
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

/* A sink `name` over `transport` to the collector on loopback `port`, SD-ID <name>@32473. */
static void set_local_sink(const WCHAR *name, const WCHAR *transport, unsigned port)
{
    WCHAR server[128], sd_id[64];

    _snwprintf(server, 128, L"127.0.0.1:%u", port);
    _snwprintf(sd_id, 64, L"%ls@32473", name);
    set_syslog_sink(name, transport, server, sd_id);
}

/* A TLS sink to the good collector, trusting the test CA (CaFile), SD-ID <name>@32473. */
static void set_tls_sink(const WCHAR *name)
{
    WCHAR server[128], sd_id[64], ca[MAX_PATH];

    _snwprintf(server, 128, L"127.0.0.1:%u", tls_port);
    _snwprintf(sd_id, 64, L"%ls@32473", name);
    _snwprintf(ca, MAX_PATH, L"%ls\\ca.pem", tls_dir);
    set_syslog_sink(name, L"tls", server, sd_id);
    wt_set_sink_string(name, L"CaFile", REG_SZ, ca);
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

/* Asks with_rsyslog.sh to `op` the collector (restart, freeze, crash): peer_lib.sh does it. */
static void peer_ask(const WCHAR *op)
{
    WCHAR path[MAX_PATH], name[64];
    HANDLE h;

    _snwprintf(name, 64, L"%ls-done", op);
    peer_file(name, path);
    DeleteFileW(path);
    _snwprintf(name, 64, L"%ls-request", op);
    peer_file(name, path);
    h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
}

/* Waits (at most 10 s) until what peer_ask asked is done. */
static void peer_wait(const WCHAR *op)
{
    WCHAR done[MAX_PATH], name[64];

    _snwprintf(name, 64, L"%ls-done", op);
    peer_file(name, done);
    for (int i = 0; i < 200 && GetFileAttributesW(done) == INVALID_FILE_ATTRIBUTES; i++)
        Sleep(50);
    assert_true(GetFileAttributesW(done) != INVALID_FILE_ATTRIBUTES);
}

static void peer_request(const WCHAR *op)
{
    peer_ask(op);
    peer_wait(op);
}

/*
 * 3000 records of seeds first..first+2 to `sink`: the collector stops after the
 * first 1000 and is back for the last 1000; each must reach it.
 */
static void restart_mid_burst(const WCHAR *sink, const char *sd_id, unsigned first)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    char err[512] = "";
    unsigned dups, total_dups = 0;
    size_t before = count_lines(); /* the file keeps the earlier tests' lines */

    if (rh_host_load(&dll, L"rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
    /* Before: delivered to the first collector. */
    assert_int_equal(rh_host_replay(&dll, 1, first, 1000, 2, true, &stats), NO_ERROR);
    /* During: the collector stops, the burst goes on into the journal. */
    peer_ask(L"restart");
    assert_int_equal(rh_host_replay(&dll, 1, first + 1, 1000, 2, true, &stats), NO_ERROR);
    peer_wait(L"restart");
    /* After: the collector is back. */
    assert_int_equal(rh_host_replay(&dll, 1, first + 2, 1000, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll); /* drains into the restarted collector */

    wait_for_lines(before + 3000, 20000);
    for (unsigned seed = first; seed <= first + 2; seed++) {
        assert_true(check_received(sd_id, seed, 1000, false, &dups) >= 1000);
        total_dups += dups;
    }
    print_message("%ls: 3000 records across a collector restart: %u delivered twice\n", sink,
                  total_dups);
}

static void collector_restart_mid_burst_loses_nothing_over_tcp(void **state)
{
    WCHAR server[128];

    (void)state;
    configure();
    _snwprintf(server, 128, L"127.0.0.1:%u", tcp_port);
    set_syslog_sink(L"tcp", L"tcp", server, L"restart@32473");
    restart_mid_burst(L"tcp", "restart@32473", 42);
}

/* The sink's entry in status.json (a copy, to free), or NULL. */
static char *sink_status(const WCHAR *sink)
{
    WCHAR path[MAX_PATH];
    char needle[96], *text, *at, *end, *copy = NULL;
    size_t len;

    wt_program_data_file(L"journal\\status.json", path, MAX_PATH);
    text = wt_read_file(path, &len);
    snprintf(needle, sizeof needle, "{\"name\":\"%ls\"", sink);
    if (text != NULL && (at = strstr(text, needle)) != NULL && (end = strchr(at, '}')) != NULL) {
        copy = malloc((size_t)(end - at) + 2);
        memcpy(copy, at, (size_t)(end - at) + 1);
        copy[end - at + 1] = '\0';
    }
    free(text);
    return copy;
}

/*
 * A collector that took the bytes and never read them (frozen: the kernel
 * still fills its socket buffer), then died. Nothing it did not read counts as
 * delivered: status.json says so when RemoteAccess stops, the records stay in
 * the journal, and the next start sends them to the collector that replaced
 * it. No new hangup comes in between to carry a resend.
 */
static void unread_records_survive_the_collector(const WCHAR *sink, const char *sd_id,
                                                 unsigned seed, bool acknowledged)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    size_t before = count_lines();
    char *st, want[64];
    unsigned dups;

    wt_set_global_dword(L"DrainTimeoutMs", 1500);
    wt_set_sink_dword(sink, L"ConnectTimeoutMs", 500);
    wt_set_sink_dword(sink, L"IdleCloseMs", 60000); /* the connection stays up to the end */

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    /* A first record opens the connection (and, over TLS, its handshake) while it reads. */
    assert_int_equal(rh_host_replay(&dll, 1, seed, 1, 1, true, &stats), NO_ERROR);
    Sleep(500);
    peer_request(L"freeze");
    assert_int_equal(rh_host_replay(&dll, 1, seed + 1, 200, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll); /* the drain cannot confirm them: they stay */

    st = sink_status(sink);
    peer_request(L"crash"); /* what it held unread dies with it; the next test has a collector */
    assert_non_null(st);
    print_message("%ls after the stop: %s\n", sink, st);
    /*
     * The first record too over TCP and TLS: the connection it went on never
     * closed in order. RELP's collector acknowledged it before it froze.
     */
    snprintf(want, sizeof want, "\"pending\":%u,", acknowledged ? 200u : 201u);
    if (strstr(st, want) == NULL ||
        strstr(st, acknowledged ? "\"delivered\":1," : "\"delivered\":0,") == NULL)
        fail_msg("status.json does not count the unread records as pending: %s", st);
    free(st);
    wt_load(&dll, RH_HOST_MODEL_AUTO);
    rh_host_unload(&dll); /* the backlog goes to the new collector, confirmed at the drain */

    wait_for_lines(before + 201, 10000);
    assert_true(check_received(sd_id, seed, 1, false, &dups) >= 1);
    assert_true(check_received(sd_id, seed + 1, 200, false, &dups) >= 200);
    st = sink_status(sink);
    assert_non_null(st);
    assert_non_null(strstr(st, "\"pending\":0,"));
    free(st);
    print_message("%ls: 200 records the collector never read, delivered after its crash (%u "
                  "twice)\n",
                  sink, dups);
}

static void unread_records_survive_the_collector_over_tcp(void **state)
{
    (void)state;
    configure();
    set_local_sink(L"unread", L"tcp", tcp_port);
    unread_records_survive_the_collector(L"unread", "unread@32473", 61, false);
}

static void unread_records_survive_the_collector_over_tls(void **state)
{
    (void)state;
    configure();
    set_tls_sink(L"unreadtls");
    unread_records_survive_the_collector(L"unreadtls", "unreadtls@32473", 63, false);
}

/*
 * RELP: every message is acknowledged by the collector, so records count as
 * delivered as they are acknowledged, with the connection open, and none twice.
 */
static void relp_acknowledges_every_message(void **state)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    size_t before = count_lines();
    char *st = NULL;
    unsigned dups;

    (void)state;
    configure();
    set_local_sink(L"relp", L"relp", relp_port);
    wt_set_sink_dword(L"relp", L"IdleCloseMs", 600000); /* RELP needs no close to settle */
    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 65, 100, 2, true, &stats), NO_ERROR);
    for (int i = 0; i < 100; i++) {
        free(st);
        st = sink_status(L"relp");
        if (st != NULL && strstr(st, "\"delivered\":100,") != NULL &&
            strstr(st, "\"pending\":0,") != NULL)
            break;
        Sleep(100);
    }
    rh_host_unload(&dll);
    if (st == NULL || strstr(st, "\"delivered\":100,") == NULL)
        fail_msg("records acknowledged over RELP were not counted delivered while connected: %s",
                 st != NULL ? st : "(no status)");
    free(st);
    wait_for_lines(before + 100, 5000);
    assert_int_equal(check_received("relp@32473", 65, 100, false, &dups), 100);
    assert_int_equal(dups, 0);
}

static void unread_records_survive_the_collector_over_relp(void **state)
{
    (void)state;
    configure();
    set_local_sink(L"unreadrelp", L"relp", relp_port);
    unread_records_survive_the_collector(L"unreadrelp", "unreadrelp@32473", 67, true);
}

/*
 * A collector of the test's own that reads everything and closes a connection
 * that was idle for 300 ms (as collectors and middleboxes with idle timeouts
 * do): counts the octet-counted frames it received, in all.
 */
struct idle_collector {
    SOCKET listener;
    unsigned port;
    volatile LONG frames, connections, quit;
    HANDLE thread;
};

static DWORD WINAPI idle_collector_main(void *arg)
{
    struct idle_collector *c = arg;
    static char buf[1 << 16];

    while (!c->quit) {
        fd_set rd;
        struct timeval tv = {0, 50000};
        SOCKET s;
        size_t have = 0;

        FD_ZERO(&rd);
        FD_SET(c->listener, &rd);
        if (select(0, &rd, NULL, NULL, &tv) <= 0)
            continue;
        s = accept(c->listener, NULL, NULL);
        if (s == INVALID_SOCKET)
            continue;
        InterlockedIncrement(&c->connections);
        for (;;) {
            struct timeval idle = {0, 300000};
            int n;

            FD_ZERO(&rd);
            FD_SET(s, &rd);
            if (select(0, &rd, NULL, NULL, &idle) <= 0)
                break; /* idle: it closes, having read everything */
            n = recv(s, buf + have, (int)(sizeof buf - have), 0);
            if (n <= 0)
                break;
            have += (size_t)n;
            /* Count whole "LEN SP MSG" frames, keep a partial one. */
            for (;;) {
                size_t len = 0, digits = 0;

                while (digits < have && buf[digits] >= '0' && buf[digits] <= '9')
                    len = len * 10 + (size_t)(buf[digits++] - '0');
                if (digits == 0 || digits >= have || digits + 1 + len > have)
                    break;
                InterlockedIncrement(&c->frames);
                memmove(buf, buf + digits + 1 + len, have - digits - 1 - len);
                have -= digits + 1 + len;
            }
        }
        closesocket(s);
    }
    return 0;
}

/*
 * The collector closes the connection itself once idle, before the sink's own
 * IdleCloseMs. Its close alone proves nothing (a reset to data that reached it
 * closed does not always show after its FIN), so what it had not confirmed goes
 * again, once, on a connection the sink then closes in order at once: the
 * records count as delivered, at most once twice, and the sink does not loop
 * resending them.
 */
static void a_collector_closing_idle_connections_gets_them_once_more(void **state)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    struct idle_collector c = {0};
    struct sockaddr_in a = {0};
    int alen = sizeof a;
    char *st = NULL;
    LONG frames;
    WSADATA wsa;

    (void)state;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    c.listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(c.listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(c.listener, 8), 0);
    assert_int_equal(getsockname(c.listener, (struct sockaddr *)&a, &alen), 0);
    c.port = ntohs(a.sin_port);
    c.thread = CreateThread(NULL, 0, idle_collector_main, &c, 0, NULL);
    assert_non_null(c.thread);

    configure();
    set_local_sink(L"idle", L"tcp", c.port);
    wt_set_sink_dword(L"idle", L"IdleCloseMs", 600000);
    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 69, 50, 2, true, &stats), NO_ERROR);
    for (int i = 0; i < 100; i++) {
        free(st);
        st = sink_status(L"idle");
        if (st != NULL && strstr(st, "\"pending\":0,") != NULL)
            break;
        Sleep(100);
    }
    frames = c.frames;
    Sleep(1500); /* a sink resending in a loop would have sent more by now */
    assert_int_equal(c.frames, frames);
    rh_host_unload(&dll);
    InterlockedExchange(&c.quit, 1);
    WaitForSingleObject(c.thread, INFINITE);
    CloseHandle(c.thread);
    closesocket(c.listener);
    WSACleanup();
    if (st == NULL || strstr(st, "\"delivered\":50,") == NULL)
        fail_msg("what the collector read before closing was not counted delivered: %s",
                 st != NULL ? st : "(no status)");
    free(st);
    print_message("50 records over %ld connection(s): %ld frame(s) received\n", c.connections,
                  c.frames);
    assert_true(c.frames >= 50 && c.frames <= 100);
}

static void tls_carries_every_field_and_closes_with_close_notify(void **state)
{
    size_t before = count_lines(), peer_from = peer_log_size();
    unsigned dups;

    (void)state;
    configure();
    set_tls_sink(L"tls");
    /* CaFile is a path: REG_EXPAND_SZ is expanded (the DLL runs in this process). */
    SetEnvironmentVariableW(L"RH_TEST_TLS_DIR", tls_dir);
    wt_set_sink_string(L"tls", L"CaFile", REG_EXPAND_SZ, L"%RH_TEST_TLS_DIR%\\ca.pem");

    run(51, 0, 100);
    wait_for_lines(before + 100, 5000);
    assert_int_equal(check_received("tls@32473", 51, 100, false, &dups), 100);
    assert_int_equal(dups, 0);
    /* The sink stopped with close_notify: GnuTLS complains of a connection cut without. */
    Sleep(300);
    assert_false(peer_log_contains(peer_from, "non-properly terminated"));
}

static void collector_restart_mid_burst_loses_nothing_over_tls(void **state)
{
    (void)state;
    configure();
    set_tls_sink(L"tlsrestart");
    restart_mid_burst(L"tlsrestart", "tlsrestart@32473", 52);
}

static void tls_refuses_an_expired_certificate_and_fails_over(void **state)
{
    WCHAR server[160], log[MAX_PATH];
    char needle[200];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    /* Port 6514 (the default for tls: nothing listens), expired, then good by name. */
    set_tls_sink(L"tlsfail");
    _snwprintf(server, 160, L"127.0.0.1, 127.0.0.1:%u, localhost:%u", tls_expired_port, tls_port);
    wt_set_sink_string(L"tlsfail", L"Server", REG_SZ, server);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run(56, 0, 50);
    wait_for_lines(before + 50, 5000);
    assert_int_equal(check_received("tlsfail@32473", 56, 50, false, &dups), 50);
    assert_true(wt_log_contains(log_from, "sink tlsfail: cannot connect to 127.0.0.1 port 6514:"));
    snprintf(needle, sizeof needle,
             "sink tlsfail: cannot connect to 127.0.0.1 port %u: TLS: expired: the server's "
             "certificate was valid until 2020-01-02 00:00:00 UTC",
             tls_expired_port);
    assert_true(wt_log_contains(log_from, needle));
}

/* Records of `seed` into the configured sinks, some of which never deliver. */
static void run_with_refusals(unsigned seed, unsigned count)
{
    wt_set_global_dword(L"DrainTimeoutMs", 1500); /* what is not delivered by then stays */
    run(seed, 0, count);
}

static void tls_refuses_a_ca_that_did_not_sign_the_server(void **state)
{
    WCHAR log[MAX_PATH];
    char needle[300];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    set_tls_sink(L"tlsca"); /* the control: the CA that did sign */
    set_tls_sink(L"tlsother");
    wt_set_sink_string(L"tlsother", L"CaFile", REG_SZ, other_ca);
    set_tls_sink(L"tlssystem"); /* no CaFile: the system's store, which lacks the test CA */
    wt_set_sink_string(L"tlssystem", L"CaFile", REG_SZ, L"");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run_with_refusals(57, 20);
    wait_for_lines(before + 20, 5000);
    assert_int_equal(check_received("tlsca@32473", 57, 20, false, &dups), 20);
    Sleep(200);
    assert_int_equal(count_sd("tlsca@32473"), 20); /* count_sd sees what arrived */
    assert_int_equal(count_sd("tlsother@32473"), 0);
    assert_int_equal(count_sd("tlssystem@32473"), 0);
    snprintf(needle, sizeof needle,
             "sink tlsother: cannot connect to 127.0.0.1 port %u: TLS: untrusted root: the "
             "server's certificate chain leads to \"CN=rashangup test CA\", which is not a CA of "
             "CaFile",
             tls_port);
    assert_true(wt_log_contains(log_from, needle));
    snprintf(needle, sizeof needle,
             "sink tlssystem: cannot connect to 127.0.0.1 port %u: TLS: untrusted root: the "
             "server's certificate chain leads to \"CN=rashangup test CA\", which the system does "
             "not trust",
             tls_port);
    assert_true(wt_log_contains(log_from, needle));
}

static void tls_checks_the_server_name(void **state)
{
    WCHAR server[128], log[MAX_PATH];
    char needle[300];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    /* By address, expecting the name the certificate holds: accepted. */
    set_tls_sink(L"tlsname");
    wt_set_sink_string(L"tlsname", L"ServerName", REG_SZ, L"localhost");
    set_tls_sink(L"tlswrongname");
    wt_set_sink_string(L"tlswrongname", L"ServerName", REG_SZ, L"syslog.example.net");
    /* By an address the certificate does not list (it lists 127.0.0.1). */
    set_tls_sink(L"tlswrongip");
    _snwprintf(server, 128, L"127.0.0.2:%u", tls_port);
    wt_set_sink_string(L"tlswrongip", L"Server", REG_SZ, server);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run_with_refusals(58, 20);
    wait_for_lines(before + 20, 5000);
    assert_int_equal(check_received("tlsname@32473", 58, 20, false, &dups), 20);
    Sleep(200);
    assert_int_equal(count_sd("tlsname@32473"), 20);
    assert_int_equal(count_sd("tlswrongname@32473"), 0);
    assert_int_equal(count_sd("tlswrongip@32473"), 0);
    snprintf(needle, sizeof needle,
             "sink tlswrongname: cannot connect to 127.0.0.1 port %u: TLS: name mismatch: the "
             "server's certificate is not for \"syslog.example.net\"",
             tls_port);
    assert_true(wt_log_contains(log_from, needle));
    snprintf(needle, sizeof needle,
             "sink tlswrongip: cannot connect to 127.0.0.2 port %u: TLS: name mismatch: the "
             "server's certificate is not for \"127.0.0.2\"",
             tls_port);
    assert_true(wt_log_contains(log_from, needle));
}

static void tls_refuses_old_protocols_and_failed_handshakes(void **state)
{
    WCHAR server[128], log[MAX_PATH];
    char needle[200], windows[200];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    set_tls_sink(L"tlsnew"); /* the control */
    set_tls_sink(L"tlsold");
    _snwprintf(server, 128, L"127.0.0.1:%u", tls_old_port);
    wt_set_sink_string(L"tlsold", L"Server", REG_SZ, server);
    set_tls_sink(L"tlscipher");
    _snwprintf(server, 128, L"127.0.0.1:%u", tls_cipher_port);
    wt_set_sink_string(L"tlscipher", L"Server", REG_SZ, server);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run_with_refusals(61, 20);
    wait_for_lines(before + 20, 5000);
    assert_int_equal(check_received("tlsnew@32473", 61, 20, false, &dups), 20);
    Sleep(200);
    assert_int_equal(count_sd("tlsnew@32473"), 20);
    assert_int_equal(count_sd("tlsold@32473"), 0);
    assert_int_equal(count_sd("tlscipher@32473"), 0);
    /*
     * Windows refuses TLS 1.1 in the handshake; Wine 8 ignores the protocols
     * SCH_CREDENTIALS disables, and the sink refuses what was negotiated.
     */
    snprintf(needle, sizeof needle,
             "sink tlsold: cannot connect to 127.0.0.1 port %u: TLS: protocol: the server "
             "negotiated TLS 1.1; TLS 1.2 or later is required",
             tls_old_port);
    snprintf(windows, sizeof windows,
             "sink tlsold: cannot connect to 127.0.0.1 port %u: TLS: handshake failed: SEC_E_",
             tls_old_port);
    assert_true(wt_log_contains(log_from, needle) || wt_log_contains(log_from, windows));
    /* rsyslog closes without an alert: no SECURITY_STATUS to show, the closing instead. */
    snprintf(needle, sizeof needle,
             "sink tlscipher: cannot connect to 127.0.0.1 port %u: TLS: handshake failed: ",
             tls_cipher_port);
    assert_true(wt_log_contains(log_from, needle));
}

/* hex with a separator between each pair of digits (0: none), in upper or lower case. */
static void spaced_hex(const char *hex, char sep, bool upper, WCHAR *out, size_t out_count)
{
    size_t n = 0;

    for (size_t i = 0; hex[i] != '\0' && n + 3 < out_count; i++) {
        if (i > 0 && i % 2 == 0 && sep != 0)
            out[n++] = (WCHAR)sep;
        out[n++] = (WCHAR)(upper ? toupper((unsigned char)hex[i]) : tolower((unsigned char)hex[i]));
    }
    out[n] = L'\0';
}

static void tls_pins_a_thumbprint(void **state)
{
    WCHAR pin[200], log[MAX_PATH];
    char needle[300], wrong[96];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    /* No CaFile: the system's store would refuse the test CA; the pin is the trust. */
    set_tls_sink(L"pin256");
    wt_set_sink_string(L"pin256", L"CaFile", REG_SZ, L"");
    spaced_hex(tls_sha256, ':', true, pin, 200);
    wt_set_sink_string(L"pin256", L"ServerThumbprint", REG_SZ, pin);
    set_tls_sink(L"pin1");
    wt_set_sink_string(L"pin1", L"CaFile", REG_SZ, L"");
    spaced_hex(tls_sha1, ' ', false, pin, 200);
    wt_set_sink_string(L"pin1", L"ServerThumbprint", REG_SZ, pin);
    /* The same SHA-256 with its last digit changed. */
    snprintf(wrong, sizeof wrong, "%s", tls_sha256);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    set_tls_sink(L"pinbad");
    wt_set_sink_string(L"pinbad", L"CaFile", REG_SZ, L"");
    spaced_hex(wrong, 0, false, pin, 200);
    wt_set_sink_string(L"pinbad", L"ServerThumbprint", REG_SZ, pin);
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run_with_refusals(59, 20);
    wait_for_lines(before + 40, 5000);
    assert_int_equal(check_received("pin256@32473", 59, 20, false, &dups), 20);
    assert_int_equal(check_received("pin1@32473", 59, 20, false, &dups), 20);
    Sleep(200);
    assert_int_equal(count_sd("pin256@32473"), 20);
    assert_int_equal(count_sd("pinbad@32473"), 0);
    snprintf(needle, sizeof needle,
             "sink pinbad: cannot connect to 127.0.0.1 port %u: TLS: thumbprint mismatch: the "
             "server's certificate has SHA-256 ",
             tls_port);
    assert_true(wt_log_contains(log_from, needle));
}

static void tls_values_are_checked(void **state)
{
    WCHAR log[MAX_PATH], missing[MAX_PATH];
    size_t log_from, before = count_lines();
    unsigned dups;

    (void)state;
    configure();
    set_tls_sink(L"tlsgood"); /* the others are disabled; this one runs */
    set_syslog_sink(L"tcpca", L"tcp", L"127.0.0.1", L"tcpca@32473");
    wt_set_sink_string(L"tcpca", L"CaFile", REG_SZ, L"C:\\ca.pem");
    set_tls_sink(L"nofile");
    _snwprintf(missing, MAX_PATH, L"%ls\\missing.pem", tls_dir);
    wt_set_sink_string(L"nofile", L"CaFile", REG_SZ, missing);
    set_tls_sink(L"shortpin");
    wt_set_sink_string(L"shortpin", L"CaFile", REG_SZ, L"");
    wt_set_sink_string(L"shortpin", L"ServerThumbprint", REG_SZ, L"12:34:56");
    set_tls_sink(L"both"); /* CaFile and ServerThumbprint */
    wt_set_sink_string(L"both", L"ServerThumbprint", REG_SZ,
                       L"0000000000000000000000000000000000000000");
    wt_program_data_file(L"rashangup.log", log, MAX_PATH);
    log_from = wt_file_size(log);

    run(60, 0, 10);
    wait_for_lines(before + 10, 5000);
    assert_int_equal(check_received("tlsgood@32473", 60, 10, false, &dups), 10);
    assert_true(wt_log_contains(log_from, "Sinks\\tcpca: value CaFile: only for Transport tls"));
    assert_true(wt_log_contains(log_from, "Sinks\\nofile: value CaFile: cannot read"));
    assert_true(wt_log_contains(log_from, "Sinks\\shortpin: value ServerThumbprint: \"12:34:56\" "
                                          "has 6 hex digits"));
    assert_true(wt_log_contains(log_from, "Sinks\\both: values CaFile and ServerThumbprint"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(udp_and_tcp_carry_every_field_and_tcp_fails_over, wt_teardown),
        cmocka_unit_test_teardown(collector_restart_mid_burst_loses_nothing_over_tcp, wt_teardown),
        cmocka_unit_test_teardown(tls_carries_every_field_and_closes_with_close_notify,
                                  wt_teardown),
        cmocka_unit_test_teardown(collector_restart_mid_burst_loses_nothing_over_tls, wt_teardown),
        cmocka_unit_test_teardown(unread_records_survive_the_collector_over_tcp, wt_teardown),
        cmocka_unit_test_teardown(unread_records_survive_the_collector_over_tls, wt_teardown),
        cmocka_unit_test_teardown(a_collector_closing_idle_connections_gets_them_once_more,
                                  wt_teardown),
        cmocka_unit_test_teardown(relp_acknowledges_every_message, wt_teardown),
        cmocka_unit_test_teardown(unread_records_survive_the_collector_over_relp, wt_teardown),
        cmocka_unit_test_teardown(tls_refuses_an_expired_certificate_and_fails_over, wt_teardown),
        cmocka_unit_test_teardown(tls_refuses_a_ca_that_did_not_sign_the_server, wt_teardown),
        cmocka_unit_test_teardown(tls_checks_the_server_name, wt_teardown),
        cmocka_unit_test_teardown(tls_pins_a_thumbprint, wt_teardown),
        cmocka_unit_test_teardown(tls_refuses_old_protocols_and_failed_handshakes, wt_teardown),
        cmocka_unit_test_teardown(tls_values_are_checked, wt_teardown),
    };
    char buf[MAX_PATH];

    if (GetEnvironmentVariableA("RH_SYSLOG_UDP_PORT", buf, sizeof buf) == 0) {
        fprintf(stderr, "run through tests/peers/with_rsyslog.sh\n");
        return 2;
    }
    udp_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TCP_PORT", buf, sizeof buf);
    tcp_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_RELP_PORT", buf, sizeof buf);
    relp_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_PORT", buf, sizeof buf);
    tls_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_EXPIRED_PORT", buf, sizeof buf);
    tls_expired_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_OLD_PORT", buf, sizeof buf);
    tls_old_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_CIPHER_PORT", buf, sizeof buf);
    tls_cipher_port = (unsigned)strtoul(buf, NULL, 10);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_SHA1", tls_sha1, sizeof tls_sha1);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_SHA256", tls_sha256, sizeof tls_sha256);
    if (tls_port == 0 || strlen(tls_sha1) != 40 || strlen(tls_sha256) != 64) {
        fprintf(stderr, "with_rsyslog.sh did not set up the TLS collector\n");
        return 2;
    }
    GetEnvironmentVariableA("RH_PEER_DIR", buf, sizeof buf);
    wine_path(buf, peer_dir);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_OTHER_CA", buf, sizeof buf);
    wine_path(buf, other_ca);
    GetEnvironmentVariableA("RH_SYSLOG_TLS_CA", buf, sizeof buf);
    wine_path(buf, tls_dir);
    *wcsrchr(tls_dir, L'\\') = L'\0'; /* the folder of the CA files */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
