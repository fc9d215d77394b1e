/* SPDX-License-Identifier: MIT */
/*
 * Paths: %ProgramData%\RasHangup from the known folder, configured paths
 * expanded and made absolute, and a path's folder.
 */
#include "files_internal.h"

#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"
#include "wstr.h"

void rh_utf8_of(const WCHAR *w, char *out, size_t out_size)
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
    rh_utf8_of(expanded, text, sizeof text);
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
