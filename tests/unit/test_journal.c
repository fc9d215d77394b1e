/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "journal.h"

/* A journal with room for a few hundred small entries. */
#define TOTAL (RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)

static uint8_t *region;

static int setup(void **state)
{
    (void)state;
    region = malloc(TOTAL);
    memset(region, 0xA5, TOTAL); /* not zero: old contents must not matter */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(region);
    return 0;
}

/* Appends an entry whose payload is `len` bytes of `fill`, its record id the fill too. */
static enum rh_journal_status put(struct rh_journal *j, uint8_t fill, uint32_t len,
                                  enum rh_journal_policy policy, uint64_t *dropped)
{
    uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    uint8_t id[16];

    memset(payload, fill, len);
    memset(id, fill, sizeof id);
    return rh_journal_append(j, RH_JKIND_HANGUP_EX, 1000 + fill, id, payload, len, policy, dropped);
}

/* Reads the next entry at cursor c, checks it is `fill`, and advances. */
static void take(struct rh_journal *j, int c, uint8_t fill, uint32_t len)
{
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;

    assert_int_equal(rh_journal_read(j, c, &e, buf, sizeof buf), RH_J_OK);
    assert_int_equal(e.payload_len, len);
    assert_int_equal(e.record_id[0], fill);
    assert_int_equal(e.time_ms, 1000 + fill);
    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(buf[i], fill);
    rh_journal_advance(j, c, &e);
}

static void crc32c_check_value(void **state)
{
    (void)state;
    /* The CRC-32C check value (RFC 3720, appendix B.4). */
    assert_int_equal(rh_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rh_crc32c(0, "", 0), 0);
    assert_int_equal(rh_crc32c(rh_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
    /* The instruction's path and the tables' agree, at every length and alignment. */
    {
        uint8_t data[300];

        for (size_t i = 0; i < sizeof data; i++)
            data[i] = (uint8_t)(i * 131 + 7);
        for (size_t off = 0; off < 8; off++)
            for (size_t len = 0; len + off <= sizeof data; len += 7)
                assert_int_equal(rh_crc32c(0x1234u, data + off, len),
                                 rh_crc32c_tables(0x1234u, data + off, len));
        assert_int_equal(rh_crc32c_tables(0, "123456789", 9), 0xE3069283u);
    }
}

static void pack_round_trips(void **state)
{
    uint8_t src[1677], packed[RH_PACK_BOUND(1677)], out[1677];
    size_t n;

    (void)state;
    memset(src, 0, sizeof src);
    src[3] = 1;
    src[800] = 0xFF;
    src[1676] = 7; /* in the tail, after the last whole word */
    n = rh_pack(src, sizeof src, packed, sizeof packed);
    assert_true(n > 0 && n < 64);
    assert_int_equal(rh_unpack(packed, n, out, sizeof out), sizeof src);
    assert_memory_equal(out, src, sizeof src);
    /* Damaged or short input is refused, never read past. */
    assert_int_equal(rh_unpack(packed, n - 1, out, sizeof out), 0);
    assert_int_equal(rh_unpack(packed, n, out, sizeof out - 1), 0);
    assert_int_equal(rh_unpack(packed, 3, out, sizeof out), 0);
    assert_int_equal(rh_pack(src, sizeof src, packed, 10), 0);
    /* All non-zero: the bound holds. */
    memset(src, 0x11, sizeof src);
    n = rh_pack(src, sizeof src, packed, sizeof packed);
    assert_int_equal(n, RH_PACK_BOUND(sizeof src) - 0);
    assert_int_equal(rh_unpack(packed, n, out, sizeof out), sizeof src);
    assert_memory_equal(out, src, sizeof src);
}

/*
 * Packing only a prefix (RRAS's structure of an older revision, packed where it
 * lies) gives the bytes of packing a zero-filled copy, at every length, and
 * reads nothing past the prefix (the sanitizer would say).
 */
static void pack_of_a_prefix_is_pack_of_its_zero_filled_copy(void **state)
{
    uint8_t src[203], copy[203], a[RH_PACK_BOUND(203)], b[RH_PACK_BOUND(203)];

    (void)state;
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i % 5 == 0 ? 0 : i * 37 + 1);
    for (size_t readable = 0; readable <= sizeof src; readable++) {
        uint8_t *prefix = malloc(readable > 0 ? readable : 1);
        size_t na, nb;

        memcpy(prefix, src, readable);
        memset(copy, 0, sizeof copy);
        memcpy(copy, src, readable);
        na = rh_pack_prefix(prefix, readable, sizeof src, a, sizeof a);
        nb = rh_pack(copy, sizeof copy, b, sizeof b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        free(prefix);
    }
    assert_int_equal(rh_pack_prefix(src, sizeof src + 1, sizeof src, a, sizeof a), 0);
}

static void append_read_reopen(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    int a, b;

    (void)state;
    assert_int_equal(rh_journal_create(&j, region, TOTAL, 42), RH_J_OK);
    a = rh_journal_cursor(&j, "file", true);
    b = rh_journal_cursor(&j, "syslog", true);
    assert_true(a >= 0 && b >= 0 && a != b);
    assert_int_equal(rh_journal_cursor(&j, "file", false), a);
    assert_int_equal(rh_journal_cursor(&j, "radius", false), -1);
    for (uint8_t i = 1; i <= 5; i++)
        assert_int_equal(put(&j, i, 100u * i, RH_J_FAIL, NULL), RH_J_OK);
    assert_int_equal(rh_journal_depth(&j), 5);
    take(&j, a, 1, 100);
    take(&j, a, 2, 200);
    assert_int_equal(rh_journal_pending(&j, a), 3);
    assert_int_equal(rh_journal_pending(&j, b), 5);
    assert_int_equal(rh_journal_oldest_ms(&j, a), 1003);
    assert_int_equal(rh_journal_depth(&j), 5); /* b still needs them all */

    /* After a crash: the same memory, opened anew. */
    assert_int_equal(rh_journal_open(&k, region, TOTAL, &rec), RH_J_OK);
    assert_false(rec.torn);
    assert_int_equal(rec.entries, 5);
    assert_int_equal(k.tail_pos, j.tail_pos);
    assert_int_equal(k.next_seq, 6);
    take(&k, a, 3, 300);
    take(&k, b, 1, 100);
    assert_int_equal(put(&k, 6, 60, RH_J_FAIL, NULL), RH_J_OK);
    take(&k, a, 4, 400);
    take(&k, a, 5, 500);
    take(&k, a, 6, 60);
    assert_int_equal(rh_journal_read(&k, a, &(struct rh_jentry){0}, NULL, 0), RH_J_EMPTY);
}

static void torn_tail_is_detected_and_skipped(void **state)
{
    struct rh_journal j;
    struct rh_journal_recovery rec;
    struct rh_jentry *third;
    uint64_t third_pos;
    int c;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    put(&j, 1, 300, RH_J_FAIL, NULL);
    put(&j, 2, 300, RH_J_FAIL, NULL);
    third_pos = j.tail_pos;
    put(&j, 3, 300, RH_J_FAIL, NULL);
    /* The process died while copying the third payload. */
    third = (struct rh_jentry *)(void *)(region + RH_JOURNAL_HEADER_SIZE + third_pos);
    ((uint8_t *)(third + 1))[150] ^= 0xFF;

    assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_OK);
    assert_true(rec.torn);
    assert_int_equal(rec.torn_pos, third_pos);
    assert_int_equal(rec.entries, 2);
    take(&j, c, 1, 300);
    take(&j, c, 2, 300);
    assert_int_equal(rh_journal_read(&j, c, &(struct rh_jentry){0}, NULL, 0), RH_J_EMPTY);
    /* The next entry takes the torn one's place and is read normally. */
    assert_int_equal(put(&j, 4, 300, RH_J_FAIL, NULL), RH_J_OK);
    take(&j, c, 4, 300);
}

static void torn_header_too(void **state)
{
    struct rh_journal j;
    struct rh_journal_recovery rec;
    struct rh_jentry *second;
    uint64_t pos;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    rh_journal_cursor(&j, "file", true);
    put(&j, 1, 64, RH_J_FAIL, NULL);
    pos = j.tail_pos;
    put(&j, 2, 64, RH_J_FAIL, NULL);
    second = (struct rh_jentry *)(void *)(region + RH_JOURNAL_HEADER_SIZE + pos);
    second->crc = ~second->crc; /* the header was written, its CRC not yet */
    assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_OK);
    assert_true(rec.torn);
    assert_int_equal(rec.entries, 1);
}

static void wraps_with_padding(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    int c;
    uint8_t fill = 0;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    /* Three laps of the ring with odd sizes: entries never straddle the end. */
    for (int i = 0; i < 3 * (int)(j.size / 3000); i++) {
        assert_int_equal(put(&j, ++fill, 2900, RH_J_FAIL, NULL), RH_J_OK);
        take(&j, c, fill, 2900);
    }
    assert_true(j.tail_pos > 2 * j.size);
    assert_int_equal(put(&j, ++fill, 2900, RH_J_FAIL, NULL), RH_J_OK);
    assert_int_equal(rh_journal_open(&k, region, TOTAL, &rec), RH_J_OK);
    assert_false(rec.torn); /* last lap's entries after the tail are not "torn" */
    assert_int_equal(rec.entries, 1);
    take(&k, c, fill, 2900);
}

/*
 * Padding at the ring's end is no record: a sink's pending and dropped counts,
 * the journal's depth and its dropped total all count records only, whether
 * the padding is kept, pending or dropped (status.json shows these figures).
 */
static void padding_is_not_a_record(void **state)
{
    struct rh_journal j;
    int slow, fast;
    uint64_t dropped = 0, total_dropped = 0;
    uint8_t fill = 0;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    slow = rh_journal_cursor(&j, "slow", true);
    fast = rh_journal_cursor(&j, "fast", true);
    for (uint64_t appended = 1; appended <= 400; appended++) {
        /* 1000 bytes does not divide the ring: every lap ends with padding. */
        assert_int_equal(put(&j, ++fill, 1000, RH_J_DROP_OLDEST, &dropped), RH_J_OK);
        total_dropped += dropped;
        dropped = 0;
        assert_int_equal(rh_journal_pending(&j, fast), 1);
        take(&j, fast, fill, 1000);
        assert_int_equal(rh_journal_pending(&j, fast), 0);
        assert_int_equal(j.hdr->dropped, total_dropped);
        assert_int_equal(j.hdr->cursors[slow].dropped, total_dropped);
        assert_int_equal(rh_journal_pending(&j, slow) + total_dropped, appended);
        assert_int_equal(rh_journal_depth(&j), rh_journal_pending(&j, slow));
    }
    assert_true(j.tail_pos > 2 * j.size); /* padding was pending, then dropped, twice */
    /* What the slow sink reads is what pending said. */
    {
        uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
        struct rh_jentry e;
        uint64_t n = 0, pending = rh_journal_pending(&j, slow);

        while (rh_journal_read(&j, slow, &e, buf, sizeof buf) == RH_J_OK) {
            rh_journal_advance(&j, slow, &e);
            n++;
        }
        assert_int_equal(n, pending);
    }
}

/*
 * Moving a cursor to a place read ahead (settled piecemeal): forward only, to
 * a place between the cursor and the tail, and never back after a drop.
 */
static void cursor_moves_forward_only(void **state)
{
    struct rh_journal j;
    struct rh_jahead a;
    struct rh_jentry e;
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    uint64_t pos3, seq3;
    int c;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "s", true);
    for (uint8_t f = 1; f <= 5; f++)
        assert_int_equal(put(&j, f, 100, RH_J_FAIL, NULL), RH_J_OK);
    rh_journal_ahead_start(&j, c, &a);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rh_journal_read_ahead(&j, &a, &e, buf, sizeof buf), RH_J_OK);
    pos3 = a.pos;
    seq3 = a.seq;
    rh_journal_move_cursor(&j, c, pos3, seq3, 3);
    assert_int_equal(rh_journal_pending(&j, c), 2);
    assert_int_equal(j.hdr->cursors[c].delivered, 3);
    /* Back, beyond the tail, or inconsistent: nothing moves. */
    rh_journal_move_cursor(&j, c, pos3 - 64 * 3, seq3 - 1, 1);
    rh_journal_move_cursor(&j, c, j.tail_pos + 64, j.next_seq + 1, 1);
    rh_journal_move_cursor(&j, c, pos3 + 64, seq3 + 5, 1);
    assert_int_equal(rh_journal_pending(&j, c), 2);
    assert_int_equal(j.hdr->cursors[c].delivered, 3);
    take(&j, c, 4, 100);
    take(&j, c, 5, 100);
    assert_int_equal(rh_journal_pending(&j, c), 0);
}

/*
 * Cursors read from the file are trusted only where they name an entry (or the
 * tail): one 8 bytes before the ring's end, one inside an entry, one whose
 * sequence number does not match its place all go back to the oldest record,
 * counted, and the readers then read only whole entries (AddressSanitizer
 * watches the region's end).
 */
static void tampered_cursors_are_set_back(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    int a, b, c, d, ok;
    uint64_t n, depth;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    a = rh_journal_cursor(&j, "a", true);
    b = rh_journal_cursor(&j, "b", true);
    c = rh_journal_cursor(&j, "c", true);
    d = rh_journal_cursor(&j, "d", true);
    ok = rh_journal_cursor(&j, "ok", true);
    /* Past a lap, so that a place 8 bytes before the ring's end lies within the journal. */
    for (uint8_t f = 1; j.tail_pos < j.size + 20000; f++)
        assert_int_equal(put(&j, f, 1000, RH_J_DROP_OLDEST, NULL), RH_J_OK);
    while (rh_journal_pending(&j, ok) > 10) {
        assert_int_equal(rh_journal_read(&j, ok, &e, buf, sizeof buf), RH_J_OK);
        rh_journal_advance(&j, ok, &e);
    }
    assert_int_equal(rh_journal_read(&j, ok, &e, buf, sizeof buf), RH_J_OK);
    rh_journal_advance(&j, ok, &e);
    j.hdr->cursors[a].pos = (j.tail_pos / j.size) * j.size - 8;
    assert_true(j.hdr->cursors[a].pos > j.hdr->head_pos);
    j.hdr->cursors[b].pos = j.hdr->cursors[ok].pos + 64; /* inside the second entry */
    j.hdr->cursors[c].pos = j.hdr->head_pos;             /* at the head, but not its seq */
    j.hdr->cursors[c].seq = j.hdr->head_seq + 3;
    j.hdr->cursors[d].pos = j.tail_pos; /* the tail: valid */
    j.hdr->cursors[d].seq = j.next_seq;

    assert_int_equal(rh_journal_open(&k, region, TOTAL, &rec), RH_J_OK);
    assert_int_equal(rec.cursors_reset, 3);
    depth = rh_journal_depth(&k);
    for (int x = 0; x < 3; x++) {
        int cur = (int[]){a, b, c}[x];

        assert_int_equal(k.hdr->cursors[cur].pos, k.hdr->head_pos);
        assert_int_equal(rh_journal_pending(&k, cur), depth);
        n = 0;
        while (rh_journal_read(&k, cur, &e, buf, sizeof buf) == RH_J_OK) {
            rh_journal_advance(&k, cur, &e);
            n++;
        }
        assert_int_equal(n, depth);
    }
    assert_int_equal(rh_journal_pending(&k, d), 0);
    assert_int_equal(rh_journal_pending(&k, ok), 9);
    assert_int_equal(rec.torn, false);

    /* A head far past anything real is no header. */
    k.hdr->head_pos = UINT64_MAX - 63;
    assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_BAD_HEADER);
}

/*
 * A power cut can leave the header older than ring pages written after it:
 * here the header from when the sink had nothing delivered, the ring two laps
 * on, the stale head on an entry a later lap overwrote. The records are found
 * from their own positions, sequence numbers and CRCs: every record of the
 * last lap is kept, in order, up to the newest, and the sink's cursor (which
 * named no entry any more) starts from the oldest of them.
 */
static void a_header_older_than_the_ring_loses_no_record(void **state)
{
    static uint8_t stale[RH_JOURNAL_HEADER_SIZE];
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    uint8_t fill = 0, expect;
    uint64_t n = 0, kept;
    int c;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "sink", true);
    /* Entries of many sizes: the laps do not line up, and payloads fill the gaps. */
    for (int i = 0; i < 20; i++, fill++)
        assert_int_equal(
            put(&j, (uint8_t)(fill + 1), 100 + (fill * 397u) % 3000, RH_J_DROP_OLDEST, NULL),
            RH_J_OK);
    memcpy(stale, region, sizeof stale); /* the last header that reached the disk */
    for (; j.tail_pos < 2 * j.size + 5000; fill++)
        assert_int_equal(
            put(&j, (uint8_t)(fill + 1), 100 + (fill * 397u) % 3000, RH_J_DROP_OLDEST, NULL),
            RH_J_OK);
    kept = rh_journal_depth(&j);
    memcpy(region, stale, sizeof stale);

    assert_int_equal(rh_journal_open(&k, region, TOTAL, &rec), RH_J_OK);
    assert_true(rec.head_recovered);
    assert_false(rec.torn);
    assert_int_equal(k.tail_pos, j.tail_pos);
    assert_int_equal(k.next_seq, j.next_seq);
    assert_int_equal(rh_journal_pending(&k, c), kept);
    expect = (uint8_t)(fill - kept + 1);
    while (rh_journal_read(&k, c, &e, buf, sizeof buf) == RH_J_OK) {
        assert_int_equal(e.record_id[0], expect++);
        rh_journal_advance(&k, c, &e);
        n++;
    }
    assert_int_equal(n, kept);
    assert_int_equal((uint8_t)(expect - 1), fill);
}

static void full_drop_oldest(void **state)
{
    struct rh_journal j;
    int slow, fast;
    uint64_t dropped = 0, total_dropped = 0;
    uint8_t fill;
    int appended = 0;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    slow = rh_journal_cursor(&j, "slow", true);
    fast = rh_journal_cursor(&j, "fast", true);
    for (fill = 1; appended < 200; fill++, appended++) {
        assert_int_equal(put(&j, fill, 1000, RH_J_DROP_OLDEST, &dropped), RH_J_OK);
        total_dropped += dropped;
        dropped = 0;
        take(&j, fast, fill, 1000);
    }
    assert_true(total_dropped > 0);
    assert_int_equal(j.hdr->dropped, total_dropped);
    assert_int_equal(j.hdr->cursors[slow].dropped, total_dropped);
    assert_int_equal(j.hdr->cursors[fast].dropped, 0);
    /* The slow sink resumes with the oldest entry still kept, in order. */
    {
        uint8_t expect = (uint8_t)(1 + total_dropped);
        uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
        struct rh_jentry e;
        uint64_t n = 0;

        while (rh_journal_read(&j, slow, &e, buf, sizeof buf) == RH_J_OK) {
            assert_int_equal(e.record_id[0], expect++);
            rh_journal_advance(&j, slow, &e);
            n++;
        }
        assert_int_equal(n + total_dropped, 200);
    }
}

static void full_fail_closed_and_reserve(void **state)
{
    struct rh_journal j;
    uint64_t before_tail;
    uint8_t fill = 0;
    int c;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "stuck", true);
    assert_true(rh_journal_fits(&j, 1000, 10));
    while (rh_journal_fits(&j, 1000, 1))
        assert_int_equal(put(&j, ++fill, 1000, RH_J_FAIL, NULL), RH_J_OK);
    before_tail = j.tail_pos;
    assert_int_equal(put(&j, 99, 1000, RH_J_FAIL, NULL), RH_J_FULL);
    assert_int_equal(j.tail_pos, before_tail); /* nothing changed, nothing dropped */
    assert_int_equal(j.hdr->dropped, 0);
    assert_false(rh_journal_fits(&j, 1000, 1));
    /* Delivering one frees room for one. */
    take(&j, c, 1, 1000);
    assert_true(rh_journal_fits(&j, 1000, 1));
    assert_false(rh_journal_fits(&j, 1000, 3));
    assert_int_equal(put(&j, ++fill, 1000, RH_J_FAIL, NULL), RH_J_OK);
    assert_int_equal(rh_journal_append(&j, RH_JKIND_HANGUP_EX, 0, NULL, region,
                                       RH_JOURNAL_MAX_PAYLOAD + 1, RH_J_DROP_OLDEST, NULL),
                     RH_J_TOO_LARGE);
}

static void bad_headers_are_refused(void **state)
{
    struct rh_journal j;
    struct rh_journal_recovery rec;

    (void)state;
    memset(region, 0, TOTAL);
    assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_BAD_HEADER);
    rh_journal_create(&j, region, TOTAL, 0);
    assert_int_equal(rh_journal_open(&j, region, TOTAL - 4096, &rec), RH_J_BAD_HEADER);
    region[8] = 9; /* version */
    assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_BAD_HEADER);
    assert_int_equal(rh_journal_create(&j, region, 4096, 0), RH_J_BAD_HEADER);
}

static void cursors_are_kept_or_released(void **state)
{
    struct rh_journal j;
    const char *const keep[] = {"b"};
    int a, b;
    char long_name[RH_JOURNAL_NAME_SIZE + 1];

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    a = rh_journal_cursor(&j, "a", true);
    b = rh_journal_cursor(&j, "b", true);
    put(&j, 1, 10, RH_J_FAIL, NULL);
    take(&j, b, 1, 10);
    assert_int_equal(rh_journal_depth(&j), 1); /* "a" holds it */
    rh_journal_keep_cursors(&j, keep, 1);
    assert_int_equal(rh_journal_cursor(&j, "a", false), -1);
    assert_int_equal(rh_journal_cursor(&j, "b", false), b);
    assert_int_equal(rh_journal_depth(&j), 0); /* released with "a" */
    (void)a;
    for (int i = 0; i < RH_JOURNAL_CURSORS - 1; i++) {
        char name[8] = {'s', (char)('a' + i), 0};
        assert_true(rh_journal_cursor(&j, name, true) >= 0);
    }
    assert_int_equal(rh_journal_cursor(&j, "one-too-many", true), -1);
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(rh_journal_cursor(&j, long_name, true), -1);
    assert_int_equal(rh_journal_cursor(&j, "", true), -1);
}

/*
 * A model check: random appends, deliveries and crashes (reopening the same
 * memory). Each sink must see every entry that was not dropped, in order, at
 * least once; a redelivery happens only for an entry taken but not yet advanced
 * past when the "crash" came.
 */
static void random_operations_keep_order(void **state)
{
    struct rh_journal j;
    struct rh_journal_recovery rec;
    uint64_t next_expected[2] = {1, 1}; /* by fill sequence number */
    uint32_t appended = 0;
    uint32_t rnd = 12345;
    int cur[2];

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    cur[0] = rh_journal_cursor(&j, "x", true);
    cur[1] = rh_journal_cursor(&j, "y", true);
    for (int step = 0; step < 20000; step++) {
        uint32_t op;

        rnd = rnd * 1103515245u + 12345u;
        op = (rnd >> 16) % 100;
        if (op < 50) {
            uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
            uint32_t len = 8 + (rnd >> 8) % 3000;
            uint32_t seq = appended + 1;

            memset(payload, 0, len);
            memcpy(payload, &seq, sizeof seq);
            if (rh_journal_append(&j, RH_JKIND_HANGUP_EX, seq, NULL, payload, len, RH_J_DROP_OLDEST,
                                  NULL) == RH_J_OK)
                appended++;
        } else if (op < 98) {
            int s = (int)(op % 2);
            uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
            struct rh_jentry e;
            uint32_t seq;

            if (rh_journal_read(&j, cur[s], &e, buf, sizeof buf) != RH_J_OK)
                continue;
            memcpy(&seq, buf, sizeof seq);
            /* Never older than expected; newer only past what was dropped. */
            assert_true(seq >= next_expected[s]);
            if (seq > next_expected[s])
                assert_true(j.hdr->cursors[cur[s]].dropped > 0);
            next_expected[s] = seq + 1;
            rh_journal_advance(&j, cur[s], &e);
        } else {
            assert_int_equal(rh_journal_open(&j, region, TOTAL, &rec), RH_J_OK);
            assert_false(rec.torn);
        }
    }
    assert_true(appended > 5000);
}

static void batches_read_ahead_and_advance_once(void **state)
{
    struct rh_journal j;
    struct rh_jahead a;
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    uint64_t dropped = 0;
    int c, n = 0;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    for (uint8_t i = 1; i <= 10; i++)
        put(&j, i, 500, RH_J_FAIL, NULL);
    rh_journal_ahead_start(&j, c, &a);
    while (n < 4 && rh_journal_read_ahead(&j, &a, &e, buf, sizeof buf) == RH_J_OK)
        assert_int_equal(e.record_id[0], ++n);
    assert_int_equal(rh_journal_pending(&j, c), 10); /* reading ahead moves nothing */
    rh_journal_move_cursor(&j, c, a.pos, a.seq, 4);
    assert_int_equal(rh_journal_pending(&j, c), 6);
    assert_int_equal(j.hdr->cursors[c].delivered, 4);
    take(&j, c, 5, 500);

    /* A batch overtaken by drops does not move the cursor back or sideways. */
    rh_journal_ahead_start(&j, c, &a);
    assert_int_equal(rh_journal_read_ahead(&j, &a, &e, buf, sizeof buf), RH_J_OK);
    while (j.hdr->cursors[c].dropped == 0)
        put(&j, 99, 2000, RH_J_DROP_OLDEST, &dropped);
    {
        uint64_t pos = j.hdr->cursors[c].pos;

        rh_journal_move_cursor(&j, c, a.pos, a.seq, 1);
        assert_int_equal(j.hdr->cursors[c].pos, pos);
        assert_int_equal(j.hdr->cursors[c].delivered, 5);
    }
}

/*
 * Salvage. Record n has n in its record id, 5000 + n as its time, and a payload of
 * `len` bytes, n repeated, so a record read back shows whether it came whole.
 */
static uint8_t *spare; /* the new journal salvage writes into */

static int salvage_setup(void **state)
{
    setup(state);
    spare = malloc(TOTAL);
    memset(spare, 0x5A, TOTAL);
    return 0;
}

static int salvage_teardown(void **state)
{
    free(spare);
    return teardown(state);
}

static uint32_t len_of(uint32_t n)
{
    return 100 + (n * 733u) % 2900u;
}

/* Appends record n; its position in *pos if given. */
static enum rh_journal_status put_n(struct rh_journal *j, uint32_t n, uint64_t *pos)
{
    uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    uint8_t id[16] = {0};
    uint32_t len = len_of(n);
    enum rh_journal_status st;

    for (uint32_t i = 0; i < len; i++)
        payload[i] = (uint8_t)(n >> (8 * (i % 4)));
    memcpy(id, &n, sizeof n);
    st = rh_journal_append(j, RH_JKIND_HANGUP_EX, 5000 + n, id, payload, len, RH_J_FAIL, NULL);
    if (st == RH_J_OK && pos != NULL)
        *pos = j->tail_pos - rh_journal_entry_size(len);
    return st;
}

/* Reads up to `max` records at cursor c into numbers[], checking each came whole; how many. */
static size_t read_numbers(struct rh_journal *j, int c, uint32_t *numbers, size_t max)
{
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    size_t count = 0;

    while (count < max && rh_journal_read(j, c, &e, buf, sizeof buf) == RH_J_OK) {
        uint32_t n;

        memcpy(&n, e.record_id, sizeof n);
        assert_int_equal(e.kind, RH_JKIND_HANGUP_EX);
        assert_int_equal(e.time_ms, 5000 + n);
        assert_int_equal(e.payload_len, len_of(n));
        for (uint32_t i = 0; i < e.payload_len; i++)
            assert_int_equal(buf[i], (uint8_t)(n >> (8 * (i % 4))));
        numbers[count++] = n;
        rh_journal_advance(j, c, &e);
    }
    return count;
}

/* The header of the entry at position `pos` of the journal in `base`. */
static struct rh_jentry *entry_in(uint8_t *base, const struct rh_journal *j, uint64_t pos)
{
    return (struct rh_jentry *)(void *)(base + RH_JOURNAL_HEADER_SIZE + pos % j->size);
}

/* Gives an entry whose fields a test changed a CRC that matches them, as tampering would. */
static void reseal(struct rh_jentry *e)
{
    struct rh_jentry h = *e;
    uint32_t len = e->payload_len <= RH_JOURNAL_MAX_PAYLOAD ? e->payload_len : 0;

    h.crc = 0;
    e->crc = rh_crc32c(rh_crc32c(0, &h, sizeof h), e + 1, len);
}

static void salvage_takes_every_record_of_a_journal_with_a_damaged_header(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    struct rh_journal_salvage_report rep;
    uint32_t numbers[64];
    int c, file;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    for (uint32_t n = 1; n <= 40; n++)
        assert_int_equal(put_n(&j, n, NULL), RH_J_OK);
    assert_int_equal(read_numbers(&j, c, numbers, 10), 10); /* delivered, still in the ring */
    region[0] ^= 0xFF;                                      /* the header's magic */
    assert_int_equal(rh_journal_open(&k, region, TOTAL, &rec), RH_J_BAD_HEADER);

    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true); /* before: a cursor starts at the tail */
    memset(&rep, 0xEE, sizeof rep);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), 40);
    assert_int_equal(rep.salvaged, 40);
    assert_int_equal(rep.ring_size, j.size);
    assert_int_equal(rep.candidates, 40);
    assert_int_equal(rep.invalid, 0);
    assert_int_equal(rep.stale, 0);
    assert_int_equal(rep.dropped, 0);
    assert_int_equal(rep.lost, 0);
    /* The new journal is a journal: it opens after a crash. */
    assert_int_equal(rh_journal_open(&k, spare, TOTAL, &rec), RH_J_OK);
    assert_false(rec.torn);
    assert_int_equal(rec.entries, 40);
    /* A cursor made after the salvage starts after it; the one made before has it all. */
    assert_int_equal(rh_journal_pending(&k, rh_journal_cursor(&k, "late", true)), 0);
    assert_int_equal(rh_journal_pending(&k, file), 40);
    /* Every record, in order, whole; the delivered ones again (the header said which). */
    assert_int_equal(read_numbers(&k, file, numbers, 64), 40);
    for (uint32_t i = 0; i < 40; i++)
        assert_int_equal(numbers[i], i + 1);
}

static void salvage_orders_records_across_the_wrap(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_salvage_report rep;
    static uint64_t pos[4096];
    uint32_t numbers[1024];
    uint32_t n = 0, first_kept = 0, expected = 0;
    size_t count;
    uint64_t lap;
    int c, file;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    /* One and a half laps delivered as they come, then the sink stops: the rest wraps. */
    while (j.tail_pos < j.size + j.size / 2) {
        n++;
        assert_int_equal(put_n(&j, n, &pos[n]), RH_J_OK);
        assert_int_equal(read_numbers(&j, c, numbers, 1), 1);
    }
    first_kept = n + 1;
    while (put_n(&j, n + 1, &pos[n + 1]) == RH_J_OK)
        n++;
    assert_true(pos[n] % j.size < pos[first_kept] % j.size); /* the kept records wrap */
    memset(region, 0, 64);                                   /* a header zeroed */

    /* What the ring holds: the last lap, back from the tail (its first place zeroed). */
    lap = j.tail_pos - j.size;
    for (uint32_t i = 1; i <= n; i++)
        expected += pos[i] > lap || (pos[i] == lap && j.tail_pos - j.hdr->head_pos == j.size);
    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), expected);
    assert_int_equal(rep.invalid, 0);
    count = read_numbers(&k, file, numbers, 1024);
    assert_int_equal(count, expected);
    /* Oldest first, none missing, ending with the newest: the undelivered all there. */
    for (size_t i = 1; i < count; i++)
        assert_int_equal(numbers[i], numbers[i - 1] + 1);
    assert_int_equal(numbers[count - 1], n);
    assert_true(numbers[0] <= first_kept);
}

static void salvage_skips_torn_and_corrupted_entries(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_salvage_report rep;
    uint64_t pos[31];
    uint32_t numbers[64];
    size_t count, at = 0;
    int file;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    rh_journal_cursor(&j, "file", true);
    for (uint32_t n = 1; n <= 30; n++)
        assert_int_equal(put_n(&j, n, &pos[n]), RH_J_OK);
    ((uint8_t *)(entry_in(region, &j, pos[10]) + 1))[7] ^= 0x01; /* a bit of a payload */
    entry_in(region, &j, pos[20])->time_ms++;                    /* a field of a header */
    entry_in(region, &j, pos[30])->crc = ~entry_in(region, &j, pos[30])->crc; /* torn */
    memcpy(region, "RHJRNL9", 8);                                             /* another version */

    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), 27);
    assert_int_equal(rep.invalid, 3);
    count = read_numbers(&k, file, numbers, 64);
    assert_int_equal(count, 27);
    for (uint32_t n = 1; n <= 30; n++)
        if (n != 10 && n != 20 && n != 30)
            assert_int_equal(numbers[at++], n);
}

static void salvage_refuses_tampered_sizes_lengths_and_positions(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_salvage_report rep;
    uint64_t pos[21];
    uint32_t numbers[64];
    struct rh_jentry *e;
    uint64_t huge = 0xFFFFFFFFFFFFFFC0ull;
    size_t count, at = 0;
    int file;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    rh_journal_cursor(&j, "file", true);
    for (uint32_t n = 1; n <= 20; n++)
        assert_int_equal(put_n(&j, n, &pos[n]), RH_J_OK);
    /* Each tampered entry gets a matching CRC: only the other checks can catch it. */
    e = entry_in(region, &j, pos[3]);
    e->size = 1u << 31; /* past the ring's end */
    reseal(e);
    e = entry_in(region, &j, pos[5]);
    e->payload_len = RH_JOURNAL_MAX_PAYLOAD + 1; /* a payload longer than any */
    reseal(e);
    e = entry_in(region, &j, pos[7]);
    e->size = 100; /* not a multiple of 64 */
    reseal(e);
    e = entry_in(region, &j, pos[9]);
    e->pos += 1000000 * j.size; /* its place, but a million laps ahead of every other */
    reseal(e);
    e = entry_in(region, &j, pos[11]);
    e->kind = 77; /* no such kind */
    reseal(e);
    /* A copy of record 12 where 13 was: the same sequence number, taken once. */
    e = entry_in(region, &j, pos[13]);
    memcpy(e, entry_in(region, &j, pos[12]), rh_journal_entry_size(len_of(12)));
    e->pos = pos[13];
    reseal(e);
    e = entry_in(region, &j, pos[15]);
    e->payload_len = len_of(15) + 64; /* a length its size does not hold */
    reseal(e);
    /* And a header whose ring size is absurd. */
    memcpy(region + offsetof(struct rh_jheader, data_size), &huge, sizeof huge);

    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), 13);
    assert_int_equal(rep.ring_size, j.size);
    assert_int_equal(rep.invalid, 5);
    assert_int_equal(rep.stale, 2);
    count = read_numbers(&k, file, numbers, 64);
    assert_int_equal(count, 13);
    for (uint32_t n = 1; n <= 20; n++)
        if (n != 3 && n != 5 && n != 7 && n != 9 && n != 11 && n != 13 && n != 15)
            assert_int_equal(numbers[at++], n);
}

static void salvage_of_nothing_takes_nothing(void **state)
{
    struct rh_journal k;
    struct rh_journal_salvage_report rep;
    const uint64_t totals[] = {0,
                               1,
                               100,
                               RH_JOURNAL_HEADER_SIZE,
                               RH_JOURNAL_HEADER_SIZE + 63,
                               RH_JOURNAL_HEADER_SIZE + 64,
                               TOTAL};

    (void)state;
    rh_journal_create(&k, spare, TOTAL, 0);
    assert_int_equal(rh_journal_salvage(NULL, TOTAL, &k, RH_J_FAIL, NULL), 0);
    /* An empty file, a short one, one never written (zeros), one of garbage. */
    for (int fill = 0; fill < 2; fill++) {
        memset(region, fill ? 0xA5 : 0, TOTAL);
        for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++) {
            memset(&rep, 0xEE, sizeof rep);
            assert_int_equal(rh_journal_salvage(region, totals[i], &k, RH_J_FAIL, &rep), 0);
            assert_int_equal(rep.salvaged, 0);
            assert_int_equal(rep.candidates, 0);
            assert_int_equal(rep.invalid, 0);
        }
    }
    /* A single entry's magic with nothing right about it. */
    memset(region, 0, TOTAL);
    memcpy(region + RH_JOURNAL_HEADER_SIZE + 640, &(uint32_t){RH_JENTRY_MAGIC}, 4);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), 0);
    assert_int_equal(rep.ring_size, 0);
    assert_int_equal(rh_journal_depth(&k), 0);
}

static void salvage_finds_the_ring_size_from_the_header_or_the_file(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_recovery rec;
    struct rh_journal_salvage_report rep;
    uint32_t numbers[1024];
    uint64_t pos[1024];
    uint64_t cut, wrong;
    uint32_t n = 0, lost_to_cut = 0;
    size_t count;
    int c, file;

    (void)state;
    rh_journal_create(&j, region, TOTAL, 0);
    c = rh_journal_cursor(&j, "file", true);
    /* A journal that wrapped: the ring size decides whether its records are found. */
    while (j.tail_pos < j.size + j.size / 3) {
        n++;
        assert_int_equal(put_n(&j, n, &pos[n]), RH_J_OK);
        read_numbers(&j, c, numbers, 1);
    }
    while (rh_journal_depth(&j) < 20) {
        n++;
        assert_int_equal(put_n(&j, n, &pos[n]), RH_J_OK);
    }

    /* The file cut short: the header's ring size is the one to check positions with. */
    cut = TOTAL - 8192;
    assert_int_equal(rh_journal_open(&k, region, cut, &rec), RH_J_BAD_HEADER);
    for (uint32_t i = n - 19; i <= n; i++)
        lost_to_cut +=
            pos[i] % j.size + rh_journal_entry_size(len_of(i)) > cut - RH_JOURNAL_HEADER_SIZE;
    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    rh_journal_salvage(region, cut, &k, RH_J_FAIL, &rep);
    assert_int_equal(rep.ring_size, j.size);
    count = read_numbers(&k, file, numbers, 1024);
    assert_true(count >= 20 - lost_to_cut);
    assert_int_equal(numbers[count - 1], n);

    /* The header's ring size wrong: the file's is the one more entries agree with. */
    wrong = j.size - 64 * 7;
    memcpy(region + offsetof(struct rh_jheader, data_size), &wrong, sizeof wrong);
    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep);
    assert_int_equal(rep.ring_size, j.size);
    count = read_numbers(&k, file, numbers, 1024);
    assert_true(count >= 20);
    for (size_t i = 1; i < count; i++)
        assert_int_equal(numbers[i], numbers[i - 1] + 1);
    assert_int_equal(numbers[count - 1], n);
}

/*
 * A file forged to hold an entry's magic and the largest plausible size at
 * every 64 bytes (CRCs wrong) would cost 128 times its size in CRC checks:
 * the salvage stops checking at four times the file, counts the rest, and
 * takes nothing. A real journal's records among them would have been taken
 * until then (the budget is several times what a real one needs).
 */
static void salvage_of_a_forged_file_is_bounded(void **state)
{
    struct rh_journal k;
    struct rh_journal_salvage_report rep;
    uint64_t size = rh_journal_data_size(TOTAL);
    uint32_t entry = (uint32_t)rh_journal_entry_size(RH_JOURNAL_MAX_PAYLOAD);

    (void)state;
    memset(region, 0, TOTAL);
    for (uint64_t off = 0; off + entry <= size; off += RH_JOURNAL_ALIGN) {
        struct rh_jentry e;

        memset(&e, 0, sizeof e);
        e.magic = RH_JENTRY_MAGIC;
        e.size = entry;
        e.seq = 1 + off / RH_JOURNAL_ALIGN;
        e.pos = off;
        e.kind = RH_JKIND_HANGUP_EX;
        e.payload_len = RH_JOURNAL_MAX_PAYLOAD;
        e.crc = 1;
        memcpy(region + RH_JOURNAL_HEADER_SIZE + off, &e, sizeof e);
    }
    rh_journal_create(&k, spare, TOTAL, 0);
    assert_int_equal(rh_journal_salvage(region, TOTAL, &k, RH_J_FAIL, &rep), 0);
    /* Some 4 * TOTAL / entry places were checked; the rest of the ~size / 64 were not. */
    assert_true(rep.unchecked > size / RH_JOURNAL_ALIGN - 4 * (uint64_t)TOTAL / entry - 130);
    assert_int_equal(rep.salvaged, 0);
}

static void salvage_into_a_smaller_journal_follows_the_policy(void **state)
{
    struct rh_journal j, k;
    struct rh_journal_salvage_report rep;
    uint8_t *big = malloc(4 * TOTAL);
    uint32_t numbers[1024];
    uint32_t n = 0;
    size_t count;
    int file;

    (void)state;
    assert_non_null(big);
    rh_journal_create(&j, big, 4 * TOTAL, 0);
    rh_journal_cursor(&j, "file", true);
    while (put_n(&j, n + 1, NULL) == RH_J_OK)
        n++;
    big[0] = 0;

    /* Fail-closed: the oldest that fit are kept, the rest counted as not taken. */
    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    assert_true(rh_journal_salvage(big, 4 * TOTAL, &k, RH_J_FAIL, &rep) < n);
    assert_int_equal(rep.salvaged + rep.lost, n);
    assert_int_equal(rep.dropped, 0);
    count = read_numbers(&k, file, numbers, 1024);
    assert_int_equal(count, rep.salvaged);
    assert_int_equal(numbers[0], 1);

    /* Drop-oldest: the newest are kept, and the dropped counted. */
    rh_journal_create(&k, spare, TOTAL, 0);
    file = rh_journal_cursor(&k, "file", true);
    assert_int_equal(rh_journal_salvage(big, 4 * TOTAL, &k, RH_J_DROP_OLDEST, &rep), n);
    assert_true(rep.dropped > 0);
    assert_int_equal(rep.lost, 0);
    count = read_numbers(&k, file, numbers, 1024);
    assert_int_equal(count + rep.dropped, n);
    assert_int_equal(numbers[count - 1], n);
    assert_int_equal(k.hdr->dropped, rep.dropped);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_value),
        cmocka_unit_test(pack_round_trips),
        cmocka_unit_test(pack_of_a_prefix_is_pack_of_its_zero_filled_copy),
        cmocka_unit_test_setup_teardown(append_read_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_tail_is_detected_and_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_header_too, setup, teardown),
        cmocka_unit_test_setup_teardown(wraps_with_padding, setup, teardown),
        cmocka_unit_test_setup_teardown(full_drop_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(padding_is_not_a_record, setup, teardown),
        cmocka_unit_test_setup_teardown(tampered_cursors_are_set_back, setup, teardown),
        cmocka_unit_test_setup_teardown(a_header_older_than_the_ring_loses_no_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(cursor_moves_forward_only, setup, teardown),
        cmocka_unit_test_setup_teardown(full_fail_closed_and_reserve, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_headers_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(cursors_are_kept_or_released, setup, teardown),
        cmocka_unit_test_setup_teardown(random_operations_keep_order, setup, teardown),
        cmocka_unit_test_setup_teardown(batches_read_ahead_and_advance_once, setup, teardown),
        cmocka_unit_test_setup_teardown(
            salvage_takes_every_record_of_a_journal_with_a_damaged_header, salvage_setup,
            salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_orders_records_across_the_wrap, salvage_setup,
                                        salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_skips_torn_and_corrupted_entries, salvage_setup,
                                        salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_refuses_tampered_sizes_lengths_and_positions,
                                        salvage_setup, salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_of_nothing_takes_nothing, salvage_setup,
                                        salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_finds_the_ring_size_from_the_header_or_the_file,
                                        salvage_setup, salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_of_a_forged_file_is_bounded, salvage_setup,
                                        salvage_teardown),
        cmocka_unit_test_setup_teardown(salvage_into_a_smaller_journal_follows_the_policy,
                                        salvage_setup, salvage_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
