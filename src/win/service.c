/* SPDX-License-Identifier: MIT */
#include "service.h"
#include "hot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config.h"
#include "diag.h"
#include "files.h"
#include "event.h"
#include "record.h"
#include "runtime.h"
#include "sink.h"
#include "wstr.h"

/* The global values of HKLM\SOFTWARE\RasHangup. */
struct global_config {
    char journal_path[1024];
    uint32_t journal_size_mb;
    uint32_t fail_closed;
    uint32_t drain_timeout_ms;
    uint32_t flush_interval_ms;
    uint32_t status_interval_ms;
    uint32_t retry_min_ms;
    uint32_t retry_max_ms;
};

#define OPT_DWORD(name, def, member, lo, hi, doc)                                                  \
    RH_OPTION_DWORD(struct global_config, name, def, member, lo, hi, doc)

static const struct rh_option global_options[] = {
    RH_OPTION_TEXT(struct global_config, "JournalPath", RH_OPT_PATH,
                   "%ProgramData%\\RasHangup\\journal", journal_path,
                   "folder of the journal (journal.dat) and of status.json"),
    OPT_DWORD("JournalSizeMB", "256", journal_size_mb, 1, 65536,
              "journal size in MiB: how many records an outage can hold"),
    OPT_DWORD("FailClosed", "0", fail_closed, 0, 1,
              "1: refuse new connections while the journal could not take their records"),
    OPT_DWORD("DrainTimeoutMs", "5000", drain_timeout_ms, 0, 600000,
              "how long MprAdminTerminateDll waits for sinks to deliver"),
    OPT_DWORD("FlushIntervalMs", "1000", flush_interval_ms, 10, 60000,
              "how often the journal is written to disk: the power-loss window"),
    OPT_DWORD("StatusIntervalMs", "10000", status_interval_ms, 1000, 3600000,
              "how often status.json is rewritten without a change"),
    OPT_DWORD("RetryMinMs", "1000", retry_min_ms, 10, 600000,
              "first retry delay of a failing sink"),
    OPT_DWORD("RetryMaxMs", "60000", retry_max_ms, 10, 3600000,
              "longest retry delay of a failing sink"),
};

const struct rh_option *rh_service_global_options(size_t *n)
{
    *n = sizeof global_options / sizeof global_options[0];
    return global_options;
}

size_t rh_service_global_config_size(void)
{
    return sizeof(struct global_config);
}

/* A sink as configured: Sinks\<name>, its type and its filled configuration. */
struct spec {
    char name[RH_SINK_NAME_SIZE];
    const struct rh_sink_ops *ops;
    void *config; /* ops->config_size bytes (at least 1), owned */
    bool running; /* its instance runs in the runtime */
};

/* The whole configuration as read at one moment. */
struct config_set {
    struct global_config g;
    struct spec specs[RH_MAX_SINKS];
    size_t n;
    /* Sinks configured that do not run: their records are kept for them (runtime.h). */
    struct rh_runtime_held held[RH_JOURNAL_CURSORS];
    size_t n_held;
    bool incomplete; /* Sinks could not be read whole: no cursor is released */
};

/*
 * What was last said of each sink that does not run: a sink that cannot start
 * is tried again every RETRY_HELD_MS, and says its reason again only if it
 * changed. Its own lock: a reload left behind at stop may still be reading.
 */
static SRWLOCK g_said_lock = SRWLOCK_INIT;
static struct {
    char name[RH_SINK_NAME_SIZE];
    char reason[256];
} g_said[RH_JOURNAL_CURSORS];

/* How often sinks whose configuration could not be used are tried again. */
#define RETRY_HELD_MS 30000

/*
 * Shared while a callback runs; exclusive to start, and at stop only to take
 * the runtime away (the drain before and the shutdown after run without it,
 * so RRAS's callbacks wait at most for that moment). g_running changes with
 * both this and g_reload_lock held.
 */
static SRWLOCK g_lock = SRWLOCK_INIT;
static bool g_running;
static char g_server[RH_SERVER_SIZE];

/*
 * Serializes start, stop and live reloads (the watcher thread). Callbacks never
 * take it: a reload never holds up RRAS.
 */
static SRWLOCK g_reload_lock = SRWLOCK_INIT;
static struct config_set g_current; /* what runs */
static HANDLE g_watcher, g_watch_stop;

/* How long the configuration must be quiet before a change is applied. */
#define SETTLE_MS 300
/* The most a stream of changes delays a reload (a writer that never pauses, or a
 * notification that keeps firing): the reload happens anyway, and again after. */
#define SETTLE_MAX_MS 3000
/* How often the watcher looks at the key itself, should a notification not come. */
#define WATCH_POLL_MS 2000

/*
 * Structures RRAS should never send: said once per start, not per hangup (the
 * log is file I/O, and RRAS's thread must not do I/O); each record also carries
 * its own warning.
 */
static volatile LONG g_said_refused, g_said_short;

/*
 * Callbacks that came while rashangup was not running (before Initialize, or
 * after Terminate): dropped, counted, and reported at the next start. Nothing
 * is started for them: RRAS may unload the DLL as soon as they return.
 */
static volatile LONG64 g_late_calls;
static volatile LONG g_said_late;

/* Set by stop before it waits for the watcher: a reload still running gives up. */
static volatile LONG g_stopping;

/* Start and stop each change it: a reload that began before one gives up. */
static unsigned g_generation;

/*
 * How long stop waits for the watcher before leaving it (and pinning the DLL).
 * Terminate's budget is DrainTimeoutMs + 1 s: this, the workers' two graces
 * (runtime.c) and at least 250 ms for the flusher's last round fit in the 1 s.
 */
#define WATCHER_GRACE_MS 250

static void load_server_name(void)
{
    WCHAR name[256];
    DWORD n = sizeof name / sizeof name[0];

    if (!GetComputerNameExW(ComputerNameDnsFullyQualified, name, &n) || n == 0) {
        n = sizeof name / sizeof name[0];
        if (!GetComputerNameExW(ComputerNameNetBIOS, name, &n))
            n = 0;
    }
    if (n == 0 || !rh_wide_to_utf8(name, (int)n, g_server, sizeof g_server))
        g_server[0] = '\0';
}

/* True if `reason` was said of sink `name` last time; remembers it either way. */
static bool said_before(const char *name, const char *reason)
{
    size_t slot = RH_JOURNAL_CURSORS;
    bool same = false;

    AcquireSRWLockExclusive(&g_said_lock);
    for (size_t i = 0; i < RH_JOURNAL_CURSORS && slot == RH_JOURNAL_CURSORS; i++)
        if (strcmp(g_said[i].name, name) == 0)
            slot = i;
    for (size_t i = 0; i < RH_JOURNAL_CURSORS && slot == RH_JOURNAL_CURSORS; i++)
        if (g_said[i].name[0] == '\0')
            slot = i;
    if (slot == RH_JOURNAL_CURSORS)
        slot = 0;
    same = strcmp(g_said[slot].name, name) == 0 && strcmp(g_said[slot].reason, reason) == 0;
    snprintf(g_said[slot].name, sizeof g_said[slot].name, "%s", name);
    snprintf(g_said[slot].reason, sizeof g_said[slot].reason, "%s", reason);
    ReleaseSRWLockExclusive(&g_said_lock);
    return same;
}

/* Forgets what was said of `name` (it runs), or of every sink (name NULL: a new start). */
static void forget_said(const char *name)
{
    AcquireSRWLockExclusive(&g_said_lock);
    for (size_t i = 0; i < RH_JOURNAL_CURSORS; i++)
        if (name == NULL || strcmp(g_said[i].name, name) == 0)
            memset(&g_said[i], 0, sizeof g_said[i]);
    ReleaseSRWLockExclusive(&g_said_lock);
}

/*
 * A sink that is configured but cannot run (or is disabled): its journal
 * cursor stays, so that nothing it has not delivered is lost, and the reason
 * is said (once, not at every retry).
 */
static void hold(struct config_set *cs, const char *name, const char *type, bool disabled,
                 const char *fmt, ...)
{
    struct rh_runtime_held *h;
    va_list ap;

    if (cs->n_held == RH_JOURNAL_CURSORS) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: more sinks that cannot run than the journal has cursors "
                     "(%d); its records are not kept",
                     RH_CONFIG_KEY_TEXT, name, RH_JOURNAL_CURSORS);
        return;
    }
    h = &cs->held[cs->n_held++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->type, sizeof h->type, "%s", type != NULL ? type : "");
    h->disabled = disabled;
    va_start(ap, fmt);
    vsnprintf(h->reason, sizeof h->reason, fmt, ap);
    va_end(ap);
    if (said_before(name, h->reason))
        return;
    if (disabled)
        rh_log(RH_LOG_INFO,
               "%s\\Sinks\\%s: disabled (Enabled = 0); records are not kept for it while it is",
               RH_CONFIG_KEY_TEXT, name);
    else
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: %s; this sink does not run (the others do), and the journal "
                     "keeps its records until it is fixed or its key is deleted",
                     RH_CONFIG_KEY_TEXT, name, h->reason);
}

/* Takes a sink's filled configuration (owned from now on) into the set being loaded. */
static bool add_spec(struct config_set *cs, const char *name, const struct rh_sink_ops *ops,
                     void *config)
{
    struct spec *sp;

    if (cs->n == RH_MAX_SINKS) {
        hold(cs, name, ops->type, false, "more than %d sinks", RH_MAX_SINKS);
        return false;
    }
    sp = &cs->specs[cs->n++];
    snprintf(sp->name, sizeof sp->name, "%s", name);
    sp->ops = ops;
    sp->config = config;
    sp->running = false;
    return true;
}

static void free_config(const struct rh_sink_ops *ops, void *config)
{
    if (config == NULL)
        return;
    SecureZeroMemory(config, ops->config_size); /* a sink's configuration may hold a secret */
    free(config);
}

static void free_set(struct config_set *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free_config(cs->specs[i].ops, cs->specs[i].config);
    memset(cs, 0, sizeof *cs);
}

/* Creates a spec's sink instance; false (held, and said why) if it cannot run. */
static bool create_sink(struct config_set *cs, struct spec *sp, struct rh_runtime_sink *out)
{
    char err[512] = "";
    void *instance = sp->ops->create(sp->name, sp->config, err, sizeof err);

    if (instance == NULL) {
        hold(cs, sp->name, sp->ops->type, false, "%s", err);
        return false;
    }
    snprintf(out->name, RH_SINK_NAME_SIZE, "%s", sp->name);
    out->ops = sp->ops;
    out->instance = instance;
    sp->running = true;
    forget_said(sp->name);
    rh_log(RH_LOG_INFO, "sink %s (%s) started", sp->name, sp->ops->type);
    return true;
}

/* Reads Sinks\<name> and adds the sink it describes. */
static void load_sink(struct config_set *cs, HKEY sinks, const WCHAR *wname)
{
    char name[RH_SINK_NAME_SIZE];
    char type[32];
    char err[512] = "";
    const struct rh_sink_ops *ops;
    void *config = NULL;
    HKEY key = NULL;
    DWORD enabled = 1;
    DWORD size = sizeof enabled;
    DWORD vtype = REG_NONE;
    LSTATUS rc;

    if (!rh_wide_to_utf8(wname, -1, name, sizeof name)) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks: a subkey name is longer than %d bytes; ignored",
                     RH_CONFIG_KEY_TEXT, RH_SINK_NAME_SIZE - 1);
        return;
    }
    rc = RegOpenKeyExW(sinks, wname, 0, KEY_READ, &key);
    if (rc != ERROR_SUCCESS) {
        rh_win32_error_text((DWORD)rc, err, sizeof err);
        hold(cs, name, NULL, false, "the key cannot be opened: %s", err);
        return;
    }
    rc = RegQueryValueExW(key, L"Enabled", NULL, &vtype, (BYTE *)&enabled, &size);
    if (rc == ERROR_SUCCESS && vtype == REG_DWORD && size == sizeof enabled && enabled == 0) {
        hold(cs, name, NULL, true, "Enabled = 0");
        goto out_key;
    }
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        rh_log_event(RH_EV_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks\\%s: value Enabled cannot be read; taken as 1", RH_CONFIG_KEY_TEXT,
                     name);
    else if (rc == ERROR_SUCCESS && (vtype != REG_DWORD || size != sizeof enabled))
        rh_log_event(RH_EV_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks\\%s: value Enabled is not a REG_DWORD; taken as 1",
                     RH_CONFIG_KEY_TEXT, name);

    rc = rh_config_read_string(key, "Type", type, sizeof type, err, sizeof err);
    if (rc == ERROR_FILE_NOT_FOUND) {
        hold(cs, name, NULL, false, "value Type is missing");
        goto out_key;
    }
    if (rc != ERROR_SUCCESS) {
        hold(cs, name, NULL, false, "%s", err);
        goto out_key;
    }
    ops = rh_sink_find_type(type);
    if (ops == NULL) {
        char known[128] = "";
        struct rh_buf b;

        rh_buf_init(&b, known, sizeof known);
        for (size_t i = 0; rh_sink_types[i] != NULL; i++) {
            rh_buf_append_str(&b, i == 0 ? "" : ", ");
            rh_buf_append_str(&b, rh_sink_types[i]->type);
        }
        hold(cs, name, NULL, false, "value Type: unknown sink type \"%s\" (expected %s)", type,
             known);
        goto out_key;
    }
    {
        static const char *const also_read[] = {"Type", "Enabled", NULL};
        char where[sizeof RH_CONFIG_KEY_TEXT + RH_SINK_NAME_SIZE + 8];

        snprintf(where, sizeof where, "%s\\Sinks\\%s", RH_CONFIG_KEY_TEXT, name);
        rh_config_report_unknown(key, where, ops->options, ops->n_options, also_read);
    }
    config = calloc(1, ops->config_size > 0 ? ops->config_size : 1);
    if (config == NULL) {
        hold(cs, name, ops->type, false, "out of memory");
        goto out_key;
    }
    if (!rh_config_read_options(key, ops, config, err, sizeof err)) {
        hold(cs, name, ops->type, false, "%s", err);
        goto out_config;
    }
    if (add_spec(cs, name, ops, config))
        config = NULL;

out_config:
    free_config(ops, config);
out_key:
    RegCloseKey(key);
}

/* With no Sinks key: one JSON Lines file at the default path. */
static void load_default_sink(struct config_set *cs)
{
    const struct rh_sink_ops *ops = rh_sink_find_type("file");
    char err[512] = "";
    void *config = ops != NULL ? calloc(1, ops->config_size) : NULL;

    if (config == NULL) {
        rh_log(RH_LOG_ERROR, "the default file sink cannot be created: out of memory");
        return;
    }
    if (rh_config_read_options(NULL, ops, config, err, sizeof err) &&
        add_spec(cs, RH_DEFAULT_SINK, ops, config))
        return;
    rh_log(RH_LOG_ERROR, "the default file sink cannot be created: %s", err);
    free_config(ops, config);
}

/*
 * Reads the global values. A bad one is reported by name and replaced by its
 * default: it never stops RRAS, and it never stops the others from applying.
 */
static void load_globals(HKEY root, struct global_config *g)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < sizeof global_options / sizeof global_options[0]; i++) {
        const struct rh_option *o = &global_options[i];
        char err[512] = "";

        if (rh_config_read_option(root, o, sizeof *g, g, err, sizeof err))
            continue;
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s: %s; its default %s is used instead",
                     RH_CONFIG_KEY_TEXT, err, o->def);
        rh_config_read_option(NULL, o, sizeof *g, g, err, sizeof err);
    }
    if (g->retry_max_ms < g->retry_min_ms)
        g->retry_max_ms = g->retry_min_ms;
}

/* Reads the whole configuration into cs (empty), saying what is wrong. */
static void load_config(struct config_set *cs)
{
    struct global_config *g = &cs->g;

    HKEY root = NULL;
    HKEY sinks = NULL;
    WCHAR name[256];
    LSTATUS rc;

    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &root);
    load_globals(rc == ERROR_SUCCESS ? root : NULL, g);
    if (rc == ERROR_SUCCESS)
        rh_config_report_unknown(root, RH_CONFIG_KEY_TEXT, global_options,
                                 sizeof global_options / sizeof global_options[0], NULL);
    if (rc == ERROR_SUCCESS)
        rc = RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sinks);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_INFO, "%s\\Sinks does not exist: using the default file sink",
               RH_CONFIG_KEY_TEXT);
        load_default_sink(cs);
        goto out;
    }
    if (rc != ERROR_SUCCESS) {
        char text[256];

        rh_win32_error_text((DWORD)rc, text, sizeof text);
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks cannot be opened: %s; using the default file sink, and every "
                     "other sink keeps its undelivered records",
                     RH_CONFIG_KEY_TEXT, text);
        cs->incomplete = true;
        load_default_sink(cs);
        goto out;
    }
    for (DWORD i = 0;; i++) {
        DWORD len = sizeof name / sizeof name[0];

        rc = RegEnumKeyExW(sinks, i, name, &len, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc != ERROR_SUCCESS) {
            rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                         "%s\\Sinks: subkey %lu cannot be read (error %ld); every sink keeps its "
                         "undelivered records",
                         RH_CONFIG_KEY_TEXT, (unsigned long)i, (long)rc);
            cs->incomplete = true;
            if (rc != ERROR_MORE_DATA)
                break;
            continue;
        }
        load_sink(cs, sinks, name);
    }
    if (cs->n == 0)
        rh_log_event(RH_EV_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks defines no working sink: records are not written",
                     RH_CONFIG_KEY_TEXT);
out:
    if (sinks != NULL)
        RegCloseKey(sinks);
    if (root != NULL)
        RegCloseKey(root);
}

static void runtime_config(const struct config_set *cs, struct rh_runtime_config *rc)
{
    const struct global_config *g = &cs->g;

    memset(rc, 0, sizeof *rc);
    rc->keep_all_cursors = cs->incomplete;
    if (!rh_utf8_to_wide(g->journal_path, rc->journal_dir, MAX_PATH)) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s: value JournalPath is too long; the default is used", RH_CONFIG_KEY_TEXT);
        if (!rh_state_dir(rc->journal_dir, MAX_PATH - 8))
            rc->journal_dir[0] = L'\0'; /* no folder: the journal runs in memory, and says so */
        else
            wcscat_s(rc->journal_dir, MAX_PATH, L"\\journal");
    }
    rh_wide_to_utf8(rc->journal_dir, -1, rc->journal_dir_utf8, sizeof rc->journal_dir_utf8);
    rc->journal_bytes = (uint64_t)g->journal_size_mb * 1024 * 1024;
    rc->fail_closed = g->fail_closed != 0;
    rc->drain_ms = g->drain_timeout_ms;
    rc->flush_ms = g->flush_interval_ms;
    rc->status_ms = g->status_interval_ms;
    rc->retry_min_ms = g->retry_min_ms;
    rc->retry_max_ms = g->retry_max_ms;
}

static DWORD WINAPI watch_main(void *arg);

/* Whether a configured sink does not run for a reason that may pass (not Enabled = 0). */
static bool held_to_retry(void)
{
    bool any = false;

    AcquireSRWLockShared(&g_reload_lock);
    for (size_t i = 0; i < g_current.n_held && !any; i++)
        any = !g_current.held[i].disabled;
    ReleaseSRWLockShared(&g_reload_lock);
    return any;
}

static bool config_stamp(HKEY key, ULONGLONG *stamp, unsigned depth);
/* The configuration key's stamp as it was when the configuration was last read at start. */
static ULONGLONG g_start_stamp;

/* config_stamp of the configuration key; 0 if it cannot be read. */
static ULONGLONG read_config_stamp(void)
{
    ULONGLONG stamp = 0;
    HKEY key;

    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS)
        return 0;
    if (!config_stamp(key, &stamp, 0))
        stamp = 0;
    RegCloseKey(key);
    return stamp;
}

/* Called with g_lock held exclusively. */
static void start_locked(void)
{
    struct rh_runtime_config rc;
    struct rh_runtime_sink sinks[RH_MAX_SINKS];
    size_t n = 0;

    if (g_running)
        return;
    g_said_refused = g_said_short = 0;
    InterlockedExchange(&g_stopping, 0);
    rh_diag_open();
    {
        LONG64 late = InterlockedExchange64(&g_late_calls, 0);

        InterlockedExchange(&g_said_late, 0);
        if (late > 0)
            rh_log(RH_LOG_WARNING,
                   "%lld callback(s) from RRAS came while rashangup was not running (before "
                   "MprAdminInitializeDll or after MprAdminTerminateDll): accepted, not recorded",
                   (long long)late);
    }
    load_server_name();
    free_set(&g_current);
    forget_said(NULL);
    /*
     * What the configuration key looks like before it is read: a change made
     * from here until the watcher asks to be told of changes would be told to
     * no one; the watcher compares against this once it listens.
     */
    g_start_stamp = read_config_stamp();
    load_config(&g_current);
    for (size_t i = 0; i < g_current.n; i++)
        n += create_sink(&g_current, &g_current.specs[i], &sinks[n]) ? 1 : 0;
    runtime_config(&g_current, &rc);
    rh_runtime_start(&rc, sinks, n, g_current.held, g_current.n_held, g_server);
    g_running = true;
    g_generation++;
    if (rh_runtime_wants(RH_EVENT_SERVICE_START))
        rh_runtime_append(RH_JKIND_SERVICE_START, NULL, 0, NULL);
    rh_log_event(RH_EV_STARTED, RH_LOG_INFO,
                 "rashangup " RASHANGUP_VERSION
                 " started on %s with %u sink(s); journal in %s (%lu MiB, %s when full)",
                 g_server[0] ? g_server : "(unnamed)", (unsigned)n, rc.journal_dir_utf8,
                 (unsigned long)g_current.g.journal_size_mb,
                 rc.fail_closed ? "fail-closed" : "drop oldest");

    /* Changes to the configuration apply live from now on. */
    g_watch_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    g_watcher =
        g_watch_stop != NULL ? CreateThread(NULL, 0, watch_main, g_watch_stop, 0, NULL) : NULL;
    if (g_watcher == NULL)
        rh_log(RH_LOG_ERROR,
               "the configuration watcher cannot start (error %lu): changes apply "
               "when RemoteAccess restarts",
               (unsigned long)GetLastError());
}

static bool same_spec(const struct spec *a, const struct spec *b)
{
    return strcmp(a->name, b->name) == 0 && a->ops == b->ops &&
           memcmp(a->config, b->config, a->ops->config_size) == 0;
}

/*
 * Applies the configuration as it is now: sinks whose configuration did not
 * change run on untouched; changed ones restart from their journal cursor (no
 * record is lost or skipped); removed ones stop; new ones start. Runs on the
 * watcher thread, never on RRAS's. The registry is read and new sinks created
 * without the lock (a sink's create may wait on a file or a name): stop never
 * waits for that, only for the short apply.
 */
static void reload(bool retry)
{
    struct config_set *next = calloc(1, sizeof *next);
    struct rh_runtime_config rc;
    struct rh_runtime_sink add[RH_MAX_SINKS];
    char remove[RH_MAX_SINKS][RH_SINK_NAME_SIZE];
    size_t n_add = 0, n_remove = 0, kept = 0;
    unsigned generation;

    if (next == NULL) {
        rh_log(RH_LOG_ERROR, "out of memory: the configuration change is not applied");
        return;
    }
    AcquireSRWLockShared(&g_reload_lock);
    generation = g_generation;
    ReleaseSRWLockShared(&g_reload_lock);
    if (!retry)
        rh_log(RH_LOG_INFO, "%s changed: applying the configuration", RH_CONFIG_KEY_TEXT);
    load_config(next);

    AcquireSRWLockShared(&g_reload_lock);
    if (!g_running || g_stopping || generation != g_generation) {
        ReleaseSRWLockShared(&g_reload_lock);
        goto out;
    }
    for (size_t i = 0; i < g_current.n; i++) {
        const struct spec *cur = &g_current.specs[i];
        bool same = false;

        for (size_t k = 0; k < next->n && cur->running && !same; k++) {
            if (!next->specs[k].running && same_spec(cur, &next->specs[k])) {
                next->specs[k].running = true;
                same = true;
            }
        }
        if (same)
            kept++;
        else if (cur->running)
            snprintf(remove[n_remove++], RH_SINK_NAME_SIZE, "%s", cur->name);
    }
    ReleaseSRWLockShared(&g_reload_lock);

    for (size_t k = 0; k < next->n && !g_stopping; k++)
        if (!next->specs[k].running)
            n_add += create_sink(next, &next->specs[k], &add[n_add]) ? 1 : 0;

    AcquireSRWLockExclusive(&g_reload_lock);
    if (!g_running || g_stopping || generation != g_generation) {
        ReleaseSRWLockExclusive(&g_reload_lock);
        for (size_t i = 0; i < n_add; i++)
            add[i].ops->destroy(add[i].instance);
        goto out;
    }
    runtime_config(next, &rc);
    rh_runtime_update(&rc, (const char(*)[RH_SINK_NAME_SIZE])remove, n_remove, add, n_add,
                      next->held, next->n_held);
    if (strcmp(next->g.journal_path, g_current.g.journal_path) != 0 ||
        next->g.journal_size_mb != g_current.g.journal_size_mb)
        rh_log(RH_LOG_WARNING,
               "%s: JournalPath and JournalSizeMB apply when RemoteAccess restarts; the journal "
               "stays as it is until then",
               RH_CONFIG_KEY_TEXT);
    if (!retry || n_remove > 0 || n_add > 0)
        rh_log(RH_LOG_INFO, "configuration applied: %u sink(s) unchanged, %u stopped, %u started",
               (unsigned)kept, (unsigned)n_remove, (unsigned)n_add);
    free_set(&g_current);
    g_current = *next;
    memset(next, 0, sizeof *next);
    ReleaseSRWLockExclusive(&g_reload_lock);
out:
    free_set(next);
    free(next);
}

/*
 * The watcher: waits for a change anywhere under the configuration key (or, while
 * that key does not exist, for keys to appear under HKLM\SOFTWARE), lets the
 * changes settle for SETTLE_MS (a .reg import is many writes; SETTLE_MAX_MS at
 * most), then reloads. The next notification is asked for before the reload,
 * so that a change made while it runs is not missed; and the key is looked at
 * every WATCH_POLL_MS too (its last write time and that of every key under
 * it), so that a notification that never comes delays a change, never loses it.
 */
static bool config_stamp(HKEY key, ULONGLONG *stamp, unsigned depth)
{
    FILETIME written;
    DWORD subkeys = 0;

    if (RegQueryInfoKeyW(key, NULL, NULL, NULL, &subkeys, NULL, NULL, NULL, NULL, NULL, NULL,
                         &written) != ERROR_SUCCESS)
        return false;
    *stamp =
        *stamp * 31 + (((ULONGLONG)written.dwHighDateTime << 32) | written.dwLowDateTime) + subkeys;
    for (DWORD i = 0; i < subkeys && i < 64 && depth < 2; i++) {
        WCHAR name[256];
        DWORD len = 256;
        HKEY sub;

        if (RegEnumKeyExW(key, i, name, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
            continue;
        if (RegOpenKeyExW(key, name, 0, KEY_READ | KEY_WOW64_64KEY, &sub) == ERROR_SUCCESS) {
            config_stamp(sub, stamp, depth + 1);
            RegCloseKey(sub);
        }
    }
    return true;
}

static DWORD WINAPI watch_main(void *arg)
{
    HANDLE stop = arg; /* its own: a watcher left behind at stop never sees a later one's */
    HANDLE changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    HANDLE waits[2] = {stop, changed};
    bool first = true;

    while (changed != NULL && WaitForSingleObject(stop, 0) == WAIT_TIMEOUT) {
        HKEY key = NULL;
        bool parent = false;
        DWORD filter = REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET;
        ULONGLONG stamp = 0, now_stamp, last_held = GetTickCount64();
        DWORD w = WAIT_TIMEOUT;

        if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0,
                          KEY_NOTIFY | KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
            parent = true;
            if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, KEY_NOTIFY | KEY_WOW64_64KEY,
                              &key) != ERROR_SUCCESS) {
                if (WaitForSingleObject(stop, 5000) != WAIT_TIMEOUT)
                    break;
                continue;
            }
        }
        /*
         * The baseline is what start read (first time round), so that a change
         * made before this listens is found by the first look below.
         */
        if (first)
            stamp = g_start_stamp; /* 0: no key then, so a key now is a change */
        else if (!parent)
            config_stamp(key, &stamp, 0);
        first = false;
        for (bool armed = false, looked = false;;) {
            ULONGLONG settle_until;

            if (!armed &&
                RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) != ERROR_SUCCESS) {
                w = WaitForSingleObject(stop, 1000) == WAIT_TIMEOUT ? WAIT_TIMEOUT : WAIT_OBJECT_0;
                break;
            }
            armed = true;
            /* Listening now: first, whether anything changed before it did. */
            w = !looked && !parent
                    ? WAIT_TIMEOUT
                    : WaitForMultipleObjects(2, waits, FALSE, parent ? 5000 : WATCH_POLL_MS);
            looked = true;
            if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
                break;
            if (w == WAIT_TIMEOUT) {
                HKEY probe;

                if (parent) {
                    /* The configuration key may have appeared without a word: apply, watch it. */
                    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0,
                                      KEY_READ | KEY_WOW64_64KEY, &probe) != ERROR_SUCCESS)
                        continue;
                    RegCloseKey(probe);
                    reload(false);
                    break;
                }
                /* No notification: the key itself says whether it changed. */
                now_stamp = 0;
                if (config_stamp(key, &now_stamp, 0) && now_stamp != stamp) {
                    stamp = now_stamp;
                    reload(false);
                } else if (held_to_retry() && GetTickCount64() - last_held >= RETRY_HELD_MS) {
                    /* A sink that could not start (a file it needs, say) may start now. */
                    last_held = GetTickCount64();
                    reload(true);
                }
                continue;
            }
            /* Settle: a change restarts the wait, until SETTLE_MS pass without one. */
            armed = false;
            settle_until = GetTickCount64() + SETTLE_MAX_MS;
            while (w == WAIT_OBJECT_0 + 1 && GetTickCount64() < settle_until &&
                   RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) == ERROR_SUCCESS) {
                armed = true;
                w = WaitForMultipleObjects(2, waits, FALSE, SETTLE_MS);
                armed = w == WAIT_TIMEOUT;
            }
            if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
                break;
            if (parent) {
                HKEY probe;

                if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY,
                                  &probe) != ERROR_SUCCESS)
                    continue; /* something else changed under SOFTWARE */
                RegCloseKey(probe);
                reload(false);
                break; /* the key exists now: watch it */
            }
            /*
             * The next notification is asked for before the reload, so that a
             * change made while it runs wakes the next wait.
             */
            if (!armed)
                armed =
                    RegNotifyChangeKeyValue(key, !parent, filter, changed, TRUE) == ERROR_SUCCESS;
            stamp = 0;
            config_stamp(key, &stamp, 0);
            reload(false);
        }
        RegCloseKey(key);
        ResetEvent(changed); /* closing a key signals its pending notification: not a change */
        if (w == WAIT_OBJECT_0 || w == WAIT_FAILED)
            break;
    }
    if (changed != NULL)
        CloseHandle(changed);
    return 0;
}

void rh_service_start(void)
{
    AcquireSRWLockExclusive(&g_reload_lock);
    AcquireSRWLockExclusive(&g_lock);
    start_locked();
    ReleaseSRWLockExclusive(&g_lock);
    ReleaseSRWLockExclusive(&g_reload_lock);
}

/* The DLL stays mapped for a thread left running in it. */
static void pin_self(void)
{
    HMODULE self;

    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                       (LPCWSTR)(const void *)&g_watcher, &self);
}

/*
 * Stops the watcher. A reload still reading the registry or creating sinks
 * gives up (g_stopping) when it can; if it cannot within WATCHER_GRACE_MS it
 * is left to finish on its own, the DLL pinned, and changes nothing.
 */
static void stop_watcher(void)
{
    if (g_watcher != NULL) {
        SetEvent(g_watch_stop);
        if (WaitForSingleObject(g_watcher, WATCHER_GRACE_MS) != WAIT_OBJECT_0) {
            rh_log(RH_LOG_ERROR, "the configuration watcher is busy reloading and did not stop "
                                 "in time; it is left to finish and changes nothing");
            pin_self();
            g_watch_stop = NULL; /* it still waits on it: never closed */
        }
        CloseHandle(g_watcher);
        g_watcher = NULL;
    }
    if (g_watch_stop != NULL) {
        CloseHandle(g_watch_stop);
        g_watch_stop = NULL;
    }
}

void rh_service_stop(void)
{
    ULONGLONG begun = GetTickCount64();

    InterlockedExchange(&g_stopping, 1);
    stop_watcher();
    /* Start and stop both hold it: g_running changes under it only. */
    AcquireSRWLockExclusive(&g_reload_lock);
    if (g_running) {
        struct rh_runtime *rt;

        AcquireSRWLockShared(&g_lock);
        if (rh_runtime_wants(RH_EVENT_SERVICE_STOP))
            rh_runtime_append(RH_JKIND_SERVICE_STOP, NULL, 0, NULL);
        ReleaseSRWLockShared(&g_lock);
        /* RRAS's hangups are still journaled while the sinks drain. */
        rh_runtime_drain(begun);
        AcquireSRWLockExclusive(&g_lock); /* waits only for callbacks in progress */
        g_running = false;
        rt = rh_runtime_detach();
        ReleaseSRWLockExclusive(&g_lock);
        rh_runtime_stop(rt, begun); /* it owns the sink instances now */
        free_set(&g_current);
        g_generation++;
        rh_log_event(RH_EV_STOPPED, RH_LOG_INFO, "rashangup stopped");
        rh_diag_close();
    }
    ReleaseSRWLockExclusive(&g_reload_lock);
}

/*
 * Takes the lock shared if rashangup runs; otherwise counts the call and
 * returns false without taking it. A call before Initialize or after
 * Terminate must start nothing (no thread, no file, no registry read): RRAS
 * may unload the DLL as soon as it returns.
 */
RH_HOT static bool enter_running(void)
{
    AcquireSRWLockShared(&g_lock);
    if (g_running)
        return true;
    ReleaseSRWLockShared(&g_lock);
    InterlockedIncrement64(&g_late_calls);
    if (InterlockedExchange(&g_said_late, 1) == 0)
        OutputDebugStringW(L"rashangup: a callback came while not initialized; not recorded\n");
    return false;
}

/*
 * Takes RRAS's RAS_CONNECTION_EX for `callback`: checks its header and packs
 * it straight from RRAS's buffer (no copy on RRAS's thread: each byte is read
 * once), with its GUID. RRAS's buffer is its own revision's size: no more is
 * read than the header declares. A structure that cannot be used is said once
 * per start.
 */
RH_HOT static bool pack_ex(const struct rh_ras_connection_ex *conn, const char *callback,
                           uint8_t packed[RH_EVENT_EX_MAX], size_t *n, struct rh_guid *guid)
{
    size_t readable;
    enum rh_ex_status st = rh_ex_readable(conn, conn != NULL ? sizeof *conn : 0, &readable);

    memset(guid, 0, sizeof *guid);
    if (st != RH_EX_OK && st != RH_EX_SHORT) {
        if (InterlockedExchange(&g_said_refused, 1) == 0)
            rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                         "%s: RAS_CONNECTION_EX refused: %s (said once until the next start)",
                         callback, rh_ex_status_text(st));
        return false;
    }
    /*
     * At RRAS's pace what the callback touches is cold: the structure's lines
     * (no further than its header says) and the journal's are all asked for
     * now, and come in together while the packing starts on the first.
     */
    for (size_t at = 64; at < readable; at += 64)
        __builtin_prefetch((const uint8_t *)conn + at, 0, 3);
    rh_runtime_prepare();
    if (st == RH_EX_SHORT && InterlockedExchange(&g_said_short, 1) == 0)
        rh_log_event(
            RH_EV_CONFIG, RH_LOG_WARNING,
            "%s: RAS_CONNECTION_EX header size %u is %s (said once until the next start; each "
            "record notes structure_short)",
            callback, (unsigned)conn->Header.size, rh_ex_status_text(st));
    if (readable >= offsetof(struct rh_ras_connection_ex, guid) + sizeof *guid)
        memcpy(guid, (const uint8_t *)conn + offsetof(struct rh_ras_connection_ex, guid),
               sizeof *guid);
    *n = rh_event_pack_ex_from(conn, readable, st, packed);
    return true;
}

/* The GUID of the legacy set's connection, or NULL. */
static const struct rh_guid *legacy_guid(const struct rh_ras_connection_2 *c2,
                                         const struct rh_ras_connection_3 *c3)
{
    return c3 != NULL ? &c3->guid : c2 != NULL ? &c2->guid : NULL;
}

/*
 * On RRAS's thread, like a hangup: the decision is a check of free journal
 * room; the start (when a sink takes it) is a capture and an append.
 */
RH_HOT bool rh_service_accept_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_guid id;
    uint8_t packed[RH_EVENT_EX_MAX];
    size_t n = 0;
    bool ok;

    if (!enter_running())
        return true; /* rashangup decides nothing while it does not run */
    if (rh_runtime_wants(RH_EVENT_CONNECT)) {
        bool usable = pack_ex(conn, "MprAdminAcceptNewConnectionEx", packed, &n, &id);

        ok = rh_runtime_accept(usable ? &id : NULL, true);
        if (ok && usable)
            rh_runtime_append(RH_JKIND_ACCEPT_EX, packed, (uint32_t)n, &id);
    } else {
        struct rh_guid guid = {0};

        /* Only the GUID is read, and only from a structure that says what it is. */
        if (conn != NULL && conn->Header.type == RH_MPRAPI_OBJECT_TYPE_RAS_CONNECTION_OBJECT &&
            conn->Header.size >= offsetof(struct rh_ras_connection_ex, guid) + sizeof guid)
            guid = conn->guid;
        ok = rh_runtime_accept(&guid, false);
    }
    ReleaseSRWLockShared(&g_lock);
    return ok;
}

bool rh_service_accept_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3)
{
    uint8_t packed[RH_EVENT_MAX];
    bool wants, ok;

    if (!enter_running())
        return true;
    wants = rh_runtime_wants(RH_EVENT_CONNECT);
    ok = rh_runtime_accept(legacy_guid(c2, c3), wants);
    if (ok && wants)
        rh_runtime_append(RH_JKIND_ACCEPT_LEGACY, packed,
                          (uint32_t)rh_event_pack_legacy(c0, c1, c2, c3, packed),
                          legacy_guid(c2, c3));
    ReleaseSRWLockShared(&g_lock);
    return ok;
}

/*
 * RRAS's thread does no more than this: check, pack, append. Everything
 * else (conversion, formatting, I/O) happens on the sinks' workers.
 */
RH_HOT void rh_service_hangup_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_guid id;
    uint8_t packed[RH_EVENT_EX_MAX];
    size_t n;

    if (!enter_running())
        return;
    if (!pack_ex(conn, "MprAdminConnectionHangupNotificationEx", packed, &n, &id)) {
        ReleaseSRWLockShared(&g_lock);
        return;
    }
    rh_runtime_append(RH_JKIND_HANGUP_EX, packed, (uint32_t)n, &id);
    ReleaseSRWLockShared(&g_lock);
}

void rh_service_hangup_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3)
{
    uint8_t packed[RH_EVENT_MAX];
    size_t n;

    if (!enter_running())
        return;
    n = rh_event_pack_legacy(c0, c1, c2, c3, packed);
    rh_runtime_append(RH_JKIND_HANGUP_LEGACY, packed, (uint32_t)n, legacy_guid(c2, c3));
    ReleaseSRWLockShared(&g_lock);
}
