/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: rashangup's own log, %ProgramData%\RasHangup\rashangup.log, the
 * debugger output (DebugView), and for warnings, errors and the events an
 * administrator watches for, the Application Event Log (source RasHangup, texts
 * from messages.mc), at most 20 events at once and one every 3 s after that, so
 * that a failing sink cannot flood it: the log file has every message. Every
 * message names what it is about: the registry key and value, the sink, the
 * file, the connection.
 *
 * The same message again within 10 s is counted, and the count said after.
 * rh_log never changes GetLastError() and never fails its caller. It is safe from
 * any thread, and before rh_diag_open or after rh_diag_close (the message then
 * goes to the debugger only).
 */
#ifndef RH_DIAG_H
#define RH_DIAG_H

#include <stdbool.h>
#include <windows.h>

/* mingw's C99 printf (__USE_MINGW_ANSI_STDIO) checks as gnu_printf. */
#define RH_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))

enum rh_log_level {
    RH_LOG_ERROR,
    RH_LOG_WARNING,
    RH_LOG_INFO,
};

void rh_diag_open(void);
void rh_diag_close(void);
/*
 * Says how often a message came again within 10 s of its first time (repeats
 * are counted, not written). The flusher calls it every round.
 */
void rh_diag_tick(void);
/* For rrashost --check-config: every message is also written to standard error. */
void rh_diag_echo(bool on);
/* Whether the log file is open: regsvr32's entry points close only what they opened. */
bool rh_diag_is_open(void);

/* What a message is, for the Event Log: its event id there (see messages.mc). */
enum rh_log_id {
    RH_LOGID_GENERIC,   /* by level: 102 error, 101 warning; information not in the Event Log */
    RH_LOGID_CONFIG,    /* a registry value is wrong: 200 (error), 207 (warning) */
    RH_LOGID_SINK_DOWN, /* 201: a sink cannot deliver */
    RH_LOGID_SINK_RECOVERED, /* 202 */
    RH_LOGID_DROPPED,        /* 203: records dropped, the journal was full */
    RH_LOGID_STARTED,        /* 205 */
    RH_LOGID_STOPPED,        /* 206 */
    RH_LOGID_CONNECT_FAILED, /* 210: a sink cannot connect to its collector */
    RH_LOGID_TLS_REFUSED,    /* 211: a TLS handshake or certificate refused */
    RH_LOGID_RADIUS_SILENT,  /* 212: an accounting server does not acknowledge */
};

void rh_log(enum rh_log_level level, const char *fmt, ...) RH_PRINTF(2, 3);
void rh_log_event(enum rh_log_id kind, enum rh_log_level level, const char *fmt, ...)
    RH_PRINTF(3, 4);

/* The system's text for a Win32 error code, e.g. "Access is denied. (5)". */
void rh_win32_error_text(DWORD code, char *out, size_t out_size);

#endif /* RH_DIAG_H */
