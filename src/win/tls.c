/* SPDX-License-Identifier: MIT */
#include "tls.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECURITY_WIN32
#define SCHANNEL_USE_BLACKLISTS /* SCH_CREDENTIALS and TLS_PARAMETERS */
#include <subauth.h>
#include <wincrypt.h>
#include <security.h>
#include <schannel.h>
#include <bcrypt.h>

#include "diag.h"
#include "files.h"
#include "text.h"
#include "thumbprint.h"
#include "wstr.h"

/*
 * Received bytes not yet decrypted: a TLS record is at most 16 KiB plus 2 KiB of
 * overhead, and a handshake flight (certificate chains) can take several.
 */
#define IN_SIZE         (96u * 1024)
#define CA_FILE_MAX     (1024u * 1024)
#define HANDSHAKE_ROUND 256 /* InitializeSecurityContext calls before giving up */
#define CLOSE_WAIT_MS   250 /* for the peer's answer to our close_notify */

/* SECURITY_FLAG_IGNORE_* (wininet.h): what the SSL policy leaves to us. */
#define IGNORE_UNKNOWN_CA      0x00000100 /* the root: a CA of CaFile */
#define IGNORE_CERT_CN_INVALID 0x00001000 /* the name: an IP address */

#define ISC_FLAGS                                                                                  \
    (ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |                   \
     ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM | ISC_REQ_EXTENDED_ERROR |                           \
     ISC_REQ_MANUAL_CRED_VALIDATION | ISC_REQ_USE_SUPPLIED_CREDS)

static WCHAR unisp_name[] = L"Microsoft Unified Security Protocol Provider";

struct rh_tls {
    HCERTSTORE ca; /* the CA file's certificates; NULL: the system's trust store */
    BYTE pin[RH_THUMBPRINT_MAX];
    ULONG pin_len;                           /* 20 (SHA-1), 32 (SHA-256) or 0: no pin */
    WCHAR server_name[RH_NET_HOST_SIZE + 1]; /* empty: each endpoint's host */
    CredHandle cred;
    bool have_cred;
};

struct tls_stream {
    struct rh_stream base; /* first: a struct rh_stream * is a struct tls_stream * */
    struct rh_tls *tls;
    SOCKET sock;
    CtxtHandle ctx;
    bool have_ctx;
    bool broken;                        /* the connection failed: no close_notify */
    bool peer_closed;                   /* the server's close_notify came, or FIN after ours */
    bool closing;                       /* our close_notify went out (tls_finish) */
    DWORD timeout_ms;                   /* for a whole handshake */
    WCHAR target[RH_NET_HOST_SIZE + 1]; /* ServerName, or the endpoint's host */
    SecPkgContext_StreamSizes sizes;
    char *in; /* IN_SIZE bytes: received, not yet decrypted */
    size_t in_len;
    char *out; /* one record: header, at most cbMaximumMessage bytes, trailer */
};

static const struct {
    SECURITY_STATUS code;
    const char *name;
} sec_names[] = {
    {SEC_E_ALGORITHM_MISMATCH, "SEC_E_ALGORITHM_MISMATCH"},
    {SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL"},
    {SEC_E_CERT_EXPIRED, "SEC_E_CERT_EXPIRED"},
    {SEC_E_CERT_UNKNOWN, "SEC_E_CERT_UNKNOWN"},
    {SEC_E_CONTEXT_EXPIRED, "SEC_E_CONTEXT_EXPIRED"},
    {SEC_E_DECRYPT_FAILURE, "SEC_E_DECRYPT_FAILURE"},
    {SEC_E_ENCRYPT_FAILURE, "SEC_E_ENCRYPT_FAILURE"},
    {SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE"},
    {SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE"},
    {SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY"},
    {SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR"},
    {SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE"},
    {SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN"},
    {SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED"},
    {SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS"},
    {SEC_E_SECPKG_NOT_FOUND, "SEC_E_SECPKG_NOT_FOUND"},
    {SEC_E_TARGET_UNKNOWN, "SEC_E_TARGET_UNKNOWN"},
    {SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS"},
    {SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION"},
    {SEC_E_UNTRUSTED_ROOT, "SEC_E_UNTRUSTED_ROOT"},
    {SEC_E_WRONG_PRINCIPAL, "SEC_E_WRONG_PRINCIPAL"},
    {SEC_I_CONTEXT_EXPIRED, "SEC_I_CONTEXT_EXPIRED"},
    {SEC_I_INCOMPLETE_CREDENTIALS, "SEC_I_INCOMPLETE_CREDENTIALS"},
    {SEC_I_RENEGOTIATE, "SEC_I_RENEGOTIATE"},
};

/* "<what>: SEC_E_NAME (0x80090326) <the system's text>" into e. */
static void sec_error(struct rh_net_error *e, const char *what, SECURITY_STATUS st)
{
    const char *name = "SECURITY_STATUS";
    WCHAR msg[256];
    char text[384] = "";
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)st, 0, msg, sizeof msg / sizeof msg[0], NULL);

    for (size_t i = 0; i < sizeof sec_names / sizeof sec_names[0]; i++)
        if (sec_names[i].code == st)
            name = sec_names[i].name;
    while (n > 0 && (msg[n - 1] == L'\r' || msg[n - 1] == L'\n' || msg[n - 1] == L' '))
        n--;
    if (n > 0 && !rh_wide_to_utf8(msg, (int)n, text, sizeof text))
        text[0] = '\0';
    e->code = (DWORD)st;
    snprintf(e->text, sizeof e->text, "TLS: %s: %s (0x%08lX)%s%s", what, name, (unsigned long)st,
             text[0] != '\0' ? " " : "", text);
}

static void tls_error(struct rh_net_error *e, SECURITY_STATUS code, const char *fmt, ...)
    __attribute__((format(gnu_printf, 3, 4)));

static void tls_error(struct rh_net_error *e, SECURITY_STATUS code, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(e->text, sizeof e->text, "TLS: ");

    e->code = (DWORD)code;
    va_start(ap, fmt);
    vsnprintf(e->text + n, sizeof e->text - (size_t)n, fmt, ap);
    va_end(ap);
}

struct rh_tls *rh_tls_create(void)
{
    return calloc(1, sizeof(struct rh_tls));
}

void rh_tls_destroy(struct rh_tls *t)
{
    if (t == NULL)
        return;
    if (t->have_cred)
        FreeCredentialsHandle(&t->cred);
    if (t->ca != NULL)
        CertCloseStore(t->ca, 0);
    free(t);
}

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

/*
 * TLS 1.2 and later only. SCH_CREDENTIALS (Windows 10 1809 and later) can allow
 * TLS 1.3; older systems know only SCHANNEL_CRED, which cannot.
 */
static SECURITY_STATUS acquire_credentials(struct rh_tls *t)
{
    const DWORD flags =
        SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS | SCH_USE_STRONG_CRYPTO;
    TLS_PARAMETERS params;
    SCH_CREDENTIALS cred;
    SCHANNEL_CRED old;
    SECURITY_STATUS st;

    if (t->have_cred)
        return SEC_E_OK;
    memset(&params, 0, sizeof params);
    params.grbitDisabledProtocols = ~(DWORD)(SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT);
    memset(&cred, 0, sizeof cred);
    cred.dwVersion = SCH_CREDENTIALS_VERSION;
    cred.dwFlags = flags;
    cred.cTlsParameters = 1;
    cred.pTlsParameters = &params;
    st = AcquireCredentialsHandleW(NULL, unisp_name, SECPKG_CRED_OUTBOUND, NULL, &cred, NULL, NULL,
                                   &t->cred, NULL);
    if (st != SEC_E_OK) {
        memset(&old, 0, sizeof old);
        old.dwVersion = SCHANNEL_CRED_VERSION;
        old.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
        old.dwFlags = flags;
        st = AcquireCredentialsHandleW(NULL, unisp_name, SECPKG_CRED_OUTBOUND, NULL, &old, NULL,
                                       NULL, &t->cred, NULL);
    }
    t->have_cred = st == SEC_E_OK;
    return st;
}

/* Sends a token Schannel allocated, and frees it. */
static bool send_token(struct tls_stream *ts, SecBuffer *b, struct rh_net_error *err)
{
    int error = 0;
    bool ok = true;

    if (b->pvBuffer != NULL && b->cbBuffer > 0)
        ok = rh_net_send_all(ts->sock, b->pvBuffer, b->cbBuffer, &error);
    if (b->pvBuffer != NULL)
        FreeContextBuffer(b->pvBuffer);
    b->pvBuffer = NULL;
    b->cbBuffer = 0;
    if (!ok)
        rh_net_error_set(err, error);
    return ok;
}

/* Receives more of the handshake, if it comes before the deadline (GetTickCount64). */
static bool receive_more(struct tls_stream *ts, ULONGLONG deadline, struct rh_net_error *err)
{
    ULONGLONG now = GetTickCount64();
    DWORD left = now < deadline ? (DWORD)(deadline - now) : 0;
    struct timeval tv = {(long)(left / 1000), (long)(left % 1000) * 1000};
    fd_set rd;
    int n;

    if (ts->in_len == IN_SIZE) {
        tls_error(err, SEC_E_BUFFER_TOO_SMALL, "handshake failed: a message is larger than %u KiB",
                  IN_SIZE / 1024);
        return false;
    }
    FD_ZERO(&rd);
    FD_SET(ts->sock, &rd);
    n = select(0, &rd, NULL, NULL, &tv);
    if (n <= 0) {
        tls_error(err, WSAETIMEDOUT,
                  "handshake failed: the server did not complete it within %lu ms (is it a TLS "
                  "port?)",
                  (unsigned long)ts->timeout_ms);
        return false;
    }
    n = recv(ts->sock, ts->in + ts->in_len, (int)(IN_SIZE - ts->in_len), 0);
    if (n > 0) {
        ts->in_len += (size_t)n;
        return true;
    }
    if (n == 0)
        tls_error(err, WSAECONNRESET,
                  "handshake failed: the server closed the connection (not a TLS port, or none of "
                  "our protocol versions and ciphers suits it)");
    else
        rh_net_error_set(err, WSAGetLastError());
    return false;
}

/* Keeps the bytes Schannel did not consume (a SECBUFFER_EXTRA), at the front of `in`. */
static void keep_extra(struct tls_stream *ts, const SecBuffer *extra)
{
    if (extra->BufferType == SECBUFFER_EXTRA && extra->cbBuffer > 0 &&
        extra->cbBuffer <= ts->in_len) {
        memmove(ts->in, ts->in + ts->in_len - extra->cbBuffer, extra->cbBuffer);
        ts->in_len = extra->cbBuffer;
    } else {
        ts->in_len = 0;
    }
}

/*
 * The InitializeSecurityContext loop, within timeout_ms: from nothing (a new
 * connection), or from what `in` holds (after SEC_I_RENEGOTIATE: TLS 1.3
 * post-handshake messages).
 */
static bool handshake(struct tls_stream *ts, struct rh_net_error *err)
{
    ULONGLONG deadline = GetTickCount64() + ts->timeout_ms;
    bool need_input = false;

    for (int round = 0; round < HANDSHAKE_ROUND; round++) {
        SecBuffer in[2], out[1];
        SecBufferDesc in_desc = {SECBUFFER_VERSION, 2, in}, out_desc = {SECBUFFER_VERSION, 1, out};
        ULONG attrs = 0;
        SECURITY_STATUS st;

        if (need_input && !receive_more(ts, deadline, err))
            return false;
        in[0].BufferType = SECBUFFER_TOKEN;
        in[0].pvBuffer = ts->in;
        in[0].cbBuffer = (ULONG)ts->in_len;
        in[1].BufferType = SECBUFFER_EMPTY;
        in[1].pvBuffer = NULL;
        in[1].cbBuffer = 0;
        out[0].BufferType = SECBUFFER_TOKEN;
        out[0].pvBuffer = NULL;
        out[0].cbBuffer = 0;
        st = InitializeSecurityContextW(&ts->tls->cred, ts->have_ctx ? &ts->ctx : NULL, ts->target,
                                        ISC_FLAGS, 0, 0, ts->have_ctx ? &in_desc : NULL, 0,
                                        ts->have_ctx ? NULL : &ts->ctx, &out_desc, &attrs, NULL);
        if (!ts->have_ctx && (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK))
            ts->have_ctx = true;
        if (st == SEC_E_INCOMPLETE_MESSAGE) {
            need_input = true;
            continue;
        }
        if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
            keep_extra(ts, &in[1]);
            if (!send_token(ts, &out[0], err))
                return false;
            if (st == SEC_E_OK)
                return true;
            need_input = ts->in_len == 0;
            continue;
        }
        if (FAILED(st) && (attrs & ISC_RET_EXTENDED_ERROR) != 0) {
            struct rh_net_error ignored;

            send_token(ts, &out[0], &ignored); /* the alert: the server learns why */
        } else if (out[0].pvBuffer != NULL) {
            FreeContextBuffer(out[0].pvBuffer);
        }
        if (st == SEC_I_INCOMPLETE_CREDENTIALS)
            tls_error(err, st,
                      "handshake failed: the server asks for a client certificate, and "
                      "none is configured");
        else
            sec_error(err, "handshake failed", st);
        return false;
    }
    tls_error(err, SEC_E_INTERNAL_ERROR, "handshake failed: more than %d rounds", HANDSHAKE_ROUND);
    return false;
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
        tls_error(err, (SECURITY_STATUS)st, "cannot hash the server's certificate (0x%08lX)",
                  (unsigned long)st);
        return false;
    }
    if (memcmp(hash, t->pin, t->pin_len) == 0)
        return true;
    for (ULONG i = 0; i < t->pin_len; i++)
        snprintf(hex + 2 * i, 3, "%02X", hash[i]);
    tls_error(err, SEC_E_CERT_UNKNOWN,
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
    tls_error(err, SEC_E_WRONG_PRINCIPAL,
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
            tls_error(err, SEC_E_UNTRUSTED_ROOT,
                      "untrusted root: the server's certificate chain leads to \"%s\", which is "
                      "not a CA of CaFile",
                      name);
            return false;
        }
        *trust &= ~(DWORD)CERT_TRUST_IS_UNTRUSTED_ROOT;
        return true;
    }
    if (*trust & (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN)) {
        tls_error(err, SEC_E_UNTRUSTED_ROOT,
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
        tls_error(err, SEC_E_WRONG_PRINCIPAL, "the server name is too long");
        return false;
    }
    memcpy(host, name, (name_len + 1) * sizeof host[0]); /* the policy wants it writable */
    /* What the server sent (its intermediates) and the CA file. */
    extra = CertOpenStore(CERT_STORE_PROV_COLLECTION, 0, 0, 0, NULL);
    if (extra == NULL || !CertAddStoreToCollection(extra, cert->hCertStore, 0, 0) ||
        (t->ca != NULL && !CertAddStoreToCollection(extra, t->ca, 0, 0))) {
        tls_error(err, (SECURITY_STATUS)GetLastError(), "cannot build a certificate store");
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
        tls_error(err, (SECURITY_STATUS)error, "cannot build the certificate chain: %s", text);
        goto out;
    }
    trust = chain->TrustStatus.dwErrorStatus;
    if (chain->cChain == 0 || chain->rgpChain[0]->cElement == 0) {
        tls_error(err, SEC_E_CERT_UNKNOWN, "the certificate chain is empty");
        goto out;
    }
    if (!check_root(t, chain, &trust, err))
        goto out;
    /* Revocation is not asked for; what is left of its flags means nothing. */
    trust &= ~(DWORD)(CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION);
    if (trust & CERT_TRUST_IS_NOT_TIME_VALID) {
        tls_error(err, SEC_E_CERT_EXPIRED,
                  "expired: a CA certificate of the server's chain is outside its validity dates");
        goto out;
    }
    if (trust & CERT_TRUST_IS_NOT_VALID_FOR_USAGE) {
        tls_error(err, SEC_E_CERT_UNKNOWN,
                  "the server's certificate is not valid for server authentication");
        goto out;
    }
    if (trust != CERT_TRUST_NO_ERROR) {
        tls_error(err, SEC_E_CERT_UNKNOWN,
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
        tls_error(err, (SECURITY_STATUS)error, "cannot check the SSL policy: %s", text);
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
            tls_error(err, SEC_E_CERT_EXPIRED, "expired: a certificate of the chain has expired");
            break;
        case CERT_E_UNTRUSTEDROOT:
            tls_error(err, SEC_E_UNTRUSTED_ROOT,
                      "untrusted root: the system does not trust the "
                      "server's CA");
            break;
        default:
            rh_win32_error_text(status.dwError, text, sizeof text);
            tls_error(err, (SECURITY_STATUS)status.dwError,
                      "the server's certificate fails the SSL policy for \"%s\": %s", host8, text);
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

static bool check_server(struct tls_stream *ts, struct rh_net_error *err)
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
        sec_error(err, "cannot read the negotiated protocol", st);
        return false;
    }
    if ((info.dwProtocol & (SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT)) == 0) {
        tls_error(err, SEC_E_UNSUPPORTED_FUNCTION,
                  "protocol: the server negotiated %s; TLS 1.2 or later is required",
                  protocol_name(info.dwProtocol));
        return false;
    }
    st = QueryContextAttributesW(&ts->ctx, SECPKG_ATTR_REMOTE_CERT_CONTEXT, (void *)&cert);
    if (st != SEC_E_OK || cert == NULL) {
        sec_error(err, "the server sent no certificate", st);
        return false;
    }
    valid = CertVerifyTimeValidity(NULL, cert->pCertInfo);
    if (valid != 0) {
        format_time(valid > 0 ? &cert->pCertInfo->NotAfter : &cert->pCertInfo->NotBefore, when,
                    sizeof when);
        if (valid > 0)
            tls_error(err, SEC_E_CERT_EXPIRED,
                      "expired: the server's certificate was valid until %s", when);
        else
            tls_error(err, SEC_E_CERT_EXPIRED,
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

/* Decrypts what `in` holds; false if the peer closed (close_notify) or the data is bad. */
static bool decrypt_pending(struct tls_stream *ts, bool *closed)
{
    while (ts->in_len > 0) {
        SecBuffer b[4];
        SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS st;
        const SecBuffer *extra = &b[0];

        b[0].BufferType = SECBUFFER_DATA;
        b[0].pvBuffer = ts->in;
        b[0].cbBuffer = (ULONG)ts->in_len;
        for (int i = 1; i < 4; i++) {
            b[i].BufferType = SECBUFFER_EMPTY;
            b[i].pvBuffer = NULL;
            b[i].cbBuffer = 0;
        }
        st = DecryptMessage(&ts->ctx, &desc, 0, NULL);
        if (st == SEC_E_INCOMPLETE_MESSAGE)
            return true;
        if (st == SEC_I_CONTEXT_EXPIRED) {
            *closed = true; /* close_notify: the server read everything before it */
            return false;
        }
        if (st != SEC_E_OK && st != SEC_I_RENEGOTIATE) {
            ts->broken = true;
            return false;
        }
        /* A collector sends nothing: decrypted data is dropped. */
        for (int i = 1; i < 4; i++)
            if (b[i].BufferType == SECBUFFER_EXTRA)
                extra = &b[i];
        if (extra == &b[0])
            ts->in_len = 0;
        else
            keep_extra(ts, extra);
        if (st == SEC_I_RENEGOTIATE) {
            struct rh_net_error ignored;

            if (!handshake(ts, &ignored)) {
                ts->broken = true;
                return false;
            }
        }
    }
    return true;
}

static bool tls_send(struct rh_stream *st, const char *p, size_t n, struct rh_net_error *err)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    const SecPkgContext_StreamSizes *z = &ts->sizes;

    while (n > 0) {
        ULONG chunk = n > z->cbMaximumMessage ? z->cbMaximumMessage : (ULONG)n;
        SecBuffer b[4];
        SecBufferDesc desc = {SECBUFFER_VERSION, 4, b};
        SECURITY_STATUS s;
        int error = 0;

        memcpy(ts->out + z->cbHeader, p, chunk);
        b[0].BufferType = SECBUFFER_STREAM_HEADER;
        b[0].pvBuffer = ts->out;
        b[0].cbBuffer = z->cbHeader;
        b[1].BufferType = SECBUFFER_DATA;
        b[1].pvBuffer = ts->out + z->cbHeader;
        b[1].cbBuffer = chunk;
        b[2].BufferType = SECBUFFER_STREAM_TRAILER;
        b[2].pvBuffer = ts->out + z->cbHeader + chunk;
        b[2].cbBuffer = z->cbTrailer;
        b[3].BufferType = SECBUFFER_EMPTY;
        b[3].pvBuffer = NULL;
        b[3].cbBuffer = 0;
        s = EncryptMessage(&ts->ctx, 0, &desc, 0);
        if (s != SEC_E_OK || b[0].cbBuffer > z->cbHeader || b[1].cbBuffer > chunk ||
            b[2].cbBuffer > z->cbTrailer) {
            ts->broken = true;
            sec_error(err, "encrypting failed", s != SEC_E_OK ? s : SEC_E_INTERNAL_ERROR);
            return false;
        }
        /* The record is header, data, trailer back to back (header sizes are fixed). */
        if (b[0].cbBuffer < z->cbHeader)
            memmove(ts->out + b[0].cbBuffer, b[1].pvBuffer, b[1].cbBuffer + b[2].cbBuffer);
        if (!rh_net_send_all(ts->sock, ts->out,
                             (size_t)b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer, &error)) {
            ts->broken = true;
            rh_net_error_set(err, error);
            return false;
        }
        p += chunk;
        n -= chunk;
    }
    return true;
}

/* Reads and decrypts what arrives within wait_ms (0: what has arrived), and how the peer stands. */
static enum rh_peer_state read_pending(struct tls_stream *ts, DWORD wait_ms)
{
    ULONGLONG deadline = GetTickCount64() + wait_ms;

    /* A bounded number of reads: a collector that keeps sending is no reason to stay. */
    for (int round = 0; round < 64; round++) {
        ULONGLONG now = GetTickCount64();
        DWORD left = now < deadline ? (DWORD)(deadline - now) : 0;
        fd_set rd;
        struct timeval tv = {(long)(left / 1000), (long)(left % 1000) * 1000};
        bool closed = false;
        int n;

        FD_ZERO(&rd);
        FD_SET(ts->sock, &rd);
        if (select(0, &rd, NULL, NULL, &tv) <= 0)
            return RH_PEER_OPEN;
        if (ts->in_len == IN_SIZE) {
            ts->broken = true;
            return RH_PEER_RESET;
        }
        n = recv(ts->sock, ts->in + ts->in_len, (int)(IN_SIZE - ts->in_len), 0);
        if (n == 0) {
            /*
             * A FIN without close_notify: maybe truncated, and a FIN is not
             * authenticated (anyone on the path can forge one): as a reset,
             * unless it answers our own close_notify. Collectors (rsyslog's
             * gtls) answer that with a bare FIN; it is then trusted as over TCP.
             */
            ts->broken = true;
            ts->peer_closed = ts->closing;
            return ts->closing ? RH_PEER_CLOSED : RH_PEER_RESET;
        }
        if (n < 0) {
            ts->broken = true;
            return RH_PEER_RESET;
        }
        ts->in_len += (size_t)n;
        if (!decrypt_pending(ts, &closed)) {
            ts->peer_closed = closed;
            return closed ? RH_PEER_CLOSED : RH_PEER_RESET;
        }
    }
    return RH_PEER_OPEN;
}

static enum rh_peer_state tls_peer_state(struct rh_stream *st)
{
    struct tls_stream *ts = (struct tls_stream *)st;

    /* Once the server closed: whether a reset followed (our data reached it closed). */
    if (ts->peer_closed)
        return rh_net_peer_state(ts->sock) == RH_PEER_RESET ? RH_PEER_RESET : RH_PEER_CLOSED;
    if (ts->broken)
        return RH_PEER_RESET;
    return read_pending(ts, 0);
}

static void tls_free(struct tls_stream *ts)
{
    if (ts == NULL)
        return;
    if (ts->have_ctx)
        DeleteSecurityContext(&ts->ctx);
    if (ts->sock != INVALID_SOCKET)
        closesocket(ts->sock);
    free(ts->in);
    free(ts->out);
    free(ts);
}

/*
 * Sends the last record Schannel makes after a control token: close_notify
 * (SCHANNEL_SHUTDOWN) or an alert (SCHANNEL_ALERT), then FIN. False if the token
 * was refused or could not be sent.
 */
static bool send_closing(struct tls_stream *ts, void *token, ULONG size)
{
    SecBuffer b = {size, SECBUFFER_TOKEN, token};
    SecBufferDesc desc = {SECBUFFER_VERSION, 1, &b};
    SecBuffer out = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc out_desc = {SECBUFFER_VERSION, 1, &out};
    ULONG attrs = 0;
    SECURITY_STATUS st;
    struct rh_net_error ignored;

    if (ApplyControlToken(&ts->ctx, &desc) != SEC_E_OK)
        return false;
    st = InitializeSecurityContextW(&ts->tls->cred, &ts->ctx, ts->target, ISC_FLAGS, 0, 0, NULL, 0,
                                    NULL, &out_desc, &attrs, NULL);
    if (st != SEC_E_OK && st != SEC_I_CONTEXT_EXPIRED) {
        if (out.pvBuffer != NULL)
            FreeContextBuffer(out.pvBuffer);
        return false;
    }
    if (!send_token(ts, &out, &ignored))
        return false;
    shutdown(ts->sock, SD_SEND);
    return true;
}

static bool tls_finish(struct rh_stream *st, DWORD wait_ms, volatile LONG *cancel)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    DWORD type = SCHANNEL_SHUTDOWN;
    ULONGLONG deadline = GetTickCount64() + wait_ms;
    enum rh_peer_state peer = RH_PEER_OPEN;

    if (!ts->have_ctx || ts->broken || !send_closing(ts, &type, sizeof type)) {
        ts->broken = true;
        return false;
    }
    /* Our close_notify is sent: close() must not send another. */
    ts->broken = true;
    ts->closing = true;
    /* A bounded number of reads: a collector that keeps sending is no reason to stay. */
    for (int round = 0; round < 64 && peer == RH_PEER_OPEN; round++) {
        ULONGLONG now = GetTickCount64();

        if (!rh_net_wait_readable(ts->sock, now < deadline ? (DWORD)(deadline - now) : 0, cancel))
            return false;
        peer = read_pending(ts, 0);
    }
    /* Its close_notify, or its FIN after our close_notify: it read everything before. */
    return peer == RH_PEER_CLOSED;
}

static void tls_close(struct rh_stream *st)
{
    struct tls_stream *ts = (struct tls_stream *)st;
    DWORD type = SCHANNEL_SHUTDOWN;

    /*
     * close_notify; then read until the server answers, so that closing with
     * its data unread does not reset the connection.
     */
    if (ts->have_ctx && !ts->broken && send_closing(ts, &type, sizeof type))
        read_pending(ts, CLOSE_WAIT_MS);
    tls_free(ts);
}

/*
 * Tells a server we refused why, with a fatal alert; where Schannel cannot send
 * one (Wine 8), closes in order rather than cut the connection.
 */
static void refuse(struct tls_stream *ts, const struct rh_net_error *why)
{
    SCHANNEL_ALERT_TOKEN alert;
    DWORD shutdown_type = SCHANNEL_SHUTDOWN;

    alert.dwTokenType = SCHANNEL_ALERT;
    alert.dwAlertType = TLS1_ALERT_FATAL;
    switch ((SECURITY_STATUS)why->code) {
    case SEC_E_UNTRUSTED_ROOT:
        alert.dwAlertNumber = TLS1_ALERT_UNKNOWN_CA;
        break;
    case SEC_E_CERT_EXPIRED:
        alert.dwAlertNumber = TLS1_ALERT_CERTIFICATE_EXPIRED;
        break;
    case SEC_E_UNSUPPORTED_FUNCTION:
        alert.dwAlertNumber = TLS1_ALERT_PROTOCOL_VERSION;
        break;
    default:
        alert.dwAlertNumber = TLS1_ALERT_BAD_CERTIFICATE;
        break;
    }
    if (!send_closing(ts, &alert, sizeof alert))
        send_closing(ts, &shutdown_type, sizeof shutdown_type);
}

static const struct rh_stream_ops tls_ops = {
    .send = tls_send,
    .peer_state = tls_peer_state,
    .finish = tls_finish,
    .close = tls_close,
};

struct rh_stream *rh_tls_connect(struct rh_tls *t, const struct rh_endpoint *ep, DWORD timeout_ms,
                                 struct rh_net_error *err)
{
    struct tls_stream *ts = calloc(1, sizeof *ts);
    SECURITY_STATUS st;
    int error = 0;
    size_t out_size;

    if (ts == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    ts->base.ops = &tls_ops;
    ts->tls = t;
    ts->sock = INVALID_SOCKET;
    ts->timeout_ms = timeout_ms;
    ts->in = malloc(IN_SIZE);
    if (ts->in == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    /* The name to check is also the one to ask for (SNI), when a server is given by address. */
    if (t->server_name[0] != L'\0') {
        memcpy(ts->target, t->server_name, sizeof ts->target);
    } else if (!rh_utf8_to_wide(ep->host, ts->target, RH_NET_HOST_SIZE + 1)) {
        rh_net_error_set(err, WSAEINVAL);
        goto fail;
    }
    st = acquire_credentials(t);
    if (st != SEC_E_OK) {
        sec_error(err, "Schannel refused the credentials", st);
        goto fail;
    }
    ts->sock = rh_net_connect(ep, SOCK_STREAM, timeout_ms, &error);
    if (ts->sock == INVALID_SOCKET) {
        rh_net_error_set(err, error);
        goto fail;
    }
    if (!handshake(ts, err))
        goto fail;
    st = QueryContextAttributesW(&ts->ctx, SECPKG_ATTR_STREAM_SIZES, &ts->sizes);
    if (st != SEC_E_OK) {
        sec_error(err, "cannot read the record sizes", st);
        goto fail;
    }
    if (ts->sizes.cbMaximumMessage == 0 || ts->sizes.cbMaximumMessage > 65536 ||
        ts->sizes.cbHeader > 1024 || ts->sizes.cbTrailer > 1024) {
        tls_error(err, SEC_E_INTERNAL_ERROR, "unexpected record sizes");
        goto fail;
    }
    out_size = (size_t)ts->sizes.cbHeader + ts->sizes.cbMaximumMessage + ts->sizes.cbTrailer;
    ts->out = malloc(out_size);
    if (ts->out == NULL) {
        rh_net_error_set(err, WSA_NOT_ENOUGH_MEMORY);
        goto fail;
    }
    if (!check_server(ts, err)) {
        refuse(ts, err);
        goto fail;
    }
    return &ts->base;

fail:
    tls_free(ts);
    return NULL;
}
