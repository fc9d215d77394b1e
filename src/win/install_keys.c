/* SPDX-License-Identifier: MIT */
/*
 * Install's registry keys (install.c has the order): the configuration key
 * with its DACL limited to SYSTEM and Administrators, subkeys included, and
 * the Event Log source (eventlog_source.h).
 */
#include "install_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aclapi.h>
#include <sddl.h>

#include "diag.h"
#include "eventlog_source.h"

/* How deep install looks for subkeys of the configuration key. */
#define TREE_DEPTH_MAX 8

/* Whether sid is the account running regsvr32 (an administrator), or its new keys' owner. */
static bool is_installer(const struct ctx *c, PSID sid)
{
    PSID user = (PSID)(uintptr_t)c->user_sid; /* the API takes no const */
    PSID owner = (PSID)(uintptr_t)c->owner_sid;

    return (IsValidSid(user) && EqualSid(sid, user)) || (IsValidSid(owner) && EqualSid(sid, owner));
}

/* The SID as text (S-1-...) into who, for a warning. */
static void sid_text(PSID sid, char *who, size_t who_size)
{
    LPSTR text = NULL;

    if (ConvertSidToStringSidA(sid, &text)) {
        snprintf(who, who_size, "%s", text);
        LocalFree(text);
    } else {
        snprintf(who, who_size, "an unreadable SID");
    }
}

/*
 * Whether a DACL lets in nobody but SYSTEM and Administrators. With `exact`, it
 * must also be protected and give both full control, inherited by subkeys.
 * Who else it lets in goes to `who` (NULL: not said).
 */
static bool dacl_is_private(struct ctx *c, PSECURITY_DESCRIPTOR sd, PACL dacl, bool exact,
                            char *who, size_t who_size)
{
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    bool system_full = false, admins_full = false;

    if (dacl == NULL) { /* a NULL DACL lets everyone in */
        if (who != NULL)
            snprintf(who, who_size, "everyone: no DACL");
        return false;
    }
    /* With `exact` unset, the installing account counts as an administrator (it is one). */
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
        if (h->AceType != ACCESS_ALLOWED_ACE_TYPE) {
            if (who != NULL)
                snprintf(who, who_size, "an entry of type %u", (unsigned)h->AceType);
            return false;
        }
        allow = ace;
        full = (allow->Mask & KEY_ALL_ACCESS) == KEY_ALL_ACCESS &&
               (h->AceFlags & INHERIT_ONLY_ACE) == 0 && (h->AceFlags & CONTAINER_INHERIT_ACE) != 0;
        if (EqualSid(&allow->SidStart, c->system_sid))
            system_full = system_full || full;
        else if (EqualSid(&allow->SidStart, c->admins_sid))
            admins_full = admins_full || full;
        else if (exact || !is_installer(c, &allow->SidStart)) {
            if (who != NULL)
                sid_text(&allow->SidStart, who, who_size);
            return false;
        }
    }
    if (!exact)
        return true;
    if (!GetSecurityDescriptorControl(sd, &control, &revision))
        return false;
    return (control & SE_DACL_PROTECTED) != 0 && system_full && admins_full;
}

static DWORD check_dacl(struct ctx *c, HKEY key, bool exact, bool *ok, char *who, size_t who_size)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    DWORD rc = GetSecurityInfo(key, SE_REGISTRY_KEY, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
                               NULL, &sd);

    *ok = rc == ERROR_SUCCESS && dacl_is_private(c, sd, dacl, exact, who, who_size);
    if (sd != NULL)
        LocalFree(sd);
    return rc;
}

/*
 * Gives a key owned by anyone but SYSTEM or Administrators to Administrators:
 * an owner may always rewrite the DACL, so a key another account made before
 * install would otherwise stay theirs to open again.
 */
static DWORD restrict_owner(struct ctx *c, HKEY key, const char *text)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PSID owner = NULL;
    char what[TEXT_SIZE];
    DWORD rc = GetSecurityInfo(key, SE_REGISTRY_KEY, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL,
                               NULL, &sd);

    bool theirs = rc == ERROR_SUCCESS && owner != NULL && !is_installer(c, owner);
    char who[192] = "";

    if (theirs)
        sid_text(owner, who, sizeof who);

    if (rc == ERROR_SUCCESS && owner != NULL &&
        (EqualSid(owner, c->system_sid) || EqualSid(owner, c->admins_sid))) {
        LocalFree(sd);
        return ERROR_SUCCESS;
    }
    if (sd != NULL)
        LocalFree(sd);
    if (rc == ERROR_SUCCESS)
        rc = SetSecurityInfo(key, SE_REGISTRY_KEY, OWNER_SECURITY_INFORMATION, c->admins_sid, NULL,
                             NULL, NULL);
    if (rc != ERROR_SUCCESS) {
        snprintf(what, sizeof what, "%s: its owner cannot be made Administrators", text);
        return rh_report(c, rc, what);
    }
    if (theirs)
        rh_log(RH_LOG_WARNING,
               "%s: %s was owned by another account (%s): Administrators own it now", c->op, text,
               who);
    return ERROR_SUCCESS;
}

/*
 * Gives a key the configuration DACL. The root always gets it (SetSecurityInfo
 * also propagates it to subkeys that inherit); a subkey only if it still lets
 * anyone else in.
 */
static DWORD restrict_key(struct ctx *c, HKEY key, const char *text, bool root)
{
    bool ok = false;
    DWORD rc = restrict_owner(c, key, text);
    char what[TEXT_SIZE];

    if (rc != ERROR_SUCCESS)
        return rc;
    if (!root) {
        char who[192] = "";

        rc = check_dacl(c, key, false, &ok, who, sizeof who);
        if (rc == ERROR_SUCCESS && ok)
            return ERROR_SUCCESS;
        if (rc == ERROR_SUCCESS)
            rh_log(RH_LOG_WARNING,
                   "%s: %s let more than SYSTEM and Administrators in (%s): it no longer does",
                   c->op, text, who);
    }
    rc = SetSecurityInfo(key, SE_REGISTRY_KEY,
                         DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL,
                         NULL, c->dacl, NULL);
    if (rc == ERROR_SUCCESS)
        rc = check_dacl(c, key, true, &ok, NULL, 0);
    if (rc == ERROR_SUCCESS && !ok) {
        /* Wine 8's SetSecurityInfo drops the protection: set the descriptor as it is. */
        rc = (DWORD)RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, c->sd);
        if (rc == ERROR_SUCCESS)
            rc = check_dacl(c, key, true, &ok, NULL, 0);
        if (rc == ERROR_SUCCESS && !ok)
            rc = ERROR_INVALID_SECURITY_DESCR;
    }
    if (rc != ERROR_SUCCESS) {
        snprintf(what, sizeof what, "%s: its DACL cannot be limited to SYSTEM and Administrators",
                 text);
        rh_report(c, rc, what);
    }
    return rc;
}

/* Whether a key opened with REG_OPTION_OPEN_LINK is a link (its REG_LINK value). */
static bool is_link(HKEY key)
{
    DWORD type = REG_NONE;

    return RegQueryValueExW(key, L"SymbolicLinkValue", NULL, &type, NULL, NULL) == ERROR_SUCCESS &&
           type == REG_LINK;
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
            return rh_report(c, rc, child_text);
        }
        rh_to_text(name, name_text, sizeof name_text);
        snprintf(child_text, sizeof child_text, "%s\\%s", text, name_text);
        if (depth + 1 >= TREE_DEPTH_MAX) {
            rh_log(RH_LOG_WARNING,
                   "%s: %s is deeper than rashangup reads; its DACL is left as it is", c->op,
                   child_text);
            continue;
        }
        /* The key itself, never what a registry link names (elsewhere in HKLM). */
        rc = (DWORD)RegOpenKeyExW(key, name, REG_OPTION_OPEN_LINK,
                                  READ_CONTROL | WRITE_DAC | WRITE_OWNER | KEY_ENUMERATE_SUB_KEYS |
                                      KEY_QUERY_VALUE,
                                  &child);
        if (rc != ERROR_SUCCESS) {
            char what[TEXT_SIZE + 32];

            snprintf(what, sizeof what, "%s cannot be opened", child_text);
            return rh_report(c, rc, what);
        }
        if (is_link(child)) {
            rh_log(RH_LOG_ERROR,
                   "%s: %s is a registry link to another key: its target is left alone; delete "
                   "the link (rashangup's configuration holds none)",
                   c->op, child_text);
            RegCloseKey(child);
            continue;
        }
        rc = restrict_tree(c, child, child_text, depth + 1);
        RegCloseKey(child);
    }
    return rc;
}

/* Step 1: the configuration key, its DACL, and the record of what install creates. */
DWORD rh_install_config(struct ctx *c, HKEY *book)
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
        rh_report(c, rc, RH_CONFIG_KEY_TEXT " cannot be opened or created");
        goto out;
    }
    rc = (DWORD)RegCreateKeyExW(root, L"Install", 0, NULL, 0, KEY_QUERY_VALUE | KEY_SET_VALUE, &sa,
                                book, NULL);
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc, INSTALL_KEY_TEXT " cannot be opened or created");
        goto undo;
    }
    if (disp == REG_CREATED_NEW_KEY) {
        rc = rh_mark(c, *book, MARK_CONFIG_KEY);
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
DWORD rh_install_event_source(struct ctx *c, HKEY book)
{
    HKEY key = NULL;
    DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    bool created;
    DWORD rc;

    rc = rh_create_recorded_key(c, book, RH_EVENT_SOURCE_KEY, RH_EVENT_SOURCE_KEY_TEXT,
                                KEY_SET_VALUE, MARK_EVENT_SOURCE, &key, &created);
    if (rc != ERROR_SUCCESS)
        goto out;
    rc = rh_write_string(key, L"EventMessageFile", REG_EXPAND_SZ, c->self, wcslen(c->self));
    if (rc == ERROR_SUCCESS)
        rc = (DWORD)RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types,
                                   sizeof types);
    if (rc != ERROR_SUCCESS) {
        rh_report(c, rc,
                  RH_EVENT_SOURCE_KEY_TEXT ": values EventMessageFile and TypesSupported cannot be "
                                           "written");
        goto out;
    }
    rh_log(RH_LOG_INFO, "%s: Event Log source %s %s", c->op, RH_EVENT_SOURCE_KEY_TEXT,
           created ? "registered" : "updated");
out:
    if (key != NULL)
        RegCloseKey(key);
    return rc;
}
