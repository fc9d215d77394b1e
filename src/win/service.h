/* SPDX-License-Identifier: MIT */
/*
 * The runtime behind the exports: configuration, sinks, and what happens to a
 * hangup. The exports (exports.c) only translate RRAS's calls into these.
 *
 * Start and stop never fail their caller: whatever goes wrong is reported in the
 * log and the runtime carries on with what it has, because a failing admin DLL
 * stops RRAS, and with it every VPN user.
 */
#ifndef RH_SERVICE_H
#define RH_SERVICE_H

#include <stdbool.h>

#include "rashangup/ras_abi.h"
#include "sink.h"

/* The global values of HKLM\SOFTWARE\RasHangup (for docs/configuration.md). */
const struct rh_option *rh_service_global_options(size_t *n);
/* The size of the struct the global options are read into. */
size_t rh_service_global_config_size(void);

void rh_service_start(void);
void rh_service_stop(void);

/*
 * Whether a new connection may start (FailClosed and a journal that is full: no).
 * An accepted connection's start is journaled when a sink takes it (RADIUS's
 * Accounting-Start).
 */
bool rh_service_accept_ex(const struct rh_ras_connection_ex *conn);
bool rh_service_accept_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3);

/* Copies what is needed out of RRAS's structures before returning. */
void rh_service_hangup_ex(const struct rh_ras_connection_ex *conn);
void rh_service_hangup_legacy(const struct rh_ras_connection_0 *c0,
                              const struct rh_ras_connection_1 *c1,
                              const struct rh_ras_connection_2 *c2,
                              const struct rh_ras_connection_3 *c3);

#endif /* RH_SERVICE_H */
