/* SPDX-License-Identifier: MIT */
/*
 * What RRAS's thread pays per callback, against the floor: floordll.dll, whose
 * callbacks copy the structure and return. Issue 13's figures, all in one run
 * (bench/run_delivery.sh):
 *
 *   bench_delivery callback PACED BURST
 *   bench_delivery accept N
 *   bench_delivery line N
 *   bench_delivery idle SECONDS floor|1|4...
 *   bench_delivery startup N
 *
 * callback: the hangup callback (MprAdminConnectionHangupNotificationEx, called
 *   as rrashost calls it) timed with QueryPerformanceCounter around the call
 *   only, for the floor; rashangup with 1 and with 4 JSON file sinks; rashangup
 *   whose only sink fails (TCP syslog to a closed loopback port: refused, retried
 *   every 10 to 50 ms); rashangup whose collector hangs (TCP syslog to a loopback
 *   listener that never accepts nor reads: once the socket buffers are full the
 *   sink's send blocks, for up to its ConnectTimeoutMs of 60 s); and refdll.dll.
 *   Each is paced at 1,000 calls a second from one thread (PACED calls), then
 *   called back to back from 1, 2 and 8 threads (BURST calls each), one call at
 *   a time under a lock as RRAS serializes them. Prints p50, p99, p99.9, p99.99
 *   and max in microseconds, with the ratio to the floor, and the calls over
 *   100 µs and over 1 ms.
 * accept: the accept callback (MprAdminAcceptNewConnectionEx) paced at 1,000 a
 *   second: the floor; rashangup with a file sink (which takes no connection
 *   start: the callback only checks the journal's room); and, when
 *   tests/peers/with_freeradius.sh runs it (RH_RADIUS_PORT), rashangup with a
 *   RADIUS sink, which takes every start (Accounting-Start).
 * line: N hangups at 100 a second into one file sink; for each, the time from
 *   the callback's return until its line is in the file (milliseconds).
 * idle: for each KIND in turn, the DLL loaded (the floor, or rashangup with 1
 *   or 4 file sinks) and no traffic for SECONDS after a warm-up: the process's
 *   CPU time (GetProcessTimes, in 10 ms ticks under Wine) and the wineserver's.
 *   Wine's GetProcessIoCounters returns zeros: run_delivery.sh measures from
 *   Linux what the process wrote and its CPU time to the microsecond, at the
 *   window's edges (RH_BENCH_SYNC, a Unix folder, is where they meet), and
 *   hands the figures back to the bench for its table.
 * startup: LoadLibraryExW, MprAdminInitializeDllEx, the first hangup callback,
 *   MprAdminTerminateDll and FreeLibrary: for the floor; for rashangup on a
 *   fresh start (no journal file), a restart with an empty journal, and a
 *   restart with N records pending (filled while the only sink could not
 *   write: its folder is a file).
 */
#include <winsock2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "bench_delivery.h"

enum kase { K_FLOOR, K_FILE1, K_FILE4, K_FAILING, K_HUNG, K_REF, K_COUNT };

static const char *const case_name[K_COUNT] = {
    "floor (copies the structure)",
    "rashangup, 1 file sink",
    "rashangup, 4 file sinks",
    "rashangup, failing sink (TCP to a closed port)",
    "rashangup, hung collector (TCP, never read)",
    "reference DLL (work in the callback)",
};

enum call { CALL_HANGUP, CALL_ACCEPT };

#define PATTERNS 4
static const unsigned burst_threads[PATTERNS - 1] = {1, 2, 8};

/* p50, p99, p99.9 and p99.99 in parts per 10,000; then the max. */
static const unsigned quantile[4] = {5000, 9900, 9990, 9999};

struct stats {
    unsigned n;
    double rate;  /* calls per second over the whole run */
    double us[5]; /* p50, p99, p99.9, p99.99, max */
    unsigned over_100us, over_1ms;
};

struct setup {
    enum kase kase;
    struct rh_host_dll dll;
    SOCKET listener; /* the hung collector */
    int n_files;
    WCHAR files[4][MAX_PATH];
};

static double g_us_per_tick;
static LONG g_seq; /* every call carries a connection of its own */

typedef LONG(NTAPI DELAY_FN)(BOOLEAN alertable, LARGE_INTEGER *interval);
static DELAY_FN *g_delay;

static int64_t qpc(void)
{
    LARGE_INTEGER t;

    QueryPerformanceCounter(&t);
    return t.QuadPart;
}

static int64_t ticks_of_us(double us)
{
    return (int64_t)(us / g_us_per_tick);
}

static void init_clock(void)
{
    LARGE_INTEGER f;

    QueryPerformanceFrequency(&f);
    g_us_per_tick = 1e6 / (double)f.QuadPart;
    /* Through the one function type every function pointer converts to. */
    g_delay = (DELAY_FN *)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
                                                         "NtDelayExecution");
}

/*
 * Waits for the next slot of `period` ticks. Wine's Sleep(1) takes 1.1 to 1.3 ms,
 * too long for 1 ms slots: NtDelayExecution sleeps to within 0.15 ms of the slot
 * (it overshoots by about 0.05 to 0.1 ms), a spin does the rest. A late call
 * never makes up for lost slots with calls back to back.
 */
static void pace(int64_t *slot, int64_t period)
{
    int64_t now = qpc();
    int64_t margin = ticks_of_us(150);

    if (now > *slot + period / 2)
        *slot = now;
    while ((now = qpc()) < *slot) {
        if (*slot - now > margin && g_delay != NULL) {
            LARGE_INTEGER rel;

            rel.QuadPart = -(int64_t)((double)(*slot - now - margin) * g_us_per_tick * 10.0);
            g_delay(FALSE, &rel);
        } else {
            YieldProcessor();
        }
    }
    *slot += period;
}

static void make_conn(struct rh_ras_connection_ex *c, unsigned i)
{
    *c = inputs[i % INPUTS].ex;
    c->guid.Data2 = (uint16_t)(i >> 16);
    c->guid.Data3 = (uint16_t)i;
}

static void summarize(uint64_t *ticks, unsigned n, double seconds, struct stats *s)
{
    memset(s, 0, sizeof *s);
    if (n == 0)
        return;
    qsort(ticks, n, sizeof *ticks, cmp_u64);
    for (int k = 0; k < 4; k++) {
        /* Nearest rank: the smallest value with at least that share at or below it. */
        uint64_t rank = ((uint64_t)n * quantile[k] + 9999) / 10000;

        s->us[k] = (double)ticks[rank > 0 ? rank - 1 : 0] * g_us_per_tick;
    }
    s->us[4] = (double)ticks[n - 1] * g_us_per_tick;
    for (unsigned i = 0; i < n; i++) {
        double us = (double)ticks[i] * g_us_per_tick;

        s->over_100us += us > 100.0;
        s->over_1ms += us > 1000.0;
    }
    s->n = n;
    s->rate = seconds > 0 ? n / seconds : 0;
}

/* A figure with its ratio to the floor's. */
static void print_us(double v, double floor)
{
    if (v < 10)
        printf(" %.2f", v);
    else if (v < 1000)
        printf(" %.1f", v);
    else
        printf(" %.0f", v);
    if (floor > 0)
        printf(" (×%.*f)", v / floor < 10 ? 1 : 0, v / floor);
    printf(" |");
}

static void print_header(const char *first)
{
    printf("\n| %s | DLL | calls | calls/s | p50 µs | p99 µs | p99.9 µs | p99.99 µs | max µs | "
           "> 100 µs | > 1 ms |\n",
           first);
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

static void print_row(const char *pattern, const char *dll, const struct stats *s,
                      const struct stats *floor)
{
    printf("| %s | %s | %u | %.0f |", pattern, dll, s->n, s->rate);
    for (int k = 0; k < 5; k++)
        print_us(s->us[k], floor != NULL && floor != s ? floor->us[k] : 0);
    printf(" %u | %u |\n", s->over_100us, s->over_1ms);
}

/* A loopback port: closed (nothing listens) or, with `listener`, listened on and never accepted. */
static unsigned short loopback_port(SOCKET *listener)
{
    struct sockaddr_in a;
    int len = sizeof a;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    unsigned short port;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s == INVALID_SOCKET || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0 ||
        (listener != NULL && listen(s, 1) != 0)) {
        fprintf(stderr, "bench: loopback socket: error %d\n", WSAGetLastError());
        exit(2);
    }
    port = ntohs(a.sin_port);
    if (listener != NULL)
        *listener = s;
    else
        closesocket(s);
    return port;
}

/* n file sinks, sink0.jsonl ...; a fresh journal. */
static void configure_files(struct setup *su, int n, const WCHAR *stem)
{
    configure(OUT_FILE, 256, 30000);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG L"\\Sinks");
    su->n_files = n;
    for (int i = 0; i < n; i++) {
        WCHAR key[64];

        _snwprintf(key, 64, CONFIG L"\\Sinks\\file%d", i);
        _snwprintf(su->files[i], MAX_PATH, OUT_DIR L"\\%ls%d.jsonl", stem, i);
        DeleteFileW(su->files[i]);
        set_string(key, L"Type", L"file");
        set_string(key, L"Path", su->files[i]);
    }
}

static void configure_syslog(unsigned short port, DWORD timeout_ms)
{
    WCHAR server[32];

    configure(OUT_FILE, 256, 200);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG L"\\Sinks");
    _snwprintf(server, 32, L"127.0.0.1:%u", port);
    set_string(CONFIG L"\\Sinks\\syslog", L"Type", L"syslog");
    set_string(CONFIG L"\\Sinks\\syslog", L"Transport", L"tcp");
    set_string(CONFIG L"\\Sinks\\syslog", L"Server", server);
    set_dword(CONFIG L"\\Sinks\\syslog", L"ConnectTimeoutMs", timeout_ms);
}

static int64_t file_size(const WCHAR *path)
{
    WIN32_FILE_ATTRIBUTE_DATA d;

    if (!GetFileAttributesExW(path, GetFileExInfoStandard, &d))
        return 0;
    return (int64_t)d.nFileSizeHigh << 32 | d.nFileSizeLow;
}

/* Until the file sinks stopped writing (everything delivered), or a little while. */
static void settle(const struct setup *su)
{
    int64_t last = -1;
    int still = 0;

    if (su->n_files == 0) {
        Sleep(300);
        return;
    }
    for (int i = 0; i < 300 && still < 3; i++) {
        int64_t total = 0;

        Sleep(100);
        for (int k = 0; k < su->n_files; k++)
            total += file_size(su->files[k]);
        still = total == last ? still + 1 : 0;
        last = total;
    }
}

static void call(const struct setup *su, enum call what, struct rh_ras_connection_ex *c)
{
    if (what == CALL_ACCEPT)
        su->dll.callbacks.lpfnRasAdminAcceptNewConnectionEx(c);
    else
        su->dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(c);
}

static void warm_up(const struct setup *su, enum call what, unsigned n)
{
    struct rh_ras_connection_ex c;

    for (unsigned i = 0; i < n; i++) {
        make_conn(&c, (unsigned)InterlockedIncrement(&g_seq));
        call(su, what, &c);
    }
}

static void setup_case(struct setup *su, enum kase k)
{
    memset(su, 0, sizeof *su);
    su->kase = k;
    su->listener = INVALID_SOCKET;
    switch (k) {
    case K_FLOOR:
    case K_REF:
        configure(OUT_FILE, 256, 30000);
        SetEnvironmentVariableW(L"RH_REFDLL_PATH", OUT_DIR L"\\refdll.jsonl");
        DeleteFileW(OUT_DIR L"\\refdll.jsonl");
        load(&su->dll, k == K_FLOOR ? L"floordll.dll" : L"refdll.dll");
        break;
    case K_FILE1:
    case K_FILE4:
        configure_files(su, k == K_FILE1 ? 1 : 4, L"sink");
        load(&su->dll, L"rashangup.dll");
        break;
    case K_FAILING:
        configure_syslog(loopback_port(NULL), 5000);
        load(&su->dll, L"rashangup.dll");
        break;
    case K_HUNG:
        configure_syslog(loopback_port(&su->listener), 60000);
        load(&su->dll, L"rashangup.dll");
        /* Enough to fill the collector's receive buffer and our 256 KiB send buffer. */
        warm_up(su, CALL_HANGUP, 5000);
        Sleep(1000);
        break;
    default:
        break;
    }
}

/* The first value of "name" in status.json, written at Terminate. */
static void status_field(const char *name, char *out, size_t size)
{
    WCHAR path[MAX_PATH];
    HANDLE h;
    static char text[1 << 16];
    char needle[64];
    DWORD got = 0;
    const char *p;
    size_t n = 0;

    snprintf(out, size, "?");
    _snwprintf(path, MAX_PATH, JOURNAL L"\\status.json");
    h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return;
    if (ReadFile(h, text, sizeof text - 1, &got, NULL)) {
        text[got] = '\0';
        snprintf(needle, sizeof needle, "\"%s\":", name);
        p = strstr(text, needle);
        if (p != NULL) {
            p += strlen(needle);
            if (*p == '"')
                p++;
            while (p[n] != '\0' && p[n] != ',' && p[n] != '"' && p[n] != '}' && n + 1 < size)
                n++;
            snprintf(out, size, "%.*s", (int)n, p);
        }
    }
    CloseHandle(h);
}

/* Checks printed under the table: what each case's first sink did. */
static char g_notes[4096];

static void add_note(const char *line)
{
    size_t used = strlen(g_notes);

    snprintf(g_notes + used, sizeof g_notes - used, "- %s\n", line);
}

static void print_notes(void)
{
    printf("%s", g_notes);
    g_notes[0] = '\0';
}

static void teardown_case(struct setup *su, const char *label)
{
    char state[64], delivered[32], pending[32], line[256];

    if (su->listener != INVALID_SOCKET)
        closesocket(su->listener); /* its connections reset: the sink's send returns */
    rh_host_unload(&su->dll);
    if (su->kase == K_FLOOR || su->kase == K_REF)
        return;
    status_field("state", state, sizeof state);
    status_field("delivered", delivered, sizeof delivered);
    status_field("pending", pending, sizeof pending);
    snprintf(line, sizeof line, "%s: first sink at Terminate: state %s, delivered %s, pending %s",
             label, state, delivered, pending);
    add_note(line);
}

static void run_paced(const struct setup *su, enum call what, unsigned n, double per_second,
                      struct stats *st)
{
    uint64_t *ticks = malloc(n * sizeof *ticks);
    int64_t period = ticks_of_us(1e6 / per_second);
    int64_t slot = qpc(), t0 = slot;
    struct rh_ras_connection_ex c;

    for (unsigned i = 0; i < n; i++) {
        int64_t a, b;

        make_conn(&c, (unsigned)InterlockedIncrement(&g_seq));
        pace(&slot, period);
        a = qpc();
        call(su, what, &c);
        b = qpc();
        ticks[i] = (uint64_t)(b - a);
    }
    summarize(ticks, n, (double)(qpc() - t0) * g_us_per_tick / 1e6, st);
    free(ticks);
}

struct burst_run {
    const struct setup *su;
    SRWLOCK lock; /* RRAS's serialization of accept and hangup calls */
    volatile LONG next;
    LONG n;
    unsigned base;
    uint64_t *ticks;
};

static DWORD WINAPI burst_worker(void *p)
{
    struct burst_run *r = p;
    struct rh_ras_connection_ex c;
    LONG i;

    while ((i = InterlockedIncrement(&r->next) - 1) < r->n) {
        int64_t a, b;

        make_conn(&c, r->base + (unsigned)i);
        AcquireSRWLockExclusive(&r->lock);
        a = qpc();
        call(r->su, CALL_HANGUP, &c);
        b = qpc();
        ReleaseSRWLockExclusive(&r->lock);
        r->ticks[i] = (uint64_t)(b - a);
    }
    return 0;
}

static void run_burst(const struct setup *su, unsigned n, unsigned threads, struct stats *st)
{
    struct burst_run r;
    HANDLE h[8];
    int64_t t0, t1;

    r.su = su;
    InitializeSRWLock(&r.lock);
    r.next = 0;
    r.n = (LONG)n;
    r.base = (unsigned)InterlockedExchangeAdd(&g_seq, (LONG)n) + 1;
    r.ticks = malloc(n * sizeof *r.ticks);
    t0 = qpc();
    for (unsigned i = 0; i < threads; i++)
        h[i] = CreateThread(NULL, 0, burst_worker, &r, 0, NULL);
    WaitForMultipleObjects(threads, h, TRUE, INFINITE);
    t1 = qpc();
    for (unsigned i = 0; i < threads; i++)
        CloseHandle(h[i]);
    summarize(r.ticks, n, (double)(t1 - t0) * g_us_per_tick / 1e6, st);
    free(r.ticks);
}

static void net_start(void)
{
    WSADATA wsa;

    init_clock();
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "bench: WSAStartup failed\n");
        exit(2);
    }
}

/*
 * RH_BENCH_CASES, a list of case numbers (0 the floor ... 5 the reference), runs
 * only those: for looking at one change quickly. The floor always runs.
 */
static bool case_wanted(int k)
{
    const char *only = getenv("RH_BENCH_CASES");

    return k == K_FLOOR || only == NULL || strchr(only, '0' + k) != NULL;
}

void bench_callback(unsigned paced, unsigned burst)
{
    static struct stats st[K_COUNT][PATTERNS];
    char pattern[PATTERNS][48];

    net_start();
    snprintf(pattern[0], sizeof pattern[0], "paced 1,000/s, 1 thread");
    for (int p = 1; p < PATTERNS; p++)
        snprintf(pattern[p], sizeof pattern[p], "burst, %u thread%s", burst_threads[p - 1],
                 burst_threads[p - 1] > 1 ? "s" : "");
    printf("\nHangup callback (MprAdminConnectionHangupNotificationEx), one call at a time; "
           "(×N): N times the floor. The failing sink retries every 10 to 50 ms; the hung "
           "collector's socket buffers were full before the first call timed.\n\n");
    for (int k = 0; k < K_COUNT; k++) {
        struct setup su;

        if (!case_wanted(k))
            continue;
        fprintf(stderr, "bench: callback: %s\n", case_name[k]);
        setup_case(&su, (enum kase)k);
        warm_up(&su, CALL_HANGUP, 200);
        settle(&su);
        run_paced(&su, CALL_HANGUP, paced, 1000.0, &st[k][0]);
        for (int p = 1; p < PATTERNS; p++) {
            settle(&su);
            run_burst(&su, burst, burst_threads[p - 1], &st[k][p]);
        }
        settle(&su);
        teardown_case(&su, case_name[k]);
    }
    print_header("pattern");
    for (int p = 0; p < PATTERNS; p++)
        for (int k = 0; k < K_COUNT; k++)
            if (case_wanted(k))
                print_row(pattern[p], case_name[k], &st[k][p], &st[K_FLOOR][p]);
    print_notes();
    fflush(stdout);
}

void bench_accept(unsigned n)
{
    struct stats st[3];
    const char *names[3] = {
        "floor (copies the structure)",
        "rashangup, file sink (takes no start: room check only)",
        "rashangup, RADIUS sink (takes every start: Accounting-Start)",
    };
    WCHAR detail[MAX_PATH] = L"";
    int cases = env_unsigned("RH_RADIUS_PORT") != 0 ? 3 : 2;

    net_start();
    printf("\nAccept callback (MprAdminAcceptNewConnectionEx), paced at 1,000/s\n\n");
    for (int k = 0; k < cases; k++) {
        struct setup su;

        fprintf(stderr, "bench: accept: %s\n", names[k]);
        memset(&su, 0, sizeof su);
        su.listener = INVALID_SOCKET;
        if (k == 0) {
            su.kase = K_FLOOR;
            configure(OUT_FILE, 256, 30000);
            load(&su.dll, L"floordll.dll");
        } else if (k == 1) {
            su.kase = K_FILE1;
            configure_files(&su, 1, L"accept");
            load(&su.dll, L"rashangup.dll");
        } else {
            su.kase = K_FILE1; /* rashangup, with no file to settle */
            configure(OUT_FILE, 256, 30000);
            RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG L"\\Sinks");
            configure_radius_sink(L"radius", detail);
            load(&su.dll, L"rashangup.dll");
            Sleep(300); /* Accounting-On acknowledged */
        }
        warm_up(&su, CALL_ACCEPT, 100);
        settle(&su);
        run_paced(&su, CALL_ACCEPT, n, 1000.0, &st[k]);
        settle(&su);
        teardown_case(&su, names[k]);
    }
    print_header("pattern");
    for (int k = 0; k < cases; k++)
        print_row("paced 1,000/s", names[k], &st[k], &st[0]);
    print_notes();
    if (cases == 3)
        printf("- Accounting-Start requests in FreeRADIUS's detail file: %zu of %u\n",
               count_in_file(detail, "Acct-Status-Type = Start"), n + 100);
    else
        printf("- no RADIUS row: run under tests/peers/with_freeradius.sh\n");
    fflush(stdout);
}

void bench_line(unsigned n)
{
    struct setup su;
    uint64_t *ticks = malloc(n * sizeof *ticks);
    int64_t period, slot;
    unsigned timeouts = 0;
    HANDLE h;
    struct rh_ras_connection_ex c;
    struct stats st;

    net_start();
    memset(&su, 0, sizeof su);
    su.kase = K_FILE1;
    su.listener = INVALID_SOCKET;
    configure_files(&su, 1, L"line");
    load(&su.dll, L"rashangup.dll");
    warm_up(&su, CALL_HANGUP, 20);
    settle(&su);
    h = CreateFileW(su.files[0], GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0,
                    NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "bench: line: cannot open the sink's file\n");
        exit(2);
    }
    period = ticks_of_us(10000);
    slot = qpc();
    for (unsigned i = 0; i < n; i++) {
        LARGE_INTEGER size0, size;
        int64_t back, seen = 0;

        make_conn(&c, (unsigned)InterlockedIncrement(&g_seq));
        pace(&slot, period);
        GetFileSizeEx(h, &size0);
        su.dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c);
        back = qpc();
        /* Polled, yielding between looks: the line is there once the file ends with it. */
        while (seen == 0) {
            if (GetFileSizeEx(h, &size) && size.QuadPart > size0.QuadPart) {
                OVERLAPPED o;
                char last = 0;
                DWORD got = 0;

                memset(&o, 0, sizeof o);
                o.Offset = (DWORD)(size.QuadPart - 1);
                o.OffsetHigh = (DWORD)((uint64_t)(size.QuadPart - 1) >> 32);
                if (ReadFile(h, &last, 1, &got, &o) && got == 1 && last == '\n')
                    seen = qpc();
            }
            if (seen == 0 && (double)(qpc() - back) * g_us_per_tick > 5e6) {
                timeouts++;
                seen = qpc();
            }
            if (seen == 0)
                SwitchToThread();
        }
        ticks[i] = (uint64_t)(seen - back);
    }
    CloseHandle(h);
    teardown_case(&su, "rashangup, 1 file sink, 100/s");
    summarize(ticks, n, 1, &st);
    printf("\nHangup to line in the file (rashangup, 1 file sink, paced at 100/s; the "
           "reference DLL's line is there when its callback returns)\n\n");
    printf("| records | p50 ms | p99 ms | max ms | over 5 s |\n|---:|---:|---:|---:|---:|\n");
    printf("| %u | %.3f | %.3f | %.3f | %u |\n", n, st.us[0] / 1000, st.us[1] / 1000,
           st.us[4] / 1000, timeouts);
    print_notes();
    free(ticks);
    fflush(stdout);
}

static uint64_t filetime_100ns(FILETIME f)
{
    return (uint64_t)f.dwHighDateTime << 32 | f.dwLowDateTime;
}

static double process_cpu_ms(void)
{
    FILETIME c, e, k, u;

    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        return -1;
    return (double)(filetime_100ns(k) + filetime_100ns(u)) / 1e4;
}

/*
 * The wineserver's CPU time in ms, or -1: a file that Wine opens is opened by
 * the wineserver, so Z:\proc\self is the server's own (its one thread's).
 */
static double wineserver_cpu_ms(void)
{
    HANDLE h = CreateFileW(L"Z:\\proc\\self\\schedstat", GENERIC_READ, FILE_SHARE_READ, NULL,
                           OPEN_EXISTING, 0, NULL);
    char text[256];
    DWORD got = 0;
    unsigned long long ns;

    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!ReadFile(h, text, sizeof text - 1, &got, NULL))
        got = 0;
    CloseHandle(h);
    text[got] = '\0';
    if (sscanf(text, "%llu", &ns) != 1)
        return -1;
    return (double)ns / 1e6;
}

static bool synced(void)
{
    return GetEnvironmentVariableA("RH_BENCH_SYNC", NULL, 0) != 0;
}

/* With RH_BENCH_SYNC (a Unix folder): says `say`.i, then waits for `wait`.i from the script. */
static void sync_with_script(const WCHAR *say, const WCHAR *wait, int i)
{
    WCHAR path[MAX_PATH], suffix[32];

    if (!synced())
        return;
    _snwprintf(suffix, 32, L"/%ls.%d", say, i);
    env_path("RH_BENCH_SYNC", suffix, path);
    CloseHandle(CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL));
    _snwprintf(suffix, 32, L"/%ls.%d", wait, i);
    env_path("RH_BENCH_SYNC", suffix, path);
    for (int k = 0; k < 12000 && GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES; k++)
        Sleep(10);
}

/*
 * What the script measured from Linux over window i ("CPU_US WRITE_BYTES
 * CHANGED"); the CPU time with its share of one core over `seconds`.
 */
static void script_figures(int i, double seconds, char *cpu, char *written, char *changed,
                           size_t size)
{
    WCHAR path[MAX_PATH], suffix[32];
    char text[128], a[32], b[32], c[32];
    HANDLE h;
    DWORD got = 0;

    snprintf(cpu, size, "n/a");
    snprintf(written, size, "n/a");
    snprintf(changed, size, "n/a");
    if (!synced())
        return;
    _snwprintf(suffix, 32, L"/io.%d", i);
    env_path("RH_BENCH_SYNC", suffix, path);
    h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return;
    if (ReadFile(h, text, sizeof text - 1, &got, NULL)) {
        text[got] = '\0';
        if (sscanf(text, "%31s %31s %31s", a, b, c) == 3) {
            double ms = strtod(a, NULL) / 1000.0;

            snprintf(cpu, size, "%.1f (%.3f %%)", ms, ms / (seconds * 10.0));
            snprintf(written, size, "%s", b);
            snprintf(changed, size, "%s", c);
        }
    }
    CloseHandle(h);
}

void bench_idle(unsigned seconds, char **kinds, int n)
{
    char rows[8][512];

    net_start();
    for (int i = 0; i < n && i < 8; i++) {
        struct setup su;
        double cpu0, cpu1, ws0, ws1, t0, t1;
        char cpu[64], written[64], changed[64], ws[64];
        const char *name;

        memset(&su, 0, sizeof su);
        su.listener = INVALID_SOCKET;
        if (strcmp(kinds[i], "floor") == 0) {
            su.kase = K_FLOOR;
            configure(OUT_FILE, 256, 30000);
            load(&su.dll, L"floordll.dll");
        } else {
            su.kase = strcmp(kinds[i], "4") == 0 ? K_FILE4 : K_FILE1;
            configure_files(&su, su.kase == K_FILE4 ? 4 : 1, L"idle");
            load(&su.dll, L"rashangup.dll");
        }
        name = case_name[su.kase];
        fprintf(stderr, "bench: idle: %s\n", name);
        /* Warm: the sinks opened their files, the workers went idle, a status was written. */
        warm_up(&su, CALL_HANGUP, 100);
        settle(&su);
        Sleep(2000);
        sync_with_script(L"ready", L"go", i);
        cpu0 = process_cpu_ms();
        ws0 = wineserver_cpu_ms();
        t0 = now_s();
        Sleep(seconds * 1000);
        cpu1 = process_cpu_ms();
        ws1 = wineserver_cpu_ms();
        t1 = now_s();
        sync_with_script(L"done", L"end", i);
        script_figures(i, t1 - t0, cpu, written, changed, sizeof cpu);
        teardown_case(&su, name);
        if (ws0 >= 0 && ws1 >= 0)
            snprintf(ws, sizeof ws, "%.1f (%.3f %%)", ws1 - ws0, (ws1 - ws0) / ((t1 - t0) * 10.0));
        else
            snprintf(ws, sizeof ws, "n/a");
        snprintf(rows[i], sizeof rows[i], "| %s | %.1f | %.0f | %s | %s | %s | %s |", name, t1 - t0,
                 cpu1 - cpu0, cpu, ws, written, changed);
    }
    printf("\nAt rest: no traffic for %u s after a warm-up of 100 hangups\n\n", seconds);
    printf("| DLL | seconds | process CPU ms (GetProcessTimes: 10 ms ticks) | process CPU ms "
           "(Linux: its threads' schedstat; share of one core) | wineserver CPU ms (share) | bytes "
           "written (Linux: write_bytes) | journal.dat bytes changed |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n && i < 8; i++)
        printf("%s\n", rows[i]);
    print_notes();
    fflush(stdout);
}

struct startup_times {
    double load_ms, init_ms, first_us, term_ms, free_ms;
};

static void timed_load(struct rh_host_dll *dll, const WCHAR *name, struct startup_times *t)
{
    WCHAR full[MAX_PATH];
    HMODULE pre;
    int64_t a, b, c, d;
    struct rh_ras_connection_ex conn_ex;

    GetFullPathNameW(name, MAX_PATH, full, NULL);
    a = qpc();
    pre = LoadLibraryExW(full, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    b = qpc();
    load(dll, full); /* the module is loaded: this is MprAdminInitializeDllEx */
    c = qpc();
    FreeLibrary(pre);
    make_conn(&conn_ex, (unsigned)InterlockedIncrement(&g_seq));
    d = qpc();
    dll->callbacks.lpfnRasAdminConnectionHangupNotificationEx(&conn_ex);
    t->first_us = (double)(qpc() - d) * g_us_per_tick;
    t->load_ms = (double)(b - a) * g_us_per_tick / 1000;
    t->init_ms = (double)(c - b) * g_us_per_tick / 1000;
}

static void timed_unload(struct rh_host_dll *dll, struct startup_times *t)
{
    int64_t a, b, c;

    a = qpc();
    if (dll->terminate != NULL)
        dll->terminate();
    b = qpc();
    FreeLibrary(dll->module);
    c = qpc();
    dll->module = NULL;
    t->term_ms = (double)(b - a) * g_us_per_tick / 1000;
    t->free_ms = (double)(c - b) * g_us_per_tick / 1000;
}

/* With a base: (×N) after Initialize and Terminate, N times the base's. */
static void print_startup(const char *what, const struct startup_times *t,
                          const struct startup_times *init_base,
                          const struct startup_times *term_base)
{
    printf("| %s | %.2f | %.2f", what, t->load_ms, t->init_ms);
    if (init_base != NULL)
        printf(" (×%.1f)", t->init_ms / init_base->init_ms);
    printf(" | %.1f | %.2f", t->first_us, t->term_ms);
    if (term_base != NULL)
        printf(" (×%.1f)", t->term_ms / term_base->term_ms);
    printf(" | %.2f |\n", t->free_ms);
}

void bench_startup(unsigned n)
{
    struct rh_host_dll dll;
    struct startup_times floor, fresh, empty, filled, backlog;
    DWORD mb = (DWORD)((uint64_t)n * 512 / 1048576 + 16);
    char pending[32], depth[32], what[160];
    double fill_s;

    net_start();
    configure(OUT_FILE, 256, 5000);
    timed_load(&dll, L"floordll.dll", &floor);
    timed_unload(&dll, &floor);

    /* The only sink cannot write (its folder is a file): everything stays in the journal. */
    configure(OUT_DIR L"\\blocked\\records.jsonl", mb, 5000);
    CloseHandle(CreateFileW(OUT_DIR L"\\blocked", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL));
    timed_load(&dll, L"rashangup.dll", &fresh);
    timed_unload(&dll, &fresh);
    timed_load(&dll, L"rashangup.dll", &empty);
    timed_unload(&dll, &empty);

    timed_load(&dll, L"rashangup.dll", &filled);
    fill_s = now_s();
    for (unsigned i = 0; i < n; i++)
        dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(conn(i));
    fill_s = now_s() - fill_s;
    timed_unload(&dll, &filled);

    timed_load(&dll, L"rashangup.dll", &backlog);
    timed_unload(&dll, &backlog);
    status_field("pending", pending, sizeof pending);
    status_field("journal_depth", depth, sizeof depth);
    DeleteFileW(OUT_DIR L"\\blocked");

    printf("\nStart and stop (JournalSizeMB %lu, DrainTimeoutMs 5000; the only sink cannot "
           "write; (×N): N times the restart with an empty journal)\n\n",
           (unsigned long)mb);
    printf("| DLL, journal | LoadLibraryExW ms | MprAdminInitializeDllEx ms | first hangup µs | "
           "MprAdminTerminateDll ms | FreeLibrary ms |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    print_startup(case_name[K_FLOOR], &floor, NULL, NULL);
    print_startup("rashangup, fresh start (no journal file)", &fresh, NULL, NULL);
    print_startup("rashangup, restart, empty journal", &empty, NULL, NULL);
    snprintf(what, sizeof what,
             "rashangup, restart, then %u hangups (%.2f s), stop with them pending", n, fill_s);
    print_startup(what, &filled, NULL, &empty);
    snprintf(what, sizeof what, "rashangup, restart with %u records pending", n);
    print_startup(what, &backlog, &empty, &empty);
    printf("- after the last stop: status.json says pending %s, journal_depth %s\n", pending,
           depth);
    fflush(stdout);
}
