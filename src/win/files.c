/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <sddl.h>
#include <stdio.h>

/* Full control for SYSTEM and Administrators, inherited; nothing for anyone else. */
#define PRIVATE_SDDL L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
/* The same for a file: protected, so the folder's inheritable entries do not apply. */
#define PRIVATE_FILE_SDDL L"D:P(A;;FA;;;SY)(A;;FA;;;BA)"

#define PATH_MAX_CHARS 1024

bool rh_path_is_absolute(const WCHAR *p)
{
    bool drive = ((p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z')) &&
                 p[1] == L':' && (p[2] == L'\\' || p[2] == L'/');
    bool unc = (p[0] == L'\\' || p[0] == L'/') && (p[1] == L'\\' || p[1] == L'/');

    return drive || unc;
}

void rh_create_parent_dirs(const WCHAR *path)
{
    WCHAR dir[PATH_MAX_CHARS];
    size_t len = wcslen(path);
    size_t start = 3; /* after "C:\" */

    if (len >= PATH_MAX_CHARS)
        return;
    memcpy(dir, path, (len + 1) * sizeof(WCHAR));
    if (dir[0] == L'\\' || dir[0] == L'/') {
        /* \\server\share\ or \\?\C:\ : skip the root the system owns. */
        size_t seps = 0;

        for (start = 2; start < len && seps < 2; start++)
            if (dir[start] == L'\\' || dir[start] == L'/')
                seps++;
    }
    for (size_t i = start; i < len; i++) {
        if (dir[i] == L'\\' || dir[i] == L'/') {
            WCHAR saved = dir[i];

            dir[i] = L'\0';
            CreateDirectoryW(dir, NULL);
            dir[i] = saved;
        }
    }
}

bool rh_create_private_dir(const WCHAR *dir)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    bool ok;

    if (GetFileAttributesW(dir) != INVALID_FILE_ATTRIBUTES)
        return true;
    rh_create_parent_dirs(dir);
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(PRIVATE_SDDL, SDDL_REVISION_1,
                                                              &sa.lpSecurityDescriptor, NULL))
        return false;
    ok = CreateDirectoryW(dir, &sa) || GetLastError() == ERROR_ALREADY_EXISTS;
    LocalFree(sa.lpSecurityDescriptor);
    return ok;
}

bool rh_create_private_parent_dir(const WCHAR *path)
{
    WCHAR dir[PATH_MAX_CHARS];
    size_t len = wcslen(path);
    size_t cut = 0;

    if (len >= PATH_MAX_CHARS)
        return false;
    for (size_t i = 0; i < len; i++)
        if (path[i] == L'\\' || path[i] == L'/')
            cut = i;
    /* No folder, or a drive's root (C:\): nothing to create. */
    if (cut == 0 || (cut == 2 && path[1] == L':'))
        return true;
    memcpy(dir, path, cut * sizeof(WCHAR));
    dir[cut] = L'\0';
    return rh_create_private_dir(dir);
}

HANDLE rh_open_private_file(const WCHAR *path, DWORD access, DWORD share, DWORD disposition)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
    HANDLE h;
    DWORD err;

    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(PRIVATE_FILE_SDDL, SDDL_REVISION_1,
                                                              &sa.lpSecurityDescriptor, NULL))
        return INVALID_HANDLE_VALUE;
    h = CreateFileW(path, access, share, &sa, disposition, FILE_ATTRIBUTE_NORMAL, NULL);
    err = GetLastError();
    LocalFree(sa.lpSecurityDescriptor);
    SetLastError(err);
    return h;
}

bool rh_write_file_atomic(const WCHAR *path, const void *data, size_t len)
{
    WCHAR tmp[PATH_MAX_CHARS];
    HANDLE h;
    DWORD written = 0;
    bool ok;

    if (len > MAXDWORD || _snwprintf(tmp, PATH_MAX_CHARS, L"%ls.tmp", path) < 0)
        return false;
    tmp[PATH_MAX_CHARS - 1] = L'\0';
    h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return false;
    ok = WriteFile(h, data, (DWORD)len, &written, NULL) && written == len;
    CloseHandle(h);
    if (ok)
        ok = MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    if (!ok)
        DeleteFileW(tmp);
    return ok;
}
