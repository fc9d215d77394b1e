/* SPDX-License-Identifier: MIT */
/*
 * regsvr32's entry points: `regsvr32 rashangup.dll` installs, `regsvr32 /u
 * rashangup.dll` removes what install added. Neither starts the runtime.
 *
 * Install, in this order, so that RRAS is pointed at the DLL only once the rest
 * is in place:
 *   1. HKLM\SOFTWARE\RasHangup (64-bit view), created if absent. Its DACL is set
 *      to protected, full control for SYSTEM and Administrators only, also when
 *      the key already existed: sinks keep secrets there (the RADIUS Secret).
 *      Subkeys that still let anyone else in afterwards get the same DACL.
 *   2. The Event Log source (eventlog_source.h).
 *   3. This DLL's full path, appended to AdminDll\DLLPath.
 * What install created is recorded in HKLM\SOFTWARE\RasHangup\Install, one
 * REG_DWORD per item, so that uninstall removes that and nothing else.
 *
 * DLLPath is shared with other vendors' DLLs. A rewrite keeps their entries, their
 * order and the value's type; it trims spaces and tabs around entries (RRAS stops
 * loading at an entry that starts with a space), drops empty ones and separates
 * the rest with a bare ';'. An entry is this DLL's when, trimmed, with environment
 * strings expanded and made a full path, it equals this DLL's path ignoring case.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <aclapi.h>
#include <olectl.h>
#include <sddl.h>

#include "config.h"
#include "diag.h"
#include "eventlog_source.h"
#include "files.h"
#include "wstr.h"

#define ADMIN_DLL_KEY      L"SOFTWARE\\Microsoft\\RAS\\AdminDll"
#define ADMIN_DLL_KEY_TEXT "HKLM\\SOFTWARE\\Microsoft\\RAS\\AdminDll"
#define DLLPATH_VALUE      L"DLLPath"
#define INSTALL_KEY        RH_CONFIG_KEY L"\\Install"
#define INSTALL_KEY_TEXT   RH_CONFIG_KEY_TEXT "\\Install"

/* The record of what install created: REG_DWORD 1 under INSTALL_KEY. */
#define MARK_ADMIN_DLL_KEY L"CreatedAdminDllKey"
#define MARK_DLLPATH_VALUE L"CreatedDllPathValue"
#define MARK_CONFIG_KEY    L"CreatedConfigKey"
#define MARK_EVENT_SOURCE  L"CreatedEventSource"

/* Full control for SYSTEM and Administrators, inherited by subkeys; nobody else. */
#define CONFIG_SDDL L"D:P(A;OICI;KA;;;SY)(A;OICI;KA;;;BA)"

/* The longest Windows path (\\?\ form), in characters with the NUL. */
#define PATH_CAP 32768
/* The longest DLLPath handled, in characters: a list of DLLs is far shorter. */
#define DLLPATH_CAP (256u * 1024)
/* How deep install looks for subkeys of the configuration key. */
#define TREE_DEPTH_MAX 8
/* A path or key name as UTF-8, for the log. */
#define TEXT_SIZE 1024

extern IMAGE_DOS_HEADER __ImageBase;

enum edit {
    EDIT_ADD,    /* keep this DLL's first entry, or append one */
    EDIT_REMOVE, /* drop every entry of this DLL */
};

struct ctx {
    const char *op;  /* "install" or "uninstall": what the log lines start with */
    WCHAR *self;     /* this DLL's full path (PATH_CAP) */
    WCHAR *expanded; /* scratch (PATH_CAP) */
    WCHAR *full;     /* scratch (PATH_CAP) */
    char self_text[TEXT_SIZE];
    PSECURITY_DESCRIPTOR sd; /* CONFIG_SDDL, from LocalAlloc */
    PACL dacl;               /* inside sd */
    BYTE system_sid[SECURITY_MAX_SID_SIZE];
    BYTE admins_sid[SECURITY_MAX_SID_SIZE];
};

/* GetLastError(), never ERROR_SUCCESS: for failures that may not set it. */
static DWORD last_error(void)
{
    DWORD rc = GetLastError();

    return rc != ERROR_SUCCESS ? rc : ERROR_INTERNAL_ERROR;
}

/* Logs "<op>: <what>: <system text>" and returns rc. */
static DWORD report(const struct ctx *c, DWORD rc, const char *what)
{
    char text[512];

    rh_win32_error_text(rc, text, sizeof text);
    rh_log(RH_LOG_ERROR, "%s: %s: %s%s", c->op, what, text,
           rc == ERROR_ACCESS_DENIED ? "; run regsvr32 from an elevated prompt" : "");
    return rc;
}

static void to_text(const WCHAR *s, char *out, size_t out_size)
{
    static const char too_long[] = "(too long to show)";

    if (!rh_wide_to_utf8(s, -1, out, out_size) && out_size >= sizeof too_long)
        memcpy(out, too_long, sizeof too_long);
}

static void ctx_free(struct ctx *c)
{
    free(c->self);
    if (c->sd != NULL)
        LocalFree(c->sd);
    memset(c, 0, sizeof *c);
}

static DWORD ctx_init(struct ctx *c, const char *op)
{
    BOOL present = FALSE, defaulted = FALSE;
    DWORD size, n, rc = ERROR_SUCCESS;

    memset(c, 0, sizeof *c);
    c->op = op;
    c->self = malloc(3 * (size_t)PATH_CAP * sizeof(WCHAR));
    if (c->self == NULL) {
        rc = report(c, ERROR_NOT_ENOUGH_MEMORY, "cannot start");
        goto out;
    }
    c->expanded = c->self + PATH_CAP;
    c->full = c->expanded + PATH_CAP;
    n = GetModuleFileNameW((HMODULE)&__ImageBase, c->self, PATH_CAP);
    if (n == 0 || n >= PATH_CAP) {
        rc = report(c, n == 0 ? last_error() : ERROR_INSUFFICIENT_BUFFER,
                    "the DLL's own path cannot be read");
        goto out;
    }
    to_text(c->self, c->self_text, sizeof c->self_text);
    size = sizeof c->system_sid;
    if (!CreateWellKnownSid(WinLocalSystemSid, NULL, c->system_sid, &size)) {
        rc = report(c, last_error(), "the SYSTEM SID cannot be built");
        goto out;
    }
    size = sizeof c->admins_sid;
    if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, c->admins_sid, &size)) {
        rc = report(c, last_error(), "the Administrators SID cannot be built");
        goto out;
    }
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(CONFIG_SDDL, SDDL_REVISION_1, &c->sd,
                                                              NULL) ||
        !GetSecurityDescriptorDacl(c->sd, &present, &c->dacl, &defaulted) || !present) {
        rc = report(c, last_error(), "the configuration key's security descriptor cannot be built");
        goto out;
    }
out:
    return rc; /* the caller frees c, also on failure */
}

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

static DWORD write_string(HKEY key, const WCHAR *name, DWORD type, const WCHAR *s, size_t len)
{
    /* len <= DLLPATH_CAP + PATH_CAP: the size fits a DWORD. */
    return (DWORD)RegSetValueExW(key, name, 0, type, (const BYTE *)s,
                                 (DWORD)((len + 1) * sizeof(WCHAR)));
}

static DWORD mark(const struct ctx *c, HKEY book, const WCHAR *name)
{
    DWORD one = 1;
    DWORD rc = (DWORD)RegSetValueExW(book, name, 0, REG_DWORD, (const BYTE *)&one, sizeof one);

    if (rc != ERROR_SUCCESS)
        report(c, rc, INSTALL_KEY_TEXT ": the record of what install created cannot be written");
    return rc;
}

static bool marked(HKEY book, const WCHAR *name)
{
    DWORD value = 0;
    DWORD type = REG_NONE;
    DWORD size = sizeof value;

    return book != NULL &&
           RegQueryValueExW(book, name, NULL, &type, (BYTE *)&value, &size) == ERROR_SUCCESS &&
           type == REG_DWORD && size == sizeof value && value == 1;
}

/* Deletes HKLM\<path> (64-bit view) if it has no values and no subkeys. */
static DWORD delete_if_empty(const struct ctx *c, const WCHAR *path, const char *text, bool *gone)
{
    HKEY key = NULL;
    DWORD subkeys = 0, values = 0, rc;
    char what[TEXT_SIZE];

    *gone = false;
    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_FILE_NOT_FOUND) {
        *gone = true;
        return ERROR_SUCCESS;
    }
    if (rc == ERROR_SUCCESS)
        rc = (DWORD)RegQueryInfoKeyW(key, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL,
                                     NULL, NULL, NULL);
    if (key != NULL)
        RegCloseKey(key);
    if (rc == ERROR_SUCCESS && subkeys == 0 && values == 0) {
        rc = (DWORD)RegDeleteKeyExW(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
        *gone = rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND;
        if (*gone)
            rc = ERROR_SUCCESS;
    }
    if (rc != ERROR_SUCCESS) {
        snprintf(what, sizeof what, "%s cannot be removed", text);
        report(c, rc, what);
    }
    return rc;
}

/*
 * Whether a DACL lets in nobody but SYSTEM and Administrators. With `exact`, it
 * must also be protected and give both full control, inherited by subkeys.
 */
static bool dacl_is_private(struct ctx *c, PSECURITY_DESCRIPTOR sd, PACL dacl, bool exact)
{
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    bool system_full = false, admins_full = false;

    if (dacl == NULL) /* a NULL DACL lets everyone in */
        return false;
    for (DWORD i = 0; i < dacl->AceCount; i++) {
        void *ace = NULL;
        ACE_HEADER *h;
        ACCESS_ALLOWED_ACE *allow;
        bool full;

        if (!GetAce(dacl, i, &ace))
            return false;
        h = ace;
        if (h->AceType == ACCESS_DENIED_ACE_TYPE)
            continue;
        if (h->AceType != ACCESS_ALLOWED_ACE_TYPE)
            return false;
        allow = ace;
        full = (allow->Mask & KEY_ALL_ACCESS) == KEY_ALL_ACCESS &&
               (h->AceFlags & INHERIT_ONLY_ACE) == 0 && (h->AceFlags & CONTAINER_INHERIT_ACE) != 0;
        if (EqualSid(&allow->SidStart, c->system_sid))
            system_full = system_full || full;
        else if (EqualSid(&allow->SidStart, c->admins_sid))
            admins_full = admins_full || full;
        else
            return false;
    }
    if (!exact)
        return true;
    if (!GetSecurityDescriptorControl(sd, &control, &revision))
        return false;
    return (control & SE_DACL_PROTECTED) != 0 && system_full && admins_full;
}

static DWORD check_dacl(struct ctx *c, HKEY key, bool exact, bool *ok)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    DWORD rc = GetSecurityInfo(key, SE_REGISTRY_KEY, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
                               NULL, &sd);

    *ok = rc == ERROR_SUCCESS && dacl_is_private(c, sd, dacl, exact);
    if (sd != NULL)
        LocalFree(sd);
    return rc;
}

/*
 * Gives a key the configuration DACL. The root always gets it (SetSecurityInfo
 * also propagates it to subkeys that inherit); a subkey only if it still lets
 * anyone else in.
 */
static DWORD restrict_key(struct ctx *c, HKEY key, const char *text, bool root)
{
    bool ok = false;
    DWORD rc;
    char what[TEXT_SIZE];

    if (!root) {
        rc = check_dacl(c, key, false, &ok);
        if (rc == ERROR_SUCCESS && ok)
            return ERROR_SUCCESS;
        if (rc == ERROR_SUCCESS)
            rh_log(RH_LOG_WARNING,
                   "%s: %s let more than SYSTEM and Administrators in: it no longer does", c->op,
                   text);
    }
    rc = SetSecurityInfo(key, SE_REGISTRY_KEY,
                         DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
                         NULL, c->dacl, NULL);
    if (rc == ERROR_SUCCESS)
        rc = check_dacl(c, key, true, &ok);
    if (rc == ERROR_SUCCESS && !ok) {
        /* Wine 8's SetSecurityInfo drops the protection: set the descriptor as it is. */
        rc = (DWORD)RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, c->sd);
        if (rc == ERROR_SUCCESS)
            rc = check_dacl(c, key, true, &ok);
        if (rc == ERROR_SUCCESS && !ok)
            rc = ERROR_INVALID_SECURITY_DESCR;
    }
    if (rc != ERROR_SUCCESS) {
        snprintf(what, sizeof what, "%s: its DACL cannot be limited to SYSTEM and Administrators",
                 text);
        report(c, rc, what);
    }
    return rc;
}

static DWORD restrict_tree(struct ctx *c, HKEY key, const char *text, unsigned depth)
{
    DWORD rc = restrict_key(c, key, text, depth == 0);

    for (DWORD i = 0; rc == ERROR_SUCCESS; i++) {
        WCHAR name[256];
        DWORD len = sizeof name / sizeof name[0];
        char name_text[TEXT_SIZE / 2];
        char child_text[TEXT_SIZE];
        HKEY child = NULL;

        rc = (DWORD)RegEnumKeyExW(key, i, name, &len, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            return ERROR_SUCCESS;
        if (rc != ERROR_SUCCESS) {
            snprintf(child_text, sizeof child_text, "%s: its subkeys cannot be listed", text);
            return report(c, rc, child_text);
        }
        to_text(name, name_text, sizeof name_text);
        snprintf(child_text, sizeof child_text, "%s\\%s", text, name_text);
        if (depth + 1 >= TREE_DEPTH_MAX) {
            rh_log(RH_LOG_WARNING,
                   "%s: %s is deeper than rashangup reads; its DACL is left as it is", c->op,
                   child_text);
            continue;
        }
        rc = (DWORD)RegOpenKeyExW(key, name, 0, READ_CONTROL | WRITE_DAC | KEY_ENUMERATE_SUB_KEYS,
                                  &child);
        if (rc != ERROR_SUCCESS) {
            char what[TEXT_SIZE + 32];

            snprintf(what, sizeof what, "%s cannot be opened", child_text);
            return report(c, rc, what);
        }
        rc = restrict_tree(c, child, child_text, depth + 1);
        RegCloseKey(child);
    }
    return rc;
}

/* Step 1: the configuration key, its DACL, and the record of what install creates. */
static DWORD install_config(struct ctx *c, HKEY *book)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, c->sd, FALSE};
    HKEY root = NULL;
    DWORD disp = 0;
    DWORD rc;

    *book = NULL;
    /* A new key is private from the start; an existing one becomes so below. */
    rc = (DWORD)RegCreateKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, NULL, 0,
                                KEY_ALL_ACCESS | KEY_WOW64_64KEY, &sa, &root, &disp);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, RH_CONFIG_KEY_TEXT " cannot be opened or created");
        goto out;
    }
    rc = (DWORD)RegCreateKeyExW(root, L"Install", 0, NULL, 0, KEY_QUERY_VALUE | KEY_SET_VALUE, NULL,
                                book, NULL);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, INSTALL_KEY_TEXT " cannot be opened or created");
        goto undo;
    }
    if (disp == REG_CREATED_NEW_KEY) {
        rc = mark(c, *book, MARK_CONFIG_KEY);
        if (rc != ERROR_SUCCESS)
            goto undo;
    }
    /* After Install exists, so that it is covered too. */
    rc = restrict_tree(c, root, RH_CONFIG_KEY_TEXT, 0);
    if (rc == ERROR_SUCCESS)
        rh_log(RH_LOG_INFO, "%s: %s%s: access limited to SYSTEM and Administrators", c->op,
               RH_CONFIG_KEY_TEXT, disp == REG_CREATED_NEW_KEY ? " created" : "");
    goto out;
undo:
    if (*book != NULL) {
        RegCloseKey(*book);
        *book = NULL;
    }
    if (disp == REG_CREATED_NEW_KEY) {
        RegDeleteKeyExW(HKEY_LOCAL_MACHINE, INSTALL_KEY, KEY_WOW64_64KEY, 0);
        RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, KEY_WOW64_64KEY, 0);
    }
out:
    if (root != NULL)
        RegCloseKey(root);
    return rc;
}

/* Step 2: the Event Log source. */
static DWORD install_event_source(struct ctx *c, HKEY book)
{
    HKEY key = NULL;
    DWORD disp = 0;
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    DWORD rc;

    rc = (DWORD)RegCreateKeyExW(HKEY_LOCAL_MACHINE, RH_EVENT_SOURCE_KEY, 0, NULL, 0,
                                KEY_SET_VALUE | KEY_WOW64_64KEY, NULL, &key, &disp);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, RH_EVENT_SOURCE_KEY_TEXT " cannot be opened or created");
        goto out;
    }
    if (disp == REG_CREATED_NEW_KEY) {
        rc = mark(c, book, MARK_EVENT_SOURCE);
        if (rc != ERROR_SUCCESS) {
            RegCloseKey(key);
            key = NULL;
            RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RH_EVENT_SOURCE_KEY, KEY_WOW64_64KEY, 0);
            goto out;
        }
    }
    rc = write_string(key, L"EventMessageFile", REG_EXPAND_SZ, c->self, wcslen(c->self));
    if (rc == ERROR_SUCCESS)
        rc = (DWORD)RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types,
                                   sizeof types);
    if (rc != ERROR_SUCCESS) {
        report(c, rc,
               RH_EVENT_SOURCE_KEY_TEXT ": values EventMessageFile and TypesSupported cannot be "
                                        "written");
        goto out;
    }
    rh_log(RH_LOG_INFO, "%s: Event Log source %s %s", c->op, RH_EVENT_SOURCE_KEY_TEXT,
           disp == REG_CREATED_NEW_KEY ? "registered" : "updated");
out:
    if (key != NULL)
        RegCloseKey(key);
    return rc;
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
        report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be read");
    return rc;
}

static void log_dllpath(const struct ctx *c, const char *how, const WCHAR *list)
{
    char text[TEXT_SIZE];

    to_text(list, text, sizeof text);
    rh_log(RH_LOG_INFO, "%s: %s value DLLPath %s: \"%s\"", c->op, ADMIN_DLL_KEY_TEXT, how, text);
}

/* Step 3: this DLL in DLLPath. */
static DWORD install_dllpath(struct ctx *c, HKEY book)
{
    HKEY key = NULL;
    DWORD disp = 0;
    DWORD type = REG_SZ;
    WCHAR *old = NULL;
    WCHAR *list = NULL;
    size_t old_len = 0, len = 0, ours = 0;
    bool created_value = false;
    DWORD rc;

    rc = (DWORD)RegCreateKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, 0, NULL, 0,
                                KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY, NULL, &key,
                                &disp);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, ADMIN_DLL_KEY_TEXT " cannot be opened or created");
        goto out;
    }
    if (disp == REG_CREATED_NEW_KEY) {
        rc = mark(c, book, MARK_ADMIN_DLL_KEY);
        if (rc != ERROR_SUCCESS) {
            RegCloseKey(key);
            key = NULL;
            RegDeleteKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, KEY_WOW64_64KEY, 0);
            goto out;
        }
    }
    rc = read_dllpath(c, key, &type, &old, &old_len);
    if (rc == ERROR_FILE_NOT_FOUND) {
        type = REG_SZ;
        created_value = true;
        rc = mark(c, book, MARK_DLLPATH_VALUE);
    }
    if (rc != ERROR_SUCCESS)
        goto out;
    rc = edit_list(c, old != NULL ? old : L"", old_len, EDIT_ADD, &list, &len, &ours);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be edited");
        goto out;
    }
    if (!created_value && len == old_len && memcmp(list, old, len * sizeof(WCHAR)) == 0) {
        log_dllpath(c, "already lists this DLL, unchanged", list);
        goto out;
    }
    rc = write_string(key, DLLPATH_VALUE, type, list, len);
    if (rc != ERROR_SUCCESS) {
        report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be written");
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
static DWORD check_dllpath(struct ctx *c)
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
        report(c, rc, ADMIN_DLL_KEY_TEXT " cannot be opened");
    free(list);
    if (key != NULL)
        RegCloseKey(key);
    return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
}

/* A 32-bit DLL on 64-bit Windows: the 64-bit RemoteAccess service cannot load it. */
static bool is_wow64(void)
{
#ifdef _WIN64
    return false;
#else
    BOOL wow64 = FALSE;

    return IsWow64Process(GetCurrentProcess(), &wow64) && wow64;
#endif
}

/*
 * The state folder (%ProgramData%\RasHangup) and the default journal folder,
 * made before the log opens in them: created private and owned by
 * Administrators, or checked if they exist. One that fails the checks (owned
 * by someone else, writable by others, a link) is set aside, never repaired
 * in place: whoever could write to it may hold handles or links inside.
 */
static struct {
    DWORD rc;
    char why[RH_PATH_CHARS * 3 + 256];
    WCHAR aside[2][RH_PATH_CHARS + 48];
} g_folders;

static void make_folders(void)
{
    WCHAR dir[RH_PATH_CHARS];
    HANDLE h;

    memset(&g_folders, 0, sizeof g_folders);
    if (!rh_state_dir(dir, RH_PATH_CHARS - 16)) {
        g_folders.rc = ERROR_PATH_NOT_FOUND;
        snprintf(g_folders.why, sizeof g_folders.why,
                 "the folder %%ProgramData%% cannot be found (known folder ProgramData)");
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (i == 1)
            wcscat_s(dir, RH_PATH_CHARS, L"\\journal");
        h = rh_dir_make_trusted(dir, g_folders.aside[i], RH_PATH_CHARS + 48, g_folders.why,
                                sizeof g_folders.why);
        if (h == INVALID_HANDLE_VALUE) {
            g_folders.rc = GetLastError() != ERROR_SUCCESS ? GetLastError() : ERROR_ACCESS_DENIED;
            return;
        }
        CloseHandle(h);
    }
    g_folders.why[0] = '\0';
}

static DWORD install_folders(const struct ctx *c)
{
    for (int i = 0; i < 2; i++) {
        char aside[(RH_PATH_CHARS + 48) * 3];

        if (g_folders.aside[i][0] == L'\0')
            continue;
        to_text(g_folders.aside[i], aside, sizeof aside);
        rh_log(RH_LOG_WARNING,
               "%s: a folder that could not be trusted (%s) was set aside as %s and a new one "
               "made, for SYSTEM and Administrators only; nothing in it is used: inspect it, "
               "then delete it",
               c->op, g_folders.why[0] != '\0' ? g_folders.why : "see above", aside);
    }
    if (g_folders.rc != ERROR_SUCCESS) {
        rh_log(RH_LOG_ERROR,
               "%s: %s; the state folder cannot be made safe: remove it (or what is in its "
               "place), then run regsvr32 again",
               c->op, g_folders.why);
        return g_folders.rc;
    }
    return ERROR_SUCCESS;
}

static DWORD install(struct ctx *c)
{
    HKEY book = NULL;
    DWORD rc;

    if (is_wow64()) {
        rh_log(RH_LOG_ERROR,
               "%s: %s is a 32-bit DLL and this Windows is 64-bit: the RemoteAccess service "
               "runs in a 64-bit process and cannot load it (error 193); register the x64 "
               "rashangup.dll instead",
               c->op, c->self_text);
        return ERROR_BAD_EXE_FORMAT;
    }
    if (wcschr(c->self, L';') != NULL) {
        rh_log(RH_LOG_ERROR,
               "%s: %s contains a ';', which separates DLLPath's entries: move the DLL to a "
               "folder whose path has none (C:\\Program Files\\RasHangup)",
               c->op, c->self_text);
        return ERROR_INVALID_NAME;
    }
    rc = check_dllpath(c);
    if (rc == ERROR_SUCCESS)
        rc = install_folders(c);
    if (rc == ERROR_SUCCESS)
        rc = install_config(c, &book);
    if (rc == ERROR_SUCCESS)
        rc = install_event_source(c, book);
    if (rc == ERROR_SUCCESS)
        rc = install_dllpath(c, book);
    if (book != NULL)
        RegCloseKey(book);
    if (rc == ERROR_SUCCESS)
        rh_log(RH_LOG_INFO,
               "%s: %s is registered; RRAS loads it when the RemoteAccess service next starts",
               c->op, c->self_text);
    return rc;
}

static DWORD uninstall_dllpath(struct ctx *c, bool created_key, bool created_value)
{
    HKEY key = NULL;
    DWORD type = REG_NONE;
    WCHAR *old = NULL;
    WCHAR *list = NULL;
    size_t old_len = 0, len = 0, ours = 0;
    bool gone = false;
    DWORD rc;

    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, ADMIN_DLL_KEY, 0,
                              KEY_QUERY_VALUE | KEY_SET_VALUE | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rc = ERROR_SUCCESS;
        goto out;
    }
    if (rc != ERROR_SUCCESS) {
        report(c, rc, ADMIN_DLL_KEY_TEXT " cannot be opened");
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
        report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be edited");
        goto out;
    }
    if (len == 0 && created_value) {
        rc = (DWORD)RegDeleteValueW(key, DLLPATH_VALUE);
        if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) {
            report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be removed");
            goto out;
        }
        rc = ERROR_SUCCESS;
        rh_log(RH_LOG_INFO, "%s: %s value DLLPath removed (install had created it)", c->op,
               ADMIN_DLL_KEY_TEXT);
    } else if (ours > 0) {
        rc = write_string(key, DLLPATH_VALUE, type, list, len);
        if (rc != ERROR_SUCCESS) {
            report(c, rc, ADMIN_DLL_KEY_TEXT " value DLLPath cannot be written");
            goto out;
        }
        log_dllpath(c, "no longer lists this DLL", list);
    } else {
        log_dllpath(c, "does not list this DLL, unchanged", old);
    }
remove_key:
    RegCloseKey(key);
    key = NULL;
    if (created_key) {
        rc = delete_if_empty(c, ADMIN_DLL_KEY, ADMIN_DLL_KEY_TEXT, &gone);
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

static DWORD uninstall(struct ctx *c)
{
    HKEY book = NULL;
    bool created_key, created_value, created_config, created_source;
    bool gone = false;
    DWORD rc;

    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, INSTALL_KEY, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY,
                              &book);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_INFO, "%s: %s does not exist: only this DLL's DLLPath entries are removed",
               c->op, INSTALL_KEY_TEXT);
        book = NULL;
    } else if (rc != ERROR_SUCCESS) {
        return report(c, rc, INSTALL_KEY_TEXT " cannot be read");
    }
    created_key = marked(book, MARK_ADMIN_DLL_KEY);
    created_value = marked(book, MARK_DLLPATH_VALUE);
    created_config = marked(book, MARK_CONFIG_KEY);
    created_source = marked(book, MARK_EVENT_SOURCE);
    if (book != NULL)
        RegCloseKey(book);

    /* First what makes RRAS load the DLL; the record goes last, once all else is done. */
    rc = uninstall_dllpath(c, created_key, created_value);
    if (rc == ERROR_SUCCESS && created_source) {
        rc = (DWORD)RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RH_EVENT_SOURCE_KEY, KEY_WOW64_64KEY, 0);
        if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) {
            rc = ERROR_SUCCESS;
            rh_log(RH_LOG_INFO, "%s: Event Log source %s removed", c->op, RH_EVENT_SOURCE_KEY_TEXT);
        } else {
            report(c, rc, RH_EVENT_SOURCE_KEY_TEXT " cannot be removed");
        }
    }
    if (rc == ERROR_SUCCESS) {
        rc = (DWORD)RegDeleteKeyExW(HKEY_LOCAL_MACHINE, INSTALL_KEY, KEY_WOW64_64KEY, 0);
        if (rc == ERROR_FILE_NOT_FOUND)
            rc = ERROR_SUCCESS;
        if (rc != ERROR_SUCCESS)
            report(c, rc, INSTALL_KEY_TEXT " cannot be removed");
    }
    if (rc == ERROR_SUCCESS && created_config) {
        rc = delete_if_empty(c, RH_CONFIG_KEY, RH_CONFIG_KEY_TEXT, &gone);
        if (rc == ERROR_SUCCESS)
            rh_log(RH_LOG_INFO,
                   gone ? "%s: %s removed (install had created it)"
                        : "%s: %s kept: it holds the administrator's configuration",
                   c->op, RH_CONFIG_KEY_TEXT);
    }
    if (rc == ERROR_SUCCESS)
        rh_log(RH_LOG_INFO,
               "%s: %s is unregistered; RRAS unloads it when the RemoteAccess service next "
               "stops. Its log and journal in %%ProgramData%%\\RasHangup stay",
               c->op, c->self_text);
    return rc;
}

static HRESULT run(const char *op, DWORD (*fn)(struct ctx *))
{
    struct ctx c;
    bool opened_log = !rh_diag_is_open();
    DWORD rc;

    if (fn == install)
        make_folders(); /* before the log opens in one of them */
    if (opened_log)
        rh_diag_open();
    rc = ctx_init(&c, op);
    if (rc == ERROR_SUCCESS)
        rc = fn(&c);
    ctx_free(&c);
    if (opened_log)
        rh_diag_close();
    return rc == ERROR_SUCCESS ? S_OK : HRESULT_FROM_WIN32(rc);
}

STDAPI DllRegisterServer(void)
{
    return run("install", install);
}

STDAPI DllUnregisterServer(void)
{
    return run("uninstall", uninstall);
}
