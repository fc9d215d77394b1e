/* SPDX-License-Identifier: MIT */
/* What every fuzz target shares: libFuzzer's entry point, and a check that stops it. */
#ifndef RH_FUZZ_H
#define RH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: stop here, whatever the build (assert is gone from release builds). */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#endif /* RH_FUZZ_H */
