/* SPDX-License-Identifier: MIT */
/*
 * The journal's pages: written to disk by the flusher (every FlushIntervalMs,
 * the power-loss window; the ring, then the checkpoint, then the header), and
 * kept ready for RRAS's appends (read ahead, and the few just ahead of the
 * tail written once by the bell, so that an append takes no page fault). The
 * flusher also keeps status.json current.
 */
#include "runtime_internal.h"

#include <stdatomic.h>

#include "diag.h"
#include "journal_file.h"

/* How far ahead of the tail the flusher keeps the journal's pages touched. */
#define PREFAULT_BYTES (64u * 1024 * 1024)
/* How far ahead of the tail the bell keeps pages written (rh_runtime_touch_ahead). */
#define TOUCH_AHEAD (32u * 1024)

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
    tail = rt->journal.tail_pos;
    if (bytes > rt->journal.size)
        bytes = rt->journal.size;
    from = rt->prefaulted_to > tail ? rt->prefaulted_to : tail;
    to = tail + bytes;
    for (uint64_t at = from & ~(uint64_t)4095; at < to && !rt->quit; at += 4096)
        (void)*(volatile const uint8_t *)(rt->journal.ring + at % rt->journal.size);
    if (to > rt->prefaulted_to)
        rt->prefaulted_to = to;
}

/* Writes each page of [from, to) once: an atomic OR of zero, its content unchanged. */
static void touch_pages(struct rh_runtime *rt, uint64_t from, uint64_t to)
{
    for (uint64_t at = from & ~(uint64_t)4095; at < to; at += 4096)
        atomic_fetch_or_explicit(
            (_Atomic uintptr_t *)(void *)(rt->journal.ring + at % rt->journal.size), 0,
            memory_order_relaxed);
}

/*
 * Makes the journal durable: the ring first, then the checkpoint that names its
 * tail, then the header that holds it (journal.h): a header on disk never names
 * entries that were not on the disk before it. Nothing is written when nothing
 * changed.
 */
static void flush_journal(struct rh_runtime *rt)
{
    if (!rt->file_backed || !rh_journal_checkpoint_begin(&rt->journal, &rt->checkpoint))
        return;
    rh_journal_file_flush(&rt->file, false);
    rh_journal_checkpoint_end(&rt->journal, &rt->checkpoint);
    rh_journal_file_flush(&rt->file, true);
    /*
     * Written to disk, the pages are clean again, and the first write to each
     * faults. The next append writes the tail's page, most likely before the
     * bell rings: that page and the next are written at once; the bell writes
     * the rest anew.
     */
    if (!rt->quit) {
        uint64_t tail = atomic_load_explicit(&rt->journal.tail_pos, memory_order_acquire);

        touch_pages(rt, tail, tail + 4096);
        /*
         * The header's page too: the appender moves the head in it (every 64th
         * append, and when room is short). An atomic OR of zero: an append's
         * store meanwhile is not lost.
         */
        atomic_fetch_or_explicit(&rt->journal.hdr->head_pos, 0, memory_order_relaxed);
    }
    InterlockedExchange(&rt->touch_again, 1);
}

/*
 * Keeps the pages the next appends write ready for them, so that RRAS's thread
 * does not take the page fault of a page's first write (measured under Wine:
 * about 45 µs, on a page read ahead as much as on one never touched). Called by
 * the bell at each ring: the few pages just ahead of the tail are written once
 * (an atomic OR of zero: their content does not change, and an append to them
 * meanwhile is not lost). Only while records come: at rest the tail does not
 * move and nothing is touched.
 */
void rh_runtime_touch_ahead(struct rh_runtime *rt)
{
    uint64_t tail, from, to;

    if (rt->journal.hdr == NULL)
        return;
    tail = atomic_load_explicit(&rt->journal.tail_pos, memory_order_acquire);
    /*
     * Page boundaries only, so that at rest (the tail still) nothing is
     * written. After a flush the page the tail is in is clean too: from its
     * start.
     */
    if (InterlockedExchange(&rt->touch_again, 0) != 0)
        rt->touched_to = tail & ~(uint64_t)4095;
    from = rt->touched_to > tail ? rt->touched_to : tail & ~(uint64_t)4095;
    to = (tail + TOUCH_AHEAD + 4095) & ~(uint64_t)4095;
    if (from < to)
        touch_pages(rt, from, to);
    if (to > rt->touched_to)
        rt->touched_to = to;
}

DWORD WINAPI rh_flusher_main(void *arg)
{
    struct rh_runtime *rt = arg;
    ULONGLONG last_status = 0;
    bool stop = false;

    prefault(rt, PREFAULT_BYTES);
    flush_journal(rt); /* a checkpoint at once: open left none (journal.h) */
    while (!stop) {
        ULONGLONG now;

        stop = WaitForSingleObject(rt->flusher_stop, rt->cfg.flush_ms) == WAIT_OBJECT_0;
        if (!stop)
            prefault(rt, PREFAULT_BYTES);
        flush_journal(rt);
        rh_status_report(rt);
        rh_diag_tick();
        now = GetTickCount64();
        if (stop || InterlockedExchange(&rt->status_dirty, 0) != 0 ||
            now - last_status >= rt->cfg.status_ms) {
            rh_status_write(rt);
            last_status = now;
        }
    }
    return 0;
}
