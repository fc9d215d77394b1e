/* SPDX-License-Identifier: MIT */
/* What the bench's admin DLLs (floordll.c, refdll.c) share: the link callbacks they ignore. */
#ifndef RH_BENCH_DLL_H
#define RH_BENCH_DLL_H

#include <windows.h>

#include "rashangup/admin_dll.h"

static inline BOOL APIENTRY bench_accept_link(struct rh_ras_port_0 *p0, struct rh_ras_port_1 *p1)
{
    (void)p0, (void)p1;
    return TRUE;
}

static inline VOID APIENTRY bench_link_hangup(struct rh_ras_port_0 *p0, struct rh_ras_port_1 *p1)
{
    (void)p0, (void)p1;
}

#endif /* RH_BENCH_DLL_H */
