/* SPDX-License-Identifier: MIT */
#include "framing.h"

#include "text.h"

size_t rh_octet_prefix(size_t msg_len, char out[RH_OCTET_PREFIX_MAX])
{
    size_t n = rh_u64_to_dec(msg_len, out);

    out[n] = ' ';
    return n + 1;
}

void rh_sent_init(struct rh_sent_queue *q, struct rh_sent *entries, size_t cap)
{
    q->entries = entries;
    q->cap = entries != NULL ? cap : 0;
    q->first = 0;
    q->count = 0;
}

void rh_sent_clear(struct rh_sent_queue *q)
{
    q->first = 0;
    q->count = 0;
}

struct rh_sent *rh_sent_at(const struct rh_sent_queue *q, size_t i)
{
    return &q->entries[(q->first + i) % q->cap];
}

bool rh_sent_push(struct rh_sent_queue *q, const struct rh_sent *m)
{
    if (q->count == q->cap)
        return false;
    q->entries[(q->first + q->count) % q->cap] = *m;
    q->count++;
    return true;
}

/* Settles the oldest message. */
static void settle_front(struct rh_sent_queue *q, uint64_t *settled)
{
    *settled = q->entries[q->first].token;
    q->first = (q->first + 1) % q->cap;
    q->count--;
}

size_t rh_sent_settle_window(struct rh_sent_queue *q, uint64_t stream_bytes, uint64_t window,
                             uint64_t *settled)
{
    size_t n = 0;

    while (q->count > 0 && stream_bytes - q->entries[q->first].end >= window) {
        settle_front(q, settled);
        n++;
    }
    return n;
}

size_t rh_sent_settle_acked(struct rh_sent_queue *q, uint64_t *settled)
{
    size_t n = 0;

    while (q->count > 0 && q->entries[q->first].acked) {
        settle_front(q, settled);
        n++;
    }
    return n;
}

size_t rh_sent_settle_all(struct rh_sent_queue *q, uint64_t *settled)
{
    size_t n = q->count;

    if (n > 0)
        *settled = rh_sent_at(q, n - 1)->token;
    rh_sent_clear(q);
    return n;
}

size_t rh_sent_find_unacked(const struct rh_sent_queue *q, uint64_t end)
{
    size_t i;

    for (i = 0; i < q->count; i++) {
        const struct rh_sent *m = rh_sent_at(q, i);

        if (m->end == end && !m->acked)
            break;
    }
    return i;
}
