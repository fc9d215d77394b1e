/* SPDX-License-Identifier: MIT */
/*
 * The floor for bench_delivery: the least any admin DLL that keeps a record must
 * do on RRAS's thread. Its callbacks copy the RAS_CONNECTION_EX they are given
 * (1,672 bytes on x64) into a static buffer and return; accept returns TRUE.
 * Same exports and callbacks as refdll.c. What rashangup adds over this is what
 * it costs RRAS.
 */
#include <string.h>
#include <windows.h>

#include "bench_dll.h"
#include "rashangup/admin_dll.h"

static struct rh_ras_connection_ex g_copy;

/* The copy is used as far as the compiler knows: it may not drop it. */
static void copy_in(const struct rh_ras_connection_ex *c)
{
    if (c == NULL)
        return;
    memcpy(&g_copy, c, sizeof g_copy);
    __asm__ __volatile__("" : : "r"(&g_copy) : "memory");
}

static BOOL APIENTRY accept_ex(struct rh_ras_connection_ex *c)
{
    copy_in(c);
    return TRUE;
}

static VOID APIENTRY hangup_ex(struct rh_ras_connection_ex *c)
{
    copy_in(c);
}

static DWORD APIENTRY terminate(VOID)
{
    return NO_ERROR;
}

__declspec(dllexport) DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb);
__declspec(dllexport) DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb)
{
    bench_callbacks(cb, terminate, accept_ex, hangup_ex);
    return NO_ERROR;
}
