/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <sddl.h>
#include <bcrypt.h>
#include <stdint.h>
#include <aclapi.h>
#include <shlobj.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "text.h"
#include "trust.h"
#include "wstr.h"

/* Full control for SYSTEM and Administrators, inherited; nothing for anyone else. */
#define PRIVATE_DIR_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
/* The same, owned by Administrators: what the installer makes. */
#define PRIVATE_DIR_ADMIN_SDDL L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
/* The same for a file: protected, so the folder's inheritable entries do not apply. */
#define PRIVATE_FILE_SDDL L"D:P(A;;FA;;;SY)(A;;FA;;;BA)"

#define TRUSTED_INSTALLER_SID L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

static void utf8_of(const WCHAR *w, char *out, size_t out_size)
{
    if (!rh_wide_to_utf8(w, -1, out, out_size))
        snprintf(out, out_size, "(a path not shown)");
}

bool rh_path_is_absolute(const WCHAR *p)
{
    bool drive = ((p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z')) &&
                 p[1] == L':' && (p[2] == L'\\' || p[2] == L'/');
    bool unc = (p[0] == L'\\' || p[0] == L'/') && (p[1] == L'\\' || p[1] == L'/');

    return drive || unc;
}

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

bool rh_state_dir(WCHAR *out, size_t out_count)
{
    WCHAR base[RH_PATH_CHARS] = L"";
    PWSTR known = NULL;
    int n;

    if (SUCCEEDED(SHGetKnownFolderPath(&FOLDERID_ProgramData, KF_FLAG_DONT_VERIFY, NULL, &known)) &&
        known != NULL && wcslen(known) < RH_PATH_CHARS)
        wcscpy_s(base, RH_PATH_CHARS, known);
    CoTaskMemFree(known);
    if (base[0] == L'\0') {
        /* ProfileList\ProgramData is "%SystemDrive%\ProgramData": the drive from the system. */
        WCHAR raw[RH_PATH_CHARS], windir[MAX_PATH];
        DWORD size = sizeof raw;
        UINT w = GetSystemWindowsDirectoryW(windir, MAX_PATH);

        if (RegGetValueW(HKEY_LOCAL_MACHINE,
                         L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
                         L"ProgramData", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, NULL,
                         raw, &size) == ERROR_SUCCESS &&
            w >= 2 && w < MAX_PATH && _wcsnicmp(raw, L"%SystemDrive%", 13) == 0)
            _snwprintf(base, RH_PATH_CHARS, L"%.2ls%ls", windir, raw + 13);
        base[RH_PATH_CHARS - 1] = L'\0';
    }
    if (base[0] == L'\0' || !rh_path_is_absolute(base))
        return false;
    n = _snwprintf(out, out_count, L"%ls%lsRasHangup", base,
                   base[wcslen(base) - 1] == L'\\' ? L"" : L"\\");
    if (n < 0 || (size_t)n >= out_count) {
        out[0] = L'\0';
        return false;
    }
    return true;
}

/* Replaces each %ProgramData% (any case) in `in` with the known folder. */
static bool expand_program_data(const WCHAR *in, WCHAR *out, size_t out_count)
{
    static const WCHAR name[] = L"%ProgramData%";
    const size_t name_len = sizeof name / sizeof name[0] - 1;
    WCHAR state[RH_PATH_CHARS], base[RH_PATH_CHARS] = L"";
    size_t o = 0;
    bool have_base = false;

    for (size_t i = 0; in[i] != L'\0';) {
        const WCHAR *piece = in + i;
        size_t len = 1;

        if (_wcsnicmp(in + i, name, name_len) == 0) {
            if (!have_base) {
                size_t cut;

                if (!rh_state_dir(state, RH_PATH_CHARS))
                    return false;
                cut = wcslen(state) - wcslen(L"\\RasHangup");
                wcsncpy_s(base, RH_PATH_CHARS, state, cut);
                have_base = true;
            }
            piece = base;
            len = wcslen(base);
            i += name_len;
        } else {
            i++;
        }
        if (o + len >= out_count)
            return false;
        memcpy(out + o, piece, len * sizeof(WCHAR));
        o += len;
    }
    out[o] = L'\0';
    return true;
}

/* The part of a pipe path after \\.\pipe\: not empty, no "/", no "." or ".." part. */
static bool pipe_name_ok(const WCHAR *name)
{
    const WCHAR *p = name;

    if (*name == L'\0' || wcschr(name, L'/') != NULL)
        return false;
    while (*p != L'\0') {
        size_t n = wcscspn(p, L"\\");

        if (n == 0 || (n == 1 && p[0] == L'.') || (n == 2 && p[0] == L'.' && p[1] == L'.'))
            return false;
        p += n;
        if (*p == L'\\')
            p++;
    }
    return true;
}

bool rh_path_expand(const WCHAR *raw, WCHAR *out, size_t out_count, char *err, size_t err_size)
{
    WCHAR *step = malloc(RH_PATH_CHARS * sizeof(WCHAR));
    WCHAR *expanded = malloc(RH_PATH_CHARS * sizeof(WCHAR));
    char text[RH_PATH_CHARS * 3];
    bool ok = false;
    DWORD n;

    if (step == NULL || expanded == NULL) {
        rh_set_err(err, err_size, "out of memory");
        goto out;
    }
    if (raw[0] == L'\0' && out_count > 0) {
        out[0] = L'\0'; /* not set: the option's own meaning of "none" */
        ok = true;
        goto out;
    }
    if (!expand_program_data(raw, step, RH_PATH_CHARS)) {
        rh_set_err(err, err_size, "%%ProgramData%% cannot be found, or the path is too long");
        goto out;
    }
    n = ExpandEnvironmentStringsW(step, expanded, RH_PATH_CHARS);
    if (n == 0 || n > RH_PATH_CHARS) {
        rh_set_err(err, err_size, "too long once environment strings are expanded");
        goto out;
    }
    /* An environment string left as it was is not defined for the service. */
    for (const WCHAR *p = wcschr(expanded, L'%'); p != NULL; p = wcschr(p + 1, L'%')) {
        const WCHAR *end = wcschr(p + 1, L'%');

        if (end != NULL && end > p + 1 && wcscspn(p + 1, L"\\/") > (size_t)(end - p - 1)) {
            char var[256];

            if (!rh_wide_to_utf8(p, (int)(end - p + 1), var, sizeof var))
                snprintf(var, sizeof var, "%%...%%");
            rh_set_err(err, err_size,
                       "environment string %s is not defined for the service; write the path "
                       "out in full",
                       var);
            goto out;
        }
    }
    utf8_of(expanded, text, sizeof text);
    if (_wcsnicmp(expanded, L"\\\\.\\pipe\\", 9) == 0) {
        /* A pipe's name, taken as it is: so no "." or ".." to climb out of \\.\pipe\. */
        if (!pipe_name_ok(expanded + 9) || wcslen(expanded) >= out_count) {
            rh_set_err(err, err_size,
                       "\"%s\" is not a named pipe's name (\\\\.\\pipe\\name, without \"/\", "
                       "\".\" or \"..\")",
                       text);
            goto out;
        }
        wcscpy_s(out, out_count, expanded); /* a named pipe: a name, not a place on disk */
        ok = true;
        goto out;
    }
    /* Device and verbatim paths (\\.\..., \\?\...) skip the checks below: refused. */
    if (!rh_path_is_absolute(expanded) || expanded[2] == L'.' || expanded[2] == L'?') {
        rh_set_err(err, err_size,
                   "\"%s\" is not an absolute path (C:\\... or \\\\server\\share\\...)", text);
        goto out;
    }
    /* "." and ".." resolved, "/" made "\": the path every check and name is built from. */
    n = GetFullPathNameW(expanded, (DWORD)out_count, out, NULL);
    if (n == 0 || n >= out_count) {
        rh_set_err(err, err_size, "\"%s\" is too long or not a valid path", text);
        goto out;
    }
    while (n > 3 && out[n - 1] == L'\\')
        out[--n] = L'\0'; /* "D:\\J\\" is the folder "D:\\J" */
    ok = true;
out:
    free(step);
    free(expanded);
    return ok;
}

bool rh_path_parent(const WCHAR *path, WCHAR *out, size_t out_count)
{
    const WCHAR *cut = wcsrchr(path, L'\\');
    size_t len;

    if (cut == NULL)
        return false;
    len = (size_t)(cut - path);
    if (len == 2 && path[1] == L':')
        len = 3; /* a drive's root keeps its backslash */
    if (len == 0 || len >= out_count)
        return false;
    memcpy(out, path, len * sizeof(WCHAR));
    out[len] = L'\0';
    return true;
}

/* The account this process runs as: LocalSystem under RRAS. Cached once. */
static PSID self_sid(void)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    static BYTE sid[SECURITY_MAX_SID_SIZE];
    BOOL pending = FALSE;

    if (InitOnceBeginInitialize(&once, 0, &pending, NULL) && pending) {
        HANDLE token;
        BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
        DWORD n = 0;

        if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
            if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &n))
                CopySid(sizeof sid, sid, ((TOKEN_USER *)(void *)buf)->User.Sid);
            CloseHandle(token);
        }
        InitOnceComplete(&once, 0, NULL);
    }
    return IsValidSid((PSID)sid) ? (PSID)sid : NULL;
}

static enum rh_principal principal_of(PSID sid)
{
    static const WELL_KNOWN_SID_TYPE known[] = {WinLocalSystemSid, WinBuiltinAdministratorsSid,
                                                WinCreatorOwnerSid, WinCreatorOwnerRightsSid};
    static const enum rh_principal as[] = {RH_PRINCIPAL_SYSTEM, RH_PRINCIPAL_ADMINS,
                                           RH_PRINCIPAL_CREATOR_OWNER, RH_PRINCIPAL_OWNER_RIGHTS};
    PSID ti = NULL, self = self_sid();
    bool is_ti;

    if (sid == NULL || !IsValidSid(sid))
        return RH_PRINCIPAL_OTHER;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (IsWellKnownSid(sid, known[i]))
            return as[i];
    is_ti = ConvertStringSidToSidW(TRUSTED_INSTALLER_SID, &ti) && EqualSid(sid, ti);
    LocalFree(ti);
    if (is_ti)
        return RH_PRINCIPAL_TRUSTED_INSTALLER;
    if (self != NULL && EqualSid(sid, self))
        return RH_PRINCIPAL_SELF;
    return RH_PRINCIPAL_OTHER;
}

/*
 * Reads the owner and DACL of the object open as `h` into o (ACEs malloc'd
 * into *aces, for the caller to free). False if they cannot be read.
 */
static bool read_security(HANDLE h, SE_OBJECT_TYPE type, struct rh_fs_object *o,
                          struct rh_fs_ace **aces)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PSID owner = NULL;
    PACL dacl = NULL;
    ACL_SIZE_INFORMATION info;
    struct rh_fs_ace *list = NULL;
    bool ok = false;

    *aces = NULL;
    if (GetSecurityInfo(h, type, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                        NULL, &dacl, NULL, &sd) != ERROR_SUCCESS ||
        owner == NULL)
        goto out;
    o->owner = principal_of(owner);
    o->dacl_present = dacl != NULL;
    o->n_aces = 0;
    if (dacl != NULL) {
        if (!GetAclInformation(dacl, &info, sizeof info, AclSizeInformation))
            goto out;
        list = calloc(info.AceCount > 0 ? info.AceCount : 1, sizeof *list);
        if (list == NULL)
            goto out;
        for (DWORD i = 0; i < info.AceCount; i++) {
            ACE_HEADER *hdr = NULL;
            struct rh_fs_ace *a = &list[o->n_aces];

            if (!GetAce(dacl, i, (void **)&hdr))
                goto out;
            a->inherit_only = (hdr->AceFlags & INHERIT_ONLY_ACE) != 0;
            a->mask = ((ACCESS_ALLOWED_ACE *)hdr)->Mask;
            switch (hdr->AceType) {
            case ACCESS_ALLOWED_ACE_TYPE:
            case ACCESS_ALLOWED_CALLBACK_ACE_TYPE:
                a->allow = true;
                a->who = principal_of((PSID) & ((ACCESS_ALLOWED_ACE *)hdr)->SidStart);
                break;
            case ACCESS_ALLOWED_COMPOUND_ACE_TYPE:
            case ACCESS_ALLOWED_OBJECT_ACE_TYPE:
            case ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE:
                a->allow = true; /* its trustee is not read: counted as anyone else */
                a->who = RH_PRINCIPAL_OTHER;
                break;
            default:
                a->allow = false;
                break;
            }
            o->n_aces++;
        }
    }
    o->aces = list;
    *aces = list;
    list = NULL;
    o->has_security = true; /* only now: a partial read must judge as none */
    ok = true;
out:
    free(list);
    LocalFree(sd);
    return ok;
}

/* Whether the handle reaches exactly `path` (no link on the way): compared without case. */
static bool reaches(HANDLE h, const WCHAR *path, WCHAR *final, size_t final_count)
{
    WCHAR *got = final;
    WCHAR longer[RH_PATH_CHARS];
    DWORD n = GetFinalPathNameByHandleW(h, final, (DWORD)final_count,
                                        FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    size_t want_len = wcslen(path);

    if (n == 0 || n >= final_count) {
        final[0] = L'\0';
        return false;
    }
    if (wcsncmp(got, L"\\\\?\\UNC\\", 8) == 0) {
        got += 6;
        got[0] = L'\\'; /* \\?\UNC\server\share -> \\server\share */
    } else if (wcsncmp(got, L"\\\\?\\", 4) == 0) {
        got += 4;
    }
    if (got != final)
        memmove(final, got, (wcslen(got) + 1) * sizeof(WCHAR));
    while (want_len > 3 && path[want_len - 1] == L'\\')
        want_len--;
    if (CompareStringOrdinal(final, -1, path, (int)want_len, TRUE) == CSTR_EQUAL)
        return true;
    /* A path written with short (8.3) names reaches its long name. */
    n = GetLongPathNameW(path, longer, RH_PATH_CHARS);
    return n > 0 && n < RH_PATH_CHARS &&
           CompareStringOrdinal(final, -1, longer, (int)wcslen(longer), TRUE) == CSTR_EQUAL;
}

/*
 * Checks the object open as `h` (at `path`): a folder, or a file. Fills why on
 * failure. `security`: read and judge its owner and DACL too.
 */
static bool check_handle(HANDLE h, const WCHAR *path, bool want_directory, bool security, char *why,
                         size_t why_size)
{
    BY_HANDLE_FILE_INFORMATION info;
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    WCHAR final[RH_PATH_CHARS];
    char where[RH_PATH_CHARS * 3], leads[RH_PATH_CHARS * 3];
    const char *what = want_directory ? "folder" : "file";
    enum rh_trust t;

    utf8_of(path, where, sizeof where);
    if (!GetFileInformationByHandle(h, &info)) {
        char text[256];

        rh_win32_error_text(GetLastError(), text, sizeof text);
        rh_set_err(why, why_size, "%s %s cannot be examined: %s", what, where, text);
        return false;
    }
    o.is_directory = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    o.is_reparse_point = (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    o.is_regular = !o.is_directory && GetFileType(h) == FILE_TYPE_DISK;
    o.link_count = info.nNumberOfLinks;
    if (!o.is_reparse_point && !reaches(h, path, final, RH_PATH_CHARS)) {
        utf8_of(final, leads, sizeof leads);
        rh_set_err(why, why_size,
                   "%s %s goes through a junction, symbolic link or mount point (it leads to %s); "
                   "it is not used",
                   what, where, final[0] != L'\0' ? leads : "a place that cannot be named");
        return false;
    }
    if (security && !read_security(h, SE_FILE_OBJECT, &o, &aces) && want_directory) {
        rh_set_err(why, why_size, "%s %s %s; it is not used", what, where,
                   rh_trust_text(RH_TRUST_UNREADABLE));
        return false;
    }
    t = rh_trust_check(&o, want_directory, NULL);
    free(aces);
    if (t != RH_TRUST_OK) {
        rh_set_err(why, why_size, "%s %s %s; it is not used", what, where, rh_trust_text(t));
        return false;
    }
    return true;
}

/* The parent of folder `dir`, open as `parent`, must not let others rename or replace it. */
static bool check_parent(HANDLE parent, const WCHAR *dir, char *why, size_t why_size)
{
    WCHAR above[RH_PATH_CHARS];
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    char where[RH_PATH_CHARS * 3], above_utf8[RH_PATH_CHARS * 3];
    enum rh_trust t;

    /* A parent that cannot be judged is not trusted: its owner may have locked us out. */
    read_security(parent, SE_FILE_OBJECT, &o, &aces);
    t = rh_trust_check_parent(&o);
    free(aces);
    if (t == RH_TRUST_OK)
        return true;
    utf8_of(dir, where, sizeof where);
    if (!rh_path_parent(dir, above, RH_PATH_CHARS))
        above[0] = L'\0';
    utf8_of(above, above_utf8, sizeof above_utf8);
    rh_set_err(why, why_size, "folder %s %s (%s); it is not used", where, rh_trust_text(t),
               above_utf8);
    return false;
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

/* Whether the folder open as `h` (at `path`) is a plain folder: not a link, reached as named. */
static bool is_plain_dir(HANDLE h, const WCHAR *path)
{
    WCHAR final[RH_PATH_CHARS];
    BY_HANDLE_FILE_INFORMATION info;

    return GetFileInformationByHandle(h, &info) &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0 &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
           reaches(h, path, final, RH_PATH_CHARS);
}

/* Whether folders may be made in the folder open as `h`: its owner and DACL pass as a parent. */
static bool may_create_in(HANDLE h)
{
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    bool ok =
        read_security(h, SE_FILE_OBJECT, &o, &aces) && rh_trust_check_parent(&o) == RH_TRUST_OK;

    free(aces);
    return ok;
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
            if (!may_create_in(held)) {
                err = ERROR_PARENT_UNTRUSTED;
            } else {
                h = open_child_dir(held, dir + at, n, true, admin_owner, share, &st);
                if (h == INVALID_HANDLE_VALUE && st == STATUS_OBJECT_NAME_COLLISION)
                    h = open_child_dir(held, dir + at, n, false, admin_owner, share, &st);
            }
        }
        if (err == ERROR_SUCCESS && h == INVALID_HANDLE_VALUE)
            err = RtlNtStatusToDosError(st);
        else if (h != INVALID_HANDLE_VALUE && !is_plain_dir(h, stop))
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
    utf8_of(dir, where, sizeof where);
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
        utf8_of(stop, part, sizeof part);
        if (err == ERROR_BAD_PATHNAME) {
            HANDLE probe;

            /* A link, or not a folder: say what it is and where it leads. */
            *fault = wcscmp(stop, norm) == 0 ? DIR_UNTRUSTED : DIR_PATH_UNTRUSTED;
            probe = CreateFileW(
                stop, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                NULL, OPEN_EXISTING,
                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT | RH_OPEN_FLAGS, NULL);
            if (probe == INVALID_HANDLE_VALUE ||
                check_handle(probe, stop, true, false, why, why_size))
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
    if (!check_handle(h, norm, true, true, why, why_size)) {
        *fault = DIR_UNTRUSTED;
    } else if (parent != INVALID_HANDLE_VALUE && !check_parent(parent, norm, why, why_size)) {
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

bool rh_pipe_check(HANDLE h, const char *path_utf8, char *why, size_t why_size)
{
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    enum rh_trust t;

    if (GetFileType(h) != FILE_TYPE_PIPE) {
        rh_set_err(why, why_size, "%s is not a named pipe", path_utf8);
        return false;
    }
    read_security(h, SE_KERNEL_OBJECT, &o, &aces);
    t = rh_trust_check_pipe(&o);
    free(aces);
    if (t == RH_TRUST_OK)
        return true;
    rh_set_err(why, why_size,
               "named pipe %s %s (anyone may create a pipe of a free name, or serve one that "
               "lets them, and read the records or stall them); it is not used",
               path_utf8,
               t == RH_TRUST_OWNER || t == RH_TRUST_UNREADABLE
                   ? "was not created by SYSTEM or an administrator"
                   : "lets users other than SYSTEM and Administrators serve it too");
    return false;
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
        utf8_of(path, where, sizeof where);
        rh_win32_error_text(err, text, sizeof text);
        rh_set_err(why, why_size, "cannot open file %s: %s", where, text);
        SetLastError(err);
        return INVALID_HANDLE_VALUE;
    }
    if (!check_handle(h, path, false, false, why, why_size)) {
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

        utf8_of(path, where, sizeof where);
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
    if (!check_handle(h, path, false, true, why, why_size)) {
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
