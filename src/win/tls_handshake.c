/* SPDX-License-Identifier: MIT */
/* The TLS client's credentials and handshake over Schannel. */
#include "tls_internal.h"

#include <string.h>

#define HANDSHAKE_ROUND 256 /* InitializeSecurityContext calls before giving up */

static WCHAR unisp_name[] = L"Microsoft Unified Security Protocol Provider";

/*
 * TLS 1.2 and later only. SCH_CREDENTIALS (Windows 10 1809 and later) can allow
 * TLS 1.3; older systems know only SCHANNEL_CRED, which cannot.
 */
SECURITY_STATUS rh_tls_acquire_credentials(struct rh_tls *t)
{
    const DWORD flags =
        SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS | SCH_USE_STRONG_CRYPTO;
    TLS_PARAMETERS params;
    SCH_CREDENTIALS cred;
    SCHANNEL_CRED old;
    SECURITY_STATUS st;

    if (t->have_cred)
        return SEC_E_OK;
    memset(&params, 0, sizeof params);
    params.grbitDisabledProtocols = ~(DWORD)(SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT);
    memset(&cred, 0, sizeof cred);
    cred.dwVersion = SCH_CREDENTIALS_VERSION;
    cred.dwFlags = flags;
    cred.cTlsParameters = 1;
    cred.pTlsParameters = &params;
    st = AcquireCredentialsHandleW(NULL, unisp_name, SECPKG_CRED_OUTBOUND, NULL, &cred, NULL, NULL,
                                   &t->cred, NULL);
    if (st != SEC_E_OK) {
        memset(&old, 0, sizeof old);
        old.dwVersion = SCHANNEL_CRED_VERSION;
        old.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
        old.dwFlags = flags;
        st = AcquireCredentialsHandleW(NULL, unisp_name, SECPKG_CRED_OUTBOUND, NULL, &old, NULL,
                                       NULL, &t->cred, NULL);
    }
    t->have_cred = st == SEC_E_OK;
    return st;
}

/* Sends a token Schannel allocated, and frees it. */
bool rh_tls_send_token(struct tls_stream *ts, SecBuffer *b, struct rh_net_error *err)
{
    int error = 0;
    bool ok = true;

    if (b->pvBuffer != NULL && b->cbBuffer > 0)
        ok = rh_net_send_all(ts->sock, b->pvBuffer, b->cbBuffer, &error);
    if (b->pvBuffer != NULL)
        FreeContextBuffer(b->pvBuffer);
    b->pvBuffer = NULL;
    b->cbBuffer = 0;
    if (!ok)
        rh_net_error_set(err, error);
    return ok;
}

/* Receives more of the handshake, if it comes before the deadline (GetTickCount64). */
static bool receive_more(struct tls_stream *ts, ULONGLONG deadline, struct rh_net_error *err)
{
    ULONGLONG now = GetTickCount64();
    DWORD left = now < deadline ? (DWORD)(deadline - now) : 0;
    struct timeval tv = {(long)(left / 1000), (long)(left % 1000) * 1000};
    fd_set rd;
    int n;

    if (ts->in_len == IN_SIZE) {
        rh_tls_error(err, SEC_E_BUFFER_TOO_SMALL,
                     "handshake failed: a message is larger than %u KiB", IN_SIZE / 1024);
        return false;
    }
    FD_ZERO(&rd);
    FD_SET(ts->sock, &rd);
    n = select(0, &rd, NULL, NULL, &tv);
    if (n <= 0) {
        rh_tls_error(err, WSAETIMEDOUT,
                     "handshake failed: the server did not complete it within %lu ms (is it a TLS "
                     "port?)",
                     (unsigned long)ts->timeout_ms);
        return false;
    }
    n = recv(ts->sock, ts->in + ts->in_len, (int)(IN_SIZE - ts->in_len), 0);
    if (n > 0) {
        ts->in_len += (size_t)n;
        return true;
    }
    if (n == 0)
        rh_tls_error(
            err, WSAECONNRESET,
            "handshake failed: the server closed the connection (not a TLS port, or none of "
            "our protocol versions and ciphers suits it)");
    else
        rh_net_error_set(err, WSAGetLastError());
    return false;
}

/* Keeps the bytes Schannel did not consume (a SECBUFFER_EXTRA), at the front of `in`. */
void rh_tls_keep_extra(struct tls_stream *ts, const SecBuffer *extra)
{
    if (extra->BufferType == SECBUFFER_EXTRA && extra->cbBuffer > 0 &&
        extra->cbBuffer <= ts->in_len) {
        memmove(ts->in, ts->in + ts->in_len - extra->cbBuffer, extra->cbBuffer);
        ts->in_len = extra->cbBuffer;
    } else {
        ts->in_len = 0;
    }
}

/*
 * The InitializeSecurityContext loop, within timeout_ms: from nothing (a new
 * connection), or from what `in` holds (after SEC_I_RENEGOTIATE: TLS 1.3
 * post-handshake messages).
 */
bool rh_tls_handshake(struct tls_stream *ts, struct rh_net_error *err)
{
    ULONGLONG deadline = GetTickCount64() + ts->timeout_ms;
    bool need_input = false;

    for (int round = 0; round < HANDSHAKE_ROUND; round++) {
        SecBuffer in[2], out[1];
        SecBufferDesc in_desc = {SECBUFFER_VERSION, 2, in}, out_desc = {SECBUFFER_VERSION, 1, out};
        ULONG attrs = 0;
        SECURITY_STATUS st;

        if (need_input && !receive_more(ts, deadline, err))
            return false;
        in[0].BufferType = SECBUFFER_TOKEN;
        in[0].pvBuffer = ts->in;
        in[0].cbBuffer = (ULONG)ts->in_len;
        in[1].BufferType = SECBUFFER_EMPTY;
        in[1].pvBuffer = NULL;
        in[1].cbBuffer = 0;
        out[0].BufferType = SECBUFFER_TOKEN;
        out[0].pvBuffer = NULL;
        out[0].cbBuffer = 0;
        st = InitializeSecurityContextW(&ts->tls->cred, ts->have_ctx ? &ts->ctx : NULL, ts->target,
                                        ISC_FLAGS, 0, 0, ts->have_ctx ? &in_desc : NULL, 0,
                                        ts->have_ctx ? NULL : &ts->ctx, &out_desc, &attrs, NULL);
        if (!ts->have_ctx && (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK))
            ts->have_ctx = true;
        if (st == SEC_E_INCOMPLETE_MESSAGE) {
            need_input = true;
            continue;
        }
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
            rh_tls_keep_extra(ts, &in[1]);
            if (!rh_tls_send_token(ts, &out[0], err))
                return false;
            if (st == SEC_E_OK)
                return true;
            need_input = ts->in_len == 0;
            continue;
        }
        if (FAILED(st) && (attrs & ISC_RET_EXTENDED_ERROR) != 0) {
            struct rh_net_error ignored;

            rh_tls_send_token(ts, &out[0], &ignored); /* the alert: the server learns why */
        } else if (out[0].pvBuffer != NULL) {
            FreeContextBuffer(out[0].pvBuffer);
        }
        if (st == SEC_I_INCOMPLETE_CREDENTIALS)
            rh_tls_error(err, st,
                         "handshake failed: the server asks for a client certificate, and "
                         "none is configured");
        else
            rh_tls_sec_error(err, "handshake failed", st);
        return false;
    }
    rh_tls_error(err, SEC_E_INTERNAL_ERROR, "handshake failed: more than %d rounds",
                 HANDSHAKE_ROUND);
    return false;
}
