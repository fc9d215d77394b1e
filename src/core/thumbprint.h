/* SPDX-License-Identifier: MIT */
/*
 * A pinned certificate's thumbprint as an administrator types or pastes it
 * (ServerThumbprint): the hex digits of its SHA-1 or SHA-256. Pure: the TLS
 * shell (tls_trust.c) hashes the server's certificate and compares.
 */
#ifndef RH_THUMBPRINT_H
#define RH_THUMBPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_THUMBPRINT_SHA1   20
#define RH_THUMBPRINT_SHA256 32
#define RH_THUMBPRINT_MAX    RH_THUMBPRINT_SHA256

/*
 * Reads `text` (UTF-8, NUL-terminated): 40 (SHA-1) or 64 (SHA-256) hex digits,
 * in either case; spaces, tabs, colons and the invisible U+200E that Windows's
 * certificate dialog puts in front of a copied thumbprint are ignored wherever
 * they are. On success the bytes go to out and their count (20 or 32) to *len.
 * False, with the reason in err and out and *len untouched, for any other
 * character or a 65th digit ("... is not a SHA-1 (40) or SHA-256 (64 hex
 * digits) thumbprint"), or for another number of digits ("... has N hex
 * digits: ...").
 */
bool rh_thumbprint_parse(const char *text, uint8_t out[RH_THUMBPRINT_MAX], size_t *len, char *err,
                         size_t err_size);

#endif /* RH_THUMBPRINT_H */
