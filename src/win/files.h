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

/* Writes `path` whole: a temporary file beside it, then an atomic replace. */
bool rh_write_file_atomic(const WCHAR *path, const void *data, size_t len);

/* True for "C:\..." and "\\server\share\..." paths. */
bool rh_path_is_absolute(const WCHAR *p);

#endif /* RH_FILES_H */
