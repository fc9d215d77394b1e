/* SPDX-License-Identifier: MIT */
/*
 * Record formatters: pure functions from a record to bytes. They allocate
 * nothing and touch no global state; each appends to a bounded buffer and
 * reports overflow through it (the buffer is then left as it was before the
 * record began, so a partial record is never emitted).
 */
#ifndef RH_FORMAT_H
#define RH_FORMAT_H

#include <stdbool.h>

#include "record.h"
#include "text.h"

/* Enough for any record in any format (the worst case is checked by tests). */
#define RH_FORMAT_MAX 16384

enum rh_format {
    RH_FORMAT_JSON = 0, /* JSON Lines: one RFC 8259 object and LF */
};

/* Looks a format up by its configuration name ("json"); false if unknown. */
bool rh_format_from_name(const char *name, enum rh_format *out);
const char *rh_format_name(enum rh_format f);

/* Appends the record in format `f`; false (and `out` unchanged) on overflow. */
bool rh_format_record(enum rh_format f, const struct rh_record *r, struct rh_buf *out);

bool rh_format_json(const struct rh_record *r, struct rh_buf *out);

/* Appends a JSON string literal (quotes included) for UTF-8 text s[0..n). */
void rh_json_append_string(struct rh_buf *out, const char *s, size_t n);

#endif /* RH_FORMAT_H */
