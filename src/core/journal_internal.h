/* SPDX-License-Identifier: MIT */
/*
 * What journal.c (appends, reads, cursors) and journal_open.c (open, recovery,
 * the checkpoint, salvage) share: how shared memory is read and written, and
 * what makes an entry one. Not for other files: journal.h is the interface.
 */
#ifndef RH_JOURNAL_INTERNAL_H
#define RH_JOURNAL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hot.h"
#include "journal.h"

/* The file's first bytes. */
#define RH_JOURNAL_MAGIC "RHJRNL1"

/*
 * Shared memory is read and written in atomic words: a reader may
 * copy an entry while the appender reuses its space, and finds out afterwards
 * (the head moved past it), so neither side may make a plain access to it.
 */
typedef uintptr_t jword;
typedef _Atomic uintptr_t ajword;
#define JWORD sizeof(jword)

static inline void copy_out(void *dst, const uint8_t *src, size_t len)
{
    uint8_t *d = dst;
    size_t n = len / JWORD;
    jword w;

    for (size_t i = 0; i < n; i++) {
        w = atomic_load_explicit((const ajword *)(const void *)(src + i * JWORD),
                                 memory_order_acquire);
        memcpy(d + i * JWORD, &w, JWORD);
    }
    if (len % JWORD != 0) {
        w = atomic_load_explicit((const ajword *)(const void *)(src + n * JWORD),
                                 memory_order_acquire);
        memcpy(d + n * JWORD, &w, len % JWORD);
    }
}

/* The last word is completed with zeros (an entry's size leaves room for it). */
RH_HOT static inline void copy_in(uint8_t *dst, const void *src, size_t len)
{
    const uint8_t *s = src;
    size_t n = len / JWORD;
    jword w;

    for (size_t i = 0; i < n; i++) {
        memcpy(&w, s + i * JWORD, JWORD);
        atomic_store_explicit((ajword *)(void *)(dst + i * JWORD), w, memory_order_release);
    }
    if (len % JWORD != 0) {
        w = 0;
        memcpy(&w, s + n * JWORD, len % JWORD);
        atomic_store_explicit((ajword *)(void *)(dst + n * JWORD), w, memory_order_release);
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/*
 * Every shared access acquires or releases (on x86 and x64, plain moves): the
 * orders the seqlocks and the head check rely on hold without fences.
 */
#define LOAD(x)     atomic_load_explicit(&(x), memory_order_acquire)
#define STORE(x, v) atomic_store_explicit(&(x), (v), memory_order_release)

static inline struct rh_jentry *entry_at(const struct rh_journal *j, uint64_t pos)
{
    return (struct rh_jentry *)(void *)(j->ring + pos % j->size);
}

static inline uint32_t entry_crc(const struct rh_jentry *e, const void *payload)
{
    struct rh_jentry h = *e;

    h.crc = 0;
    return rh_crc32c(rh_crc32c(0, &h, sizeof h), payload, e->payload_len);
}

/* Whether header e, meant to be at pos with seq, is one (everything but the CRC). */
static inline bool header_sane(const struct rh_journal *j, const struct rh_jentry *e, uint64_t pos,
                               uint64_t seq)
{
    uint64_t room = j->size - pos % j->size;

    if (e->magic != RH_JENTRY_MAGIC || e->pos != pos || e->seq != seq ||
        e->size % RH_JOURNAL_ALIGN != 0 || e->size < sizeof *e || e->size > room)
        return false;
    if (e->kind == RH_JKIND_PAD)
        return e->payload_len == 0 && e->size == room;
    return e->payload_len <= RH_JOURNAL_MAX_PAYLOAD &&
           rh_journal_entry_size(e->payload_len) == e->size;
}

/*
 * An entry is valid where it is if everything about it agrees. Read in place:
 * for the appender, and for open (no other thread then).
 */
static inline bool entry_valid(const struct rh_journal *j, uint64_t pos, uint64_t seq)
{
    const struct rh_jentry *e = entry_at(j, pos);

    return header_sane(j, e, pos, seq) && entry_crc(e, e + 1) == e->crc;
}

/* The appender's changes to the head and tail, inside gen (a seqlock). */
static inline void publish_begin(struct rh_journal *j)
{
    STORE(j->gen, LOAD(j->gen) + 1);
}

static inline void publish_end(struct rh_journal *j)
{
    /* What the appender writes next (over dropped entries) is released after the new head. */
    STORE(j->gen, LOAD(j->gen) + 1);
}

/* A cursor's place, read whole (the owner writes it inside its gen). */
static inline bool cursor_read(const struct rh_jcursor *cur, uint64_t *pos, uint64_t *seq,
                               uint64_t *delivered)
{
    for (int tries = 0; tries < 4096; tries++) {
        uint64_t g = atomic_load_explicit(&cur->gen, memory_order_acquire);

        if (g % 2 != 0) {
            cpu_relax();
            continue;
        }
        *pos = LOAD(cur->pos);
        *seq = LOAD(cur->seq);
        *delivered = LOAD(cur->delivered);
        if (LOAD(cur->gen) == g)
            return true;
    }
    return false;
}

/* The owner's write of its cursor. */
static inline void cursor_write(struct rh_jcursor *cur, uint64_t pos, uint64_t seq,
                                uint64_t delivered)
{
    STORE(cur->gen, LOAD(cur->gen) + 1);
    STORE(cur->pos, pos);
    STORE(cur->seq, seq);
    STORE(cur->delivered, delivered);
    atomic_store_explicit(&cur->gen, LOAD(cur->gen) + 1, memory_order_release);
}

/*
 * Moves the head up to the slowest cursor (what every sink has), so that the
 * space behind it is free again. The appender's (alock), and open's.
 */
void rh_journal_reclaim(struct rh_journal *j);

#endif /* RH_JOURNAL_INTERNAL_H */
