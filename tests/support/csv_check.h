/* SPDX-License-Identifier: MIT */
/* A strict RFC 4180 reader for tests: one row at a time, CRLF line ends. */
#ifndef CSV_CHECK_H
#define CSV_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Reads the row at text[0..len), which must end with CRLF. Returns the number of
 * cells (decoding cell `want` into out when want >= 0), or -1 if the row is not
 * RFC 4180. *consumed is set to the row's length including CRLF.
 */
int cc_row(const char *text, size_t len, int want, char *out, size_t out_size, size_t *consumed);

#endif
