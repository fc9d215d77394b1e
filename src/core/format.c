/* SPDX-License-Identifier: MIT */
/* What the formatters share: the choice of format, and the one bound check per record. */
#include "format.h"

#include <string.h>

static size_t field_bound(const struct rh_field *f, size_t text_factor)
{
    /* The name, and room for the punctuation any format puts around it. */
    size_t bound = (size_t)f->name_len + 8;

    if (f->null)
        return bound + 4;
    switch (f->kind) {
    case RH_FIELD_TEXT:
        return bound + text_factor * (size_t)f->num + 4;
    case RH_FIELD_LIST:
        return bound + RH_LIST_MAX + 2;
    default:
        return bound + RH_FIELD_VALUE_MAX + 2;
    }
}

char *rh_fields_reserve(struct rh_buf *out, const struct rh_field *f, size_t n, size_t text_factor,
                        size_t fixed)
{
    size_t bound = fixed;

    for (size_t i = 0; i < n; i++)
        bound += field_bound(&f[i], text_factor);
    if (out->overflow || bound > out->cap - out->len - 1) {
        out->overflow = true;
        return NULL;
    }
    return out->data + out->len;
}

const char *const rh_format_names[] = {"json", "csv", NULL};

bool rh_format_from_name(const char *name, enum rh_format *out)
{
    for (size_t i = 0; rh_format_names[i] != NULL; i++) {
        if (rh_ascii_ieq(name, rh_format_names[i])) {
            *out = (enum rh_format)i;
            return true;
        }
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
