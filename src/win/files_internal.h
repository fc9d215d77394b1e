/* SPDX-License-Identifier: MIT */
/*
 * Shared by the file-system files: files.c (folders and files opened, made,
 * renamed and deleted), fs_check.c (what an open handle is, judged by
 * trust.h) and paths.c (paths and their expansion).
 */
#ifndef RH_FILES_INTERNAL_H
#define RH_FILES_INTERNAL_H

#include "files.h"

/* paths.c: a path as UTF-8 for a message ("(a path not shown)" if it cannot be). */
void rh_utf8_of(const WCHAR *w, char *out, size_t out_size);

/*
 * fs_check.c: checks the object open as `h` (at `path`): a folder, or a file.
 * Fills why on failure. `security`: read and judge its owner and DACL too.
 */
bool rh_check_handle(HANDLE h, const WCHAR *path, bool want_directory, bool security, char *why,
                     size_t why_size);

/* The parent of folder `dir`, open as `parent`, must not let others rename or replace it. */
bool rh_check_parent(HANDLE parent, const WCHAR *dir, char *why, size_t why_size);

/* Whether the folder open as `h` (at `path`) is a plain folder: not a link, reached as named. */
bool rh_is_plain_dir(HANDLE h, const WCHAR *path);

/* Whether folders may be made in the folder open as `h`: its owner and DACL pass as a parent. */
bool rh_may_create_in(HANDLE h);

#endif /* RH_FILES_INTERNAL_H */
