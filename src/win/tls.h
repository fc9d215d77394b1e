/* SPDX-License-Identifier: MIT */
/*
 * TLS client streams over Schannel, for syslog over TLS (RFC 5425).
 *
 * Protocol: TLS 1.2 or later, never older; TLS 1.3 where Schannel has it (Windows
 * 11 and Server 2022; not Wine 8). A handshake that negotiated anything older is
 * refused even if Schannel allowed it.
 *
 * Trust, checked by us after the handshake (Schannel's own validation is off so
 * that each refusal has a precise reason), in this order:
 *   1. the server's certificate is within its validity dates;
 *   2. with a pinned thumbprint (rh_tls_set_thumbprint): its SHA-1 or SHA-256
 *      equals the pin. Nothing else is checked: the pin is the trust (a
 *      self-signed collector);
 *   3. otherwise its chain is valid for server authentication and ends at a root
 *      that is trusted: one of the CA file's certificates (rh_tls_set_ca_file),
 *      or, without one, a root of the system's trust store;
 *   4. the certificate names the server: the configured name
 *      (rh_tls_set_server_name), else the host the endpoint names (a DNS name or
 *      an IP address, matched against the subject alternative names).
 * Revocation is not checked (syslog collectors' certificates rarely publish it,
 * and a check that cannot reach its server would refuse every connection).
 *
 * Any failure refuses the connection, with the reason in rh_net_error's text:
 * "TLS: expired: ...", "TLS: untrusted root: ...", "TLS: name mismatch: ...",
 * "TLS: thumbprint mismatch: ...", "TLS: handshake failed: SEC_E_... (0x...)".
 *
 * Threading: an rh_tls and its streams are used by one thread at a time.
 */
#ifndef RH_TLS_H
#define RH_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"

struct rh_tls;

/* A TLS configuration that trusts the system's store and checks each server's host. */
struct rh_tls *rh_tls_create(void);
void rh_tls_destroy(struct rh_tls *t); /* accepts NULL; after every stream is closed */

/*
 * Trusts the certificates of a file instead of the system's store: PEM (any
 * number of "BEGIN CERTIFICATE" blocks) or one DER certificate, at most 1 MiB.
 * False, with the reason in err (UTF-8), if it cannot be read or holds none.
 */
bool rh_tls_set_ca_file(struct rh_tls *t, const char *path, char *err, size_t err_size);

/*
 * Pins the server's certificate: 40 (SHA-1) or 64 (SHA-256) hex digits, in
 * either case; spaces, tabs, colons and the invisible U+200E that Windows's
 * certificate dialog puts in front of a copied thumbprint are ignored
 * (rh_thumbprint_parse, thumbprint.h, reads it).
 */
bool rh_tls_set_thumbprint(struct rh_tls *t, const char *hex, char *err, size_t err_size);

/*
 * The name the server's certificate must hold, for every server (UTF-8); also
 * the name asked for in the handshake (SNI).
 */
bool rh_tls_set_server_name(struct rh_tls *t, const char *name, char *err, size_t err_size);

/*
 * Connects to ep over TCP, performs the handshake and checks the server as above,
 * each step within timeout_ms. NULL, with the reason in *err, on any failure.
 */
struct rh_stream *rh_tls_connect(struct rh_tls *t, const struct rh_endpoint *ep, DWORD timeout_ms,
                                 struct rh_net_error *err);

#endif /* RH_TLS_H */
