/* SPDX-License-Identifier: MIT */
/* Helpers for the Windows tests: registry, files, the DLL's log. */
#ifndef WINTEST_H
#define WINTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <windows.h>

#define WT_CONFIG_KEY L"SOFTWARE\\RasHangup"
#define WT_ADMIN_KEY  L"SOFTWARE\\Microsoft\\RAS\\AdminDll"

/* Sets HKLM\SOFTWARE\RasHangup\Sinks\<sink> value <name> (REG_SZ/REG_EXPAND_SZ). */
void wt_set_sink_string(const WCHAR *sink, const WCHAR *name, DWORD type, const WCHAR *value);
void wt_set_sink_dword(const WCHAR *sink, const WCHAR *name, DWORD value);
/* Sets a global value of HKLM\SOFTWARE\RasHangup. */
void wt_set_global_dword(const WCHAR *name, DWORD value);
void wt_set_global_string(const WCHAR *name, DWORD type, const WCHAR *value);
/* Removes HKLM\SOFTWARE\RasHangup entirely: no configuration at all. */
void wt_clear_config(void);
/* The tests' baseline: no configuration but a 16 MiB journal (wintest.c says why). */
void wt_reset_config(void);

/* No configuration, no journal, and fast retries (50 to 200 ms): where each test starts. */
void wt_fresh_config(void);

/* A cmocka teardown: leaves no configuration behind. */
int wt_teardown(void **state);

/* Loads rashangup.dll from the current directory as RRAS would (`model`), or fails the test. */
struct rh_host_dll;
void wt_load(struct rh_host_dll *dll, int model);

/* Deletes a folder and everything in it (it must hold no links). */
void wt_remove_tree(const WCHAR *dir);

/* A fresh, empty directory under %TEMP%; returns its path (static storage per call site). */
void wt_make_temp_dir(const WCHAR *tag, WCHAR *out, size_t out_count);

/* Writes `text` as the whole of file `path` (made or emptied), or fails the test. */
void wt_write_file(const WCHAR *path, const char *text);

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL if absent. */
char *wt_read_file(const WCHAR *path, size_t *len);

/*
 * Asks tests/win/with_fixtures.sh (which runs the test) for a fixture Wine
 * cannot make: "ln TARGET LINK", "rm LINK" (paths under C:\, with "/"),
 * "freeze" or "thaw" (the FUSE share of RH_SHARE_DIR). Waits until done.
 */
void wt_fixture_request(const char *op, const char *a, const char *b);

/* The number of lines (newlines) in a file; 0 if absent. */
size_t wt_count_lines(const WCHAR *path);

/* Splits text into lines in place; returns the count (the last, empty, line excluded). */
size_t wt_split_lines(char *text, char **lines, size_t max_lines);

/* The path of %ProgramData%\RasHangup\<name>. */
void wt_program_data_file(const WCHAR *name, WCHAR *out, size_t out_count);

/* The size of a file, 0 if absent: to read only what a test adds to the log. */
size_t wt_file_size(const WCHAR *path);

/* True if the log gained a line containing `needle` since offset `from`. */
bool wt_log_contains(size_t from, const char *needle);
/*
 * Runs command line cmd (exe: the program, or NULL to take it from cmd), waits
 * for it (at most 60 s: a failure otherwise) and returns its exit status.
 */
DWORD wt_run(const WCHAR *exe, WCHAR *cmd);
/* The same, its standard output and error into a new file at `out` (NULL: inherited). */
DWORD wt_run_to(const WCHAR *exe, WCHAR *cmd, const WCHAR *out);
/* The size of rashangup.log now: an offset for the two around it. */
size_t wt_log_size(void);
/* How many times needle is in rashangup.log from offset `from`. */
size_t wt_log_count(size_t from, const char *needle);

#endif
