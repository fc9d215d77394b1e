/* SPDX-License-Identifier: MIT */
/* The Windows Event Log's insertion strings for a hangup event (see format.h). */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool rh_format_eventlog(const struct rh_record *r, struct rh_buf *out,
                        size_t offsets[RH_FIELD_COUNT])
{
    struct rh_field f[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, f);
    char *p = rh_fields_reserve(out, f, n, 1, 0);

    if (p == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        offsets[i] = (size_t)(p - out->data);
        if (!f[i].null)
            p = rh_field_write(p, &f[i], ',');
        *p++ = '\0';
    }
    out->len = (size_t)(p - out->data);
    return true;
}

/* A field's text; "" if it is null or does not fit. */
static const char *text_of(const struct rh_record *r, const char *name, char *buf, size_t size)
{
    if (!rh_record_field_text(r, name, buf, size))
        buf[0] = '\0';
    return buf;
}

/* Decimal digits of a field with a comma between thousands: 1,129,204,967. */
static void grouped(struct rh_buf *out, const char *digits)
{
    size_t n = strlen(digits);

    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            rh_buf_append_char(out, ',');
        rh_buf_append_char(out, digits[i]);
    }
}

/* A duration in seconds as people say it: 2 d 3 h 4 min 5 s, the units that are not zero. */
static void duration(struct rh_buf *out, unsigned long long s)
{
    static const struct {
        unsigned long long size;
        const char *unit;
    } units[] = {{86400, " d"}, {3600, " h"}, {60, " min"}, {1, " s"}};
    bool any = false;

    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        unsigned long long n = s / units[i].size;

        s %= units[i].size;
        if (n == 0 && (any || units[i].size != 1))
            continue;
        if (any)
            rh_buf_append_char(out, ' ');
        rh_buf_append_u64(out, n);
        rh_buf_append_str(out, units[i].unit);
        any = true;
    }
}

bool rh_format_eventlog_summary(const struct rh_record *r, struct rh_buf *out)
{
    char user[1024], domain[1024], tunnel[64], from[128], v4[64], v6[64], secs[32], sent[32],
        rcvd[32];
    size_t mark = out->len;

    text_of(r, "user", user, sizeof user);
    text_of(r, "domain", domain, sizeof domain);
    text_of(r, "tunnel", tunnel, sizeof tunnel);
    text_of(r, "remote_endpoint", from, sizeof from);
    text_of(r, "client_ipv4", v4, sizeof v4);
    text_of(r, "client_ipv6", v6, sizeof v6);
    text_of(r, "duration_s", secs, sizeof secs);
    text_of(r, "bytes_sent", sent, sizeof sent);
    text_of(r, "bytes_received", rcvd, sizeof rcvd);

    if (r->warnings & RH_WARN_SIMULATED)
        rh_buf_append_str(out, RH_SIMULATED_SUMMARY);
    rh_buf_append_str(out, user[0] != '\0' ? user : "A user RRAS did not name");
    if (domain[0] != '\0') {
        rh_buf_append_str(out, " (");
        rh_buf_append_str(out, domain);
        rh_buf_append_char(out, ')');
    }
    rh_buf_append_str(out, " disconnected");
    if (secs[0] != '\0') {
        rh_buf_append_str(out, " after ");
        duration(out, strtoull(secs, NULL, 10));
    }
    if (tunnel[0] != '\0') {
        rh_buf_append_str(out, " of ");
        rh_buf_append_str(out, tunnel);
    }
    if (from[0] != '\0') {
        rh_buf_append_str(out, " from ");
        rh_buf_append_str(out, from);
    }
    if (v4[0] != '\0' || v6[0] != '\0') {
        rh_buf_append_str(out, ", assigned ");
        rh_buf_append_str(out, v4[0] != '\0' ? v4 : v6);
        if (v4[0] != '\0' && v6[0] != '\0') {
            rh_buf_append_str(out, " and ");
            rh_buf_append_str(out, v6);
        }
    }
    if (sent[0] != '\0' && rcvd[0] != '\0') {
        rh_buf_append_str(out, ": ");
        grouped(out, sent);
        rh_buf_append_str(out, " bytes sent to the client, ");
        grouped(out, rcvd);
        rh_buf_append_str(out, " received from it");
    }
    rh_buf_append_char(out, '.');
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    /* A name with a line break must not forge a "field: value" line above the fields. */
    for (size_t i = mark; i < out->len; i++)
        if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7F)
            out->data[i] = ' ';
    return true;
}
