/* SPDX-License-Identifier: MIT */
#include "config_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "config.h"
#include "files.h"
#include "wstr.h"

/* Each configured sink has a journal cursor, named after it. */
_Static_assert(RH_MAX_SINKS <= RH_JOURNAL_CURSORS, "every running sink has a journal cursor");
_Static_assert(RH_SINK_NAME_SIZE <= RH_JOURNAL_NAME_SIZE, "a sink's name fits its cursor's");

#define OPT_DWORD(name, def, member, lo, hi, doc)                                                  \
    RH_OPTION_DWORD(struct rh_global_config, name, def, member, lo, hi, doc)

static const struct rh_option global_options[] = {
    RH_OPTION_TEXT(struct rh_global_config, "JournalPath", RH_OPT_PATH,
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

#define N_GLOBALS (sizeof global_options / sizeof global_options[0])

const struct rh_option *rh_config_global_options(size_t *n)
{
    *n = N_GLOBALS;
    return global_options;
}

size_t rh_config_global_size(void)
{
    return sizeof(struct rh_global_config);
}

/*
 * What was last said of each sink that does not run: a sink that cannot start
 * is tried again every 30 s, and says its reason again only if it changed. Its
 * own lock: a reload left behind at stop may still be reading.
 */
static SRWLOCK g_said_lock = SRWLOCK_INIT;
static struct {
    char name[RH_SINK_NAME_SIZE];
    char reason[256];
} g_said[RH_CONFIG_SINKS];

/* True if `reason` was said of sink `name` last time; remembers it either way. */
static bool said_before(const char *name, const char *reason)
{
    size_t slot = RH_CONFIG_SINKS;
    bool same;

    AcquireSRWLockExclusive(&g_said_lock);
    for (size_t i = 0; i < RH_CONFIG_SINKS && slot == RH_CONFIG_SINKS; i++)
        if (strcmp(g_said[i].name, name) == 0)
            slot = i;
    for (size_t i = 0; i < RH_CONFIG_SINKS && slot == RH_CONFIG_SINKS; i++)
        if (g_said[i].name[0] == '\0')
            slot = i;
    if (slot == RH_CONFIG_SINKS)
        slot = 0;
    same = strcmp(g_said[slot].name, name) == 0 && strcmp(g_said[slot].reason, reason) == 0;
    snprintf(g_said[slot].name, sizeof g_said[slot].name, "%s", name);
    snprintf(g_said[slot].reason, sizeof g_said[slot].reason, "%s", reason);
    ReleaseSRWLockExclusive(&g_said_lock);
    return same;
}

void rh_config_forget_said(const char *name)
{
    AcquireSRWLockExclusive(&g_said_lock);
    for (size_t i = 0; i < RH_CONFIG_SINKS; i++)
        if (name == NULL || strcmp(g_said[i].name, name) == 0)
            memset(&g_said[i], 0, sizeof g_said[i]);
    ReleaseSRWLockExclusive(&g_said_lock);
}

static void free_values(struct rh_config_sink *s)
{
    if (s->config == NULL)
        return;
    SecureZeroMemory(s->config, s->ops->config_size); /* a sink's values may hold a secret */
    free(s->config);
    s->config = NULL;
}

void rh_config_set_free(struct rh_config_set *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free_values(&cs->sinks[i]);
    memset(cs, 0, sizeof *cs);
}

static void vhold(struct rh_config_sink *s, const char *fmt, va_list ap) RH_PRINTF(2, 0);
static void vhold(struct rh_config_sink *s, const char *fmt, va_list ap)
{
    free_values(s);
    s->standing = RH_STANDING_INVALID;
    vsnprintf(s->reason, sizeof s->reason, fmt, ap);
    if (said_before(s->name, s->reason))
        return;
    rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                 "%s\\Sinks\\%s: %s; this sink does not run (the others do), and the journal "
                 "keeps its records until it is fixed or its key is deleted",
                 RH_CONFIG_KEY_TEXT, s->name, s->reason);
}

void rh_config_hold(struct rh_config_sink *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vhold(s, fmt, ap);
    va_end(ap);
}

/* A new entry of the set for sink `name`; NULL (said) if the journal has no cursor left for it. */
static struct rh_config_sink *new_sink(struct rh_config_set *cs, const char *name)
{
    struct rh_config_sink *s;

    /*
     * A sink left out is still configured: the set is incomplete, so that no
     * cursor is released for it (only deleting a key or Enabled = 0 does).
     */
    if (cs->n == RH_CONFIG_SINKS) {
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks\\%s: more sinks than the journal has cursors (%d): this one "
                     "does not run; no sink's records are given up while there are too many",
                     RH_CONFIG_KEY_TEXT, name, RH_CONFIG_SINKS);
        cs->incomplete = true;
        return NULL;
    }
    for (size_t i = 0; i < cs->n; i++) {
        if (strcmp(cs->sinks[i].name, name) == 0) {
            rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                         "%s\\Sinks\\%s: a second key of the same name (as UTF-8) is ignored",
                         RH_CONFIG_KEY_TEXT, name);
            cs->incomplete = true;
            return NULL;
        }
    }
    s = &cs->sinks[cs->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* Reads the values of s's type from `key` (NULL: every value its default); held if one is bad. */
static void read_values(struct rh_config_sink *s, HKEY key)
{
    char err[512] = "";

    s->config = calloc(1, s->ops->config_size > 0 ? s->ops->config_size : 1);
    if (s->config == NULL) {
        rh_config_hold(s, "out of memory");
        return;
    }
    if (!rh_config_read_options(key, s->ops, s->config, err, sizeof err)) {
        rh_config_hold(s, "%s", err);
        return;
    }
    s->standing = RH_STANDING_RUNS;
}

/* Whether Enabled is 0; a value that cannot be read or is not a REG_DWORD is said, and taken as 1.
 */
static bool disabled(HKEY key, const char *name)
{
    DWORD enabled = 1, size = sizeof enabled, vtype = REG_NONE;
    LSTATUS rc = RegQueryValueExW(key, L"Enabled", NULL, &vtype, (BYTE *)&enabled, &size);

    if (rc == ERROR_SUCCESS && vtype == REG_DWORD && size == sizeof enabled)
        return enabled == 0;
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks\\%s: value Enabled cannot be read; taken as 1", RH_CONFIG_KEY_TEXT,
                     name);
    else if (rc == ERROR_SUCCESS)
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_WARNING,
                     "%s\\Sinks\\%s: value Enabled is not a REG_DWORD; taken as 1",
                     RH_CONFIG_KEY_TEXT, name);
    return false;
}

/* Reads Sinks\<name> into a new entry of the set. */
static void load_sink(struct rh_config_set *cs, HKEY sinks, const WCHAR *wname, bool retry)
{
    static const char *const also_read[] = {"Type", "Enabled", NULL};
    char name[RH_SINK_NAME_SIZE], type[32], err[512] = "";
    char where[sizeof RH_CONFIG_KEY_TEXT + RH_SINK_NAME_SIZE + 8];
    struct rh_config_sink *s;
    HKEY key = NULL;
    LSTATUS rc;

    /* Strictly: two names that differ only in invalid UTF-16 must not become one sink. */
    if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wname, -1, name, (int)sizeof name, NULL,
                            NULL) <= 0) {
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks: a subkey name is longer than %d bytes of UTF-8, or is not "
                     "valid Unicode; that sink does not run, and no sink's records are given up",
                     RH_CONFIG_KEY_TEXT, RH_SINK_NAME_SIZE - 1);
        cs->incomplete = true;
        return;
    }
    s = new_sink(cs, name);
    if (s == NULL)
        return;
    rc = RegOpenKeyExW(sinks, wname, 0, KEY_READ, &key);
    if (rc != ERROR_SUCCESS) {
        rh_win32_error_text((DWORD)rc, err, sizeof err);
        rh_config_hold(s, "the key cannot be opened: %s", err);
        return;
    }
    if (disabled(key, name)) {
        s->standing = RH_STANDING_DISABLED;
        snprintf(s->reason, sizeof s->reason, "Enabled = 0");
        if (!said_before(name, s->reason))
            rh_log(RH_LOG_INFO,
                   "%s\\Sinks\\%s: disabled (Enabled = 0); records are not kept for it while it is",
                   RH_CONFIG_KEY_TEXT, name);
        goto out;
    }
    rc = rh_config_read_string(key, "Type", type, sizeof type, err, sizeof err);
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_config_hold(s, "value Type is missing");
        goto out;
    }
    if (rc != ERROR_SUCCESS) {
        rh_config_hold(s, "%s", err);
        goto out;
    }
    s->ops = rh_sink_find_type(type);
    if (s->ops == NULL) {
        char known[128] = "";
        struct rh_buf b;

        rh_buf_init(&b, known, sizeof known);
        for (size_t i = 0; rh_sink_types[i] != NULL; i++) {
            rh_buf_append_str(&b, i == 0 ? "" : ", ");
            rh_buf_append_str(&b, rh_sink_types[i]->type);
        }
        rh_config_hold(s, "value Type: unknown sink type \"%s\" (expected %s)", type, known);
        goto out;
    }
    snprintf(where, sizeof where, "%s\\Sinks\\%s", RH_CONFIG_KEY_TEXT, name);
    if (!retry) /* said when the configuration changed, not again at each retry */
        rh_config_report_unknown(key, where, s->ops->options, s->ops->n_options, also_read);
    read_values(s, key);
out:
    RegCloseKey(key);
}

/* With no Sinks key: one JSON Lines file at the default path. */
static void load_default_sink(struct rh_config_set *cs)
{
    struct rh_config_sink *s = new_sink(cs, RH_DEFAULT_SINK);

    if (s == NULL)
        return;
    s->ops = rh_sink_find_type("file");
    if (s->ops == NULL) {
        rh_config_hold(s, "no file sink type");
        return;
    }
    read_values(s, NULL);
}

/*
 * Reads the global values. A bad one is reported by name and replaced by its
 * default: it never stops RRAS, and it never stops the others from applying.
 */
static void load_globals(HKEY root, struct rh_global_config *g)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < N_GLOBALS; i++) {
        const struct rh_option *o = &global_options[i];
        char err[512] = "";

        if (rh_config_read_option(root, o, sizeof *g, g, err, sizeof err))
            continue;
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR, "%s: %s; its default %s is used instead",
                     RH_CONFIG_KEY_TEXT, err, o->def);
        rh_config_read_option(NULL, o, sizeof *g, g, err, sizeof err);
    }
    if (g->retry_max_ms < g->retry_min_ms)
        g->retry_max_ms = g->retry_min_ms;
}

/* Reads every Sinks\<name>; false if the list could not be read whole. */
static bool load_sinks(struct rh_config_set *cs, HKEY sinks, bool retry)
{
    bool whole = true;
    DWORD keys_before = 0, keys_after = 0;
    FILETIME written_before = {0}, written_after = {0};

    /*
     * Enumeration goes by index: a key deleted or added meanwhile shifts the
     * rest, and a sink could be skipped. Such a read is incomplete: nothing is
     * released, and the watcher reads again after the change.
     */
    if (RegQueryInfoKeyW(sinks, NULL, NULL, NULL, &keys_before, NULL, NULL, NULL, NULL, NULL, NULL,
                         &written_before) != ERROR_SUCCESS)
        whole = false;

    for (DWORD i = 0;; i++) {
        WCHAR name[256];
        DWORD len = sizeof name / sizeof name[0];
        LSTATUS rc = RegEnumKeyExW(sinks, i, name, &len, NULL, NULL, NULL, NULL);

        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc != ERROR_SUCCESS) {
            rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                         "%s\\Sinks: subkey %lu cannot be read (error %ld); every sink keeps its "
                         "undelivered records",
                         RH_CONFIG_KEY_TEXT, (unsigned long)i, (long)rc);
            whole = false;
            if (rc != ERROR_MORE_DATA)
                break;
            continue;
        }
        load_sink(cs, sinks, name, retry);
    }
    if (RegQueryInfoKeyW(sinks, NULL, NULL, NULL, &keys_after, NULL, NULL, NULL, NULL, NULL, NULL,
                         &written_after) != ERROR_SUCCESS ||
        keys_after != keys_before || CompareFileTime(&written_before, &written_after) != 0)
        whole = false;
    return whole;
}

void rh_config_load(struct rh_config_set *cs, bool retry)
{
    HKEY root = NULL, sinks = NULL;
    LSTATUS rc;
    bool runs = false;

    memset(cs, 0, sizeof *cs);
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, RH_CONFIG_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &root);
    load_globals(rc == ERROR_SUCCESS ? root : NULL, &cs->g);
    if (rc == ERROR_SUCCESS) {
        if (!retry)
            rh_config_report_unknown(root, RH_CONFIG_KEY_TEXT, global_options, N_GLOBALS, NULL);
        rc = RegOpenKeyExW(root, L"Sinks", 0, KEY_READ, &sinks);
    }
    if (rc == ERROR_FILE_NOT_FOUND) {
        rh_log(RH_LOG_INFO, "%s\\Sinks does not exist: using the default file sink",
               RH_CONFIG_KEY_TEXT);
        load_default_sink(cs);
    } else if (rc != ERROR_SUCCESS) {
        char text[256];

        rh_win32_error_text((DWORD)rc, text, sizeof text);
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
                     "%s\\Sinks cannot be opened: %s; using the default file sink, and every "
                     "other sink keeps its undelivered records",
                     RH_CONFIG_KEY_TEXT, text);
        cs->incomplete = true;
        load_default_sink(cs);
    } else {
        cs->sinks_key = true;
        cs->incomplete = !load_sinks(cs, sinks, retry) || cs->incomplete;
        for (size_t i = 0; i < cs->n; i++)
            runs = runs || cs->sinks[i].standing == RH_STANDING_RUNS;
        if (!runs)
            rh_log_event(RH_LOGID_CONFIG, RH_LOG_WARNING,
                         "%s\\Sinks defines no working sink: records are not written",
                         RH_CONFIG_KEY_TEXT);
        RegCloseKey(sinks);
    }
    if (root != NULL)
        RegCloseKey(root);
}

size_t rh_config_held(const struct rh_config_set *cs, struct rh_runtime_held *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < cs->n && n < cap; i++) {
        const struct rh_config_sink *s = &cs->sinks[i];

        if (s->standing == RH_STANDING_RUNS)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", s->name);
        snprintf(out[n].type, sizeof out[n].type, "%s", s->ops != NULL ? s->ops->type : "");
        out[n].disabled = s->standing == RH_STANDING_DISABLED;
        snprintf(out[n].reason, sizeof out[n].reason, "%s", s->reason);
        n++;
    }
    return n;
}

void rh_config_runtime(const struct rh_config_set *cs, struct rh_runtime_config *rc)
{
    const struct rh_global_config *g = &cs->g;

    memset(rc, 0, sizeof *rc);
    rc->keep_all_cursors = cs->incomplete;
    if (!rh_utf8_to_wide(g->journal_path, rc->journal_dir, MAX_PATH)) {
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_ERROR,
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
