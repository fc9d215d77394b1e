/* SPDX-License-Identifier: MIT */
/*
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), for RADIUS only: its Request and
 * Response Authenticators (RFC 2866) and Message-Authenticator (RFC 3579) are
 * defined with them. Not for anything that needs a secure hash.
 */
#ifndef RH_MD5_H
#define RH_MD5_H

#include <stddef.h>
#include <stdint.h>

struct rh_md5 {
    uint32_t state[4];
    uint64_t bytes;
    uint8_t block[64];
};

void rh_md5_init(struct rh_md5 *m);
void rh_md5_update(struct rh_md5 *m, const void *data, size_t len);
void rh_md5_final(struct rh_md5 *m, uint8_t digest[16]);

/* MD5 of data[0..len) in one call. */
void rh_md5(const void *data, size_t len, uint8_t digest[16]);

/* HMAC-MD5 of data[0..len) with key[0..key_len). */
void rh_hmac_md5(const void *key, size_t key_len, const void *data, size_t len, uint8_t mac[16]);

#endif /* RH_MD5_H */
