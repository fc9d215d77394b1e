/* SPDX-License-Identifier: MIT */
#ifndef RH_CHECK_H
#define RH_CHECK_H

/*
 * rrashost --check-config: prints the configuration as the DLL reads it and
 * tries each destination without sending a record. Exit status: 0 every sink
 * would run and can deliver now; 4 a sink would not run (its value is named);
 * 5 a sink would run but cannot deliver now.
 */
int rh_check_config(void);

#endif /* RH_CHECK_H */
