/* SPDX-License-Identifier: MIT */
/*
 * Conversion plus formatting per record, natively.
 *
 *   bench_record [MODE] [RECORDS]
 *
 * MODE is convert, json, csv, syslog (each: conversion plus that format; convert
 * alone for the conversion) or all (default: each in turn, timed). The inputs are
 * rrashost's realistic scenario: SSTP, L2TP and IKEv2, users in many scripts.
 * For instruction counts, bench/run.sh runs one mode under callgrind at two
 * lengths and takes the difference, which removes start-up costs.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "record.h"
#include "scenario.h"

#define INPUTS 256

enum mode { CONVERT, JSON, CSV, SYSLOG };

static struct rh_scenario_conn *inputs;
static volatile size_t sink; /* keeps the work observable */

static size_t run(enum mode mode, size_t records)
{
    static const uint8_t id[16] = {0x01, 0x9a, 0xd0, 0xb8, 0x4f, 0x7a, 0x70, 0, 0x80};
    struct rh_record_meta meta = {1795975200250ull, "ras01.contoso.com", id};
    struct rh_syslog_options o;
    static struct rh_record r;
    static char out[RH_FORMAT_MAX];
    struct rh_buf b;
    size_t bytes = 0;

    rh_syslog_options_default(&o);
    for (size_t i = 0; i < records; i++) {
        rh_record_from_ex(&r, &inputs[i % INPUTS].ex, RH_EX_OK, &meta);
        rh_buf_init(&b, out, sizeof out);
        switch (mode) {
        case CONVERT:
            b.len = r.user.s[0];
            break;
        case JSON:
            rh_format_json(&r, &b);
            break;
        case CSV:
            rh_format_csv(&r, &b);
            break;
        case SYSLOG:
            rh_format_syslog(&r, &o, &b);
            break;
        }
        bytes += b.len;
    }
    sink = bytes;
    return bytes;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"convert", "json", "csv", "syslog"};
    const char *which = argc > 1 ? argv[1] : "all";
    size_t records = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;

    inputs = calloc(INPUTS, sizeof *inputs);
    if (inputs == NULL)
        return 1;
    for (unsigned i = 0; i < INPUTS; i++)
        rh_scenario_make(1, i, &inputs[i]);
    for (int m = CONVERT; m <= SYSLOG; m++) {
        double t0, t1;
        size_t bytes;

        if (strcmp(which, "all") != 0 && strcmp(which, names[m]) != 0)
            continue;
        if (strcmp(which, "all") != 0) {
            run((enum mode)m, records); /* exactly `records`, for callgrind */
            continue;
        }
        run((enum mode)m, records / 10); /* warm up */
        t0 = now_ns();
        bytes = run((enum mode)m, records);
        t1 = now_ns();
        printf("%-8s %8.1f ns/record %8.1f bytes/record\n", names[m], (t1 - t0) / (double)records,
               (double)bytes / (double)records);
    }
    free(inputs);
    return 0;
}
