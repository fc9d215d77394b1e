/* SPDX-License-Identifier: MIT */
/*
 * The reference for bench_delivery: an admin DLL that does what Microsoft's
 * samples and most in-house accounting DLLs do, all inside RRAS's hangup
 * callback: convert, format, append to a file, flush. Same record, same JSON,
 * same file handle discipline as rashangup's file sink; only the place differs.
 */
#include <stdio.h>
#include <windows.h>

#include "format.h"
#include "bench_dll.h"
#include "rashangup/admin_dll.h"

static HANDLE g_file = INVALID_HANDLE_VALUE;
static SRWLOCK g_lock = SRWLOCK_INIT;

static BOOL APIENTRY accept_ex(struct rh_ras_connection_ex *c)
{
    (void)c;
    return TRUE;
}

static VOID APIENTRY hangup_ex(struct rh_ras_connection_ex *c)
{
    static char line[RH_FORMAT_MAX];
    struct rh_ras_connection_ex copy;
    struct rh_record r;
    struct rh_record_meta meta = {0, "bench", NULL};
    struct rh_buf b;
    FILETIME ft;
    struct rh_filetime rft;
    DWORD written;
    enum rh_ex_status st = rh_ex_capture(&copy, c, sizeof copy);

    if (st != RH_EX_OK && st != RH_EX_SHORT)
        return;
    GetSystemTimePreciseAsFileTime(&ft);
    rft.dwLowDateTime = ft.dwLowDateTime;
    rft.dwHighDateTime = ft.dwHighDateTime;
    meta.time_ms = rh_filetime_to_unix_ms(&rft);
    AcquireSRWLockExclusive(&g_lock);
    rh_record_from_ex(&r, &copy, st, &meta);
    rh_buf_init(&b, line, sizeof line);
    if (rh_format_json(&r, &b)) {
        WriteFile(g_file, b.data, (DWORD)b.len, &written, NULL);
        FlushFileBuffers(g_file);
    }
    ReleaseSRWLockExclusive(&g_lock);
}

static DWORD APIENTRY terminate(VOID)
{
    if (g_file != INVALID_HANDLE_VALUE)
        CloseHandle(g_file);
    g_file = INVALID_HANDLE_VALUE;
    return NO_ERROR;
}

__declspec(dllexport) DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb);
__declspec(dllexport) DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb)
{
    WCHAR path[MAX_PATH];

    if (GetEnvironmentVariableW(L"RH_REFDLL_PATH", path, MAX_PATH) == 0)
        wcscpy(path, L"C:\\ProgramData\\RasHangup\\refdll.jsonl");
    g_file = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, NULL);
    bench_callbacks(cb, terminate, accept_ex, hangup_ex);
    return NO_ERROR;
}
