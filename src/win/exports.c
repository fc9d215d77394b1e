/* SPDX-License-Identifier: MIT */
/*
 * The RRAS boundary: every function RRAS calls in rashangup.dll, and nothing else.
 *
 * RRAS binds an admin DLL one of two ways. If MprAdminInitializeDllEx is exported
 * it fills a callbacks structure and looks up no other export; otherwise it
 * resolves the legacy exports by name. Both ways reach the same runtime
 * (service.c). The Accept callbacks accept, unless FailClosed is set and the
 * journal could not record the connection's end: rashangup records, it decides
 * who connects only when an administrator asked it to.
 *
 * Nothing here may fail RRAS for a recoverable reason: a failed Initialize stops
 * the RemoteAccess service. Nor may anything here change RRAS's last-error value:
 * the exports that do work keep it as they found it.
 */
#include <stddef.h>
#include <windows.h>

#include "rashangup/admin_dll.h"
#include "hot.h"
#include "service.h"

RH_INITIALIZE_DLL_EX_FN MprAdminInitializeDllEx;
RH_INITIALIZE_DLL_FN MprAdminInitializeDll;
RH_TERMINATE_DLL_FN MprAdminTerminateDll;
RH_ACCEPT_NEW_CONNECTION_EX_FN MprAdminAcceptNewConnectionEx;
RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN MprAdminConnectionHangupNotificationEx;
RH_ACCEPT_REAUTHENTICATION_EX_FN MprAdminAcceptReauthenticationEx;
RH_ACCEPT_NEW_CONNECTION3_FN MprAdminAcceptNewConnection3;
RH_CONNECTION_HANGUP_NOTIFICATION3_FN MprAdminConnectionHangupNotification3;
RH_ACCEPT_REAUTHENTICATION_FN MprAdminAcceptReauthentication;
RH_ACCEPT_NEW_LINK_FN MprAdminAcceptNewLink;
RH_LINK_HANGUP_NOTIFICATION_FN MprAdminLinkHangupNotification;

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH)
        DisableThreadLibraryCalls(instance);
    return TRUE;
}

DWORD APIENTRY MprAdminInitializeDllEx(struct rh_admin_dll_callbacks *callbacks)
{
    if (callbacks == NULL)
        return ERROR_INVALID_PARAMETER;
    callbacks->revision = RH_MPRAPI_ADMIN_DLL_VERSION_2;
    callbacks->lpfnMprAdminGetIpAddressForUser = NULL;
    callbacks->lpfnMprAdminReleaseIpAddress = NULL;
    callbacks->lpfnMprAdminGetIpv6AddressForUser = NULL;
    callbacks->lpfnMprAdminReleaseIpV6AddressForUser = NULL;
    callbacks->lpfnRasAdminAcceptNewLink = MprAdminAcceptNewLink;
    callbacks->lpfnRasAdminLinkHangupNotification = MprAdminLinkHangupNotification;
    callbacks->lpfnRasAdminTerminateDll = MprAdminTerminateDll;
    callbacks->lpfnRasAdminAcceptNewConnectionEx = MprAdminAcceptNewConnectionEx;
    callbacks->lpfnRasAdminAcceptEndpointChangeEx = NULL;
    callbacks->lpfnRasAdminAcceptReauthenticationEx = MprAdminAcceptReauthenticationEx;
    callbacks->lpfnRasAdminConnectionHangupNotificationEx = MprAdminConnectionHangupNotificationEx;
    callbacks->lpfnRASValidatePreAuthenticatedConnectionEx = NULL;
    return MprAdminInitializeDll();
}

DWORD APIENTRY MprAdminInitializeDll(VOID)
{
    DWORD last_error = GetLastError();

    rh_service_start();
    SetLastError(last_error);
    return NO_ERROR;
}

DWORD APIENTRY MprAdminTerminateDll(VOID)
{
    DWORD last_error = GetLastError();

    rh_service_stop();
    SetLastError(last_error);
    return NO_ERROR;
}

RH_HOT BOOL APIENTRY MprAdminAcceptNewConnectionEx(struct rh_ras_connection_ex *conn)
{
    DWORD last_error = GetLastError();
    BOOL accept = rh_service_accept_ex(conn) ? TRUE : FALSE;

    SetLastError(last_error);
    return accept;
}

RH_HOT VOID APIENTRY MprAdminConnectionHangupNotificationEx(struct rh_ras_connection_ex *conn)
{
    DWORD last_error = GetLastError();

    rh_service_hangup_ex(conn);
    SetLastError(last_error);
}

BOOL APIENTRY MprAdminAcceptReauthenticationEx(struct rh_ras_connection_ex *conn)
{
    (void)conn;
    return TRUE;
}

BOOL APIENTRY MprAdminAcceptNewConnection3(struct rh_ras_connection_0 *c0,
                                           struct rh_ras_connection_1 *c1,
                                           struct rh_ras_connection_2 *c2,
                                           struct rh_ras_connection_3 *c3)
{
    DWORD last_error = GetLastError();
    BOOL accept = rh_service_accept_legacy(c0, c1, c2, c3) ? TRUE : FALSE;

    SetLastError(last_error);
    return accept;
}

VOID APIENTRY MprAdminConnectionHangupNotification3(struct rh_ras_connection_0 *c0,
                                                    struct rh_ras_connection_1 *c1,
                                                    struct rh_ras_connection_2 *c2,
                                                    struct rh_ras_connection_3 *c3)
{
    DWORD last_error = GetLastError();

    rh_service_hangup_legacy(c0, c1, c2, c3);
    SetLastError(last_error);
}

BOOL APIENTRY MprAdminAcceptReauthentication(struct rh_ras_connection_0 *c0,
                                             struct rh_ras_connection_1 *c1,
                                             struct rh_ras_connection_2 *c2,
                                             struct rh_ras_connection_3 *c3)
{
    (void)c0;
    (void)c1;
    (void)c2;
    (void)c3;
    return TRUE;
}

BOOL APIENTRY MprAdminAcceptNewLink(struct rh_ras_port_0 *port0, struct rh_ras_port_1 *port1)
{
    (void)port0;
    (void)port1;
    return TRUE;
}

VOID APIENTRY MprAdminLinkHangupNotification(struct rh_ras_port_0 *port0,
                                             struct rh_ras_port_1 *port1)
{
    (void)port0;
    (void)port1;
}
