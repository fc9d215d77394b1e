/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: rashangup's own log, %ProgramData%\RasHangup\rashangup.log, and
 * the debugger output (DebugView). Every message names what it is about: the
 * registry key and value, the sink, the file, the connection.
 *
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
/* Whether the log file is open: regsvr32's entry points close only what they opened. */
bool rh_diag_is_open(void);

void rh_log(enum rh_log_level level, const char *fmt, ...) RH_PRINTF(2, 3);

/* The system's text for a Win32 error code, e.g. "Access is denied. (5)". */
void rh_win32_error_text(DWORD code, char *out, size_t out_size);

#endif /* RH_DIAG_H */
