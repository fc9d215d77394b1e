/* SPDX-License-Identifier: MIT */
/*
 * The journal: RRAS's events, kept until every sink has delivered them.
 *
 * A journal is one region of memory (in the product, a memory-mapped file): a
 * 4 KiB header, then a ring of entries. An entry is a 64-byte header and a
 * payload, padded to 64 bytes, and never wraps: an entry that would cross the
 * end of the ring is preceded by a padding entry. Positions are monotonic byte
 * counts (offset = position mod ring size), so an old position is recognisable.
 *
 * Crash safety: an entry's CRC-32C is written last. After a crash, opening the
 * journal walks from the oldest retained entry and stops at the first entry whose
 * magic, position, sequence or CRC is wrong: a torn tail is found and skipped, and
 * every entry completely written before it survives. Each sink's cursor (the next
 * position it must deliver) lives in the header, so delivery is at-least-once.
 *
 * Concurrency. One appender at a time: the caller serializes the calls marked
 * APPENDER below (in the product, RRAS's callbacks and the control thread at
 * start and reconfiguration, under a lock no reader takes). Each cursor has one
 * owner at a time, which alone moves it (the calls marked OWNER; in the product,
 * the sink's worker). Everything else is a READER call, which any thread may make
 * at any time, concurrently with the appender, owners and other readers, without
 * a lock:
 *  - The appender publishes the head and the tail under a sequence counter
 *    (seqlock): a reader retries a snapshot that changed while it was taken, and
 *    never makes the appender wait.
 *  - An entry is written before the tail that covers it is published (release),
 *    and the head moves past an entry before its space is written again. A reader
 *    copies an entry, then checks that the head has not passed it: an entry
 *    dropped (RH_J_DROP_OLDEST) while it was copied is reported (RH_J_OVERTAKEN),
 *    never returned torn. Every copy is also checked whole (sequence, position,
 *    CRC), so damage is found at reading, not trusted.
 *  - The appender never writes a cursor's place; it reads cursors' positions to
 *    reclaim space, and counts drops in their `dropped`. A cursor the head has
 *    passed (its records dropped) reads as being at the head.
 * No call does I/O, allocates or waits; appends and reads copy at most one entry
 * (rh_journal_open and rh_journal_salvage are bounded walks).
 */
#ifndef RH_JOURNAL_H
#define RH_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_JOURNAL_HEADER_SIZE 4096u
#define RH_JOURNAL_ALIGN       64u
#define RH_JOURNAL_CURSORS     16
#define RH_JOURNAL_NAME_SIZE   64
#define RH_JOURNAL_VERSION     1u
/* The largest payload an entry holds (the legacy set, packed, is well below). */
#define RH_JOURNAL_MAX_PAYLOAD 8192u
/* The smallest ring: room for a few of the largest entries. */
#define RH_JOURNAL_MIN_DATA (16u * (RH_JOURNAL_MAX_PAYLOAD + 2 * RH_JOURNAL_ALIGN))

enum rh_jkind {
    RH_JKIND_PAD = 0,           /* filler up to the end of the ring */
    RH_JKIND_HANGUP_EX = 1,     /* a RAS_CONNECTION_EX, packed */
    RH_JKIND_HANGUP_LEGACY = 2, /* the RAS_CONNECTION_0..3 set, packed (payload.h) */
    RH_JKIND_ACCEPT_EX = 3,     /* a new connection, RAS_CONNECTION_EX packed as for a hangup */
    RH_JKIND_ACCEPT_LEGACY = 4, /* a new connection, the legacy set packed as for a hangup */
    RH_JKIND_SERVICE_START = 5, /* the DLL was initialized; no payload, or flags (payload.h) */
    RH_JKIND_SERVICE_STOP = 6,  /* the DLL was terminated; no payload, or flags (payload.h) */
};

/* Entry header, in the ring. */
struct rh_jentry {
    uint32_t magic; /* RH_JENTRY_MAGIC */
    uint32_t size;  /* of the whole entry, a multiple of 64 */
    uint64_t seq;   /* 1, 2, 3...: gap-free over the journal's life */
    uint64_t pos;   /* the entry's own position: a stale or misplaced copy shows */
    uint64_t time_ms;
    uint8_t record_id[16];
    uint16_t kind; /* enum rh_jkind */
    uint16_t reserved0;
    uint32_t payload_len;
    uint32_t crc; /* CRC-32C of this header with crc = 0, then the payload */
    uint32_t reserved1;
};
#define RH_JENTRY_MAGIC 0x454A4852u /* "RHJE" */

/*
 * A sink's place in the journal, in the header. The owner writes pos, seq and
 * delivered inside `gen` (odd while it writes), so that others read them whole;
 * the appender alone writes `dropped`.
 */
struct rh_jcursor {
    char name[RH_JOURNAL_NAME_SIZE]; /* the sink's name; "" for a free slot */
    _Atomic uint64_t pos;            /* the next position to deliver */
    _Atomic uint64_t seq;            /* the sequence number expected there */
    _Atomic uint64_t delivered;      /* over the journal's life */
    _Atomic uint64_t dropped;        /* records dropped before this sink had them */
    _Atomic uint64_t gen;            /* the owner's sequence counter (any value on disk) */
    uint64_t reserved[3];
};

/* The first RH_JOURNAL_HEADER_SIZE bytes of a journal. */
struct rh_jheader {
    char magic[8]; /* "RHJRNL1\0" */
    uint32_t version;
    uint32_t header_size;
    uint64_t data_size;        /* bytes of ring after the header */
    _Atomic uint64_t head_pos; /* the oldest retained entry */
    _Atomic uint64_t head_seq;
    _Atomic uint64_t dropped; /* entries dropped to make room, over the journal's life */
    uint64_t created_ms;
    /*
     * The checkpoint: where the tail was when everything before it last reached
     * the disk (rh_journal_checkpoint). A hint that opening checks against the
     * entries, so that it need not walk them all; 0 in hint_seq: none.
     */
    uint64_t hint_tail_pos;
    uint64_t hint_seq;      /* the sequence number at hint_tail_pos */
    uint64_t hint_last_pos; /* the entry that ends at hint_tail_pos */
    uint64_t hint_pad_pos;  /* the last padding entry before it; UINT64_MAX: none */
    uint64_t reserved[4];
    struct rh_jcursor cursors[RH_JOURNAL_CURSORS];
};

struct rh_journal {
    struct rh_jheader *hdr;
    uint8_t *ring;
    uint64_t size; /* ring bytes */
    /* Written by the appender inside `gen` (with the header's head_pos and head_seq). */
    _Atomic uint32_t gen;
    _Atomic uint64_t tail_pos; /* where the next entry goes */
    _Atomic uint64_t next_seq;
    _Atomic uint64_t pad_pos;  /* the last padding entry written or found; UINT64_MAX: none */
    _Atomic uint64_t last_pos; /* the last entry written or found; UINT64_MAX: none */
};

/* A consistent view of the journal's extent, taken without a lock (rh_journal_snapshot). */
struct rh_jsnap {
    uint64_t head_pos, head_seq;
    uint64_t tail_pos, next_seq;
    uint64_t pad_pos, last_pos;
};

enum rh_journal_status {
    RH_J_OK = 0,
    RH_J_EMPTY,      /* read: nothing at the cursor yet */
    RH_J_FULL,       /* append, fail-closed: no room without dropping */
    RH_J_TOO_LARGE,  /* append: the payload exceeds RH_JOURNAL_MAX_PAYLOAD */
    RH_J_BAD_HEADER, /* open: not a journal, another version, or another size */
    RH_J_NO_CURSOR,  /* every cursor slot is taken */
    RH_J_CORRUPT,    /* read: an entry inside the retained range fails its checks */
    RH_J_OVERTAKEN,  /* read: the entry was dropped (RH_J_DROP_OLDEST) before or while read */
    RH_J_BUSY,       /* snapshot: the appender kept changing it; try again later */
};

enum rh_journal_policy {
    RH_J_DROP_OLDEST, /* make room by dropping the oldest entries (counted) */
    RH_J_FAIL,        /* never drop: RH_J_FULL */
};

/* What opening found. */
struct rh_journal_recovery {
    uint64_t entries;       /* valid entries retained */
    bool torn;              /* an invalid entry ended the walk before the ring did */
    uint64_t torn_pos;      /* where */
    uint64_t cursors_reset; /* cursors that named no entry (damage, tampering): set to the head */
    bool head_recovered;    /* the header's head named no entry (it reached the disk older than
                               the ring): the head was found from the entries themselves */
    bool from_checkpoint;   /* the checkpoint held: only entries after it were walked */
    uint64_t walked;        /* entries walked (and CRC-checked) to find the tail */
};

/* The ring size that `total` bytes of region give (0 if too small). */
uint64_t rh_journal_data_size(uint64_t total);

/* Formats a new journal over `total` bytes at base (contents are overwritten). */
enum rh_journal_status rh_journal_create(struct rh_journal *j, void *base, uint64_t total,
                                         uint64_t now_ms);

/*
 * Opens an existing journal (before any other call: no concurrency). Every
 * value of the header is checked before use. The tail is found from the
 * checkpoint when it holds (the entry it names ends where it says, with the
 * sequence number it says), then by walking on while entries are valid: work
 * proportional to what was written since the last checkpoint, not to the
 * backlog; entries before it are checked when read. Without a checkpoint that
 * holds, the walk starts at the head, which is found from the entries
 * themselves if the header's names none (a header that reached the disk older
 * than the ring). A cursor counts only where it names a valid entry (position
 * and sequence), or the tail; one the head has passed is moved to it (its
 * records were dropped); any other is set to the head (rec->cursors_reset).
 * The checkpoint is used once: open clears it, and the caller writes the next
 * (rh_journal_checkpoint_begin/end around flushing the ring) soon after.
 */
enum rh_journal_status rh_journal_open(struct rh_journal *j, void *base, uint64_t total,
                                       struct rh_journal_recovery *rec);

/*
 * APPENDER. Appends one entry. When room is short (and every 64th append, so
 * that the head follows), room is first reclaimed from what every cursor has
 * passed. Under RH_J_DROP_OLDEST, more room is made by dropping the oldest
 * entries; *dropped (if given) counts them, as do the `dropped` of the cursors
 * that had not passed them.
 */
enum rh_journal_status rh_journal_append(struct rh_journal *j, enum rh_jkind kind, uint64_t time_ms,
                                         const uint8_t record_id[16], const void *payload,
                                         uint32_t len, enum rh_journal_policy policy,
                                         uint64_t *dropped);

/* The bytes an entry with a payload of `len` takes, or 0 if it is too large. */
uint64_t rh_journal_entry_size(uint32_t len);
/* READER. Free bytes in the ring (an entry may also need padding at the end). */
uint64_t rh_journal_free(const struct rh_journal *j);
/* APPENDER. True if `count` entries of `len` fit now without dropping anything. */
bool rh_journal_fits(struct rh_journal *j, uint32_t len, uint64_t count);

/*
 * APPENDER. Finds (or, with `create`, makes at the tail) the cursor called
 * `name`. Returns its index, or -1 (RH_J_NO_CURSOR) when none is free.
 */
int rh_journal_cursor(struct rh_journal *j, const char *name, bool create);
/*
 * APPENDER. Frees every cursor whose name is not in names[0..n): sinks no longer
 * configured. No owner may be using those.
 */
void rh_journal_keep_cursors(struct rh_journal *j, const char *const *names, size_t n);

/*
 * READER. A consistent snapshot of the head and tail; RH_J_BUSY (rare: the
 * appender changed them on every try) leaves *s as it was.
 */
enum rh_journal_status rh_journal_snapshot(const struct rh_journal *j, struct rh_jsnap *s);

/* A cursor as others see it: read whole, and at the head if the head has passed it. */
struct rh_jcursor_view {
    uint64_t pos, seq;
    uint64_t delivered, dropped;
    uint64_t pending;   /* records (padding left out) from pos to the tail */
    uint64_t oldest_ms; /* the time of the first of them; 0: none */
};
/* READER. RH_J_BUSY as rh_journal_snapshot. */
enum rh_journal_status rh_journal_cursor_view(const struct rh_journal *j, int c,
                                              struct rh_jcursor_view *v);

/*
 * OWNER. Reads the entry at cursor `c`: its header into *e and its payload into
 * buf[0..cap). Padding is skipped, and a cursor the head has passed moves to it.
 * RH_J_EMPTY when the cursor is at the tail. The cursor does not move otherwise:
 * call rh_journal_advance after delivering.
 */
enum rh_journal_status rh_journal_read(struct rh_journal *j, int c, struct rh_jentry *e, void *buf,
                                       size_t cap);

/* OWNER. Moves cursor `c` past the entry *e that rh_journal_read returned. */
void rh_journal_advance(struct rh_journal *j, int c, const struct rh_jentry *e);

/*
 * Reading ahead of a cursor, for batches: a position and sequence, starting
 * where the cursor is (rh_journal_ahead_start: at the head if the head passed
 * it), read entry by entry (rh_journal_read_ahead, which skips padding like
 * rh_journal_read), then the cursor moved over what was delivered
 * (rh_journal_move_cursor). RH_J_OVERTAKEN from rh_journal_read_ahead: the head
 * passed the place (the entries were dropped); start again from the cursor.
 * RH_J_CORRUPT: the entry there fails its checks (damage or tampering);
 * rh_journal_skip_damage moves past it.
 */
struct rh_jahead {
    uint64_t start_pos, start_seq; /* the cursor when the reading began */
    uint64_t pos, seq;             /* the next entry to read */
    uint64_t scan;                 /* rh_journal_skip_damage's place, between calls; 0: none */
};
/* OWNER (or READER, with a cursor no one owns). */
void rh_journal_ahead_start(const struct rh_journal *j, int c, struct rh_jahead *a);
/* READER. */
enum rh_journal_status rh_journal_read_ahead(const struct rh_journal *j, struct rh_jahead *a,
                                             struct rh_jentry *e, void *buf, size_t cap);
/*
 * READER. After RH_J_CORRUPT at a->pos: finds the next valid entry after it
 * (its own position and a later sequence number, CRC checked, its payload
 * copied into buf[0..cap) to be checked) and moves *a there, or to the tail if
 * there is none; returns the entries passed over. The work of one call is
 * bounded (a hostile file could make every place look like an entry): when it
 * is spent, 0 is returned and *a notes where it stopped; the next read says
 * RH_J_CORRUPT again, and the next call goes on from there.
 */
uint64_t rh_journal_skip_damage(const struct rh_journal *j, struct rh_jahead *a, void *buf,
                                size_t cap);

/*
 * OWNER. Moves cursor `c` forward to (pos, seq): an entry boundary read ahead of
 * it (a rh_jahead's pos and seq after a read), counting `delivered` records.
 * Nothing if the cursor is already there or past it, or if the place is not
 * between the cursor and the tail.
 */
void rh_journal_move_cursor(struct rh_journal *j, int c, uint64_t pos, uint64_t seq,
                            uint64_t delivered);

/* READER. Records (padding left out) not yet delivered to cursor `c`, and the time of the oldest (0
 * if none). */
uint64_t rh_journal_pending(const struct rh_journal *j, int c);
uint64_t rh_journal_oldest_ms(const struct rh_journal *j, int c);
/* READER. Records retained (from the head to the tail; padding left out). */
uint64_t rh_journal_depth(const struct rh_journal *j);

/*
 * READER, and one thread at a time. The checkpoint, in two steps around making
 * the ring durable: rh_journal_checkpoint_begin takes the snapshot the ring is
 * then written for, into *ck (which the caller keeps from one checkpoint to the
 * next, zeroed at first), and says whether anything changed since the last one
 * (the tail, the head or a cursor); once the ring has reached the disk,
 * rh_journal_checkpoint_end writes it into the header, which is written next.
 * A header on disk thus never names a tail whose entries were not there before.
 */
struct rh_jcheckpoint {
    struct rh_jsnap snap;
    uint64_t marks[RH_JOURNAL_CURSORS];
    bool valid;
};
bool rh_journal_checkpoint_begin(const struct rh_journal *j, struct rh_jcheckpoint *ck);
void rh_journal_checkpoint_end(struct rh_journal *j, const struct rh_jcheckpoint *ck);

/* What rh_journal_salvage found in the old journal and did with it. */
struct rh_journal_salvage_report {
    uint64_t ring_size;  /* the old ring size its entries were checked against; 0: none */
    uint64_t candidates; /* places in the old ring that begin with an entry's magic */
    uint64_t invalid;    /* of those, entries that fail a check: torn, damaged or tampered */
    uint64_t stale;      /* valid records not taken: older than the last lap, or a copy */
    uint64_t salvaged;   /* records appended to the new journal (the return value) */
    uint64_t dropped;    /* entries the new journal dropped to make room (RH_J_DROP_OLDEST) */
    uint64_t lost;       /* records the new journal had no room for (RH_J_FAIL) */
    uint64_t unchecked;  /* checks not made (by any walk): the work allowed (below) was spent */
};

/*
 * APPENDER (into dst). Copies the records of an old journal that rh_journal_open refuses (a damaged
 * header, or a size that is not the header's) into `dst`, oldest first, each
 * with its kind, time, record id and payload; dst numbers them anew (sinks
 * deduplicate on the record id). Appending follows `policy`, so a sink sees
 * them only if its cursor in dst was made before (cursors start at the tail).
 *
 * old_base[0..old_total) is only read, may hold anything (a fuzzer feeds it),
 * and must not overlap dst. Its ring size is the header's or the one
 * rh_journal_data_size(old_total) gives, whichever more entries agree with.
 * An entry counts only where every check passes at its 64-byte-aligned place:
 * magic, size, its position modulo the ring size being that place, its kind,
 * its payload length, and its CRC-32C. The newest of them marks the old tail;
 * the places of the lap before it are then walked once, in position order,
 * stepping over each entry taken (so a copy inside padding or a payload is never
 * read as an entry), and a record is taken only if its sequence number is after
 * the last one taken. Records that were delivered before the damage come again:
 * the cursors that said so were in the header.
 *
 * No allocation and no I/O. At most three walks over the old ring, each
 * checking at most one entry per 64 bytes: for a real journal about one CRC of
 * the ring per walk. The CRC checks of the whole salvage read at most four
 * times old_total (a hostile file could otherwise ask for RH_JOURNAL_MAX_PAYLOAD
 * bytes per 64); places left when that is spent are counted `unchecked`, and
 * are not taken. Returns the number of records appended; `out` (may be NULL)
 * receives the counts.
 */
uint64_t rh_journal_salvage(const void *old_base, uint64_t old_total, struct rh_journal *dst,
                            enum rh_journal_policy policy, struct rh_journal_salvage_report *out);

/* CRC-32C (Castagnoli), as iSCSI and ext4 use it: the SSE 4.2 instruction where there is one. */
uint32_t rh_crc32c(uint32_t crc, const void *data, size_t len);
/* The same from tables alone (the path of processors without the instruction; for tests). */
uint32_t rh_crc32c_tables(uint32_t crc, const void *data, size_t len);

/*
 * Zero suppression for payloads: RRAS's structures are mostly zero (long string
 * arrays, mostly empty). Packed: a bitmap of the non-zero 8-byte words, then those
 * words, then the tail bytes. rh_pack returns the packed length (0 if `cap` is
 * too small); rh_unpack returns the unpacked length, or 0 if `packed` is not one.
 */
size_t rh_pack(const void *src, size_t len, void *dst, size_t cap);
/*
 * rh_pack of `len` bytes of which only the first `readable` are read from src;
 * the rest count as zero. The same bytes as rh_pack over a zero-filled copy,
 * without the copy.
 */
size_t rh_pack_prefix(const void *src, size_t readable, size_t len, void *dst, size_t cap);
size_t rh_unpack(const void *packed, size_t packed_len, void *dst, size_t cap);
/* The most bytes rh_pack can produce for `len` bytes. */
#define RH_PACK_BOUND(len) (4 + ((len) / 8 + 7) / 8 + (len))

#endif /* RH_JOURNAL_H */
