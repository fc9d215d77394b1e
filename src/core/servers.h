/* SPDX-License-Identifier: MIT */
/*
 * The network sinks' server lists ("Server" values): which collectors, in
 * failover order. Pure: nothing is resolved here; the Windows shell (net.c)
 * connects to what this reads.
 */
#ifndef RH_SERVERS_H
#define RH_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RH_NET_MAX_SERVERS 8
#define RH_NET_HOST_SIZE   256

struct rh_endpoint {
    char host[RH_NET_HOST_SIZE]; /* a name, an IPv4 address, or an IPv6 address */
    uint16_t port;
};

/*
 * Parses a server list: entries separated by ',', ';', spaces or tabs, each
 * "host", "host:port", "[v6addr]", "[v6addr]:port" or a bare IPv6 address (two
 * colons or more: no port); `port` when an entry names none. A port is 1 to
 * 65535 in decimal. What is between the brackets, and a host, are not checked
 * further (resolving them does that); a host longer than RH_NET_HOST_SIZE - 1
 * bytes is cut to that. At most `max` entries go to out[0..max), *n of them.
 *
 * False, with the reason in err (and *n the entries read before it, in out),
 * for an empty list, more than `max` entries, an entry longer than
 * RH_NET_HOST_SIZE + 7 bytes, a bad bracketed entry or port, or an entry with
 * no host.
 */
bool rh_net_parse_servers(const char *list, uint16_t port, struct rh_endpoint *out, size_t max,
                          size_t *n, char *err, size_t err_size);

#endif /* RH_SERVERS_H */
