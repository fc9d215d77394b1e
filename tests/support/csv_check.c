/* SPDX-License-Identifier: MIT */
#include "csv_check.h"

#include <string.h>

int cc_row(const char *text, size_t len, int want, char *out, size_t out_size, size_t *consumed)
{
    size_t i = 0;
    int cell = 0;
    size_t o = 0;

    if (out_size > 0)
        out[0] = '\0';
    for (;;) {
        bool quoted = i < len && text[i] == '"';

        if (quoted) {
            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (text[i] == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        if (cell == want && o + 1 < out_size)
                            out[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (cell == want && o + 1 < out_size)
                    out[o++] = text[i];
                i++;
            }
        } else {
            while (i < len && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
                if (text[i] == '"')
                    return -1; /* a quote inside an unquoted cell */
                if (cell == want && o + 1 < out_size)
                    out[o++] = text[i];
                i++;
            }
        }
        if (cell == want && out_size > 0)
            out[o < out_size ? o : out_size - 1] = '\0';
        cell++;
        if (i < len && text[i] == ',') {
            i++;
            continue;
        }
        if (i + 1 < len && text[i] == '\r' && text[i + 1] == '\n') {
            *consumed = i + 2;
            return cell;
        }
        return -1; /* a row ends with CRLF, and nothing else may follow a cell */
    }
}
