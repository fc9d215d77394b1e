/* SPDX-License-Identifier: MIT */
/*
 * Shared by regsvr32's files: install.c (the order of install and uninstall,
 * the context and the record of what install created), install_keys.c (the
 * configuration key and the Event Log source), install_dllpath.c (RRAS's
 * DLLPath) and install_folders.c (the state and journal folders).
 */
#ifndef RH_INSTALL_INTERNAL_H
#define RH_INSTALL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

#include "config.h"

#define INSTALL_KEY      RH_CONFIG_KEY L"\\Install"
#define INSTALL_KEY_TEXT RH_CONFIG_KEY_TEXT "\\Install"

/* The record of what install created: REG_DWORD 1 under INSTALL_KEY. */
#define MARK_ADMIN_DLL_KEY L"CreatedAdminDllKey"
#define MARK_DLLPATH_VALUE L"CreatedDllPathValue"
#define MARK_CONFIG_KEY    L"CreatedConfigKey"
#define MARK_EVENT_SOURCE  L"CreatedEventSource"

/* The longest Windows path (\\?\ form), in characters with the NUL. */
#define PATH_CAP 32768
/* The longest DLLPath handled, in characters: a list of DLLs is far shorter. */
#define DLLPATH_CAP (256u * 1024)

/* A path or key name as UTF-8, for the log. */
#define TEXT_SIZE 1024

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
    /* Who runs regsvr32 (an administrator), and the owner its new keys get; or empty. */
    BYTE user_sid[SECURITY_MAX_SID_SIZE];
    BYTE owner_sid[SECURITY_MAX_SID_SIZE];
};

/* install.c */
DWORD rh_report(const struct ctx *c, DWORD rc, const char *what); /* logs, returns rc */
void rh_to_text(const WCHAR *s, char *out, size_t out_size);      /* UTF-8 for the log */
DWORD rh_write_string(HKEY key, const WCHAR *name, DWORD type, const WCHAR *s, size_t len);
DWORD rh_mark(const struct ctx *c, HKEY book, const WCHAR *name); /* REG_DWORD 1 in book */
/*
 * Opens HKLM\path (64-bit view) with `access`, creating it if missing; a key it
 * creates is recorded in book as `mark` (and deleted again if that fails).
 * *created says which; failures are reported under `text`.
 */
DWORD rh_create_recorded_key(const struct ctx *c, HKEY book, const WCHAR *path, const char *text,
                             REGSAM access, const WCHAR *mark, HKEY *key, bool *created);
DWORD rh_delete_if_empty(const struct ctx *c, const WCHAR *path, const char *text, bool *gone);

/* install_keys.c: steps 1 and 2. */
DWORD rh_install_config(struct ctx *c, HKEY *book);
DWORD rh_install_event_source(struct ctx *c, HKEY book);

/* install_dllpath.c: the check before anything changes, step 3, and its undoing. */
DWORD rh_check_dllpath(struct ctx *c);
DWORD rh_install_dllpath(struct ctx *c, HKEY book);
/* *removed: DLLPath listed this DLL and no longer does. */
DWORD rh_uninstall_dllpath(struct ctx *c, bool created_key, bool created_value, bool *removed);

/* install_folders.c: made before the log opens; their outcome logged once it is open. */
void rh_make_folders(void);
DWORD rh_install_folders(const struct ctx *c);

#endif /* RH_INSTALL_INTERNAL_H */
