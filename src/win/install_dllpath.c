/* SPDX-License-Identifier: MIT */
/*
 * RRAS's AdminDll\DLLPath, read, edited and written back: this DLL added on
 * install and removed on uninstall, other vendors' entries kept (install.c has
 * the rules of the rewrite).
 */
#include "install_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "files.h"

#define ADMIN_DLL_KEY      L"SOFTWARE\\Microsoft\\RAS\\AdminDll"
#define ADMIN_DLL_KEY_TEXT "HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll"
#define DLLPATH_VALUE      L"DLLPath"

enum edit {
    EDIT_ADD,    /* keep this DLL's first entry, or append one */
    EDIT_REMOVE, /* drop every entry of this DLL */
};

static bool is_blank(WCHAR ch)
{
    return ch == L' ' || ch == L'\t';
}

/*
 * Reads a REG_SZ or REG_EXPAND_SZ value into a malloc'd NUL-terminated string of
 * *len characters, up to its first NUL. ERROR_FILE_NOT_FOUND when absent,
 * ERROR_INVALID_DATATYPE for another type (*type says which), ERROR_FILE_TOO_LARGE
 * beyond cap characters.
 */
static DWORD read_string(HKEY key, const WCHAR *name, size_t cap, DWORD *type, WCHAR **out,
                         size_t *len)
{
    WCHAR *buf = NULL;
    DWORD rc = ERROR_MORE_DATA;

    *out = NULL;
    *len = 0;
    /* The value can grow between the two calls: then ask again, a few times. */
    for (int tries = 0; tries < 4 && rc == ERROR_MORE_DATA; tries++) {
        DWORD bytes = 0;

        rc = (DWORD)RegQueryValueExW(key, name, NULL, type, NULL, &bytes);
        if (rc != ERROR_SUCCESS)
            goto out;
        if (*type != REG_SZ && *type != REG_EXPAND_SZ) {
            rc = ERROR_INVALID_DATATYPE;
            goto out;
        }
        if (bytes / sizeof(WCHAR) > cap) {
            rc = ERROR_FILE_TOO_LARGE;
            goto out;
        }
        free(buf);
        /* One more character than the data: a NUL the registry need not store. */
        buf = malloc((bytes / sizeof(WCHAR) + 1) * sizeof(WCHAR));
        if (buf == NULL) {
            rc = ERROR_NOT_ENOUGH_MEMORY;
            goto out;
        }
        rc = (DWORD)RegQueryValueExW(key, name, NULL, type, (BYTE *)buf, &bytes);
        if (rc == ERROR_SUCCESS && *type != REG_SZ && *type != REG_EXPAND_SZ)
            rc = ERROR_INVALID_DATATYPE;
        if (rc == ERROR_SUCCESS) {
            size_t n = bytes / sizeof(WCHAR);

            buf[n] = L'\0';
            *len = wcsnlen(buf, n);
            *out = buf;
            buf = NULL;
        }
    }
out:
    free(buf);
    return rc;
}

/* Whether a DLLPath entry (len characters, trimmed) names this DLL. */
static bool entry_is_ours(struct ctx *c, const WCHAR *entry, size_t len)
{
    const WCHAR *cmp = c->expanded;
    DWORD n;

    if (len == 0 || len >= PATH_CAP)
        return false;
    memcpy(c->full, entry, len * sizeof(WCHAR));
    c->full[len] = L'\0';
    n = ExpandEnvironmentStringsW(c->full, c->expanded, PATH_CAP);
    if (n == 0 || n > PATH_CAP) {
        cmp = c->full;
    } else if (rh_path_is_absolute(c->expanded)) {
        n = GetFullPathNameW(c->expanded, PATH_CAP, c->full, NULL);
        if (n > 0 && n < PATH_CAP)
            cmp = c->full;
    }
    return CompareStringOrdinal(cmp, -1, c->self, -1, TRUE) == CSTR_EQUAL;
}

/*
 * Rewrites a DLLPath list (len characters) into *out, malloc'd: entries trimmed,
 * empty ones dropped, one ';' between entries. *ours counts this DLL's entries.
 */
static DWORD edit_list(struct ctx *c, const WCHAR *list, size_t len, enum edit mode, WCHAR **out,
                       size_t *out_len, size_t *ours)
{
    size_t self_len = wcslen(c->self);
    size_t n = 0;
    size_t i = 0;
    WCHAR *buf;

    *out = NULL;
    *out_len = 0;
    *ours = 0;
    /* len <= DLLPATH_CAP and self_len < PATH_CAP: no overflow. */
    buf = malloc((len + 1 + self_len + 1) * sizeof(WCHAR));
    if (buf == NULL)
        return ERROR_NOT_ENOUGH_MEMORY;
    while (i <= len) {
        size_t start = i;
        size_t end;

        while (i < len && list[i] != L';')
            i++;
        end = i++;
        while (start < end && is_blank(list[start]))
            start++;
        while (end > start && is_blank(list[end - 1]))
            end--;
        if (start == end)
            continue;
        if (entry_is_ours(c, list + start, end - start)) {
            ++*ours;
            if (mode == EDIT_REMOVE || *ours > 1)
                continue;
        }
        if (n > 0)
            buf[n++] = L';';
        memcpy(buf + n, list + start, (end - start) * sizeof(WCHAR));
        n += end - start;
    }
    if (mode == EDIT_ADD && *ours == 0) {
        if (n > 0)
            buf[n++] = L';';
        memcpy(buf + n, c->self, self_len * sizeof(WCHAR));
        n += self_len;
    }
    buf[n] = L'\0';
    *out = buf;
    *out_len = n;
    return ERROR_SUCCESS;
}

/* Reads DLLPath and logs why it cannot be used. */
static DWORD read_dllpath(const struct ctx *c, HKEY key, DWORD *type, WCHAR **list, size_t *len)
{
    DWORD rc = read_string(key, DLLPATH_VALUE, DLLPATH_CAP, type, list, len);

    if (rc == ERROR_INVALID_DATATYPE)
        rh_log(RH_LOG_ERROR,
               "%s: %s value DLLPath has registry type %lu, not REG_SZ or REG_EXPAND_SZ: RRAS "
               "cannot read it; it is left as it is",
               c->op, ADMIN_DLL_KEY_TEXT, (unsigned long)*type);
    else if (rc == ERROR_FILE_TOO_LARGE)
        rh_log(RH_LOG_ERROR,
               "%s: %s value DLLPath is longer than %u characters; it is left as it is", c->op,
               ADMIN_DLL_KEY_TEXT, DLLPATH_CAP);
    else if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be read");
    return rc;
}

static void log_dllpath(const struct ctx *c, const char *how, const WCHAR *list)
{
    char text[TEXT_SIZE];

    rh_to_text(list, text, sizeof text);
    rh_log(RH_LOG_INFO, "%s: %s value DLLPath %s: \"%s\"", c->op, ADMIN_DLL_KEY_TEXT, how, text);
}

/* Step 3: this DLL in DLLPath. */
DWORD rh_install_dllpath(struct ctx *c, HKEY book)
{
    HKEY key = NULL;
    DWORD type = REG_SZ;
    WCHAR *old = NULL;
    WCHAR *list = NULL;
    size_t old_len = 0, len = 0, ours = 0;
    bool created_key, created_value = false;
    DWORD rc;

    rc = rh_create_recorded_key(c, book, ADMIN_DLL_KEY, ADMIN_DLL_KEY_TEXT,
                                KEY_QUERY_VALUE | KEY_SET_VALUE, MARK_ADMIN_DLL_KEY, &key,
                                &created_key);
    if (rc != ERROR_SUCCESS)
        goto out;
    rc = read_dllpath(c, key, &type, &old, &old_len);
    if (rc == ERROR_FILE_NOT_FOUND) {
        type = REG_SZ;
        created_value = true;
        rc = rh_mark(c, book, MARK_DLLPATH_VALUE);
    }
    if (rc != ERROR_SUCCESS)
        goto out;
    rc = edit_list(c, old != NULL ? old : L"", old_len, EDIT_ADD, &list, &len, &ours);
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be edited");
        goto out;
    }
    if (!created_value && len == old_len && memcmp(list, old, len * sizeof(WCHAR)) == 0) {
        log_dllpath(c, "already lists this DLL, unchanged", list);
        goto out;
    }
    rc = rh_write_string(key, DLLPATH_VALUE, type, list, len);
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be written");
        goto out;
    }
    log_dllpath(c, created_value ? "created" : ours > 0 ? "rewritten" : "appended to", list);
out:
    free(list);
    free(old);
    if (key != NULL)
        RegCloseKey(key);
    return rc;
}

/* Before anything changes: DLLPath, if present, is a string install can rewrite. */
DWORD rh_check_dllpath(struct ctx *c)
{
    HKEY key = NULL;
    DWORD type = REG_NONE;
    WCHAR *list = NULL;
    size_t len = 0;
    DWORD rc;

    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, 0,
                              KEY_QUERY_VALUE | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_SUCCESS)
        rc = read_dllpath(c, key, &type, &list, &len);
    else if (rc != ERROR_FILE_NOT_FOUND)
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " cannot be opened");
    free(list);
    if (key != NULL)
        RegCloseKey(key);
    return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
}

DWORD rh_uninstall_dllpath(struct ctx *c, bool created_key, bool created_value, bool *removed)
{
    HKEY key = NULL;
    DWORD type = REG_NONE;
    WCHAR *old = NULL;
    WCHAR *list = NULL;
    size_t old_len = 0, len = 0, ours = 0;
    bool gone = false;
    DWORD rc;

    *removed = false;
    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, 0,
                              KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rc = ERROR_SUCCESS;
        goto out;
    }
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " cannot be opened");
        goto out;
    }
    rc = read_dllpath(c, key, &type, &old, &old_len);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_INVALID_DATATYPE) {
        rc = ERROR_SUCCESS; /* it lists no DLL that RRAS could load */
        goto remove_key;
    }
    if (rc != ERROR_SUCCESS)
        goto out;
    rc = edit_list(c, old, old_len, EDIT_REMOVE, &list, &len, &ours);
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be edited");
        goto out;
    }
    if (len == 0 && created_value) {
        rc = (DWORD)RegDeleteValueW(key, DLLPATH_VALUE);
        if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
            rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be removed");
            goto out;
        }
        rc = ERROR_SUCCESS;
        *removed = ours > 0;
        rh_log(RH_LOG_INFO, "%s: %s value DLLPath removed (install had created it)", c->op,
               ADMIN_DLL_KEY_TEXT);
    } else if (ours > 0) {
        rc = rh_write_string(key, DLLPATH_VALUE, type, list, len);
        if (rc != ERROR_SUCCESS) {
            rh_report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be written");
            goto out;
        }
        *removed = true;
        log_dllpath(c, "no longer lists this DLL", list);
    } else {
        log_dllpath(c, "does not list this DLL, unchanged", old);
    }
remove_key:
    RegCloseKey(key);
    key = NULL;
    if (created_key) {
        rc = rh_delete_if_empty(c, ADMIN_DLL_KEY, ADMIN_DLL_KEY_TEXT, &gone);
        if (rc == ERROR_SUCCESS && gone)
            rh_log(RH_LOG_INFO, "%s: %s removed (install had created it)", c->op,
                   ADMIN_DLL_KEY_TEXT);
    }
out:
    free(list);
    free(old);
    if (key != NULL)
        RegCloseKey(key);
    return rc;
}
