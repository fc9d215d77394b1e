/* SPDX-License-Identifier: MIT */
/*
 * The delivery workers: one thread per sink reads the journal from where it
 * last stopped, gives the records to its sink in batches, and moves the sink's
 * cursor over what the sink settled (sink.h), retrying with backoff what it
 * could not deliver. A failing sink holds back no other.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "payload.h"
#include "runtime_internal.h"

void rh_worker_set_state(struct worker *w, enum rh_sink_state s)
{
    if (InterlockedExchange(&w->state, (LONG)s) != (LONG)s)
        InterlockedExchange(&w->rt->status_dirty, 1);
}

/*
 * A worker's calls into the journal happen between these two, so that stop
 * can close the journal under a worker it abandoned (one whose delivery never
 * returned): once closed, journal_enter says no. Full barriers both sides.
 */
static bool journal_enter(struct worker *w)
{
    InterlockedExchange(&w->in_journal, 1);
    if (w->rt->journal_closed == 0)
        return true;
    InterlockedExchange(&w->in_journal, 0);
    return false;
}

static void journal_leave(struct worker *w)
{
    InterlockedExchange(&w->in_journal, 0);
}

/*
 * The bell: every BELL_MS, idle workers whose journal has grown since they
 * found it empty are woken. One thread for all workers, so that neither RRAS's
 * thread (at each append) nor each worker (polling) pays for waking.
 */
DWORD WINAPI rh_bell_main(void *arg)
{
    struct rh_runtime *rt = arg;

    while (WaitForSingleObject(rt->stop_event, BELL_MS) == WAIT_TIMEOUT) {
        LONG64 tail = (LONG64)atomic_load_explicit(&rt->journal.tail_pos, memory_order_acquire);

        rh_runtime_touch_ahead(rt);
        rh_runtime_clock_renew(rt);
        AcquireSRWLockShared(&rt->wlock);
        for (size_t i = 0; i < rt->n_workers; i++) {
            struct worker *w = &rt->workers[i];
            LONG64 idle = w->idle_at;

            if (idle >= 0 && tail != idle && w->bell != NULL &&
                InterlockedCompareExchange64(&w->idle_at, -1, idle) == idle)
                SetEvent(w->bell);
        }
        ReleaseSRWLockShared(&rt->wlock);
    }
    return 0;
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
 * A failing sink's wait before its next try. Once stop drains, a sink gets one
 * try at once after a failure (its collector may be back), whether that failure
 * began before the drain or was its first try in it (records appended just
 * before the stop); failing again in the drain, it gives up and waits for the
 * stop: the drain does not wait for it. True if the worker must stop.
 */
static bool retry_wait(struct worker *w, DWORD ms, bool tried_while_draining)
{
    struct rh_runtime *rt = w->rt;
    HANDLE h[3] = {rt->stop_event, w->wake, rt->drain_event};

    if (tried_while_draining && ++w->drain_failures >= 2) {
        InterlockedExchange(&w->gave_up, 1);
        return worker_wait(w, INFINITE);
    }
    if (tried_while_draining)
        return rh_worker_stopping(w); /* at once */
    return WaitForMultipleObjects(rt->drain_event != NULL ? 3 : 2, h, FALSE, ms) <
               WAIT_OBJECT_0 + 2 ||
           rh_worker_stopping(w);
}

/* A batch: consecutive entries copied out of the journal. */
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
 * moved the head past what the worker had read, or after a rewind. Records
 * the journal dropped are forgotten from the unsettled ones.
 */
static void follow_cursor(struct worker *w, bool rewind)
{
    struct rh_jsnap s;

    /* Busy only while RRAS's thread was preempted in the middle of an append: let it run. */
    for (unsigned tries = 0; rh_journal_snapshot(&w->rt->journal, &s) != RH_J_OK; tries++)
        if (tries < 16)
            SwitchToThread();
        else
            Sleep(1);
    if (rewind || w->rd.pos < s.head_pos) {
        rh_journal_ahead_start(&w->rt->journal, w->cursor, &w->rd);
        w->done_pos = w->rd.pos;
        w->done_seq = w->rd.seq;
        if (rewind)
            w->u_count = 0;
    }
    while (w->u_count > 0 && w->unsettled[w->u_first].pos < s.head_pos) {
        w->u_first = (w->u_first + 1) % UNSETTLED_MAX;
        w->u_count--;
    }
    InterlockedExchange64(&w->unconfirmed, (LONG64)w->u_count);
}

/*
 * Waits for the bell (new records), at most `ms`; true if the worker must
 * stop. It registers where it found the journal empty, then looks once more,
 * so that a record appended in between is not left for a later ring.
 */
static bool wait_for_records(struct worker *w, DWORD ms)
{
    struct rh_runtime *rt = w->rt;
    HANDLE h[3] = {rt->stop_event, w->wake, w->bell};

    /* Where it found nothing: a record appended since, even just now, rings the bell. */
    InterlockedExchange64(&w->idle_at, (LONG64)w->rd.pos);
    if (atomic_load_explicit(&rt->journal.tail_pos, memory_order_acquire) <= w->rd.pos)
        WaitForMultipleObjects(3, h, FALSE, ms);
    InterlockedExchange64(&w->idle_at, -1);
    return rh_worker_stopping(w);
}

/*
 * Fills the batch from where the worker reads, without a lock: each entry is
 * checked as it is copied (journal.h). With nothing to read, waits: briefly
 * (NEXT_IDLE) while its sink has records to settle, otherwise until there is
 * something.
 */
static enum next next_batch(struct worker *w, struct batch *b)
{
    struct rh_runtime *rt = w->rt;
    enum rh_journal_status st = RH_J_OK;
    uint32_t used = 0;
    size_t room;

    for (;;) {
        if (!journal_enter(w))
            return NEXT_STOP;
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
        if (st == RH_J_CORRUPT && b->n == 0) {
            uint64_t at = w->rd.seq;
            uint64_t skipped =
                rh_journal_skip_damage(&rt->journal, &w->rd, b->payloads, RH_JOURNAL_MAX_PAYLOAD);

            journal_leave(w);
            if (skipped == 0) {
                /* Its work was spent: it goes on from where it stopped, unless told to stop. */
                if (rh_worker_stopping(w))
                    return NEXT_STOP;
                continue;
            }
            InterlockedAdd64(&w->failed, (LONG64)skipped);
            rh_log_event(RH_LOGID_GENERIC, RH_LOG_ERROR,
                         "sink %s: journal entry %llu fails its checks (damage or tampering "
                         "in %s); %llu entry(ies) up to the next valid one are skipped",
                         w->sink.name, (unsigned long long)at,
                         rt->file_backed ? rt->file.path_utf8 : "memory",
                         (unsigned long long)skipped);
            continue;
        }
        journal_leave(w);
        /* Overtaken by drops with entries read: deliver them; the next batch follows the head. */
        if (b->n > 0 || rh_worker_stopping(w) ||
            (st != RH_J_OK && st != RH_J_EMPTY && st != RH_J_OVERTAKEN))
            break;
        if (st == RH_J_OVERTAKEN)
            continue;
        if (w->u_count > 0) {
            /* Room for no more until the sink settles: only time helps. */
            if (room == 0)
                worker_wait(w, RH_SETTLE_POLL_MS);
            else
                wait_for_records(w, RH_SETTLE_POLL_MS);
            return rh_worker_stopping(w) ? NEXT_STOP : NEXT_IDLE;
        }
        rh_worker_set_state(w, RH_SINK_STATE_IDLE);
        if (wait_for_records(w, 1000))
            return NEXT_STOP;
    }
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
 * A sink call's result; when it failed, the thread's last error is taken at
 * once, before any other call can change it (sink.h: error()).
 */
static enum rh_sink_result took(struct worker *w, enum rh_sink_result r)
{
    if (r != RH_SINK_OK)
        w->failed_code = GetLastError();
    return r;
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
        struct rh_record_meta meta = {e->time_ms, rt->server, e->record_id};
        unsigned event = rh_payload_event((enum rh_jkind)e->kind);

        if ((event & w->events) == 0) {
            handled(w, e); /* an event this sink has no use for */
            continue;
        }
        if (!rh_payload_decode((enum rh_jkind)e->kind, b->payloads + b->offsets[i], e->payload_len,
                               &meta, rec)) {
            InterlockedIncrement64(&w->failed);
            rh_log(RH_LOG_ERROR, "sink %s: journal entry %llu cannot be decoded; skipped",
                   w->sink.name, (unsigned long long)e->seq);
            handled(w, e);
            continue;
        }
        res =
            took(w, w->sink.ops->deliver(w->sink.instance, (enum rh_sink_event)event, rec, e->seq));
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
        res = took(w, w->sink.ops->flush(w->sink.instance));
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

    if (!journal_enter(w))
        return;
    /*
     * A worker abandoned at a reconfiguration (its delivery did not return) no
     * longer owns the cursor: another worker of that sink may be using it.
     */
    if (!(w->quit && w->state == RH_SINK_STATE_STUCK)) {
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
    journal_leave(w);
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
        res = took(w, w->sink.ops->settle(w->sink.instance, now, &token));
        InterlockedExchange(&w->in_delivery, 0);
    }
    settle_to(w, token);
    return res == RH_SINK_ERROR ? RH_SINK_OK : res;
}

/*
 * Asks the sink why its last call failed (sink.h: error()) and keeps it, with
 * the code's own text, for the log and status.json.
 */
static void take_error(struct worker *w)
{
    struct rh_sink_error e;
    char code[512] = "";

    memset(&e, 0, sizeof e);
    e.code = w->failed_code;
    if (w->sink.ops->error != NULL)
        w->sink.ops->error(w->sink.instance, &e);
    e.what[sizeof e.what - 1] = '\0';
    rh_utf8_cut(e.what); /* a sink's snprintf may have cut a path in a character */
    if (e.code != 0)
        rh_win32_error_text(e.code, code, sizeof code);
    AcquireSRWLockExclusive(&w->err_lock);
    snprintf(w->last_error_text, sizeof w->last_error_text, "%s%s%s",
             e.what[0] != '\0' ? e.what : "", e.what[0] != '\0' && code[0] != '\0' ? ": " : "",
             code[0] != '\0' ? code : (e.what[0] != '\0' ? "" : "no reason given"));
    rh_utf8_cut(w->last_error_text);
    ReleaseSRWLockExclusive(&w->err_lock);
    InterlockedExchange(&w->last_error, (LONG)e.code);
}

/* After a failure: what is not settled is read again, from the cursor. */
static void rewind_to_cursor(struct worker *w)
{
    if (!journal_enter(w))
        return;
    follow_cursor(w, true);
    journal_leave(w);
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
    for (;;) {
        bool draining = rt->draining != 0;
        enum rh_sink_result res;

        next = next_batch(w, b);
        if (next == NEXT_STOP)
            break;

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
            take_error(w);
            InterlockedIncrement64(&w->retried);
            if (attempt++ == 0) {
                char why[sizeof w->last_error_text];

                AcquireSRWLockShared(&w->err_lock);
                snprintf(why, sizeof why, "%s", w->last_error_text);
                ReleaseSRWLockShared(&w->err_lock);
                rh_log_event(RH_LOGID_SINK_DOWN, RH_LOG_WARNING,
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
        if (next == NEXT_BATCH)
            w->drain_failures = 0; /* delivering again: a later failure gets its own retry */
        if (next == NEXT_BATCH && attempt > 0) {
            rh_log_event(RH_LOGID_SINK_RECOVERED, RH_LOG_INFO,
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
