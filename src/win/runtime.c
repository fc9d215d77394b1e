/* SPDX-License-Identifier: MIT */
#include "runtime.h"

#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "event.h"
#include "files.h"
#include "journal_file.h"
#include "pipeline.h"
#include "text.h"
#include "wstr.h"

#ifndef RASHANGUP_VERSION
#define RASHANGUP_VERSION "0.0.0"
#endif

/* What stop gives a worker to leave a delivery, and again after cancelling its I/O. */
#define STOP_GRACE_MS 250

/* How far ahead of the tail the flusher keeps the journal's pages touched. */
#define PREFAULT_BYTES (64u * 1024 * 1024)

/* status.json at most: 16 sinks, each with a reason of 255 bytes escaped, fit well. */
#define STATUS_MAX (64u * 1024)

/* Refused connections remembered at once, oldest forgotten first. */
#define REFUSED_MAX 1024

/* Reserve for fail-closed: the largest packed RAS_CONNECTION_EX. */
#define EX_EVENT_MAX ((uint32_t)(1 + RH_PACK_BOUND(sizeof(struct rh_ras_connection_ex))))

/*
 * Records a worker gave its sink that are not settled yet (see sink.h): the
 * journal cursor stays at the first of them. A ring; when full, the worker
 * reads nothing new until the sink settles some.
 */
#define UNSETTLED_MAX RH_UNSETTLED_MAX

struct unsettled {
    uint64_t pos, seq; /* the entry's place; seq is the token the sink had */
};

struct worker {
    struct rh_runtime *rt;
    struct rh_runtime_sink sink;
    int cursor;
    unsigned events;    /* what the sink takes: enum rh_sink_event */
    bool active;        /* a configured sink; false: a free slot, or one being retired */
    bool live;          /* sink.instance is still to be destroyed */
    volatile LONG quit; /* this worker alone must stop (live reconfiguration) */
    HANDLE wake;        /* set with quit */
    HANDLE thread;
    volatile LONG state; /* enum rh_sink_state */
    volatile LONG in_delivery;
    volatile LONG64 delivered, retried, failed;
    volatile LONG64 unconfirmed; /* given to the sink, not settled */
    volatile LONG last_error;
    volatile LONG exited;
    volatile LONG gave_up; /* stop is draining, and this sink failed again since it began */

    /*
     * The worker thread's own: where it reads, where what it handled ends (given
     * to the sink, or of no use to it), and what its sink has not settled.
     */
    struct rh_jahead rd;
    uint64_t done_pos, done_seq;
    struct unsettled *unsettled;
    size_t u_first, u_count;
};

/* A sink that is configured but does not run (invalid, or Enabled = 0): it keeps its cursor. */
struct held_sink {
    char name[RH_SINK_NAME_SIZE];
    char type[32];
    enum rh_sink_state state;
    char reason[256];
    bool runtime_made; /* it could not get a worker: the service thinks it runs */
};

/*
 * One runtime per start, on the heap: if a stuck worker must be abandoned at
 * stop, it keeps its runtime (leaked on purpose) and a later start gets a new one.
 */
struct rh_runtime {
    struct rh_runtime_config cfg;
    char server[RH_SERVER_SIZE];
    uint64_t started_ms;

    SRWLOCK jlock; /* the journal and everything in it */
    CONDITION_VARIABLE jcv;
    struct rh_journal journal;
    struct rh_journal_file file;
    void *memory_journal; /* when no file could be had */
    bool file_backed;
    HANDLE dir; /* the journal's folder, checked and held; INVALID_HANDLE_VALUE: not usable */
    bool full;  /* the last append found no room */
    bool journal_closed; /* by stop: an abandoned worker must not touch it */

    uint8_t id_base[10];
    uint64_t id_counter;

    HANDLE stop_event;   /* manual reset: set when workers must stop */
    HANDLE flusher_stop; /* manual reset: set once they have, for the flusher's last round */
    HANDLE drain_event;  /* manual reset: set when stop begins to drain */
    volatile LONG draining;
    volatile LONG quit;
    HANDLE flusher;
    volatile LONG status_dirty;
    uint64_t prefaulted_to; /* the flusher's: journal positions touched up to here */

    volatile LONG64 received, journaled, dropped, refused;
    volatile LONG active; /* connections accepted and not yet hung up (fail-closed) */
    volatile LONG64 dropped_reported;

    /* Connections refused (fail-closed): their hangups, if RRAS sends them, are not records. */
    SRWLOCK refused_lock;
    struct rh_guid refused_ids[REFUSED_MAX];
    size_t refused_next;
    size_t refused_count;

    /*
     * Read by RRAS's threads without a lock, so each is published whole: what
     * any sink takes (enum rh_sink_event), and whether the journal refuses
     * connections when full.
     */
    volatile LONG events;
    volatile LONG fail_closed;

    SRWLOCK wlock;    /* the set of workers: exclusive to change it, shared to read it */
    size_t n_workers; /* slots used, active or not */
    struct worker workers[RH_MAX_SINKS];
    /* Sinks configured but not running: their cursors stay (under wlock). */
    struct held_sink held[RH_JOURNAL_CURSORS];
    size_t n_held;
    /* Each cursor's dropped count when this runtime began (status.json counts since start). */
    uint64_t dropped_base[RH_JOURNAL_CURSORS];
};

static struct rh_runtime *g_rt;

static void load_id_base(struct rh_runtime *rt)
{
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, rt->id_base, sizeof rt->id_base,
                                        BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
        /* Without the system RNG: the clock and the process id still differ per start. */
        ULONGLONG t = rh_now_unix_ms() ^ ((ULONGLONG)GetCurrentProcessId() << 40);

        memcpy(rt->id_base, &t, sizeof t);
        rh_log(RH_LOG_WARNING, "BCryptGenRandom failed: record ids use the clock instead");
    }
}

/*
 * Record ids are UUIDv7: the event's millisecond, then 74 bits that are a random
 * base drawn at start plus a counter (RFC 9562, section 6.2, method 2): unique
 * across processes and restarts, increasing in journal order, no system call.
 * Called with jlock held.
 */
static void next_record_id(struct rh_runtime *rt, uint8_t id[16], uint64_t time_ms)
{
    uint64_t n = ++rt->id_counter;
    uint8_t random[10];
    unsigned carry = 0;

    for (int i = 9; i >= 0; i--) {
        unsigned add = i >= 2 ? (unsigned)(n >> (8 * (9 - i))) & 0xFF : 0;
        unsigned sum = rt->id_base[i] + add + carry;

        random[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
    rh_uuid7_make(id, time_ms, random);
}

static void set_state(struct worker *w, enum rh_sink_state s)
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
static void worker_lock(struct rh_runtime *rt)
{
    for (unsigned i = 0; !TryAcquireSRWLockExclusive(&rt->jlock); i++) {
        if (i < 128)
            YieldProcessor();
        else
            SwitchToThread();
    }
}

/*
 * Touches the journal's pages ahead of the tail, so that RRAS's thread does not
 * wait for a page to be read in when it first writes one. The touch is a read:
 * it makes the page resident without dirtying it, so an idle journal writes
 * nothing to disk. Each page is touched once per lap (rt->prefaulted_to), not
 * at every flush interval.
 */
static void prefault(struct rh_runtime *rt, uint64_t bytes)
{
    uint64_t tail, from, to;

    if (rt->journal.hdr == NULL)
        return;
    AcquireSRWLockShared(&rt->jlock);
    tail = rt->journal.tail_pos;
    ReleaseSRWLockShared(&rt->jlock);
    if (bytes > rt->journal.size)
        bytes = rt->journal.size;
    from = rt->prefaulted_to > tail ? rt->prefaulted_to : tail;
    to = tail + bytes;
    for (uint64_t at = from & ~(uint64_t)4095; at < to && !rt->quit; at += 4096)
        (void)*(volatile const uint8_t *)(rt->journal.ring + at % rt->journal.size);
    if (to > rt->prefaulted_to)
        rt->prefaulted_to = to;
}

/* Whether worker w must stop: the runtime stops, or its sink was removed or changed. */
static bool stopping(const struct worker *w)
{
    return w->rt->quit || w->quit;
}

/* Waits `ms`, or less if worker w must stop; true if it must. */
static bool worker_wait(struct worker *w, DWORD ms)
{
    HANDLE h[2] = {w->rt->stop_event, w->wake};

    return WaitForMultipleObjects(2, h, FALSE, ms) != WAIT_TIMEOUT || stopping(w);
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
           stopping(w);
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

    worker_lock(rt);
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
        if (b->n > 0 || stopping(w) || (st != RH_J_OK && st != RH_J_EMPTY))
            break;
        if (w->u_count > 0) {
            SleepConditionVariableSRW(&rt->jcv, &rt->jlock, RH_SETTLE_POLL_MS, 0);
            ReleaseSRWLockExclusive(&rt->jlock);
            return stopping(w) ? NEXT_STOP : NEXT_IDLE;
        }
        set_state(w, RH_SINK_STATE_IDLE);
        SleepConditionVariableSRW(&rt->jcv, &rt->jlock, 1000, 0);
    }
    ReleaseSRWLockExclusive(&rt->jlock);
    if (b->n == 0 && !stopping(w)) {
        if (room == 0)
            return NEXT_IDLE; /* the sink must settle before more can go */
        /* Cannot happen while the journal is ours; if it does, say so, slowly. */
        rh_log(RH_LOG_ERROR, "sink %s: the journal entry at its cursor is unreadable (%d)",
               w->sink.name, (int)st);
        return worker_wait(w, 5000) ? NEXT_STOP : NEXT_IDLE;
    }
    return stopping(w) ? NEXT_STOP : NEXT_BATCH;
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

    set_state(w, RH_SINK_STATE_SENDING);
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

    worker_lock(rt);
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
    worker_lock(w->rt);
    if (!w->rt->journal_closed)
        follow_cursor(w, true);
    ReleaseSRWLockExclusive(&w->rt->jlock);
}

static DWORD WINAPI worker_main(void *arg)
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
            if (res == RH_SINK_OK || (stopping(w) && w->sink.ops->settle != NULL))
                res = settle(w, false, last_token) == RH_SINK_RETRY ? RH_SINK_RETRY : res;
        }

        /* Stopped meanwhile: what was settled moved the cursor; the rest stays in the journal. */
        if (stopping(w))
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
            set_state(w, RH_SINK_STATE_RETRYING);
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

static void write_status(struct rh_runtime *rt)
{
    struct rh_status *s = calloc(1, sizeof *s);
    char *text = malloc(STATUS_MAX);
    WCHAR path[MAX_PATH];
    struct rh_buf b;

    if (s == NULL || text == NULL)
        goto out;
    s->time_ms = rh_now_unix_ms();
    s->started_ms = rt->started_ms;
    s->server = rt->server;
    s->version = RASHANGUP_VERSION;
    s->journal_path = rt->file_backed ? rt->file.path_utf8 : "(memory)";
    s->fail_closed = rt->fail_closed != 0;
    s->received = (uint64_t)rt->received;
    s->journaled = (uint64_t)rt->journaled;
    s->dropped = (uint64_t)rt->dropped;
    s->refused = (uint64_t)rt->refused;
    AcquireSRWLockShared(&rt->wlock);
    AcquireSRWLockShared(&rt->jlock);
    s->journal_bytes = rt->journal.size;
    s->journal_used = rt->journal.size - rh_journal_free(&rt->journal);
    s->journal_depth = rh_journal_depth(&rt->journal);
    s->full = rt->full;
    for (size_t i = 0; i < rt->n_workers + rt->n_held && s->n_sinks < RH_MAX_SINKS; i++) {
        struct rh_sink_status *k = &s->sinks[s->n_sinks];
        int c;

        if (i < rt->n_workers) {
            struct worker *w = &rt->workers[i];

            if (!w->active)
                continue;
            k->name = w->sink.name;
            k->type = w->sink.ops->type;
            k->state = (enum rh_sink_state)w->state;
            k->delivered = (uint64_t)w->delivered;
            k->retried = (uint64_t)w->retried;
            k->failed = (uint64_t)w->failed;
            k->last_error = (uint32_t)w->last_error;
            k->unconfirmed = (uint64_t)w->unconfirmed;
            c = w->cursor;
        } else {
            const struct held_sink *h = &rt->held[i - rt->n_workers];

            k->name = h->name;
            k->type = h->type[0] != '\0' ? h->type : NULL;
            k->state = h->state;
            k->reason = h->reason[0] != '\0' ? h->reason : NULL;
            c = rt->journal.hdr != NULL ? rh_journal_cursor(&rt->journal, h->name, false) : -1;
        }
        s->n_sinks++;
        if (c >= 0) {
            uint64_t dropped = rt->journal.hdr->cursors[c].dropped;
            uint64_t base = rt->dropped_base[c];

            /* Since start, as every other count here: the journal keeps the lifetime total. */
            k->dropped = dropped > base ? dropped - base : 0;
            k->pending = rh_journal_pending(&rt->journal, c);
            k->oldest_ms = rh_journal_oldest_ms(&rt->journal, c);
        }
    }
    ReleaseSRWLockShared(&rt->jlock);
    ReleaseSRWLockShared(&rt->wlock);

    rh_buf_init(&b, text, STATUS_MAX);
    /* Only into the checked folder: an untrusted one is never written to. */
    if (rt->dir != INVALID_HANDLE_VALUE && rh_format_status(s, &b) &&
        _snwprintf(path, MAX_PATH, L"%ls\\status.json", rt->cfg.journal_dir) > 0) {
        path[MAX_PATH - 1] = L'\0';
        rh_write_file_atomic(path, b.data, b.len);
    }
out:
    free(s);
    free(text);
}

/* Reports what the callbacks only counted: drops and a full journal. */
static void report(struct rh_runtime *rt)
{
    LONG64 dropped = rt->dropped;
    LONG64 before = InterlockedExchange64(&rt->dropped_reported, dropped);

    if (dropped > before)
        rh_log_event(
            RH_EV_DROPPED, RH_LOG_ERROR,
            "journal full: %lld undelivered record(s) dropped to make room (%lld since start); "
            "a sink is failing or JournalSizeMB is too small",
            (long long)(dropped - before), (long long)dropped);
}

static DWORD WINAPI flusher_main(void *arg)
{
    struct rh_runtime *rt = arg;
    ULONGLONG last_status = 0;
    bool stop = false;

    prefault(rt, PREFAULT_BYTES);
    while (!stop) {
        ULONGLONG now;

        stop = WaitForSingleObject(rt->flusher_stop, rt->cfg.flush_ms) == WAIT_OBJECT_0;
        if (!stop)
            prefault(rt, PREFAULT_BYTES);
        if (rt->file_backed)
            rh_journal_file_flush(&rt->file);
        report(rt);
        now = GetTickCount64();
        if (stop || InterlockedExchange(&rt->status_dirty, 0) != 0 ||
            now - last_status >= rt->cfg.status_ms) {
            write_status(rt);
            last_status = now;
        }
    }
    return 0;
}

static void open_journal(struct rh_runtime *rt)
{
    struct rh_journal_recovery rec;
    char err[RH_PATH_CHARS * 3 + 256] = "";

    rt->dir = rh_dir_open_trusted(rt->cfg.journal_dir, err, sizeof err);
    if (rt->dir != INVALID_HANDLE_VALUE &&
        rh_journal_file_open(&rt->file, rt->cfg.journal_dir, rt->cfg.journal_bytes, &rt->journal,
                             &rec, err, sizeof err)) {
        rt->file_backed = true;
        if (rec.torn)
            rh_log(RH_LOG_WARNING,
                   "journal %s: an incomplete entry at position %llu (written when the process "
                   "stopped) was skipped; %llu record(s) before it are intact",
                   rt->file.path_utf8, (unsigned long long)rec.torn_pos,
                   (unsigned long long)rec.entries);
        if (rec.cursors_reset > 0)
            rh_log_event(RH_EV_CONFIG, RH_LOG_WARNING,
                         "journal %s: %llu sink cursor(s) named no entry of the journal (damage "
                         "or tampering) and were set back to its oldest record: those sinks "
                         "receive some records again",
                         rt->file.path_utf8, (unsigned long long)rec.cursors_reset);
        if (rec.entries > 0)
            rh_log(RH_LOG_INFO,
                   "journal %s: %llu record(s) kept from before; delivering them first",
                   rt->file.path_utf8, (unsigned long long)rec.entries);
        return;
    }
    /* No journal file: keep going in memory, so that RRAS and delivery still run. */
    rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                 "%s; records are kept in memory only, and lost if the service stops "
                 "before they are delivered%s",
                 err, rt->dir == INVALID_HANDLE_VALUE ? "; status.json is not written either" : "");
    rt->memory_journal =
        VirtualAlloc(NULL, (SIZE_T)rt->cfg.journal_bytes, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (rt->memory_journal == NULL ||
        rh_journal_create(&rt->journal, rt->memory_journal, rt->cfg.journal_bytes,
                          rh_now_unix_ms()) != RH_J_OK) {
        /* The last resort: the smallest journal there is, from the heap. */
        uint64_t small = RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA;

        if (rt->memory_journal != NULL)
            VirtualFree(rt->memory_journal, 0, MEM_RELEASE);
        rt->memory_journal =
            VirtualAlloc(NULL, (SIZE_T)small, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (rt->memory_journal != NULL)
            rh_journal_create(&rt->journal, rt->memory_journal, small, rh_now_unix_ms());
    }
}

/*
 * Takes the records of a damaged journal that journal_file set aside into the
 * journal in use (the file's, or the one in memory), before any worker runs.
 * The configured sinks' cursors are made first: a new cursor starts at the
 * tail, and would not see what was appended before it.
 */
static void salvage_journal(struct rh_runtime *rt, const struct rh_runtime_sink *sinks, size_t n)
{
    struct rh_journal_salvage_report rep;

    if (rt->file.salvage_view == NULL)
        return;
    if (rt->journal.hdr == NULL) {
        rh_log(RH_LOG_ERROR, "no journal: the records of %s are not salvaged",
               rt->file.salvage_path_utf8);
        rh_journal_file_salvage_done(&rt->file);
        return;
    }
    AcquireSRWLockExclusive(&rt->jlock);
    for (size_t i = 0; i < n; i++)
        rh_journal_cursor(&rt->journal, sinks[i].name, true);
    rh_journal_salvage(rt->file.salvage_view, rt->file.salvage_size, &rt->journal,
                       rt->fail_closed ? RH_J_FAIL : RH_J_DROP_OLDEST, &rep);
    ReleaseSRWLockExclusive(&rt->jlock);
    if (rep.dropped > 0)
        InterlockedAdd64(&rt->dropped, (LONG64)rep.dropped); /* reported as any drop is */
    rh_log(rep.salvaged > 0 ? RH_LOG_INFO : RH_LOG_WARNING,
           "journal: %llu record(s) salvaged from %s into %s, to be delivered first; %llu "
           "damaged entry(ies) skipped, %llu older copy(ies) left",
           (unsigned long long)rep.salvaged, rt->file.salvage_path_utf8,
           rt->file_backed ? rt->file.path_utf8 : "the journal in memory",
           (unsigned long long)rep.invalid, (unsigned long long)rep.stale);
    if (rep.unchecked > 0)
        rh_log(RH_LOG_ERROR,
               "journal: %s holds more that looks like entries than any journal could; %llu "
               "place(s) were not checked (the file is kept for inspection)",
               rt->file.salvage_path_utf8, (unsigned long long)rep.unchecked);
    if (rep.dropped > 0 || rep.lost > 0)
        rh_log(RH_LOG_ERROR,
               "journal: too small for what was salvaged (JournalSizeMB): %llu record(s) "
               "dropped, %llu not taken",
               (unsigned long long)rep.dropped, (unsigned long long)rep.lost);
    rh_journal_file_salvage_done(&rt->file);
}

/*
 * Takes a sink into a free slot and starts its worker at the sink's cursor
 * (made if new). Called at start, and for live reconfiguration, without the
 * worker lock: it takes it itself.
 */
static void add_worker(struct rh_runtime *rt, const struct rh_runtime_sink *sink)
{
    struct worker *w = NULL;
    int cursor = -1;

    if (rt->journal.hdr != NULL) {
        worker_lock(rt);
        cursor = rh_journal_cursor(&rt->journal, sink->name, true);
        ReleaseSRWLockExclusive(&rt->jlock);
    }
    AcquireSRWLockExclusive(&rt->wlock);
    for (size_t i = 0; i < RH_MAX_SINKS && w == NULL; i++)
        if (!rt->workers[i].active && rt->workers[i].thread == NULL)
            w = &rt->workers[i];
    if (w == NULL || cursor < 0 || rt->stop_event == NULL) {
        const char *why = w == NULL    ? "no free worker slot (a stuck one still holds it)"
                          : cursor < 0 ? "no journal cursor"
                                       : "its worker's events cannot be made";

        /* Held like a sink that cannot run: its cursor, if it has one, keeps its records. */
        if (cursor >= 0 && rt->n_held < RH_JOURNAL_CURSORS) {
            struct held_sink *h = &rt->held[rt->n_held++];

            snprintf(h->name, sizeof h->name, "%s", sink->name);
            snprintf(h->type, sizeof h->type, "%s", sink->ops->type);
            h->state = RH_SINK_STATE_INVALID;
            snprintf(h->reason, sizeof h->reason, "%s", why);
            h->runtime_made = true;
        }
        ReleaseSRWLockExclusive(&rt->wlock);
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "sink %s: %s; it does not run until RemoteAccess restarts%s", sink->name, why,
                     cursor >= 0 ? ", and the journal keeps its records" : "");
        sink->ops->destroy(sink->instance);
        return;
    }
    if (w->wake == NULL)
        w->wake = CreateEventW(NULL, TRUE, FALSE, NULL);
    ResetEvent(w->wake);
    w->rt = rt;
    w->sink = *sink;
    w->cursor = cursor;
    w->events = sink->ops->events != 0 ? sink->ops->events : RH_EVENT_HANGUP;
    w->quit = w->exited = w->in_delivery = w->gave_up = 0;
    w->state = 0;
    w->delivered = w->retried = w->failed = w->unconfirmed = 0;
    w->unsettled = NULL;
    w->u_first = w->u_count = 0;
    w->last_error = 0;
    w->active = true;
    w->live = true;
    if ((size_t)(w - rt->workers) >= rt->n_workers)
        rt->n_workers = (size_t)(w - rt->workers) + 1;
    InterlockedOr(&rt->events, (LONG)w->events);
    w->thread = CreateThread(NULL, 0, worker_main, w, 0, NULL);
    if (w->thread == NULL) {
        rh_log(RH_LOG_ERROR, "sink %s: its worker thread cannot start (error %lu)", w->sink.name,
               (unsigned long)GetLastError());
        w->exited = 1;
    }
    ReleaseSRWLockExclusive(&rt->wlock);
}

/*
 * The cursors to keep: those of the running sinks, of `starting` (about to
 * run) and of the held ones (made if new, so that their records are kept from
 * now on); every other is released, unless the list of sinks could not be read
 * whole. Called with wlock exclusive.
 */
static void keep_cursors(struct rh_runtime *rt, const struct rh_runtime_sink *starting,
                         size_t n_starting)
{
    const char *names[2 * RH_MAX_SINKS + RH_JOURNAL_CURSORS];
    size_t n = 0;

    if (rt->journal.hdr == NULL)
        return;
    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].active)
            names[n++] = rt->workers[i].sink.name;
    for (size_t i = 0; i < n_starting && i < RH_MAX_SINKS; i++)
        names[n++] = starting[i].name;
    worker_lock(rt);
    for (size_t i = 0; i < rt->n_held; i++) {
        /* Enabled = 0 is the administrator's choice: its records are not kept. */
        if (rt->held[i].state == RH_SINK_STATE_DISABLED)
            continue;
        if (rh_journal_cursor(&rt->journal, rt->held[i].name, true) < 0)
            rh_log(RH_LOG_ERROR,
                   "sink %s: no journal cursor is free; its records are not kept while it does "
                   "not run",
                   rt->held[i].name);
        names[n++] = rt->held[i].name;
    }
    if (!rt->cfg.keep_all_cursors)
        rh_journal_keep_cursors(&rt->journal, names, n);
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++)
        if (rt->journal.hdr->cursors[c].name[0] == '\0')
            rt->dropped_base[c] = 0; /* a slot made anew counts from zero */
    ReleaseSRWLockExclusive(&rt->jlock);
}

/*
 * Takes the list of held sinks. Those held here because they could not get a
 * worker stay held (the service thinks they run) unless `removed`: their
 * configuration changed, and they start afresh. Called with wlock exclusive.
 */
static void set_held(struct rh_runtime *rt, const struct rh_runtime_held *held, size_t n_held,
                     const char (*removed)[RH_SINK_NAME_SIZE], size_t n_removed)
{
    size_t kept = 0;

    for (size_t i = 0; i < rt->n_held; i++) {
        bool gone = !rt->held[i].runtime_made;

        for (size_t k = 0; k < n_removed && !gone; k++)
            gone = strcmp(rt->held[i].name, removed[k]) == 0;
        if (!gone)
            rt->held[kept++] = rt->held[i];
    }
    rt->n_held = kept;
    for (size_t i = 0; i < n_held && rt->n_held < RH_JOURNAL_CURSORS; i++) {
        struct held_sink *h = &rt->held[rt->n_held++];

        snprintf(h->name, sizeof h->name, "%s", held[i].name);
        snprintf(h->type, sizeof h->type, "%s", held[i].type);
        h->state = held[i].disabled ? RH_SINK_STATE_DISABLED : RH_SINK_STATE_INVALID;
        snprintf(h->reason, sizeof h->reason, "%s", held[i].reason);
        h->runtime_made = false;
    }
}

/* What any running sink takes, published whole: RRAS's threads read it without a lock. */
static void publish_events(struct rh_runtime *rt)
{
    LONG events = 0;

    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].active)
            events |= (LONG)rt->workers[i].events;
    InterlockedExchange(&rt->events, events);
}

void rh_runtime_start(const struct rh_runtime_config *cfg, const struct rh_runtime_sink *sinks,
                      size_t n_sinks, const struct rh_runtime_held *held, size_t n_held,
                      const char *server)
{
    struct rh_runtime *rt = calloc(1, sizeof *rt);

    if (rt == NULL) {
        rh_log(RH_LOG_ERROR, "out of memory: rashangup does not record this session");
        for (size_t i = 0; i < n_sinks; i++)
            sinks[i].ops->destroy(sinks[i].instance);
        return;
    }
    rt->cfg = *cfg;
    rt->fail_closed = cfg->fail_closed;
    rt->dir = INVALID_HANDLE_VALUE;
    snprintf(rt->server, sizeof rt->server, "%s", server);
    rt->started_ms = rh_now_unix_ms();
    InitializeSRWLock(&rt->jlock);
    InitializeSRWLock(&rt->wlock);
    InitializeSRWLock(&rt->refused_lock);
    InitializeConditionVariable(&rt->jcv);
    rt->stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    rt->flusher_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    rt->drain_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    load_id_base(rt);
    open_journal(rt);
    for (int c = 0; c < RH_JOURNAL_CURSORS && rt->journal.hdr != NULL; c++)
        rt->dropped_base[c] = rt->journal.hdr->cursors[c].dropped;

    /*
     * Cursors: the sinks configured now, running or held, keep theirs (a new
     * one starts at the tail); others release what they held. A damaged
     * journal's records are salvaged after the cursors exist, so that they go
     * to every sink.
     */
    AcquireSRWLockExclusive(&rt->wlock);
    set_held(rt, held, n_held, NULL, 0);
    keep_cursors(rt, sinks, n_sinks);
    ReleaseSRWLockExclusive(&rt->wlock);
    salvage_journal(rt, sinks, n_sinks);
    for (size_t i = 0; i < n_sinks; i++)
        add_worker(rt, &sinks[i]);
    if (rt->stop_event != NULL && rt->flusher_stop != NULL)
        rt->flusher = CreateThread(NULL, 0, flusher_main, rt, 0, NULL);
    g_rt = rt;
}

/*
 * Whether stop may end the drain: every sink has delivered what the journal
 * holds, or cannot now (failing and waiting to retry, or stuck): waiting
 * longer would deliver nothing.
 */
static bool drained(struct rh_runtime *rt)
{
    bool done = true;

    AcquireSRWLockShared(&rt->jlock);
    for (size_t i = 0; i < rt->n_workers && done; i++) {
        const struct worker *w = &rt->workers[i];
        LONG state = w->state;

        done = !w->active || w->exited || w->gave_up || state == RH_SINK_STATE_STUCK ||
               rh_journal_pending(&rt->journal, w->cursor) == 0;
    }
    ReleaseSRWLockShared(&rt->jlock);
    return done;
}

/*
 * Waits until `deadline` for the threads of stopping workers (all, once the
 * runtime quits) to end; closes the handles of those that did and destroys
 * their sinks.
 */
static void join_workers(struct rh_runtime *rt, ULONGLONG deadline)
{
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];
        ULONGLONG now = GetTickCount64();

        if (w->thread == NULL || !stopping(w))
            continue;
        if (WaitForSingleObject(w->thread, now < deadline ? (DWORD)(deadline - now) : 0) ==
            WAIT_OBJECT_0) {
            CloseHandle(w->thread);
            w->thread = NULL;
        }
    }
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        if (w->thread == NULL && w->live && stopping(w)) {
            w->sink.ops->destroy(w->sink.instance);
            w->live = false;
        }
    }
}

/*
 * Stops the workers that must stop (stopping()): wakes them, asks their sinks
 * to cancel, gives them one shared grace, cancels their I/O, gives a second
 * grace: at most 2 * STOP_GRACE_MS, however many are stuck. A worker still in a
 * delivery then is abandoned: its thread is left to finish, its sink not
 * destroyed, the DLL pinned. True if any was.
 */
static bool halt_workers(struct rh_runtime *rt)
{
    bool abandoned = false;

    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        if (w->thread == NULL || !stopping(w))
            continue;
        if (w->wake != NULL)
            SetEvent(w->wake);
        if (w->sink.ops->cancel != NULL)
            w->sink.ops->cancel(w->sink.instance);
    }
    WakeAllConditionVariable(&rt->jcv);
    join_workers(rt, GetTickCount64() + STOP_GRACE_MS);
    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].thread != NULL && stopping(&rt->workers[i]))
            CancelSynchronousIo(rt->workers[i].thread);
    join_workers(rt, GetTickCount64() + STOP_GRACE_MS);
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        if (w->thread == NULL || !stopping(w))
            continue;
        set_state(w, RH_SINK_STATE_STUCK);
        rh_log(RH_LOG_ERROR,
               "sink %s: a delivery did not return when asked to stop; its thread is left to "
               "finish, and its undelivered records stay in the journal for the next worker",
               w->sink.name);
        abandoned = true;
    }
    if (abandoned) {
        HMODULE self;

        /* The abandoned thread still runs our code: never let FreeLibrary unmap it. */
        GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                           (LPCWSTR)(const void *)&g_rt, &self);
    }
    return abandoned;
}

void rh_runtime_drain(ULONGLONG begun)
{
    struct rh_runtime *rt = g_rt;

    if (rt == NULL)
        return;
    InterlockedExchange(&rt->draining, 1);
    if (rt->drain_event != NULL)
        SetEvent(rt->drain_event);
    while (!drained(rt) && GetTickCount64() < begun + rt->cfg.drain_ms)
        Sleep(10);
}

struct rh_runtime *rh_runtime_detach(void)
{
    struct rh_runtime *rt = g_rt;

    g_rt = NULL;
    return rt;
}

void rh_runtime_stop(struct rh_runtime *rt, ULONGLONG begun)
{
    ULONGLONG until, now;
    bool abandoned = false, flusher_stuck = false;

    if (rt == NULL)
        return;
    until = begun + rt->cfg.drain_ms + 1000;
    InterlockedExchange(&rt->quit, 1);
    if (rt->stop_event != NULL)
        SetEvent(rt->stop_event);
    abandoned = halt_workers(rt);

    /* The flusher's last round, after the workers' last moves: cursors and status.json. */
    if (rt->flusher != NULL) {
        SetEvent(rt->flusher_stop);
        now = GetTickCount64();
        if (WaitForSingleObject(rt->flusher, now < until ? (DWORD)(until - now) : 0) !=
            WAIT_OBJECT_0) {
            rh_log(RH_LOG_ERROR,
                   "the journal's last flush to %s did not finish in time (a share or disk that "
                   "stopped answering?); it is left to finish, and records it had not written "
                   "are delivered again or lost if it never does",
                   rt->cfg.journal_dir_utf8);
            flusher_stuck = true;
        } else {
            CloseHandle(rt->flusher);
        }
    }
    if (flusher_stuck) {
        HMODULE self;

        /* It still reads the journal and the runtime: both stay, and so does the DLL. */
        GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                           (LPCWSTR)(const void *)&g_rt, &self);
        return;
    }
    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].wake != NULL && rt->workers[i].thread == NULL)
            CloseHandle(rt->workers[i].wake);
    AcquireSRWLockExclusive(&rt->jlock);
    rt->journal_closed = true;
    ReleaseSRWLockExclusive(&rt->jlock);
    if (rt->file_backed)
        rh_journal_file_close(&rt->file); /* flushed by the flusher's last round */
    else if (rt->memory_journal != NULL)
        VirtualFree(rt->memory_journal, 0, MEM_RELEASE);
    if (rt->dir != INVALID_HANDLE_VALUE)
        CloseHandle(rt->dir);

    if (abandoned)
        return; /* rt stays allocated for that thread; it exits without touching the journal */
    if (rt->stop_event != NULL)
        CloseHandle(rt->stop_event);
    if (rt->flusher_stop != NULL)
        CloseHandle(rt->flusher_stop);
    if (rt->drain_event != NULL)
        CloseHandle(rt->drain_event);
    free(rt);
}

void rh_runtime_update(const struct rh_runtime_config *cfg, const char (*remove)[RH_SINK_NAME_SIZE],
                       size_t n_remove, const struct rh_runtime_sink *add, size_t n_add,
                       const struct rh_runtime_held *held, size_t n_held)
{
    struct rh_runtime *rt = g_rt;

    if (rt == NULL) {
        for (size_t i = 0; i < n_add; i++)
            add[i].ops->destroy(add[i].instance);
        return;
    }
    /* The values that apply live; the journal's path and size wait for the next start. */
    InterlockedExchange(&rt->fail_closed, cfg->fail_closed);
    rt->cfg.fail_closed = cfg->fail_closed;
    rt->cfg.keep_all_cursors = cfg->keep_all_cursors;
    rt->cfg.drain_ms = cfg->drain_ms;
    rt->cfg.flush_ms = cfg->flush_ms;
    rt->cfg.status_ms = cfg->status_ms;
    rt->cfg.retry_min_ms = cfg->retry_min_ms;
    rt->cfg.retry_max_ms = cfg->retry_max_ms;

    /* Retire the removed and changed sinks: their workers stop, their cursors stay. */
    AcquireSRWLockExclusive(&rt->wlock);
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        for (size_t k = 0; k < n_remove && w->active; k++) {
            if (strcmp(w->sink.name, remove[k]) != 0)
                continue;
            w->active = false;
            InterlockedExchange(&w->quit, 1);
        }
    }
    /*
     * Until the new ones run, the mask keeps the events of both: an accept in
     * between is journaled (a sink that no longer wants it skips it).
     */
    ReleaseSRWLockExclusive(&rt->wlock);
    halt_workers(rt);

    /* The held sinks first: one that cannot get a worker below joins them. */
    AcquireSRWLockExclusive(&rt->wlock);
    set_held(rt, held, n_held, remove, n_remove);
    ReleaseSRWLockExclusive(&rt->wlock);
    for (size_t i = 0; i < n_add; i++)
        add_worker(rt, &add[i]);

    /* Held sinks keep their cursors; a sink no longer configured at all releases its own. */
    AcquireSRWLockExclusive(&rt->wlock);
    keep_cursors(rt, NULL, 0);
    publish_events(rt);
    ReleaseSRWLockExclusive(&rt->wlock);
    InterlockedExchange(&rt->status_dirty, 1);
}

static void remember_refused(struct rh_runtime *rt, const struct rh_guid *conn)
{
    if (conn == NULL || rh_guid_is_nil(conn))
        return;
    AcquireSRWLockExclusive(&rt->refused_lock);
    rt->refused_ids[rt->refused_next] = *conn;
    rt->refused_next = (rt->refused_next + 1) % REFUSED_MAX;
    if (rt->refused_count < REFUSED_MAX)
        rt->refused_count++;
    ReleaseSRWLockExclusive(&rt->refused_lock);
}

/* True (and forgets it) if `conn` was refused. */
static bool was_refused(struct rh_runtime *rt, const struct rh_guid *conn)
{
    bool found = false;

    if (conn == NULL || rt->refused_count == 0)
        return false;
    AcquireSRWLockExclusive(&rt->refused_lock);
    for (size_t i = 0; i < REFUSED_MAX && !found; i++) {
        if (memcmp(&rt->refused_ids[i], conn, sizeof *conn) == 0 && !rh_guid_is_nil(conn)) {
            memset(&rt->refused_ids[i], 0, sizeof rt->refused_ids[i]);
            rt->refused_count--;
            found = true;
        }
    }
    ReleaseSRWLockExclusive(&rt->refused_lock);
    return found;
}

void rh_runtime_append(enum rh_jkind kind, const void *payload, uint32_t len,
                       const struct rh_guid *conn)
{
    uint64_t time_ms;
    struct rh_runtime *rt = g_rt;
    enum rh_journal_policy policy;
    enum rh_journal_status st;
    uint64_t dropped = 0;
    uint8_t id[16];

    if (rt == NULL || rt->journal.hdr == NULL || was_refused(rt, conn))
        return;
    InterlockedIncrement64(&rt->received);
    policy = rt->fail_closed ? RH_J_FAIL : RH_J_DROP_OLDEST;
    AcquireSRWLockExclusive(&rt->jlock);
    time_ms = rh_now_unix_ms();
    next_record_id(rt, id, time_ms);
    st = rh_journal_append(&rt->journal, kind, time_ms, id, payload, len, policy, &dropped);
    if (st == RH_J_FULL) {
        /* Fail-closed kept room for every connection it accepted; this one it did not
         * know (accepted before we started): keep the newest record, drop the oldest. */
        st = rh_journal_append(&rt->journal, kind, time_ms, id, payload, len, RH_J_DROP_OLDEST,
                               &dropped);
    }
    rt->full = dropped > 0;
    ReleaseSRWLockExclusive(&rt->jlock);
    WakeAllConditionVariable(&rt->jcv);

    if (st == RH_J_OK)
        InterlockedIncrement64(&rt->journaled);
    if (dropped > 0) {
        InterlockedAdd64(&rt->dropped, (LONG64)dropped);
        InterlockedExchange(&rt->status_dirty, 1);
    }
    if (kind == RH_JKIND_HANGUP_EX || kind == RH_JKIND_HANGUP_LEGACY) {
        LONG active = rt->active;

        /* One fewer connection to reserve room for (never below zero). */
        while (active > 0 && InterlockedCompareExchange(&rt->active, active - 1, active) != active)
            active = rt->active;
    }
}

bool rh_runtime_wants(unsigned event)
{
    struct rh_runtime *rt = g_rt;

    return rt != NULL && rt->journal.hdr != NULL && ((unsigned)rt->events & event) != 0;
}

bool rh_runtime_accept(const struct rh_guid *conn, bool with_start)
{
    struct rh_runtime *rt = g_rt;
    bool fits;

    if (rt == NULL || !rt->fail_closed || rt->journal.hdr == NULL)
        return true;
    AcquireSRWLockShared(&rt->jlock);
    fits = rh_journal_fits(&rt->journal, EX_EVENT_MAX,
                           (uint64_t)rt->active + 1 + (with_start ? 1 : 0));
    ReleaseSRWLockShared(&rt->jlock);
    if (!fits) {
        InterlockedIncrement64(&rt->refused);
        InterlockedExchange(&rt->status_dirty, 1);
        remember_refused(rt, conn);
        return false;
    }
    InterlockedIncrement(&rt->active);
    return true;
}
