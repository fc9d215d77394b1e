/* SPDX-License-Identifier: MIT */
#include "record.h"
#include "hot.h"

#include <string.h>

/* Converts a UTF-16 array member to UTF-8, reading no further than the array. */
#define TEXT_FIELD(r, dst, src)                                                                    \
    text_field((r), (dst).s, sizeof((dst).s), &(dst).len, (src), sizeof(src) / sizeof((src)[0]))

static void text_field(struct rh_record *r, char *dst, size_t dst_size, uint16_t *len,
                       const rh_wchar *src, size_t src_cap)
{
    bool replaced = false;

    *len = (uint16_t)rh_utf16_to_utf8_ex(src, src_cap, dst, dst_size, NULL, &replaced);
    if (replaced)
        r->warnings |= RH_WARN_INVALID_UTF16;
}

static void set_name(struct rh_name *n, const char *name, uint32_t value, bool hex)
{
    n->name = name;
    n->value = value;
    n->known = true;
    n->hex = hex;
}

RH_HOT enum rh_ex_status rh_ex_check_header(const struct rh_mprapi_object_header *h,
                                            size_t *readable)
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

RH_HOT enum rh_ex_status rh_ex_readable(const void *p, size_t avail, size_t *readable)
{
    struct rh_mprapi_object_header h;
    enum rh_ex_status st;

    *readable = 0;
    if (p == NULL)
        return RH_EX_NULL;
    if (avail < sizeof h)
        return RH_EX_TOO_SMALL;
    memcpy(&h, p, sizeof h);
    st = rh_ex_check_header(&h, readable);
    if (st != RH_EX_OK && st != RH_EX_SHORT)
        return st;
    if (*readable > avail) {
        *readable = avail;
        st = RH_EX_SHORT;
    }
    return st;
}

enum rh_ex_status rh_ex_capture(struct rh_ras_connection_ex *copy, const void *p, size_t avail)
{
    size_t readable;
    enum rh_ex_status st = rh_ex_readable(p, avail, &readable);

    memset(copy, 0, sizeof *copy);
    if (st == RH_EX_OK || st == RH_EX_SHORT)
        memcpy(copy, p, readable);
    return st;
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

/* ROUTER_INTERFACE_TYPE */
static void set_interface_type(struct rh_record *r, uint32_t type)
{
    static const char *const names[] = {"client",   "home_router", "full_router", "dedicated",
                                        "internal", "loopback",    "tunnel1",     "dialout"};

    set_name(&r->interface_type, type < 8 ? names[type] : NULL, type, false);
}

/* RAS_QUARANTINE_STATE, and the probation deadline that goes with PROBATION. */
static void set_quarantine(struct rh_record *r, uint32_t state, const struct rh_filetime *ft)
{
    static const char *const names[] = {"normal", "quarantine", "probation", "not_capable"};

    r->present |= RH_HAS_QUARANTINE;
    set_name(&r->quarantine_state, state < 4 ? names[state] : NULL, state, false);
    if (state == 2 && (ft->dwLowDateTime | ft->dwHighDateTime) != 0) {
        r->probation_ms = rh_filetime_to_unix_ms(ft);
        r->present |= RH_HAS_PROBATION;
    }
}

static void clear_texts(struct rh_record *r)
{
    r->server.len = r->user.len = r->domain.len = r->interface_name.len = 0;
    r->remote_computer.len = r->remote_endpoint.len = r->local_endpoint.len = 0;
    r->server.s[0] = r->user.s[0] = r->domain.s[0] = r->interface_name.s[0] = '\0';
    r->remote_computer.s[0] = r->remote_endpoint.s[0] = r->local_endpoint.s[0] = '\0';
}

/* Starts a record: the scalar head cleared (so nothing is known yet), texts empty. */
static void record_begin(struct rh_record *r, uint32_t duration_s, const struct rh_record_meta *m)
{
    uint64_t duration_ms = (uint64_t)duration_s * 1000;

    memset(r, 0, offsetof(struct rh_record, server));
    clear_texts(r);
    r->time_ms = m->time_ms;
    r->duration_s = duration_s;
    r->start_ms = m->time_ms >= duration_ms ? m->time_ms - duration_ms : 0;
    if (m->server != NULL) {
        r->server.len = (uint16_t)rh_strnlen(m->server, sizeof r->server.s - 1);
        memcpy(r->server.s, m->server, r->server.len);
        r->server.s[r->server.len] = '\0';
    }
    if (m->record_id != NULL) {
        memcpy(r->record_id, m->record_id, sizeof r->record_id);
        r->present |= RH_HAS_RECORD_ID;
    }
}

void rh_record_from_meta(struct rh_record *r, const struct rh_record_meta *meta)
{
    record_begin(r, 0, meta);
}

static void set_connection_id(struct rh_record *r, const struct rh_guid *g)
{
    if (rh_guid_is_nil(g))
        return;
    r->connection_id = *g;
    r->present |= RH_HAS_CONNECTION_ID;
}

static void set_ipv4(struct rh_record *r, const rh_wchar server[RH_IPADDRESSLEN + 1],
                     const rh_wchar client[RH_IPADDRESSLEN + 1], uint32_t error)
{
    uint8_t addr[4];

    r->present |= RH_HAS_IPV4;
    r->ipv4_error = error;
    if (rh_ipv4_parse(client, RH_IPADDRESSLEN + 1, addr)) {
        if ((addr[0] | addr[1] | addr[2] | addr[3]) != 0) {
            memcpy(r->client_ipv4, addr, 4);
            r->present |= RH_HAS_CLIENT_IPV4;
        }
    } else if (client[0] != 0) {
        r->warnings |= RH_WARN_CLIENT_IPV4_INVALID;
    }
    if (rh_ipv4_parse(server, RH_IPADDRESSLEN + 1, addr) &&
        (addr[0] | addr[1] | addr[2] | addr[3]) != 0) {
        memcpy(r->server_ipv4, addr, 4);
        r->present |= RH_HAS_SERVER_IPV4;
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* The client's address is the prefix followed by its interface identifier. */
static void set_ipv6(struct rh_record *r, const uint8_t prefix[8], uint32_t prefix_len,
                     const uint8_t local_iid[8], const uint8_t remote_iid[8], uint32_t error)
{
    r->present |= RH_HAS_IPV6;
    r->ipv6_error = error;
    if (all_zero(prefix, 8))
        return;
    if (prefix_len > 64) {
        r->warnings |= RH_WARN_IPV6_PREFIX_LENGTH;
        prefix_len = 64;
    }
    memcpy(r->ipv6_prefix, prefix, 8);
    memset(r->ipv6_prefix + 8, 0, 8);
    r->ipv6_prefix_length = prefix_len;
    r->present |= RH_HAS_IPV6_PREFIX;
    if (!all_zero(remote_iid, 8)) {
        memcpy(r->client_ipv6, prefix, 8);
        memcpy(r->client_ipv6 + 8, remote_iid, 8);
        r->present |= RH_HAS_CLIENT_IPV6;
    }
    if (!all_zero(local_iid, 8)) {
        memcpy(r->server_ipv6, prefix, 8);
        memcpy(r->server_ipv6 + 8, local_iid, 8);
        r->present |= RH_HAS_SERVER_IPV6;
    }
}

/* IANA EAP method types that VPN servers meet; others keep only their number. */
static const char *eap_method_name(uint32_t type)
{
    switch (type) {
    case 4:
        return "md5-challenge";
    case 6:
        return "gtc";
    case 13:
        return "tls";
    case 17:
        return "leap";
    case 18:
        return "sim";
    case 21:
        return "ttls";
    case 23:
        return "aka";
    case 25:
        return "peap";
    case 26:
        return "ms-chapv2";
    case 29:
        return "ms-chapv2-old";
    case 43:
        return "fast";
    case 49:
        return "ikev2";
    case 50:
        return "aka-prime";
    case 52:
        return "pwd";
    case 55:
        return "teap";
    default:
        return NULL;
    }
}

static void set_eap(struct rh_record *r, uint32_t type)
{
    const char *name = eap_method_name(type);

    r->present |= RH_HAS_EAP;
    r->eap_type = type;
    if (name != NULL)
        set_name(&r->eap_method, name, type, false);
}

static void set_compression(struct rh_record *r, uint32_t algorithm)
{
    if (algorithm == 6)
        set_name(&r->compression, "mppc", algorithm, false);
    else if (algorithm == 5)
        set_name(&r->compression, "stac", algorithm, false);
    else if (algorithm != 0)
        set_name(&r->compression, NULL, algorithm, false);
}

/* PPP's LCP authentication, IPsec (LCP options) or MPPE (CCP options) encryption. */
static void set_ppp_security(struct rh_record *r, uint32_t auth_protocol, uint32_t auth_data,
                             uint32_t eap_type, uint32_t lcp_options, uint32_t ccp_options,
                             uint32_t compression)
{
    const bool stateless = (ccp_options & 0x01000000) != 0;
    const char *enc = NULL;

    switch (auth_protocol) {
    case 0:
        break;
    case 0xC023:
        set_name(&r->authentication, "pap", auth_protocol, true);
        break;
    case 0xC027:
        set_name(&r->authentication, "spap", auth_protocol, true);
        break;
    case 0xC223:
        set_name(&r->authentication,
                 auth_data == 0x05   ? "chap-md5"
                 : auth_data == 0x80 ? "ms-chap"
                 : auth_data == 0x81 ? "ms-chapv2"
                                     : "chap",
                 auth_protocol, true);
        break;
    case 0xC227:
        set_name(&r->authentication, "eap", auth_protocol, true);
        set_eap(r, eap_type);
        break;
    default:
        set_name(&r->authentication, NULL, auth_protocol, true);
        break;
    }

    if (lcp_options & 0x80)
        enc = "aes-256";
    else if (lcp_options & 0x40)
        enc = "aes-128";
    else if (lcp_options & 0x20)
        enc = "3des";
    else if (lcp_options & 0x10)
        enc = "des-56";
    else if (ccp_options & 0x40)
        enc = stateless ? "mppe-128-stateless" : "mppe-128";
    else if (ccp_options & 0x80)
        enc = stateless ? "mppe-56-stateless" : "mppe-56";
    else if (ccp_options & 0x30)
        enc = stateless ? "mppe-40-stateless" : "mppe-40";
    if (enc != NULL)
        set_name(&r->encryption, enc, 0, false);
    set_compression(r, compression);
}

static void set_ikev2_security(struct rh_record *r, const struct rh_ikev2_projection_info *k)
{
    static const char *const ciphers[] = {NULL, "des", "3des", "aes-128", "aes-192", "aes-256"};
    const uint32_t cipher = k->dwEncryptionMethod;

    if (k->dwAuthenticationProtocol == 1) {
        set_name(&r->authentication, "certificate", 1, false);
    } else if (k->dwAuthenticationProtocol == 2) {
        set_name(&r->authentication, "eap", 2, false);
        set_eap(r, k->dwEapTypeId);
    } else if (k->dwAuthenticationProtocol != 0) {
        set_name(&r->authentication, NULL, k->dwAuthenticationProtocol, false);
    }
    if (cipher != 0)
        set_name(&r->encryption, cipher < 6 ? ciphers[cipher] : NULL, cipher, false);
    set_compression(r, k->dwCompressionAlgorithm);
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
                       enum rh_ex_status status, const struct rh_record_meta *meta)
{
    const struct rh_projection_info *pi = &c->ProjectionInfo;
    const bool ikev2_flag = (c->dwConnectionFlags & RH_RAS_FLAGS_IKEV2_CONNECTION) != 0;

    record_begin(r, c->dwConnectDuration, meta);
    r->present |= RH_HAS_INTERFACE | RH_HAS_COUNTERS | RH_HAS_ENDPOINTS;
    if (status == RH_EX_SHORT)
        r->warnings |= RH_WARN_STRUCTURE_SHORT;
    set_connection_id(r, &c->guid);
    TEXT_FIELD(r, r->user, c->wszUserName);
    TEXT_FIELD(r, r->domain, c->wszLogonDomain);
    TEXT_FIELD(r, r->interface_name, c->wszInterfaceName);
    set_interface_type(r, c->dwInterfaceType);
    TEXT_FIELD(r, r->remote_computer, c->wszRemoteComputer);
    r->connection_flags = c->dwConnectionFlags;
    TEXT_FIELD(r, r->remote_endpoint, c->wszRemoteEndpointAddress);
    TEXT_FIELD(r, r->local_endpoint, c->wszLocalEndpointAddress);
    set_quarantine(r, c->rasQuarState, &c->probationTime);
    r->bytes_sent = c->dwBytesXmited;
    r->bytes_received = c->dwBytesRcved;
    r->frames_sent = c->dwFramesXmited;
    r->frames_received = c->dwFramesRcved;
    r->crc_errors = c->dwCrcErr;
    r->timeout_errors = c->dwTimeoutErr;
    r->alignment_errors = c->dwAlignmentErr;
    r->hardware_overrun_errors = c->dwHardwareOverrunErr;
    r->framing_errors = c->dwFramingErr;
    r->buffer_overrun_errors = c->dwBufferOverrunErr;
    r->compression_ratio_in = c->dwCompressionRatioIn;
    r->compression_ratio_out = c->dwCompressionRatioOut;
    r->mobike_switchovers = c->dwNumSwitchOvers;

    /* The projection type chooses the union member; the flags only cross-check it. */
    switch (pi->projectionInfoType) {
    case RH_MPRAPI_PPP_PROJECTION_INFO_TYPE: {
        const struct rh_ppp_projection_info *p = &pi->PppProjectionInfo;

        r->tunnel = RH_TUNNEL_PPP;
        if (ikev2_flag)
            r->warnings |= RH_WARN_PROJECTION_MISMATCH;
        set_ipv4(r, p->wszAddress, p->wszRemoteAddress, p->dwIPv4NegotiationError);
        set_ipv6(r, p->bPrefix, p->dwPrefixLength, p->bInterfaceIdentifier,
                 p->bRemoteInterfaceIdentifier, p->dwIPv6NegotiationError);
        set_ppp_security(r, p->dwAuthenticationProtocol, p->dwAuthenticationData, p->dwEapTypeId,
                         p->dwLcpOptions, p->dwCcpOptions, p->dwCompressionAlgorithm);
        r->present |= RH_HAS_PPP_ERRORS;
        r->lcp_error = p->dwLcpError;
        r->ccp_error = p->dwCcpError;
        break;
    }
    case RH_MPRAPI_IKEV2_PROJECTION_INFO_TYPE: {
        const struct rh_ikev2_projection_info *k = &pi->Ikev2ProjectionInfo;

        r->tunnel = RH_TUNNEL_IKEV2;
        if (!ikev2_flag)
            r->warnings |= RH_WARN_PROJECTION_MISMATCH;
        set_ipv4(r, k->wszAddress, k->wszRemoteAddress, k->dwIPv4NegotiationError);
        set_ipv6(r, k->bPrefix, k->dwPrefixLength, k->bInterfaceIdentifier,
                 k->bRemoteInterfaceIdentifier, k->dwIPv6NegotiationError);
        set_ikev2_security(r, k);
        break;
    }
    default:
        /* No projection we can read: the flags still tell the tunnel kind. */
        r->tunnel = tunnel_from_flags(c->dwConnectionFlags);
        r->warnings |= RH_WARN_PROJECTION_UNKNOWN;
        break;
    }
}

/* LCP, CCP and IPCP of PPP_INFO_2 and PPP_INFO_3 (the same members). */
static void legacy_ppp(struct rh_record *r, const struct rh_ppp_ipcp_info2 *ip,
                       const struct rh_ppp_ccp_info *ccp, const struct rh_ppp_lcp_info *lcp)
{
    set_ipv4(r, ip->wszAddress, ip->wszRemoteAddress, ip->dwError);
    set_ppp_security(r, lcp->dwAuthenticationProtocol, lcp->dwAuthenticationData, lcp->dwEapTypeId,
                     lcp->dwOptions, ccp->dwOptions, ccp->dwCompressionAlgorithm);
    r->present |= RH_HAS_PPP_ERRORS;
    r->lcp_error = lcp->dwError;
    r->ccp_error = ccp->dwError;
}

void rh_record_from_legacy(struct rh_record *r, const struct rh_ras_connection_0 *c0,
                           const struct rh_ras_connection_1 *c1,
                           const struct rh_ras_connection_2 *c2,
                           const struct rh_ras_connection_3 *c3, const struct rh_record_meta *meta)
{
    record_begin(r, c0 != NULL ? c0->dwConnectDuration : 0, meta);
    if (c0 != NULL) {
        r->present |= RH_HAS_INTERFACE;
        TEXT_FIELD(r, r->user, c0->wszUserName);
        TEXT_FIELD(r, r->domain, c0->wszLogonDomain);
        TEXT_FIELD(r, r->interface_name, c0->wszInterfaceName);
        set_interface_type(r, c0->dwInterfaceType);
        TEXT_FIELD(r, r->remote_computer, c0->wszRemoteComputer);
        r->connection_flags = c0->dwConnectionFlags;
        r->tunnel = tunnel_from_flags(c0->dwConnectionFlags);
    }
    if (c1 != NULL) {
        r->present |= RH_HAS_COUNTERS;
        r->bytes_sent = c1->dwBytesXmited;
        r->bytes_received = c1->dwBytesRcved;
        r->frames_sent = c1->dwFramesXmited;
        r->frames_received = c1->dwFramesRcved;
        r->crc_errors = c1->dwCrcErr;
        r->timeout_errors = c1->dwTimeoutErr;
        r->alignment_errors = c1->dwAlignmentErr;
        r->hardware_overrun_errors = c1->dwHardwareOverrunErr;
        r->framing_errors = c1->dwFramingErr;
        r->buffer_overrun_errors = c1->dwBufferOverrunErr;
        r->compression_ratio_in = c1->dwCompressionRatioIn;
        r->compression_ratio_out = c1->dwCompressionRatioOut;
        set_ipv4(r, c1->PppInfo.ip.wszAddress, c1->PppInfo.ip.wszRemoteAddress,
                 c1->PppInfo.ip.dwError);
    }
    /* Level 3 carries everything level 2 does, and IPv6 and quarantine: prefer it. */
    if (c3 != NULL) {
        if (r->user.len == 0)
            TEXT_FIELD(r, r->user, c3->wszUserName);
        set_connection_id(r, &c3->guid);
        legacy_ppp(r, &c3->PppInfo3.ip, &c3->PppInfo3.ccp, &c3->PppInfo3.lcp);
        set_ipv6(r, c3->PppInfo3.ipv6.bPrefix, c3->PppInfo3.ipv6.dwPrefixLength,
                 c3->PppInfo3.ipv6.bInterfaceIdentifier,
                 c3->PppInfo3.ipv6.bRemoteInterfaceIdentifier, c3->PppInfo3.ipv6.dwError);
        set_quarantine(r, c3->rasQuarState, &c3->timer);
    } else if (c2 != NULL) {
        if (r->user.len == 0)
            TEXT_FIELD(r, r->user, c2->wszUserName);
        set_connection_id(r, &c2->guid);
        legacy_ppp(r, &c2->PppInfo2.ip, &c2->PppInfo2.ccp, &c2->PppInfo2.lcp);
    }
    if (c2 != NULL && !(r->present & RH_HAS_CONNECTION_ID))
        set_connection_id(r, &c2->guid);
}

/* Names of connection-flag bits (RAS_FLAGS_*), then of warning bits (RH_WARN_*). */
static const char *const flag_names[32] = {
    [0] = "ppp", [1] = "messenger", [3] = "quarantine", [4] = "ikev2", [5] = "dormant",
};
static const char *const warning_names[32] = {
    [0] = "structure_short", [1] = "projection_unknown",  [2] = "projection_mismatch",
    [3] = "invalid_utf16",   [4] = "client_ipv4_invalid", [5] = "ipv6_prefix_length",
    [6] = "simulated",
};

const char *rh_list_name(unsigned list, unsigned bit)
{
    if (bit >= 32)
        return NULL;
    return list == RH_LIST_CONNECTION_FLAGS ? flag_names[bit] : warning_names[bit];
}

const char *rh_list_item(unsigned list, unsigned bit, char unnamed[16])
{
    const char *name = rh_list_name(list, bit);
    struct rh_buf b;

    if (name != NULL)
        return name;
    rh_buf_init(&b, unnamed, 16);
    rh_buf_append(&b, "0x", 2);
    rh_buf_append_hex(&b, bit < 32 ? 1u << bit : 0);
    return unnamed;
}

char *rh_list_write(char *p, unsigned list, uint32_t bits, char sep, bool quoted)
{
    bool first = true;

    for (unsigned bit = 0; bit < 32 && bits >> bit != 0; bit++) {
        char unnamed[16];
        const char *name;
        size_t n;

        if (!(bits & (1u << bit)))
            continue;
        name = rh_list_item(list, bit, unnamed);
        n = strlen(name);
        if (!first)
            *p++ = sep;
        if (quoted)
            *p++ = '"';
        memcpy(p, name, n);
        p += n;
        if (quoted)
            *p++ = '"';
        first = false;
    }
    return p;
}

#define NAME(n) n, (uint8_t)(sizeof(n) - 1)
_Static_assert(sizeof("hardware_overrun_errors") < RH_FIELD_NAME_STORAGE, "names fit their blocks");

static const struct {
    char name[RH_FIELD_NAME_STORAGE];
    uint8_t len;
} field_names[RH_FIELD_COUNT] = {
    {NAME("event")},
    {NAME("record_id")},
    {NAME("time")},
    {NAME("start_time")},
    {NAME("duration_s")},
    {NAME("server")},
    {NAME("connection_id")},
    {NAME("user")},
    {NAME("domain")},
    {NAME("interface_name")},
    {NAME("interface_type")},
    {NAME("remote_computer")},
    {NAME("tunnel")},
    {NAME("connection_flags")},
    {NAME("remote_endpoint")},
    {NAME("local_endpoint")},
    {NAME("client_ipv4")},
    {NAME("server_ipv4")},
    {NAME("ipv4_error")},
    {NAME("client_ipv6")},
    {NAME("server_ipv6")},
    {NAME("ipv6_prefix")},
    {NAME("ipv6_error")},
    {NAME("authentication")},
    {NAME("eap_type")},
    {NAME("eap_method")},
    {NAME("encryption")},
    {NAME("compression")},
    {NAME("lcp_error")},
    {NAME("ccp_error")},
    {NAME("quarantine_state")},
    {NAME("probation_time")},
    {NAME("bytes_sent")},
    {NAME("bytes_received")},
    {NAME("frames_sent")},
    {NAME("frames_received")},
    {NAME("crc_errors")},
    {NAME("timeout_errors")},
    {NAME("alignment_errors")},
    {NAME("hardware_overrun_errors")},
    {NAME("framing_errors")},
    {NAME("buffer_overrun_errors")},
    {NAME("compression_ratio_in")},
    {NAME("compression_ratio_out")},
    {NAME("mobike_switchovers")},
    {NAME("warnings")},
};

const char *rh_field_name(size_t i)
{
    return i < RH_FIELD_COUNT ? field_names[i].name : NULL;
}

struct field_writer {
    struct rh_field *out;
    size_t n;
};

static void put(struct field_writer *w, enum rh_field_kind kind, bool null, const void *p,
                uint64_t num)
{
    struct rh_field *f = &w->out[w->n];

    f->name = field_names[w->n].name;
    f->name_len = field_names[w->n].len;
    f->kind = (uint8_t)kind;
    f->null = null;
    f->list = 0;
    f->p = p;
    f->num = num;
    w->n++;
}

/* Text; null when `null`, or when empty and `empty_is_null`. */
static void text(struct field_writer *w, const char *s, size_t len, bool null, bool empty_is_null)
{
    put(w, RH_FIELD_TEXT, null || (empty_is_null && len == 0), s, len);
}

static void name(struct field_writer *w, const struct rh_name *n)
{
    put(w, RH_FIELD_NAME, !n->known, n, 0);
}

static void num(struct field_writer *w, uint64_t v, bool null)
{
    put(w, RH_FIELD_NUMBER, null, NULL, v);
}

size_t rh_record_fields(const struct rh_record *r, struct rh_field out[RH_FIELD_COUNT])
{
    static const struct rh_name hangup = {"hangup", 0, true, false};
    static const struct rh_name tunnels[] = {
        {NULL, 0, false, false}, {"ppp", 0, true, false}, {"ikev2", 0, true, false}};
    struct field_writer w = {out, 0};
    const uint32_t has = r->present;
    const bool no_iface = !(has & RH_HAS_INTERFACE);
    const bool no_counters = !(has & RH_HAS_COUNTERS);
    const bool no_ends = !(has & RH_HAS_ENDPOINTS);

    name(&w, &hangup);
    put(&w, RH_FIELD_UUID, !(has & RH_HAS_RECORD_ID), r->record_id, 0);
    put(&w, RH_FIELD_TIME, false, NULL, r->time_ms);
    put(&w, RH_FIELD_TIME, false, NULL, r->start_ms);
    num(&w, r->duration_s, false);
    text(&w, r->server.s, r->server.len, false, true);
    put(&w, RH_FIELD_GUID, !(has & RH_HAS_CONNECTION_ID), &r->connection_id, 0);
    text(&w, r->user.s, r->user.len, false, false);
    text(&w, r->domain.s, r->domain.len, false, false);
    text(&w, r->interface_name.s, r->interface_name.len, no_iface, false);
    name(&w, &r->interface_type);
    text(&w, r->remote_computer.s, r->remote_computer.len, no_iface, false);
    name(&w, &tunnels[r->tunnel <= RH_TUNNEL_IKEV2 ? r->tunnel : 0]);
    put(&w, RH_FIELD_LIST, no_iface, NULL, r->connection_flags);
    out[w.n - 1].list = RH_LIST_CONNECTION_FLAGS;
    text(&w, r->remote_endpoint.s, r->remote_endpoint.len, no_ends, true);
    text(&w, r->local_endpoint.s, r->local_endpoint.len, no_ends, true);
    put(&w, RH_FIELD_IPV4, !(has & RH_HAS_CLIENT_IPV4), r->client_ipv4, 0);
    put(&w, RH_FIELD_IPV4, !(has & RH_HAS_SERVER_IPV4), r->server_ipv4, 0);
    num(&w, r->ipv4_error, !(has & RH_HAS_IPV4));
    put(&w, RH_FIELD_IPV6, !(has & RH_HAS_CLIENT_IPV6), r->client_ipv6, 0);
    put(&w, RH_FIELD_IPV6, !(has & RH_HAS_SERVER_IPV6), r->server_ipv6, 0);
    put(&w, RH_FIELD_PREFIX, !(has & RH_HAS_IPV6_PREFIX), r->ipv6_prefix, r->ipv6_prefix_length);
    num(&w, r->ipv6_error, !(has & RH_HAS_IPV6));
    name(&w, &r->authentication);
    num(&w, r->eap_type, !(has & RH_HAS_EAP));
    name(&w, &r->eap_method);
    name(&w, &r->encryption);
    name(&w, &r->compression);
    num(&w, r->lcp_error, !(has & RH_HAS_PPP_ERRORS));
    num(&w, r->ccp_error, !(has & RH_HAS_PPP_ERRORS));
    name(&w, &r->quarantine_state);
    put(&w, RH_FIELD_TIME, !(has & RH_HAS_PROBATION), NULL, r->probation_ms);
    num(&w, r->bytes_sent, no_counters);
    num(&w, r->bytes_received, no_counters);
    num(&w, r->frames_sent, no_counters);
    num(&w, r->frames_received, no_counters);
    num(&w, r->crc_errors, no_counters);
    num(&w, r->timeout_errors, no_counters);
    num(&w, r->alignment_errors, no_counters);
    num(&w, r->hardware_overrun_errors, no_counters);
    num(&w, r->framing_errors, no_counters);
    num(&w, r->buffer_overrun_errors, no_counters);
    num(&w, r->compression_ratio_in, no_counters);
    num(&w, r->compression_ratio_out, no_counters);
    num(&w, r->mobike_switchovers, no_ends);
    put(&w, RH_FIELD_LIST, false, NULL, r->warnings);
    out[w.n - 1].list = RH_LIST_WARNINGS;
    return w.n;
}

char *rh_field_write(char *p, const struct rh_field *f, char list_sep)
{
    switch (f->kind) {
    case RH_FIELD_TEXT:
        memcpy(p, f->p, (size_t)f->num);
        return p + f->num;
    case RH_FIELD_NAME: {
        const struct rh_name *n = f->p;
        size_t len;

        if (n->name != NULL) {
            len = strlen(n->name);
            memcpy(p, n->name, len);
            return p + len;
        }
        memcpy(p, "unknown-", 8);
        p += 8;
        if (!n->hex)
            return p + rh_u64_to_dec(n->value, p);
        memcpy(p, "0x", 2);
        return p + 2 + rh_u32_to_hex(n->value, p + 2);
    }
    case RH_FIELD_NUMBER:
        return p + rh_u64_to_dec(f->num, p);
    case RH_FIELD_TIME:
        rh_time_format_rfc3339(f->num, p); /* writes a NUL after, which is overwritten */
        return p + RH_TIME_STRING_SIZE - 1;
    case RH_FIELD_GUID:
        rh_guid_format(f->p, p);
        return p + RH_GUID_STRING_SIZE - 1;
    case RH_FIELD_UUID:
        rh_uuid_format(f->p, p);
        return p + RH_GUID_STRING_SIZE - 1;
    case RH_FIELD_IPV4:
        return p + rh_ipv4_format(f->p, p);
    case RH_FIELD_IPV6:
        return p + rh_ipv6_format(f->p, p);
    case RH_FIELD_PREFIX:
        p += rh_ipv6_format(f->p, p);
        *p++ = '/';
        return p + rh_u64_to_dec(f->num, p);
    case RH_FIELD_LIST:
        return rh_list_write(p, f->list, (uint32_t)f->num, list_sep, false);
    }
    return p;
}

bool rh_record_field_text(const struct rh_record *r, const char *field, char *out, size_t out_size)
{
    struct rh_field f[RH_FIELD_COUNT];
    char tmp[RH_LIST_MAX + RH_USER_SIZE];

    rh_record_fields(r, f);
    for (size_t i = 0; i < RH_FIELD_COUNT; i++) {
        size_t n;

        if (strcmp(f[i].name, field) != 0)
            continue;
        if (f[i].null || (f[i].kind == RH_FIELD_TEXT && f[i].num >= sizeof tmp))
            return false;
        n = (size_t)(rh_field_write(tmp, &f[i], ',') - tmp);
        if (n >= out_size)
            return false;
        memcpy(out, tmp, n);
        out[n] = '\0';
        return true;
    }
    return false;
}
