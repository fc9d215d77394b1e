/* SPDX-License-Identifier: MIT */
/* File-system helpers shared by the journal, the file sink and the status file. */
#ifndef RH_FILES_H
#define RH_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

/* Creates every missing folder above `path` (its last component is the file). */
void rh_create_parent_dirs(const WCHAR *path);

/*
 * Creates folder `dir` and its parents; `dir` itself gets an ACL that lets only
 * SYSTEM and Administrators in (inherited by what it holds).
 */
bool rh_create_private_dir(const WCHAR *dir);

/*
 * Creates the folder that holds file `path`, if missing, as rh_create_private_dir
 * does; a folder that exists keeps its ACL. True if the folder exists afterwards.
 */
bool rh_create_private_parent_dir(const WCHAR *path);

/*
 * CreateFileW for `path` with `access`, `share` and `disposition`; a file this
 * creates gets an ACL that gives SYSTEM and Administrators full control and
 * nobody else anything (protected: nothing inherited from the folder). An
 * existing file keeps its ACL. INVALID_HANDLE_VALUE and the last error on failure.
 */
HANDLE rh_open_private_file(const WCHAR *path, DWORD access, DWORD share, DWORD disposition);

/* Writes `path` whole: a temporary file beside it, then an atomic replace. */
bool rh_write_file_atomic(const WCHAR *path, const void *data, size_t len);

/* True for "C:\..." and "\\server\share\..." paths. */
bool rh_path_is_absolute(const WCHAR *p);

#endif /* RH_FILES_H */
