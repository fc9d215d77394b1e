/* SPDX-License-Identifier: MIT */
#include "wstr.h"

#include <limits.h>

#include "text.h"

bool rh_wide_to_utf8(const WCHAR *src, int len, char *out, size_t out_size)
{
    size_t units = len < 0 ? wcslen(src) : (size_t)len;
    int n;

    if (out_size == 0 || out_size > INT_MAX || units > INT_MAX)
        return false;
    out[0] = '\0';
    if (units == 0)
        return true;
    n = WideCharToMultiByte(CP_UTF8, 0, src, (int)units, out, (int)out_size - 1, NULL, NULL);
    if (n <= 0) {
        out[0] = '\0';
        return false;
    }
    out[n] = '\0';
    return true;
}

bool rh_utf8_to_wide(const char *src, WCHAR *out, size_t out_count)
{
    int n;

    if (out_count == 0 || out_count > INT_MAX)
        return false;
    out[0] = L'\0';
    n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, src, -1, out, (int)out_count);
    if (n <= 0) {
        out[0] = L'\0';
        return false;
    }
    return true;
}

ULONGLONG rh_now_unix_ms(void)
{
    FILETIME ft;
    struct rh_filetime rft;

    GetSystemTimePreciseAsFileTime(&ft);
    rft.dwLowDateTime = ft.dwLowDateTime;
    rft.dwHighDateTime = ft.dwHighDateTime;
    return rh_filetime_to_unix_ms(&rft);
}
