/* SPDX-License-Identifier: MIT */
/*
 * Power cuts. Between two checkpoints the system writes the journal's dirty
 * pages whenever and in whatever order it likes, so a power cut leaves the file
 * as it was at the last checkpoint with any subset of the pages changed since.
 * For each scenario below, every such subset is opened and read: opening never
 * fails, nothing torn or damaged is ever returned, and every record that was on
 * the disk at the checkpoint and that the cursor on disk had not passed is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "journal.h"

#define TOTAL     (RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)
#define PAGE      4096u
#define PAGES     ((TOTAL + PAGE - 1) / PAGE)
#define LEN       1000u
#define MAX_DIRTY 12

static uint8_t *mem, *disk, *image;
static uint32_t next_n;

static int setup(void **state)
{
    (void)state;
    mem = malloc(TOTAL);
    disk = malloc(TOTAL);
    image = malloc(TOTAL);
    memset(mem, 0xA5, TOTAL);
    next_n = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    free(disk);
    free(image);
    return 0;
}

/* Record n: n in its id, its payload bytes a pattern of n, so a torn copy shows. */
static void put_n(struct rh_journal *j, uint32_t n, enum rh_journal_policy policy)
{
    uint8_t payload[LEN], id[16] = {0};

    for (uint32_t i = 0; i < LEN; i++)
        payload[i] = (uint8_t)(n * 7 + i);
    memcpy(id, &n, sizeof n);
    assert_int_equal(rh_journal_append(j, RH_JKIND_HANGUP_EX, n, id, payload, LEN, policy, NULL),
                     RH_J_OK);
}

static void put(struct rh_journal *j, enum rh_journal_policy policy)
{
    put_n(j, next_n++, policy);
}

/* Whether entry e, read with payload buf, is record n whole; n, or 0 if not. */
static uint32_t whole(const struct rh_jentry *e, const uint8_t *buf)
{
    uint32_t n;

    memcpy(&n, e->record_id, sizeof n);
    if (e->payload_len != LEN || e->time_ms != n)
        return 0;
    for (uint32_t i = 0; i < LEN; i++)
        if (buf[i] != (uint8_t)(n * 7 + i))
            return 0;
    return n;
}

/*
 * The journal goes on after the cut, as the service would: a burst of new
 * records (dropping the oldest, which walks the head over whatever the cut
 * left between the checkpoint and the tail), read out as a worker reads, which
 * steps over damage. Every read ends at the tail, every record comes whole and
 * in order, and the newest are all there.
 */
static void goes_on(struct rh_journal *j)
{
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jahead a;
    struct rh_jentry e;
    uint32_t prev = 0, n, fresh = 0;

    for (uint32_t k = 0; k < 130; k++) /* just over a lap */
        put_n(j, 100000 + k, RH_J_DROP_OLDEST);
    rh_journal_ahead_start(j, 0, &a);
    for (unsigned steps = 0;; steps++) {
        enum rh_journal_status st = rh_journal_read_ahead(j, &a, &e, buf, sizeof buf);

        assert_true(steps < 100000);
        if (st == RH_J_CORRUPT) {
            rh_journal_skip_damage(j, &a, buf, sizeof buf);
            continue;
        }
        if (st == RH_J_OVERTAKEN) {
            rh_journal_ahead_start(j, 0, &a);
            continue;
        }
        if (st == RH_J_EMPTY)
            break;
        assert_int_equal(st, RH_J_OK);
        n = whole(&e, buf);
        assert_true(n > prev);
        prev = n;
        fresh += n >= 100000;
    }
    assert_true(a.pos == j->tail_pos);
    /* The ring holds about 120 of them. */
    assert_true(fresh >= 100);
}

/* Reads one record at cursor c, checks it whole, advances; its n, or 0 at the end. */
static uint32_t take(struct rh_journal *j, int c)
{
    uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jentry e;
    uint32_t n;

    if (rh_journal_read(j, c, &e, buf, sizeof buf) != RH_J_OK)
        return 0;
    memcpy(&n, e.record_id, sizeof n);
    assert_int_equal(e.payload_len, LEN);
    assert_int_equal(e.time_ms, n);
    for (uint32_t i = 0; i < LEN; i++)
        assert_int_equal(buf[i], (uint8_t)(n * 7 + i));
    rh_journal_advance(j, c, &e);
    return n;
}

/* The checkpoint as the product makes it: ring to disk, then the header naming it. */
static void checkpoint(struct rh_journal *j, struct rh_jcheckpoint *ck)
{
    rh_journal_checkpoint_begin(j, ck);
    memcpy(disk + RH_JOURNAL_HEADER_SIZE, mem + RH_JOURNAL_HEADER_SIZE,
           TOTAL - RH_JOURNAL_HEADER_SIZE);
    rh_journal_checkpoint_end(j, ck);
    memcpy(disk, mem, RH_JOURNAL_HEADER_SIZE);
}

/*
 * Opens every image a power cut could leave, reads it out through cursor "s"
 * and checks what it finds. `lossless`: no record was dropped after the
 * checkpoint, so each one on disk then, not passed by the cursor on disk, must
 * come back. Returns the number of images tried.
 */
static unsigned cut_everywhere(uint32_t first_n, uint32_t last_n, bool lossless)
{
    unsigned dirty[PAGES], n_dirty = 0;
    static bool seen[1024];

    for (unsigned p = 0; p < PAGES; p++) {
        size_t len = p == PAGES - 1 ? TOTAL - (size_t)p * PAGE : PAGE;

        if (memcmp(mem + (size_t)p * PAGE, disk + (size_t)p * PAGE, len) != 0)
            dirty[n_dirty++] = p;
    }
    assert_true(n_dirty > 1 && n_dirty <= MAX_DIRTY);
    for (uint32_t mask = 0; mask < (1u << n_dirty); mask++) {
        struct rh_journal j;
        struct rh_journal_recovery rec;
        const struct rh_jheader *h = (const struct rh_jheader *)(const void *)image;
        uint32_t n, prev = 0, from;
        int c;

        memset(seen, 0, sizeof seen);
        memcpy(image, disk, TOTAL);
        for (unsigned i = 0; i < n_dirty; i++) {
            size_t at = (size_t)dirty[i] * PAGE;

            if (mask & (1u << i))
                memcpy(image + at, mem + at, dirty[i] == PAGES - 1 ? TOTAL - at : PAGE);
        }
        /* What the cursor on disk had passed: its records were delivered. */
        c = 0;
        from = (uint32_t)(h->cursors[c].seq > first_n ? h->cursors[c].seq : first_n);
        assert_int_equal(rh_journal_open(&j, image, TOTAL, &rec), RH_J_OK);
        assert_int_equal(rh_journal_cursor(&j, "s", false), 0);
        while ((n = take(&j, 0)) != 0) {
            assert_true(n > prev);   /* in order, each once */
            assert_true(n < next_n); /* records after the checkpoint may come too */
            seen[n] = true;
            prev = n;
        }
        if (lossless)
            for (uint32_t k = from; k <= last_n; k++)
                if (!seen[k])
                    fail_msg("image %#x: record %u was on disk and undelivered, and is lost", mask,
                             k);
        /* A third of the images (every one for the smallest sets) also go on. */
        if (mask < 64 || mask % 3 == 0)
            goes_on(&j);
    }
    return 1u << n_dirty;
}

/*
 * Record n has sequence number n (no padding until the first wrap), so the
 * cursor's seq on disk names the first record it had not delivered.
 */
static void scenario(unsigned before, unsigned delivered_before, unsigned after,
                     unsigned delivered_after, enum rh_journal_policy policy)
{
    struct rh_journal j;
    struct rh_jcheckpoint ck;
    uint32_t last_at_checkpoint;

    memset(&ck, 0, sizeof ck);
    assert_int_equal(rh_journal_create(&j, mem, TOTAL, 0), RH_J_OK);
    assert_int_equal(rh_journal_cursor(&j, "s", true), 0);
    for (unsigned i = 0; i < before; i++)
        put(&j, policy);
    for (unsigned i = 0; i < delivered_before; i++)
        assert_true(take(&j, 0) != 0);
    checkpoint(&j, &ck);
    last_at_checkpoint = next_n - 1;
    for (unsigned i = 0; i < after; i++)
        put(&j, policy);
    for (unsigned i = 0; i < delivered_after; i++)
        assert_true(take(&j, 0) != 0);
    print_message("%u images\n", cut_everywhere(1, last_at_checkpoint, policy == RH_J_FAIL));
}

static void appends_within_a_lap(void **state)
{
    (void)state;
    scenario(20, 10, 25, 20, RH_J_FAIL);
}

static void appends_that_wrap_over_delivered_records(void **state)
{
    (void)state;
    /* About 110 KiB before the checkpoint, most delivered; then past the ring's end. */
    scenario(105, 100, 26, 10, RH_J_FAIL);
}

static void appends_that_wrap_with_the_head_moving_past_the_checkpoint(void **state)
{
    (void)state;
    scenario(105, 104, 28, 28, RH_J_FAIL);
}

static void appends_that_drop_undelivered_records(void **state)
{
    (void)state;
    /* Records dropped after the checkpoint may be lost; nothing may come back torn. */
    scenario(120, 2, 26, 3, RH_J_DROP_OLDEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(appends_within_a_lap, setup, teardown),
        cmocka_unit_test_setup_teardown(appends_that_wrap_over_delivered_records, setup, teardown),
        cmocka_unit_test_setup_teardown(appends_that_wrap_with_the_head_moving_past_the_checkpoint,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(appends_that_drop_undelivered_records, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
