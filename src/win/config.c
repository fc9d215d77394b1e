/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "files.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "text.h"
#include "wstr.h"

#define VALUE_MAX_CHARS 2048 /* the longest string value read, in UTF-16 units */

static const char *reg_type_name(DWORD type)
{
    switch (type) {
    case REG_SZ:
        return "REG_SZ";
    case REG_EXPAND_SZ:
        return "REG_EXPAND_SZ";
    case REG_MULTI_SZ:
        return "REG_MULTI_SZ";
    case REG_DWORD:
        return "REG_DWORD";
    case REG_QWORD:
        return "REG_QWORD";
    case REG_BINARY:
        return "REG_BINARY";
    default:
        return "an unsupported type";
    }
}

static void read_error(char *err, size_t err_size, const char *name, LSTATUS rc)
{
    char text[256];

    rh_win32_error_text((DWORD)rc, text, sizeof text);
    rh_set_err(err, err_size, "value %s: cannot be read: %s", name, text);
}

/*
 * Reads a string value into out (UTF-16, NUL-terminated even when the stored
 * data is not). REG_EXPAND_SZ is accepted, and expanded, only if `expand`.
 */
static LSTATUS read_wide(HKEY key, const char *name, bool expand, WCHAR *out, DWORD out_count,
                         char *err, size_t err_size)
{
    WCHAR wname[256];
    WCHAR raw[VALUE_MAX_CHARS + 1];
    DWORD bytes = VALUE_MAX_CHARS * sizeof(WCHAR);
    DWORD type = REG_NONE;
    LSTATUS rc;

    if (key == NULL)
        return ERROR_FILE_NOT_FOUND;
    if (!rh_utf8_to_wide(name, wname, sizeof wname / sizeof wname[0])) {
        rh_set_err(err, err_size, "value %s: name too long", name);
        return ERROR_INVALID_PARAMETER;
    }
    rc = RegQueryValueExW(key, wname, NULL, &type, (BYTE *)raw, &bytes);
    if (rc == ERROR_FILE_NOT_FOUND)
        return rc;
    if (rc == ERROR_MORE_DATA) {
        rh_set_err(err, err_size, "value %s: longer than %u characters", name, VALUE_MAX_CHARS);
        return rc;
    }
    if (rc != ERROR_SUCCESS) {
        read_error(err, err_size, name, rc);
        return rc;
    }
    if (type != REG_SZ && !(expand && type == REG_EXPAND_SZ)) {
        rh_set_err(err, err_size, "value %s: has type %s, expected %s", name, reg_type_name(type),
                   expand ? "REG_SZ or REG_EXPAND_SZ" : "REG_SZ");
        return ERROR_INVALID_DATATYPE;
    }
    raw[bytes / sizeof(WCHAR)] = L'\0';

    if (!expand) {
        if (wcslen(raw) >= out_count) {
            rh_set_err(err, err_size, "value %s: too long", name);
            return ERROR_MORE_DATA;
        }
        wcscpy_s(out, out_count, raw);
        return ERROR_SUCCESS;
    }
    /* RRAS expands environment strings in REG_SZ too; so do we, for paths. */
    {
        char why[512];

        if (!rh_path_expand(raw, out, out_count, why, sizeof why)) {
            rh_set_err(err, err_size, "value %s: %s", name, why);
            return ERROR_BAD_PATHNAME;
        }
    }
    return ERROR_SUCCESS;
}

LSTATUS rh_config_read_string(HKEY key, const char *name, char *out, size_t out_size, char *err,
                              size_t err_size)
{
    WCHAR value[VALUE_MAX_CHARS + 1];
    LSTATUS rc = read_wide(key, name, false, value, VALUE_MAX_CHARS + 1, err, err_size);

    if (rc != ERROR_SUCCESS)
        return rc;
    if (!rh_wide_to_utf8(value, -1, out, out_size)) {
        rh_set_err(err, err_size, "value %s: too long (at most %zu bytes of UTF-8)", name,
                   out_size - 1);
        return ERROR_MORE_DATA;
    }
    return ERROR_SUCCESS;
}

/* A text value (or a choice's keyword) as UTF-8 into dst, of dst_size bytes. */
static bool read_option_string(HKEY key, const struct rh_option *opt, char *dst, size_t dst_size,
                               char *err, size_t err_size)
{
    WCHAR value[VALUE_MAX_CHARS + 1];
    bool expand = opt->type == RH_OPT_PATH;
    LSTATUS rc = read_wide(key, opt->name, expand, value, VALUE_MAX_CHARS + 1, err, err_size);

    if (rc == ERROR_FILE_NOT_FOUND) {
        WCHAR def[VALUE_MAX_CHARS + 1];

        if (opt->def == NULL) {
            rh_set_err(err, err_size, "value %s: missing (required: %s)", opt->name, opt->doc);
            return false;
        }
        if (!rh_utf8_to_wide(opt->def, def, VALUE_MAX_CHARS + 1))
            return false;
        if (!expand) {
            wcscpy_s(value, VALUE_MAX_CHARS + 1, def);
        } else {
            char why[512];

            if (!rh_path_expand(def, value, VALUE_MAX_CHARS + 1, why, sizeof why)) {
                rh_set_err(err, err_size, "value %s: the default %s: %s", opt->name, opt->def, why);
                return false;
            }
        }
    } else if (rc != ERROR_SUCCESS) {
        return false;
    }
    if (!rh_wide_to_utf8(value, -1, dst, dst_size)) {
        rh_set_err(err, err_size, "value %s: too long (at most %zu bytes of UTF-8)", opt->name,
                   dst_size - 1);
        return false;
    }
    return true;
}

/* A keyword of opt's choices, in any case: its index into dst. */
static bool read_option_choice(HKEY key, const struct rh_option *opt, uint32_t *dst, char *err,
                               size_t err_size)
{
    char text[64];

    return read_option_string(key, opt, text, sizeof text, err, err_size) &&
           rh_option_choose(opt, text, dst, err, err_size);
}

static bool read_option_dword(HKEY key, const struct rh_option *opt, uint32_t *dst, char *err,
                              size_t err_size)
{
    WCHAR wname[256];
    DWORD value = 0;
    DWORD bytes = sizeof value;
    DWORD type = REG_NONE;
    LSTATUS rc;

    if (!rh_utf8_to_wide(opt->name, wname, sizeof wname / sizeof wname[0]))
        return false;
    rc = key == NULL ? ERROR_FILE_NOT_FOUND
                     : RegQueryValueExW(key, wname, NULL, &type, (BYTE *)&value, &bytes);
    if (rc == ERROR_FILE_NOT_FOUND) {
        char *end = NULL;
        unsigned long def;

        if (opt->def == NULL) {
            rh_set_err(err, err_size, "value %s: missing (required: %s)", opt->name, opt->doc);
            return false;
        }
        def = strtoul(opt->def, &end, 10);
        *dst = (uint32_t)def;
        return end != NULL && *end == '\0' && rh_option_check_dword(opt, *dst, err, err_size);
    }
    if (rc == ERROR_MORE_DATA || (rc == ERROR_SUCCESS && type != REG_DWORD)) {
        rh_set_err(err, err_size, "value %s: has type %s, expected REG_DWORD", opt->name,
                   reg_type_name(type));
        return false;
    }
    if (rc != ERROR_SUCCESS) {
        read_error(err, err_size, opt->name, rc);
        return false;
    }
    if (bytes != sizeof value) {
        rh_set_err(err, err_size, "value %s: REG_DWORD holds %lu bytes, expected 4", opt->name,
                   (unsigned long)bytes);
        return false;
    }
    *dst = value;
    return rh_option_check_dword(opt, value, err, err_size);
}

bool rh_config_read_options(HKEY key, const struct rh_sink_ops *ops, void *config, char *err,
                            size_t err_size)
{
    return rh_config_read_table(key, ops->options, ops->n_options, ops->config_size, config, err,
                                err_size);
}

bool rh_config_read_option(HKEY key, const struct rh_option *opt, size_t config_size, void *config,
                           char *err, size_t err_size)
{
    unsigned char *at = (unsigned char *)config + opt->offset;

    if (opt->offset > config_size || opt->size > config_size - opt->offset) {
        rh_set_err(err, err_size, "value %s: internal option table error", opt->name);
        return false;
    }
    switch (opt->type) {
    case RH_OPT_STRING:
    case RH_OPT_PATH:
        return read_option_string(key, opt, (char *)at, opt->size, err, err_size);
    case RH_OPT_DWORD:
        return opt->size == sizeof(uint32_t) &&
               read_option_dword(key, opt, (uint32_t *)(void *)at, err, err_size);
    case RH_OPT_CHOICE:
        return opt->size == sizeof(uint32_t) &&
               read_option_choice(key, opt, (uint32_t *)(void *)at, err, err_size);
    }
    return false;
}

bool rh_config_read_table(HKEY key, const struct rh_option *options, size_t n_options,
                          size_t config_size, void *config, char *err, size_t err_size)
{
    for (size_t i = 0; i < n_options; i++)
        if (!rh_config_read_option(key, &options[i], config_size, config, err, err_size))
            return false;
    return true;
}

void rh_config_report_unknown(HKEY key, const char *where, const struct rh_option *options,
                              size_t n_options, const char *const *also_read)
{
    for (DWORD i = 0; key != NULL; i++) {
        WCHAR wname[256];
        DWORD len = sizeof wname / sizeof wname[0];
        char name[256 * 3];
        const char *meant;
        bool known = false;
        LSTATUS rc = RegEnumValueW(key, i, wname, &len, NULL, NULL, NULL, NULL);

        if (rc == ERROR_MORE_DATA)
            continue; /* a name of 256 characters or more: no value of ours */
        if (rc != ERROR_SUCCESS)
            break;
        if (len == 0 || !rh_wide_to_utf8(wname, -1, name, sizeof name))
            continue; /* the default value, or a name no UTF-8 can hold */
        /* Registry value names are not case-sensitive: neither is this. */
        for (size_t k = 0; k < n_options && !known; k++)
            known = rh_ascii_ieq(name, options[k].name);
        for (size_t k = 0; also_read != NULL && also_read[k] != NULL && !known; k++)
            known = rh_ascii_ieq(name, also_read[k]);
        if (known)
            continue;
        meant = rh_option_nearest(options, n_options, name);
        rh_log_event(RH_LOGID_CONFIG, RH_LOG_WARNING,
                     "%s: value %s is not one rashangup reads, and is ignored%s%s%s", where, name,
                     meant != NULL ? " (did you mean " : "", meant != NULL ? meant : "",
                     meant != NULL ? "?)" : "");
    }
}
