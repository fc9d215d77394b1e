/* SPDX-License-Identifier: MIT */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config.h"
#include "diag.h"
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

#define OPT(name, kind, def, member, doc)                                                          \
    RH_OPTION(struct global_config, name, kind, def, member, doc)

static const struct rh_option global_options[] = {
    OPT("JournalPath", RH_OPT_PATH, "%ProgramData%\\RasHangup\\journal", journal_path,
        "folder of the journal (journal.dat) and of status.json"),
    OPT("JournalSizeMB", RH_OPT_DWORD, "256", journal_size_mb,
        "journal size in MiB (1 to 65536): how many records an outage can hold"),
    OPT("FailClosed", RH_OPT_DWORD, "0", fail_closed,
        "1: refuse new connections while the journal could not take their records"),
    OPT("DrainTimeoutMs", RH_OPT_DWORD, "5000", drain_timeout_ms,
        "how long MprAdminTerminateDll waits for sinks to deliver (0 to 600000)"),
    OPT("FlushIntervalMs", RH_OPT_DWORD, "1000", flush_interval_ms,
        "how often the journal is written to disk: the power-loss window (10 to 60000)"),
    OPT("StatusIntervalMs", RH_OPT_DWORD, "10000", status_interval_ms,
        "how often status.json is rewritten without a change (1000 to 3600000)"),
    OPT("RetryMinMs", RH_OPT_DWORD, "1000", retry_min_ms,
        "first retry delay of a failing sink (10 to 600000)"),
    OPT("RetryMaxMs", RH_OPT_DWORD, "60000", retry_max_ms,
        "longest retry delay of a failing sink (10 to 3600000)"),
};

/* The bounds of each DWORD above, in order (JournalPath has none). */
static const struct {
    const char *name;
    uint32_t min, max;
} global_bounds[] = {
    {"JournalSizeMB", 1, 65536},         {"FailClosed", 0, 1},
    {"DrainTimeoutMs", 0, 600000},       {"FlushIntervalMs", 10, 60000},
    {"StatusIntervalMs", 1000, 3600000}, {"RetryMinMs", 10, 600000},
    {"RetryMaxMs", 10, 3600000},
};

/* Exclusive for start and stop; shared while a callback runs. */
static SRWLOCK g_lock = SRWLOCK_INIT;
static bool g_running;
static struct rh_runtime_sink g_sinks[RH_MAX_SINKS];
static size_t g_n_sinks;
static char g_server[RH_SERVER_SIZE];

/*
 * Structures RRAS should never send: said once per start, not per hangup (the
 * log is file I/O, and RRAS's thread must not do I/O); each record also carries
 * its own warning.
 */
static volatile LONG g_said_refused, g_said_short;

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

/* Creates one sink instance from its filled configuration. */
static void add_sink(const char *name, const struct rh_sink_ops *ops, const void *config)
{
    char err[512] = "";
    void *instance;

    if (g_n_sinks == RH_MAX_SINKS) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: more than %d sinks; this one is ignored", RH_CONFIG_KEY_TEXT,
                     name, RH_MAX_SINKS);
        return;
    }
    instance = ops->create(name, config, err, sizeof err);
    if (instance == NULL) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: %s; this sink is disabled, the others run", RH_CONFIG_KEY_TEXT,
                     name, err);
        return;
    }
    snprintf(g_sinks[g_n_sinks].name, RH_SINK_NAME_SIZE, "%s", name);
    g_sinks[g_n_sinks].ops = ops;
    g_sinks[g_n_sinks].instance = instance;
    g_n_sinks++;
    rh_log(RH_LOG_INFO, "sink %s (%s) started", name, ops->type);
}

/* Reads Sinks\<name> and adds the sink it describes. */
static void load_sink(HKEY sinks, const WCHAR *wname)
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
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s\\Sinks\\%s: cannot be opened: %s",
                     RH_CONFIG_KEY_TEXT, name, err);
        return;
    }
    rc = RegQueryValueExW(key, L"Enabled", NULL, &vtype, (BYTE *)&enabled, &size);
    if (rc == ERROR_SUCCESS && vtype == REG_DWORD && size == sizeof enabled && enabled == 0) {
        rh_log(RH_LOG_INFO, "%s\\Sinks\\%s: disabled (Enabled = 0)", RH_CONFIG_KEY_TEXT, name);
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
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: value Type is missing; this sink is disabled",
                     RH_CONFIG_KEY_TEXT, name);
        goto out_key;
    }
    if (rc != ERROR_SUCCESS) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s\\Sinks\\%s: %s; this sink is disabled",
                     RH_CONFIG_KEY_TEXT, name, err);
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
        rh_log_event(
            RH_EV_CONFIG, RH_LOG_ERROR,
            "%s\\Sinks\\%s: value Type: unknown sink type \"%s\" (expected %s); this sink is "
            "disabled",
            RH_CONFIG_KEY_TEXT, name, type, known);
        goto out_key;
    }
    config = calloc(1, ops->config_size > 0 ? ops->config_size : 1);
    if (config == NULL) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s\\Sinks\\%s: out of memory", RH_CONFIG_KEY_TEXT,
                     name);
        goto out_key;
    }
    if (!rh_config_read_options(key, ops, config, err, sizeof err)) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s\\Sinks\\%s: %s; this sink is disabled",
                     RH_CONFIG_KEY_TEXT, name, err);
        goto out_config;
    }
    add_sink(name, ops, config);

out_config:
    SecureZeroMemory(config, ops->config_size); /* a sink's configuration may hold a secret */
    free(config);
out_key:
    RegCloseKey(key);
}

/* With no Sinks key: one JSON Lines file at the default path. */
static void load_default_sink(void)
{
    const struct rh_sink_ops *ops = rh_sink_find_type("file");
    char err[512] = "";
    void *config = ops != NULL ? calloc(1, ops->config_size) : NULL;

    if (config == NULL) {
        rh_log(RH_LOG_ERROR, "the default file sink cannot be created: out of memory");
        return;
    }
    if (rh_config_read_options(NULL, ops, config, err, sizeof err))
        add_sink(RH_DEFAULT_SINK, ops, config);
    else
        rh_log(RH_LOG_ERROR, "the default file sink cannot be created: %s", err);
    free(config);
}

/*
 * Reads the global values. A bad one is reported by name and replaced by its
 * default: it never stops RRAS, and it never stops the others from applying.
 */
static void load_globals(HKEY root, struct global_config *g)
{
    char err[512] = "";
    uint32_t *dwords = &g->journal_size_mb;

    memset(g, 0, sizeof *g);
    if (rh_config_read_table(root, global_options, sizeof global_options / sizeof global_options[0],
                             sizeof *g, g, err, sizeof err))
        goto check_bounds;
    rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR, "%s: %s; the defaults are used for the global values",
                 RH_CONFIG_KEY_TEXT, err);
    memset(g, 0, sizeof *g);
    rh_config_read_table(NULL, global_options, sizeof global_options / sizeof global_options[0],
                         sizeof *g, g, err, sizeof err);
check_bounds:
    for (size_t i = 0; i < sizeof global_bounds / sizeof global_bounds[0]; i++) {
        if (dwords[i] >= global_bounds[i].min && dwords[i] <= global_bounds[i].max)
            continue;
        {
            struct global_config d;
            uint32_t *defaults = &d.journal_size_mb;

            memset(&d, 0, sizeof d);
            rh_config_read_table(NULL, global_options,
                                 sizeof global_options / sizeof global_options[0], sizeof d, &d,
                                 err, sizeof err);
            rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                         "%s: value %s: %lu is outside %lu to %lu; %lu is used instead",
                         RH_CONFIG_KEY_TEXT, global_bounds[i].name, (unsigned long)dwords[i],
                         (unsigned long)global_bounds[i].min, (unsigned long)global_bounds[i].max,
                         (unsigned long)defaults[i]);
            dwords[i] = defaults[i];
        }
    }
    if (g->retry_max_ms < g->retry_min_ms)
        g->retry_max_ms = g->retry_min_ms;
}

static void load_config(struct global_config *g)
{
    HKEY root = NULL;
    HKEY sinks = NULL;
    WCHAR name[256];
    LSTATUS rc;

    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &root);
    load_globals(rc == ERROR_SUCCESS ? root : NULL, g);
    if (rc == ERROR_SUCCESS)
        rc = RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sinks);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_INFO, "%s\\Sinks does not exist: using the default file sink",
               RH_CONFIG_KEY_TEXT);
        load_default_sink();
        goto out;
    }
    if (rc != ERROR_SUCCESS) {
        char text[256];

        rh_win32_error_text((DWORD)rc, text, sizeof text);
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks cannot be opened: %s; using the default file sink",
                     RH_CONFIG_KEY_TEXT, text);
        load_default_sink();
        goto out;
    }
    for (DWORD i = 0;; i++) {
        DWORD len = sizeof name / sizeof name[0];

        rc = RegEnumKeyExW(sinks, i, name, &len, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc != ERROR_SUCCESS) {
            rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                         "%s\\Sinks: subkey %lu cannot be read (error %ld)", RH_CONFIG_KEY_TEXT,
                         (unsigned long)i, (long)rc);
            continue;
        }
        load_sink(sinks, name);
    }
    if (g_n_sinks == 0)
        rh_log_event(RH_EV_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks defines no working sink: records are not written",
                     RH_CONFIG_KEY_TEXT);
out:
    if (sinks != NULL)
        RegCloseKey(sinks);
    if (root != NULL)
        RegCloseKey(root);
}

/* Called with g_lock held exclusively. */
static void start_locked(void)
{
    struct global_config g;
    struct rh_runtime_config rc;

    if (g_running)
        return;
    g_said_refused = g_said_short = 0;
    rh_diag_open();
    load_server_name();
    g_n_sinks = 0;
    load_config(&g);

    memset(&rc, 0, sizeof rc);
    if (!rh_utf8_to_wide(g.journal_path, rc.journal_dir, MAX_PATH)) {
        rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                     "%s: value JournalPath is too long; the default is used", RH_CONFIG_KEY_TEXT);
        ExpandEnvironmentStringsW(L"%ProgramData%\\RasHangup\\journal", rc.journal_dir, MAX_PATH);
    }
    rh_wide_to_utf8(rc.journal_dir, -1, rc.journal_dir_utf8, sizeof rc.journal_dir_utf8);
    rc.journal_bytes = (uint64_t)g.journal_size_mb * 1024 * 1024;
    rc.fail_closed = g.fail_closed != 0;
    rc.drain_ms = g.drain_timeout_ms;
    rc.flush_ms = g.flush_interval_ms;
    rc.status_ms = g.status_interval_ms;
    rc.retry_min_ms = g.retry_min_ms;
    rc.retry_max_ms = g.retry_max_ms;
    rh_runtime_start(&rc, g_sinks, g_n_sinks, g_server);
    g_running = true;
    if (rh_runtime_wants(RH_EVENT_SERVICE_START))
        rh_runtime_append(RH_JKIND_SERVICE_START, NULL, 0, NULL);
    rh_log_event(RH_EV_STARTED, RH_LOG_INFO,
                 "rashangup " RASHANGUP_VERSION
                 " started on %s with %u sink(s); journal in %s (%lu MiB, %s when full)",
                 g_server[0] ? g_server : "(unnamed)", (unsigned)g_n_sinks, rc.journal_dir_utf8,
                 (unsigned long)g.journal_size_mb, rc.fail_closed ? "fail-closed" : "drop oldest");
}

void rh_service_start(void)
{
    AcquireSRWLockExclusive(&g_lock);
    start_locked();
    ReleaseSRWLockExclusive(&g_lock);
}

void rh_service_stop(void)
{
    AcquireSRWLockExclusive(&g_lock);
    if (g_running) {
        if (rh_runtime_wants(RH_EVENT_SERVICE_STOP))
            rh_runtime_append(RH_JKIND_SERVICE_STOP, NULL, 0, NULL);
        rh_runtime_stop(); /* it owns the sink instances now */
        memset(g_sinks, 0, sizeof g_sinks);
        g_n_sinks = 0;
        g_running = false;
        rh_log_event(RH_EV_STOPPED, RH_LOG_INFO, "rashangup stopped");
        rh_diag_close();
    }
    ReleaseSRWLockExclusive(&g_lock);
}

/* Takes the lock shared, starting the runtime first if RRAS never initialized it. */
static void enter_running(void)
{
    AcquireSRWLockShared(&g_lock);
    while (!g_running) {
        ReleaseSRWLockShared(&g_lock);
        AcquireSRWLockExclusive(&g_lock);
        if (!g_running) {
            start_locked();
            rh_log(RH_LOG_WARNING, "a hangup arrived before initialization; started then");
        }
        ReleaseSRWLockExclusive(&g_lock);
        AcquireSRWLockShared(&g_lock);
    }
}

/*
 * Takes RRAS's RAS_CONNECTION_EX for `callback`: checks, copies and packs it.
 * RRAS's buffer is its own revision's size: no more is read than the header
 * declares. A structure that cannot be used is said once per start.
 */
static bool pack_ex(const struct rh_ras_connection_ex *conn, const char *callback,
                    struct rh_ras_connection_ex *copy, uint8_t packed[RH_EVENT_MAX], size_t *n)
{
    enum rh_ex_status st = rh_ex_capture(copy, conn, conn != NULL ? sizeof *copy : 0);

    if (st != RH_EX_OK && st != RH_EX_SHORT) {
        if (InterlockedExchange(&g_said_refused, 1) == 0)
            rh_log_event(RH_EV_CONFIG, RH_LOG_ERROR,
                         "%s: RAS_CONNECTION_EX refused: %s (said once until the next start)",
                         callback, rh_ex_status_text(st));
        return false;
    }
    if (st == RH_EX_SHORT && InterlockedExchange(&g_said_short, 1) == 0)
        rh_log_event(
            RH_EV_CONFIG, RH_LOG_WARNING,
            "%s: RAS_CONNECTION_EX header size %u is %s (said once until the next start; each "
            "record notes structure_short)",
            callback, (unsigned)conn->Header.size, rh_ex_status_text(st));
    *n = rh_event_pack_ex(copy, st, packed);
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
bool rh_service_accept_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_ras_connection_ex copy;
    uint8_t packed[RH_EVENT_MAX];
    size_t n = 0;
    bool ok;

    enter_running();
    if (rh_runtime_wants(RH_EVENT_CONNECT)) {
        bool usable = pack_ex(conn, "MprAdminAcceptNewConnectionEx", &copy, packed, &n);

        ok = rh_runtime_accept(usable ? &copy.guid : NULL, true);
        if (ok && usable)
            rh_runtime_append(RH_JKIND_ACCEPT_EX, packed, (uint32_t)n, &copy.guid);
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

    enter_running();
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
 * RRAS's thread does no more than this: check, copy, pack, append. Everything
 * else (conversion, formatting, I/O) happens on the sinks' workers.
 */
void rh_service_hangup_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_ras_connection_ex copy;
    uint8_t packed[RH_EVENT_MAX];
    size_t n;

    if (!pack_ex(conn, "MprAdminConnectionHangupNotificationEx", &copy, packed, &n))
        return;
    enter_running();
    rh_runtime_append(RH_JKIND_HANGUP_EX, packed, (uint32_t)n, &copy.guid);
    ReleaseSRWLockShared(&g_lock);
}

void rh_service_hangup_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3)
{
    uint8_t packed[RH_EVENT_MAX];
    size_t n = rh_event_pack_legacy(c0, c1, c2, c3, packed);

    enter_running();
    rh_runtime_append(RH_JKIND_HANGUP_LEGACY, packed, (uint32_t)n, legacy_guid(c2, c3));
    ReleaseSRWLockShared(&g_lock);
}
