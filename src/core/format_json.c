/* SPDX-License-Identifier: MIT */
#include "format.h"

#include <string.h>

void rh_json_append_string(struct rh_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    rh_buf_append_char(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];

        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c >= 0x20 && c != 0x7F)
                continue;
            break;
        }
        /* Flush the plain run before this character, then its escape. */
        rh_buf_append(out, s + run, i - run);
        if (esc != NULL) {
            rh_buf_append_str(out, esc);
        } else {
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 0x0F];
            rh_buf_append(out, u, sizeof u);
        }
        run = i + 1;
    }
    rh_buf_append(out, s + run, n - run);
    rh_buf_append_char(out, '"');
}

static void key(struct rh_buf *out, const char *k, bool first)
{
    if (!first)
        rh_buf_append_char(out, ',');
    rh_buf_append_char(out, '"');
    rh_buf_append_str(out, k);
    rh_buf_append(out, "\":", 2);
}

static void field_str(struct rh_buf *out, const char *k, const char *v)
{
    key(out, k, false);
    rh_json_append_string(out, v, strlen(v));
}

/* A string that is empty when unknown: written as null then. */
static void field_opt_str(struct rh_buf *out, const char *k, const char *v)
{
    key(out, k, false);
    if (v == NULL || v[0] == '\0')
        rh_buf_append(out, "null", 4);
    else
        rh_json_append_string(out, v, strlen(v));
}

static void field_u64(struct rh_buf *out, const char *k, uint64_t v)
{
    key(out, k, false);
    rh_buf_append_u64(out, v);
}

static void field_time(struct rh_buf *out, const char *k, uint64_t ms)
{
    char t[RH_TIME_STRING_SIZE];

    rh_time_format_rfc3339(ms, t);
    key(out, k, false);
    rh_buf_append_char(out, '"');
    rh_buf_append_str(out, t);
    rh_buf_append_char(out, '"');
}

bool rh_format_json(const struct rh_record *r, struct rh_buf *out)
{
    size_t mark = out->len;

    if (out->overflow)
        return false;
    rh_buf_append_char(out, '{');
    key(out, "event", true);
    rh_buf_append_str(out, "\"hangup\"");
    field_time(out, "time", r->time_ms);
    field_time(out, "start_time", r->start_ms);
    field_u64(out, "duration_s", r->duration_s);
    field_opt_str(out, "server", r->server);
    field_opt_str(out, "connection_id", r->connection_id);
    field_str(out, "user", r->user);
    field_str(out, "domain", r->domain);
    field_opt_str(out, "tunnel", rh_tunnel_name(r->tunnel));
    field_opt_str(out, "remote_endpoint", r->remote_endpoint);
    field_opt_str(out, "local_endpoint", r->local_endpoint);
    field_opt_str(out, "client_ipv4", r->client_ipv4);
    field_u64(out, "bytes_sent", r->bytes_sent);
    field_u64(out, "bytes_received", r->bytes_received);
    field_u64(out, "frames_sent", r->frames_sent);
    field_u64(out, "frames_received", r->frames_received);
    rh_buf_append(out, "}\n", 2);

    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}

bool rh_format_from_name(const char *name, enum rh_format *out)
{
    if (strcmp(name, "json") == 0) {
        *out = RH_FORMAT_JSON;
        return true;
    }
    return false;
}

const char *rh_format_name(enum rh_format f)
{
    switch (f) {
    case RH_FORMAT_JSON:
        return "json";
    }
    return "unknown";
}

bool rh_format_record(enum rh_format f, const struct rh_record *r, struct rh_buf *out)
{
    switch (f) {
    case RH_FORMAT_JSON:
        return rh_format_json(r, out);
    }
    return false;
}
