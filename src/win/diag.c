/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "text.h"
#include "wstr.h"

#define LOG_MAX_BYTES (4u * 1024 * 1024) /* then rashangup.log becomes rashangup.log.1 */

static SRWLOCK g_lock = SRWLOCK_INIT;
static HANDLE g_file = INVALID_HANDLE_VALUE;
static WCHAR g_path[MAX_PATH];
static WCHAR g_old_path[MAX_PATH + 2];

static HANDLE open_log(void)
{
    return CreateFileW(g_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                       OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
}

void rh_diag_open(void)
{
    DWORD saved = GetLastError();
    WCHAR dir[MAX_PATH];
    DWORD n = ExpandEnvironmentStringsW(L"%ProgramData%\\RasHangup", dir, MAX_PATH);

    AcquireSRWLockExclusive(&g_lock);
    if (g_file == INVALID_HANDLE_VALUE && n > 0 && n <= MAX_PATH) {
        CreateDirectoryW(dir, NULL);
        if (_snwprintf(g_path, MAX_PATH, L"%ls\\rashangup.log", dir) > 0 &&
            _snwprintf(g_old_path, MAX_PATH + 2, L"%ls.1", g_path) > 0) {
            g_path[MAX_PATH - 1] = L'\0';
            g_old_path[MAX_PATH + 1] = L'\0';
            g_file = open_log();
        }
    }
    ReleaseSRWLockExclusive(&g_lock);
    SetLastError(saved);
}

void rh_diag_close(void)
{
    AcquireSRWLockExclusive(&g_lock);
    if (g_file != INVALID_HANDLE_VALUE) {
        CloseHandle(g_file);
        g_file = INVALID_HANDLE_VALUE;
    }
    ReleaseSRWLockExclusive(&g_lock);
}

bool rh_diag_is_open(void)
{
    bool open;

    AcquireSRWLockShared(&g_lock);
    open = g_file != INVALID_HANDLE_VALUE;
    ReleaseSRWLockShared(&g_lock);
    return open;
}

/* Called with g_lock held exclusively. */
static void rotate_if_large(void)
{
    LARGE_INTEGER size;

    if (!GetFileSizeEx(g_file, &size) || size.QuadPart < (LONGLONG)LOG_MAX_BYTES)
        return;
    CloseHandle(g_file);
    MoveFileExW(g_path, g_old_path, MOVEFILE_REPLACE_EXISTING);
    g_file = open_log();
}

void rh_log(enum rh_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"ERROR", "WARNING", "INFO"};
    DWORD saved = GetLastError();
    char line[2048];
    char stamp[RH_TIME_STRING_SIZE];
    struct rh_buf b;
    va_list ap;
    size_t avail;
    int n;
    WCHAR wide[2048];

    rh_time_format_rfc3339(rh_now_unix_ms(), stamp);
    rh_buf_init(&b, line, sizeof line);
    rh_buf_append_str(&b, stamp);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_str(&b, names[(unsigned)level < 3 ? level : RH_LOG_ERROR]);
    rh_buf_append_char(&b, ' ');

    /* Room for the message, leaving CR, LF and the NUL. */
    avail = sizeof line - b.len - 3;
    va_start(ap, fmt);
    n = vsnprintf(line + b.len, avail + 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        b.len += (size_t)n < avail ? (size_t)n : avail;
    line[b.len++] = '\r';
    line[b.len++] = '\n';
    line[b.len] = '\0';

    if (rh_utf8_to_wide(line, wide, sizeof wide / sizeof wide[0]))
        OutputDebugStringW(wide);

    AcquireSRWLockExclusive(&g_lock);
    if (g_file != INVALID_HANDLE_VALUE) {
        DWORD written;

        rotate_if_large();
        if (g_file != INVALID_HANDLE_VALUE)
            WriteFile(g_file, line, (DWORD)b.len, &written, NULL);
    }
    ReleaseSRWLockExclusive(&g_lock);
    SetLastError(saved);
}

void rh_win32_error_text(DWORD code, char *out, size_t out_size)
{
    WCHAR msg[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, msg, sizeof msg / sizeof msg[0], NULL);
    struct rh_buf b;
    char text[1024];

    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
        msg[--n] = L'\0';
    rh_buf_init(&b, out, out_size);
    if (n > 0 && rh_wide_to_utf8(msg, (int)n, text, sizeof text)) {
        rh_buf_append_str(&b, text);
        rh_buf_append_char(&b, ' ');
    }
    rh_buf_append_char(&b, '(');
    rh_buf_append_u64(&b, code);
    rh_buf_append_char(&b, ')');
}
