/* SPDX-License-Identifier: MIT */
/* status.json, and the reports of what RRAS's callbacks only counted. */
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "files.h"
#include "runtime_internal.h"
#include "text.h"
#include "wstr.h"

#ifndef RASHANGUP_VERSION
#define RASHANGUP_VERSION "0.0.0"
#endif

/*
 * status.json at most: 16 sinks, each with a reason of 255 bytes and an error
 * text of 511, escaped (six bytes for one at worst), fit.
 */
#define STATUS_MAX (256u * 1024)
#define ERROR_TEXT 512

void rh_status_write(struct rh_runtime *rt)
{
    struct rh_status *s = calloc(1, sizeof *s);
    char *text = malloc(STATUS_MAX);
    char(*texts)[ERROR_TEXT] = calloc(RH_MAX_SINKS, ERROR_TEXT);
    WCHAR path[MAX_PATH];
    struct rh_buf b;

    if (s == NULL || text == NULL || texts == NULL)
        goto out;
    s->time_ms = rh_now_unix_ms();
    s->started_ms = rt->started_ms;
    s->server = rt->server;
    s->version = RASHANGUP_VERSION;
    s->journal_path = rt->file_backed ? rt->file.path_utf8 : "(memory)";
    s->fail_closed = rt->fail_closed != 0;
    s->received = (uint64_t)rt->received;
    s->journaled = (uint64_t)rt->journaled;
    s->dropped = (uint64_t)rt->dropped;
    s->refused = (uint64_t)rt->refused;
    /* wlock keeps the workers and the cursors' names; the journal is read without a lock. */
    AcquireSRWLockShared(&rt->wlock);
    if (rt->journal.hdr != NULL) {
        struct rh_jsnap snap;

        /*
         * What some sink still needs, from the slowest cursor: the head follows
         * the cursors lazily (journal.h), so it may lag behind records every
         * sink has. With no cursor, what the journal retains.
         */
        s->journal_bytes = rt->journal.size;
        s->journal_used = rt->journal.size - rh_journal_free(&rt->journal);
        s->journal_depth = rh_journal_depth(&rt->journal);
        if (rh_journal_snapshot(&rt->journal, &snap) == RH_J_OK) {
            uint64_t slowest = snap.tail_pos, depth = 0;
            bool any = false;

            for (int c = 0; c < RH_JOURNAL_CURSORS; c++) {
                struct rh_jcursor_view v;

                if (rt->journal.hdr->cursors[c].name[0] == '\0' ||
                    rh_journal_cursor_view(&rt->journal, c, &v) != RH_J_OK)
                    continue;
                any = true;
                slowest = v.pos < slowest ? v.pos : slowest;
                depth = v.pending > depth ? v.pending : depth;
            }
            if (any) {
                s->journal_used = snap.tail_pos - slowest;
                s->journal_depth = depth;
            }
        }
    }
    s->full = rt->full != 0;
    for (size_t i = 0; i < rt->n_workers + rt->n_held && s->n_sinks < RH_MAX_SINKS; i++) {
        struct rh_sink_status *k = &s->sinks[s->n_sinks];
        struct rh_jcursor_view v;
        int c;

        if (i < rt->n_workers) {
            struct worker *w = &rt->workers[i];

            if (!w->active)
                continue;
            k->name = w->sink.name;
            k->type = w->sink.ops->type;
            k->state = (enum rh_sink_state)w->state;
            k->delivered = (uint64_t)w->delivered;
            k->retried = (uint64_t)w->retried;
            k->failed = (uint64_t)w->failed;
            k->last_error = (uint32_t)w->last_error;
            AcquireSRWLockShared(&w->err_lock);
            snprintf(texts[s->n_sinks], sizeof texts[s->n_sinks], "%s", w->last_error_text);
            ReleaseSRWLockShared(&w->err_lock);
            k->last_error_text = texts[s->n_sinks][0] != '\0' ? texts[s->n_sinks] : NULL;
            k->unconfirmed = (uint64_t)w->unconfirmed;
            c = w->cursor;
        } else {
            const struct held_sink *h = &rt->held[i - rt->n_workers];

            k->name = h->name;
            k->type = h->type[0] != '\0' ? h->type : NULL;
            k->state = h->state;
            k->reason = h->reason[0] != '\0' ? h->reason : NULL;
            c = rt->journal.hdr != NULL ? rh_journal_cursor(&rt->journal, h->name, false) : -1;
        }
        s->n_sinks++;
        if (c >= 0 && rh_journal_cursor_view(&rt->journal, c, &v) == RH_J_OK) {
            uint64_t base = rt->dropped_base[c];

            /* Since start, as every other count here: the journal keeps the lifetime total. */
            k->dropped = v.dropped > base ? v.dropped - base : 0;
            k->pending = v.pending;
            k->oldest_ms = v.oldest_ms;
        }
    }
    ReleaseSRWLockShared(&rt->wlock);

    rh_buf_init(&b, text, STATUS_MAX);
    /* Only into the checked folder: an untrusted one is never written to. */
    if (rt->dir != INVALID_HANDLE_VALUE && rh_format_status(s, &b) &&
        _snwprintf(path, MAX_PATH, L"%ls\\status.json", rt->cfg.journal_dir) > 0) {
        path[MAX_PATH - 1] = L'\0';
        rh_write_file_atomic(path, b.data, b.len);
    }
out:
    free(s);
    free(text);
    free(texts);
}

/*
 * Reports what the callbacks only counted: drops and a full journal, naming
 * the sinks that had not had the records dropped (the ones that fell behind).
 */
void rh_status_report(struct rh_runtime *rt)
{
    LONG64 dropped = rt->dropped;
    LONG64 before = InterlockedExchange64(&rt->dropped_reported, dropped);
    char behind[640] = "";
    struct rh_buf b;

    if (dropped <= before)
        return;
    rh_buf_init(&b, behind, sizeof behind);
    AcquireSRWLockShared(&rt->wlock); /* the cursors' names */
    for (int c = 0; c < RH_JOURNAL_CURSORS && rt->journal.hdr != NULL; c++) {
        struct rh_jcursor_view v;
        char name[RH_JOURNAL_NAME_SIZE];

        snprintf(name, sizeof name, "%.*s", RH_JOURNAL_NAME_SIZE - 1,
                 rt->journal.hdr->cursors[c].name);
        if (name[0] == '\0' || rh_journal_cursor_view(&rt->journal, c, &v) != RH_J_OK ||
            v.dropped <= rt->dropped_said[c])
            continue;
        rh_buf_append_str(&b, b.len > 0 ? ", " : "");
        rh_buf_append_str(&b, name);
        rh_buf_append_str(&b, " (");
        rh_buf_append_u64(&b, v.dropped - rt->dropped_said[c]);
        rh_buf_append_char(&b, ')');
        rt->dropped_said[c] = v.dropped;
    }
    ReleaseSRWLockShared(&rt->wlock);
    rh_log_event(RH_LOGID_DROPPED, RH_LOG_ERROR,
                 "journal full: %lld undelivered record(s) dropped to make room (%lld since "
                 "start); sink(s) that had not had them: %s. Fix what keeps that sink behind (its "
                 "state and last error are in status.json), or make JournalSizeMB larger so that "
                 "the journal holds a longer outage",
                 (long long)(dropped - before), (long long)dropped,
                 behind[0] != '\0' ? behind : "(none running)");
}
