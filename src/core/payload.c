/* SPDX-License-Identifier: MIT */
#include "payload.h"
#include "hot.h"

#include "sink.h"

#include <string.h>

/* The flags byte of an EX or service payload. */
#define FLAG_SHORT     0x01u
#define FLAG_SIMULATED 0x02u
/* The levels byte of a legacy payload: levels present in the low four bits. */
#define LEVELS_SIMULATED 0x10u

struct legacy_set {
    struct rh_ras_connection_0 c0;
    struct rh_ras_connection_1 c1;
    struct rh_ras_connection_2 c2;
    struct rh_ras_connection_3 c3;
};

_Static_assert(1 + sizeof(struct legacy_set) <= RH_PAYLOAD_MAX - 64 &&
                   RH_PACK_BOUND(1 + sizeof(struct legacy_set)) <= RH_PAYLOAD_MAX,
               "the packed legacy set fits a journal entry");
_Static_assert(RH_PAYLOAD_EX_MAX <= RH_PAYLOAD_MAX && RH_PAYLOAD_EX_MAX < 4096 - 512,
               "the packed RAS_CONNECTION_EX fits a journal entry and, with room to spare, a page");

RH_HOT size_t rh_payload_pack_ex_from(const void *conn, size_t readable, enum rh_ex_status status,
                                      unsigned flags, uint8_t out[RH_PAYLOAD_EX_MAX])
{
    size_t n;

    out[0] = (uint8_t)((status == RH_EX_SHORT ? FLAG_SHORT : 0) |
                       ((flags & RH_PAYLOAD_SIMULATED) ? FLAG_SIMULATED : 0));
    n = rh_pack_prefix(conn, readable, sizeof(struct rh_ras_connection_ex), out + 1,
                       RH_PAYLOAD_EX_MAX - 1);
    return n == 0 ? 0 : n + 1;
}

size_t rh_payload_pack_ex(const struct rh_ras_connection_ex *copy, enum rh_ex_status status,
                          unsigned flags, uint8_t out[RH_PAYLOAD_EX_MAX])
{
    return rh_payload_pack_ex_from(copy, sizeof *copy, status, flags, out);
}

size_t rh_payload_pack_service(unsigned flags, uint8_t out[1])
{
    if (!(flags & RH_PAYLOAD_SIMULATED))
        return 0; /* as every version wrote it */
    out[0] = FLAG_SIMULATED;
    return 1;
}

size_t rh_payload_pack_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3, unsigned flags,
                              uint8_t out[RH_PAYLOAD_MAX])
{
    uint8_t blob[1 + sizeof(struct legacy_set)];
    size_t len = 1;

    blob[0] = (uint8_t)((c0 != NULL) | (c1 != NULL) << 1 | (c2 != NULL) << 2 | (c3 != NULL) << 3);
    if (flags & RH_PAYLOAD_SIMULATED)
        blob[0] |= LEVELS_SIMULATED;
    if (c0 != NULL) {
        memcpy(blob + len, c0, sizeof *c0);
        len += sizeof *c0;
    }
    if (c1 != NULL) {
        memcpy(blob + len, c1, sizeof *c1);
        len += sizeof *c1;
    }
    if (c2 != NULL) {
        memcpy(blob + len, c2, sizeof *c2);
        len += sizeof *c2;
    }
    if (c3 != NULL) {
        memcpy(blob + len, c3, sizeof *c3);
        len += sizeof *c3;
    }
    return rh_pack(blob, len, out, RH_PAYLOAD_MAX);
}

static bool decode_ex(const uint8_t *p, size_t len, const struct rh_record_meta *meta,
                      struct rh_record *r)
{
    struct rh_ras_connection_ex c;

    if (len < 2 || (p[0] & ~(FLAG_SHORT | FLAG_SIMULATED)) != 0 ||
        rh_unpack(p + 1, len - 1, &c, sizeof c) != sizeof c)
        return false;
    rh_record_from_ex(r, &c, (p[0] & FLAG_SHORT) ? RH_EX_SHORT : RH_EX_OK, meta);
    if (p[0] & FLAG_SIMULATED)
        r->warnings |= RH_WARN_SIMULATED;
    return true;
}

static bool decode_legacy(const uint8_t *p, size_t len, const struct rh_record_meta *meta,
                          struct rh_record *r)
{
    uint8_t blob[1 + sizeof(struct legacy_set)];
    struct legacy_set s;
    size_t n = rh_unpack(p, len, blob, sizeof blob);
    size_t at = 1;
    uint8_t mask;

    if (n == 0 || (blob[0] & ~(0x0Fu | LEVELS_SIMULATED)) != 0)
        return false;
    mask = blob[0] & 0x0Fu;
    if (n != 1 + ((mask & 1) ? sizeof s.c0 : 0) + ((mask & 2) ? sizeof s.c1 : 0) +
                 ((mask & 4) ? sizeof s.c2 : 0) + ((mask & 8) ? sizeof s.c3 : 0))
        return false;
    if (mask & 1) {
        memcpy(&s.c0, blob + at, sizeof s.c0);
        at += sizeof s.c0;
    }
    if (mask & 2) {
        memcpy(&s.c1, blob + at, sizeof s.c1);
        at += sizeof s.c1;
    }
    if (mask & 4) {
        memcpy(&s.c2, blob + at, sizeof s.c2);
        at += sizeof s.c2;
    }
    if (mask & 8)
        memcpy(&s.c3, blob + at, sizeof s.c3);
    rh_record_from_legacy(r, (mask & 1) ? &s.c0 : NULL, (mask & 2) ? &s.c1 : NULL,
                          (mask & 4) ? &s.c2 : NULL, (mask & 8) ? &s.c3 : NULL, meta);
    if (blob[0] & LEVELS_SIMULATED)
        r->warnings |= RH_WARN_SIMULATED;
    return true;
}

bool rh_payload_decode(enum rh_jkind kind, const void *payload, size_t len,
                       const struct rh_record_meta *meta, struct rh_record *r)
{
    switch (kind) {
    case RH_JKIND_HANGUP_EX:
    case RH_JKIND_ACCEPT_EX:
        return decode_ex(payload, len, meta, r);
    case RH_JKIND_HANGUP_LEGACY:
    case RH_JKIND_ACCEPT_LEGACY:
        return decode_legacy(payload, len, meta, r);
    case RH_JKIND_SERVICE_START:
    case RH_JKIND_SERVICE_STOP:
        if (len > 1 || (len == 1 && *(const uint8_t *)payload != FLAG_SIMULATED))
            return false;
        rh_record_from_meta(r, meta);
        if (len == 1)
            r->warnings |= RH_WARN_SIMULATED;
        return true;
    default:
        return false;
    }
}

unsigned rh_payload_event(enum rh_jkind kind)
{
    switch (kind) {
    case RH_JKIND_HANGUP_EX:
    case RH_JKIND_HANGUP_LEGACY:
        return RH_EVENT_HANGUP;
    case RH_JKIND_ACCEPT_EX:
    case RH_JKIND_ACCEPT_LEGACY:
        return RH_EVENT_CONNECT;
    case RH_JKIND_SERVICE_START:
        return RH_EVENT_SERVICE_START;
    case RH_JKIND_SERVICE_STOP:
        return RH_EVENT_SERVICE_STOP;
    default:
        return 0;
    }
}
