/* SPDX-License-Identifier: MIT */
#include "syslog_check.h"

#include <string.h>

struct cur {
    const char *p, *end;
};

static bool word(struct cur *c, char *out, size_t max, bool nil_ok)
{
    size_t n = 0;

    while (c->p < c->end && *c->p != ' ') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 33 || ch > 126 || n >= max)
            return false;
        out[n++] = *c->p++;
    }
    out[n] = '\0';
    if (n == 0 || (!nil_ok && strcmp(out, "-") == 0))
        return false;
    if (c->p >= c->end)
        return false;
    c->p++; /* SP */
    return true;
}

static bool sd_name(struct cur *c, char *out, size_t max, char stop)
{
    size_t n = 0;

    while (c->p < c->end && *c->p != stop) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 33 || ch > 126 || ch == '=' || ch == ']' || ch == '"' || n >= max)
            return false;
        if (out != NULL)
            out[n] = (char)ch;
        n++;
        c->p++;
    }
    if (out != NULL)
        out[n] = '\0';
    return n > 0 && n <= 32;
}

/* Reads a quoted PARAM-VALUE; unescapes into out if given. */
static bool param_value(struct cur *c, char *out, size_t out_size)
{
    size_t o = 0;

    if (c->p >= c->end || *c->p != '"')
        return false;
    c->p++;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if (ch == ']')
            return false; /* must be escaped */
        if (ch == '\\' && c->p < c->end && (*c->p == '"' || *c->p == '\\' || *c->p == ']'))
            ch = *c->p++;
        if (out != NULL && o + 1 < out_size)
            out[o++] = ch;
    }
    if (out != NULL && out_size > 0)
        out[o] = '\0';
    if (c->p >= c->end)
        return false;
    c->p++;
    return true;
}

static bool timestamp(const char *t)
{
    /* FULL-DATE "T" PARTIAL-TIME [.1-6 digits] ("Z" / offset) */
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
    size_t i = 0;

    for (; pattern[i] != '\0'; i++) {
        if (pattern[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != pattern[i])
            return false;
    }
    if (t[i] == '.') {
        size_t digits = 0;
        for (i++; t[i] >= '0' && t[i] <= '9'; i++)
            digits++;
        if (digits < 1 || digits > 6)
            return false;
    }
    return strcmp(t + i, "Z") == 0;
}

bool sc_parse(const char *text, size_t len, struct sc_message *m)
{
    struct cur c = {text, text + len};
    unsigned pri = 0;
    int digits = 0;

    memset(m, 0, sizeof *m);
    if (c.p >= c.end || *c.p++ != '<')
        return false;
    while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && digits < 3) {
        pri = pri * 10 + (unsigned)(*c.p++ - '0');
        digits++;
    }
    if (digits == 0 || pri > 191 || c.end - c.p < 3 || memcmp(c.p, ">1 ", 3) != 0)
        return false;
    c.p += 3;
    m->pri = pri;
    if (!word(&c, m->timestamp, 63, true) ||
        !(strcmp(m->timestamp, "-") == 0 || timestamp(m->timestamp)) ||
        !word(&c, m->hostname, 255, true) || !word(&c, m->app_name, 48, true) ||
        !word(&c, m->procid, 128, true) || !word(&c, m->msgid, 32, true))
        return false;
    if (c.p < c.end && *c.p == '-') {
        c.p++;
    } else {
        while (c.p < c.end && *c.p == '[') {
            char id[33];

            c.p++;
            if (!sd_name(&c, id, 32, ' ') && !(c.p < c.end && *c.p == ']'))
                return false;
            if (m->n_elements++ == 0)
                memcpy(m->sd_id, id, sizeof id);
            while (c.p < c.end && *c.p == ' ') {
                c.p++;
                if (!sd_name(&c, NULL, 32, '=') || c.p >= c.end || *c.p++ != '=' ||
                    !param_value(&c, NULL, 0))
                    return false;
                m->n_params++;
            }
            if (c.p >= c.end || *c.p++ != ']')
                return false;
        }
        if (m->n_elements == 0)
            return false;
    }
    if (c.p == c.end)
        return true;
    if (*c.p++ != ' ')
        return false;
    if (c.end - c.p >= 3 && memcmp(c.p, "\xEF\xBB\xBF", 3) == 0) {
        m->bom = true;
        c.p += 3;
    }
    m->msg = c.p;
    m->msg_len = (size_t)(c.end - c.p);
    return true;
}

bool sc_param(const char *text, size_t len, const char *name, char *out, size_t out_size)
{
    const char *p = memchr(text, '[', len);
    size_t nlen = strlen(name);

    while (p != NULL && p < text + len) {
        struct cur c = {p, text + len};
        /* A parameter starts after a space, outside any value: walk values properly. */
        if (*c.p == '"') {
            param_value(&c, NULL, 0);
            p = c.p;
            continue;
        }
        if (*c.p == ']')
            return false;
        if (*c.p == ' ' && (size_t)(c.end - c.p) > nlen + 2 && memcmp(c.p + 1, name, nlen) == 0 &&
            c.p[1 + nlen] == '=') {
            c.p += 2 + nlen;
            return param_value(&c, out, out_size);
        }
        p++;
    }
    return false;
}
