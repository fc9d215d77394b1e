/* SPDX-License-Identifier: MIT */
#include "record.h"

#include <string.h>

#define WSTR_FIELD(dst, src)                                                                       \
    rh_utf16_to_utf8((src), sizeof(src) / sizeof((src)[0]), (dst), sizeof(dst), NULL)

enum rh_ex_status rh_ex_check_header(const struct rh_mprapi_object_header *h, size_t *readable)
{
    *readable = 0;
    if (h == NULL)
        return RH_EX_NULL;
    if (h->type != RH_MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT)
        return RH_EX_BAD_TYPE;
    if (h->revision < RH_MPRAPI_RAS_CONNECTION_OBJECT_REVISION_1)
        return RH_EX_BAD_REVISION;
    if (h->size < sizeof *h)
        return RH_EX_TOO_SMALL;
    if (h->size < sizeof(struct rh_ras_connection_ex)) {
        *readable = h->size;
        return RH_EX_SHORT;
    }
    *readable = sizeof(struct rh_ras_connection_ex);
    return RH_EX_OK;
}

const char *rh_ex_status_text(enum rh_ex_status status)
{
    switch (status) {
    case RH_EX_OK:
        return "valid";
    case RH_EX_SHORT:
        return "shorter than revision 1; missing members read as zero";
    case RH_EX_NULL:
        return "NULL structure";
    case RH_EX_BAD_TYPE:
        return "header type is not RAS_CONNECTION_OBJECT (1)";
    case RH_EX_BAD_REVISION:
        return "header revision is 0";
    case RH_EX_TOO_SMALL:
        return "header size is smaller than the header";
    }
    return "unknown status";
}

const char *rh_tunnel_name(enum rh_tunnel t)
{
    switch (t) {
    case RH_TUNNEL_PPP:
        return "ppp";
    case RH_TUNNEL_IKEV2:
        return "ikev2";
    case RH_TUNNEL_UNKNOWN:
        break;
    }
    return NULL;
}

static void record_begin(struct rh_record *r, uint32_t duration_s, const struct rh_event_meta *m)
{
    uint64_t duration_ms = (uint64_t)duration_s * 1000;

    memset(r, 0, sizeof *r);
    r->time_ms = m->time_ms;
    r->duration_s = duration_s;
    r->start_ms = m->time_ms >= duration_ms ? m->time_ms - duration_ms : 0;
    if (m->server != NULL) {
        struct rh_buf b;

        rh_buf_init(&b, r->server, sizeof r->server);
        rh_buf_append(&b, m->server, rh_strnlen(m->server, sizeof r->server - 1));
    }
}

static void set_connection_id(struct rh_record *r, const struct rh_guid *g)
{
    if (!rh_guid_is_nil(g))
        rh_guid_format(g, r->connection_id);
}

static void set_ipv4(char out[RH_IPV4_STRING_SIZE], const rh_wchar *src, size_t cap)
{
    uint8_t addr[4];

    if (rh_ipv4_parse(src, cap, addr) && (addr[0] | addr[1] | addr[2] | addr[3]) != 0)
        rh_ipv4_format(addr, out);
}

static enum rh_tunnel tunnel_from_flags(uint32_t flags)
{
    if (flags & RH_RAS_FLAGS_IKEV2_CONNECTION)
        return RH_TUNNEL_IKEV2;
    if (flags & RH_RAS_FLAGS_PPP_CONNECTION)
        return RH_TUNNEL_PPP;
    return RH_TUNNEL_UNKNOWN;
}

void rh_record_from_ex(struct rh_record *r, const struct rh_ras_connection_ex *c,
                       const struct rh_event_meta *meta)
{
    const struct rh_projection_info *pi = &c->ProjectionInfo;

    record_begin(r, c->dwConnectDuration, meta);
    set_connection_id(r, &c->guid);
    WSTR_FIELD(r->user, c->wszUserName);
    WSTR_FIELD(r->domain, c->wszLogonDomain);
    WSTR_FIELD(r->remote_endpoint, c->wszRemoteEndpointAddress);
    WSTR_FIELD(r->local_endpoint, c->wszLocalEndpointAddress);
    r->bytes_sent = c->dwBytesXmited;
    r->bytes_received = c->dwBytesRcved;
    r->frames_sent = c->dwFramesXmited;
    r->frames_received = c->dwFramesRcved;

    switch (pi->projectionInfoType) {
    case RH_MPRAPI_PPP_PROJECTION_INFO_TYPE:
        r->tunnel = RH_TUNNEL_PPP;
        set_ipv4(r->client_ipv4, pi->PppProjectionInfo.wszRemoteAddress, RH_IPADDRESSLEN + 1);
        break;
    case RH_MPRAPI_IKEV2_PROJECTION_INFO_TYPE:
        r->tunnel = RH_TUNNEL_IKEV2;
        set_ipv4(r->client_ipv4, pi->Ikev2ProjectionInfo.wszRemoteAddress, RH_IPADDRESSLEN + 1);
        break;
    default:
        /* No projection we can read: the flags still tell the tunnel kind. */
        r->tunnel = tunnel_from_flags(c->dwConnectionFlags);
        break;
    }
}

void rh_record_from_legacy(struct rh_record *r, const struct rh_ras_connection_0 *c0,
                           const struct rh_ras_connection_1 *c1,
                           const struct rh_ras_connection_2 *c2,
                           const struct rh_ras_connection_3 *c3, const struct rh_event_meta *meta)
{
    record_begin(r, c0 != NULL ? c0->dwConnectDuration : 0, meta);
    if (c0 != NULL) {
        WSTR_FIELD(r->user, c0->wszUserName);
        WSTR_FIELD(r->domain, c0->wszLogonDomain);
        r->tunnel = tunnel_from_flags(c0->dwConnectionFlags);
    }
    if (c1 != NULL) {
        r->bytes_sent = c1->dwBytesXmited;
        r->bytes_received = c1->dwBytesRcved;
        r->frames_sent = c1->dwFramesXmited;
        r->frames_received = c1->dwFramesRcved;
        set_ipv4(r->client_ipv4, c1->PppInfo.ip.wszRemoteAddress, RH_IPADDRESSLEN + 1);
    }
    if (c2 != NULL) {
        if (r->user[0] == '\0')
            WSTR_FIELD(r->user, c2->wszUserName);
        set_connection_id(r, &c2->guid);
        if (r->client_ipv4[0] == '\0')
            set_ipv4(r->client_ipv4, c2->PppInfo2.ip.wszRemoteAddress, RH_IPADDRESSLEN + 1);
    }
    if (c3 != NULL) {
        if (r->user[0] == '\0')
            WSTR_FIELD(r->user, c3->wszUserName);
        if (r->connection_id[0] == '\0')
            set_connection_id(r, &c3->guid);
        if (r->client_ipv4[0] == '\0')
            set_ipv4(r->client_ipv4, c3->PppInfo3.ip.wszRemoteAddress, RH_IPADDRESSLEN + 1);
    }
}
