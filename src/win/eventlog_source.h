/* SPDX-License-Identifier: MIT */
/*
 * rashangup's Event Log source, in the Application log. DllRegisterServer
 * (install_keys.c) registers it: EventMessageFile (REG_EXPAND_SZ) is the DLL's full
 * path, whose message table the Event Viewer reads, and TypesSupported is 7
 * (error, warning, information). DllUnregisterServer removes it again when
 * install created it.
 */
#ifndef RH_EVENTLOG_SOURCE_H
#define RH_EVENTLOG_SOURCE_H

#define RH_EVENT_SOURCE L"RasHangup"

/* Under HKEY_LOCAL_MACHINE. */
#define RH_EVENT_SOURCE_KEY                                                                        \
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" RH_EVENT_SOURCE
#define RH_EVENT_SOURCE_KEY_TEXT                                                                   \
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\RasHangup"

#endif /* RH_EVENTLOG_SOURCE_H */
