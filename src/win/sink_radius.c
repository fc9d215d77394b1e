/* SPDX-License-Identifier: MIT */
/*
 * The RADIUS accounting sink (RFC 2866) for FreeRADIUS, NPS or any accounting
 * server: Accounting-Start when RRAS accepts a connection, Stop at its hangup,
 * Accounting-On and -Off when the service starts and stops. The packets come
 * from the portable encoder (radius.c); this file sends them and waits.
 *
 * Reliability (RFC 2866 section 2, RFC 5080 section 2.2.1): a record counts as
 * delivered only when the server acknowledged it with a valid Response
 * Authenticator. Up to Window requests are outstanding at once. A request not
 * answered within its timeout (TimeoutMs, doubling up to 16 s) is sent again
 * with a new Identifier and its Acct-Delay-Time brought up to date; after
 * Retries retransmissions the next server takes over, and all outstanding
 * requests go to it. When no server answers, the batch goes back to the worker,
 * which retries it with backoff, for ever: the journal holds the records
 * meanwhile. Records the server already acknowledged are not sent again when
 * the batch comes back.
 *
 * Diagnosis: a RADIUS server drops a request whose authenticator does not match
 * the secret it has for the client, without answering. When a server answers
 * nothing while its port is open (no ICMP port unreachable), the log says that
 * the Secret is the likely cause; answers that fail the authenticator check say
 * so outright. The Secret itself is never logged and never in a record.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#include <bcrypt.h>

#include "diag.h"
#include "radius.h"
#include "sink.h"
#include "text.h"
#include "wstr.h"

#define WINDOW_MAX      128   /* outstanding requests: at most half the Identifier space */
#define ACKED_MAX       1024  /* acknowledged records remembered until their batch is done */
#define MAX_TIMEOUT_MS  16000 /* RFC 5080's MRT */
#define SLICE_MS        100   /* the longest wait without looking at cancel */
#define DEFAULT_PORT    1813
#define SECRET_SIZE     256
#define NAS_ID_SIZE     254
#define CONNECT_TIMEOUT 2000

struct radius_config {
    char server[1024];
    uint32_t port;
    char secret[SECRET_SIZE];
    char nas_identifier[NAS_ID_SIZE];
    char nas_ip_address[64];
    uint32_t user_name_format; /* enum rh_radius_user_format */
    uint32_t message_authenticator;
    uint32_t timeout_ms;
    uint32_t retries;
    uint32_t window;
};

#define OPT_TEXT(name, def, member, doc)                                                           \
    RH_OPTION_TEXT(struct radius_config, name, RH_OPT_STRING, def, member, doc)
#define OPT_DWORD(name, def, member, lo, hi, doc)                                                  \
    RH_OPTION_DWORD(struct radius_config, name, def, member, lo, hi, doc)

/* The UserNameFormat keywords, by enum rh_radius_user_format. */
static const char *const user_formats[] = {"domain\\user", "user@domain", "user", NULL};

static const struct rh_option radius_options[] = {
    OPT_TEXT("Server", NULL, server,
             "accounting servers, in failover order: host, host:port or [IPv6]:port, separated by "
             "commas"),
    OPT_DWORD("Port", "0", port, 0, 65535, "port of servers that name none (0: 1813)"),
    OPT_TEXT("Secret", NULL, secret,
             "the shared secret this server has with the accounting servers (never logged)"),
    OPT_TEXT("NasIdentifier", "", nas_identifier,
             "NAS-Identifier sent with every request (empty: this computer's name)"),
    OPT_TEXT("NasIpAddress", "", nas_ip_address,
             "NAS-IP-Address sent with every request (empty: the address the request leaves from, "
             "as NAS-IP-Address or NAS-IPv6-Address)"),
    RH_OPTION_CHOICE(struct radius_config, "UserNameFormat", "domain\\user", user_name_format,
                     user_formats, "how User-Name is written"),
    OPT_DWORD("MessageAuthenticator", "1", message_authenticator, 0, 1,
              "1: sign every request with a Message-Authenticator (RFC 3579); 0: do not"),
    OPT_DWORD("TimeoutMs", "2000", timeout_ms, 100, MAX_TIMEOUT_MS,
              "first wait for an answer, doubled at each retransmission up to 16 s"),
    OPT_DWORD("Retries", "3", retries, 0, 10,
              "retransmissions to one server before the next takes over"),
    OPT_DWORD(
        "Window", "32", window, 1, WINDOW_MAX,
        "requests outstanding at once, counted from the oldest not acknowledged: at most this "
        "many are sent twice after a restart"),
};

struct pending {
    bool sent;
    bool start;                /* an Accounting-Start */
    struct rh_guid connection; /* whose (Acct-Session-Id) */
    uint64_t token;
    uint64_t order;    /* given_count when it was given */
    uint64_t event_ms; /* for Acct-Delay-Time */
    ULONGLONG due;     /* when to send again */
    DWORD timeout;     /* the next wait */
    unsigned sends;    /* to the current server */
    size_t len;
    uint8_t packet[RH_RADIUS_MAX];
};

struct radius_sink {
    char name[RH_SINK_NAME_SIZE];
    struct rh_endpoint servers[RH_NET_MAX_SERVERS];
    size_t n_servers;
    size_t current;
    size_t failed_at; /* the server of the last failure (error()) */
    SOCKET sock;
    char secret[SECRET_SIZE];
    size_t secret_len;
    char nas_identifier[NAS_ID_SIZE];
    struct rh_radius_options opt;
    DWORD timeout_ms;
    unsigned retries;
    size_t window;
    uint8_t next_id;
    volatile LONG cancelled;

    struct pending *pending; /* window entries; the first n_pending are in use */
    size_t n_pending;
    /*
     * Settling (sink.h): every record up to `settled` is acknowledged. Those
     * acknowledged past it (answers come in any order) are remembered, so that
     * a batch that comes back after a failure does not send them again.
     */
    uint64_t settled;
    uint64_t given_max;   /* the highest token given */
    uint64_t given_count; /* records given, in order (the Window's measure) */
    uint64_t *acked;
    size_t n_acked;
    uint8_t local[16]; /* the address requests leave from (NAS-IP-Address), when not configured */
    size_t local_len;

    /* What the current server did since the sink moved to it. */
    uint64_t sent, answered, bad_auth, bad_message_auth, malformed;
    bool unreachable;
    bool failing; /* a failure was logged; the next answer is reported too */
};

static void *radius_create(const char *name, const void *config, char *err, size_t err_size)
{
    const struct radius_config *cfg = config;
    struct radius_sink *s;
    uint16_t port;

    if (cfg->secret[0] == '\0') {
        rh_set_err(err, err_size, "value Secret: empty (RADIUS needs a shared secret)");
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->pending = calloc(cfg->window, sizeof *s->pending);
        s->acked = calloc(ACKED_MAX, sizeof *s->acked);
    }
    if (s == NULL || s->pending == NULL || s->acked == NULL) {
        rh_set_err(err, err_size, "out of memory");
        goto fail;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->sock = INVALID_SOCKET;
    port = cfg->port != 0 ? (uint16_t)cfg->port : DEFAULT_PORT;
    if (!rh_net_parse_servers(cfg->server, port, s->servers, RH_NET_MAX_SERVERS, &s->n_servers, err,
                              err_size)) {
        char why[256];

        snprintf(why, sizeof why, "%s", err);
        rh_set_err(err, err_size, "value Server: %s", why);
        goto fail;
    }
    s->opt.user_format = (enum rh_radius_user_format)cfg->user_name_format;
    if (cfg->nas_ip_address[0] != '\0') {
        struct in_addr a;

        if (inet_pton(AF_INET, cfg->nas_ip_address, &a) != 1) {
            rh_set_err(err, err_size, "value NasIpAddress: \"%s\" is not an IPv4 address",
                       cfg->nas_ip_address);
            goto fail;
        }
        memcpy(s->opt.nas_ipv4, &a, 4);
        s->opt.has_nas_ipv4 = true;
    }
    snprintf(s->nas_identifier, sizeof s->nas_identifier, "%s", cfg->nas_identifier);
    s->opt.nas_identifier = s->nas_identifier[0] != '\0' ? s->nas_identifier : NULL;
    s->opt.message_authenticator = cfg->message_authenticator != 0;
    memcpy(s->secret, cfg->secret, sizeof s->secret);
    s->secret_len = strlen(s->secret);
    s->timeout_ms = cfg->timeout_ms;
    s->retries = cfg->retries;
    s->window = cfg->window;
    if (!rh_net_startup()) {
        rh_set_err(err, err_size, "Winsock cannot start (error %d)", WSAGetLastError());
        goto fail;
    }
    return s;

fail:
    if (s != NULL) {
        SecureZeroMemory(s->secret, sizeof s->secret);
        free(s->acked);
        free(s->pending);
    }
    free(s);
    return NULL;
}

static const struct rh_endpoint *server(const struct radius_sink *s)
{
    return &s->servers[s->current];
}

static void disconnect(struct radius_sink *s)
{
    if (s->sock != INVALID_SOCKET) {
        closesocket(s->sock);
        s->sock = INVALID_SOCKET;
    }
}

/*
 * The address requests to the current server leave from: the NAS-IP-Address
 * (or NAS-IPv6-Address) of every request unless NasIpAddress names one. An
 * accounting server keys a NAS's sessions on it (FreeRADIUS's radacct needs it),
 * and servers behind one NAT address would otherwise share them.
 */
static void learn_local_address(struct radius_sink *s)
{
    struct sockaddr_storage a;
    int len = sizeof a;

    s->local_len = 0;
    if (s->opt.has_nas_ipv4 || getsockname(s->sock, (struct sockaddr *)&a, &len) != 0)
        return;
    if (a.ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a;

        if (a4->sin_addr.s_addr == htonl(INADDR_ANY))
            return; /* no address to name: better none than 0.0.0.0 */
        memcpy(s->local, &a4->sin_addr, 4);
        s->local_len = 4;
    } else if (a.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a;

        /* An IPv4-mapped address is the IPv4 one. */
        if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
            return;
        if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
            memcpy(s->local, a6->sin6_addr.s6_addr + 12, 4);
            s->local_len = 4;
        } else {
            memcpy(s->local, a6->sin6_addr.s6_addr, 16);
            s->local_len = 16;
        }
    }
}

/*
 * A connected UDP socket to the current server: answers from anyone else are
 * not ours, and an ICMP port unreachable comes back as an error.
 */
static bool connect_current(struct radius_sink *s)
{
    int error = 0;
    u_long on = 1;

    disconnect(s);
    s->sent = s->answered = s->bad_auth = s->bad_message_auth = s->malformed = 0;
    s->unreachable = false;
    s->sock = rh_net_connect(server(s), SOCK_DGRAM, CONNECT_TIMEOUT, &error);
    if (s->sock == INVALID_SOCKET) {
        char text[256];

        rh_win32_error_text((DWORD)error, text, sizeof text);
        if (!s->failing)
            rh_log_event(RH_LOGID_CONNECT_FAILED, RH_LOG_ERROR,
                         "sink %s: cannot reach %s port %u: %s", s->name, server(s)->host,
                         (unsigned)server(s)->port, text);
        SetLastError((DWORD)error);
        return false;
    }
    ioctlsocket(s->sock, (long)FIONBIO, &on);
    learn_local_address(s);
    return true;
}

/*
 * Why the current server gave no acknowledgement, in words an administrator can
 * act on: the Secret is suspected only when requests went out and nothing came
 * back; what did come back is named for what it was.
 */
static void report_silence(struct radius_sink *s)
{
    const struct rh_endpoint *ep = server(s);

    if (s->failing || s->sent == 0)
        return; /* nothing was sent: connecting failed, and said why */
    if (s->bad_auth > 0)
        rh_log_event(
            RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR,
            "sink %s: %s port %u answered %llu request(s) with a wrong Response "
            "Authenticator: the Secret differs from the shared secret the server has for this "
            "client",
            s->name, ep->host, (unsigned)ep->port, (unsigned long long)s->bad_auth);
    else if (s->bad_message_auth > 0)
        rh_log_event(
            RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR,
            "sink %s: %s port %u answered %llu request(s) with a right Response "
            "Authenticator but a wrong Message-Authenticator (RFC 3579): the answer was altered "
            "on the way, or the server signs it wrongly",
            s->name, ep->host, (unsigned)ep->port, (unsigned long long)s->bad_message_auth);
    else if (s->malformed > 0 && s->answered == 0)
        rh_log_event(
            RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR,
            "sink %s: %s port %u sent %llu answer(s) that are not Accounting-Responses to our "
            "requests (malformed, too long, or of another code): is it a RADIUS accounting "
            "server, and is Port its accounting port?",
            s->name, ep->host, (unsigned)ep->port, (unsigned long long)s->malformed);
    else if (s->unreachable)
        rh_log_event(
            RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR,
            "sink %s: nothing listens on %s port %u (ICMP port unreachable); check Server and "
            "Port",
            s->name, ep->host, (unsigned)ep->port);
    else if (s->answered == 0)
        rh_log_event(
            RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR,
            "sink %s: %s port %u does not answer (%llu request(s) sent, none acknowledged): "
            "if a RADIUS server listens there, the Secret is probably wrong (a RADIUS server "
            "silently drops requests whose authenticator does not match its secret), or this "
            "server is not one of its clients",
            s->name, ep->host, (unsigned)ep->port, (unsigned long long)s->sent);
    else
        rh_log_event(RH_LOGID_RADIUS_SILENT, RH_LOG_ERROR, "sink %s: %s port %u stopped answering",
                     s->name, ep->host, (unsigned)ep->port);
}

/*
 * Gives up on the current server (having said why) and moves to the next: all
 * outstanding requests go to it afresh. False once every server has been tried
 * since the last acknowledgement: the batch goes back to the worker.
 */
static bool fail_over(struct radius_sink *s, size_t *silent_servers)
{
    s->failed_at = s->current;
    report_silence(s);
    disconnect(s);
    s->current = (s->current + 1) % s->n_servers;
    for (size_t i = 0; i < s->n_pending; i++) {
        s->pending[i].sent = false;
        s->pending[i].sends = 0;
        s->pending[i].timeout = s->timeout_ms;
    }
    if (++*silent_servers >= s->n_servers) {
        if (!s->failing && s->n_servers > 1) {
            char tried[RH_NET_MAX_SERVERS * (RH_NET_HOST_SIZE + 16)] = "";
            struct rh_buf b;

            rh_buf_init(&b, tried, sizeof tried);
            for (size_t i = 0; i < s->n_servers; i++) {
                char port[8];

                snprintf(port, sizeof port, "%u", (unsigned)s->servers[i].port);
                rh_buf_append_str(&b, i == 0 ? "" : ", ");
                rh_buf_append_str(&b, s->servers[i].host);
                rh_buf_append_str(&b, " port ");
                rh_buf_append_str(&b, port);
            }
            rh_log(RH_LOG_ERROR,
                   "sink %s: none of its %u servers acknowledged (%s); its records wait in the "
                   "journal and are sent again",
                   s->name, (unsigned)s->n_servers, tried);
        }
        s->failing = true;
        return false;
    }
    if (!s->failing)
        rh_log(RH_LOG_WARNING, "sink %s: failing over to %s port %u", s->name, server(s)->host,
               (unsigned)server(s)->port);
    return true;
}

static bool id_in_use(const struct radius_sink *s, uint8_t id)
{
    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i].sent && s->pending[i].packet[1] == id)
            return true;
    return false;
}

/* Sends (again) with a fresh Identifier and the current Acct-Delay-Time. */
static void send_request(struct radius_sink *s, struct pending *p)
{
    uint64_t now = rh_now_unix_ms();
    uint32_t delay = now > p->event_ms ? (uint32_t)((now - p->event_ms) / 1000) : 0;

    while (id_in_use(s, s->next_id)) /* window <= 128: one is always free */
        s->next_id++;
    if (s->local_len > 0) {
        size_t len = rh_radius_set_nas_address(p->packet, p->len, s->local, s->local_len);

        if (len > 0)
            p->len = len;
    }
    rh_radius_retransmission(p->packet, p->len, s->next_id++, delay, s->secret, s->secret_len);
    if (send(s->sock, (const char *)p->packet, (int)p->len, 0) != (int)p->len &&
        (WSAGetLastError() == WSAECONNRESET || WSAGetLastError() == WSAECONNREFUSED))
        s->unreachable = true; /* an earlier send's port unreachable */
    p->sent = true;
    p->sends++;
    p->due = GetTickCount64() + p->timeout;
    p->timeout = p->timeout * 2 > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : p->timeout * 2;
    s->sent++;
}

static bool is_acked(const struct radius_sink *s, uint64_t token)
{
    for (size_t i = s->n_acked; i-- > 0;)
        if (s->acked[i] == token)
            return true;
    return false;
}

/*
 * Moves `settled` up to just before the oldest request still outstanding (or
 * to every token given, with none), and forgets acknowledgements it covers.
 */
static void update_settled(struct radius_sink *s)
{
    uint64_t to = s->given_max;
    size_t kept = 0;

    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i].token - 1 < to)
            to = s->pending[i].token - 1;
    if (to > s->settled)
        s->settled = to;
    for (size_t i = 0; i < s->n_acked; i++)
        if (s->acked[i] > s->settled)
            s->acked[kept++] = s->acked[i];
    s->n_acked = kept;
}

/* Takes the answers that have arrived; waits up to wait_ms for the first. */
static void receive(struct radius_sink *s, DWORD wait_ms)
{
    uint8_t resp[RH_RADIUS_MAX];
    fd_set rd;
    struct timeval tv = {0, (long)wait_ms * 1000};
    int n;

    FD_ZERO(&rd);
    FD_SET(s->sock, &rd);
    select(0, &rd, NULL, NULL, &tv);
    /* Read even if select saw nothing: some stacks report an ICMP error only to recv. */
    for (;;) {
        size_t i;
        enum rh_radius_verdict v = RH_RADIUS_OTHER_ID;

        n = recv(s->sock, (char *)resp, sizeof resp, 0);
        if (n == SOCKET_ERROR)
            break;

        if (n < 20) {
            s->malformed++;
            continue;
        }
        for (i = 0; i < s->n_pending; i++) {
            if (!s->pending[i].sent || s->pending[i].packet[1] != resp[1])
                continue;
            v = rh_radius_check_response(resp, (size_t)n, s->pending[i].packet, s->secret,
                                         s->secret_len);
            break;
        }
        if (v == RH_RADIUS_ACK) {
            if (s->failing)
                rh_log(RH_LOG_INFO, "sink %s: %s port %u acknowledges again", s->name,
                       server(s)->host, (unsigned)server(s)->port);
            s->failing = false;
            s->answered++;
            if (s->n_acked < ACKED_MAX)
                s->acked[s->n_acked++] = s->pending[i].token;
            s->pending[i] = s->pending[--s->n_pending];
            update_settled(s);
        } else if (v == RH_RADIUS_BAD_AUTH) {
            s->bad_auth++;
        } else if (v == RH_RADIUS_BAD_MESSAGE_AUTH) {
            s->bad_message_auth++;
        } else if (v == RH_RADIUS_MALFORMED) {
            s->malformed++;
        } /* OTHER_ID: a late answer to an Identifier since replaced */
    }
    if (WSAGetLastError() == WSAECONNRESET || WSAGetLastError() == WSAECONNREFUSED)
        s->unreachable = true; /* ICMP port unreachable: Windows says reset, Wine refused */
}

/*
 * How far the requests outstanding reach: records given from the oldest one
 * not acknowledged to the newest (0 with none). Window bounds it, not just how
 * many are outstanding: what a server acknowledged past the oldest it has not
 * is remembered only in memory, and after a restart is sent again.
 */
static uint64_t span(const struct radius_sink *s)
{
    uint64_t oldest = s->given_count;

    for (size_t i = 0; i < s->n_pending; i++)
        if (s->pending[i].order < oldest)
            oldest = s->pending[i].order;
    return s->given_count - oldest;
}

/*
 * Whether pending request i is a Stop whose connection's Start, given before
 * it, is outstanding: it is not sent until that Start is answered. Servers (FreeRADIUS
 * with more than one thread among them) may process two requests in flight in
 * either order, and a Stop processed before its Start leaves a session open
 * that never closes. Other requests go out meanwhile.
 */
static bool after_its_start(const struct radius_sink *s, size_t i)
{
    const struct pending *p = &s->pending[i];

    /* A connection RRAS gave no GUID (legacy, short structures) has no Start to wait for. */
    if (rh_guid_is_nil(&p->connection))
        return false;
    /* Answers take requests out of any place (pending is not in order): by order given. */
    for (size_t k = 0; k < s->n_pending && !p->start; k++)
        if (s->pending[k].start && s->pending[k].order < p->order &&
            memcmp(&s->pending[k].connection, &p->connection, sizeof p->connection) == 0)
            return true;
    return false;
}

/*
 * Sends, retransmits, fails over and takes answers until at most `target`
 * requests are outstanding, within Window of the oldest. RETRY when every
 * server has been tried without an acknowledgement, or when cancelled.
 */
static enum rh_sink_result pump(struct radius_sink *s, size_t target)
{
    size_t silent_servers = 0;

    while (s->n_pending > target || span(s) >= s->window) {
        ULONGLONG now = GetTickCount64(), next = now + SLICE_MS;
        uint64_t answered = s->answered;
        bool give_up = false;

        if (s->cancelled)
            return RH_SINK_RETRY;
        /* Unreachable, or nothing listens there: no point waiting for timeouts. */
        if ((s->sock == INVALID_SOCKET && !connect_current(s)) || s->unreachable) {
            if (!fail_over(s, &silent_servers))
                return RH_SINK_RETRY;
            continue;
        }
        for (size_t i = 0; i < s->n_pending && !give_up; i++) {
            struct pending *p = &s->pending[i];

            if (p->sent && p->due > now) {
                next = p->due < next ? p->due : next;
                continue;
            }
            if (!p->sent && after_its_start(s, i))
                continue;                    /* sent once its Start is answered */
            give_up = p->sends > s->retries; /* this server had its chances */
            if (!give_up) {
                send_request(s, p);
                next = p->due < next ? p->due : next;
            }
        }
        if (give_up) {
            if (!fail_over(s, &silent_servers))
                return RH_SINK_RETRY;
            continue;
        }
        now = GetTickCount64();
        receive(s, next > now ? (DWORD)(next - now) : 0);
        if (s->answered != answered)
            silent_servers = 0;
    }
    return RH_SINK_OK;
}

/* After a failure: what is outstanding is given up, and comes back from the journal. */
static void discard(struct radius_sink *s)
{
    update_settled(s);
    s->n_pending = 0;
    s->given_max = s->settled; /* what was given past it was not all acknowledged */
}

static enum rh_sink_result radius_deliver(void *instance, enum rh_sink_event event,
                                          const struct rh_record *r, uint64_t token)
{
    struct radius_sink *s = instance;
    struct pending *p;
    enum rh_acct_status status;
    char session[RH_GUID_STRING_SIZE] = "";
    bool barrier;

    switch (event) {
    case RH_EVENT_CONNECT:
        status = RH_ACCT_START;
        break;
    case RH_EVENT_HANGUP:
        status = RH_ACCT_STOP;
        break;
    case RH_EVENT_SERVICE_START:
        status = RH_ACCT_ON;
        break;
    case RH_EVENT_SERVICE_STOP:
        status = RH_ACCT_OFF;
        break;
    default:
        return RH_SINK_ERROR;
    }
    /*
     * Acknowledged before the batch came back; or a lab replay's On or Off,
     * which is never sent: a server closes every open session of the NAS by it.
     */
    if (token <= s->settled || is_acked(s, token) ||
        ((status == RH_ACCT_ON || status == RH_ACCT_OFF) && (r->warnings & RH_WARN_SIMULATED))) {
        if (token > s->given_max)
            s->given_max = token;
        s->given_count++;
        update_settled(s);
        return RH_SINK_OK;
    }
    /*
     * Accounting-On and -Off are barriers: an Off goes out once every Stop
     * before it is acknowledged, and no Start of a boot goes out before its On
     * is. A server that handles On by closing the NAS's open sessions would
     * otherwise close sessions that a Start it processed first had opened.
     */
    barrier = status == RH_ACCT_ON || status == RH_ACCT_OFF;
    if (barrier && pump(s, 0) != RH_SINK_OK) {
        discard(s);
        return RH_SINK_RETRY;
    }
    if (barrier)
        rh_record_field_text(r, "record_id", session, sizeof session);
    p = &s->pending[s->n_pending];
    p->len = rh_radius_accounting_request(p->packet, 0, status, r, session, r->time_ms / 1000, 0,
                                          &s->opt, s->secret, s->secret_len);
    if (p->len == 0)
        return RH_SINK_ERROR;
    p->token = token;
    p->start = status == RH_ACCT_START;
    p->connection = r->connection_id;
    p->order = s->given_count++;
    p->event_ms = r->time_ms;
    p->sent = false;
    p->sends = 0;
    p->timeout = s->timeout_ms;
    s->n_pending++;
    if (token > s->given_max)
        s->given_max = token;
    if (pump(s, barrier ? 0 : s->window - 1) != RH_SINK_OK) {
        discard(s);
        return RH_SINK_RETRY;
    }
    return RH_SINK_OK;
}

static enum rh_sink_result radius_flush(void *instance)
{
    struct radius_sink *s = instance;

    if (pump(s, 0) != RH_SINK_OK) {
        discard(s);
        return RH_SINK_RETRY;
    }
    update_settled(s);
    return RH_SINK_OK;
}

/* Every record up to the oldest one not acknowledged is settled. */
static enum rh_sink_result radius_settle(void *instance, bool now, uint64_t *token)
{
    struct radius_sink *s = instance;

    (void)now; /* flush waited for every answer */
    if (s->settled > *token)
        *token = s->settled;
    return RH_SINK_OK;
}

static void radius_cancel(void *instance)
{
    struct radius_sink *s = instance;

    InterlockedExchange(&s->cancelled, 1);
}

static void radius_destroy(void *instance)
{
    struct radius_sink *s = instance;

    if (s == NULL)
        return;
    disconnect(s);
    rh_net_cleanup();
    SecureZeroMemory(s->secret, sizeof s->secret);
    free(s->acked);
    free(s->pending);
    free(s);
}

/*
 * Asks the current server, connected, whether it is alive with a Status-Server
 * (RFC 5997), sent twice at most within the sink's timeout, and writes what
 * came back into line. Only an answer tells anything of the Secret: a server
 * may not answer Status-Server at all, and FreeRADIUS drops a request with a
 * wrong Message-Authenticator without a word. RETRY when the answer says the
 * server cannot take our requests (a wrong Secret, nothing listening).
 */
static enum rh_sink_result status_server(struct radius_sink *s, char *line, size_t size)
{
    const struct rh_endpoint *ep = server(s);
    uint8_t req[2][RH_RADIUS_MAX], resp[RH_RADIUS_MAX], nonce[2][17];
    size_t len[2] = {0, 0};
    enum rh_radius_verdict v = RH_RADIUS_OTHER_ID;
    const char *said;
    bool answered = false;
    int send_error = 0;

    if (!BCRYPT_SUCCESS(
            BCryptGenRandom(NULL, &nonce[0][0], sizeof nonce, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
        snprintf(line, size,
                 "%s port %u: resolved; no random Request Authenticator for "
                 "Status-Server, so whether it answers (and the Secret) is not checked\n",
                 ep->host, (unsigned)ep->port);
        return RH_SINK_OK;
    }
    nonce[1][16] = (uint8_t)(nonce[0][16] + 1); /* two Identifiers: two requests */
    /*
     * Status-Server is never retransmitted (RFC 5997, 6): the second try is a
     * new request, with its own Identifier and Authenticator, and an answer to
     * either counts.
     */
    for (unsigned t = 0; t < 2 && !answered && !s->unreachable; t++) {
        ULONGLONG until = GetTickCount64() + s->timeout_ms;

        len[t] = rh_radius_status_server(req[t], nonce[t][16], nonce[t], s->opt.nas_identifier,
                                         s->secret, s->secret_len);
        if (len[t] == 0)
            break;
        if (send(s->sock, (const char *)req[t], (int)len[t], 0) != (int)len[t]) {
            send_error = WSAGetLastError();
            s->unreachable = send_error == WSAECONNRESET || send_error == WSAECONNREFUSED;
            if (!s->unreachable)
                break; /* no route, no buffer: said below */
        }
        while (!answered && !s->unreachable && GetTickCount64() < until) {
            fd_set rd;
            struct timeval tv = {0, SLICE_MS * 1000};
            int n;

            FD_ZERO(&rd);
            FD_SET(s->sock, &rd);
            select(0, &rd, NULL, NULL, &tv);
            n = recv(s->sock, (char *)resp, sizeof resp, 0);
            if (n == SOCKET_ERROR) {
                int e = WSAGetLastError();

                s->unreachable = e == WSAECONNRESET || e == WSAECONNREFUSED;
                continue;
            }
            /* Only an answer to one of ours, by its Identifier, says anything. */
            for (unsigned k = 0; k <= t && !answered && n >= 2; k++) {
                if (len[k] == 0 || resp[1] != req[k][1])
                    continue;
                v = rh_radius_check_response(resp, (size_t)n, req[k], s->secret, s->secret_len);
                answered = v != RH_RADIUS_OTHER_ID;
            }
        }
    }
    if (send_error != 0 && !s->unreachable && !answered) {
        char why[256];

        rh_win32_error_text((DWORD)send_error, why, sizeof why);
        snprintf(line, size, "%s port %u: Status-Server cannot be sent: %s\n", ep->host,
                 (unsigned)ep->port, why);
        return RH_SINK_RETRY;
    }
    if (s->unreachable)
        said = "nothing listens there (ICMP port unreachable)";
    else if (!answered)
        said = NULL; /* below: it needs the time waited */
    else if (v == RH_RADIUS_ACK)
        said = "answers Status-Server (RFC 5997) with the same Secret: it can take requests now";
    else if (v == RH_RADIUS_MALFORMED)
        said = "answered Status-Server with a packet that is not an Accounting-Response: is it a "
               "RADIUS accounting port?";
    else if (v == RH_RADIUS_BAD_MESSAGE_AUTH) /* its Response Authenticator proved the Secret */
        said = "answers Status-Server with the same Secret, but a wrong Message-Authenticator: "
               "the answer was changed on its way, or the server signs it wrongly";
    else
        said = "answers Status-Server, but its answer is not signed with this Secret: the Secret "
               "differs from the one the server has for this client";
    if (said != NULL) {
        snprintf(line, size, "%s port %u: %s\n", ep->host, (unsigned)ep->port, said);
        return !s->unreachable && v == RH_RADIUS_ACK ? RH_SINK_OK : RH_SINK_RETRY;
    }
    snprintf(line, size,
             "%s port %u: resolved, and no answer to Status-Server (RFC 5997) in %lu ms: the "
             "server may not answer it (FreeRADIUS does only with status_server = yes), may have "
             "dropped it for a wrong Secret, or may be down; whether it takes requests can only "
             "be known by sending one\n",
             ep->host, (unsigned)ep->port, 2 * (unsigned long)s->timeout_ms);
    return RH_SINK_OK;
}

/*
 * sink.h: probe(). Each server's name is resolved, a UDP socket connected, and
 * the server asked with a Status-Server; no accounting request is sent.
 */
static enum rh_sink_result radius_probe(void *instance, char *out, size_t out_size)
{
    struct radius_sink *s = instance;
    enum rh_sink_result res = RH_SINK_OK;
    size_t was = s->current;
    struct rh_buf b;

    rh_buf_init(&b, out, out_size);
    for (size_t i = 0; i < s->n_servers; i++) {
        char line[512], why[256];

        s->current = i;
        s->failing = true; /* said here, not in the log */
        if (connect_current(s)) {
            if (status_server(s, line, sizeof line) != RH_SINK_OK)
                res = RH_SINK_RETRY;
        } else {
            rh_win32_error_text(GetLastError(), why, sizeof why);
            snprintf(line, sizeof line, "%s port %u: %s\n", s->servers[i].host,
                     (unsigned)s->servers[i].port, why);
            res = RH_SINK_RETRY;
        }
        disconnect(s);
        rh_buf_append_str(&b, line);
    }
    s->current = was;
    s->failing = false;
    return res;
}

/* What failed (sink.h: error()): the server the sink was on; the code is the call's. */
static void radius_error(void *instance, struct rh_sink_error *out)
{
    const struct radius_sink *s = instance;
    const struct rh_endpoint *ep = &s->servers[s->failed_at];

    snprintf(out->what, sizeof out->what, "RADIUS accounting to %s port %u", ep->host,
             (unsigned)ep->port);
}

const struct rh_sink_ops rh_sink_radius = {
    .type = "radius",
    .config_size = sizeof(struct radius_config),
    .options = radius_options,
    .n_options = sizeof radius_options / sizeof radius_options[0],
    .events = RH_EVENT_HANGUP | RH_EVENT_CONNECT | RH_EVENT_SERVICE_START | RH_EVENT_SERVICE_STOP,
    .create = radius_create,
    .deliver = radius_deliver,
    .flush = radius_flush,
    .settle = radius_settle,
    .error = radius_error,
    .probe = radius_probe,
    .cancel = radius_cancel,
    .destroy = radius_destroy,
};
