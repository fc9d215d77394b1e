/* SPDX-License-Identifier: MIT */
/*
 * Sinks: where records go.
 *
 * A sink type is a const table of operations (struct rh_sink_ops) plus a
 * description of its configuration (struct rh_option, one per registry value).
 * A sink instance is what create() returns. The table is portable; the
 * implementations (files, sockets, Event Log) live in the Windows shell, one
 * file per sink type, and format records with the pure functions of format.h.
 *
 * Threading: one worker thread per instance calls deliver(), flush(),
 * settle() and error(), in batches: deliver() for each record, then flush().
 * create() and destroy() are never concurrent with them (struct rh_sink_ops
 * says each slot's contract).
 *
 * What counts as delivered: the journal cursor moves past a record only once
 * the record is settled, that is, once the collector can no longer lose it. For
 * most sinks that is when flush() (or, without one, deliver()) said OK: the
 * file or the Event Log has it. A sink whose collector can still lose what it
 * accepted (syslog over TCP or TLS: bytes in socket buffers) or acknowledges
 * records one by one (RADIUS) has a settle() operation that says how far it is
 * safe, by token. Whatever is not settled is delivered again, from the
 * journal, after a RETRY and after a restart: records can arrive twice, never
 * not at all.
 */
#ifndef RH_SINK_H
#define RH_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define RH_SINK_NAME_SIZE 64  /* a Sinks\<name> subkey, UTF-8 */
#define RH_SETTLE_POLL_MS 200 /* how often an idle worker asks settle() */
/* The most records a worker gives its sink before they are settled. */
#define RH_UNSETTLED_MAX 16384
#define RH_MAX_SINKS     16

enum rh_sink_result {
    RH_SINK_OK = 0, /* delivered (for a file: written to the OS) */
    RH_SINK_RETRY,  /* not delivered now; a later attempt may succeed */
    RH_SINK_ERROR,  /* cannot ever deliver this record */
};

/*
 * What a sink is told of. Most sinks take hangups only; RADIUS accounting also
 * wants a connection's start and the service's own start and stop.
 */
enum rh_sink_event {
    RH_EVENT_HANGUP = 1u << 0,        /* a connection ended: its full record */
    RH_EVENT_CONNECT = 1u << 1,       /* a connection was accepted: what RRAS knew then */
    RH_EVENT_SERVICE_START = 1u << 2, /* the DLL was initialized: the record has no connection */
    RH_EVENT_SERVICE_STOP = 1u << 3,  /* the DLL was terminated: likewise */
};

enum rh_option_type {
    RH_OPT_STRING, /* REG_SZ, stored as UTF-8 */
    RH_OPT_PATH,   /* REG_EXPAND_SZ or REG_SZ; environment strings expanded; UTF-8 */
    RH_OPT_DWORD,  /* REG_DWORD from min to max, stored as uint32_t */
    RH_OPT_CHOICE, /* REG_SZ, one of `choices` in any case, stored as its index (uint32_t) */
};

/*
 * One configuration value: read into a config struct (a sink type's, or the
 * global values') by the one reader (the Windows shell's config.c), which
 * enforces the range or the choices with one error text (rh_option_check_dword,
 * rh_option_choose); docs/configuration.md shows the same rows
 * (rh_option_table_markdown). Adding a setting is one row.
 */
struct rh_option {
    const char *name;           /* registry value name */
    enum rh_option_type type;   /* what the registry value must hold */
    const char *def;            /* default, as text (before expansion); NULL: required */
    size_t offset;              /* offsetof() in the config struct */
    size_t size;                /* bytes at offset: a char array, or sizeof(uint32_t) */
    uint32_t min, max;          /* RH_OPT_DWORD: the values allowed */
    const char *const *choices; /* RH_OPT_CHOICE: the keywords, NULL-terminated, by index */
    const char *doc;            /* one line for docs/configuration.md and errors */
};

/* The size of `member` of `type`, which must be a uint32_t's. */
#define RH_OPTION_U32_SIZE(type, member)                                                           \
    (sizeof(((type *)0)->member) + 0 * sizeof(char[sizeof(((type *)0)->member) == 4 ? 1 : -1]))

/* A text value (RH_OPT_STRING or RH_OPT_PATH) for char array `member` of `type`. */
#define RH_OPTION_TEXT(type, name, kind, def, member, doc)                                         \
    {                                                                                              \
        name, kind, def, offsetof(type, member), sizeof(((type *)0)->member), 0, 0, NULL, doc      \
    }
/* A REG_DWORD from lo to hi, for uint32_t `member`. */
#define RH_OPTION_DWORD(type, name, def, member, lo, hi, doc)                                      \
    {                                                                                              \
        name, RH_OPT_DWORD, def, offsetof(type, member), RH_OPTION_U32_SIZE(type, member), lo, hi, \
            NULL, doc                                                                              \
    }
/* A keyword of `choices`, whose index goes to uint32_t `member`. */
#define RH_OPTION_CHOICE(type, name, def, member, choices, doc)                                    \
    {                                                                                              \
        name, RH_OPT_CHOICE, def, offsetof(type, member), RH_OPTION_U32_SIZE(type, member), 0, 0,  \
            choices, doc                                                                           \
    }

/*
 * Why a sink's last call failed, said through the interface (error(), below):
 * the system's code (a Win32 error, a Winsock error or a SECURITY_STATUS; 0 if
 * none applies) and what the sink was doing, in a few words ("write to
 * D:\acct\hangups.jsonl", "send over tls to 10.0.0.5 port 6514"). The runtime
 * shows both in the Event Log and status.json, beside the code's own text.
 */
struct rh_sink_error {
    uint32_t code;
    char what[192];
};

/*
 * A sink type: what a new sink needs, and all it needs, is here.
 *
 * Threads. create() runs on the service's control thread (start, or the
 * configuration watcher) and may block briefly (a name lookup, a file). Then
 * one worker thread per instance, and only it, calls deliver(), flush(),
 * settle() and error(): an instance needs no lock of its own for them. cancel()
 * is the one slot called from another thread, while those run. destroy() runs
 * on the control thread once the worker has stopped (or was abandoned: then
 * never, and the instance leaks on purpose). Nothing here runs on RRAS's
 * thread.
 *
 * Results (enum rh_sink_result): OK, the call did what it says; RETRY, not now:
 * the worker waits (exponential backoff with jitter, RetryMinMs to RetryMaxMs)
 * and delivers again, in order, every record not yet settled; ERROR, this one
 * record can never be delivered (it is counted in `failed` and skipped). After
 * RETRY or ERROR the worker calls error() at once for the reason.
 */
struct rh_sink_ops {
    const char *type; /* the `Type` registry value that selects this sink (any case) */
    size_t config_size;
    const struct rh_option *options; /* read into a config struct of config_size bytes */
    size_t n_options;
    unsigned events; /* the rh_sink_events it takes; 0 means RH_EVENT_HANGUP only */

    /*
     * Creates an instance from a config struct the option table filled and
     * checked (ranges and keywords hold); checks what the table cannot (a
     * path that is not absolute, values that exclude each other). On failure
     * returns NULL and writes a one-line reason naming the offending value into
     * err ("value Path: ..."; UTF-8, at most err_size bytes): the sink does not
     * run, and its records wait for it in the journal.
     */
    void *(*create)(const char *name, const void *config, char *err, size_t err_size);
    /*
     * Takes one event (one of those in `events`) and its record. `token` is the
     * record's place in the journal: it grows from record to record, and a record
     * delivered again (after a RETRY or a restart) comes with the same token. A
     * sink may hold the record (in a buffer) until flush; it may also send at
     * once. RETRY and ERROR as above; RETRY makes the caller deliver again every
     * record not yet settled, in order.
     */
    enum rh_sink_result (*deliver)(void *instance, enum rh_sink_event event,
                                   const struct rh_record *r, uint64_t token);
    /*
     * Sends what deliver held, at the end of a batch; OK means the collector took
     * every record of the batch. NULL for a sink that holds nothing. On RETRY the
     * sink discards what it held.
     */
    enum rh_sink_result (*flush)(void *instance);
    /*
     * Which records can no longer be lost: writes to *token the highest token up
     * to which every record given to deliver() is settled (or leaves it as it
     * is). Called after each flush() and, while records are unsettled and no new
     * ones come, every RH_SETTLE_POLL_MS. With `now` (the service is stopping, or
     * the worker can hold no more unsettled records) the sink proves what it can
     * at once, within its own timeouts (a graceful close of its connection, say);
     * otherwise it looks without blocking and decides for itself when to prove.
     * RETRY: the connection was lost or stalled, and what was not settled may be
     * lost with it: the worker delivers it again. NULL: flush()'s OK settles.
     */
    enum rh_sink_result (*settle)(void *instance, bool now, uint64_t *token);
    /*
     * Why the last deliver(), flush() or settle() returned RETRY or ERROR.
     * The caller took out->code from the thread's last error as that call
     * returned: a sink leaves the code of its failure there (SetLastError, as
     * Windows calls do) or replaces it here with one it knows better, and
     * writes in out->what what it was doing. NULL: the code alone.
     */
    void (*error)(void *instance, struct rh_sink_error *out);
    /*
     * For `rrashost --check-config`, on its thread, never with a worker: tries
     * each destination without sending a record (a connection, and for TLS the
     * handshake with every trust check; a folder checked, never created) within
     * the sink's own timeouts, and writes what it found into out, a line for
     * each destination. OK: every destination could take records now; RETRY:
     * one could not (out says which and why). NULL: nothing to try.
     */
    enum rh_sink_result (*probe)(void *instance, char *out, size_t out_size);
    /*
     * Asks a deliver(), flush() or settle() in progress on the worker to return
     * RETRY soon: the service is stopping. Called from another thread, so it
     * only sets a flag the worker's calls look at. NULL for a sink whose calls
     * are bounded by their own short timeouts.
     */
    void (*cancel)(void *instance);
    void (*destroy)(void *instance); /* accepts NULL */
};

/*
 * A Markdown table of options (value, type, default, allowed, meaning), as
 * docs/configuration.md shows them; false if out is too small.
 */
bool rh_option_table_markdown(const struct rh_option *o, size_t n, struct rh_buf *out);

/* What option o allows, as its errors and the docs say it: "0 to 65535", "0 or 1", "a, b or c". */
void rh_option_allowed(const struct rh_option *o, struct rh_buf *out);

/* Whether v is within o's range; if not, "value <Name>: <v> is not <allowed>" in err. */
bool rh_option_check_dword(const struct rh_option *o, uint32_t v, char *err, size_t err_size);

/*
 * The index of `text` among o's choices, compared without regard to ASCII case
 * (Windows administrators expect TLS as much as tls); if none, "value <Name>:
 * "<text>" is not <allowed>" in err.
 */
bool rh_option_choose(const struct rh_option *o, const char *text, uint32_t *index, char *err,
                      size_t err_size);

/*
 * Whether a table is sound for a config struct of config_size bytes: each row
 * within it, of the size its type needs, a DWORD range that is one, and a
 * default its own range or choices allow. If not, which row and why in err.
 */
bool rh_option_table_check(const struct rh_option *o, size_t n, size_t config_size, char *err,
                           size_t err_size);

/*
 * The name in o that `name` (a value no row reads) was most likely meant to be:
 * close in spelling, or sharing its first five letters; NULL if none is.
 */
const char *rh_option_nearest(const struct rh_option *o, size_t n, const char *name);

/* Every sink type that exists, NULL-terminated. */
extern const struct rh_sink_ops *const rh_sink_types[];

const struct rh_sink_ops *rh_sink_find_type(const char *type);

#endif /* RH_SINK_H */
