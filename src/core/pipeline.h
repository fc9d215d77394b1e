/* SPDX-License-Identifier: MIT */
/*
 * Pipeline logic that does not touch the system: retry delays, and the health
 * report written to status.json.
 */
#ifndef RH_PIPELINE_H
#define RH_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sink.h"
#include "text.h"

/*
 * The delay before retry number `attempt` (1, 2, ...): base doubled per attempt,
 * capped at max, then "equal jitter": a random point in its upper half, so that
 * many servers retrying one collector spread out. `random` is any 32-bit value.
 */
uint32_t rh_backoff_ms(uint32_t attempt, uint32_t base_ms, uint32_t max_ms, uint32_t random);

enum rh_sink_state {
    RH_SINK_STATE_IDLE,     /* caught up */
    RH_SINK_STATE_SENDING,  /* delivering a backlog */
    RH_SINK_STATE_RETRYING, /* the last attempt failed; waiting to retry */
    RH_SINK_STATE_STUCK,    /* an attempt has not returned within the drain bound */
    RH_SINK_STATE_INVALID,  /* not running: its configuration cannot be used (it keeps its backlog)
                             */
    RH_SINK_STATE_DISABLED, /* not running: Enabled = 0 (nothing is kept for it) */
};

const char *rh_sink_state_name(enum rh_sink_state s);

struct rh_sink_status {
    const char *name;
    const char *type;
    enum rh_sink_state state;
    uint64_t delivered; /* since start */
    uint64_t retried;   /* attempts that failed and will be retried, since start */
    uint64_t failed;    /* records that can never be delivered, skipped, since start */
    uint64_t dropped; /* records dropped from the journal before this sink had them, since start */
    uint64_t pending; /* in the journal, not yet delivered */
    uint64_t oldest_ms;   /* time of the oldest pending record, 0 if none */
    uint32_t last_error;  /* Win32 or socket error of the last failure, 0 if none */
    uint64_t unconfirmed; /* of pending: sent, and not yet confirmed by the collector */
    const char *reason;   /* why it does not run (INVALID), or NULL */
    /* What the last failure was, in words: what the sink did and the code's text; NULL if none. */
    const char *last_error_text;
};

struct rh_status {
    uint64_t time_ms;
    uint64_t started_ms;
    const char *server;
    const char *version;
    const char *journal_path;
    uint64_t journal_bytes; /* ring size */
    uint64_t journal_used;  /* bytes retained */
    uint64_t journal_depth; /* records retained */
    bool fail_closed;
    bool full;          /* the last append found no room */
    uint64_t received;  /* events since start: hangups, connection starts when a sink takes
                           them, and the service's own start and stop */
    uint64_t journaled; /* of which written to the journal */
    uint64_t dropped;   /* records dropped to make room, since start */
    uint64_t refused;   /* connections refused (FailClosed) since start */
    uint32_t n_sinks;
    struct rh_sink_status sinks[RH_MAX_SINKS];
};

/* The verdict a monitor alerts on (status.json's "health"). */
enum rh_health {
    RH_HEALTH_OK,       /* every sink that runs is caught up or sending; nothing lost */
    RH_HEALTH_DEGRADED, /* a sink is failing, stuck or invalid, or connections were refused */
    RH_HEALTH_FAILING,  /* records were dropped, or no sink can deliver at all */
};

/* The verdict for s; each reason appended to `why` as a JSON string, comma-separated. */
enum rh_health rh_status_health(const struct rh_status *s, struct rh_buf *why);

const char *rh_health_name(enum rh_health h);

/* The status as one JSON object (and LF); false if out overflows. */
bool rh_format_status(const struct rh_status *s, struct rh_buf *out);

#endif /* RH_PIPELINE_H */
