/* SPDX-License-Identifier: MIT */
/*
 * Configuration: HKLM\SOFTWARE\RasHangup (64-bit registry view).
 *
 *   Sinks\<name>   one subkey per sink instance:
 *     Type         REG_SZ     the sink type (file, ...)
 *     Enabled      REG_DWORD  0 disables the sink (default 1)
 *     ...          the values of that sink type (see each sink's option table)
 *   Install        what regsvr32 created (install.c), so that uninstall removes
 *                  only that; not configuration, never read at service start
 *
 * With no Sinks key at all, one file sink named "default" writes JSON Lines to
 * %ProgramData%\RasHangup\hangups.jsonl.
 */
#ifndef RH_CONFIG_H
#define RH_CONFIG_H

#include <stdbool.h>
#include <windows.h>

#include "sink.h"

#define RH_CONFIG_KEY      L"SOFTWARE\\RasHangup"
#define RH_CONFIG_KEY_TEXT "HKLM\\SOFTWARE\\RasHangup"
#define RH_DEFAULT_SINK    "default"

/*
 * Fills `config` (config_size bytes, zeroed by the caller) from the values of
 * `key` (NULL: no values), applying defaults for absent values. On a bad value
 * returns false and writes "value <Name>: <reason>" into err.
 */
bool rh_config_read_table(HKEY key, const struct rh_option *options, size_t n_options,
                          size_t config_size, void *config, char *err, size_t err_size);

/*
 * One value of a table: the same, for `opt` alone. A DWORD outside its range
 * or a keyword not among its choices is a bad value (rh_option_check_dword,
 * rh_option_choose), as is the wrong registry type.
 */
bool rh_config_read_option(HKEY key, const struct rh_option *opt, size_t config_size, void *config,
                           char *err, size_t err_size);

/* The same for a sink type's options. */
bool rh_config_read_options(HKEY key, const struct rh_sink_ops *ops, void *config, char *err,
                            size_t err_size);

/*
 * Says, as a warning naming `where` (the key), every value of `key` that
 * neither `options` nor `also_read` (NULL-terminated, or NULL) names, with the
 * option it was most likely meant to be: a misspelt value is otherwise
 * silently its default.
 */
void rh_config_report_unknown(HKEY key, const char *where, const struct rh_option *options,
                              size_t n_options, const char *const *also_read);

/* Reads a REG_SZ value as UTF-8. Returns ERROR_FILE_NOT_FOUND if absent. */
LSTATUS rh_config_read_string(HKEY key, const char *name, char *out, size_t out_size, char *err,
                              size_t err_size);

#endif /* RH_CONFIG_H */
