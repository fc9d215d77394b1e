/* SPDX-License-Identifier: MIT */
/*
 * The journal's file: <JournalPath>\journal.dat, created at its full size and
 * mapped once, in a folder only SYSTEM and Administrators can read (records name
 * users and addresses); every byte of it allocated on the volume, so that no
 * write through the mapping can fail for want of space. Writes go to the
 * mapping; flushing it to disk is the
 * caller's periodic job (rh_journal_file_flush), which sets the power-loss window.
 */
#ifndef RH_JOURNAL_FILE_H
#define RH_JOURNAL_FILE_H

#include <stdbool.h>
#include <windows.h>

#include "journal.h"

struct rh_journal_file {
    HANDLE file;
    HANDLE mapping;
    void *view;
    ULONGLONG size;
    WCHAR path[MAX_PATH];
    char path_utf8[MAX_PATH * 3];
    /* A damaged journal set aside, mapped read-only until rh_journal_file_salvage_done. */
    HANDLE salvage_mapping;
    const void *salvage_view; /* NULL: nothing to salvage */
    ULONGLONG salvage_size;
    char salvage_path_utf8[MAX_PATH * 3 + 64]; /* its name now: journal.dat.bad-<ms> */
};

/*
 * Opens the journal in `dir` (a folder the caller checked and holds: see
 * rh_dir_open_trusted), or creates one of `size` bytes. Fills *j and *rec.
 *
 * An existing journal is mapped at the size it has: its records are laid out
 * for it (JournalSizeMB applies once it is empty). If it cannot be opened or
 * mapped (another process holds it, access denied, a full disk, no memory), it
 * is left exactly as it is, for the next start to try again: false, with err
 * naming the file and the system's reason.
 *
 * A file that is not a journal of this version and size (rh_journal_open
 * refuses its header) is renamed journal.dat.bad-<ms> through the handle that
 * was checked, reported, and replaced by a new journal; it stays mapped
 * read-only (salvage_view, salvage_size) so that the caller can take its records
 * (rh_journal_salvage) into the journal it ends up using, then must call
 * rh_journal_file_salvage_done. That view may be set even when this returns
 * false (the new journal could not be made).
 *
 * False, with the reason in err, whenever no journal file can be had now.
 */
bool rh_journal_file_open(struct rh_journal_file *f, const WCHAR *dir, ULONGLONG size,
                          struct rh_journal *j, struct rh_journal_recovery *rec, char *err,
                          size_t err_size);
/* Unmaps the set-aside journal (the file stays, for inspection). Safe to call again. */
void rh_journal_file_salvage_done(struct rh_journal_file *f);
/*
 * Writes the mapping's dirty pages (or the header's only) and the file's
 * metadata to disk, and waits until they are there.
 */
void rh_journal_file_flush(struct rh_journal_file *f, bool header_only);
/*
 * Unmaps and closes (the set-aside journal too), without writing: the caller
 * flushes first (a flush can block on a share that stopped answering; closing
 * never does).
 */
void rh_journal_file_close(struct rh_journal_file *f);

#endif /* RH_JOURNAL_FILE_H */
