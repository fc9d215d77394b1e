/* SPDX-License-Identifier: MIT */
/*
 * Realistic RRAS connections, generated deterministically from (seed, index):
 * SSTP and L2TP over PPP and IKEv2, domain and local users with names in many
 * scripts, IPv4 and IPv6 endpoints, counters up to the 32-bit limit. Tests
 * regenerate a connection to know what the DLL was given.
 */
#ifndef RH_SCENARIO_H
#define RH_SCENARIO_H

#include <stdint.h>

#include "rashangup/ras_abi.h"

struct rh_scenario_conn {
    struct rh_ras_connection_ex ex;
    struct rh_ras_connection_0 c0;
    struct rh_ras_connection_1 c1;
    struct rh_ras_connection_2 c2;
    struct rh_ras_connection_3 c3;
    struct rh_ras_port_0 port0;
    struct rh_ras_port_1 port1;
    /* The same facts as UTF-8, for checking what a sink wrote. */
    const char *user;
    const char *domain;
    char client_ipv4[16];
    char remote_endpoint[48];
    const char *tunnel; /* "ppp" or "ikev2" */
};

void rh_scenario_make(unsigned seed, unsigned index, struct rh_scenario_conn *out);

#endif /* RH_SCENARIO_H */
