/* SPDX-License-Identifier: MIT */
/*
 * The Event Log: the message table the DLL carries (read with FormatMessageW,
 * as Event Viewer does), the version resource, and the events themselves.
 * Wine's Event Log stores nothing, so the seam is the DLL's own import of
 * ADVAPI32!ReportEventW: this test patches that import slot in the loaded
 * rashangup.dll and records every event the DLL reports, exactly as the Event
 * Log service would receive it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <windows.h>

#include <cmocka.h>

#include "host.h"
#include "messages.h"
#include "text.h"
#include "wintest.h"

#define MAX_EVENTS  4096
#define MAX_STRINGS 47 /* the record's 46 fields, then the summary */

struct event {
    WORD type;
    DWORD id;
    WORD n;
    WCHAR *strings[MAX_STRINGS];
};

static struct event events[MAX_EVENTS];
static volatile LONG n_events;
static SRWLOCK events_lock = SRWLOCK_INIT;

static BOOL WINAPI report_event_hook(HANDLE source, WORD type, WORD category, DWORD id, PSID sid,
                                     WORD n, DWORD data_size, LPCWSTR *strings, LPVOID data)
{
    (void)source;
    (void)category;
    (void)sid;
    (void)data_size;
    (void)data;
    AcquireSRWLockExclusive(&events_lock);
    if (n_events < MAX_EVENTS) {
        struct event *e = &events[n_events++];

        e->type = type;
        e->id = id;
        e->n = n;
        for (WORD i = 0; i < n && i < MAX_STRINGS; i++)
            e->strings[i] = _wcsdup(strings[i]);
    }
    ReleaseSRWLockExclusive(&events_lock);
    return TRUE;
}

static void clear_events(void)
{
    for (LONG i = 0; i < n_events; i++)
        for (WORD k = 0; k < events[i].n && k < MAX_STRINGS; k++)
            free(events[i].strings[k]);
    n_events = 0;
}

/* The import address table slot of dll!func in module m, or NULL. */
static void **import_slot(HMODULE m, const char *dll, const char *func)
{
    BYTE *base = (BYTE *)m;
    const IMAGE_NT_HEADERS *nt =
        (const IMAGE_NT_HEADERS *)(base + ((const IMAGE_DOS_HEADER *)base)->e_lfanew);
    const IMAGE_DATA_DIRECTORY *dir =
        &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
    const IMAGE_IMPORT_DESCRIPTOR *d =
        (const IMAGE_IMPORT_DESCRIPTOR *)(base + dir->VirtualAddress);

    for (; d->Name != 0; d++) {
        const IMAGE_THUNK_DATA *names;
        IMAGE_THUNK_DATA *slots;

        if (_stricmp((const char *)(base + d->Name), dll) != 0)
            continue;
        names = (const IMAGE_THUNK_DATA *)(base + d->OriginalFirstThunk);
        slots = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
        for (; names->u1.AddressOfData != 0; names++, slots++) {
            const IMAGE_IMPORT_BY_NAME *by_name;

            if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal))
                continue;
            by_name = (const IMAGE_IMPORT_BY_NAME *)(base + names->u1.AddressOfData);
            if (strcmp((const char *)by_name->Name, func) == 0)
                return (void **)&slots->u1.Function;
        }
    }
    return NULL;
}

/* Loads rashangup.dll and points its ReportEventW import at the recorder. */
static HMODULE load_hooked(void)
{
    HMODULE m = LoadLibraryW(L"rashangup.dll");
    void **slot;
    DWORD old;

    assert_non_null(m);
    slot = import_slot(m, "ADVAPI32.dll", "ReportEventW");
    assert_non_null(slot);
    assert_true(VirtualProtect(slot, sizeof *slot, PAGE_READWRITE, &old));
    *slot = (void *)(uintptr_t)report_event_hook;
    VirtualProtect(slot, sizeof *slot, old, &old);
    return m;
}

/* Runs `count` connections of `seed` through the DLL (its ReportEventW hooked). */
static void run(unsigned seed, unsigned count)
{
    static struct rh_host_dll dll;
    struct rh_replay_stats stats = {0};
    HMODULE pin = load_hooked();

    wt_load(&dll, RH_HOST_MODEL_AUTO);
    if (count > 0)
        assert_int_equal(rh_host_replay(&dll, 1, seed, count, 2, true, &stats), NO_ERROR);
    rh_host_unload(&dll);
    FreeLibrary(pin);
}

static size_t count_id(DWORD id)
{
    size_t n = 0;

    for (LONG i = 0; i < n_events; i++)
        n += events[i].id == id;
    return n;
}

static const struct event *find_id(DWORD id, const WCHAR *needle)
{
    for (LONG i = 0; i < n_events; i++)
        if (events[i].id == id && events[i].n >= 1 &&
            (needle == NULL || wcsstr(events[i].strings[0], needle) != NULL))
            return &events[i];
    return NULL;
}

static void the_message_table_and_version_are_in_the_dll(void **state)
{
    HMODULE m = LoadLibraryExW(L"rashangup.dll", NULL,
                               LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
    DWORD_PTR args[MAX_STRINGS];
    WCHAR values[MAX_STRINGS][16], text[8192], path[MAX_PATH];
    DWORD n, handle, size;
    void *info;
    WCHAR *version;
    UINT len;

    (void)state;
    assert_non_null(m);
    for (int i = 0; i < MAX_STRINGS; i++) {
        _snwprintf(values[i], 16, L"v%d", i + 1);
        args[i] = (DWORD_PTR)values[i];
    }
    n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, m,
                       RH_MSG_HANGUP, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), text, 8192,
                       (va_list *)(void *)args);
    assert_true(n > 0);
    /* The summary (the 47th string) first, then every field on its own line. */
    assert_int_equal(wcsncmp(text, L"v47\r\n", 5), 0);
    assert_non_null(wcsstr(text, L"user: v8\r\n"));
    assert_non_null(wcsstr(text, L"warnings: v46"));
    args[0] = (DWORD_PTR)L"HKLM\\SOFTWARE\\RasHangup\\Sinks\\x: value Format: bad";
    n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, m,
                       RH_MSG_CONFIG_ERROR, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), text,
                       8192, (va_list *)(void *)args);
    assert_true(n > 0);
    assert_non_null(wcsstr(text, L"Configuration error: HKLM\\SOFTWARE\\RasHangup\\Sinks\\x: value "
                                 L"Format: bad"));
    args[0] = (DWORD_PTR)L"7";
    n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, m,
                       RH_MSG_EVENTS_SUPPRESSED, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), text,
                       8192, (va_list *)(void *)args);
    assert_true(n > 0);
    assert_non_null(wcsstr(text, L"%ProgramData%\\RasHangup\\rashangup.log"));
    FreeLibrary(m);

    /* The version resource carries the project's version. */
    assert_true(GetFullPathNameW(L"rashangup.dll", MAX_PATH, path, NULL) > 0);
    size = GetFileVersionInfoSizeW(path, &handle);
    assert_true(size > 0);
    info = malloc(size);
    assert_true(GetFileVersionInfoW(path, 0, size, info));
    assert_true(VerQueryValueW(info, L"\\StringFileInfo\\040904B0\\ProductVersion",
                               (void **)&version, &len));
    assert_int_equal(wcscmp(version, L"" RH_PROJECT_VERSION), 0);
    assert_true(VerQueryValueW(info, L"\\StringFileInfo\\040904B0\\OriginalFilename",
                               (void **)&version, &len));
    assert_int_equal(wcscmp(version, L"rashangup.dll"), 0);
    free(info);
}

static void every_hangup_is_an_event_with_every_field(void **state)
{
    struct rh_scenario_conn *c = malloc(sizeof *c);
    unsigned char seen[40] = {0};

    (void)state;
    wt_fresh_config();
    wt_set_sink_string(L"events", L"Type", REG_SZ, L"eventlog");
    clear_events();
    run(71, 40);
    assert_int_equal(count_id(RH_MSG_HANGUP), 40);
    for (LONG i = 0; i < n_events; i++) {
        const struct event *e = &events[i];
        unsigned long d1, d2, d3;
        unsigned index;
        char user[256], ip[64];

        if (e->id != RH_MSG_HANGUP)
            continue;
        assert_int_equal(e->type, EVENTLOG_INFORMATION_TYPE);
        assert_int_equal(e->n, MAX_STRINGS);
        assert_int_equal(wcscmp(e->strings[0], L"hangup"), 0);
        assert_int_equal(swscanf(e->strings[6], L"%8lx-%4lx-%4lx-", &d1, &d2, &d3), 3);
        assert_int_equal(d1, 0x5eed0000ul + 71);
        index = (unsigned)((d2 << 16) | d3);
        assert_true(index < 40);
        seen[index]++;
        rh_scenario_make(71, index, c);
        assert_true(
            WideCharToMultiByte(CP_UTF8, 0, e->strings[7], -1, user, sizeof user, NULL, NULL) > 0);
        assert_string_equal(user, c->user);
        /* The summary names the user and reads as a sentence. */
        assert_non_null(wcsstr(e->strings[MAX_STRINGS - 1], e->strings[7]));
        assert_non_null(wcsstr(e->strings[MAX_STRINGS - 1], L" disconnected after "));
        assert_non_null(wcsstr(e->strings[MAX_STRINGS - 1], L" bytes sent to the client, "));
        assert_true(WideCharToMultiByte(CP_UTF8, 0, e->strings[16], -1, ip, sizeof ip, NULL, NULL) >
                    0);
        assert_string_equal(ip, c->client_ipv4);
    }
    for (unsigned i = 0; i < 40; i++)
        assert_int_equal(seen[i], 1);
    /* The service's own start and stop are events too. */
    assert_non_null(find_id(RH_MSG_STARTED, L"started on"));
    assert_non_null(find_id(RH_MSG_STOPPED, NULL));
    free(c);
}

/* A port that takes connections and closes them at once: not a TLS port. */
static DWORD WINAPI close_every_connection(void *arg)
{
    SOCKET l = (SOCKET)(uintptr_t)arg, c;

    while ((c = accept(l, NULL, NULL)) != INVALID_SOCKET)
        closesocket(c);
    return 0;
}

static void configuration_errors_and_failing_sinks_are_events(void **state)
{
    const struct event *e;
    struct sockaddr_in a = {.sin_family = AF_INET};
    int alen = sizeof a;
    WSADATA wsa;
    SOCKET l;
    HANDLE t;
    WCHAR server[64];

    (void)state;
    assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
    l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 16), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    t = CreateThread(NULL, 0, close_every_connection, (void *)(uintptr_t)l, 0, NULL);
    _snwprintf(server, 64, L"127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    wt_fresh_config();
    wt_set_sink_string(L"bad", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"bad", L"Format", REG_SZ, L"xml");
    wt_set_sink_string(L"nobody", L"Type", REG_SZ, L"file");
    wt_set_sink_string(L"nobody", L"Path", REG_SZ, L"\\\\.\\pipe\\rashangup-test-nobody-reads");
    wt_set_sink_string(L"closed", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"closed", L"Server", REG_SZ, L"127.0.0.1:9");
    wt_set_sink_string(L"closed", L"Transport", REG_SZ, L"tcp");
    wt_set_sink_string(L"plain", L"Type", REG_SZ, L"syslog");
    wt_set_sink_string(L"plain", L"Server", REG_SZ, server);
    wt_set_sink_string(L"plain", L"Transport", REG_SZ, L"tls");
    wt_set_sink_string(L"plain", L"ServerName", REG_SZ, L"localhost");
    wt_set_sink_string(L"plain", L"Rotation", REG_SZ, L"daily");
    wt_set_global_dword(L"DrainTimeoutMs", 300);
    clear_events();
    run(72, 3);
    closesocket(l);
    WaitForSingleObject(t, 5000);
    CloseHandle(t);
    WSACleanup();
    /* A handshake that fails is TLS refused, whatever code it ends with. */
    e = find_id(RH_MSG_TLS_REFUSED, L"sink plain: cannot connect to 127.0.0.1 port");
    if (e == NULL)
        fail_msg("no event %lu for a port that is not TLS", (unsigned long)RH_MSG_TLS_REFUSED);
    assert_null(find_id(RH_MSG_CONNECT_FAILED, L"sink plain:"));
    /* A value ignored is a configuration warning, not an error. */
    e = find_id(RH_MSG_CONFIG_WARNING, L"Sinks\\plain: value Rotation is not one");
    assert_non_null(e);
    assert_int_equal(e->type, EVENTLOG_WARNING_TYPE);
    assert_null(find_id(RH_MSG_CONFIG_ERROR, L"value Rotation"));
    /* A collector that cannot be reached has its own id, to alert on. */
    e = find_id(RH_MSG_CONNECT_FAILED, L"sink closed: cannot connect to 127.0.0.1 port 9");
    assert_non_null(e);
    assert_int_equal(e->type, EVENTLOG_ERROR_TYPE);
    e = find_id(RH_MSG_CONFIG_ERROR, L"Sinks\\bad: value Format");
    assert_non_null(e);
    assert_int_equal(e->type, EVENTLOG_ERROR_TYPE);
    e = find_id(RH_MSG_SINK_DOWN, L"sink nobody: delivery failed");
    assert_non_null(e);
    assert_int_equal(e->type, EVENTLOG_WARNING_TYPE);
}

static void a_flood_of_errors_is_rate_limited(void **state)
{
    WCHAR name[32];

    (void)state;
    wt_fresh_config();
    for (int i = 0; i < 40; i++) {
        _snwprintf(name, 32, L"bad%02d", i);
        wt_set_sink_string(name, L"Type", REG_SZ, L"nonesuch");
    }
    clear_events();
    run(73, 0); /* a fresh load of the DLL: a full bucket */
    print_message("40 configuration errors: %lu Event Log event(s)\n",
                  (unsigned long)count_id(RH_MSG_CONFIG_ERROR));
    assert_true(count_id(RH_MSG_CONFIG_ERROR) >= 10);
    assert_true(count_id(RH_MSG_CONFIG_ERROR) <= 20);
}

static int teardown(void **state)
{
    (void)state;
    wt_reset_config();
    clear_events();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_message_table_and_version_are_in_the_dll),
        cmocka_unit_test_teardown(every_hangup_is_an_event_with_every_field, teardown),
        cmocka_unit_test_teardown(configuration_errors_and_failing_sinks_are_events, teardown),
        cmocka_unit_test_teardown(a_flood_of_errors_is_rate_limited, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
