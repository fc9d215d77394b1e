/* SPDX-License-Identifier: MIT */
/*
 * The delivery workers: one thread per sink reads the journal from where it
 * last stopped, gives the records to its sink in batches, and moves the sink's
 * cursor over what the sink settled (sink.h), retrying with backoff what it
 * could not deliver. A failing sink holds back no other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "event.h"
#include "runtime_internal.h"

void rh_worker_set_state(struct worker *w, enum rh_sink_state s)
{
    if (InterlockedExchange(&w->state, (LONG)s) != (LONG)s)
        InterlockedExchange(&w->rt->status_dirty, 1);
}

/*
 * The workers take the journal lock without ever sleeping on it: if they slept,
 * RRAS's thread would have to wake them when it releases the lock, a system call
 * on the callback path. They spin, then yield, instead; the lock is only ever held
 * for the copy of one entry.
 */
void rh_runtime_lock(struct rh_runtime *rt)
{
    for (unsigned i = 0; !TryAcquireSRWLockExclusive(&rt->jlock); i++) {
        if (i < 128)
            YieldProcessor();
        else
            SwitchToThread();
    }
}

/* Whether worker w must stop: the runtime stops, or its sink was removed or changed. */
bool rh_worker_stopping(const struct worker *w)
{
    return w->rt->quit || w->quit;
}

/* Waits `ms`, or less if worker w must stop; true if it must. */
static bool worker_wait(struct worker *w, DWORD ms)
{
    HANDLE h[2] = {w->rt->stop_event, w->wake};

    return WaitForMultipleObjects(2, h, FALSE, ms) != WAIT_TIMEOUT || rh_worker_stopping(w);
}

/*
 * A failing sink's wait before its next try. Once stop drains, a sink that
 * has not failed since gets one try at once (its collector may be back); one
 * that has gives up and waits for the stop: the drain does not wait for it.
 * True if the worker must stop.
 */
static bool retry_wait(struct worker *w, DWORD ms, bool tried_while_draining)
{
    struct rh_runtime *rt = w->rt;
    HANDLE h[3] = {rt->stop_event, w->wake, rt->drain_event};

    if (tried_while_draining) {
        InterlockedExchange(&w->gave_up, 1);
        return worker_wait(w, INFINITE);
    }
    return WaitForMultipleObjects(rt->drain_event != NULL ? 3 : 2, h, FALSE, ms) <
               WAIT_OBJECT_0 + 2 ||
           rh_worker_stopping(w);
}

/* A batch: consecutive entries copied out of the journal under one lock. */
#define BATCH_ENTRIES 256
#define BATCH_BYTES   (256u * 1024)

struct batch {
    size_t n;
    struct rh_jentry entries[BATCH_ENTRIES];
    uint32_t offsets[BATCH_ENTRIES];
    uint8_t payloads[BATCH_BYTES + RH_JOURNAL_MAX_PAYLOAD];
};

enum next { NEXT_BATCH, NEXT_IDLE, NEXT_STOP };

/*
 * Brings the worker's reading place in line with its cursor: after a drop
 * moved the cursor past what the worker had read, or after a rewind. Records
 * the journal dropped are forgotten from the unsettled ones. Called with jlock.
 */
static void follow_cursor(struct worker *w, bool rewind)
{
    const struct rh_jcursor *cur = &w->rt->journal.hdr->cursors[w->cursor];

    if (rewind || w->rd.pos < cur->pos) {
        rh_journal_ahead_start(&w->rt->journal, w->cursor, &w->rd);
        w->done_pos = w->rd.pos;
        w->done_seq = w->rd.seq;
        if (rewind)
            w->u_count = 0;
    }
    while (w->u_count > 0 && w->unsettled[w->u_first].pos < cur->pos) {
        w->u_first = (w->u_first + 1) % UNSETTLED_MAX;
        w->u_count--;
    }
    InterlockedExchange64(&w->unconfirmed, (LONG64)w->u_count);
}

/*
 * Fills the batch from where the worker reads. With nothing to read, waits:
 * briefly (NEXT_IDLE) while its sink has records to settle, otherwise until
 * there is something.
 */
static enum next next_batch(struct worker *w, struct batch *b)
{
    struct rh_runtime *rt = w->rt;
    enum rh_journal_status st = RH_J_OK;
    uint32_t used = 0;
    size_t room;

    rh_runtime_lock(rt);
    for (;;) {
        follow_cursor(w, false);
        room = UNSETTLED_MAX - w->u_count;
        b->n = 0;
        used = 0;
        while (b->n < BATCH_ENTRIES && b->n < room && used < BATCH_BYTES &&
               (st = rh_journal_read_ahead(&rt->journal, &w->rd, &b->entries[b->n],
                                           b->payloads + used, RH_JOURNAL_MAX_PAYLOAD)) ==
                   RH_J_OK) {
            b->offsets[b->n] = used;
            used += b->entries[b->n].payload_len;
            b->n++;
        }
        if (b->n > 0 || rh_worker_stopping(w) || (st != RH_J_OK && st != RH_J_EMPTY))
            break;
        if (w->u_count > 0) {
            SleepConditionVariableSRW(&rt->jcv, &rt->jlock, RH_SETTLE_POLL_MS, 0);
            ReleaseSRWLockExclusive(&rt->jlock);
            return rh_worker_stopping(w) ? NEXT_STOP : NEXT_IDLE;
        }
        rh_worker_set_state(w, RH_SINK_STATE_IDLE);
        SleepConditionVariableSRW(&rt->jcv, &rt->jlock, 1000, 0);
    }
    ReleaseSRWLockExclusive(&rt->jlock);
    if (b->n == 0 && !rh_worker_stopping(w)) {
        if (room == 0)
            return NEXT_IDLE; /* the sink must settle before more can go */
        /* Cannot happen while the journal is ours; if it does, say so, slowly. */
        rh_log(RH_LOG_ERROR, "sink %s: the journal entry at its cursor is unreadable (%d)",
               w->sink.name, (int)st);
        return worker_wait(w, 5000) ? NEXT_STOP : NEXT_IDLE;
    }
    return rh_worker_stopping(w) ? NEXT_STOP : NEXT_BATCH;
}

/* Entry e is dealt with: given to the sink, or of no use to it. */
static void handled(struct worker *w, const struct rh_jentry *e)
{
    w->done_pos = e->pos + e->size;
    w->done_seq = e->seq + 1;
}

/*
 * Delivers a batch: each record, then the sink's flush. Records the sink took
 * join the unsettled ones; RETRY leaves the rest of the batch for later.
 */
static enum rh_sink_result deliver_batch(struct worker *w, struct batch *b, struct rh_record *rec,
                                         uint64_t *last_token)
{
    struct rh_runtime *rt = w->rt;
    enum rh_sink_result res = RH_SINK_OK;

    rh_worker_set_state(w, RH_SINK_STATE_SENDING);
    InterlockedExchange(&w->in_delivery, 1);
    for (size_t i = 0; i < b->n && res != RH_SINK_RETRY; i++) {
        const struct rh_jentry *e = &b->entries[i];
        struct rh_event_meta meta = {e->time_ms, rt->server, e->record_id};
        unsigned event = rh_event_of_kind((enum rh_jkind)e->kind);

        if ((event & w->events) == 0) {
            handled(w, e); /* an event this sink has no use for */
            continue;
        }
        if (!rh_event_decode((enum rh_jkind)e->kind, b->payloads + b->offsets[i], e->payload_len,
                             &meta, rec)) {
            InterlockedIncrement64(&w->failed);
            rh_log(RH_LOG_ERROR, "sink %s: journal entry %llu cannot be decoded; skipped",
                   w->sink.name, (unsigned long long)e->seq);
            handled(w, e);
            continue;
        }
        res = w->sink.ops->deliver(w->sink.instance, (enum rh_sink_event)event, rec, e->seq);
        if (res == RH_SINK_ERROR) {
            /* Never deliverable (the sink said why): counted and passed over. */
            InterlockedIncrement64(&w->failed);
            res = RH_SINK_OK;
            handled(w, e);
            continue;
        }
        if (res == RH_SINK_OK) {
            size_t at = (w->u_first + w->u_count) % UNSETTLED_MAX;

            w->unsettled[at].pos = e->pos;
            w->unsettled[at].seq = e->seq;
            w->u_count++;
            *last_token = e->seq;
            handled(w, e);
        }
    }
    if (res == RH_SINK_OK && w->sink.ops->flush != NULL) {
        res = w->sink.ops->flush(w->sink.instance);
        if (res == RH_SINK_ERROR) /* a batch the sink can never take: do not loop on it */
            res = RH_SINK_OK;
    }
    InterlockedExchange(&w->in_delivery, 0);
    InterlockedExchange64(&w->unconfirmed, (LONG64)w->u_count);
    return res;
}

/*
 * Moves the cursor over what the sink settled: every record up to `token`.
 * The cursor stops at the first record still unsettled, or, with none, at the
 * end of what the worker handled (entries the sink had no use for go with the
 * rest; those read and not yet given, after a failure, do not).
 */
static void settle_to(struct worker *w, uint64_t token)
{
    struct rh_runtime *rt = w->rt;
    uint64_t settled = 0;

    rh_runtime_lock(rt);
    /*
     * A worker abandoned at a reconfiguration (its delivery did not return) no
     * longer owns the cursor: another worker of that sink may be using it.
     */
    if (!rt->journal_closed && !(w->quit && w->state == RH_SINK_STATE_STUCK)) {
        uint64_t pos, seq;

        follow_cursor(w, false);
        while (w->u_count > 0 && w->unsettled[w->u_first].seq <= token) {
            w->u_first = (w->u_first + 1) % UNSETTLED_MAX;
            w->u_count--;
            settled++;
        }
        if (w->u_count > 0) {
            pos = w->unsettled[w->u_first].pos;
            seq = w->unsettled[w->u_first].seq;
        } else {
            pos = w->done_pos;
            seq = w->done_seq;
        }
        rh_journal_move_cursor(&rt->journal, w->cursor, pos, seq, settled);
    }
    ReleaseSRWLockExclusive(&rt->jlock);
    InterlockedAdd64(&w->delivered, (LONG64)settled);
    InterlockedExchange64(&w->unconfirmed, (LONG64)w->u_count);
}

/*
 * Asks the sink how far it is settled and moves the cursor there. A sink
 * without settle() is settled up to what it took. RETRY: the sink lost its
 * connection.
 */
static enum rh_sink_result settle(struct worker *w, bool now, uint64_t last_token)
{
    uint64_t token = 0;
    enum rh_sink_result res = RH_SINK_OK;

    if (w->sink.ops->settle == NULL) {
        token = last_token;
    } else {
        InterlockedExchange(&w->in_delivery, 1);
        res = w->sink.ops->settle(w->sink.instance, now, &token);
        InterlockedExchange(&w->in_delivery, 0);
    }
    settle_to(w, token);
    return res == RH_SINK_ERROR ? RH_SINK_OK : res;
}

/* After a failure: what is not settled is read again, from the cursor. */
static void rewind_to_cursor(struct worker *w)
{
    rh_runtime_lock(w->rt);
    if (!w->rt->journal_closed)
        follow_cursor(w, true);
    ReleaseSRWLockExclusive(&w->rt->jlock);
}

DWORD WINAPI rh_worker_main(void *arg)
{
    struct worker *w = arg;
    struct rh_runtime *rt = w->rt;
    struct batch *b = malloc(sizeof *b);
    struct rh_record *rec = malloc(sizeof *rec);
    uint32_t attempt = 0;
    uint32_t random = (uint32_t)(uintptr_t)w ^ GetCurrentThreadId();
    uint64_t last_token = 0;
    enum next next;

    w->unsettled = malloc(UNSETTLED_MAX * sizeof *w->unsettled);
    if (b == NULL || rec == NULL || w->unsettled == NULL) {
        rh_log(RH_LOG_ERROR, "sink %s: out of memory; its worker did not start", w->sink.name);
        goto out;
    }
    rewind_to_cursor(w);
    while ((next = next_batch(w, b)) != NEXT_STOP) {
        bool draining = rt->draining != 0;
        enum rh_sink_result res;

        if (next == NEXT_IDLE) {
            /* Nothing new: a chance for the sink to settle (and, when stopping, to prove). */
            res = settle(w, draining || w->u_count == UNSETTLED_MAX, last_token);
        } else {
            res = deliver_batch(w, b, rec, &last_token);
            /*
             * A sink without settle() has the batch only if flush() said OK; one
             * with it says what it has even after a failure (RADIUS's prefix).
             */
            if (res == RH_SINK_OK || (rh_worker_stopping(w) && w->sink.ops->settle != NULL))
                res = settle(w, false, last_token) == RH_SINK_RETRY ? RH_SINK_RETRY : res;
        }

        /* Stopped meanwhile: what was settled moved the cursor; the rest stays in the journal. */
        if (rh_worker_stopping(w))
            break;
        if (res == RH_SINK_RETRY) {
            uint64_t token = 0;

            /* What the sink settled before it failed (RADIUS's acknowledged prefix) stays so. */
            if (w->sink.ops->settle != NULL &&
                w->sink.ops->settle(w->sink.instance, false, &token) != RH_SINK_RETRY)
                settle_to(w, token);
            rewind_to_cursor(w);
            InterlockedExchange(&w->last_error, (LONG)GetLastError());
            InterlockedIncrement64(&w->retried);
            if (attempt++ == 0) {
                char why[256];

                rh_win32_error_text((DWORD)w->last_error, why, sizeof why);
                rh_log_event(RH_EV_SINK_DOWN, RH_LOG_WARNING,
                             "sink %s: delivery failed; retrying with backoff (a %s sink; last "
                             "error: %s)",
                             w->sink.name, w->sink.ops->type, why);
            }
            rh_worker_set_state(w, RH_SINK_STATE_RETRYING);
            random = random * 1664525u + 1013904223u;
            if (retry_wait(
                    w, rh_backoff_ms(attempt, rt->cfg.retry_min_ms, rt->cfg.retry_max_ms, random),
                    draining))
                break;
            continue;
        }
        if (next == NEXT_BATCH && attempt > 0) {
            rh_log_event(RH_EV_SINK_RECOVERED, RH_LOG_INFO,
                         "sink %s: delivering again after %u failed attempt(s)", w->sink.name,
                         (unsigned)attempt);
            attempt = 0;
        }
    }
out:
    free(b);
    free(rec);
    free(w->unsettled);
    w->unsettled = NULL;
    InterlockedExchange(&w->exited, 1);
    return 0;
}
