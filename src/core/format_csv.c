/* SPDX-License-Identifier: MIT */
/*
 * CSV, RFC 4180: CRLF line ends, a header row, fields quoted when they hold a
 * comma, a quote, or a control character, quotes doubled. A cell whose text a
 * spreadsheet would run as a formula (it starts with = + - @ TAB or CR) gets a
 * leading apostrophe (OWASP, "CSV injection"); JSON and syslog keep such text
 * exactly. An unknown value is an empty cell.
 */
#include "format.h"

#include <string.h>

static bool needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ',' || c == '"' || c < 0x20 || c == 0x7F)
            return true;
    }
    return false;
}

void rh_csv_append_cell(struct rh_buf *out, const char *s, size_t n)
{
    bool formula = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                             s[0] == '\t' || s[0] == '\r');
    size_t run = 0;

    if (!needs_quotes(s, n)) {
        if (formula)
            rh_buf_append_char(out, '\'');
        rh_buf_append(out, s, n);
        return;
    }
    rh_buf_append_char(out, '"');
    if (formula)
        rh_buf_append_char(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        rh_buf_append(out, s + run, i + 1 - run); /* through the quote, which is doubled */
        rh_buf_append_char(out, '"');
        run = i + 1;
    }
    rh_buf_append(out, s + run, n - run);
    rh_buf_append_char(out, '"');
}

bool rh_format_csv_header(struct rh_buf *out)
{
    size_t mark = out->len;

    if (out->overflow)
        return false;
    rh_buf_append(out, "\xEF\xBB\xBF", 3); /* UTF-8 BOM: Excel reads the file as UTF-8 */
    for (size_t i = 0; i < RH_FIELD_COUNT; i++) {
        if (i > 0)
            rh_buf_append_char(out, ',');
        rh_buf_append_str(out, rh_field_name(i));
    }
    rh_buf_append(out, "\r\n", 2);
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}

bool rh_format_csv(const struct rh_record *r, struct rh_buf *out)
{
    struct rh_field fields[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, fields);
    size_t mark = out->len;

    if (out->overflow)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct rh_field *f = &fields[i];

        if (i > 0)
            rh_buf_append_char(out, ',');
        if (f->null)
            continue;
        switch (f->kind) {
        case RH_FIELD_STRING:
            rh_csv_append_cell(out, f->v.str.s, f->v.str.len);
            break;
        case RH_FIELD_NUMBER:
            rh_buf_append_u64(out, f->v.num);
            break;
        case RH_FIELD_TIME: {
            char t[RH_TIME_STRING_SIZE];

            rh_time_format_rfc3339(f->v.num, t);
            rh_buf_append(out, t, RH_TIME_STRING_SIZE - 1);
            break;
        }
        case RH_FIELD_LIST:
            /* Names are [a-z0-9_], never needing quotes. */
            rh_list_append(out, f->list, (uint32_t)f->v.num, ';', false);
            break;
        }
    }
    rh_buf_append(out, "\r\n", 2);
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}
