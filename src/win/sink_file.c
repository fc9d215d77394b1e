/* SPDX-License-Identifier: MIT */
/*
 * The file sink: appends each record, formatted, to one file.
 *
 * All writes go through one handle, on the sink's one worker thread (sink.h):
 * several handles appending to one file lose data under Wine, and one handle
 * keeps record lines whole on Windows too. A file that cannot be opened (a missing volume, a denied
 * ACL) is reported and retried at the next record, so the sink recovers by itself.
 *
 * A line is never left torn for the next write to append to. A write that
 * fails part way (a full disk) is cut back to the end of the last whole line
 * at once, and a file opened (at start, or again after a failure) that does
 * not end with a whole line, as a crash or a failed cut leaves it, is cut back
 * before anything is written to it. What is cut is only ever records of a
 * batch whose write did not return OK, so the journal has not moved past them:
 * the worker delivers that batch again, after the cut.
 *
 * For the long run the live file is rotated: closed, renamed beside itself to
 * <stem>-YYYYMMDDTHHMMSSZ[-N]<ext> (the UTC time of the rotation; -1, -2... for
 * more within that second, so names sort as the files were made unless the clock
 * went back) and started again. That happens before a write, never inside one,
 * so a line is never split across files: when a UTC day, week or month has begun
 * since the file's last write (checked at start too), or when the write would
 * take the file past RotateSizeMB. Retention then deletes this sink's rotated
 * files, oldest first, beyond KeepFiles or older than KeepDays by the time in
 * their name, never the one just made; it deletes only names it rebuilt from
 * that time, so nothing else is ever touched. A rename or delete that fails is
 * reported once and retried; the records keep going to the live file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "diag.h"
#include "files.h"
#include "format.h"
#include "rotation.h"
#include "sink.h"
#include "text.h"
#include "wstr.h"

#define PATH_UTF8_SIZE 1024

#define MAX_ROTATE_SIZE_MB 1048576u /* 1 TiB */
#define MAX_KEEP_FILES     100000u
#define MAX_KEEP_DAYS      36500u

struct file_config {
    char path[PATH_UTF8_SIZE];
    uint32_t format; /* enum rh_format */
    uint32_t rotate; /* enum rh_period */
    uint32_t rotate_size_mb;
    uint32_t keep_files;
    uint32_t keep_days;
};

/* The Rotate keywords, by enum rh_period. */
static const char *const period_names[] = {"never", "daily", "weekly", "monthly", NULL};

static const struct rh_option file_options[] = {
    RH_OPTION_TEXT(struct file_config, "Path", RH_OPT_PATH,
                   "%ProgramData%\\RasHangup\\hangups.jsonl", path,
                   "absolute path of the file records are appended to, or a named pipe "
                   "(\\\\.\\pipe\\name) a local reader drains; environment strings are expanded"),
    RH_OPTION_CHOICE(struct file_config, "Format", "json", format, rh_format_names,
                     "record format: json (JSON Lines) or csv (RFC 4180, with a header row)"),
    RH_OPTION_CHOICE(struct file_config, "Rotate", "never", rotate, period_names,
                     "start a new file each UTC day, week (from Monday) or month"),
    RH_OPTION_DWORD(struct file_config, "RotateSizeMB", "0", rotate_size_mb, 0, MAX_ROTATE_SIZE_MB,
                    "start a new file before a write would take it past this many MiB (0: no "
                    "limit)"),
    RH_OPTION_DWORD(struct file_config, "KeepFiles", "0", keep_files, 0, MAX_KEEP_FILES,
                    "how many rotated files to keep, the newest (0: all)"),
    RH_OPTION_DWORD(struct file_config, "KeepDays", "0", keep_days, 0, MAX_KEEP_DAYS,
                    "delete a rotated file once the time in its name is this many days old (0: "
                    "never)"),
};

/* Lines are gathered here and written once per batch. */
#define BUFFER_SIZE (512u * 1024)

/*
 * How much of a file's end is read to find its last whole line. A write is at
 * most BUFFER_SIZE, so a torn line is shorter than that; the rest is for a CSV
 * row's quoting, judged from the rows before it.
 */
#define TAIL_WINDOW (2u * BUFFER_SIZE)

static const char *const period_reasons[] = {"", "a new UTC day", "a new UTC week",
                                             "a new UTC month"};

/* How many -N a rotation tries when names are taken by what it does not recognize. */
#define MAX_NAME_TRIES 1000u
#define ROTATED_SIZE   (PATH_UTF8_SIZE + RH_ROTATED_TAG_MAX) /* the path plus its rotated part */

struct file_sink {
    HANDLE file;
    HANDLE dir; /* its folder, checked and held while the file is open */
    char *buf;
    size_t buf_len;
    enum rh_format format;
    bool failing; /* an open or write failed and no write succeeded since: reported */
    bool pipe;    /* Path is \\.\pipe\...: a local reader (a log shipper) takes the lines */
    enum rh_period period;  /* Rotate */
    uint64_t size_limit;    /* RotateSizeMB in bytes; 0: none */
    uint32_t keep_files;    /* KeepFiles; 0: all */
    uint32_t keep_days;     /* KeepDays; 0: no age limit */
    uint64_t size;          /* of the live file: as opened (cut back), plus what this sink wrote */
    uint64_t header_len;    /* what a new file starts with: no larger, and it holds no record */
    uint64_t file_period;   /* the day, week or month of the live file's last write */
    uint64_t retention_day; /* the UTC day retention last ran; UINT64_MAX: not yet */
    const char *rotate_pending; /* why a rotation whose rename failed (reported) was due */
    bool delete_failing;        /* a delete (or listing the folder) failed, and that was reported */
    size_t stem_at;             /* where the file's name starts in path_utf8 */
    size_t ext_at;              /* where its extension (".jsonl") starts; the end if none */
    char name[RH_SINK_NAME_SIZE];
    char path_utf8[PATH_UTF8_SIZE];
    WCHAR path[PATH_UTF8_SIZE];
    WCHAR folder[PATH_UTF8_SIZE]; /* the folder of path: where rotation and retention stay */
};

static uint64_t ft_ticks(const FILETIME *ft)
{
    return ((uint64_t)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
}

static uint64_t now_ticks(void)
{
    FILETIME ft;

    GetSystemTimeAsFileTime(&ft);
    return ft_ticks(&ft);
}

static void utf8_of(const WCHAR *w, char *out, size_t out_size)
{
    if (!rh_wide_to_utf8(w, -1, out, out_size))
        snprintf(out, out_size, "(a path not shown)");
}

static bool write_all(HANDLE h, const char *p, size_t n)
{
    while (n > 0) {
        DWORD chunk = n > 0x40000000u ? 0x40000000u : (DWORD)n;
        DWORD written = 0;

        if (!WriteFile(h, p, chunk, &written, NULL))
            return false;
        /* Nothing taken and no error: looping would never end, and OK would be a lie. */
        if (written == 0) {
            SetLastError(ERROR_WRITE_FAULT);
            return false;
        }
        p += written;
        n -= written;
    }
    return true;
}

static bool read_at(HANDLE h, uint64_t at, char *buf, DWORD n)
{
    OVERLAPPED o = {.Offset = (DWORD)(at & 0xFFFFFFFFu), .OffsetHigh = (DWORD)(at >> 32)};
    DWORD got = 0;

    if (!ReadFile(h, buf, n, &got, &o))
        return false;
    if (got != n) {
        SetLastError(ERROR_HANDLE_EOF); /* it shrank under us: no one else writes it */
        return false;
    }
    return true;
}

/* Sets the end of the file at `size`, and the next write there. */
static bool cut_at(HANDLE h, uint64_t size)
{
    LARGE_INTEGER at = {.QuadPart = (LONGLONG)size};

    return SetFilePointerEx(h, at, NULL, FILE_BEGIN) && SetEndOfFile(h);
}

/* Sets why to the system's reason why the end of the file could not be read or cut. */
static void cut_failed(const struct file_sink *s, char *why, size_t why_size)
{
    char text[256];

    rh_win32_error_text(GetLastError(), text, sizeof text);
    snprintf(why, why_size, "cannot cut the partial line off the end of file %s: %s", s->path_utf8,
             text);
}

/*
 * Whether the file begins as this sink writes one (CSV: the BOM and the column
 * names; JSON: an object): only such a file is ever cut. A file of another
 * program that Path names by mistake is left as it is.
 */
static bool begins_as_ours(struct file_sink *s)
{
    char header[4096], head[4096];
    struct rh_buf b;

    rh_buf_init(&b, header, sizeof header);
    if (!rh_format_file_header(s->format, &b))
        return false;
    if (b.len == 0) /* JSON Lines: no header; a record is an object */
        return read_at(s->file, 0, head, 1) && head[0] == '{';
    /* A header torn short is ours if what there is matches. */
    if (s->size < b.len)
        return read_at(s->file, 0, head, (DWORD)s->size) &&
               memcmp(head, b.data, (size_t)s->size) == 0;
    return read_at(s->file, 0, head, (DWORD)b.len) && memcmp(head, b.data, b.len) == 0;
}

/*
 * Cuts the file back to the end of its last whole line (s->size, as opened,
 * becomes that), and says so: see the top of this file. False, with why, if it
 * cannot be read or cut, or if what follows the last whole line is longer
 * than any write of this sink: then it is no line this sink tore (a file of
 * another program, or damage), and nothing in it is touched.
 */
static bool cut_torn_tail(struct file_sink *s, char *why, size_t why_size)
{
    size_t n = s->size < TAIL_WINDOW ? (size_t)s->size : TAIL_WINDOW;
    uint64_t from = s->size - n, keep;
    size_t lf = n, end;
    char *buf = NULL, last;
    bool ok = false;

    if (s->size == 0)
        return true;
    /* A JSON line holds no raw LF (strings escape it): a file that ends in one is whole. */
    if (!read_at(s->file, s->size - 1, &last, 1)) {
        cut_failed(s, why, why_size);
        return false;
    }
    if (last == '\n' && (s->format == RH_FORMAT_JSON || s->size > TAIL_WINDOW))
        return true;
    /*
     * (A CSV file that ends in CRLF is read whole when small, where its quotes
     * can be followed from the start; past TAIL_WINDOW it is taken as whole: a
     * guess at the quotes from the middle must not cut rows a crash did not tear.)
     */
    buf = malloc(n);
    if (buf == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        cut_failed(s, why, why_size);
        goto out;
    }
    if (!read_at(s->file, from, buf, (DWORD)n)) {
        cut_failed(s, why, why_size);
        goto out;
    }
    while (lf > 0 && buf[lf - 1] != '\n')
        lf--;
    keep = from + lf; /* just past the last LF */
    /* A CSV row ends at a CRLF outside quotes only (a cell may hold one). */
    if (s->format == RH_FORMAT_CSV) {
        if (rh_csv_last_row_end(buf, lf, from == 0, &end))
            keep = from + end;
        else if (from == 0)
            keep = 0; /* not even the header is whole: it is written again */
    }
    if (s->size - keep > BUFFER_SIZE) {
        snprintf(why, why_size,
                 "file %s ends in %llu bytes that are no whole line, more than a write of this "
                 "sink leaves (another program writes it, or it is damaged): it is left as it is "
                 "and nothing is added to it; move it aside",
                 s->path_utf8, (unsigned long long)(s->size - keep));
        SetLastError(ERROR_FILE_CORRUPT);
        goto out;
    }
    if (keep < s->size && !begins_as_ours(s)) {
        snprintf(why, why_size,
                 "file %s does not end with a whole line and does not begin as a file of this "
                 "sink (another program writes it?): it is left as it is and nothing is added to "
                 "it; move it aside or change Path",
                 s->path_utf8);
        SetLastError(ERROR_FILE_CORRUPT);
        goto out;
    }
    if (keep < s->size) {
        if (!cut_at(s->file, keep)) {
            cut_failed(s, why, why_size);
            goto out;
        }
        rh_log(RH_LOG_WARNING,
               "sink %s: file %s did not end with a whole line (a write cut short by a full disk "
               "or a crash): removed its last %llu bytes, whose records the journal delivers "
               "again",
               s->name, s->path_utf8, (unsigned long long)(s->size - keep));
        s->size = keep;
    }
    ok = true;
out:
    free(buf);
    return ok;
}

/*
 * Learns the size and the last write of the file just opened, cuts a torn line
 * off its end, and sets the next write at its end. A new (or cut to empty)
 * file starts with the format's header (CSV's BOM and column names). False,
 * with why, if the file cannot be used.
 */
static bool start_file(struct file_sink *s, char *why, size_t why_size)
{
    BY_HANDLE_FILE_INFORMATION info;
    char header[4096], text[256];
    struct rh_buf b;
    uint64_t now = now_ticks();
    LARGE_INTEGER zero = {.QuadPart = 0};

    if (s->pipe)
        return true; /* a stream, not a file: no header, no size, nothing to cut */
    if (!GetFileInformationByHandle(s->file, &info))
        goto fail;
    s->size = ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow;
    if (!cut_torn_tail(s, why, why_size))
        return false;
    /* The last write as found: a cut is no record, and must not put off a rotation. */
    s->file_period = rh_period_of(s->period, now);
    if (s->size > s->header_len)
        s->file_period = rh_period_of(s->period, ft_ticks(&info.ftLastWriteTime));
    /* Opened to read and cut too, the handle writes where it points, not at the end. */
    if (!SetFilePointerEx(s->file, zero, NULL, FILE_END))
        goto fail;
    if (s->size != 0)
        return true;
    rh_buf_init(&b, header, sizeof header);
    if (!rh_format_file_header(s->format, &b)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        goto fail;
    }
    if (!write_all(s->file, b.data, b.len)) {
        DWORD err = GetLastError();

        cut_at(s->file, 0); /* a torn header would be cut at the next open anyway */
        SetLastError(err);
        goto fail;
    }
    s->size = b.len;
    return true;
fail:
    rh_win32_error_text(GetLastError(), text, sizeof text);
    snprintf(why, why_size, "cannot write to file %s: %s", s->path_utf8, text);
    return false;
}

/*
 * Opens the folder (checked: see files.h) and the file in it, never through a
 * link. A named pipe is opened as a client that its server may identify but
 * never impersonate.
 */
static bool ensure_open(struct file_sink *s)
{
    char why[PATH_UTF8_SIZE * 3 + 256] = "";
    DWORD err;

    if (s->file != INVALID_HANDLE_VALUE)
        return true;
    if (s->pipe) {
        /*
         * FILE_WRITE_DATA, not FILE_APPEND_DATA alone: without read or write
         * data access the pipe driver drops the SECURITY_IDENTIFICATION asked
         * for and lets the server impersonate SYSTEM. READ_CONTROL: to check
         * who created the pipe.
         */
        s->file = CreateFileW(s->path, FILE_WRITE_DATA | READ_CONTROL | SYNCHRONIZE,
                              FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL | RH_OPEN_FLAGS, NULL);
        if (s->file == INVALID_HANDLE_VALUE) {
            char text[256];

            rh_win32_error_text(GetLastError(), text, sizeof text);
            snprintf(why, sizeof why, "cannot open named pipe %s: %s", s->path_utf8, text);
        } else if (!rh_pipe_check(s->file, s->path_utf8, why, sizeof why)) {
            CloseHandle(s->file);
            s->file = INVALID_HANDLE_VALUE;
            SetLastError(ERROR_ACCESS_DENIED);
        }
    } else {
        if (s->dir == INVALID_HANDLE_VALUE) {
            char folder_why[PATH_UTF8_SIZE * 3 + 128];

            s->dir = rh_dir_open_trusted(s->folder, folder_why, sizeof folder_why);
            if (s->dir == INVALID_HANDLE_VALUE)
                snprintf(why, sizeof why, "cannot open file %s: %s", s->path_utf8, folder_why);
        }
        /*
         * Read and write data, not FILE_APPEND_DATA alone: a torn line at the
         * end is found by reading it and cut by setting the end of file. Only
         * this handle writes (no FILE_SHARE_WRITE), and it writes at the end.
         */
        if (s->dir != INVALID_HANDLE_VALUE)
            s->file = rh_file_open_checked(s->path,
                                           FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA |
                                               FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                                           FILE_SHARE_READ | FILE_SHARE_DELETE, OPEN_ALWAYS, why,
                                           sizeof why);
    }
    if (s->file != INVALID_HANDLE_VALUE && !start_file(s, why, sizeof why)) {
        err = GetLastError();
        CloseHandle(s->file);
        s->file = INVALID_HANDLE_VALUE;
        SetLastError(err);
    }
    /* Not "writable again" yet: on a full disk the open works and the write does not. */
    if (s->file != INVALID_HANDLE_VALUE)
        return true;
    err = GetLastError();
    if (s->dir != INVALID_HANDLE_VALUE) {
        CloseHandle(s->dir); /* checked again at the next attempt */
        s->dir = INVALID_HANDLE_VALUE;
    }
    if (!s->failing) {
        rh_log(RH_LOG_ERROR, "sink %s: %s; retried at the next record", s->name, why);
        s->failing = true;
    }
    SetLastError(err);
    return false;
}

/* <folder>\<stem>-YYYYMMDDTHHMMSSZ[-N]<ext> for UTC time t and N = n (none if 0). */
static bool rotated_name(const struct file_sink *s, uint64_t t, uint32_t n, WCHAR *out,
                         size_t out_count)
{
    char name[ROTATED_SIZE];
    const char *ext = s->path_utf8 + s->ext_at;

    out[0] = L'\0';
    return rh_rotated_name(s->path_utf8, s->ext_at, ext, strlen(ext), t, n, name, sizeof name) &&
           rh_utf8_to_wide(name, out, out_count);
}

/*
 * True if file name `name` is one of this sink's rotated names; what it says in
 * r. A name that is not UTF-16 (a lone surrogate) is none: it could not be
 * written back.
 */
static bool parse_rotated(const struct file_sink *s, const WCHAR *name, struct rh_rotated *r)
{
    char name_utf8[MAX_PATH * 3];
    const char *ext = s->path_utf8 + s->ext_at;
    int len = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, name, -1, name_utf8,
                                  (int)sizeof name_utf8, NULL, NULL);

    if (len <= 0)
        return false;
    return rh_rotated_parse(name_utf8, (size_t)len - 1, s->path_utf8 + s->stem_at,
                            s->ext_at - s->stem_at, ext, strlen(ext), r);
}

static int cmp_rotated(const void *a, const void *b)
{
    const struct rh_rotated *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->n < y->n ? -1 : x->n > y->n;
}

static void report_delete_failure(struct file_sink *s, const char *why)
{
    if (s->delete_failing)
        return;
    rh_log(RH_LOG_ERROR, "sink %s: %s; retried at the next rotation or day", s->name, why);
    s->delete_failing = true;
}

/*
 * This sink's rotated files, oldest first, into *list (malloc'd, for the caller
 * to free). False if they could not all be listed: *err is why, or 0 for want of
 * memory.
 */
static bool list_rotated(const struct file_sink *s, struct rh_rotated **list, size_t *count,
                         DWORD *err)
{
    char pattern_utf8[ROTATED_SIZE];
    WCHAR pattern[ROTATED_SIZE];
    WIN32_FIND_DATAW fd;
    HANDLE find;
    size_t n = 0, cap = 0;
    bool complete = true;
    int len;

    *list = NULL;
    *count = 0;
    *err = ERROR_FILENAME_EXCED_RANGE;
    len = snprintf(pattern_utf8, sizeof pattern_utf8, "%.*s-*", (int)s->ext_at, s->path_utf8);
    if (len < 0 || (size_t)len >= sizeof pattern_utf8 ||
        !rh_utf8_to_wide(pattern_utf8, pattern, ROTATED_SIZE))
        return false;
    find = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
    if (find == INVALID_HANDLE_VALUE) {
        *err = GetLastError();
        return *err == ERROR_FILE_NOT_FOUND || *err == ERROR_NO_MORE_FILES;
    }
    do {
        struct rh_rotated r;

        if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ||
            !parse_rotated(s, fd.cFileName, &r))
            continue;
        if (n == cap) {
            size_t new_cap = cap == 0 ? 64 : cap * 2;
            struct rh_rotated *grown = NULL;

            if (new_cap <= SIZE_MAX / sizeof **list)
                grown = realloc(*list, new_cap * sizeof **list);
            if (grown == NULL) {
                *err = 0;
                complete = false;
                break;
            }
            *list = grown;
            cap = new_cap;
        }
        (*list)[n++] = r;
    } while (FindNextFileW(find, &fd));
    FindClose(find);
    if (!complete) {
        free(*list);
        *list = NULL;
        return false;
    }
    if (n > 0)
        qsort(*list, n, sizeof **list, cmp_rotated);
    *count = n;
    return true;
}

/*
 * Deletes this sink's rotated files beyond KeepFiles (the oldest) and older than
 * KeepDays by the time in their names, except `spare` (the file just rotated, or
 * NULL).
 */
static void apply_retention(struct file_sink *s, uint64_t now, const struct rh_rotated *spare)
{
    WCHAR victim[ROTATED_SIZE];
    char why[ROTATED_SIZE * 3 + 256];
    struct rh_rotated *list = NULL;
    size_t n = 0;
    uint64_t cutoff = 0;
    bool all_deleted = true;
    DWORD err;

    s->retention_day = now / RH_TICKS_PER_DAY;
    if (s->keep_files == 0 && s->keep_days == 0)
        return;
    /* From a partial list, the wrong files could be deleted: then none are. */
    if (!list_rotated(s, &list, &n, &err)) {
        if (err != 0) {
            char text[256];

            rh_win32_error_text(err, text, sizeof text);
            snprintf(why, sizeof why, "cannot list the rotated files of %s: %s", s->path_utf8,
                     text);
            report_delete_failure(s, why);
        }
        return;
    }
    if (n == 0)
        goto out;

    if (s->keep_days != 0 && now > (uint64_t)s->keep_days * RH_TICKS_PER_DAY)
        cutoff = now - (uint64_t)s->keep_days * RH_TICKS_PER_DAY;
    for (size_t i = 0; i < n; i++) {
        bool too_many = s->keep_files != 0 && n - i > s->keep_files;
        bool too_old = list[i].time < cutoff;
        bool spared = spare != NULL && cmp_rotated(&list[i], spare) == 0;
        char where[ROTATED_SIZE * 3];

        if ((!too_many && !too_old) || spared)
            continue;
        if (!rotated_name(s, list[i].time, list[i].n, victim, ROTATED_SIZE))
            continue;
        /* Opened and checked first: never a link, never a file with another name. */
        if (!rh_file_delete_path(victim, why, sizeof why)) {
            report_delete_failure(s, why);
            all_deleted = false;
            continue;
        }
        utf8_of(victim, where, sizeof where);
        if (too_old)
            rh_log(RH_LOG_INFO, "sink %s: deleted %s (older than KeepDays, %lu)", s->name, where,
                   (unsigned long)s->keep_days);
        else
            rh_log(RH_LOG_INFO, "sink %s: deleted %s (beyond KeepFiles, %lu)", s->name, where,
                   (unsigned long)s->keep_files);
    }
    if (all_deleted && s->delete_failing) {
        rh_log(RH_LOG_INFO, "sink %s: old rotated files are deleted again", s->name);
        s->delete_failing = false;
    }
out:
    free(list);
}

/*
 * Renames the live file aside and opens a new one. Called on the worker and
 * the file open. False if no file is open afterwards (that was reported).
 */
static bool rotate(struct file_sink *s, uint64_t now, const char *why)
{
    WCHAR to[ROTATED_SIZE] = L"";
    char to_utf8[ROTATED_SIZE * 3], file_why[ROTATED_SIZE * 3 + 256];
    struct rh_rotated *list = NULL, made = {.time = now - now % RH_TICKS_PER_SECOND};
    size_t count = 0;
    uint32_t first = 0;
    DWORD err;
    bool moved = false;

    /*
     * Within one second the new name takes the -N after the last one's, never
     * one that retention freed: it would pass the newest file for the oldest.
     */
    if (list_rotated(s, &list, &count, &err)) {
        for (size_t i = 0; i < count; i++)
            if (list[i].time == made.time && list[i].n >= first)
                first = list[i].n + 1;
    }
    free(list);
    FlushFileBuffers(s->file);
    CloseHandle(s->file);
    /*
     * Renamed through a handle of its own, opened and checked (never a link):
     * a reader that does not share delete blocks the rename, never the writes.
     */
    s->file = rh_file_open_checked(s->path, DELETE | SYNCHRONIZE,
                                   FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                   OPEN_EXISTING, file_why, sizeof file_why);
    err = s->file == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_FILENAME_EXCED_RANGE;
    for (uint32_t n = first;
         n - first < MAX_NAME_TRIES && !moved && s->file != INVALID_HANDLE_VALUE; n++) {
        made.n = n;
        if (!rotated_name(s, made.time, made.n, to, ROTATED_SIZE)) {
            err = ERROR_FILENAME_EXCED_RANGE;
            break;
        }
        /* Beside itself in the same folder; never over an existing file. */
        moved = rh_file_rename(s->file, to, false);
        err = moved ? ERROR_SUCCESS : GetLastError();
        if (!moved && err != ERROR_ALREADY_EXISTS && err != ERROR_FILE_EXISTS)
            break;
    }
    if (s->file != INVALID_HANDLE_VALUE)
        CloseHandle(s->file);
    s->file = INVALID_HANDLE_VALUE;
    utf8_of(to, to_utf8, sizeof to_utf8);
    if (moved) {
        rh_log(RH_LOG_INFO, "sink %s: rotated %s to %s (%s)", s->name, s->path_utf8, to_utf8, why);
        if (s->rotate_pending != NULL)
            rh_log(RH_LOG_INFO, "sink %s: rotation works again", s->name);
        s->rotate_pending = NULL;
        s->size = 0;
    } else if (s->rotate_pending == NULL) {
        char text[256];

        rh_win32_error_text(err, text, sizeof text);
        rh_log(RH_LOG_ERROR,
               "sink %s: cannot rotate (%s): cannot rename %s to %s: %s; records go on into %s and "
               "rotation is retried at the next write",
               s->name, why, s->path_utf8, to_utf8, text, s->path_utf8);
        s->rotate_pending = why;
    }
    if (moved)
        apply_retention(s, now, &made);
    return ensure_open(s);
}

/*
 * Before writing n bytes at time now: rotates the live file if that is due and
 * applies retention once a day. Called with the file open.
 * False if no file is open afterwards (that was reported).
 */
static bool rotate_if_due(struct file_sink *s, size_t n, uint64_t now)
{
    const char *why = NULL;

    if (s->pipe)
        return true;
    if (s->size > s->header_len) { /* an empty file is never rotated */
        if (s->rotate_pending != NULL)
            why = s->rotate_pending;
        else if (s->period != RH_PERIOD_NEVER && rh_period_of(s->period, now) != s->file_period)
            why = period_reasons[s->period];
        else if (s->size_limit != 0 && (s->size > s->size_limit || n > s->size_limit - s->size))
            why = "RotateSizeMB reached";
    }
    if (why != NULL && !rotate(s, now, why))
        return false;
    if (now / RH_TICKS_PER_DAY != s->retention_day)
        apply_retention(s, now, NULL);
    return true;
}

static void *file_create(const char *name, const void *config, char *err, size_t err_size)
{
    const struct file_config *cfg = config;
    struct file_sink *s = NULL;
    enum rh_format format = (enum rh_format)cfg->format;
    enum rh_period period = (enum rh_period)cfg->rotate;
    char header[4096];
    struct rh_buf b;
    const char *not_for_pipe = NULL;

    s = calloc(1, sizeof *s);
    if (s != NULL)
        s->buf = malloc(BUFFER_SIZE);
    if (s == NULL || s->buf == NULL) {
        rh_set_err(err, err_size, "out of memory");
        goto fail;
    }
    s->file = INVALID_HANDLE_VALUE;
    s->dir = INVALID_HANDLE_VALUE;
    s->format = format;
    s->period = period;
    s->size_limit = (uint64_t)cfg->rotate_size_mb * 1024 * 1024;
    s->keep_files = cfg->keep_files;
    s->keep_days = cfg->keep_days;
    s->retention_day = UINT64_MAX;
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->path_utf8, sizeof s->path_utf8, "%s", cfg->path);
    if (!rh_utf8_to_wide(cfg->path, s->path, PATH_UTF8_SIZE) || !rh_path_is_absolute(s->path)) {
        rh_set_err(err, err_size, "value Path: \"%s\" is not an absolute path", cfg->path);
        goto fail;
    }
    s->pipe = _wcsnicmp(s->path, L"\\\\.\\pipe\\", 9) == 0;
    if (!s->pipe && !rh_path_parent(s->path, s->folder, PATH_UTF8_SIZE)) {
        rh_set_err(err, err_size, "value Path: \"%s\" names no file in a folder", cfg->path);
        goto fail;
    }
    if (period != RH_PERIOD_NEVER)
        not_for_pipe = "Rotate";
    else if (cfg->rotate_size_mb != 0)
        not_for_pipe = "RotateSizeMB";
    else if (cfg->keep_files != 0)
        not_for_pipe = "KeepFiles";
    else if (cfg->keep_days != 0)
        not_for_pipe = "KeepDays";
    if (s->pipe && not_for_pipe != NULL) {
        rh_set_err(err, err_size,
                   "value %s: Path \"%s\" is a named pipe, which has no files to "
                   "rotate or delete",
                   not_for_pipe, cfg->path);
        goto fail;
    }
    /* The name's stem and extension: "hangups" and ".jsonl" (none if no dot after the folder). */
    rh_rotation_split(s->path_utf8, strlen(s->path_utf8), &s->stem_at, &s->ext_at);
    rh_buf_init(&b, header, sizeof header);
    if (rh_format_file_header(format, &b))
        s->header_len = b.len;
    /*
     * Nothing is opened here: create() runs on RRAS's thread at start, and a
     * folder on a share that does not answer must not hold it. The worker opens
     * the file (and rotates one of an earlier day) at its first batch.
     */
    return s;

fail:
    if (s != NULL)
        free(s->buf);
    free(s);
    return NULL;
}

/* Writes what the buffer holds; on failure the buffer is dropped (the batch is redone). */
static enum rh_sink_result write_buffer(struct file_sink *s)
{
    enum rh_sink_result result = RH_SINK_RETRY;
    uint64_t now = now_ticks();

    if (s->buf_len == 0)
        return RH_SINK_OK;
    if (!ensure_open(s) || !rotate_if_due(s, s->buf_len, now))
        goto out; /* reported */
    if (!write_all(s->file, s->buf, s->buf_len)) {
        char text[256];
        DWORD err = GetLastError();

        /* Once an outage, not at every retry: a full disk fails every one. */
        if (!s->failing) {
            rh_win32_error_text(err, text, sizeof text);
            rh_log(RH_LOG_ERROR, "sink %s: cannot write to %s: %s; retried at the next record",
                   s->name, s->path_utf8, text);
            s->failing = true;
        }
        /*
         * What the write took is a torn line: cut it now (a shorter file needs
         * no space). If that fails too, the next open finds it and cuts it.
         */
        if (!s->pipe)
            cut_at(s->file, s->size);
        CloseHandle(s->file); /* reopen at the next attempt */
        s->file = INVALID_HANDLE_VALUE;
        SetLastError(err);
        goto out;
    }
    s->size = s->buf_len > UINT64_MAX - s->size ? UINT64_MAX : s->size + s->buf_len;
    s->file_period = rh_period_of(s->period, now);
    if (s->failing) {
        rh_log(RH_LOG_INFO, "sink %s: file %s is writable again", s->name, s->path_utf8);
        s->failing = false;
    }
    result = RH_SINK_OK;
out:
    s->buf_len = 0;
    return result;
}

static enum rh_sink_result file_deliver(void *instance, enum rh_sink_event event,
                                        const struct rh_record *r, uint64_t token)
{
    struct file_sink *s = instance;
    struct rh_buf b;

    (void)token; /* no settle(): what flush() took is settled */
    (void)event; /* hangups only */
    for (int attempt = 0; attempt < 2; attempt++) {
        rh_buf_init(&b, s->buf + s->buf_len, BUFFER_SIZE - s->buf_len);
        if (rh_format_record(s->format, r, &b)) {
            s->buf_len += b.len;
            return RH_SINK_OK;
        }
        /* The buffer is full: write it out and format again into the empty one. */
        if (attempt == 0 && write_buffer(s) != RH_SINK_OK)
            return RH_SINK_RETRY;
    }
    rh_log(RH_LOG_ERROR, "sink %s: a record for user %s does not fit %u bytes", s->name, r->user.s,
           BUFFER_SIZE);
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    return RH_SINK_ERROR;
}

static enum rh_sink_result file_flush(void *instance)
{
    return write_buffer(instance);
}

/*
 * sink.h: probe(). The folder is checked as the sink would check it, and never
 * created: one that is missing is said to be made at the first record, and
 * only when it is missing (any other failure is one the sink would meet).
 */
static enum rh_sink_result file_probe(void *instance, char *out, size_t out_size)
{
    struct file_sink *s = instance;
    char why[PATH_UTF8_SIZE * 3 + 128];
    HANDLE dir;
    DWORD error;

    if (s->pipe) {
        snprintf(out, out_size, "%s: a named pipe; its reader is not checked\n", s->path_utf8);
        return RH_SINK_OK;
    }
    dir = rh_dir_check_trusted(s->folder, why, sizeof why);
    if (dir != INVALID_HANDLE_VALUE) {
        CloseHandle(dir);
        snprintf(out, out_size, "%s: its folder passes the checks\n", s->path_utf8);
        return RH_SINK_OK;
    }
    error = GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
        snprintf(out, out_size,
                 "%s: its folder does not exist; the sink creates it at its first record, for "
                 "SYSTEM and Administrators only, if its parent passes the checks then\n",
                 s->path_utf8);
        return RH_SINK_OK;
    }
    snprintf(out, out_size, "%s: %s\n", s->path_utf8, why);
    return RH_SINK_RETRY;
}

/* What failed (sink.h: error()); the code is the call's. */
static void file_error(void *instance, struct rh_sink_error *out)
{
    const struct file_sink *s = instance;

    snprintf(out->what, sizeof out->what, "write to %s", s->path_utf8);
}

static void file_destroy(void *instance)
{
    struct file_sink *s = instance;

    if (s == NULL)
        return;
    if (s->file != INVALID_HANDLE_VALUE) {
        if (!s->pipe)
            FlushFileBuffers(s->file);
        CloseHandle(s->file);
    }
    if (s->dir != INVALID_HANDLE_VALUE)
        CloseHandle(s->dir);
    free(s->buf);
    free(s);
}

const struct rh_sink_ops rh_sink_file = {
    .type = "file",
    .config_size = sizeof(struct file_config),
    .options = file_options,
    .n_options = sizeof file_options / sizeof file_options[0],
    .create = file_create,
    .deliver = file_deliver,
    .flush = file_flush,
    .error = file_error,
    .probe = file_probe,
    .destroy = file_destroy,
};
