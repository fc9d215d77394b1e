/* SPDX-License-Identifier: MIT */
/*
 * Winsock for the network sinks: connecting with a timeout, sending,
 * and the stream interface that plain TCP and TLS (tls.h) both implement.
 */
#ifndef RH_NET_H
#define RH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "servers.h" /* struct rh_endpoint and the server lists, in the core */

/* WSAStartup / WSACleanup, reference-counted by Winsock itself. */
bool rh_net_startup(void);
void rh_net_cleanup(void);

/*
 * A stream socket's send buffer: fixed (Windows would grow it to megabytes), so
 * that what a collector may hold unread is its receive buffer plus this much.
 */
#define RH_NET_SNDBUF (256 * 1024)

/*
 * Resolves `ep` and connects a socket of `type` (SOCK_STREAM or SOCK_DGRAM) to
 * the first address that answers within timeout_ms. Sends then time out after
 * timeout_ms too. INVALID_SOCKET, with the Winsock error in *error, on failure.
 */
SOCKET rh_net_connect(const struct rh_endpoint *ep, int type, DWORD timeout_ms, int *error);

/* Sends all of p[0..n); false (error in *error) if the connection failed. */
bool rh_net_send_all(SOCKET s, const char *p, size_t n, int *error);

enum rh_peer_state {
    RH_PEER_OPEN,   /* nothing from the peer: still there */
    RH_PEER_CLOSED, /* it closed cleanly (FIN): it had read all we sent */
    RH_PEER_RESET,  /* it reset the connection: what it had not read is lost */
};

/*
 * How a stream's peer stands, without blocking. A collector sends nothing, so
 * anything to read means it left: cleanly, after reading everything (a socket
 * closed with unread data is reset instead), or not.
 */
enum rh_peer_state rh_net_peer_state(SOCKET s);

/* Why a connection or a send failed. */
struct rh_net_error {
    DWORD code;     /* a Winsock error or a SECURITY_STATUS: what status.json reports */
    char text[512]; /* one line for the log, UTF-8: the system's text, or the TLS check that failed
                     */
    bool tls;       /* TLS refused: the handshake or a trust check failed (event 211, not 210) */
};

/* Sets e to a Winsock (or Win32) error code and the system's text for it. */
void rh_net_error_set(struct rh_net_error *e, int code);

/*
 * A connected byte stream to a collector: plain TCP (rh_tcp_connect, below) or
 * TLS (rh_tls_connect, tls.h). The sinks see only these operations, so framing,
 * failover and resending are written once for both. A stream belongs to one
 * thread at a time.
 */
struct rh_stream;

struct rh_stream_ops {
    /* Sends all of p[0..n); false, with the reason in *err, if the connection failed. */
    bool (*send)(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err);
    /* How the peer stands, without blocking (as rh_net_peer_state). */
    enum rh_peer_state (*peer_state)(struct rh_stream *st);
    /*
     * Ends our side in order (TLS: close_notify; then FIN) and waits up to wait_ms
     * for the peer to end its own: true if it did cleanly, which proves it read
     * everything we sent (a peer sees our end only after all our data, and a
     * socket closed with data unread is reset instead). False if it reset, did
     * not answer in time, or *cancel was set. Nothing can be sent afterwards.
     */
    bool (*finish)(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel);
    /*
     * Reads what the peer sent (RELP's answers), waiting up to wait_ms for it in
     * slices that look at *cancel: the bytes read, 0 if nothing came in time, -1
     * if the connection ended or failed. NULL where the stream does not read.
     */
    int (*recv)(struct rh_stream *st, char *buf, size_t cap, DWORD wait_ms, volatile LONG *cancel);
    /* Closes in order (TLS: close_notify first, unless the connection failed) and frees. */
    void (*close)(struct rh_stream *st);
};

struct rh_stream {
    const struct rh_stream_ops *ops;
};

/* rh_net_connect for SOCK_STREAM, as a stream. NULL, with the reason in *err, on failure. */
struct rh_stream *rh_tcp_connect(const struct rh_endpoint *ep, DWORD timeout_ms,
                                 struct rh_net_error *err);

bool rh_stream_send(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err);
enum rh_peer_state rh_stream_peer_state(struct rh_stream *st);
bool rh_stream_finish(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel);
int rh_stream_recv(struct rh_stream *st, char *buf, size_t cap, DWORD wait_ms,
                   volatile LONG *cancel);
void rh_stream_close(struct rh_stream *st); /* accepts NULL */

/*
 * Waits until `s` has something to read (or its peer closed or reset), up to
 * wait_ms, in slices that look at *cancel: true if it has.
 */
bool rh_net_wait_readable(SOCKET s, DWORD wait_ms, volatile LONG *cancel);

#endif /* RH_NET_H */
