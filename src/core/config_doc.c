/* SPDX-License-Identifier: MIT */
/* Configuration tables for people: docs/configuration.md is made of these. */
#include "sink.h"

#include <string.h>

static const char *type_name(enum rh_option_type t)
{
    switch (t) {
    case RH_OPT_STRING:
        return "REG_SZ";
    case RH_OPT_PATH:
        return "REG_EXPAND_SZ or REG_SZ";
    case RH_OPT_DWORD:
        return "REG_DWORD";
    }
    return "?";
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
    rh_buf_append_str(out, "| value | type | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
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
        cell(out, o[i].doc);
        rh_buf_append_str(out, " |\n");
    }
    return !out->overflow;
}
