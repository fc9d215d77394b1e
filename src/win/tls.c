/* SPDX-License-Identifier: MIT */
#include "tls_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wstr.h"

#define CLOSE_WAIT_MS 250 /* for the peer's answer to our close_notify */

static const struct {
    SECURITY_STATUS code;
    const char *name;
} sec_names[] = {
    {SEC_E_ALGORITHM_MISMATCH, "SEC_E_ALGORITHM_MISMATCH"},
    {SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL"},
    {SEC_E_CERT_EXPIRED, "SEC_E_CERT_EXPIRED"},
    {SEC_E_CERT_UNKNOWN, "SEC_E_CERT_UNKNOWN"},
    {SEC_E_CONTEXT_EXPIRED, "SEC_E_CONTEXT_EXPIRED"},
    {SEC_E_DECRYPT_FAILURE, "SEC_E_DECRYPT_FAILURE"},
    {SEC_E_ENCRYPT_FAILURE, "SEC_E_ENCRYPT_FAILURE"},
    {SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE"},
    {SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE"},
    {SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY"},
    {SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR"},
    {SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE"},
    {SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN"},
    {SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED"},
    {SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS"},
    {SEC_E_SECPKG_NOT_FOUND, "SEC_E_SECPKG_NOT_FOUND"},
    {SEC_E_TARGET_UNKNOWN, "SEC_E_TARGET_UNKNOWN"},
    {SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS"},
    {SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION"},
    {SEC_E_UNTRUSTED_ROOT, "SEC_E_UNTRUSTED_ROOT"},
    {SEC_E_WRONG_PRINCIPAL, "SEC_E_WRONG_PRINCIPAL"},
    {SEC_I_CONTEXT_EXPIRED, "SEC_I_CONTEXT_EXPIRED"},
    {SEC_I_INCOMPLETE_CREDENTIALS, "SEC_I_INCOMPLETE_CREDENTIALS"},
    {SEC_I_RENEGOTIATE, "SEC_I_RENEGOTIATE"},
};

/* "<what>: SEC_E_NAME (0x80090326) <the system's text>" into e. */
void rh_tls_sec_error(struct rh_net_error *e, const char *what, SECURITY_STATUS st)
{
    const char *name = "SECURITY_STATUS";
    WCHAR msg[256];
    char text[384] = "";
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)st, 0, msg, sizeof msg / sizeof msg[0], NULL);

    for (size_t i = 0; i < sizeof sec_names / sizeof sec_names[0]; i++)
        if (sec_names[i].code == st)
            name = sec_names[i].name;
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
        n--;
    if (n > 0 && !rh_wide_to_utf8(msg, (int)n, text, sizeof text))
        text[0] = '\0';
    e->code = (DWORD)st;
    e->tls = true;
    snprintf(e->text, sizeof e->text, "TLS: %s: %s (0x%08lX)%s%s", what, name, (unsigned long)st,
             text[0] != '\0' ? " " : "", text);
}

void rh_tls_error(struct rh_net_error *e, SECURITY_STATUS code, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(e->text, sizeof e->text, "TLS: ");

    e->code = (DWORD)code;
    e->tls = true;
    va_start(ap, fmt);
    vsnprintf(e->text + n, sizeof e->text - (size_t)n, fmt, ap);
    va_end(ap);
}

struct rh_tls *rh_tls_create(void)
{
    return calloc(1, sizeof(struct rh_tls));
}

void rh_tls_destroy(struct rh_tls *t)
{
    if (t == NULL)
        return;
    if (t->have_cred)
        FreeCredentialsHandle(&t->cred);
    if (t->ca != NULL)
        CertCloseStore(t->ca, 0);
    free(t);
}

/* Decrypts what `in` holds; false if the peer closed (close_notify) or the data is bad. */
static bool decrypt_pending(struct tls_stream *ts, bool *closed)
{
    while (ts->in_len > 0) {
        SecBuffer b[4];
        SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS st;
        const SecBuffer *extra = &b[0];

        b[0].BufferType = SECBUFFER_DATA;
        b[0].pvBuffer = ts->in;
        b[0].cbBuffer = (ULONG)ts->in_len;
        for (int i = 1; i < 4; i++) {
            b[i].BufferType = SECBUFFER_EMPTY;
            b[i].pvBuffer = NULL;
            b[i].cbBuffer = 0;
        }
        st = DecryptMessage(&ts->ctx, &desc, 0, NULL);
        if (st == SEC_E_INCOMPLETE_MESSAGE)
            return true;
        if (st == SEC_I_CONTEXT_EXPIRED) {
            *closed = true; /* close_notify: the server read everything before it */
            return false;
        }
        if (st != SEC_E_OK && st != SEC_I_RENEGOTIATE) {
            ts->broken = true;
            return false;
        }
        /* A collector sends nothing: decrypted data is dropped. */
        for (int i = 1; i < 4; i++)
            if (b[i].BufferType == SECBUFFER_EXTRA)
                extra = &b[i];
        if (extra == &b[0])
            ts->in_len = 0;
        else
            rh_tls_keep_extra(ts, extra);
        if (st == SEC_I_RENEGOTIATE) {
            struct rh_net_error ignored;

            if (!rh_tls_handshake(ts, &ignored)) {
                ts->broken = true;
                return false;
            }
        }
    }
    return true;
}

static bool tls_send(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    const SecPkgContext_StreamSizes *z = &ts->sizes;

    while (n > 0) {
        ULONG chunk = n > z->cbMaximumMessage ? z->cbMaximumMessage : (ULONG)n;
        SecBuffer b[4];
        SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS s;
        int error = 0;

        memcpy(ts->out + z->cbHeader, p, chunk);
        b[0].BufferType = SECBUFFER_STREAM_HEADER;
        b[0].pvBuffer = ts->out;
        b[0].cbBuffer = z->cbHeader;
        b[1].BufferType = SECBUFFER_DATA;
        b[1].pvBuffer = ts->out + z->cbHeader;
        b[1].cbBuffer = chunk;
        b[2].BufferType = SECBUFFER_STREAM_TRAILER;
        b[2].pvBuffer = ts->out + z->cbHeader + chunk;
        b[2].cbBuffer = z->cbTrailer;
        b[3].BufferType = SECBUFFER_EMPTY;
        b[3].pvBuffer = NULL;
        b[3].cbBuffer = 0;
        s = EncryptMessage(&ts->ctx, 0, &desc, 0);
        if (s != SEC_E_OK || b[0].cbBuffer > z->cbHeader || b[1].cbBuffer > chunk ||
            b[2].cbBuffer > z->cbTrailer) {
            ts->broken = true;
            rh_tls_sec_error(err, "encrypting failed", s != SEC_E_OK ? s : SEC_E_INTERNAL_ERROR);
            return false;
        }
        /* The record is header, data, trailer back to back (header sizes are fixed). */
        if (b[0].cbBuffer < z->cbHeader)
            memmove(ts->out + b[0].cbBuffer, b[1].pvBuffer, b[1].cbBuffer + b[2].cbBuffer);
        if (!rh_net_send_all(ts->sock, ts->out,
                             (size_t)b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer, &error)) {
            ts->broken = true;
            rh_net_error_set(err, error);
            return false;
        }
        p += chunk;
        n -= chunk;
    }
    return true;
}

/* Reads and decrypts what arrives within wait_ms (0: what has arrived), and how the peer stands. */
static enum rh_peer_state read_pending(struct tls_stream *ts, DWORD wait_ms)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;

    /* A bounded number of reads: a collector that keeps sending is no reason to stay. */
    for (int round = 0; round < 64; round++) {
        ULONGLONG now = GetTickCount64();
        DWORD left = now < deadline ? (DWORD)(deadline - now) : 0;
        fd_set rd;
        struct timeval tv = {(long)(left / 1000), (long)(left % 1000) * 1000};
        bool closed = false;
        int n;

        FD_ZERO(&rd);
        FD_SET(ts->sock, &rd);
        if (select(0, &rd, NULL, NULL, &tv) <= 0)
            return RH_PEER_OPEN;
        if (ts->in_len == IN_SIZE) {
            ts->broken = true;
            return RH_PEER_RESET;
        }
        n = recv(ts->sock, ts->in + ts->in_len, (int)(IN_SIZE - ts->in_len), 0);
        if (n == 0) {
            /*
             * A FIN without close_notify: maybe truncated, and a FIN is not
             * authenticated (anyone on the path can forge one): as a reset,
             * unless it answers our own close_notify. Collectors (rsyslog's
             * gtls) answer that with a bare FIN; it is then trusted as over TCP.
             */
            ts->broken = true;
            ts->peer_closed = ts->closing;
            return ts->closing ? RH_PEER_CLOSED : RH_PEER_RESET;
        }
        if (n < 0) {
            ts->broken = true;
            return RH_PEER_RESET;
        }
        ts->in_len += (size_t)n;
        if (!decrypt_pending(ts, &closed)) {
            ts->peer_closed = closed;
            return closed ? RH_PEER_CLOSED : RH_PEER_RESET;
        }
    }
    return RH_PEER_OPEN;
}

static enum rh_peer_state tls_peer_state(struct rh_stream *st)
{
    struct tls_stream *ts = (struct tls_stream *)st;

    /* Once the server closed: whether a reset followed (our data reached it closed). */
    if (ts->peer_closed)
        return rh_net_peer_state(ts->sock) == RH_PEER_RESET ? RH_PEER_RESET : RH_PEER_CLOSED;
    if (ts->broken)
        return RH_PEER_RESET;
    return read_pending(ts, 0);
}

static void tls_free(struct tls_stream *ts)
{
    if (ts == NULL)
        return;
    if (ts->have_ctx)
        DeleteSecurityContext(&ts->ctx);
    if (ts->sock != INVALID_SOCKET)
        closesocket(ts->sock);
    free(ts->in);
    free(ts->out);
    free(ts);
}

/*
 * Sends the last record Schannel makes after a control token: close_notify
 * (SCHANNEL_SHUTDOWN) or an alert (SCHANNEL_ALERT), then FIN. False if the token
 * was refused or could not be sent.
 */
static bool send_closing(struct tls_stream *ts, void *token, ULONG size)
{
    SecBuffer b = {size, SECBUFFER_TOKEN, token};
    SecBufferDesc desc = {SECBUFFER_VERSION, 1, &b};
    SecBuffer out = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out};
    ULONG attrs = 0;
    SECURITY_STATUS st;
    struct rh_net_error ignored;

    if (ApplyControlToken(&ts->ctx, &desc) != SEC_E_OK)
        return false;
    st = InitializeSecurityContextW(&ts->tls->cred, &ts->ctx, ts->target, ISC_FLAGS, 0, 0, NULL, 0,
                                    NULL, &out_desc, &attrs, NULL);
    if (st != SEC_E_OK && st != SEC_I_CONTEXT_EXPIRED) {
        if (out.pvBuffer != NULL)
            FreeContextBuffer(out.pvBuffer);
        return false;
    }
    if (!rh_tls_send_token(ts, &out, &ignored))
        return false;
    shutdown(ts->sock, SD_SEND);
    return true;
}

static bool tls_finish(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    DWORD type = SCHANNEL_SHUTDOWN;
    ULONGLONG deadline = GetTickCount64() + wait_ms;
    enum rh_peer_state peer = RH_PEER_OPEN;

    if (!ts->have_ctx || ts->broken || !send_closing(ts, &type, sizeof type)) {
        ts->broken = true;
        return false;
    }
    /* Our close_notify is sent: close() must not send another. */
    ts->broken = true;
    ts->closing = true;
    /* A bounded number of reads: a collector that keeps sending is no reason to stay. */
    for (int round = 0; round < 64 && peer == RH_PEER_OPEN; round++) {
        ULONGLONG now = GetTickCount64();

        if (!rh_net_wait_readable(ts->sock, now < deadline ? (DWORD)(deadline - now) : 0, cancel))
            return false;
        peer = read_pending(ts, 0);
    }
    /* Its close_notify, or its FIN after our close_notify: it read everything before. */
    return peer == RH_PEER_CLOSED;
}

static void tls_close(struct rh_stream *st)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    DWORD type = SCHANNEL_SHUTDOWN;

    /*
     * close_notify; then read until the server answers, so that closing with
     * its data unread does not reset the connection.
     */
    if (ts->have_ctx && !ts->broken && send_closing(ts, &type, sizeof type))
        read_pending(ts, CLOSE_WAIT_MS);
    tls_free(ts);
}

/*
 * Tells a server we refused why, with a fatal alert; where Schannel cannot send
 * one (Wine 8), closes in order rather than cut the connection.
 */
static void refuse(struct tls_stream *ts, const struct rh_net_error *why)
{
    SCHANNEL_ALERT_TOKEN alert;
    DWORD shutdown_type = SCHANNEL_SHUTDOWN;

    alert.dwTokenType = SCHANNEL_ALERT;
    alert.dwAlertType = TLS1_ALERT_FATAL;
    switch ((SECURITY_STATUS)why->code) {
    case SEC_E_UNTRUSTED_ROOT:
        alert.dwAlertNumber = TLS1_ALERT_UNKNOWN_CA;
        break;
    case SEC_E_CERT_EXPIRED:
        alert.dwAlertNumber = TLS1_ALERT_CERTIFICATE_EXPIRED;
        break;
    case SEC_E_UNSUPPORTED_FUNCTION:
        alert.dwAlertNumber = TLS1_ALERT_PROTOCOL_VERSION;
        break;
    default:
        alert.dwAlertNumber = TLS1_ALERT_BAD_CERTIFICATE;
        break;
    }
    if (!send_closing(ts, &alert, sizeof alert))
        send_closing(ts, &shutdown_type, sizeof shutdown_type);
}

static const struct rh_stream_ops tls_ops = {
    .send = tls_send,
    .peer_state = tls_peer_state,
    .finish = tls_finish,
    .close = tls_close,
};

struct rh_stream *rh_tls_connect(struct rh_tls *t, const struct rh_endpoint *ep, DWORD timeout_ms,
                                 struct rh_net_error *err)
{
    struct tls_stream *ts = calloc(1, sizeof *ts);
    SECURITY_STATUS st;
    int error = 0;
    size_t out_size;

    if (ts == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    ts->base.ops = &tls_ops;
    ts->tls = t;
    ts->sock = INVALID_SOCKET;
    ts->timeout_ms = timeout_ms;
    ts->in = malloc(IN_SIZE);
    if (ts->in == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    /* The name to check is also the one to ask for (SNI), when a server is given by address. */
    if (t->server_name[0] != L'\0') {
        memcpy(ts->target, t->server_name, sizeof ts->target);
    } else if (!rh_utf8_to_wide(ep->host, ts->target, RH_NET_HOST_SIZE + 1)) {
        rh_net_error_set(err, WSAEINVAL);
        goto fail;
    }
    st = rh_tls_acquire_credentials(t);
    if (st != SEC_E_OK) {
        rh_tls_sec_error(err, "Schannel refused the credentials", st);
        goto fail;
    }
    ts->sock = rh_net_connect(ep, SOCK_STREAM, timeout_ms, &error);
    if (ts->sock == INVALID_SOCKET) {
        rh_net_error_set(err, error);
        goto fail;
    }
    if (!rh_tls_handshake(ts, err)) {
        err->tls = true; /* connected: the handshake is what failed, whatever its code (211) */
        goto fail;
    }
    st = QueryContextAttributesW(&ts->ctx, SECPKG_ATTR_STREAM_SIZES, &ts->sizes);
    if (st != SEC_E_OK) {
        rh_tls_sec_error(err, "cannot read the record sizes", st);
        goto fail;
    }
    if (ts->sizes.cbMaximumMessage == 0 || ts->sizes.cbMaximumMessage > 65536 ||
        ts->sizes.cbHeader > 1024 || ts->sizes.cbTrailer > 1024) {
        rh_tls_error(err, SEC_E_INTERNAL_ERROR, "unexpected record sizes");
        goto fail;
    }
    out_size = (size_t)ts->sizes.cbHeader + ts->sizes.cbMaximumMessage + ts->sizes.cbTrailer;
    ts->out = malloc(out_size);
    if (ts->out == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    if (!rh_tls_check_server(ts, err)) {
        refuse(ts, err);
        goto fail;
    }
    return &ts->base;

fail:
    tls_free(ts);
    return NULL;
}
