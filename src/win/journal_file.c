/* SPDX-License-Identifier: MIT */
#include "journal_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <winioctl.h>

#include "diag.h"
#include "files.h"
#include "wstr.h"

/* What became of a journal.dat that was there already. */
enum existing {
    EXISTING_OPEN,      /* a journal: in use */
    EXISTING_RESIZE,    /* a journal, empty, of another size: to be made anew */
    EXISTING_SET_ASIDE, /* not a journal of ours: renamed aside, mapped for salvage */
    EXISTING_KEPT,      /* could not be read now: left exactly as it is */
};

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

void rh_journal_file_salvage_done(struct rh_journal_file *f)
{
    if (f->salvage_view != NULL)
        UnmapViewOfFile(f->salvage_view);
    if (f->salvage_mapping != NULL)
        CloseHandle(f->salvage_mapping);
    f->salvage_view = NULL;
    f->salvage_mapping = NULL;
    f->salvage_size = 0;
}

/* The space the volume holds for the file (not its size: a sparse file has less). */
static bool allocated(struct rh_journal_file *f, ULONGLONG size, DWORD *error)
{
    FILE_STANDARD_INFO have;

    if (!GetFileInformationByHandleEx(f->file, FileStandardInfo, &have, sizeof have)) {
        *error = GetLastError();
        return false;
    }
    return have.AllocationSize.QuadPart >= 0 && (ULONGLONG)have.AllocationSize.QuadPart >= size;
}

/*
 * Writes every byte of the file's first `size`: zeros into a file being made,
 * what is there back into an existing one (its records kept). The way to
 * allocate where the system cannot be asked to (Wine, some file systems).
 */
static bool write_through(struct rh_journal_file *f, ULONGLONG size, bool fresh, DWORD *error)
{
    enum { CHUNK = 1024 * 1024 };
    uint8_t *buf = calloc(1, CHUNK);
    bool ok = buf != NULL;

    *error = ERROR_NOT_ENOUGH_MEMORY;
    for (ULONGLONG at = 0; ok && at < size; at += CHUNK) {
        DWORD len = (DWORD)(size - at < CHUNK ? size - at : CHUNK), io = 0;
        OVERLAPPED place = {.Offset = (DWORD)at, .OffsetHigh = (DWORD)(at >> 32)};

        ok = (fresh || (ReadFile(f->file, buf, len, &io, &place) && io == len)) &&
             WriteFile(f->file, buf, len, &io, &place) && io == len;
        if (!ok)
            *error = GetLastError();
    }
    free(buf);
    return ok;
}

/*
 * Gives the file's every byte space on the volume, and checks that it has it. A
 * sparse or unallocated file (Wine makes one of SetEndOfFile on Linux; a file
 * copied in may be one) would take its space at a first write through the
 * mapping, and on a full volume that write faults: an in-page error that kills
 * the process, RRAS with it. Found here, it is an error the caller reports.
 * NTFS allocates at SetEndOfFile: then this only checks.
 */
static bool allocate(struct rh_journal_file *f, ULONGLONG size, bool fresh, DWORD *error)
{
    FILE_ALLOCATION_INFO want = {.AllocationSize.QuadPart = (LONGLONG)size};
    FILE_BASIC_INFO basic;

    if (allocated(f, size, error))
        return true;
    /* Through the checked handle, never the path. */
    if (GetFileInformationByHandleEx(f->file, FileBasicInfo, &basic, sizeof basic) &&
        (basic.FileAttributes & FILE_ATTRIBUTE_COMPRESSED) != 0) {
        *error = ERROR_NOT_SUPPORTED; /* a compressed file allocates as it is written */
        return false;
    }
    if (GetFileInformationByHandleEx(f->file, FileBasicInfo, &basic, sizeof basic) &&
        (basic.FileAttributes & FILE_ATTRIBUTE_SPARSE_FILE) != 0) {
        FILE_SET_SPARSE_BUFFER dense = {.SetSparse = FALSE};
        DWORD bytes;

        /* Not sparse: every range allocated (a journal never leaves holes on purpose). */
        DeviceIoControl(f->file, FSCTL_SET_SPARSE, &dense, sizeof dense, NULL, 0, &bytes, NULL);
    }
    if (SetFileInformationByHandle(f->file, FileAllocationInfo, &want, sizeof want) &&
        allocated(f, size, error))
        return true;
    if (!write_through(f, size, fresh, error))
        return false;
    FlushFileBuffers(f->file);
    if (allocated(f, size, error))
        return true;
    *error = ERROR_DISK_FULL;
    return false;
}

/*
 * Maps the open file whole, read and write, at `size` bytes. With `set_size` the
 * file is given that size first (a journal being made); otherwise it has it, and
 * keeps it: growing a file can fail on a full disk, and an existing journal's
 * records are laid out for the size it has.
 */
static bool map(struct rh_journal_file *f, ULONGLONG size, bool set_size, DWORD *error)
{
    LARGE_INTEGER want;

    if (size > (ULONGLONG)SIZE_MAX || size > (ULONGLONG)INT64_MAX) {
        /* A 32-bit process cannot map it whole; a shorter view would be read past. */
        *error = ERROR_NOT_ENOUGH_MEMORY;
        return false;
    }
    want.QuadPart = (LONGLONG)size;
    /* The file gets its full size now: no growth, so no I/O, on RRAS's thread later. */
    if (set_size && (!SetFilePointerEx(f->file, want, NULL, FILE_BEGIN) || !SetEndOfFile(f->file)))
        goto fail;
    f->mapping =
        CreateFileMappingW(f->file, NULL, PAGE_READWRITE, (DWORD)(size >> 32), (DWORD)size, NULL);
    if (f->mapping == NULL)
        goto fail;
    f->view = MapViewOfFile(f->mapping, FILE_MAP_ALL_ACCESS, 0, 0, (SIZE_T)size);
    if (f->view == NULL)
        goto fail;
    /*
     * A journal being made is allocated now, once mapped (the system's cache is
     * the view's); an existing one only once its header says it is a journal
     * (open_existing), so that nothing else is ever written through.
     */
    if (set_size && !allocate(f, size, true, error)) {
        unmap_view(f);
        return false;
    }
    f->size = size;
    return true;

fail:
    *error = GetLastError();
    unmap_view(f);
    return false;
}

/* Opens journal.dat in `dir` (a checked folder), never through a link; false with err. */
static bool open_file(struct rh_journal_file *f, DWORD disposition, char *err, size_t err_size)
{
    char why[RH_PATH_CHARS * 3 + 128];

    f->file = rh_file_open_checked(f->path, GENERIC_READ | GENERIC_WRITE | DELETE, FILE_SHARE_READ,
                                   disposition, why, sizeof why);
    if (f->file == INVALID_HANDLE_VALUE) {
        snprintf(err, err_size, "journal: %s", why);
        return false;
    }
    return true;
}

/*
 * Sets aside the file open as f->file, which is not a journal of ours: mapped
 * read-only for the salvage first, then renamed through the handle that was
 * checked (never through a link). False, with err, if either cannot be done
 * now: the file is then left as it is, records and name, for the next start.
 */
static bool set_aside(struct rh_journal_file *f, ULONGLONG size, char *err, size_t err_size)
{
    WCHAR aside[MAX_PATH + 32];
    char text[256];
    DWORD error;

    /* Its size fitted a read-write view a moment ago: it fits SIZE_T. */
    f->salvage_mapping =
        CreateFileMappingW(f->file, NULL, PAGE_READONLY, (DWORD)(size >> 32), (DWORD)size, NULL);
    if (f->salvage_mapping != NULL)
        f->salvage_view = MapViewOfFile(f->salvage_mapping, FILE_MAP_READ, 0, 0, (SIZE_T)size);
    if (f->salvage_view == NULL) {
        error = GetLastError();
        rh_win32_error_text(error, text, sizeof text);
        snprintf(err, err_size,
                 "journal %s is damaged or of another version, and cannot be mapped to salvage "
                 "its records: %s; it is left as it is, for the next start",
                 f->path_utf8, text);
        rh_journal_file_salvage_done(f);
        return false;
    }
    f->salvage_size = size;
    if (_snwprintf(aside, MAX_PATH + 32, L"%ls.bad-%llu", f->path, rh_now_unix_ms()) < 0 ||
        !rh_file_rename(f->file, aside, false)) {
        error = GetLastError();
        rh_win32_error_text(error, text, sizeof text);
        snprintf(err, err_size,
                 "journal %s is damaged or of another version, and cannot be renamed aside: %s; "
                 "it is left as it is, for the next start",
                 f->path_utf8, text);
        rh_journal_file_salvage_done(f);
        return false;
    }
    aside[MAX_PATH + 31] = L'\0';
    rh_wide_to_utf8(aside, -1, f->salvage_path_utf8, sizeof f->salvage_path_utf8);
    /* The view keeps the file; its name is free for the new journal. */
    CloseHandle(f->file);
    f->file = INVALID_HANDLE_VALUE;
    return true;
}

/* A journal kept as it is: in use once its every byte has space on the volume (allocate). */
static enum existing open_allocated(struct rh_journal_file *f, char *err, size_t err_size)
{
    DWORD error = 0;
    char text[256];

    if (allocate(f, f->size, false, &error))
        return EXISTING_OPEN;
    rh_win32_error_text(error, text, sizeof text);
    snprintf(err, err_size,
             "journal %s does not have all its space on the volume (a sparse or compressed "
             "file, or a full volume) and cannot be given it: %s; it is left as it is, for the "
             "next start",
             f->path_utf8, text);
    unmap_view(f);
    return EXISTING_KEPT;
}

/* Maps the journal.dat that is there, at its size, and opens it as a journal. */
static enum existing open_existing(struct rh_journal_file *f, ULONGLONG existing, ULONGLONG size,
                                   struct rh_journal *j, struct rh_journal_recovery *rec, char *err,
                                   size_t err_size)
{
    DWORD error = 0;
    char text[256];

    if (!map(f, existing, false, &error)) {
        /* Not damage (another process, no memory, a full disk): its records wait. */
        rh_win32_error_text(error, text, sizeof text);
        snprintf(err, err_size,
                 "cannot map journal %s (%llu bytes): %s; it is left as it is, for the next start",
                 f->path_utf8, existing, text);
        return EXISTING_KEPT;
    }
    if (rh_journal_open(j, f->view, f->size, rec) != RH_J_OK) {
        unmap_view(f);
        return set_aside(f, existing, err, err_size) ? EXISTING_SET_ASIDE : EXISTING_KEPT;
    }
    if (f->size == size)
        return open_allocated(f, err, err_size);
    /* Empty, and known to be: a torn walk (a power cut) may have missed records. */
    if (rh_journal_depth(j) == 0 && !rec->torn) {
        rh_log(RH_LOG_INFO, "journal %s: resized from %llu to %llu bytes", f->path_utf8, f->size,
               size);
        unmap_view(f);
        return EXISTING_RESIZE;
    }
    rh_log(RH_LOG_WARNING,
           "journal %s: JournalSizeMB changes its size only once it is empty; "
           "it keeps %llu bytes while it holds records",
           f->path_utf8, f->size);
    return open_allocated(f, err, err_size);
}

/*
 * Makes a new journal of `size` bytes in the open file. On failure the file
 * gets back the size it had, `before`: a journal whose size is not its header's
 * would be taken for a damaged one at the next start.
 */
static bool create(struct rh_journal_file *f, ULONGLONG size, ULONGLONG before,
                   struct rh_journal *j, char *err, size_t err_size)
{
    LARGE_INTEGER was, zero = {.QuadPart = 0};
    DWORD error = 0;
    char text[256];

    /*
     * An empty journal being resized leaves its old file: cut it to nothing
     * first, so that no entry of the old journal can pass for one of the new
     * (the head's recovery after a crash looks at every entry in the ring).
     */
    if (before > 0 &&
        (!SetFilePointerEx(f->file, zero, NULL, FILE_BEGIN) || !SetEndOfFile(f->file))) {
        rh_win32_error_text(GetLastError(), text, sizeof text);
        snprintf(err, err_size, "cannot resize journal %s: %s", f->path_utf8, text);
        goto restore;
    }
    /* Cut: the old journal (empty) is gone; a failure below leaves no file rather than zeros. */
    before = 0;
    if (!map(f, size, true, &error)) {
        rh_win32_error_text(error, text, sizeof text);
        snprintf(err, err_size, "cannot create journal %s of %llu bytes: %s", f->path_utf8, size,
                 text);
        goto restore;
    }
    if (rh_journal_create(j, f->view, f->size, rh_now_unix_ms()) != RH_J_OK) {
        snprintf(err, err_size, "journal %s: %llu bytes is too small", f->path_utf8, size);
        unmap_view(f);
        goto restore;
    }
    rh_journal_file_flush(f, false);
    return true;

restore:
    was.QuadPart = (LONGLONG)before;
    if (SetFilePointerEx(f->file, was, NULL, FILE_BEGIN))
        SetEndOfFile(f->file);
    return false;
}

bool rh_journal_file_open(struct rh_journal_file *f, const WCHAR *dir, ULONGLONG size,
                          struct rh_journal *j, struct rh_journal_recovery *rec, char *err,
                          size_t err_size)
{
    LARGE_INTEGER existing = {0};
    ULONGLONG before = 0;
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
    if (!open_file(f, OPEN_ALWAYS, err, err_size))
        return false;
    if (!GetFileSizeEx(f->file, &existing)) {
        rh_win32_error_text(GetLastError(), text, sizeof text);
        snprintf(err, err_size, "cannot read the size of journal %s: %s", f->path_utf8, text);
        goto fail;
    }
    if (existing.QuadPart > 0) {
        switch (open_existing(f, (ULONGLONG)existing.QuadPart, size, j, rec, err, err_size)) {
        case EXISTING_OPEN:
            return true;
        case EXISTING_KEPT:
            goto fail;
        case EXISTING_RESIZE:
            before = (ULONGLONG)existing.QuadPart;
            break;
        case EXISTING_SET_ASIDE:
            rh_log(RH_LOG_ERROR,
                   "journal %s is damaged or of another version; it was renamed %s and a new "
                   "journal started, into which its records are salvaged",
                   f->path_utf8, f->salvage_path_utf8);
            /* A new file: never one that appeared in the meantime, whatever it holds. */
            if (!open_file(f, CREATE_NEW, err, err_size))
                return false;
            break;
        }
    }
    if (!create(f, size, before, j, err, err_size))
        goto fail;
    return true;

fail:
    unmap(f);
    return false;
}

void rh_journal_file_flush(struct rh_journal_file *f, bool header_only)
{
    if (f->view == NULL)
        return;
    FlushViewOfFile(f->view, header_only ? RH_JOURNAL_HEADER_SIZE : 0);
    FlushFileBuffers(f->file);
}

void rh_journal_file_close(struct rh_journal_file *f)
{
    unmap(f);
    rh_journal_file_salvage_done(f);
}
