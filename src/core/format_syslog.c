/* SPDX-License-Identifier: MIT */
/*
 * RFC 5424 syslog messages:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID name="value" ...] BOM MSG
 *
 * The structured-data element carries every known field of the record under the
 * record's names (an unknown value is left out); PARAM-VALUE escapes '"', '\' and
 * ']' and is otherwise the exact UTF-8 text. MSG is a one-line summary for people,
 * with control characters replaced by '?'. Framing (octet counting) is the
 * transport's business, not this formatter's.
 */
#include "format.h"

#include <stdio.h>
#include <string.h>

#define APP_NAME_MAX 48
#define PROCID_MAX   128
#define HOSTNAME_MAX 255
#define SD_NAME_MAX  32

void rh_syslog_options_default(struct rh_syslog_options *o)
{
    o->facility = RH_SYSLOG_DEFAULT_FACILITY;
    o->severity = 6;
    o->app_name = RH_SYSLOG_DEFAULT_APP_NAME;
    o->sd_id = RH_SYSLOG_DEFAULT_SD_ID;
    o->procid = NULL;
    o->hostname = NULL;
    o->omit_msg = false;
}

bool rh_syslog_facility_from_name(const char *name, unsigned *facility)
{
    static const char *const names[] = {
        "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
        "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
        "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
    };
    unsigned v = 0;
    const char *p = name;

    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (rh_ascii_ieq(name, names[i])) {
            *facility = i;
            return true;
        }
    }
    if (*p == '\0' || strlen(p) > 2)
        return false;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 23)
        return false;
    *facility = v;
    return true;
}

/* PRINTUSASCII (%d33-126) of length 1..max. */
static bool printusascii(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] < 33 || (unsigned char)s[n] > 126 || n >= max)
            return false;
    return n > 0;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'. */
static bool sd_name(const char *s, size_t n)
{
    if (n == 0 || n > SD_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 33 || c > 126 || c == '=' || c == ']' || c == '"')
            return false;
    }
    return true;
}

/* A private SD-ID: name@enterprise-number (digits, or dotted digits). */
static bool private_sd_id(const char *s)
{
    const char *at = strchr(s, '@');
    const char *p;
    bool digit = false;

    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || !sd_name(s, strlen(s)))
        return false;
    for (p = at + 1; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            digit = true;
        else if (*p != '.' || !digit)
            return false;
        else
            digit = false;
    }
    return digit;
}

enum rh_syslog_field rh_syslog_options_fault(const struct rh_syslog_options *o, char *err,
                                             size_t err_size)
{
    enum rh_syslog_field bad = RH_SYSLOG_FIELD_NONE;
    const char *why = NULL;

    if (o->facility > 23) {
        bad = RH_SYSLOG_FIELD_FACILITY;
        why = "facility must be 0 to 23";
    } else if (o->severity > 7) {
        bad = RH_SYSLOG_FIELD_SEVERITY;
        why = "severity must be 0 to 7";
    } else if (o->app_name == NULL || !printusascii(o->app_name, APP_NAME_MAX)) {
        bad = RH_SYSLOG_FIELD_APP_NAME;
        why = "APP-NAME must be 1 to 48 printable US-ASCII characters";
    } else if (o->procid != NULL && o->procid[0] != '\0' && !printusascii(o->procid, PROCID_MAX)) {
        bad = RH_SYSLOG_FIELD_PROCID;
        why = "PROCID must be 1 to 128 printable US-ASCII characters";
    } else if (o->sd_id == NULL || !private_sd_id(o->sd_id)) {
        bad = RH_SYSLOG_FIELD_SD_ID;
        why = "SD-ID must be name@enterprise-number, at most 32 printable US-ASCII characters "
              "without '=', space, ']' or '\"'";
    }
    if (why != NULL && err_size > 0)
        snprintf(err, err_size, "%s", why);
    return bad;
}

bool rh_syslog_options_check(const struct rh_syslog_options *o, char *err, size_t err_size)
{
    return rh_syslog_options_fault(o, err, err_size) == RH_SYSLOG_FIELD_NONE;
}

static void header_word(struct rh_buf *out, const char *s, size_t max)
{
    if (s != NULL && printusascii(s, max))
        rh_buf_append_str(out, s);
    else
        rh_buf_append_char(out, '-');
    rh_buf_append_char(out, ' ');
}

/* PARAM-VALUE at p, unchecked: '"', '\\' and ']' escaped (2 n bytes at most). */
static char *write_param_value(char *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\' || s[i] == ']')
            *p++ = '\\';
        *p++ = s[i];
    }
    return p;
}

/* MSG text: the exact UTF-8, except control characters, which become '?'. */
static void msg_text(struct rh_buf *out, const char *s)
{
    size_t run = 0;
    size_t i = 0;

    for (; s[i] != '\0'; i++) {
        if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7F)
            continue;
        rh_buf_append(out, s + run, i - run);
        rh_buf_append_char(out, '?');
        run = i + 1;
    }
    rh_buf_append(out, s + run, i - run);
}

static void summary(struct rh_buf *out, const struct rh_record *r)
{
    const char *tunnel = rh_tunnel_name(r->tunnel);

    if (r->warnings & RH_WARN_SIMULATED)
        rh_buf_append_str(out, RH_SIMULATED_SUMMARY);
    if (r->domain.len > 0) {
        msg_text(out, r->domain.s);
        rh_buf_append_char(out, '\\');
    }
    msg_text(out, r->user.s);
    rh_buf_append_str(out, " disconnected after ");
    rh_buf_append_u64(out, r->duration_s);
    rh_buf_append_str(out, " s");
    if (tunnel != NULL) {
        rh_buf_append_str(out, " of ");
        rh_buf_append_str(out, tunnel);
    }
    if (r->remote_endpoint.len > 0) {
        rh_buf_append_str(out, " from ");
        msg_text(out, r->remote_endpoint.s);
    }
    if (r->present & RH_HAS_CLIENT_IPV4) {
        char ip[RH_IPV4_STRING_SIZE];

        rh_ipv4_format(r->client_ipv4, ip);
        rh_buf_append_str(out, " as ");
        rh_buf_append_str(out, ip);
    }
    if (r->present & RH_HAS_COUNTERS) {
        rh_buf_append_str(out, ": ");
        rh_buf_append_u64(out, r->bytes_sent);
        rh_buf_append_str(out, " bytes sent, ");
        rh_buf_append_u64(out, r->bytes_received);
        rh_buf_append_str(out, " received");
    }
}

bool rh_format_syslog(const struct rh_record *r, const struct rh_syslog_options *o,
                      struct rh_buf *out)
{
    struct rh_field fields[RH_FIELD_COUNT];
    size_t n = rh_record_fields(r, fields);
    size_t mark = out->len;
    char *p;

    /* 640: the header (PRI, time, host, APP-NAME, PROCID, MSGID) and the SD-ID. */
    if (!rh_syslog_options_check(o, NULL, 0) || rh_fields_reserve(out, fields, n, 2, 640) == NULL)
        return false;
    rh_buf_append_char(out, '<');
    rh_buf_append_u64(out, o->facility * 8 + o->severity);
    rh_buf_append_str(out, ">1 ");
    p = out->data + out->len;
    rh_time_format_rfc3339(r->time_ms, p);
    out->len += RH_TIME_STRING_SIZE - 1;
    rh_buf_append_char(out, ' ');
    header_word(out, o->hostname != NULL ? o->hostname : r->server.s, HOSTNAME_MAX);
    header_word(out, o->app_name, APP_NAME_MAX);
    header_word(out, o->procid, PROCID_MAX);
    header_word(out, "hangup", SD_NAME_MAX);
    rh_buf_append_char(out, '[');
    rh_buf_append_str(out, o->sd_id);

    /* The structured data, within the bound measured above. */
    p = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        const struct rh_field *f = &fields[i];

        if (f->null)
            continue;
        *p++ = ' ';
        memcpy(p, f->name, RH_FIELD_NAME_STORAGE);
        p += f->name_len;
        *p++ = '=';
        *p++ = '"';
        if (f->kind == RH_FIELD_TEXT)
            p = write_param_value(p, f->p, (size_t)f->num);
        else
            p = rh_field_write(p, f, ',');
        *p++ = '"';
    }
    *p++ = ']';
    if (!o->omit_msg) {
        memcpy(p, " \xEF\xBB\xBF", 4);
        p += 4;
    }
    *p = '\0';
    out->len = (size_t)(p - out->data);

    /* MSG is bounded by what remains: if it does not fit, the record is refused whole. */
    if (!o->omit_msg)
        summary(out, r);
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}
