/* SPDX-License-Identifier: MIT */
#include "files_internal.h"

#include <sddl.h>
#include <bcrypt.h>
#include <stdint.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "text.h"

/* Full control for SYSTEM and Administrators, inherited; nothing for anyone else. */
#define PRIVATE_DIR_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
/* The same, owned by Administrators: what the installer makes. */
#define PRIVATE_DIR_ADMIN_SDDL L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
/* The same for a file: protected, so the folder's inheritable entries do not apply. */
#define PRIVATE_FILE_SDDL L"D:P(A;;FA;;;SY)(A;;FA;;;BA)"

static bool is_unc(const WCHAR *p)
{
    return (p[0] == L'\\' || p[0] == L'/') && (p[1] == L'\\' || p[1] == L'/');
}

/*
 * "C:\\...": the only folders the service writes in. Not a share (the file
 * server resolves its links, out of our sight), a device or a verbatim path.
 */
static bool is_drive_path(const WCHAR *p)
{
    return rh_path_is_absolute(p) && !is_unc(p);
}

/* A drive letter mapped to a share. */
static bool is_remote_drive(const WCHAR *p)
{
    WCHAR root[4] = {p[0], L':', L'\\', L'\0'};

    return GetDriveTypeW(root) == DRIVE_REMOTE;
}

static bool make_sa(SECURITY_ATTRIBUTES *sa, const WCHAR *sddl)
{
    sa->nLength = sizeof *sa;
    sa->bInheritHandle = FALSE;
    sa->lpSecurityDescriptor = NULL;
    return ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
                                                                &sa->lpSecurityDescriptor, NULL);
}

#ifndef STATUS_OBJECT_NAME_NOT_FOUND
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#endif
#ifndef STATUS_OBJECT_NAME_COLLISION
#define STATUS_OBJECT_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#endif
#ifndef STATUS_INVALID_OWNER
#define STATUS_INVALID_OWNER ((NTSTATUS)0xC000005AL)
#endif

/* A folder's parent lets others rename or replace what it holds: nothing is made in it. */
#define ERROR_PARENT_UNTRUSTED ERROR_INVALID_OWNER

/*
 * Opens (or, with `create`, makes privately) the folder `name` (one component,
 * `len` characters) in the folder open as `parent`: relative to that handle,
 * so no link above it is ever followed again, and without following `name`
 * itself if it is a link (the link is opened, and then refused). `share`:
 * what others may do meanwhile. INVALID_HANDLE_VALUE and *st on failure.
 */
static HANDLE open_child_dir(HANDLE parent, const WCHAR *name, size_t len, bool create,
                             bool admin_owner, DWORD share, NTSTATUS *st)
{
    SECURITY_QUALITY_OF_SERVICE qos = {sizeof qos, SecurityIdentification, SECURITY_STATIC_TRACKING,
                                       FALSE};
    PSECURITY_DESCRIPTOR sd = NULL;
    UNICODE_STRING us;
    OBJECT_ATTRIBUTES oa;
    IO_STATUS_BLOCK io;
    HANDLE h = NULL;

    us.Length = us.MaximumLength = (USHORT)(len * sizeof(WCHAR));
    us.Buffer = (PWSTR)(uintptr_t)name;
    if (create &&
        !ConvertStringSecurityDescriptorToSecurityDescriptorW(
            admin_owner ? PRIVATE_DIR_ADMIN_SDDL : PRIVATE_DIR_SDDL, SDDL_REVISION_1, &sd, NULL)) {
        *st = (NTSTATUS)0xC0000017L; /* STATUS_NO_MEMORY */
        return INVALID_HANDLE_VALUE;
    }
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, parent, sd);
    oa.SecurityQualityOfService = &qos;
    *st = NtCreateFile(&h, FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE, &oa, &io, NULL,
                       FILE_ATTRIBUTE_DIRECTORY, share, create ? FILE_CREATE : FILE_OPEN,
                       FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT |
                           FILE_OPEN_REPARSE_POINT | FILE_OPEN_FOR_BACKUP_INTENT,
                       NULL, 0);
    LocalFree(sd);
    if (create && admin_owner && *st == STATUS_INVALID_OWNER)
        return open_child_dir(parent, name, len, true, false, share, st); /* not allowed BA */
    return NT_SUCCESS(*st) ? h : INVALID_HANDLE_VALUE;
}

/*
 * Walks normalized path `dir` ("C:\..." ) from its volume's root, one component
 * at a time and each relative to the one before (held open meanwhile), making
 * missing ones privately (with `create`), but only in a folder that passes as
 * a parent. Each
 * must be a plain folder. Returns the last one, held without
 * FILE_SHARE_DELETE (nobody can rename or replace it while held), and in
 * *parent the one above it (INVALID_HANDLE_VALUE for a volume's root). On
 * failure: INVALID_HANDLE_VALUE, `stop` is the component, and the last error
 * says why (ERROR_BAD_PATHNAME: not a plain folder; ERROR_PARENT_UNTRUSTED:
 * missing, in a folder others control).
 */
static HANDLE walk_dirs(const WCHAR *dir, bool create, bool admin_owner, HANDLE *parent,
                        WCHAR *stop)
{
    WCHAR root[4] = {dir[0], L':', L'\\', L'\0'};
    size_t len = wcslen(dir), at = 3;
    DWORD err = ERROR_SUCCESS;
    HANDLE held;

    *parent = INVALID_HANDLE_VALUE;
    held = CreateFileW(root, FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                       FILE_FLAG_BACKUP_SEMANTICS | RH_OPEN_FLAGS, NULL);
    if (held == INVALID_HANDLE_VALUE) {
        err = GetLastError();
        wcscpy_s(stop, RH_PATH_CHARS, root);
    }
    while (err == ERROR_SUCCESS && at < len) {
        size_t n = wcscspn(dir + at, L"\\");
        bool last = at + n >= len;
        DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | (last ? 0 : FILE_SHARE_DELETE);
        NTSTATUS st;
        HANDLE h = open_child_dir(held, dir + at, n, false, admin_owner, share, &st);

        wcsncpy_s(stop, RH_PATH_CHARS, dir, at + n);
        if (h == INVALID_HANDLE_VALUE && st == STATUS_OBJECT_NAME_NOT_FOUND && create) {
            if (!rh_may_create_in(held)) {
                err = ERROR_PARENT_UNTRUSTED;
            } else {
                h = open_child_dir(held, dir + at, n, true, admin_owner, share, &st);
                if (h == INVALID_HANDLE_VALUE && st == STATUS_OBJECT_NAME_COLLISION)
                    h = open_child_dir(held, dir + at, n, false, admin_owner, share, &st);
            }
        }
        if (err == ERROR_SUCCESS && h == INVALID_HANDLE_VALUE)
            err = RtlNtStatusToDosError(st);
        else if (h != INVALID_HANDLE_VALUE && !rh_is_plain_dir(h, stop))
            err = ERROR_BAD_PATHNAME;
        if (err != ERROR_SUCCESS && h != INVALID_HANDLE_VALUE) {
            CloseHandle(h);
            h = INVALID_HANDLE_VALUE;
        }
        if (*parent != INVALID_HANDLE_VALUE)
            CloseHandle(*parent);
        *parent = held;
        held = h;
        at += n + 1;
    }
    if (err == ERROR_SUCCESS)
        return held;
    if (*parent != INVALID_HANDLE_VALUE)
        CloseHandle(*parent);
    *parent = INVALID_HANDLE_VALUE;
    if (held != INVALID_HANDLE_VALUE)
        CloseHandle(held);
    SetLastError(err);
    return INVALID_HANDLE_VALUE;
}

/* What open_dir found wrong, if anything. */
enum dir_fault {
    DIR_OK,
    DIR_UNREACHABLE,    /* cannot be opened or made: missing volume, I/O error, denied */
    DIR_UNTRUSTED,      /* the folder itself fails the checks (a link, another owner, open ACL) */
    DIR_PATH_UNTRUSTED, /* a folder above it does (a link, or a parent others control) */
};

/* Opens folder `dir` as rh_dir_open_trusted does, saying in *fault what is wrong. */
static HANDLE open_dir(const WCHAR *dir, bool create, bool admin_owner, enum dir_fault *fault,
                       char *why, size_t why_size)
{
    WCHAR norm[RH_PATH_CHARS], stop[RH_PATH_CHARS];
    char where[RH_PATH_CHARS * 3], part[RH_PATH_CHARS * 3], text[256];
    DWORD n, err;
    HANDLE h, parent;

    *fault = DIR_UNREACHABLE;
    rh_utf8_of(dir, where, sizeof where);
    n = GetFullPathNameW(dir, RH_PATH_CHARS, norm, NULL);
    if (!is_drive_path(dir) || n == 0 || n >= RH_PATH_CHARS || is_remote_drive(norm)) {
        *fault = DIR_PATH_UNTRUSTED; /* refused by us, for the reason given */
        rh_set_err(why, why_size,
                   is_unc(dir) ? "folder %s is on a network share or a device: its "
                                 "links and owners cannot be checked from here; use a "
                                 "local folder"
                   : is_drive_path(dir) && n > 0 && n < RH_PATH_CHARS
                       ? "folder %s is on a network drive: its links and owners cannot be checked "
                         "from here; use a local folder"
                       : "folder %s is not an absolute path",
                   where);
        SetLastError(ERROR_BAD_PATHNAME);
        return INVALID_HANDLE_VALUE;
    }
    while (n > 3 && norm[n - 1] == L'\\')
        norm[--n] = L'\0';
    h = walk_dirs(norm, create, admin_owner, &parent, stop);
    if (h == INVALID_HANDLE_VALUE) {
        err = GetLastError();
        rh_utf8_of(stop, part, sizeof part);
        if (err == ERROR_BAD_PATHNAME) {
            HANDLE probe;

            /* A link, or not a folder: say what it is and where it leads. */
            *fault = wcscmp(stop, norm) == 0 ? DIR_UNTRUSTED : DIR_PATH_UNTRUSTED;
            probe = CreateFileW(
                stop, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                NULL, OPEN_EXISTING,
                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT | RH_OPEN_FLAGS, NULL);
            if (probe == INVALID_HANDLE_VALUE ||
                rh_check_handle(probe, stop, true, false, why, why_size))
                rh_set_err(why, why_size, "folder %s: %s is not a plain folder; it is not used",
                           where, part);
            if (probe != INVALID_HANDLE_VALUE)
                CloseHandle(probe);
            SetLastError(ERROR_ACCESS_DENIED);
            return INVALID_HANDLE_VALUE;
        }
        if (err == ERROR_PARENT_UNTRUSTED) {
            *fault = DIR_PATH_UNTRUSTED;
            rh_set_err(why, why_size,
                       "folder %s: %s would be made in a folder that users other than SYSTEM "
                       "and Administrators control; it is not used",
                       where, part);
            SetLastError(ERROR_ACCESS_DENIED);
            return INVALID_HANDLE_VALUE;
        }
        if (err == ERROR_FILE_NOT_FOUND)
            err = ERROR_PATH_NOT_FOUND; /* for what goes in it: the path is not there */
        rh_win32_error_text(err, text, sizeof text);
        if (wcscmp(stop, norm) == 0)
            rh_set_err(why, why_size, "cannot open or create folder %s: %s", where, text);
        else
            rh_set_err(why, why_size, "cannot open or create folder %s (at %s): %s", where, part,
                       text);
        SetLastError(err);
        return INVALID_HANDLE_VALUE;
    }
    if (!rh_check_handle(h, norm, true, true, why, why_size)) {
        *fault = DIR_UNTRUSTED;
    } else if (parent != INVALID_HANDLE_VALUE && !rh_check_parent(parent, norm, why, why_size)) {
        *fault = DIR_PATH_UNTRUSTED;
    } else {
        *fault = DIR_OK;
    }
    if (parent != INVALID_HANDLE_VALUE)
        CloseHandle(parent);
    if (*fault != DIR_OK) {
        CloseHandle(h);
        SetLastError(ERROR_ACCESS_DENIED);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

HANDLE rh_dir_open_trusted(const WCHAR *dir, char *why, size_t why_size)
{
    enum dir_fault fault;

    return open_dir(dir, true, false, &fault, why, why_size);
}

HANDLE rh_dir_check_trusted(const WCHAR *dir, char *why, size_t why_size)
{
    enum dir_fault fault;

    return open_dir(dir, false, false, &fault, why, why_size);
}

/*
 * Renames folder `dir` aside to a name no one can guess ahead: through a
 * handle opened on the name itself (a link is renamed, never what it points to).
 */
static bool set_aside(const WCHAR *dir, WCHAR *to, size_t to_count)
{
    SYSTEMTIME st;
    uint32_t nonce = 0;
    HANDLE h;
    bool ok;
    int n;

    GetSystemTime(&st);
    if (!BCRYPT_SUCCESS(
            BCryptGenRandom(NULL, (PUCHAR)&nonce, sizeof nonce, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
        nonce = GetTickCount() ^ GetCurrentProcessId();
    n = _snwprintf(to, to_count, L"%ls.untrusted-%04u%02u%02uT%02u%02u%02uZ-%08lx", dir, st.wYear,
                   st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond, (unsigned long)nonce);
    if (n < 0 || (size_t)n >= to_count)
        return false;
    h = CreateFileW(dir, DELETE | SYNCHRONIZE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT | RH_OPEN_FLAGS,
                    NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    ok = rh_file_rename(h, to, false);
    CloseHandle(h);
    return ok;
}

HANDLE rh_dir_make_trusted(const WCHAR *dir, WCHAR *aside, size_t aside_count, char *why,
                           size_t why_size)
{
    WCHAR to[RH_PATH_CHARS + 48];
    enum dir_fault fault;
    HANDLE h = INVALID_HANDLE_VALUE;

    if (aside != NULL && aside_count > 0)
        aside[0] = L'\0';
    /* A few times: whoever made the old one may make another at once, in C:\ProgramData. */
    for (int attempt = 0; attempt < 3; attempt++) {
        h = open_dir(dir, true, true, &fault, why, why_size);
        /* Only the folder itself is set aside: never one that is fine under a bad path. */
        if (h != INVALID_HANDLE_VALUE || fault != DIR_UNTRUSTED)
            return h;
        if (!set_aside(dir, to, RH_PATH_CHARS + 48))
            return INVALID_HANDLE_VALUE; /* why still says what is wrong with it */
        if (aside != NULL)
            wcsncpy_s(aside, aside_count, to, _TRUNCATE);
    }
    return INVALID_HANDLE_VALUE;
}

HANDLE rh_file_open_checked(const WCHAR *path, DWORD access, DWORD share, DWORD disposition,
                            char *why, size_t why_size)
{
    SECURITY_ATTRIBUTES sa;
    char where[RH_PATH_CHARS * 3], text[256];
    HANDLE h;
    DWORD err;

    if (disposition != OPEN_EXISTING && disposition != OPEN_ALWAYS && disposition != CREATE_NEW) {
        rh_set_err(why, why_size, "internal error: a truncating open");
        SetLastError(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (!make_sa(&sa, PRIVATE_FILE_SDDL))
        return INVALID_HANDLE_VALUE;
    h = CreateFileW(path, access | FILE_READ_ATTRIBUTES, share, &sa, disposition,
                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT | RH_OPEN_FLAGS, NULL);
    err = GetLastError();
    LocalFree(sa.lpSecurityDescriptor);
    if (h == INVALID_HANDLE_VALUE) {
        rh_utf8_of(path, where, sizeof where);
        rh_win32_error_text(err, text, sizeof text);
        rh_set_err(why, why_size, "cannot open file %s: %s", where, text);
        SetLastError(err);
        return INVALID_HANDLE_VALUE;
    }
    if (!rh_check_handle(h, path, false, false, why, why_size)) {
        CloseHandle(h);
        SetLastError(ERROR_ACCESS_DENIED);
        return INVALID_HANDLE_VALUE;
    }
    SetLastError(err);
    return h;
}

bool rh_file_rename(HANDLE h, const WCHAR *to, bool replace)
{
    size_t len = wcslen(to);
    size_t size = offsetof(FILE_RENAME_INFO, FileName) + (len + 1) * sizeof(WCHAR);
    FILE_RENAME_INFO *info = len < RH_PATH_CHARS ? calloc(1, size) : NULL;
    bool ok;

    if (info == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return false;
    }
    info->ReplaceIfExists = replace ? TRUE : FALSE;
    info->RootDirectory = NULL;
    info->FileNameLength = (DWORD)(len * sizeof(WCHAR));
    memcpy(info->FileName, to, (len + 1) * sizeof(WCHAR));
    ok = SetFileInformationByHandle(h, FileRenameInfo, info, (DWORD)size) != 0;
    free(info);
    return ok;
}

bool rh_file_delete(HANDLE h)
{
    FILE_DISPOSITION_INFO info = {TRUE};

    return SetFileInformationByHandle(h, FileDispositionInfo, &info, sizeof info) != 0;
}

bool rh_file_delete_path(const WCHAR *path, char *why, size_t why_size)
{
    HANDLE h = rh_file_open_checked(path, DELETE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                                    OPEN_EXISTING, why, why_size);
    bool ok;
    DWORD err;

    if (h == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_FILE_NOT_FOUND;
    ok = rh_file_delete(h);
    err = GetLastError();
    CloseHandle(h);
    if (!ok) {
        char where[RH_PATH_CHARS * 3], text[256];

        rh_utf8_of(path, where, sizeof where);
        rh_win32_error_text(err, text, sizeof text);
        rh_set_err(why, why_size, "cannot delete %s: %s", where, text);
    }
    SetLastError(err);
    return ok;
}

bool rh_write_file_atomic(const WCHAR *path, const void *data, size_t len)
{
    WCHAR tmp[RH_PATH_CHARS];
    char why[RH_PATH_CHARS * 3 + 128];
    HANDLE h;
    DWORD written = 0;
    bool ok;
    int n = _snwprintf(tmp, RH_PATH_CHARS, L"%ls.tmp", path);

    if (len > MAXDWORD || n < 0 || n >= RH_PATH_CHARS)
        return false;
    h = rh_file_open_checked(tmp, GENERIC_WRITE | DELETE, 0, OPEN_ALWAYS, why, sizeof why);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    /* Emptied only now that it is known to be ours alone. */
    ok = SetEndOfFile(h) && WriteFile(h, data, (DWORD)len, &written, NULL) && written == len &&
         FlushFileBuffers(h) && rh_file_rename(h, path, true);
    if (!ok)
        rh_file_delete(h);
    CloseHandle(h);
    return ok;
}

char *rh_file_read_trusted(const WCHAR *path, size_t max, size_t *len, DWORD *error, char *why,
                           size_t why_size)
{
    WCHAR dir[RH_PATH_CHARS];
    enum dir_fault fault = DIR_UNREACHABLE;
    HANDLE folder = INVALID_HANDLE_VALUE, h = INVALID_HANDLE_VALUE;
    LARGE_INTEGER size;
    char *data = NULL;
    DWORD got = 0;

    why[0] = '\0';
    *len = 0;
    *error = ERROR_BAD_PATHNAME;
    if (rh_path_parent(path, dir, RH_PATH_CHARS))
        folder = open_dir(dir, false, false, &fault, why, why_size);
    if (folder == INVALID_HANDLE_VALUE) {
        *error = GetLastError();
        if (fault == DIR_UNREACHABLE)
            why[0] = '\0'; /* the system's reason says it */
        goto out;
    }
    h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT | RH_OPEN_FLAGS, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        *error = GetLastError();
        goto out;
    }
    /* Its owner and DACL too: whoever may change it decides what it says. */
    if (!rh_check_handle(h, path, false, true, why, why_size)) {
        *error = ERROR_ACCESS_DENIED;
        goto out;
    }
    if (!GetFileSizeEx(h, &size)) {
        *error = GetLastError();
        goto out;
    }
    if (size.QuadPart <= 0 || (ULONGLONG)size.QuadPart > max || size.QuadPart >= MAXDWORD) {
        *error = ERROR_FILE_TOO_LARGE;
        goto out;
    }
    data = malloc((size_t)size.QuadPart + 1);
    if (data == NULL) {
        *error = ERROR_NOT_ENOUGH_MEMORY;
        goto out;
    }
    if (!ReadFile(h, data, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart) {
        *error = got != (DWORD)size.QuadPart ? ERROR_HANDLE_EOF : GetLastError();
        free(data);
        data = NULL;
        goto out;
    }
    data[got] = '\0';
    *len = got;
    *error = ERROR_SUCCESS;
out:
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    if (folder != INVALID_HANDLE_VALUE)
        CloseHandle(folder);
    return data;
}
