/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes opening a journal file and reading it as the service does: a journal
 * on disk may be torn by a crash or rewritten by anyone who could write it.
 * The region is an exact-size buffer (AddressSanitizer sees any read past it).
 * The oracle: opening says OK or BAD_HEADER; once open, the journal's places are
 * consistent (head <= every cursor <= tail, within one ring), every reader
 * reads whole entries only, counts agree with what is read, and the journal
 * takes new records and opens again.
 *
 * Input: bytes 0-3 seed a real journal (records of many sizes, two sinks, one
 * behind, the ring wrapped or not); the rest is patches laid over it: a 4-byte
 * offset (modulo the size), a length byte, and that many bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "fuzz.h"

#define TOTAL ((uint64_t)RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)

static void build(uint8_t *region, uint32_t seed)
{
    static uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_journal j;
    struct rh_jentry e;
    uint32_t count = seed % 400;
    int fast, slow;

    if (rh_journal_create(&j, region, TOTAL, 0) != RH_J_OK)
        return;
    fast = rh_journal_cursor(&j, "fast", true);
    slow = rh_journal_cursor(&j, "slow", true);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t id[16] = {0};
        uint32_t len;

        seed = seed * 1103515245u + 12345u;
        len = (seed >> 8) % 3000;
        memcpy(id, &i, sizeof i);
        memset(payload, (int)(i & 0xFF), len);
        rh_journal_append(&j, (enum rh_jkind)(1 + i % 6), i, id, payload, len, RH_J_DROP_OLDEST,
                          NULL);
        if (rh_journal_read(&j, fast, &e, payload, sizeof payload) == RH_J_OK)
            rh_journal_advance(&j, fast, &e);
        if (i % 3 == 0 && rh_journal_read(&j, slow, &e, payload, sizeof payload) == RH_J_OK)
            rh_journal_advance(&j, slow, &e);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    enum rh_journal_status st;
    struct rh_jentry e;
    uint8_t *region;
    uint32_t seed;

    if (size < 4)
        return 0;
    region = malloc(TOTAL);
    if (region == NULL)
        return 0;
    memcpy(&seed, data, sizeof seed);
    memset(region, 0, TOTAL);
    build(region, seed);
    fuzz_patch(region, TOTAL, data, size, 4);

    st = rh_journal_open(&j, region, TOTAL, &rec);
    CHECK(st == RH_J_OK || st == RH_J_BAD_HEADER);
    if (st != RH_J_OK)
        goto out;
    CHECK(j.tail_pos >= j.hdr->head_pos && j.tail_pos - j.hdr->head_pos <= j.size);
    CHECK(j.next_seq >= j.hdr->head_seq);
    CHECK(rh_journal_depth(&j) <= j.next_seq - j.hdr->head_seq);
    CHECK(rh_journal_free(&j) <= j.size);
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        const struct rh_jcursor *cur = &j.hdr->cursors[c];
        struct rh_jahead a;
        uint64_t pending, n = 0;

        if (cur->name[0] == '\0')
            continue;
        CHECK(cur->pos >= j.hdr->head_pos && cur->pos <= j.tail_pos);
        CHECK(cur->pos % RH_JOURNAL_ALIGN == 0);
        pending = rh_journal_pending(&j, c);
        CHECK(pending <= rh_journal_depth(&j));
        rh_journal_oldest_ms(&j, c);
        /*
         * Read out as a worker does: damage between the checkpoint and the head
         * (not walked at open) is found by the checks of each copy and stepped
         * over; the reading always ends, at the tail.
         */
        rh_journal_ahead_start(&j, c, &a);
        for (uint64_t steps = 0;; steps++) {
            CHECK(steps <= j.size / RH_JOURNAL_ALIGN + 1);
            st = rh_journal_read_ahead(&j, &a, &e, payload, sizeof payload);
            if (st == RH_J_CORRUPT) {
                uint64_t at = a.pos;

                rh_journal_skip_damage(&j, &a, payload, sizeof payload);
                CHECK(a.pos > at && a.pos <= j.tail_pos);
                continue;
            }
            if (st != RH_J_OK)
                break;
            CHECK(e.kind != RH_JKIND_PAD && e.payload_len <= RH_JOURNAL_MAX_PAYLOAD);
            CHECK(++n <= pending);
        }
        CHECK(st == RH_J_EMPTY);
        CHECK(a.pos == j.tail_pos);
    }
    /*
     * It takes new records, and what it became opens again, at the same tail:
     * as in the product, a checkpoint is written first (the flusher's first
     * round, right after open).
     */
    {
        struct rh_jcheckpoint ck;

        memset(&ck, 0, sizeof ck);
        rh_journal_checkpoint_begin(&j, &ck);
        rh_journal_checkpoint_end(&j, &ck);
    }
    for (uint32_t i = 0; i < 8; i++)
        CHECK(rh_journal_append(&j, RH_JKIND_HANGUP_EX, i, NULL, payload, 1000 * i,
                                RH_J_DROP_OLDEST, NULL) == RH_J_OK);
    CHECK(rh_journal_open(&k, region, TOTAL, &rec) == RH_J_OK);
    CHECK(k.tail_pos == j.tail_pos && k.next_seq == j.next_seq);
out:
    free(region);
    return 0;
}
