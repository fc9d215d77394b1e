/* SPDX-License-Identifier: MIT */
#include "servers.h"

#include <string.h>

#include "text.h"

static bool parse_port(const char *s, uint16_t *port)
{
    unsigned long v = 0;

    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > 65535)
            return false;
    }
    *port = (uint16_t)v;
    return v > 0;
}

/* Copies a host, cut to what ep->host holds (an entry may be a few bytes longer). */
static void set_host(struct rh_endpoint *ep, const char *host)
{
    size_t len = rh_strnlen(host, sizeof ep->host - 1);

    memcpy(ep->host, host, len);
    ep->host[len] = '\0';
}

bool rh_net_parse_servers(const char *list, uint16_t port, struct rh_endpoint *out, size_t max,
                          size_t *n, char *err, size_t err_size)
{
    const char *p = list;

    *n = 0;
    while (*p != '\0') {
        char entry[RH_NET_HOST_SIZE + 8];
        size_t len = strcspn(p, ",; \t");
        struct rh_endpoint ep;
        char *colon;

        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof entry) {
            rh_set_err(err, err_size, "a server name is longer than %u characters",
                       (unsigned)sizeof entry - 1);
            return false;
        }
        if (*n == max) {
            rh_set_err(err, err_size, "more than %u servers", (unsigned)max);
            return false;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        p += len;
        ep.port = port;
        if (entry[0] == '[') {
            char *close = strchr(entry, ']');

            if (close == NULL || (close[1] != '\0' && close[1] != ':') ||
                (close[1] == ':' && !parse_port(close + 2, &ep.port))) {
                rh_set_err(err, err_size, "\"%s\" is not [IPv6 address] or [IPv6 address]:port",
                           entry);
                return false;
            }
            *close = '\0';
            set_host(&ep, entry + 1);
        } else {
            colon = strchr(entry, ':');
            if (colon != NULL && strchr(colon + 1, ':') != NULL) {
                set_host(&ep, entry); /* a bare IPv6 address */
            } else {
                if (colon != NULL) {
                    if (!parse_port(colon + 1, &ep.port)) {
                        rh_set_err(err, err_size, "\"%s\": the port is not 1 to 65535", entry);
                        return false;
                    }
                    *colon = '\0';
                }
                set_host(&ep, entry);
            }
        }
        if (ep.host[0] == '\0') {
            rh_set_err(err, err_size, "a server entry has no host");
            return false;
        }
        out[(*n)++] = ep;
    }
    if (*n == 0) {
        rh_set_err(err, err_size, "no server given");
        return false;
    }
    return true;
}
