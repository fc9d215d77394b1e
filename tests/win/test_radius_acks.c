/* SPDX-License-Identifier: MIT */
/*
 * The RADIUS sink against an accounting server of the test's own (UDP on
 * loopback, in this process) that answers late or seldom, as a loaded server
 * does: Accounting-On is acknowledged before any Start goes out and Off waits
 * for every Stop; On, Off, Start and Stop carry one NAS-Identifier and the
 * NAS-IP-Address they leave from; and after a restart, what the server
 * acknowledged is not sent again (beyond the Window that RFC 2866 allows).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <cmocka.h>

#include "host.h"
#include "md5.h"
#include "wintest.h"

#define SECRET     "acks-secret"
#define MAX_PKTS   8192
#define MAX_QUEUED 1024

/* A request as the server saw it. */
struct pkt {
    ULONGLONG rx;
    uint8_t status; /* Acct-Status-Type */
    char session[64];
    char nas_id[256];
    uint8_t nas_ip[16];
    size_t nas_ip_len;
    bool nas_ipv6;
    ULONGLONG answered_at; /* 0: not answered */
};

struct queued {
    ULONGLONG due;
    struct sockaddr_in to;
    uint8_t resp[20];
    size_t pkt;
};

static struct {
    SOCKET sock;
    unsigned port;
    HANDLE thread;
    volatile LONG quit;
    unsigned answer_every; /* answer one request in this many */
    DWORD on_delay_ms, stop_delay_ms;
    ULONGLONG silent_until; /* requests before this are not answered (the server is down) */
    CRITICAL_SECTION lock;
    struct pkt pkts[MAX_PKTS];
    size_t n;
    unsigned received;
    struct queued q[MAX_QUEUED];
    size_t nq;
} srv;

static void text_attr(const uint8_t *v, size_t n, char *out, size_t cap)
{
    size_t k = n < cap - 1 ? n : cap - 1;

    memcpy(out, v, k);
    out[k] = '\0';
}

/* Takes one request: logs it and, if this one is to be answered, queues the answer. */
static void take(const uint8_t *p, size_t len, const struct sockaddr_in *from)
{
    struct pkt *k;
    DWORD delay = 0;
    struct rh_md5 m;

    if (len < 20 || p[0] != 4 || srv.n == MAX_PKTS || ((size_t)p[2] << 8 | p[3]) != len)
        return;
    k = &srv.pkts[srv.n];
    memset(k, 0, sizeof *k);
    k->rx = GetTickCount64();
    for (size_t at = 20; at + 2 <= len && p[at + 1] >= 2 && at + p[at + 1] <= len;
         at += p[at + 1]) {
        const uint8_t *v = p + at + 2;
        size_t n = p[at + 1] - 2u;

        if (p[at] == 40 && n == 4)
            k->status = v[3];
        else if (p[at] == 44)
            text_attr(v, n, k->session, sizeof k->session);
        else if (p[at] == 32)
            text_attr(v, n, k->nas_id, sizeof k->nas_id);
        else if ((p[at] == 4 && n == 4) || (p[at] == 95 && n == 16)) {
            memcpy(k->nas_ip, v, n);
            k->nas_ip_len = n;
            k->nas_ipv6 = p[at] == 95;
        }
    }
    srv.n++;
    if (k->rx < srv.silent_until || ++srv.received % srv.answer_every != 0 || srv.nq == MAX_QUEUED)
        return;
    if (k->status == 7)
        delay = srv.on_delay_ms;
    else if (k->status == 2)
        delay = srv.stop_delay_ms;
    {
        struct queued *q = &srv.q[srv.nq++];

        q->due = k->rx + delay;
        q->to = *from;
        q->pkt = srv.n - 1;
        q->resp[0] = 5;
        q->resp[1] = p[1];
        q->resp[2] = 0;
        q->resp[3] = 20;
        /* Response Authenticator: MD5(code, id, length, Request Authenticator, secret). */
        rh_md5_init(&m);
        rh_md5_update(&m, q->resp, 4);
        rh_md5_update(&m, p + 4, 16);
        rh_md5_update(&m, SECRET, strlen(SECRET));
        rh_md5_final(&m, q->resp + 4);
    }
}

static DWORD WINAPI server_main(void *arg)
{
    uint8_t buf[4096];

    (void)arg;
    while (!srv.quit) {
        fd_set rd;
        struct timeval tv = {0, 5000};
        ULONGLONG now;

        FD_ZERO(&rd);
        FD_SET(srv.sock, &rd);
        if (select(0, &rd, NULL, NULL, &tv) > 0) {
            struct sockaddr_in from;
            int fromlen = sizeof from;
            int n =
                recvfrom(srv.sock, (char *)buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);

            if (n > 0) {
                EnterCriticalSection(&srv.lock);
                take(buf, (size_t)n, &from);
                LeaveCriticalSection(&srv.lock);
            }
        }
        now = GetTickCount64();
        EnterCriticalSection(&srv.lock);
        for (size_t i = 0; i < srv.nq;) {
            struct queued *q = &srv.q[i];

            if (q->due > now) {
                i++;
                continue;
            }
            sendto(srv.sock, (const char *)q->resp, 20, 0, (const struct sockaddr *)&q->to,
                   sizeof q->to);
            srv.pkts[q->pkt].answered_at = GetTickCount64();
            srv.q[i] = srv.q[--srv.nq];
        }
        LeaveCriticalSection(&srv.lock);
    }
    return 0;
}

static int server_start(void **state)
{
    WSADATA wsa;
    struct sockaddr_in a;
    int len = sizeof a;

    (void)state;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    InitializeCriticalSection(&srv.lock);
    srv.sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    assert_true(srv.sock != INVALID_SOCKET);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv.sock, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(srv.sock, (struct sockaddr *)&a, &len), 0);
    srv.port = ntohs(a.sin_port);
    srv.thread = CreateThread(NULL, 0, server_main, NULL, 0, NULL);
    assert_non_null(srv.thread);
    return 0;
}

static int server_stop(void **state)
{
    (void)state;
    InterlockedExchange(&srv.quit, 1);
    WaitForSingleObject(srv.thread, INFINITE);
    closesocket(srv.sock);
    WSACleanup();
    return 0;
}

/* Forgets what the server saw, and sets how it answers. */
static void server_reset(unsigned answer_every, DWORD on_delay_ms, DWORD stop_delay_ms)
{
    EnterCriticalSection(&srv.lock);
    srv.n = 0;
    srv.nq = 0;
    srv.received = 0;
    srv.answer_every = answer_every;
    srv.on_delay_ms = on_delay_ms;
    srv.stop_delay_ms = stop_delay_ms;
    srv.silent_until = 0;
    LeaveCriticalSection(&srv.lock);
}

/* What the server saw, copied out: assertions never run with its lock held. */
static struct pkt seen[MAX_PKTS];

static size_t snapshot(void)
{
    size_t n;

    EnterCriticalSection(&srv.lock);
    n = srv.n;
    memcpy(seen, srv.pkts, n * sizeof *seen);
    LeaveCriticalSection(&srv.lock);
    return n;
}

/*
 * A connection's Stop goes out only once its Start is answered: a server may
 * process two requests in flight in either order (FreeRADIUS's threads do).
 */
static void stops_follow_their_starts(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ULONGLONG start_answered = 0;

        if (seen[i].status != 2)
            continue;
        for (size_t k = 0; k < n; k++)
            if (seen[k].status == 1 && strcmp(seen[k].session, seen[i].session) == 0 &&
                seen[k].answered_at != 0 &&
                (start_answered == 0 || seen[k].answered_at < start_answered))
                start_answered = seen[k].answered_at;
        if (start_answered != 0 && seen[i].rx < start_answered)
            fail_msg("the Stop of session %s went out %llu ms before its Start was answered",
                     seen[i].session, (unsigned long long)(start_answered - seen[i].rx));
    }
}

static void configure(DWORD drain_ms, DWORD timeout_ms, DWORD retries)
{
    WCHAR server[64];

    _snwprintf(server, 64, L"127.0.0.1:%u", srv.port);
    wt_fresh_config();
    wt_set_global_dword(L"DrainTimeoutMs", drain_ms);
    wt_set_sink_string(L"acct", L"Type", REG_SZ, L"radius");
    wt_set_sink_string(L"acct", L"Server", REG_SZ, server);
    wt_set_sink_string(L"acct", L"Secret", REG_SZ, L"" SECRET);
    wt_set_sink_dword(L"acct", L"TimeoutMs", timeout_ms);
    wt_set_sink_dword(L"acct", L"Retries", retries);
}

static void run(unsigned seed, unsigned count)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    if (count > 0)
        assert_int_equal(rh_host_replay(&dll, 1, seed, count, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll);
}

/* How many different sessions of Acct-Status-Type `status` the server saw. */
static size_t sessions(size_t n, uint8_t status)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        bool first = seen[i].status == status;

        for (size_t k = 0; k < i && first; k++)
            first = seen[k].status != status || strcmp(seen[k].session, seen[i].session) != 0;
        count += first;
    }
    return count;
}

/*
 * On before Start, Off after Stop, and one NAS identity: a server that closes
 * a rebooted NAS's sessions when its On arrives, or matches On and Off to the
 * sessions by NAS-Identifier and NAS-IP-Address, sees them right. The server
 * is down for the first second, so that the On and the first Starts wait in
 * the journal together and go out in one batch.
 */
static void on_is_acknowledged_before_starts_and_off_after_stops(void **state)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    ULONGLONG on_answered = 0, stops_answered = 0, off_rx = 0;
    size_t n;

    (void)state;
    server_reset(1, 500, 300);
    srv.silent_until = GetTickCount64() + 1500;
    configure(20000, 1000, 1); /* no retransmission while the server takes its time */
    wt_load(&dll, RH_HOST_MODEL_AUTO);
    assert_int_equal(rh_host_replay(&dll, 1, 71, 20, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll);

    n = snapshot();
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        const struct pkt *k = &seen[i];

        if (k->status == 7 && k->answered_at != 0 &&
            (on_answered == 0 || k->answered_at < on_answered))
            on_answered = k->answered_at;
        if (k->status == 2 && k->answered_at > stops_answered)
            stops_answered = k->answered_at;
        if (k->status == 8 && (off_rx == 0 || k->rx < off_rx))
            off_rx = k->rx;
    }
    assert_true(on_answered != 0);
    for (size_t i = 0; i < n; i++)
        if (seen[i].status == 1 && seen[i].rx < on_answered)
            fail_msg("a Start went out %llu ms before the Accounting-On was acknowledged",
                     (unsigned long long)(on_answered - seen[i].rx));
    if (off_rx < stops_answered)
        fail_msg("Accounting-Off went out %llu ms before the last Stop was acknowledged",
                 (unsigned long long)(stops_answered - off_rx));
    stops_follow_their_starts(n);
    assert_int_equal(sessions(n, 7), 1);
    assert_int_equal(sessions(n, 1), 20);
    assert_int_equal(sessions(n, 2), 20);
    assert_int_equal(sessions(n, 8), 1);
    for (size_t i = 0; i < n; i++) {
        const struct pkt *k = &seen[i];

        /* The same NAS on every request: this computer's name and the address it sent from. */
        assert_string_equal(k->nas_id, seen[0].nas_id);
        assert_string_not_equal(k->nas_id, "rashangup");
        assert_int_equal(k->nas_ip_len, 4);
        assert_false(k->nas_ipv6);
        assert_memory_equal(k->nas_ip, ((const uint8_t[]){127, 0, 0, 1}), 4);
    }
}

/* The index of `key` (status and session) in keys[0..n), or n. */
static size_t find_key(char (*keys)[80], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return i;
    return n;
}

/*
 * A server that answers one request in three: the sink moves its cursor over
 * every acknowledged prefix, so that after RemoteAccess stops half-way and
 * starts again, what was acknowledged is not sent again (RFC 2866 cannot avoid
 * it for at most Window requests acknowledged out of order), and nothing is
 * lost.
 */
static void acknowledged_records_are_not_sent_again_after_a_restart(void **state)
{
    static char acked[MAX_PKTS][80], again[MAX_PKTS][80];
    size_t n_acked = 0, n_again = 0, dups = 0, missing = 0, n;

    (void)state;
    server_reset(3, 0, 0);
    configure(2500, 100, 10);
    run(72, 150);
    n = snapshot();
    stops_follow_their_starts(n);
    for (size_t i = 0; i < n; i++) {
        char key[80];

        snprintf(key, sizeof key, "%u %s", seen[i].status, seen[i].session);
        if (seen[i].answered_at != 0 && find_key(acked, n_acked, key) == n_acked)
            snprintf(acked[n_acked++], sizeof acked[0], "%s", key);
    }
    print_message("first run: %u request(s) acknowledged before the stop\n", (unsigned)n_acked);
    assert_true(n_acked > 20); /* the stop came half-way: some were, some were not */
    assert_true(n_acked < 250);

    /* The same journal: only how long the drain and the server take change. */
    server_reset(1, 0, 0);
    wt_set_global_dword(L"DrainTimeoutMs", 20000);
    wt_set_sink_dword(L"acct", L"TimeoutMs", 300);
    run(73, 0);
    n = snapshot();
    for (size_t i = 0; i < n; i++) {
        char key[80];

        snprintf(key, sizeof key, "%u %s", seen[i].status, seen[i].session);
        if (find_key(again, n_again, key) == n_again)
            snprintf(again[n_again++], sizeof again[0], "%s", key);
    }
    for (size_t i = 0; i < n_again; i++)
        dups += find_key(acked, n_acked, again[i]) < n_acked;
    /* Every Start and Stop of the first run was acknowledged in one run or the other. */
    for (size_t i = 0; i < n_again; i++)
        if (strncmp(again[i], "1 ", 2) == 0 || strncmp(again[i], "2 ", 2) == 0)
            if (find_key(acked, n_acked, again[i]) == n_acked)
                snprintf(acked[n_acked++], sizeof acked[0], "%s", again[i]);
    for (size_t i = 0; i < n_acked; i++)
        missing += strncmp(acked[i], "1 ", 2) != 0 && strncmp(acked[i], "2 ", 2) != 0;
    print_message("after the restart: %u request(s) sent, %u of them acknowledged before\n",
                  (unsigned)n_again, (unsigned)dups);
    assert_int_equal(n_acked - missing, 300); /* 150 Starts and 150 Stops, none lost */
    if (dups > 32)
        fail_msg("%u acknowledged request(s) were sent again (Window is 32)", (unsigned)dups);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(on_is_acknowledged_before_starts_and_off_after_stops,
                                  wt_teardown),
        cmocka_unit_test_teardown(acknowledged_records_are_not_sent_again_after_a_restart,
                                  wt_teardown),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
