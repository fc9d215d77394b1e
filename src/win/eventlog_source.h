/* SPDX-License-Identifier: MIT */
/* The Event Log source rashangup registers and writes as (Application log). */
#ifndef RH_EVENTLOG_SOURCE_H
#define RH_EVENTLOG_SOURCE_H

#define RH_EVENT_SOURCE L"RasHangup"

#endif
