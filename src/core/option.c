/* SPDX-License-Identifier: MIT */
/*
 * Configuration values as tables: what each allows, the one error text of a
 * value outside it, and the tables docs/configuration.md is made of.
 */
#include "sink.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(enum rh_option_type t)
{
    switch (t) {
    case RH_OPT_STRING:
    case RH_OPT_CHOICE:
        return "REG_SZ";
    case RH_OPT_PATH:
        return "REG_EXPAND_SZ or REG_SZ";
    case RH_OPT_DWORD:
        return "REG_DWORD";
    }
    return "?";
}

void rh_option_allowed(const struct rh_option *o, struct rh_buf *out)
{
    switch (o->type) {
    case RH_OPT_DWORD:
        rh_buf_append_u64(out, o->min);
        rh_buf_append_str(out, o->max == o->min + 1 ? " or " : " to ");
        rh_buf_append_u64(out, o->max);
        return;
    case RH_OPT_CHOICE:
        for (size_t i = 0; o->choices[i] != NULL; i++) {
            if (i > 0)
                rh_buf_append_str(out, o->choices[i + 1] == NULL ? " or " : ", ");
            rh_buf_append_str(out, o->choices[i]);
        }
        return;
    case RH_OPT_STRING:
        rh_buf_append_str(out, "text");
        return;
    case RH_OPT_PATH:
        rh_buf_append_str(out, "a path");
        return;
    }
}

/* What o allows, as a C string in buf (cut short if it does not fit). */
static const char *allowed_text(const struct rh_option *o, char *buf, size_t size)
{
    struct rh_buf b;

    rh_buf_init(&b, buf, size);
    rh_option_allowed(o, &b);
    return buf;
}

bool rh_option_check_dword(const struct rh_option *o, uint32_t v, char *err, size_t err_size)
{
    char allowed[64];

    if (v >= o->min && v <= o->max)
        return true;
    rh_set_err(err, err_size, "value %s: %lu is not %s", o->name, (unsigned long)v,
               allowed_text(o, allowed, sizeof allowed));
    return false;
}

bool rh_option_choose(const struct rh_option *o, const char *text, uint32_t *index, char *err,
                      size_t err_size)
{
    char allowed[256];

    for (uint32_t i = 0; o->choices != NULL && o->choices[i] != NULL; i++) {
        if (rh_ascii_ieq(text, o->choices[i])) {
            *index = i;
            return true;
        }
    }
    rh_set_err(err, err_size, "value %s: \"%s\" is not %s", o->name, text,
               allowed_text(o, allowed, sizeof allowed));
    return false;
}

/* The default of a DWORD row as a number; false if it is not one. */
static bool default_dword(const struct rh_option *o, uint32_t *v)
{
    uint64_t n = 0;

    if (o->def == NULL)
        return true;
    if (o->def[0] == '\0')
        return false;
    for (const char *p = o->def; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > UINT32_MAX / 10)
            return false;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (n > UINT32_MAX)
        return false;
    *v = (uint32_t)n;
    return true;
}

bool rh_option_table_check(const struct rh_option *o, size_t n, size_t config_size, char *err,
                           size_t err_size)
{
    for (size_t i = 0; i < n; i++) {
        const struct rh_option *r = &o[i];
        bool number = r->type == RH_OPT_DWORD || r->type == RH_OPT_CHOICE;
        uint32_t v = r->min, index;

        if (r->name == NULL || r->name[0] == '\0' || r->doc == NULL) {
            rh_set_err(err, err_size, "row %zu: no name or no meaning", i);
            return false;
        }
        if (r->offset > config_size || r->size > config_size - r->offset ||
            (number ? r->size != sizeof(uint32_t) : r->size < 2)) {
            rh_set_err(err, err_size, "value %s: outside its config struct or of the wrong size",
                       r->name);
            return false;
        }
        if (r->type == RH_OPT_DWORD &&
            (r->min > r->max || !default_dword(r, &v) || v < r->min || v > r->max)) {
            rh_set_err(err, err_size, "value %s: a range or a default that is not in it", r->name);
            return false;
        }
        if (r->type == RH_OPT_CHOICE &&
            (r->choices == NULL || r->choices[0] == NULL ||
             (r->def != NULL && !rh_option_choose(r, r->def, &index, NULL, 0)))) {
            rh_set_err(err, err_size, "value %s: no choices, or a default that is not one",
                       r->name);
            return false;
        }
        if (!number && r->def != NULL && strlen(r->def) >= r->size) {
            rh_set_err(err, err_size, "value %s: a default longer than its room", r->name);
            return false;
        }
    }
    return true;
}

/* Table text: a '|' would end the cell. */
static void cell(struct rh_buf *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|')
            rh_buf_append_char(out, '\\');
        rh_buf_append_char(out, *s);
    }
}

bool rh_option_table_markdown(const struct rh_option *o, size_t n, struct rh_buf *out)
{
    rh_buf_append_str(out, "| value | type | default | allowed | meaning |\n"
                           "|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        char allowed[256];

        rh_buf_append_str(out, "| `");
        rh_buf_append_str(out, o[i].name);
        rh_buf_append_str(out, "` | ");
        rh_buf_append_str(out, type_name(o[i].type));
        rh_buf_append_str(out, " | ");
        if (o[i].def == NULL) {
            rh_buf_append_str(out, "(required)");
        } else if (o[i].def[0] == '\0') {
            rh_buf_append_str(out, "(empty)");
        } else {
            rh_buf_append_char(out, '`');
            cell(out, o[i].def);
            rh_buf_append_char(out, '`');
        }
        rh_buf_append_str(out, " | ");
        cell(out, allowed_text(&o[i], allowed, sizeof allowed));
        rh_buf_append_str(out, " | ");
        cell(out, o[i].doc);
        rh_buf_append_str(out, " |\n");
    }
    return !out->overflow;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Edit distance, case aside, of two names of at most NAME_MAX_LEN characters. */
#define NAME_MAX_LEN 64
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[NAME_MAX_LEN + 1];

    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *rh_option_nearest(const struct rh_option *o, size_t n, const char *name)
{
    size_t len = strlen(name), best = SIZE_MAX;
    const char *found = NULL;

    if (len == 0 || len > NAME_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t ol = strlen(o[i].name), prefix = 0, d, limit;

        if (ol > NAME_MAX_LEN)
            continue;
        while (prefix < len && prefix < ol && lower(name[prefix]) == lower(o[i].name[prefix]))
            prefix++;
        d = distance(name, len, o[i].name, ol);
        limit = (len < ol ? len : ol) / 3;
        if (limit < 2)
            limit = 2;
        /* Close in spelling, or the same word with another ending (Rotation, Rotate). */
        if ((d <= limit || prefix >= 5) && d < best) {
            best = d;
            found = o[i].name;
        }
    }
    return found;
}
