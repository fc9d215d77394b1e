/* SPDX-License-Identifier: MIT */
/*
 * The journal's concurrency (journal.h), under ThreadSanitizer: one appender
 * that drops the oldest entries of a small ring, three owners reading and
 * moving their cursors (one slow, so that drops overtake it), one status reader
 * and one checkpointer, all at once, without a lock. Every record read must
 * come whole and in order; nothing may read as damaged; the fast reader ends
 * on the last record. ThreadSanitizer reports any access that is not ordered.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

#define TOTAL   (RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)
#define RECORDS 20000u
#define READERS 3

static struct rh_journal j;
static atomic_bool done;
static atomic_int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                             \
            atomic_fetch_add(&failures, 1);                                                        \
        }                                                                                          \
    } while (0)

static uint32_t len_of(uint32_t n)
{
    return 16 + (n * 2654435761u) % 1500;
}

static void *appender(void *arg)
{
    static uint8_t payload[RH_JOURNAL_MAX_PAYLOAD];
    uint8_t id[16] = {0};

    (void)arg;
    for (uint32_t n = 1; n <= RECORDS; n++) {
        uint32_t len = len_of(n);

        for (uint32_t i = 0; i < len; i++)
            payload[i] = (uint8_t)(n + i);
        memcpy(id, &n, sizeof n);
        CHECK(rh_journal_append(&j, RH_JKIND_HANGUP_EX, n, id, payload, len, RH_J_DROP_OLDEST,
                                NULL) == RH_J_OK);
        if (n % 64 == 0)
            sched_yield();
    }
    atomic_store(&done, true);
    return NULL;
}

struct reader {
    int cursor;
    unsigned slow; /* yields this often per record */
    uint32_t last, count, overtaken;
};

static void *reader(void *arg)
{
    struct reader *r = arg;
    static _Thread_local uint8_t buf[RH_JOURNAL_MAX_PAYLOAD];
    struct rh_jahead a;
    struct rh_jentry e;

    rh_journal_ahead_start(&j, r->cursor, &a);
    for (;;) {
        bool finished = atomic_load(&done);
        enum rh_journal_status st = rh_journal_read_ahead(&j, &a, &e, buf, sizeof buf);
        uint32_t n;

        if (st == RH_J_OVERTAKEN) {
            r->overtaken++;
            rh_journal_ahead_start(&j, r->cursor, &a);
            continue;
        }
        if (st == RH_J_EMPTY) {
            rh_journal_move_cursor(&j, r->cursor, a.pos, a.seq, 0);
            if (finished)
                break;
            sched_yield();
            continue;
        }
        CHECK(st == RH_J_OK);
        if (st != RH_J_OK)
            break;
        memcpy(&n, e.record_id, sizeof n);
        CHECK(n > r->last);
        CHECK(e.time_ms == n && e.payload_len == len_of(n));
        for (uint32_t i = 0; i < e.payload_len; i++)
            if (buf[i] != (uint8_t)(n + i)) {
                CHECK(!"a torn payload");
                break;
            }
        r->last = n;
        r->count++;
        if (r->count % 8 == 0)
            rh_journal_move_cursor(&j, r->cursor, a.pos, a.seq, 8);
        if (r->slow != 0 && r->count % r->slow == 0)
            for (int k = 0; k < 20; k++)
                sched_yield();
    }
    return NULL;
}

static void *watcher(void *arg)
{
    struct rh_jcheckpoint ck;

    (void)arg;
    memset(&ck, 0, sizeof ck);
    while (!atomic_load(&done)) {
        struct rh_jsnap s;
        struct rh_jcursor_view v;

        if (rh_journal_snapshot(&j, &s) == RH_J_OK) {
            CHECK(s.head_pos <= s.tail_pos && s.tail_pos - s.head_pos <= j.size);
            CHECK(s.head_seq <= s.next_seq);
        }
        for (int c = 0; c < READERS; c++)
            if (rh_journal_cursor_view(&j, c, &v) == RH_J_OK)
                CHECK(v.pending <= RECORDS);
        if (rh_journal_checkpoint_begin(&j, &ck))
            rh_journal_checkpoint_end(&j, &ck);
        sched_yield();
    }
    return NULL;
}

int main(void)
{
    uint8_t *region = malloc(TOTAL);
    struct reader r[READERS] = {{.slow = 0}, {.slow = 3}, {.slow = 1}};
    pthread_t app, rd[READERS], watch;
    struct rh_jcursor_view v;

    if (region == NULL)
        return 1;
    (void)rh_crc32c(0, "", 0); /* its tables, before the threads */
    rh_journal_create(&j, region, TOTAL, 0);
    for (int i = 0; i < READERS; i++) {
        char name[8];

        snprintf(name, sizeof name, "r%d", i);
        r[i].cursor = rh_journal_cursor(&j, name, true);
        pthread_create(&rd[i], NULL, reader, &r[i]);
    }
    pthread_create(&watch, NULL, watcher, NULL);
    pthread_create(&app, NULL, appender, NULL);
    pthread_join(app, NULL);
    pthread_join(watch, NULL);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i], NULL);
        CHECK(r[i].last == RECORDS); /* each ends on the newest record */
        CHECK(rh_journal_cursor_view(&j, r[i].cursor, &v) == RH_J_OK && v.pending == 0);
        printf("reader %d: %u records, overtaken %u times, %llu dropped\n", i, r[i].count,
               r[i].overtaken, (unsigned long long)v.dropped);
    }
    /* The slowest fell behind the drops: the test made the race it is about. */
    CHECK(r[2].overtaken > 0);
    free(region);
    return atomic_load(&failures) == 0 ? 0 : 1;
}
