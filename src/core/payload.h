/* SPDX-License-Identifier: MIT */
/*
 * Journal payloads: what a callback captured from RRAS, packed for the journal,
 * and turned back into a record by a sink's worker. Both directions live here so
 * that they cannot drift apart. Words used across the code: a *payload* is
 * these bytes; a *sink event* (enum rh_sink_event, sink.h) is what happened
 * (a hangup, a connection's start, the service's start or stop); an *Event Log
 * id* (enum rh_log_id, diag.h) is what rashangup says about itself; a record's
 * *meta* (struct rh_record_meta) is what the journal adds to RRAS's data.
 *
 *   HANGUP_EX:     flags (1 byte), then the packed RAS_CONNECTION_EX
 *   HANGUP_LEGACY: the packed blob: levels present and flags (1 byte), then
 *                  each present RAS_CONNECTION_n in order
 *   SERVICE_*:     nothing, or flags (1 byte)
 *
 * A payload packed with RH_PAYLOAD_SIMULATED decodes to a record that carries
 * the warning RH_WARN_SIMULATED: a lab replay's (rrashost --replay), never RRAS's.
 */
#ifndef RH_PAYLOAD_H
#define RH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "record.h"

/* Room enough for any payload. */
#define RH_PAYLOAD_MAX RH_JOURNAL_MAX_PAYLOAD
/*
 * Room enough for a packed RAS_CONNECTION_EX: its flags byte and its packing's
 * bound. Under a page, so that RRAS's thread holds it on its stack without
 * probing pages (a buffer of RH_PAYLOAD_MAX would).
 */
#define RH_PAYLOAD_EX_MAX (1 + RH_PACK_BOUND(sizeof(struct rh_ras_connection_ex)))

/* What a payload says of its record beyond RRAS's data. */
enum {
    RH_PAYLOAD_SIMULATED = 1u << 0, /* from a lab replay, not from RRAS */
};

/* Packs a captured RAS_CONNECTION_EX (status from rh_ex_capture); returns the length. */
size_t rh_payload_pack_ex(const struct rh_ras_connection_ex *copy, enum rh_ex_status status,
                          unsigned flags, uint8_t out[RH_PAYLOAD_EX_MAX]);
/*
 * The same from RRAS's own structure, read once and never past `readable` (from
 * rh_ex_readable), without the copy: the bytes rh_payload_pack_ex gives for the
 * capture of it.
 */
size_t rh_payload_pack_ex_from(const void *conn, size_t readable, enum rh_ex_status status,
                               unsigned flags, uint8_t out[RH_PAYLOAD_EX_MAX]);

/* Packs the legacy set (any pointer may be NULL); returns the length. */
size_t rh_payload_pack_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3, unsigned flags,
                              uint8_t out[RH_PAYLOAD_MAX]);

/* The payload of a service start or stop (0 or 1 byte); returns the length. */
size_t rh_payload_pack_service(unsigned flags, uint8_t out[1]);

/* The sink event (enum rh_sink_event) an entry of `kind` carries; 0 for none (padding). */
unsigned rh_payload_event(enum rh_jkind kind);

/*
 * Decodes the payload of an entry of `kind` into a record: the connection at its
 * hangup or its start, or (service events) a record of no connection. False if
 * the payload is not one this version wrote (the record is then untouched).
 */
bool rh_payload_decode(enum rh_jkind kind, const void *payload, size_t len,
                       const struct rh_record_meta *meta, struct rh_record *r);

#endif /* RH_PAYLOAD_H */
