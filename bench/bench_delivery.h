/* SPDX-License-Identifier: MIT */
/* Shared by bench_delivery.c and bench_callback.c: one driver, bench_delivery.exe. */
#ifndef RH_BENCH_DELIVERY_H
#define RH_BENCH_DELIVERY_H

#include <stddef.h>
#include <stdint.h>
#include <windows.h>

#include "host.h"
#include "scenario.h"

#define OUT_DIR  L"C:\\ProgramData\\RasHangup\\bench"
#define OUT_FILE OUT_DIR L"\\records.jsonl"
#define CONFIG   L"SOFTWARE\\RasHangup"
#define JOURNAL  L"C:\\ProgramData\\RasHangup\\journal"
#define INPUTS   64

/* INPUTS connections of scenario 7; conn(i) is one of them with its own GUID. */
extern struct rh_scenario_conn *inputs;

void set_dword(const WCHAR *key, const WCHAR *name, DWORD v);
void set_string(const WCHAR *key, const WCHAR *name, const WCHAR *v);
/* A fresh configuration: one file sink (or `path`), a fresh journal of `mb` MiB. */
void configure(const WCHAR *path, DWORD mb, DWORD drain_ms);
/* Loads and binds a DLL as RRAS does, or exits. */
void load(struct rh_host_dll *dll, const WCHAR *name);
struct rh_ras_connection_ex *conn(unsigned i);
int cmp_u64(const void *a, const void *b);
size_t count_lines(const WCHAR *path);
double now_s(void);
void env_path(const char *var, const WCHAR *suffix, WCHAR *out);
unsigned env_unsigned(const char *var);
size_t count_in_file(const WCHAR *path, const char *needle);
/*
 * A RADIUS sink under CONFIG\Sinks\<name>, to the FreeRADIUS that
 * tests/peers/with_freeradius.sh started (its port and secret in the
 * environment); `detail` gets its detail file, emptied.
 */
void configure_radius_sink(const WCHAR *name, WCHAR *detail);

/* bench_callback.c: RRAS's thread against the floor (floordll.dll). */
void bench_callback(unsigned paced, unsigned burst);
void bench_accept(unsigned n);
void bench_line(unsigned n);
void bench_idle(unsigned seconds, char **kinds, int n);
void bench_startup(unsigned n);

#endif /* RH_BENCH_DELIVERY_H */
