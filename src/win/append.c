/* SPDX-License-Identifier: MIT */
/*
 * The runtime's side that RRAS's threads run: the append of a packed event to
 * the journal, the fail-closed decision at accept, and what they need on the
 * way (the record's time without a system call, its id, a prefetch of the
 * journal's lines). Nothing here waits for a worker, the flusher or the
 * status writer: the only lock is the appenders' (runtime_internal.h).
 */
#include "runtime_internal.h"
#include "hot.h"

#include <bcrypt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "wstr.h"
#include "text.h"

/* The bytes rh_runtime_prepare asks for: a typical packed hangup's entry. */
#define PREPARE_BYTES 512u

/* Reserve for fail-closed: the largest packed RAS_CONNECTION_EX. */
#define EX_EVENT_MAX ((uint32_t)(1 + RH_PACK_BOUND(sizeof(struct rh_ras_connection_ex))))

void rh_runtime_ids_init(struct rh_runtime *rt)
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
 * Called with alock held.
 */
RH_HOT static void next_record_id(struct rh_runtime *rt, uint8_t id[16], uint64_t time_ms)
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

/*
 * Keeps the pages the next appends write ready for them, so that RRAS's thread
 * does not take the page fault of a page's first write (measured under Wine:
 * about 45 µs, on a page read ahead as much as on one never touched). Called by
 * the bell at each ring: the few pages just ahead of the tail are written once
 * (an atomic OR of zero: their content does not change, and an append to them
 * meanwhile is not lost). Only while records come: at rest the tail does not
 * move and nothing is touched.
 */
/*
 * The time of a record, without a system call where the performance counter
 * is an instruction (an invariant TSC, as Windows and Wine use on current
 * processors): the counter plus an offset to the system's time, in 100 ns
 * units, that the bell renews at each ring, so that a clock change reaches
 * records within BELL_MS. Never earlier than the record before (record ids
 * grow with it). Called with alock.
 */
RH_HOT static LONGLONG counter_100ns(const struct rh_runtime *rt)
{
    LARGE_INTEGER now;

    if (rt->qpc_per_s <= 0 || !QueryPerformanceCounter(&now))
        return -1;
    if (rt->qpc_per_s == 10000000) /* Windows 10's and Wine's frequency: no division */
        return now.QuadPart;
    return now.QuadPart / rt->qpc_per_s * 10000000 +
           now.QuadPart % rt->qpc_per_s * 10000000 / rt->qpc_per_s;
}

RH_HOT static uint64_t clock_now_ms(struct rh_runtime *rt)
{
    LONGLONG counter = counter_100ns(rt);
    uint64_t ms;

    if (counter < 0) {
        ms = rh_now_unix_ms();
    } else {
        LONGLONG t = counter + atomic_load_explicit(&rt->clock_offset, memory_order_relaxed);

        ms = t > RH_UNIX_EPOCH_100NS ? (uint64_t)(t - RH_UNIX_EPOCH_100NS) / 10000 : 0;
    }
    if (ms < rt->last_time_ms)
        ms = rt->last_time_ms;
    rt->last_time_ms = ms;
    return ms;
}

void rh_runtime_clock_renew(struct rh_runtime *rt)
{
    LONGLONG counter = counter_100ns(rt);
    FILETIME ft;

    if (counter < 0)
        return;
    GetSystemTimePreciseAsFileTime(&ft);
    atomic_store_explicit(&rt->clock_offset,
                          (LONGLONG)(((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime) -
                              counter,
                          memory_order_relaxed);
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
RH_HOT static bool was_refused(struct rh_runtime *rt, const struct rh_guid *conn)
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

/*
 * Asks for the cache lines the next append writes (the journal's tail and its
 * extent) before RRAS's thread packs the structure: at RRAS's pace they are
 * cold, and their misses then overlap the packing instead of following it.
 * A hint only: no fault, no write, nothing if the tail moves meanwhile.
 */
RH_HOT void rh_runtime_prepare(void)
{
    struct rh_runtime *rt = g_runtime;
    uint64_t tail;
    const uint8_t *at;

    if (rt == NULL || rt->journal.hdr == NULL)
        return;
    __builtin_prefetch(&rt->journal, 1, 3);
    __builtin_prefetch(&rt->journal.hdr->head_pos, 0, 3);
    tail = atomic_load_explicit(&rt->journal.tail_pos, memory_order_relaxed);
    at = rt->journal.ring + tail % rt->journal.size;
    for (size_t i = 0; i < PREPARE_BYTES; i += 64)
        __builtin_prefetch(at + i, 1, 3);
}

RH_HOT void rh_runtime_append(enum rh_jkind kind, const void *payload, uint32_t len,
                              const struct rh_guid *conn)
{
    uint64_t time_ms;
    struct rh_runtime *rt = g_runtime;
    enum rh_journal_policy policy;
    enum rh_journal_status st;
    uint64_t dropped = 0;
    uint8_t id[16];

    if (rt == NULL || rt->journal.hdr == NULL || was_refused(rt, conn))
        return;
    InterlockedIncrement64(&rt->received);
    policy = rt->fail_closed ? RH_J_FAIL : RH_J_DROP_OLDEST;
    /*
     * The only lock here is the appenders' (RRAS serializes its callbacks, so it
     * is free unless a reconfiguration is making a cursor): no worker, flusher
     * or status writer takes it, and nothing is signalled. Workers learn of the
     * record from the bell (rh_bell_main).
     */
    AcquireSRWLockExclusive(&rt->alock);
    time_ms = clock_now_ms(rt);
    next_record_id(rt, id, time_ms);
    st = rh_journal_append(&rt->journal, kind, time_ms, id, payload, len, policy, &dropped);
    if (st == RH_J_FULL) {
        /* Fail-closed kept room for every connection it accepted; this one it did not
         * know (accepted before we started): keep the newest record, drop the oldest. */
        st = rh_journal_append(&rt->journal, kind, time_ms, id, payload, len, RH_J_DROP_OLDEST,
                               &dropped);
    }
    ReleaseSRWLockExclusive(&rt->alock);
    if ((rt->full != 0) != (dropped > 0))
        InterlockedExchange(&rt->full, dropped > 0);

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

RH_HOT bool rh_runtime_wants(unsigned event)
{
    struct rh_runtime *rt = g_runtime;

    return rt != NULL && rt->journal.hdr != NULL && ((unsigned)rt->events & event) != 0;
}

RH_HOT bool rh_runtime_accept(const struct rh_guid *conn, bool with_start)
{
    struct rh_runtime *rt = g_runtime;
    bool fits;

    if (rt == NULL || !rt->fail_closed || rt->journal.hdr == NULL)
        return true;
    AcquireSRWLockExclusive(&rt->alock);
    fits = rh_journal_fits(&rt->journal, EX_EVENT_MAX,
                           (uint64_t)rt->active + 1 + (with_start ? 1 : 0));
    ReleaseSRWLockExclusive(&rt->alock);
    if (!fits) {
        InterlockedIncrement64(&rt->refused);
        InterlockedExchange(&rt->status_dirty, 1);
        remember_refused(rt, conn);
        return false;
    }
    InterlockedIncrement(&rt->active);
    return true;
}
