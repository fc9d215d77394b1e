/* SPDX-License-Identifier: MIT */
/*
 * RADIUS accounting packets (RFC 2865, 2866, 2868, 3162, 3579, 6911): building
 * an Accounting-Request from a record, and checking the Accounting-Response.
 * Pure: no sockets, no clock; the caller supplies the Identifier, the delay and
 * the time. A retransmission is a new packet (RFC 5080, 2.2.1: a changed
 * Acct-Delay-Time needs a new Identifier, so the authenticators change too).
 */
#ifndef RH_RADIUS_H
#define RH_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define RH_RADIUS_MAX 4096 /* the largest RADIUS packet */

enum rh_acct_status {
    RH_ACCT_START = 1,
    RH_ACCT_STOP = 2,
    RH_ACCT_ON = 7,
    RH_ACCT_OFF = 8,
};

enum rh_radius_user_format {
    RH_RADIUS_USER_BACKSLASH, /* DOMAIN\user (NPS, Windows) */
    RH_RADIUS_USER_AT,        /* user@DOMAIN */
    RH_RADIUS_USER_PLAIN,     /* user */
};

struct rh_radius_options {
    const char *nas_identifier; /* NAS-Identifier (32); NULL: the record's server name */
    /* NAS-IP-Address, when configured; otherwise the sink adds the address it sends from. */
    bool has_nas_ipv4;
    uint8_t nas_ipv4[4]; /* NAS-IP-Address (4) */
    enum rh_radius_user_format user_format;
    bool message_authenticator; /* add Message-Authenticator (80), RFC 3579 */
};

/* Connect-Info (77) of a simulated record's request (RH_WARN_SIMULATED). */
#define RH_RADIUS_SIMULATED_INFO "simulated (rrashost --replay)"

/*
 * Builds an Accounting-Request into out. For START and STOP, `r` is the
 * connection's record; for ON and OFF it is NULL and `session_id` names the
 * service run (RFC 2866 wants Acct-Session-Id in every request). `now_s` is the
 * Event-Timestamp of ON and OFF (START and STOP take the record's time). A
 * simulated record's request carries Connect-Info RH_RADIUS_SIMULATED_INFO.
 * Returns the length, or 0 if the secret is empty.
 */
size_t rh_radius_accounting_request(uint8_t out[RH_RADIUS_MAX], uint8_t identifier,
                                    enum rh_acct_status status, const struct rh_record *r,
                                    const char *session_id, uint64_t now_s, uint32_t delay_s,
                                    const struct rh_radius_options *o, const void *secret,
                                    size_t secret_len);

/*
 * Builds a Status-Server (RFC 5997) for an accounting port into out: the
 * caller's random Request Authenticator, NAS-Identifier (NULL: "rashangup")
 * and the Message-Authenticator RFC 5997 requires. A server that answers it
 * answers with an Accounting-Response, checked by rh_radius_check_response
 * against this packet. Returns the length, or 0 if the secret is empty.
 */
size_t rh_radius_status_server(uint8_t out[RH_RADIUS_MAX], uint8_t identifier,
                               const uint8_t authenticator[16], const char *nas_identifier,
                               const void *secret, size_t secret_len);

/*
 * Turns a request built above into its retransmission (RFC 5080, 2.2.1): a new
 * Identifier and Acct-Delay-Time, signed again. Returns len, or 0 if the packet
 * is not such a request.
 */
size_t rh_radius_retransmission(uint8_t *request, size_t len, uint8_t identifier, uint32_t delay_s,
                                const void *secret, size_t secret_len);

/*
 * Puts the address a request leaves from into it: NAS-IP-Address (addr_len 4)
 * or NAS-IPv6-Address (16, RFC 3162), in place of any it had. The request must
 * be signed again after (rh_radius_retransmission). Returns the new length, or
 * 0 if the request is not one built above.
 */
size_t rh_radius_set_nas_address(uint8_t *request, size_t len, const uint8_t *addr,
                                 size_t addr_len);

enum rh_radius_verdict {
    RH_RADIUS_ACK = 0,          /* a valid Accounting-Response to that request */
    RH_RADIUS_MALFORMED,        /* not a RADIUS packet, or not an Accounting-Response */
    RH_RADIUS_OTHER_ID,         /* the response to another request (a late one): ignore */
    RH_RADIUS_BAD_AUTH,         /* the Response Authenticator is wrong: a wrong secret, or forged */
    RH_RADIUS_BAD_MESSAGE_AUTH, /* the Message-Authenticator is wrong */
};

/* Checks a response against the request it answers. */
enum rh_radius_verdict rh_radius_check_response(const uint8_t *resp, size_t len,
                                                const uint8_t *request, const void *secret,
                                                size_t secret_len);

#endif /* RH_RADIUS_H */
