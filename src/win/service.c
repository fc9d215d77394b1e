/* SPDX-License-Identifier: MIT */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config.h"
#include "diag.h"
#include "record.h"
#include "sink.h"
#include "wstr.h"

#include <bcrypt.h>

struct sink_slot {
    char name[RH_SINK_NAME_SIZE];
    const struct rh_sink_ops *ops;
    void *instance;
};

/* Exclusive for start and stop; shared while a hangup is delivered. */
static SRWLOCK g_lock = SRWLOCK_INIT;
static bool g_running;
static struct sink_slot g_sinks[RH_MAX_SINKS];
static size_t g_n_sinks;
static char g_server[RH_SERVER_SIZE];

/*
 * Record ids are UUIDv7: the hangup's millisecond, then 74 bits that are a random
 * base drawn at start plus a counter, so ids are unique across processes and
 * restarts without a system call per record (RFC 9562, section 6.2, method 2).
 */
static uint8_t g_id_base[10];
static volatile LONG64 g_id_counter;

static void load_id_base(void)
{
    if (!BCRYPT_SUCCESS(
            BCryptGenRandom(NULL, g_id_base, sizeof g_id_base, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
        /* Without the system RNG: the clock and the process id still differ per start. */
        ULONGLONG t = rh_now_unix_ms() ^ ((ULONGLONG)GetCurrentProcessId() << 40);

        memcpy(g_id_base, &t, sizeof t);
        rh_log(RH_LOG_WARNING, "BCryptGenRandom failed: record ids use the clock instead");
    }
}

static void next_record_id(uint8_t id[16], uint64_t time_ms)
{
    uint64_t n = (uint64_t)InterlockedIncrement64(&g_id_counter);
    uint8_t random[10];
    unsigned carry = 0;

    /* random = base + n, as a big-endian number. */
    for (int i = 9; i >= 0; i--) {
        unsigned sum = g_id_base[i] + (unsigned)(i >= 2 ? (n >> (8 * (9 - i))) & 0xFF : 0) + carry;

        random[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
    rh_uuid7_make(id, time_ms, random);
}

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
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: more than %d sinks; this one is ignored",
               RH_CONFIG_KEY_TEXT, name, RH_MAX_SINKS);
        return;
    }
    instance = ops->create(name, config, err, sizeof err);
    if (instance == NULL) {
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: %s; this sink is disabled, the others run",
               RH_CONFIG_KEY_TEXT, name, err);
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
        rh_log(RH_LOG_ERROR, "%s\\Sinks: a subkey name is longer than %d bytes; ignored",
               RH_CONFIG_KEY_TEXT, RH_SINK_NAME_SIZE - 1);
        return;
    }
    rc = RegOpenKeyExW(sinks, wname, 0, KEY_READ, &key);
    if (rc != ERROR_SUCCESS) {
        rh_win32_error_text((DWORD)rc, err, sizeof err);
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: cannot be opened: %s", RH_CONFIG_KEY_TEXT, name, err);
        return;
    }
    rc = RegQueryValueExW(key, L"Enabled", NULL, &vtype, (BYTE *)&enabled, &size);
    if (rc == ERROR_SUCCESS && vtype == REG_DWORD && size == sizeof enabled && enabled == 0) {
        rh_log(RH_LOG_INFO, "%s\\Sinks\\%s: disabled (Enabled = 0)", RH_CONFIG_KEY_TEXT, name);
        goto out_key;
    }
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        rh_log(RH_LOG_WARNING, "%s\\Sinks\\%s: value Enabled cannot be read; taken as 1",
               RH_CONFIG_KEY_TEXT, name);
    else if (rc == ERROR_SUCCESS && (vtype != REG_DWORD || size != sizeof enabled))
        rh_log(RH_LOG_WARNING, "%s\\Sinks\\%s: value Enabled is not a REG_DWORD; taken as 1",
               RH_CONFIG_KEY_TEXT, name);

    rc = rh_config_read_string(key, "Type", type, sizeof type, err, sizeof err);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: value Type is missing; this sink is disabled",
               RH_CONFIG_KEY_TEXT, name);
        goto out_key;
    }
    if (rc != ERROR_SUCCESS) {
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: %s; this sink is disabled", RH_CONFIG_KEY_TEXT, name,
               err);
        goto out_key;
    }
    ops = rh_sink_find_type(type);
    if (ops == NULL) {
        rh_log(RH_LOG_ERROR,
               "%s\\Sinks\\%s: value Type: unknown sink type \"%s\" (expected file); this sink "
               "is disabled",
               RH_CONFIG_KEY_TEXT, name, type);
        goto out_key;
    }
    config = calloc(1, ops->config_size);
    if (config == NULL) {
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: out of memory", RH_CONFIG_KEY_TEXT, name);
        goto out_key;
    }
    if (!rh_config_read_options(key, ops, config, err, sizeof err)) {
        rh_log(RH_LOG_ERROR, "%s\\Sinks\\%s: %s; this sink is disabled", RH_CONFIG_KEY_TEXT, name,
               err);
        goto out_config;
    }
    add_sink(name, ops, config);

out_config:
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

static void load_config(void)
{
    HKEY root = NULL;
    HKEY sinks = NULL;
    WCHAR name[256];
    LSTATUS rc;

    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &root);
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
        rh_log(RH_LOG_ERROR, "%s\\Sinks cannot be opened: %s; using the default file sink",
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
            rh_log(RH_LOG_ERROR, "%s\\Sinks: subkey %lu cannot be read (error %ld)",
                   RH_CONFIG_KEY_TEXT, (unsigned long)i, (long)rc);
            continue;
        }
        load_sink(sinks, name);
    }
    if (g_n_sinks == 0)
        rh_log(RH_LOG_WARNING, "%s\\Sinks defines no working sink: records are not written",
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
    if (g_running)
        return;
    rh_diag_open();
    load_server_name();
    load_id_base();
    load_config();
    g_running = true;
    rh_log(RH_LOG_INFO, "started on %s with %u sink(s)", g_server[0] ? g_server : "(unnamed)",
           (unsigned)g_n_sinks);
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
        for (size_t i = 0; i < g_n_sinks; i++) {
            g_sinks[i].ops->destroy(g_sinks[i].instance);
            memset(&g_sinks[i], 0, sizeof g_sinks[i]);
        }
        g_n_sinks = 0;
        g_running = false;
        rh_log(RH_LOG_INFO, "stopped");
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

static void deliver(const struct rh_record *r)
{
    for (size_t i = 0; i < g_n_sinks; i++) {
        enum rh_sink_result res = g_sinks[i].ops->deliver(g_sinks[i].instance, r);
        char id[RH_GUID_STRING_SIZE];

        if (res == RH_SINK_OK)
            continue;
        if (!rh_record_field_text(r, "connection_id", id, sizeof id))
            snprintf(id, sizeof id, "(nil)");
        rh_log(RH_LOG_ERROR, "sink %s: record for connection %s (user %s) not written",
               g_sinks[i].name, id, r->user.s);
    }
}

void rh_service_hangup_ex(const struct rh_ras_connection_ex *conn)
{
    struct rh_ras_connection_ex copy;
    struct rh_event_meta meta;
    struct rh_record *rec;
    uint8_t id[16];
    enum rh_ex_status st;

    meta.time_ms = rh_now_unix_ms();
    /* RRAS's buffer is its own revision's size: read no more than the header declares. */
    st = rh_ex_capture(&copy, conn, conn != NULL ? sizeof copy : 0);
    if (st != RH_EX_OK && st != RH_EX_SHORT) {
        rh_log(RH_LOG_ERROR,
               "MprAdminConnectionHangupNotificationEx: RAS_CONNECTION_EX refused: %s",
               rh_ex_status_text(st));
        return;
    }
    if (st == RH_EX_SHORT)
        rh_log(RH_LOG_WARNING,
               "MprAdminConnectionHangupNotificationEx: RAS_CONNECTION_EX header size %u is %s",
               (unsigned)conn->Header.size, rh_ex_status_text(st));

    rec = malloc(sizeof *rec);
    if (rec == NULL) {
        rh_log(RH_LOG_ERROR, "out of memory: a hangup record was lost");
        return;
    }
    enter_running();
    next_record_id(id, meta.time_ms);
    meta.server = g_server;
    meta.record_id = id;
    rh_record_from_ex(rec, &copy, st, &meta);
    deliver(rec);
    ReleaseSRWLockShared(&g_lock);
    free(rec);
}

void rh_service_hangup_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3)
{
    struct rh_event_meta meta;
    struct rh_record *rec = malloc(sizeof *rec);
    uint8_t id[16];

    meta.time_ms = rh_now_unix_ms();
    if (rec == NULL) {
        rh_log(RH_LOG_ERROR, "out of memory: a hangup record was lost");
        return;
    }
    enter_running();
    next_record_id(id, meta.time_ms);
    meta.server = g_server;
    meta.record_id = id;
    rh_record_from_legacy(rec, c0, c1, c2, c3, &meta);
    deliver(rec);
    ReleaseSRWLockShared(&g_lock);
    free(rec);
}
