/* SPDX-License-Identifier: MIT */
/*
 * rrashost: plays the RemoteAccess service for RAS administration DLLs.
 *
 * It finds DLLs the way RRAS does (HKLM\SOFTWARE\Microsoft\RAS\AdminDll, value
 * DLLPath), loads each with LOAD_LIBRARY_SEARCH_DEFAULT_DIRS, binds it through
 * MprAdminInitializeDllEx or the legacy exports with RRAS's validation rules,
 * and calls it as RRAS would: accept, link accept, link hangup, hangup.
 */
#ifndef RH_HOST_H
#define RH_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

#include "rashangup/admin_dll.h"
#include "scenario.h"

#define RH_HOST_MAX_DLLS 16
#define RH_HOST_PATH_MAX 1024

typedef BOOL(APIENTRY RH_ACCEPT_NEW_CONNECTION_FN)(struct rh_ras_connection_0 *,
                                                   struct rh_ras_connection_1 *);
typedef BOOL(APIENTRY RH_ACCEPT_NEW_CONNECTION2_FN)(struct rh_ras_connection_0 *,
                                                    struct rh_ras_connection_1 *,
                                                    struct rh_ras_connection_2 *);
typedef VOID(APIENTRY RH_CONNECTION_HANGUP_NOTIFICATION_FN)(struct rh_ras_connection_0 *,
                                                            struct rh_ras_connection_1 *);
typedef VOID(APIENTRY RH_CONNECTION_HANGUP_NOTIFICATION2_FN)(struct rh_ras_connection_0 *,
                                                             struct rh_ras_connection_1 *,
                                                             struct rh_ras_connection_2 *);

/* A loaded and bound admin DLL. */
struct rh_host_dll {
    WCHAR path[RH_HOST_PATH_MAX];
    HMODULE module;
    bool ex_model;                           /* bound through MprAdminInitializeDllEx */
    struct rh_admin_dll_callbacks callbacks; /* as the DLL filled them (Ex model) */
    /* Legacy model: resolved by name. Unused ones are NULL. */
    RH_TERMINATE_DLL_FN *terminate;
    RH_ACCEPT_NEW_CONNECTION_FN *accept1;
    RH_ACCEPT_NEW_CONNECTION2_FN *accept2;
    RH_ACCEPT_NEW_CONNECTION3_FN *accept3;
    RH_CONNECTION_HANGUP_NOTIFICATION_FN *hangup1;
    RH_CONNECTION_HANGUP_NOTIFICATION2_FN *hangup2;
    RH_CONNECTION_HANGUP_NOTIFICATION3_FN *hangup3;
    RH_ACCEPT_NEW_LINK_FN *accept_link;
    RH_LINK_HANGUP_NOTIFICATION_FN *link_hangup;
};

enum rh_host_model {
    RH_HOST_MODEL_AUTO,   /* as RRAS: Ex if exported, else legacy */
    RH_HOST_MODEL_LEGACY, /* legacy exports even if Ex exists (older Windows) */
};

#define RH_HOST_RRAS_SERVICE L"RemoteAccess"

/* A service as the service manager says it is. */
struct rh_host_service {
    bool known; /* the service manager answered; false: nothing below is known */
    bool installed;
    bool running;      /* running, or on its way to or from running */
    bool disabled;     /* its start type is Disabled */
    bool local_system; /* it runs as LocalSystem */
};
void rh_host_query_service(const WCHAR *name, struct rh_host_service *out);

/*
 * Whether the service `name` (RRAS's: RH_HOST_RRAS_SERVICE) is running or on
 * its way to or from running: 1; 0 if it is stopped or not installed; -1 if
 * the service manager cannot tell.
 */
int rh_host_service_running(const WCHAR *name);

/*
 * Reads DLLPath (REG_SZ or REG_EXPAND_SZ, always expanded) into out. Returns a
 * Win32 error code; ERROR_FILE_NOT_FOUND when no DLL is registered.
 */
DWORD rh_host_read_dllpath(WCHAR *out, size_t out_count);

/*
 * Splits a DLLPath list as RRAS does: entries separated by ';', empty entries
 * skipped, and an entry that starts with a space ends the list there (RRAS stops
 * loading at it). Returns the number of entries written; *stopped_at is the
 * index of the entry RRAS would stop at, or -1.
 */
size_t rh_host_split_dllpath(const WCHAR *list, WCHAR entries[][RH_HOST_PATH_MAX],
                             size_t max_entries, int *stopped_at);

/*
 * Loads, binds and validates one DLL. On failure returns the Win32 error RRAS
 * would log (87 for a failed validation) with a reason in err, and leaves
 * nothing loaded.
 */
DWORD rh_host_load(struct rh_host_dll *dll, const WCHAR *path, enum rh_host_model model, char *err,
                   size_t err_size);

/* Terminates and unloads; accepts a DLL that failed to load. */
void rh_host_unload(struct rh_host_dll *dll);

/* RRAS's calls for one connection; each returns false if the DLL refused. */
bool rh_host_accept_connection(const struct rh_host_dll *dll, struct rh_scenario_conn *c);
bool rh_host_accept_link(const struct rh_host_dll *dll, struct rh_scenario_conn *c);
void rh_host_link_hangup(const struct rh_host_dll *dll, struct rh_scenario_conn *c);
void rh_host_hangup(const struct rh_host_dll *dll, struct rh_scenario_conn *c);

struct rh_replay_stats {
    volatile LONG connections; /* fully replayed */
    volatile LONG refused;     /* refused by some DLL's accept */
    /*
     * If set: each connection's index and whether it was accepted ("17 a" or
     * "17 r"), written once its hangup callback has returned. A test that kills
     * the host knows from it which records must survive.
     */
    HANDLE ack;
};

/*
 * Replays connections [0, count) of scenario `seed` through every DLL, on
 * `threads` threads. With `serialized`, accept and hangup calls run one at a
 * time as RRAS runs them; without, they race (a stress test of the DLL).
 */
DWORD rh_host_replay(struct rh_host_dll *dlls, size_t n_dlls, unsigned seed, unsigned count,
                     unsigned threads, bool serialized, struct rh_replay_stats *stats);

#endif /* RH_HOST_H */
