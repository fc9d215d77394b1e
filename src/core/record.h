/* SPDX-License-Identifier: MIT */
/*
 * The hangup record: what rashangup knows about one ended connection, decoded
 * from RRAS's structures into plain values and UTF-8 text. Formatters read only
 * this; they never see RRAS's structures. docs/record.md is its schema.
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

#define RH_SERVER_SIZE    RH_UTF8_SIZE(256)
#define RH_USER_SIZE      RH_UTF8_SIZE(RH_UNLEN + 1)
#define RH_DOMAIN_SIZE    RH_UTF8_SIZE(RH_DNLEN + 1)
#define RH_INTERFACE_SIZE RH_UTF8_SIZE(RH_MAX_INTERFACE_NAME_LEN + 1)
#define RH_COMPUTER_SIZE  RH_UTF8_SIZE(RH_NETBIOS_NAME_LEN + 1)
#define RH_ENDPOINT_SIZE  RH_UTF8_SIZE(RH_MAXIPADRESSLEN + 1)
#define RH_NAME_SIZE      24 /* a decoded name, or "unknown-0x" and 8 hex digits */

enum rh_tunnel {
    RH_TUNNEL_UNKNOWN = 0,
    RH_TUNNEL_PPP,
    RH_TUNNEL_IKEV2,
};

/* What parts of the record RRAS's structures provided (the rest is null). */
enum {
    RH_HAS_INTERFACE = 1u << 0,  /* interface name and type, flags, remote computer */
    RH_HAS_COUNTERS = 1u << 1,   /* traffic and error counters, compression ratios */
    RH_HAS_ENDPOINTS = 1u << 2,  /* tunnel endpoints, MOBIKE switch-overs */
    RH_HAS_IPV4 = 1u << 3,       /* the IPv4 projection (addresses, negotiation error) */
    RH_HAS_IPV6 = 1u << 4,       /* the IPv6 projection */
    RH_HAS_AUTH = 1u << 5,       /* authentication, encryption, compression */
    RH_HAS_PPP_ERRORS = 1u << 6, /* LCP and CCP negotiation errors */
    RH_HAS_QUARANTINE = 1u << 7, /* quarantine state */
    RH_HAS_EAP = 1u << 8,        /* an EAP type */
    RH_HAS_PROBATION = 1u << 9,  /* probation time */
};

/* Data-quality notes a record carries in `warnings`. */
enum {
    RH_WARN_STRUCTURE_SHORT = 1u << 0,     /* header.size below revision 1: the rest read as 0 */
    RH_WARN_PROJECTION_UNKNOWN = 1u << 1,  /* projectionInfoType is neither PPP nor IKEv2 */
    RH_WARN_PROJECTION_MISMATCH = 1u << 2, /* projectionInfoType contradicts the flags */
    RH_WARN_INVALID_UTF16 = 1u << 3,       /* a lone surrogate became U+FFFD */
    RH_WARN_CLIENT_IPV4_INVALID = 1u << 4, /* the assigned address was not dotted-quad IPv4 */
    RH_WARN_IPV6_PREFIX_LENGTH = 1u << 5,  /* a prefix length over 64 (the prefix holds 64 bits) */
};

/* What the caller knows about the event that RRAS's structure does not say. */
struct rh_event_meta {
    uint64_t time_ms;         /* when RRAS reported the hangup, ms since 1970 UTC */
    const char *server;       /* this server's name, UTF-8, NUL-terminated; NULL for none */
    const uint8_t *record_id; /* 16 bytes (a UUID), or NULL */
};

struct rh_record {
    uint32_t present;                    /* RH_HAS_* */
    uint32_t warnings;                   /* RH_WARN_* */
    char record_id[RH_GUID_STRING_SIZE]; /* "" when the caller gave none */
    uint64_t time_ms;                    /* hangup time, ms since 1970 UTC */
    uint64_t start_ms;                   /* time_ms - duration: RRAS gives no start time */
    uint32_t duration_s;
    char server[RH_SERVER_SIZE];
    char connection_id[RH_GUID_STRING_SIZE]; /* "" when RRAS gave a nil GUID */
    char user[RH_USER_SIZE];
    char domain[RH_DOMAIN_SIZE];
    char interface_name[RH_INTERFACE_SIZE];
    char interface_type[RH_NAME_SIZE];
    char remote_computer[RH_COMPUTER_SIZE];
    enum rh_tunnel tunnel;
    uint32_t connection_flags;                 /* RH_RAS_FLAGS_*, raw */
    char remote_endpoint[RH_ENDPOINT_SIZE];    /* "" when unknown */
    char local_endpoint[RH_ENDPOINT_SIZE];     /* "" when unknown */
    char client_ipv4[RH_IPV4_STRING_SIZE];     /* "" when none was assigned or it is not IPv4 */
    char server_ipv4[RH_IPV4_STRING_SIZE];     /* the server's end of the tunnel */
    uint32_t ipv4_error;                       /* IPv4 negotiation error, 0 = none */
    char client_ipv6[RH_IPV6_STRING_SIZE];     /* prefix ‖ remote interface id; "" if none */
    char server_ipv6[RH_IPV6_STRING_SIZE];     /* prefix ‖ the server's interface id */
    char ipv6_prefix[RH_IPV6_STRING_SIZE + 4]; /* "2001:db8::/64"; "" if none */
    uint32_t ipv6_error;
    char authentication[RH_NAME_SIZE]; /* "pap" ... "certificate"; "" if not negotiated */
    uint32_t eap_type;
    char eap_method[RH_NAME_SIZE]; /* "" for a type without a common name */
    char encryption[RH_NAME_SIZE]; /* "" when none is reported */
    char compression[RH_NAME_SIZE];
    uint32_t lcp_error;
    uint32_t ccp_error;
    char quarantine_state[RH_NAME_SIZE];
    uint64_t probation_ms;
    /* Server's view: "sent" is to the client. RRAS's counters are 32 bits and wrap. */
    uint32_t bytes_sent;
    uint32_t bytes_received;
    uint32_t frames_sent;
    uint32_t frames_received;
    uint32_t crc_errors;
    uint32_t timeout_errors;
    uint32_t alignment_errors;
    uint32_t hardware_overrun_errors;
    uint32_t framing_errors;
    uint32_t buffer_overrun_errors;
    uint32_t compression_ratio_in;  /* percent, as RRAS reports it */
    uint32_t compression_ratio_out; /* percent */
    uint32_t mobike_switchovers;
};

enum rh_ex_status {
    RH_EX_OK = 0,
    RH_EX_SHORT,        /* usable, but RRAS declared fewer bytes than revision 1 has */
    RH_EX_NULL,         /* no structure at all */
    RH_EX_BAD_TYPE,     /* header.type is not RAS_CONNECTION_OBJECT */
    RH_EX_BAD_REVISION, /* header.revision is 0 */
    RH_EX_TOO_SMALL,    /* header.size (or the bytes available) cannot even hold the header */
};

/*
 * Checks a RAS_CONNECTION_EX header and tells how many bytes of the structure
 * may be read: header.size, capped at the size of revision 1 (a later revision
 * is read by its revision-1 part). Usable when the status is RH_EX_OK or
 * RH_EX_SHORT; *readable is 0 otherwise.
 */
enum rh_ex_status rh_ex_check_header(const struct rh_mprapi_object_header *h, size_t *readable);
const char *rh_ex_status_text(enum rh_ex_status status);

/*
 * Takes a RAS_CONNECTION_EX from `avail` bytes at p: checks the header and copies
 * what may be read into *copy, zeroing the rest. Never reads past p + avail nor
 * past what the header declares. *copy is all zero if the status is not usable.
 */
enum rh_ex_status rh_ex_capture(struct rh_ras_connection_ex *copy, const void *p, size_t avail);

/* Converts a captured structure (status from rh_ex_capture: OK or SHORT). */
void rh_record_from_ex(struct rh_record *r, const struct rh_ras_connection_ex *c,
                       enum rh_ex_status status, const struct rh_event_meta *meta);

/*
 * The legacy set passed to MprAdminConnectionHangupNotification3. Any pointer may
 * be NULL; the record then lacks what that level carries.
 */
void rh_record_from_legacy(struct rh_record *r, const struct rh_ras_connection_0 *c0,
                           const struct rh_ras_connection_1 *c1,
                           const struct rh_ras_connection_2 *c2,
                           const struct rh_ras_connection_3 *c3, const struct rh_event_meta *meta);

const char *rh_tunnel_name(enum rh_tunnel t); /* "ppp", "ikev2", or NULL */

/*
 * The record as an ordered list of named fields: the one place that fixes the
 * names and the order of JSON members, CSV columns and syslog parameters.
 */
enum rh_field_kind {
    RH_FIELD_STRING, /* UTF-8 text */
    RH_FIELD_NUMBER, /* unsigned integer */
    RH_FIELD_TIME,   /* ms since 1970 UTC, written as RFC 3339 */
    RH_FIELD_LIST,   /* names of the set bits of `bits` (see rh_list_names) */
};

struct rh_field {
    const char *name;
    uint8_t name_len;
    uint8_t kind; /* enum rh_field_kind */
    bool null;    /* RRAS did not provide it */
    uint8_t list; /* for RH_FIELD_LIST: which name table */
    union {
        struct {
            const char *s;
            size_t len;
        } str;
        uint64_t num; /* NUMBER, TIME, or LIST bits */
    } v;
};

enum { RH_LIST_CONNECTION_FLAGS, RH_LIST_WARNINGS };

#define RH_FIELD_COUNT 46

/* Fills out[RH_FIELD_COUNT] and returns RH_FIELD_COUNT. */
size_t rh_record_fields(const struct rh_record *r, struct rh_field out[RH_FIELD_COUNT]);

/* The field names in order, for a CSV header: names[i] for i < RH_FIELD_COUNT. */
const char *rh_field_name(size_t i);

/* The name of bit `bit` (0..31) of a list, or NULL if that bit has none. */
const char *rh_list_name(unsigned list, unsigned bit);
/* The name of a bit, or "0x" and its value in hex written into `unnamed`. */
const char *rh_list_item(unsigned list, unsigned bit, char unnamed[16]);
/*
 * Appends the names of the set bits, separated by `sep`, each in double quotes
 * if `quoted` (names are [a-z0-9_] and never need escaping).
 */
void rh_list_append(struct rh_buf *out, unsigned list, uint32_t bits, char sep, bool quoted);

#endif /* RH_RECORD_H */
