/* SPDX-License-Identifier: MIT */
/*
 * A strict RFC 8259 checker for tests: validates a JSON text, and reads the
 * members of a flat object. Independent of the formatter it checks.
 */
#ifndef JSON_CHECK_H
#define JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum jc_type { JC_MISSING, JC_STRING, JC_NUMBER, JC_NULL, JC_TRUE, JC_FALSE, JC_OBJECT, JC_ARRAY };

/* True if text[0..len) is exactly one JSON value in valid UTF-8 (whitespace around allowed). */
bool jc_valid(const char *text, size_t len);

/*
 * Finds member `key` of the object text[0..len). A string is decoded to UTF-8, a
 * number or literal copied as written, into out. JC_MISSING if absent or if the
 * text is not a valid object; out is "" then.
 */
enum jc_type jc_get(const char *text, size_t len, const char *key, char *out, size_t out_size);

/* The number of members of the object text[0..len), or -1 if it is not one. */
int jc_count_members(const char *text, size_t len);

#endif
