/* SPDX-License-Identifier: MIT */
#include "json_check.h"

#include <stdint.h>
#include <string.h>

struct cur {
    const unsigned char *p;
    const unsigned char *end;
    int depth;
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool hex4(struct cur *c, uint32_t *v)
{
    *v = 0;
    if (c->end - c->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        int h = hexval(c->p[i]);
        if (h < 0)
            return false;
        *v = (*v << 4) | (uint32_t)h;
    }
    c->p += 4;
    return true;
}

static size_t put_utf8(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t cp, min;

    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2, cp = p[0] & 0x1Fu, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3, cp = p[0] & 0x0Fu, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4, cp = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Parses a string; decodes into out (if given, bounded) and NUL-terminates. */
static bool string(struct cur *c, char *out, size_t out_size)
{
    size_t o = 0;

    if (c->p >= c->end || *c->p != '"')
        return false;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = *c->p;
        char tmp[4];
        size_t n = 0;

        if (ch == '"') {
            c->p++;
            if (out != NULL && out_size > 0)
                out[o < out_size ? o : out_size - 1] = '\0';
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            uint32_t cp;

            c->p++;
            if (c->p >= c->end)
                return false;
            switch (*c->p++) {
            case '"':
                tmp[0] = '"', n = 1;
                break;
            case '\\':
                tmp[0] = '\\', n = 1;
                break;
            case '/':
                tmp[0] = '/', n = 1;
                break;
            case 'b':
                tmp[0] = '\b', n = 1;
                break;
            case 'f':
                tmp[0] = '\f', n = 1;
                break;
            case 'n':
                tmp[0] = '\n', n = 1;
                break;
            case 'r':
                tmp[0] = '\r', n = 1;
                break;
            case 't':
                tmp[0] = '\t', n = 1;
                break;
            case 'u':
                if (!hex4(c, &cp))
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
                        return false;
                    c->p += 2;
                    if (!hex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                n = put_utf8(cp, tmp);
                break;
            default:
                return false;
            }
        } else {
            n = utf8_seq(c->p, c->end);
            if (n == 0)
                return false;
            memcpy(tmp, c->p, n);
            c->p += n;
        }
        if (out != NULL && o + n < out_size) {
            memcpy(out + o, tmp, n);
            o += n;
        } else if (out != NULL) {
            o = out_size; /* truncated: keep parsing, report what fits */
        }
    }
    return false;
}

static bool digits(struct cur *c)
{
    const unsigned char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s;
}

static bool number(struct cur *c)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!digits(c))
            return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return false;
    }
    return true;
}

static bool literal(struct cur *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool value(struct cur *c, enum jc_type *type);

static bool object(struct cur *c, int *members)
{
    int n = 0;

    c->p++; /* '{' */
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        *members = 0;
        return true;
    }
    for (;;) {
        enum jc_type t;
        ws(c);
        if (!string(c, NULL, 0))
            return false;
        ws(c);
        if (c->p >= c->end || *c->p != ':')
            return false;
        c->p++;
        if (!value(c, &t))
            return false;
        n++;
        ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            *members = n;
            return true;
        }
        return false;
    }
}

static bool array(struct cur *c)
{
    c->p++; /* '[' */
    ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        enum jc_type t;
        if (!value(c, &t))
            return false;
        ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return true;
        }
        return false;
    }
}

static bool value(struct cur *c, enum jc_type *type)
{
    bool ok;
    int members;

    ws(c);
    if (c->p >= c->end || ++c->depth > 64)
        return false;
    switch (*c->p) {
    case '{':
        *type = JC_OBJECT;
        ok = object(c, &members);
        break;
    case '[':
        *type = JC_ARRAY;
        ok = array(c);
        break;
    case '"':
        *type = JC_STRING;
        ok = string(c, NULL, 0);
        break;
    case 't':
        *type = JC_TRUE;
        ok = literal(c, "true");
        break;
    case 'f':
        *type = JC_FALSE;
        ok = literal(c, "false");
        break;
    case 'n':
        *type = JC_NULL;
        ok = literal(c, "null");
        break;
    default:
        *type = JC_NUMBER;
        ok = number(c);
        break;
    }
    c->depth--;
    return ok;
}

bool jc_valid(const char *text, size_t len)
{
    struct cur c = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    enum jc_type t;

    if (!value(&c, &t))
        return false;
    ws(&c);
    return c.p == c.end;
}

int jc_count_members(const char *text, size_t len)
{
    struct cur c = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    int members = -1;

    if (!jc_valid(text, len))
        return -1;
    ws(&c);
    if (c.p >= c.end || *c.p != '{' || !object(&c, &members))
        return -1;
    return members;
}

enum jc_type jc_get(const char *text, size_t len, const char *key, char *out, size_t out_size)
{
    struct cur c = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    char name[256];

    if (out_size > 0)
        out[0] = '\0';
    if (!jc_valid(text, len))
        return JC_MISSING;
    ws(&c);
    if (*c.p != '{')
        return JC_MISSING;
    c.p++;
    for (;;) {
        const unsigned char *start;
        enum jc_type t;

        ws(&c);
        if (*c.p == '}' || !string(&c, name, sizeof name))
            return JC_MISSING;
        ws(&c);
        c.p++; /* ':' */
        ws(&c);
        start = c.p;
        if (strcmp(name, key) == 0) {
            if (*start == '"') {
                string(&c, out, out_size);
                return JC_STRING;
            }
            value(&c, &t);
            if (out_size > 0) {
                size_t n = (size_t)(c.p - start);
                if (n >= out_size)
                    n = out_size - 1;
                memcpy(out, start, n);
                out[n] = '\0';
            }
            return t;
        }
        value(&c, &t);
        ws(&c);
        if (*c.p != ',')
            return JC_MISSING;
        c.p++;
    }
}
