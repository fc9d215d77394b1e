/* SPDX-License-Identifier: MIT */
/*
 * The file sink: appends each record, formatted, to one file.
 *
 * All writes go through one handle under one lock: several handles appending to
 * one file lose data under Wine, and one handle keeps record lines whole on
 * Windows too. A file that cannot be opened (a missing volume, a denied ACL) is
 * reported and retried at the next record, so the sink recovers by itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "diag.h"
#include "files.h"
#include "format.h"
#include "sink.h"
#include "wstr.h"

#define PATH_UTF8_SIZE 1024

struct file_config {
    char path[PATH_UTF8_SIZE];
    char format[16];
};

static const struct rh_option file_options[] = {
    RH_OPTION(struct file_config, "Path", RH_OPT_PATH, "%ProgramData%\\RasHangup\\hangups.jsonl",
              path,
              "absolute path of the file records are appended to, or a named pipe "
              "(\\\\.\\pipe\\name) a local reader drains; environment strings are expanded"),
    RH_OPTION(struct file_config, "Format", RH_OPT_STRING, "json", format,
              "record format: json (JSON Lines) or csv (RFC 4180, with a header row)"),
};

/* Lines are gathered here and written once per batch. */
#define BUFFER_SIZE (512u * 1024)

struct file_sink {
    SRWLOCK lock;
    HANDLE file;
    char *buf;
    size_t buf_len;
    enum rh_format format;
    bool failing; /* the last open or write failed, and that was reported */
    bool pipe;    /* Path is \\.\pipe\...: a local reader (a log shipper) takes the lines */
    char name[RH_SINK_NAME_SIZE];
    char path_utf8[PATH_UTF8_SIZE];
    WCHAR path[PATH_UTF8_SIZE];
};

static bool write_all(HANDLE h, const char *p, size_t n)
{
    while (n > 0) {
        DWORD chunk = n > 0x40000000u ? 0x40000000u : (DWORD)n;
        DWORD written = 0;

        if (!WriteFile(h, p, chunk, &written, NULL) || written == 0)
            return false;
        p += written;
        n -= written;
    }
    return true;
}

/* A new, empty file starts with the format's header (CSV's BOM and column names). */
static bool start_file(struct file_sink *s)
{
    LARGE_INTEGER size;
    char header[4096];
    struct rh_buf b;

    if (s->pipe)
        return true; /* a stream, not a file: no header, no size */
    if (!GetFileSizeEx(s->file, &size))
        return false;
    if (size.QuadPart != 0)
        return true;
    rh_buf_init(&b, header, sizeof header);
    return rh_format_file_header(s->format, &b) && write_all(s->file, b.data, b.len);
}

/* Called with the lock held. */
static bool ensure_open(struct file_sink *s)
{
    DWORD err;

    if (s->file != INVALID_HANDLE_VALUE)
        return true;
    rh_create_parent_dirs(s->path);
    s->file =
        CreateFileW(s->path, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                    NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (s->file != INVALID_HANDLE_VALUE && !start_file(s)) {
        CloseHandle(s->file);
        s->file = INVALID_HANDLE_VALUE;
    }
    if (s->file != INVALID_HANDLE_VALUE) {
        if (s->failing) {
            rh_log(RH_LOG_INFO, "sink %s: file %s is writable again", s->name, s->path_utf8);
            s->failing = false;
        }
        return true;
    }
    err = GetLastError();
    if (!s->failing) {
        char text[256];

        rh_win32_error_text(err, text, sizeof text);
        rh_log(RH_LOG_ERROR, "sink %s: cannot open file %s: %s", s->name, s->path_utf8, text);
        s->failing = true;
    }
    return false;
}

static void *file_create(const char *name, const void *config, char *err, size_t err_size)
{
    const struct file_config *cfg = config;
    struct file_sink *s;
    enum rh_format format;

    if (!rh_format_from_name(cfg->format, &format)) {
        snprintf(err, err_size, "value Format: unknown format \"%s\" (expected json or csv)",
                 cfg->format);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s != NULL)
        s->buf = malloc(BUFFER_SIZE);
    if (s == NULL || s->buf == NULL) {
        snprintf(err, err_size, "out of memory");
        free(s);
        return NULL;
    }
    InitializeSRWLock(&s->lock);
    s->file = INVALID_HANDLE_VALUE;
    s->format = format;
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->path_utf8, sizeof s->path_utf8, "%s", cfg->path);
    if (!rh_utf8_to_wide(cfg->path, s->path, PATH_UTF8_SIZE) || !rh_path_is_absolute(s->path)) {
        snprintf(err, err_size, "value Path: \"%s\" is not an absolute path", cfg->path);
        free(s->buf);
        free(s);
        return NULL;
    }
    s->pipe = _wcsnicmp(s->path, L"\\\\.\\pipe\\", 9) == 0;
    AcquireSRWLockExclusive(&s->lock);
    ensure_open(s); /* a failure is reported and retried at the next record */
    ReleaseSRWLockExclusive(&s->lock);
    return s;
}

/* Writes what the buffer holds; on failure the buffer is dropped (the batch is redone). */
static enum rh_sink_result write_buffer(struct file_sink *s)
{
    enum rh_sink_result result = RH_SINK_RETRY;

    if (s->buf_len == 0)
        return RH_SINK_OK;
    AcquireSRWLockExclusive(&s->lock);
    if (ensure_open(s)) {
        if (write_all(s->file, s->buf, s->buf_len)) {
            result = RH_SINK_OK;
        } else {
            char text[256];
            DWORD err = GetLastError();

            rh_win32_error_text(err, text, sizeof text);
            rh_log(RH_LOG_ERROR, "sink %s: cannot write to %s: %s", s->name, s->path_utf8, text);
            CloseHandle(s->file); /* reopen at the next attempt */
            s->file = INVALID_HANDLE_VALUE;
            s->failing = true;
            SetLastError(err);
        }
    }
    ReleaseSRWLockExclusive(&s->lock);
    s->buf_len = 0;
    return result;
}

static enum rh_sink_result file_deliver(void *instance, enum rh_sink_event event,
                                        const struct rh_record *r)
{
    struct file_sink *s = instance;
    struct rh_buf b;

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
    return RH_SINK_ERROR;
}

static enum rh_sink_result file_flush(void *instance)
{
    return write_buffer(instance);
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
    .destroy = file_destroy,
};
