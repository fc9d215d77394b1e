/* SPDX-License-Identifier: MIT */
/*
 * The delivery runtime: the journal, one worker thread per sink, a bell that
 * tells idle workers of new records, and a flusher.
 *
 * RRAS's thread only appends to the journal (rh_runtime_append: a copy under
 * the appenders' lock, which only RRAS's callbacks and, briefly, a
 * reconfiguration making a cursor take; no I/O, no formatting, nothing
 * signalled). Each sink's worker reads the journal at its own cursor without a
 * lock, converts and delivers, and moves the cursor only once the sink has
 * settled the record, retrying with backoff until it does: delivery is
 * at-least-once, in journal order, and a failing sink holds back no other. The
 * flusher writes the journal to disk every FlushIntervalMs (the power-loss
 * window) and keeps status.json current. docs/dev/architecture.md has the threads
 * and the locks.
 *
 * Start, stop and update are called with the service's reload lock
 * (g_reload_lock in service.c) held exclusively, so never concurrently with
 * each other; append and accept may run on any number of threads at once.
 */
#ifndef RH_RUNTIME_H
#define RH_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <windows.h>

#include "journal.h"
#include "sink.h"

struct rh_runtime_config {
    bool keep_all_cursors; /* the list of sinks could not be read whole: release no cursor */
    WCHAR journal_dir[MAX_PATH];
    char journal_dir_utf8[MAX_PATH * 3];
    uint64_t journal_bytes;
    bool fail_closed;
    uint32_t drain_ms;
    uint32_t flush_ms;
    uint32_t status_ms;
    uint32_t retry_min_ms;
    uint32_t retry_max_ms;
};

struct rh_runtime_sink {
    char name[RH_SINK_NAME_SIZE];
    const struct rh_sink_ops *ops;
    void *instance;
};

/*
 * A sink that is configured (its Sinks\<name> key exists) but does not run:
 * its configuration cannot be used, or Enabled is 0. status.json shows it. One
 * that cannot run keeps its journal cursor, so the records since are delivered
 * once it runs again; only deleting its key releases them. A disabled one
 * (Enabled = 0, the administrator's choice) releases its cursor: a journal kept
 * for a sink nobody runs would fill, and with FailClosed refuse connections.
 */
struct rh_runtime_held {
    char name[RH_SINK_NAME_SIZE];
    char type[32]; /* "" if not known */
    bool disabled; /* Enabled = 0; otherwise its configuration is invalid */
    char reason[256];
};

/*
 * Opens the journal (or, if it cannot be had, keeps records in memory and says
 * so), takes ownership of the sink instances, and starts the threads. Never
 * fails: what goes wrong is logged and the runtime does what it still can.
 */
void rh_runtime_start(const struct rh_runtime_config *cfg, const struct rh_runtime_sink *sinks,
                      size_t n_sinks, const struct rh_runtime_held *held, size_t n_held,
                      const char *server);

struct rh_runtime;

/*
 * Stopping, in three steps, so that RRAS's callbacks are held up only for the
 * second, which is short. `begun` is GetTickCount64() when Terminate was
 * called; the three take at most cfg->drain_ms + 1 s from it, whatever is stuck.
 *
 * rh_runtime_drain lets the workers deliver what the journal holds until
 * begun + drain_ms, or less once no sink can make progress (each has
 * delivered everything, or failed again once the drain began). Appends go on
 * meanwhile. Called with the service's reload lock, not the callbacks' lock.
 *
 * rh_runtime_detach takes the runtime away from appends and accepts: from then
 * on they find none. Called with the callbacks' lock held exclusively.
 *
 * rh_runtime_stop stops the workers (two short graces), lets the flusher write
 * the cursors and status.json one last time, closes the journal and destroys
 * the sinks. A worker or flusher stuck past its bound (a delivery that does
 * not return, a share that stops answering) is abandoned: its thread left to
 * finish on its own, its runtime and the journal's mapping kept for it, the
 * DLL pinned in memory. Records not delivered stay in the journal for the next
 * start. Accepts NULL.
 */
/* What stop left behind, for its message. */
struct rh_runtime_left {
    uint64_t undelivered; /* records the slowest sink has not had */
    bool in_memory;       /* the journal was in memory: they are lost, not kept */
};

void rh_runtime_drain(ULONGLONG begun);
struct rh_runtime *rh_runtime_detach(void);
void rh_runtime_stop(struct rh_runtime *rt, ULONGLONG begun, struct rh_runtime_left *left);

/*
 * Live reconfiguration, with the journal open and RRAS's callbacks running:
 * the workers of the sinks named in `remove` stop (as at stop: two short
 * graces, then abandoned), the sinks of `add` start (the runtime owns them),
 * the others run on. A sink removed and added under the same name (its
 * configuration changed) goes on from its cursor, and so does a held one; a
 * sink no longer configured (neither running nor held), or held as disabled,
 * releases its cursor. The values of cfg that can change live
 * apply at once; the journal's path and size wait for the next start. Called
 * with the service's reload lock held (on the watcher's thread), so never
 * concurrently with start or stop; RRAS's callbacks append meanwhile.
 */
void rh_runtime_update(const struct rh_runtime_config *cfg, const char (*remove)[RH_SINK_NAME_SIZE],
                       size_t n_remove, const struct rh_runtime_sink *add, size_t n_add,
                       const struct rh_runtime_held *held, size_t n_held);

/*
 * Appends an event (a packed payload) for the sinks, stamped with the time it
 * is journaled (so that times and record ids grow in journal order). Safe from
 * any thread. The
 * hangup of a connection this runtime refused (`conn` as given to accept) is not
 * recorded: that connection never started.
 */
void rh_runtime_append(enum rh_jkind kind, const void *payload, uint32_t len,
                       const struct rh_guid *conn);
/*
 * On RRAS's thread, before it packs what it appends next: asks for the cache
 * lines the append will write, so that their misses overlap the packing.
 */
void rh_runtime_prepare(void);

/*
 * Whether a new connection may start: always, unless FailClosed is set and the
 * journal could not take the hangups of every connection already accepted plus
 * this one (and its start, when `with_start`: the caller appends it next).
 * `conn` (or NULL) identifies the connection.
 */
bool rh_runtime_accept(const struct rh_guid *conn, bool with_start);

/* Whether any sink takes `event` (an enum rh_sink_event): if none, it need not be journaled. */
bool rh_runtime_wants(unsigned event);

#endif /* RH_RUNTIME_H */
