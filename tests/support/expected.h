/* SPDX-License-Identifier: MIT */
/* The exact bytes each format writes for the fixtures of fixtures.h. */
#ifndef EXPECTED_H
#define EXPECTED_H

/* Generated from the fixtures once, reviewed by eye, then frozen. */
static const char json_ppp[] =
    "{\"event\":\"hangup\",\"record_id\":\"019ad0b8-4f7a-7000-8000-00000000002a\",\"time\":\""
    "2026-11-29T18:00:00.250Z\",\"start_time\":\"2026-11-29T16:57:57.250Z\",\"duration_s\":37"
    "23,\"server\":\"ras01.contoso.com\",\"connection_id\":\"6b29fc40-ca47-1067-b31d-00dd0106"
    "62da\",\"user\":\"alice\",\"domain\":\"CONTOSO\",\"interface_name\":\"alice\",\"interfac"
    "e_type\":\"client\",\"remote_computer\":\"LAPTOP-7\",\"tunnel\":\"ppp\",\"connection_fla"
    "gs\":[\"ppp\"],\"remote_endpoint\":\"203.0.113.9\",\"local_endpoint\":\"192.0.2.10\",\"c"
    "lient_ipv4\":\"198.51.100.23\",\"server_ipv4\":\"198.51.100.1\",\"ipv4_error\":0,\"clien"
    "t_ipv6\":\"2001:db8:42:0:215:5dff:fe01:203\",\"server_ipv6\":\"2001:db8:42::1\",\"ipv6_p"
    "refix\":\"2001:db8:42::/64\",\"ipv6_error\":0,\"authentication\":\"eap\",\"eap_type\":26"
    ",\"eap_method\":\"ms-chapv2\",\"encryption\":\"mppe-128\",\"compression\":\"mppc\",\"lcp"
    "_error\":0,\"ccp_error\":0,\"quarantine_state\":\"normal\",\"probation_time\":null,\"byt"
    "es_sent\":1000000,\"bytes_received\":250000,\"frames_sent\":800,\"frames_received\":600,"
    "\"crc_errors\":1,\"timeout_errors\":2,\"alignment_errors\":3,\"hardware_overrun_errors\""
    ":4,\"framing_errors\":5,\"buffer_overrun_errors\":6,\"compression_ratio_in\":87,\"compre"
    "ssion_ratio_out\":91,\"mobike_switchovers\":0,\"warnings\":[]}\n";

static const char csv_header[] =
    "\xEF\xBB\xBF"
    "event,record_id,time,start_time,duration_s,server,connection_id,user,domai"
    "n,interface_name,interface_type,remote_computer,tunnel,connection_flags,remote_endpoint,"
    "local_endpoint,client_ipv4,server_ipv4,ipv4_error,client_ipv6,server_ipv6,ipv6_prefix,ip"
    "v6_error,authentication,eap_type,eap_method,encryption,compression,lcp_error,ccp_error,q"
    "uarantine_state,probation_time,bytes_sent,bytes_received,frames_sent,frames_received,crc"
    "_errors,timeout_errors,alignment_errors,hardware_overrun_errors,framing_errors,buffer_ov"
    "errun_errors,compression_ratio_in,compression_ratio_out,mobike_switchovers,warnings\r\n";

static const char csv_ppp[] =
    "hangup,019ad0b8-4f7a-7000-8000-00000000002a,2026-11-29T18:00:00.250Z,2026-11-29T16:57:57"
    ".250Z,3723,ras01.contoso.com,6b29fc40-ca47-1067-b31d-00dd010662da,alice,CONTOSO,alice,cl"
    "ient,LAPTOP-7,ppp,ppp,203.0.113.9,192.0.2.10,198.51.100.23,198.51.100.1,0,2001:db8:42:0:"
    "215:5dff:fe01:203,2001:db8:42::1,2001:db8:42::/64,0,eap,26,ms-chapv2,mppe-128,mppc,0,0,n"
    "ormal,,1000000,250000,800,600,1,2,3,4,5,6,87,91,0,\r\n";

static const char syslog_ppp[] =
    "<86>1 2026-11-29T18:00:00.250Z ras01.contoso.com rashangup - hangup [rashangup@32473 eve"
    "nt=\"hangup\" record_id=\"019ad0b8-4f7a-7000-8000-00000000002a\" time=\"2026-11-29T18:00"
    ":00.250Z\" start_time=\"2026-11-29T16:57:57.250Z\" duration_s=\"3723\" server=\"ras01.co"
    "ntoso.com\" connection_id=\"6b29fc40-ca47-1067-b31d-00dd010662da\" user=\"alice\" domain"
    "=\"CONTOSO\" interface_name=\"alice\" interface_type=\"client\" remote_computer=\"LAPTOP"
    "-7\" tunnel=\"ppp\" connection_flags=\"ppp\" remote_endpoint=\"203.0.113.9\" local_endpo"
    "int=\"192.0.2.10\" client_ipv4=\"198.51.100.23\" server_ipv4=\"198.51.100.1\" ipv4_error"
    "=\"0\" client_ipv6=\"2001:db8:42:0:215:5dff:fe01:203\" server_ipv6=\"2001:db8:42::1\" ip"
    "v6_prefix=\"2001:db8:42::/64\" ipv6_error=\"0\" authentication=\"eap\" eap_type=\"26\" e"
    "ap_method=\"ms-chapv2\" encryption=\"mppe-128\" compression=\"mppc\" lcp_error=\"0\" ccp"
    "_error=\"0\" quarantine_state=\"normal\" bytes_sent=\"1000000\" bytes_received=\"250000"
    "\" frames_sent=\"800\" frames_received=\"600\" crc_errors=\"1\" timeout_errors=\"2\" ali"
    "gnment_errors=\"3\" hardware_overrun_errors=\"4\" framing_errors=\"5\" buffer_overrun_er"
    "rors=\"6\" compression_ratio_in=\"87\" compression_ratio_out=\"91\" mobike_switchovers="
    "\"0\" warnings=\"\"] \xEF\xBB\xBF"
    "CONTOSO\\alice disconnected after 3723 s of ppp from "
    "203.0.113.9 as 198.51.100.23: 1000000 bytes sent, 250000 received";

#endif
