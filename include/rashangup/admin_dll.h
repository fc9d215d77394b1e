/* SPDX-License-Identifier: MIT */
/*
 * The RAS administration-DLL interface that rashangup.dll exports and that RRAS
 * (or rrashost.exe, which plays RRAS) binds.
 *
 * Each export has a function type here; rashangup declares its exports through
 * these types, so a signature that drifts from the contract does not compile.
 *
 * MPRAPI_ADMIN_DLL_CALLBACKS is declared with the Windows SDK layout (13
 * pointer-sized slots, 104 bytes on x64). mingw-w64's mprapi.h lacks two members
 * and must not be used for it: RRAS would find the hangup slot empty and refuse
 * to start.
 *
 * Threading (RRAS's contract): accept and hangup callbacks are serialized as one
 * group, the IP-address callbacks as another; the groups may run at once. The
 * structures passed in are valid only for the duration of the call.
 */
#ifndef RASHANGUP_ADMIN_DLL_H
#define RASHANGUP_ADMIN_DLL_H

#include <windows.h>

#include "rashangup/ras_abi.h"

typedef DWORD(APIENTRY RH_GET_IP_ADDRESS_FOR_USER_FN)(WCHAR *user, WCHAR *portname,
                                                      DWORD *ipaddress, BOOL *notify_release);
typedef VOID(APIENTRY RH_RELEASE_IP_ADDRESS_FN)(WCHAR *user, WCHAR *portname, DWORD *ipaddress);
/* The address parameters are IN6_ADDR *. */
typedef DWORD(APIENTRY RH_GET_IPV6_ADDRESS_FOR_USER_FN)(WCHAR *user, WCHAR *portname,
                                                        void *ipv6address, BOOL *notify_release);
typedef VOID(APIENTRY RH_RELEASE_IPV6_ADDRESS_FN)(WCHAR *user, WCHAR *portname, void *ipv6address);

typedef BOOL(APIENTRY RH_ACCEPT_NEW_LINK_FN)(struct rh_ras_port_0 *port0,
                                             struct rh_ras_port_1 *port1);
typedef VOID(APIENTRY RH_LINK_HANGUP_NOTIFICATION_FN)(struct rh_ras_port_0 *port0,
                                                      struct rh_ras_port_1 *port1);
typedef DWORD(APIENTRY RH_TERMINATE_DLL_FN)(VOID);
typedef DWORD(APIENTRY RH_INITIALIZE_DLL_FN)(VOID);

typedef BOOL(APIENTRY RH_ACCEPT_NEW_CONNECTION_EX_FN)(struct rh_ras_connection_ex *conn);
typedef BOOL(APIENTRY RH_ACCEPT_ENDPOINT_CHANGE_EX_FN)(struct rh_ras_connection_ex *conn);
typedef BOOL(APIENTRY RH_ACCEPT_REAUTHENTICATION_EX_FN)(struct rh_ras_connection_ex *conn);
typedef VOID(APIENTRY RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN)(struct rh_ras_connection_ex *conn);
/* The parameter is AUTH_VALIDATION_EX *. */
typedef DWORD(APIENTRY RH_VALIDATE_PREAUTHENTICATED_CONNECTION_EX_FN)(void *auth);

typedef BOOL(APIENTRY RH_ACCEPT_NEW_CONNECTION3_FN)(struct rh_ras_connection_0 *c0,
                                                    struct rh_ras_connection_1 *c1,
                                                    struct rh_ras_connection_2 *c2,
                                                    struct rh_ras_connection_3 *c3);
typedef BOOL(APIENTRY RH_ACCEPT_REAUTHENTICATION_FN)(struct rh_ras_connection_0 *c0,
                                                     struct rh_ras_connection_1 *c1,
                                                     struct rh_ras_connection_2 *c2,
                                                     struct rh_ras_connection_3 *c3);
typedef VOID(APIENTRY RH_CONNECTION_HANGUP_NOTIFICATION3_FN)(struct rh_ras_connection_0 *c0,
                                                             struct rh_ras_connection_1 *c1,
                                                             struct rh_ras_connection_2 *c2,
                                                             struct rh_ras_connection_3 *c3);

/* MPRAPI_ADMIN_DLL_CALLBACKS, Windows SDK layout. */
struct rh_admin_dll_callbacks {
    UCHAR revision; /* must be RH_MPRAPI_ADMIN_DLL_VERSION_2 */
    RH_GET_IP_ADDRESS_FOR_USER_FN *lpfnMprAdminGetIpAddressForUser;
    RH_RELEASE_IP_ADDRESS_FN *lpfnMprAdminReleaseIpAddress;
    RH_GET_IPV6_ADDRESS_FOR_USER_FN *lpfnMprAdminGetIpv6AddressForUser;
    RH_RELEASE_IPV6_ADDRESS_FN *lpfnMprAdminReleaseIpV6AddressForUser;
    RH_ACCEPT_NEW_LINK_FN *lpfnRasAdminAcceptNewLink;
    RH_LINK_HANGUP_NOTIFICATION_FN *lpfnRasAdminLinkHangupNotification;
    RH_TERMINATE_DLL_FN *lpfnRasAdminTerminateDll;
    RH_ACCEPT_NEW_CONNECTION_EX_FN *lpfnRasAdminAcceptNewConnectionEx;
    RH_ACCEPT_ENDPOINT_CHANGE_EX_FN *lpfnRasAdminAcceptEndpointChangeEx;
    RH_ACCEPT_REAUTHENTICATION_EX_FN *lpfnRasAdminAcceptReauthenticationEx;
    RH_CONNECTION_HANGUP_NOTIFICATION_EX_FN *lpfnRasAdminConnectionHangupNotificationEx;
    RH_VALIDATE_PREAUTHENTICATED_CONNECTION_EX_FN *lpfnRASValidatePreAuthenticatedConnectionEx;
};

_Static_assert(sizeof(struct rh_admin_dll_callbacks) == 13 * sizeof(void *),
               "MPRAPI_ADMIN_DLL_CALLBACKS has 13 pointer-sized slots (104 bytes on x64)");

typedef DWORD(APIENTRY RH_INITIALIZE_DLL_EX_FN)(struct rh_admin_dll_callbacks *callbacks);

#endif /* RASHANGUP_ADMIN_DLL_H */
