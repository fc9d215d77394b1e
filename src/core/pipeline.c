/* SPDX-License-Identifier: MIT */
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#include "format.h"

uint32_t rh_backoff_ms(uint32_t attempt, uint32_t base_ms, uint32_t max_ms, uint32_t random)
{
    uint64_t delay = base_ms;
    uint64_t half;

    if (attempt == 0 || base_ms == 0)
        return 0;
    for (uint32_t i = 1; i < attempt && delay < max_ms; i++)
        delay *= 2;
    if (delay > max_ms)
        delay = max_ms;
    half = delay / 2;
    return (uint32_t)(delay - half + (half == 0 ? 0 : random % (half + 1)));
}

const char *rh_sink_state_name(enum rh_sink_state s)
{
    switch (s) {
    case RH_SINK_STATE_IDLE:
        return "idle";
    case RH_SINK_STATE_SENDING:
        return "sending";
    case RH_SINK_STATE_RETRYING:
        return "retrying";
    case RH_SINK_STATE_STUCK:
        return "stuck";
    case RH_SINK_STATE_INVALID:
        return "invalid";
    case RH_SINK_STATE_DISABLED:
        return "disabled";
    }
    return "unknown";
}

static void key(struct rh_buf *b, const char *k)
{
    rh_buf_append_char(b, ',');
    rh_json_append_string(b, k, strlen(k));
    rh_buf_append_char(b, ':');
}

static void str(struct rh_buf *b, const char *k, const char *v)
{
    key(b, k);
    if (v == NULL)
        rh_buf_append_str(b, "null");
    else
        rh_json_append_string(b, v, strlen(v));
}

static void num(struct rh_buf *b, const char *k, uint64_t v)
{
    key(b, k);
    rh_buf_append_u64(b, v);
}

static void time_or_null(struct rh_buf *b, const char *k, uint64_t ms)
{
    char t[RH_TIME_STRING_SIZE];

    key(b, k);
    if (ms == 0) {
        rh_buf_append_str(b, "null");
        return;
    }
    rh_time_format_rfc3339(ms, t);
    rh_buf_append_char(b, '"');
    rh_buf_append_str(b, t);
    rh_buf_append_char(b, '"');
}

static void boolean(struct rh_buf *b, const char *k, bool v)
{
    key(b, k);
    rh_buf_append_str(b, v ? "true" : "false");
}

const char *rh_health_name(enum rh_health h)
{
    switch (h) {
    case RH_HEALTH_OK:
        return "ok";
    case RH_HEALTH_DEGRADED:
        return "degraded";
    case RH_HEALTH_FAILING:
        return "failing";
    }
    return "unknown";
}

/* One reason, a JSON string after a comma if there is one before it. */
static void reason(struct rh_buf *why, const char *a, const char *b, const char *c)
{
    char text[320]; /* a reason is a line: a long error text is cut (status.json has it whole) */
    int n = snprintf(text, sizeof text, "%s%s%s", a, b, c);

    if (n < 0)
        return;
    rh_utf8_cut(text);
    if (why->len > 0)
        rh_buf_append_char(why, ',');
    rh_json_append_string(why, text, strlen(text));
}

enum rh_health rh_status_health(const struct rh_status *s, struct rh_buf *why)
{
    uint32_t running = 0, failing = 0;
    enum rh_health h = RH_HEALTH_OK;
    char n[32];

    for (uint32_t i = 0; i < s->n_sinks && i < RH_MAX_SINKS; i++) {
        const struct rh_sink_status *k = &s->sinks[i];
        const char *detail = k->reason != NULL ? k->reason : k->last_error_text;
        char head[RH_SINK_NAME_SIZE + 48];

        if (k->state == RH_SINK_STATE_DISABLED)
            continue; /* the administrator's choice */
        running++;
        if (k->state != RH_SINK_STATE_RETRYING && k->state != RH_SINK_STATE_STUCK &&
            k->state != RH_SINK_STATE_INVALID)
            continue;
        failing++;
        snprintf(head, sizeof head, "sink %s is %s", k->name, rh_sink_state_name(k->state));
        reason(why, head, detail != NULL ? ": " : "", detail != NULL ? detail : "");
    }
    if (failing > 0)
        h = RH_HEALTH_DEGRADED;
    if (running == 0 || failing == running) {
        h = RH_HEALTH_FAILING;
        reason(why, running == 0 ? "no sink is configured to run" : "no sink can deliver", "",
               ": records wait in the journal");
    }
    if (s->refused > 0) {
        snprintf(n, sizeof n, "%llu", (unsigned long long)s->refused);
        reason(why, n, " connection(s) refused since start (FailClosed: the journal was full)", "");
        h = h == RH_HEALTH_OK ? RH_HEALTH_DEGRADED : h;
    }
    if (s->dropped > 0) {
        snprintf(n, sizeof n, "%llu", (unsigned long long)s->dropped);
        reason(why, n, " undelivered record(s) dropped since start (the journal was full)", "");
        h = RH_HEALTH_FAILING;
    }
    return h;
}

bool rh_format_status(const struct rh_status *s, struct rh_buf *out)
{
    size_t mark = out->len;
    char t[RH_TIME_STRING_SIZE];

    rh_time_format_rfc3339(s->time_ms, t);
    rh_buf_append_str(out, "{\"time\":\"");
    rh_buf_append_str(out, t);
    rh_buf_append_char(out, '"');
    time_or_null(out, "started", s->started_ms);
    str(out, "server", s->server);
    str(out, "version", s->version);
    str(out, "journal_path", s->journal_path);
    num(out, "journal_bytes", s->journal_bytes);
    num(out, "journal_used_bytes", s->journal_used);
    num(out, "journal_depth", s->journal_depth);
    boolean(out, "journal_full", s->full);
    str(out, "full_policy", s->fail_closed ? "fail_closed" : "drop_oldest");
    num(out, "received", s->received);
    num(out, "journaled", s->journaled);
    num(out, "dropped", s->dropped);
    num(out, "refused_connections", s->refused);
    {
        char reasons[32768]; /* 16 reasons of 319 bytes, escaped at worst six-fold, and more */
        struct rh_buf why;
        enum rh_health h;

        rh_buf_init(&why, reasons, sizeof reasons);
        h = rh_status_health(s, &why);
        str(out, "health", rh_health_name(h));
        key(out, "health_reasons");
        rh_buf_append_char(out, '[');
        if (!why.overflow)
            rh_buf_append(out, why.data, why.len);
        rh_buf_append_char(out, ']');
    }
    key(out, "sinks");
    rh_buf_append_char(out, '[');
    for (uint32_t i = 0; i < s->n_sinks && i < RH_MAX_SINKS; i++) {
        const struct rh_sink_status *k = &s->sinks[i];
        uint64_t age =
            k->oldest_ms != 0 && s->time_ms > k->oldest_ms ? (s->time_ms - k->oldest_ms) / 1000 : 0;

        if (i > 0)
            rh_buf_append_char(out, ',');
        rh_buf_append_str(out, "{\"name\":");
        rh_json_append_string(out, k->name, strlen(k->name));
        str(out, "type", k->type);
        str(out, "state", rh_sink_state_name(k->state));
        num(out, "delivered", k->delivered);
        num(out, "retried", k->retried);
        num(out, "failed", k->failed);
        num(out, "dropped", k->dropped);
        num(out, "pending", k->pending);
        num(out, "unconfirmed", k->unconfirmed);
        time_or_null(out, "oldest_pending", k->oldest_ms);
        num(out, "oldest_pending_age_s", age);
        if (k->last_error_text != NULL)
            str(out, "last_error_text", k->last_error_text);
        num(out, "last_error", k->last_error);
        if (k->reason != NULL)
            str(out, "reason", k->reason);
        rh_buf_append_char(out, '}');
    }
    rh_buf_append_str(out, "]}\n");
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}
