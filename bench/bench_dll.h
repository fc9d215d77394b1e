/* SPDX-License-Identifier: MIT */
/* What the bench's admin DLLs (floordll.c, refdll.c) share: the callbacks they give RRAS. */
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

/* The callbacks a bench DLL gives RRAS: its own three, and the ignored link ones. */
static inline void bench_callbacks(struct rh_admin_dll_callbacks *cb,
                                   RH_TERMINATE_DLL_FN *terminate,
                                   RH_ACCEPT_NEW_CONNECTION_EX_FN *accept_ex,
                                   RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN *hangup_ex)
{
    cb->revision = RH_MPRAPI_ADMIN_DLL_VERSION_2;
    cb->lpfnRasAdminAcceptNewLink = bench_accept_link;
    cb->lpfnRasAdminLinkHangupNotification = bench_link_hangup;
    cb->lpfnRasAdminTerminateDll = terminate;
    cb->lpfnRasAdminAcceptNewConnectionEx = accept_ex;
    cb->lpfnRasAdminConnectionHangupNotificationEx = hangup_ex;
}

#endif /* RH_BENCH_DLL_H */
