/* SPDX-License-Identifier: MIT */
/*
 * What a TLS server must prove (tls.h has the rules): the trust anchors
 * (CaFile, read into a store), the pinned thumbprint, the server name, and the
 * checks of the server's certificate after the handshake: the negotiated
 * protocol, validity dates, the pin, or the chain, its root and the name.
 */
#include "tls_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "files.h"
#include "text.h"
#include "thumbprint.h"
#include "wstr.h"

#define CA_FILE_MAX (1024u * 1024)

/* SECURITY_FLAG_IGNORE_* (wininet.h): what the SSL policy leaves to us. */
#define IGNORE_UNKNOWN_CA      0x00000100 /* the root: a CA of CaFile */
#define IGNORE_CERT_CN_INVALID 0x00001000 /* the name: an IP address */

/* Adds each "BEGIN CERTIFICATE" block of PEM text to store; the number added. */
static size_t add_pem(HCERTSTORE store, const char *text, size_t len, DWORD *error)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    const char *p = text, *stop = text + len;
    size_t added = 0;

    for (p = strstr(p, begin); p != NULL; p = strstr(p, begin)) {
        const char *e = strstr(p, end);
        DWORD der_len = 0;
        BYTE *der;

        if (e == NULL || e >= stop) {
            *error = (DWORD)CRYPT_E_ASN1_EOD;
            return 0;
        }
        e += sizeof end - 1;
        if (!CryptStringToBinaryA(p, (DWORD)(e - p), CRYPT_STRING_BASE64HEADER, NULL, &der_len,
                                  NULL, NULL)) {
            *error = GetLastError();
            return 0;
        }
        der = malloc(der_len);
        if (der == NULL) {
            *error = ERROR_NOT_ENOUGH_MEMORY;
            return 0;
        }
        if (!CryptStringToBinaryA(p, (DWORD)(e - p), CRYPT_STRING_BASE64HEADER, der, &der_len, NULL,
                                  NULL) ||
            !CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, der_len,
                                              CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
            *error = GetLastError();
            free(der);
            return 0;
        }
        free(der);
        added++;
        p = e;
    }
    return added;
}

bool rh_tls_set_ca_file(struct rh_tls *t, const char *path, char *err, size_t err_size)
{
    WCHAR wpath[MAX_PATH + 1];
    HCERTSTORE store = NULL;
    char *data = NULL, why[1024];
    size_t len = 0, added = 0;
    DWORD error = 0;
    bool ok = false;

    if (!rh_utf8_to_wide(path, wpath, MAX_PATH + 1)) {
        rh_set_err(err, err_size, "\"%s\" is not a valid path of at most %u characters", path,
                   (unsigned)MAX_PATH);
        return false;
    }
    /* The trust anchor: only from a file and folder no one but administrators may change. */
    data = rh_file_read_trusted(wpath, CA_FILE_MAX, &len, &error, why, sizeof why);
    if (data == NULL) {
        if (why[0] == '\0')
            rh_win32_error_text(error, why, sizeof why);
        rh_set_err(err, err_size, "cannot read \"%s\" (at most %u KiB): %s", path,
                   CA_FILE_MAX / 1024, why);
        goto out;
    }
    store = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, CERT_STORE_CREATE_NEW_FLAG, NULL);
    if (store == NULL) {
        rh_win32_error_text(GetLastError(), why, sizeof why);
        rh_set_err(err, err_size, "cannot create a certificate store: %s", why);
        goto out;
    }
    if (strstr(data, "-----BEGIN ") != NULL)
        added = add_pem(store, data, len, &error);
    else if (len <= UINT32_MAX &&
             CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, (const BYTE *)data,
                                              (DWORD)len, CERT_STORE_ADD_REPLACE_EXISTING, NULL))
        added = 1;
    else
        error = GetLastError();
    if (added == 0) {
        if (error != 0)
            rh_win32_error_text(error, why, sizeof why);
        else
            snprintf(why, sizeof why, "no \"BEGIN CERTIFICATE\" block");
        rh_set_err(err, err_size, "\"%s\" holds no certificate in PEM or DER: %s", path, why);
        goto out;
    }
    if (t->ca != NULL)
        CertCloseStore(t->ca, 0);
    t->ca = store;
    store = NULL;
    ok = true;
out:
    if (store != NULL)
        CertCloseStore(store, 0);
    free(data);
    return ok;
}

bool rh_tls_set_thumbprint(struct rh_tls *t, const char *hex, char *err, size_t err_size)
{
    size_t len = 0;

    /* On failure the pin is left as it was. */
    if (!rh_thumbprint_parse(hex, t->pin, &len, err, err_size))
        return false;
    t->pin_len = (ULONG)len;
    return true;
}

bool rh_tls_set_server_name(struct rh_tls *t, const char *name, char *err, size_t err_size)
{
    if (name[0] == '\0' || !rh_utf8_to_wide(name, t->server_name, RH_NET_HOST_SIZE + 1)) {
        rh_set_err(err, err_size, "\"%s\" is not a host name of 1 to %u characters", name,
                   (unsigned)RH_NET_HOST_SIZE);
        t->server_name[0] = L'\0';
        return false;
    }
    return true;
}

static void format_time(const FILETIME *ft, char *out, size_t out_size)
{
    SYSTEMTIME st;

    if (!FileTimeToSystemTime(ft, &st)) {
        snprintf(out, out_size, "?");
        return;
    }
    snprintf(out, out_size, "%04u-%02u-%02u %02u:%02u:%02u UTC", st.wYear, st.wMonth, st.wDay,
             st.wHour, st.wMinute, st.wSecond);
}

/* The certificate's issuer as "CN=..., O=...": for a self-signed root, its own name. */
static void issuer_name(PCCERT_CONTEXT cert, char *out, size_t out_size)
{
    WCHAR name[256];
    DWORD type = CERT_X500_NAME_STR;
    DWORD n = CertGetNameStringW(cert, CERT_NAME_RDN_TYPE, CERT_NAME_ISSUER_FLAG, &type, name, 256);

    if (n <= 1 || !rh_wide_to_utf8(name, -1, out, out_size))
        snprintf(out, out_size, "?");
}

static bool check_pin(const struct rh_tls *t, PCCERT_CONTEXT cert, struct rh_net_error *err)
{
    BCRYPT_ALG_HANDLE alg = NULL;
    BYTE hash[32];
    char hex[65];
    NTSTATUS st = BCryptOpenAlgorithmProvider(
        &alg, t->pin_len == 20 ? BCRYPT_SHA1_ALGORITHM : BCRYPT_SHA256_ALGORITHM, NULL, 0);

    if (BCRYPT_SUCCESS(st)) {
        st = BCryptHash(alg, NULL, 0, cert->pbCertEncoded, cert->cbCertEncoded, hash, t->pin_len);
        BCryptCloseAlgorithmProvider(alg, 0);
    }
    if (!BCRYPT_SUCCESS(st)) {
        rh_tls_error(err, (SECURITY_STATUS)st, "cannot hash the server's certificate (0x%08lX)",
                     (unsigned long)st);
        return false;
    }
    if (memcmp(hash, t->pin, t->pin_len) == 0)
        return true;
    for (ULONG i = 0; i < t->pin_len; i++)
        snprintf(hex + 2 * i, 3, "%02X", hash[i]);
    rh_tls_error(err, SEC_E_CERT_UNKNOWN,
                 "thumbprint mismatch: the server's certificate has %s %s, not ServerThumbprint",
                 t->pin_len == 20 ? "SHA-1" : "SHA-256", hex);
    return false;
}

/* An IP address literal: its 4 or 16 bytes in out; 0 for a host name. */
static ULONG ip_literal(const WCHAR *name, BYTE out[16])
{
    if (InetPtonW(AF_INET, name, out) == 1)
        return 4;
    if (InetPtonW(AF_INET6, name, out) == 1)
        return 16;
    return 0;
}

/*
 * Whether the certificate lists the address among its subject alternative names
 * (RFC 6125 §6.2.1: an address never matches a common name). The SSL policy
 * checks host names but not addresses everywhere (Wine 8 does not).
 */
static bool names_address(PCCERT_CONTEXT cert, const BYTE *ip, ULONG ip_len)
{
    PCERT_EXTENSION ext = CertFindExtension(szOID_SUBJECT_ALT_NAME2, cert->pCertInfo->cExtension,
                                            cert->pCertInfo->rgExtension);
    CERT_ALT_NAME_INFO *names = NULL;
    DWORD size = 0;
    bool found = false;

    if (ext == NULL ||
        !CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ALTERNATE_NAME, ext->Value.pbData,
                             ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, NULL, &names, &size))
        return false;
    for (DWORD i = 0; i < names->cAltEntry && !found; i++) {
        const CERT_ALT_NAME_ENTRY *e = &names->rgAltEntry[i];

        found = e->dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS && e->IPAddress.cbData == ip_len &&
                memcmp(e->IPAddress.pbData, ip, ip_len) == 0;
    }
    LocalFree(names);
    return found;
}

static void name_mismatch(struct rh_net_error *err, const WCHAR *name)
{
    char host[RH_NET_HOST_SIZE * 3];

    if (!rh_wide_to_utf8(name, -1, host, sizeof host))
        snprintf(host, sizeof host, "?");
    rh_tls_error(err, SEC_E_WRONG_PRINCIPAL,
                 "name mismatch: the server's certificate is not for \"%s\" (set ServerName to the "
                 "name it holds)",
                 host);
}

/*
 * The chain's root: one of CaFile's CAs (then its being unknown to the system is
 * no error: cleared from *trust), or, without CaFile, one the system trusts.
 */
static bool check_root(const struct rh_tls *t, PCCERT_CHAIN_CONTEXT chain, DWORD *trust,
                       struct rh_net_error *err)
{
    const CERT_SIMPLE_CHAIN *simple = chain->rgpChain[0];
    const CERT_CHAIN_ELEMENT *last = simple->rgpElement[simple->cElement - 1];
    bool self_signed = (last->TrustStatus.dwInfoStatus & CERT_TRUST_IS_SELF_SIGNED) != 0;
    char name[256];

    /* The root, or the issuer that could not be found. */
    issuer_name(last->pCertContext, name, sizeof name);
    if (t->ca != NULL) {
        PCCERT_CONTEXT found = CertFindCertificateInStore(
            t->ca, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, last->pCertContext, NULL);

        if (found != NULL)
            CertFreeCertificateContext(found);
        if (found == NULL || !self_signed) {
            rh_tls_error(err, SEC_E_UNTRUSTED_ROOT,
                         "untrusted root: the server's certificate chain leads to \"%s\", which is "
                         "not a CA of CaFile",
                         name);
            return false;
        }
        *trust &= ~(DWORD)CERT_TRUST_IS_UNTRUSTED_ROOT;
        return true;
    }
    if (*trust & (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN)) {
        rh_tls_error(err, SEC_E_UNTRUSTED_ROOT,
                     "untrusted root: the server's certificate chain leads to \"%s\", which the "
                     "system does not trust (set CaFile or ServerThumbprint for a private CA)",
                     name);
        return false;
    }
    return true;
}

/* The chain to a trusted root, then the SSL policy with the host name. */
static bool check_chain(const struct rh_tls *t, PCCERT_CONTEXT cert, const WCHAR *name,
                        struct rh_net_error *err)
{
    static char server_auth[] = szOID_PKIX_KP_SERVER_AUTH;
    char *usage[1] = {server_auth};
    HCERTSTORE extra = NULL;
    PCCERT_CHAIN_CONTEXT chain = NULL;
    CERT_CHAIN_PARA para;
    SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl;
    CERT_CHAIN_POLICY_PARA policy;
    CERT_CHAIN_POLICY_STATUS status;
    DWORD trust, error;
    WCHAR host[RH_NET_HOST_SIZE + 1];
    size_t name_len;
    BYTE ip[16];
    ULONG ip_len;
    char text[256];
    bool ok = false;

    name_len = wcsnlen(name, RH_NET_HOST_SIZE + 1);
    if (name_len > RH_NET_HOST_SIZE) {
        rh_tls_error(err, SEC_E_WRONG_PRINCIPAL, "the server name is too long");
        return false;
    }
    memcpy(host, name, (name_len + 1) * sizeof host[0]); /* the policy wants it writable */
    /* What the server sent (its intermediates) and the CA file. */
    extra = CertOpenStore(CERT_STORE_PROV_COLLECTION, 0, 0, 0, NULL);
    if (extra == NULL || !CertAddStoreToCollection(extra, cert->hCertStore, 0, 0) ||
        (t->ca != NULL && !CertAddStoreToCollection(extra, t->ca, 0, 0))) {
        rh_tls_error(err, (SECURITY_STATUS)GetLastError(), "cannot build a certificate store");
        goto out;
    }
    memset(&para, 0, sizeof para);
    para.cbSize = sizeof para;
    para.RequestedUsage.dwType = USAGE_MATCH_TYPE_OR;
    para.RequestedUsage.Usage.cUsageIdentifier = 1;
    para.RequestedUsage.Usage.rgpszUsageIdentifier = usage;
    /* A private CA publishes nothing to fetch: build the chain from what we have. */
    if (!CertGetCertificateChain(NULL, cert, NULL, extra, &para,
                                 t->ca != NULL ? CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL : 0, NULL,
                                 &chain)) {
        error = GetLastError();
        rh_win32_error_text(error, text, sizeof text);
        rh_tls_error(err, (SECURITY_STATUS)error, "cannot build the certificate chain: %s", text);
        goto out;
    }
    trust = chain->TrustStatus.dwErrorStatus;
    if (chain->cChain == 0 || chain->rgpChain[0]->cElement == 0) {
        rh_tls_error(err, SEC_E_CERT_UNKNOWN, "the certificate chain is empty");
        goto out;
    }
    if (!check_root(t, chain, &trust, err))
        goto out;
    /* Revocation is not asked for; what is left of its flags means nothing. */
    trust &= ~(DWORD)(CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION);
    if (trust & CERT_TRUST_IS_NOT_TIME_VALID) {
        rh_tls_error(
            err, SEC_E_CERT_EXPIRED,
            "expired: a CA certificate of the server's chain is outside its validity dates");
        goto out;
    }
    if (trust & CERT_TRUST_IS_NOT_VALID_FOR_USAGE) {
        rh_tls_error(err, SEC_E_CERT_UNKNOWN,
                     "the server's certificate is not valid for server authentication");
        goto out;
    }
    if (trust != CERT_TRUST_NO_ERROR) {
        rh_tls_error(err, SEC_E_CERT_UNKNOWN,
                     "the server's certificate chain is not valid (CERT_TRUST status 0x%08lX)",
                     (unsigned long)trust);
        goto out;
    }

    ip_len = ip_literal(host, ip);
    if (ip_len > 0 && !names_address(cert, ip, ip_len)) {
        name_mismatch(err, name);
        goto out;
    }
    memset(&ssl, 0, sizeof ssl);
    ssl.cbSize = sizeof ssl;
    ssl.dwAuthType = AUTHTYPE_SERVER;
    ssl.fdwChecks =
        (t->ca != NULL ? IGNORE_UNKNOWN_CA : 0) | (ip_len > 0 ? IGNORE_CERT_CN_INVALID : 0);
    ssl.pwszServerName = host;
    memset(&policy, 0, sizeof policy);
    policy.cbSize = sizeof policy;
    policy.pvExtraPolicyPara = &ssl;
    memset(&status, 0, sizeof status);
    status.cbSize = sizeof status;
    if (!CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &policy, &status)) {
        error = GetLastError();
        rh_win32_error_text(error, text, sizeof text);
        rh_tls_error(err, (SECURITY_STATUS)error, "cannot check the SSL policy: %s", text);
        goto out;
    }
    if (status.dwError != 0) {
        char host8[RH_NET_HOST_SIZE * 3];

        if (!rh_wide_to_utf8(name, -1, host8, sizeof host8))
            snprintf(host8, sizeof host8, "?");
        switch ((HRESULT)status.dwError) {
        case CERT_E_CN_NO_MATCH:
            name_mismatch(err, name);
            break;
        case CERT_E_EXPIRED:
            rh_tls_error(err, SEC_E_CERT_EXPIRED,
                         "expired: a certificate of the chain has expired");
            break;
        case CERT_E_UNTRUSTEDROOT:
            rh_tls_error(err, SEC_E_UNTRUSTED_ROOT,
                         "untrusted root: the system does not trust the "
                         "server's CA");
            break;
        default:
            rh_win32_error_text(status.dwError, text, sizeof text);
            rh_tls_error(err, (SECURITY_STATUS)status.dwError,
                         "the server's certificate fails the SSL policy for \"%s\": %s", host8,
                         text);
            break;
        }
        goto out;
    }
    ok = true;
out:
    if (chain != NULL)
        CertFreeCertificateChain(chain);
    if (extra != NULL)
        CertCloseStore(extra, 0);
    return ok;
}

static const char *protocol_name(DWORD protocol)
{
    if (protocol & SP_PROT_TLS1_1_CLIENT)
        return "TLS 1.1";
    if (protocol & SP_PROT_TLS1_0_CLIENT)
        return "TLS 1.0";
    if (protocol & SP_PROT_SSL3_CLIENT)
        return "SSL 3.0";
    if (protocol & SP_PROT_SSL2_CLIENT)
        return "SSL 2.0";
    return "an unknown protocol";
}

bool rh_tls_check_server(struct tls_stream *ts, struct rh_net_error *err)
{
    const struct rh_tls *t = ts->tls;
    PCCERT_CONTEXT cert = NULL;
    SecPkgContext_ConnectionInfo info;
    SECURITY_STATUS st;
    char when[64];
    LONG valid;
    bool ok = false;

    st = QueryContextAttributesW(&ts->ctx, SECPKG_ATTR_CONNECTION_INFO, &info);
    if (st != SEC_E_OK) {
        rh_tls_sec_error(err, "cannot read the negotiated protocol", st);
        return false;
    }
    if ((info.dwProtocol & (SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT)) == 0) {
        rh_tls_error(err, SEC_E_UNSUPPORTED_FUNCTION,
                     "protocol: the server negotiated %s; TLS 1.2 or later is required",
                     protocol_name(info.dwProtocol));
        return false;
    }
    st = QueryContextAttributesW(&ts->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, (void *)&cert);
    if (st != SEC_E_OK || cert == NULL) {
        rh_tls_sec_error(err, "the server sent no certificate", st);
        return false;
    }
    valid = CertVerifyTimeValidity(NULL, cert->pCertInfo);
    if (valid != 0) {
        format_time(valid > 0 ? &cert->pCertInfo->NotAfter : &cert->pCertInfo->NotBefore, when,
                    sizeof when);
        if (valid > 0)
            rh_tls_error(err, SEC_E_CERT_EXPIRED,
                         "expired: the server's certificate was valid until %s", when);
        else
            rh_tls_error(err, SEC_E_CERT_EXPIRED,
                         "expired: the server's certificate is not valid before %s", when);
        goto out;
    }
    if (t->pin_len > 0)
        ok = check_pin(t, cert, err);
    else
        ok = check_chain(t, cert, ts->target, err);
out:
    CertFreeCertificateContext(cert);
    return ok;
}
