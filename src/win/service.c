/* SPDX-License-Identifier: MIT */
#include "service.h"
#include "hot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config.h"
#include "config_load.h"
#include "diag.h"
#include "files.h"
#include "payload.h"
#include "record.h"
#include "runtime.h"
#include "sink.h"
#include "watcher.h"
#include "wstr.h"

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
static struct rh_config_set g_current; /* what runs */

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
/* RH_PAYLOAD_*: what every record of this start says of itself (a lab replay). */
static unsigned g_payload_flags;

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

enum replay { REPLAY_NONE, REPLAY_LAB, REPLAY_IGNORED };

/*
 * A lab replay (rrashost --replay) says so in the process's environment: its
 * records are marked simulated, and the DLL's messages go to standard error as
 * well. Only an administrator could give RRAS's service process that variable
 * (its Environment value, or the system's); there it is ignored, since RRAS's
 * records are real: a host named svchost.exe is never a replay.
 */
static enum replay replay_requested(void)
{
    WCHAR v[4], exe[1024]; /* a path longer than MAX_PATH is still read whole */
    const WCHAR *base;
    DWORD n = GetEnvironmentVariableW(RH_REPLAY_ENV, v, sizeof v / sizeof v[0]);

    if (n != 1 || v[0] != L'1')
        return REPLAY_NONE;
    n = GetModuleFileNameW(NULL, exe, sizeof exe / sizeof exe[0]);
    if (n == 0 || n >= sizeof exe / sizeof exe[0])
        return REPLAY_IGNORED;
    base = wcsrchr(exe, L'\\');
    base = base != NULL ? base + 1 : exe;
    return _wcsicmp(base, L"svchost.exe") == 0 ? REPLAY_IGNORED : REPLAY_LAB;
}

/* Creates sink s's instance into out; false (s held, and said why) if it cannot run. */
static bool create_sink(struct rh_config_sink *s, struct rh_runtime_sink *out)
{
    char err[512] = "";
    void *instance = s->ops->create(s->name, s->config, err, sizeof err);

    if (instance == NULL) {
        rh_config_hold(s, "%s", err);
        return false;
    }
    snprintf(out->name, RH_SINK_NAME_SIZE, "%s", s->name);
    out->ops = s->ops;
    out->instance = instance;
    rh_config_forget_said(s->name);
    rh_log(RH_LOG_INFO, "sink %s (%s) started", s->name, s->ops->type);
    return true;
}

bool rh_service_held_to_retry(void)
{
    bool any = false;

    AcquireSRWLockShared(&g_reload_lock);
    for (size_t i = 0; i < g_current.n && !any; i++)
        any = g_current.sinks[i].standing == RH_STANDING_INVALID;
    ReleaseSRWLockShared(&g_reload_lock);
    return any;
}

/* Called with g_lock held exclusively. */
static void start_locked(void)
{
    struct rh_runtime_config rc;
    struct rh_runtime_sink sinks[RH_MAX_SINKS];
    struct rh_runtime_held held[RH_CONFIG_SINKS];
    size_t n = 0, n_held;
    ULONGLONG stamp;
    enum replay replay;

    if (g_running)
        return;
    g_said_refused = g_said_short = 0;
    InterlockedExchange(&g_stopping, 0);
    replay = replay_requested();
    g_payload_flags = replay == REPLAY_LAB ? RH_PAYLOAD_SIMULATED : 0;
    rh_diag_echo(replay == REPLAY_LAB);
    rh_diag_open();
    if (replay == REPLAY_LAB)
        rh_log(RH_LOG_WARNING,
               "a lab replay (" RH_REPLAY_ENV_TEXT "=1 in the process's environment): every record "
               "of this start is marked simulated, and a radius sink sends no Accounting-On or "
               "-Off");
    else if (replay == REPLAY_IGNORED)
        rh_log(RH_LOG_ERROR, RH_REPLAY_ENV_TEXT
               "=1 is in the environment of a service process, where only a "
               "lab replay (rrashost --replay) may set it: ignored, records are not marked "
               "simulated. Remove it from the RemoteAccess service's Environment value or from "
               "the system's environment variables");
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
    rh_config_set_free(&g_current);
    rh_config_forget_said(NULL);
    /*
     * What the configuration key looks like before it is read: a change made
     * from here until the watcher asks to be told of changes would be told to
     * no one; the watcher compares against this once it listens.
     */
    stamp = rh_watcher_stamp();
    rh_config_load(&g_current, false);
    for (size_t i = 0; i < g_current.n && n < RH_MAX_SINKS; i++)
        if (g_current.sinks[i].standing == RH_STANDING_RUNS)
            n += create_sink(&g_current.sinks[i], &sinks[n]) ? 1 : 0;
    n_held = rh_config_held(&g_current, held, RH_CONFIG_SINKS);
    rh_config_runtime(&g_current, &rc);
    rh_runtime_start(&rc, sinks, n, held, n_held, g_server);
    g_running = true;
    g_generation++;
    if (rh_runtime_wants(RH_EVENT_SERVICE_START)) {
        uint8_t flags[1];

        rh_runtime_append(RH_JKIND_SERVICE_START, flags,
                          (uint32_t)rh_payload_pack_service(g_payload_flags, flags), NULL);
    }
    {
        char names[RH_MAX_SINKS * (RH_SINK_NAME_SIZE + 2)] = "";
        struct rh_buf b;

        rh_buf_init(&b, names, sizeof names);
        for (size_t i = 0; i < n; i++) {
            rh_buf_append_str(&b, i == 0 ? " (" : ", ");
            rh_buf_append_str(&b, sinks[i].name);
        }
        rh_buf_append_str(&b, n > 0 ? ")" : "");
        rh_log_event(
            RH_LOGID_STARTED, RH_LOG_INFO,
            "rashangup " RASHANGUP_VERSION
            " started on %s with %u sink(s)%s; journal in %s (%lu MiB, %s when full). %s%s",
            g_server[0] ? g_server : "(unnamed)", (unsigned)n, names, rc.journal_dir_utf8,
            (unsigned long)g_current.g.journal_size_mb,
            rc.fail_closed ? "fail-closed" : "drop oldest",
            g_current.sinks_key
                ? "The sinks are those under " RH_CONFIG_KEY_TEXT "\\Sinks: the default "
                  "JSON Lines file is written only if one of them names it"
                : "No " RH_CONFIG_KEY_TEXT "\\Sinks key: the one sink is the default "
                  "JSON Lines file, %ProgramData%\\RasHangup\\hangups.jsonl, until a "
                  "first sink is configured there",
            replay == REPLAY_LAB ? ". A lab replay: every record is marked simulated" : "");
    }

    /* Changes to the configuration apply live from now on. */
    if (!rh_watcher_start(stamp))
        rh_log(RH_LOG_ERROR,
               "the configuration watcher cannot start (error %lu): changes apply "
               "when RemoteAccess restarts",
               (unsigned long)GetLastError());
}

/* Whether a reload that began at `generation` may still apply: nothing started or stopped since. */
static bool reload_current(unsigned generation)
{
    return g_running && !g_stopping && generation == g_generation;
}

/*
 * Applies the configuration as it is now (rh_config_diff decides): sinks whose
 * configuration did not change run on untouched; changed ones restart from
 * their journal cursor (no record is lost or skipped); ones that can no longer
 * run stop and keep their cursor; deleted or disabled ones release it; new
 * ones start. Runs on the watcher thread, never on RRAS's. The registry is read
 * and new sinks created without the lock (a sink's create may wait on a file
 * or a name): stop never waits for that, only for the short apply.
 */
void rh_service_reload(bool retry)
{
    struct rh_config_set *next = calloc(1, sizeof *next);
    struct rh_config_change changes[2 * RH_CONFIG_SINKS];
    struct rh_runtime_config rc;
    struct rh_runtime_sink add[RH_MAX_SINKS];
    struct rh_runtime_held held[RH_CONFIG_SINKS];
    char remove[RH_MAX_SINKS][RH_SINK_NAME_SIZE];
    size_t n_changes, n_add = 0, n_remove = 0, kept = 0, n_held;
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
    rh_config_load(next, retry);

    AcquireSRWLockShared(&g_reload_lock);
    if (!reload_current(generation)) {
        ReleaseSRWLockShared(&g_reload_lock);
        goto out;
    }
    n_changes = rh_config_diff(g_current.sinks, g_current.n, next->sinks, next->n, next->incomplete,
                               changes, sizeof changes / sizeof changes[0]);
    ReleaseSRWLockShared(&g_reload_lock);

    for (size_t i = 0; i < n_changes && !g_stopping; i++) {
        const struct rh_config_change *c = &changes[i];
        bool stops = c->change == RH_CHANGE_RESTART || c->change == RH_CHANGE_STOP ||
                     c->change == RH_CHANGE_RELEASE;

        kept += c->change == RH_CHANGE_KEEP ? 1 : 0;
        if (c->ran && stops && n_remove < RH_MAX_SINKS)
            snprintf(remove[n_remove++], RH_SINK_NAME_SIZE, "%s", c->name);
        if ((c->change == RH_CHANGE_START || c->change == RH_CHANGE_RESTART) &&
            n_add < RH_MAX_SINKS)
            n_add += create_sink(&next->sinks[c->next], &add[n_add]) ? 1 : 0;
    }

    AcquireSRWLockExclusive(&g_reload_lock);
    if (!reload_current(generation)) {
        ReleaseSRWLockExclusive(&g_reload_lock);
        for (size_t i = 0; i < n_add; i++)
            add[i].ops->destroy(add[i].instance);
        goto out;
    }
    rh_config_runtime(next, &rc);
    n_held = rh_config_held(next, held, RH_CONFIG_SINKS);
    rh_runtime_update(&rc, (const char(*)[RH_SINK_NAME_SIZE])remove, n_remove, add, n_add, held,
                      n_held);
    if (strcmp(next->g.journal_path, g_current.g.journal_path) != 0 ||
        next->g.journal_size_mb != g_current.g.journal_size_mb)
        rh_log(RH_LOG_WARNING,
               "%s: JournalPath and JournalSizeMB apply when RemoteAccess restarts; the journal "
               "stays as it is until then",
               RH_CONFIG_KEY_TEXT);
    if (!retry || n_remove > 0 || n_add > 0)
        rh_log(RH_LOG_INFO, "configuration applied: %u sink(s) unchanged, %u stopped, %u started",
               (unsigned)kept, (unsigned)n_remove, (unsigned)n_add);
    rh_config_set_free(&g_current);
    g_current = *next;
    memset(next, 0, sizeof *next);
    ReleaseSRWLockExclusive(&g_reload_lock);
out:
    rh_config_set_free(next);
    free(next);
}

void rh_service_start(void)
{
    AcquireSRWLockExclusive(&g_reload_lock);
    AcquireSRWLockExclusive(&g_lock);
    start_locked();
    ReleaseSRWLockExclusive(&g_lock);
    ReleaseSRWLockExclusive(&g_reload_lock);
}

void rh_service_stop(void)
{
    ULONGLONG begun = GetTickCount64();

    InterlockedExchange(&g_stopping, 1);
    rh_watcher_stop();
    /* Start and stop both hold it: g_running changes under it only. */
    AcquireSRWLockExclusive(&g_reload_lock);
    if (g_running) {
        struct rh_runtime_left left;
        struct rh_runtime *rt;

        AcquireSRWLockShared(&g_lock);
        if (rh_runtime_wants(RH_EVENT_SERVICE_STOP)) {
            uint8_t flags[1];

            rh_runtime_append(RH_JKIND_SERVICE_STOP, flags,
                              (uint32_t)rh_payload_pack_service(g_payload_flags, flags), NULL);
        }
        ReleaseSRWLockShared(&g_lock);
        /* RRAS's hangups are still journaled while the sinks drain. */
        rh_runtime_drain(begun);
        AcquireSRWLockExclusive(&g_lock); /* waits only for callbacks in progress */
        g_running = false;
        rt = rh_runtime_detach();
        ReleaseSRWLockExclusive(&g_lock);
        rh_runtime_stop(rt, begun, &left); /* it owns the sink instances now */
        rh_config_set_free(&g_current);
        g_generation++;
        if (left.undelivered == 0)
            rh_log_event(RH_LOGID_STOPPED, RH_LOG_INFO,
                         "rashangup stopped; every sink had every record");
        else if (left.in_memory)
            rh_log_event(RH_LOGID_STOPPED, RH_LOG_INFO,
                         "rashangup stopped; %llu record(s) not delivered to every sink are lost: "
                         "the journal was in memory (its folder could not be used; see the "
                         "start's messages)",
                         (unsigned long long)left.undelivered);
        else
            rh_log_event(RH_LOGID_STOPPED, RH_LOG_INFO,
                         "rashangup stopped; %llu record(s) not yet delivered to every sink stay "
                         "in the journal and are delivered at the next start",
                         (unsigned long long)left.undelivered);
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
                           uint8_t packed[RH_PAYLOAD_EX_MAX], size_t *n, struct rh_guid *guid)
{
    size_t readable;
    enum rh_ex_status st = rh_ex_readable(conn, conn != NULL ? sizeof *conn : 0, &readable);

    memset(guid, 0, sizeof *guid);
    if (st != RH_EX_OK && st != RH_EX_SHORT) {
        if (InterlockedExchange(&g_said_refused, 1) == 0)
            rh_log_event(RH_LOGID_GENERIC, RH_LOG_ERROR,
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
            RH_LOGID_GENERIC, RH_LOG_WARNING,
            "%s: RAS_CONNECTION_EX header size %u is %s (said once until the next start; each "
            "record notes structure_short)",
            callback, (unsigned)conn->Header.size, rh_ex_status_text(st));
    if (readable >= offsetof(struct rh_ras_connection_ex, guid) + sizeof *guid)
        memcpy(guid, (const uint8_t *)conn + offsetof(struct rh_ras_connection_ex, guid),
               sizeof *guid);
    *n = rh_payload_pack_ex_from(conn, readable, st, g_payload_flags, packed);
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
    uint8_t packed[RH_PAYLOAD_EX_MAX];
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
    uint8_t packed[RH_PAYLOAD_MAX];
    bool wants, ok;

    if (!enter_running())
        return true;
    wants = rh_runtime_wants(RH_EVENT_CONNECT);
    ok = rh_runtime_accept(legacy_guid(c2, c3), wants);
    if (ok && wants)
        rh_runtime_append(RH_JKIND_ACCEPT_LEGACY, packed,
                          (uint32_t)rh_payload_pack_legacy(c0, c1, c2, c3, g_payload_flags, packed),
                          legacy_guid(c2, c3));
    ReleaseSRWLockShared(&g_lock);
    return ok;
}

/*
 * On RRAS's thread: the running check (a shared lock), the header check, the
 * packing straight from RRAS's structure and the append (journal.h): no
 * system call, no I/O, no lock a worker takes. Conversion, formatting and
 * I/O happen on the sinks' workers.
 */
RH_HOT void rh_service_hangup_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_guid id;
    uint8_t packed[RH_PAYLOAD_EX_MAX];
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
    uint8_t packed[RH_PAYLOAD_MAX];
    size_t n;

    if (!enter_running())
        return;
    n = rh_payload_pack_legacy(c0, c1, c2, c3, g_payload_flags, packed);
    rh_runtime_append(RH_JKIND_HANGUP_LEGACY, packed, (uint32_t)n, legacy_guid(c2, c3));
    ReleaseSRWLockShared(&g_lock);
}
