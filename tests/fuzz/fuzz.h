/* SPDX-License-Identifier: MIT */
/* What every fuzz target shares: libFuzzer's entry point, and a check that stops it. */
#ifndef RH_FUZZ_H
#define RH_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: stop here, whatever the build (assert is gone from release builds). */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/*
 * Lays the patches of data[at..size) over region[0..total): each a 4-byte
 * offset (modulo total), a length byte, and that many bytes. True if any was.
 */
static inline bool fuzz_patch(uint8_t *region, uint64_t total, const uint8_t *data, size_t size,
                              size_t at)
{
    bool patched = false;

    while (size - at >= 5) {
        uint32_t off;
        size_t len = data[at + 4];

        memcpy(&off, data + at, sizeof off);
        at += 5;
        if (len > size - at)
            len = size - at;
        for (size_t i = 0; i < len && total > 0; i++)
            region[(off + i) % total] = data[at + i];
        at += len;
        patched = true;
    }
    return patched;
}

#endif /* RH_FUZZ_H */
