/* SPDX-License-Identifier: MIT */
/*
 * What an open handle is: its owner and DACL, whether it is a link or reached
 * through one, its type and link count, read for the rules of trust.h to judge
 * (folders, their parents, files and named pipes).
 */
#include "files_internal.h"

#include <sddl.h>
#include <aclapi.h>
#include <stdlib.h>

#include "diag.h"
#include "text.h"
#include "trust.h"

#define TRUSTED_INSTALLER_SID L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

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

static volatile LONG g_self_distrusted; /* rh_fs_trust_self */

void rh_fs_trust_self(bool trusted)
{
    InterlockedExchange(&g_self_distrusted, trusted ? 0 : 1);
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
    if (self != NULL && !g_self_distrusted && EqualSid(sid, self))
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
bool rh_check_handle(HANDLE h, const WCHAR *path, bool want_directory, bool security, char *why,
                     size_t why_size)
{
    BY_HANDLE_FILE_INFORMATION info;
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    WCHAR final[RH_PATH_CHARS];
    char where[RH_PATH_CHARS * 3], leads[RH_PATH_CHARS * 3];
    const char *what = want_directory ? "folder" : "file";
    enum rh_trust t;

    rh_utf8_of(path, where, sizeof where);
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
        rh_utf8_of(final, leads, sizeof leads);
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
bool rh_check_parent(HANDLE parent, const WCHAR *dir, char *why, size_t why_size)
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
    rh_utf8_of(dir, where, sizeof where);
    if (!rh_path_parent(dir, above, RH_PATH_CHARS))
        above[0] = L'\0';
    rh_utf8_of(above, above_utf8, sizeof above_utf8);
    rh_set_err(why, why_size, "folder %s %s (%s); it is not used", where, rh_trust_text(t),
               above_utf8);
    return false;
}

/* Whether the folder open as `h` (at `path`) is a plain folder: not a link, reached as named. */
bool rh_is_plain_dir(HANDLE h, const WCHAR *path)
{
    WCHAR final[RH_PATH_CHARS];
    BY_HANDLE_FILE_INFORMATION info;

    return GetFileInformationByHandle(h, &info) &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0 &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
           reaches(h, path, final, RH_PATH_CHARS);
}

/* Whether folders may be made in the folder open as `h`: its owner and DACL pass as a parent. */
bool rh_may_create_in(HANDLE h)
{
    struct rh_fs_object o = {0};
    struct rh_fs_ace *aces = NULL;
    bool ok =
        read_security(h, SE_FILE_OBJECT, &o, &aces) && rh_trust_check_parent(&o) == RH_TRUST_OK;

    free(aces);
    return ok;
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
