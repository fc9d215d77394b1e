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

#include <olectl.h>
#include <sddl.h>

#include "install_internal.h"
#include "diag.h"
#include "eventlog_source.h"
#include "wstr.h"

/* Full control for SYSTEM and Administrators, inherited by subkeys; nobody else. */
#define CONFIG_SDDL L"D:P(A;OICI;KA;;;SY)(A;OICI;KA;;;BA)"

extern IMAGE_DOS_HEADER __ImageBase;

/* GetLastError(), never ERROR_SUCCESS: for failures that may not set it. */
static DWORD last_error(void)
{
    DWORD rc = GetLastError();

    return rc != ERROR_SUCCESS ? rc : ERROR_INTERNAL_ERROR;
}

/* Logs "<op>: <what>: <system text>" and returns rc. */
DWORD rh_report(const struct ctx *c, DWORD rc, const char *what)
{
    char text[512];

    rh_win32_error_text(rc, text, sizeof text);
    rh_log(RH_LOG_ERROR, "%s: %s: %s%s", c->op, what, text,
           rc == ERROR_ACCESS_DENIED ? "; run regsvr32 from an elevated prompt" : "");
    return rc;
}

void rh_to_text(const WCHAR *s, char *out, size_t out_size)
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
        rc = rh_report(c, ERROR_NOT_ENOUGH_MEMORY, "cannot start");
        goto out;
    }
    c->expanded = c->self + PATH_CAP;
    c->full = c->expanded + PATH_CAP;
    n = GetModuleFileNameW((HMODULE)&__ImageBase, c->self, PATH_CAP);
    if (n == 0 || n >= PATH_CAP) {
        rc = rh_report(c, n == 0 ? last_error() : ERROR_INSUFFICIENT_BUFFER,
                       "the DLL's own path cannot be read");
        goto out;
    }
    rh_to_text(c->self, c->self_text, sizeof c->self_text);
    size = sizeof c->system_sid;
    if (!CreateWellKnownSid(WinLocalSystemSid, NULL, c->system_sid, &size)) {
        rc = rh_report(c, last_error(), "the SYSTEM SID cannot be built");
        goto out;
    }
    size = sizeof c->admins_sid;
    if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, c->admins_sid, &size)) {
        rc = rh_report(c, last_error(), "the Administrators SID cannot be built");
        goto out;
    }
    {
        HANDLE token;
        BYTE buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
        DWORD got = 0;

        /* Keys regsvr32's own account made are its doing, not another account's. */
        if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
            if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &got))
                CopySid(sizeof c->user_sid, c->user_sid, ((TOKEN_USER *)(void *)buf)->User.Sid);
            if (GetTokenInformation(token, TokenOwner, buf, sizeof buf, &got))
                CopySid(sizeof c->owner_sid, c->owner_sid, ((TOKEN_OWNER *)(void *)buf)->Owner);
            CloseHandle(token);
        }
    }
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(CONFIG_SDDL, SDDL_REVISION_1, &c->sd,
                                                              NULL) ||
        !GetSecurityDescriptorDacl(c->sd, &present, &c->dacl, &defaulted) || !present) {
        rc = rh_report(c, last_error(),
                       "the configuration key's security descriptor cannot be built");
        goto out;
    }
out:
    return rc; /* the caller frees c, also on failure */
}

DWORD rh_write_string(HKEY key, const WCHAR *name, DWORD type, const WCHAR *s, size_t len)
{
    /* len <= DLLPATH_CAP + PATH_CAP: the size fits a DWORD. */
    return (DWORD)RegSetValueExW(key, name, 0, type, (const BYTE *)s,
                                 (DWORD)((len + 1) * sizeof(WCHAR)));
}

DWORD rh_mark(const struct ctx *c, HKEY book, const WCHAR *name)
{
    DWORD one = 1;
    DWORD rc = (DWORD)RegSetValueExW(book, name, 0, REG_DWORD, (const BYTE *)&one, sizeof one);

    if (rc != ERROR_SUCCESS)
        rh_report(c, rc, INSTALL_KEY_TEXT ": the record of what install created cannot be written");
    return rc;
}

DWORD rh_create_recorded_key(const struct ctx *c, HKEY book, const WCHAR *path, const char *text,
                             REGSAM access, const WCHAR *mark, HKEY *key, bool *created)
{
    char what[TEXT_SIZE];
    DWORD disp = 0;
    DWORD rc = (DWORD)RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
                                      access | KEY_WOW64_64KEY, NULL, key, &disp);

    *created = false;
    if (rc != ERROR_SUCCESS) {
        *key = NULL;
        snprintf(what, sizeof what, "%s cannot be opened or created", text);
        return rh_report(c, rc, what);
    }
    if (disp == REG_CREATED_NEW_KEY) {
        rc = rh_mark(c, book, mark);
        if (rc != ERROR_SUCCESS) {
            RegCloseKey(*key);
            *key = NULL;
            RegDeleteKeyExW(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
            return rc;
        }
        *created = true;
    }
    return ERROR_SUCCESS;
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
DWORD rh_delete_if_empty(const struct ctx *c, const WCHAR *path, const char *text, bool *gone)
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
        rh_report(c, rc, what);
    }
    return rc;
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
    rc = rh_check_dllpath(c);
    if (rc == ERROR_SUCCESS)
        rc = rh_install_folders(c);
    if (rc == ERROR_SUCCESS)
        rc = rh_install_config(c, &book);
    if (rc == ERROR_SUCCESS)
        rc = rh_install_event_source(c, book);
    if (rc == ERROR_SUCCESS)
        rc = rh_install_dllpath(c, book);
    if (book != NULL)
        RegCloseKey(book);
    if (rc == ERROR_SUCCESS)
        rh_log(RH_LOG_INFO,
               "%s: %s is registered; RRAS loads it when the RemoteAccess service next starts",
               c->op, c->self_text);
    return rc;
}

static DWORD uninstall(struct ctx *c)
{
    HKEY book = NULL;
    bool created_key, created_value, created_config, created_source, recorded;
    bool gone = false, removed = false;
    DWORD rc;

    rc = (DWORD)RegOpenKeyExW(HKEY_LOCAL_MACHINE, INSTALL_KEY, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY,
                              &book);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_INFO, "%s: %s does not exist: only this DLL's DLLPath entries are removed",
               c->op, INSTALL_KEY_TEXT);
        book = NULL;
    } else if (rc != ERROR_SUCCESS) {
        return rh_report(c, rc, INSTALL_KEY_TEXT " cannot be read");
    }
    created_key = marked(book, MARK_ADMIN_DLL_KEY);
    created_value = marked(book, MARK_DLLPATH_VALUE);
    created_config = marked(book, MARK_CONFIG_KEY);
    created_source = marked(book, MARK_EVENT_SOURCE);
    recorded = book != NULL;
    if (book != NULL)
        RegCloseKey(book);

    /* First what makes RRAS load the DLL; the record goes last, once all else is done. */
    rc = rh_uninstall_dllpath(c, created_key, created_value, &removed);
    if (rc == ERROR_SUCCESS && created_source) {
        rc = (DWORD)RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RH_EVENT_SOURCE_KEY, KEY_WOW64_64KEY, 0);
        if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) {
            rc = ERROR_SUCCESS;
            rh_log(RH_LOG_INFO, "%s: Event Log source %s removed", c->op, RH_EVENT_SOURCE_KEY_TEXT);
        } else {
            rh_report(c, rc, RH_EVENT_SOURCE_KEY_TEXT " cannot be removed");
        }
    }
    if (rc == ERROR_SUCCESS) {
        rc = (DWORD)RegDeleteKeyExW(HKEY_LOCAL_MACHINE, INSTALL_KEY, KEY_WOW64_64KEY, 0);
        if (rc == ERROR_FILE_NOT_FOUND)
            rc = ERROR_SUCCESS;
        if (rc != ERROR_SUCCESS)
            rh_report(c, rc, INSTALL_KEY_TEXT " cannot be removed");
    }
    if (rc == ERROR_SUCCESS && created_config) {
        rc = rh_delete_if_empty(c, RH_CONFIG_KEY, RH_CONFIG_KEY_TEXT, &gone);
        if (rc == ERROR_SUCCESS)
            rh_log(RH_LOG_INFO,
                   gone ? "%s: %s removed (install had created it)"
                        : "%s: %s kept: it holds the administrator's configuration",
                   c->op, RH_CONFIG_KEY_TEXT);
    }
    if (rc == ERROR_SUCCESS && (recorded || removed))
        rh_log(RH_LOG_INFO,
               "%s: %s is unregistered; RRAS unloads it when the RemoteAccess service next "
               "stops. Its log and journal in %%ProgramData%%\\RasHangup stay",
               c->op, c->self_text);
    else if (rc == ERROR_SUCCESS)
        rh_log(RH_LOG_INFO, "%s: %s was not registered (no install record): nothing else to undo",
               c->op, c->self_text);
    return rc;
}

static HRESULT run(const char *op, DWORD (*fn)(struct ctx *))
{
    struct ctx c;
    bool opened_log = !rh_diag_is_open();
    DWORD rc;

    if (fn == install)
        rh_make_folders(); /* before the log opens in one of them */
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
