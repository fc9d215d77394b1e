/* SPDX-License-Identifier: MIT */
/* Hand-written RRAS structures for the core's tests: known values, byte-exact outputs. */
#ifndef FIXTURES_H
#define FIXTURES_H

#include <string.h>

#include "rashangup/ras_abi.h"
#include "text.h"

#define FX_SET_W(dst, utf8)                                                                        \
    rh_utf8_to_utf16((utf8), strlen(utf8), (dst), sizeof(dst) / sizeof((dst)[0]))

/* 1 h 2 min 3 s of SSTP (PPP) for CONTOSO\alice, hung up 2026-11-29T18:00:00.250Z. */
#define FX_HANGUP_MS 1795975200250ull

/* A record id: 019ad0b8-...: UUIDv7 bytes as the shell would make them. */
static const uint8_t fx_record_id[16] = {0x01, 0x9a, 0xd0, 0xb8, 0x4f, 0x7a, 0x70, 0x00,
                                         0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a};

static inline void fx_ppp(struct rh_ras_connection_ex *c)
{
    struct rh_ppp_projection_info *p = &c->ProjectionInfo.PppProjectionInfo;

    memset(c, 0, sizeof *c);
    c->Header.revision = 1;
    c->Header.type = RH_MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT;
    c->Header.size = (uint16_t)sizeof *c;
    c->dwConnectDuration = 3723;
    c->dwConnectionFlags = RH_RAS_FLAGS_PPP_CONNECTION;
    FX_SET_W(c->wszInterfaceName, "alice");
    FX_SET_W(c->wszUserName, "alice");
    FX_SET_W(c->wszLogonDomain, "CONTOSO");
    FX_SET_W(c->wszRemoteComputer, "LAPTOP-7");
    c->guid = (struct rh_guid){
        0x6B29FC40, 0xCA47, 0x1067, {0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA}};
    c->dwBytesXmited = 1000000;
    c->dwBytesRcved = 250000;
    c->dwFramesXmited = 800;
    c->dwFramesRcved = 600;
    FX_SET_W(c->wszRemoteEndpointAddress, "203.0.113.9");
    FX_SET_W(c->wszLocalEndpointAddress, "192.0.2.10");
    c->ProjectionInfo.projectionInfoType = RH_MPRAPI_PPP_PROJECTION_INFO_TYPE;
    FX_SET_W(p->wszAddress, "198.51.100.1");
    FX_SET_W(p->wszRemoteAddress, "198.51.100.23");
    p->dwAuthenticationProtocol = 0xC227;
    p->dwEapTypeId = 26;
    p->dwCcpOptions = 0x40;        /* MPPE 128-bit */
    p->dwCompressionAlgorithm = 6; /* MPPC */
    {
        static const uint8_t prefix[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x42, 0x00, 0x00};
        static const uint8_t client[8] = {0x02, 0x15, 0x5d, 0xff, 0xfe, 0x01, 0x02, 0x03};
        static const uint8_t server[8] = {0, 0, 0, 0, 0, 0, 0, 1};

        memcpy(p->bPrefix, prefix, 8);
        memcpy(p->bRemoteInterfaceIdentifier, client, 8);
        memcpy(p->bInterfaceIdentifier, server, 8);
        p->dwPrefixLength = 64;
    }
    c->dwCrcErr = 1;
    c->dwTimeoutErr = 2;
    c->dwAlignmentErr = 3;
    c->dwHardwareOverrunErr = 4;
    c->dwFramingErr = 5;
    c->dwBufferOverrunErr = 6;
    c->dwCompressionRatioIn = 87;
    c->dwCompressionRatioOut = 91;
    c->hConnection = 0x1234;
}

/* The same user over IKEv2 with machine certificates, from an IPv6 endpoint. */
static inline void fx_ikev2(struct rh_ras_connection_ex *c)
{
    struct rh_ikev2_projection_info *k;

    fx_ppp(c);
    k = &c->ProjectionInfo.Ikev2ProjectionInfo;
    memset(&c->ProjectionInfo, 0, sizeof c->ProjectionInfo);
    c->dwConnectionFlags = RH_RAS_FLAGS_IKEV2_CONNECTION;
    FX_SET_W(c->wszRemoteEndpointAddress, "2001:db8::7");
    c->ProjectionInfo.projectionInfoType = RH_MPRAPI_IKEV2_PROJECTION_INFO_TYPE;
    FX_SET_W(k->wszAddress, "198.51.100.1");
    FX_SET_W(k->wszRemoteAddress, "198.51.100.24");
    k->dwAuthenticationProtocol = 1;
    k->dwEncryptionMethod = 5;
    c->dwNumSwitchOvers = 2;
}

#endif
