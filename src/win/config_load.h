/* SPDX-License-Identifier: MIT */
/*
 * The configuration as one set: HKLM\SOFTWARE\RasHangup read whole at one
 * moment (the global values and every Sinks\<name>), each problem said in the
 * Event Log and rashangup.log naming key, value and reason. Nothing here starts
 * or stops anything: the service compares the set with the one that runs
 * (rh_config_diff, in the portable core) and the runtime carries the
 * difference out. Data flows one way: registry, set, runtime.
 */
#ifndef RH_CONFIG_LOAD_H
#define RH_CONFIG_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_diff.h"
#include "diag.h"
#include "runtime.h"

/* The global values of HKLM\SOFTWARE\RasHangup. */
struct rh_global_config {
    char journal_path[1024];
    uint32_t journal_size_mb;
    uint32_t fail_closed;
    uint32_t drain_timeout_ms;
    uint32_t flush_interval_ms;
    uint32_t status_interval_ms;
    uint32_t retry_min_ms;
    uint32_t retry_max_ms;
};

/* Every configured sink has a journal cursor, running or not: at most this many. */
#define RH_CONFIG_SINKS RH_JOURNAL_CURSORS

struct rh_config_set {
    struct rh_global_config g;
    struct rh_config_sink sinks[RH_CONFIG_SINKS]; /* each Sinks\<name>, in registry order */
    size_t n;
    bool incomplete; /* Sinks could not be read whole: no cursor may be released */
    bool sinks_key;  /* Sinks exists: its sinks, and not the default file, are the outputs */
};

/*
 * Reads the configuration into cs (which it clears first), saying what is
 * wrong: a bad global value takes its default, a sink that cannot run is
 * RH_STANDING_INVALID with its reason. Without a Sinks key, one file sink
 * named "default" writes JSON Lines to the default path. `retry`: a read only
 * to try again sinks that could not start; warnings about value names that
 * nothing reads are not said again.
 */
void rh_config_load(struct rh_config_set *cs, bool retry);

/* Frees what the set owns (each sink's values, wiped: they may hold a secret). */
void rh_config_set_free(struct rh_config_set *cs);

/*
 * Sink s cannot run after all (its create() said why): its values are freed,
 * it stands RH_STANDING_INVALID, and the reason is said unless it was said
 * last time for this sink.
 */
void rh_config_hold(struct rh_config_sink *s, const char *fmt, ...) RH_PRINTF(2, 3);

/* Forgets what was said of sink `name` (it runs), or of every sink (NULL: a new start). */
void rh_config_forget_said(const char *name);

/* The runtime's view of the global values. */
void rh_config_runtime(const struct rh_config_set *cs, struct rh_runtime_config *rc);

/* The sinks of cs that do not run (invalid or disabled), as the runtime keeps them; at most cap. */
size_t rh_config_held(const struct rh_config_set *cs, struct rh_runtime_held *out, size_t cap);

/* The global values' table (for docs/configuration.md), and the size of what it fills. */
const struct rh_option *rh_config_global_options(size_t *n);
size_t rh_config_global_size(void);

#endif /* RH_CONFIG_LOAD_H */
