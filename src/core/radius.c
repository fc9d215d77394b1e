/* SPDX-License-Identifier: MIT */
#include "radius.h"

#include <string.h>

#include "md5.h"

/* Attribute types (RFC 2865, 2866, 2868, 2869, 3162, 3579, 6911). */
enum {
    A_USER_NAME = 1,
    A_NAS_IP_ADDRESS = 4,
    A_FRAMED_IP_ADDRESS = 8,
    A_CALLED_STATION_ID = 30,
    A_CALLING_STATION_ID = 31,
    A_NAS_IDENTIFIER = 32,
    A_ACCT_STATUS_TYPE = 40,
    A_ACCT_DELAY_TIME = 41,
    A_ACCT_INPUT_OCTETS = 42,
    A_ACCT_OUTPUT_OCTETS = 43,
    A_ACCT_SESSION_ID = 44,
    A_ACCT_SESSION_TIME = 46,
    A_ACCT_INPUT_PACKETS = 47,
    A_ACCT_OUTPUT_PACKETS = 48,
    A_EVENT_TIMESTAMP = 55,
    A_NAS_PORT_TYPE = 61,
    A_CONNECT_INFO = 77,
    A_NAS_IPV6_ADDRESS = 95,
    A_TUNNEL_TYPE = 64,
    A_TUNNEL_MEDIUM_TYPE = 65,
    A_TUNNEL_CLIENT_ENDPOINT = 66,
    A_TUNNEL_SERVER_ENDPOINT = 67,
    A_MESSAGE_AUTHENTICATOR = 80,
    A_FRAMED_INTERFACE_ID = 96,
    A_FRAMED_IPV6_PREFIX = 97,
    A_FRAMED_IPV6_ADDRESS = 168,
};

enum { CODE_ACCOUNTING_REQUEST = 4, CODE_ACCOUNTING_RESPONSE = 5, CODE_STATUS_SERVER = 12 };

#define HEADER      20  /* code, identifier, length, authenticator */
#define VALUE_MAX   253 /* an attribute's value */
#define TUNNEL_TAG  1   /* all tunnel attributes describe one tunnel (RFC 2868) */
#define NAS_VIRTUAL 5   /* NAS-Port-Type: Virtual (a VPN) */
#define TUNNEL_ESP  9   /* Tunnel-Type: ESP, for IKEv2 */

struct writer {
    uint8_t *p;
    size_t len;
};

/* Appends an attribute; text longer than an attribute holds is cut (RADIUS's own limit). */
static void attr(struct writer *w, uint8_t type, const void *value, size_t n)
{
    if (n > VALUE_MAX)
        n = VALUE_MAX;
    if (w->len + 2 + n > RH_RADIUS_MAX)
        return; /* cannot happen: every request fits with room to spare */
    w->p[w->len] = type;
    w->p[w->len + 1] = (uint8_t)(2 + n);
    memcpy(w->p + w->len + 2, value, n);
    w->len += 2 + n;
}

/* Text, cut to what an attribute holds at a UTF-8 character boundary. */
static void attr_utf8(struct writer *w, uint8_t type, const char *s, size_t n)
{
    if (n > VALUE_MAX) {
        n = VALUE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    attr(w, type, s, n);
}

static void attr_text(struct writer *w, uint8_t type, const char *s)
{
    if (s != NULL && s[0] != '\0')
        attr_utf8(w, type, s, strlen(s));
}

static void attr_u32(struct writer *w, uint8_t type, uint32_t v)
{
    const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    attr(w, type, b, 4);
}

/* A tagged attribute (RFC 2868): the tag, then the value (an integer: 3 octets). */
static void attr_tagged(struct writer *w, uint8_t type, const void *value, size_t n)
{
    uint8_t b[VALUE_MAX];

    if (n > VALUE_MAX - 1)
        n = VALUE_MAX - 1;
    b[0] = TUNNEL_TAG;
    memcpy(b + 1, value, n);
    attr(w, type, b, n + 1);
}

/* How many bytes of UTF-8 text s[0..n) fit in `room`, cut at a character boundary. */
static size_t utf8_fit(const char *s, size_t n, size_t room)
{
    if (n <= room)
        return n;
    n = room;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/*
 * User-Name as configured. A name longer than an attribute holds (253 bytes)
 * keeps its domain whole (accounting servers key sessions on it) and cuts the
 * user part at a character boundary; only a domain that leaves no room at all
 * is cut itself.
 */
static void user_name(struct writer *w, const struct rh_record *r, enum rh_radius_user_format f)
{
    char name[VALUE_MAX];
    size_t domain = f != RH_RADIUS_USER_PLAIN ? r->domain.len : 0;
    size_t user = r->user.len, n = 0;

    if (domain > 0 && domain + 1 >= VALUE_MAX) {
        domain = utf8_fit(r->domain.s, domain, VALUE_MAX - 2);
        user = utf8_fit(r->user.s, user, 1);
    } else {
        user = utf8_fit(r->user.s, user, domain > 0 ? VALUE_MAX - 1 - domain : VALUE_MAX);
    }
    if (f == RH_RADIUS_USER_BACKSLASH && domain > 0) {
        memcpy(name, r->domain.s, domain);
        name[domain] = '\\';
        n = domain + 1;
    }
    memcpy(name + n, r->user.s, user);
    n += user;
    if (f == RH_RADIUS_USER_AT && domain > 0) {
        name[n] = '@';
        memcpy(name + n + 1, r->domain.s, domain);
        n += 1 + domain;
    }
    if (n > 0)
        attr(w, A_USER_NAME, name, n);
}

/* The connection's attributes: who, where, how long, how much. */
static void connection(struct writer *w, enum rh_acct_status status, const struct rh_record *r,
                       const struct rh_radius_options *o)
{
    char id[RH_GUID_STRING_SIZE];

    if (!rh_record_field_text(r, "connection_id", id, sizeof id))
        rh_record_field_text(r, "record_id", id, sizeof id);
    attr_text(w, A_ACCT_SESSION_ID, id);
    user_name(w, r, o->user_format);
    attr_u32(w, A_EVENT_TIMESTAMP, (uint32_t)(r->time_ms / 1000));
    if (r->present & RH_HAS_CLIENT_IPV4)
        attr(w, A_FRAMED_IP_ADDRESS, r->client_ipv4, 4);
    if (r->present & RH_HAS_IPV6_PREFIX) {
        uint8_t prefix[2 + 8] = {0, (uint8_t)r->ipv6_prefix_length};
        size_t bytes = (r->ipv6_prefix_length + 7) / 8;

        memcpy(prefix + 2, r->ipv6_prefix, bytes);
        attr(w, A_FRAMED_IPV6_PREFIX, prefix, 2 + bytes);
    }
    if (r->present & RH_HAS_CLIENT_IPV6) {
        attr(w, A_FRAMED_INTERFACE_ID, r->client_ipv6 + 8, 8);
        attr(w, A_FRAMED_IPV6_ADDRESS, r->client_ipv6, 16);
    }
    attr_text(w, A_CALLING_STATION_ID, r->remote_endpoint.s);
    if (r->local_endpoint.len > 0)
        attr_text(w, A_CALLED_STATION_ID, r->local_endpoint.s);
    attr_u32(w, A_NAS_PORT_TYPE, NAS_VIRTUAL);
    if (r->tunnel == RH_TUNNEL_IKEV2) {
        const uint8_t esp[3] = {0, 0, TUNNEL_ESP};

        attr_tagged(w, A_TUNNEL_TYPE, esp, 3);
    }
    if (r->remote_endpoint.len > 0) {
        const uint8_t medium[3] = {0, 0, strchr(r->remote_endpoint.s, ':') != NULL ? 2 : 1};

        attr_tagged(w, A_TUNNEL_MEDIUM_TYPE, medium, 3);
        attr_tagged(w, A_TUNNEL_CLIENT_ENDPOINT, r->remote_endpoint.s, r->remote_endpoint.len);
        if (r->local_endpoint.len > 0)
            attr_tagged(w, A_TUNNEL_SERVER_ENDPOINT, r->local_endpoint.s, r->local_endpoint.len);
    }
    if (status == RH_ACCT_STOP) {
        /* Input is from the user (the NAS's view): RRAS's "received". */
        attr_u32(w, A_ACCT_SESSION_TIME, r->duration_s);
        if (r->present & RH_HAS_COUNTERS) {
            attr_u32(w, A_ACCT_INPUT_OCTETS, r->bytes_received);
            attr_u32(w, A_ACCT_OUTPUT_OCTETS, r->bytes_sent);
            attr_u32(w, A_ACCT_INPUT_PACKETS, r->frames_received);
            attr_u32(w, A_ACCT_OUTPUT_PACKETS, r->frames_sent);
        }
    }
}

/*
 * Signs a request whose authenticator (and Message-Authenticator, at
 * message_auth_at if not 0) are zero: the Message-Authenticator first, over the
 * packet with a zero authenticator (RFC 3579, 5080), then the Request
 * Authenticator = MD5(the packet with a zero authenticator, then the secret).
 */
static void sign(uint8_t *p, size_t len, size_t message_auth_at, const void *secret,
                 size_t secret_len)
{
    uint8_t digest[16];
    struct rh_md5 m;

    if (message_auth_at != 0)
        rh_hmac_md5(secret, secret_len, p, len, p + message_auth_at);
    rh_md5_init(&m);
    rh_md5_update(&m, p, len);
    rh_md5_update(&m, secret, secret_len);
    rh_md5_final(&m, digest);
    memcpy(p + 4, digest, 16);
}

size_t rh_radius_accounting_request(uint8_t out[RH_RADIUS_MAX], uint8_t identifier,
                                    enum rh_acct_status status, const struct rh_record *r,
                                    const char *session_id, uint64_t now_s, uint32_t delay_s,
                                    const struct rh_radius_options *o, const void *secret,
                                    size_t secret_len)
{
    struct writer w = {out, HEADER};
    size_t message_auth_at = 0;
    const char *nas = o->nas_identifier;

    if (secret_len == 0)
        return 0;
    memset(out, 0, HEADER);
    out[0] = CODE_ACCOUNTING_REQUEST;
    out[1] = identifier;
    attr_u32(&w, A_ACCT_STATUS_TYPE, (uint32_t)status);
    if (r != NULL && (status == RH_ACCT_START || status == RH_ACCT_STOP)) {
        connection(&w, status, r, o);
    } else {
        attr_text(&w, A_ACCT_SESSION_ID, session_id);
        attr_u32(&w, A_EVENT_TIMESTAMP, (uint32_t)now_s);
    }
    /* The same for On, Off, Start and Stop: a server closes a rebooted NAS's sessions by it. */
    if (nas == NULL && r != NULL && r->server.len > 0)
        nas = r->server.s;
    attr_text(&w, A_NAS_IDENTIFIER, nas != NULL ? nas : "rashangup");
    if (o->has_nas_ipv4)
        attr(&w, A_NAS_IP_ADDRESS, o->nas_ipv4, 4);
    /* A lab replay's: a server that logs every attribute shows it for what it is. */
    if (r != NULL && (r->warnings & RH_WARN_SIMULATED))
        attr_text(&w, A_CONNECT_INFO, RH_RADIUS_SIMULATED_INFO);
    attr_u32(&w, A_ACCT_DELAY_TIME, delay_s);
    if (o->message_authenticator) {
        const uint8_t zero[16] = {0};

        message_auth_at = w.len + 2;
        attr(&w, A_MESSAGE_AUTHENTICATOR, zero, 16);
    }
    out[2] = (uint8_t)(w.len >> 8);
    out[3] = (uint8_t)w.len;
    sign(out, w.len, message_auth_at, secret, secret_len);
    return w.len;
}

size_t rh_radius_status_server(uint8_t out[RH_RADIUS_MAX], uint8_t identifier,
                               const uint8_t authenticator[16], const char *nas_identifier,
                               const void *secret, size_t secret_len)
{
    const uint8_t zero[16] = {0};
    struct writer w = {out, HEADER};
    size_t message_auth_at;

    if (secret_len == 0)
        return 0;
    out[0] = CODE_STATUS_SERVER;
    out[1] = identifier;
    memcpy(out + 4, authenticator, 16); /* random, as an Access-Request's (RFC 5997, 3) */
    attr_text(&w, A_NAS_IDENTIFIER, nas_identifier != NULL ? nas_identifier : "rashangup");
    message_auth_at = w.len + 2;
    attr(&w, A_MESSAGE_AUTHENTICATOR, zero, 16);
    out[2] = (uint8_t)(w.len >> 8);
    out[3] = (uint8_t)w.len;
    /* Over the whole packet, the Request Authenticator as sent and this attribute zero. */
    rh_hmac_md5(secret, secret_len, out, w.len, out + message_auth_at);
    return w.len;
}

size_t rh_radius_retransmission(uint8_t *request, size_t len, uint8_t identifier, uint32_t delay_s,
                                const void *secret, size_t secret_len)
{
    size_t delay_at = 0, message_auth_at = 0;

    if (secret_len == 0 || len < HEADER || len > RH_RADIUS_MAX ||
        request[0] != CODE_ACCOUNTING_REQUEST || ((size_t)request[2] << 8 | request[3]) != len)
        return 0;
    for (size_t at = HEADER; at < len;) {
        if (len - at < 2 || request[at + 1] < 2 || request[at + 1] > len - at)
            return 0;
        if (request[at] == A_ACCT_DELAY_TIME && request[at + 1] == 6)
            delay_at = at + 2;
        else if (request[at] == A_MESSAGE_AUTHENTICATOR && request[at + 1] == 18)
            message_auth_at = at + 2;
        at += request[at + 1];
    }
    if (delay_at == 0)
        return 0;
    request[1] = identifier;
    request[delay_at] = (uint8_t)(delay_s >> 24);
    request[delay_at + 1] = (uint8_t)(delay_s >> 16);
    request[delay_at + 2] = (uint8_t)(delay_s >> 8);
    request[delay_at + 3] = (uint8_t)delay_s;
    memset(request + 4, 0, 16);
    if (message_auth_at != 0)
        memset(request + message_auth_at, 0, 16);
    sign(request, len, message_auth_at, secret, secret_len);
    return len;
}

size_t rh_radius_set_nas_address(uint8_t *request, size_t len, const uint8_t *addr, size_t addr_len)
{
    uint8_t type = addr_len == 4 ? A_NAS_IP_ADDRESS : A_NAS_IPV6_ADDRESS;
    size_t out = HEADER;

    if ((addr_len != 4 && addr_len != 16) || len < HEADER || len > RH_RADIUS_MAX ||
        request[0] != CODE_ACCOUNTING_REQUEST || ((size_t)request[2] << 8 | request[3]) != len)
        return 0;
    /* Whatever address the request had goes: it left from another one then. */
    for (size_t at = HEADER; at < len;) {
        size_t n;

        if (len - at < 2)
            return 0;
        n = request[at + 1];
        if (n < 2 || n > len - at)
            return 0;
        if (request[at] != A_NAS_IP_ADDRESS && request[at] != A_NAS_IPV6_ADDRESS) {
            memmove(request + out, request + at, n);
            out += n;
        }
        at += n;
    }
    if (out + 2 + addr_len > RH_RADIUS_MAX)
        return 0;
    request[out] = type;
    request[out + 1] = (uint8_t)(2 + addr_len);
    memcpy(request + out + 2, addr, addr_len);
    out += 2 + addr_len;
    request[2] = (uint8_t)(out >> 8);
    request[3] = (uint8_t)out;
    return out;
}

enum rh_radius_verdict rh_radius_check_response(const uint8_t *resp, size_t len,
                                                const uint8_t *request, const void *secret,
                                                size_t secret_len)
{
    uint8_t copy[RH_RADIUS_MAX];
    uint8_t digest[16];
    size_t declared;
    size_t message_auth_at = 0;
    struct rh_md5 m;

    if (len < HEADER || len > RH_RADIUS_MAX || resp[0] != CODE_ACCOUNTING_RESPONSE)
        return RH_RADIUS_MALFORMED;
    declared = (size_t)resp[2] << 8 | resp[3];
    if (declared < HEADER || declared > len)
        return RH_RADIUS_MALFORMED;
    for (size_t at = HEADER; at < declared;) {
        if (declared - at < 2 || resp[at + 1] < 2 || resp[at + 1] > declared - at)
            return RH_RADIUS_MALFORMED;
        if (resp[at] == A_MESSAGE_AUTHENTICATOR) {
            if (resp[at + 1] != 18)
                return RH_RADIUS_MALFORMED;
            message_auth_at = at + 2;
        }
        at += resp[at + 1];
    }
    if (resp[1] != request[1])
        return RH_RADIUS_OTHER_ID;

    /* Response Authenticator = MD5(code, id, length, Request Authenticator, attributes, secret). */
    memcpy(copy, resp, declared);
    memcpy(copy + 4, request + 4, 16);
    rh_md5_init(&m);
    rh_md5_update(&m, copy, declared);
    rh_md5_update(&m, secret, secret_len);
    rh_md5_final(&m, digest);
    if (memcmp(digest, resp + 4, 16) != 0)
        return RH_RADIUS_BAD_AUTH;
    if (message_auth_at != 0) {
        uint8_t mac[16];

        /* Over the response with the Request Authenticator and a zero Message-Authenticator. */
        memset(copy + message_auth_at, 0, 16);
        rh_hmac_md5(secret, secret_len, copy, declared, mac);
        if (memcmp(mac, resp + message_auth_at, 16) != 0)
            return RH_RADIUS_BAD_MESSAGE_AUTH;
    }
    return RH_RADIUS_ACK;
}
