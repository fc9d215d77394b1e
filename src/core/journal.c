/* SPDX-License-Identifier: MIT */
#include "journal.h"
#include "hot.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct rh_jentry) == RH_JOURNAL_ALIGN, "an entry header is 64 bytes");
_Static_assert(sizeof(struct rh_jheader) <= RH_JOURNAL_HEADER_SIZE, "the header fits its page");
/* The file's layout is the same for every build (atomic members take their plain size). */
_Static_assert(offsetof(struct rh_jheader, head_pos) == 24, "header layout");
_Static_assert(offsetof(struct rh_jheader, hint_tail_pos) == 56, "header layout");
_Static_assert(offsetof(struct rh_jheader, cursors) == 120, "header layout");
_Static_assert(sizeof(struct rh_jcursor) == 128, "cursor layout");
_Static_assert(offsetof(struct rh_jcursor, gen) == 96, "cursor layout");

static const char journal_magic[8] = "RHJRNL1";

/*
 * CRC-32C: the processor's own instruction where it has one (SSE 4.2: the
 * polynomial is the one it was made for, and it reads no table, so a cold
 * callback takes no cache misses for it); otherwise slice-by-8, with tables
 * built once from the reflected polynomial 0x82F63B78.
 */
static uint32_t crc_table[8][256];
static atomic_int crc_ready; /* 0: not yet; 1: tables; 2: the instruction */

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

RH_HOT __attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p,
                                                                size_t len)
{
#if defined(__x86_64__)
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;

        memcpy(&v, p, sizeof v);
        crc = (uint32_t)__builtin_ia32_crc32di(crc, v);
    }
#endif
    for (; len >= 4; p += 4, len -= 4) {
        uint32_t v;

        memcpy(&v, p, sizeof v);
        crc = __builtin_ia32_crc32si(crc, v);
    }
    for (; len > 0; p++, len--)
        crc = __builtin_ia32_crc32qi(crc, *p);
    return crc;
}

static bool has_crc_instruction(void)
{
    unsigned a, b, c, d;

    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_SSE4_2) != 0;
}
#else
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
    (void)p, (void)len;
    return crc;
}

static bool has_crc_instruction(void)
{
    return false;
}
#endif

RH_HOT static int crc_init(void)
{
    int ready = atomic_load_explicit(&crc_ready, memory_order_acquire);

    if (ready != 0)
        return ready;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
    /* Two threads may both build the tables: they write identical values. */
    ready = has_crc_instruction() ? 2 : 1;
    atomic_store_explicit(&crc_ready, ready, memory_order_release);
    return ready;
}

/* The tables' CRC, for the tests to hold against the instruction's. */
uint32_t rh_crc32c_tables(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    crc_init();
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        uint32_t hi =
            (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
              crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^
              crc_table[2][(hi >> 8) & 0xFF] ^ crc_table[1][(hi >> 16) & 0xFF] ^
              crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

RH_HOT uint32_t rh_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (crc_init() == 2)
        return ~crc_hw(~crc, data, len);
    return rh_crc32c_tables(crc, data, len);
}

RH_HOT size_t rh_pack_prefix(const void *src, size_t readable, size_t len, void *dst, size_t cap)
{
    const uint8_t *s = src;
    uint8_t *d = dst;
    size_t words = len / 8, full = readable < len ? readable / 8 : words;
    size_t map_len = (words + 7) / 8;
    size_t out;

    if (cap < RH_PACK_BOUND(len) || len > UINT32_MAX || readable > len)
        return 0;
    d[0] = (uint8_t)len;
    d[1] = (uint8_t)(len >> 8);
    d[2] = (uint8_t)(len >> 16);
    d[3] = (uint8_t)(len >> 24);
    memset(d + 4, 0, map_len);
    out = 4 + map_len;
    /*
     * Words wholly read, without a branch on their value (a structure's zeros
     * are not predictable): each is stored, and kept if it is not zero. The
     * store stays within the bound, since at most `words` are kept. Eight
     * words make a byte of the map, built in a register.
     */
    for (size_t w = 0; w < full; w += 8) {
        size_t group = full - w < 8 ? full - w : 8;
        unsigned bits = 0;

        for (size_t k = 0; k < group; k++) {
            uint64_t v;
            unsigned kept;

            memcpy(&v, s + 8 * (w + k), 8);
            memcpy(d + out, &v, 8);
            kept = v != 0;
            bits |= kept << k;
            out += 8 * kept;
        }
        d[4 + w / 8] = (uint8_t)bits;
    }
    /* The word the readable part ends in, then zeros. */
    for (size_t w = full; w < words && 8 * w < readable; w++) {
        uint64_t v = 0;

        memcpy(&v, s + 8 * w, readable - 8 * w);
        if (v == 0)
            continue;
        d[4 + w / 8] |= (uint8_t)(1u << (w % 8));
        memcpy(d + out, &v, 8);
        out += 8;
    }
    memset(d + out, 0, len % 8);
    if (readable > 8 * words)
        memcpy(d + out, s + 8 * words, readable - 8 * words);
    return out + len % 8;
}

size_t rh_pack(const void *src, size_t len, void *dst, size_t cap)
{
    return rh_pack_prefix(src, len, len, dst, cap);
}

size_t rh_unpack(const void *packed, size_t packed_len, void *dst, size_t cap)
{
    const uint8_t *p = packed;
    uint8_t *d = dst;
    size_t len, words, map_len, in;

    if (packed_len < 4)
        return 0;
    len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
    words = len / 8;
    map_len = (words + 7) / 8;
    if (len > cap || len == 0 || packed_len < 4 + map_len)
        return 0;
    in = 4 + map_len;
    for (size_t w = 0; w < words; w++) {
        if (p[4 + w / 8] & (1u << (w % 8))) {
            if (packed_len - in < 8)
                return 0;
            memcpy(d + 8 * w, p + in, 8);
            in += 8;
        } else {
            memset(d + 8 * w, 0, 8);
        }
    }
    if (packed_len - in != len % 8)
        return 0;
    memcpy(d + 8 * words, p + in, len % 8);
    return len;
}

uint64_t rh_journal_data_size(uint64_t total)
{
    uint64_t size;

    if (total < RH_JOURNAL_HEADER_SIZE + RH_JOURNAL_MIN_DATA)
        return 0;
    size = total - RH_JOURNAL_HEADER_SIZE;
    return size - size % RH_JOURNAL_ALIGN;
}

uint64_t rh_journal_entry_size(uint32_t len)
{
    if (len > RH_JOURNAL_MAX_PAYLOAD)
        return 0;
    return (sizeof(struct rh_jentry) + len + RH_JOURNAL_ALIGN - 1) / RH_JOURNAL_ALIGN *
           RH_JOURNAL_ALIGN;
}

/*
 * Shared memory is read and written in atomic words: a reader may
 * copy an entry while the appender reuses its space, and finds out afterwards
 * (the head moved past it), so neither side may make a plain access to it.
 */
typedef uintptr_t jword;
typedef _Atomic uintptr_t ajword;
#define JWORD sizeof(jword)

static void copy_out(void *dst, const uint8_t *src, size_t len)
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
RH_HOT static void copy_in(uint8_t *dst, const void *src, size_t len)
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

static void cpu_relax(void)
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

static struct rh_jentry *entry_at(const struct rh_journal *j, uint64_t pos)
{
    return (struct rh_jentry *)(void *)(j->ring + pos % j->size);
}

static uint32_t entry_crc(const struct rh_jentry *e, const void *payload)
{
    struct rh_jentry h = *e;

    h.crc = 0;
    return rh_crc32c(rh_crc32c(0, &h, sizeof h), payload, e->payload_len);
}

/* Whether header e, meant to be at pos with seq, is one (everything but the CRC). */
static bool header_sane(const struct rh_journal *j, const struct rh_jentry *e, uint64_t pos,
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
static bool entry_valid(const struct rh_journal *j, uint64_t pos, uint64_t seq)
{
    const struct rh_jentry *e = entry_at(j, pos);

    return header_sane(j, e, pos, seq) && entry_crc(e, e + 1) == e->crc;
}

/* The appender's changes to the head and tail, inside gen (a seqlock). */
static void publish_begin(struct rh_journal *j)
{
    STORE(j->gen, LOAD(j->gen) + 1);
}

static void publish_end(struct rh_journal *j)
{
    /* What the appender writes next (over dropped entries) is released after the new head. */
    STORE(j->gen, LOAD(j->gen) + 1);
}

enum rh_journal_status rh_journal_snapshot(const struct rh_journal *j, struct rh_jsnap *s)
{
    for (int tries = 0; tries < 4096; tries++) {
        uint32_t g = atomic_load_explicit(&j->gen, memory_order_acquire);
        struct rh_jsnap t;

        if (g % 2 != 0) {
            cpu_relax();
            continue;
        }
        t.head_pos = LOAD(j->hdr->head_pos);
        t.head_seq = LOAD(j->hdr->head_seq);
        t.tail_pos = LOAD(j->tail_pos);
        t.next_seq = LOAD(j->next_seq);
        t.pad_pos = LOAD(j->pad_pos);
        t.last_pos = LOAD(j->last_pos);
        if (LOAD(j->gen) == g) {
            *s = t;
            return RH_J_OK;
        }
    }
    return RH_J_BUSY;
}

/* A cursor's place, read whole (the owner writes it inside its gen). */
static bool cursor_read(const struct rh_jcursor *cur, uint64_t *pos, uint64_t *seq,
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
static void cursor_write(struct rh_jcursor *cur, uint64_t pos, uint64_t seq, uint64_t delivered)
{
    STORE(cur->gen, LOAD(cur->gen) + 1);
    STORE(cur->pos, pos);
    STORE(cur->seq, seq);
    STORE(cur->delivered, delivered);
    atomic_store_explicit(&cur->gen, LOAD(cur->gen) + 1, memory_order_release);
}

enum rh_journal_status rh_journal_create(struct rh_journal *j, void *base, uint64_t total,
                                         uint64_t now_ms)
{
    uint64_t size = rh_journal_data_size(total);

    if (size == 0)
        return RH_J_BAD_HEADER;
    memset(base, 0, RH_JOURNAL_HEADER_SIZE);
    j->hdr = base;
    j->ring = (uint8_t *)base + RH_JOURNAL_HEADER_SIZE;
    j->size = size;
    j->gen = 0;
    j->tail_pos = 0;
    j->next_seq = 1;
    j->pad_pos = UINT64_MAX;
    j->last_pos = UINT64_MAX;
    memcpy(j->hdr->magic, journal_magic, sizeof journal_magic);
    j->hdr->version = RH_JOURNAL_VERSION;
    j->hdr->header_size = RH_JOURNAL_HEADER_SIZE;
    j->hdr->data_size = size;
    j->hdr->head_pos = 0;
    j->hdr->head_seq = 1;
    j->hdr->created_ms = now_ms;
    j->hdr->hint_pad_pos = UINT64_MAX;
    /* A stale entry at position 0 must not pass for the first one. */
    memset(j->ring, 0, sizeof(struct rh_jentry));
    return RH_J_OK;
}

/*
 * After a power cut the header can reach the disk older than ring pages
 * written after it: its head then names a place a later lap overwrote, and the
 * walk from it finds nothing. The records are still there, known by their own
 * positions, sequence numbers and CRCs: the newest valid entry marks the end,
 * and the head is the start of the chain of entries that reaches it, walking
 * the lap before it in position order. Only entries numbered from min_seq on
 * count (older ones were delivered and dropped before the header was written).
 * The CRC checks read at most four ring sizes (a hostile file could ask for
 * more); false if no chain is found within that.
 */
/* Whether what is at `pos` may be an entry: its magic, its own position, sane numbers. */
static bool plausible(const struct rh_journal *j, uint64_t pos, uint64_t min_seq)
{
    const struct rh_jentry *e = entry_at(j, pos);

    return e->magic == RH_JENTRY_MAGIC && e->pos == pos && e->seq >= min_seq &&
           e->seq <= (UINT64_C(1) << 62) && e->pos <= (UINT64_C(1) << 62);
}

/* entry_valid, charged to a budget of CRC bytes; false once it is spent. */
static bool valid_within(const struct rh_journal *j, uint64_t pos, uint64_t seq, uint64_t *budget)
{
    uint32_t size = entry_at(j, pos)->size;

    if (size > *budget)
        return false;
    *budget -= size;
    return entry_valid(j, pos, seq);
}

/* What find_head found: the journal's extent, from its entries alone. */
struct found {
    uint64_t head_pos, head_seq;
    uint64_t end, end_seq; /* the newest entry ends at `end`; its number is end_seq */
    uint64_t last_pos, pad_pos;
};

static bool find_head(const struct rh_journal *j, uint64_t min_seq, struct found *f)
{
    uint64_t budget = 4 * j->size, taken = 0;

    f->end = 0;
    f->pad_pos = UINT64_MAX;
    for (uint64_t off = 0; off + sizeof(struct rh_jentry) <= j->size; off += RH_JOURNAL_ALIGN) {
        const struct rh_jentry *e = entry_at(j, off);

        if (e->magic != RH_JENTRY_MAGIC || e->pos % j->size != off ||
            !plausible(j, e->pos, min_seq))
            continue;
        if (valid_within(j, e->pos, e->seq, &budget) && e->pos + e->size > f->end) {
            f->end = e->pos + e->size;
            f->end_seq = e->seq;
            f->last_pos = e->pos;
        }
    }
    if (f->end == 0)
        return false;
    /*
     * The head: the first valid entry of the lap that ends there, in position
     * order, stepping over each one taken (a copy inside a payload is never
     * read as an entry). Numbers must grow with positions; places between that
     * hold none (pages the power cut kept from the disk) are gaps the readers
     * step over (rh_journal_skip_damage).
     */
    for (uint64_t pos = f->end > j->size ? f->end - j->size : 0; pos < f->end;) {
        const struct rh_jentry *e = entry_at(j, pos);
        uint64_t seq = e->seq;

        if (!plausible(j, pos, min_seq) || seq <= taken || seq > f->end_seq ||
            f->end_seq - seq > (f->end - pos) / RH_JOURNAL_ALIGN ||
            !valid_within(j, pos, seq, &budget)) {
            pos += RH_JOURNAL_ALIGN;
            continue;
        }
        if (taken == 0) {
            f->head_pos = pos;
            f->head_seq = seq;
        }
        if (e->kind == RH_JKIND_PAD)
            f->pad_pos = pos;
        taken = seq;
        pos += e->size;
    }
    return taken == f->end_seq;
}

static void reclaim(struct rh_journal *j);

/* A valid entry at pos with a sequence number in [lo, hi), found in place; 0 if none. */
static uint64_t valid_seq_in(const struct rh_journal *j, uint64_t pos, uint64_t lo, uint64_t hi)
{
    uint64_t seq = entry_at(j, pos)->seq;

    return seq >= lo && seq < hi && entry_valid(j, pos, seq) ? seq : 0;
}

/*
 * Whether the checkpoint holds: it names a tail within a ring of the head, the
 * entry it says ends there does, with the sequence number before the tail's,
 * and the head names a valid entry. Then the entries between were on the disk
 * when the checkpoint was written (rh_journal_checkpoint_begin): the tail is
 * found from there. Damage between is found when they are read.
 */
static bool checkpoint_holds(const struct rh_journal *j)
{
    const struct rh_jheader *h = j->hdr;
    uint64_t tail = h->hint_tail_pos, seq = h->hint_seq, last = h->hint_last_pos;
    uint64_t pad = h->hint_pad_pos, head = h->head_pos, head_seq = h->head_seq;

    if (seq == 0 || tail % RH_JOURNAL_ALIGN != 0 || tail < head || tail - head > j->size ||
        seq < head_seq || seq - head_seq > (tail - head) / RH_JOURNAL_ALIGN ||
        seq > (UINT64_C(1) << 62))
        return false;
    if (tail == head)
        return seq == head_seq;
    if (last % RH_JOURNAL_ALIGN != 0 || last < head || last >= tail ||
        !entry_valid(j, last, seq - 1) || last + entry_at(j, last)->size != tail ||
        !entry_valid(j, head, head_seq))
        return false;
    /* The padding, if the checkpoint names one in the journal, must be one. */
    return pad == UINT64_MAX || pad < head || pad >= tail ||
           (pad % RH_JOURNAL_ALIGN == 0 && valid_seq_in(j, pad, head_seq, seq) != 0 &&
            entry_at(j, pad)->kind == RH_JKIND_PAD);
}

/*
 * Where cursor `cur` may be after opening: on a valid entry (its position and
 * sequence both) or the tail; passed by the head (its records dropped): at the
 * head; anything else (damage, tampering, a power cut that kept a newer cursor
 * than the ring), the head, so that the sink has everything again. True if it
 * had to be reset.
 */
static bool settle_cursor(struct rh_journal *j, struct rh_jcursor *cur)
{
    struct rh_jheader *h = j->hdr;
    uint64_t pos = cur->pos, seq = cur->seq, head = h->head_pos, head_seq = h->head_seq;

    cur->name[RH_JOURNAL_NAME_SIZE - 1] = '\0';
    cur->gen = cur->gen & ~(uint64_t)1;
    if (cur->name[0] == '\0')
        return false;
    if ((pos == j->tail_pos && seq == j->next_seq) ||
        (pos >= head && pos < j->tail_pos && pos % RH_JOURNAL_ALIGN == 0 &&
         entry_valid(j, pos, seq)))
        return false;
    if (pos < head && pos % RH_JOURNAL_ALIGN == 0 && seq < head_seq &&
        head_seq - seq <= (head - pos) / RH_JOURNAL_ALIGN) {
        cur->dropped += head_seq - seq;
        cur->pos = head;
        cur->seq = head_seq;
        return false;
    }
    cur->pos = head;
    cur->seq = head_seq;
    return true;
}

enum rh_journal_status rh_journal_open(struct rh_journal *j, void *base, uint64_t total,
                                       struct rh_journal_recovery *rec)
{
    struct rh_jheader *h = base;
    uint64_t size = rh_journal_data_size(total);
    uint64_t pos, seq, pad, last;

    memset(rec, 0, sizeof *rec);
    /*
     * Positions and sequence numbers only grow: far from where they could
     * overflow (2^62 bytes is centuries of hangups), or the header is not one.
     */
    if (size == 0 || memcmp(h->magic, journal_magic, sizeof journal_magic) != 0 ||
        h->version != RH_JOURNAL_VERSION || h->header_size != RH_JOURNAL_HEADER_SIZE ||
        h->data_size != size || h->head_pos % RH_JOURNAL_ALIGN != 0 || h->head_seq == 0 ||
        h->head_pos > (UINT64_C(1) << 62) || h->head_seq > (UINT64_C(1) << 62))
        return RH_J_BAD_HEADER;
    j->hdr = h;
    j->ring = (uint8_t *)base + RH_JOURNAL_HEADER_SIZE;
    j->size = size;
    j->gen = 0;

    /*
     * The tail is just past the last valid entry: walked to from the checkpoint
     * when it holds, otherwise from the head.
     */
    if (checkpoint_holds(j)) {
        rec->from_checkpoint = true;
        pos = h->hint_tail_pos;
        seq = h->hint_seq;
        last = pos == h->head_pos ? UINT64_MAX : h->hint_last_pos;
        pad =
            h->hint_pad_pos >= h->head_pos && h->hint_pad_pos < pos ? h->hint_pad_pos : UINT64_MAX;
    } else {
        pos = h->head_pos;
        seq = h->head_seq;
        pad = last = UINT64_MAX;
    }
    while (pos - h->head_pos < size) {
        const struct rh_jentry *e = entry_at(j, pos);

        /* Nor one that would end more than a ring past the head (a later lap's). */
        if (!entry_valid(j, pos, seq) || pos + e->size - h->head_pos > size) {
            /* Unwritten space reads as zero: only something else is a torn entry. */
            if (e->magic != 0 || e->size != 0 || e->seq != 0) {
                rec->torn = true;
                rec->torn_pos = pos;
            }
            break;
        }
        if (e->kind == RH_JKIND_PAD)
            pad = pos;
        last = pos;
        rec->walked++;
        pos += e->size;
        seq++;
    }
    if (rec->torn && !rec->from_checkpoint &&
        (pos == h->head_pos ||
         (entry_at(j, pos)->magic == RH_JENTRY_MAGIC && entry_at(j, pos)->pos > pos &&
          entry_at(j, pos)->pos % size == pos % size))) {
        struct found f = {0};

        /*
         * Nothing valid at the head, yet something there; or the walk stopped on
         * an entry of a later lap: a header older than the ring. The entries'
         * own numbers say where the journal is, if they reach further than the
         * walk did.
         */
        if (find_head(j, h->head_seq, &f) && f.end > pos && f.head_pos >= h->head_pos) {
            h->head_pos = f.head_pos;
            h->head_seq = f.head_seq;
            rec->head_recovered = true;
            rec->torn = false;
            pos = f.end;
            seq = f.end_seq + 1;
            pad = f.pad_pos;
            last = f.last_pos;
        }
    }
    j->tail_pos = pos;
    j->next_seq = seq;
    j->pad_pos = pad;
    j->last_pos = last;
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++)
        rec->cursors_reset += settle_cursor(j, &h->cursors[c]);
    /* The head follows the cursors lazily (rh_journal_append): here it catches up. */
    reclaim(j);
    rec->entries = rh_journal_depth(j);
    /*
     * The checkpoint is used once: what it named may not have reached the disk
     * since (pages of the last run still in the cache), and a damaged or older
     * one could name a tail this open did not find. Until the next checkpoint
     * (written after the ring is flushed), an open walks from the head.
     */
    h->hint_seq = 0;
    return RH_J_OK;
}

uint64_t rh_journal_free(const struct rh_journal *j)
{
    struct rh_jsnap s;

    if (rh_journal_snapshot(j, &s) != RH_J_OK)
        return 0;
    return j->size - (s.tail_pos - s.head_pos);
}

/* Bytes an entry of `size` needs at the tail: padding to the ring's end, if it must wrap. */
RH_HOT static uint64_t needed_at_tail(const struct rh_journal *j, uint64_t tail, uint64_t size)
{
    uint64_t room = j->size - tail % j->size;

    return size <= room ? size : room + size;
}

/*
 * The appender's: the head follows the slowest cursor, so that what every sink
 * has delivered is free again. Cursors are read one position at a time (the
 * owner may be moving them: a stale one only reclaims less); the sequence
 * number at the new head is the entry's own.
 */
RH_HOT static void reclaim(struct rh_journal *j)
{
    struct rh_jheader *h = j->hdr;
    uint64_t tail = LOAD(j->tail_pos), head = LOAD(h->head_pos);
    uint64_t pos = tail, seq = LOAD(j->next_seq);

    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        uint64_t at;

        if (h->cursors[c].name[0] == '\0')
            continue;
        at = atomic_load_explicit(&h->cursors[c].pos, memory_order_acquire);
        if (at < pos)
            pos = at;
    }
    if (pos <= head)
        return;
    if (pos < tail) {
        const struct rh_jentry *e = entry_at(j, pos);

        /* A cursor between entries cannot come from its owner: reclaim nothing. */
        if (pos % RH_JOURNAL_ALIGN != 0 || e->magic != RH_JENTRY_MAGIC || e->pos != pos ||
            e->seq <= LOAD(h->head_seq) || e->seq >= seq)
            return;
        seq = e->seq;
    }
    publish_begin(j);
    STORE(h->head_pos, pos);
    STORE(h->head_seq, seq);
    publish_end(j);
}

RH_HOT bool rh_journal_fits(struct rh_journal *j, uint32_t len, uint64_t count)
{
    uint64_t size = rh_journal_entry_size(len);
    uint64_t tail = LOAD(j->tail_pos), head;

    if (size == 0)
        return false;
    reclaim(j);
    head = LOAD(j->hdr->head_pos);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t need = needed_at_tail(j, tail, size);

        if (tail + need - head > j->size)
            return false;
        tail += need;
    }
    return true;
}

/*
 * Drops the oldest entry (the head moves past it; the caller publishes it);
 * returns false if the journal is empty. Each cursor that had not passed it
 * counts a record it never had (padding is none).
 */
/* How often an append that has room reclaims anyway (a power of two). */
#define RECLAIM_EVERY 64u

static bool drop_oldest(struct rh_journal *j, uint64_t *head_pos, uint64_t *head_seq,
                        uint64_t *dropped)
{
    struct rh_jheader *h = j->hdr;
    uint64_t tail = LOAD(j->tail_pos), next = LOAD(j->next_seq);
    const struct rh_jentry *e;

    if (*head_pos >= tail)
        return false;
    e = entry_at(j, *head_pos);
    /*
     * Entries between the head and the tail were not all checked at open (the
     * checkpoint, or the gaps a power cut left): one that is not sane here is
     * stepped over 64 bytes at a time, never trusted for its size, and the head
     * never passes the tail. Readers step over such places too.
     */
    if (e->magic != RH_JENTRY_MAGIC || e->pos != *head_pos || e->seq < *head_seq ||
        e->seq >= next || !header_sane(j, e, *head_pos, e->seq) || e->size > tail - *head_pos) {
        *head_pos += RH_JOURNAL_ALIGN;
        e = entry_at(j, *head_pos);
        if (*head_pos >= tail) {
            *head_pos = tail;
            *head_seq = next;
        } else if (e->magic == RH_JENTRY_MAGIC && e->pos == *head_pos && e->seq > *head_seq &&
                   e->seq < next && header_sane(j, e, *head_pos, e->seq)) {
            *head_seq = e->seq; /* on an entry again: its own number */
        }
        return true;
    }
    *head_seq = e->seq;
    if (e->kind != RH_JKIND_PAD) {
        STORE(h->dropped, LOAD(h->dropped) + 1);
        (*dropped)++;
        for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
            struct rh_jcursor *cur = &h->cursors[c];

            if (cur->name[0] != '\0' &&
                atomic_load_explicit(&cur->pos, memory_order_acquire) <= *head_pos)
                STORE(cur->dropped, LOAD(cur->dropped) + 1);
        }
    }
    *head_pos += e->size;
    (*head_seq)++;
    return true;
}

RH_HOT static void write_entry(struct rh_journal *j, uint64_t pos, uint64_t seq, enum rh_jkind kind,
                               uint64_t time_ms, const uint8_t record_id[16], const void *payload,
                               uint32_t len, uint32_t size)
{
    uint8_t *at = j->ring + pos % j->size;
    struct rh_jentry h, first;

    memset(&h, 0, sizeof h);
    h.magic = RH_JENTRY_MAGIC;
    h.size = size;
    h.seq = seq;
    h.pos = pos;
    h.time_ms = time_ms;
    if (record_id != NULL)
        memcpy(h.record_id, record_id, sizeof h.record_id);
    h.kind = (uint16_t)kind;
    h.payload_len = len;
    h.crc = rh_crc32c(rh_crc32c(0, &h, sizeof h), payload, len);
    /*
     * Payload, then the header with a wrong CRC, then the right one: a crash in
     * between leaves an entry that fails its check.
     */
    if (len > 0)
        copy_in(at + sizeof h, payload, len);
    first = h;
    first.crc = ~h.crc;
    copy_in(at, &first, sizeof first);
    copy_in(at, &h, sizeof h);
}

RH_HOT enum rh_journal_status rh_journal_append(struct rh_journal *j, enum rh_jkind kind,
                                                uint64_t time_ms, const uint8_t record_id[16],
                                                const void *payload, uint32_t len,
                                                enum rh_journal_policy policy, uint64_t *dropped)
{
    struct rh_jheader *h = j->hdr;
    uint64_t size = rh_journal_entry_size(len);
    uint64_t ignored = 0;
    uint64_t tail, seq, head, head_seq, room, pad = LOAD(j->pad_pos);

    if (dropped == NULL)
        dropped = &ignored;
    if (size == 0)
        return RH_J_TOO_LARGE;
    /*
     * Reclaiming reads every cursor (cache lines their owners write): only
     * when room is short, and once in a while so that the head follows.
     */
    if (LOAD(j->tail_pos) + needed_at_tail(j, LOAD(j->tail_pos), size) - LOAD(h->head_pos) >
            j->size ||
        LOAD(j->next_seq) % RECLAIM_EVERY == 0)
        reclaim(j);
    tail = LOAD(j->tail_pos);
    seq = LOAD(j->next_seq);
    head = LOAD(h->head_pos);
    head_seq = LOAD(h->head_seq);
    if (tail + needed_at_tail(j, tail, size) - head > j->size) {
        if (policy == RH_J_FAIL)
            return RH_J_FULL;
        while (tail + needed_at_tail(j, tail, size) - head > j->size)
            if (!drop_oldest(j, &head, &head_seq, dropped))
                return RH_J_FULL;
        /* The new head is published before its space is written again. */
        publish_begin(j);
        STORE(h->head_pos, head);
        STORE(h->head_seq, head_seq);
        publish_end(j);
    }
    room = j->size - tail % j->size;
    if (size > room) {
        write_entry(j, tail, seq, RH_JKIND_PAD, time_ms, NULL, NULL, 0, (uint32_t)room);
        pad = tail;
        tail += room;
        seq++;
    }
    write_entry(j, tail, seq, kind, time_ms, record_id, payload, len, (uint32_t)size);
    /* The next slot reads as unwritten, so recovery stops there and not at an old entry. */
    if (tail + size - head < j->size && j->size - (tail + size) % j->size >= 64) {
        static const struct rh_jentry blank;

        copy_in(j->ring + (tail + size) % j->size, &blank, offsetof(struct rh_jentry, time_ms));
    }
    publish_begin(j);
    STORE(j->pad_pos, pad);
    STORE(j->last_pos, tail);
    STORE(j->tail_pos, tail + size);
    STORE(j->next_seq, seq + 1);
    publish_end(j);
    return RH_J_OK;
}

int rh_journal_cursor(struct rh_journal *j, const char *name, bool create)
{
    struct rh_jheader *h = j->hdr;
    struct rh_jcursor *cur;
    int free_slot = -1;
    size_t len = strlen(name);

    if (len == 0 || len >= RH_JOURNAL_NAME_SIZE)
        return -1;
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        if (strcmp(h->cursors[c].name, name) == 0)
            return c;
        if (h->cursors[c].name[0] == '\0' && free_slot < 0)
            free_slot = c;
    }
    if (!create || free_slot < 0)
        return -1;
    cur = &h->cursors[free_slot];
    memset(cur, 0, sizeof *cur);
    cur->pos = LOAD(j->tail_pos); /* a new sink starts with what comes next */
    cur->seq = LOAD(j->next_seq);
    memcpy(cur->name, name, len + 1);
    return free_slot;
}

void rh_journal_keep_cursors(struct rh_journal *j, const char *const *names, size_t n)
{
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        struct rh_jcursor *cur = &j->hdr->cursors[c];
        bool keep = false;

        for (size_t i = 0; i < n && !keep && cur->name[0] != '\0'; i++)
            keep = strcmp(cur->name, names[i]) == 0;
        if (!keep)
            memset(cur, 0, sizeof *cur);
    }
    reclaim(j);
}

/*
 * Copies the entry at (pos, seq) out of the ring, checks the copy, then
 * whether the head passed it meanwhile: RH_J_OVERTAKEN then, whatever was
 * copied. Padding is returned too (e->kind).
 */
static enum rh_journal_status copy_entry(const struct rh_journal *j, uint64_t pos, uint64_t seq,
                                         struct rh_jentry *e, void *buf, size_t cap)
{
    const uint8_t *at = j->ring + pos % j->size;
    enum rh_journal_status st = RH_J_OK;

    copy_out(e, at, sizeof *e);
    if (!header_sane(j, e, pos, seq)) {
        st = RH_J_CORRUPT;
    } else if (e->payload_len > cap) {
        st = RH_J_TOO_LARGE;
    } else {
        copy_out(buf, at + sizeof *e, e->payload_len);
        if (entry_crc(e, buf) != e->crc)
            st = RH_J_CORRUPT;
    }
    /* After the copy (its loads acquire): if the head passed it, the copy may be torn. */
    return LOAD(j->hdr->head_pos) > pos ? RH_J_OVERTAKEN : st;
}

enum rh_journal_status rh_journal_read_ahead(const struct rh_journal *j, struct rh_jahead *a,
                                             struct rh_jentry *e, void *buf, size_t cap)
{
    for (;;) {
        uint64_t tail = atomic_load_explicit(&j->tail_pos, memory_order_acquire);
        enum rh_journal_status st;

        if (a->pos >= tail)
            return RH_J_EMPTY;
        st = copy_entry(j, a->pos, a->seq, e, buf, cap);
        if (st != RH_J_OK)
            return st;
        if (e->size > tail - a->pos)
            return RH_J_CORRUPT; /* damage or forgery: no entry ends past the tail */
        a->pos += e->size;
        a->seq++;
        if (e->kind != RH_JKIND_PAD)
            return RH_J_OK;
    }
}

/* What one rh_journal_skip_damage may do: places looked at, and bytes of CRC checked. */
#define SKIP_PLACES    65536u
#define SKIP_CRC_BYTES (1024u * 1024)

uint64_t rh_journal_skip_damage(const struct rh_journal *j, struct rh_jahead *a, void *buf,
                                size_t cap)
{
    struct rh_jsnap s;
    struct rh_jentry e;
    uint64_t from = a->pos, from_seq = a->seq, crc_bytes = 0;
    uint64_t pos = a->scan > from ? a->scan : from + RH_JOURNAL_ALIGN;

    if (rh_journal_snapshot(j, &s) != RH_J_OK)
        return 0;
    for (uint32_t places = 0; pos < s.tail_pos; pos += RH_JOURNAL_ALIGN) {
        /* A hostile file can make every place look like an entry: the work is bounded. */
        if (++places > SKIP_PLACES || crc_bytes > SKIP_CRC_BYTES) {
            a->scan = pos;
            return 0;
        }
        /* Only an entry that names this place, with a later number, that checks whole. */
        copy_out(&e, j->ring + pos % j->size, sizeof e);
        if (e.magic != RH_JENTRY_MAGIC || e.pos != pos || e.seq <= from_seq ||
            e.seq >= s.next_seq || e.seq - from_seq > (pos - from) / RH_JOURNAL_ALIGN ||
            !header_sane(j, &e, pos, e.seq))
            continue;
        crc_bytes += e.size;
        if (copy_entry(j, pos, e.seq, &e, buf, cap) == RH_J_CORRUPT)
            continue;
        a->pos = pos;
        a->seq = e.seq;
        a->scan = 0;
        return e.seq - from_seq;
    }
    a->pos = s.tail_pos;
    a->seq = s.next_seq;
    a->scan = 0;
    return s.next_seq - from_seq;
}

/* Cursor c's place as its reader starts from it: at the head if the head passed it. */
static bool cursor_place(const struct rh_journal *j, int c, const struct rh_jsnap *s, uint64_t *pos,
                         uint64_t *seq, uint64_t *delivered)
{
    if (!cursor_read(&j->hdr->cursors[c], pos, seq, delivered))
        return false;
    if (*pos < s->head_pos) {
        *pos = s->head_pos;
        *seq = s->head_seq;
    }
    return true;
}

void rh_journal_ahead_start(const struct rh_journal *j, int c, struct rh_jahead *a)
{
    struct rh_jsnap s;
    uint64_t pos, seq, delivered;

    /* Busy: from the cursor as it is; the first read says if the head passed it. */
    if (rh_journal_snapshot(j, &s) != RH_J_OK || !cursor_place(j, c, &s, &pos, &seq, &delivered)) {
        pos = LOAD(j->hdr->cursors[c].pos);
        seq = LOAD(j->hdr->cursors[c].seq);
    }
    a->start_pos = a->pos = pos;
    a->start_seq = a->seq = seq;
    a->scan = 0;
}

void rh_journal_move_cursor(struct rh_journal *j, int c, uint64_t pos, uint64_t seq,
                            uint64_t delivered)
{
    struct rh_jcursor *cur = &j->hdr->cursors[c];
    uint64_t at = LOAD(cur->pos), at_seq = LOAD(cur->seq);

    /* Forward only, and only to a place that is consistent with the cursor's own. */
    if (pos > at && seq > at_seq && pos >= LOAD(j->hdr->head_pos) &&
        pos <= atomic_load_explicit(&j->tail_pos, memory_order_acquire) &&
        seq <= LOAD(j->next_seq) && seq - at_seq <= pos - at)
        cursor_write(cur, pos, seq, LOAD(cur->delivered) + delivered);
}

enum rh_journal_status rh_journal_read(struct rh_journal *j, int c, struct rh_jentry *e, void *buf,
                                       size_t cap)
{
    struct rh_jahead a;
    enum rh_journal_status st;

    do {
        rh_journal_ahead_start(j, c, &a);
        st = rh_journal_read_ahead(j, &a, e, buf, cap);
    } while (st == RH_J_OVERTAKEN);
    return st;
}

void rh_journal_advance(struct rh_journal *j, int c, const struct rh_jentry *e)
{
    struct rh_jahead a;

    /* Only if the cursor is still at that entry (padding before it aside): a drop may have
     * moved it on. */
    rh_journal_ahead_start(j, c, &a);
    if (a.pos <= e->pos && a.seq <= e->seq && e->seq - a.seq <= 1)
        rh_journal_move_cursor(j, c, e->pos + e->size, e->seq + 1, 1);
}

/*
 * Records from pos to the tail: entries, less the padding among them. Fewer
 * than a ring's bytes apart, they hold at most one padding entry, the last one
 * written (or found by open).
 */
static uint64_t records_from(const struct rh_jsnap *s, uint64_t pos, uint64_t seq)
{
    uint64_t n = s->next_seq > seq ? s->next_seq - seq : 0;

    if (n > 0 && s->pad_pos != UINT64_MAX && s->pad_pos >= pos && s->pad_pos < s->tail_pos)
        n--;
    return n;
}

/* The time of the first record at or after pos (at most one padding entry first); 0: none. */
static uint64_t first_time(const struct rh_journal *j, const struct rh_jsnap *s, uint64_t pos)
{
    for (int i = 0; i < 2 && pos < s->tail_pos; i++) {
        struct rh_jentry e;

        copy_out(&e, j->ring + pos % j->size, sizeof e);
        if (LOAD(j->hdr->head_pos) > pos || !header_sane(j, &e, pos, e.seq))
            return 0;
        if (e.kind != RH_JKIND_PAD)
            return e.time_ms;
        pos += e.size;
    }
    return 0;
}

enum rh_journal_status rh_journal_cursor_view(const struct rh_journal *j, int c,
                                              struct rh_jcursor_view *v)
{
    struct rh_jsnap s;

    if (rh_journal_snapshot(j, &s) != RH_J_OK ||
        !cursor_place(j, c, &s, &v->pos, &v->seq, &v->delivered))
        return RH_J_BUSY;
    v->dropped = LOAD(j->hdr->cursors[c].dropped);
    v->pending = records_from(&s, v->pos, v->seq);
    v->oldest_ms = first_time(j, &s, v->pos);
    return RH_J_OK;
}

uint64_t rh_journal_pending(const struct rh_journal *j, int c)
{
    struct rh_jcursor_view v;

    return rh_journal_cursor_view(j, c, &v) == RH_J_OK ? v.pending : 0;
}

uint64_t rh_journal_oldest_ms(const struct rh_journal *j, int c)
{
    struct rh_jcursor_view v;

    return rh_journal_cursor_view(j, c, &v) == RH_J_OK ? v.oldest_ms : 0;
}

uint64_t rh_journal_depth(const struct rh_journal *j)
{
    struct rh_jsnap s;

    return rh_journal_snapshot(j, &s) == RH_J_OK ? records_from(&s, s.head_pos, s.head_seq) : 0;
}

bool rh_journal_checkpoint_begin(const struct rh_journal *j, struct rh_jcheckpoint *ck)
{
    struct rh_jcheckpoint now;
    bool changed;

    memset(&now, 0, sizeof now);
    if (rh_journal_snapshot(j, &now.snap) != RH_J_OK)
        return false;
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++)
        now.marks[c] = LOAD(j->hdr->cursors[c].gen) + LOAD(j->hdr->cursors[c].pos);
    now.valid = true;
    changed = memcmp(&now, ck, sizeof now) != 0;
    *ck = now;
    return changed;
}

void rh_journal_checkpoint_end(struct rh_journal *j, const struct rh_jcheckpoint *ck)
{
    struct rh_jheader *h = j->hdr;

    if (!ck->valid)
        return;
    h->hint_seq = 0; /* never half of one: the fields are written with the number last */
    atomic_signal_fence(memory_order_seq_cst);
    h->hint_tail_pos = ck->snap.tail_pos;
    h->hint_last_pos = ck->snap.last_pos;
    h->hint_pad_pos = ck->snap.pad_pos;
    atomic_signal_fence(memory_order_seq_cst);
    h->hint_seq = ck->snap.next_seq;
}

/*
 * Salvage: a journal rh_journal_open refuses is read as a bare ring, without its
 * header. Nothing in it is trusted: every read is bounded by what is present.
 */
struct old_ring {
    const uint8_t *ring;
    uint64_t size;    /* the ring size entries are checked against */
    uint64_t limit;   /* ring bytes present to read: at most `size`, a multiple of 64 */
    uint64_t *budget; /* bytes the CRC checks may still read, over the whole salvage */
};

enum old_slot {
    OLD_NOTHING,   /* no entry's magic here */
    OLD_BAD,       /* an entry's magic, but a check fails */
    OLD_ENTRY,     /* a valid entry, copied into *e */
    OLD_UNCHECKED, /* might be one, but the allowance for checks is spent */
};

/* What begins at `off` (a multiple of 64, at least 64 bytes before r->limit). */
static enum old_slot old_entry(const struct old_ring *r, uint64_t off, struct rh_jentry *e)
{
    uint64_t room = r->size - off;
    const uint8_t *payload = r->ring + off + sizeof *e;

    /* A copy: the old base need not be aligned, and a field is read once. */
    memcpy(e, r->ring + off, sizeof *e);
    if (e->magic != RH_JENTRY_MAGIC)
        return OLD_NOTHING;
    if (e->size % RH_JOURNAL_ALIGN != 0 || e->size < sizeof *e || e->size > room ||
        e->size > r->limit - off || e->pos % r->size != off || e->pos > UINT64_MAX - e->size)
        return OLD_BAD;
    if (e->kind == RH_JKIND_PAD) {
        if (e->payload_len != 0 || e->size != room)
            return OLD_BAD;
    } else if (e->kind > RH_JKIND_SERVICE_STOP || e->payload_len > RH_JOURNAL_MAX_PAYLOAD ||
               rh_journal_entry_size(e->payload_len) != e->size) {
        return OLD_BAD;
    }
    /*
     * Checking a place costs up to 8 KiB of CRC: a file forged to have a magic
     * and a plausible size every 64 bytes would cost 128 times its size. The
     * salvage, on the service's start, gets a fixed allowance instead.
     */
    if (*r->budget < e->size)
        return OLD_UNCHECKED;
    *r->budget -= e->size;
    return entry_crc(e, payload) == e->crc ? OLD_ENTRY : OLD_BAD;
}

/*
 * Walks the old ring from offset 0, stepping over valid entries: how many there
 * are, and where the newest one ends (*max_end). Only an entry within a lap of
 * the one before it counts for the newest (unless none is): an entry alone far
 * ahead of the rest, forged with a valid CRC, does not hide them all.
 */
static uint64_t old_survey(const struct old_ring *r, uint64_t *max_end, uint64_t *unchecked)
{
    uint64_t off = 0, n = 0, any_end = 0, prev_pos = 0, prev_end = 0;

    *max_end = 0;
    while (r->limit - off >= sizeof(struct rh_jentry)) {
        struct rh_jentry e;
        uint64_t end;

        enum old_slot slot = old_entry(r, off, &e);

        if (slot != OLD_ENTRY) {
            *unchecked += slot == OLD_UNCHECKED;
            off += RH_JOURNAL_ALIGN;
            continue;
        }
        end = e.pos + e.size;
        if (end > any_end)
            any_end = end;
        if (n > 0 && (e.pos > prev_pos ? e.pos - prev_pos : prev_pos - e.pos) < r->size) {
            if (prev_end > *max_end)
                *max_end = prev_end;
            if (end > *max_end)
                *max_end = end;
        }
        n++;
        prev_pos = e.pos;
        prev_end = end;
        off += e.size;
    }
    if (*max_end == 0)
        *max_end = any_end;
    return n;
}

static void old_ring_init(struct old_ring *r, const void *old_base, uint64_t old_total,
                          uint64_t size, uint64_t *budget)
{
    r->budget = budget;
    uint64_t present = old_total - RH_JOURNAL_HEADER_SIZE;

    r->ring = (const uint8_t *)old_base + RH_JOURNAL_HEADER_SIZE;
    r->size = size;
    r->limit = present < size ? present - present % RH_JOURNAL_ALIGN : size;
}

/* The walk over the last lap of an old ring, taking its records into dst. */
struct salvage_walk {
    const struct old_ring *r;
    uint64_t window, max_end; /* the last lap's positions: [window, max_end) */
    uint64_t last_seq;        /* of the last record taken, if `taken` */
    bool taken;
    struct rh_journal *dst;
    enum rh_journal_policy policy;
    struct rh_journal_salvage_report *rep;
};

/* Takes what is at `off`, if it is a record to take; returns the step to the next place. */
static uint64_t salvage_at(struct salvage_walk *w, uint64_t off)
{
    struct rh_jentry e;
    enum old_slot slot = old_entry(w->r, off, &e);
    enum rh_journal_status st;

    if (slot == OLD_NOTHING)
        return RH_JOURNAL_ALIGN;
    w->rep->candidates++;
    if (slot == OLD_UNCHECKED) {
        w->rep->unchecked++;
        return RH_JOURNAL_ALIGN;
    }
    if (slot == OLD_BAD) {
        w->rep->invalid++;
        return RH_JOURNAL_ALIGN;
    }
    if (e.pos < w->window || e.pos + e.size > w->max_end) {
        /* Not of the last lap: a leftover inside padding, which is never overwritten. */
        if (e.kind != RH_JKIND_PAD)
            w->rep->stale++;
        return RH_JOURNAL_ALIGN;
    }
    if (e.kind == RH_JKIND_PAD)
        return e.size;
    if (w->taken && e.seq <= w->last_seq) {
        /* Positions and sequence numbers grow together: this is a copy. */
        w->rep->stale++;
        return RH_JOURNAL_ALIGN;
    }
    st = rh_journal_append(w->dst, (enum rh_jkind)e.kind, e.time_ms, e.record_id,
                           e.payload_len > 0 ? w->r->ring + off + sizeof e : NULL, e.payload_len,
                           w->policy, &w->rep->dropped);
    if (st == RH_J_OK)
        w->rep->salvaged++;
    else
        w->rep->lost++;
    w->taken = true;
    w->last_seq = e.seq;
    return e.size;
}

uint64_t rh_journal_salvage(const void *old_base, uint64_t old_total, struct rh_journal *dst,
                            enum rh_journal_policy policy, struct rh_journal_salvage_report *out)
{
    struct rh_journal_salvage_report rep;
    struct old_ring r, by_file_ring, by_header_ring;
    struct salvage_walk w;
    uint64_t by_file = rh_journal_data_size(old_total);
    uint64_t by_header = 0;
    uint64_t file_n = 0, file_end = 0, header_n = 0, header_end = 0;
    uint64_t max_end, off, walked;
    /* Every entry checked once by each of the three walks, with room to spare. */
    uint64_t budget;

    memset(&rep, 0, sizeof rep);
    if (old_base == NULL || old_total <= RH_JOURNAL_HEADER_SIZE)
        goto done;
    memcpy(&by_header, (const uint8_t *)old_base + offsetof(struct rh_jheader, data_size),
           sizeof by_header);
    if (by_header % RH_JOURNAL_ALIGN != 0 || by_header == by_file)
        by_header = 0;
    budget = old_total > UINT64_MAX / 4 ? UINT64_MAX : 4 * old_total;

    /* The ring size more entries agree with: the file's, unless the header's wins. */
    if (by_file != 0) {
        old_ring_init(&by_file_ring, old_base, old_total, by_file, &budget);
        file_n = old_survey(&by_file_ring, &file_end, &rep.unchecked);
    }
    if (by_header != 0) {
        old_ring_init(&by_header_ring, old_base, old_total, by_header, &budget);
        header_n = old_survey(&by_header_ring, &header_end, &rep.unchecked);
    }
    if (header_n > file_n) {
        r = by_header_ring;
        max_end = header_end;
    } else if (file_n > 0) {
        r = by_file_ring;
        max_end = file_end;
    } else {
        goto done;
    }
    rep.ring_size = r.size;

    /*
     * The lap that ends at the newest entry, positions [max_end - size, max_end):
     * one per place, so walking the places from the old tail's is walking them in
     * position order. The walk ends after one ring size.
     */
    memset(&w, 0, sizeof w);
    w.r = &r;
    w.window = max_end > r.size ? max_end - r.size : 0;
    w.max_end = max_end;
    w.dst = dst;
    w.policy = policy;
    w.rep = &rep;
    off = max_end % r.size;
    for (walked = 0; walked < r.size;) {
        uint64_t step;

        if (off >= r.limit || r.limit - off < sizeof(struct rh_jentry))
            step = r.size - off; /* beyond what the file holds (cut short): to the ring's end */
        else
            step = salvage_at(&w, off);
        off += step;
        walked += step;
        if (off >= r.size)
            off = 0;
    }

done:
    if (out != NULL)
        *out = rep;
    return rep.salvaged;
}
