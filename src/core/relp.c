/* SPDX-License-Identifier: MIT */
#include "relp.h"

#include <stdio.h>
#include <string.h>

uint32_t rh_relp_next_txnr(uint32_t t)
{
    return t >= RH_RELP_TXNR_MAX ? 1 : t + 1;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool rh_relp_frame(struct rh_buf *out, uint32_t txnr, const char *command, const void *data,
                   size_t len)
{
    size_t mark = out->len, n = strlen(command);
    char head[64];
    int k;

    if (n == 0 || n > RH_RELP_COMMAND_MAX || txnr > RH_RELP_TXNR_MAX || len > 999999999u)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alpha(command[i]))
            return false;
    k = snprintf(head, sizeof head, "%lu %s %lu", (unsigned long)txnr, command, (unsigned long)len);
    if (k <= 0 || (size_t)k >= sizeof head)
        return false;
    rh_buf_append(out, head, (size_t)k);
    if (len > 0) {
        rh_buf_append_char(out, ' ');
        rh_buf_append(out, data, len);
    }
    rh_buf_append_char(out, '\n');
    if (out->overflow) {
        rh_buf_rewind(out, mark);
        return false;
    }
    return true;
}

bool rh_relp_open(struct rh_buf *out, uint32_t txnr)
{
    static const char offers[] = "relp_version=0\nrelp_software=rashangup\ncommands=syslog";

    return rh_relp_frame(out, txnr, "open", offers, sizeof offers - 1);
}

/* Reads a decimal of 1 to `max_digits` digits at p[*at..len); false if there is none. */
static bool number(const char *p, size_t len, size_t *at, unsigned max_digits, uint32_t *v)
{
    size_t start = *at;

    *v = 0;
    while (*at < len && p[*at] >= '0' && p[*at] <= '9' && *at - start < max_digits)
        *v = *v * 10 + (uint32_t)(p[(*at)++] - '0');
    return *at > start;
}

enum rh_relp_parse rh_relp_parse(const char *p, size_t len, struct rh_relp_response *r,
                                 size_t *used)
{
    size_t at = 0, n = 0;
    uint32_t datalen;

    memset(r, 0, sizeof *r);
    /* A header is at most 9 + 1 + 32 + 1 + 9 bytes: anything longer without one is not RELP. */
    if (!number(p, len, &at, 9, &r->txnr))
        return len == 0 ? RH_RELP_MORE : RH_RELP_BAD;
    if (at == len)
        return RH_RELP_MORE;
    if (p[at++] != ' ')
        return RH_RELP_BAD;
    while (at < len && is_alpha(p[at]) && n < RH_RELP_COMMAND_MAX)
        r->command[n++] = p[at++];
    if (at == len)
        return RH_RELP_MORE;
    if (n == 0 || p[at++] != ' ')
        return RH_RELP_BAD;
    if (!number(p, len, &at, 9, &datalen))
        return at == len ? RH_RELP_MORE : RH_RELP_BAD;
    if (at == len)
        return RH_RELP_MORE;
    if (datalen > RH_RELP_RESPONSE_MAX)
        return RH_RELP_BAD;
    if (datalen > 0) {
        if (p[at++] != ' ')
            return RH_RELP_BAD;
        if (len - at < (size_t)datalen + 1)
            return RH_RELP_MORE;
        r->data = p + at;
        r->data_len = datalen;
        at += datalen;
    }
    if (at == len)
        return RH_RELP_MORE;
    if (p[at++] != '\n')
        return RH_RELP_BAD;
    if (strcmp(r->command, "rsp") == 0 && r->data_len > 0) {
        size_t k = 0;
        uint32_t code = 0;

        /* "200 OK", or "200" alone (a close's answer has no data at all). */
        if (!number(r->data, r->data_len, &k, 3, &code) || k != 3 ||
            (k < r->data_len && r->data[k] != ' ' && r->data[k] != '\n'))
            return RH_RELP_BAD;
        r->code = code;
    }
    *used = at;
    return RH_RELP_FRAME;
}

bool rh_relp_open_accepted(const struct rh_relp_response *r)
{
    static const char want[] = "commands=";

    if (strcmp(r->command, "rsp") != 0 || r->code != 200)
        return false;
    /* The offers after the status line: one per line, "name=value". */
    for (size_t at = 0; at < r->data_len;) {
        size_t end = at;

        while (end < r->data_len && r->data[end] != '\n')
            end++;
        if (end - at > sizeof want - 1 && memcmp(r->data + at, want, sizeof want - 1) == 0) {
            /* commands=syslog, or a comma-separated list holding it */
            for (size_t v = at + sizeof want - 1; v < end;) {
                size_t e = v;

                while (e < end && r->data[e] != ',')
                    e++;
                if (e - v == 6 && memcmp(r->data + v, "syslog", 6) == 0)
                    return true;
                v = e + 1;
            }
            return false;
        }
        at = end + 1;
    }
    return true; /* no commands offered: the server restricts none */
}
