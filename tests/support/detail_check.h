/* SPDX-License-Identifier: MIT */
/*
 * Reading FreeRADIUS's detail file: records separated by blank lines, each a
 * time line, then one "\tAttribute = value" line per attribute. Text values are
 * quoted, with \\ and \" (and \ooo octal) escapes.
 */
#ifndef DETAIL_CHECK_H
#define DETAIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Splits text into records in place; returns how many (at most max). */
size_t dc_split(char *text, char **records, size_t max);

/* The value of the first `attr` in a record, unquoted and unescaped; false if absent. */
bool dc_get(const char *record, const char *attr, char *out, size_t size);

#endif
