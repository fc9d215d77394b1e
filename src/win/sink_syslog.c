/* SPDX-License-Identifier: MIT */
/*
 * The syslog sink: RFC 5424 messages to a collector (rsyslog, syslog-ng,
 * Graylog, a SIEM) over UDP (RFC 5426), TCP with octet-counting framing
 * (RFC 6587), TLS (RFC 5425, the same framing) or RELP, with failover between
 * several servers.
 *
 * TCP: a batch's messages are framed "LEN SP MSG" and sent at flush. Plain TCP
 * has no acknowledgement from the collector itself: what our send() handed to
 * the system can still be lost, in our socket buffer, in flight, or unread in
 * the collector's (Linux grows it up to 6 MiB), if the collector stops, resets,
 * or stops reading. So a message counts as delivered (settled: the journal
 * cursor moves past it) only once that can no longer happen:
 *  - when the connection ends in order: after IdleCloseMs without new records,
 *    or when the service stops, the sink closes its side and waits for the
 *    collector to close its own; a collector sees our end only after reading
 *    everything before it, and a socket closed with data unread is reset, not
 *    closed. So a clean close proves every message sent on it was read;
 *  - or once ResendWindowKB more has been sent after it on the same connection
 *    (the collector's receive buffer and our send buffer together are smaller),
 *    which keeps a busy connection from holding everything unsettled.
 * A connection that is reset, closed by the collector, stalls (a send or the
 * orderly close takes longer than ConnectTimeoutMs: a collector that stopped
 * reading) or fails, gives its unsettled messages back: the worker sends them
 * again from the journal, on the next server. They stay in the journal across
 * a stop or a crash, so a restart sends them too. A close the collector began
 * proves nothing (a reset to data that reached it closed need not show after
 * its FIN): the resend after it is closed in order at once, to be proved.
 * Messages may arrive twice (their record_id tells them apart); none is lost.
 * (Left: a collector that closes on its own within a round trip of our orderly
 * close looks like one that answered it.)
 *
 * RELP (rsyslog's Reliable Event Logging Protocol, relp.h), over TCP: each
 * message is a frame the collector answers once it has taken it, so a message
 * is settled as its answer comes, with the connection open; at most
 * RELP_WINDOW await one. A collector that refuses a message, closes the session
 * or does not answer within ConnectTimeoutMs gets back every message it had not
 * acknowledged, from the journal, as above; none is counted twice as delivered,
 * and only those sent and not acknowledged may arrive twice.
 *
 * TLS: the TCP path above over a TLS stream (tls.c, Schannel; both are a struct
 * rh_stream), so framing, settling and failover are the same code; the orderly
 * close is close_notify, answered by the collector's close_notify or FIN.
 * TLS 1.2 or later; the server is trusted through the system's store or a CaFile,
 * and must then hold the Server's host name (or ServerName), or through a pinned
 * ServerThumbprint alone (its dates still checked).
 * A refused server is logged with the reason and treated as one that does not
 * answer: the next server is tried, and the worker retries with backoff.
 *
 * UDP: one message per datagram, lossy by nature. Size rule: a message longer
 * than UdpMaxBytes (default 2048, the size RFC 5426 says receivers should
 * accept) is sent without its MSG summary; if its structured data alone is longer,
 * it is sent whole and the collector may truncate it (use TCP for that).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "net.h"
#include "tls.h"

#include "diag.h"
#include "format.h"
#include "framing.h"
#include "relp.h"
#include "sink.h"

#define BUFFER_SIZE (512u * 1024)
#define MAX_FRAMES  1024 /* messages in the buffer at once */

enum transport { TRANSPORT_UDP, TRANSPORT_TCP, TRANSPORT_TLS, TRANSPORT_RELP };
/* The Transport keywords, by enum transport. */
static const char *const transport_names[] = {"udp", "tcp", "tls", "relp", NULL};

#define RELP_WINDOW  128 /* messages outstanding at once, as librelp's own client */
#define RELP_RX_SIZE (2 * RH_RELP_RESPONSE_MAX + 64)

struct syslog_config {
    char server[1024];
    uint32_t port;
    uint32_t transport; /* enum transport */
    char facility[16];
    char app_name[64];
    char sd_id[64];
    uint32_t udp_max_bytes;
    uint32_t connect_timeout_ms;
    uint32_t resend_window_kb;
    uint32_t idle_close_ms;
    char ca_file[1024];
    char server_thumbprint[256];
    char server_name[RH_NET_HOST_SIZE];
};

#define OPT_TEXT(name, kind, def, member, doc)                                                     \
    RH_OPTION_TEXT(struct syslog_config, name, kind, def, member, doc)
#define OPT_DWORD(name, def, member, lo, hi, doc)                                                  \
    RH_OPTION_DWORD(struct syslog_config, name, def, member, lo, hi, doc)

static const struct rh_option syslog_options[] = {
    OPT_TEXT("Server", RH_OPT_STRING, NULL, server,
             "collectors, in failover order: host, host:port or [IPv6]:port, separated by commas"),
    OPT_DWORD("Port", "0", port, 0, 65535,
              "port of servers that name none (0: 514, 6514 for tls, 2514 for relp)"),
    RH_OPTION_CHOICE(struct syslog_config, "Transport", "tcp", transport, transport_names,
                     "relp is RELP over TCP: the collector acknowledges every message"),
    OPT_TEXT("Facility", RH_OPT_STRING, "authpriv", facility, "facility keyword or number 0 to 23"),
    OPT_TEXT("AppName", RH_OPT_STRING, "rashangup", app_name, "APP-NAME (1 to 48 printable ASCII)"),
    OPT_TEXT("SdId", RH_OPT_STRING, "rashangup@32473", sd_id,
             "SD-ID of the structured data: name@your-enterprise-number"),
    OPT_DWORD("UdpMaxBytes", "2048", udp_max_bytes, 480, 65000,
              "UDP: longest message sent with its summary"),
    OPT_DWORD(
        "ConnectTimeoutMs", "5000", connect_timeout_ms, 100, 60000,
        "how long a connection, a send, or the collector's answer to an orderly close may take"),
    OPT_DWORD(
        "ResendWindowKB", "8192", resend_window_kb, 0, 65536,
        "TCP and TLS: a message counts as delivered once this much more was sent after it on "
        "the connection, in KiB: more than the collector's receive buffer and our 256 KiB send "
        "buffer (0: once sent, which can lose what the collector never read)"),
    OPT_DWORD(
        "IdleCloseMs", "2000", idle_close_ms, 100, 600000,
        "TCP and TLS: after this long without new records, the connection is closed in order, "
        "which confirms the collector read everything sent"),
    OPT_TEXT("CaFile", RH_OPT_PATH, "", ca_file,
             "TLS: PEM or DER file of the CA certificates to trust instead of the system's store"),
    OPT_TEXT("ServerThumbprint", RH_OPT_STRING, "", server_thumbprint,
             "TLS: SHA-1 or SHA-256 hex of the one server certificate to trust"),
    OPT_TEXT("ServerName", RH_OPT_STRING, "", server_name,
             "TLS: the name the servers' certificates must hold (default: each server's host)"),
};

struct syslog_sink {
    char name[RH_SINK_NAME_SIZE];
    enum transport transport;
    struct rh_endpoint servers[RH_NET_MAX_SERVERS];
    size_t n_servers;
    size_t current;                  /* the server in use or tried next */
    size_t failed_at;                /* the server of the last failure (error()) */
    bool failed_connecting;          /* that failure was to connect, not to send */
    SOCKET sock;                     /* UDP */
    struct rh_stream *stream;        /* TCP or TLS */
    struct rh_tls *tls;              /* TLS: trust and names */
    char tls_name[RH_NET_HOST_SIZE]; /* ServerName: what certificates must hold; empty: the host */
    bool tls_pinned;                 /* ServerThumbprint: the pin, not a name, is checked */
    bool failing;
    bool oversize_reported;
    struct rh_syslog_options opt;
    char app_name[64];
    char sd_id[64];
    uint32_t udp_max;
    DWORD timeout_ms;
    DWORD idle_close_ms;
    volatile LONG cancelled;

    /* Messages formatted, not yet sent: back to back (UDP) or framed (TCP, TLS). */
    char *buf;
    size_t len;
    size_t n_frames;
    uint32_t frame_len[MAX_FRAMES];
    uint64_t frame_token[MAX_FRAMES];
    uint32_t frame_txnr[MAX_FRAMES]; /* RELP */

    /* What was sent on this connection and is not settled, oldest first (framing.h). */
    struct rh_sent_queue sent;
    uint64_t stream_bytes; /* sent on this connection */
    uint64_t window;       /* ResendWindowKB, in bytes */
    ULONGLONG last_send;   /* GetTickCount64() of the last send */
    bool prove_next;       /* the collector ended a connection: prove the resend at once */
    uint64_t settled;      /* every message given with a token up to this is settled */
    /* RELP: the session's last TXNR, and what the collector sent not yet read as frames. */
    uint32_t txnr;
    unsigned session, buf_session; /* sessions opened; the one the buffer's TXNRs belong to */
    bool relp_clean;               /* the session may end with "close": nothing half-sent */
    char *rx;
    size_t rx_len;
    char message[RH_FORMAT_MAX];
};

/* The TLS values: only with Transport tls, where they set up s->tls. */
static bool configure_tls(struct syslog_sink *s, const struct syslog_config *cfg, char *err,
                          size_t err_size)
{
    static const char *const names[] = {"CaFile", "ServerThumbprint", "ServerName"};
    const char *values[] = {cfg->ca_file, cfg->server_thumbprint, cfg->server_name};
    bool (*const set[])(struct rh_tls *, const char *, char *, size_t) = {
        rh_tls_set_ca_file, rh_tls_set_thumbprint, rh_tls_set_server_name};
    char why[384];

    snprintf(s->tls_name, sizeof s->tls_name, "%s", cfg->server_name);
    s->tls_pinned = cfg->server_thumbprint[0] != '\0';
    if (s->transport != TRANSPORT_TLS) {
        for (size_t i = 0; i < 3; i++) {
            if (values[i][0] != '\0') {
                rh_set_err(err, err_size, "value %s: only for Transport tls", names[i]);
                return false;
            }
        }
        return true;
    }
    if (cfg->ca_file[0] != '\0' && cfg->server_thumbprint[0] != '\0') {
        rh_set_err(
            err, err_size,
            "values CaFile and ServerThumbprint: set one (a pinned certificate needs no CA)");
        return false;
    }
    s->tls = rh_tls_create();
    if (s->tls == NULL) {
        rh_set_err(err, err_size, "out of memory");
        return false;
    }
    for (size_t i = 0; i < 3; i++) {
        if (values[i][0] != '\0' && !set[i](s->tls, values[i], why, sizeof why)) {
            rh_set_err(err, err_size, "value %s: %s", names[i], why);
            return false;
        }
    }
    return true;
}

static void *syslog_create(const char *name, const void *config, char *err, size_t err_size)
{
    const struct syslog_config *cfg = config;
    struct syslog_sink *s;
    struct rh_sent *sent;
    unsigned facility;
    uint16_t port;

    s = calloc(1, sizeof *s);
    if (s == NULL) {
        rh_set_err(err, err_size, "out of memory");
        return NULL;
    }
    s->buf = malloc(BUFFER_SIZE);
    s->rx = malloc(RELP_RX_SIZE);
    sent = malloc(RH_UNSETTLED_MAX * sizeof *sent);
    rh_sent_init(&s->sent, sent, RH_UNSETTLED_MAX);
    if (s->buf == NULL || s->rx == NULL || sent == NULL) {
        rh_set_err(err, err_size, "out of memory");
        goto fail;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->sock = INVALID_SOCKET;
    s->transport = (enum transport)cfg->transport;
    port = cfg->port != 0                   ? (uint16_t)cfg->port
           : s->transport == TRANSPORT_TLS  ? 6514
           : s->transport == TRANSPORT_RELP ? 2514
                                            : 514;
    if (!rh_net_parse_servers(cfg->server, port, s->servers, RH_NET_MAX_SERVERS, &s->n_servers,
                              err + 0, err_size)) {
        char why[256];

        snprintf(why, sizeof why, "%s", err);
        rh_set_err(err, err_size, "value Server: %s", why);
        goto fail;
    }
    if (!rh_syslog_facility_from_name(cfg->facility, &facility)) {
        rh_set_err(err, err_size, "value Facility: \"%s\" is not a facility keyword or 0 to 23",
                   cfg->facility);
        goto fail;
    }
    snprintf(s->app_name, sizeof s->app_name, "%s", cfg->app_name);
    snprintf(s->sd_id, sizeof s->sd_id, "%s", cfg->sd_id);
    rh_syslog_options_default(&s->opt);
    s->opt.facility = facility;
    s->opt.app_name = s->app_name;
    s->opt.sd_id = s->sd_id;
    {
        char why[256];
        enum rh_syslog_field bad = rh_syslog_options_fault(&s->opt, why, sizeof why);

        if (bad != RH_SYSLOG_FIELD_NONE) {
            rh_set_err(err, err_size, "value %s: %s",
                       bad == RH_SYSLOG_FIELD_SD_ID      ? "SdId"
                       : bad == RH_SYSLOG_FIELD_FACILITY ? "Facility"
                                                         : "AppName",
                       why);
            goto fail;
        }
    }
    if (!configure_tls(s, cfg, err, err_size))
        goto fail;
    s->udp_max = cfg->udp_max_bytes;
    s->window = (uint64_t)cfg->resend_window_kb * 1024;
    s->timeout_ms = cfg->connect_timeout_ms;
    s->idle_close_ms = cfg->idle_close_ms;
    if (!rh_net_startup()) {
        rh_set_err(err, err_size, "Winsock cannot start (error %d)", WSAGetLastError());
        goto fail;
    }
    return s;

fail:
    rh_tls_destroy(s->tls);
    free(s->rx);
    free(s->sent.entries);
    free(s->buf);
    free(s);
    return NULL;
}

/*
 * Ends the connection. Its unsettled messages are given up: the worker sends
 * them again, from the journal, after the RETRY that follows.
 */
static void disconnect(struct syslog_sink *s)
{
    if (s->transport == TRANSPORT_RELP && s->stream != NULL && s->txnr != 0 && s->relp_clean &&
        s->sent.count == 0 && s->n_frames == 0 && !s->cancelled) {
        char frame[32];
        struct rh_buf b;
        struct rh_net_error ignored;

        /* "close", so that the collector ends the session in order; its answer is not awaited. */
        rh_buf_init(&b, frame, sizeof frame);
        if (rh_relp_frame(&b, rh_relp_next_txnr(s->txnr), "close", NULL, 0))
            rh_stream_send(s->stream, b.data, b.len, &ignored);
    }
    s->txnr = 0;
    s->rx_len = 0;
    if (s->sock != INVALID_SOCKET) {
        closesocket(s->sock);
        s->sock = INVALID_SOCKET;
    }
    rh_stream_close(s->stream);
    s->stream = NULL;
    rh_sent_clear(&s->sent);
    s->stream_bytes = 0;
}

static bool is_connected(const struct syslog_sink *s)
{
    return s->transport == TRANSPORT_UDP ? s->sock != INVALID_SOCKET : s->stream != NULL;
}

/*
 * RELP: reads the collector's next frame into *r, waiting up to wait_ms for it.
 * 1: a frame (relp_consume takes its bytes); 0: none in time; -1: the session
 * ended, or the collector sent what is not RELP (*why says which).
 */
static int relp_next(struct syslog_sink *s, DWORD wait_ms, struct rh_relp_response *r, size_t *used,
                     const char **why)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;

    for (;;) {
        ULONGLONG now;
        int n;

        switch (rh_relp_parse(s->rx, s->rx_len, r, used)) {
        case RH_RELP_FRAME:
            return 1;
        case RH_RELP_BAD:
            *why = "it sent what is not RELP";
            return -1;
        case RH_RELP_MORE:
            break;
        }
        if (s->rx_len == RELP_RX_SIZE) {
            *why = "it sent what is not RELP";
            return -1;
        }
        now = GetTickCount64();
        n = rh_stream_recv(s->stream, s->rx + s->rx_len, RELP_RX_SIZE - s->rx_len,
                           now < deadline ? (DWORD)(deadline - now) : 0, &s->cancelled);
        if (n < 0) {
            *why = "it closed the connection";
            return -1;
        }
        if (n == 0)
            return 0;
        s->rx_len += (size_t)n;
    }
}

static void relp_consume(struct syslog_sink *s, size_t used)
{
    memmove(s->rx, s->rx + used, s->rx_len - used);
    s->rx_len -= used;
}

/* RELP: opens the session; false (why in *err) if the collector does not take it. */
static bool relp_open(struct syslog_sink *s, struct rh_net_error *err)
{
    char frame[128];
    struct rh_buf b;
    struct rh_relp_response r;
    const char *why = "it did not answer in time";
    size_t used = 0;
    int got;

    s->rx_len = 0;
    s->txnr = 1;
    rh_buf_init(&b, frame, sizeof frame);
    if (!rh_relp_open(&b, s->txnr) || !rh_stream_send(s->stream, b.data, b.len, err)) {
        s->txnr = 0;
        return false;
    }
    got = relp_next(s, s->timeout_ms, &r, &used, &why);
    if (got == 1 && r.txnr == 1 && rh_relp_open_accepted(&r)) {
        relp_consume(s, used);
        s->session++;
        s->relp_clean = true;
        return true;
    }
    if (got == 1)
        why = "it refused the session (no 200, or no syslog command)";
    err->code = WSAECONNREFUSED;
    err->tls = false;
    snprintf(err->text, sizeof err->text, "RELP: %s", why);
    s->txnr = 0;
    return false;
}

/*
 * RELP: takes the collector's answers, waiting up to wait_ms in all, until
 * `outstanding` or fewer messages await one. True unless the session failed:
 * the collector refused a message, went away or sent what is not RELP (said in
 * the log, with the messages that go again); the caller judges what is still
 * outstanding.
 */
static bool relp_answers(struct syslog_sink *s, DWORD wait_ms, size_t outstanding)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;
    const char *why = "";

    /* A bounded number of frames: a collector that floods answers is no reason to stay. */
    for (size_t frames = 0; s->sent.count > outstanding; frames++) {
        ULONGLONG now = GetTickCount64();
        struct rh_relp_response r;
        size_t used = 0, i;
        int got;

        if (frames > 4 * RELP_WINDOW) {
            why = "it sent more answers than messages";
            break;
        }
        got = relp_next(s, now < deadline ? (DWORD)(deadline - now) : 0, &r, &used, &why);
        if (got == 0)
            return true;
        if (got < 0)
            break;
        if (strcmp(r.command, "serverclose") == 0) {
            why = "it is closing the session (serverclose)";
            break;
        }
        if (strcmp(r.command, "rsp") != 0) {
            why = "it sent a command a client does not take";
            break;
        }
        i = rh_sent_find_unacked(&s->sent, r.txnr);
        if (i == s->sent.count) {
            why = "it answered a message it was not sent";
            break;
        }
        /* Only "200" takes a message; anything else, even no code, refuses it. */
        if (r.code != 200) {
            char text[128];
            size_t n = r.data_len < sizeof text - 1 ? r.data_len : sizeof text - 1;

            /* Its words, in the log: only printable ASCII of them. */
            for (size_t k = 0; k < n; k++)
                text[k] = r.data[k] >= 0x20 && r.data[k] < 0x7F ? r.data[k] : '?';
            text[n] = '\0';
            rh_log(RH_LOG_ERROR, "sink %s: %s refused a message: %s", s->name,
                   s->servers[s->current].host, n > 0 ? text : "(no status)");
            why = "it refused a message";
            break;
        }
        rh_sent_at(&s->sent, i)->acked = true;
        relp_consume(s, used);
        rh_sent_settle_acked(&s->sent, &s->settled);
    }
    if (s->sent.count <= outstanding)
        return true;
    rh_log(RH_LOG_WARNING,
           "sink %s: RELP to %s port %u: %s; %u message(s) it had not acknowledged are sent "
           "again",
           s->name, s->servers[s->current].host, (unsigned)s->servers[s->current].port, why,
           (unsigned)s->sent.count);
    s->relp_clean = false;
    SetLastError(WSAECONNABORTED);
    return false;
}

/*
 * RELP: waits up to wait_ms for answers until `outstanding` or fewer messages
 * await one. False (said in the log, the reason in GetLastError) if the
 * session failed or the collector did not answer in time: the caller gives
 * the connection up.
 */
static bool relp_wait(struct syslog_sink *s, DWORD wait_ms, size_t outstanding)
{
    if (!relp_answers(s, wait_ms, outstanding))
        return false;
    if (s->sent.count <= outstanding)
        return true;
    if (!s->cancelled)
        rh_log(RH_LOG_WARNING,
               "sink %s: RELP to %s port %u: no answer within %lu ms; %u message(s) it had not "
               "acknowledged are sent again",
               s->name, s->servers[s->current].host, (unsigned)s->servers[s->current].port,
               (unsigned long)s->timeout_ms, (unsigned)s->sent.count);
    s->relp_clean = false;
    SetLastError(WAIT_TIMEOUT);
    return false;
}

/* Opens the transport's connection to ep; false, with the reason in *err. */
static bool open_connection(struct syslog_sink *s, const struct rh_endpoint *ep,
                            struct rh_net_error *err)
{
    int error = 0;

    switch (s->transport) {
    case TRANSPORT_UDP:
        s->sock = rh_net_connect(ep, SOCK_DGRAM, s->timeout_ms, &error);
        if (s->sock == INVALID_SOCKET)
            rh_net_error_set(err, error);
        break;
    case TRANSPORT_TCP:
        s->stream = rh_tcp_connect(ep, s->timeout_ms, err);
        break;
    case TRANSPORT_TLS:
        s->stream = rh_tls_connect(s->tls, ep, s->timeout_ms, err);
        break;
    case TRANSPORT_RELP:
        s->stream = rh_tcp_connect(ep, s->timeout_ms, err);
        if (s->stream != NULL && !relp_open(s, err)) {
            rh_stream_close(s->stream);
            s->stream = NULL;
        }
        break;
    }
    return is_connected(s);
}

/* Our FIN goes out after all our data: a reset to it comes back within a round trip. */
#define FIN_GRACE_MS 250

/* Waits until `until` (looking at cancel): true if the collector's end is then still clean. */
static bool clean_until(struct syslog_sink *s, ULONGLONG until)
{
    while (GetTickCount64() < until && !s->cancelled)
        Sleep(50);
    return !s->cancelled && rh_stream_peer_state(s->stream) == RH_PEER_CLOSED;
}

/*
 * After rh_stream_finish said the collector ended its side in answer to ours:
 * our FIN (or close_notify) went out after all our data, so a collector that
 * had closed on its own at that moment resets within a round trip of it.
 */
static bool finished_cleanly(struct syslog_sink *s)
{
    return clean_until(s, GetTickCount64() + FIN_GRACE_MS);
}

/* Gives up the connection (said why) and moves to the next server. */
static void fail_over(struct syslog_sink *s, DWORD error)
{
    s->failed_at = s->current;
    s->failed_connecting = false;
    disconnect(s);
    s->current = (s->current + 1) % s->n_servers;
    s->failing = true;
    SetLastError(error);
}

/*
 * The collector ended the connection. Even a clean close of its own does not
 * prove it read what we sent last (a reset to data that reached it closed does
 * not always show after its FIN): what it had not confirmed goes again, and
 * the connection that carries it is closed in order at once, to prove it.
 */
static void connection_ended(struct syslog_sink *s, enum rh_peer_state peer)
{
    size_t lost = s->sent.count;

    s->failed_at = s->current;
    s->failed_connecting = false;
    if (lost > 0)
        rh_log(RH_LOG_WARNING,
               "sink %s: %s %s the connection; %u message(s) it had not confirmed are sent again",
               s->name, s->servers[s->current].host, peer == RH_PEER_RESET ? "reset" : "closed",
               (unsigned)lost);
    disconnect(s);
    s->prove_next = lost > 0;
    SetLastError(peer == RH_PEER_RESET ? WSAECONNRESET : WSAEDISCON);
}

/*
 * Connects to the current server, or the next ones in turn. A connection the
 * collector has ended gives back its unsettled messages: false then (RETRY),
 * so that they go out again, first.
 */
static bool ensure_connected(struct syslog_sink *s)
{
    struct rh_net_error error = {0, "", false};

    if (s->stream != NULL) {
        enum rh_peer_state peer = rh_stream_peer_state(s->stream);
        bool lost = s->sent.count > 0;

        if (peer != RH_PEER_OPEN) {
            connection_ended(s, peer);
            if (lost)
                return false;
        }
    }
    if (is_connected(s))
        return true;
    for (size_t tries = 0; tries < s->n_servers; tries++) {
        const struct rh_endpoint *ep = &s->servers[s->current];

        if (s->cancelled)
            break;
        if (open_connection(s, ep, &error)) {
            if (s->failing)
                rh_log(RH_LOG_INFO, "sink %s: connected to %s port %u", s->name, ep->host,
                       (unsigned)ep->port);
            s->failing = false;
            return true;
        }
        if (!s->failing)
            rh_log_event(error.tls ? RH_LOGID_TLS_REFUSED : RH_LOGID_CONNECT_FAILED, RH_LOG_ERROR,
                         "sink %s: cannot connect to %s port %u: %s", s->name, ep->host,
                         (unsigned)ep->port, error.text);
        s->failed_at = s->current;
        s->failed_connecting = true;
        s->current = (s->current + 1) % s->n_servers;
    }
    s->failing = true;
    SetLastError(error.code != 0 ? error.code : (DWORD)WSAECONNABORTED);
    return false;
}

static void drop_buffer(struct syslog_sink *s)
{
    s->len = 0;
    s->n_frames = 0;
}

static enum rh_sink_result send_buffer(struct syslog_sink *s)
{
    struct rh_net_error error = {0, "", false};
    bool ok = true;

    if (s->n_frames == 0)
        return RH_SINK_OK;
    if (!ensure_connected(s)) {
        drop_buffer(s);
        return RH_SINK_RETRY;
    }
    if (s->transport == TRANSPORT_RELP && s->buf_session != s->session) {
        /* The session the buffer's TXNRs were for ended: they go again, in a new one. */
        drop_buffer(s);
        SetLastError(WSAECONNRESET);
        return RH_SINK_RETRY;
    }
    if (s->transport != TRANSPORT_UDP && s->transport != TRANSPORT_RELP &&
        s->sent.count + s->n_frames > RH_UNSETTLED_MAX) {
        /* No room to remember more unconfirmed messages: have the collector confirm first. */
        if (!rh_stream_finish(s->stream, s->timeout_ms, &s->cancelled) || !finished_cleanly(s)) {
            drop_buffer(s);
            fail_over(s, WAIT_TIMEOUT);
            return RH_SINK_RETRY;
        }
        rh_sent_settle_all(&s->sent, &s->settled);
        disconnect(s);
        if (!ensure_connected(s)) {
            drop_buffer(s);
            return RH_SINK_RETRY;
        }
    }
    if (s->transport != TRANSPORT_UDP) {
        ok = rh_stream_send(s->stream, s->buf, s->len, &error);
        if (ok) {
            uint64_t end = s->stream_bytes;

            for (size_t i = 0; i < s->n_frames; i++) {
                struct rh_sent m = {s->frame_token[i], 0, GetTickCount64(), false};

                end += s->frame_len[i];
                m.end = s->transport == TRANSPORT_RELP ? s->frame_txnr[i] : end;
                /* Room was made above (TCP, TLS) or by the RELP window: it always fits. */
                rh_sent_push(&s->sent, &m);
            }
            s->stream_bytes = end;
            s->last_send = GetTickCount64();
            /* Settled once ResendWindowKB more bytes have followed it on the connection. */
            if (s->transport != TRANSPORT_RELP)
                rh_sent_settle_window(&s->sent, s->stream_bytes, s->window, &s->settled);
        }
    } else {
        size_t at = 0;

        for (size_t i = 0; i < s->n_frames && ok; i++) {
            ok = send(s->sock, s->buf + at, (int)s->frame_len[i], 0) == (int)s->frame_len[i];
            if (!ok)
                rh_net_error_set(&error, WSAGetLastError());
            at += s->frame_len[i];
        }
        if (ok) /* UDP confirms nothing: what went out is all it will ever do */
            s->settled = s->frame_token[s->n_frames - 1];
    }
    drop_buffer(s);
    if (ok && s->transport == TRANSPORT_RELP && !relp_answers(s, 0, 0)) {
        /* The answers that came: the session failed; what was not acknowledged goes again. */
        fail_over(s, WSAECONNABORTED);
        return RH_SINK_RETRY;
    }
    if (ok)
        return RH_SINK_OK;
    rh_log(RH_LOG_ERROR, "sink %s: sending to %s port %u failed: %s", s->name,
           s->servers[s->current].host, (unsigned)s->servers[s->current].port, error.text);
    s->relp_clean = false; /* a frame may have gone out in part: no "close" after it */
    fail_over(s, error.code);
    return RH_SINK_RETRY;
}

static enum rh_sink_result syslog_deliver(void *instance, enum rh_sink_event event,
                                          const struct rh_record *r, uint64_t token)
{
    struct syslog_sink *s = instance;
    struct rh_buf b;
    char frame[48];
    size_t frame_len = 0, start;

    (void)event; /* hangups only */
    rh_buf_init(&b, s->message, sizeof s->message);
    s->opt.omit_msg = false;
    if (!rh_format_syslog(r, &s->opt, &b)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER); /* the message does not fit RH_FORMAT_MAX */
        return RH_SINK_ERROR;
    }
    if (s->transport == TRANSPORT_UDP && b.len > s->udp_max) {
        rh_buf_init(&b, s->message, sizeof s->message);
        s->opt.omit_msg = true;
        rh_format_syslog(r, &s->opt, &b);
        if (b.len > s->udp_max && !s->oversize_reported) {
            rh_log(RH_LOG_WARNING,
                   "sink %s: a message of %u bytes exceeds UdpMaxBytes even without its summary; "
                   "the collector may truncate it (TCP carries any size)",
                   s->name, (unsigned)b.len);
            s->oversize_reported = true;
        }
    }
    if (s->len + frame_len + b.len + 32 > BUFFER_SIZE || s->n_frames == MAX_FRAMES ||
        (s->transport == TRANSPORT_RELP && s->sent.count + s->n_frames >= RELP_WINDOW)) {
        if (send_buffer(s) != RH_SINK_OK)
            return RH_SINK_RETRY;
    }
    if (s->transport == TRANSPORT_RELP) {
        /*
         * A TXNR belongs to a session: the first message of a buffer opens one if
         * needed. At most RELP_WINDOW await an answer; past that, the collector
         * answers within ConnectTimeoutMs or the session counts as stalled.
         */
        if (s->n_frames == 0 && !ensure_connected(s))
            return RH_SINK_RETRY;
        if (s->n_frames == 0)
            s->buf_session = s->session;
        if (s->sent.count >= RELP_WINDOW && !relp_wait(s, s->timeout_ms, RELP_WINDOW - 1)) {
            drop_buffer(s);
            fail_over(s, GetLastError());
            return RH_SINK_RETRY;
        }
        s->txnr = rh_relp_next_txnr(s->txnr);
        s->frame_txnr[s->n_frames] = s->txnr;
        frame_len = (size_t)snprintf(frame, sizeof frame, "%lu syslog %u ", (unsigned long)s->txnr,
                                     (unsigned)b.len);
    } else if (s->transport != TRANSPORT_UDP) {
        frame_len = rh_octet_prefix(b.len, frame); /* RFC 6587 octet counting */
    }
    start = s->len;
    memcpy(s->buf + s->len, frame, frame_len);
    memcpy(s->buf + s->len + frame_len, b.data, b.len);
    s->len += frame_len + b.len;
    if (s->transport == TRANSPORT_RELP)
        s->buf[s->len++] = '\n'; /* RELP's trailer */
    s->frame_len[s->n_frames] = (uint32_t)(s->len - start);
    s->frame_token[s->n_frames++] = token;
    return RH_SINK_OK;
}

static enum rh_sink_result syslog_flush(void *instance)
{
    return send_buffer(instance);
}

/*
 * TCP, TLS: what is settled. Looks at the connection without blocking; after
 * IdleCloseMs without a send, or `now`, closes it in order, which settles
 * everything sent on it if the collector closes its side in time. A connection
 * the collector ended, or one that did not close in time (it stopped reading),
 * gives its messages back (RETRY) and the next server takes over.
 */
static enum rh_sink_result syslog_settle(void *instance, bool now, uint64_t *token)
{
    struct syslog_sink *s = instance;
    enum rh_sink_result res = RH_SINK_OK;

    if (s->transport == TRANSPORT_RELP) {
        /*
         * Each message is acknowledged: take the answers that came. When
         * stopping, or once the oldest has waited past ConnectTimeoutMs, wait
         * for all of them.
         */
        if (s->stream != NULL && s->sent.count > 0) {
            bool wait = now || GetTickCount64() - rh_sent_at(&s->sent, 0)->at > s->timeout_ms;

            if (wait ? !relp_wait(s, s->timeout_ms, 0) : !relp_answers(s, 0, 0)) {
                fail_over(s, GetLastError());
                res = RH_SINK_RETRY;
            }
        }
    } else if (s->stream != NULL && s->sent.count > 0) {
        enum rh_peer_state peer = rh_stream_peer_state(s->stream);

        if (peer != RH_PEER_OPEN) {
            /* It took and dropped what we sent: the next server has its turn. */
            connection_ended(s, peer);
            s->current = (s->current + 1) % s->n_servers;
            s->failing = true;
            res = RH_SINK_RETRY;
        } else if (now || s->prove_next || GetTickCount64() - s->last_send >= s->idle_close_ms) {
            /* Its answer to our close proves it read everything, unless a reset follows. */
            if (rh_stream_finish(s->stream, s->timeout_ms, &s->cancelled) && finished_cleanly(s)) {
                rh_sent_settle_all(&s->sent, &s->settled);
                disconnect(s);
                s->prove_next = false;
            } else {
                if (!s->cancelled)
                    rh_log(
                        RH_LOG_WARNING,
                        "sink %s: %s port %u did not confirm within %lu ms that it read the last "
                        "%u message(s) (it stopped reading, or is too slow); they are sent "
                        "again",
                        s->name, s->servers[s->current].host, (unsigned)s->servers[s->current].port,
                        (unsigned long)s->timeout_ms, (unsigned)s->sent.count);
                fail_over(s, WAIT_TIMEOUT);
                res = RH_SINK_RETRY;
            }
        }
    }
    if (s->settled > *token)
        *token = s->settled;
    return res;
}

static void syslog_cancel(void *instance)
{
    struct syslog_sink *s = instance;

    InterlockedExchange(&s->cancelled, 1);
}

static void syslog_destroy(void *instance)
{
    struct syslog_sink *s = instance;

    if (s == NULL)
        return;
    disconnect(s);
    rh_tls_destroy(s->tls);
    rh_net_cleanup();
    free(s->rx);
    free(s->sent.entries);
    free(s->buf);
    free(s);
}

/* sink.h: probe(). Each server is connected to, as delivery would, and left at once. */
static enum rh_sink_result syslog_probe(void *instance, char *out, size_t out_size)
{
    struct syslog_sink *s = instance;
    enum rh_sink_result res = RH_SINK_OK;
    struct rh_buf b;

    rh_buf_init(&b, out, out_size);
    for (size_t i = 0; i < s->n_servers; i++) {
        const struct rh_endpoint *ep = &s->servers[i];
        struct rh_net_error err;
        char how[384];
        bool up;

        memset(&err, 0, sizeof err);
        up = open_connection(s, ep, &err) && is_connected(s);
        if (!up)
            snprintf(how, sizeof how, "%s", err.text[0] != '\0' ? err.text : "cannot connect");
        else if (s->transport == TRANSPORT_TLS && s->tls_pinned)
            snprintf(how, sizeof how,
                     "connected, TLS handshake done, certificate matches ServerThumbprint");
        else if (s->transport == TRANSPORT_TLS)
            snprintf(how, sizeof how,
                     "connected, TLS handshake done, certificate trusted for \"%s\"",
                     s->tls_name[0] != '\0' ? s->tls_name : ep->host);
        else
            snprintf(how, sizeof how, "%s",
                     s->transport == TRANSPORT_UDP
                         ? "resolved (UDP sends without a connection: no answer to wait for)"
                     : s->transport == TRANSPORT_RELP ? "connected, RELP session opened"
                                                      : "connected");
        if (!up)
            res = RH_SINK_RETRY;
        rh_buf_append_str(&b, ep->host);
        rh_buf_append_str(&b, " port ");
        rh_buf_append_u64(&b, ep->port);
        rh_buf_append_str(&b, ": ");
        rh_buf_append_str(&b, how);
        rh_buf_append_char(&b, '\n');
        disconnect(s);
    }
    return res;
}

/* What failed (sink.h: error()): the server the sink was on; the code is the call's. */
static void syslog_error(void *instance, struct rh_sink_error *out)
{
    const struct syslog_sink *s = instance;
    const struct rh_endpoint *ep = &s->servers[s->failed_at];

    snprintf(out->what, sizeof out->what, "%s over %s to %s port %u",
             s->failed_connecting ? "connect" : "send", transport_names[s->transport], ep->host,
             (unsigned)ep->port);
}

const struct rh_sink_ops rh_sink_syslog = {
    .type = "syslog",
    .config_size = sizeof(struct syslog_config),
    .options = syslog_options,
    .n_options = sizeof syslog_options / sizeof syslog_options[0],
    .create = syslog_create,
    .deliver = syslog_deliver,
    .flush = syslog_flush,
    .settle = syslog_settle,
    .error = syslog_error,
    .probe = syslog_probe,
    .cancel = syslog_cancel,
    .destroy = syslog_destroy,
};
