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

/*
 * The environment variable by which a lab replay (rrashost --replay) asks that
 * every record of the start be marked simulated (RH_WARN_SIMULATED): "1".
 */
#define RH_REPLAY_ENV_TEXT "RASHANGUP_REPLAY"
#define RH_REPLAY_ENV      L"" RH_REPLAY_ENV_TEXT

void rh_service_start(void);
void rh_service_stop(void);

/*
 * For the watcher (watcher.c): applies the configuration as the registry holds
 * it now (`retry`: only to try again sinks that could not start; said only if
 * something changes), and whether a configured sink does not run for a reason
 * that may pass.
 */
void rh_service_reload(bool retry);
bool rh_service_held_to_retry(void);

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
