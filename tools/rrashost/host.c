/* SPDX-License-Identifier: MIT */
#include "host.h"

#include "text.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_DLL_KEY L"SOFTWARE\\Microsoft\\RAS\\AdminDll"

/* Bytes after the callbacks structure that a DLL must not touch. */
#define GUARD_BYTES 64
#define GUARD_FILL  0xA5

void rh_host_query_service(const WCHAR *name, struct rh_host_service *out)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc =
        scm != NULL ? OpenServiceW(scm, name, SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS) : NULL;
    SERVICE_STATUS st;
    union {
        QUERY_SERVICE_CONFIGW c;
        BYTE room[8192]; /* QueryServiceConfigW's largest */
    } u;
    DWORD n = 0;

    memset(out, 0, sizeof *out);
    if (svc == NULL) {
        out->known = scm != NULL && GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST;
    } else if (QueryServiceStatus(svc, &st) && QueryServiceConfigW(svc, &u.c, sizeof u, &n)) {
        const WCHAR *account = u.c.lpServiceStartName;

        out->known = out->installed = true;
        out->running = st.dwCurrentState != SERVICE_STOPPED;
        out->disabled = u.c.dwStartType == SERVICE_DISABLED;
        out->local_system = account == NULL || account[0] == L'\0' ||
                            _wcsicmp(account, L"LocalSystem") == 0 ||
                            _wcsicmp(account, L".\\LocalSystem") == 0 ||
                            _wcsicmp(account, L"NT AUTHORITY\\SYSTEM") == 0;
    }
    if (svc != NULL)
        CloseServiceHandle(svc);
    if (scm != NULL)
        CloseServiceHandle(scm);
}

int rh_host_service_running(const WCHAR *name)
{
    struct rh_host_service s;

    rh_host_query_service(name, &s);
    return !s.known ? -1 : s.running ? 1 : 0;
}

DWORD rh_host_read_dllpath(WCHAR *out, size_t out_count)
{
    WCHAR raw[4096];
    DWORD bytes = sizeof raw - sizeof(WCHAR);
    DWORD type = REG_NONE;
    HKEY key;
    LSTATUS rc;
    DWORD n;

    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &key);
    if (rc != ERROR_SUCCESS)
        return (DWORD)rc;
    rc = RegQueryValueExW(key, L"DLLPath", NULL, &type, (BYTE *)raw, &bytes);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS)
        return (DWORD)rc;
    if (type != REG_SZ && type != REG_EXPAND_SZ)
        return ERROR_INVALID_DATATYPE;
    raw[bytes / sizeof(WCHAR)] = L'\0';
    n = ExpandEnvironmentStringsW(raw, out, (DWORD)out_count);
    if (n == 0 || n > out_count)
        return ERROR_INSUFFICIENT_BUFFER;
    return ERROR_SUCCESS;
}

size_t rh_host_split_dllpath(const WCHAR *list, WCHAR entries[][RH_HOST_PATH_MAX],
                             size_t max_entries, int *stopped_at)
{
    size_t n = 0;
    int index = 0;
    const WCHAR *p = list;

    *stopped_at = -1;
    while (*p != L'\0' && n < max_entries) {
        const WCHAR *end = wcschr(p, L';');
        size_t len = end != NULL ? (size_t)(end - p) : wcslen(p);

        if (len > 0) {
            if (p[0] == L' ') {
                *stopped_at = index;
                break;
            }
            if (len < RH_HOST_PATH_MAX) {
                memcpy(entries[n], p, len * sizeof(WCHAR));
                entries[n][len] = L'\0';
                n++;
            }
            index++;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return n;
}

static DWORD bind_ex(struct rh_host_dll *dll, RH_INITIALIZE_DLL_EX_FN *init, char *err,
                     size_t err_size)
{
    /* RRAS passes a zeroed 104-byte structure; the guard catches a DLL built
     * with a larger, wrong layout writing past it. */
    unsigned char buf[sizeof(struct rh_admin_dll_callbacks) + GUARD_BYTES];
    struct rh_admin_dll_callbacks *cb = (struct rh_admin_dll_callbacks *)(void *)buf;
    DWORD rc;

    memset(buf, 0, sizeof(struct rh_admin_dll_callbacks));
    memset(buf + sizeof(struct rh_admin_dll_callbacks), GUARD_FILL, GUARD_BYTES);
    rc = init(cb);
    if (rc != NO_ERROR) {
        rh_set_err(err, err_size, "MprAdminInitializeDllEx returned %lu (RRAS does not start)",
                   (unsigned long)rc);
        return rc;
    }
    for (size_t i = sizeof(struct rh_admin_dll_callbacks); i < sizeof buf; i++) {
        if (buf[i] != GUARD_FILL) {
            rh_set_err(err, err_size,
                       "MprAdminInitializeDllEx wrote past the %u-byte callbacks structure "
                       "(byte %u): it was built with a wrong layout",
                       (unsigned)sizeof(struct rh_admin_dll_callbacks), (unsigned)i);
            return ERROR_INVALID_PARAMETER;
        }
    }
    memcpy(&dll->callbacks, cb, sizeof dll->callbacks);
    if (cb->revision != RH_MPRAPI_ADMIN_DLL_VERSION_2) {
        rh_set_err(err, err_size, "callbacks revision is %u, RRAS requires %u", cb->revision,
                   RH_MPRAPI_ADMIN_DLL_VERSION_2);
        return ERROR_INVALID_PARAMETER;
    }
    if (cb->lpfnRasAdminAcceptNewConnectionEx == NULL ||
        cb->lpfnRasAdminConnectionHangupNotificationEx == NULL ||
        cb->lpfnRasAdminAcceptNewLink == NULL || cb->lpfnRasAdminLinkHangupNotification == NULL) {
        rh_set_err(
            err, err_size,
            "a required callback is empty (AcceptNewConnectionEx %s, "
            "ConnectionHangupNotificationEx %s, AcceptNewLink %s, LinkHangupNotification %s)",
            cb->lpfnRasAdminAcceptNewConnectionEx ? "set" : "EMPTY",
            cb->lpfnRasAdminConnectionHangupNotificationEx ? "set" : "EMPTY",
            cb->lpfnRasAdminAcceptNewLink ? "set" : "EMPTY",
            cb->lpfnRasAdminLinkHangupNotification ? "set" : "EMPTY");
        return ERROR_INVALID_PARAMETER;
    }
    if ((cb->lpfnMprAdminGetIpAddressForUser == NULL) !=
            (cb->lpfnMprAdminReleaseIpAddress == NULL) ||
        (cb->lpfnMprAdminGetIpv6AddressForUser == NULL) !=
            (cb->lpfnMprAdminReleaseIpV6AddressForUser == NULL)) {
        rh_set_err(err, err_size, "an IP address callback is set without its release pair");
        return ERROR_INVALID_PARAMETER;
    }
    dll->terminate = cb->lpfnRasAdminTerminateDll;
    dll->accept_link = cb->lpfnRasAdminAcceptNewLink;
    dll->link_hangup = cb->lpfnRasAdminLinkHangupNotification;
    dll->ex_model = true;
    return NO_ERROR;
}

/* GetProcAddress through the one function type every function pointer converts to. */
typedef void (*generic_fn)(void);

static generic_fn proc(HMODULE module, const char *name)
{
    return (generic_fn)GetProcAddress(module, name);
}

static DWORD bind_legacy(struct rh_host_dll *dll, char *err, size_t err_size)
{
    HMODULE m = dll->module;
    RH_INITIALIZE_DLL_FN *init = (RH_INITIALIZE_DLL_FN *)proc(m, "MprAdminInitializeDll");

    dll->terminate = (RH_TERMINATE_DLL_FN *)proc(m, "MprAdminTerminateDll");
    dll->accept1 = (RH_ACCEPT_NEW_CONNECTION_FN *)proc(m, "MprAdminAcceptNewConnection");
    dll->accept2 = (RH_ACCEPT_NEW_CONNECTION2_FN *)proc(m, "MprAdminAcceptNewConnection2");
    dll->accept3 = (RH_ACCEPT_NEW_CONNECTION3_FN *)proc(m, "MprAdminAcceptNewConnection3");
    dll->hangup1 =
        (RH_CONNECTION_HANGUP_NOTIFICATION_FN *)proc(m, "MprAdminConnectionHangupNotification");
    dll->hangup2 =
        (RH_CONNECTION_HANGUP_NOTIFICATION2_FN *)proc(m, "MprAdminConnectionHangupNotification2");
    dll->hangup3 =
        (RH_CONNECTION_HANGUP_NOTIFICATION3_FN *)proc(m, "MprAdminConnectionHangupNotification3");
    dll->accept_link = (RH_ACCEPT_NEW_LINK_FN *)proc(m, "MprAdminAcceptNewLink");
    dll->link_hangup = (RH_LINK_HANGUP_NOTIFICATION_FN *)proc(m, "MprAdminLinkHangupNotification");
    if ((dll->accept1 == NULL && dll->accept2 == NULL && dll->accept3 == NULL) ||
        (dll->hangup1 == NULL && dll->hangup2 == NULL && dll->hangup3 == NULL) ||
        dll->accept_link == NULL || dll->link_hangup == NULL) {
        rh_set_err(err, err_size,
                   "legacy binding needs an MprAdminAcceptNewConnection{,2,3}, an "
                   "MprAdminConnectionHangupNotification{,2,3}, MprAdminAcceptNewLink and "
                   "MprAdminLinkHangupNotification");
        return ERROR_INVALID_PARAMETER;
    }
    if (init != NULL) {
        DWORD rc = init();

        if (rc != NO_ERROR) {
            rh_set_err(err, err_size, "MprAdminInitializeDll returned %lu (RRAS does not start)",
                       (unsigned long)rc);
            return rc;
        }
    }
    dll->ex_model = false;
    return NO_ERROR;
}

DWORD rh_host_load(struct rh_host_dll *dll, const WCHAR *path, enum rh_host_model model, char *err,
                   size_t err_size)
{
    RH_INITIALIZE_DLL_EX_FN *init_ex;
    DWORD rc;

    memset(dll, 0, sizeof *dll);
    /* DLLPath entries are absolute; a relative --dll is taken from the current directory. */
    rc = GetFullPathNameW(path, RH_HOST_PATH_MAX, dll->path, NULL);
    if (rc == 0 || rc >= RH_HOST_PATH_MAX) {
        rh_set_err(err, err_size, "path too long or invalid");
        return ERROR_FILENAME_EXCED_RANGE;
    }
    dll->module = LoadLibraryExW(dll->path, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    if (dll->module == NULL) {
        rc = GetLastError();
        rh_set_err(err, err_size, "LoadLibraryExW failed with error %lu", (unsigned long)rc);
        return rc;
    }
    init_ex = (RH_INITIALIZE_DLL_EX_FN *)proc(dll->module, "MprAdminInitializeDllEx");
    rc = init_ex != NULL && model == RH_HOST_MODEL_AUTO ? bind_ex(dll, init_ex, err, err_size)
                                                        : bind_legacy(dll, err, err_size);
    if (rc != NO_ERROR) {
        FreeLibrary(dll->module);
        dll->module = NULL;
    }
    return rc;
}

void rh_host_unload(struct rh_host_dll *dll)
{
    if (dll->module == NULL)
        return;
    if (dll->terminate != NULL)
        dll->terminate();
    FreeLibrary(dll->module);
    dll->module = NULL;
}

bool rh_host_accept_connection(const struct rh_host_dll *dll, struct rh_scenario_conn *c)
{
    if (dll->ex_model)
        return dll->callbacks.lpfnRasAdminAcceptNewConnectionEx(&c->ex) != FALSE;
    if (dll->accept3 != NULL)
        return dll->accept3(&c->c0, &c->c1, &c->c2, &c->c3) != FALSE;
    if (dll->accept2 != NULL)
        return dll->accept2(&c->c0, &c->c1, &c->c2) != FALSE;
    return dll->accept1(&c->c0, &c->c1) != FALSE;
}

bool rh_host_accept_link(const struct rh_host_dll *dll, struct rh_scenario_conn *c)
{
    return dll->accept_link(&c->port0, &c->port1) != FALSE;
}

void rh_host_link_hangup(const struct rh_host_dll *dll, struct rh_scenario_conn *c)
{
    dll->link_hangup(&c->port0, &c->port1);
}

void rh_host_hangup(const struct rh_host_dll *dll, struct rh_scenario_conn *c)
{
    if (dll->ex_model)
        dll->callbacks.lpfnRasAdminConnectionHangupNotificationEx(&c->ex);
    else if (dll->hangup3 != NULL)
        dll->hangup3(&c->c0, &c->c1, &c->c2, &c->c3);
    else if (dll->hangup2 != NULL)
        dll->hangup2(&c->c0, &c->c1, &c->c2);
    else
        dll->hangup1(&c->c0, &c->c1);
}

struct replay {
    struct rh_host_dll *dlls;
    size_t n_dlls;
    unsigned seed;
    LONG count;
    volatile LONG next;
    bool serialized;
    SRWLOCK group; /* RRAS's accept/hangup serialization */
    SRWLOCK ack_lock;
    struct rh_replay_stats *stats;
};

static void ack(struct replay *r, LONG index, bool accepted)
{
    char line[32];
    int n;
    DWORD written;

    if (r->stats->ack == NULL)
        return;
    n = snprintf(line, sizeof line, "%ld %c\n", (long)index, accepted ? 'a' : 'r');
    AcquireSRWLockExclusive(&r->ack_lock);
    WriteFile(r->stats->ack, line, (DWORD)n, &written, NULL);
    ReleaseSRWLockExclusive(&r->ack_lock);
}

static void group_enter(struct replay *r)
{
    if (r->serialized)
        AcquireSRWLockExclusive(&r->group);
}

static void group_leave(struct replay *r)
{
    if (r->serialized)
        ReleaseSRWLockExclusive(&r->group);
}

static DWORD WINAPI replay_thread(void *arg)
{
    struct replay *r = arg;
    struct rh_scenario_conn *c = malloc(sizeof *c);

    if (c == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (;;) {
        LONG index = InterlockedIncrement(&r->next) - 1;
        bool accepted = true;

        if (index >= r->count)
            break;
        rh_scenario_make(r->seed, (unsigned)index, c);

        /* Every DLL must accept; a hangup still reaches all of them. */
        group_enter(r);
        for (size_t i = 0; i < r->n_dlls; i++)
            accepted = rh_host_accept_connection(&r->dlls[i], c) && accepted;
        for (size_t i = 0; i < r->n_dlls; i++)
            accepted = rh_host_accept_link(&r->dlls[i], c) && accepted;
        group_leave(r);
        if (!accepted)
            InterlockedIncrement(&r->stats->refused);

        group_enter(r);
        for (size_t i = 0; i < r->n_dlls; i++)
            rh_host_link_hangup(&r->dlls[i], c);
        for (size_t i = 0; i < r->n_dlls; i++)
            rh_host_hangup(&r->dlls[i], c);
        group_leave(r);
        ack(r, index, accepted);
        InterlockedIncrement(&r->stats->connections);
    }
    free(c);
    return 0;
}

DWORD rh_host_replay(struct rh_host_dll *dlls, size_t n_dlls, unsigned seed, unsigned count,
                     unsigned threads, bool serialized, struct rh_replay_stats *stats)
{
    struct replay r = {
        .dlls = dlls,
        .n_dlls = n_dlls,
        .seed = seed,
        .count = (LONG)count,
        .next = 0,
        .serialized = serialized,
        .group = SRWLOCK_INIT,
        .ack_lock = SRWLOCK_INIT,
        .stats = stats,
    };
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    DWORD started = 0;
    DWORD rc = NO_ERROR;

    if (threads == 0 || threads > MAXIMUM_WAIT_OBJECTS || count > (unsigned)LONG_MAX)
        return ERROR_INVALID_PARAMETER;
    for (; started < threads; started++) {
        handles[started] = CreateThread(NULL, 0, replay_thread, &r, 0, NULL);
        if (handles[started] == NULL) {
            rc = GetLastError();
            break;
        }
    }
    if (started > 0)
        WaitForMultipleObjects(started, handles, TRUE, INFINITE);
    for (DWORD i = 0; i < started; i++) {
        DWORD code = 0;

        if (GetExitCodeThread(handles[i], &code) && code != 0 && rc == NO_ERROR)
            rc = code;
        CloseHandle(handles[i]);
    }
    return rc;
}
