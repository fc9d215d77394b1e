/* SPDX-License-Identifier: MIT */
/*
 * The journal from its file: a new one, an existing one opened and recovered
 * (from the checkpoint if it holds, else from the entries' own sequence
 * numbers and CRCs, across the gaps a power cut leaves), the checkpoint the
 * flusher writes, and the salvage of a journal that cannot be opened.
 */
#include "journal_internal.h"

#include <stdio.h>

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
    memcpy(j->hdr->magic, RH_JOURNAL_MAGIC, sizeof RH_JOURNAL_MAGIC);
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
    if (size == 0 || memcmp(h->magic, RH_JOURNAL_MAGIC, sizeof RH_JOURNAL_MAGIC) != 0 ||
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
    rh_journal_reclaim(j);
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
