/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <stdatomic.h>
#include <string.h>

_Static_assert(sizeof(struct rh_jentry) == RH_JOURNAL_ALIGN, "an entry header is 64 bytes");
_Static_assert(sizeof(struct rh_jheader) <= RH_JOURNAL_HEADER_SIZE, "the header fits its page");

static const char journal_magic[8] = "RHJRNL1";

/* CRC-32C, slice-by-8: tables built once from the reflected polynomial 0x82F63B78. */
static uint32_t crc_table[8][256];
static atomic_int crc_ready;

static void crc_init(void)
{
    if (atomic_load_explicit(&crc_ready, memory_order_acquire))
        return;
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
    atomic_store_explicit(&crc_ready, 1, memory_order_release);
}

uint32_t rh_crc32c(uint32_t crc, const void *data, size_t len)
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

size_t rh_pack(const void *src, size_t len, void *dst, size_t cap)
{
    const uint8_t *s = src;
    uint8_t *d = dst;
    size_t words = len / 8;
    size_t map_len = (words + 7) / 8;
    size_t out;

    if (cap < RH_PACK_BOUND(len) || len > UINT32_MAX)
        return 0;
    d[0] = (uint8_t)len;
    d[1] = (uint8_t)(len >> 8);
    d[2] = (uint8_t)(len >> 16);
    d[3] = (uint8_t)(len >> 24);
    memset(d + 4, 0, map_len);
    out = 4 + map_len;
    for (size_t w = 0; w < words; w++) {
        uint64_t v;

        memcpy(&v, s + 8 * w, 8);
        if (v == 0)
            continue;
        d[4 + w / 8] |= (uint8_t)(1u << (w % 8));
        memcpy(d + out, &v, 8);
        out += 8;
    }
    memcpy(d + out, s + 8 * words, len % 8);
    return out + len % 8;
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

/* An entry is valid where it is if everything about it agrees. */
static bool entry_valid(const struct rh_journal *j, uint64_t pos, uint64_t seq)
{
    const struct rh_jentry *e = entry_at(j, pos);
    uint64_t room = j->size - pos % j->size;

    if (e->magic != RH_JENTRY_MAGIC || e->pos != pos || e->seq != seq ||
        e->size % RH_JOURNAL_ALIGN != 0 || e->size < sizeof *e || e->size > room)
        return false;
    if (e->kind == RH_JKIND_PAD)
        return e->payload_len == 0 && e->size == room && entry_crc(e, NULL) == e->crc;
    if (e->payload_len > RH_JOURNAL_MAX_PAYLOAD || rh_journal_entry_size(e->payload_len) != e->size)
        return false;
    return entry_crc(e, e + 1) == e->crc;
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
    j->tail_pos = 0;
    j->next_seq = 1;
    j->pad_pos = UINT64_MAX;
    memcpy(j->hdr->magic, journal_magic, sizeof journal_magic);
    j->hdr->version = RH_JOURNAL_VERSION;
    j->hdr->header_size = RH_JOURNAL_HEADER_SIZE;
    j->hdr->data_size = size;
    j->hdr->head_pos = 0;
    j->hdr->head_seq = 1;
    j->hdr->created_ms = now_ms;
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

static bool find_head(const struct rh_journal *j, uint64_t min_seq, uint64_t *head_pos,
                      uint64_t *head_seq, uint64_t *end_out)
{
    uint64_t budget = 4 * j->size, end = 0, pos, expect = 0, start = 0, start_seq = 0;
    bool chain = false;

    for (uint64_t off = 0; off + sizeof(struct rh_jentry) <= j->size; off += RH_JOURNAL_ALIGN) {
        const struct rh_jentry *e = entry_at(j, off);

        if (e->magic != RH_JENTRY_MAGIC || e->pos % j->size != off ||
            !plausible(j, e->pos, min_seq))
            continue;
        if (valid_within(j, e->pos, e->seq, &budget) && e->pos + e->size > end)
            end = e->pos + e->size;
    }
    if (end == 0)
        return false;
    for (pos = end > j->size ? end - j->size : 0; pos < end;) {
        const struct rh_jentry *e = entry_at(j, pos);

        if (chain && valid_within(j, pos, expect, &budget)) {
            pos += e->size;
            expect++;
            continue;
        }
        /* A chain starts only where an entry names this very place. */
        chain = plausible(j, pos, min_seq) && valid_within(j, pos, e->seq, &budget);
        if (!chain) {
            pos += RH_JOURNAL_ALIGN;
            continue;
        }
        start = pos;
        start_seq = e->seq;
        expect = e->seq + 1;
        pos += e->size;
    }
    if (!chain)
        return false;
    *head_pos = start;
    *head_seq = start_seq;
    *end_out = end;
    return true;
}

enum rh_journal_status rh_journal_open(struct rh_journal *j, void *base, uint64_t total,
                                       struct rh_journal_recovery *rec)
{
    struct rh_jheader *h = base;
    uint64_t size = rh_journal_data_size(total);
    uint64_t pos, seq;
    uint32_t valid = 0; /* cursors found on an entry */

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

    /*
     * Walk from the head; the tail is just past the last valid entry. A cursor
     * counts only where it names an entry met on the way (its position and
     * sequence both), or the tail: anything else, however it came (damage,
     * tampering), would have the readers read between entries or past the ring.
     */
walk:
    pos = h->head_pos;
    seq = h->head_seq;
    j->pad_pos = UINT64_MAX;
    valid = 0;
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
        for (int c = 0; c < RH_JOURNAL_CURSORS; c++)
            if (h->cursors[c].pos == pos && h->cursors[c].seq == seq)
                valid |= 1u << c;
        if (e->kind != RH_JKIND_PAD)
            rec->entries++;
        else
            j->pad_pos = pos;
        pos += e->size;
        seq++;
    }
    if (rec->torn && !rec->head_recovered &&
        (pos == h->head_pos ||
         (entry_at(j, pos)->magic == RH_JENTRY_MAGIC && entry_at(j, pos)->pos > pos &&
          entry_at(j, pos)->pos % size == pos % size))) {
        uint64_t head_pos, head_seq, end = 0;

        /*
         * Nothing valid at the head, yet something there; or the walk stopped on
         * an entry of a later lap: a header older than the ring. The entries'
         * own chain is taken if it reaches further than the walk did.
         */
        if (find_head(j, h->head_seq, &head_pos, &head_seq, &end) && end > pos &&
            head_pos >= h->head_pos) {
            h->head_pos = head_pos;
            h->head_seq = head_seq;
            rec->head_recovered = true;
            rec->torn = false;
            rec->entries = 0;
            goto walk;
        }
    }
    j->tail_pos = pos;
    j->next_seq = seq;
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        struct rh_jcursor *cur = &h->cursors[c];

        cur->name[RH_JOURNAL_NAME_SIZE - 1] = '\0';
        if (cur->name[0] == '\0' || (valid & (1u << c)) != 0 ||
            (cur->pos == pos && cur->seq == seq))
            continue;
        /* Outside the journal or between its entries: from the oldest record again. */
        cur->pos = h->head_pos;
        cur->seq = h->head_seq;
        rec->cursors_reset++;
    }
    return RH_J_OK;
}

uint64_t rh_journal_free(const struct rh_journal *j)
{
    return j->size - (j->tail_pos - j->hdr->head_pos);
}

/* Bytes an entry of `size` needs at the tail: padding to the ring's end, if it must wrap. */
static uint64_t needed_at_tail(const struct rh_journal *j, uint64_t tail, uint64_t size)
{
    uint64_t room = j->size - tail % j->size;

    return size <= room ? size : room + size;
}

bool rh_journal_fits(const struct rh_journal *j, uint32_t len, uint64_t count)
{
    uint64_t size = rh_journal_entry_size(len);
    uint64_t tail = j->tail_pos;

    if (size == 0)
        return false;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t need = needed_at_tail(j, tail, size);

        if (tail + need - j->hdr->head_pos > j->size)
            return false;
        tail += need;
    }
    return true;
}

/* Moves cursors that point before the head up to it, counting what they missed. */
static void clamp_cursors(struct rh_journal *j)
{
    struct rh_jheader *h = j->hdr;

    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        struct rh_jcursor *cur = &h->cursors[c];

        if (cur->name[0] == '\0' || cur->pos >= h->head_pos)
            continue;
        cur->dropped += h->head_seq - cur->seq;
        cur->pos = h->head_pos;
        cur->seq = h->head_seq;
    }
}

/* Drops the oldest entry; returns false if the journal is empty. */
static bool drop_oldest(struct rh_journal *j, uint64_t *dropped)
{
    struct rh_jheader *h = j->hdr;
    const struct rh_jentry *e;

    if (h->head_pos == j->tail_pos)
        return false;
    e = entry_at(j, h->head_pos);
    if (e->kind != RH_JKIND_PAD) {
        h->dropped++;
        (*dropped)++;
    }
    /* Cursors on it move along: each counts a record it never had (padding is none). */
    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        struct rh_jcursor *cur = &h->cursors[c];

        if (cur->name[0] == '\0' || cur->pos != h->head_pos)
            continue;
        cur->pos += e->size;
        cur->seq++;
        cur->dropped += e->kind != RH_JKIND_PAD;
    }
    h->head_pos += e->size;
    h->head_seq++;
    return true;
}

static void write_entry(struct rh_journal *j, uint64_t pos, enum rh_jkind kind, uint64_t time_ms,
                        const uint8_t record_id[16], const void *payload, uint32_t len,
                        uint32_t size)
{
    struct rh_jentry *e = entry_at(j, pos);
    struct rh_jentry h;

    memset(&h, 0, sizeof h);
    h.magic = RH_JENTRY_MAGIC;
    h.size = size;
    h.seq = j->next_seq;
    h.pos = pos;
    h.time_ms = time_ms;
    if (record_id != NULL)
        memcpy(h.record_id, record_id, sizeof h.record_id);
    h.kind = (uint16_t)kind;
    h.payload_len = len;
    h.crc = rh_crc32c(rh_crc32c(0, &h, sizeof h), payload, len);
    /* Payload and header first, the CRC last: a crash in between leaves a bad CRC. */
    if (len > 0)
        memcpy(e + 1, payload, len);
    e->crc = ~h.crc;
    atomic_thread_fence(memory_order_release);
    memcpy(e, &h, offsetof(struct rh_jentry, crc));
    atomic_thread_fence(memory_order_release);
    e->crc = h.crc;
    e->reserved1 = 0;
    j->next_seq++;
}

enum rh_journal_status rh_journal_append(struct rh_journal *j, enum rh_jkind kind, uint64_t time_ms,
                                         const uint8_t record_id[16], const void *payload,
                                         uint32_t len, enum rh_journal_policy policy,
                                         uint64_t *dropped)
{
    uint64_t size = rh_journal_entry_size(len);
    uint64_t ignored = 0;
    uint64_t room;

    if (dropped == NULL)
        dropped = &ignored;
    if (size == 0)
        return RH_J_TOO_LARGE;
    while (j->tail_pos + needed_at_tail(j, j->tail_pos, size) - j->hdr->head_pos > j->size) {
        if (policy == RH_J_FAIL || !drop_oldest(j, dropped))
            return RH_J_FULL;
    }
    clamp_cursors(j);
    room = j->size - j->tail_pos % j->size;
    if (size > room) {
        write_entry(j, j->tail_pos, RH_JKIND_PAD, time_ms, NULL, NULL, 0, (uint32_t)room);
        j->pad_pos = j->tail_pos;
        j->tail_pos += room;
    }
    write_entry(j, j->tail_pos, kind, time_ms, record_id, payload, len, (uint32_t)size);
    j->tail_pos += size;
    /* The next slot reads as unwritten, so recovery stops there and not at an old entry. */
    if (j->tail_pos - j->hdr->head_pos < j->size && j->size - j->tail_pos % j->size >= 64)
        memset(entry_at(j, j->tail_pos), 0, offsetof(struct rh_jentry, time_ms));
    return RH_J_OK;
}

int rh_journal_cursor(struct rh_journal *j, const char *name, bool create)
{
    struct rh_jheader *h = j->hdr;
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
    memset(&h->cursors[free_slot], 0, sizeof h->cursors[free_slot]);
    h->cursors[free_slot].pos = j->tail_pos; /* a new sink starts with what comes next */
    h->cursors[free_slot].seq = j->next_seq;
    memcpy(h->cursors[free_slot].name, name, len + 1);
    return free_slot;
}

/* The head follows the slowest cursor: what every sink has delivered is free again. */
static void reclaim(struct rh_journal *j)
{
    struct rh_jheader *h = j->hdr;
    uint64_t pos = j->tail_pos;
    uint64_t seq = j->next_seq;

    for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
        if (h->cursors[c].name[0] != '\0' && h->cursors[c].pos < pos) {
            pos = h->cursors[c].pos;
            seq = h->cursors[c].seq;
        }
    }
    if (pos > h->head_pos) {
        h->head_pos = pos;
        h->head_seq = seq;
    }
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

/* Reads the entry at (*pos, *seq), stepping over padding; leaves them at the entry. */
static enum rh_journal_status read_at(const struct rh_journal *j, uint64_t *pos, uint64_t *seq,
                                      struct rh_jentry *e, void *buf, size_t cap)
{
    for (;;) {
        const struct rh_jentry *at;

        if (*pos >= j->tail_pos)
            return RH_J_EMPTY;
        if (!entry_valid(j, *pos, *seq))
            return RH_J_CORRUPT;
        at = entry_at(j, *pos);
        if (at->kind == RH_JKIND_PAD) {
            *pos += at->size;
            (*seq)++;
            continue;
        }
        if (at->payload_len > cap)
            return RH_J_TOO_LARGE;
        *e = *at;
        memcpy(buf, at + 1, at->payload_len);
        return RH_J_OK;
    }
}

enum rh_journal_status rh_journal_read(struct rh_journal *j, int c, struct rh_jentry *e, void *buf,
                                       size_t cap)
{
    struct rh_jcursor *cur = &j->hdr->cursors[c];

    return read_at(j, &cur->pos, &cur->seq, e, buf, cap);
}

void rh_journal_ahead_start(const struct rh_journal *j, int c, struct rh_jahead *a)
{
    a->start_pos = a->pos = j->hdr->cursors[c].pos;
    a->start_seq = a->seq = j->hdr->cursors[c].seq;
}

enum rh_journal_status rh_journal_read_ahead(const struct rh_journal *j, struct rh_jahead *a,
                                             struct rh_jentry *e, void *buf, size_t cap)
{
    enum rh_journal_status st = read_at(j, &a->pos, &a->seq, e, buf, cap);

    if (st == RH_J_OK) {
        a->pos += e->size;
        a->seq++;
    }
    return st;
}

void rh_journal_advance_to(struct rh_journal *j, int c, const struct rh_jahead *a,
                           uint64_t delivered)
{
    struct rh_jcursor *cur = &j->hdr->cursors[c];

    /* Only if the cursor is where the batch began: a drop may have moved it on. */
    if (cur->pos == a->start_pos && cur->seq == a->start_seq && a->pos <= j->tail_pos) {
        cur->pos = a->pos;
        cur->seq = a->seq;
        cur->delivered += delivered;
    }
    reclaim(j);
}

void rh_journal_move_cursor(struct rh_journal *j, int c, uint64_t pos, uint64_t seq,
                            uint64_t delivered)
{
    struct rh_jcursor *cur = &j->hdr->cursors[c];

    /* Forward only, and only to a place that is consistent with the cursor's own. */
    if (pos > cur->pos && seq > cur->seq && pos <= j->tail_pos && seq <= j->next_seq &&
        seq - cur->seq <= pos - cur->pos) {
        cur->pos = pos;
        cur->seq = seq;
        cur->delivered += delivered;
    }
    reclaim(j);
}

void rh_journal_advance(struct rh_journal *j, int c, const struct rh_jentry *e)
{
    struct rh_jcursor *cur = &j->hdr->cursors[c];

    /* Only if the cursor is still on that entry: a drop may have moved it on. */
    if (cur->pos == e->pos && cur->seq == e->seq) {
        cur->pos += e->size;
        cur->seq++;
        cur->delivered++;
    }
    reclaim(j);
}

/*
 * Records from (pos, seq) to the tail: entries, less the padding among them.
 * Fewer than a ring's bytes apart, they hold at most one padding entry, the
 * last one written (or found by open).
 */
static uint64_t records_from(const struct rh_journal *j, uint64_t pos, uint64_t seq)
{
    uint64_t n = j->next_seq > seq ? j->next_seq - seq : 0;

    if (n > 0 && j->pad_pos != UINT64_MAX && j->pad_pos >= pos && j->pad_pos < j->tail_pos)
        n--;
    return n;
}

uint64_t rh_journal_pending(const struct rh_journal *j, int c)
{
    const struct rh_jcursor *cur = &j->hdr->cursors[c];

    return records_from(j, cur->pos, cur->seq);
}

uint64_t rh_journal_oldest_ms(const struct rh_journal *j, int c)
{
    const struct rh_jcursor *cur = &j->hdr->cursors[c];
    uint64_t pos = cur->pos;

    /* The first real entry at or after the cursor (at most one padding entry). */
    for (int i = 0; i < 2 && pos < j->tail_pos; i++) {
        const struct rh_jentry *e = entry_at(j, pos);

        if (e->kind != RH_JKIND_PAD)
            return e->time_ms;
        pos += e->size;
    }
    return 0;
}

uint64_t rh_journal_depth(const struct rh_journal *j)
{
    return records_from(j, j->hdr->head_pos, j->hdr->head_seq);
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
