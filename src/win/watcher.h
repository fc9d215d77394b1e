/* SPDX-License-Identifier: MIT */
/*
 * The configuration watcher (watcher.c): a thread that waits for changes under
 * HKLM\SOFTWARE\RasHangup (a notification, or failing one a look every 2 s),
 * lets a stream of writes settle (0.3 s quiet, 3 s at most), and asks the
 * service to apply the configuration (rh_service_reload). It also retries,
 * every 30 s, sinks that could not start for a reason outside the registry.
 */
#ifndef RH_WATCHER_H
#define RH_WATCHER_H

#include <stdbool.h>
#include <windows.h>

/*
 * The configuration key's stamp (the last-write times and subkey counts of it
 * and the keys under it); 0 if it cannot be read. Start takes one before it
 * reads the configuration, so that a change made before the watcher listens
 * is still found.
 */
ULONGLONG rh_watcher_stamp(void);

/* Starts the watcher; `baseline` is the stamp taken before start read the configuration. */
bool rh_watcher_start(ULONGLONG baseline);

/*
 * Stops it. A reload still reading the registry or creating sinks gives up
 * (rh_service_reload checks) when it can; if it cannot within 250 ms it is
 * left to finish on its own, the DLL pinned, and changes nothing.
 */
void rh_watcher_stop(void);

#endif /* RH_WATCHER_H */
