/* SPDX-License-Identifier: MIT */
/*
 * RH_HOT marks the functions RRAS's callbacks run through (the check, the pack,
 * the append). GCC puts them in .text.hot, which the linker gathers after the
 * rest of .text: at RRAS's pace the path is cold each time, and spread over a
 * dozen code pages it paid a TLB and cache miss on each (docs/benchmarks.md).
 */
#ifndef RH_HOT_H
#define RH_HOT_H

#if defined(__GNUC__)
#define RH_HOT __attribute__((hot))
#else
#define RH_HOT
#endif

#endif /* RH_HOT_H */
