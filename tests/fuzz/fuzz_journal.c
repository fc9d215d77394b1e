/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes rh_journal_salvage: a journal file that failed to open, as a damaged
 * disk or someone who could write it left it. The old journal is an exact-size
 * buffer (AddressSanitizer sees any read past it). The oracle: the report adds
 * up, the new journal opens as a journal, and a sink's cursor made before the
 * salvage reads back exactly the records it took, each well formed; for an old
 * journal only its header damaged, every record it retained comes back, in order.
 *
 * Input: byte 0 chooses how the old journal starts (bit 0: a real journal,
 * built from bytes 1-4 as a seed, its header's magic then damaged; else zeros),
 * its size (bits 1-2: the smallest journal; that plus up to 4095 times 64 bytes
 * and a remainder, from bytes 1-3; a file too short to be one; twice the
 * smallest) and the policy (bit 3: fail-closed). The rest is patches laid over
 * it: a 4-byte offset (modulo the size), a length byte, and that many bytes.
 * The seeds in corpus-journal/ are such inputs, written by hand.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "fuzz.h"

#define SMALLEST ((uint64_t)RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)

/* A real journal in old[0..total): records numbered 1, 2... in their record id. */
static uint64_t build(uint8_t *old, uint64_t total, uint32_t seed)
{
    static uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_journal j;
    uint32_t count = 20 + seed % 200, n = 0;
    uint64_t retained = 0;
    struct rh_jahead a;
    struct rh_jentry e;
    int c;

    if (rh_journal_create(&j, old, total, 0) != RH_J_OK)
        return 0;
    c = rh_journal_cursor(&j, "sink", true);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t id[16] = {0};
        uint32_t len;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 8) % 1500;
        n++;
        memcpy(id, &n, sizeof n);
        memset(payload, (int)(n & 0xFF), len);
        if (rh_journal_append(&j, RH_JKIND_HANGUP_EX, n, id, payload, len, RH_J_DROP_OLDEST,
                              NULL) != RH_J_OK)
            return 0;
        /* The sink keeps up for a while, then falls behind: what it holds wraps. */
        if (i < count / 2) {
            if (rh_journal_read(&j, c, &e, payload, sizeof payload) == RH_J_OK)
                rh_journal_advance(&j, c, &e);
        }
    }
    /* The records the sink has yet to deliver (padding is not one). */
    rh_journal_ahead_start(&j, c, &a);
    while (rh_journal_read_ahead(&j, &a, &e, payload, sizeof payload) == RH_J_OK)
        retained++;
    old[0] ^= 0xFF; /* the header's magic */
    return retained;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_journal_salvage_report rep;
    struct rh_journal dst, again;
    struct rh_journal_recovery rec;
    enum rh_journal_policy policy;
    uint64_t total, retained = 0, got, records = 0, last_id = 0;
    uint8_t *old, *region;
    bool patched = false, ordered = true;
    uint32_t seed;
    struct rh_jentry e;
    int c;

    if (size < 5)
        return 0;
    memcpy(&seed, data + 1, sizeof seed);
    switch ((data[0] >> 1) & 3) {
    case 0:
        total = SMALLEST;
        break;
    case 1:
        total = SMALLEST + (uint64_t)(seed & 0xFFF) * 64 + (seed >> 16) % 64;
        break;
    case 2:
        total = (seed & 0xFFFF) % (RH_JOURNAL_HEADER_SIZE + 8192);
        break;
    default:
        total = 2 * SMALLEST;
        break;
    }
    policy = (data[0] & 8) ? RH_J_FAIL : RH_J_DROP_OLDEST;
    old = malloc(total > 0 ? total : 1);
    region = malloc(SMALLEST);
    if (old == NULL || region == NULL)
        goto out;
    memset(old, 0, total);
    if (data[0] & 1)
        retained = build(old, total, seed);
    patched = fuzz_patch(old, total, data, size, 5);

    CHECK(rh_journal_create(&dst, region, SMALLEST, 0) == RH_J_OK);
    c = rh_journal_cursor(&dst, "sink", true);
    memset(&rep, 0xEE, sizeof rep);
    got = rh_journal_salvage(old, total, &dst, policy, &rep);

    CHECK(got == rep.salvaged);
    CHECK(rep.invalid <= rep.candidates);
    CHECK(rep.salvaged + rep.lost + rep.stale + rep.invalid <= rep.candidates);
    CHECK(policy == RH_J_FAIL ? rep.dropped == 0 : rep.lost == 0);
    CHECK(rep.ring_size % RH_JOURNAL_ALIGN == 0);
    CHECK(rep.ring_size != 0 || (rep.candidates == 0 && got == 0));

    /* The new journal is one: it opens whole, and the sink reads what was taken. */
    CHECK(rh_journal_open(&again, region, SMALLEST, &rec) == RH_J_OK);
    CHECK(!rec.torn);
    while (rh_journal_read(&dst, c, &e, payload, sizeof payload) == RH_J_OK) {
        uint32_t id;

        CHECK(e.kind != RH_JKIND_PAD && e.kind <= RH_JKIND_SERVICE_STOP);
        CHECK(e.payload_len <= RH_JOURNAL_MAX_PAYLOAD);
        memcpy(&id, e.record_id, sizeof id);
        ordered = ordered && id > last_id;
        last_id = id;
        records++;
        rh_journal_advance(&dst, c, &e);
    }
    CHECK(records + rep.dropped == got);

    /* Only the header damaged: every record retained comes back, oldest first. */
    if ((data[0] & 1) && !patched && total == SMALLEST) {
        CHECK(rep.invalid == 0);
        CHECK(got >= retained);
        CHECK(ordered);
    }

out:
    free(old);
    free(region);
    return 0;
}
