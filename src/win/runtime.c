/* SPDX-License-Identifier: MIT */
#include "runtime_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "payload.h"
#include "files.h"
#include "journal_file.h"
#include "pipeline.h"
#include "text.h"
#include "wstr.h"

struct rh_runtime *g_runtime;

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
        if (rec.head_recovered)
            rh_log_event(RH_LOGID_GENERIC, RH_LOG_WARNING,
                         "journal %s: its header was older than its records (a power cut while "
                         "it was being written?); the records were found from their own "
                         "sequence numbers and checksums",
                         rt->file.path_utf8);
        if (rec.cursors_reset > 0)
            rh_log_event(RH_LOGID_GENERIC, RH_LOG_WARNING,
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
    rh_log_event(RH_LOGID_GENERIC, RH_LOG_ERROR,
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
    AcquireSRWLockExclusive(&rt->alock);
    for (size_t i = 0; i < n; i++)
        rh_journal_cursor(&rt->journal, sinks[i].name, true);
    rh_journal_salvage(rt->file.salvage_view, rt->file.salvage_size, &rt->journal,
                       rt->fail_closed ? RH_J_FAIL : RH_J_DROP_OLDEST, &rep);
    ReleaseSRWLockExclusive(&rt->alock);
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

    /* Cursors are made and freed under both locks: readers of their names hold wlock. */
    AcquireSRWLockExclusive(&rt->wlock);
    if (rt->journal.hdr != NULL) {
        AcquireSRWLockExclusive(&rt->alock);
        cursor = rh_journal_cursor(&rt->journal, sink->name, true);
        ReleaseSRWLockExclusive(&rt->alock);
    }
    for (size_t i = 0; i < RH_MAX_SINKS && w == NULL; i++)
        if (!rt->workers[i].active && rt->workers[i].thread == NULL)
            w = &rt->workers[i];
    if (w != NULL && w->bell == NULL)
        w->bell = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (w == NULL || cursor < 0 || rt->stop_event == NULL || w->bell == NULL) {
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
        rh_log_event(RH_LOGID_GENERIC, RH_LOG_ERROR,
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
    w->idle_at = -1;
    w->quit = w->exited = w->in_delivery = w->gave_up = w->in_journal = 0;
    w->drain_failures = 0;
    w->state = 0;
    w->delivered = w->retried = w->failed = w->unconfirmed = 0;
    InitializeSRWLock(&w->err_lock);
    w->last_error = 0;
    w->last_error_text[0] = '\0';
    w->unsettled = NULL;
    w->u_first = w->u_count = 0;
    w->last_error = 0;
    w->active = true;
    w->live = true;
    if ((size_t)(w - rt->workers) >= rt->n_workers)
        rt->n_workers = (size_t)(w - rt->workers) + 1;
    InterlockedOr(&rt->events, (LONG)w->events);
    w->thread = CreateThread(NULL, 0, rh_worker_main, w, 0, NULL);
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
    AcquireSRWLockExclusive(&rt->alock);
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
            rt->dropped_base[c] = rt->dropped_said[c] = 0; /* a slot made anew counts from zero */
    ReleaseSRWLockExclusive(&rt->alock);
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
    {
        LARGE_INTEGER f;

        rt->qpc_per_s = QueryPerformanceFrequency(&f) ? f.QuadPart : 0;
    }
    rh_runtime_clock_renew(rt);
    InitializeSRWLock(&rt->alock);
    InitializeSRWLock(&rt->wlock);
    InitializeSRWLock(&rt->refused_lock);
    rt->stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    rt->flusher_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    rt->drain_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    rh_runtime_ids_init(rt);
    open_journal(rt);
    for (int c = 0; c < RH_JOURNAL_CURSORS && rt->journal.hdr != NULL; c++)
        rt->dropped_base[c] = rt->dropped_said[c] = rt->journal.hdr->cursors[c].dropped;

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
        rt->flusher = CreateThread(NULL, 0, rh_flusher_main, rt, 0, NULL);
    if (rt->stop_event != NULL)
        rt->bell = CreateThread(NULL, 0, rh_bell_main, rt, 0, NULL);
    g_runtime = rt;
}

/*
 * Whether stop may end the drain: every sink has delivered what the journal
 * holds, or cannot now (failing and waiting to retry, or stuck): waiting
 * longer would deliver nothing.
 */
static bool drained(struct rh_runtime *rt)
{
    bool done = true;

    for (size_t i = 0; i < rt->n_workers && done; i++) {
        const struct worker *w = &rt->workers[i];
        struct rh_jcursor_view v;
        LONG state = w->state;

        done = !w->active || w->exited || w->gave_up || state == RH_SINK_STATE_STUCK ||
               (rh_journal_cursor_view(&rt->journal, w->cursor, &v) == RH_J_OK && v.pending == 0);
    }
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

        if (w->thread == NULL || !rh_worker_stopping(w))
            continue;
        if (WaitForSingleObject(w->thread, now < deadline ? (DWORD)(deadline - now) : 0) ==
            WAIT_OBJECT_0) {
            CloseHandle(w->thread);
            w->thread = NULL;
        }
    }
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        if (w->thread == NULL && w->live && rh_worker_stopping(w)) {
            w->sink.ops->destroy(w->sink.instance);
            w->live = false;
        }
    }
}

/*
 * Stops the workers that must stop (rh_worker_stopping()): wakes them, asks their sinks
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

        if (w->thread == NULL || !rh_worker_stopping(w))
            continue;
        if (w->wake != NULL)
            SetEvent(w->wake);
        if (w->sink.ops->cancel != NULL)
            w->sink.ops->cancel(w->sink.instance);
    }
    join_workers(rt, GetTickCount64() + STOP_GRACE_MS);
    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].thread != NULL && rh_worker_stopping(&rt->workers[i]))
            CancelSynchronousIo(rt->workers[i].thread);
    join_workers(rt, GetTickCount64() + STOP_GRACE_MS);
    for (size_t i = 0; i < rt->n_workers; i++) {
        struct worker *w = &rt->workers[i];

        if (w->thread == NULL || !rh_worker_stopping(w))
            continue;
        rh_worker_set_state(w, RH_SINK_STATE_STUCK);
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
                           (LPCWSTR)(const void *)&g_runtime, &self);
    }
    return abandoned;
}

void rh_runtime_drain(ULONGLONG begun)
{
    struct rh_runtime *rt = g_runtime;

    if (rt == NULL)
        return;
    InterlockedExchange(&rt->draining, 1);
    if (rt->drain_event != NULL)
        SetEvent(rt->drain_event);
    /* Idle workers take what came last now, not at the bell's next ring. */
    AcquireSRWLockShared(&rt->wlock);
    for (size_t i = 0; i < rt->n_workers; i++)
        if (rt->workers[i].bell != NULL)
            SetEvent(rt->workers[i].bell);
    ReleaseSRWLockShared(&rt->wlock);
    while (!drained(rt) && GetTickCount64() < begun + rt->cfg.drain_ms)
        Sleep(10);
}

struct rh_runtime *rh_runtime_detach(void)
{
    struct rh_runtime *rt = g_runtime;

    g_runtime = NULL;
    return rt;
}

/* The records some sink has not had (the slowest's count): what the journal keeps. */
static uint64_t undelivered(struct rh_runtime *rt)
{
    uint64_t most = 0;

    for (int c = 0; c < RH_JOURNAL_CURSORS && rt->journal.hdr != NULL; c++) {
        struct rh_jcursor_view v;

        if (rt->journal.hdr->cursors[c].name[0] != '\0' &&
            rh_journal_cursor_view(&rt->journal, c, &v) == RH_J_OK && v.pending > most)
            most = v.pending;
    }
    return most;
}

void rh_runtime_stop(struct rh_runtime *rt, ULONGLONG begun, struct rh_runtime_left *left)
{
    ULONGLONG until, now;
    bool abandoned = false, flusher_stuck = false, reader_stuck = false;

    memset(left, 0, sizeof *left);
    if (rt == NULL)
        return;
    until = begun + rt->cfg.drain_ms + 1000;
    InterlockedExchange(&rt->quit, 1);
    if (rt->stop_event != NULL)
        SetEvent(rt->stop_event);
    abandoned = halt_workers(rt);
    /* The workers moved their cursors for the last time: what is left stays, or is lost. */
    left->undelivered = undelivered(rt);
    left->in_memory = !rt->file_backed;

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
    /*
     * The bell stops with the workers (stop_event); it touches the journal's
     * pages, so it must be gone before they are unmapped, as must any worker in
     * the middle of a journal call (which never waits, unless a page of a file
     * on a failing disk does): an abandoned one that comes back from its sink
     * finds the journal closed. Whatever is still in there at the deadline
     * keeps the journal, the runtime and the DLL, as a stuck flusher does.
     */
    if (!flusher_stuck && rt->bell != NULL) {
        now = GetTickCount64();
        if (WaitForSingleObject(rt->bell, now < until ? (DWORD)(until - now) : 0) ==
            WAIT_OBJECT_0) {
            CloseHandle(rt->bell);
            rt->bell = NULL;
        }
    }
    InterlockedExchange(&rt->journal_closed, 1);
    for (size_t i = 0; i < rt->n_workers && !flusher_stuck && rt->bell == NULL; i++)
        while (rt->workers[i].in_journal && GetTickCount64() < until)
            Sleep(1);
    for (size_t i = 0; i < rt->n_workers; i++)
        reader_stuck |= rt->workers[i].in_journal != 0;
    if (flusher_stuck || reader_stuck || rt->bell != NULL) {
        HMODULE self;

        if (!flusher_stuck)
            rh_log(RH_LOG_ERROR, "stopping: a thread still reads the journal at the deadline; "
                                 "the journal stays mapped until the process ends");
        GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                           (LPCWSTR)(const void *)&g_runtime, &self);
        return;
    }
    for (size_t i = 0; i < rt->n_workers; i++) {
        if (rt->workers[i].thread != NULL)
            continue;
        if (rt->workers[i].wake != NULL)
            CloseHandle(rt->workers[i].wake);
        if (rt->workers[i].bell != NULL)
            CloseHandle(rt->workers[i].bell);
    }

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
    struct rh_runtime *rt = g_runtime;

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
