/* SPDX-License-Identifier: MIT */
#include "errhint.h"

#include <stddef.h>

/*
 * Not the file system's codes: Windows says those well enough ("The process
 * cannot access the file because it is being used by another process.").
 */
static const struct rh_error_hint hints[] = {
    {126, "ERROR_MOD_NOT_FOUND", "the DLL, or a DLL it imports, is not there: check the path"},
    {193, "ERROR_BAD_EXE_FORMAT",
     "the DLL is not for this process's architecture: RRAS on 64-bit Windows needs the 64-bit "
     "rashangup.dll"},
    {258, "WAIT_TIMEOUT", "no answer within the timeout"},
    {1460, "ERROR_TIMEOUT", "no answer within the timeout"},
    {10035, "WSAEWOULDBLOCK", "the collector did not answer or read within the timeout"},
    {10050, "WSAENETDOWN", "the network is down"},
    {10051, "WSAENETUNREACH", "no route to the collector's network"},
    {10053, "WSAECONNABORTED", "the connection was given up (a timeout or a protocol error)"},
    {10054, "WSAECONNRESET", "the collector reset the connection (it closed it, or refused TLS)"},
    {10060, "WSAETIMEDOUT",
     "the collector did not answer: a firewall drops the packets, or the "
     "host is down"},
    {10061, "WSAECONNREFUSED", "nothing listens on that port, or a firewall refuses"},
    {10064, "WSAEHOSTDOWN", "the collector's host is down"},
    {10065, "WSAEHOSTUNREACH", "no route to the collector's host"},
    {10101, "WSAEDISCON", "the collector closed the connection"},
    {11001, "WSAHOST_NOT_FOUND", "the host name is not known to DNS: check the Server value"},
    {11002, "WSATRY_AGAIN", "DNS did not answer; it is tried again"},
    {11004, "WSANO_DATA", "the host name has no address of the kind needed"},
    {0x80090308u, "SEC_E_INVALID_TOKEN",
     "what came back is not TLS: does the collector listen for TLS on that port?"},
    {0x80090322u, "SEC_E_WRONG_PRINCIPAL",
     "the certificate does not name the server: set ServerName to a name it holds"},
    {0x80090325u, "SEC_E_UNTRUSTED_ROOT",
     "the certificate's chain ends in a root this server does not trust: set CaFile or install "
     "the CA"},
    {0x80090326u, "SEC_E_ILLEGAL_MESSAGE",
     "the collector sent an alert or a message TLS does not allow: it refused the handshake "
     "(see its own log)"},
    {0x80090327u, "SEC_E_CERT_UNKNOWN", "the certificate cannot be used"},
    {0x80090328u, "SEC_E_CERT_EXPIRED", "the certificate has expired or is not valid yet"},
    {0x80090331u, "SEC_E_ALGORITHM_MISMATCH",
     "no TLS version or cipher in common: the collector must offer TLS 1.2 or 1.3"},
    {0x800B0101u, "CERT_E_EXPIRED", "a certificate of the chain has expired"},
    {0x800B0109u, "CERT_E_UNTRUSTEDROOT",
     "the chain ends in a root that is not trusted: set CaFile or install the CA"},
    {0x800B010Fu, "CERT_E_CN_NO_MATCH", "the certificate does not name the server: set ServerName"},
    {0x80092012u, "CRYPT_E_NO_REVOCATION_CHECK",
     "the revocation of the certificate cannot be "
     "checked"},
    {0x80092013u, "CRYPT_E_REVOCATION_OFFLINE",
     "the certificate's revocation list cannot be reached from this server"},
};

const struct rh_error_hint *rh_error_hint(uint32_t code)
{
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (hints[i].code == code)
            return &hints[i];
    return NULL;
}
