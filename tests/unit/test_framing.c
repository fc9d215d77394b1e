/* SPDX-License-Identifier: MIT */
/*
 * Syslog over a stream: octet-counting frames read back by a reader of the
 * test's own, and which sent messages are settled by the resend window, by
 * RELP's acknowledgements and by an orderly close, at the window's exact
 * bound, across the ring's end, and against a model over many sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "framing.h"

#define UNTOUCHED 0xdeadbeefull

static void prefix_is(size_t len, const char *want)
{
    char out[RH_OCTET_PREFIX_MAX + 1];
    size_t n;

    memset(out, 'x', sizeof out);
    n = rh_octet_prefix(len, out);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    assert_int_equal(out[n], 'x'); /* no NUL, nothing past it */
}

static void prefixes(void **state)
{
    (void)state;
    prefix_is(0, "0 ");
    prefix_is(1, "1 ");
    prefix_is(9, "9 ");
    prefix_is(10, "10 ");
    prefix_is(100, "100 ");
    prefix_is(2048, "2048 ");
    prefix_is(65535, "65535 ");
    prefix_is(4294967295u, "4294967295 ");
#if SIZE_MAX == UINT64_MAX
    prefix_is(SIZE_MAX, "18446744073709551615 ");
    assert_int_equal(strlen("18446744073709551615 "), RH_OCTET_PREFIX_MAX);
#endif
}

/* RFC 6587 3.4.1, read strictly: MSG-LEN is NONZERO-DIGIT *DIGIT, then SP, then MSG-LEN bytes. */
static bool read_frame(const char *p, size_t len, size_t *at, const char **msg, size_t *msg_len)
{
    size_t i = *at, n = 0;

    if (i >= len || p[i] < '1' || p[i] > '9')
        return false;
    while (i < len && p[i] >= '0' && p[i] <= '9')
        n = n * 10 + (size_t)(p[i++] - '0');
    if (i >= len || p[i++] != ' ' || n > len - i)
        return false;
    *msg = p + i;
    *msg_len = n;
    *at = i + n;
    return true;
}

static void frames_read_back(void **state)
{
    static const char *const messages[] = {
        "<86>1 2026-11-24T18:30:00.000Z ras01 rashangup - hangup - hello",
        "x",
        "a message with 12 digits 345 and spaces ",
        "two\nlines\r\n",
        "0123456789",
    };
    char stream[1024];
    size_t len = 0, at = 0;

    (void)state;
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        size_t n = strlen(messages[i]);

        len += rh_octet_prefix(n, stream + len);
        memcpy(stream + len, messages[i], n);
        len += n;
    }
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        const char *msg;
        size_t msg_len;

        assert_true(read_frame(stream, len, &at, &msg, &msg_len));
        assert_int_equal(msg_len, strlen(messages[i]));
        assert_memory_equal(msg, messages[i], msg_len);
    }
    assert_int_equal(at, len);
}

static struct rh_sent entries[8];

static void push(struct rh_sent_queue *q, uint64_t token, uint64_t end)
{
    struct rh_sent m = {token, end, 0, false};

    assert_true(rh_sent_push(q, &m));
}

static void queue(void **state)
{
    struct rh_sent_queue q;
    struct rh_sent m = {99, 99, 99, true};

    (void)state;
    rh_sent_init(&q, entries, 4);
    assert_int_equal(q.count, 0);
    for (uint64_t t = 1; t <= 4; t++)
        push(&q, t, t * 10);
    assert_false(rh_sent_push(&q, &m)); /* full: unchanged */
    assert_int_equal(q.count, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rh_sent_at(&q, i)->token, i + 1);
    rh_sent_clear(&q);
    assert_int_equal(q.count, 0);
    assert_true(rh_sent_push(&q, &m));
    assert_int_equal(rh_sent_at(&q, 0)->token, 99);
    assert_true(rh_sent_at(&q, 0)->acked);

    /* Without entries there is no room. */
    rh_sent_init(&q, NULL, 4);
    assert_false(rh_sent_push(&q, &m));
}

static void window(void **state)
{
    struct rh_sent_queue q;
    uint64_t settled = UNTOUCHED;

    (void)state;
    rh_sent_init(&q, entries, 8);
    assert_int_equal(rh_sent_settle_window(&q, 1000, 0, &settled), 0); /* nothing sent */
    assert_int_equal(settled, UNTOUCHED);

    push(&q, 11, 100);
    push(&q, 12, 250);
    push(&q, 13, 400);
    /* 400 bytes sent in all: 300, 150 and 0 after each. */
    assert_int_equal(rh_sent_settle_window(&q, 400, 301, &settled), 0);
    assert_int_equal(settled, UNTOUCHED);
    assert_int_equal(rh_sent_settle_window(&q, 400, 300, &settled), 1); /* exactly the window */
    assert_int_equal(settled, 11);
    assert_int_equal(rh_sent_settle_window(&q, 400, 151, &settled), 0);
    assert_int_equal(settled, 11);
    assert_int_equal(rh_sent_settle_window(&q, 400, 150, &settled), 1);
    assert_int_equal(settled, 12);
    assert_int_equal(q.count, 1);
    assert_int_equal(rh_sent_at(&q, 0)->token, 13);
    /* More sent after it: 13 settles once the window has followed it. */
    assert_int_equal(rh_sent_settle_window(&q, 549, 150, &settled), 0);
    assert_int_equal(rh_sent_settle_window(&q, 550, 150, &settled), 1);
    assert_int_equal(settled, 13);
    assert_int_equal(q.count, 0);

    /* Window 0: settled once sent, the last one too. */
    push(&q, 21, 600);
    push(&q, 22, 700);
    assert_int_equal(rh_sent_settle_window(&q, 700, 0, &settled), 2);
    assert_int_equal(settled, 22);
    /* A huge window settles nothing. */
    push(&q, 31, 800);
    assert_int_equal(rh_sent_settle_window(&q, UINT64_MAX, UINT64_MAX, &settled), 0);
    assert_int_equal(rh_sent_settle_window(&q, UINT64_MAX, UINT64_MAX - 800, &settled), 1);
    assert_int_equal(settled, 31);
}

static void acknowledgements(void **state)
{
    struct rh_sent_queue q;
    uint64_t settled = UNTOUCHED;

    (void)state;
    rh_sent_init(&q, entries, 8);
    for (uint64_t t = 1; t <= 5; t++)
        push(&q, 100 + t, t); /* RELP: the end is the TXNR */
    assert_int_equal(rh_sent_settle_acked(&q, &settled), 0);
    assert_int_equal(settled, UNTOUCHED);

    /* Answers out of order: only the front settles, up to the first unanswered. */
    assert_int_equal(rh_sent_find_unacked(&q, 2), 1);
    rh_sent_at(&q, 1)->acked = true;
    assert_int_equal(rh_sent_find_unacked(&q, 2), q.count); /* answered already */
    assert_int_equal(rh_sent_settle_acked(&q, &settled), 0);
    rh_sent_at(&q, rh_sent_find_unacked(&q, 4))->acked = true;
    rh_sent_at(&q, rh_sent_find_unacked(&q, 1))->acked = true;
    assert_int_equal(rh_sent_settle_acked(&q, &settled), 2);
    assert_int_equal(settled, 102);
    assert_int_equal(q.count, 3);
    assert_int_equal(rh_sent_find_unacked(&q, 3), 0);
    assert_int_equal(rh_sent_find_unacked(&q, 9), q.count);
    rh_sent_at(&q, 0)->acked = true;
    assert_int_equal(rh_sent_settle_acked(&q, &settled), 2);
    assert_int_equal(settled, 104);

    /* A TXNR that comes again (they wrap): the oldest unanswered one is meant. */
    push(&q, 201, 5);
    assert_int_equal(rh_sent_find_unacked(&q, 5), 0);
    rh_sent_at(&q, 0)->acked = true;
    assert_int_equal(rh_sent_find_unacked(&q, 5), 1);
}

static void orderly_close(void **state)
{
    struct rh_sent_queue q;
    uint64_t settled = UNTOUCHED;

    (void)state;
    rh_sent_init(&q, entries, 8);
    assert_int_equal(rh_sent_settle_all(&q, &settled), 0);
    assert_int_equal(settled, UNTOUCHED);
    push(&q, 7, 10);
    push(&q, 8, 20);
    push(&q, 9, 30);
    assert_int_equal(rh_sent_settle_all(&q, &settled), 3);
    assert_int_equal(settled, 9);
    assert_int_equal(q.count, 0);
}

/* Across the end of the ring: order, settling and lookups hold. */
static void ring_wraps(void **state)
{
    struct rh_sent_queue q;
    uint64_t settled = 0, token = 0, end = 0, sent_bytes = 0;

    (void)state;
    rh_sent_init(&q, entries, 3);
    for (int round = 0; round < 20; round++) {
        while (q.count < 3) {
            end += 10;
            push(&q, ++token, end);
        }
        sent_bytes = end;
        assert_int_equal(rh_sent_at(&q, 0)->token, token - 2);
        assert_int_equal(rh_sent_at(&q, 2)->token, token);
        assert_int_equal(rh_sent_find_unacked(&q, end), 2);
        /* The window of 15 bytes: the oldest two have 20 and 10 after them. */
        assert_int_equal(rh_sent_settle_window(&q, sent_bytes, 15, &settled), 1);
        assert_int_equal(settled, token - 2);
        assert_true(q.first < 3);
    }
}

/*
 * Sends in batches against a model: settled is the newest message that
 * `window` bytes have followed, or the last one before an orderly close.
 */
static void model(void **state)
{
    enum { N = 2000, CAP = 64 };
    static uint64_t ends[N];
    static struct rh_sent ring[CAP];
    struct rh_sent_queue q;

    (void)state;
    srand(6587);
    for (int trial = 0; trial < 20; trial++) {
        uint64_t win = (uint64_t)(rand() % 4000), bytes = 0, settled = 0, closed = 0;
        size_t sent = 0;

        rh_sent_init(&q, ring, CAP);
        while (sent < N) {
            size_t batch = (size_t)(rand() % 8) + 1;
            uint64_t want = closed;

            for (size_t i = 0; i < batch && sent < N && q.count < CAP; i++) {
                bytes += (uint64_t)(rand() % 600) + 3;
                ends[sent] = bytes;
                push(&q, sent + 1, bytes);
                sent++;
            }
            rh_sent_settle_window(&q, bytes, win, &settled);
            for (size_t i = 0; i < sent; i++)
                if (bytes - ends[i] >= win && i + 1 > want)
                    want = i + 1;
            assert_int_equal(settled, want);
            assert_int_equal(q.count, sent - settled);
            if (q.count == CAP) {
                /* The sink closes in order to make room: all of them settle. */
                assert_int_equal(rh_sent_settle_all(&q, &settled), CAP);
                assert_int_equal(settled, sent);
                closed = settled;
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefixes),
        cmocka_unit_test(frames_read_back),
        cmocka_unit_test(queue),
        cmocka_unit_test(window),
        cmocka_unit_test(acknowledgements),
        cmocka_unit_test(orderly_close),
        cmocka_unit_test(ring_wraps),
        cmocka_unit_test(model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
