/* SPDX-License-Identifier: MIT */
/*
 * The RRAS administration-DLL ABI, as rashangup reads it.
 *
 * These are layout mirrors of the Windows SDK structures (mprapi.h) written with
 * fixed-width types, so that the portable core can decode them on any platform
 * without <windows.h>. Member names keep the SDK's spelling to make review easy.
 *
 * The mirrors are checked member by member against mingw-w64's declarations in
 * src/win/abi_check.c (x64 and x86 builds): a drift does not compile.
 *
 * Strings are UTF-16 arrays of a fixed capacity. Nothing guarantees that RRAS
 * NUL-terminates them: every reader must take the array's capacity as its bound.
 */
#ifndef RASHANGUP_RAS_ABI_H
#define RASHANGUP_RAS_ABI_H

#include <stdint.h>

#define RH_UNLEN                  256 /* lmcons.h */
#define RH_DNLEN                  15
#define RH_NETBIOS_NAME_LEN       16
#define RH_MAX_INTERFACE_NAME_LEN 256
#define RH_IPADDRESSLEN           15
#define RH_IPXADDRESSLEN          22
#define RH_ATADDRESSLEN           32
#define RH_MAXIPADRESSLEN         64
#define RH_MAX_PORT_NAME          16
#define RH_MAX_MEDIA_NAME         16
#define RH_MAX_DEVICE_NAME        128
#define RH_MAX_DEVICETYPE_NAME    16

/* MPRAPI_OBJECT_HEADER.type and .revision for RAS_CONNECTION_EX */
#define RH_MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT 1
#define RH_MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1  1

/* RAS_CONNECTION_*.dwConnectionFlags */
#define RH_RAS_FLAGS_PPP_CONNECTION     0x00000001u
#define RH_RAS_FLAGS_MESSENGER_PRESENT  0x00000002u
#define RH_RAS_FLAGS_QUARANTINE_PRESENT 0x00000008u
#define RH_RAS_FLAGS_IKEV2_CONNECTION   0x00000010u /* same bit as the old ARAP flag */
#define RH_RAS_FLAGS_DORMANT            0x00000020u

/* PROJECTION_INFO.projectionInfoType */
#define RH_MPRAPI_PPP_PROJECTION_INFO_TYPE   1
#define RH_MPRAPI_IKEV2_PROJECTION_INFO_TYPE 2

/* MPRAPI_ADMIN_DLL_CALLBACKS.revision expected by RRAS */
#define RH_MPRAPI_ADMIN_DLL_VERSION_2 2

typedef uint16_t rh_wchar; /* WCHAR: one UTF-16 code unit */

struct rh_guid { /* GUID */
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
};

struct rh_filetime { /* FILETIME: 100 ns since 1601-01-01 UTC */
    uint32_t dwLowDateTime;
    uint32_t dwHighDateTime;
};

struct rh_mprapi_object_header { /* MPRAPI_OBJECT_HEADER */
    uint8_t revision;
    uint8_t type;
    uint16_t size;
};

struct rh_ppp_projection_info { /* PPP_PROJECTION_INFO */
    uint32_t dwIPv4NegotiationError;
    rh_wchar wszAddress[RH_IPADDRESSLEN + 1];       /* server side of the link */
    rh_wchar wszRemoteAddress[RH_IPADDRESSLEN + 1]; /* the client's assigned address */
    uint32_t dwIPv4Options;
    uint32_t dwIPv4RemoteOptions;
    uint64_t IPv4SubInterfaceIndex;
    uint32_t dwIPv6NegotiationError;
    uint8_t bInterfaceIdentifier[8];
    uint8_t bRemoteInterfaceIdentifier[8];
    uint8_t bPrefix[8];
    uint32_t dwPrefixLength;
    uint64_t IPv6SubInterfaceIndex;
    uint32_t dwLcpError;
    uint32_t dwAuthenticationProtocol;
    uint32_t dwAuthenticationData;
    uint32_t dwRemoteAuthenticationProtocol;
    uint32_t dwRemoteAuthenticationData;
    uint32_t dwLcpTerminateReason; /* reserved: always zero */
    uint32_t dwLcpRemoteTerminateReason;
    uint32_t dwLcpOptions;
    uint32_t dwLcpRemoteOptions;
    uint32_t dwEapTypeId;
    uint32_t dwRemoteEapTypeId;
    uint32_t dwCcpError;
    uint32_t dwCompressionAlgorithm;
    uint32_t dwCcpOptions;
    uint32_t dwRemoteCompressionAlgorithm;
    uint32_t dwCcpRemoteOptions;
};

struct rh_ikev2_projection_info { /* IKEV2_PROJECTION_INFO */
    uint32_t dwIPv4NegotiationError;
    rh_wchar wszAddress[RH_IPADDRESSLEN + 1];
    rh_wchar wszRemoteAddress[RH_IPADDRESSLEN + 1];
    uint64_t IPv4SubInterfaceIndex;
    uint32_t dwIPv6NegotiationError;
    uint8_t bInterfaceIdentifier[8];
    uint8_t bRemoteInterfaceIdentifier[8];
    uint8_t bPrefix[8];
    uint32_t dwPrefixLength;
    uint64_t IPv6SubInterfaceIndex;
    uint32_t dwOptions;
    uint32_t dwAuthenticationProtocol; /* 1 certificate, 2 EAP */
    uint32_t dwEapTypeId;
    uint32_t dwCompressionAlgorithm;
    uint32_t dwEncryptionMethod; /* IPSEC_CIPHER_TYPE */
};

struct rh_projection_info { /* PROJECTION_INFO */
    uint8_t projectionInfoType;
    union {
        struct rh_ikev2_projection_info Ikev2ProjectionInfo;
        struct rh_ppp_projection_info PppProjectionInfo;
    };
};

struct rh_ras_connection_ex { /* RAS_CONNECTION_EX, revision 1 */
    struct rh_mprapi_object_header Header;
    uint32_t dwConnectDuration; /* seconds */
    uint32_t dwInterfaceType;   /* ROUTER_INTERFACE_TYPE */
    uint32_t dwConnectionFlags;
    rh_wchar wszInterfaceName[RH_MAX_INTERFACE_NAME_LEN + 1];
    rh_wchar wszUserName[RH_UNLEN + 1];
    rh_wchar wszLogonDomain[RH_DNLEN + 1];
    rh_wchar wszRemoteComputer[RH_NETBIOS_NAME_LEN + 1];
    struct rh_guid guid;
    uint32_t rasQuarState; /* RAS_QUARANTINE_STATE */
    struct rh_filetime probationTime;
    uint32_t dwBytesXmited; /* server to client */
    uint32_t dwBytesRcved;  /* client to server */
    uint32_t dwFramesXmited;
    uint32_t dwFramesRcved;
    uint32_t dwCrcErr;
    uint32_t dwTimeoutErr;
    uint32_t dwAlignmentErr;
    uint32_t dwHardwareOverrunErr;
    uint32_t dwFramingErr;
    uint32_t dwBufferOverrunErr;
    uint32_t dwCompressionRatioIn;
    uint32_t dwCompressionRatioOut;
    uint32_t dwNumSwitchOvers;
    rh_wchar wszRemoteEndpointAddress[RH_MAXIPADRESSLEN + 1];
    rh_wchar wszLocalEndpointAddress[RH_MAXIPADRESSLEN + 1];
    struct rh_projection_info ProjectionInfo;
    uintptr_t hConnection; /* HANDLE */
    uintptr_t hInterface;  /* HANDLE */
};

/* Legacy structures, passed to the ...3 callbacks. */

struct rh_ppp_nbfcp_info {
    uint32_t dwError;
    rh_wchar wszWksta[RH_NETBIOS_NAME_LEN + 1];
};

struct rh_ppp_ipcp_info {
    uint32_t dwError;
    rh_wchar wszAddress[RH_IPADDRESSLEN + 1];
    rh_wchar wszRemoteAddress[RH_IPADDRESSLEN + 1];
};

struct rh_ppp_ipcp_info2 {
    uint32_t dwError;
    rh_wchar wszAddress[RH_IPADDRESSLEN + 1];
    rh_wchar wszRemoteAddress[RH_IPADDRESSLEN + 1];
    uint32_t dwOptions;
    uint32_t dwRemoteOptions;
};

struct rh_ppp_ipxcp_info {
    uint32_t dwError;
    rh_wchar wszAddress[RH_IPXADDRESSLEN + 1];
};

struct rh_ppp_atcp_info {
    uint32_t dwError;
    rh_wchar wszAddress[RH_ATADDRESSLEN + 1];
};

struct rh_ppp_ccp_info {
    uint32_t dwError;
    uint32_t dwCompressionAlgorithm;
    uint32_t dwOptions;
    uint32_t dwRemoteCompressionAlgorithm;
    uint32_t dwRemoteOptions;
};

struct rh_ppp_lcp_info {
    uint32_t dwError;
    uint32_t dwAuthenticationProtocol;
    uint32_t dwAuthenticationData;
    uint32_t dwRemoteAuthenticationProtocol;
    uint32_t dwRemoteAuthenticationData;
    uint32_t dwTerminateReason;
    uint32_t dwRemoteTerminateReason;
    uint32_t dwOptions;
    uint32_t dwRemoteOptions;
    uint32_t dwEapTypeId;
    uint32_t dwRemoteEapTypeId;
};

struct rh_ppp_ipv6cp_info { /* PPP_IPV6_CP_INFO */
    uint32_t dwVersion;
    uint32_t dwSize;
    uint32_t dwError;
    uint8_t bInterfaceIdentifier[8];
    uint8_t bRemoteInterfaceIdentifier[8];
    uint32_t dwOptions;
    uint32_t dwRemoteOptions;
    uint8_t bPrefix[8];
    uint32_t dwPrefixLength;
};

struct rh_ppp_info { /* PPP_INFO */
    struct rh_ppp_nbfcp_info nbf;
    struct rh_ppp_ipcp_info ip;
    struct rh_ppp_ipxcp_info ipx;
    struct rh_ppp_atcp_info at;
};

struct rh_ppp_info_2 { /* PPP_INFO_2 */
    struct rh_ppp_nbfcp_info nbf;
    struct rh_ppp_ipcp_info2 ip;
    struct rh_ppp_ipxcp_info ipx;
    struct rh_ppp_atcp_info at;
    struct rh_ppp_ccp_info ccp;
    struct rh_ppp_lcp_info lcp;
};

struct rh_ppp_info_3 { /* PPP_INFO_3 */
    struct rh_ppp_nbfcp_info nbf;
    struct rh_ppp_ipcp_info2 ip;
    struct rh_ppp_ipv6cp_info ipv6;
    struct rh_ppp_ccp_info ccp;
    struct rh_ppp_lcp_info lcp;
};

struct rh_ras_connection_0 { /* RAS_CONNECTION_0 */
    uintptr_t hConnection;
    uintptr_t hInterface;
    uint32_t dwConnectDuration;
    uint32_t dwInterfaceType;
    uint32_t dwConnectionFlags;
    rh_wchar wszInterfaceName[RH_MAX_INTERFACE_NAME_LEN + 1];
    rh_wchar wszUserName[RH_UNLEN + 1];
    rh_wchar wszLogonDomain[RH_DNLEN + 1];
    rh_wchar wszRemoteComputer[RH_NETBIOS_NAME_LEN + 1];
};

struct rh_ras_connection_1 { /* RAS_CONNECTION_1 */
    uintptr_t hConnection;
    uintptr_t hInterface;
    struct rh_ppp_info PppInfo;
    uint32_t dwBytesXmited;
    uint32_t dwBytesRcved;
    uint32_t dwFramesXmited;
    uint32_t dwFramesRcved;
    uint32_t dwCrcErr;
    uint32_t dwTimeoutErr;
    uint32_t dwAlignmentErr;
    uint32_t dwHardwareOverrunErr;
    uint32_t dwFramingErr;
    uint32_t dwBufferOverrunErr;
    uint32_t dwCompressionRatioIn;
    uint32_t dwCompressionRatioOut;
};

struct rh_ras_connection_2 { /* RAS_CONNECTION_2 */
    uintptr_t hConnection;
    rh_wchar wszUserName[RH_UNLEN + 1];
    uint32_t dwInterfaceType;
    struct rh_guid guid;
    struct rh_ppp_info_2 PppInfo2;
};

struct rh_ras_connection_3 { /* RAS_CONNECTION_3 */
    uint32_t dwVersion;
    uint32_t dwSize;
    uintptr_t hConnection;
    rh_wchar wszUserName[RH_UNLEN + 1];
    uint32_t dwInterfaceType;
    struct rh_guid guid;
    struct rh_ppp_info_3 PppInfo3;
    uint32_t rasQuarState;
    struct rh_filetime timer;
};

/* Links (ports), passed to AcceptNewLink and LinkHangupNotification. */

struct rh_ras_port_0 { /* RAS_PORT_0 */
    uintptr_t hPort;
    uintptr_t hConnection;
    uint32_t dwPortCondition;
    uint32_t dwTotalNumberOfCalls;
    uint32_t dwConnectDuration;
    rh_wchar wszPortName[RH_MAX_PORT_NAME + 1];
    rh_wchar wszMediaName[RH_MAX_MEDIA_NAME + 1];
    rh_wchar wszDeviceName[RH_MAX_DEVICE_NAME + 1];
    rh_wchar wszDeviceType[RH_MAX_DEVICETYPE_NAME + 1];
};

struct rh_ras_port_1 { /* RAS_PORT_1 */
    uintptr_t hPort;
    uintptr_t hConnection;
    uint32_t dwHardwareCondition;
    uint32_t dwLineSpeed;
    uint32_t dwBytesXmited;
    uint32_t dwBytesRcved;
    uint32_t dwFramesXmited;
    uint32_t dwFramesRcved;
    uint32_t dwCrcErr;
    uint32_t dwTimeoutErr;
    uint32_t dwAlignmentErr;
    uint32_t dwHardwareOverrunErr;
    uint32_t dwFramingErr;
    uint32_t dwBufferOverrunErr;
    uint32_t dwCompressionRatioIn;
    uint32_t dwCompressionRatioOut;
};

#endif /* RASHANGUP_RAS_ABI_H */
