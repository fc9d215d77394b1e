/* SPDX-License-Identifier: MIT */
/*
 * The hangup record: what rashangup knows about one ended connection, decoded
 * from RRAS's structures into plain values and UTF-8 text. Formatters read only
 * this; they never see RRAS's structures.
 *
 * Conversion is pure: no allocation, no I/O, no global state. It is safe to call
 * from any thread and with any bytes in the source structures (strings need not
 * be NUL-terminated; each is read up to its array's capacity).
 */
#ifndef RH_RECORD_H
#define RH_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rashangup/ras_abi.h"
#include "text.h"

/* UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair gives 4 for 2). */
#define RH_UTF8_SIZE(units) (3 * (units) + 1)

#define RH_SERVER_SIZE   RH_UTF8_SIZE(256)
#define RH_USER_SIZE     RH_UTF8_SIZE(RH_UNLEN + 1)
#define RH_DOMAIN_SIZE   RH_UTF8_SIZE(RH_DNLEN + 1)
#define RH_ENDPOINT_SIZE RH_UTF8_SIZE(RH_MAXIPADRESSLEN + 1)

enum rh_tunnel {
    RH_TUNNEL_UNKNOWN = 0,
    RH_TUNNEL_PPP,
    RH_TUNNEL_IKEV2,
};

/* What the caller knows about the event that RRAS's structure does not say. */
struct rh_event_meta {
    uint64_t time_ms;   /* when RRAS reported the hangup, ms since 1970 UTC */
    const char *server; /* this server's name, UTF-8, NUL-terminated; NULL for none */
};

struct rh_record {
    uint64_t time_ms;  /* hangup time, ms since 1970 UTC */
    uint64_t start_ms; /* time_ms - duration: RRAS gives no start time */
    uint32_t duration_s;
    char server[RH_SERVER_SIZE];
    char connection_id[RH_GUID_STRING_SIZE]; /* "" when RRAS gave a nil GUID */
    char user[RH_USER_SIZE];
    char domain[RH_DOMAIN_SIZE];
    enum rh_tunnel tunnel;
    char remote_endpoint[RH_ENDPOINT_SIZE]; /* "" when unknown */
    char local_endpoint[RH_ENDPOINT_SIZE];  /* "" when unknown */
    char client_ipv4[RH_IPV4_STRING_SIZE];  /* "" when none was assigned or it is not IPv4 */
    /* Server's view: "sent" is to the client. RRAS's counters are 32 bits and wrap. */
    uint32_t bytes_sent;
    uint32_t bytes_received;
    uint32_t frames_sent;
    uint32_t frames_received;
};

enum rh_ex_status {
    RH_EX_OK = 0,
    RH_EX_SHORT,        /* usable, but RRAS declared fewer bytes than revision 1 has */
    RH_EX_NULL,         /* no structure at all */
    RH_EX_BAD_TYPE,     /* header.type is not RAS_CONNECTION_OBJECT */
    RH_EX_BAD_REVISION, /* header.revision is 0 */
    RH_EX_TOO_SMALL,    /* header.size cannot even hold the header */
};

/*
 * Checks a RAS_CONNECTION_EX header and tells how many bytes of the structure
 * may be read: header.size, capped at the size of revision 1 (a later revision
 * is read by its revision-1 part). The caller copies that many bytes into a
 * zeroed struct rh_ras_connection_ex and converts the copy. Usable when the
 * status is RH_EX_OK or RH_EX_SHORT; *readable is 0 otherwise.
 */
enum rh_ex_status rh_ex_check_header(const struct rh_mprapi_object_header *h, size_t *readable);
const char *rh_ex_status_text(enum rh_ex_status status);

void rh_record_from_ex(struct rh_record *r, const struct rh_ras_connection_ex *c,
                       const struct rh_event_meta *meta);

/*
 * The legacy set passed to MprAdminConnectionHangupNotification3. Any pointer may
 * be NULL; the record then lacks what that level carries.
 */
void rh_record_from_legacy(struct rh_record *r, const struct rh_ras_connection_0 *c0,
                           const struct rh_ras_connection_1 *c1,
                           const struct rh_ras_connection_2 *c2,
                           const struct rh_ras_connection_3 *c3, const struct rh_event_meta *meta);

const char *rh_tunnel_name(enum rh_tunnel t); /* "ppp", "ikev2", or NULL */

#endif /* RH_RECORD_H */
