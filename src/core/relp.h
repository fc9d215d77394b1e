/* SPDX-License-Identifier: MIT */
/*
 * RELP, the Reliable Event Logging Protocol of rsyslog (librelp's spec): the
 * client's frames and its reading of the server's responses. Pure: no sockets.
 *
 *   frame = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *
 * The client opens a session ("open", offering relp_version=0 and
 * commands=syslog), sends each message as "syslog", and the server answers each
 * frame with "rsp" and the same TXNR: "200 OK" once it has taken the message
 * (rsyslog: into its queue), so every message is acknowledged on its own.
 * "serverclose" (TXNR 0) tells that the server is going away.
 */
#ifndef RH_RELP_H
#define RH_RELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"

#define RH_RELP_TXNR_MAX    999999999u /* then 1 again */
#define RH_RELP_COMMAND_MAX 32
/* The largest response the client takes: an open's offers are short; rsp data is text. */
#define RH_RELP_RESPONSE_MAX 4096u

/* The TXNR after `t`: 1, 2, ... RH_RELP_TXNR_MAX, 1. */
uint32_t rh_relp_next_txnr(uint32_t t);

/* Appends one frame; false (out unchanged) if it does not fit or the command is not 1-32 letters.
 */
bool rh_relp_frame(struct rh_buf *out, uint32_t txnr, const char *command, const void *data,
                   size_t len);

/* Appends the "open" frame: relp_version=0, relp_software=rashangup, commands=syslog. */
bool rh_relp_open(struct rh_buf *out, uint32_t txnr);

struct rh_relp_response {
    uint32_t txnr;
    char command[RH_RELP_COMMAND_MAX + 1];
    unsigned code;    /* "rsp": the 3-digit status (200 OK); 0 for other commands */
    const char *data; /* into the input; data_len bytes, not terminated */
    size_t data_len;
};

enum rh_relp_parse {
    RH_RELP_MORE,  /* no whole frame yet */
    RH_RELP_FRAME, /* *r holds one; *used bytes were it */
    RH_RELP_BAD,   /* not RELP, or larger than RH_RELP_RESPONSE_MAX: end the session */
};

/* Reads the first frame of p[0..len). */
enum rh_relp_parse rh_relp_parse(const char *p, size_t len, struct rh_relp_response *r,
                                 size_t *used);

/*
 * Whether an "open" response accepts the session: "200 ...", and syslog among
 * its commands if it lists them.
 */
bool rh_relp_open_accepted(const struct rh_relp_response *r);

#endif /* RH_RELP_H */
