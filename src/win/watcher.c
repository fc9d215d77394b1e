/* SPDX-License-Identifier: MIT */
/*
 * The configuration watcher: one thread that applies changes to
 * HKLM\SOFTWARE\RasHangup while RRAS runs (rh_service_reload), never on
 * RRAS's thread.
 */
#include "watcher.h"

#include <windows.h>

#include "config.h"
#include "diag.h"
#include "service.h"

/* How long the configuration must be quiet before a change is applied. */
#define SETTLE_MS 300
/* The most a stream of changes delays a reload (a writer that never pauses, or a
 * notification that keeps firing): the reload happens anyway, and again after. */
#define SETTLE_MAX_MS 3000
/* How often the watcher looks at the key itself, should a notification not come. */
#define WATCH_POLL_MS 2000
/* How often sinks that could not start for a reason outside the registry are tried again. */
#define RETRY_HELD_MS 30000
/*
 * How long stop waits for the watcher before leaving it (and pinning the DLL).
 * Terminate's budget is DrainTimeoutMs + 1 s: this, the workers' two graces
 * (runtime.c) and at least 250 ms for the flusher's last round fit in the 1 s.
 */
#define WATCHER_GRACE_MS 250

/* Start and stop only, under the service's lifecycle lock. */
static HANDLE g_watcher, g_watch_stop;
/* The key's stamp when start read the configuration. */
static ULONGLONG g_baseline;

static bool config_stamp(HKEY key, ULONGLONG *stamp, unsigned depth);

/* config_stamp of the configuration key; 0 if it cannot be read. */
ULONGLONG rh_watcher_stamp(void)
{
    ULONGLONG stamp = 0;
    HKEY key;

    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS)
        return 0;
    if (!config_stamp(key, &stamp, 0))
        stamp = 0;
    RegCloseKey(key);
    return stamp;
}

/*
 * The watcher: waits for a change anywhere under the configuration key (or, while
 * that key does not exist, for keys to appear under HKLM\SOFTWARE), lets the
 * changes settle for SETTLE_MS (a .reg import is many writes; SETTLE_MAX_MS at
 * most), then reloads. The next notification is asked for before the reload,
 * so that a change made while it runs is not missed; and the key is looked at
 * every WATCH_POLL_MS too (its last write time and that of every key under
 * it), so that a notification that never comes delays a change, never loses it.
 */
static bool config_stamp(HKEY key, ULONGLONG *stamp, unsigned depth)
{
    FILETIME written;
    DWORD subkeys = 0;

    if (RegQueryInfoKeyW(key, NULL, NULL, NULL, &subkeys, NULL, NULL, NULL, NULL, NULL, NULL,
                         &written) != ERROR_SUCCESS)
        return false;
    *stamp =
        *stamp * 31 + (((ULONGLONG)written.dwHighDateTime << 32) | written.dwLowDateTime) + subkeys;
    for (DWORD i = 0; i < subkeys && i < 64 && depth < 2; i++) {
        WCHAR name[256];
        DWORD len = 256;
        HKEY sub;

        if (RegEnumKeyExW(key, i, name, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
            continue;
        if (RegOpenKeyExW(key, name, 0, KEY_READ | KEY_WOW64_64KEY, &sub) == ERROR_SUCCESS) {
            config_stamp(sub, stamp, depth + 1);
            RegCloseKey(sub);
        }
    }
    return true;
}

static DWORD WINAPI watch_main(void *arg)
{
    HANDLE stop = arg; /* its own: a watcher left behind at stop never sees a later one's */
    HANDLE changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE waits[2] = {stop, changed};
    bool first = true;

    while (changed != NULL && WaitForSingleObject(stop, 0) == WAIT_TIMEOUT) {
        HKEY key = NULL;
        bool parent = false;
        DWORD filter = REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET;
        ULONGLONG stamp = 0, now_stamp, last_held = GetTickCount64();
        DWORD w = WAIT_TIMEOUT;

        if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0,
                          KEY_NOTIFY | KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
            parent = true;
            if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, KEY_NOTIFY | KEY_WOW64_64KEY,
                              &key) != ERROR_SUCCESS) {
                if (WaitForSingleObject(stop, 5000) != WAIT_TIMEOUT)
                    break;
                continue;
            }
        }
        /*
         * The baseline is what start read (first time round), so that a change
         * made before this listens is found by the first look below.
         */
        if (first)
            stamp = g_baseline; /* 0: no key then, so a key now is a change */
        else if (!parent)
            config_stamp(key, &stamp, 0);
        first = false;
        for (bool armed = false, looked = false;;) {
            ULONGLONG settle_until;

            if (!armed &&
                RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) != ERROR_SUCCESS) {
                w = WaitForSingleObject(stop, 1000) == WAIT_TIMEOUT ? WAIT_TIMEOUT : WAIT_OBJECT_0;
                break;
            }
            armed = true;
            /* Listening now: first, whether anything changed before it did. */
            w = !looked && !parent
                    ? WAIT_TIMEOUT
                    : WaitForMultipleObjects(2, waits, FALSE, parent ? 5000 : WATCH_POLL_MS);
            looked = true;
            if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
                break;
            if (w == WAIT_TIMEOUT) {
                HKEY probe;

                if (parent) {
                    /* The configuration key may have appeared without a word: apply, watch it. */
                    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0,
                                      KEY_READ | KEY_WOW64_64KEY, &probe) != ERROR_SUCCESS)
                        continue;
                    RegCloseKey(probe);
                    rh_service_reload(false);
                    break;
                }
                /* No notification: the key itself says whether it changed. */
                now_stamp = 0;
                if (config_stamp(key, &now_stamp, 0) && now_stamp != stamp) {
                    stamp = now_stamp;
                    rh_service_reload(false);
                } else if (rh_service_held_to_retry() &&
                           GetTickCount64() - last_held >= RETRY_HELD_MS) {
                    /* A sink that could not start (a file it needs, say) may start now. */
                    last_held = GetTickCount64();
                    rh_service_reload(true);
                }
                continue;
            }
            /* Settle: a change restarts the wait, until SETTLE_MS pass without one. */
            armed = false;
            settle_until = GetTickCount64() + SETTLE_MAX_MS;
            while (w == WAIT_OBJECT_0 + 1 && GetTickCount64() < settle_until &&
                   RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) == ERROR_SUCCESS) {
                armed = true;
                w = WaitForMultipleObjects(2, waits, FALSE, SETTLE_MS);
                armed = w == WAIT_TIMEOUT;
            }
            if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
                break;
            if (parent) {
                HKEY probe;

                if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY,
                                  &probe) != ERROR_SUCCESS)
                    continue; /* something else changed under SOFTWARE */
                RegCloseKey(probe);
                rh_service_reload(false);
                break; /* the key exists now: watch it */
            }
            /*
             * The next notification is asked for before the reload, so that a
             * change made while it runs wakes the next wait.
             */
            if (!armed)
                armed =
                    RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) == ERROR_SUCCESS;
            stamp = 0;
            config_stamp(key, &stamp, 0);
            rh_service_reload(false);
        }
        RegCloseKey(key);
        ResetEvent(changed); /* closing a key signals its pending notification: not a change */
        if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
            break;
    }
    if (changed != NULL)
        CloseHandle(changed);
    return 0;
}

bool rh_watcher_start(ULONGLONG baseline)
{
    g_baseline = baseline;
    g_watch_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    g_watcher =
        g_watch_stop != NULL ? CreateThread(NULL, 0, watch_main, g_watch_stop, 0, NULL) : NULL;
    return g_watcher != NULL;
}

/* The DLL stays mapped for a thread left running in it. */
static void pin_self(void)
{
    HMODULE self;

    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                       (LPCWSTR)(const void *)&g_watcher, &self);
}

/*
 * Stops the watcher. A reload still reading the registry or creating sinks
 * gives up (rh_service_reload sees the stop) when it can; if it cannot within
 * WATCHER_GRACE_MS it
 * is left to finish on its own, the DLL pinned, and changes nothing.
 */
void rh_watcher_stop(void)
{
    if (g_watcher != NULL) {
        SetEvent(g_watch_stop);
        if (WaitForSingleObject(g_watcher, WATCHER_GRACE_MS) != WAIT_OBJECT_0) {
            rh_log(RH_LOG_ERROR, "the configuration watcher is busy reloading and did not stop "
                                 "in time; it is left to finish and changes nothing");
            pin_self();
            g_watch_stop = NULL; /* it still waits on it: never closed */
        }
        CloseHandle(g_watcher);
        g_watcher = NULL;
    }
    if (g_watch_stop != NULL) {
        CloseHandle(g_watch_stop);
        g_watch_stop = NULL;
    }
}
