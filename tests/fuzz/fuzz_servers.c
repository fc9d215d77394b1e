/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the server lists of the network sinks (servers.h), typed by an
 * administrator into the registry. The oracles: an accepted list has one
 * endpoint per entry between separators, each with a host that holds no
 * separator and fits, and a port of 1 to 65535 unless it is the default; the
 * endpoints written out again, each in a form chosen by the input and joined by
 * any separators, parse to the same endpoints; a refused list says why in one
 * of the known texts, and a count or an empty list is refused only when so.
 *
 * Input: bytes 0-1 the default port, byte 2 how many entries are allowed
 * (1 to RH_NET_MAX_SERVERS), byte 3 chooses the forms and separators of the
 * list written again; the rest, to its first NUL, is the list.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "servers.h"
#include "text.h"
#include "fuzz.h"

#define SEPARATORS ",; \t"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The entries between separators, as the list's reader sees them. */
static size_t count_entries(const char *list)
{
    size_t count = 0;

    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, SEPARATORS);

        count += len > 0;
        p += len > 0 ? len : 1;
    }
    return count;
}

static size_t colons(const char *s)
{
    size_t count = 0;

    for (; *s != '\0'; s++)
        count += *s == ':';
    return count;
}

/*
 * Appends ep in one of the forms that read back as ep, chosen by `pick`. False
 * if there is none: a host cut to RH_NET_HOST_SIZE - 1 bytes may keep one colon
 * and a ']' of a longer bare IPv6 entry.
 */
static bool write_endpoint(struct rh_buf *b, const struct rh_endpoint *ep, uint16_t def,
                           unsigned pick)
{
    const char *h = ep->host;
    bool bracket = strchr(h, ']') == NULL;
    bool plain = h[0] != '[' && strchr(h, ':') == NULL;
    bool bare = h[0] != '[' && colons(h) >= 2 && ep->port == def;
    char port[8];

    snprintf(port, sizeof port, "%u", (unsigned)ep->port);
    if (bracket && (pick % 2 == 0 || (!plain && !bare))) {
        rh_buf_append_char(b, '[');
        rh_buf_append_str(b, h);
        rh_buf_append_char(b, ']');
        if (ep->port != def || (pick % 4 == 0 && ep->port != 0)) {
            rh_buf_append_char(b, ':');
            rh_buf_append_str(b, port);
        }
    } else if (plain) {
        rh_buf_append_str(b, h);
        if (ep->port != def || (pick % 3 == 0 && ep->port != 0)) {
            rh_buf_append_char(b, ':');
            rh_buf_append_str(b, port);
        }
    } else if (bare) {
        rh_buf_append_str(b, h); /* a host with ']' came from a bare IPv6 entry */
    } else {
        CHECK(strlen(h) == RH_NET_HOST_SIZE - 1);
        return false;
    }
    return true;
}

static void check_refusal(const char *list, const char *err, size_t max)
{
    size_t entries = count_entries(list);

    CHECK(err[0] != '\0');
    if (strcmp(err, "no server given") == 0) {
        CHECK(entries == 0);
        return;
    }
    CHECK(entries > 0);
    if (starts_with(err, "more than ")) {
        char want[32];

        snprintf(want, sizeof want, "more than %u servers", (unsigned)max);
        CHECK(strcmp(err, want) == 0 && entries > max);
        return;
    }
    CHECK(strcmp(err, "a server entry has no host") == 0 ||
          strcmp(err, "a server name is longer than 263 characters") == 0 ||
          (err[0] == '"' && ends_with(err, "\" is not [IPv6 address] or [IPv6 address]:port")) ||
          (err[0] == '"' && ends_with(err, "\": the port is not 1 to 65535")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char list[4096], again[4096], err[512];
    struct rh_endpoint ep[RH_NET_MAX_SERVERS], ep2[RH_NET_MAX_SERVERS];
    size_t n = 0, n2 = 0, max, len;
    uint16_t def;
    unsigned pick;
    struct rh_buf b;

    if (size < 4)
        return 0;
    def = (uint16_t)(data[0] | data[1] << 8);
    max = 1 + data[2] % RH_NET_MAX_SERVERS;
    pick = data[3];
    len = size - 4 < sizeof list - 1 ? size - 4 : sizeof list - 1;
    memcpy(list, data + 4, len);
    list[len] = '\0';

    err[0] = '\0';
    if (!rh_net_parse_servers(list, def, ep, max, &n, err, sizeof err)) {
        CHECK(n <= max);
        check_refusal(list, err, max);
        return 0;
    }
    CHECK(err[0] == '\0');
    CHECK(n >= 1 && n <= max && n == count_entries(list));
    for (size_t i = 0; i < n; i++) {
        size_t host_len = rh_strnlen(ep[i].host, sizeof ep[i].host);

        CHECK(host_len > 0 && host_len < RH_NET_HOST_SIZE);
        CHECK(strcspn(ep[i].host, SEPARATORS) == host_len);
        CHECK(ep[i].port != 0 || def == 0);
    }

    /* Written again, in other forms and with other separators: the same endpoints. */
    rh_buf_init(&b, again, sizeof again);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 || pick & 0x80)
            rh_buf_append_char(&b, SEPARATORS[(pick >> (i % 4)) % 4]);
        if (!write_endpoint(&b, &ep[i], def, pick >> (i % 5)))
            return 0;
    }
    CHECK(!b.overflow);
    CHECK(rh_net_parse_servers(again, def, ep2, max, &n2, err, sizeof err));
    CHECK(n2 == n);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(ep2[i].host, ep[i].host) == 0 && ep2[i].port == ep[i].port);
    return 0;
}
