/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus for fuzz_record from the test fixtures: a PPP and an
 * IKEv2 RAS_CONNECTION_EX, a short one, one with hostile strings, and the legacy
 * set. Run once by hand when the fixtures change: make_seeds DIR
 */
#include <stdio.h>
#include <string.h>

#include "payload.h"
#include "fixtures.h"

static void put(const char *dir, const char *name, uint8_t mode, const void *p, size_t n,
                const void *p2, size_t n2)
{
    char path[512];
    FILE *f;
    const uint64_t t = FX_HANGUP_MS;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL)
        return;
    fwrite(&mode, 1, 1, f);
    fwrite(&t, 8, 1, f);
    fwrite(p, 1, n, f);
    if (p2 != NULL)
        fwrite(p2, 1, n2, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    struct rh_ras_connection_ex c;
    struct rh_ras_connection_0 c0;
    struct rh_ras_connection_1 c1;
    const rh_wchar hostile[] = {'=', '"', ']', '\\', ',', '\n', 0xD800, 0xD83D, 0xDE00, 0x674E, 0};

    if (argc != 2)
        return 2;
    fx_ppp(&c);
    put(argv[1], "ex-ppp", 0, &c, sizeof c, NULL, 0);
    fx_ikev2(&c);
    put(argv[1], "ex-ikev2", 0, &c, sizeof c, NULL, 0);
    put(argv[1], "ex-short", 0, &c, 200, NULL, 0);
    fx_ppp(&c);
    memcpy(c.wszUserName, hostile, sizeof hostile);
    c.dwConnectionFlags = 0xFFFFFFFFu;
    c.rasQuarState = 2;
    c.probationTime.dwHighDateTime = 0x01DC0000;
    put(argv[1], "ex-hostile", 0, &c, sizeof c, NULL, 0);
    memset(&c0, 0, sizeof c0);
    memset(&c1, 0, sizeof c1);
    memcpy(c0.wszUserName, hostile, sizeof hostile);
    c0.dwConnectionFlags = 1;
    c1.dwBytesXmited = 0xFFFFFFFFu;
    put(argv[1], "legacy-01", 1 | 2 | 4, &c0, sizeof c0, &c1, sizeof c1);
    {
        uint8_t packed[RH_PAYLOAD_MAX];
        size_t n;

        fx_ppp(&c);
        n = rh_payload_pack_ex(&c, RH_EX_OK, 0, packed);
        put(argv[1], "event-ex", 0x20, packed, n, NULL, 0);
        n = rh_payload_pack_legacy(&c0, &c1, NULL, NULL, 0, packed);
        put(argv[1], "event-legacy", 0x60, packed, n, NULL, 0);
    }
    return 0;
}
