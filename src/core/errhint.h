/* SPDX-License-Identifier: MIT */
/*
 * The codes an administrator meets in rashangup's messages (Win32, Winsock,
 * Schannel and certificate errors), each with its symbolic name and what it
 * usually means here: Wine, and some Windows builds, have no text for the
 * Schannel ones, and "(2148074280)" says nothing to anyone.
 */
#ifndef RH_ERRHINT_H
#define RH_ERRHINT_H

#include <stdint.h>

struct rh_error_hint {
    uint32_t code;
    const char *name; /* WSAECONNREFUSED, SEC_E_UNTRUSTED_ROOT... */
    const char *hint; /* what it most likely means for a sink, and what to do */
};

/* The hint for `code`, or NULL if it has none. */
const struct rh_error_hint *rh_error_hint(uint32_t code);

#endif /* RH_ERRHINT_H */
