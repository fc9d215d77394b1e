/* SPDX-License-Identifier: MIT */
/*
 * The file system as LocalSystem must use it: every folder the service writes
 * in, and every file it opens, renames or deletes there, is checked first, so
 * that no other user can steer SYSTEM's writes elsewhere (trust.h has the rules).
 *
 * - Folders are opened by handle, never through a junction, symbolic link or
 *   mount point anywhere in their path (the path the handle reaches must be the
 *   path asked for; missing components are created one by one, each checked
 *   and held while the next is made), and must be owned by SYSTEM,
 *   Administrators or TrustedInstaller with no write access for anyone else,
 *   in a parent that lets no one else rename or replace them. A folder the
 *   service creates gets a protected DACL for SYSTEM and Administrators only.
 *   Folders on a network share or mapped drive are refused: the file server
 *   follows their links out of our sight.
 * - The service never repairs a folder that fails: it may hold an attacker's
 *   open handles, files or links. It refuses it and says why; `regsvr32`, run
 *   by an administrator, sets an untrusted state folder aside and creates a
 *   new one (rh_dir_make_trusted).
 * - Files are opened without following a link, must be regular files with one
 *   name (no hard link), are never truncated by the open itself, and are
 *   renamed and deleted through the handle that was checked.
 * - Every open asks for SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, so
 *   that a pipe's server may identify SYSTEM but not impersonate it. The pipe
 *   driver honours that only for an open with read or write data access: the
 *   pipe sink opens with FILE_WRITE_DATA (a file sink's file too, to cut a
 *   torn line off its end), and the log, which asks for FILE_APPEND_DATA
 *   alone, is opened in a checked folder, never through a link, so never a
 *   pipe.
 *
 * The `why` texts are English sentence fragments naming the path, for the log
 * and the Event Log.
 */
#ifndef RH_FILES_H
#define RH_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

#define RH_PATH_CHARS 1024 /* the longest path handled, in UTF-16 units with the NUL */

/* The flags every CreateFileW of the service adds: no impersonation by a pipe server. */
#define RH_OPEN_FLAGS (SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION)

/*
 * %ProgramData%\RasHangup, from the known-folder API (or the registry's
 * ProfileList\ProgramData), never from this process's environment and never
 * relative. False if no absolute folder can be had.
 */
bool rh_state_dir(WCHAR *out, size_t out_count);

/*
 * Expands a configured path: %ProgramData% as rh_state_dir finds it, other
 * environment strings from the environment. False (err says why, without a
 * "value X:" prefix) if a string is not defined, the result is too long, or it
 * is not an absolute path ("C:\..." or "\\server\share\..."). An empty path
 * stays empty; a named pipe (\\.\pipe\name) is kept as it is, if its name has
 * no "/", "." or ".." part. A trailing backslash is dropped.
 */
bool rh_path_expand(const WCHAR *raw, WCHAR *out, size_t out_count, char *err, size_t err_size);

/* True for "C:\..." and "\\server\share\..." paths. */
bool rh_path_is_absolute(const WCHAR *p);

/*
 * Opens folder `dir` for the service to write in: creates it (and missing
 * parents) privately if absent, then checks it as above. Returns a handle that
 * keeps it from being renamed or removed while held (no FILE_SHARE_DELETE),
 * or INVALID_HANDLE_VALUE with the reason in why. The last error is kept.
 */
HANDLE rh_dir_open_trusted(const WCHAR *dir, char *why, size_t why_size);

/*
 * The same checks, for an existing folder only: nothing is created. A missing
 * folder (or parent) fails with ERROR_FILE_NOT_FOUND or ERROR_PATH_NOT_FOUND
 * as the last error. For rrashost --check-config.
 */
HANDLE rh_dir_check_trusted(const WCHAR *dir, char *why, size_t why_size);

/*
 * Whether the account this process runs as counts as a trusted owner (it does
 * by default: under RRAS it is LocalSystem). rrashost --check-config, run by
 * an administrator for a service that runs as LocalSystem, turns it off, so
 * that what the administrator owns is judged as the service would judge it.
 */
void rh_fs_trust_self(bool trusted);

/*
 * For the installer: as rh_dir_open_trusted, but an existing folder that
 * fails the checks (and is not merely unreachable) is renamed aside to
 * <dir>.untrusted-<time>-<random> (the link itself, if it is one: nothing it points to
 * is touched) and a new private folder made in its place; `aside` (may be
 * NULL) then says where the old one went. The owner of what it creates is
 * Administrators.
 */
HANDLE rh_dir_make_trusted(const WCHAR *dir, WCHAR *aside, size_t aside_count, char *why,
                           size_t why_size);

/* The folder part of file `path` ("C:\a\b.txt" gives "C:\a"); false if it has none. */
bool rh_path_parent(const WCHAR *path, WCHAR *out, size_t out_count);

/*
 * Opens file `path` in a checked folder, never through a link: `disposition`
 * is OPEN_EXISTING, OPEN_ALWAYS or CREATE_NEW (a truncating open could empty
 * a file before it is checked: truncate after, with SetEndOfFile). A file this
 * creates gets a protected DACL for SYSTEM and Administrators only. The file
 * must be a regular file with one name. INVALID_HANDLE_VALUE on failure, with
 * why and the last error set.
 */
HANDLE rh_file_open_checked(const WCHAR *path, DWORD access, DWORD share, DWORD disposition,
                            char *why, size_t why_size);

/*
 * Checks a named pipe just opened as a client (with READ_CONTROL): a pipe,
 * created by SYSTEM, Administrators or this service's account. Anyone may
 * create a pipe of any free name: a squatter would read every record, or
 * never read and stall the sink. False, with why, otherwise.
 */
bool rh_pipe_check(HANDLE h, const char *path_utf8, char *why, size_t why_size);

/* Renames the file open as `h` (opened with DELETE access) to `to`, in the same folder. */
bool rh_file_rename(HANDLE h, const WCHAR *to, bool replace);

/* Deletes the file open as `h` (opened with DELETE access) when the handle closes. */
bool rh_file_delete(HANDLE h);

/* Opens (OPEN_EXISTING, checked) and deletes `path`; true if it is gone. */
bool rh_file_delete_path(const WCHAR *path, char *why, size_t why_size);

/*
 * Reads file `path` whole (at most `max` bytes, NUL-terminated, malloc'd) as
 * a file whose contents the service trusts (a CA certificate): its folder
 * must exist and pass as a folder the service would write in, and the file
 * must be a regular file with one name, reached without a link, that nobody
 * else may change. NULL otherwise, with *error, and why set when the refusal
 * is ours (empty when the system's error says it).
 */
char *rh_file_read_trusted(const WCHAR *path, size_t max, size_t *len, DWORD *error, char *why,
                           size_t why_size);

/*
 * Writes `path` whole, in a checked folder: a temporary file beside it (checked,
 * then emptied), then an atomic replace.
 */
bool rh_write_file_atomic(const WCHAR *path, const void *data, size_t len);

#endif /* RH_FILES_H */
