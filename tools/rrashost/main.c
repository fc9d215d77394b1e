/* SPDX-License-Identifier: MIT */
/*
 * rrashost.exe: plays the RemoteAccess service for RAS administration DLLs.
 *
 *   rrashost --check-config
 *   rrashost --list
 *   rrashost --replay [--dll PATH]... [--connections N] [--threads N] [--seed N]
 *            [--legacy] [--unserialized] [--ack-file PATH]
 *
 * --replay loads the DLLs registered in HKLM\SOFTWARE\Microsoft\RAS\AdminDll\
 * DLLPath (or those given with --dll) as RRAS does at service start and replays
 * simulated connections; rashangup marks every record of it simulated. It is
 * refused while RemoteAccess runs. Exit status: 0 when every DLL bound and the
 * replay ran; 1 for a wrong argument; 2 when a DLL could not be loaded or bound,
 * which RRAS would not start with; 3 when no DLL is registered (RRAS starts
 * without one: there is nothing to replay); 6 when RemoteAccess is running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <windows.h>

#include "check.h"
#include "diag.h"
#include "host.h"
#include "service.h"

int wmain(int argc, wchar_t **argv);

static void usage(FILE *to)
{
    fputs("usage: rrashost --check-config\n"
          "       rrashost --list\n"
          "       rrashost --replay [--dll PATH]... [--connections N] [--threads N] [--seed N]\n"
          "                         [--legacy] [--unserialized] [--ack-file PATH]\n"
          "       rrashost --help\n"
          "\n"
          "Plays the RemoteAccess service for the RAS administration DLLs registered in\n"
          "HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll (value DLLPath).\n"
          "\n"
          "  --check-config     print rashangup's configuration as its DLL reads it, try each\n"
          "                     destination without sending a record, and exit; safe on a\n"
          "                     production server (writes nothing)\n"
          "  --list             print the DLLs RRAS would load, and exit (loads nothing)\n"
          "  --replay           LAB OR STAGING ONLY: bind the DLLs as RRAS does, replay N\n"
          "                     simulated connections (accept, link accept, link hangup,\n"
          "                     hangup) on several threads, and terminate them. The DLLs\n"
          "                     write to the outputs they are configured with; rashangup\n"
          "                     marks every record simulated (warning \"simulated\"), sends\n"
          "                     no RADIUS Accounting-On or -Off, and prints its messages\n"
          "                     here too. Refused while the RemoteAccess service runs.\n"
          "  --dll PATH         bind PATH instead of the registered DLLs (repeatable)\n"
          "  --connections N    connections to replay (default 10)\n"
          "  --threads N        replay threads, 1 to 64 (default 4)\n"
          "  --seed N           scenario seed (default 1)\n"
          "  --legacy           bind through the legacy exports, as before Windows 7\n"
          "  --unserialized     do not serialize accept and hangup calls as RRAS does\n"
          "  --ack-file PATH    append \"INDEX a|r\" for each connection whose hangup returned\n"
          "  --help             this text\n"
          "\n"
          "Exit status: 1 a wrong argument, or none of --check-config, --list, --replay.\n"
          "--replay: 0 every DLL bound and the replay ran; 2 a DLL could not be loaded or\n"
          "bound (RRAS would not start with it); 3 no DLL is registered (RRAS starts without\n"
          "one; nothing to replay); 6 the RemoteAccess service is running on this computer.\n"
          "--check-config: 0 every sink would run and no check of a destination failed, 4 a\n"
          "sink would not run, 5 a destination failed its check.\n",
          to);
}

/* A wrong argument: said by name, with the usage; exit status 1. */
static int wrong(const wchar_t *arg, const char *why)
{
    fprintf(stderr, "rrashost: %ls: %s\n\n", arg, why);
    usage(stderr);
    return 1;
}

static bool parse_uint(const wchar_t *s, unsigned *out)
{
    wchar_t *end = NULL;
    unsigned long v;

    if (s == NULL || *s == L'\0')
        return false;
    v = wcstoul(s, &end, 10);
    if (*end != L'\0' || v > 100000000ul)
        return false;
    *out = (unsigned)v;
    return true;
}

int wmain(int argc, wchar_t **argv)
{
    static WCHAR paths[RH_HOST_MAX_DLLS][RH_HOST_PATH_MAX];
    static struct rh_host_dll dlls[RH_HOST_MAX_DLLS];
    static WCHAR list[8192];
    size_t n_paths = 0;
    size_t n_dlls = 0;
    unsigned connections = 10, threads = 4, seed = 1;
    enum rh_host_model model = RH_HOST_MODEL_AUTO;
    bool serialized = true, list_only = false, replay = false;
    const wchar_t *replay_only = NULL, *ack_path = NULL;
    struct rh_replay_stats stats = {0};
    ULONGLONG t0, t1;
    DWORD rc;
    int status = 0;

    /* Alone, and before anything else is done (an --ack-file opened, say). */
    for (int i = 1; i < argc; i++)
        if (wcscmp(argv[i], L"--check-config") == 0)
            return argc == 2 ? rh_check_config() : wrong(argv[i], "takes no other argument");
    for (int i = 1; i < argc; i++) {
        const wchar_t *a = argv[i];
        const wchar_t *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (wcscmp(a, L"--help") == 0 || wcscmp(a, L"-h") == 0 || wcscmp(a, L"/?") == 0) {
            usage(stdout);
            return 0;
        } else if (wcscmp(a, L"--dll") == 0) {
            if (v == NULL || wcslen(v) >= RH_HOST_PATH_MAX)
                return wrong(a, "needs a path of fewer than 260 characters");
            if (n_paths == RH_HOST_MAX_DLLS)
                return wrong(a, "given more times than RRAS loads DLLs");
            wcscpy(paths[n_paths++], v);
            i++;
        } else if (wcscmp(a, L"--replay") == 0) {
            replay = true;
        } else if (wcscmp(a, L"--connections") == 0) {
            if (!parse_uint(v, &connections))
                return wrong(a, "needs a number from 0 to 100000000");
            i++;
        } else if (wcscmp(a, L"--threads") == 0) {
            if (!parse_uint(v, &threads) || threads == 0 || threads > 64)
                return wrong(a, "needs a number from 1 to 64");
            i++;
        } else if (wcscmp(a, L"--seed") == 0) {
            if (!parse_uint(v, &seed))
                return wrong(a, "needs a number from 0 to 100000000");
            i++;
        } else if (wcscmp(a, L"--legacy") == 0) {
            model = RH_HOST_MODEL_LEGACY;
        } else if (wcscmp(a, L"--unserialized") == 0) {
            serialized = false;
        } else if (wcscmp(a, L"--ack-file") == 0) {
            if (v == NULL)
                return wrong(a, "needs a path");
            ack_path = v;
            i++;
        } else if (wcscmp(a, L"--list") == 0) {
            list_only = true;
        } else {
            return wrong(a, "is not an argument rrashost takes");
        }
        if (wcscmp(a, L"--dll") != 0 && wcscmp(a, L"--replay") != 0 && wcscmp(a, L"--list") != 0)
            replay_only = a;
    }
    if (list_only && replay)
        return wrong(L"--list", "and --replay: one or the other");
    if (replay_only != NULL && !replay)
        return wrong(replay_only, "is an option of --replay (a lab replay), which is not given");
    if (!list_only && !replay) {
        fputs("rrashost: say what to do: --check-config (safe on a production server), --list, "
              "or --replay (a lab or staging machine only)\n\n",
              stderr);
        usage(stderr);
        return 1;
    }
    if (replay) {
        int running = rh_host_service_running(RH_HOST_RRAS_SERVICE);

        if (running != 0) {
            fprintf(stderr,
                    running > 0
                        ? "rrashost: the RemoteAccess service is running on this computer: a "
                          "replay would write simulated records to its outputs beside the real "
                          "ones. Replay on a lab or staging machine, or stop RemoteAccess first "
                          "(that disconnects every user).\n"
                        : "rrashost: cannot tell whether the RemoteAccess service is running "
                          "(the service manager does not answer): no replay.\n");
            return 6;
        }
        /* rashangup marks every record of this process's starts simulated (service.h). */
        if (!SetEnvironmentVariableW(RH_REPLAY_ENV, L"1")) {
            fprintf(stderr, "rrashost: cannot set %ls: no replay\n", RH_REPLAY_ENV);
            return 6;
        }
    }

    if (n_paths == 0) {
        int stopped_at;

        rc = rh_host_read_dllpath(list, sizeof list / sizeof list[0]);
        if (rc != ERROR_SUCCESS) {
            char why[512];

            rh_win32_error_text(rc, why, sizeof why);
            fprintf(stderr,
                    "rrashost: no RAS administration DLL is registered "
                    "(HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll value DLLPath: %s). RRAS starts "
                    "without one%s\n",
                    why,
                    list_only ? "."
                              : "; there is nothing to replay. Register rashangup.dll with "
                                "regsvr32, or name a DLL with --dll.");
            return 3;
        }
        n_paths = rh_host_split_dllpath(list, paths, RH_HOST_MAX_DLLS, &stopped_at);
        if (stopped_at >= 0)
            fprintf(stderr,
                    "rrashost: warning: DLLPath entry %d starts with a space; RRAS stops loading "
                    "there and skips it and every later entry\n",
                    stopped_at + 1);
    }
    if (list_only) {
        for (size_t i = 0; i < n_paths; i++)
            printf("%ls\n", paths[i]);
        return 0;
    }

    for (size_t i = 0; i < n_paths; i++) {
        char err[512] = "";

        rc = rh_host_load(&dlls[n_dlls], paths[i], model, err, sizeof err);
        if (rc != NO_ERROR) {
            char why[512];

            rh_win32_error_text(rc, why, sizeof why);
            fprintf(stderr, "rrashost: %ls: %s\nrrashost: RRAS would not start with this DLL: %s\n",
                    paths[i], err, why);
            status = 2;
            goto out;
        }
        printf("bound %ls through %s\n", paths[i],
               dlls[n_dlls].ex_model ? "MprAdminInitializeDllEx (revision 2)"
                                     : "the legacy exports");
        n_dlls++;
    }

    if (ack_path != NULL) {
        stats.ack = CreateFileW(ack_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_DELETE,
                                NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        if (stats.ack == INVALID_HANDLE_VALUE) {
            char why[512];

            rh_win32_error_text(GetLastError(), why, sizeof why);
            fprintf(stderr, "rrashost: cannot open %ls: %s\n", ack_path, why);
            stats.ack = NULL;
            status = 1;
            goto out;
        }
    }
    t0 = GetTickCount64();
    rc = rh_host_replay(dlls, n_dlls, seed, connections, threads, serialized, &stats);
    t1 = GetTickCount64();
    if (rc != NO_ERROR) {
        char why[512];

        rh_win32_error_text(rc, why, sizeof why);
        fprintf(stderr, "rrashost: replay failed: %s\n", why);
        status = 2;
    }
    printf("replayed %ld connection(s) on %u thread(s)%s in %llu ms; %ld refused\n",
           (long)stats.connections, threads, serialized ? "" : " (unserialized)",
           (unsigned long long)(t1 - t0), (long)stats.refused);

out:
    for (size_t i = n_dlls; i-- > 0;)
        rh_host_unload(&dlls[i]);
    if (stats.ack != NULL)
        CloseHandle(stats.ack);
    return status;
}
