/* SPDX-License-Identifier: MIT */
#include "journal_file.h"

#include <stdio.h>

#include "diag.h"
#include "files.h"
#include "wstr.h"

static void unmap_view(struct rh_journal_file *f)
{
    if (f->view != NULL)
        UnmapViewOfFile(f->view);
    if (f->mapping != NULL)
        CloseHandle(f->mapping);
    f->view = NULL;
    f->mapping = NULL;
}

static void unmap(struct rh_journal_file *f)
{
    unmap_view(f);
    if (f->file != INVALID_HANDLE_VALUE)
        CloseHandle(f->file);
    f->file = INVALID_HANDLE_VALUE;
}

/* Gives the open file `size` bytes and maps it whole. */
static bool map(struct rh_journal_file *f, ULONGLONG size, DWORD *error)
{
    LARGE_INTEGER want;

    want.QuadPart = (LONGLONG)size;
    /* The file gets its full size now: no growth, so no I/O, on RRAS's thread later. */
    if (!SetFilePointerEx(f->file, want, NULL, FILE_BEGIN) || !SetEndOfFile(f->file))
        goto fail;
    f->mapping =
        CreateFileMappingW(f->file, NULL, PAGE_READWRITE, (DWORD)(size >> 32), (DWORD)size, NULL);
    if (f->mapping == NULL)
        goto fail;
    f->view = MapViewOfFile(f->mapping, FILE_MAP_ALL_ACCESS, 0, 0, (SIZE_T)size);
    if (f->view == NULL)
        goto fail;
    f->size = size;
    return true;

fail:
    *error = GetLastError();
    unmap_view(f);
    return false;
}

/* Opens journal.dat in `dir` (a checked folder), never through a link; false with err. */
static bool open_file(struct rh_journal_file *f, char *err, size_t err_size)
{
    char why[RH_PATH_CHARS * 3 + 128];

    f->file = rh_file_open_checked(f->path, GENERIC_READ | GENERIC_WRITE | DELETE, FILE_SHARE_READ,
                                   OPEN_ALWAYS, why, sizeof why);
    if (f->file == INVALID_HANDLE_VALUE) {
        snprintf(err, err_size, "journal: %s", why);
        return false;
    }
    return true;
}

bool rh_journal_file_open(struct rh_journal_file *f, const WCHAR *dir, ULONGLONG size,
                          struct rh_journal *j, struct rh_journal_recovery *rec, char *err,
                          size_t err_size)
{
    LARGE_INTEGER existing = {0};
    DWORD error = 0;
    char text[256];

    memset(f, 0, sizeof *f);
    f->file = INVALID_HANDLE_VALUE;
    memset(rec, 0, sizeof *rec);
    if (_snwprintf(f->path, MAX_PATH, L"%ls\\journal.dat", dir) < 0) {
        snprintf(err, err_size, "the journal path is too long");
        return false;
    }
    f->path[MAX_PATH - 1] = L'\0';
    rh_wide_to_utf8(f->path, -1, f->path_utf8, sizeof f->path_utf8);
    if (!open_file(f, err, err_size))
        return false;
    GetFileSizeEx(f->file, &existing);
    if (existing.QuadPart > 0) {
        /* Open at the size it has: its records are laid out for that size. */
        if (map(f, (ULONGLONG)existing.QuadPart, &error)) {
            enum rh_journal_status st = rh_journal_open(j, f->view, f->size, rec);

            if (st == RH_J_OK) {
                if (f->size != size && rh_journal_depth(j) == 0) {
                    rh_log(RH_LOG_INFO, "journal %s: resized from %llu to %llu bytes", f->path_utf8,
                           f->size, size);
                    unmap_view(f);
                    goto create;
                }
                if (f->size != size)
                    rh_log(RH_LOG_WARNING,
                           "journal %s: JournalSizeMB changes its size only once it is empty; "
                           "it keeps %llu bytes while it holds records",
                           f->path_utf8, f->size);
                return true;
            }
            unmap_view(f);
        }
        /* Not a journal we can read: keep it for inspection, start a new one. */
        {
            WCHAR aside[MAX_PATH + 32];

            _snwprintf(aside, MAX_PATH + 32, L"%ls.bad-%llu", f->path, rh_now_unix_ms());
            aside[MAX_PATH + 31] = L'\0';
            /* Renamed through the checked handle: never through a link. */
            rh_file_rename(f->file, aside, true);
            CloseHandle(f->file);
            f->file = INVALID_HANDLE_VALUE;
            rh_log(RH_LOG_ERROR,
                   "journal %s is damaged or of another version; it was renamed *.bad-* and a new "
                   "journal started",
                   f->path_utf8);
            if (!open_file(f, err, err_size))
                return false;
        }
    }

create:
    if (!map(f, size, &error)) {
        rh_win32_error_text(error, text, sizeof text);
        snprintf(err, err_size, "cannot create journal %s of %llu bytes: %s", f->path_utf8, size,
                 text);
        unmap(f);
        return false;
    }
    if (rh_journal_create(j, f->view, f->size, rh_now_unix_ms()) != RH_J_OK) {
        snprintf(err, err_size, "journal %s: %llu bytes is too small", f->path_utf8, size);
        unmap(f);
        return false;
    }
    rh_journal_file_flush(f);
    return true;
}

void rh_journal_file_flush(struct rh_journal_file *f)
{
    if (f->view == NULL)
        return;
    FlushViewOfFile(f->view, 0);
    FlushFileBuffers(f->file);
}

void rh_journal_file_close(struct rh_journal_file *f)
{
    unmap(f);
}
