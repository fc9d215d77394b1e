/* SPDX-License-Identifier: MIT */
/*
 * Proves, at compile time, that the portable mirrors in rashangup/ras_abi.h have
 * the layout of the structures mingw-w64 declares, member by member, for the
 * architecture being built. (mingw-w64's MPRAPI_ADMIN_DLL_CALLBACKS is the one
 * structure it gets wrong; admin_dll.h declares the SDK layout instead.)
 */
#include <stddef.h>
#include <windows.h>
#include <mprapi.h>

#include "rashangup/admin_dll.h"

#define SAME_SIZE(mine, theirs)                                                                    \
    _Static_assert(sizeof(struct mine) == sizeof(theirs), #mine " has the size of " #theirs)
#define SAME_AT(mine, theirs, member)                                                              \
    _Static_assert(offsetof(struct mine, member) == offsetof(theirs, member),                      \
                   #mine "." #member " is where " #theirs " has it")

SAME_SIZE(rh_guid, GUID);
SAME_SIZE(rh_filetime, FILETIME);
SAME_SIZE(rh_mprapi_object_header, MPRAPI_OBJECT_HEADER);

SAME_SIZE(rh_ppp_projection_info, PPP_PROJECTION_INFO);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, wszRemoteAddress);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, IPv4SubInterfaceIndex);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, bRemoteInterfaceIdentifier);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, dwPrefixLength);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, IPv6SubInterfaceIndex);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, dwAuthenticationProtocol);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, dwEapTypeId);
SAME_AT(rh_ppp_projection_info, PPP_PROJECTION_INFO, dwCcpRemoteOptions);

SAME_SIZE(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO);
SAME_AT(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO, wszRemoteAddress);
SAME_AT(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO, IPv4SubInterfaceIndex);
SAME_AT(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO, dwPrefixLength);
SAME_AT(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO, dwAuthenticationProtocol);
SAME_AT(rh_ikev2_projection_info, IKEV2_PROJECTION_INFO, dwEncryptionMethod);

SAME_SIZE(rh_projection_info, PROJECTION_INFO);
SAME_AT(rh_projection_info, PROJECTION_INFO, PppProjectionInfo);

SAME_SIZE(rh_ras_connection_ex, RAS_CONNECTION_EX);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, dwConnectDuration);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, wszUserName);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, wszLogonDomain);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, wszRemoteComputer);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, guid);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, probationTime);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, dwBytesXmited);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, dwNumSwitchOvers);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, wszRemoteEndpointAddress);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, wszLocalEndpointAddress);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, ProjectionInfo);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, hConnection);
SAME_AT(rh_ras_connection_ex, RAS_CONNECTION_EX, hInterface);

SAME_SIZE(rh_ras_connection_0, RAS_CONNECTION_0);
SAME_AT(rh_ras_connection_0, RAS_CONNECTION_0, dwConnectionFlags);
SAME_AT(rh_ras_connection_0, RAS_CONNECTION_0, wszRemoteComputer);
SAME_SIZE(rh_ras_connection_1, RAS_CONNECTION_1);
SAME_AT(rh_ras_connection_1, RAS_CONNECTION_1, PppInfo);
SAME_AT(rh_ras_connection_1, RAS_CONNECTION_1, dwBytesXmited);
SAME_AT(rh_ras_connection_1, RAS_CONNECTION_1, dwCompressionRatioOut);
SAME_SIZE(rh_ras_connection_2, RAS_CONNECTION_2);
SAME_AT(rh_ras_connection_2, RAS_CONNECTION_2, guid);
SAME_AT(rh_ras_connection_2, RAS_CONNECTION_2, PppInfo2);
SAME_SIZE(rh_ras_connection_3, RAS_CONNECTION_3);
SAME_AT(rh_ras_connection_3, RAS_CONNECTION_3, guid);
SAME_AT(rh_ras_connection_3, RAS_CONNECTION_3, PppInfo3);
SAME_AT(rh_ras_connection_3, RAS_CONNECTION_3, rasQuarState);
SAME_AT(rh_ras_connection_3, RAS_CONNECTION_3, timer);

SAME_SIZE(rh_ppp_info, PPP_INFO);
SAME_SIZE(rh_ppp_info_2, PPP_INFO_2);
SAME_SIZE(rh_ppp_info_3, PPP_INFO_3);
SAME_AT(rh_ppp_info_3, PPP_INFO_3, ipv6);
SAME_AT(rh_ppp_info_3, PPP_INFO_3, lcp);
SAME_SIZE(rh_ppp_ipv6cp_info, PPP_IPV6_CP_INFO);

SAME_SIZE(rh_ras_port_0, RAS_PORT_0);
SAME_AT(rh_ras_port_0, RAS_PORT_0, wszDeviceType);
SAME_SIZE(rh_ras_port_1, RAS_PORT_1);
SAME_AT(rh_ras_port_1, RAS_PORT_1, dwCompressionRatioOut);

#ifdef _WIN64
_Static_assert(sizeof(struct rh_ras_connection_ex) == 1672,
               "RAS_CONNECTION_EX is 1672 bytes on x64");
_Static_assert(sizeof(struct rh_admin_dll_callbacks) == 104, "callbacks are 104 bytes on x64");
#else
_Static_assert(sizeof(struct rh_ras_connection_ex) == 1664,
               "RAS_CONNECTION_EX is 1664 bytes on x86");
#endif

/* mingw-w64's declaration is the known-short one; if it is ever fixed, this says so. */
_Static_assert(sizeof(MPRAPI_ADMIN_DLL_CALLBACKS) == 11 * sizeof(void *),
               "mingw-w64's MPRAPI_ADMIN_DLL_CALLBACKS changed: review admin_dll.h");
