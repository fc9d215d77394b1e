/* SPDX-License-Identifier: MIT */
#include "detail_check.h"

#include <string.h>

size_t dc_split(char *text, char **records, size_t max)
{
    size_t n = 0;
    char *p = text;

    while (*p != '\0' && n < max) {
        char *end;

        while (*p == '\n')
            p++;
        if (*p == '\0')
            break;
        records[n++] = p;
        end = strstr(p, "\n\n");
        if (end == NULL)
            break;
        end[1] = '\0';
        p = end + 2;
    }
    return n;
}

static bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

bool dc_get(const char *record, const char *attr, char *out, size_t size)
{
    size_t alen = strlen(attr), o = 0;
    const char *p = record;

    if (size == 0)
        return false;
    for (;;) {
        p = strchr(p, '\n');
        if (p == NULL)
            return false;
        p++;
        if (p[0] == '\t' && strncmp(p + 1, attr, alen) == 0 && strncmp(p + 1 + alen, " = ", 3) == 0)
            break;
    }
    p += 1 + alen + 3;
    if (*p != '"') {
        while (*p != '\n' && *p != '\0' && o + 1 < size)
            out[o++] = *p++;
        out[o] = '\0';
        return true;
    }
    for (p++; *p != '"' && *p != '\0' && *p != '\n' && o + 1 < size; p++) {
        if (*p == '\\' && is_octal(p[1]) && is_octal(p[2]) && is_octal(p[3])) {
            out[o++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else if (*p == '\\' && p[1] != '\0') {
            out[o++] = *++p;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return *p == '"';
}
