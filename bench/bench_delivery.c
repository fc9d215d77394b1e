/* SPDX-License-Identifier: MIT */
/*
 * What RRAS's thread pays, and what delivery achieves, under Wine.
 *
 *   bench_delivery latency healthy|stalled|reference N
 *   bench_delivery sustained N
 *   bench_delivery burst N THREADS
 *   bench_delivery backlog N
 *   bench_delivery collector syslog|radius N [WINDOW]
 *   bench_delivery callback|accept|line|idle|startup ...   (bench_callback.c: against the floor)
 *
 * latency: N hangup callbacks one after another (RRAS serializes them), each
 *   timed with QueryPerformanceCounter; prints p50, p99 and max in microseconds.
 *   healthy: rashangup with a file sink; stalled: rashangup whose only sink is a
 *   pipe nobody reads (every write blocks); reference: refdll.dll, which formats,
 *   appends and flushes inside the callback.
 * sustained: N hangups, then the time until the file sink has all N records.
 * burst: N hangups from THREADS threads at once, the time until all are in the
 *   file, and the process's peak memory.
 * backlog: N hangups with the sink down; private memory sampled every N/10.
 *
 * Each run sets up its own configuration in the prefix's registry and its own
 * files under C:\ProgramData\RasHangup\bench.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <psapi.h>

#include "bench_delivery.h"

struct rh_scenario_conn *inputs;

void set_dword(const WCHAR *key, const WCHAR *name, DWORD v)
{
    HKEY k;

    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL,
                        &k, NULL) != ERROR_SUCCESS)
        return;
    RegSetValueExW(k, name, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
    RegCloseKey(k);
}

void set_string(const WCHAR *key, const WCHAR *name, const WCHAR *v)
{
    HKEY k;

    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL,
                        &k, NULL) != ERROR_SUCCESS)
        return;
    RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)v, (DWORD)((wcslen(v) + 1) * sizeof(WCHAR)));
    RegCloseKey(k);
}

void configure_radius_sink(const WCHAR *name, WCHAR *detail)
{
    WCHAR key[128], secret[128], server[64];
    char buf[128] = "";

    _snwprintf(key, 128, CONFIG L"\\Sinks\\%ls", name);
    GetEnvironmentVariableA("RH_RADIUS_SECRET", buf, sizeof buf);
    _snwprintf(secret, 128, L"%hs", buf);
    _snwprintf(server, 64, L"127.0.0.1:%u", env_unsigned("RH_RADIUS_PORT"));
    set_string(key, L"Type", L"radius");
    set_string(key, L"Secret", secret);
    set_string(key, L"Server", server);
    env_path("RH_RADIUS_ACCT", L"/127.0.0.1/detail", detail);
    DeleteFileW(detail);
}

void configure(const WCHAR *path, DWORD mb, DWORD drain_ms)
{
    WCHAR journal[MAX_PATH];

    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG);
    set_string(CONFIG L"\\Sinks\\bench", L"Type", L"file");
    set_string(CONFIG L"\\Sinks\\bench", L"Path", path);
    set_dword(CONFIG, L"JournalSizeMB", mb);
    set_dword(CONFIG, L"DrainTimeoutMs", drain_ms);
    set_dword(CONFIG, L"RetryMinMs", 10);
    set_dword(CONFIG, L"RetryMaxMs", 50);
    if (getenv("RH_BENCH_FLUSH_MS") != NULL)
        set_dword(CONFIG, L"FlushIntervalMs", (DWORD)atoi(getenv("RH_BENCH_FLUSH_MS")));
    ExpandEnvironmentStringsW(L"%ProgramData%\\RasHangup\\journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    CreateDirectoryW(OUT_DIR, NULL);
    DeleteFileW(OUT_FILE);
}

void load(struct rh_host_dll *dll, const WCHAR *name)
{
    char err[512] = "";

    if (rh_host_load(dll, name, RH_HOST_MODEL_AUTO, err, sizeof err) != NO_ERROR) {
        fprintf(stderr, "bench: %ls: %s\n", name, err);
        exit(2);
    }
}

/* Connection i: one of the inputs, with its own GUID. */
struct rh_ras_connection_ex *conn(unsigned i)
{
    struct rh_ras_connection_ex *c = &inputs[i % INPUTS].ex;

    c->guid.Data2 = (uint16_t)(i >> 16);
    c->guid.Data3 = (uint16_t)i;
    return c;
}

int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

size_t count_lines(const WCHAR *path)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    static char buf[1 << 16];
    DWORD got;
    size_t n = 0;

    if (h == INVALID_HANDLE_VALUE)
        return 0;
    while (ReadFile(h, buf, sizeof buf, &got, NULL) && got > 0)
        for (DWORD i = 0; i < got; i++)
            n += buf[i] == '\n';
    CloseHandle(h);
    return n;
}

double now_s(void)
{
    LARGE_INTEGER t, f;

    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (double)t.QuadPart / (double)f.QuadPart;
}

static void latency(const char *kind, unsigned n)
{
    struct rh_host_dll dll;
    uint64_t *ticks = malloc(n * sizeof *ticks);
    LARGE_INTEGER f;
    HANDLE pipe = NULL;
    double us;

    QueryPerformanceFrequency(&f);
    if (strcmp(kind, "stalled") == 0) {
        pipe = CreateNamedPipeW(L"\\\\.\\pipe\\rashangup-bench", PIPE_ACCESS_INBOUND,
                                PIPE_TYPE_BYTE | PIPE_WAIT, 1, 4096, 4096, 0, NULL);
        configure(L"\\\\.\\pipe\\rashangup-bench", 256, 200);
    } else {
        configure(OUT_FILE, 256, 30000);
    }
    SetEnvironmentVariableW(L"RH_REFDLL_PATH", OUT_DIR L"\\refdll.jsonl");
    DeleteFileW(OUT_DIR L"\\refdll.jsonl");
    load(&dll, strcmp(kind, "reference") == 0 ? L"refdll.dll" : L"rashangup.dll");
    for (unsigned i = 0; i < n; i++) {
        struct rh_ras_connection_ex *c = conn(i);
        LARGE_INTEGER a, b;

        QueryPerformanceCounter(&a);
        dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(c);
        QueryPerformanceCounter(&b);
        ticks[i] = (uint64_t)(b.QuadPart - a.QuadPart);
    }
    rh_host_unload(&dll);
    if (pipe != NULL)
        CloseHandle(pipe);
    qsort(ticks, n, sizeof *ticks, cmp_u64);
    us = 1e6 / (double)f.QuadPart;
    printf("latency %-9s n=%u p50=%.2f us p99=%.2f us max=%.1f us\n", kind, n,
           (double)ticks[n / 2] * us, (double)ticks[(size_t)n * 99 / 100] * us,
           (double)ticks[n - 1] * us);
    free(ticks);
}

static void sustained(unsigned n)
{
    struct rh_host_dll dll;
    double t0, t1, t2;

    configure(OUT_FILE, 1024, 600000);
    load(&dll, L"rashangup.dll");
    t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(conn(i));
    t1 = now_s();
    rh_host_unload(&dll); /* the drain waits until the file has them all */
    t2 = now_s();
    printf("sustained n=%u callbacks=%.0f/s delivered=%.0f records/s (%zu in the file)\n", n,
           n / (t1 - t0), n / (t2 - t0), count_lines(OUT_FILE));
}

struct burst_arg {
    struct rh_host_dll *dll;
    volatile LONG next;
    LONG n;
};

static DWORD WINAPI burst_thread(void *p)
{
    struct burst_arg *a = p;
    struct rh_ras_connection_ex c;
    LONG i;

    while ((i = InterlockedIncrement(&a->next) - 1) < a->n) {
        c = *conn((unsigned)i % INPUTS); /* a private copy: threads run at once */
        c.guid.Data2 = (uint16_t)(i >> 16);
        c.guid.Data3 = (uint16_t)i;
        a->dll->callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c);
    }
    return 0;
}

static void burst(unsigned n, unsigned threads)
{
    struct rh_host_dll dll;
    struct burst_arg a;
    HANDLE h[64];
    PROCESS_MEMORY_COUNTERS_EX pmc;
    double t0, t1, t2;

    configure(OUT_FILE, 1024, 600000);
    load(&dll, L"rashangup.dll");
    a.dll = &dll;
    a.next = 0;
    a.n = (LONG)n;
    t0 = now_s();
    for (unsigned i = 0; i < threads; i++)
        h[i] = CreateThread(NULL, 0, burst_thread, &a, 0, NULL);
    WaitForMultipleObjects(threads, h, TRUE, INFINITE);
    t1 = now_s();
    rh_host_unload(&dll);
    t2 = now_s();
    GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc);
    printf("burst n=%u threads=%u callbacks_done=%.2f s all_delivered=%.2f s (%zu in the file) "
           "peak_private=%.1f MiB peak_working_set=%.1f MiB\n",
           n, threads, t1 - t0, t2 - t0, count_lines(OUT_FILE),
           (double)pmc.PeakPagefileUsage / 1048576.0, (double)pmc.PeakWorkingSetSize / 1048576.0);
    for (unsigned i = 0; i < threads; i++)
        CloseHandle(h[i]);
}

static void backlog(unsigned n)
{
    struct rh_host_dll dll;
    PROCESS_MEMORY_COUNTERS_EX pmc;

    /* The sink's folder is a file: it never opens, everything stays in the journal. */
    configure(OUT_DIR L"\\blocked\\records.jsonl", (DWORD)((uint64_t)n * 512 / 1048576 + 16), 100);
    CloseHandle(CreateFileW(OUT_DIR L"\\blocked", GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL));
    load(&dll, L"rashangup.dll");
    printf("backlog records private_MiB working_set_MiB (the journal is mapped: file pages)\n");
    for (unsigned i = 0; i <= n; i++) {
        if (i % (n / 10) == 0) {
            GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc);
            printf("backlog %u %.1f %.1f\n", i, (double)pmc.PagefileUsage / 1048576.0,
                   (double)pmc.WorkingSetSize / 1048576.0);
        }
        if (i < n)
            dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(conn(i));
    }
    rh_host_unload(&dll);
    DeleteFileW(OUT_DIR L"\\blocked");
}

/* A Unix path from the environment as Wine sees it (drive Z:), plus `suffix`. */
void env_path(const char *var, const WCHAR *suffix, WCHAR *out)
{
    char buf[MAX_PATH] = "";

    GetEnvironmentVariableA(var, buf, sizeof buf);
    _snwprintf(out, MAX_PATH, L"Z:%hs%ls", buf, suffix);
    out[MAX_PATH - 1] = L'\0';
    for (WCHAR *p = out; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
}

unsigned env_unsigned(const char *var)
{
    char buf[32] = "";

    GetEnvironmentVariableA(var, buf, sizeof buf);
    return (unsigned)strtoul(buf, NULL, 10);
}

/* Occurrences of `needle` in a file. */
size_t count_in_file(const WCHAR *path, const char *needle)
{
    HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER size;
    char *text;
    DWORD got = 0;
    size_t n = 0;

    if (h == INVALID_HANDLE_VALUE)
        return 0;
    GetFileSizeEx(h, &size);
    text = calloc(1, (size_t)size.QuadPart + 1);
    if (text != NULL && ReadFile(h, text, (DWORD)size.QuadPart, &got, NULL))
        for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
            n++;
    free(text);
    CloseHandle(h);
    return n;
}

/*
 * Records per second into a real collector (started by tests/peers/with_*.sh):
 * `syslog` over TCP to rsyslog, or `radius` to FreeRADIUS with `window`
 * requests outstanding. n hangups are journaled at once, then the drain at
 * unload waits until the collector has acknowledged (RADIUS) or been sent
 * (syslog) them all; the collector's own output is then counted.
 */
static void collector(const char *kind, unsigned n, unsigned window)
{
    struct rh_host_dll dll;
    WCHAR server[64], out[MAX_PATH];
    double t0, t1;
    size_t got;

    configure(OUT_FILE, 1024, 600000);
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG L"\\Sinks");
    if (strcmp(kind, "radius") == 0) {
        configure_radius_sink(L"bench", out);
        set_dword(CONFIG L"\\Sinks\\bench", L"Window", window);
    } else {
        _snwprintf(server, 64, L"127.0.0.1:%u", env_unsigned("RH_SYSLOG_TCP_PORT"));
        set_string(CONFIG L"\\Sinks\\bench", L"Type", L"syslog");
        set_string(CONFIG L"\\Sinks\\bench", L"Transport", L"tcp");
        set_string(CONFIG L"\\Sinks\\bench", L"Server", server);
        env_path("RH_PEER_DIR", L"/out.jsonl", out);
    }
    load(&dll, L"rashangup.dll");
    Sleep(200); /* the sink connected, Accounting-On acknowledged */
    t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        dll.callbacks.lpfnRasAdminConnectionHangupNotificationEx(conn(i));
    rh_host_unload(&dll);
    t1 = now_s();
    if (strcmp(kind, "radius") == 0) {
        got = count_in_file(out, "Acct-Status-Type = Stop");
    } else {
        for (int i = 0; i < 200 && count_lines(out) < n; i++)
            Sleep(50); /* rsyslog writes its file after it received */
        got = count_lines(out);
    }
    printf("collector %s n=%u window=%u delivered=%.0f records/s (%zu at the collector)\n", kind, n,
           window, n / (t1 - t0), got);
}

int main(int argc, char **argv)
{
    unsigned n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;

    inputs = calloc(INPUTS, sizeof *inputs);
    if (inputs == NULL)
        return 1;
    for (unsigned i = 0; i < INPUTS; i++)
        rh_scenario_make(7, i, &inputs[i]);
    if (argc == 4 && strcmp(argv[1], "latency") == 0)
        latency(argv[2], n);
    else if (argc == 3 && strcmp(argv[1], "sustained") == 0)
        sustained((unsigned)strtoul(argv[2], NULL, 10));
    else if (argc == 4 && strcmp(argv[1], "burst") == 0)
        burst((unsigned)strtoul(argv[2], NULL, 10), n > 0 && n <= 64 ? n : 8);
    else if (argc == 3 && strcmp(argv[1], "backlog") == 0)
        backlog((unsigned)strtoul(argv[2], NULL, 10));
    else if (argc >= 4 && strcmp(argv[1], "collector") == 0)
        collector(argv[2], n, argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 32);
    else if (argc == 4 && strcmp(argv[1], "callback") == 0)
        bench_callback((unsigned)strtoul(argv[2], NULL, 10), n);
    else if (argc == 3 && strcmp(argv[1], "accept") == 0)
        bench_accept((unsigned)strtoul(argv[2], NULL, 10));
    else if (argc == 3 && strcmp(argv[1], "line") == 0)
        bench_line((unsigned)strtoul(argv[2], NULL, 10));
    else if (argc >= 4 && strcmp(argv[1], "idle") == 0)
        bench_idle((unsigned)strtoul(argv[2], NULL, 10), argv + 3, argc - 3);
    else if (argc == 3 && strcmp(argv[1], "startup") == 0)
        bench_startup((unsigned)strtoul(argv[2], NULL, 10));
    else {
        fprintf(stderr, "usage: see bench/bench_delivery.c\n");
        return 1;
    }
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, CONFIG);
    return 0;
}
