/* SPDX-License-Identifier: MIT */
/*
 * What a configuration change does to each sink: a pure decision, from the set
 * of sinks as they run and the set as the registry holds them now, tested
 * natively (tests/unit/test_config_diff.c). The Windows shell reads the
 * registry into the second set (config_load.c) and the runtime carries the
 * decision out (service.c, runtime.c).
 *
 * A sink's journal cursor is its place in the journal: the records it has not
 * delivered. It is kept while the sink is configured, running or not, and
 * released only when its key is deleted or it is disabled (Enabled = 0), the
 * administrator's choices: a value that is briefly invalid never costs a
 * backlog.
 */
#ifndef RH_CONFIG_DIFF_H
#define RH_CONFIG_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "sink.h"

/* Where a configured sink stands. */
enum rh_sink_standing {
    RH_STANDING_RUNS,     /* its values are valid (and, once applied, its instance runs) */
    RH_STANDING_INVALID,  /* configured, but cannot run: its records wait for it */
    RH_STANDING_DISABLED, /* Enabled = 0: does not run, and nothing waits for it */
};

/* A sink as one configuration set has it. */
struct rh_config_sink {
    char name[RH_SINK_NAME_SIZE];
    const struct rh_sink_ops *ops; /* NULL if its type is not known */
    enum rh_sink_standing standing;
    void *config;     /* RH_STANDING_RUNS: its values (ops->config_size bytes), owned by the set */
    char reason[256]; /* RH_STANDING_INVALID: why it cannot run */
};

/* What happens to one sink when a set replaces another. */
enum rh_sink_change {
    RH_CHANGE_KEEP,    /* runs on, untouched: the same type and the same values */
    RH_CHANGE_RESTART, /* runs with new values: stopped, started again from its cursor */
    RH_CHANGE_START,   /* did not run and now can: started (from its cursor, if it has one) */
    RH_CHANGE_STOP,    /* ran and now cannot: stopped, its cursor kept */
    RH_CHANGE_HOLD,    /* did not run and still cannot: its cursor kept */
    RH_CHANGE_RELEASE, /* deleted or disabled: stopped if it ran, its cursor released */
};

struct rh_config_change {
    char name[RH_SINK_NAME_SIZE];
    enum rh_sink_change change;
    bool ran;    /* it ran before the change */
    size_t next; /* its index in `next`; SIZE_MAX if it is not there (its key is gone) */
};

/*
 * One change per sink named in `current` (what is applied: RH_STANDING_RUNS
 * means its instance runs) or in `next` (what the registry holds now), in
 * that order, at most `cap` of them; returns how many. `incomplete`: the list
 * of sinks could not be read whole, so a sink missing from `next` may still
 * be configured: it is stopped or held, never released. Names compare
 * exactly, as the registry enumerates them and as the journal's cursors hold
 * them.
 */
size_t rh_config_diff(const struct rh_config_sink *current, size_t n_current,
                      const struct rh_config_sink *next, size_t n_next, bool incomplete,
                      struct rh_config_change *out, size_t cap);

/* The name of a change, for logs and tests: "keep", "restart"... */
const char *rh_sink_change_name(enum rh_sink_change c);

#endif /* RH_CONFIG_DIFF_H */
