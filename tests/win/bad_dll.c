/* SPDX-License-Identifier: MIT */
/*
 * Admin DLLs that each break one of RRAS's binding rules (BAD_<rule> selects
 * which), so that tests prove rrashost refuses what RRAS refuses.
 */
#include <string.h>
#include <windows.h>

#include "rashangup/admin_dll.h"

#define EXPORT __declspec(dllexport)

static BOOL APIENTRY accept_ex(struct rh_ras_connection_ex *c)
{
    (void)c;
    return TRUE;
}
static VOID APIENTRY hangup_ex(struct rh_ras_connection_ex *c)
{
    (void)c;
}
static BOOL APIENTRY accept_link(struct rh_ras_port_0 *p0, struct rh_ras_port_1 *p1)
{
    (void)p0, (void)p1;
    return TRUE;
}
static VOID APIENTRY link_hangup(struct rh_ras_port_0 *p0, struct rh_ras_port_1 *p1)
{
    (void)p0, (void)p1;
}
static DWORD APIENTRY get_ip(WCHAR *u, WCHAR *p, DWORD *ip, BOOL *notify)
{
    (void)u, (void)p, (void)ip, (void)notify;
    return NO_ERROR;
}

#if defined(BAD_legacy_no_link)
/* Legacy model: accept and hangup, but no link functions. */
EXPORT BOOL APIENTRY MprAdminAcceptNewConnection3(struct rh_ras_connection_0 *c0,
                                                  struct rh_ras_connection_1 *c1,
                                                  struct rh_ras_connection_2 *c2,
                                                  struct rh_ras_connection_3 *c3);
EXPORT BOOL APIENTRY MprAdminAcceptNewConnection3(struct rh_ras_connection_0 *c0,
                                                  struct rh_ras_connection_1 *c1,
                                                  struct rh_ras_connection_2 *c2,
                                                  struct rh_ras_connection_3 *c3)
{
    (void)c0, (void)c1, (void)c2, (void)c3, (void)accept_ex, (void)hangup_ex, (void)get_ip;
    (void)accept_link, (void)link_hangup;
    return TRUE;
}
EXPORT VOID APIENTRY MprAdminConnectionHangupNotification3(struct rh_ras_connection_0 *c0,
                                                           struct rh_ras_connection_1 *c1,
                                                           struct rh_ras_connection_2 *c2,
                                                           struct rh_ras_connection_3 *c3);
EXPORT VOID APIENTRY MprAdminConnectionHangupNotification3(struct rh_ras_connection_0 *c0,
                                                           struct rh_ras_connection_1 *c1,
                                                           struct rh_ras_connection_2 *c2,
                                                           struct rh_ras_connection_3 *c3)
{
    (void)c0, (void)c1, (void)c2, (void)c3;
}
#else
EXPORT DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb);
EXPORT DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *cb)
{
    cb->revision = RH_MPRAPI_ADMIN_DLL_VERSION_2;
    cb->lpfnRasAdminAcceptNewConnectionEx = accept_ex;
    cb->lpfnRasAdminConnectionHangupNotificationEx = hangup_ex;
    cb->lpfnRasAdminAcceptNewLink = accept_link;
    cb->lpfnRasAdminLinkHangupNotification = link_hangup;
    (void)get_ip;
#if defined(BAD_revision1)
    cb->revision = 1;
#elif defined(BAD_no_hangup)
    cb->lpfnRasAdminConnectionHangupNotificationEx = NULL;
#elif defined(BAD_ip_half)
    cb->lpfnMprAdminGetIpAddressForUser = get_ip;
#elif defined(BAD_overrun)
    /* Built against a layout with one slot too many. */
    memset((unsigned char *)cb + sizeof *cb, 0, sizeof(void *));
#elif defined(BAD_init_fails)
    return ERROR_ACCESS_DENIED;
#endif
    return NO_ERROR;
}
#endif
