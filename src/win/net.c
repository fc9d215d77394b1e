/* SPDX-License-Identifier: MIT */
#include "net.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "text.h"

bool rh_net_startup(void)
{
    WSADATA wsa;

    return WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
}

void rh_net_cleanup(void)
{
    WSACleanup();
}

/* Connects with a deadline: non-blocking connect, then wait for it to complete. */
static bool connect_within(SOCKET s, const struct sockaddr *addr, int len, DWORD timeout_ms,
                           int *error)
{
    u_long on = 1, off = 0;
    fd_set wr, ex;
    struct timeval tv = {(long)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000};
    int soerr = 0, soerr_len = sizeof soerr;

    ioctlsocket(s, (long)FIONBIO, &on); /* FIONBIO is unsigned; the argument, long */
    if (connect(s, addr, len) != 0) {
        if (WSAGetLastError() != WSAEWOULDBLOCK) {
            *error = WSAGetLastError();
            return false;
        }
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        FD_SET(s, &wr);
        FD_SET(s, &ex);
        if (select(0, NULL, &wr, &ex, &tv) <= 0) {
            *error = WSAETIMEDOUT;
            return false;
        }
        if (FD_ISSET(s, &ex) ||
            getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &soerr_len) != 0 || soerr != 0) {
            *error = soerr != 0 ? soerr : WSAECONNREFUSED;
            return false;
        }
    }
    ioctlsocket(s, (long)FIONBIO, &off);
    return true;
}

SOCKET rh_net_connect(const struct rh_endpoint *ep, int type, DWORD timeout_ms, int *error)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[8];
    SOCKET s = INVALID_SOCKET;
    DWORD tmo = timeout_ms;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    snprintf(port, sizeof port, "%u", (unsigned)ep->port);
    *error = getaddrinfo(ep->host, port, &hints, &res);
    if (*error != 0)
        return INVALID_SOCKET;
    *error = WSAEHOSTUNREACH;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s == INVALID_SOCKET) {
            *error = WSAGetLastError();
            continue;
        }
        if (type == SOCK_STREAM) {
            int sndbuf = RH_NET_SNDBUF;

            /* A fixed send buffer: what can wait unread is known (ResendWindowKB). */
            setsockopt(s, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf);
        }
        if (ai->ai_addrlen <= INT_MAX &&
            connect_within(s, ai->ai_addr, (int)ai->ai_addrlen, timeout_ms, error))
            break;
        closesocket(s);
        s = INVALID_SOCKET;
    }
    freeaddrinfo(res);
    if (s != INVALID_SOCKET) {
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&tmo, sizeof tmo);
        *error = 0;
    }
    return s;
}

bool rh_net_send_all(SOCKET s, const char *p, size_t n, int *error)
{
    while (n > 0) {
        int chunk = n > 0x100000 ? 0x100000 : (int)n;
        int sent = send(s, p, chunk, 0);

        if (sent <= 0) {
            *error = sent == 0 ? WSAECONNRESET : WSAGetLastError();
            return false;
        }
        p += sent;
        n -= (size_t)sent;
    }
    return true;
}

enum rh_peer_state rh_net_peer_state(SOCKET s)
{
    fd_set rd;
    struct timeval tv = {0, 0};
    char c;
    int n;

    FD_ZERO(&rd);
    FD_SET(s, &rd);
    if (select(0, &rd, NULL, NULL, &tv) <= 0)
        return RH_PEER_OPEN;
    n = recv(s, &c, 1, MSG_PEEK);
    if (n == 0) {
        int err = 0, len = sizeof err;

        /*
         * A reset after the FIN does not show to recv (Linux, and so Wine,
         * keep answering 0): it shows as the socket's error.
         */
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &len) == 0 && err != 0)
            return RH_PEER_RESET;
        return RH_PEER_CLOSED;
    }
    return n < 0 ? RH_PEER_RESET : RH_PEER_OPEN;
}

void rh_net_error_set(struct rh_net_error *e, int code)
{
    e->code = (DWORD)code;
    e->tls = false;
    rh_win32_error_text((DWORD)code, e->text, sizeof e->text);
}

struct tcp_stream {
    struct rh_stream base; /* first: a struct rh_stream * is a struct tcp_stream * */
    SOCKET sock;
};

static bool tcp_send(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err)
{
    struct tcp_stream *t = (struct tcp_stream *)st;
    int error = 0;

    if (rh_net_send_all(t->sock, p, n, &error))
        return true;
    rh_net_error_set(err, error);
    return false;
}

static enum rh_peer_state tcp_peer_state(struct rh_stream *st)
{
    return rh_net_peer_state(((struct tcp_stream *)st)->sock);
}

bool rh_net_wait_readable(SOCKET s, DWORD wait_ms, volatile LONG *cancel)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;

    for (;;) {
        ULONGLONG now = GetTickCount64();
        DWORD slice = now < deadline ? (DWORD)(deadline - now) : 0;
        struct timeval tv;
        fd_set rd;
        int n;

        if (cancel != NULL && *cancel != 0)
            return false;
        slice = slice > 50 ? 50 : slice;
        tv.tv_sec = 0;
        tv.tv_usec = (long)slice * 1000;
        FD_ZERO(&rd);
        FD_SET(s, &rd);
        n = select(0, &rd, NULL, NULL, &tv);
        if (n != 0)
            return n > 0;
        if (GetTickCount64() >= deadline)
            return false;
    }
}

static bool tcp_finish(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel)
{
    struct tcp_stream *t = (struct tcp_stream *)st;
    ULONGLONG deadline = GetTickCount64() + wait_ms;
    char scrap[512];

    if (shutdown(t->sock, SD_SEND) != 0)
        return false;
    /* A bounded number of reads: a collector that keeps sending is no reason to stay. */
    for (int round = 0; round < 64; round++) {
        ULONGLONG now = GetTickCount64();
        int n;

        if (!rh_net_wait_readable(t->sock, now < deadline ? (DWORD)(deadline - now) : 0, cancel))
            return false;
        n = recv(t->sock, scrap, sizeof scrap, 0);
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
    return false;
}

static int tcp_recv(struct rh_stream *st, char *buf, size_t cap, DWORD wait_ms,
                    volatile LONG *cancel)
{
    struct tcp_stream *t = (struct tcp_stream *)st;
    int n;

    if (!rh_net_wait_readable(t->sock, wait_ms, cancel))
        return 0;
    n = recv(t->sock, buf, cap > 0x100000 ? 0x100000 : (int)cap, 0);
    return n > 0 ? n : -1;
}

static void tcp_close(struct rh_stream *st)
{
    struct tcp_stream *t = (struct tcp_stream *)st;

    closesocket(t->sock);
    free(t);
}

static const struct rh_stream_ops tcp_ops = {
    .send = tcp_send,
    .peer_state = tcp_peer_state,
    .finish = tcp_finish,
    .recv = tcp_recv,
    .close = tcp_close,
};

struct rh_stream *rh_tcp_connect(const struct rh_endpoint *ep, DWORD timeout_ms,
                                 struct rh_net_error *err)
{
    struct tcp_stream *t = malloc(sizeof *t);
    int error = 0;

    if (t == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    t->base.ops = &tcp_ops;
    t->sock = rh_net_connect(ep, SOCK_STREAM, timeout_ms, &error);
    if (t->sock == INVALID_SOCKET) {
        rh_net_error_set(err, error);
        free(t);
        return NULL;
    }
    return &t->base;
}

bool rh_stream_send(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err)
{
    return st->ops->send(st, p, n, err);
}

enum rh_peer_state rh_stream_peer_state(struct rh_stream *st)
{
    return st->ops->peer_state(st);
}

bool rh_stream_finish(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel)
{
    return st->ops->finish(st, wait_ms, cancel);
}

int rh_stream_recv(struct rh_stream *st, char *buf, size_t cap, DWORD wait_ms,
                   volatile LONG *cancel)
{
    return st->ops->recv != NULL ? st->ops->recv(st, buf, cap, wait_ms, cancel) : -1;
}

void rh_stream_close(struct rh_stream *st)
{
    if (st != NULL)
        st->ops->close(st);
}
