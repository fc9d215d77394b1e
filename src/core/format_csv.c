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

/* Writes one cell at p, unchecked: at most 2 n + 3 bytes. */
static char *write_cell(char *p, const char *s, size_t n)
{
    bool formula = n > 0 && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                             s[0] == '\t' || s[0] == '\r');
    bool quoted = needs_quotes(s, n);
    size_t run = 0;

    if (quoted)
        *p++ = '"';
    if (formula)
        *p++ = '\'';
    for (size_t i = 0; quoted && i < n; i++) {
        if (s[i] != '"')
            continue;
        memcpy(p, s + run, i + 1 - run); /* through the quote, which is doubled */
        p += i + 1 - run;
        *p++ = '"';
        run = i + 1;
    }
    memcpy(p, s + run, n - run);
    p += n - run;
    if (quoted)
        *p++ = '"';
    return p;
}

void rh_csv_append_cell(struct rh_buf *out, const char *s, size_t n)
{
    if (out->overflow || n > (out->cap - out->len - 4) / 2) {
        out->overflow = true;
        return;
    }
    out->len = (size_t)(write_cell(out->data + out->len, s, n) - out->data);
    out->data[out->len] = '\0';
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
    char *p = rh_fields_reserve(out, fields, n, 2, 3);

    if (p == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct rh_field *f = &fields[i];

        if (i > 0)
            *p++ = ',';
        if (f->null)
            continue;
        if (f->kind == RH_FIELD_TEXT)
            p = write_cell(p, f->p, (size_t)f->num);
        else /* names, numbers, times, ids, addresses, lists: [0-9a-z.:/;_-] */
            p = rh_field_write(p, f, ';');
    }
    *p++ = '\r';
    *p++ = '\n';
    *p = '\0';
    out->len = (size_t)(p - out->data);
    return true;
}

bool rh_csv_last_row_end(const char *text, size_t len, bool at_start, size_t *end)
{
    /*
     * Both readings in one pass: reading k is outside quotes where the quotes
     * seen so far have parity k. Quotes come in pairs inside a cell ("" for
     * one), so the parity alone says whether a byte is inside one.
     */
    size_t last[2] = {0, 0}, rows[2] = {0, 0}, commas[2] = {0, 0};
    bool seen[2] = {false, false};
    unsigned parity = 0;
    unsigned k;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') {
            parity ^= 1u;
        } else if (text[i] == ',') {
            commas[parity]++;
        } else if (text[i] == '\n' && i > 0 && text[i - 1] == '\r') {
            /* Only a row between two ends of the same reading is known whole. */
            if (seen[parity] && commas[parity] == RH_FIELD_COUNT - 1)
                rows[parity]++;
            seen[parity] = true;
            last[parity] = i + 1;
            commas[parity] = 0;
        }
    }
    if (at_start || !seen[1])
        k = 0;
    else if (!seen[0])
        k = 1;
    else if (rows[0] != rows[1])
        k = rows[0] > rows[1] ? 0 : 1;
    else
        k = last[0] > last[1] ? 0 : 1;
    if (!seen[k])
        return false;
    *end = last[k];
    return true;
}
