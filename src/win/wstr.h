/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16 for the shell's own strings (registry values, paths). */
#ifndef RH_WSTR_H
#define RH_WSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

/* Converts len units (or up to the NUL if len < 0); false if out is too small. */
bool rh_wide_to_utf8(const WCHAR *src, int len, char *out, size_t out_size);
/* Converts a NUL-terminated UTF-8 string; false if out is too small or invalid. */
bool rh_utf8_to_wide(const char *src, WCHAR *out, size_t out_count);

/* The current time in milliseconds since 1970 UTC. */
ULONGLONG rh_now_unix_ms(void);

#endif /* RH_WSTR_H */
