/* SPDX-License-Identifier: MIT */
#include "journal_internal.h"

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
RH_HOT void rh_journal_reclaim(struct rh_journal *j)
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
    rh_journal_reclaim(j);
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
        rh_journal_reclaim(j);
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
    rh_journal_reclaim(j);
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
