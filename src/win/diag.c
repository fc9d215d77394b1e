/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "eventlog_source.h"
#include "files.h"
#include "messages.h"
#include "errhint.h"
#include "text.h"
#include "wstr.h"

#define LOG_MAX_BYTES (4u * 1024 * 1024) /* then rashangup.log becomes rashangup.log.1 */

static SRWLOCK g_lock = SRWLOCK_INIT;
static HANDLE g_file = INVALID_HANDLE_VALUE;
static HANDLE g_dir = INVALID_HANDLE_VALUE; /* the state folder, held while the log is open */
static WCHAR g_path[MAX_PATH];
static WCHAR g_old_path[MAX_PATH + 2];
static HANDLE g_source; /* the Event Log source; NULL if it cannot be had */

/* The Event Log's rate limit: a bucket of EVENT_BURST, one more every EVENT_REFILL_MS. */
#define EVENT_BURST     20
#define EVENT_REFILL_MS 3000
static unsigned g_tokens = EVENT_BURST;
static ULONGLONG g_refilled_at;
static unsigned long g_suppressed;
static bool g_echo; /* rh_diag_echo */

/*
 * The same message again within REPEAT_MS of its first time (a sink failing in
 * a loop, a collector resetting every connection) is counted, not written: the
 * log and the Event Log keep what is new. The count is said once the window
 * ends, at the next message or the flusher's next round (rh_diag_tick).
 */
#define REPEAT_MS    10000
#define REPEAT_SLOTS 32 /* more than the sinks: one failing message each, and some */
static struct {
    uint64_t hash; /* of the message text; 0: a free slot */
    size_t len;    /* the message's length: with the hash and the head, what makes it the same */
    ULONGLONG first_ms, last_ms;
    unsigned long repeats;
    char head[120]; /* the message's start, for the count's line */
} g_recent[REPEAT_SLOTS];

static uint64_t text_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h != 0 ? h : 1;
}

static void write_line(const char *line, size_t len);

/*
 * Says slot i's count, if it has one, and frees the slot: in the log, and where
 * a message goes without it (the debugger, and standard error for
 * --check-config). Called with g_lock held.
 */
static void say_one(size_t i)
{
    char line[320], stamp[RH_TIME_STRING_SIZE];
    int n;

    if (g_recent[i].hash != 0 && g_recent[i].repeats > 0) {
        rh_time_format_rfc3339(rh_now_unix_ms(), stamp);
        n = snprintf(line, sizeof line,
                     "%s INFO the message \"%s...\" came %lu more time(s) in %llu s\r\n", stamp,
                     g_recent[i].head, g_recent[i].repeats,
                     (g_recent[i].last_ms - g_recent[i].first_ms) / 1000 + 1);
        if (n > 0) {
            write_line(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
            OutputDebugStringA(line);
            if (g_echo)
                fputs(line, stderr);
        }
    }
    g_recent[i].hash = 0;
}

/* Says the counts of the windows that have ended. Called with g_lock held. */
static void say_repeats(ULONGLONG now)
{
    for (size_t i = 0; i < REPEAT_SLOTS; i++)
        if (g_recent[i].hash != 0 && now - g_recent[i].first_ms >= REPEAT_MS)
            say_one(i);
}

/* True if this message was said within the window (counted); otherwise remembered. */
static bool repeated(const char *message, ULONGLONG now)
{
    uint64_t h = text_hash(message);
    size_t len = strlen(message), oldest = 0;

    say_repeats(now);
    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        /* The hash, the length and the start: a crafted collision is not enough. */
        if (g_recent[i].hash == h && g_recent[i].len == len &&
            strncmp(g_recent[i].head, message, strlen(g_recent[i].head)) == 0) {
            g_recent[i].repeats++;
            g_recent[i].last_ms = now;
            return true;
        }
        if (g_recent[i].hash == 0 || g_recent[i].first_ms < g_recent[oldest].first_ms)
            oldest = i;
    }
    say_one(oldest); /* out of room: the oldest's count is said now */
    g_recent[oldest].hash = h;
    g_recent[oldest].len = len;
    g_recent[oldest].first_ms = g_recent[oldest].last_ms = now;
    g_recent[oldest].repeats = 0;
    snprintf(g_recent[oldest].head, sizeof g_recent[oldest].head, "%s", message);
    rh_utf8_cut(g_recent[oldest].head);
    return false;
}

void rh_diag_echo(bool on)
{
    AcquireSRWLockExclusive(&g_lock);
    g_echo = on;
    ReleaseSRWLockExclusive(&g_lock);
}

void rh_diag_tick(void)
{
    AcquireSRWLockExclusive(&g_lock);
    say_repeats(GetTickCount64());
    ReleaseSRWLockExclusive(&g_lock);
}

static HANDLE open_log(char *why, size_t why_size)
{
    /* The log names users and servers: readable by SYSTEM and Administrators only. */
    return rh_file_open_checked(g_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_DELETE,
                                OPEN_ALWAYS, why, why_size);
}

void rh_diag_open(void)
{
    DWORD saved = GetLastError();
    WCHAR dir[MAX_PATH];
    bool have_dir = rh_state_dir(dir, MAX_PATH);
    char refused[1024] = "";

    AcquireSRWLockExclusive(&g_lock);
    memset(g_recent, 0, sizeof g_recent); /* a new start counts repeats afresh */
    if (g_source == NULL)
        g_source = RegisterEventSourceW(NULL, RH_EVENT_SOURCE);
    if (g_file == INVALID_HANDLE_VALUE && !have_dir)
        snprintf(refused, sizeof refused, "the folder %%ProgramData%% cannot be found");
    if (g_file == INVALID_HANDLE_VALUE && have_dir) {
        if (g_dir != INVALID_HANDLE_VALUE)
            CloseHandle(g_dir);
        g_dir = rh_dir_open_trusted(dir, refused, sizeof refused);
        if (g_dir != INVALID_HANDLE_VALUE &&
            _snwprintf(g_path, MAX_PATH, L"%ls\\rashangup.log", dir) > 0 &&
            _snwprintf(g_old_path, MAX_PATH + 2, L"%ls.1", g_path) > 0) {
            g_path[MAX_PATH - 1] = L'\0';
            g_old_path[MAX_PATH + 1] = L'\0';
            g_file = open_log(refused, sizeof refused);
        }
    }
    ReleaseSRWLockExclusive(&g_lock);
    if (refused[0] != '\0')
        rh_log_event(RH_LOGID_GENERIC, RH_LOG_ERROR,
                     "%s; rashangup.log is not written (this message goes to the Event Log only), "
                     "and the state folder is not used until an administrator removes it or runs "
                     "regsvr32 on rashangup.dll again, which sets it aside and makes a new one",
                     refused);
    SetLastError(saved);
}

void rh_diag_close(void)
{
    AcquireSRWLockExclusive(&g_lock);
    for (size_t i = 0; i < REPEAT_SLOTS; i++)
        say_one(i); /* every window ends: the counts are said before closing */
    if (g_file != INVALID_HANDLE_VALUE) {
        CloseHandle(g_file);
        g_file = INVALID_HANDLE_VALUE;
    }
    if (g_dir != INVALID_HANDLE_VALUE) {
        CloseHandle(g_dir);
        g_dir = INVALID_HANDLE_VALUE;
    }
    if (g_source != NULL) {
        DeregisterEventSource(g_source);
        g_source = NULL;
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
    char why[512];
    LARGE_INTEGER size;

    if (!GetFileSizeEx(g_file, &size) || size.QuadPart < (LONGLONG)LOG_MAX_BYTES)
        return;
    CloseHandle(g_file);
    /* Renamed through a handle opened and checked for it: never through a link. */
    g_file = rh_file_open_checked(g_path, DELETE | SYNCHRONIZE,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                  OPEN_EXISTING, why, sizeof why);
    if (g_file != INVALID_HANDLE_VALUE) {
        rh_file_rename(g_file, g_old_path, true);
        CloseHandle(g_file);
    }
    g_file = open_log(why, sizeof why);
}

static DWORD event_id(enum rh_log_id kind, enum rh_log_level level)
{
    switch (kind) {
    case RH_LOGID_CONFIG:
        return level == RH_LOG_ERROR     ? RH_MSG_CONFIG_ERROR
               : level == RH_LOG_WARNING ? RH_MSG_CONFIG_WARNING
                                         : 0;
    case RH_LOGID_SINK_DOWN:
        return RH_MSG_SINK_DOWN;
    case RH_LOGID_SINK_RECOVERED:
        return RH_MSG_SINK_RECOVERED;
    case RH_LOGID_DROPPED:
        return RH_MSG_RECORDS_DROPPED;
    case RH_LOGID_STARTED:
        return RH_MSG_STARTED;
    case RH_LOGID_STOPPED:
        return RH_MSG_STOPPED;
    case RH_LOGID_CONNECT_FAILED:
        return RH_MSG_CONNECT_FAILED;
    case RH_LOGID_TLS_REFUSED:
        return RH_MSG_TLS_REFUSED;
    case RH_LOGID_RADIUS_SILENT:
        return RH_MSG_RADIUS_SILENT;
    case RH_LOGID_GENERIC:
    default:
        return level == RH_LOG_ERROR ? RH_MSG_ERROR : level == RH_LOG_WARNING ? RH_MSG_WARNING : 0;
    }
}

static WORD event_type(enum rh_log_level level)
{
    return level == RH_LOG_ERROR     ? EVENTLOG_ERROR_TYPE
           : level == RH_LOG_WARNING ? EVENTLOG_WARNING_TYPE
                                     : EVENTLOG_INFORMATION_TYPE;
}

/* Called with g_lock held exclusively: takes a token, or counts the event as suppressed. */
static bool event_allowed(void)
{
    ULONGLONG now = GetTickCount64();

    if (g_refilled_at == 0)
        g_refilled_at = now;
    while (g_tokens < EVENT_BURST && now - g_refilled_at >= EVENT_REFILL_MS) {
        g_tokens++;
        g_refilled_at += EVENT_REFILL_MS;
    }
    if (g_tokens == EVENT_BURST)
        g_refilled_at = now;
    if (g_tokens == 0) {
        g_suppressed++;
        return false;
    }
    g_tokens--;
    return true;
}

/* Called with g_lock held exclusively. `text` is the message without time and level. */
static void report_event(DWORD id, enum rh_log_level level, const WCHAR *text)
{
    if (g_source == NULL || id == 0 || !event_allowed())
        return;
    if (g_suppressed > 0 && g_tokens > 0) {
        WCHAR count[24];
        const WCHAR *strings[1] = {count};

        _snwprintf(count, 24, L"%lu", g_suppressed);
        count[23] = L'\0';
        g_tokens--;
        g_suppressed = 0;
        ReportEventW(g_source, EVENTLOG_WARNING_TYPE, 0, RH_MSG_EVENTS_SUPPRESSED, NULL, 1, 0,
                     strings, NULL);
    }
    ReportEventW(g_source, event_type(level), 0, id, NULL, 1, 0, &text, NULL);
}

/* Appends a line to rashangup.log, if it is open. Called with g_lock held. */
static void write_line(const char *line, size_t len)
{
    DWORD written;

    if (g_file == INVALID_HANDLE_VALUE)
        return;
    rotate_if_large();
    if (g_file != INVALID_HANDLE_VALUE)
        WriteFile(g_file, line, (DWORD)len, &written, NULL);
}

static void log_va(enum rh_log_id kind, enum rh_log_level level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"ERROR", "WARNING", "INFO"};
    DWORD saved = GetLastError();
    DWORD id = event_id(kind, level);
    char line[2048];
    char stamp[RH_TIME_STRING_SIZE];
    struct rh_buf b;
    size_t avail, message_at;
    int n;
    WCHAR wide[2048];

    rh_time_format_rfc3339(rh_now_unix_ms(), stamp);
    rh_buf_init(&b, line, sizeof line);
    rh_buf_append_str(&b, stamp);
    rh_buf_append_char(&b, ' ');
    rh_buf_append_str(&b, names[(unsigned)level < 3 ? level : RH_LOG_ERROR]);
    rh_buf_append_char(&b, ' ');
    if (id != 0) {
        /* The id the Event Log has it under: what the documents and alerts name. */
        rh_buf_append_str(&b, "(event ");
        rh_buf_append_u64(&b, id & 0xFFFFu);
        rh_buf_append_str(&b, ") ");
    }
    message_at = b.len;

    /* Room for the message, leaving CR, LF and the NUL. */
    avail = sizeof line - b.len - 3;
    n = vsnprintf(line + b.len, avail + 1, fmt, ap);
    if (n > 0)
        b.len += (size_t)n < avail ? (size_t)n : avail;
    line[b.len] = '\0';
    rh_utf8_cut(line + message_at); /* a cut message stays valid UTF-8, for the Event Log */
    b.len = strlen(line);
    line[b.len++] = '\r';
    line[b.len++] = '\n';
    line[b.len] = '\0';

    AcquireSRWLockExclusive(&g_lock);
    line[b.len - 2] = '\0';
    /* Warnings and errors: what repeats in a loop. Information says what happened, each time. */
    if (level != RH_LOG_INFO && repeated(line + message_at, GetTickCount64())) {
        ReleaseSRWLockExclusive(&g_lock);
        SetLastError(saved);
        return;
    }
    line[b.len - 2] = '\r';
    if (g_echo)
        fprintf(stderr, "%.*s\n", (int)(b.len - 2 - message_at), line + message_at);
    if (rh_utf8_to_wide(line, wide, sizeof wide / sizeof wide[0]))
        OutputDebugStringW(wide);
    write_line(line, b.len);
    if (id != 0) {
        line[b.len - 2] = '\0'; /* the Event Log has its own time and level */
        if (rh_utf8_to_wide(line + message_at, wide, sizeof wide / sizeof wide[0]))
            report_event(id, level, wide);
    }
    ReleaseSRWLockExclusive(&g_lock);
    SetLastError(saved);
}

void rh_log(enum rh_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_va(RH_LOGID_GENERIC, level, fmt, ap);
    va_end(ap);
}

void rh_log_event(enum rh_log_id kind, enum rh_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_va(kind, level, fmt, ap);
    va_end(ap);
}

void rh_win32_error_text(DWORD code, char *out, size_t out_size)
{
    WCHAR msg[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, msg, sizeof msg / sizeof msg[0], NULL);
    const struct rh_error_hint *hint = rh_error_hint(code);
    char text[1024] = "", tail[384];
    size_t room;

    if (out_size == 0)
        return;
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
        msg[--n] = L'\0';
    if (n == 0 || !rh_wide_to_utf8(msg, (int)n, text, sizeof text))
        snprintf(text, sizeof text, "%s", hint != NULL ? hint->name : "");
    /* The code as Windows documents it: HRESULTs and SECURITY_STATUS in hexadecimal. */
    if (code >= 0x80000000u)
        snprintf(tail, sizeof tail, "(0x%08lx)%s%s", (unsigned long)code, hint != NULL ? "; " : "",
                 hint != NULL ? hint->hint : "");
    else
        snprintf(tail, sizeof tail, "(%lu)%s%s", (unsigned long)code, hint != NULL ? "; " : "",
                 hint != NULL ? hint->hint : "");
    /* A long text is cut, never the code: it is what a search finds. */
    room = strlen(tail) + 2 < out_size ? out_size - strlen(tail) - 2 : 0;
    snprintf(out, out_size, "%.*s", (int)(room < strlen(text) ? room : strlen(text)), text);
    rh_utf8_cut(out);
    if (out[0] != '\0')
        strncat(out, " ", out_size - strlen(out) - 1);
    strncat(out, tail, out_size - strlen(out) - 1);
    rh_utf8_cut(out);
}
