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

/* Writes s[0..n) as a JSON string literal at p, unchecked (6 n + 2 bytes at most). */
static char *write_string(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!json_escape[c])
            continue;
        memcpy(p, s + run, i - run); /* the plain run before it */
        p += i - run;
        run = i + 1;
        *p++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *p++ = (char)c;
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 0x0F];
            p += 5;
            break;
        }
    }
    memcpy(p, s + run, n - run);
    p += n - run;
    *p++ = '"';
    return p;
}

void rh_json_append_string(struct rh_buf *out, const char *s, size_t n)
{
    if (out->overflow || out->cap - out->len < 3 || n > (out->cap - out->len - 3) / 6) {
        out->overflow = true;
        return;
    }
    out->len = (size_t)(write_string(out->data + out->len, s, n) - out->data);
    out->data[out->len] = '\0';
}

/* One bound check per record, then unchecked writes (see rh_fields_reserve). */
bool rh_format_json(const struct rh_record *r, struct rh_buf *out)
{
    struct rh_field fields[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, fields);
    char *p = rh_fields_reserve(out, fields, n, 6, 3 + RH_FIELD_NAME_STORAGE);

    if (p == NULL)
        return false;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        const struct rh_field *f = &fields[i];

        if (i > 0)
            *p++ = ',';
        *p++ = '"';
        memcpy(p, f->name, RH_FIELD_NAME_STORAGE);
        p += f->name_len;
        *p++ = '"';
        *p++ = ':';
        if (f->null) {
            memcpy(p, "null", 4);
            p += 4;
            continue;
        }
        switch (f->kind) {
        case RH_FIELD_TEXT:
            p = write_string(p, f->p, (size_t)f->num);
            break;
        case RH_FIELD_NUMBER:
            p += rh_u64_to_dec(f->num, p);
            break;
        case RH_FIELD_LIST:
            *p++ = '[';
            p = rh_list_write(p, f->list, (uint32_t)f->num, ',', true);
            *p++ = ']';
            break;
        default: /* names, times, ids, addresses: never anything to escape */
            *p++ = '"';
            p = rh_field_write(p, f, ',');
            *p++ = '"';
            break;
        }
    }
    *p++ = '}';
    *p++ = '\n';
    *p = '\0';
    out->len = (size_t)(p - out->data);
    return true;
}
