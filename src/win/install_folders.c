/* SPDX-License-Identifier: MIT */
/* Install's folders: the state folder and the default journal folder, made safe. */
#include "install_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "files.h"

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

void rh_make_folders(void)
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

DWORD rh_install_folders(const struct ctx *c)
{
    for (int i = 0; i < 2; i++) {
        char aside[(RH_PATH_CHARS + 48) * 3];

        if (g_folders.aside[i][0] == L'\0')
            continue;
        rh_to_text(g_folders.aside[i], aside, sizeof aside);
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
