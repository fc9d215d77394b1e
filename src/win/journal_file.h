/* SPDX-License-Identifier: MIT */
/*
 * The journal's file: <JournalPath>\journal.dat, created at its full size and
 * mapped once, in a folder only SYSTEM and Administrators can read (records name
 * users and addresses). Writes go to the mapping; flushing it to disk is the
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
};

/*
 * Opens the journal in `dir` (a folder the caller checked and holds: see
 * rh_dir_open_trusted), or creates one of `size`
 * bytes. An existing journal keeps its size while it holds records; a journal
 * that is not one (damaged header, another version) is renamed aside, reported,
 * and replaced. Fills *j and *rec. False, with the reason in err, only when no
 * journal can be had at all.
 */
bool rh_journal_file_open(struct rh_journal_file *f, const WCHAR *dir, ULONGLONG size,
                          struct rh_journal *j, struct rh_journal_recovery *rec, char *err,
                          size_t err_size);
/* Writes the mapping's dirty pages and the file's metadata to disk. */
void rh_journal_file_flush(struct rh_journal_file *f);
/*
 * Unmaps and closes, without writing: the caller flushes first (a flush can
 * block on a share that stopped answering; closing never does).
 */
void rh_journal_file_close(struct rh_journal_file *f);

#endif /* RH_JOURNAL_FILE_H */
