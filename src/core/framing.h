/* SPDX-License-Identifier: MIT */
/*
 * Syslog over a byte stream (TCP, TLS; RELP for the queue): octet-counting
 * frames (RFC 6587: "LEN SP MSG"), and the messages a connection has sent and
 * not yet settled, with the rules that settle them. Pure: the syslog sink
 * (sink_syslog.c) sends, reads the peer and the clock, and calls these.
 *
 * A message is settled (the journal's cursor may move past it) once it can no
 * longer be lost: ResendWindowKB more bytes were sent after it on the same
 * connection (rh_sent_settle_window), the collector acknowledged it and every
 * one before it (RELP: rh_sent_settle_acked), or the connection closed in
 * order (rh_sent_settle_all). Settling is always from the oldest on.
 */
#ifndef RH_FRAMING_H
#define RH_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest octet-counting prefix: 20 digits and the space. */
#define RH_OCTET_PREFIX_MAX 21

/*
 * Writes the prefix of a message of msg_len bytes, "LEN SP" (LEN in decimal,
 * no leading zero), to out (no NUL); returns its length. The frame is that
 * prefix followed by the message itself.
 */
size_t rh_octet_prefix(size_t msg_len, char out[RH_OCTET_PREFIX_MAX]);

/* A message sent on a connection and not settled. */
struct rh_sent {
    uint64_t token; /* the journal's token of its record: what settling it reports */
    uint64_t end; /* TCP, TLS: the connection's bytes sent up to its frame's end; RELP: its TXNR */
    uint64_t at;  /* RELP: when it was sent, in milliseconds */
    bool acked;   /* RELP: the collector answered 200 */
};

/* A connection's unsettled messages, oldest first: a ring over entries[0..cap). */
struct rh_sent_queue {
    struct rh_sent *entries;
    size_t cap;
    size_t first; /* where the oldest is */
    size_t count;
};

/* An empty queue over entries[0..cap); the caller owns the entries. */
void rh_sent_init(struct rh_sent_queue *q, struct rh_sent *entries, size_t cap);

/* Forgets every message (the connection ended: they are given back, not settled). */
void rh_sent_clear(struct rh_sent_queue *q);

/* The i-th oldest message, i < q->count. */
struct rh_sent *rh_sent_at(const struct rh_sent_queue *q, size_t i);

/* Adds the newest message; false (the queue unchanged) if it holds cap already. */
bool rh_sent_push(struct rh_sent_queue *q, const struct rh_sent *m);

/*
 * TCP, TLS: settles, from the oldest on, the messages that `window` bytes or
 * more have followed on the connection, which has sent `stream_bytes` in all
 * (and so at least each one's end). Window 0 settles everything sent.
 *
 * Each settling function sets *settled to the token of the last message it
 * settles (left as it was if none) and returns how many it settled.
 */
size_t rh_sent_settle_window(struct rh_sent_queue *q, uint64_t stream_bytes, uint64_t window,
                             uint64_t *settled);

/* RELP: settles the acknowledged messages at the front, up to the first not acknowledged. */
size_t rh_sent_settle_acked(struct rh_sent_queue *q, uint64_t *settled);

/* Settles every message: the collector proved it read them all. */
size_t rh_sent_settle_all(struct rh_sent_queue *q, uint64_t *settled);

/* RELP: the index of the oldest message not acknowledged whose end is `end`; q->count if none. */
size_t rh_sent_find_unacked(const struct rh_sent_queue *q, uint64_t end);

#endif /* RH_FRAMING_H */
