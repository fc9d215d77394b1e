/* SPDX-License-Identifier: MIT */
#include "format.h"

#include <string.h>

/* 1 for bytes that JSON strings must escape: C0 controls, '"', '\\' and DEL. */
static const unsigned char json_escape[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['"'] = 1,  ['\\'] = 1, [0x7F] = 1,
};

void rh_json_append_string(struct rh_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    rh_buf_append_char(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t esc_len = 2;

        if (!json_escape[c])
            continue;
        rh_buf_append(out, s + run, i - run); /* the plain run before it */
        switch (c) {
        case '"':
        case '\\':
            esc[1] = (char)c;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0x0F];
            esc_len = 6;
            break;
        }
        rh_buf_append(out, esc, esc_len);
        run = i + 1;
    }
    rh_buf_append(out, s + run, n - run);
    rh_buf_append_char(out, '"');
}

static void append_time(struct rh_buf *out, uint64_t ms)
{
    char t[RH_TIME_STRING_SIZE];

    rh_time_format_rfc3339(ms, t);
    rh_buf_append_char(out, '"');
    rh_buf_append(out, t, RH_TIME_STRING_SIZE - 1);
    rh_buf_append_char(out, '"');
}

bool rh_format_json(const struct rh_record *r, struct rh_buf *out)
{
    struct rh_field fields[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, fields);
    size_t mark = out->len;

    if (out->overflow)
        return false;
    rh_buf_append_char(out, '{');
    for (size_t i = 0; i < n; i++) {
        const struct rh_field *f = &fields[i];

        if (i > 0)
            rh_buf_append_char(out, ',');
        rh_buf_append_char(out, '"');
        rh_buf_append(out, f->name, f->name_len);
        rh_buf_append(out, "\":", 2);
        if (f->null) {
            rh_buf_append(out, "null", 4);
            continue;
        }
        switch (f->kind) {
        case RH_FIELD_STRING:
            rh_json_append_string(out, f->v.str.s, f->v.str.len);
            break;
        case RH_FIELD_NUMBER:
            rh_buf_append_u64(out, f->v.num);
            break;
        case RH_FIELD_TIME:
            append_time(out, f->v.num);
            break;
        case RH_FIELD_LIST:
            rh_buf_append_char(out, '[');
            rh_list_append(out, f->list, (uint32_t)f->v.num, ',', true);
            rh_buf_append_char(out, ']');
            break;
        }
    }
    rh_buf_append(out, "}\n", 2);

    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}

bool rh_format_from_name(const char *name, enum rh_format *out)
{
    if (strcmp(name, "json") == 0) {
        *out = RH_FORMAT_JSON;
        return true;
    }
    if (strcmp(name, "csv") == 0) {
        *out = RH_FORMAT_CSV;
        return true;
    }
    return false;
}

const char *rh_format_name(enum rh_format f)
{
    switch (f) {
    case RH_FORMAT_JSON:
        return "json";
    case RH_FORMAT_CSV:
        return "csv";
    }
    return "unknown";
}

bool rh_format_record(enum rh_format f, const struct rh_record *r, struct rh_buf *out)
{
    switch (f) {
    case RH_FORMAT_JSON:
        return rh_format_json(r, out);
    case RH_FORMAT_CSV:
        return rh_format_csv(r, out);
    }
    return false;
}

bool rh_format_file_header(enum rh_format f, struct rh_buf *out)
{
    switch (f) {
    case RH_FORMAT_JSON:
        return !out->overflow;
    case RH_FORMAT_CSV:
        return rh_format_csv_header(out);
    }
    return false;
}
