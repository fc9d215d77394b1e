/* SPDX-License-Identifier: MIT */
#ifndef RH_CHECK_H
#define RH_CHECK_H

/*
 * rrashost --check-config: prints the configuration as the DLL reads it and
 * tries each destination without sending a record. Exit status: 0 every sink
 * would run and no check of a destination failed (what cannot be checked
 * without sending, a RADIUS server's answer, is said); 4 a sink would not run
 * (its value is named); 5 a destination failed its check.
 */
int rh_check_config(void);

#endif /* RH_CHECK_H */
