/* SPDX-License-Identifier: MIT */
#include "scenario.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

static const char *const users[] = {
    "alice", "bob",   "carol.jones", "José.García", "Zoë",   "李雷",   "Дмитрий", "محمد",
    "dave",  "eve-😀", "o'brien",     "svc_vpn$",    "Ωmega", "ゆうき", "frank",
};

static const char *const domains[] = {"CONTOSO", "FABRIKAM", "CONTOSO", ""};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#define SET_W(dst, utf8)                                                                           \
    rh_utf8_to_utf16((utf8), strlen(utf8), (dst), sizeof(dst) / sizeof((dst)[0]))

void rh_scenario_make(unsigned seed, unsigned index, struct rh_scenario_conn *out)
{
    uint64_t h = splitmix64(((uint64_t)seed << 32) ^ index);
    uint64_t h2 = splitmix64(h);
    unsigned kind = index % 3; /* 0 IKEv2, 1 SSTP (PPP), 2 L2TP (PPP) */
    char text[64];
    struct rh_ras_connection_ex *ex = &out->ex;
    struct rh_ppp_projection_info *ppp = &ex->ProjectionInfo.PppProjectionInfo;
    struct rh_ikev2_projection_info *ike = &ex->ProjectionInfo.Ikev2ProjectionInfo;
    uint8_t iid[8];
    static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00};

    memset(out, 0, sizeof *out);
    out->user = users[h % (sizeof users / sizeof users[0])];
    out->domain = domains[(h >> 8) % (sizeof domains / sizeof domains[0])];
    out->tunnel = kind == 0 ? "ikev2" : "ppp";
    snprintf(out->client_ipv4, sizeof out->client_ipv4, "198.18.%u.%u", (index / 254) % 256,
             index % 254 + 1);
    if (index % 5 == 4)
        snprintf(out->remote_endpoint, sizeof out->remote_endpoint, "2001:db8:%x::%x",
                 (unsigned)(h2 & 0xFFFF), index + 1);
    else
        snprintf(out->remote_endpoint, sizeof out->remote_endpoint, "203.0.113.%u",
                 (unsigned)(h2 % 254) + 1);
    for (int i = 0; i < 8; i++)
        iid[i] = (uint8_t)(h2 >> (8 * i));

    ex->Header.revision = RH_MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1;
    ex->Header.type = RH_MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT;
    ex->Header.size = (uint16_t)sizeof *ex;
    ex->dwConnectDuration = (uint32_t)(h % 86400);
    ex->dwInterfaceType = 0; /* ROUTER_IF_TYPE_CLIENT */
    ex->dwConnectionFlags = kind == 0
                                ? RH_RAS_FLAGS_IKEV2_CONNECTION
                                : RH_RAS_FLAGS_PPP_CONNECTION | RH_RAS_FLAGS_MESSENGER_PRESENT;
    SET_W(ex->wszInterfaceName, out->user);
    SET_W(ex->wszUserName, out->user);
    SET_W(ex->wszLogonDomain, out->domain);
    snprintf(text, sizeof text, "LAPTOP-%04u", index % 10000);
    SET_W(ex->wszRemoteComputer, text);
    ex->guid.Data1 = 0x5eed0000u + seed;
    ex->guid.Data2 = (uint16_t)(index >> 16);
    ex->guid.Data3 = (uint16_t)index;
    for (int i = 0; i < 8; i++)
        ex->guid.Data4[i] = (uint8_t)(h >> (8 * i));
    ex->rasQuarState = 0;
    /* Counters: mostly ordinary, sometimes at the 32-bit limit RRAS cannot pass. */
    ex->dwBytesXmited = index % 97 == 0 ? 0xFFFFFFFFu : (uint32_t)(h2 >> 32);
    ex->dwBytesRcved = (uint32_t)(h2 >> 8);
    ex->dwFramesXmited = ex->dwBytesXmited / 1400u + 1u;
    ex->dwFramesRcved = ex->dwBytesRcved / 1400u + 1u;
    ex->dwCompressionRatioIn = 100;
    ex->dwCompressionRatioOut = 100;
    ex->dwNumSwitchOvers = kind == 0 ? (uint32_t)(h % 3) : 0;
    SET_W(ex->wszRemoteEndpointAddress, out->remote_endpoint);
    SET_W(ex->wszLocalEndpointAddress, "192.0.2.10");
    ex->hConnection = (uintptr_t)index + 1;
    ex->hInterface = (uintptr_t)index + 0x10000;

    if (kind == 0) {
        ex->ProjectionInfo.projectionInfoType = RH_MPRAPI_IKEV2_PROJECTION_INFO_TYPE;
        SET_W(ike->wszAddress, "198.18.255.1");
        SET_W(ike->wszRemoteAddress, out->client_ipv4);
        memcpy(ike->bPrefix, prefix, 8);
        memcpy(ike->bRemoteInterfaceIdentifier, iid, 8);
        ike->dwPrefixLength = 64;
        ike->dwAuthenticationProtocol = (h & 1) ? 1 : 2; /* certificate : EAP */
        ike->dwEapTypeId = (h & 1) ? 0 : 25;             /* PEAP */
        ike->dwEncryptionMethod = 5;                     /* AES-256 */
    } else {
        ex->ProjectionInfo.projectionInfoType = RH_MPRAPI_PPP_PROJECTION_INFO_TYPE;
        SET_W(ppp->wszAddress, "198.18.255.1");
        SET_W(ppp->wszRemoteAddress, out->client_ipv4);
        memcpy(ppp->bPrefix, prefix, 8);
        memcpy(ppp->bRemoteInterfaceIdentifier, iid, 8);
        ppp->dwPrefixLength = 64;
        ppp->dwAuthenticationProtocol = 0xC227; /* EAP */
        ppp->dwEapTypeId = (h & 2) ? 26 : 13;   /* MS-CHAPv2 : TLS */
        ppp->dwCcpOptions = 0x40;               /* MPPE 128-bit */
    }

    /* The legacy view of the same connection. */
    out->c0.hConnection = ex->hConnection;
    out->c0.hInterface = ex->hInterface;
    out->c0.dwConnectDuration = ex->dwConnectDuration;
    out->c0.dwInterfaceType = ex->dwInterfaceType;
    out->c0.dwConnectionFlags = ex->dwConnectionFlags;
    memcpy(out->c0.wszInterfaceName, ex->wszInterfaceName, sizeof ex->wszInterfaceName);
    memcpy(out->c0.wszUserName, ex->wszUserName, sizeof ex->wszUserName);
    memcpy(out->c0.wszLogonDomain, ex->wszLogonDomain, sizeof ex->wszLogonDomain);
    memcpy(out->c0.wszRemoteComputer, ex->wszRemoteComputer, sizeof ex->wszRemoteComputer);
    out->c1.hConnection = ex->hConnection;
    out->c1.hInterface = ex->hInterface;
    SET_W(out->c1.PppInfo.ip.wszAddress, "198.18.255.1");
    SET_W(out->c1.PppInfo.ip.wszRemoteAddress, out->client_ipv4);
    out->c1.dwBytesXmited = ex->dwBytesXmited;
    out->c1.dwBytesRcved = ex->dwBytesRcved;
    out->c1.dwFramesXmited = ex->dwFramesXmited;
    out->c1.dwFramesRcved = ex->dwFramesRcved;
    out->c1.dwCompressionRatioIn = ex->dwCompressionRatioIn;
    out->c1.dwCompressionRatioOut = ex->dwCompressionRatioOut;
    out->c2.hConnection = ex->hConnection;
    memcpy(out->c2.wszUserName, ex->wszUserName, sizeof ex->wszUserName);
    out->c2.guid = ex->guid;
    out->c2.PppInfo2.ip = (struct rh_ppp_ipcp_info2){0};
    SET_W(out->c2.PppInfo2.ip.wszRemoteAddress, out->client_ipv4);
    out->c2.PppInfo2.ip.dwError = 0;
    SET_W(out->c2.PppInfo2.ip.wszAddress, "198.18.255.1");
    if (kind != 0) {
        out->c2.PppInfo2.lcp.dwAuthenticationProtocol = ppp->dwAuthenticationProtocol;
        out->c2.PppInfo2.lcp.dwEapTypeId = ppp->dwEapTypeId;
        out->c2.PppInfo2.ccp.dwOptions = ppp->dwCcpOptions;
    }
    out->c3.dwVersion = 0;
    out->c3.dwSize = (uint32_t)sizeof out->c3;
    out->c3.hConnection = ex->hConnection;
    memcpy(out->c3.wszUserName, ex->wszUserName, sizeof ex->wszUserName);
    out->c3.guid = ex->guid;
    out->c3.PppInfo3.ip = out->c2.PppInfo2.ip;
    out->c3.PppInfo3.lcp = out->c2.PppInfo2.lcp;
    out->c3.PppInfo3.ccp = out->c2.PppInfo2.ccp;
    memcpy(out->c3.PppInfo3.ipv6.bPrefix, prefix, 8);
    memcpy(out->c3.PppInfo3.ipv6.bRemoteInterfaceIdentifier, iid, 8);
    out->c3.PppInfo3.ipv6.dwPrefixLength = 64;

    /* One link: an SSTP, L2TP or IKEv2 port of the VPN miniports. */
    out->port0.hPort = (uintptr_t)index + 0x20000;
    out->port0.hConnection = ex->hConnection;
    out->port0.dwPortCondition = 5; /* RAS_PORT_AUTHENTICATED */
    out->port0.dwTotalNumberOfCalls = 1;
    out->port0.dwConnectDuration = ex->dwConnectDuration;
    snprintf(text, sizeof text, "VPN%u-%u", kind + 1, index % 128);
    SET_W(out->port0.wszPortName, text);
    SET_W(out->port0.wszMediaName, "rastapi");
    SET_W(out->port0.wszDeviceName, kind == 0   ? "WAN Miniport (IKEv2)"
                                    : kind == 1 ? "WAN Miniport (SSTP)"
                                                : "WAN Miniport (L2TP)");
    SET_W(out->port0.wszDeviceType, "vpn");
    out->port1.hPort = out->port0.hPort;
    out->port1.hConnection = ex->hConnection;
    out->port1.dwBytesXmited = ex->dwBytesXmited;
    out->port1.dwBytesRcved = ex->dwBytesRcved;
    out->port1.dwFramesXmited = ex->dwFramesXmited;
    out->port1.dwFramesRcved = ex->dwFramesRcved;
}
