/* SPDX-License-Identifier: MIT */
/*
 * The runtime's own: what runtime.c (start, stop, reconfiguration, appends,
 * the journal and its flusher), worker.c (one delivery worker per sink) and
 * status.c (status.json and the reports of drops) share. Not for other files:
 * runtime.h is the runtime's interface.
 */
#ifndef RH_RUNTIME_INTERNAL_H
#define RH_RUNTIME_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <windows.h>

#include "journal.h"
#include "journal_file.h"
#include "pipeline.h"
#include "runtime.h"
#include "sink.h"

/* What stop gives a worker to leave a delivery, and again after cancelling its I/O. */
#define STOP_GRACE_MS 250

/*
 * How often the bell rings: idle workers learn of new records this often, so
 * that RRAS's thread never has to wake one (a system call, and under Wine a
 * round trip to its server, on every hangup).
 */
#define BELL_MS 4

/* FILETIME of 1970-01-01: 100 ns units since 1601. */
#define RH_UNIX_EPOCH_100NS 116444736000000000LL

/* Refused connections remembered at once, oldest forgotten first. */
#define REFUSED_MAX 1024

/*
 * Records a worker gave its sink that are not settled yet (see sink.h): the
 * journal cursor stays at the first of them. A ring; when full, the worker
 * reads nothing new until the sink settles some.
 */
#define UNSETTLED_MAX RH_UNSETTLED_MAX

struct unsettled {
    uint64_t pos, seq; /* the entry's place; seq is the token the sink had */
};

struct worker {
    struct rh_runtime *rt;
    struct rh_runtime_sink sink;
    int cursor;
    unsigned events;    /* what the sink takes: enum rh_sink_event */
    bool active;        /* a configured sink; false: a free slot, or one being retired */
    bool live;          /* sink.instance is still to be destroyed */
    volatile LONG quit; /* this worker alone must stop (live reconfiguration) */
    HANDLE wake;        /* set with quit */
    HANDLE bell;        /* auto-reset: the bell rings it (new records) */
    /* The tail the worker found when it went idle, for the bell; -1 while it is busy. */
    volatile LONG64 idle_at;
    volatile LONG in_journal; /* between journal_enter and journal_leave (worker.c) */
    HANDLE thread;
    volatile LONG state; /* enum rh_sink_state */
    volatile LONG in_delivery;
    volatile LONG64 delivered, retried, failed;
    volatile LONG64 unconfirmed; /* given to the sink, not settled */
    volatile LONG last_error;
    DWORD failed_code; /* the worker's: the thread's last error right after a sink call failed */
    /* The sink's last failure (its error()), with the code's text, under err_lock. */
    SRWLOCK err_lock;
    char last_error_text[512];
    volatile LONG exited;
    volatile LONG gave_up;   /* stop is draining, and this sink failed twice since it began */
    unsigned drain_failures; /* the worker's: failures of tries made while stop drains */

    /*
     * The worker thread's own: where it reads, where what it handled ends (given
     * to the sink, or of no use to it), and what its sink has not settled.
     */
    struct rh_jahead rd;
    uint64_t done_pos, done_seq;
    struct unsettled *unsettled;
    size_t u_first, u_count;
};

/* A sink that is configured but does not run (invalid, or Enabled = 0): it keeps its cursor. */
struct held_sink {
    char name[RH_SINK_NAME_SIZE];
    char type[32];
    enum rh_sink_state state;
    char reason[256];
    bool runtime_made; /* it could not get a worker: the service thinks it runs */
};

/*
 * One runtime per start, on the heap: if a stuck worker must be abandoned at
 * stop, it keeps its runtime (leaked on purpose) and a later start gets a new one.
 */
struct rh_runtime {
    struct rh_runtime_config cfg;
    char server[RH_SERVER_SIZE];
    uint64_t started_ms;

    /*
     * The journal's appender lock (journal.h): RRAS's callbacks, and the control
     * thread when it makes or frees cursors. Workers, the flusher and the status
     * writer never take it: they read the journal without a lock.
     */
    SRWLOCK alock;
    struct rh_journal journal;
    volatile LONG full;           /* the last append found no room */
    volatile LONG journal_closed; /* by stop: an abandoned worker must not touch it */

    /* What else RRAS's thread reads or writes on each call, together after the journal. */
    uint8_t id_base[10];
    uint64_t id_counter;
    LONGLONG qpc_per_s;            /* the performance counter's frequency; 0: none */
    _Atomic LONGLONG clock_offset; /* system time less the counter's (100 ns), by the bell */
    uint64_t last_time_ms;         /* the last record's time (under alock) */
    volatile LONG64 received, journaled, dropped;
    volatile LONG active; /* connections accepted and not yet hung up (fail-closed) */
    /*
     * Read by RRAS's threads without a lock, so each is published whole: what
     * any sink takes (enum rh_sink_event), and whether the journal refuses
     * connections when full.
     */
    volatile LONG events;
    volatile LONG fail_closed;

    struct rh_jcheckpoint checkpoint; /* the flusher's */
    struct rh_journal_file file;
    void *memory_journal; /* when no file could be had */
    bool file_backed;
    HANDLE dir; /* the journal's folder, checked and held; INVALID_HANDLE_VALUE: not usable */

    HANDLE stop_event;   /* manual reset: set when workers must stop */
    HANDLE flusher_stop; /* manual reset: set once they have, for the flusher's last round */
    HANDLE drain_event;  /* manual reset: set when stop begins to drain */
    volatile LONG draining;
    volatile LONG quit;
    HANDLE flusher;
    HANDLE bell; /* the thread that rings idle workers' bells */
    volatile LONG status_dirty;
    uint64_t prefaulted_to;    /* the flusher's: journal positions touched up to here */
    uint64_t touched_to;       /* the bell's: journal positions written ahead up to here */
    volatile LONG touch_again; /* set by a flush: the pages ahead are clean again */
    volatile LONG64 refused;
    volatile LONG64 dropped_reported;

    /* Connections refused (fail-closed): their hangups, if RRAS sends them, are not records. */
    SRWLOCK refused_lock;
    struct rh_guid refused_ids[REFUSED_MAX];
    size_t refused_next;
    size_t refused_count;

    SRWLOCK wlock;    /* the set of workers: exclusive to change it, shared to read it */
    size_t n_workers; /* slots used, active or not */
    struct worker workers[RH_MAX_SINKS];
    /* Sinks configured but not running: their cursors stay (under wlock). */
    struct held_sink held[RH_JOURNAL_CURSORS];
    size_t n_held;
    /* Each cursor's dropped count when this runtime began (status.json counts since start). */
    uint64_t dropped_base[RH_JOURNAL_CURSORS];
    /* Each cursor's dropped count when the flusher last said so (event 203). */
    uint64_t dropped_said[RH_JOURNAL_CURSORS];
};

/*
 * The runtime the callbacks use: set by start, taken away by detach (both with
 * the service's callback lock held exclusively), read by RRAS's threads.
 */
extern struct rh_runtime *g_runtime;

/* append.c, at start: the random base of this runtime's record ids. */
void rh_runtime_ids_init(struct rh_runtime *rt);

/* flusher.c: the flusher's thread; arg: the runtime. */
DWORD WINAPI rh_flusher_main(void *arg);

/* worker.c */
DWORD WINAPI rh_worker_main(void *arg); /* the thread of a struct worker */
DWORD WINAPI rh_bell_main(void *arg);   /* the bell's thread; arg: the runtime */

/* flusher.c, for the bell: the pages the next appends write, written once ahead of them. */
void rh_runtime_touch_ahead(struct rh_runtime *rt);
/* append.c, for the bell: the offset from the performance counter to the system's time. */
void rh_runtime_clock_renew(struct rh_runtime *rt);
void rh_worker_set_state(struct worker *w, enum rh_sink_state s);
/* Whether worker w must stop: the runtime stops, or its sink was removed or changed. */
bool rh_worker_stopping(const struct worker *w);

/* status.c */
void rh_status_write(struct rh_runtime *rt);  /* status.json, into the checked folder only */
void rh_status_report(struct rh_runtime *rt); /* what the callbacks only counted: drops */

#endif /* RH_RUNTIME_INTERNAL_H */
