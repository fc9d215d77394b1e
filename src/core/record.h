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

enum rh_tunnel {
    RH_TUNNEL_UNKNOWN = 0,
    RH_TUNNEL_PPP,
    RH_TUNNEL_IKEV2,
};

/* What parts of the record RRAS's structures provided (the rest is null). */
enum {
    RH_HAS_INTERFACE = 1u << 0,      /* interface name and type, flags, remote computer */
    RH_HAS_COUNTERS = 1u << 1,       /* traffic and error counters, compression ratios */
    RH_HAS_ENDPOINTS = 1u << 2,      /* tunnel endpoints, MOBIKE switch-overs */
    RH_HAS_IPV4 = 1u << 3,           /* the IPv4 projection (its negotiation error) */
    RH_HAS_IPV6 = 1u << 4,           /* the IPv6 projection (its negotiation error) */
    RH_HAS_PPP_ERRORS = 1u << 6,     /* LCP and CCP negotiation errors */
    RH_HAS_QUARANTINE = 1u << 7,     /* quarantine state */
    RH_HAS_EAP = 1u << 8,            /* an EAP type */
    RH_HAS_PROBATION = 1u << 9,      /* probation time */
    RH_HAS_RECORD_ID = 1u << 10,     /* record_id */
    RH_HAS_CONNECTION_ID = 1u << 11, /* a non-nil connection GUID */
    RH_HAS_CLIENT_IPV4 = 1u << 12,
    RH_HAS_SERVER_IPV4 = 1u << 13,
    RH_HAS_CLIENT_IPV6 = 1u << 14,
    RH_HAS_SERVER_IPV6 = 1u << 15,
    RH_HAS_IPV6_PREFIX = 1u << 16,
};

/* Data-quality notes a record carries in `warnings`. */
enum {
    RH_WARN_STRUCTURE_SHORT = 1u << 0,     /* header.size below revision 1: the rest read as 0 */
    RH_WARN_PROJECTION_UNKNOWN = 1u << 1,  /* projectionInfoType is neither PPP nor IKEv2 */
    RH_WARN_PROJECTION_MISMATCH = 1u << 2, /* projectionInfoType contradicts the flags */
    RH_WARN_INVALID_UTF16 = 1u << 3,       /* a lone surrogate became U+FFFD */
    RH_WARN_CLIENT_IPV4_INVALID = 1u << 4, /* the assigned address was not dotted-quad IPv4 */
    RH_WARN_IPV6_PREFIX_LENGTH = 1u << 5,  /* a prefix length over 64 (the prefix holds 64 bits) */
    RH_WARN_SIMULATED = 1u << 6,           /* not a real connection: a lab replay (rrashost) */
};

/* How a message's summary of a simulated record begins (formats' free text). */
#define RH_SIMULATED_SUMMARY "Simulated (rrashost --replay): "

/* What the caller knows about the event that RRAS's structure does not say. */
struct rh_record_meta {
    uint64_t time_ms;         /* when RRAS reported the hangup, ms since 1970 UTC */
    const char *server;       /* this server's name, UTF-8, NUL-terminated; NULL for none */
    const uint8_t *record_id; /* 16 bytes (a UUID), or NULL */
};

/*
 * A decoded enumeration: a static name, or (name NULL, known) a value with no
 * name, written "unknown-<value>" (in hex for protocol numbers).
 */
struct rh_name {
    const char *name;
    uint32_t value;
    bool known; /* RRAS gave a value; false: null */
    bool hex;
};

/* Text from RRAS or the system, as UTF-8 (never NUL inside, NUL after `len`). */
#define RH_TEXT(size)                                                                              \
    struct {                                                                                       \
        uint16_t len;                                                                              \
        char s[size];                                                                              \
    }

/*
 * Scalars first, text last: starting a record clears the head in one go and
 * only the lengths of the (large) text members.
 */
struct rh_record {
    uint32_t present;  /* RH_HAS_* */
    uint32_t warnings; /* RH_WARN_* */
    uint8_t record_id[16];
    uint64_t time_ms;  /* hangup time, ms since 1970 UTC */
    uint64_t start_ms; /* time_ms - duration: RRAS gives no start time */
    uint32_t duration_s;
    struct rh_guid connection_id;
    struct rh_name interface_type;
    enum rh_tunnel tunnel;
    uint32_t connection_flags; /* RH_RAS_FLAGS_*, raw */
    uint8_t client_ipv4[4];    /* the address assigned to the client */
    uint8_t server_ipv4[4];    /* the server's end of the tunnel */
    uint32_t ipv4_error;       /* IPv4 negotiation error, 0 = none */
    uint8_t client_ipv6[16];   /* prefix ‖ the client's interface id */
    uint8_t server_ipv6[16];   /* prefix ‖ the server's interface id */
    uint8_t ipv6_prefix[16];   /* the prefix, zero-extended */
    uint32_t ipv6_prefix_length;
    uint32_t ipv6_error;
    struct rh_name authentication; /* "pap" ... "certificate" */
    uint32_t eap_type;
    struct rh_name eap_method; /* the common name of eap_type */
    struct rh_name encryption;
    struct rh_name compression;
    uint32_t lcp_error;
    uint32_t ccp_error;
    struct rh_name quarantine_state;
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

    RH_TEXT(RH_SERVER_SIZE) server;
    RH_TEXT(RH_USER_SIZE) user;
    RH_TEXT(RH_DOMAIN_SIZE) domain;
    RH_TEXT(RH_INTERFACE_SIZE) interface_name;
    RH_TEXT(RH_COMPUTER_SIZE) remote_computer;
    RH_TEXT(RH_ENDPOINT_SIZE) remote_endpoint; /* empty when unknown */
    RH_TEXT(RH_ENDPOINT_SIZE) local_endpoint;
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
/* What rh_ex_capture would copy from p, without copying: the status, and *readable bytes. */
enum rh_ex_status rh_ex_readable(const void *p, size_t avail, size_t *readable);

/* A record of no connection (a service event): its id, time and server only. */
void rh_record_from_meta(struct rh_record *r, const struct rh_record_meta *meta);

/* Converts a captured structure (status from rh_ex_capture: OK or SHORT). */
void rh_record_from_ex(struct rh_record *r, const struct rh_ras_connection_ex *c,
                       enum rh_ex_status status, const struct rh_record_meta *meta);

/*
 * The legacy set passed to MprAdminConnectionHangupNotification3. Any pointer may
 * be NULL; the record then lacks what that level carries.
 */
void rh_record_from_legacy(struct rh_record *r, const struct rh_ras_connection_0 *c0,
                           const struct rh_ras_connection_1 *c1,
                           const struct rh_ras_connection_2 *c2,
                           const struct rh_ras_connection_3 *c3, const struct rh_record_meta *meta);

const char *rh_tunnel_name(enum rh_tunnel t); /* "ppp", "ikev2", or NULL */

/*
 * The record as an ordered list of named fields: the one place that fixes the
 * names and the order of JSON members, CSV columns and syslog parameters.
 */
enum rh_field_kind {
    RH_FIELD_TEXT,   /* UTF-8 from RRAS or the system: formats must escape it */
    RH_FIELD_NAME,   /* an rh_name: [a-z0-9_-] */
    RH_FIELD_NUMBER, /* unsigned integer */
    RH_FIELD_TIME,   /* ms since 1970 UTC, written as RFC 3339 */
    RH_FIELD_GUID,   /* struct rh_guid, 8-4-4-4-12 */
    RH_FIELD_UUID,   /* 16 bytes, 8-4-4-4-12 */
    RH_FIELD_IPV4,   /* 4 bytes, dotted quad */
    RH_FIELD_IPV6,   /* 16 bytes, RFC 5952 */
    RH_FIELD_PREFIX, /* 16 bytes and num = length: "2001:db8::/64" */
    RH_FIELD_LIST,   /* names of the set bits of num (see rh_list_name) */
};

struct rh_field {
    const char *name; /* NUL-terminated, in storage of RH_FIELD_NAME_STORAGE readable bytes */
    uint8_t name_len;
    uint8_t kind;  /* enum rh_field_kind */
    bool null;     /* RRAS did not provide it */
    uint8_t list;  /* for RH_FIELD_LIST: which name table */
    const void *p; /* TEXT: chars; NAME: struct rh_name; GUID, UUID, IPV4, IPV6, PREFIX: bytes */
    uint64_t num;  /* TEXT: length; NUMBER, TIME, LIST bits, PREFIX length */
};

enum { RH_LIST_CONNECTION_FLAGS, RH_LIST_WARNINGS };

#define RH_FIELD_COUNT 46
/* Field names sit in fixed blocks so writers may copy a whole block at once. */
#define RH_FIELD_NAME_STORAGE 32
/* The longest a list can be written: every bit's name or hex, quoted, with separators. */
#define RH_LIST_MAX (32 * 24)
/* The longest text rh_field_write writes for a field that is not TEXT or LIST. */
#define RH_FIELD_VALUE_MAX 48

/* Fills out[RH_FIELD_COUNT] and returns RH_FIELD_COUNT. */
size_t rh_record_fields(const struct rh_record *r, struct rh_field out[RH_FIELD_COUNT]);

/* The field names in order, for a CSV header: names[i] for i < RH_FIELD_COUNT. */
const char *rh_field_name(size_t i);

/*
 * Writes the canonical text of a non-null field at p, unchecked, and returns the
 * end: TEXT as is (f->num bytes), LIST joined with `sep`, anything else in at
 * most RH_FIELD_VALUE_MAX bytes. No NUL is written.
 */
char *rh_field_write(char *p, const struct rh_field *f, char list_sep);

/*
 * The canonical text of the field called `name` into out (NUL-terminated);
 * false if the field is null, unknown, or does not fit. For callers that want a
 * field or two as text (the Event Log's insertion strings, tests).
 */
bool rh_record_field_text(const struct rh_record *r, const char *name, char *out, size_t out_size);

/* The name of bit `bit` (0..31) of a list, or NULL if that bit has none. */
const char *rh_list_name(unsigned list, unsigned bit);
/* The name of a bit, or "0x" and its value in hex written into `unnamed`. */
const char *rh_list_item(unsigned list, unsigned bit, char unnamed[16]);
/*
 * Writes the names of the set bits at p, unchecked (RH_LIST_MAX bytes at most),
 * separated by `sep`, each in double quotes if `quoted` (names are [a-z0-9_] and
 * never need escaping). Returns the end.
 */
char *rh_list_write(char *p, unsigned list, uint32_t bits, char sep, bool quoted);

#endif /* RH_RECORD_H */
