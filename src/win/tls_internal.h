/* SPDX-License-Identifier: MIT */
/*
 * Shared by the TLS client's files: tls.c (errors, records, close_notify and
 * connect), tls_handshake.c (credentials and the handshake) and tls_trust.c
 * (CaFile, the pin, the server name, and the checks of the server).
 */
#ifndef RH_TLS_INTERNAL_H
#define RH_TLS_INTERNAL_H

#include "tls.h"

#include <stdbool.h>

#define SECURITY_WIN32
#define SCHANNEL_USE_BLACKLISTS /* SCH_CREDENTIALS and TLS_PARAMETERS */
#include <subauth.h>
#include <wincrypt.h>
#include <security.h>
#include <schannel.h>
#include <bcrypt.h>

#include "thumbprint.h"

/*
 * Received bytes not yet decrypted: a TLS record is at most 16 KiB plus 2 KiB of
 * overhead, and a handshake flight (certificate chains) can take several.
 */
#define IN_SIZE (96u * 1024)

#define ISC_FLAGS                                                                                  \
    (ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |                   \
     ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR |                           \
     ISC_REQ_MANUAL_CRED_VALIDATION | ISC_REQ_USE_SUPPLIED_CREDS)

struct rh_tls {
    HCERTSTORE ca; /* the CA file's certificates; NULL: the system's trust store */
    BYTE pin[RH_THUMBPRINT_MAX];
    ULONG pin_len;                           /* 20 (SHA-1), 32 (SHA-256) or 0: no pin */
    WCHAR server_name[RH_NET_HOST_SIZE + 1]; /* empty: each endpoint's host */
    CredHandle cred;
    bool have_cred;
};

struct tls_stream {
    struct rh_stream base; /* first: a struct rh_stream * is a struct tls_stream * */
    struct rh_tls *tls;
    SOCKET sock;
    CtxtHandle ctx;
    bool have_ctx;
    bool broken;                        /* the connection failed: no close_notify */
    bool peer_closed;                   /* the server's close_notify came, or FIN after ours */
    bool closing;                       /* our close_notify went out (tls_finish) */
    DWORD timeout_ms;                   /* for a whole handshake */
    WCHAR target[RH_NET_HOST_SIZE + 1]; /* ServerName, or the endpoint's host */
    SecPkgContext_StreamSizes sizes;
    char *in; /* IN_SIZE bytes: received, not yet decrypted */
    size_t in_len;
    char *out; /* one record: header, at most cbMaximumMessage bytes, trailer */
};

/* "<what>: SEC_E_NAME (0x80090326) <the system's text>" into e. */
void rh_tls_sec_error(struct rh_net_error *e, const char *what, SECURITY_STATUS st);

/* "TLS: <fmt>" into e, with code. */
void rh_tls_error(struct rh_net_error *e, SECURITY_STATUS code, const char *fmt, ...)
    __attribute__((format(gnu_printf, 3, 4)));

/* tls_handshake.c */
SECURITY_STATUS rh_tls_acquire_credentials(struct rh_tls *t);
bool rh_tls_send_token(struct tls_stream *ts, SecBuffer *b, struct rh_net_error *err);
void rh_tls_keep_extra(struct tls_stream *ts, const SecBuffer *extra);
bool rh_tls_handshake(struct tls_stream *ts, struct rh_net_error *err);

/* tls_trust.c: the negotiated protocol and the server's certificate, after the handshake. */
bool rh_tls_check_server(struct tls_stream *ts, struct rh_net_error *err);

#endif /* RH_TLS_INTERNAL_H */
