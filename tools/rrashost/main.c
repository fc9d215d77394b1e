/* SPDX-License-Identifier: MIT */
/*
 * rrashost.exe: plays the RemoteAccess service for RAS administration DLLs.
 *
 *   rrashost [--dll PATH]... [--connections N] [--threads N] [--seed N]
 *            [--legacy] [--unserialized] [--ack-file PATH] [--list]
 *
 * Without --dll it loads the DLLs registered in HKLM\SOFTWARE\Microsoft\RAS\
 * AdminDll\DLLPath, as RRAS does at service start. Exit status: 0 when every DLL
 * bound and the replay ran; 1 for a wrong argument; 2 when a DLL could not be
 * loaded or bound, which RRAS would not start with; 3 when no DLL is registered
 * (RRAS starts without one: there is nothing to replay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <windows.h>

#include "check.h"
#include "diag.h"
#include "host.h"

int wmain(int argc, wchar_t **argv);

static void usage(FILE *to)
{
    fputs("usage: rrashost [--dll PATH]... [--connections N] [--threads N] [--seed N]\n"
          "                [--legacy] [--unserialized] [--ack-file PATH] [--list] [--help]\n"
          "       rrashost --check-config\n"
          "\n"
          "Plays the RemoteAccess service: loads the RAS administration DLLs registered in\n"
          "HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll (value DLLPath), or those given with\n"
          "--dll, binds them as RRAS does, replays N connections (accept, link accept,\n"
          "link hangup, hangup) on several threads, and terminates them.\n"
          "\n"
          "For a lab or staging machine only: the DLLs it binds write to the outputs they\n"
          "are configured with, under this computer's name (a radius sink sends\n"
          "Accounting-On and -Off, which close every open session of this NAS).\n"
          "\n"
          "  --dll PATH         bind PATH instead of the registered DLLs (repeatable)\n"
          "  --connections N    connections to replay (default 10)\n"
          "  --threads N        replay threads, 1 to 64 (default 4)\n"
          "  --seed N           scenario seed (default 1)\n"
          "  --legacy           bind through the legacy exports, as before Windows 7\n"
          "  --unserialized     do not serialize accept and hangup calls as RRAS does\n"
          "  --ack-file PATH    append \"INDEX a|r\" for each connection whose hangup returned\n"
          "  --list             print the DLLs RRAS would load, and exit (loads nothing)\n"
          "  --check-config     print rashangup's configuration as its DLL reads it, try each\n"
          "                     destination without sending a record, and exit; safe on a\n"
          "                     production server (writes nothing)\n"
          "  --help             this text\n"
          "\n"
          "Exit status: 0 every DLL bound and the replay ran; 1 a wrong argument; 2 a DLL\n"
          "could not be loaded or bound (RRAS would not start with it); 3 no DLL is\n"
          "registered (RRAS starts without one; nothing to replay). --check-config: 0 every\n"
          "sink would run and no check of a destination failed (RADIUS servers can only be\n"
          "resolved), 4 a sink would not run, 5 a destination failed its check.\n",
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
    bool serialized = true, list_only = false;
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
            char why[512];

            if (v == NULL)
                return wrong(a, "needs a path");
            stats.ack = CreateFileW(v, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                                    OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
            if (stats.ack == INVALID_HANDLE_VALUE) {
                rh_win32_error_text(GetLastError(), why, sizeof why);
                fprintf(stderr, "rrashost: cannot open %ls: %s\n", v, why);
                return 1;
            }
            i++;
        } else if (wcscmp(a, L"--list") == 0) {
            list_only = true;
        } else {
            return wrong(a, "is not an argument rrashost takes");
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
                    "without one; there is nothing to replay. Register rashangup.dll with "
                    "regsvr32, or name a DLL with --dll.\n",
                    why);
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
