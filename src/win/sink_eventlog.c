/* SPDX-License-Identifier: MIT */
/*
 * The Event Log sink: one event per hangup in the Application log, source
 * RasHangup, id 1000 (RH_MSG_HANGUP in messages.mc). Its insertion strings are
 * the record's fields in order (rh_format_eventlog), so the event's XML
 * (EventData) carries every field and the message shows them by name. Event
 * Viewer, wevtutil, Windows Event Forwarding and any SIEM agent read it.
 *
 * ReportEventW returns once the event is with the Event Log service; a failure
 * (the service stopped, the log full and not overwriting) is a RETRY.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "diag.h"
#include "eventlog_source.h"
#include "format.h"
#include "messages.h"
#include "sink.h"
#include "wstr.h"

/* An insertion string's longest text (the Event Log's own limit is 31,839 characters). */
#define STRING_MAX 4096

struct eventlog_sink {
    HANDLE source;
    char name[RH_SINK_NAME_SIZE];
    char text[RH_FORMAT_MAX];
    WCHAR wide[RH_FORMAT_MAX];
    char summary[STRING_MAX]; /* insertion string RH_FIELD_COUNT + 1: the first line */
    WCHAR wide_summary[STRING_MAX];
};

static void *eventlog_create(const char *name, const void *config, char *err, size_t err_size)
{
    struct eventlog_sink *s = calloc(1, sizeof *s);

    (void)config;
    if (s == NULL) {
        rh_set_err(err, err_size, "out of memory");
        return NULL;
    }
    s->source = RegisterEventSourceW(NULL, RH_EVENT_SOURCE);
    if (s->source == NULL) {
        char why[256];

        rh_win32_error_text(GetLastError(), why, sizeof why);
        rh_set_err(err, err_size, "the Event Log source RasHangup cannot be opened: %s", why);
        free(s);
        return NULL;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static enum rh_sink_result eventlog_deliver(void *instance, enum rh_sink_event event,
                                            const struct rh_record *r, uint64_t token)
{
    struct eventlog_sink *s = instance;
    size_t offsets[RH_FIELD_COUNT];
    LPCWSTR strings[RH_FIELD_COUNT + 1];
    struct rh_buf b;
    size_t used = 0;

    (void)token; /* no settle(): what flush() took is settled */
    (void)event; /* hangups only */
    rh_buf_init(&b, s->text, sizeof s->text);
    if (!rh_format_eventlog(r, &b, offsets)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return RH_SINK_ERROR;
    }
    for (size_t i = 0; i < RH_FIELD_COUNT; i++) {
        WCHAR *w = s->wide + used;
        size_t room = sizeof s->wide / sizeof s->wide[0] - used;

        if (room > STRING_MAX)
            room = STRING_MAX;
        if (!rh_utf8_to_wide(s->text + offsets[i], w, room))
            w[0] = L'\0'; /* cannot happen: the record's text fits its own bound */
        strings[i] = w;
        used += wcslen(w) + 1;
    }
    /* The sentence event 1000 begins with; the fields follow it one a line. */
    rh_buf_init(&b, s->summary, sizeof s->summary);
    if (!rh_format_eventlog_summary(r, &b) ||
        !rh_utf8_to_wide(s->summary, s->wide_summary, STRING_MAX))
        s->wide_summary[0] = L'\0';
    strings[RH_FIELD_COUNT] = s->wide_summary;
    if (!ReportEventW(s->source, EVENTLOG_INFORMATION_TYPE, 0, RH_MSG_HANGUP, NULL,
                      RH_FIELD_COUNT + 1, 0, strings, NULL))
        return RH_SINK_RETRY;
    return RH_SINK_OK;
}

/* What failed (sink.h: error()); the code is ReportEventW's. */
static void eventlog_error(void *instance, struct rh_sink_error *out)
{
    (void)instance;
    snprintf(out->what, sizeof out->what, "write event 1000 to the Application log");
}

static void eventlog_destroy(void *instance)
{
    struct eventlog_sink *s = instance;

    if (s == NULL)
        return;
    DeregisterEventSource(s->source);
    free(s);
}

const struct rh_sink_ops rh_sink_eventlog = {
    .type = "eventlog",
    .config_size = 0,
    .options = NULL,
    .n_options = 0,
    .create = eventlog_create,
    .deliver = eventlog_deliver,
    .error = eventlog_error,
    .destroy = eventlog_destroy,
};
